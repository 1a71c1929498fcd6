package main

import (
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
)

// negativeCheck compares the two canvases in the page: the right one must
// hold the negative of the left one, pixel for pixel. It returns the
// number of pixels that differ.
const negativeCheck = `(() => {
	const a = document.getElementById("src").getContext("2d").getImageData(0, 0, 320, 200).data;
	const b = document.getElementById("dst").getContext("2d").getImageData(0, 0, 320, 200).data;
	let bad = 0;
	for (let i = 0; i < a.length; i += 4) {
		if (b[i] !== 255 - a[i] || b[i+1] !== 255 - a[i+1] || b[i+2] !== 255 - a[i+2] || b[i+3] !== a[i+3]) bad++;
	}
	return bad;
})()`

// TestBrowserRoundTrip: in a real browser, the canvas's ImageData goes to
// Go as binary and comes back as its negative, exactly; a stroke drawn
// with the mouse makes another round trip.
func TestBrowserRoundTrip(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := browser.ForTest(t)
	pg, err := b.NewPage(e2e.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	e2e.Must(t, pg, pg.Navigate(e2e.Ctx(t), p.url+"/"))
	e2e.WaitFor(t, pg, `pixels.received === 1`)
	if bad := e2e.Eval[int](t, pg, negativeCheck); bad != 0 {
		t.Fatalf("%d of 64000 pixels are not the negative of the original", bad)
	}
	// The left canvas is not all one colour: the check could fail.
	if n := e2e.Eval[int](t, pg, `new Set(Array.from(document.getElementById("src").getContext("2d").getImageData(0, 0, 320, 200).data)).size`); n < 50 {
		t.Fatalf("the picture has %d distinct byte values: too plain to test with", n)
	}

	const sum = `document.getElementById("src").getContext("2d").getImageData(0, 0, 320, 200).data.reduce((a, v) => a + v, 0)`
	before := e2e.Eval[int](t, pg, sum)
	x, y := e2e.Center(t, pg, "src")
	e2e.Must(t, pg, pg.Drag(e2e.Ctx(t), x-100, y-50, x+100, y+50, 8))
	e2e.WaitFor(t, pg, `pixels.received === 2`)
	if after := e2e.Eval[int](t, pg, sum); after == before {
		t.Fatal("the stroke did not change the picture")
	}
	if bad := e2e.Eval[int](t, pg, negativeCheck); bad != 0 {
		t.Fatalf("after a stroke: %d pixels are not the negative of the original", bad)
	}
	if got := e2e.Eval[string](t, pg, `pixels.error + (pixels.closed ? "closed" : "")`); got != "" {
		t.Fatalf("the page says: %s", got)
	}
	e2e.NoPageErrors(t, pg)
}
