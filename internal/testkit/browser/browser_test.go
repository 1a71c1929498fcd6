package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/internal/testkit/peers"
)

// One browser serves the tests of this package, each in pages of its own;
// TestMain closes it.
var shared struct {
	once sync.Once
	b    *Browser
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.b != nil {
		if err := shared.b.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if code == 0 {
		if leaked := leakcheck.Wait(leakcheck.Timeout); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) still running after the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

func sharedBrowser(t *testing.T) *Browser {
	t.Helper()
	Require(t)
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared.b, shared.err = Launch(ctx)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.b
}

// testCtx bounds a test's browser calls.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newPage opens a page in the shared browser, closed when the test ends.
func newPage(t *testing.T) *Page {
	t.Helper()
	b := sharedBrowser(t)
	p, err := b.NewPage(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("close page: %v", err)
		}
	})
	return p
}

// serve serves HTML pages, by path, on a loopback port.
func serve(t *testing.T, pages map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		html, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(html))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// open serves the pages and navigates a new page to the first path given.
func open(t *testing.T, path string, pages map[string]string) *Page {
	t.Helper()
	srv := serve(t, pages)
	p := newPage(t)
	if err := p.Navigate(testCtx(t), srv.URL+path); err != nil {
		t.Fatal(err)
	}
	return p
}

func eval[T any](t *testing.T, p *Page, js string) T {
	t.Helper()
	var v T
	if err := p.Eval(testCtx(t), js, &v); err != nil {
		t.Fatalf("Eval(%s): %v", js, err)
	}
	return v
}

