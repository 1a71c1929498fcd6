package scene

import (
	"math"
	"slices"
	"testing"
)

// checkTicks fails unless ts are in order, inside [lo, hi], and their
// labels leave room between neighbours on an axis length px long.
func checkTicks(t *testing.T, sc Scale, lo, hi, length float64, horizontal bool, ts []tick) {
	t.Helper()
	px := length / (hi - lo)
	var prev *tick
	for i := range ts {
		tk := &ts[i]
		if !finite(tk.v) || tk.v < lo-(hi-lo)*1e-6 || tk.v > hi+(hi-lo)*1e-6 {
			t.Fatalf("%v [%g, %g]: tick %g (%q) outside the range", sc, lo, hi, tk.v, tk.label)
		}
		if i > 0 && !(tk.v > ts[i-1].v) && !tk.minor && !ts[i-1].minor {
			t.Fatalf("%v [%g, %g]: ticks out of order: %v", sc, lo, hi, ts)
		}
		if tk.minor {
			continue
		}
		if tk.label == "" {
			t.Fatalf("%v [%g, %g]: a major tick without a label", sc, lo, hi)
		}
		if prev != nil {
			gap := (tk.v - prev.v) * px
			need := fontSize * 1.6
			if horizontal {
				need = (textWidth(prev.label, fontSize) + textWidth(tk.label, fontSize)) / 2
			}
			if gap < need {
				t.Fatalf("%v [%g, %g] on %g px: labels %q and %q overlap (%.1f px apart, need %.1f)", sc, lo, hi, length, prev.label, tk.label, gap, need)
			}
			if prev.label == tk.label {
				t.Fatalf("%v [%g, %g]: two ticks labelled %q", sc, lo, hi, tk.label)
			}
		}
		prev = tk
	}
}

func labels(ts []tick) []string {
	var out []string
	for _, t := range ts {
		if !t.minor {
			out = append(out, t.label)
		}
	}
	return out
}

func TestTicksNice(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		sc         Scale
		lo, hi     float64
		length     float64
		horizontal bool
		want       []string
	}{
		{Linear, 0, 100, 200, false, []string{"0", "25", "50", "75", "100"}},
		{Linear, 0, 48, 200, true, []string{"0", "20", "40"}},
		{Linear, -1, 1, 300, true, []string{"−1.0", "−0.5", "0.0", "0.5", "1.0"}},
		{Linear, 4.5, 5.5, 300, true, []string{"4.50", "4.75", "5.00", "5.25", "5.50"}},
		{Linear, 1e-9, 3e-9, 300, true, []string{"1e-9", "1.5e-9", "2e-9", "2.5e-9", "3e-9"}},
		{Linear, 0, 1e9, 300, true, []string{"0", "2.5e8", "5e8", "7.5e8", "1e9"}},
		{Log, 0, 6, 300, false, []string{"1", "10", "100", "1000", "10⁴", "10⁵", "10⁶"}},
		{Log, -1, 2, 400, true, []string{"0.1", "1", "10", "100"}},
		{Log, -3, 12, 300, true, []string{"10⁻³", "1", "1000", "10⁶", "10⁹", "10¹²"}},
		{Log, math.Log10(2), math.Log10(7.5), 300, false, []string{"2", "3", "4", "5", "6", "7"}},
		{Time, 0, 30, 300, true, []string{"0", "5", "10", "15", "20", "25", "30"}},
		{Time, 100, 400, 300, true, []string{"2:00", "3:00", "4:00", "5:00", "6:00"}},
		{Time, 0, 7200, 300, true, []string{"0:00", "30:00", "1:00:00", "1:30:00", "2:00:00"}},
		{Time, 0, 0.5, 300, true, []string{"0.0", "0.1", "0.2", "0.3", "0.4", "0.5"}},
	} {
		ts := axisTicks(c.sc, c.lo, c.hi, c.length, c.horizontal)
		if got := labels(ts); !slices.Equal(got, c.want) {
			t.Errorf("%v [%g, %g] on %g px: ticks %q, want %q", c.sc, c.lo, c.hi, c.length, got, c.want)
		}
		checkTicks(t, c.sc, c.lo, c.hi, c.length, c.horizontal, ts)
	}
}

