package e2e

// Benchmarks of live scenes end to end: one sim fanned out to many viewers
// in another process, and headless Chromium drawing moving elements and
// answering input. Results and how to rerun them: docs/benchmarks.md,
// section "scene". They are benchmarks of a whole system over seconds, so
// each reports its own metrics; run them with -benchtime 1x.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/clientjs"
	"github.com/vizserve/vizserve/internal/testkit/peers"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/server"
)

// Environment variables that change the benchmarks' sizes, for
// experiments; the defaults are what docs/benchmarks.md reports.
const (
	envFanoutViewers  = "VIZSERVE_FANOUT_VIEWERS"  // default 100
	envFanoutElements = "VIZSERVE_FANOUT_ELEMENTS" // default 1000
	envFanoutDuration = "VIZSERVE_FANOUT_DURATION" // default 10s
	envBrowserWindow  = "VIZSERVE_BROWSER_WINDOW"  // default 5s: how long a frame rate is measured
	envEventSamples   = "VIZSERVE_EVENT_SAMPLES"   // default 100
	envBrowserRounds  = "VIZSERVE_BROWSER_ROUNDS"  // default 3: client and ceiling, one after the other
)

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a positive duration", name, v)
	}
	return d
}

// logMachine records what the numbers were measured on: a shared machine
// makes them noisy, and the load says how noisy.
func logMachine(b *testing.B) {
	b.Helper()
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("machine: %d CPUs, %s %s/%s, load average %s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(load)))
}

// cpuTime is the user + system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// movers is a scene of n dots on a grid, every one of which moves on a
// small circle at every tick, and, with clock, a text element holding the
// time the frame was made (time.Now().UnixNano()).
type movers struct {
	s     *scene.Scene
	layer *scene.Node // the group of the dots
	dots  []*scene.Node
	cx    []float64
	cy    []float64
	clock *scene.Node
	ticks atomic.Int64
	phase float64
	// frozen stops the moves (the ticks go on), so that the page's own
	// script can move the dots: the ceiling of BenchmarkBrowserFrameRate.
	frozen atomic.Bool
}

const moversW, moversH = 1000.0, 700.0

func newMovers(n int, clock bool) *movers {
	m := &movers{s: scene.New(scene.Options{Width: moversW, Height: moversH})}
	root := m.s.Root()
	root.Rect(0, 0, moversW, moversH, `id="bg"`, "fill:#fff")
	step := math.Sqrt(moversW * moversH / float64(n))
	cols := int(math.Max(1, math.Floor(moversW/step)))
	layer := root.Group(`id="dots"`)
	m.layer = layer
	for i := range n {
		x := step/2 + float64(i%cols)*step
		y := step/2 + float64(i/cols)*step
		m.cx = append(m.cx, x)
		m.cy = append(m.cy, y)
		m.dots = append(m.dots, layer.Circle(x, y, math.Max(1, step*0.3), fmt.Sprintf("fill:hsl(%d,70%%,45%%)", i*7%360)))
	}
	if clock {
		m.clock = root.Text(4, moversH-4, "0", `id="clock"`, "font:10px monospace")
	}
	m.s.OnTick(func(dt float64) {
		if m.frozen.Load() {
			m.ticks.Add(1)
			return
		}
		m.phase += 2 * math.Pi * dt
		r := math.Max(1, step*0.2)
		for i, d := range m.dots {
			a := m.phase + float64(i)*0.1
			d.SetXY(m.cx[i]+r*math.Cos(a), m.cy[i]+r*math.Sin(a))
		}
		if m.clock != nil {
			m.clock.SetText(strconv.FormatInt(time.Now().UnixNano(), 10))
		}
		m.ticks.Add(1)
	})
	return m
}

// fanoutLine is one line of the fanout program's output.
type fanoutLine struct {
	Event string `json:"event"`
	Report
}

// Report mirrors the fanout program's final line.
type Report struct {
	Viewers     int      `json:"viewers"`
	Seconds     float64  `json:"seconds"`
	Batches     int64    `json:"batches"`
	Bytes       int64    `json:"bytes"`
	Ops         int64    `json:"ops"`
	Keyframes   int64    `json:"keyframes"`
	Samples     int      `json:"samples"`
	P50         float64  `json:"p50_ms"`
	P90         float64  `json:"p90_ms"`
	P99         float64  `json:"p99_ms"`
	Max         float64  `json:"max_ms"`
	Mean        float64  `json:"mean_ms"`
	Errors      int      `json:"errors"`
	FirstErrors []string `json:"first_errors"`
}

// BenchmarkFanout: one sim at 60 Hz moving 1,000 elements per tick, fanned
// out by the hub to 100 websocket viewers in another process
// (cmd/fanout), which decode and ack every batch. It reports the latency
// from the tick to a viewer's decode (p50, p99, max), this process's CPU
// time (the server's: sim, hub, websockets), the bytes of an update, the
// updates each viewer got per second and the ticks the sim made.
func BenchmarkFanout(b *testing.B) {
	viewers := envInt(b, envFanoutViewers, 100)
	elements := envInt(b, envFanoutElements, 1000)
	window := envDuration(b, envFanoutDuration, 10*time.Second)
	logMachine(b)
	bin := Build(b, "github.com/vizserve/vizserve/internal/testkit/e2e/cmd/fanout")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		fanoutOnce(b, bin, viewers, elements, window)
	}
}

