// Package link is the link between the vizserve front process and a scene
// running as its child (docs/dev.md, "The link"; docs/architecture.md): the
// messages, both ends, and the export child.
//
// The front starts the child with its end of a Unix socket pair as an
// inherited descriptor, named in the child's environment:
//
//	// parent (internal/dev)
//	p, _ := link.Attach(cmd)   // socket pair; ChildEnv=3 in cmd.Env
//	cmd.Start(); p.Started()
//	p.Accept(ctx)              // the child's hello
//	p.Send(ctx, link.AppendStart(nil, state, controls))
//	m, _ := p.Next(ctx)        // batches, state replies
//
//	// child (vizserve.Run, when ChildEnv is set)
//	link.RunChild(ctx, s, link.ChildOptions{...})
//
// Each message is a 4-byte big-endian length, then that many bytes: a type
// byte and its payload. The scene stream and the viewers' events reuse
// scene/wire's Batch and Event encodings; the rest are a few control
// messages. There is no handshake beyond the child's hello, no listening
// socket and no token: only the two processes hold the pair. The child
// side links neither net/http nor crypto/tls, so a scene links fast on
// every save.
//
// The child speaks first (THello), then waits for TStart (with the state
// to restore, if any) before its first tick; its batches follow, merged
// while the link is busy. The parent sends viewers' events, state requests
// and, to retire a child, TShutdown; a child whose link ends stops.
package link

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/vizserve/vizserve/scene/wire"
)

// ChildEnv is the environment variable that tells vizserve.Run it runs as
// the child of the vizserve front: its value is the number of the
// descriptor that is the child's end of the link, or "export" for an
// export child (ExportEnv). Run then calls RunChild instead of serving the
// scene itself.
const ChildEnv = "VIZSERVE_CHILD"

// ExportEnv carries the parameters of an export child, as a URL query:
// ticks=N&out=PATH.
const ExportEnv = "VIZSERVE_EXPORT"

// ExportValue is ChildEnv's value for an export child.
const ExportValue = "export"

// ReadLimit bounds one link message: a keyframe of a large scene, or a
// scene's state.
const ReadLimit = 256 << 20

// Type is the first byte of every link message.
type Type byte

// Child → parent messages.
const (
	// Hello is the child's first message: JSON-encoded Hello.
	THello Type = 0x01
	// TBatch carries one scene batch (wire.Batch encoding).
	TBatch Type = 0x02
	// TState answers TStateRequest: a status byte (0 ok, 1 error), then the
	// state as JSON, or the error text.
	TState Type = 0x03
	// TRestart asks the parent to restart the scene from its initial
	// state (a viewer's reset, in a scene without OnReset): a fresh
	// process of the same build, with the viewers' control values and no
	// state. No payload.
	TRestart Type = 0x04
)

// Parent → child messages.
const (
	// TEvent carries one viewer event: the viewer's number (uvarint),
	// then the event (wire.Event encoding).
	TEvent Type = 0x81
	// TStateRequest asks for the scene's state (no payload).
	TStateRequest Type = 0x82
	// TStart tells the child to start its sim loop (AppendStart): the
	// state (JSON) to restore first, if any, then the control values to
	// apply, if any.
	TStart Type = 0x83
	// TShutdown asks the child to stop its sim loop and exit.
	TShutdown Type = 0x84
	// TViewerLeft says a viewer is gone: its number (uvarint). It decodes
	// as a TEvent of kind wire.ViewerLeft.
	TViewerLeft Type = 0x85
)

func (t Type) String() string {
	switch t {
	case THello:
		return "hello"
	case TBatch:
		return "batch"
	case TState:
		return "state"
	case TRestart:
		return "restart"
	case TEvent:
		return "event"
	case TStateRequest:
		return "state-request"
	case TStart:
		return "start"
	case TShutdown:
		return "shutdown"
	case TViewerLeft:
		return "viewer-left"
	}
	return fmt.Sprintf("type 0x%02x", byte(t))
}

// Version is the link protocol version a Hello carries. 4: batches may
// carry the pose ops (set-pose, set-pose-scaled), which a front of version 3
// cannot decode, and the child may ask for a restart (TRestart). 5: batches
// may carry the point-list ops (append-points, trim-points).
const Version = 5

// Hello is what a child says first.
type Hello struct {
	Version int    `json:"v"`
	PID     int    `json:"pid"`
	Title   string `json:"title,omitempty"`
	// State is true when the scene carries state across swaps
	// (vizserve.Options.State is set).
	State bool `json:"state"`
}

// Msg is one decoded link message.
type Msg struct {
	Type  Type
	Hello Hello       // THello
	Batch *wire.Batch // TBatch
	Event wire.Event  // TEvent (and TViewerLeft, decoded as TEvent)
	Data  []byte      // TState (ok) and TStart: state JSON
	// Controls are TStart's control values: Kind, Name and Value of each.
	Controls []wire.Control
	Err      string // TState: the error that kept the state from being taken
}

