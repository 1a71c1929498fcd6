package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// build compiles a command of this repository into dir.
func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// TestEchoAndEchoClient runs both programs as outside tools would: the echo
// server with and without -compress against our client, and the echo
// client against a server that checks its echoes and closes.
func TestEchoAndEchoClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	echo := build(t, dir, "github.com/vizserve/vizserve/examples/echo")
	client := build(t, dir, "github.com/vizserve/vizserve/examples/echoclient")

	for _, compress := range []bool{false, true} {
		args := []string{"-addr", "127.0.0.1:0"}
		if compress {
			args = append(args, "-compress")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, echo, args...)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		url := strings.TrimSpace(strings.TrimPrefix(line, "echo: serving "))
		var dopts *ws.DialOptions
		if compress {
			dopts = &ws.DialOptions{Compression: &ws.CompressionOptions{ContextTakeover: true}}
		}
		c, resp, err := ws.Dial(ctx, url+"any/path", dopts)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != compress {
			t.Fatalf("-compress=%v, extension negotiated: %v", compress, got)
		}
		for _, m := range []struct {
			typ ws.MessageType
			p   []byte
		}{{ws.MessageText, []byte("hello")}, {ws.MessageBinary, bytes.Repeat([]byte{1, 2, 3}, 50000)}} {
			c.Write(ctx, m.typ, m.p)
			typ, got, err := c.Read(ctx)
			if err != nil || typ != m.typ || !bytes.Equal(got, m.p) {
				t.Fatalf("echo: %v %d bytes %v", typ, len(got), err)
			}
		}
		c.Close(ws.StatusNormalClosure, "")
		cancel()
		cmd.Wait()
	}

	// The client echoes until the server closes, then exits 0.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Accept(w, r, &ws.AcceptOptions{Compression: &ws.CompressionOptions{}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for i := 0; i < 10; i++ {
			msg := bytes.Repeat([]byte{byte(i)}, i*1000)
			c.Write(ctx, ws.MessageBinary, msg)
			if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
				c.Close(ws.StatusProtocolError, "wrong echo")
				return
			}
		}
		c.Close(ws.StatusNormalClosure, "done")
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	for _, args := range [][]string{{url}, {"-compress", url}} {
		out, err := exec.Command(client, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("echoclient %v: %v\n%s", args, err, out)
		}
	}
}
