package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain builds the server command on first use, stops the server
// processes the benchmarks started, and fails the run if goroutines are
// left behind.
func TestMain(m *testing.M) {
	base := runtime.NumGoroutine()
	code := m.Run()
	if err := closeProcs(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if code == 0 {
		if stacks := leaked(base, 10*time.Second); stacks != "" {
			fmt.Fprintf(os.Stderr, "goroutines left behind after the tests:\n\n%s\n", stacks)
			code = 1
		}
	}
	os.Exit(code)
}

// leaked waits up to timeout for the goroutine count to come back to base
// and returns the stacks of all goroutines if it does not. There is no
// event to wait on for goroutines ending, so it polls.
func leaked(base int, timeout time.Duration) string {
	deadline := time.After(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for runtime.NumGoroutine() > base {
		select {
		case <-tick.C:
		case <-deadline:
			buf := make([]byte, 1<<20)
			return string(buf[:runtime.Stack(buf, true)])
		}
	}
	return ""
}

var (
	buildOnce sync.Once
	binDir    string
	binPaths  map[string]string
	buildErr  error
)

// commandPath returns the path of the bench command name, building all of
// them once per test binary.
func commandPath(tb testing.TB, name string) string {
	tb.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "vizserve-bench")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		names := []string{"echoserver", "idleserver", "idleclient"}
		paths, err := Build(ctx, binDir, names...)
		if err != nil {
			buildErr = err
			return
		}
		binPaths = map[string]string{}
		for i, n := range names {
			binPaths[n] = paths[i]
		}
	})
	if buildErr != nil {
		tb.Fatalf("build the bench commands: %v", buildErr)
	}
	return binPaths[name]
}

// echoProc is an echo server in a child process.
type echoProc struct {
	p        *Proc
	addr     string
	overhead uint64 // allocations of one stats command itself
}

var (
	procsMu sync.Mutex
	procs   = map[string]*echoProc{}
)

// serverProc returns the echo server process of lib, starting it on first
// use; it lives until the test binary ends.
func serverProc(tb testing.TB, lib *Lib) *echoProc {
	tb.Helper()
	return sharedProc(tb, lib.Name, commandPath(tb, "echoserver"), "-lib", lib.Name)
}

// sharedProc returns the server process known as key, starting the
// command at path with args on first use: it prints "addr HOST:PORT" and
// answers ServerMain's commands. closeProcs stops it when the test binary
// ends.
func sharedProc(tb testing.TB, key, path string, args ...string) *echoProc {
	tb.Helper()
	procsMu.Lock()
	defer procsMu.Unlock()
	if e, ok := procs[key]; ok {
		return e
	}
	p, err := StartProc(path, args...)
	if err != nil {
		tb.Fatal(err)
	}
	line, err := p.Line(30 * time.Second)
	if err != nil {
		p.Close(5 * time.Second)
		tb.Fatal(err)
	}
	addr, ok := strings.CutPrefix(line, "addr ")
	if !ok {
		p.Close(5 * time.Second)
		tb.Fatalf("%s said %q, not its address", filepath.Base(path), line)
	}
	e := &echoProc{p: p, addr: addr}
	// What asking costs, to subtract from the server's allocation counts.
	a, b := e.stats(tb), e.stats(tb)
	e.overhead = b.Mallocs - a.Mallocs
	procs[key] = e
	return e
}

func (e *echoProc) stats(tb testing.TB) AllocStats {
	tb.Helper()
	var s AllocStats
	if err := e.p.AskJSON("stats", 30*time.Second, &s); err != nil {
		tb.Fatal(err)
	}
	return s
}

func closeProcs() error {
	procsMu.Lock()
	defer procsMu.Unlock()
	var errs []string
	for name, e := range procs {
		if err := e.p.Close(10 * time.Second); err != nil {
			errs = append(errs, name+": "+err.Error())
		}
		delete(procs, name)
	}
	if len(errs) > 0 {
		return fmt.Errorf("echo servers: %s", strings.Join(errs, "; "))
	}
	return nil
}
