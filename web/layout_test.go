package web

// Tests of the page's layout in headless Chromium: the scene fills the
// area beside the panel at its aspect, the panel is a drawer on narrow
// windows, the chrome follows prefers-color-scheme, and the page loads
// without failed requests.

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vizserve/vizserve/assets"
	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene/wire"
)

var screenshots = flag.Bool("screenshots", false, "write the layout screenshots of TestLayoutScreenshots to docs/img")

// rect is a DOMRect's box.
type rect struct{ Left, Top, Width, Height float64 }

func (r rect) right() float64  { return r.Left + r.Width }
func (r rect) bottom() float64 { return r.Top + r.Height }

func boxOf(t *testing.T, p *browser.Page, sel string) rect {
	t.Helper()
	return eval[rect](t, p, `(() => { const b = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return {Left: b.left, Top: b.top, Width: b.width, Height: b.height}; })()`)
}

// sized opens the world's page with the viewport at w×h and waits for the
// layout to settle (the drawer's transition included).
func sized(t *testing.T, w, h int) (*browser.Page, *viewer) {
	t.Helper()
	wd := newWorld(t)
	_, p, v := wd.start(t, "/")
	must(t, p.SetViewport(testCtx(t), w, h))
	waitFor(t, p, fmt.Sprintf(`innerWidth === %d && innerHeight === %d`, w, h))
	nextFrames(t, p, 2)
	return p, v
}

// TestLayoutFill: at a wide and a narrow window, the view is the largest
// box of the scene's aspect (400×300) that fits in the stage, centred, and
// the stage is the window beside the panel (all of it when narrow).
// Scene coordinates still map through the fitted view.
func TestLayoutFill(t *testing.T) {
	for _, tc := range []struct {
		w, h       int
		stageWidth float64 // the window's width less the panel's
	}{
		{1280, 800, 1280 - 17*16},
		{420, 800, 420},
		{800, 1000, 800 - 17*16},
		{799, 600, 799},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			t.Parallel()
			p, v := sized(t, tc.w, tc.h)
			// The stage is above the run bar, which is there from the
			// start (filled once stats come).
			stage, bar := boxOf(t, p, ".vz-stage"), boxOf(t, p, "#vz-run")
			if bar.Height < 20 || math.Abs(bar.Top-stage.bottom()) > 1 || math.Abs(bar.bottom()-float64(tc.h)) > 1 || math.Abs(bar.Width-tc.stageWidth) > 1 {
				t.Errorf("run bar %+v, want it under the stage %+v, at the window's bottom", bar, stage)
			}
			if math.Abs(stage.Width-tc.stageWidth) > 1 || math.Abs(stage.Height-(float64(tc.h)-bar.Height)) > 1 || stage.Left != 0 || stage.Top != 0 {
				t.Errorf("stage %+v, want %gx%g at 0,0", stage, tc.stageWidth, float64(tc.h)-bar.Height)
			}
			s := math.Min(stage.Width/400, stage.Height/300)
			want := rect{stage.Left + (stage.Width-400*s)/2, stage.Top + (stage.Height-300*s)/2, 400 * s, 300 * s}
			got := boxOf(t, p, "#vz-view")
			for _, d := range []struct {
				what      string
				got, want float64
			}{
				{"left", got.Left, want.Left}, {"top", got.Top, want.Top},
				{"right", got.right(), want.right()}, {"bottom", got.bottom(), want.bottom()},
			} {
				if math.Abs(d.got-d.want) > 2 {
					t.Errorf("view %s at %g, want %g ±2 (view %+v in stage %+v)", d.what, d.got, d.want, got, stage)
				}
			}
			// The bands: only on the axis the aspect needs, and no wider.
			if band := math.Min(got.Left-stage.Left, got.Top-stage.Top); band > 2 {
				t.Errorf("bands on both axes: %g px left, %g px above", got.Left-stage.Left, got.Top-stage.Top)
			}
			// A click on the ball still lands on it, in scene units.
			x, y := center(t, p, "ball")
			mark := v.mark()
			must(t, p.Click(testCtx(t), x, y))
			e := v.waitEvent(t, mark, wire.Click)
			if !near(float64(e.X), 50) || !near(float64(e.Y), 40) {
				t.Errorf("click on the ball at (%g, %g), want (50, 40)", e.X, e.Y)
			}
			noPageErrors(t, p)
		})
	}
}

