// Package deflate is a DEFLATE (RFC 1951) compressor for permessage-deflate
// (RFC 7692) whose back-references stay within a window of 1<<windowBits
// bytes, windowBits 8..15, which compress/flate (always 32 KiB) cannot do.
//
//	c := deflate.New(windowBits, deflate.DefaultCompression)
//	out := c.Write(out[:0], part1) // any number of pieces
//	out = c.Write(out, part2)
//	out = c.Finish(out) // the message's payload, tail already removed
//	c.Reset()           // only without context takeover
//
// It only compresses: compress/flate decodes any window up to 32 KiB.
//
// # Output
//
// Each message is a run of non-final blocks (stored, fixed or dynamic
// Huffman, whichever is smallest) ended by a sync flush, an empty stored
// block, minus the 0x00 0x00 0xFF 0xFF that RFC 7692 section 7.2.1 strips;
// a receiver appends them and inflates. An empty message is the byte 0x00.
// Codes are complete prefix codes no longer than 15 bits (7 for the code
// length code), with at least two codes each, which every decoder accepts.
// Incompressible data grows by 5 bytes per 32 KiB plus one byte per
// message.
//
// # Context takeover
//
// After Finish the compressor keeps the last window bytes of the message
// stream, and the next message may refer to them: the receiver must keep
// its window too. Reset forgets them in O(1), so that one compressor (or a
// pool of them) serves connections without context takeover.
//
// # Cost
//
// Memory is proportional to the window where it can be (see New); nothing
// is allocated per message once the buffers have grown to the largest
// message seen. Matching uses hash chains over 4-byte prefixes with
// absolute positions, so sliding the buffer or Reset never rewrites them.
// The output of a message does not depend on how it was split into Writes.
package deflate