// fanoutOnce runs one measurement of BenchmarkFanout and reports it.
func fanoutOnce(b *testing.B, bin string, viewers, elements int, window time.Duration) {
	m := newMovers(elements, true)
	ctx, cancel := context.WithCancel(context.Background())
	simDone := make(chan error, 1)
	go func() { simDone <- m.s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-simDone; err != nil {
			b.Error(err)
		}
	}()
	site, err := Mount(m.s, "127.0.0.1:0", &server.Config{
		RateLimit:     -1,
		MaxConnsPerIP: viewers + 10,
		MaxConns:      viewers + 10,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer site.Close()
	cmd := exec.Command(bin, "-url", site.WSURL(), "-n", strconv.Itoa(viewers), "-clock-id", "clock",
		"-warmup", "2s", "-duration", window.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr peers.Tail
	stderr.Max = 16 << 10
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	started := time.Now()
	waited := false
	defer func() {
		if !waited { // the benchmark failed before Wait
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	lines := bufio.NewScanner(out)
	var (
		cpu0, cpu1     time.Duration
		ticks0, ticks1 int64
		mal0, mal1     uint64
		hub0, hub1     server.HubStats
		rep            Report
	)
	for lines.Scan() {
		var l fanoutLine
		if err := json.Unmarshal(lines.Bytes(), &l); err != nil {
			b.Fatalf("fanout said %q: %v", lines.Text(), err)
		}
		switch l.Event {
		case "measuring":
			cpu0, ticks0, mal0, hub0 = cpuTime(), m.ticks.Load(), mallocs(), site.Hub.Stats()
		case "end":
			cpu1, ticks1, mal1, hub1 = cpuTime(), m.ticks.Load(), mallocs(), site.Hub.Stats()
		case "done":
			rep = l.Report
		}
	}
	werr := cmd.Wait()
	waited = true
	if werr != nil || rep.Errors > 0 || rep.Seconds == 0 {
		b.Fatalf("fanout: %v, %d errors %q\n%s", werr, rep.Errors, rep.FirstErrors, stderr.String())
	}
	ticks := float64(ticks1 - ticks0)
	cpu := (cpu1 - cpu0).Seconds()
	b.ReportMetric(rep.P50, "p50-ms")
	b.ReportMetric(rep.P99, "p99-ms")
	b.ReportMetric(rep.Max, "max-ms")
	b.ReportMetric(100*cpu/rep.Seconds, "srv-cpu-%")
	b.ReportMetric(1e3*cpu/ticks, "srv-cpu-ms/tick")
	b.ReportMetric(float64(mal1-mal0)/ticks, "srv-allocs/tick")
	b.ReportMetric(float64(rep.Bytes)/float64(rep.Batches), "B/update")
	b.ReportMetric(float64(rep.Batches)/float64(rep.Viewers)/rep.Seconds, "updates/s/viewer")
	b.ReportMetric(ticks/rep.Seconds, "ticks/s")
	clientCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	b.Logf("%d viewers, %d elements: %d batches (%d keyframes) in %.1f s, %d latency samples, mean %.2f ms, p90 %.2f ms; hub wrote %d batches, %d bytes; the viewers' process used %.1f s of CPU in its %.1f s",
		rep.Viewers, elements, rep.Batches, rep.Keyframes, rep.Seconds, rep.Samples, rep.Mean, rep.P90,
		hub1.Batches-hub0.Batches, hub1.Bytes-hub0.Bytes, clientCPU.Seconds(), time.Since(started).Seconds())
}

// BenchmarkBrowserFrameRate: headless Chromium showing n elements that all
// move at every tick of a 60 Hz sim. It reports the page's frame rate
// (animation frames per second, browser.Page.FrameRate), the batches it
// applied per second (each carries all the moves since the one before)
// and the sim's ticks per second; and, from the browser's long animation
// frame entries (frames over 50 ms), where such a frame's main-thread time
// went: tasks before the frame (decoding messages), animation frame
// callbacks (applying batches) and style, layout and paint.
func BenchmarkBrowserFrameRate(b *testing.B) {
	window := envDuration(b, envBrowserWindow, 5*time.Second)
	logMachine(b)
	br := browserForBench(b)
	for _, n := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprintf("elements=%d", n), func(b *testing.B) {
			m := newMovers(n, false)
			site := serveForBench(b, m.s)
			p := openForBench(b, br, site.URL+"/")
			measureFrames(b, p, window, func() int64 { return m.ticks.Load() })
		})
	}
}

// BenchmarkBrowserFrameRatePlainJS is the ceiling of the one above: the
// same page (the server's markup, the page's CSS, the client connected
// and live, with its listeners and observers), but the sim does not move
// the dots; a few lines of JavaScript move them in every animation frame
// as the client would: the same positions, rounded to float32 and
// formatted by the client's own fmtNum, set with setAttribute.
func BenchmarkBrowserFrameRatePlainJS(b *testing.B) {
	window := envDuration(b, envBrowserWindow, 5*time.Second)
	logMachine(b)
	br := browserForBench(b)
	for _, n := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprintf("elements=%d", n), func(b *testing.B) {
			m := newMovers(n, false)
			m.frozen.Store(true)
			site := serveForBench(b, m.s)
			p := openCeiling(b, br, site.URL+"/", n)
			defer closePage(b, p)
			measureFrames(b, p, window, nil)
		})
	}
}

// BenchmarkBrowserFrameRateVsCeiling measures the client and its ceiling
// (the two benchmarks above) one after the other, in rounds, on the same
// server, and reports their frame rates and the client's share of the
// ceiling's, each round a fresh page. ratio-% compares the painted
// frames that moved the dots (moves/s; fps counts every animation frame,
// and a client frame with nothing to apply costs nothing). Per painted
// frame with moves it reports the bytes the client received (and
// decoded) and the main-thread JavaScript time of either page (DevTools'
// ScriptDuration).
func BenchmarkBrowserFrameRateVsCeiling(b *testing.B) {
	window := envDuration(b, envBrowserWindow, 5*time.Second)
	rounds := envInt(b, envBrowserRounds, 3)
	logMachine(b)
	br := browserForBench(b)
	for _, n := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprintf("elements=%d", n), func(b *testing.B) {
			m := newMovers(n, false)
			site := serveForBench(b, m.s)
			var client, ceiling pageFrames
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N * rounds {
				m.frozen.Store(false)
				p := Open(b, br, site.URL+"/")
				c := framesOf(b, p, window, func() uint64 { return site.Hub.Stats().Bytes })
				closePage(b, p)
				client.add(c)

				m.frozen.Store(true)
				p = openCeiling(b, br, site.URL+"/", n)
				ceiling.add(framesOf(b, p, window, nil))
				closePage(b, p)
				b.Logf("round: client %.1f fps (%.1f with moves), ceiling %.1f fps (%.1f)", c.fps(), c.ups(), ceiling.last.fps(), ceiling.last.ups())
			}
			b.StopTimer()
			b.ReportMetric(client.fps(), "fps")
			b.ReportMetric(ceiling.fps(), "ceiling-fps")
			b.ReportMetric(client.ups(), "moves/s")
			b.ReportMetric(ceiling.ups(), "ceiling-moves/s")
			b.ReportMetric(100*client.ups()/ceiling.ups(), "ratio-%")
			b.ReportMetric(client.bytes/client.updates/1e3, "KB/frame")
			b.ReportMetric(1e3*client.script/client.updates, "js-ms/frame")
			b.ReportMetric(1e3*ceiling.script/ceiling.updates, "ceiling-js-ms/frame")
		})
	}
}