// TestLayoutDrawer: at 420 px the panel is a drawer, closed at first and
// out of sight; its button (aria-expanded, aria-controls) opens it from
// the keyboard, focus moves into it, and Escape closes it and gives the
// focus back. At 1280 px there is no button and the panel is beside the
// scene.
func TestLayoutDrawer(t *testing.T) {
	t.Run("narrow", func(t *testing.T) {
		t.Parallel()
		p, _ := sized(t, 420, 800)
		ctx := testCtx(t)
		if got := eval[string](t, p, `document.getElementById("vz-drawer").getAttribute("aria-controls")`); got != "vz-panel" {
			t.Errorf("aria-controls = %q, want vz-panel", got)
		}
		const closed = `document.getElementById("vz-drawer").getAttribute("aria-expanded") === "false" && getComputedStyle(document.getElementById("vz-panel")).visibility === "hidden"`
		const open = `document.getElementById("vz-drawer").getAttribute("aria-expanded") === "true" && getComputedStyle(document.getElementById("vz-panel")).visibility === "visible"`
		// Closed at first (after the transition the resize to 420 px set off).
		waitFor(t, p, closed)
		if b := boxOf(t, p, "#vz-panel"); b.Left < 420-1 {
			t.Errorf("the closed drawer is in sight: %+v", b)
		}
		btn := boxOf(t, p, "#vz-drawer")
		if btn.Width == 0 || btn.right() > 420 || btn.Top < 0 {
			t.Errorf("the drawer button is not in sight: %+v", btn)
		}
		// Open from the keyboard.
		eval[any](t, p, `document.getElementById("vz-drawer").focus()`)
		must(t, p.Press(ctx, "Enter", 0))
		waitFor(t, p, open)
		waitFor(t, p, `(() => { const b = document.getElementById("vz-panel").getBoundingClientRect(); return b.left >= 0 && Math.abs(b.right - innerWidth) < 1; })()`)
		waitFor(t, p, `document.getElementById("vz-panel").contains(document.activeElement)`)
		// The button stays in sight over the open drawer.
		hit := eval[bool](t, p, fmt.Sprintf(`document.elementFromPoint(%g, %g) === document.getElementById("vz-drawer")`, btn.Left+btn.Width/2, btn.Top+btn.Height/2))
		if !hit {
			t.Error("the open drawer covers its button")
		}
		// Escape closes it and the focus goes back to the button.
		must(t, p.Press(ctx, "Escape", 0))
		waitFor(t, p, closed)
		if !eval[bool](t, p, `document.activeElement === document.getElementById("vz-drawer")`) {
			t.Error("after Escape the focus is not on the drawer button")
		}
		// Space on the button opens it too, and a click closes it.
		must(t, p.Press(ctx, " ", 0))
		waitFor(t, p, open)
		must(t, p.Click(ctx, btn.Left+btn.Width/2, btn.Top+btn.Height/2))
		waitFor(t, p, closed)
		noPageErrors(t, p)
	})
	t.Run("wide", func(t *testing.T) {
		t.Parallel()
		p, _ := sized(t, 1280, 800)
		if d := eval[string](t, p, `getComputedStyle(document.getElementById("vz-drawer")).display`); d != "none" {
			t.Errorf("the drawer button shows on a wide window (display %s)", d)
		}
		panel, stage := boxOf(t, p, "#vz-panel"), boxOf(t, p, ".vz-stage")
		if math.Abs(panel.Left-stage.right()) > 1 || math.Abs(panel.right()-1280) > 1 {
			t.Errorf("panel %+v, want it beside the stage %+v", panel, stage)
		}
		if !eval[bool](t, p, `getComputedStyle(document.getElementById("vz-panel")).visibility === "visible"`) {
			t.Error("the panel is not visible")
		}
		noPageErrors(t, p)
	})
}

