//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
)

// TestBrowserLiveReload is the dev loop as a person lives it, in headless
// Chromium: the page stays loaded (a variable set in it survives) while
// Go edits swap the scene, a bad edit shows the compiler's message over the
// still-running sim, a crash shows the panic, a stylesheet edit changes the
// page without touching the sim, and Ctrl-C leaves nothing behind.
func TestBrowserLiveReload(t *testing.T) {
	file := copyScene(t)
	dir := filepath.Dir(file)
	css := filepath.Join(dir, "style.css")
	if err := os.WriteFile(css, []byte("#label { fill: rgb(255, 0, 0); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startVizserve(t, "-addr", "127.0.0.1:0", file)
	b := browser.ForTest(t) // closed before vizserve: cleanups run last in, first out
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
	p.running()
	must(pg.Navigate(ctx, p.url))
	must(pg.WaitFor(ctx, `document.getElementById("label")?.textContent === "v1"`))
	must(pg.Eval(ctx, `window.vzMarker = 42`, nil))
	ticks := func() int {
		t.Helper()
		var s string
		must(pg.Eval(ctx, `document.getElementById("ticks").textContent`, &s))
		n, _ := strconv.Atoi(s)
		return n
	}
	stillLoaded := func() {
		t.Helper()
		var m int
		must(pg.Eval(ctx, `window.vzMarker ?? 0`, &m))
		if m != 42 {
			t.Fatal("the page was reloaded")
		}
	}
	ticking := func() {
		t.Helper()
		n := ticks()
		must(pg.WaitFor(ctx, `+document.getElementById("ticks").textContent > `+strconv.Itoa(n+3)))
	}
	const overlayShows = `(() => { const o = document.getElementById("vz-overlay"); return !!o && !o.hidden && o.textContent.includes(%q) })()`
	const overlayGone = `(() => { const o = document.getElementById("vz-overlay"); return !o || o.hidden || o.textContent === "" })()`
	fill := `getComputedStyle(document.getElementById("label")).fill`

	// The scene's own stylesheet is on the page.
	must(pg.WaitFor(ctx, fill+` === "rgb(255, 0, 0)"`))

	// A Go edit: new code, same page.
	edit(t, file, `const version = "v1"`, `const version = "v2"`)
	p.running()
	must(pg.WaitFor(ctx, `document.getElementById("label")?.textContent === "v2"`))
	stillLoaded()
	ticking()

	// A stylesheet edit: the page restyles, the sim goes on.
	before := ticks()
	edit(t, css, "rgb(255, 0, 0)", "rgb(0, 0, 255)")
	must(pg.WaitFor(ctx, fill+` === "rgb(0, 0, 255)"`))
	stillLoaded()
	if after := ticks(); after < before {
		t.Errorf("ticks went from %d to %d across a stylesheet edit: the sim restarted", before, after)
	}

	// A bad edit: the compiler's message over the page, the old sim
	// still running; the fix clears it.
	edit(t, file, `const version = "v2"`, `const version = v3undefined`)
	must(pg.WaitFor(ctx, sprintf(overlayShows, "undefined: v3undefined")))
	must(pg.WaitFor(ctx, sprintf(overlayShows, "scene.go:")))
	ticking()
	edit(t, file, `const version = v3undefined`, `const version = "v3"`)
	p.running()
	must(pg.WaitFor(ctx, `document.getElementById("label")?.textContent === "v3"`))
	must(pg.WaitFor(ctx, overlayGone))
	stillLoaded()

	// A crash: its output in the overlay; the next save restarts it.
	edit(t, file, "\t_ = label\n", "\t_ = label\n\tgo func() { panic(\"boom from the scene\") }()\n")
	must(pg.WaitFor(ctx, sprintf(overlayShows, "boom from the scene")))
	edit(t, file, `go func() { panic("boom from the scene") }()`, `label.SetText("v4")`)
	must(pg.WaitFor(ctx, `document.getElementById("label")?.textContent === "v4"`))
	must(pg.WaitFor(ctx, overlayGone))
	ticking()
	stillLoaded()
	must(pg.Err())

	must(b.Close())
	p.interrupt()
	p.checkClean()
}
