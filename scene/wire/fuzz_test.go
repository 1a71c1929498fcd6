package wire

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the committed seed corpora under testdata/fuzz")

// seedBatches and seedEvents are the encoded seeds; TestSeedCorpus keeps
// testdata/fuzz in step with them.
func seedBatches(t testing.TB) [][]byte {
	var out [][]byte
	for _, op := range allOps() {
		b := &Batch{Seq: 3, Ops: []Op{op}}
		msg, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msg)
	}
	all, err := (&Batch{Seq: 1, Ops: allOps()}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return append(out, all, []byte{0}, []byte{1, 0x08, 5, 9}, []byte{1, 0x0c, 5, 0, 0, 0x80},
		[]byte{1, 0x0d, 5, 15, 0, 2, 0, 0, 0x80, 0x3f}, []byte{1, 0x0e, 5, 14, 0xff, 0xff, 0xff, 0xff, 0x0f})
}

func seedEvents(t testing.TB) [][]byte {
	var out [][]byte
	for _, ev := range allEvents() {
		msg, err := ev.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msg)
	}
	// What the decoder refuses: non-finite numbers, an oversized event.
	for _, ev := range []Event{
		{Kind: PointerMove, Target: 2, X: float32(math.NaN()), Y: 1},
		{Kind: Wheel, DX: float32(math.Inf(1))},
		{Kind: ControlSet, Name: "g", Value: Number(math.Inf(-1))},
		{Kind: KeyDown, Key: strings.Repeat("k", MaxEventSize)},
	} {
		msg, err := ev.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msg)
	}
	// A server's own event kind, which no browser may send.
	return append(out, []byte{byte(ViewerLeft), 1})
}

func TestSeedCorpus(t *testing.T) {
	for name, seeds := range map[string][][]byte{
		"FuzzDecodeBatch": seedBatches(t),
		"FuzzDecodeEvent": seedEvents(t),
	} {
		dir := filepath.Join("testdata", "fuzz", name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, s := range seeds {
				body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "seed*"))
		if len(files) != len(seeds) {
			t.Errorf("%s: %d committed seeds, want %d (run go test -run TestSeedCorpus -update)", dir, len(files), len(seeds))
		}
	}
}

// FuzzDecodeBatch: decoding never panics, and whatever decodes encodes to
// bytes that decode to the same batch.
func FuzzDecodeBatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, msg []byte) {
		var b Batch
		if err := b.UnmarshalBinary(msg); err != nil {
			if _, ok := err.(*DecodeError); !ok && err != ErrEmpty {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		enc, err := b.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var b2 Batch
		if err := b2.UnmarshalBinary(enc); err != nil {
			t.Fatalf("decode of re-encoded batch: %v", err)
		}
		enc2, err := b2.MarshalBinary()
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("encoding is not stable: %x vs %x (%v)", enc, enc2, err)
		}
	})
}

// FuzzDecodeEvent: decoding never panics and round-trips exactly.
func FuzzDecodeEvent(f *testing.F) {
	f.Fuzz(func(t *testing.T, msg []byte) {
		e, err := DecodeEvent(msg)
		if err != nil {
			return
		}
		enc, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if string(enc) != string(msg) {
			t.Fatalf("event %v re-encodes to %x, was %x", e, enc, msg)
		}
	})
}
