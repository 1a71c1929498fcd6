package publish_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/vizserve/vizserve/internal/natsrelay"
	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/publish"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// TestNATS: a program's scene reaches a relay, which holds its circle.
func TestNATS(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	b, err := natsrelay.StartBroker("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s := scene.New(scene.Options{Width: 100, Height: 100})
	c := s.Root().Circle(10, 10, 5, "fill:red")
	stop, err := publish.NATS(s, b.URL(), "prog")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	nc, err := natsrelay.Connect(b.URL(), "relay")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := natsrelay.NewSubscriber(nc, &natsrelay.SubscriberOptions{Scene: "prog"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	s.Advance(0)
	c.SetXY(40, 60)
	s.Advance(1.0 / 60)
	var mu sync.Mutex
	view := stream.NewMirror()
	sub.Relay().Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		mu.Lock()
		defer mu.Unlock()
		return view.Apply(b) == nil
	}))
	moved := func(natsrelay.SubscriberStats) bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(view.Markup(), `cx="40"`)
	}
	if err := sub.Wait(ctx, moved); err != nil {
		t.Fatal(err)
	}
}
