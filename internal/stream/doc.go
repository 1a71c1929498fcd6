// Package stream is what carries a scene's batch stream inside vizserve,
// beyond the protocol of package wire: the viewers' hub, the dev link,
// relays and recording use it.
//
//	var m stream.Merger                 // one viewer's pending changes
//	r := stream.NewRelay(dispatch)      // a wire.Source fed from elsewhere
//	d := stream.NewMirror()             // the browser's DOM, modelled
//
// # Merging
//
// A [Merger] holds one consumer's pending changes and merges each batch
// into them (latest value wins), so a consumer that falls behind skips
// intermediate frames and its memory stays bounded by the scene's size.
//
// # Mirror and Relay
//
// A [Mirror] applies batches to a model DOM exactly as the browser client
// does: relays use it for keyframes, tests as the reference. A [Relay] is
// a wire.Source whose scene lives in another process.
package stream
