//go:build linux

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/record"
	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// writeRecording records 2 s of a scene whose label counts its frames
// and whose dot moves across, at 60 Hz of a fake clock.
func writeRecording(t *testing.T, path string) {
	t.Helper()
	s := scene.New(scene.Options{Width: 400, Height: 200})
	label := s.Root().Text(10, 30, "frame 0", `id="label"`)
	dot := s.Root().Circle(20, 100, 12, `id="dot"`, "fill:#c62828")
	frame := 0
	s.OnTick(func(float64) {
		frame++
		label.SetText("frame " + strconv.Itoa(frame))
		dot.SetXY(20+float64(frame)*3, 100)
	})
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1.7e9, 0)
	w := record.NewWriter(f, &record.Options{Title: "dot", Now: func() time.Time { return now }})
	unsub := s.Subscribe(wire.SinkFunc(w.Send))
	for range 120 {
		s.Advance(1.0 / 60)
		now = now.Add(time.Second / 60)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	unsub()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserReplay serves a recording with vizserve replay and opens the
// normal page in Chromium: it plays, and a seek through /replay shows the
// frame of that time. VIZSERVE_REPLAY_SHOT=file.png keeps a screenshot.
func TestBrowserReplay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dot.vzr")
	writeRecording(t, file)
	p := startVizserve(t, "replay", "-addr", "127.0.0.1:0", file)
	b := browser.ForTest(t)
	ctx, cancel := deadline.Context(t)
	defer cancel()
	pg, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\nvizserve output:\n%s", err, p.p.Output())
		}
	}
	must(pg.SetViewport(ctx, 640, 400))
	must(pg.Navigate(ctx, p.url))
	// It plays: the label counts up to the last frame, where it stops.
	must(pg.WaitFor(ctx, `document.getElementById("label")?.textContent === "frame 120"`))
	control := func(q string) {
		t.Helper()
		resp, err := http.Post(p.url+"replay?"+q, "", nil)
		must(err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /replay?%s: %s", q, resp.Status)
		}
	}
	control("pause")
	control("seek=1s")
	// The frame the recording holds at 1 s.
	f, err := record.OpenFile(file)
	must(err)
	defer f.Close()
	m, err := f.Seek(time.Second)
	must(err)
	label, _ := m.ByID("label")
	dot, _ := m.ByID("dot")
	wantCX, _ := dot.Attr("cx")
	must(pg.WaitFor(ctx, fmt.Sprintf(`document.getElementById("label")?.textContent === %q`, label.Text)))
	var cx string
	must(pg.Eval(ctx, `document.getElementById("dot").getAttribute("cx")`, &cx))
	if label.Text == "frame 120" || cx != wantCX {
		t.Fatalf("at 1 s the label says %q and the dot is at cx=%s; want cx=%s", label.Text, cx, wantCX)
	}
	if out := os.Getenv("VIZSERVE_REPLAY_SHOT"); out != "" {
		must(pg.Eval(ctx, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil))
		shot, err := pg.Screenshot(ctx)
		must(err)
		must(os.WriteFile(out, shot, 0o644))
	}
	must(pg.Err())
	must(b.Close())
	p.interrupt()
}