// pageFrames sums what framesOf measured over rounds.
type pageFrames struct {
	frames, updates, seconds, script, bytes float64
	last                                    *pageFrames
}

func (f *pageFrames) fps() float64 { return f.frames / f.seconds }

// ups is the rate of painted frames that moved the dots.
func (f *pageFrames) ups() float64 { return f.updates / f.seconds }

func (f *pageFrames) add(g pageFrames) {
	f.frames += g.frames
	f.updates += g.updates
	f.seconds += g.seconds
	f.script += g.script
	f.bytes += g.bytes
	f.last = &g
}

// framesOf lets p settle for a second, then counts its animation frames,
// its JavaScript time and, if sent is not nil, the bytes sent to it over
// window.
func framesOf(b *testing.B, p *browser.Page, window time.Duration, sent func() uint64) pageFrames {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*window+Patience)
	defer cancel()
	if _, err := p.FrameRate(ctx, time.Second); err != nil {
		b.Fatal(err)
	}
	if err := p.Eval(ctx, updateProbe, nil); err != nil {
		b.Fatal(err)
	}
	var u0, u1 float64
	if err := p.Eval(ctx, `updates.n`, &u0); err != nil {
		b.Fatal(err)
	}
	m0, err := p.Metrics(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var sent0, sent1 uint64
	if sent != nil {
		sent0 = sent()
	}
	t0 := time.Now()
	fps, err := p.FrameRate(ctx, window)
	if err != nil {
		b.Fatal(err)
	}
	el := time.Since(t0).Seconds()
	if sent != nil {
		sent1 = sent()
	}
	m1, err := p.Metrics(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Eval(ctx, `updates.n`, &u1); err != nil {
		b.Fatal(err)
	}
	if err := p.Err(); err != nil {
		b.Fatal(err)
	}
	return pageFrames{frames: fps * el, updates: u1 - u0, seconds: el, script: m1["ScriptDuration"] - m0["ScriptDuration"], bytes: float64(sent1 - sent0)}
}

func closePage(b *testing.B, p *browser.Page) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

// updateProbe counts, in updates.n, the animation frames in which the
// first dot moved: the frames that painted a move. A client frame that
// applies nothing is cheap, so frames per second alone would flatter it.
// Both pages get the probe, so both have the same observer.
const updateProbe = `(() => {
	if (window.updates) return true;
	window.updates = { n: 0 };
	let moved = false;
	new MutationObserver(() => { moved = true; }).observe(document.querySelector("#dots > circle"), { attributes: true });
	const f = () => { if (moved) { moved = false; updates.n++; } requestAnimationFrame(f); };
	requestAnimationFrame(f);
	return true;
})()`

// openCeiling opens the live page of url, whose sim does not move its n
// dots, and starts ceilingJS in it. The caller closes the page.
func openCeiling(b *testing.B, br *browser.Browser, url string, n int) *browser.Page {
	b.Helper()
	fmtJS, err := clientjs.FmtNum()
	if err != nil {
		b.Fatal(err)
	}
	p := Open(b, br, url)
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	if err := p.Eval(ctx, fmtJS+fmt.Sprintf(ceilingJS, n, moversW, moversH), nil); err != nil {
		b.Fatal(err)
	}
	return p
}

// ceilingJS moves the n dots of newMovers as its OnTick does, from the
// page's clock instead of the sim's.
const ceilingJS = `(() => {
const n = %d, W = %g, H = %g;
const step = Math.sqrt(W * H / n), cols = Math.max(1, Math.floor(W / step)), r = Math.max(1, step * 0.2);
const dots = Array.from(document.querySelectorAll("#dots > circle")), cx = [], cy = [];
if (dots.length !== n) throw new Error("ceiling: " + dots.length + " dots, want " + n);
for (let i = 0; i < n; i++) {
  cx.push(step / 2 + (i %% cols) * step);
  cy.push(step / 2 + Math.floor(i / cols) * step);
}
const frame = t => {
  const phase = 2 * Math.PI * t / 1000;
  for (let i = 0; i < n; i++) {
    const a = phase + i * 0.1, d = dots[i];
    d.setAttribute("cx", fmtNum(Math.fround(cx[i] + r * Math.cos(a))));
    d.setAttribute("cy", fmtNum(Math.fround(cy[i] + r * Math.sin(a))));
  }
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
return true;
})()`

// loafProbe records the page's long animation frames.
const loafProbe = `(() => {
	window.loaf = [];
	new PerformanceObserver(l => {
		for (const e of l.getEntries()) loaf.push({Start: e.startTime, Dur: e.duration, Render: e.renderStart, Layout: e.styleAndLayoutStart});
	}).observe({ type: "long-animation-frame" });
	return performance.now();
})()`

// measureFrames measures p's frame rate and applied batches over window
// (b.N times) and reports them, with the sim's ticks per second if ticks
// is not nil, and the breakdown of the long animation frames.
func measureFrames(b *testing.B, p *browser.Page, window time.Duration, ticks func() int64) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(b.N+2)*window*3+Patience)
	defer cancel()
	// Let the page settle into its rhythm first.
	if _, err := p.FrameRate(ctx, time.Second); err != nil {
		b.Fatal(err)
	}
	var from float64
	if err := p.Eval(ctx, loafProbe, &from); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var fps, applied, tps float64
	for range b.N {
		var seq0, seq1 int64
		if err := p.Eval(ctx, `vizserve.seq`, &seq0); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		var ticks0 int64
		if ticks != nil {
			ticks0 = ticks()
		}
		f, err := p.FrameRate(ctx, window)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Eval(ctx, `vizserve.seq`, &seq1); err != nil {
			b.Fatal(err)
		}
		el := time.Since(t0).Seconds()
		fps += f
		applied += float64(seq1-seq0) / el
		if ticks != nil {
			tps += float64(ticks()-ticks0) / el
		}
	}
	b.StopTimer()
	b.ReportMetric(fps/float64(b.N), "fps")
	b.ReportMetric(applied/float64(b.N), "batches/s")
	if ticks != nil {
		b.ReportMetric(tps/float64(b.N), "ticks/s")
	}
	var frames []struct{ Start, Dur, Render, Layout float64 }
	if err := p.Eval(ctx, `loaf`, &frames); err != nil {
		b.Fatal(err)
	}
	if len(frames) > 0 {
		var tasks, raf, layout, dur []float64
		for _, f := range frames {
			if f.Render <= 0 || f.Layout <= 0 {
				continue
			}
			tasks = append(tasks, f.Render-f.Start)
			raf = append(raf, f.Layout-f.Render)
			layout = append(layout, f.Start+f.Dur-f.Layout)
			dur = append(dur, f.Dur)
		}
		if len(dur) > 0 {
			b.Logf("%d long animation frames (over 50 ms; median %.0f ms): median main-thread time in tasks before the frame %.1f ms, animation frame callbacks %.1f ms, style+layout+paint %.1f ms",
				len(dur), median(dur), median(tasks), median(raf), median(layout))
		}
	}
	if err := p.Err(); err != nil {
		b.Fatal(err)
	}
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// eventProbe is installed in the page: for every pointerdown it records,
// against the event's timeStamp, when the target's change was applied to
// the DOM (a MutationObserver), when the frame holding it had been
// rendered (a task posted from there runs after the frame's rendering
// steps) and when the next animation frame began; and, as Unix times in
// ms, when the event happened and when its answer was applied, to compare
// with the times the Go side records (one machine, one clock).
const eventProbe = `(() => {
	window.probe = [];
	let t0 = -1;
	document.addEventListener("pointerdown", e => { t0 = e.timeStamp }, { capture: true });
	new MutationObserver(() => {
		if (t0 < 0) return;
		const start = t0, now = performance.now();
		t0 = -1;
		const s = { Applied: now - start, Painted: 0, NextFrame: 0,
			EventUnix: performance.timeOrigin + start, AppliedUnix: performance.timeOrigin + now };
		const ch = new MessageChannel();
		ch.port1.onmessage = () => { s.Painted = performance.now() - start; };
		ch.port2.postMessage(0);
		requestAnimationFrame(() => { s.NextFrame = performance.now() - start; window.probe.push(s); });
	}).observe(document.getElementById("target"), { attributes: true, attributeFilter: ["fill"] });
	return true;
})()`

