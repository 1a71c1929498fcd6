//go:build linux

package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/testcert"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// TestTLSFlags serves a scene with -tls-cert and -tls-key: the URL is
// https, the page loads for a client that trusts the certificate, the
// scene's websocket (wss) delivers a keyframe, and a client that does not
// trust the certificate is refused.
func TestTLSFlags(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := testcert.Write(t)
	p := startVizserve(t, "-addr", "127.0.0.1:0", "-tls-cert", certFile, "-tls-key", keyFile, copyScene(t))
	if !strings.HasPrefix(p.url, "https://127.0.0.1:") {
		t.Fatalf("URL %q, want https on 127.0.0.1", p.url)
	}
	p.running()
	trusting := &tls.Config{RootCAs: pool}

	if status, body := extest.GetTLS(t, p.url, trusting); status != http.StatusOK || !strings.Contains(body, "<title>vizserve") {
		t.Fatalf("GET %s: %d\n%.300s", p.url, status, body)
	}

	ctx, cancel := deadline.Context(t)
	defer cancel()
	wss := extest.WSURL(strings.TrimSuffix(p.url, "/")) + "/ws"
	opts := &ws.DialOptions{TLSConfig: trusting, Subprotocols: []string{wire.Subprotocol}}
	c, _, err := ws.Dial(ctx, wss, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", wss, err)
	}
	defer c.CloseNow()
	typ, msg, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := wire.DecodeBatch(msg); typ != ws.MessageBinary || err != nil || !b.IsKeyframe() {
		t.Fatalf("first message over wss: type %v, %v; want a keyframe", typ, err)
	}
	if err := c.Close(ws.StatusNormalClosure, ""); err != nil {
		t.Errorf("close: %v", err)
	}

	_, _, err = ws.Dial(ctx, wss, &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) {
		t.Errorf("dial without trusting the certificate: %v, want an unknown-authority error", err)
	}
	p.interrupt()
	p.checkClean()
}

// TestOpenFlag: -open hands the page's URL to the system's opener
// (xdg-open here; a stand-in on PATH writes its argument to a pipe).
func TestOpenFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "opened")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" > \"$VIZSERVE_TEST_OPENED\"\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		data, _ := os.ReadFile(fifo) // blocks until the stand-in writes
		got <- strings.TrimSpace(string(data))
	}()
	t.Cleanup(func() {
		// Unblock the reader if the stand-in never ran.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	env := []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"), "VIZSERVE_TEST_OPENED=" + fifo}
	p := startVizserveEnv(t, env, "-open", "-addr", "127.0.0.1:0", copyScene(t))
	select {
	case u := <-got:
		if u != p.url {
			t.Errorf("the opener got %q, want the printed URL %q", u, p.url)
		}
	case <-deadline.After(t):
		t.Fatal("-open did not run the opener")
	}
	p.running()
	p.interrupt()
	p.checkClean()
}
