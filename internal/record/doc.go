// Package record writes and reads vizserve recordings: a scene's batch
// stream kept with its times in one file (docs/recording.md), so that a
// run can be replayed, sought and shared.
//
//	w, err := record.NewWriter(f, &record.Options{Title: "bouncing"})
//	unsubscribe := source.Subscribe(w) // a Writer is a wire.Sink
//	...
//	err = w.Close()                    // writes the index
//
//	r, err := record.Open(f, size)
//	m, err := r.Seek(12 * time.Second) // the page's DOM at 12 s
//	for rec, err := r.Next(); err == nil; rec, err = r.Next() { ... }
//
// # The file
//
// A file is a header, then segments: each starts with a keyframe (about
// every 2 s) and continues with the batches that followed it, each with
// its time. Every record is length-prefixed and checksummed, so a file cut
// off anywhere (a crash, kill -9) plays up to its last complete record; an
// index of the segments at the end, written by Close, makes seeking cheap,
// and a reader that finds none scans the records instead.
//
// # Compactly
//
// Moves (set-xy, set-num, set-pose) are coded against the same element's
// previous values: the residual of a linear prediction of each number's
// bits, a byte or two for a thing moving smoothly. Every other op is kept
// in its wire encoding, so ops this package does not know pass through.
// Each segment is one deflate stream, flushed at every record.
package record
