//go:build linux

package main

import (
	"encoding/json"
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

// TestBrowserPlayer drives the page's player of a replay in Chromium:
// the badge says replay; a seek through the timeline (the range input)
// shows what record.Reader's Seek says the recording holds then; the
// keys step a frame on and back, change the speed and play; loop starts
// again at the end. VIZSERVE_PLAYER_SHOT=file.png keeps a screenshot of
// the player paused at 1 s.
func TestBrowserPlayer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dot.vzr")
	writeRecording(t, file)
	f, err := record.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
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
	waitLabel := func(text string) {
		t.Helper()
		must(pg.WaitFor(ctx, fmt.Sprintf(`document.getElementById("label")?.textContent === %q`, text)))
	}
	state := func() record.PlayerState {
		t.Helper()
		resp, err := http.Get(p.url + "replay")
		must(err)
		defer resp.Body.Close()
		var st record.PlayerState
		must(json.NewDecoder(resp.Body).Decode(&st))
		return st
	}
	clock := func(d time.Duration) string {
		cs := d.Round(10*time.Millisecond).Milliseconds() / 10
		return fmt.Sprintf("%d:%05.2f", cs/6000, float64(cs%6000)/100)
	}
	must(pg.SetViewport(ctx, 720, 420))
	must(pg.Navigate(ctx, p.url))
	must(pg.WaitFor(ctx, `document.querySelector("#vz-run[data-replay] input[type=range][aria-label=timeline]") !== null`))
	must(pg.WaitFor(ctx, `document.getElementById("vz-status").textContent === "replay"`))
	waitLabel("frame 120") // it plays to the end and pauses there
	must(pg.WaitFor(ctx, `document.querySelector("[data-run=play]").getAttribute("aria-label") === "Play"`))

	// Seek through the timeline, as a drag of it ends.
	must(pg.Eval(ctx, `(() => { const r = document.querySelector("[data-run=timeline]");
		r.value = "1"; r.dispatchEvent(new Event("input", {bubbles: true})); r.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, nil))
	m, err := f.Seek(time.Second)
	must(err)
	label, _ := m.ByID("label")
	dot, _ := m.ByID("dot")
	wantCX, _ := dot.Attr("cx")
	waitLabel(label.Text)
	var cx string
	must(pg.Eval(ctx, `document.getElementById("dot").getAttribute("cx")`, &cx))
	if label.Text == "frame 120" || cx != wantCX {
		t.Fatalf("sought to 1 s, the label says %q and the dot is at cx=%s; want cx=%s", label.Text, cx, wantCX)
	}
	if st := state(); st.T != time.Second || st.Playing {
		t.Fatalf("sought to 1 s, the player's state is %+v", st)
	}
	wantTime := clock(time.Second) + " / " + clock(f.Duration())
	must(pg.WaitFor(ctx, fmt.Sprintf(`document.querySelector("[data-run=time]").textContent === %q`, wantTime)))
	if out := os.Getenv("VIZSERVE_PLAYER_SHOT"); out != "" {
		must(pg.Eval(ctx, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil))
		shot, err := pg.Screenshot(ctx)
		must(err)
		must(os.WriteFile(out, shot, 0o644))
	}

	// Keys: "." a frame on, "," a frame back.
	var n int
	if _, err := fmt.Sscanf(label.Text, "frame %d", &n); err != nil {
		t.Fatal(err)
	}
	must(pg.Press(ctx, ".", 0))
	waitLabel(fmt.Sprintf("frame %d", n+1))
	must(pg.Press(ctx, ",", 0))
	must(pg.Press(ctx, ",", 0))
	waitLabel(fmt.Sprintf("frame %d", n-1))
	if st := state(); st.Playing {
		t.Fatalf("stepped, the player plays: %+v", st)
	}
	// "]" and "[" change the speed.
	must(pg.Press(ctx, "]", 0))
	must(pg.WaitFor(ctx, `document.querySelector("[data-run=speed]").textContent === "2×"`))
	must(pg.Press(ctx, "]", 0))
	must(pg.WaitFor(ctx, `document.querySelector("[data-run=speed]").textContent === "4×"`))
	must(pg.Press(ctx, "[", 0))
	must(pg.WaitFor(ctx, `document.querySelector("[data-run=speed]").textContent === "2×"`))
	if st := state(); st.Speed != 2 {
		t.Fatalf("at 2×, the player's state is %+v", st)
	}
	// Space plays, at 2×, to the end.
	must(pg.Press(ctx, " ", 0))
	waitLabel("frame 120")
	must(pg.WaitFor(ctx, `document.querySelector("[data-run=play]").getAttribute("aria-label") === "Play"`))

	// Loop on, played: it passes the end and starts again.
	must(pg.Eval(ctx, `(() => {
		const seen = window.vzLoop = {max: 0, wrapped: false};
		new MutationObserver(() => {
			const n = +(document.getElementById("label")?.textContent ?? "").split(" ")[1];
			if (n < seen.max - 30) seen.wrapped = true;
			seen.max = Math.max(seen.max, n);
		}).observe(document.getElementById("vz-view"), {subtree: true, childList: true, characterData: true});
		document.querySelector("[data-run=loop]").click();
		return true })()`, nil))
	must(pg.WaitFor(ctx, `document.querySelector("[data-run=loop]").getAttribute("aria-pressed") === "true"`))
	must(pg.Eval(ctx, `document.querySelector("[data-run=timeline]").blur(), true`, nil))
	must(pg.Press(ctx, " ", 0))
	must(pg.WaitFor(ctx, `window.vzLoop.max >= 100 && window.vzLoop.wrapped`))
	if st := state(); !st.Loop || !st.Playing {
		t.Fatalf("looping, the player's state is %+v", st)
	}
	must(pg.Err())
	must(b.Close())
	p.interrupt()
}