// Decode decodes one link message. Data aliases msg.
func Decode(msg []byte) (Msg, error) {
	if len(msg) == 0 {
		return Msg{}, errors.New("link: empty message")
	}
	m := Msg{Type: Type(msg[0])}
	p := msg[1:]
	switch m.Type {
	case THello:
		if err := json.Unmarshal(p, &m.Hello); err != nil {
			return m, fmt.Errorf("link: hello: %w", err)
		}
		if m.Hello.Version != Version {
			return m, fmt.Errorf("link: the child speaks link version %d, this vizserve %d: rebuild it with the same vizserve", m.Hello.Version, Version)
		}
	case TBatch:
		b, err := wire.DecodeBatch(p)
		if err != nil {
			return m, fmt.Errorf("link: batch: %w", err)
		}
		m.Batch = b
	case TState:
		if len(p) == 0 || p[0] > 1 {
			return m, errors.New("link: state: missing or bad status byte")
		}
		if p[0] == 0 {
			m.Data = p[1:]
		} else {
			m.Err = string(p[1:])
			if m.Err == "" {
				m.Err = "unknown error"
			}
		}
	case TEvent:
		viewer, n := binary.Uvarint(p)
		if n <= 0 {
			return m, errors.New("link: event: bad viewer number")
		}
		ev, err := wire.DecodeEvent(p[n:])
		if err != nil {
			return m, fmt.Errorf("link: event: %w", err)
		}
		ev.Viewer = viewer
		m.Event = ev
	case TViewerLeft:
		viewer, n := binary.Uvarint(p)
		if n <= 0 || n != len(p) {
			return m, errors.New("link: viewer-left: bad viewer number")
		}
		m.Type = TEvent
		m.Event = wire.Event{Kind: wire.ViewerLeft, Viewer: viewer}
	case TStart:
		var err error
		if m.Data, m.Controls, err = decodeStart(p); err != nil {
			return m, fmt.Errorf("link: start: %w", err)
		}
	case TStateRequest, TShutdown, TRestart:
		if len(p) != 0 {
			return m, fmt.Errorf("link: %v: unexpected payload", m.Type)
		}
	default:
		return m, fmt.Errorf("link: unknown message %v", m.Type)
	}
	return m, nil
}

// AppendHello appends a hello message to dst.
func AppendHello(dst []byte, h Hello) []byte {
	h.Version = Version
	b, _ := json.Marshal(h) // a struct of plain fields always marshals
	return append(append(dst, byte(THello)), b...)
}

// AppendBatch appends a batch message to dst.
func AppendBatch(dst []byte, b *wire.Batch) ([]byte, error) {
	return b.AppendBinary(append(dst, byte(TBatch)))
}

// AppendEvent appends an event message to dst, with the viewer it came
// from; a wire.ViewerLeft event becomes a TViewerLeft message.
func AppendEvent(dst []byte, e *wire.Event) ([]byte, error) {
	if e.Kind == wire.ViewerLeft {
		return binary.AppendUvarint(append(dst, byte(TViewerLeft)), e.Viewer), nil
	}
	return e.AppendBinary(binary.AppendUvarint(append(dst, byte(TEvent)), e.Viewer))
}

// AppendState appends a state reply to dst: data, or err if not nil.
func AppendState(dst []byte, data []byte, err error) []byte {
	if err != nil {
		return append(append(dst, byte(TState), 1), err.Error()...)
	}
	return append(append(dst, byte(TState), 0), data...)
}

// AppendStart appends a start message to dst, carrying state (nil: none)
// and the values of controls (nil: none), of which it keeps Kind, Name
// and Value; buttons, and values that cannot be sent (a NaN), are left
// out. The payload is
//
//	uvarint len(state), state
//	uvarint n, then n times: kind byte (wire.ControlKind),
//	        uvarint len(event), event (a wire.ControlSet event: Name, Value)
func AppendStart(dst []byte, state []byte, controls []wire.Control) []byte {
	dst = append(dst, byte(TStart))
	dst = append(binary.AppendUvarint(dst, uint64(len(state))), state...)
	var evs [][]byte
	for _, c := range controls {
		if c.Kind == wire.Button || c.Value.Kind == wire.KindNumber && (math.IsNaN(c.Value.Num) || math.IsInf(c.Value.Num, 0)) {
			continue
		}
		ev := wire.Event{Kind: wire.ControlSet, Name: c.Name, Value: c.Value}
		b, err := ev.AppendBinary([]byte{byte(c.Kind)})
		if err != nil {
			continue
		}
		evs = append(evs, b)
	}
	dst = binary.AppendUvarint(dst, uint64(len(evs)))
	for _, b := range evs {
		dst = append(dst, b[0])
		dst = append(binary.AppendUvarint(dst, uint64(len(b)-1)), b[1:]...)
	}
	return dst
}

func decodeStart(p []byte) (state []byte, controls []wire.Control, err error) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return nil, nil, errors.New("bad state length")
	}
	p = p[k:]
	if n > 0 {
		state = p[:n]
	}
	p = p[n:]
	count, k := binary.Uvarint(p)
	if k <= 0 || count > uint64(len(p)) {
		return nil, nil, errors.New("bad control count")
	}
	p = p[k:]
	for range count {
		if len(p) == 0 {
			return nil, nil, errors.New("truncated control value")
		}
		kind := wire.ControlKind(p[0])
		n, k := binary.Uvarint(p[1:])
		if k <= 0 || n > uint64(len(p)-1-k) {
			return nil, nil, errors.New("bad control value length")
		}
		ev, err := wire.DecodeEvent(p[1+k : 1+k+int(n)])
		if err != nil {
			return nil, nil, fmt.Errorf("control value: %w", err)
		}
		if ev.Kind != wire.ControlSet {
			return nil, nil, fmt.Errorf("control value: a %v event", ev.Kind)
		}
		controls = append(controls, wire.Control{Kind: kind, Name: ev.Name, Value: ev.Value})
		p = p[1+k+int(n):]
	}
	if len(p) != 0 {
		return nil, nil, errors.New("trailing bytes")
	}
	return state, controls, nil
}

// Control returns a message of a type without payload (TStateRequest,
// TShutdown).
func Control(t Type) []byte { return []byte{byte(t)} }