func noPageErrors(t *testing.T, p *Page) {
	t.Helper()
	if err := p.Err(); err != nil {
		t.Error(err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	v, err := sharedBrowser(t).Version(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v, "Chrome/") {
		t.Fatalf("Version() = %q, want a Chrome product string", v)
	}
}

func TestNavigateAndEval(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": `<!doctype html><title>first page</title><p id=x>hello</p>`})
	if got := eval[string](t, p, `document.title`); got != "first page" {
		t.Errorf("title %q", got)
	}
	if got := eval[string](t, p, `location.pathname`); got != "/" {
		t.Errorf("pathname %q", got)
	}

	for _, tc := range []struct {
		name, js, want string
	}{
		{"number", `6 * 7`, "42"},
		{"object", `({a: [1, "two"], b: null})`, `{"a":[1,"two"],"b":null}`},
		{"promise", `new Promise(r => setTimeout(() => r("later"), 20))`, `"later"`},
		{"async", `(async () => document.getElementById("x").textContent)()`, `"hello"`},
		{"undefined", `undefined`, `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw rawJSON
			if err := p.Eval(testCtx(t), tc.js, &raw); err != nil {
				t.Fatal(err)
			}
			if string(raw) != tc.want {
				t.Fatalf("Eval(%s) = %s, want %s", tc.js, raw, tc.want)
			}
		})
	}

	t.Run("exception", func(t *testing.T) {
		err := p.Eval(testCtx(t), `(() => { throw new TypeError("no such thing") })()`, nil)
		var ee *EvalError
		if !errors.As(err, &ee) || !strings.Contains(ee.Exception.Text, "TypeError: no such thing") {
			t.Fatalf("Eval of a throw: %v, want an EvalError with the TypeError", err)
		}
	})
	t.Run("rejection", func(t *testing.T) {
		err := p.Eval(testCtx(t), `Promise.reject(new Error("refused"))`, nil)
		var ee *EvalError
		if !errors.As(err, &ee) || !strings.Contains(ee.Exception.Text, "refused") {
			t.Fatalf("Eval of a rejected promise: %v, want an EvalError", err)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		var f float64
		if err := p.Eval(testCtx(t), `NaN`, &f); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Fatalf("Eval(NaN): %v, want an error naming NaN", err)
		}
	})
	t.Run("second page", func(t *testing.T) {
		srv := serve(t, map[string]string{"/two": `<!doctype html><title>second</title>`})
		if err := p.Navigate(testCtx(t), srv.URL+"/two"); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](t, p, `document.title`); got != "second" {
			t.Fatalf("title after Navigate %q", got)
		}
		if err := p.Navigate(testCtx(t), srv.URL+"/two#part"); err != nil {
			t.Fatalf("same-document navigation: %v", err)
		}
		if got := eval[string](t, p, `location.hash`); got != "#part" {
			t.Fatalf("hash %q", got)
		}
	})
	noPageErrors(t, p)
}

// rawJSON keeps a value as the JSON text Eval decoded it from.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

func TestNavigateRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := newPage(t)
	err = p.Navigate(testCtx(t), "http://"+addr+"/")
	if err == nil || !strings.Contains(err.Error(), "ERR_CONNECTION_REFUSED") {
		t.Fatalf("Navigate to a closed port: %v, want ERR_CONNECTION_REFUSED", err)
	}
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{
		"/": `<!doctype html><title>wait</title><script>
			setTimeout(() => { window.ready = "yes"; }, 150);
			window.later = () => setTimeout(() => { location.href = "/next"; }, 50);
		</script>`,
		"/next": `<!doctype html><title>next</title>`,
	})
	if err := p.WaitFor(testCtx(t), `window.ready === "yes"`); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, p, `window.ready`); got != "yes" {
		t.Fatalf("after WaitFor, ready = %q", got)
	}

	t.Run("promise condition", func(t *testing.T) {
		if err := p.WaitFor(testCtx(t), `Promise.resolve(document.title === "wait")`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		// The page gives up a third of the time early, leaving a second for
		// its answer to arrive on a busy machine.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err := p.WaitFor(ctx, `document.title.length > 100`)
		if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "the condition was false") {
			t.Fatalf("WaitFor of a condition that never holds: %v, want a timeout quoting its last value", err)
		}
	})
	t.Run("throws", func(t *testing.T) {
		err := p.WaitFor(testCtx(t), `window.noSuchThing.field`)
		var ee *EvalError
		if !errors.As(err, &ee) || !strings.Contains(ee.Exception.Text, "TypeError") {
			t.Fatalf("WaitFor of a throwing condition: %v, want an EvalError", err)
		}
	})
	t.Run("across navigation", func(t *testing.T) {
		if err := p.Eval(testCtx(t), `later()`, nil); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitFor(testCtx(t), `document.title === "next"`); err != nil {
			t.Fatal(err)
		}
	})
	noPageErrors(t, p)
}

func TestConsoleAndExceptions(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": `<!doctype html><title>errors</title><script>
		console.log("hello", 42, {a: 1});
		console.info("some info");
		// Chromium reports an uncaught error or rejection to the inspector in
		// the task that dispatches its window event; the console.error and
		// the done flag follow, in a later task, once both events were seen.
		let seen = 0;
		const saw = () => {
			if (++seen === 2) setTimeout(() => { console.error("bad thing", 7); window.done = true; }, 0);
		};
		window.addEventListener("error", saw);
		window.addEventListener("unhandledrejection", saw);
		setTimeout(() => { throw new Error("boom"); }, 0);
		setTimeout(() => { Promise.reject(new Error("nobody caught me")); }, 0);
	</script>`})
	if err := p.WaitFor(testCtx(t), `window.done === true`); err != nil {
		t.Fatal(err)
	}
	msgs, dropped := p.Console()
	if dropped != 0 {
		t.Errorf("dropped %d messages", dropped)
	}
	find := func(level, text string) bool {
		for _, m := range msgs {
			if m.Source == "console" && m.Level == level && m.Text == text {
				return true
			}
		}
		return false
	}
	if !find("log", "hello 42 Object") || !find("info", "some info") || !find("error", "bad thing 7") {
		t.Errorf("console messages %v; want the log, info and error calls", msgs)
	}
	exc := p.Exceptions()
	var texts []string
	for _, e := range exc {
		texts = append(texts, e.String())
	}
	joined := strings.Join(texts, "\n")
	if len(exc) != 2 || !strings.Contains(joined, "Error: boom") || !strings.Contains(joined, "nobody caught me") {
		t.Errorf("exceptions:\n%s\nwant the throw and the unhandled rejection", joined)
	}
	err := p.Err()
	if err == nil {
		t.Fatal("Err() = nil after an uncaught exception and console.error")
	}
	for _, want := range []string{"3 problem", "Error: boom", "nobody caught me", "console.error: bad thing 7"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() = %v\nwant it to mention %q", err, want)
		}
	}
}

func TestCleanPageHasNoErrors(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": `<!doctype html><title>fine</title><script>console.log("all good")</script>`})
	if err := p.WaitFor(testCtx(t), `document.readyState === "complete"`); err != nil {
		t.Fatal(err)
	}
	noPageErrors(t, p)
	msgs, _ := p.Console()
	if len(msgs) == 0 || msgs[0].Text != "all good" {
		t.Errorf("console %v, want the page's log line", msgs)
	}
}

const inputPage = `<!doctype html><title>input</title>
<style>body { margin: 0 } #box { position: absolute; left: 100px; top: 50px; width: 200px; height: 100px; background: #39c }
#field { position: absolute; left: 0; top: 300px }</style>
<div id=box></div><input id=field>
<script>
window.log = [];
const box = document.getElementById("box");
for (const type of ["pointerdown", "pointermove", "pointerup", "click"]) {
	box.addEventListener(type, e => log.push({type, x: e.clientX, y: e.clientY, buttons: e.buttons}));
}
box.addEventListener("wheel", e => log.push({type: "wheel", x: e.clientX, y: e.clientY, dy: e.deltaY}));
window.keys = [];
document.addEventListener("keydown", e => keys.push({key: e.key, code: e.code, ctrl: e.ctrlKey, shift: e.shiftKey}));
</script>`

type pointerLog struct {
	Type    string  `json:"type"`
	X       float64 `json:"x"`
	Y       float64 `json:"y"`
	Buttons int     `json:"buttons"`
	DY      float64 `json:"dy"`
}

func TestMouse(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": inputPage})
	ctx := testCtx(t)
	x, y, err := p.Center(ctx, "#box")
	if err != nil {
		t.Fatal(err)
	}
	if x != 200 || y != 100 {
		t.Fatalf("Center(#box) = %v, %v; want 200, 100", x, y)
	}
	if _, _, err := p.Center(ctx, "#nothing"); err == nil {
		t.Fatal("Center of a missing element succeeded")
	}

	t.Run("click", func(t *testing.T) {
		eval[any](t, p, `log.length = 0`)
		if err := p.Click(ctx, 150, 75); err != nil {
			t.Fatal(err)
		}
		got := eval[[]pointerLog](t, p, `log.filter(e => e.type !== "pointermove")`)
		want := []pointerLog{{Type: "pointerdown", X: 150, Y: 75, Buttons: 1}, {Type: "pointerup", X: 150, Y: 75}, {Type: "click", X: 150, Y: 75}}
		if !equalLogs(got, want) {
			t.Fatalf("events %+v\nwant %+v", got, want)
		}
	})
	t.Run("drag", func(t *testing.T) {
		eval[any](t, p, `log.length = 0`)
		if err := p.Drag(ctx, 110, 60, 290, 140, 5); err != nil {
			t.Fatal(err)
		}
		got := eval[[]pointerLog](t, p, `log.slice(log.findIndex(e => e.type === "pointerdown"))`)
		if len(got) < 7 || got[0].Type != "pointerdown" || got[0].X != 110 || got[0].Y != 60 {
			t.Fatalf("drag events %+v; want pointerdown at 110,60 first", got)
		}
		var moves []pointerLog
		var up *pointerLog
		for i, e := range got {
			switch e.Type {
			case "pointermove":
				if up == nil {
					moves = append(moves, e)
				}
			case "pointerup":
				up = &got[i]
			}
		}
		if len(moves) != 5 {
			t.Errorf("%d moves during the drag, want 5: %+v", len(moves), got)
		}
		for _, m := range moves {
			if m.Buttons != 1 {
				t.Errorf("move %+v without the button held", m)
			}
		}
		if last := moves[len(moves)-1]; last.X != 290 || last.Y != 140 {
			t.Errorf("last move at %v,%v, want 290,140", last.X, last.Y)
		}
		if up == nil || up.X != 290 || up.Y != 140 {
			t.Errorf("pointerup %+v, want one at 290,140", up)
		}
	})
	t.Run("wheel", func(t *testing.T) {
		eval[any](t, p, `log.length = 0`)
		if err := p.Wheel(ctx, 200, 100, 0, 120); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitFor(ctx, `log.some(e => e.type === "wheel")`); err != nil {
			t.Fatal(err)
		}
		got := eval[[]pointerLog](t, p, `log.filter(e => e.type === "wheel")`)
		if got[0].DY != 120 || got[0].X != 200 || got[0].Y != 100 {
			t.Fatalf("wheel event %+v, want deltaY 120 at 200,100", got[0])
		}
	})
	noPageErrors(t, p)
}

func equalLogs(a, b []pointerLog) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type keyLog struct {
	Key   string `json:"key"`
	Code  string `json:"code"`
	Ctrl  bool   `json:"ctrl"`
	Shift bool   `json:"shift"`
}

func TestKeyboard(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": inputPage})
	ctx := testCtx(t)
	x, y, err := p.Center(ctx, "#field")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Click(ctx, x, y); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, p, `document.activeElement.id`); got != "field" {
		t.Fatalf("focus on %q after clicking the field", got)
	}
	if err := p.Type(ctx, "Hé 7"); err != nil {
		t.Fatal(err)
	}
	if err := p.Press(ctx, "Backspace", 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Press(ctx, "a", Ctrl); err != nil { // select all, types nothing
		t.Fatal(err)
	}
	if err := p.Press(ctx, "Enter", 0); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, p, `document.getElementById("field").value`); got != "Hé " {
		t.Errorf("field value %q, want %q", got, "Hé ")
	}
	if got := eval[[2]int](t, p, `(f => [f.selectionStart, f.selectionEnd])(document.getElementById("field"))`); got != [2]int{0, 3} {
		t.Errorf("selection %v after Ctrl+A, want [0 3]", got)
	}
	got := eval[[]keyLog](t, p, `keys`)
	want := []keyLog{
		{Key: "H", Code: "KeyH", Shift: true}, {Key: "é"}, {Key: " ", Code: "Space"}, {Key: "7", Code: "Digit7"},
		{Key: "Backspace", Code: "Backspace"}, {Key: "a", Code: "KeyA", Ctrl: true}, {Key: "Enter", Code: "Enter"},
	}
	if len(got) != len(want) {
		t.Fatalf("keydown events %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("keydown %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := p.Press(ctx, "NoSuchKey", 0); err == nil {
		t.Error("Press of an unknown key name succeeded")
	}
	noPageErrors(t, p)
}

func TestScreenshot(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": `<!doctype html><style>
		html, body { margin: 0; height: 100%; background: rgb(255, 0, 0) }
		#b { position: absolute; left: 0; top: 0; width: 50px; height: 50px; background: rgb(0, 0, 255) }
	</style><div id=b></div>`})
	ctx := testCtx(t)
	if err := p.SetViewport(ctx, 400, 300); err != nil {
		t.Fatal(err)
	}
	data, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
		t.Fatalf("screenshot is %v, want 400x300", b)
	}
	for _, px := range []struct {
		x, y    int
		r, g, b uint32
	}{{10, 10, 0, 0, 255}, {200, 150, 255, 0, 0}, {399, 299, 255, 0, 0}} {
		r, g, b, _ := img.At(px.x, px.y).RGBA()
		if r>>8 != px.r || g>>8 != px.g || b>>8 != px.b {
			t.Errorf("pixel %d,%d = %d,%d,%d, want %d,%d,%d", px.x, px.y, r>>8, g>>8, b>>8, px.r, px.g, px.b)
		}
	}
}

func TestFrameRate(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": `<!doctype html><title>frames</title>`})
	fps, err := p.FrameRate(testCtx(t), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// Headless Chromium animates at about 60 Hz, a busy machine at less;
	// only the measurement itself is checked.
	if !(fps > 0 && fps < 1000) {
		t.Fatalf("frame rate %.1f/s, want a plausible animation rate", fps)
	}
	t.Logf("frame rate %.1f/s", fps)
}

func TestPageClose(t *testing.T) {
	t.Parallel()
	b := sharedBrowser(t)
	ctx := testCtx(t)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Eval(ctx, `1`, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Eval on a closed page: %v, want an error saying it was closed", err)
	}
}

// Close ends every Chromium process, removes the profile and fails calls.
func TestClose(t *testing.T) {
	t.Parallel()
	Require(t)
	ctx := testCtx(t)
	b, err := Launch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.NewPage(ctx)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	pgid, dir := b.proc.Pid(), b.dir
	if live := liveGroupMembers(t, pgid); len(live) < 2 {
		t.Fatalf("Chromium's process group %d has %d live processes while running, want several", pgid, len(live))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Killed processes may linger as zombies until init reaps them; they
	// are dead.
	if live := liveGroupMembers(t, pgid); len(live) > 0 {
		t.Errorf("processes of group %d still alive after Close: %v", pgid, live)
	}
	for _, pid := range processesMentioning(dir) {
		if running(pid) {
			t.Errorf("process %d, which uses the profile %s, still alive after Close", pid, dir)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("profile directory %s after Close: %v, want it removed", dir, err)
	}
	if err := p.Eval(ctx, `1`, nil); err == nil {
		t.Error("Eval after Close succeeded")
	}
	if _, err := b.Version(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Version after Close: %v, want an error saying the browser was closed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestFind(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "chromium")
	t.Setenv(EnvChromium, missing)
	_, err := Find()
	if err == nil || !strings.HasPrefix(err.Error(), "chromium not found: apt-get install chromium") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Find with %s=%s: %v, want an error naming what to install and the path", EnvChromium, missing, err)
	}

	t.Setenv(peers.EnvRequire, "")
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Require(f)
	}()
	<-done
	if !strings.HasPrefix(f.skipped, "chromium not found: apt-get install chromium") {
		t.Errorf("Require without chromium skipped with %q", f.skipped)
	}

	if _, err := Launch(testCtx(t)); err == nil {
		t.Fatal("Launch without chromium succeeded")
	}
}

// liveGroupMembers lists the processes of a process group that have not
// exited (zombies excluded), from /proc.
func liveGroupMembers(t *testing.T, pgid int) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to list processes: %v", err)
	}
	var live []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || f[2] != strconv.Itoa(pgid) || f[0] == "Z" || f[0] == "X" {
			continue
		}
		live = append(live, e.Name()+" "+f[0])
	}
	return live
}

// fakeTB records how Require ended a test.
type fakeTB struct {
	testing.TB
	skipped string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestSetColorScheme(t *testing.T) {
	t.Parallel()
	p := open(t, "/", map[string]string{"/": `<!doctype html><style>
		body { background: rgb(255, 255, 255) }
		@media (prefers-color-scheme: dark) { body { background: rgb(0, 0, 0) } }
	</style>`})
	ctx := testCtx(t)
	const bg = `getComputedStyle(document.body).backgroundColor`
	for _, tc := range []struct{ scheme, want string }{
		{"dark", "rgb(0, 0, 0)"},
		{"light", "rgb(255, 255, 255)"},
	} {
		if err := p.SetColorScheme(ctx, tc.scheme); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](t, p, bg); got != tc.want {
			t.Errorf("%s: background %s, want %s", tc.scheme, got, tc.want)
		}
	}
	if err := p.SetColorScheme(ctx, "sepia"); err == nil {
		t.Error("SetColorScheme(sepia) did not fail")
	}
	if err := p.SetColorScheme(ctx, ""); err != nil {
		t.Fatal(err)
	}
	noPageErrors(t, p)
}