// BenchmarkBrowserEventToPixel: the time from a mouse press in headless
// Chromium to the scene's answer being on screen: the press goes to the
// sim over the websocket, its handler changes the target's fill, the
// batch comes back and the client applies it in an animation frame.
// Reported in ms, median and 95th percentile, to the DOM change
// (applied), to the end of the frame's rendering (painted) and to the
// next animation frame; and the median of each stage: the event's way to
// the Go handler, the wait for the sim's next frame to send the batch,
// and the batch's way into the page's DOM. "idle" is a scene where
// nothing else changes; "moving=1000" moves 1,000 elements at every tick
// meanwhile.
func BenchmarkBrowserEventToPixel(b *testing.B) {
	samples := envInt(b, envEventSamples, 100)
	logMachine(b)
	br := browserForBench(b)
	for _, moving := range []int{0, 1000} {
		name := "idle"
		if moving > 0 {
			name = fmt.Sprintf("moving=%d", moving)
		}
		b.Run(name, func(b *testing.B) {
			m := newMovers(moving, false)
			target := m.s.Root().Rect(20, 20, 120, 120, `id="target"`, `fill="#888"`)
			on := false
			// handled and flushed belong to the sim goroutine.
			var handled, flushed []time.Time
			target.OnPointerDown(func(scene.Pointer) {
				handled = append(handled, time.Now())
				on = !on
				target.Set("fill", map[bool]string{true: "#c62828", false: "#888"}[on])
			})
			h := target.Handle()
			m.s.Subscribe(wire.SinkFunc(func(bt *wire.Batch) bool {
				if bt.IsKeyframe() {
					return true
				}
				for _, op := range bt.Ops {
					if op.Code == wire.OpSetAttr && op.Node == h && op.Name == "fill" {
						flushed = append(flushed, time.Now())
					}
				}
				return true
			}))
			site := serveForBench(b, m.s)
			p := openForBench(b, br, site.URL+"/")
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(b.N*samples)*time.Second+Patience)
			defer cancel()
			if err := p.Eval(ctx, eventProbe, nil); err != nil {
				b.Fatal(err)
			}
			x, y, err := p.Center(ctx, "#target")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			type sample struct{ Applied, Painted, NextFrame, EventUnix, AppliedUnix float64 }
			var all []sample
			for range b.N {
				for i := range samples {
					for _, typ := range []string{"mousePressed", "mouseReleased"} {
						if err := p.Mouse(ctx, browser.MouseEvent{Type: typ, X: x, Y: y, Button: "left", ClickCount: 1}); err != nil {
							b.Fatal(err)
						}
					}
					if err := p.WaitFor(ctx, fmt.Sprintf(`probe.length >= %d && probe[%d].Painted > 0`, i+1, i)); err != nil {
						b.Fatal(err)
					}
				}
				var got []sample
				if err := p.Eval(ctx, `probe.splice(0)`, &got); err != nil {
					b.Fatal(err)
				}
				all = append(all, got...)
			}
			b.StopTimer()
			type stamps struct{ handled, flushed []time.Time }
			st := Sim(b, m.s, func() stamps { return stamps{slices.Clone(handled), slices.Clone(flushed)} })
			if len(st.handled) != len(all) || len(st.flushed) != len(all) {
				b.Fatalf("%d samples in the page, %d presses handled and %d batches sent in Go", len(all), len(st.handled), len(st.flushed))
			}
			pick := func(f func(i int) float64) []float64 {
				v := make([]float64, len(all))
				for i := range all {
					v[i] = f(i)
				}
				slices.Sort(v)
				return v
			}
			q := func(v []float64, p float64) float64 { return v[int(p*float64(len(v)-1))] }
			unixMS := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }
			applied := pick(func(i int) float64 { return all[i].Applied })
			painted := pick(func(i int) float64 { return all[i].Painted })
			next := pick(func(i int) float64 { return all[i].NextFrame })
			toSim := pick(func(i int) float64 { return unixMS(st.handled[i]) - all[i].EventUnix })
			tickWait := pick(func(i int) float64 { return unixMS(st.flushed[i]) - unixMS(st.handled[i]) })
			toDOM := pick(func(i int) float64 { return all[i].AppliedUnix - unixMS(st.flushed[i]) })
			b.ReportMetric(q(applied, 0.5), "applied-p50-ms")
			b.ReportMetric(q(applied, 0.95), "applied-p95-ms")
			b.ReportMetric(q(painted, 0.5), "painted-p50-ms")
			b.ReportMetric(q(painted, 0.95), "painted-p95-ms")
			b.ReportMetric(q(next, 0.5), "nextframe-p50-ms")
			b.ReportMetric(q(next, 0.95), "nextframe-p95-ms")
			b.Logf("%d samples; max: applied %.1f ms, painted %.1f ms; stages, median (p95): event to Go handler %.1f (%.1f) ms, handler to batch sent %.1f (%.1f) ms, batch sent to DOM %.1f (%.1f) ms",
				len(all), q(applied, 1), q(painted, 1), q(toSim, 0.5), q(toSim, 0.95), q(tickWait, 0.5), q(tickWait, 0.95), q(toDOM, 0.5), q(toDOM, 0.95))
			if err := p.Err(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// browserForBench launches Chromium for the benchmark and its
// sub-benchmarks.
func browserForBench(b *testing.B) *browser.Browser {
	b.Helper()
	return browser.ForTest(b)
}

// serveForBench runs and serves s until the (sub-)benchmark ends.
func serveForBench(b *testing.B, s *scene.Scene) *Site {
	b.Helper()
	return Serve(b, s)
}

// openForBench opens a live page of url, at the default viewport size.
func openForBench(b *testing.B, br *browser.Browser, url string) *browser.Page {
	b.Helper()
	p := Open(b, br, url)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Patience)
		defer cancel()
		p.Close(ctx)
	})
	return p
}

