package wire

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestPointsText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, attr, v string
		edit          func([]byte, string) []byte
		want          string
	}{
		{"append to empty", "points", "", func(v []byte, a string) []byte { return AppendPointsText(v, a, 0, []float32{1, 2, 3.5, -4}) }, "1,2 3.5,-4"},
		{"append", "points", "0,0", func(v []byte, a string) []byte { return AppendPointsText(v, a, 0, []float32{0.1, 1e6}) }, "0,0 0.1,1000000"},
		{"drop then append", "points", "0,0 1,1 2,2", func(v []byte, a string) []byte { return AppendPointsText(v, a, 2, []float32{5, 5}) }, "0,0 5,5"},
		{"drop all", "points", "0,0 1,1", func(v []byte, a string) []byte { return AppendPointsText(v, a, 9, nil) }, ""},
		{"path from empty", "d", "", func(v []byte, a string) []byte { return AppendPointsText(v, a, 0, []float32{1, 2, 3, 4}) }, "M1,2 L3,4"},
		{"path append", "d", "M0,0", func(v []byte, a string) []byte { return AppendPointsText(v, a, 0, []float32{1, 2}) }, "M0,0 L1,2"},
		{"path dropped to empty", "d", "M0,0 L1,1", func(v []byte, a string) []byte { return AppendPointsText(v, a, 2, []float32{1, 2}) }, "M1,2"},
		{"trim", "points", "0,0 1,1 2,2", func(v []byte, a string) []byte { return TrimPointsText(v, a, 2) }, "1,1 2,2"},
		{"trim more than there is", "points", "0,0 1,1", func(v []byte, a string) []byte { return TrimPointsText(v, a, 5) }, "0,0 1,1"},
		{"trim to none", "points", "0,0 1,1", func(v []byte, a string) []byte { return TrimPointsText(v, a, 0) }, ""},
		{"trim path", "d", "M0,0 L1,1 L2,2", func(v []byte, a string) []byte { return TrimPointsText(v, a, 2) }, "M1,1 L2,2"},
		{"trim nothing keeps a path's first command", "d", "L0,0 L1,1", func(v []byte, a string) []byte { return TrimPointsText(v, a, 2) }, "L0,0 L1,1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(tt.edit([]byte(tt.v), tt.attr)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if n := CountPoints([]byte("1,2 3,4 5,6")); n != 3 {
		t.Errorf("CountPoints = %d, want 3", n)
	}
	if n := CountPoints(nil); n != 0 {
		t.Errorf("CountPoints(empty) = %d, want 0", n)
	}
}

// TestPointsEditFolds: any run of appends and trims, folded into one
// PointsEdit, has the effect of the run, on any list and for both kinds
// of attribute.
func TestPointsEditFolds(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		name := "points"
		if i%2 == 1 {
			name = "d"
		}
		var start []byte
		start = AppendPointsText(start, name, 0, points(r, r.IntN(6)))
		want := append([]byte(nil), start...)
		e := NewPointsEdit()
		var log []string
		for range 1 + r.IntN(8) {
			if r.IntN(2) == 0 {
				drop, xy := r.IntN(4), points(r, r.IntN(4))
				want = AppendPointsText(want, name, drop, xy)
				e.Append(drop, xy)
				log = append(log, fmt.Sprintf("append(%d, %v)", drop, xy))
			} else {
				keep := r.IntN(8)
				want = TrimPointsText(want, name, keep)
				e.Trim(keep)
				log = append(log, fmt.Sprintf("trim(%d)", keep))
			}
		}
		got := e.Apply(append([]byte(nil), start...), name)
		if string(got) != string(want) {
			t.Fatalf("%s %q after %v: folded %+v gives %q, the run %q", name, start, log, e, got, want)
		}
		if len(e.XY)/2 > 8*3 {
			t.Fatalf("the edit holds %d points", len(e.XY)/2)
		}
	}
}

func points(r *rand.Rand, n int) []float32 {
	xy := make([]float32, 2*n)
	for i := range xy {
		xy[i] = float32(r.IntN(100))
	}
	return xy
}
