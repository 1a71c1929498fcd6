package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/server"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// ticker is the scene of these tests: a tick counter, a ball that moves
// one unit a tick, an arrow that moves and turns by a pose (scaled every
// fifth tick), a label the test sets, and a box that counts clicks.
type ticker struct {
	s      *scene.Scene
	ticks  int
	clicks int
	speed  float64
	ball   *scene.Node
	count  *scene.Node
	label  *scene.Node
	box    *scene.Node
	arrow  *scene.Node
}

func newTicker() *ticker {
	tk := &ticker{s: scene.New(scene.Options{Width: 400, Height: 200}), speed: 1}
	root := tk.s.Root()
	root.Rect(0, 0, 400, 200, `id="bg"`, "fill:#eef")
	tk.ball = root.Circle(20, 100, 10, `id="ball"`, "fill:crimson")
	tk.count = root.Text(10, 20, "0", `id="ticks"`)
	tk.label = root.Text(10, 190, "first", `id="label"`)
	tk.box = root.Rect(300, 20, 60, 60, `id="box"`, "fill:teal")
	tk.arrow = root.Path("M8,0 L-6,5 L-6,-5 Z", `id="arrow"`, "fill:navy")
	tk.box.OnClick(func(scene.Pointer) {
		tk.clicks++
		tk.box.Set("data-clicks", strconv.Itoa(tk.clicks))
	})
	tk.s.Slider("speed", &tk.speed, 0, 10, 1).Label("Speed")
	tk.s.OnTick(func(float64) {
		tk.ticks++
		tk.count.SetText(strconv.Itoa(tk.ticks))
		tk.ball.SetXY(float64(20+tk.ticks%360), 100)
		x, y, a := 150+float64(tk.ticks%100)*0.3, 60.125, float64(tk.ticks)*7.3
		if tk.ticks%5 == 0 {
			tk.arrow.SetPoseScaled(x, y, a, 1.25)
		} else {
			tk.arrow.SetPose(x, y, a)
		}
	})
	return tk
}

// frame is what the ticker shows.
type frame struct {
	Ticks  string
	BallCX string
	Label  string
	Arrow  string // the arrow's transform
}

// goFrame reads the frame from the scene, on its goroutine.
func (tk *ticker) goFrame(t *testing.T) frame {
	t.Helper()
	return Sim(t, tk.s, func() frame {
		return frame{tk.count.TextContent(), tk.ball.Attr("cx"), tk.label.TextContent(), tk.arrow.Attr("transform")}
	})
}

const pageFrame = `({
	Ticks: document.getElementById("ticks").textContent,
	BallCX: document.getElementById("ball").getAttribute("cx"),
	Label: document.getElementById("label").textContent,
	Arrow: document.getElementById("arrow").getAttribute("transform") ?? "",
})`

// pause pauses the scene and returns once it no longer ticks.
func (tk *ticker) pause(t *testing.T) {
	t.Helper()
	tk.s.Pause()
	Sim(t, tk.s, func() bool { return true }) // runs after the queued pause
}

