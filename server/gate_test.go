package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// dialFrom opens a TCP connection to addr from the loopback address from
// (127.0.0.0/8 is all loopback on Linux, so each is a distinct client
// address to the server).
func dialFrom(t testing.TB, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// clientFrom is an HTTP client whose connections come from the loopback
// address from.
func clientFrom(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// openFDs counts this process's open file descriptors, or -1 where
// /proc/self/fd does not exist.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// closedByPeer reports whether the server closed c: a read returns EOF
// (or a reset) rather than timing out.
func closedByPeer(c net.Conn, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// Silent sockets are counted and capped when accepted, not when a request
// arrives: one address that opens three times its cap holds no more than
// the cap (the newest replace the oldest), the server closes the rest at
// once, and other addresses, and the same one, are still served.
func TestCapsActAtAccept(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs all of 127.0.0.0/8 on loopback, as on Linux")
	}
	t.Parallel()
	const perIP, total, silent = 50, 60, 150
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, RateLimit: -1,
		MaxConnsPerIP: perIP, MaxConns: total, FirstRequestTimeout: time.Hour})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	start(t, s)
	addr := s.Addr().String()

	fds := openFDs()
	conns := make([]net.Conn, silent)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.1", addr)
	}
	// Every socket was accepted (the last one is the newest waiting), and
	// the server holds the cap's worth.
	eventually(t, "the newest silent socket counted", func() bool { return s.Stats().Conns == perIP })
	closed := 0
	for _, c := range conns[:silent-perIP] {
		if closedByPeer(c, 5*time.Second) {
			closed++
		}
	}
	if closed != silent-perIP {
		t.Fatalf("the server closed %d of the %d oldest silent sockets, want all", closed, silent-perIP)
	}
	for i, c := range conns[silent-perIP:] {
		if closedByPeer(c, time.Millisecond) {
			t.Fatalf("the server closed silent socket %d of the newest %d", i, perIP)
		}
	}
	if fds >= 0 {
		// This process holds both ends: silent client sockets, and the
		// server's ends of the ones it kept.
		got := openFDs() - fds
		t.Logf("%d silent sockets from one address: the server holds %d, %d more file descriptors in this process", silent, s.Stats().Conns, got)
		if got > silent+perIP+10 {
			t.Errorf("%d more file descriptors for %d client sockets: the server holds more than its cap of %d", got, silent, perIP)
		}
	}

	// Other addresses are served, up to the total cap and past it: a
	// request takes the place of the oldest silent socket.
	for range total - perIP {
		dialFrom(t, "127.0.0.3", addr)
	}
	eventually(t, "the total cap reached", func() bool { return s.Stats().Conns == total })
	for _, from := range []string{"127.0.0.2", "127.0.0.1"} {
		client := clientFrom(from)
		resp, body := get(t, client, s.URL())
		client.CloseIdleConnections()
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("a request from %s with %d silent sockets open: %d %q", from, total, resp.StatusCode, body)
		}
	}
}

// Over a cap with no connection waiting for a request, a new connection is
// refused at once; the first few are told why.
func TestCapRefusesWhenNothingWaits(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, RateLimit: -1, MaxConnsPerIP: 1})
	block := make(chan struct{})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { <-block })
	start(t, s)
	busy := dialFrom(t, "127.0.0.1", s.Addr().String())
	fmt.Fprintf(busy, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", s.Addr())
	defer close(block)
	eventually(t, "the first request in progress", func() bool {
		s.gate.mu.Lock()
		defer s.gate.mu.Unlock()
		return s.gate.waiting.Len() == 0 && s.Stats().Conns == 1
	})
	resp, body := get(t, nil, s.URL())
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(body, "limit per address") {
		t.Fatalf("over the cap: %d %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if s.Stats().Refused == 0 {
		t.Fatal("refusal not counted")
	}
}

// A connection that sends nothing is closed after the first-request
// budget, while one that sends its request in time is served.
func TestFirstRequestTimeout(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, FirstRequestTimeout: 200 * time.Millisecond})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	start(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	silent := dialFrom(t, "127.0.0.1", s.Addr().String())
	dl, _ := ctx.Deadline()
	started := time.Now()
	if !closedByPeer(silent, time.Until(dl)) {
		t.Fatal("a silent connection was not closed")
	}
	t.Logf("silent connection closed after %v", time.Since(started).Round(time.Millisecond))
	eventually(t, "the silent connection uncounted", func() bool { return s.Stats().Conns == 0 })
	if resp, body := get(t, nil, s.URL()); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("a prompt request: %d %q", resp.StatusCode, body)
	}
}
