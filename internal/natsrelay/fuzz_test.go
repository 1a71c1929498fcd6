package natsrelay

import (
	"bytes"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	f.Add(appendHeader(nil, header{Kind: kindBatch, Epoch: 9, Pub: 1, Chunk: 0, Chunks: 1}))
	f.Add(append(appendHeader(nil, header{Kind: kindKeyframe, Epoch: 1 << 40, Pub: 300, Chunk: 2, Chunks: 3}), "payload"...))
	f.Add(appendHeader(nil, header{Kind: kindHeartbeat, Epoch: 5, Pub: 77}))
	f.Add([]byte{version, 'x', 1, 1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, payload, err := parseHeader(b)
		if err != nil {
			return
		}
		again, p2, err := parseHeader(append(appendHeader(nil, h), payload...))
		if err != nil || again != h || !bytes.Equal(p2, payload) {
			t.Fatalf("%+v does not round-trip: %+v %v", h, again, err)
		}
		var a assembler
		a.add(h, payload) // never panics, whatever the order
	})
}

func FuzzParseEventMsg(f *testing.F) {
	f.Add(appendEventMsg(nil, eventMsg{Relay: "r1", Viewer: 3, Event: []byte{1, 2, 3}}))
	f.Add(appendEventMsg(nil, eventMsg{Relay: "", Viewer: 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseEventMsg(b)
		if err != nil {
			return
		}
		again, err := parseEventMsg(appendEventMsg(nil, m))
		if err != nil || again.Relay != m.Relay || again.Viewer != m.Viewer || !bytes.Equal(again.Event, m.Event) {
			t.Fatalf("%+v does not round-trip: %+v %v", m, again, err)
		}
	})
}

func FuzzParsePresenceMsg(f *testing.F) {
	f.Add(appendPresenceMsg(nil, presenceMsg{Relay: "relay-1", Viewers: 40}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parsePresenceMsg(b)
		if err != nil {
			return
		}
		if again, err := parsePresenceMsg(appendPresenceMsg(nil, m)); err != nil || again != m {
			t.Fatalf("%+v does not round-trip: %+v %v", m, again, err)
		}
	})
}

func TestAssemblerJoinsChunksInOrder(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 100)
	parts := chunks(payload, 64)
	var a assembler
	var whole []byte
	for i, p := range parts {
		w, ok := a.add(header{Kind: kindBatch, Epoch: 1, Pub: 4, Chunk: i, Chunks: len(parts)}, p)
		if !ok {
			t.Fatalf("chunk %d refused", i)
		}
		whole = w
	}
	if !bytes.Equal(whole, payload) {
		t.Fatal("the chunks do not join to the payload")
	}
	// A chunk lost: the next one is refused.
	a.add(header{Kind: kindBatch, Epoch: 1, Pub: 5, Chunk: 0, Chunks: 3}, parts[0])
	if _, ok := a.add(header{Kind: kindBatch, Epoch: 1, Pub: 5, Chunk: 2, Chunks: 3}, parts[2]); ok {
		t.Fatal("a chunk after a lost one was taken")
	}
}
