package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
)

// The instructions on the page work in a real browser.
func TestBrowserConsole(t *testing.T) {
	t.Parallel()
	ex := start(t)
	// Started after the program, the browser is closed before it stops
	// (cleanups run last in, first out): a connection Chromium opened
	// ahead of need and never used would hold up server.Close for its
	// whole grace period.
	b := browser.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
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
	must(p.Navigate(ctx, ex.url+"/"))
	// What a person types in the console.
	must(p.Eval(ctx, `window.ws = openws()`, nil))
	must(p.WaitFor(ctx, `ws.readyState === 1`))
	must(p.Eval(ctx, `ws.send("Browser console says hello!")`, nil))
	must(p.WaitFor(ctx, `document.getElementById("log").textContent.includes('onmessage: "Hello! Send an empty message to exit, or just leave."')`))
	must(p.Eval(ctx, `ws.send("")`, nil))
	must(p.WaitFor(ctx, `document.getElementById("log").textContent.includes('onmessage: "Goodbye!"')`))
	must(p.WaitFor(ctx, `document.getElementById("log").textContent.includes('onclose: wasClean true code 1000 Normal Closure')`))
	must(p.Err())
	// The gatekeeper saw the page's origin.
	ex.out.waitFor(t, regexp.MustCompile(`gatekeeper: websocket accepted origin=`+regexp.QuoteMeta(ex.url)+` target=/ `))
}
