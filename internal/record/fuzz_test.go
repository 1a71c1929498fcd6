package record

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzReader feeds damaged recordings to the reader: it must return
// errors, never panic, and never allocate for a length the input
// announces beyond the bytes it holds (readRecord checks every length
// against the size; the inflater's output grows with what it inflates).
func FuzzReader(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "v1.vzr"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	f.Add(golden[:len(golden)-trailerLen])
	f.Add([]byte(magic))
	f.Add([]byte{})
	flipped := bytes.Clone(golden)
	flipped[len(flipped)/3] ^= 0x40
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for range 10000 {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		for _, at := range []time.Duration{0, r.Duration() / 2, r.Duration()} {
			_, _ = r.Seek(at)
		}
		r.Rewind()
		_, err = r.Next()
		if err == io.EOF {
			t.Fatal("a recording that opened has no first record")
		}
	})
}
