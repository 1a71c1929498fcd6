package link

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"runtime"
	"testing"
	"time"
)

func pair(t testing.TB) (a, b *Conn) {
	t.Helper()
	p, c, err := socketPair()
	if err != nil {
		t.Skip(err)
	}
	// The child's end, pollable as a child makes it.
	fd, err := dupFD(c)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := inherited(fd)
	if err != nil {
		t.Fatal(err)
	}
	a, b = newConn(p), newConn(cf)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func testCtx(t *testing.T) context.Context {
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
		t.Cleanup(cancel)
	}
	return ctx
}

// Messages of every size arrive whole and in order, both ways, including
// ones written from many goroutines at once.
func TestConnMessages(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	ctx := testCtx(t)
	sizes := []int{1, 2, 100, smallWrite, smallWrite + 1, readChunk*3 + 7, 4 << 20}
	go func() {
		for i, n := range sizes {
			a.Write(ctx, bytes.Repeat([]byte{byte(i + 1)}, n))
		}
	}()
	for i, n := range sizes {
		msg, err := b.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if len(msg) != n || msg[0] != byte(i+1) || msg[n-1] != byte(i+1) {
			t.Fatalf("message %d: %d bytes starting %d, want %d of %d", i, len(msg), msg[0], n, i+1)
		}
	}

	const writers, each = 8, 50
	for w := range writers {
		go func() {
			for i := range each {
				b.Write(ctx, []byte{byte(w), byte(i)})
			}
		}()
	}
	last := make([]int, writers)
	for range writers * each {
		msg, err := a.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(msg) != 2 || int(msg[1]) != last[msg[0]] {
			t.Fatalf("message %v out of order (next from writer %d is %d)", msg, msg[0], last[msg[0]])
		}
		last[msg[0]]++
	}
}

// A header that announces a huge message costs only the bytes that came;
// one over the limit is refused before any of it is read.
func TestConnAnnouncedLength(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	for _, announce := range []uint32{ReadLimit, ReadLimit + 1, 0} {
		a, b := pair(t)
		var hdr [headerLen]byte
		binary.BigEndian.PutUint32(hdr[:], announce)
		if _, err := a.f.Write(append(hdr[:], "only this"...)); err != nil {
			t.Fatal(err)
		}
		a.Close()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := b.Read(ctx)
		runtime.ReadMemStats(&after)
		switch {
		case announce > ReadLimit && !errors.Is(err, ErrTooLarge):
			t.Errorf("announced %d: err %v, want ErrTooLarge", announce, err)
		case announce == ReadLimit && !errors.Is(err, io.ErrUnexpectedEOF):
			t.Errorf("announced %d, sent 9 bytes: err %v, want io.ErrUnexpectedEOF", announce, err)
		case announce == 0 && err == nil:
			t.Errorf("an empty message was accepted")
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("announced %d bytes, sent 9: reading allocated %d bytes", announce, grew)
		}
	}
}

// A context that ends stops a read; the connection still works after it,
// and a read sees the peer's close as io.EOF.
func TestConnContext(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	ctx := testCtx(t)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := b.Read(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read past its context: %v", err)
	}
	rctx, stop := context.WithCancel(ctx)
	res := make(chan error, 1)
	go func() {
		_, err := b.Read(rctx)
		res <- err
	}()
	stop()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v", err)
	}
	if err := a.Write(ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if msg, err := b.Read(ctx); err != nil || string(msg) != "after" {
		t.Fatalf("after a cancelled read: %q, %v", msg, err)
	}
	a.Close()
	if _, err := b.Read(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
}

// FuzzConnRead feeds arbitrary bytes as a link stream: every message read
// is no longer than the limit, decoding it never panics, and a stream of
// well-formed frames gives back exactly its messages.
func FuzzConnRead(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, byte(TShutdown)})
	f.Add([]byte{0, 0, 0, 2, byte(TViewerLeft), 7, 0, 0, 0, 1, byte(TStateRequest)})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{0, 0, 0, 3, byte(TEvent), 1})
	f.Add(append([]byte{0, 0, 0, 9}, AppendHello(nil, Hello{PID: 1})[:9]...))
	f.Fuzz(func(t *testing.T, stream []byte) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Skip(err)
		}
		go func() {
			w.Write(stream)
			w.Close()
		}()
		c := newConn(r)
		defer c.Close()
		rest := stream
		for {
			msg, err := c.Read(context.Background())
			if err != nil {
				return
			}
			n := int(binary.BigEndian.Uint32(rest))
			if len(msg) != n || !bytes.Equal(msg, rest[headerLen:headerLen+n]) {
				t.Fatalf("read %d bytes, the frame holds %d", len(msg), n)
			}
			rest = rest[headerLen+n:]
			Decode(msg)
		}
	})
}
