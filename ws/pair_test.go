package ws

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// startServer serves handler on a loopback port and returns its ws:// URL.
// The server and every connection it accepted are closed when the test
// ends.
func startServer(t testing.TB, handler func(c *Conn, r *http.Request), opts *AcceptOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		handler(c, r)
	})}
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return "ws://" + ln.Addr().String()
}

// pair returns a connected client and server, the server side running
// serverSide in its handler goroutine until it returns.
func pair(t testing.TB, serverSide func(c *Conn), aopts *AcceptOptions, dopts *DialOptions) *Conn {
	t.Helper()
	handlerDone := make(chan struct{})
	url := startServer(t, func(c *Conn, r *http.Request) {
		defer close(handlerDone)
		serverSide(c)
	}, aopts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := Dial(ctx, url, dopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.CloseNow()
		select {
		case <-handlerDone:
		case <-time.After(10 * time.Second):
			t.Error("server handler did not return")
		}
	})
	return c
}

func echoLoop(c *Conn) {
	ctx := context.Background()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

func TestEchoSmoke(t *testing.T) {
	c := pair(t, echoLoop, nil, nil)
	ctx := context.Background()
	for _, n := range []int{0, 1, 125, 126, 127, 128, 65535, 65536, 1 << 20} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte('a' + i%26)
		}
		for _, typ := range []MessageType{MessageText, MessageBinary} {
			if err := c.Write(ctx, typ, msg); err != nil {
				t.Fatal(err)
			}
			gt, got, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if gt != typ || string(got) != string(msg) {
				t.Fatalf("size %d %v: got %v of %d bytes", n, typ, gt, len(got))
			}
		}
	}
	if err := c.Close(StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	if c.State() != StateClosed {
		t.Fatalf("state %v after Close", c.State())
	}
}
