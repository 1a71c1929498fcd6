package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const patience = extest.Patience

func TestCountTogether(t *testing.T) {
	t.Parallel()
	srv := start(t, "-role", "server", "-games", "1", "-v")
	out := new(extest.Output)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := run(ctx, []string{"-role", "client", "-url", srv.wsURL(), "-v"}, out); err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	if err := srv.Wait(t); err != nil {
		t.Fatalf("server: %v\n%s", err, srv.Out)
	}
	if !strings.Contains(out.String(), "count: reached 10\n") {
		t.Errorf("the client did not report reaching 10:\n%s", out)
	}
	if !strings.Contains(srv.Out.String(), "count: 1 games played, 0 failed") {
		t.Errorf("the server did not report the game:\n%s", srv.Out)
	}
	// Each side heard the other's numbers and said its own, in order.
	for _, tc := range []struct {
		side   string
		out    string
		heard  []int
		saying []int
	}{
		{"server", srv.Out.String(), []int{2, 4, 6, 8, 10}, []int{1, 3, 5, 7, 9}},
		{"client", out.String(), []int{1, 3, 5, 7, 9}, []int{2, 4, 6, 8, 10}},
	} {
		t.Run(tc.side, func(t *testing.T) {
			if got := numbers(tc.out, "heard"); fmt.Sprint(got) != fmt.Sprint(tc.heard) {
				t.Errorf("heard %v, want %v", got, tc.heard)
			}
			if got := numbers(tc.out, "saying"); fmt.Sprint(got) != fmt.Sprint(tc.saying) {
				t.Errorf("said %v, want %v", got, tc.saying)
			}
		})
	}
	// -v shows the websocket's own debug lines too.
	if !strings.Contains(out.String(), "ws: close received") {
		t.Errorf("no websocket debug lines in the client's output:\n%s", out)
	}
}

// numbers returns the numbers of the debug lines "count: <verb> n=N".
func numbers(out, verb string) []int {
	var ns []int
	for _, m := range regexp.MustCompile(`DEBUG count: `+verb+` .*n=(\d+)`).FindAllStringSubmatch(out, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		ns = append(ns, n)
	}
	return ns
}

// A client that says a wrong number, or something that is not a number,
// gets a close with 1002 and the reason, and the server reports the game
// as failed.
func TestCheatingClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		typ    ws.MessageType
		msg    []byte
		reason string
	}{
		{"wrong number", ws.MessageBinary, []byte{3}, "expected 2, got 3"},
		{"two bytes", ws.MessageBinary, []byte{2, 0}, "expected 2, got 2 bytes"},
		{"text", ws.MessageText, []byte("2"), "expected 2, got a text message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, "-role", "server", "-games", "1")
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			c, _, err := ws.Dial(ctx, srv.wsURL(), &ws.DialOptions{Subprotocols: []string{Subprotocol}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if typ, msg, err := c.Read(ctx); err != nil || typ != ws.MessageBinary || string(msg) != "\x01" {
				t.Fatalf("first message: %v %q %v", typ, msg, err)
			}
			if err := c.Write(ctx, tc.typ, tc.msg); err != nil {
				t.Fatal(err)
			}
			_, _, err = c.Read(ctx)
			var ce ws.CloseError
			if !asClose(err, &ce) || ce.Code != ws.StatusProtocolError || ce.Reason != tc.reason {
				t.Fatalf("after cheating: %v, want a close with 1002 and reason %q", err, tc.reason)
			}
			err = srv.Wait(t)
			if err == nil || !strings.Contains(err.Error(), "broke the rules: "+tc.reason) {
				t.Fatalf("server: %v", err)
			}
			if !strings.Contains(srv.Out.String(), "count: 1 games played, 1 failed") {
				t.Errorf("server output:\n%s", srv.Out)
			}
		})
	}
}

// The client checks the server's numbers with the same function.
func TestCheatingServer(t *testing.T) {
	t.Parallel()
	closed := make(chan error, 1)
	s := server.New(server.Config{Addr: "127.0.0.1:0", Logger: quietLogger()})
	s.HandleWS("/", server.Endpoint{Subprotocols: []string{Subprotocol}, Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
		c.Write(ctx, ws.MessageBinary, []byte{1})
		c.Read(ctx) // 2
		c.Write(ctx, ws.MessageBinary, []byte{4})
		_, _, err := c.Read(ctx)
		closed <- err
	}})
	extest.Serve(t, s)
	out := new(extest.Output)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	err := run(ctx, []string{"-role", "client", "-url", extest.WSURL(s.URL()) + "/"}, out)
	if err == nil || !strings.Contains(err.Error(), "broke the rules: expected 3, got 4") {
		t.Fatalf("client: %v\n%s", err, out)
	}
	var ce ws.CloseError
	if err := <-closed; !asClose(err, &ce) || ce.Code != ws.StatusProtocolError || ce.Reason != "expected 3, got 4" {
		t.Fatalf("the cheating server saw %v, want a close with 1002", err)
	}
	if !strings.Contains(out.String(), "count: reached 2\n") {
		t.Errorf("client output:\n%s", out)
	}
}

func TestSubprotocolIsRequired(t *testing.T) {
	t.Parallel()
	t.Run("server refuses a client without it", func(t *testing.T) {
		t.Parallel()
		srv := start(t, "-role", "server")
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		_, resp, err := ws.Dial(ctx, srv.wsURL(), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%v %v, want 400", resp, err)
		}
	})
	t.Run("client refuses a server without it", func(t *testing.T) {
		t.Parallel()
		s := server.New(server.Config{Addr: "127.0.0.1:0", Logger: quietLogger()})
		s.HandleWS("/", server.Endpoint{Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) { c.Read(ctx) }})
		extest.Serve(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		err := run(ctx, []string{"-role", "client", "-url", extest.WSURL(s.URL()) + "/"}, new(extest.Output))
		if err == nil || !strings.Contains(err.Error(), `does not speak the "count" subprotocol`) {
			t.Fatalf("client: %v", err)
		}
	})
}

func TestFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-role", "referee"}, {"-nope"}} {
		if err := run(context.Background(), args, new(extest.Output)); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	srv := start(t, "-role", "server")
	status, body := extest.Get(t, srv.url+"/")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, w := range []string{`new WebSocket(wsuri, "count")`, `binaryType = "arraybuffer"`, "const closeCodes", "readyStates", "wasClean"} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func asClose(err error, ce *ws.CloseError) bool { return errors.As(err, ce) }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// example is a run of the program; url is its URL, the name
// browser_test.go uses.
type example struct {
	*extest.Example
	url string
}

// start runs the program with [extest.Start]. When the test ends it stops
// the program if it still runs, and leaves run's error to the test (see
// [extest.Example.Wait]): a server that saw a game fail returns that, and
// browser_test.go cheats on purpose.
func start(t *testing.T, args ...string) *example {
	t.Helper()
	ex := extest.Start(t, run, args...)
	t.Cleanup(func() { ex.Stop(t) })
	return &example{ex, ex.URL}
}

func (ex *example) wsURL() string { return extest.WSURL(ex.url) + "/" }
