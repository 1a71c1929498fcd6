// Package stream is what carries a scene's batch stream inside vizserve,
// beyond the protocol of package wire: the viewers' hub, the dev link,
// relays and recording use it.
//
//	w := &stream.Writer{Write: write}   // one consumer's write side, a wire.Sink
//	go w.Run(ctx)                       // merges what it cannot write yet
//	r := stream.NewRelay(dispatch)      // a wire.Source fed from elsewhere
//	d := stream.NewMirror()             // the browser's DOM, modelled
//
// # Merging
//
// A [Merger] holds one consumer's pending changes and merges each batch
// into them (latest value wins), so a consumer that falls behind skips
// intermediate frames and its memory stays bounded by the scene's size. A
// [Writer] is the one merging writer built on it, used by the hub for each
// viewer and meant for the dev-mode child's link too.
//
// # Mirror and Relay
//
// A [Mirror] applies batches to a model DOM exactly as the browser client
// does: relays use it for keyframes, tests as the reference. A [Relay] is
// a wire.Source whose scene lives in another process.
package stream