// BenchmarkBrowserFrameRateCanvas compares, for each n, three pages
// one after the other (so -count interleaves them): the movers scene with
// its dots as SVG elements ("svg", BenchmarkBrowserFrameRate's page), the
// same scene with the dots' group marked Canvas ("canvas"), and the
// ceiling of the canvas: the same circles drawn by a few lines of
// JavaScript on a 2D canvas in every animation frame ("plain-canvas"), no
// websocket, no vizserve.
func BenchmarkBrowserFrameRateCanvas(b *testing.B) {
	window := envDuration(b, envBrowserWindow, 5*time.Second)
	logMachine(b)
	br := browserForBench(b)
	for _, n := range []int{5000, 20000, 50000} {
		b.Run(fmt.Sprintf("elements=%d/svg", n), func(b *testing.B) {
			m := newMovers(n, false)
			site := serveForBench(b, m.s)
			p := openForBench(b, br, site.URL+"/")
			measureFrames(b, p, window, func() int64 { return m.ticks.Load() })
		})
		b.Run(fmt.Sprintf("elements=%d/canvas", n), func(b *testing.B) {
			m := newMovers(n, false)
			m.layer.Canvas()
			site := serveForBench(b, m.s)
			p := openForBench(b, br, site.URL+"/")
			ctx, cancel := context.WithTimeout(context.Background(), Patience)
			defer cancel()
			if err := p.WaitFor(ctx, "vizserve.canvas.layers === 1 && vizserve.canvas.draws > 0"); err != nil {
				b.Fatal(err)
			}
			var d0, d1 int
			if err := p.Eval(ctx, "vizserve.canvas.draws", &d0); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			measureFrames(b, p, window, func() int64 { return m.ticks.Load() })
			if err := p.Eval(ctx, "vizserve.canvas.draws", &d1); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(d1-d0)/time.Since(t0).Seconds(), "draws/s")
		})
		b.Run(fmt.Sprintf("elements=%d/plain-canvas", n), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprintf(w, plainCanvasPage, n, moversW, moversH)
			}))
			b.Cleanup(srv.Close)
			ctx, cancel := context.WithTimeout(context.Background(), Patience)
			defer cancel()
			p, err := br.NewPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), Patience)
				defer cancel()
				p.Close(ctx)
			})
			if err := p.Navigate(ctx, srv.URL+"/"); err != nil {
				b.Fatal(err)
			}
			if err := p.WaitFor(ctx, "window.vizserve && vizserve.seq > 0"); err != nil {
				b.Fatal(err)
			}
			measureFrames(b, p, window, nil)
		})
	}
}

