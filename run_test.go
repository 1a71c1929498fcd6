package vizserve

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/server"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// DefaultAddr is the server's default: the root package cannot take it
// from package server, which a scene built for the front does not link.
func TestDefaultAddr(t *testing.T) {
	if DefaultAddr != server.DefaultAddr {
		t.Fatalf("vizserve.DefaultAddr %q, server.DefaultAddr %q", DefaultAddr, server.DefaultAddr)
	}
}

func TestListenAddr(t *testing.T) {
	t.Setenv("VIZSERVE_ADDR", "")
	if got := listenAddr(&Options{}); got != DefaultAddr {
		t.Fatalf("default %q", got)
	}
	t.Setenv("VIZSERVE_ADDR", "127.0.0.1:9999")
	if got := listenAddr(&Options{}); got != "127.0.0.1:9999" {
		t.Fatalf("env %q", got)
	}
	if addrFlag != nil {
		*addrFlag = "127.0.0.1:7777"
		defer func() { *addrFlag = "" }()
		if got := listenAddr(&Options{}); got != "127.0.0.1:7777" {
			t.Fatalf("flag over env: %q", got)
		}
	}
	if got := listenAddr(&Options{Addr: "127.0.0.1:1"}); got != "127.0.0.1:1" {
		t.Fatalf("options first: %q", got)
	}
}

// TestServe runs a scene the way `go run` of a scene program does, and
// fetches its page.
func TestServe(t *testing.T) {
	s := scene.New(scene.Options{Width: 10, Height: 10})
	s.Root().Circle(5, 5, 2, `id="dot"`)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, s, &Options{Addr: "127.0.0.1:0", Title: "dot"}, w)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "vizserve: live at "))
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q", line)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
