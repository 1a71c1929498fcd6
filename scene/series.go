package scene

import "math"

// SeriesOptions configure a SeriesBuffer. The zero value shows every
// sample, all of them.
type SeriesOptions struct {
	// Bucket is the number of samples each point of a finished part of
	// the line stands for, chosen by largest-triangle-three-buckets
	// (LTTB). Default 1: every sample is drawn.
	Bucket int
	// Window is the number of latest samples drawn: the line scrolls,
	// losing whole buckets at its start. It is at least 2·Bucket. Default
	// 0: every sample since the first.
	Window int
}

// SeriesBuffer is a long data series behind a polyline, for live charts:
// it keeps every sample (for export) and draws the line decimated, so
// that adding a sample costs a few bytes on the wire whatever the length
// of the series.
//
// Samples are cut into fixed buckets of Bucket samples. A finished
// bucket is drawn as its one sample that makes the largest triangle with
// the point drawn for the bucket before and the mean of the bucket after
// (LTTB, Steinarsson 2013), so it never changes once chosen; the last two
// buckets, still open, are drawn sample by sample. Each sample appends a
// point to the polyline; when a bucket is chosen, the open samples are
// replaced by its point and the samples after it (ReplaceLastPoints);
// when the window scrolls past a bucket, its point is trimmed
// (TrimPoints). Per sample that is about 14 bytes for the append, and
// 8·(Bucket+1) bytes per Bucket samples for the choice: under 32 bytes.
//
// The polyline holds the samples in data coordinates, as float32; a
// transform maps them to the plot (the plot DOM contract). A
// SeriesBuffer belongs to the sim goroutine, like its node.
type SeriesBuffer struct {
	line   *Node
	bucket int
	window int
	x, y   []float64
	reps   []int // the sample drawn for each finished bucket (Bucket > 1)
	first  int   // the first bucket drawn
}

// NewSeriesBuffer makes line's points the buffer's: it clears them and
// draws the samples Add gives. opt nil means the defaults.
func NewSeriesBuffer(line *Node, opt *SeriesOptions) *SeriesBuffer {
	var o SeriesOptions
	if opt != nil {
		o = *opt
	}
	o.Bucket = max(o.Bucket, 1)
	if o.Window > 0 {
		o.Window = max(o.Window, 2*o.Bucket)
	}
	line.Set(line.pointsAttr(), "")
	return &SeriesBuffer{line: line, bucket: o.Bucket, window: o.Window}
}

// Node returns the polyline the buffer draws.
func (b *SeriesBuffer) Node() *Node { return b.line }

// Len is the number of samples added.
func (b *SeriesBuffer) Len() int { return len(b.x) }

// At returns sample i, 0 ≤ i < Len.
func (b *SeriesBuffer) At(i int) (x, y float64) { return b.x[i], b.y[i] }

// Samples returns every sample added, x and y: the buffer's own slices,
// valid until the next Add; do not modify them.
func (b *SeriesBuffer) Samples() (x, y []float64) { return b.x, b.y }

// Drawn is the number of points the polyline has.
func (b *SeriesBuffer) Drawn() int { return b.line.NumPoints() }

// Add appends a sample. Samples should come in increasing x, as a line
// chart's readers (the page's readout) expect.
func (b *SeriesBuffer) Add(x, y float64) {
	b.x, b.y = append(b.x, x), append(b.y, y)
	n := len(b.x)
	defer b.scroll()
	// Bucket j is chosen when bucket j+1 is complete: then n is (j+2)·B.
	j := n/b.bucket - 2
	if b.bucket == 1 || n%b.bucket != 0 || j < 0 {
		b.line.AppendPoints(f32(x), f32(y))
		return
	}
	r := b.choose(j)
	b.reps = append(b.reps, r)
	// Drawn now: the open samples of buckets j and j+1, but the last one.
	from := (j + 1) * b.bucket
	xy := make([]float32, 0, 2*(1+n-from))
	xy = append(xy, f32(b.x[r]), f32(b.y[r]))
	for i := from; i < n; i++ {
		xy = append(xy, f32(b.x[i]), f32(b.y[i]))
	}
	b.line.ReplaceLastPoints(2*b.bucket-1, xy...)
	b.scroll()
}

// scroll trims the buckets that left the window.
func (b *SeriesBuffer) scroll() {
	if b.window == 0 || len(b.x) <= b.window {
		return
	}
	first := (len(b.x) - b.window) / b.bucket
	if first > b.first {
		b.line.TrimPoints(first - b.first)
		b.first = first
	}
}

// choose returns the sample of bucket j that LTTB draws: the first sample
// for bucket 0, else the one with the largest triangle between the point
// drawn for bucket j−1 and the mean of bucket j+1.
func (b *SeriesBuffer) choose(j int) int {
	lo := j * b.bucket
	if j == 0 {
		return 0
	}
	a := b.reps[j-1]
	ax, ay := b.x[a], b.y[a]
	var cx, cy float64
	for i := lo + b.bucket; i < lo+2*b.bucket; i++ {
		cx += b.x[i]
		cy += b.y[i]
	}
	cx /= float64(b.bucket)
	cy /= float64(b.bucket)
	best, area := lo, -1.0
	for i := lo; i < lo+b.bucket; i++ {
		s := math.Abs((ax-cx)*(b.y[i]-ay) - (ax-b.x[i])*(cy-ay))
		if s > area {
			best, area = i, s
		}
	}
	return best
}