// TestTicksSteps: across ranges of every size and sign, and axes from
// short to long, linear ticks are equally spaced at a nice step (1, 2,
// 2.5, 3, 4 or 5 times a power of ten), at its multiples, and never
// overlap; an axis of 150 px or more gets at least two.
func TestTicksSteps(t *testing.T) {
	t.Parallel()
	for _, lo := range []float64{-1e12, -3e5, -17, -1, -1e-3, 0, 1e-7, 0.3, 42, 1e6, 7e15} {
		for _, span := range []float64{1e-9, 1e-3, 0.7, 1, 3, 10, 99, 1e4, 3e8} {
			hi := lo + span
			if hi == lo || (hi-lo)/math.Max(math.Abs(lo), 1e-300) < 1e-12 {
				continue
			}
			for _, length := range []float64{40, 150, 320, 900} {
				for _, horiz := range []bool{true, false} {
					ts := axisTicks(Linear, lo, hi, length, horiz)
					checkTicks(t, Linear, lo, hi, length, horiz, ts)
					if length >= 150 && len(ts) < 2 && span/math.Max(math.Abs(lo), math.Abs(hi)) > 1e-6 {
						t.Errorf("[%g, %g] on %g px (horizontal %v): only %q", lo, hi, length, horiz, labels(ts))
					}
					if len(ts) < 2 {
						continue
					}
					// The values lose digits far from zero: compare with
					// the precision they have.
					step := (ts[len(ts)-1].v - ts[0].v) / float64(len(ts)-1)
					tol := math.Max(step*1e-6, math.Max(math.Abs(lo), math.Abs(hi))*1e-14)
					p := math.Pow(10, math.Floor(math.Log10(step)+1e-9))
					q := step / p
					if !slices.ContainsFunc([]float64{1, 2, 2.5, 3, 4, 5, 10}, func(n float64) bool { return math.Abs(n-q)*p < tol }) {
						t.Errorf("[%g, %g]: step %g is not nice (%g × 10^k)", lo, hi, step, q)
					}
					for i := 1; i < len(ts); i++ {
						if d := ts[i].v - ts[i-1].v; math.Abs(d-step) > tol {
							t.Errorf("[%g, %g]: uneven ticks %v", lo, hi, labels(ts))
							break
						}
					}
				}
			}
		}
	}
}

// TestLogTicksDecades: a log axis labels whole decades, thinning them to
// every 2nd, 3rd or 5th as they grow many, and adds minor ticks at 2..9
// when they are few.
func TestLogTicksDecades(t *testing.T) {
	t.Parallel()
	ts := axisTicks(Log, -2, 3, 300, false)
	minor := 0
	for _, tk := range ts {
		if tk.minor {
			minor++
			continue
		}
		if math.Abs(tk.v-math.Round(tk.v)) > 1e-12 {
			t.Errorf("major tick at 10^%g is not a decade", tk.v)
		}
	}
	if minor != 8*5 {
		t.Errorf("%d minor ticks over 5 decades, want 40", minor)
	}
	ts = axisTicks(Log, -30, 30, 200, false)
	checkTicks(t, Log, -30, 30, 200, false, ts)
	if n := len(labels(ts)); n < 3 || n > 12 {
		t.Errorf("60 decades on 200 px: %d labels %q", n, labels(ts))
	}
}

