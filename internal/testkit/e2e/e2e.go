// Package e2e runs live scenes end to end for tests: the scene's sim loop
// and a server.MountScene on 127.0.0.1, driven by headless Chromium
// (package browser) or, for load, by websocket viewers in another process
// (cmd/fanout).
//
//	site := e2e.Serve(t, s)                  // s.Run and the server, until the test ends
//	b := browser.ForTest(t)                  // after Serve: closed before the server
//	p := e2e.Open(t, b, site.URL+"/")        // loaded and live
//	e2e.WaitFor(t, p, `document.getElementById("ball").getAttribute("cx") !== "10"`)
//	g := e2e.Sim(t, s, func() float64 { return gravity }) // read sim state on its goroutine
//
// Every helper bounds its wait with Patience and fails the test on error,
// with the page's errors and console in the message.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/server"
)

// Patience bounds every wait of the helpers. The machines tests run on may
// be loaded: it is generous, and only a broken test waits that long.
var Patience = 60 * time.Second

// Site is a scene served over HTTP and websockets.
type Site struct {
	URL    string // http://127.0.0.1:PORT, no trailing slash
	Addr   string // 127.0.0.1:PORT
	Server *server.Server
	Hub    *server.Hub
	Scene  *scene.Scene

	closed chan struct{} // closed once Close has returned
	done   chan error    // Serve's result
}

// Serve runs s on a goroutine of its own (it becomes the sim goroutine)
// and serves it with server.MountScene on 127.0.0.1:0, until the test
// ends. Start the browser after Serve, so that it is closed first.
func Serve(t testing.TB, s *scene.Scene) *Site {
	t.Helper()
	RunScene(t, s)
	site, err := Mount(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := site.Close(); err != nil {
			t.Errorf("closing the server: %v", err)
		}
	})
	return site
}

// RunScene runs s.Run on a new goroutine until the test ends, and fails
// the test if Run fails.
func RunScene(t testing.TB, s *scene.Scene) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("scene.Run: %v", err)
			}
		case <-time.After(Patience):
			t.Errorf("scene.Run did not return within %v of its context's end", Patience)
		}
	})
}

// Mount serves the running scene s on addr (port 0 picks one) until
// Close. cfg, if not nil, is the server's configuration (its Addr is
// replaced); by default errors go to stderr and Close waits at most a
// second for websockets to close.
func Mount(s *scene.Scene, addr string, cfg *server.Config) (*Site, error) {
	var c server.Config
	if cfg != nil {
		c = *cfg
	}
	c.Addr = addr
	if c.Logger == nil {
		c.Logger = slog.New(server.NewConsoleHandler(os.Stderr, &server.ConsoleOptions{Level: slog.LevelWarn}))
	}
	if c.CloseGrace == 0 {
		c.CloseGrace = time.Second
	}
	srv := server.New(c)
	hub := server.MountScene(srv, s, &server.SceneOptions{Title: "e2e"})
	if err := srv.Open(); err != nil {
		return nil, fmt.Errorf("e2e: serving the scene on %s: %w", addr, err)
	}
	site := &Site{
		URL:    srv.URL(),
		Addr:   srv.Addr().String(),
		Server: srv,
		Hub:    hub,
		Scene:  s,
		closed: make(chan struct{}),
		done:   make(chan error, 1),
	}
	go func() { site.done <- srv.Serve() }()
	return site, nil
}

// Close stops the server and waits for Serve to return. It may be called
// more than once.
func (s *Site) Close() error {
	select {
	case <-s.closed:
		return nil
	default:
	}
	defer close(s.closed)
	return errors.Join(s.Server.Close(), <-s.done)
}

// WSURL is the site's websocket URL for viewers.
func (s *Site) WSURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

// Sim runs fn on the sim goroutine of the running scene s and returns its
// result: the way to read or change sim state from a test without a lock.
func Sim[T any](t testing.TB, s *scene.Scene, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	s.Do(func() { ch <- fn() })
	select {
	case v := <-ch:
		return v
	case <-time.After(Patience):
		t.Fatalf("the sim goroutine did not run a function within %v", Patience)
		panic("unreachable")
	}
}

// SimUntil runs cond on the sim goroutine after every tick until it holds,
// or fails the test after Patience; the scene must be playing. what says
// what is awaited.
func SimUntil(t testing.TB, s *scene.Scene, what string, cond func() bool) {
	t.Helper()
	held := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	s.Do(func() {
		done := false
		s.OnTick(func(float64) {
			if done {
				return
			}
			select {
			case <-stop:
				done = true
				return
			default:
			}
			if cond() {
				done = true
				close(held)
			}
		})
	})
	select {
	case <-held:
	case <-time.After(Patience):
		t.Fatalf("waited %v for %s", Patience, what)
	}
}

