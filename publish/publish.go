//go:build !vizserve_child

// Package publish lets a program run on its own publish its scene to
// vizserve relays over a NATS broker (docs/scale.md):
//
//	stop, err := publish.NATS(s, "nats://127.0.0.1:4222", "demo")
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer stop()
//	vizserve.Run(s, nil)
//
// Relays serve it with `vizserve relay -nats URL -scene demo`. Under the
// vizserve front the program is a scene child, which never links NATS:
// NATS then does nothing, and the front publishes with -publish instead.
package publish

import (
	"github.com/vizserve/vizserve/internal/natsrelay"
	"github.com/vizserve/vizserve/scene/wire"
)

// NATS publishes src's stream as scene name through the broker at url
// (nats://HOST:PORT), and passes the relays' viewers' events to src,
// until stop is called. It never blocks src: while the broker is away,
// the stream merges. It returns once connected, or while still trying to
// connect (it keeps trying).
func NATS(src wire.Source, url, name string) (stop func(), err error) {
	nc, err := natsrelay.Connect(url, "vizserve-"+name)
	if err != nil {
		return nil, err
	}
	p, err := natsrelay.NewPublisher(nc, src, &natsrelay.PublisherOptions{Scene: name})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return func() {
		p.Close()
		nc.Close()
	}, nil
}
