package ws

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
)

// payloads are messages of several kinds: compressible text, JSON-like,
// incompressible bytes, tiny and empty.
func payloads() [][]byte {
	rng := rand.New(rand.NewPCG(7, 7))
	random := make([]byte, 70000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var js strings.Builder
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&js, `{"id":%d,"name":"node-%d","x":%.3f,"y":%.3f},`, i, i%37, rng.Float64()*800, rng.Float64()*600)
	}
	return [][]byte{
		nil,
		[]byte("x"),
		bytes.Repeat([]byte("The quick brown fox jumps over the lazy dog. "), 3000),
		[]byte(js.String()),
		random,
		bytes.Repeat([]byte{0}, 1<<20),
		[]byte(strings.Repeat("κόσμε ", 500)),
	}
}

func TestCompressionRoundTrips(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		server     CompressionOptions
		client     CompressionOptions
		clientBits int // what the client asks for its inbound window
	}{
		{"defaults", CompressionOptions{}, CompressionOptions{}, 0},
		{"context takeover", CompressionOptions{ContextTakeover: true}, CompressionOptions{ContextTakeover: true}, 0},
		{"small windows", CompressionOptions{ContextTakeover: true, WindowBits: 9}, CompressionOptions{ContextTakeover: true, WindowBits: 8}, 8},
		{"mixed", CompressionOptions{ContextTakeover: true}, CompressionOptions{WindowBits: 11, Level: 6}, 11},
		{"threshold 0 means default", CompressionOptions{Threshold: 0}, CompressionOptions{Threshold: 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.server
			c := pair(t, echoLoop, &AcceptOptions{Compression: &opts}, &DialOptions{Compression: &tc.client})
			if c.cx == nil {
				t.Fatal("compression not negotiated")
			}
			if tc.clientBits != 0 && c.cx.recvWindowBits != tc.clientBits {
				t.Fatalf("client receives with window %d, want %d", c.cx.recvWindowBits, tc.clientBits)
			}
			ctx := context.Background()
			for round := 0; round < 2; round++ {
				for i, p := range payloads() {
					typ := MessageBinary
					if i == 2 || i == 3 || i == 6 {
						typ = MessageText
					}
					if i%2 == 1 {
						if err := c.Write(ctx, typ, p); err != nil {
							t.Fatal(err)
						}
					} else {
						w, err := c.Writer(ctx, typ)
						if err != nil {
							t.Fatal(err)
						}
						for rest := p; len(rest) > 0; {
							n := min(len(rest), 1+len(rest)/3)
							w.Write(rest[:n])
							rest = rest[n:]
						}
						if err := w.Close(); err != nil {
							t.Fatal(err)
						}
					}
					gt, got, err := c.Read(ctx)
					if err != nil || gt != typ || !bytes.Equal(got, p) {
						t.Fatalf("round %d payload %d: %v, %d bytes (want %d), %v", round, i, gt, len(got), len(p), err)
					}
				}
			}
			if err := c.Close(StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCompressionOnTheWire looks at the frames a compressing server sends:
// RSV1 on large messages only, smaller than the payload, uncompressed under
// the threshold and for WriteUncompressed, and the same compressed frame
// for every connection that receives a prepared message.
func TestCompressionOnTheWire(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("vizserve "), 1000)
	pm, err := NewPreparedMessage(MessageBinary, big)
	if err != nil {
		t.Fatal(err)
	}
	url := startServer(t, func(c *Conn, r *http.Request) {
		ctx := context.Background()
		c.Write(ctx, MessageText, []byte("small"))
		c.Write(ctx, MessageBinary, big)
		c.WriteUncompressed(ctx, MessageBinary, big)
		c.WritePrepared(ctx, pm)
		c.Read(ctx)
	}, &AcceptOptions{Compression: &CompressionOptions{}})
	var prepared [][]byte
	for i := 0; i < 2; i++ {
		nc, br := rawDial(t, url, http.Header{"Sec-WebSocket-Extensions": {"permessage-deflate; client_max_window_bits"}})
		var frames []rawFrame
		for j := 0; j < 4; j++ {
			f, err := readRaw(br)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, f)
		}
		if frames[0].rsv != 0 || string(frames[0].payload) != "small" {
			t.Fatalf("small message: rsv %x %q", frames[0].rsv, frames[0].payload)
		}
		if frames[1].rsv != rsv1Bit || len(frames[1].payload) >= len(big)/10 {
			t.Fatalf("big message: rsv %x, %d bytes for %d", frames[1].rsv, len(frames[1].payload), len(big))
		}
		if frames[2].rsv != 0 || !bytes.Equal(frames[2].payload, big) {
			t.Fatal("WriteUncompressed compressed")
		}
		if frames[3].rsv != rsv1Bit {
			t.Fatal("prepared message not compressed")
		}
		prepared = append(prepared, frames[3].payload)
		writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(1000, "")}, true)
		nc.Close()
	}
	if !bytes.Equal(prepared[0], prepared[1]) {
		t.Fatal("prepared message compressed differently per connection")
	}
	if n := countCompressed(pm); n != 1 {
		t.Fatalf("prepared message compressed %d times", n)
	}
}

func countCompressed(pm *PreparedMessage) int {
	n := 0
	pm.compressed.Range(func(any, any) bool { n++; return true })
	return n
}

// TestCompressionContextTakeoverFailure checks that a compressed message
// that could not be sent under context takeover ends the connection rather
// than desynchronise the peer's decompressor.
func TestCompressionContextTakeoverFailure(t *testing.T) {
	t.Parallel()
	stall := make(chan struct{})
	url := rawServerExt(t, func(*http.Request) string { return "permessage-deflate" }, func(nc net.Conn, br *bufio.Reader) {
		<-stall
	})
	c, _, err := Dial(context.Background(), url, &DialOptions{Compression: &CompressionOptions{ContextTakeover: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer close(stall)
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the write cannot even start
	if err := c.Write(ctx, MessageBinary, bytes.Repeat([]byte("a"), 1000)); err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
	if c.State() != StateClosed {
		t.Fatalf("state %v: the stream went on after losing a message", c.State())
	}
}