// plainCanvasPage draws n circles laid out and moving as newMovers's on
// a 2D canvas the size of the window, at the device pixel ratio, in
// every animation frame. It counts its frames in vizserve.seq.
const plainCanvasPage = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<style>body{margin:0} canvas{width:100vw;height:100vh;display:block}</style></head>
<body><canvas id="c"></canvas>
<script>
const n = %d, W = %g, H = %g;
const cv = document.getElementById("c"), ctx = cv.getContext("2d");
const step = Math.sqrt(W * H / n), cols = Math.max(1, Math.floor(W / step)), r = Math.max(1, step * 0.2), rad = Math.max(1, step * 0.3);
const cx = [], cy = [], fill = [];
for (let i = 0; i < n; i++) {
  cx.push(step / 2 + (i %% cols) * step); cy.push(step / 2 + Math.floor(i / cols) * step);
  fill.push("hsl(" + (i * 7 %% 360) + ",70%%,45%%)");
}
window.vizserve = { seq: 0 };
const frame = t => {
  const dpr = devicePixelRatio || 1, w = Math.round(innerWidth * dpr), h = Math.round(innerHeight * dpr);
  if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }
  const k = Math.min(w / W, h / H);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.setTransform(k, 0, 0, k, (w - W * k) / 2, (h - H * k) / 2);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const phase = 2 * Math.PI * t / 1000;
  for (let i = 0; i < n; i++) {
    const a = phase + i * 0.1;
    ctx.fillStyle = fill[i];
    ctx.beginPath();
    ctx.arc(cx[i] + r * Math.cos(a), cy[i] + r * Math.sin(a), rad, 0, 2 * Math.PI);
    ctx.fill();
  }
  vizserve.seq++;
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
</script></body></html>`

// BenchmarkBrowserScrollingChart: headless Chromium showing a line chart
// of the last 10,000 samples of a 60 Hz sim that adds one sample a tick,
// three ways, one page after the other in the same run: the whole points
// attribute set again (set-points, before the point-list ops), appended
// and trimmed (append-trim), and a SeriesBuffer decimating by 10
// (lttb-10). Per painted frame that changed the line it reports the bytes
// the page was sent and its main-thread JavaScript time (DevTools'
// ScriptDuration: decoding, and applying the edit to the attribute's
// text); and the rate of such frames.
func BenchmarkBrowserScrollingChart(b *testing.B) {
	window := envDuration(b, envBrowserWindow, 5*time.Second)
	logMachine(b)
	br := browserForBench(b)
	const n = 10000
	sample := func(i int) (float64, float64) {
		x := float64(i) / 60
		return x, 100*math.Sin(x) + float64(i%13)
	}
	for _, kind := range []string{"set-points", "append-trim", "lttb-10"} {
		b.Run(kind, func(b *testing.B) {
			s := scene.New(scene.Options{Width: 800, Height: 400})
			line := s.Root().El("polyline", `id="line" fill="none" stroke="#1f77b4"`).SetTransform("translate(0,200) scale(0.08,1)")
			var add func(i int)
			switch kind {
			case "set-points":
				var xs, ys []float64
				add = func(i int) {
					x, y := sample(i)
					xs, ys = append(xs, x), append(ys, y)
					if len(xs) > n {
						xs, ys = xs[1:], ys[1:]
					}
					line.Set("points", scene.Points(xs, ys))
				}
			case "append-trim":
				add = func(i int) {
					x, y := sample(i)
					line.AppendPoints(float32(x), float32(y))
					if line.NumPoints() > n {
						line.TrimPoints(1)
					}
				}
			default:
				buf := scene.NewSeriesBuffer(line, &scene.SeriesOptions{Bucket: 10, Window: n})
				add = func(i int) { buf.Add(sample(i)) }
			}
			for i := range n {
				add(i)
			}
			i := n
			s.OnTick(func(float64) {
				add(i)
				i++
				line.SetTransform(fmt.Sprintf("translate(%g,200) scale(0.08,1)", -0.08*float64(i-n)/60))
			})
			site := serveForBench(b, s)
			p := openForBench(b, br, site.URL+"/")
			ctx, cancel := context.WithTimeout(context.Background(), 3*window+Patience)
			defer cancel()
			if _, err := p.FrameRate(ctx, time.Second); err != nil {
				b.Fatal(err)
			}
			probe := `(() => {
				if (window.updates) return true;
				window.updates = { n: 0 };
				let moved = false;
				new MutationObserver(() => { moved = true; }).observe(document.getElementById("line"), { attributes: true, attributeFilter: ["points"] });
				const f = () => { if (moved) { moved = false; updates.n++; } requestAnimationFrame(f); };
				requestAnimationFrame(f);
				return true;
			})()`
			var u0, u1 float64
			Must(b, p, p.Eval(ctx, probe, nil))
			Must(b, p, p.Eval(ctx, `updates.n`, &u0))
			m0, err := p.Metrics(ctx)
			Must(b, p, err)
			sent0 := site.Hub.Stats().Bytes
			t0 := time.Now()
			b.ResetTimer()
			fps, err := p.FrameRate(ctx, window)
			Must(b, p, err)
			el := time.Since(t0).Seconds()
			sent := site.Hub.Stats().Bytes - sent0
			m1, err := p.Metrics(ctx)
			Must(b, p, err)
			Must(b, p, p.Eval(ctx, `updates.n`, &u1))
			b.StopTimer()
			up := u1 - u0
			b.ReportMetric(fps, "fps")
			b.ReportMetric(up/el, "line-frames/s")
			b.ReportMetric(float64(sent)/up, "bytes/frame")
			b.ReportMetric(1e3*(m1["ScriptDuration"]-m0["ScriptDuration"])/up, "js-ms/frame")
		})
	}
}
