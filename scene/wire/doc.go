// Package wire is vizserve's wire protocol v1 (docs/protocol.md) and the
// seam between a simulation and its viewers.
//
//	b := &wire.Batch{Seq: 7, Ops: []wire.Op{{Code: wire.OpSetXY, Node: 5, Pair: wire.PairCXY, X: 10, Y: 20}}}
//	msg, _ := b.MarshalBinary()          // 1 + 11 bytes: seq, then the op
//	var got wire.Batch
//	err := got.UnmarshalBinary(msg)      // clear *DecodeError on bad input
//
// # Messages
//
// Server→browser messages are a [Batch]: a sequence number and [Op]s
// (keyframe, create, set attribute, set text, remove, move, plus overlay,
// asset, stats and control messages). Browser→server messages are one
// [Event] each: pointer, wheel, key, hover and control events, or an ack of
// the sequence number the browser has applied. Both directions have Go
// encoders and decoders; decoders never panic and never allocate more than
// the message size.
//
// # Writing to many viewers
//
// [AppendBatch] encodes a batch with the sequence number and [ViewerStats]
// of one viewer, leaving the ops untouched; an [Encoder] encodes a batch's
// ops once and writes them for any number of viewers, each with its own
// number and figures, so that no caller edits encoded bytes.
//
// # The seam
//
// A [Source] (a scene in this process, or a relay fed from another
// process) streams batches to [Sink]s and takes events. How a viewer merges
// batches it cannot write yet, the relay, and the model DOM that tests and
// relays apply batches to are not part of the protocol; they live inside
// the module (internal/stream).
package wire
