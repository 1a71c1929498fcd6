package web

// A scripted vizserve server for the client tests: it serves Page,
// SceneSVG and the assets, accepts the websocket with the vizserve.v1
// subprotocol, and hands each connection to the test, which sends batches
// encoded with scene/wire and reads the events the client sends.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/assets"
	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// One browser serves the tests of this package, each in pages of its own;
// TestMain closes it.
var shared struct {
	once sync.Once
	b    *browser.Browser
	err  error
}

func sharedBrowser(t *testing.T) *browser.Browser {
	t.Helper()
	browser.Require(t)
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared.b, shared.err = browser.Launch(ctx)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.b
}

func closeSharedBrowser(code *int) {
	if shared.b != nil {
		if err := shared.b.Close(); err != nil {
			fmt.Println(err)
			*code = 1
		}
	}
}

// waitTime bounds every wait of a test; generous, for a busy machine.
const waitTime = 30 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTime)
	t.Cleanup(cancel)
	return ctx
}

// userFiles are the stylesheets the harness serves under /user/.
var userFiles = map[string]string{
	"a.css": "#ball { opacity: 0.5 }",
	"b.css": "#ball { opacity: 0.25 }",
}

// harness is the scripted server.
type harness struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	data    PageData
	viewers chan *viewer
	all     []*viewer
	wg      sync.WaitGroup

	// acceptOpts answers the upgrade; nil: vizserve.v1 required.
	acceptOpts *ws.AcceptOptions
	// refuse answers upgrades with 503, as a server that is down would.
	refuse atomic.Bool
}

func newHarness(t *testing.T, d PageData) *harness {
	t.Helper()
	h := &harness{t: t, data: d, viewers: make(chan *viewer, 16)}
	mux := http.NewServeMux()
	mux.Handle("/assets/", assets.Handler())
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		Page(h.pageData()).Render(r.Context(), w)
	})
	mux.HandleFunc("/scene.svg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		SceneSVG(h.pageData()).Render(r.Context(), w)
	})
	mux.HandleFunc("/ws", h.serveWS)
	// A scene's own files, for PageData.ExtraCSS.
	mux.HandleFunc("/user/{name}", func(w http.ResponseWriter, r *http.Request) {
		css, ok := userFiles[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write([]byte(css))
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.close)
	return h
}

func (h *harness) pageData() PageData {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.data
}

func (h *harness) serveWS(w http.ResponseWriter, r *http.Request) {
	opts := h.acceptOpts
	if opts == nil {
		opts = &ws.AcceptOptions{Subprotocols: []string{wire.Subprotocol}, RequireSubprotocol: true}
	}
	if h.refuse.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	c, err := ws.Accept(w, r, opts)
	if err != nil {
		return
	}
	v := &viewer{c: c, done: make(chan struct{}), changed: make(chan struct{})}
	h.mu.Lock()
	h.all = append(h.all, v)
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	select {
	case h.viewers <- v:
	default:
		c.CloseNow()
		return
	}
	v.readLoop()
}

func (h *harness) close() {
	h.srv.Close()
	h.mu.Lock()
	all := h.all
	h.mu.Unlock()
	for _, v := range all {
		v.c.CloseNow()
	}
	h.wg.Wait()
}

// open loads path in a new page of the shared browser.
func (h *harness) open(path string) *browser.Page {
	h.t.Helper()
	b := sharedBrowser(h.t)
	p, err := b.NewPage(testCtx(h.t))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			h.t.Errorf("close page: %v", err)
		}
	})
	if err := p.Navigate(testCtx(h.t), h.srv.URL+path); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// accept waits for the next websocket connection.
func (h *harness) accept() *viewer {
	h.t.Helper()
	select {
	case v := <-h.viewers:
		return v
	case <-time.After(waitTime):
		h.t.Fatal("no websocket connection arrived")
		return nil
	}
}

// viewer is one accepted connection and what the client sent on it.
type viewer struct {
	c *ws.Conn

	mu      sync.Mutex
	events  []wire.Event
	bad     []string // messages that did not decode, or were text
	changed chan struct{}
	err     error // why the reader stopped
	done    chan struct{}
}