// TestServerRenderedFrame: the page shows the scene's current frame as
// the server rendered it, before any websocket message. A proxy in front
// of the server refuses the websocket, so the page never gets one.
func TestServerRenderedFrame(t *testing.T) {
	t.Parallel()
	tk := newTicker()
	site := Serve(t, tk.s)
	SimUntil(t, tk.s, "ten ticks", func() bool { return tk.ticks >= 10 })
	tk.pause(t)
	Sim(t, tk.s, func() bool { tk.label.SetText("set while paused"); return true })
	want := tk.goFrame(t)
	if want.Ticks == "0" || want.BallCX == "20" || want.Label != "set while paused" {
		t.Fatalf("the scene did not run: %+v", want)
	}

	target, _ := url.Parse(site.URL)
	var refused atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			refused.Add(1)
			http.Error(w, "no websockets through this proxy", http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	// The HTML itself holds the frame.
	resp, err := http.Get(front.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, s := range []string{`<text id="ticks" x="10" y="20">` + want.Ticks + `</text>`, `id="ball" cx="` + want.BallCX + `"`, "set while paused", `data-vz-control="speed"`} {
		if !strings.Contains(string(body), s) {
			t.Errorf("the page's HTML lacks %q", s)
		}
	}

	// So does the browser's DOM, while the client cannot connect.
	b := browser.ForTest(t)
	p, err := b.NewPage(Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	Must(t, p, p.Navigate(Ctx(t), front.URL+"/"))
	WaitFor(t, p, `window.vizserve && vizserve.retries.length >= 1 && vizserve.state !== "live"`)
	if refused.Load() == 0 {
		t.Fatal("the page did not try its websocket")
	}
	if got := Eval[frame](t, p, pageFrame); got != want {
		t.Fatalf("the page shows %+v, the scene %+v", got, want)
	}
	if seq := Eval[int](t, p, `vizserve.seq`); seq >= 1 {
		t.Fatalf("the client applied batch %d without a websocket", seq)
	}
	if v := Eval[string](t, p, `document.querySelector('[data-vz-control="speed"] input').value`); v != "1" {
		t.Errorf("the speed slider shows %q", v)
	}
}

// TestPatchesChangeTheDOM: batches arrive and change the page's DOM, and
// once the scene stops, the page shows exactly its frame.
func TestPatchesChangeTheDOM(t *testing.T) {
	t.Parallel()
	tk := newTicker()
	site := Serve(t, tk.s)
	b := browser.ForTest(t)
	p := Open(t, b, site.URL+"/")
	first := Eval[frame](t, p, pageFrame)
	n, err := strconv.Atoi(first.Ticks)
	if err != nil {
		t.Fatal(err)
	}
	WaitFor(t, p, fmt.Sprintf(`+document.getElementById("ticks").textContent >= %d`, n+30))
	if cx := Attr(t, p, "ball", "cx"); cx == first.BallCX {
		t.Errorf("the ball stayed at %s over 30 ticks", cx)
	}
	// A click in the page reaches the scene, whose answer reaches the page.
	x, y := Center(t, p, "box")
	Must(t, p, p.Click(Ctx(t), x, y))
	WaitFor(t, p, `document.getElementById("box").getAttribute("data-clicks") === "1"`)

	if a := Attr(t, p, "arrow", "transform"); a == first.Arrow || !strings.HasPrefix(a, "translate(") {
		t.Errorf("the arrow's transform is %q, was %q", a, first.Arrow)
	}

	tk.pause(t)
	want := tk.goFrame(t)
	// Poses applied by the client read exactly as the scene writes them.
	WaitFor(t, p, fmt.Sprintf(`(() => { const f = %s; return f.Ticks === %q && f.BallCX === %q && f.Arrow === %q })()`, pageFrame, want.Ticks, want.BallCX, want.Arrow))
	NoPageErrors(t, p)
}

// TestReconnectAfterRestart: the server goes away and a new one comes up
// on the same port with the same running scene; the page reconnects by
// itself, without a reload (a variable set in it survives), and shows the
// scene as it is now, changes made while it was away included.
func TestReconnectAfterRestart(t *testing.T) {
	t.Parallel()
	tk := newTicker()
	RunScene(t, tk.s)
	first, err := Mount(tk.s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Close() })
	b := browser.ForTest(t)
	p := Open(t, b, first.URL+"/")
	Must(t, p, p.Eval(Ctx(t), `window.marker = 42`, nil))
	if c := Eval[int](t, p, `vizserve.connects`); c != 1 {
		t.Fatalf("%d connections before the restart", c)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, p, `vizserve.state !== "live"`)
	Sim(t, tk.s, func() bool { tk.label.SetText("changed while the server was down"); return true })
	tk.pause(t)
	want := tk.goFrame(t)

	second, err := Mount(tk.s, first.Addr, nil)
	if err != nil {
		t.Fatalf("a new server on the same port: %v", err)
	}
	t.Cleanup(func() {
		if err := second.Close(); err != nil {
			t.Errorf("closing the second server: %v", err)
		}
	})
	// connects counts attempts: those made before the new server was up
	// failed.
	WaitFor(t, p, `vizserve.state === "live" && vizserve.connects >= 2`)
	WaitFor(t, p, fmt.Sprintf(`(() => { const f = %s; return f.Ticks === %q && f.BallCX === %q && f.Label === %q })()`,
		pageFrame, want.Ticks, want.BallCX, want.Label))
	if m := Eval[int](t, p, `window.marker ?? 0`); m != 42 {
		t.Fatal("the page was reloaded")
	}
	// And it is live again: a change now reaches it.
	Sim(t, tk.s, func() bool { tk.label.SetText("after"); return true })
	WaitFor(t, p, `document.getElementById("label").textContent === "after"`)
	NoPageErrors(t, p)
}

// TestStandaloneSVG: /scene.svg opened directly in the browser is an SVG
// document that is live on its own: its DOM follows the sim, and a click
// in it reaches the scene.
func TestStandaloneSVG(t *testing.T) {
	t.Parallel()
	tk := newTicker()
	site := Serve(t, tk.s)
	b := browser.ForTest(t)
	p := Open(t, b, site.URL+"/scene.svg")
	if ct := Eval[string](t, p, `document.contentType`); ct != "image/svg+xml" {
		t.Fatalf("document.contentType = %q", ct)
	}
	if root := Eval[string](t, p, `document.documentElement.localName`); root != "svg" {
		t.Fatalf("the document's root is <%s>", root)
	}
	n, err := strconv.Atoi(Eval[string](t, p, `document.getElementById("ticks").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	WaitFor(t, p, fmt.Sprintf(`+document.getElementById("ticks").textContent >= %d`, n+30))

	x, y := Center(t, p, "box")
	Must(t, p, p.Click(Ctx(t), x, y))
	WaitFor(t, p, `document.getElementById("box").getAttribute("data-clicks") === "1"`)
	if c := Sim(t, tk.s, func() int { return tk.clicks }); c != 1 {
		t.Fatalf("%d clicks in Go", c)
	}
	NoPageErrors(t, p)
}

// A page opened with an access token is cut off when the token expires:
// the server closes its websocket with 1008, and the page says why and
// does not retry (a reconnect could only be refused).
func TestBrowserTokenExpiry(t *testing.T) {
	t.Parallel()
	tk := newTicker()
	RunScene(t, tk.s)
	tokens := server.NewTokens(nil)
	site, err := Mount(tk.s, "127.0.0.1:0", &server.Config{Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	b := browser.ForTest(t)
	// Expiry is in whole seconds: 2 to 3 s from now, time enough to load.
	tok := tokens.Mint("/", 3*time.Second)
	p := Open(t, b, site.URL+"/?"+server.TokenParam+"="+url.QueryEscape(tok))
	WaitFor(t, p, `document.getElementById("vz-status").dataset.state === "refused"`)
	if got := Eval[string](t, p, `document.getElementById("vz-status").textContent`); !strings.Contains(got, "access token expired") {
		t.Errorf("the status says %q, want the reason", got)
	}
	if tokens.Verify(tok, "/") == nil {
		t.Fatal("the page was cut off before its token expired")
	}
	if n := Eval[int](t, p, `vizserve.connects`); n != 1 {
		t.Errorf("the page connected %d times, want 1: it retried after a refusal", n)
	}
	if dir := os.Getenv("VIZSERVE_SCREENSHOT_DIR"); dir != "" {
		png, err := p.Screenshot(Ctx(t))
		Must(t, p, err)
		if err := os.WriteFile(filepath.Join(dir, "token-expired.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	NoPageErrors(t, p)
}
