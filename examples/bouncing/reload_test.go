package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/internal/testkit/peers"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// TestLiveReloadKeepsTheBalls runs the example under `vizserve`, as
// `vizserve ./examples/bouncing` does (on a copy, which the test
// then edits), and watches it as a viewer. The edit makes the new code
// start with 7 balls and draw a marker; after the swap the marker shows
// (the new code runs) over the 50 balls of the old one (its state came
// along).
func TestLiveReloadKeepsTheBalls(t *testing.T) {
	if testing.Short() {
		t.Skip("builds vizserve and the scene twice; not with -short")
	}
	t.Parallel()
	bin := e2e.Build(t, "github.com/vizserve/vizserve/cmd/vizserve")
	dir := t.TempDir()
	for _, name := range []string{"scene.go", "main.go"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", dir)
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir(), "GOPROXY=off")
	p := peers.Run(t, cmd)
	ctx, cancel := deadline.Context(t) // it spans two builds of the scene
	defer cancel()
	url := ""
	for url == "" {
		line, err := p.Line(ctx)
		if err != nil {
			t.Fatalf("vizserve printed no URL: %v", err)
		}
		if rest, ok := strings.CutPrefix(line, "vizserve: open "); ok {
			url = strings.Fields(rest)[0]
		}
	}

	c, _, err := ws.Dial(ctx, "ws"+strings.TrimPrefix(strings.TrimSuffix(url, "/"), "http")+"/ws", &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	d := scenetest.NewDOM()
	// next applies batches until the scene's markup satisfies cond.
	next := func(what string, cond func(markup string) bool) string {
		t.Helper()
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", what, err)
			}
			seq, err := d.ApplyMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			ack, _ := (&wire.Event{Kind: wire.Ack, Seq: seq}).MarshalBinary()
			if err := c.Write(ctx, ws.MessageBinary, ack); err != nil {
				t.Fatal(err)
			}
			if markup := d.SVG(); d.Ready() && cond(markup) {
				return markup
			}
		}
	}
	balls := func(markup string) int { return strings.Count(markup, `id="ball-`) }
	next("the first version's 50 balls", func(markup string) bool { return balls(markup) == 50 })

	mainFile := filepath.Join(dir, "main.go")
	data, err := os.ReadFile(mainFile)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), `flag.Int("n", 50,`, `flag.Int("n", 7,`, 1)
	edited = strings.Replace(edited, "\terr := vizserve.Run(", "\tw.s.Root().Text(10, 20, \"v2\", `id=\"v2\"`)\n\terr := vizserve.Run(", 1)
	if edited == string(data) || !strings.Contains(edited, `"n", 7,`) || !strings.Contains(edited, `id="v2"`) {
		t.Fatal("main.go is not what the test expects")
	}
	if err := os.WriteFile(mainFile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	markup := next("the second version", func(markup string) bool { return strings.Contains(markup, `id="v2"`) })
	if n := balls(markup); n != 50 {
		t.Fatalf("the new version shows %d balls, want the old version's 50", n)
	}
	c.Close(ws.StatusNormalClosure, "")

	if err := syscall.Kill(p.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("vizserve after SIGINT: %v", err)
	}
}