// TestLayoutThemes: the page's chrome follows prefers-color-scheme; the
// scene's own colours do not change.
func TestLayoutThemes(t *testing.T) {
	t.Parallel()
	p, _ := sized(t, 1280, 800)
	ctx := testCtx(t)
	style := func(sel, prop string) string {
		return eval[string](t, p, `getComputedStyle(document.querySelector(`+jsString(sel)+`)).`+prop)
	}
	for _, tc := range []struct {
		scheme, body, panel, text, hud string
	}{
		{"light", "rgb(246, 246, 248)", "rgb(255, 255, 255)", "rgb(34, 34, 34)", "rgba(20, 20, 28, 0.72)"},
		{"dark", "rgb(23, 24, 28)", "rgb(32, 33, 39)", "rgb(228, 228, 232)", "rgba(0, 0, 0, 0.72)"},
	} {
		must(t, p.SetColorScheme(ctx, tc.scheme))
		for _, c := range []struct{ what, got, want string }{
			{"page background", style("body", "backgroundColor"), tc.body},
			{"panel background", style("#vz-panel", "backgroundColor"), tc.panel},
			{"panel text", style("#vz-panel", "color"), tc.text},
			{"HUD background", style("#vz-hud", "backgroundColor"), tc.hud},
			{"scene background (the author's)", style("#bg", "fill"), "rgb(238, 238, 255)"},
		} {
			if c.got != c.want {
				t.Errorf("%s: %s is %s, want %s", tc.scheme, c.what, c.got, c.want)
			}
		}
	}
	noPageErrors(t, p)
}

// TestLayoutNoFailedRequests: the page links its favicon from the assets,
// the favicon is served as SVG, and loading the page logs no failed
// request (no 404 for /favicon.ico).
func TestLayoutNoFailedRequests(t *testing.T) {
	t.Parallel()
	p, _ := sized(t, 1280, 800)
	href := eval[string](t, p, `document.querySelector('link[rel="icon"]').getAttribute("href")`)
	if href != assets.URL("favicon.svg") || href == "" {
		t.Errorf("icon link %q, want %q", href, assets.URL("favicon.svg"))
	}
	got := eval[string](t, p, `fetch(document.querySelector('link[rel="icon"]').href).then(r => r.status + " " + r.headers.get("Content-Type"))`)
	if got != "200 image/svg+xml" {
		t.Errorf("favicon: %s, want 200 image/svg+xml", got)
	}
	msgs, _ := p.Console()
	for _, m := range msgs {
		if m.Source == "network" || m.Level == "error" {
			t.Errorf("the page logged %s", m)
		}
	}
	noPageErrors(t, p)
}

// TestLayoutScreenshots takes the pictures of docs/client.md: wide and
// narrow, light and dark, the drawer closed and open. With -screenshots it
// writes them to docs/img.
func TestLayoutScreenshots(t *testing.T) {
	for _, tc := range []struct {
		name   string
		w, h   int
		scheme string
		open   bool
	}{
		{"layout-wide", 1280, 800, "light", false},
		{"layout-dark", 1280, 800, "dark", false},
		{"layout-narrow", 420, 800, "light", false},
		{"layout-narrow-open", 420, 800, "light", true},
		{"layout-narrow-dark", 420, 800, "dark", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := sized(t, tc.w, tc.h)
			ctx := testCtx(t)
			must(t, p.SetColorScheme(ctx, tc.scheme))
			eval[any](t, p, `vizserve.toggleHUD()`)
			if tc.open {
				eval[any](t, p, `document.getElementById("vz-drawer").click()`)
				waitFor(t, p, `(() => { const b = document.getElementById("vz-panel").getBoundingClientRect(); return Math.abs(b.right - innerWidth) < 1; })()`)
			}
			nextFrames(t, p, 3)
			data, err := p.Screenshot(ctx)
			must(t, err)
			img, err := png.Decode(bytes.NewReader(data))
			must(t, err)
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Errorf("screenshot is %v, want %dx%d", b, tc.w, tc.h)
			}
			if *screenshots {
				name := filepath.Join("..", "docs", "img", tc.name+".png")
				must(t, os.MkdirAll(filepath.Dir(name), 0o755))
				must(t, os.WriteFile(name, data, 0o644))
			}
			noPageErrors(t, p)
		})
	}
}