func (v *viewer) readLoop() {
	defer close(v.done)
	for {
		typ, msg, err := v.c.Read(context.Background())
		v.mu.Lock()
		switch {
		case err != nil:
			v.err = err
		case typ != ws.MessageBinary:
			v.bad = append(v.bad, fmt.Sprintf("text message %q", msg))
		default:
			if ev, derr := wire.DecodeEvent(msg); derr != nil {
				v.bad = append(v.bad, fmt.Sprintf("% x: %v", msg, derr))
			} else {
				v.events = append(v.events, ev)
			}
		}
		close(v.changed)
		v.changed = make(chan struct{})
		v.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (v *viewer) send(t *testing.T, b *wire.Batch) {
	t.Helper()
	msg, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	v.sendRaw(t, msg)
}

func (v *viewer) sendRaw(t *testing.T, msg []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	if err := v.c.Write(ctx, ws.MessageBinary, msg); err != nil {
		t.Fatal(err)
	}
}

// mark is a position in the event log.
func (v *viewer) mark() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.events)
}

// since returns the events received from mark on, acks left out unless
// acks is set.
func (v *viewer) since(mark int, acks bool) []wire.Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []wire.Event
	for _, e := range v.events[mark:] {
		if acks || e.Kind != wire.Ack {
			out = append(out, e)
		}
	}
	return out
}

// wait waits until cond holds for the events from mark on (acks left out
// unless acks), and returns them.
func (v *viewer) wait(t *testing.T, what string, mark int, acks bool, cond func([]wire.Event) bool) []wire.Event {
	t.Helper()
	deadline := time.After(waitTime)
	for {
		v.mu.Lock()
		ch, bad, stopped := v.changed, v.bad, v.err
		v.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("the client sent messages that do not decode: %v", bad)
		}
		evs := v.since(mark, acks)
		if cond(evs) {
			return evs
		}
		if stopped != nil {
			t.Fatalf("waiting for %s: the connection ended (%v); events: %v", what, stopped, evs)
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waiting for %s: timed out; events since the mark: %v", what, evs)
		}
	}
}

// waitEvent waits for an event of the kind from mark on and returns it.
func (v *viewer) waitEvent(t *testing.T, mark int, kind wire.EventKind) wire.Event {
	t.Helper()
	evs := v.wait(t, kind.String()+" event", mark, kind == wire.Ack, func(evs []wire.Event) bool {
		for _, e := range evs {
			if e.Kind == kind {
				return true
			}
		}
		return false
	})
	for _, e := range evs {
		if e.Kind == kind {
			return e
		}
	}
	panic("unreachable")
}

// closed waits for the connection to end and returns the reader's error.
func (v *viewer) closed(t *testing.T) error {
	t.Helper()
	select {
	case <-v.done:
	case <-time.After(waitTime):
		t.Fatal("the connection did not end")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

// --- scenes ---

// sceneFixture is a scene driven by hand (Advance), with a mirror fed the
// same batches as the browser.
type sceneFixture struct {
	s       *scene.Scene
	batches []*wire.Batch
	unsub   func()
	mirror  *stream.Mirror
}

func newFixture(t *testing.T, s *scene.Scene) *sceneFixture {
	f := &sceneFixture{s: s, mirror: stream.NewMirror()}
	f.unsub = s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		// The scene reuses the batch and its op slice; the ops' contents
		// may be kept.
		f.batches = append(f.batches, &wire.Batch{Seq: b.Seq, Ops: append([]wire.Op(nil), b.Ops...)})
		return true
	}))
	t.Cleanup(f.unsub)
	return f
}

