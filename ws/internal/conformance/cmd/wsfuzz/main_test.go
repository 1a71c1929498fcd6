package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

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

// startServer serves ws.Accept with opts and an echo loop on a loopback
// port until the test ends, and returns its address.
func startServer(t *testing.T, opts *ws.AcceptOptions) string {
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
		handlers.Wait()
	})
	return ln.Addr().String()
}

// TestServerModeCompression runs compression cases: UNIMPLEMENTED against
// a server without compression, OK against one with it.
func TestServerModeCompression(t *testing.T) {
	for _, tc := range []struct {
		opts *ws.AcceptOptions
		want string
		row  string
	}{
		{&ws.AcceptOptions{Compression: &ws.CompressionOptions{}}, "3 cases, 0 did not pass", `server\s+13\s+2\s+2\s`},
		{nil, "3 cases, 3 did not pass", `server\s+13\s+2\s+0\s+0\s+0\s+2\s`},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"-server", "ws://" + startServer(t, tc.opts) + "/", "-cases", "12.2.2,13.3.1,13.7.3"}, &out, &errOut)
		if (err == nil) != (tc.opts != nil) {
			t.Errorf("compression %v: run returned %v\n%s%s", tc.opts != nil, err, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), tc.want) || !regexp.MustCompile(tc.row).MatchString(out.String()) {
			t.Errorf("compression %v: output lacks %q or a row %s:\n%s", tc.opts != nil, tc.want, tc.row, out.String())
		}
	}
}

func TestServerMode(t *testing.T) {
	addr := startServer(t, nil)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-server", "ws://" + addr + "/", "-cases", "1.1.*,2.2,6.4.1"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"server 1.1.8", "server 6.4.1", "10 cases, 0 did not pass"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`server\s+1\s+8\s+8\s`).MatchString(out.String()) {
		t.Errorf("no table row for group 1 with 8 of 8 OK:\n%s", out.String())
	}
}

// lines passes what is written to it on, a line at a time.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case l.ch <- line:
		default: // nobody listens for more
		}
	}
}

func TestClientMode(t *testing.T) {
	clientMode(t, "1.1.1,2.1,5.19", 3, nil)
}

// TestClientModeCompression serves compression cases to a ws client that
// offers permessage-deflate.
func TestClientModeCompression(t *testing.T) {
	clientMode(t, "12.3.2,13.2.1,13.5.3", 3, &ws.DialOptions{Compression: &ws.CompressionOptions{}})
}

// clientMode serves the cases to n connections of ws.Dial with opts, one
// after the other, and expects every case to pass.
func clientMode(t *testing.T, cases string, n int, opts *ws.DialOptions) {
	out := &lines{ch: make(chan string, 100)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-client-addr", "127.0.0.1:0", "-cases", cases}, out, out)
	}()
	var url string
	for url == "" {
		select {
		case line := <-out.ch:
			if m := regexp.MustCompile(`ws://\S+/`).FindString(line); m != "" {
				url = m
			}
		case err := <-done:
			t.Fatalf("run ended before serving: %v", err)
		case <-ctx.Done():
			t.Fatal("no URL printed")
		}
	}
	for i := range n { // one connection per case; the server picks the next
		c, _, err := ws.Dial(ctx, url, opts)
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		err = echo(ctx, c)
		c.CloseNow()
		if ws.CloseStatus(err) != ws.StatusNormalClosure {
			t.Errorf("connection %d ended with %v, want a normal closure", i+1, err)
		}
	}
	var tail []string
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			for len(out.ch) > 0 {
				tail = append(tail, <-out.ch)
			}
			all := strings.Join(tail, "")
			if want := fmt.Sprintf("%d cases, 0 did not pass", n); !strings.Contains(all, want) {
				t.Errorf("summary lacks %q:\n%s", want, all)
			}
			return
		case line := <-out.ch:
			tail = append(tail, line)
		case <-ctx.Done():
			t.Fatal("run did not end after every case ran")
		}
	}
}
