package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
)

// The page plays the client's part in a real browser, and the server
// catches it cheating.
func TestBrowserCounts(t *testing.T) {
	t.Parallel()
	srv := start(t, "-role", "server")
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
	type closed struct {
		WasClean bool
		Code     int
		Reason   string
	}
	var game struct {
		Heard, Said []int
		Closed      closed
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.Navigate(ctx, srv.url+"/")) // the page starts a game
	must(p.WaitFor(ctx, `game.closed !== null`))
	must(p.Eval(ctx, `game`, &game))
	if fmt.Sprint(game.Heard) != "[1 3 5 7 9]" || fmt.Sprint(game.Said) != "[2 4 6 8 10]" ||
		game.Closed != (closed{true, 1000, "counted to 10"}) {
		t.Fatalf("honest game: %+v", game)
	}

	x, y, err := p.Center(ctx, "#cheat")
	must(err)
	must(p.Click(ctx, x, y))
	must(p.WaitFor(ctx, `game.closed !== null`))
	must(p.Eval(ctx, `game`, &game))
	if fmt.Sprint(game.Heard) != "[1]" || fmt.Sprint(game.Said) != "[3]" ||
		game.Closed != (closed{true, 1002, "expected 2, got 3"}) {
		t.Fatalf("cheating game: %+v", game)
	}
	must(p.Err())
}
