// Package leakcheck fails a test binary that leaves goroutines behind.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// After the tests ran, it waits (up to a deadline, without sleeping blind:
// it polls the goroutine list) for every goroutine started by the tests to
// end, and fails the binary, printing their stacks, if some remain.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Timeout is how long Main waits for goroutines to end.
var Timeout = 10 * time.Second

// Main runs the tests, then the leak check, and exits.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := Wait(Timeout); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) still running after the tests:\n\n%s\n",
				len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// Wait waits up to timeout for stray goroutines to end and returns the
// stacks of those that did not.
func Wait(timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	backoff := time.Millisecond
	for {
		leaked := Stray()
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(backoff) // polling interval, not a wait for an event
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// Stray returns the stacks of goroutines other than the runtime's and the
// test framework's own.
func Stray() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if g == "" || ignorable(g) {
			continue
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

func ignorable(stack string) bool {
	for _, s := range []string{
		"leakcheck.Stray(",        // ourselves
		"testing.(*M).",           // the test main
		"testing.tRunner.func1()", // waiting for parallel subtests
		"testing.runTests",
		"runtime.goexit0",
		"created by runtime.gc",
		"signal.signal_recv",
		"signal.loop",
		"runtime.ensureSigM",
		"runtime/trace.Start",
		// Idle keep-alive connections of http.Client in tests.
		"net/http.(*persistConn).readLoop",
		"net/http.(*persistConn).writeLoop",
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}
