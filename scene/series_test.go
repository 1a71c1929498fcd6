package scene_test

import (
	"math"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// lttb is the textbook largest-triangle-three-buckets over fixed buckets
// of size b, for the finished buckets of x, y: the sample it draws for
// each bucket but the last two.
func lttb(x, y []float64, b int) []int {
	reps := []int{0}
	for j := 1; (j+2)*b <= len(x); j++ {
		a := reps[j-1]
		var cx, cy float64
		for i := (j + 1) * b; i < (j+2)*b; i++ {
			cx, cy = cx+x[i], cy+y[i]
		}
		cx, cy = cx/float64(b), cy/float64(b)
		best, area := 0, -1.0
		for i := j * b; i < (j+1)*b; i++ {
			if s := math.Abs((x[a]-cx)*(y[i]-y[a])-(x[a]-x[i])*(cy-y[a])) / 2; s > area {
				best, area = i, s
			}
		}
		reps = append(reps, best)
	}
	return reps
}

func TestSeriesBuffer(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		bucket, window int
	}{
		{"every sample", 1, 0},
		{"every sample, scrolling", 1, 50},
		{"decimated", 8, 0},
		{"decimated, scrolling", 8, 100},
		{"window below two buckets", 8, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := scene.New(scene.Options{ID: "w"})
			line := s.Root().El("polyline", `id="l"`)
			buf := scene.NewSeriesBuffer(line, &scene.SeriesOptions{Bucket: tt.bucket, Window: tt.window})
			v := newViewer(t, false)
			s.Subscribe(v)
			s.Advance(0)
			v.bytes = 0
			const n = 400
			for i := range n {
				x := float64(i) / 4
				buf.Add(x, math.Sin(x)*10+float64(i%7))
				s.Advance(0)
			}
			if per := float64(v.bytes) / n; per > 32 {
				t.Errorf("%.1f bytes a sample, want <= 32", per)
			}
			sameState(t, "after the samples", v.mirror, fresh(t, s))
			if buf.Len() != n {
				t.Fatalf("Len = %d", buf.Len())
			}
			// What is drawn: the chosen samples of the finished buckets
			// in the window, then the open ones.
			xs, ys := buf.Samples()
			var want []int
			if tt.bucket == 1 {
				for i := range n {
					want = append(want, i)
				}
			} else {
				reps := lttb(xs, ys, tt.bucket)
				want = reps
				for i := len(reps) * tt.bucket; i < n; i++ {
					want = append(want, i)
				}
			}
			if w := max(tt.window, 2*tt.bucket); tt.window > 0 {
				first := (n - w) / tt.bucket
				if tt.bucket == 1 {
					first = n - w
				}
				want = want[first:]
			}
			var pts []string
			for _, i := range want {
				pts = append(pts, wire.FormatNum(float32(xs[i]))+","+wire.FormatNum(float32(ys[i])))
			}
			if got := line.Attr("points"); got != strings.Join(pts, " ") {
				t.Fatalf("points\n got %.200s…\nwant %.200s…", got, strings.Join(pts, " "))
			}
			if buf.Drawn() != len(want) {
				t.Fatalf("Drawn = %d, want %d", buf.Drawn(), len(want))
			}
		})
	}
}
