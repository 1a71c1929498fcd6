package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
)

// The page's inbox and outbox work in a real browser against the
// program's echo server.
func TestBrowserMailbox(t *testing.T) {
	t.Parallel()
	out := newOutput()
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(runCtx, []string{"-addr", "127.0.0.1:0"}, out) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(patience):
			t.Error("run did not return after its context ended")
		}
	})
	// Started after the program, the browser is closed before it stops
	// (cleanups run last in, first out): a connection Chromium opened
	// ahead of need and never used would hold up server.Close for its
	// whole grace period.
	b := browser.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := out.waitFor(t, regexp.MustCompile(`open (http://127\.0\.0\.1:\d+)/`))[1]

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
	must(p.Navigate(ctx, url+"/"))
	must(p.WaitFor(ctx, `page.received.includes("Hello from the page")`))
	x, y, err := p.Center(ctx, "#text")
	must(err)
	must(p.Click(ctx, x, y))
	must(p.Type(ctx, "typed by a person\n"))
	must(p.WaitFor(ctx, `page.received.includes("typed by a person")`))
	x, y, err = p.Center(ctx, "#close")
	must(err)
	must(p.Click(ctx, x, y))
	must(p.WaitFor(ctx, `page.inboxEnded && page.closed.wasClean && page.closed.code === 1000`))
	var received []string
	must(p.Eval(ctx, `page.received`, &received))
	if len(received) != 2 {
		t.Errorf("the page received %q, want its two messages back", received)
	}
	must(p.Err())
}