// frame advances the scene one frame and returns the batches it made,
// applied to the mirror.
func (f *sceneFixture) frame(t *testing.T) []*wire.Batch {
	t.Helper()
	f.batches = nil
	f.s.Advance(1.0 / 60)
	for _, b := range f.batches {
		if err := f.mirror.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	return f.batches
}

// keyframe returns the scene's keyframe batch: the first frame after
// subscribing.
func (f *sceneFixture) keyframe(t *testing.T) *wire.Batch {
	t.Helper()
	bs := f.frame(t)
	if len(bs) == 0 || !bs[0].IsKeyframe() {
		t.Fatalf("the first batch is not a keyframe: %v", bs)
	}
	return bs[0]
}

// pageData is the page for the scene's current state.
func (f *sceneFixture) pageData() PageData {
	d := PageData{Title: "test", Markup: f.s.Markup()}
	if kf := f.mirror.Keyframe(); kf != nil {
		for _, op := range kf.Ops {
			if op.Code == wire.OpControls {
				d.Controls = op.Controls
			}
		}
	}
	return d
}

// --- page helpers ---

func eval[T any](t *testing.T, p *browser.Page, js string) T {
	t.Helper()
	var v T
	if err := p.Eval(testCtx(t), js, &v); err != nil {
		t.Fatalf("Eval(%s): %v", js, err)
	}
	return v
}

func waitFor(t *testing.T, p *browser.Page, cond string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	if err := p.WaitFor(ctx, cond); err != nil {
		t.Fatal(err)
	}
}

// noPageErrors fails the test on exceptions or console errors in the page.
func noPageErrors(t *testing.T, p *browser.Page) {
	t.Helper()
	if err := p.Err(); err != nil {
		t.Error(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// canonJS renders the scene's DOM the way stream.Mirror.Markup renders its
// model: id first, other attributes sorted, each element's own text (its
// first child, if text) before its child elements, svgx's escaping.
const canonJS = `(() => {
	const escA = s => s.replace(/[&<>"\n\r\t]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","\n":"&#xA;","\r":"&#xD;","\t":"&#x9;"})[c]);
	const escT = s => s.replace(/[&<>\r]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\r":"&#xD;"})[c]);
	const canon = el => {
		const attrs = Array.from(el.attributes).map(a => [a.name, a.value]);
		const id = attrs.filter(a => a[0] === "id");
		const rest = attrs.filter(a => a[0] !== "id").sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
		let s = "<" + el.tagName;
		for (const [n, v] of id.concat(rest)) s += " " + n + '="' + escA(v) + '"';
		const f = el.firstChild;
		const text = f && (f.nodeType === 3 || f.nodeType === 4) ? f.data : "";
		const kids = Array.from(el.children);
		if (text === "" && kids.length === 0) return s + "/>";
		s += ">" + escT(text);
		for (const k of kids) s += canon(k);
		return s + "</" + el.tagName + ">";
	};
	const view = window.vzView || (window.vzView = document.getElementById("vz-view"));
	const root = view.firstElementChild;
	return root ? canon(root) : "";
})()`

// sameDOM waits until the browser's scene equals the mirror's.
func sameDOM(t *testing.T, p *browser.Page, m *stream.Mirror) {
	t.Helper()
	want := m.Markup()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	if err := p.WaitFor(ctx, canonJS+" === "+jsString(want)); err != nil {
		got := eval[string](t, p, canonJS)
		t.Fatalf("the DOM differs from the mirror:\n got: %s\nwant: %s", got, want)
	}
}

// nextFrames resolves after n animation frames in the page.
func nextFrames(t *testing.T, p *browser.Page, n int) {
	t.Helper()
	eval[any](t, p, fmt.Sprintf(`new Promise(r => { let n = %d; const f = () => --n <= 0 ? r() : requestAnimationFrame(f); requestAnimationFrame(f); })`, n))
}

// center is the viewport position of an element's bounding box center.
func center(t *testing.T, p *browser.Page, id string) (x, y float64) {
	t.Helper()
	r := eval[struct{ X, Y float64 }](t, p, `(() => { const b = document.getElementById(`+jsString(id)+`).getBoundingClientRect(); return {X: b.left + b.width / 2, Y: b.top + b.height / 2}; })()`)
	return r.X, r.Y
}

// toScene maps a viewport position to scene coordinates the way a person
// would measure them: through the scene root's screen matrix.
func toScene(t *testing.T, p *browser.Page, x, y float64) (float64, float64) {
	t.Helper()
	r := eval[struct{ X, Y float64 }](t, p, fmt.Sprintf(`(() => { const m = document.getElementById("vz-view").firstElementChild.getScreenCTM().inverse(); const q = new DOMPoint(%g, %g).matrixTransform(m); return {X: q.x, Y: q.y}; })()`, x, y))
	return r.X, r.Y
}

// fromScene maps scene coordinates to a viewport position.
func fromScene(t *testing.T, p *browser.Page, x, y float64) (float64, float64) {
	t.Helper()
	r := eval[struct{ X, Y float64 }](t, p, fmt.Sprintf(`(() => { const m = document.getElementById("vz-view").firstElementChild.getScreenCTM(); const q = new DOMPoint(%g, %g).matrixTransform(m); return {X: q.x, Y: q.y}; })()`, x, y))
	return r.X, r.Y
}

func near(a, b float64) bool {
	d := a - b
	return d < 0.5 && d > -0.5
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
