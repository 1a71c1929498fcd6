// Package natsrelay carries one scene to many relays over NATS: the
// origin's Publisher publishes the scene's batch stream on the scene's
// subjects, each relay's Subscriber feeds a stream.Relay from them, and
// the relays' viewers' events go back to the scene (docs/scale.md).
//
//	nc, _ := natsrelay.Connect(url, "origin")
//	p, _ := natsrelay.NewPublisher(nc, src, &natsrelay.PublisherOptions{Scene: "demo"})
//	defer p.Close()
//
//	nc, _ := natsrelay.Connect(url, "relay-1")
//	s, _ := natsrelay.NewSubscriber(nc, &natsrelay.SubscriberOptions{Scene: "demo"})
//	server.MountScene(srv, s.Relay(), nil)
//
// # Stream
//
// Every publication carries the stream's epoch (new for every publisher)
// and a number one more than the last. A relay that sees a gap, a new
// epoch, or a heartbeat naming a publication it missed asks the origin
// for a keyframe (request-reply), which the origin takes from its own
// Mirror at a publication boundary, never from the sim goroutine; the
// relay holds what comes meanwhile and resumes after the keyframe.
// Messages above the broker's payload limit go in chunks.
//
// # Never blocking the sim
//
// The Publisher is a wire.Sink that merges (stream.Merger) and wakes its
// own goroutine; while the broker is unreachable or its buffer is full,
// batches keep merging and the next publication carries them.
//
// NATS stays out of scene children: internal/link's TestChildDependencies
// fails if a scene built with the vizserve_child tag links it.
package natsrelay
