// Package extest runs an example program inside its own tests, as a user
// would run it, and lets the test wait on what it prints.
//
//	ex := extest.Start(t, run, "-v")         // run(ctx, args, out) on 127.0.0.1:0
//	status, body := extest.Get(t, ex.URL+"/") // its page
//	c, _, err := ws.Dial(ctx, extest.WSURL(ex.URL)+"/", nil)
//	ex.Out.WaitFor(t, regexp.MustCompile(`websocket accepted`))
//
// Every example's run has the signature
// run(ctx context.Context, args []string, stdout io.Writer) error, takes an
// -addr flag, and prints "open http://HOST:PORT/" once it listens. Start
// relies on that; when the test ends it cancels run's context and fails
// the test unless run returns nil within [Patience]. To build and run the
// program's binary instead, see internal/testkit/e2e (StartProgram).
//
// The package is for tests only: only _test.go files may import it (its
// own test checks that for the whole module). Nothing here sleeps; every
// wait is on a signal with a deadline.
package extest

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/server"
)

// Patience is how long a wait lasts before the test fails: for output,
// for the program to start or stop, for an HTTP request.
const Patience = 10 * time.Second

// Output collects what a program writes, for a test to wait on. Its zero
// value is ready to use; all methods may be called concurrently.
type Output struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // receives after a write, if nobody was told yet
}

// init makes changed; called with mu held.
func (o *Output) init() {
	if o.changed == nil {
		o.changed = make(chan struct{}, 1)
	}
}

// Write appends p to the output and wakes a waiting WaitFor. It never
// fails.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.init()
	o.b.Write(p)
	changed := o.changed
	o.mu.Unlock()
	select {
	case changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// WaitFor waits up to [Patience] until the output matches re and returns
// the submatches, or fails the test, showing the output.
func (o *Output) WaitFor(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	m, err := o.waitFor(re, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitFor waits until the output matches re, Patience passes, or done
// receives run's error; it puts that back in done (whose buffer it just
// emptied) for [Example.wait] to find.
func (o *Output) waitFor(re *regexp.Regexp, done chan error) ([]string, error) {
	o.mu.Lock()
	o.init()
	changed := o.changed
	o.mu.Unlock()
	deadline := time.NewTimer(Patience)
	defer deadline.Stop()
	var runErr error
	returned := false
	for {
		// Look after run returned too: it may have printed, then returned.
		if m := re.FindStringSubmatch(o.String()); m != nil {
			return m, nil
		}
		if returned {
			return nil, fmt.Errorf("run returned %v before its output matched %s; the output was:\n%s", runErr, re, o.String())
		}
		select {
		case <-changed:
		case runErr = <-done:
			done <- runErr
			done, returned = nil, true
		case <-deadline.C:
			return nil, fmt.Errorf("no output matching %s within %v; the output was:\n%s", re, Patience, o.String())
		}
	}
}

// RunFunc is the signature of an example's run function.
type RunFunc func(ctx context.Context, args []string, stdout io.Writer) error

// Example is a run of a program in the test's process, started by [Start].
type Example struct {
	URL string  // where it serves, "http://127.0.0.1:PORT", without a final slash
	Out *Output // what it printed

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
	waited bool // Wait was called by the test: the cleanup leaves the error alone
}

// urlRE matches the line every example prints once it listens.
var urlRE = regexp.MustCompile(`open (http://127\.0\.0\.1:\d+)/`)

// Start runs run with "-addr 127.0.0.1:0" and then args, waits for the
// URL it prints, and stops it when the test ends: it cancels run's
// context and fails the test if run does not return nil within
// [Patience] (the error alone goes unchecked if the test called
// [Example.Wait] or [Example.Stop] and so judged it itself). Start fails
// the test if run returns before printing its URL.
func Start(t testing.TB, run RunFunc, args ...string) *Example {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ex := &Example{Out: &Output{}, cancel: cancel, done: make(chan error, 1)}
	go func() { ex.done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), ex.Out) }()
	t.Cleanup(func() {
		cancel()
		if err := ex.wait(t); err != nil && !ex.waited {
			t.Errorf("run: %v", err)
		}
	})
	m, err := ex.Out.waitFor(urlRE, ex.done)
	if err != nil {
		t.Fatal(err)
	}
	ex.URL = m[1]
	return ex
}

// Wait waits up to [Patience] for run to return and returns its error;
// later calls return the same. After Wait, the cleanup that Start
// registered no longer checks the error: the test did.
func (ex *Example) Wait(t testing.TB) error {
	t.Helper()
	ex.waited = true
	return ex.wait(t)
}

// Stop cancels run's context, then waits as [Example.Wait] does.
func (ex *Example) Stop(t testing.TB) error {
	t.Helper()
	ex.cancel()
	return ex.Wait(t)
}

func (ex *Example) wait(t testing.TB) error {
	t.Helper()
	ex.once.Do(func() {
		select {
		case ex.err = <-ex.done:
		case <-time.After(Patience):
			ex.err = fmt.Errorf("run did not return within %v", Patience)
			t.Error(ex.err)
		}
	})
	return ex.err
}

// Get fetches url with a client of its own and returns the status and
// body, or fails the test.
func Get(t testing.TB, url string) (status int, body string) {
	t.Helper()
	return GetTLS(t, url, nil)
}

// GetTLS is Get with the client's TLS configuration (nil: the default),
// for an https URL whose certificate only cfg trusts.
func GetTLS(t testing.TB, url string, cfg *tls.Config) (status int, body string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: Patience}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// WSURL turns an http:// URL into the ws:// one (https:// into wss://).
func WSURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

// Serve opens s and serves it until the test ends or stop is called,
// whichever is first; then it closes s and fails the test if Close or
// Serve return an error.
func Serve(t testing.TB, s *server.Server) (stop func()) {
	t.Helper()
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
			if err := <-served; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
