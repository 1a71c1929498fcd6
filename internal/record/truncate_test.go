package record

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/vizserve/vizserve/internal/stream"
)

// recordEnds returns the offset after each keyframe and batch record of a
// whole file, in order.
func recordEnds(t *testing.T, file []byte) []int {
	t.Helper()
	var ends []int
	for p := len(magic); ; {
		kind, _, n, err := splitRecord(file[p:])
		if err != nil {
			t.Fatalf("offset %d: %v", p, err)
		}
		p += n
		switch kind {
		case kindIndex:
			return ends
		case kindKeyframe, kindBatch:
			ends = append(ends, p)
		}
	}
}

// TestTruncated cuts a recording at many offsets, as a crash or kill -9
// leaves it: every cut after the first keyframe opens and plays up to its
// last complete record, with the state that record left (and, for some,
// seeking to its end gives that state too).
func TestTruncated(t *testing.T) {
	t.Parallel()
	file, _, _ := recording(t, newBalls(20, 2, true), 60*5, nil)
	ends := recordEnds(t, file)
	r := open(t, file)
	var states []string // states[i]: after i+1 records
	m := stream.NewMirror()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Apply(rec.Batch); err != nil {
			t.Fatal(err)
		}
		states = append(states, m.Dump())
	}
	if len(states) != len(ends) {
		t.Fatalf("%d records played, %d in the file", len(states), len(ends))
	}
	cuts := map[int]bool{}
	for c := range min(600, len(file)) {
		cuts[c] = true
	}
	for i, e := range ends {
		cuts[e] = true
		if i%4 == 0 {
			cuts[e-1], cuts[e+1] = true, true
		}
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for range 100 {
		cuts[rng.IntN(len(file))] = true
	}
	t.Logf("%d bytes, %d records, %d cuts", len(file), len(ends), len(cuts))
	for c := range cuts {
		whole := 0
		for whole < len(ends) && ends[whole] <= c {
			whole++
		}
		cut := file[:c]
		r, err := Open(bytes.NewReader(cut), int64(len(cut)))
		if whole == 0 {
			if err == nil {
				t.Fatalf("cut at %d, before the first keyframe ends, opens", c)
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("cut at %d: %v, not ErrFormat", c, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d (%d whole records): %v", c, whole, err)
		}
		m := stream.NewMirror()
		n := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("cut at %d: record %d: %v", c, n, err)
			}
			if err := m.Apply(rec.Batch); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != whole {
			t.Fatalf("cut at %d: %d records played, want the %d whole ones", c, n, whole)
		}
		if m.Dump() != states[n-1] {
			t.Fatalf("cut at %d: the state after %d records differs", c, n)
		}
		if c%8 != 0 {
			continue
		}
		if s, err := r.Seek(r.Duration()); err != nil || s.Dump() != states[n-1] {
			t.Fatalf("cut at %d: seek to the end (%v): %v", c, r.Duration(), err)
		}
	}
}