// Ctx returns a context that ends after Patience or with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	t.Cleanup(cancel)
	return ctx
}

// Open opens url in a new page of b and waits until its client is live
// (connected, first keyframe applied).
func Open(t testing.TB, b *browser.Browser, url string) *browser.Page {
	t.Helper()
	ctx := Ctx(t)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	Must(t, p, p.Navigate(ctx, url))
	WaitFor(t, p, `window.vizserve && vizserve.state === "live" && vizserve.seq > 0`)
	return p
}

// Must fails the test if err is not nil, saying what the page reported.
func Must(t testing.TB, p *browser.Page, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if p != nil {
		if perr := p.Err(); perr != nil {
			msg += "\npage errors: " + perr.Error()
		}
		cons, _ := p.Console()
		if n := len(cons); n > 0 {
			if n > 10 {
				cons = cons[n-10:]
			}
			msg += "\nconsole:"
			for _, m := range cons {
				msg += "\n  " + m.String()
			}
		}
	}
	t.Fatal(msg)
}

// WaitFor waits until the JavaScript condition holds in the page.
func WaitFor(t testing.TB, p *browser.Page, cond string) {
	t.Helper()
	Must(t, p, p.WaitFor(Ctx(t), cond))
}

// Eval evaluates js in the page and returns its value.
func Eval[T any](t testing.TB, p *browser.Page, js string) T {
	t.Helper()
	var v T
	Must(t, p, p.Eval(Ctx(t), js, &v))
	return v
}

// Attr returns the attribute of the element with the DOM id, or "" if
// either is missing.
func Attr(t testing.TB, p *browser.Page, id, name string) string {
	t.Helper()
	return Eval[string](t, p, fmt.Sprintf(`document.getElementById(%q)?.getAttribute(%q) ?? ""`, id, name))
}

// Center returns the viewport coordinates of the centre of the element
// with the DOM id, for clicks and drags.
func Center(t testing.TB, p *browser.Page, id string) (x, y float64) {
	t.Helper()
	x, y, err := p.Center(Ctx(t), "#"+id)
	Must(t, p, err)
	return x, y
}

// SceneToViewport converts scene coordinates to viewport coordinates, by
// the scene root's current screen transform in the page.
func SceneToViewport(t testing.TB, p *browser.Page, x, y float64) (vx, vy float64) {
	t.Helper()
	var pt struct{ X, Y float64 }
	Must(t, p, p.Eval(Ctx(t), fmt.Sprintf(`(() => {
		const root = document.querySelector("#vz-view > svg");
		const q = new DOMPoint(%g, %g).matrixTransform(root.getScreenCTM());
		return {X: q.x, Y: q.y};
	})()`, x, y), &pt))
	return pt.X, pt.Y
}

// ViewportToScene converts viewport coordinates to scene coordinates.
func ViewportToScene(t testing.TB, p *browser.Page, x, y float64) (sx, sy float64) {
	t.Helper()
	var pt struct{ X, Y float64 }
	Must(t, p, p.Eval(Ctx(t), fmt.Sprintf(`(() => {
		const root = document.querySelector("#vz-view > svg");
		const q = new DOMPoint(%g, %g).matrixTransform(root.getScreenCTM().inverse());
		return {X: q.x, Y: q.y};
	})()`, x, y), &pt))
	return pt.X, pt.Y
}

// NoPageErrors fails the test if the page reported errors.
func NoPageErrors(t testing.TB, p *browser.Page) {
	t.Helper()
	if err := p.Err(); err != nil {
		t.Fatalf("the page reported errors: %v", err)
	}
}

// Picture takes a screenshot of page p, w×h pixels, after two animation
// frames (for the layout to settle), and checks that it is a PNG of that
// size from a page without errors. With write set it writes it to path
// (a docs image, relative to the test's directory).
func Picture(t testing.TB, p *browser.Page, w, h int, path string, write bool) {
	t.Helper()
	Must(t, p, p.Eval(Ctx(t), `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil))
	shot, err := p.Screenshot(Ctx(t))
	Must(t, p, err)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("screenshot of %v, want %d×%d", b, w, h)
	}
	NoPageErrors(t, p)
	if write {
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(shot))
	}
}