// TestAutoRange: the range grows at once with headroom, holds while the
// data moves inside it, and shrinks only after the data has used less
// than half of it for shrinkAfter updates. NaN and infinities leave it.
func TestAutoRange(t *testing.T) {
	t.Parallel()
	var r autoRange
	lo, hi := r.update(0, 10)
	if lo != -0.5 || hi != 10.5 {
		t.Fatalf("first range [%g, %g], want [-0.5, 10.5]", lo, hi)
	}
	// Growth: at once, past the data.
	lo, hi = r.update(0, 12)
	if hi <= 12.6 || lo != -0.5 {
		t.Fatalf("after data to 12: [%g, %g]", lo, hi)
	}
	grown := hi
	// Data moving about inside: no change at all (no jitter).
	for i := range 500 {
		v := 6 + 5*math.Sin(float64(i))
		if l, h := r.update(math.Min(v, 1), math.Max(v, 11)); l != lo || h != grown {
			t.Fatalf("update %d changed the range to [%g, %g]", i, l, h)
		}
	}
	// NaN and Inf are ignored.
	if l, h := r.update(math.NaN(), math.Inf(1)); l != lo || h != grown {
		t.Fatalf("NaN/Inf changed the range to [%g, %g]", l, h)
	}
	// Data in a small part of it: holds for a while, then shrinks.
	for i := range shrinkAfter - 1 {
		if l, h := r.update(4, 5); l != lo || h != grown {
			t.Fatalf("shrank after %d updates, not %d", i+1, shrinkAfter)
		}
	}
	if l, h := r.update(4, 5); l != 3.95 || h != 5.05 {
		t.Fatalf("after %d updates under half the range: [%g, %g], want [3.95, 5.05]", shrinkAfter, l, h)
	}
}

func TestPaddedRanges(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]float64{{5, 5}, {0, 0}, {-3, -3}, {1e300, 1e300}, {-1e308, 1e308}, {1e10, 1e10 + 1e-6}, {1e-300, 2e-300}} {
		lo, hi := padded(c[0], c[1])
		if !finite(lo) || !finite(hi) || !(hi > lo) || lo > c[0] || hi < c[1] {
			t.Errorf("padded(%g, %g) = [%g, %g]", c[0], c[1], lo, hi)
		}
		ts := axisTicks(Linear, lo, hi, 300, true)
		checkTicks(t, Linear, lo, hi, 300, true, ts)
	}
}

func TestTextWidth(t *testing.T) {
	t.Parallel()
	if w := textWidth("0", 10); math.Abs(w-5.56) > 1e-9 {
		t.Errorf("a digit at 10 px is %g wide, want 5.56", w)
	}
	if a, b := textWidth("iii", 11), textWidth("WWW", 11); !(a < b/3) {
		t.Errorf("iii (%g) is not much narrower than WWW (%g)", a, b)
	}
}

func FuzzTicks(f *testing.F) {
	f.Add(0.0, 1.0, 300.0, uint8(0), true)
	f.Add(-1e12, 1e-3, 40.0, uint8(0), false)
	f.Add(-3.0, 12.0, 200.0, uint8(1), true)
	f.Add(0.0, 7200.0, 500.0, uint8(2), true)
	f.Add(1e10, 1e10+1, 300.0, uint8(0), true)
	f.Add(5.0, 5.0, 300.0, uint8(0), false)
	f.Fuzz(func(t *testing.T, lo, hi, length float64, sc uint8, horiz bool) {
		s := Scale(sc % 3)
		if !finite(lo) || !finite(hi) {
			return
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		var r autoRange
		lo, hi = r.update(lo, hi)
		if !finite(lo) || !finite(hi) || !(hi > lo) {
			t.Fatalf("autoRange gave [%g, %g]", lo, hi)
		}
		if s == Log && (math.Abs(lo) > 300 || math.Abs(hi) > 300) {
			return // log10 of a float64 is within ±324
		}
		if !(length > 0) || length > 1e5 {
			length = 300
		}
		ts := axisTicks(s, lo, hi, length, horiz)
		if float64(len(ts)) > 20+length/5 {
			t.Fatalf("%d ticks", len(ts))
		}
		if (hi-lo)/math.Max(math.Abs(lo), math.Abs(hi)) < 1e-9 {
			return // below what the labels can tell apart
		}
		checkTicks(t, s, lo, hi, length, horiz, ts)
	})
}
