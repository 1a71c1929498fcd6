package natsrelay

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/server"
)

var shot = flag.String("shot", "", "write the relay page's screenshot of TestBrowsersOnTwoRelays to this `file`")

// TestBrowsersOnTwoRelays: two Chromium pages, each on its own relay, see
// each other's clicks, and their HUDs count the viewers of both relays.
func TestBrowsersOnTwoRelays(t *testing.T) {
	broker := startBroker(t, "127.0.0.1:0", 0)
	t.Cleanup(func() { broker.Close() })
	s := scene.New(scene.Options{Width: 400, Height: 200})
	root := s.Root()
	root.Rect(0, 0, 400, 200, `id="bg"`, "fill:#eef")
	clicks := 0
	var box *scene.Node
	box = root.Rect(170, 70, 60, 60, `id="box"`, "fill:teal").OnClick(func(p scene.Pointer) {
		clicks++
		box.Set("data-clicks", strconv.Itoa(clicks))
		box.Set("fill", []string{"teal", "crimson"}[clicks%2])
	})
	e2e.RunScene(t, s)
	pubNC := connect(t, broker.URL(), "origin")
	t.Cleanup(pubNC.Close)
	pub, err := NewPublisher(pubNC, s, &PublisherOptions{Scene: "clicks"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })

	var urls []string
	for i := range 2 {
		nc := connect(t, broker.URL(), "relay")
		t.Cleanup(nc.Close)
		srv := server.New(server.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
		var hub atomic.Pointer[server.Hub]
		sub, err := NewSubscriber(nc, &SubscriberOptions{Scene: "clicks", Name: fmt.Sprintf("relay%d", i+1), Viewers: func() int {
			if h := hub.Load(); h != nil {
				return h.Stats().Viewers
			}
			return 0
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		h := server.MountScene(srv, sub.Relay(), nil)
		h.CountViewers(sub.Viewers)
		hub.Store(h)
		if err := srv.Open(); err != nil {
			t.Fatal(err)
		}
		go srv.Serve()
		t.Cleanup(func() { srv.Close() })
		urls = append(urls, srv.URL()+"/")
	}

	b := browser.ForTest(t)
	a := e2e.Open(t, b, urls[0])
	c := e2e.Open(t, b, urls[1])
	x, y := e2e.Center(t, a, "box")
	e2e.Must(t, a, a.Click(e2e.Ctx(t), x, y))
	e2e.WaitFor(t, c, `document.getElementById("box").getAttribute("data-clicks") === "1"`)
	x, y = e2e.Center(t, c, "box")
	e2e.Must(t, c, c.Click(e2e.Ctx(t), x, y))
	e2e.WaitFor(t, a, `document.getElementById("box").getAttribute("data-clicks") === "2"`)
	for _, p := range []*browser.Page{a, c} {
		e2e.Eval[bool](t, p, `(document.getElementById("vz-hud").hidden = false, true)`)
		e2e.WaitFor(t, p, `/viewers 2 /.test(document.getElementById("vz-hud").textContent)`)
		e2e.NoPageErrors(t, p)
	}
	if *shot != "" {
		png, err := c.Screenshot(e2e.Ctx(t))
		e2e.Must(t, c, err)
		if err := os.WriteFile(*shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
