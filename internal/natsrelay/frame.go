package natsrelay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// The messages on a scene's subjects (docs/scale.md, "Messages"). Every
// message starts with the version byte; the stream's and the keyframe
// replies' then carry a frame header, the events and presence messages
// their own fields. Numbers are unsigned varints, strings a varint length
// and then the bytes.
const version = 1

// kind says what a stream or keyframe-reply frame carries.
type kind byte

const (
	kindBatch     kind = 'b' // a chunk of publication Pub: a wire batch
	kindHeartbeat kind = 'h' // no payload; Pub is the last publication
	kindKeyframe  kind = 'k' // a chunk of a keyframe at publication Pub
	kindNone      kind = 'n' // a keyframe reply from an origin with no scene yet
)

// maxChunks bounds the chunks of one message, and so with the broker's
// payload limit what a relay assembles.
const maxChunks = 4096

// maxHeader is room for a frame header, kept free in every chunk.
const maxHeader = 2 + 4*binary.MaxVarintLen64

// header is a frame header: which stream (Epoch), which publication (Pub),
// and which part of it.
type header struct {
	Kind          kind
	Epoch, Pub    uint64
	Chunk, Chunks int
}

var errFrame = errors.New("natsrelay: malformed message")

func appendHeader(dst []byte, h header) []byte {
	dst = append(dst, version, byte(h.Kind))
	dst = binary.AppendUvarint(dst, h.Epoch)
	dst = binary.AppendUvarint(dst, h.Pub)
	dst = binary.AppendUvarint(dst, uint64(h.Chunk))
	return binary.AppendUvarint(dst, uint64(h.Chunks))
}

// parseHeader reads a frame header and returns the payload after it.
func parseHeader(b []byte) (header, []byte, error) {
	var h header
	if len(b) < 2 || b[0] != version {
		return h, nil, errFrame
	}
	h.Kind = kind(b[1])
	switch h.Kind {
	case kindBatch, kindHeartbeat, kindKeyframe, kindNone:
	default:
		return h, nil, fmt.Errorf("%w: kind %q", errFrame, b[1])
	}
	r := reader{b: b[2:]}
	h.Epoch = r.uvarint()
	h.Pub = r.uvarint()
	chunk, chunks := r.uvarint(), r.uvarint()
	if r.err != nil {
		return h, nil, r.err
	}
	if chunks > maxChunks || chunk >= chunks && chunks > 0 || h.Epoch == 0 {
		return h, nil, fmt.Errorf("%w: chunk %d of %d, epoch %d", errFrame, chunk, chunks, h.Epoch)
	}
	h.Chunk, h.Chunks = int(chunk), int(chunks)
	return h, r.b, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errFrame
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str(max int) string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) || n > uint64(max) {
		r.err = errFrame
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// maxName bounds a relay's name on the wire.
const maxName = 128

// chunks splits a message's payload into parts of at most size bytes (at
// least one part, empty for an empty payload).
func chunks(payload []byte, size int) [][]byte {
	if len(payload) <= size {
		return [][]byte{payload}
	}
	out := make([][]byte, 0, (len(payload)+size-1)/size)
	for len(payload) > size {
		out = append(out, payload[:size])
		payload = payload[size:]
	}
	return append(out, payload)
}

// assembler joins the chunks of one message, which come in order from one
// publisher; a chunk out of order drops what it held.
type assembler struct {
	h    header
	buf  []byte
	next int
}

// add takes one chunk. It returns the whole payload once the last chunk
// came, and ok false when the chunk does not continue what it holds (a
// chunk was lost: the message is lost).
func (a *assembler) add(h header, p []byte) (whole []byte, ok bool) {
	if h.Chunks <= 1 {
		a.reset()
		return p, true
	}
	if h.Chunk == 0 {
		a.reset()
		a.h = h
	} else if a.next != h.Chunk || a.h.Kind != h.Kind || a.h.Epoch != h.Epoch || a.h.Pub != h.Pub || a.h.Chunks != h.Chunks {
		a.reset()
		return nil, false
	}
	a.buf = append(a.buf, p...)
	a.next++
	if a.next < h.Chunks {
		return nil, true
	}
	whole = a.buf
	a.buf, a.next = nil, 0
	return whole, true
}

func (a *assembler) reset() { a.buf, a.next, a.h = nil, 0, header{} }

// eventMsg is an event from a relay's viewer: who sent it and the wire
// event.
type eventMsg struct {
	Relay  string
	Viewer uint64
	Event  []byte // wire.Event's encoding
}

func appendEventMsg(dst []byte, m eventMsg) []byte {
	dst = append(dst, version)
	dst = appendString(dst, m.Relay)
	dst = binary.AppendUvarint(dst, m.Viewer)
	return append(dst, m.Event...)
}

func parseEventMsg(b []byte) (eventMsg, error) {
	var m eventMsg
	if len(b) < 1 || b[0] != version {
		return m, errFrame
	}
	r := reader{b: b[1:]}
	m.Relay = r.str(maxName)
	m.Viewer = r.uvarint()
	if r.err != nil {
		return m, r.err
	}
	m.Event = r.b
	return m, nil
}

// presenceMsg is a relay's (or the origin's) count of its viewers.
type presenceMsg struct {
	Relay   string
	Viewers uint64
}

func appendPresenceMsg(dst []byte, m presenceMsg) []byte {
	dst = append(dst, version)
	dst = appendString(dst, m.Relay)
	return binary.AppendUvarint(dst, m.Viewers)
}

func parsePresenceMsg(b []byte) (presenceMsg, error) {
	var m presenceMsg
	if len(b) < 1 || b[0] != version {
		return m, errFrame
	}
	r := reader{b: b[1:]}
	m.Relay = r.str(maxName)
	m.Viewers = r.uvarint()
	if r.err == nil && len(r.b) != 0 {
		r.err = errFrame
	}
	return m, r.err
}

// Subjects names the subjects of one scene: prefix.SCENE.batch and so on
// (docs/scale.md).
type subjects struct{ batch, keyframe, events, presence string }

// Prefix is the first token of every subject.
const Prefix = "vizserve"

func subjectsOf(scene string) (subjects, error) {
	if scene == "" || len(scene) > 64 || strings.ContainsAny(scene, ".*> \t\r\n") {
		return subjects{}, fmt.Errorf("natsrelay: scene name %q: want 1 to 64 characters without dots, spaces, * or >", scene)
	}
	p := Prefix + "." + scene + "."
	return subjects{batch: p + "batch", keyframe: p + "keyframe", events: p + "events", presence: p + "presence"}, nil
}
