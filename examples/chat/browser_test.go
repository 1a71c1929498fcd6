package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
)

// A person in a real browser joins the chat with the page's form and talks
// with a Go client.
func TestBrowserJoinsChat(t *testing.T) {
	t.Parallel()
	ex := start(t)
	// Started after the program, the browser is closed before it stops
	// (cleanups run last in, first out): a connection Chromium opened
	// ahead of need and never used would hold up server.Close for its
	// whole grace period.
	b := browser.ForTest(t)
	alice := dial(t, ex.url, ex.url)
	send(t, alice, "userName:alice")
	expect(t, alice, "alice", "alice enters chat")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Err(); err != nil {
			t.Error(err)
		}
	}()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	click := func(selector string) {
		t.Helper()
		x, y, err := p.Center(ctx, selector)
		must(err)
		must(p.Click(ctx, x, y))
	}
	must(p.Navigate(ctx, ex.url+"/"))
	must(p.WaitFor(ctx, `document.getElementById("log").textContent.includes("onopen: readyState 1 OPEN")`))

	// The name is taken: the page says so and stays on the form.
	click("#name")
	must(p.Type(ctx, "alice\n"))
	must(p.WaitFor(ctx, `document.getElementById("join-error").textContent === "Username taken!"`))

	must(p.Eval(ctx, `document.getElementById("name").value = ""`, nil))
	click("#name")
	must(p.Type(ctx, "Chromium"))
	click("#join")
	must(p.WaitFor(ctx, `document.body.classList.contains("joined")`))
	expect(t, alice, "Chromium enters chat")

	must(p.Type(ctx, "hello from a browser\n"))
	expect(t, alice, "Chromium: hello from a browser")

	send(t, alice, "hello, browser")
	must(p.WaitFor(ctx, `chat.lines.includes("alice: hello, browser")`))
	var shown string
	must(p.Eval(ctx, `document.getElementById("lines").textContent`, &shown))
	if want := "alice: hello, browser"; !strings.Contains(shown, want) {
		t.Errorf("the page shows %q, without %q", shown, want)
	}

	click("#leave")
	expect(t, alice, "Chromium has left")
	must(p.WaitFor(ctx, `document.getElementById("log").textContent.includes("onclose: wasClean true code 1000 Normal Closure")`))
}
