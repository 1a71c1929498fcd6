//go:build linux

package dev

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
)

// EnvReloadBench names the environment variable that runs the reload
// benchmark with that many edits of each kind:
//
//	VIZSERVE_RELOAD_BENCH=12 go test -run TestReloadLatency -v ./internal/dev/
//
// It measures, in headless Chromium, the time from writing a file to the
// page showing the change: a Go edit (rebuild, new child, keyframe) and a
// stylesheet edit (bundle, asset op, the browser loading the new sheet).
// docs/benchmarks.md ("live reload") reports it.
const EnvReloadBench = "VIZSERVE_RELOAD_BENCH"

// EnvReloadBenchGoBuild set to 1 makes every rebuild of the benchmark a go
// build, for comparison.
const EnvReloadBenchGoBuild = "VIZSERVE_RELOAD_BENCH_GOBUILD"

// EnvReloadBenchNoEarly set to 1 makes every build wait for the watcher's
// quiet period, as before builds started on its early report.
const EnvReloadBenchNoEarly = "VIZSERVE_RELOAD_BENCH_NOEARLY"

// The page records when the label's text changes and when a restyled
// sheet has loaded, in wall-clock milliseconds (performance.timeOrigin
// plus performance.now()), comparable with the test's time.Now().
const benchProbe = `(() => {
  window.vzSeen = {};
  const now = () => performance.timeOrigin + performance.now();
  new MutationObserver(() => {
    const l = document.getElementById("label");
    if (l && !(l.textContent in window.vzSeen)) window.vzSeen[l.textContent] = now();
  }).observe(document.getElementById("vz-view") || document.body, {subtree: true, childList: true, characterData: true});
  window.vzSheets = {};
  document.addEventListener("load", (e) => {
    const t = now(), el = e.target;
    if (el.localName !== "link") return;
    const fill = getComputedStyle(document.getElementById("label")).fill;
    if (!(fill in window.vzSheets)) window.vzSheets[fill] = t;
  }, true);
  return true;
})()`

func TestReloadLatency(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(EnvReloadBench))
	if n <= 0 {
		t.Skip("set " + EnvReloadBench + "=N to measure N reloads of each kind")
	}
	dir := copyScene(t, "counter")
	file := filepath.Join(dir, "main.go")
	css := filepath.Join(dir, "style.css")
	write(t, css, "#label { fill: rgb(0, 0, 0); }\n")
	// Set before the dev loop starts, which reads them.
	if os.Getenv(EnvReloadBenchGoBuild) == "1" {
		fastBuilds = false
		t.Cleanup(func() { fastBuilds = true }) // after the dev loop has stopped
	}
	if os.Getenv(EnvReloadBenchNoEarly) == "1" {
		earlyBuilds = false
		t.Cleanup(func() { earlyBuilds = true })
	}
	notes := make(chan Note, 256)
	s := start(t, file, func(c *Config) {
		c.Notify = func(n Note) {
			select {
			case notes <- n:
			default:
			}
		}
	})
	b := browser.ForTest(t)
	ctx, cancel := deadline.Context(t)
	defer cancel()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	waitNote := func(k NoteKind) Note {
		t.Helper()
		for {
			select {
			case n := <-notes:
				if n.Kind == k {
					return n
				}
				if n.Kind == NoteBuildFailed || n.Kind == NoteExited {
					t.Fatalf("%s", n.Text)
				}
			case <-deadline.After(t):
				t.Fatalf("no note %d", k)
			}
		}
	}
	waitNote(NoteSwapped)
	must(p.Navigate(ctx, s.url))
	must(p.WaitFor(ctx, `document.getElementById("label")?.textContent === "v1"`))
	must(p.Eval(ctx, benchProbe, nil))

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	type goRow struct{ total, debounce, build, compile, link, start, keyframe, page float64 }
	var goRows []goRow
	fast, early := 0, 0
	// Two warm-up edits fill the build cache for this scene; then n
	// measured ones.
	for i := 2; i < n+4; i++ {
		old, new := fmt.Sprintf(`const version = "v%d"`, i-1), fmt.Sprintf(`const version = "v%d"`, i)
		data, err := os.ReadFile(file)
		must(err)
		wrote := time.Now()
		must(os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
		nt := waitNote(NoteSwapped)
		cond := fmt.Sprintf(`"v%d" in window.vzSeen`, i)
		must(p.WaitFor(ctx, cond))
		var seen float64
		must(p.Eval(ctx, fmt.Sprintf(`window.vzSeen["v%d"]`, i), &seen))
		dom := time.UnixMicro(int64(seen * 1000))
		if i < 4 {
			continue
		}
		if nt.Fast {
			fast++
		}
		if nt.Early {
			early++
		}
		goRows = append(goRows, goRow{
			total:    ms(dom.Sub(wrote)),
			debounce: ms(nt.Debounced.Sub(wrote)),
			build:    ms(nt.Build),
			compile:  ms(nt.Compile),
			link:     ms(nt.Link),
			start:    ms(nt.Hello.Sub(nt.Spawned)),
			keyframe: ms(nt.Keyframe.Sub(nt.Hello)),
			page:     ms(dom.Sub(nt.Keyframe)),
		})
	}

	var cssRows []float64
	for i := 1; i <= n+1; i++ {
		fill := fmt.Sprintf("rgb(%d, 0, 0)", i)
		wrote := time.Now()
		write(t, css, "#label { fill: "+fill+"; }\n")
		must(p.WaitFor(ctx, fmt.Sprintf(`%q in window.vzSheets`, fill)))
		var seen float64
		must(p.Eval(ctx, fmt.Sprintf(`window.vzSheets[%q]`, fill), &seen))
		if i == 1 {
			continue // warm-up
		}
		cssRows = append(cssRows, ms(time.UnixMicro(int64(seen*1000)).Sub(wrote)))
	}
	must(p.Err())

	col := func(f func(goRow) float64) []float64 {
		var v []float64
		for _, r := range goRows {
			v = append(v, f(r))
		}
		return v
	}
	t.Logf("Go edit, %d edits, %d built by compile and link, the rest by go build; %d builds started on the early report, before the debounce ended (ms):", len(goRows), fast, early)
	t.Logf("%-28s %8s %8s", "", "p50", "p90")
	for _, c := range []struct {
		name string
		v    []float64
	}{
		{"write → changed DOM", col(func(r goRow) float64 { return r.total })},
		{"  write → debounced", col(func(r goRow) float64 { return r.debounce })},
		{"  build", col(func(r goRow) float64 { return r.build })},
		{"    compile (fast builds)", col(func(r goRow) float64 { return r.compile })},
		{"    link (fast builds)", col(func(r goRow) float64 { return r.link })},
		{"  child start → hello", col(func(r goRow) float64 { return r.start })},
		{"  hello → first keyframe", col(func(r goRow) float64 { return r.keyframe })},
		{"  keyframe → DOM", col(func(r goRow) float64 { return r.page })},
	} {
		t.Logf("%-28s %8.1f %8.1f", c.name, pct(c.v, 50), pct(c.v, 90))
	}
	t.Logf("CSS edit, %d edits (ms): write → restyled: p50 %.1f, p90 %.1f", len(cssRows), pct(cssRows, 50), pct(cssRows, 90))
}

// pct returns the p-th percentile (nearest rank).
func pct(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}
