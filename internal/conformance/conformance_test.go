package conformance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/leakcheck"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// caseTimeout bounds one case in the tests; the cases' own timers are far
// shorter unless something hangs.
const caseTimeout = 2 * time.Minute

// echo sends every message back with its type until the connection ends.
func echo(ctx context.Context, c *ws.Conn) error {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return err
		}
	}
}

// startEchoServer serves package ws's Accept with default options and the
// echo loop on a loopback port, and returns its URL. The server and its
// handlers are gone when the test ends.
func startEchoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var handlers sync.WaitGroup
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := ws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		echo(context.Background(), c)
	})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-served
		handlers.Wait() // hijacked connections end by themselves, within ws's close timeout
	})
	return "ws://" + ln.Addr().String() + "/"
}

// parallel reports whether a case may run alongside others: all but the
// heavy ones of group 9, which would only compete for the two cores and
// the memory.
func parallel(c Case) bool { return c.Group() != 9 }

// TestConformance runs every case in both roles against package ws with
// default options: ws.Accept plus an echo loop as the server under test,
// ws.Dial plus the same loop as the client under test. -short skips the
// slowest group 9 cases. -v prints the table of verdicts.
func TestConformance(t *testing.T) {
	cases := Cases()
	var sum Summary
	check := func(t *testing.T, r Result) {
		t.Helper()
		sum.Add(r)
		if !r.Passed() {
			t.Errorf("%s", r)
		} else if testing.Verbose() && r.Duration > 500*time.Millisecond {
			t.Logf("%s in %v", r.Verdict, r.Duration.Round(time.Millisecond))
		}
	}
	start := time.Now()

	t.Run("server", func(t *testing.T) {
		url := startEchoServer(t)
		for _, c := range cases {
			t.Run(c.ID, func(t *testing.T) {
				if c.Slow && testing.Short() {
					t.Skip("slow case; skipped under -short")
				}
				if parallel(c) {
					t.Parallel()
				}
				ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
				defer cancel()
				check(t, RunAgainstServer(ctx, url, c))
			})
		}
	})

	t.Run("client", func(t *testing.T) {
		fs := NewFuzzServer(cases)
		if err := fs.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fs.Close() })
		for _, c := range cases {
			t.Run(c.ID, func(t *testing.T) {
				if c.Slow && testing.Short() {
					t.Skip("slow case; skipped under -short")
				}
				if parallel(c) {
					t.Parallel()
				}
				ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
				defer cancel()
				clientDone := make(chan error, 1)
				go func() {
					c, _, err := ws.Dial(ctx, fs.URL(c.ID), nil)
					if err != nil {
						clientDone <- err
						return
					}
					defer c.CloseNow()
					clientDone <- echo(ctx, c)
				}()
				r, err := fs.Await(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				check(t, r)
				// The client must return on its own once the server is done
				// with it: its Read reports the end of the connection.
				select {
				case err := <-clientDone:
					if ws.CloseStatus(err) == -1 && !errors.As(err, new(*ws.FailError)) {
						t.Logf("client ended with: %v", err)
					}
				case <-time.After(10 * time.Second):
					cancel()
					<-clientDone
					t.Errorf("the client was still running 10 s after the case ended")
				}
			})
		}
	})

	t.Logf("conformance of package ws with default options, %v:\n%s", time.Since(start).Round(time.Millisecond), sum.Table())
	for _, r := range sum.Failed() {
		t.Logf("not passed: %s %s: %s — %s / %s", r.Role, r.Case, r.Verdict, r.BehaviorNote, r.CloseNote)
	}
}
