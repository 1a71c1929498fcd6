package conformance

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		deflateMessages = shortDeflateMessages
	}
	leakcheck.Main(m)
}

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

// startEchoServer serves package ws's Accept with opts and the echo loop
// on a loopback port, and returns its URL. The server and its handlers are
// gone when the test ends.
func startEchoServer(t *testing.T, opts *ws.AcceptOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var handlers sync.WaitGroup
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := ws.Accept(w, r, opts)
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

// suite runs cases against package ws in both roles and collects the
// verdicts.
type suite struct {
	sum Summary
	// want, if set, gives the verdict a case must have instead of
	// passing (a case the settings cannot negotiate), and why.
	want func(Case) (Verdict, string)
}

func (su *suite) check(t *testing.T, c Case, r Result) {
	t.Helper()
	su.sum.Add(r)
	if su.want != nil {
		if v, why := su.want(c); v != "" {
			if r.Verdict != v {
				t.Errorf("verdict %s, want %s (%s)\n%s", r.Verdict, v, why, r)
			}
			return
		}
	}
	if !r.Passed() {
		t.Errorf("%s", r)
	} else if testing.Verbose() && r.Duration > 500*time.Millisecond {
		t.Logf("%s in %v", r.Verdict, r.Duration.Round(time.Millisecond))
	}
}

func skipSlow(t *testing.T, c Case) {
	t.Helper()
	if c.Slow && testing.Short() {
		t.Skip("slow case; skipped under -short")
	}
}

// server runs the cases against the ws server at url.
func (su *suite) server(t *testing.T, url string, cases []Case) {
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			skipSlow(t, c)
			if parallel(c) {
				t.Parallel()
			}
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			su.check(t, c, RunAgainstServer(ctx, url, c))
		})
	}
}

// client runs the cases against ws.Dial with opts plus the echo loop.
func (su *suite) client(t *testing.T, cases []Case, opts *ws.DialOptions) {
	fs := NewFuzzServer(cases)
	if err := fs.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			skipSlow(t, c)
			if parallel(c) {
				t.Parallel()
			}
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			clientDone := make(chan error, 1)
			go func() {
				c, _, err := ws.Dial(ctx, fs.URL(c.ID), opts)
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
			su.check(t, c, r)
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
}

func (su *suite) report(t *testing.T, title string, start time.Time) {
	t.Logf("%s, %v:\n%s", title, time.Since(start).Round(time.Millisecond), su.sum.Table())
	for _, r := range su.sum.Failed() {
		t.Logf("not passed: %s %s: %s — %s / %s", r.Role, r.Case, r.Verdict, r.BehaviorNote, r.CloseNote)
	}
}

// groups returns the cases of Cases whose group keep accepts.
func groups(keep func(g int) bool) []Case {
	var out []Case
	for _, c := range Cases() {
		if keep(c.Group()) {
			out = append(out, c)
		}
	}
	return out
}

// TestConformance runs every case of groups 1 to 10 in both roles against
// package ws with default options: ws.Accept plus an echo loop as the
// server under test, ws.Dial plus the same loop as the client under
// test. -short skips the slowest group 9 cases. -v prints the table of
// verdicts.
func TestConformance(t *testing.T) {
	cases := groups(func(g int) bool { return g < 12 })
	var su suite
	start := time.Now()
	t.Run("server", func(t *testing.T) { su.server(t, startEchoServer(t, nil), cases) })
	t.Run("client", func(t *testing.T) { su.client(t, cases, nil) })
	su.report(t, "conformance of package ws with default options", start)
}

// fullEnv, set to 1, runs every size of groups 12 and 13 in every setting
// of TestCompression, not only with the default options.
const fullEnv = "VIZSERVE_CONFORMANCE_FULL"

// TestCompression runs groups 12 and 13 (permessage-deflate) in both
// roles against package ws with compression on: the server with the
// default CompressionOptions{} (no context takeover either way) and with
// ContextTakeover, the client likewise.
//
// The default client offers client_no_context_takeover, so every accept
// setting of 13 can accept its offer. With ContextTakeover the client does
// not offer it, and the fuzzing server, as Autobahn's, declines where all
// its preferences request it: 13.2, 13.5 and 13.6 must then be
// UNIMPLEMENTED (13.7 falls back to its third preference).
//
// Each setting moves about 11 GB through ws's compressor and decompressor,
// so only the default options run every size; the ContextTakeover settings
// run the sizes up to 4 KiB unless VIZSERVE_CONFORMANCE_FULL=1. -short runs
// the sizes up to 4 KiB in every setting.
func TestCompression(t *testing.T) {
	cases := groups(func(g int) bool { return g >= 12 })
	var small []Case
	for _, c := range cases {
		if !c.Slow {
			small = append(small, c)
		}
	}
	full := os.Getenv(fullEnv) == "1"
	for _, role := range []string{"server", "client"} {
		for _, opts := range []ws.CompressionOptions{{}, {ContextTakeover: true}} {
			name := role + "/default"
			cs := cases
			if opts.ContextTakeover {
				name = role + "/takeover"
				if !full {
					cs = small
				}
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				var su suite
				if role == "client" && opts.ContextTakeover {
					su.want = declinedWithTakeover
				}
				start := time.Now()
				t.Run("cases", func(t *testing.T) {
					if role == "server" {
						su.server(t, startEchoServer(t, &ws.AcceptOptions{Compression: &opts}), cs)
					} else {
						su.client(t, cs, &ws.DialOptions{Compression: &opts})
					}
				})
				note := ""
				if len(cs) < len(cases) {
					note = fmt.Sprintf(" (sizes up to %d bytes; %s=1 runs all)", slowDeflate, fullEnv)
				}
				su.report(t, fmt.Sprintf("compression conformance of the ws %s with %+v%s", role, opts, note), start)
			})
		}
	}
}

// declinedWithTakeover: a client that does not offer
// client_no_context_takeover cannot be accepted by 13.2, 13.5 and 13.6,
// whose accept functions all request it (Autobahn's accept2, accept5,
// accept6 require the offer to allow it).
func declinedWithTakeover(c Case) (Verdict, string) {
	for _, sub := range []string{"13.2.", "13.5.", "13.6."} {
		if strings.HasPrefix(c.ID, sub) {
			return Unimplemented, "the offer lacks client_no_context_takeover, which every accept preference of " + sub[:4] + " requests"
		}
	}
	return "", ""
}
