package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHostAllowed(t *testing.T) {
	t.Parallel()
	allowed := []string{"sim.lan", "Box.Example:8000"}
	for host, want := range map[string]bool{
		"":                     true,
		"localhost":            true,
		"localhost:8000":       true,
		"LOCALHOST.:8000":      true,
		"app.localhost:8000":   true,
		"127.0.0.1:8000":       true,
		"127.9.9.9":            true,
		"[::1]:8000":           true,
		"[::1]":                true,
		"sim.lan:9999":         true,
		"box.example":          true,
		"rebind.example:8000":  false,
		"localhost.example":    false,
		"evil-localhost":       false,
		"10.0.0.1:8000":        false,
		"[::2]:8000":           false,
		"127.0.0.1.nip.io":     false,
		"0.0.0.0:8000":         false,
		"[::ffff:8.8.8.8]:800": false,
	} {
		if got := hostAllowed(host, allowed); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

// rawRequest sends a GET with the given Host and extra header lines on a
// fresh connection and returns the status line and body.
func rawRequest(t *testing.T, s *Server, host, extra string) (status, body string) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n", host, extra)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status, string(b)
}

// A loopback server without tokens answers pages and websockets only under
// names of this machine: a DNS-rebinding page, whose requests carry its
// own name in Host (and Origin), gets 421 with the reason.
func TestHostCheckAgainstRebinding(t *testing.T) {
	t.Parallel()
	page := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the page") }
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, AllowedHosts: []string{"sim.lan"}})
	s.Handle("/ws", http.HandlerFunc(page))
	s.HandleWS("/ws", Endpoint{Handler: echo})
	start(t, s)
	port := fmt.Sprint(s.Addr().(*net.TCPAddr).Port)
	upgrade := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	for _, tc := range []struct {
		host, extra, want string
	}{
		{"rebind.example:" + port, "", "421"},
		{"rebind.example:" + port, upgrade + "Origin: http://rebind.example:" + port + "\r\n", "421"},
		{"127.0.0.1:" + port, "", "200"},
		{"localhost:" + port, "", "200"},
		{"sim.lan:" + port, "", "200"},
		{"127.0.0.1:" + port, upgrade + "Origin: http://127.0.0.1:" + port + "\r\n", "101"},
	} {
		status, body := rawRequest(t, s, tc.host, tc.extra)
		if !strings.HasPrefix(status, tc.want) {
			t.Errorf("Host %s (websocket %v): %s %q, want %s", tc.host, tc.extra != "", status, body, tc.want)
		}
		if tc.want == "421" && !strings.Contains(body, "DNS rebinding") {
			t.Errorf("Host %s: the refusal does not say why: %q", tc.host, body)
		}
	}

	// With tokens, the token is the gate: any name is answered.
	tk := NewTokens(nil)
	st := New(Config{Addr: "127.0.0.1:0", Logger: quiet, Tokens: tk})
	st.Handle("/ws", http.HandlerFunc(page))
	start(t, st)
	tok := tk.Mint("/", time.Hour)
	c, err := net.Dial("tcp", st.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /ws?%s=%s HTTP/1.1\r\nHost: vizserve.example\r\nConnection: close\r\n\r\n", TokenParam, tok)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("tokens mode, another Host: %s, want 200", resp.Status)
	}
}

// hostAllowed never panics, and what it allows names this machine: a
// localhost name, a loopback address, or a configured name.
func FuzzHostAllowed(f *testing.F) {
	for _, s := range []string{"localhost:8000", "[::1]:80", "127.0.0.1", "rebind.example:8000", "sim.lan", "[::ffff:127.0.0.1]", "LOCALHOST.", "a.localhost", "[", "]:", "::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !hostAllowed(host, []string{"sim.lan"}) {
			return
		}
		name := hostName(host)
		ip := net.ParseIP(name)
		if !(name == "" || name == "localhost" || strings.HasSuffix(name, ".localhost") || name == "sim.lan" || (ip != nil && ip.IsLoopback())) {
			t.Fatalf("hostAllowed(%q) with name %q", host, name)
		}
	})
}
