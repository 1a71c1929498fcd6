package record

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
)

// gate is a disk that takes nothing until it is opened.
type gate struct {
	open chan struct{}
	once sync.Once
	buf  bytes.Buffer
}

func (g *gate) Write(p []byte) (int, error) {
	<-g.open
	return g.buf.Write(p)
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// TestSlowDiskMerges records into a disk that blocks: the source never
// waits, the batches that wait merge, the records say so, and the file
// still ends in the scene's state.
func TestSlowDiskMerges(t *testing.T) {
	t.Parallel()
	g := &gate{open: make(chan struct{})}
	defer g.release()
	c := &clock{now: time.Unix(1e9, 0)}
	w := NewWriter(g, &Options{MaxQueued: 500, Now: c.Now})
	b := newBalls(100, 4, true)
	final := stream.NewMirror()
	unsub := b.s.Subscribe(wire.SinkFunc(func(bt *wire.Batch) bool {
		if err := final.Apply(bt); err != nil {
			t.Fatal(err)
		}
		return w.Send(bt)
	}))
	const frames = 300
	for range frames {
		b.s.Advance(1.0 / 60) // would hang here if Send waited for the disk
		c.now = c.now.Add(time.Second / 60)
	}
	unsub()
	g.release()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Merged == 0 || st.Records >= frames {
		t.Fatalf("stats %+v: want batches merged while the disk was blocked", st)
	}
	r := open(t, g.buf.Bytes())
	merged, n := 0, 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if rec.Merged > 0 {
			merged += rec.Merged + 1
		}
	}
	if int64(merged) != st.Merged {
		t.Fatalf("the records say %d batches were merged; the writer merged %d", merged, st.Merged)
	}
	m, err := r.Seek(r.Duration())
	if err != nil {
		t.Fatal(err)
	}
	if m.Dump() != final.Dump() {
		t.Fatal("the merged recording does not end in the scene's state")
	}
	t.Logf("%d frames, %d records, %d batches merged", frames, n, merged)
}

// TestCloseIdempotent: Close twice, Flush and Send after Close.
func TestCloseIdempotent(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewWriter(&buf, nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !w.Send(&wire.Batch{Seq: 1}) || w.Flush() != nil {
		t.Fatal("Send or Flush after Close")
	}
	if buf.Len() != 0 {
		t.Fatalf("a writer that never had a keyframe wrote %d bytes", buf.Len())
	}
}
