package scene

import (
	"math"
	"strconv"
	"strings"
)

// Scale is how an axis maps data values to positions.
type Scale uint8

const (
	// Linear maps values proportionally (the default).
	Linear Scale = iota
	// Log maps log10 of the values: each decade gets the same length.
	// Values that are not positive are left out.
	Log
	// Time is a linear scale of sim time in seconds, ticked at whole
	// seconds, minutes and hours and labelled 1:30 or 1:02:03.
	Time
)

func (sc Scale) String() string {
	switch sc {
	case Log:
		return "log"
	case Time:
		return "time"
	}
	return "linear"
}

// tick is one tick of an axis: its value (in the axis's data space: log10
// of the value on a log scale) and its label ("" for a minor tick).
type tick struct {
	v     float64
	label string
	minor bool
}

// fontSize is the size of tick labels, in user units; titles are a
// little larger.
const (
	fontSize  = 11.0
	titleSize = 12.0
)

// advance holds the advance widths of the printable ASCII characters in a
// sans-serif face (Helvetica/Arial metrics, in 1/1000 em). Labels are
// measured with it, so that ticks can be chosen whose labels do not
// overlap, on the server, without a font.
var advance = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
	278, 278, 584, 584, 584, 556, 1015, // : to @
	667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // A-Z
	278, 278, 278, 469, 556, 333, // [ to `
	556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // a-z
	334, 260, 334, 584, // { to ~
}

// textWidth estimates the width of s set in size user units. Characters
// outside ASCII count as wide as a digit, except the minus sign and the
// superscripts, which are narrower.
func textWidth(s string, size float64) float64 {
	w := 0
	for _, r := range s {
		switch {
		case r >= ' ' && r <= '~':
			w += int(advance[r-' '])
		case r == '−':
			w += 584
		case strings.ContainsRune("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", r):
			w += 333
		default:
			w += 556
		}
	}
	return float64(w) / 1000 * size
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// --- nice linear ticks: the extended Wilkinson algorithm ---

// Talbot, Lin and Hanrahan, "An Extension of Wilkinson's Algorithm for
// Positioning Tick Labels on Axes" (InfoVis 2010): candidate steps q·10^z
// (q from a list of nice numbers, the first ones preferred), scored on
// simplicity, coverage of the data, density against a target and
// legibility; the search prunes with upper bounds of each score. Here
// legibility is whether the labels fit without overlapping, measured with
// textWidth.
var niceQ = []float64{1, 5, 2, 2.5, 4, 3}

const (
	wSimplicity = 0.25
	wCoverage   = 0.2
	wDensity    = 0.5
	wLegibility = 0.05
)

// fitsFunc reports whether labels at the given values (in the axis's
// data space) do not overlap: their widths on a horizontal axis, the
// font's height on a vertical one.
type fitsFunc func(labels []string, vals []float64) bool

func simplicity(i, n int, j, lmin, lmax, lstep float64) float64 {
	v := 0.0
	// Zero among the labels is simpler.
	if r := math.Mod(lmin, lstep); (math.Abs(r) < lstep*1e-9 || lstep-math.Abs(r) < lstep*1e-9) && lmin <= 0 && lmax >= 0 {
		v = 1
	}
	return 1 - float64(i)/float64(n-1) - j + v
}

func coverage(dmin, dmax, lmin, lmax float64) float64 {
	r := dmax - dmin
	return 1 - 0.5*(sq(dmax-lmax)+sq(dmin-lmin))/sq(0.1*r)
}

func coverageMax(dmin, dmax, span float64) float64 {
	r := dmax - dmin
	if span > r {
		half := (span - r) / 2
		return 1 - 0.5*(2*half*half)/sq(0.1*r)
	}
	return 1
}

func density(k, m, dmin, dmax, lmin, lmax float64) float64 {
	r := (k - 1) / (lmax - lmin)
	rt := (m - 1) / (math.Max(lmax, dmax) - math.Min(dmin, lmin))
	return 2 - math.Max(r/rt, rt/r)
}

func densityMax(k, m float64) float64 {
	if k >= m {
		return 2 - (k-1)/(m-1)
	}
	return 1
}

func sq(x float64) float64 { return x * x }

// linearTicks chooses ticks for [dmin, dmax] (finite, dmin < dmax), about
// m of them, whose labels fit. It returns the ticks' first value, step
// and count.
func linearTicks(dmin, dmax, m float64, fits fitsFunc) (lmin, lstep float64, count int) {
	m = math.Max(m, 2)
	best := math.Inf(-1)
	found := false
	span := dmax - dmin
	labels := make([]string, 0, 16)
	vals := make([]float64, 0, 16)
	// The paper's skipping (j > 1: steps such as 15 or 8) is left out:
	// the steps are q·10^z.
	for j := 1.0; j <= 1; j++ {
		for qi, q := range niceQ {
			sm := 1 - float64(qi)/float64(len(niceQ)-1) - j + 1
			if wSimplicity*sm+wCoverage+wDensity+wLegibility < best {
				j = 10
				break
			}
			for k := 2.0; k < 20; k++ {
				dm := densityMax(k, m)
				if wSimplicity*sm+wCoverage+wDensity*dm+wLegibility < best {
					break
				}
				delta := span / (k + 1) / j / q
				z := math.Ceil(math.Log10(delta))
				for iz := 0; iz < 30; iz, z = iz+1, z+1 {
					step := j * q * math.Pow(10, z)
					cm := coverageMax(dmin, dmax, step*(k-1))
					if wSimplicity*sm+wCoverage*cm+wDensity*dm+wLegibility < best {
						break
					}
					// Unlike the paper, every label lies inside the data's
					// range (as in d3): an axis draws no tick beyond its ends.
					minStart := math.Ceil(dmin/step-1e-9) * j
					maxStart := math.Floor(dmax/step+1e-9)*j - (k-1)*j
					if minStart > maxStart || maxStart-minStart > 1000 {
						continue
					}
					for start := minStart; start <= maxStart; start++ {
						lo := start * (step / j)
						hi := lo + step*(k-1)
						s := simplicity(qi, len(niceQ), j, lo, hi, step)
						c := coverage(dmin, dmax, lo, hi)
						g := density(k, m, dmin, dmax, lo, hi)
						score := wSimplicity*s + wCoverage*c + wDensity*g + wLegibility
						if score <= best {
							continue
						}
						if fits != nil {
							labels, vals = labels[:0], vals[:0]
							for i := range int(k) {
								v := lo + float64(i)*step
								labels = append(labels, formatTick(v, step))
								vals = append(vals, v)
							}
							if !fits(labels, vals) {
								continue
							}
						}
						best, found = score, true
						lmin, lstep, count = lo, step, int(k)
					}
				}
			}
		}
	}
	if !found {
		// Nothing fits (a very short axis): one tick, a nice number in range.
		step := math.Pow(10, math.Floor(math.Log10(span)))
		v := math.Ceil(dmin/step) * step
		if v > dmax {
			v = dmin
		}
		return v, step, 1
	}
	return lmin, lstep, count
}

// formatTick writes v as a tick label for ticks step apart: as many
// decimals as the step needs, in exponent form for very large or small
// numbers, with a true minus sign.
func formatTick(v, step float64) string {
	if math.Abs(v) < step*1e-9 {
		v = 0
	}
	a := math.Max(math.Abs(v), step)
	var s string
	if v == 0 && (a >= 1e6 || a < 1e-4) {
		s = "0"
	} else if a >= 1e6 || a < 1e-4 {
		// Digits enough to tell neighbours apart.
		d := int(math.Floor(math.Log10(a))) - int(math.Floor(math.Log10(step)+1e-9))
		d = max(0, min(d, 15))
		if r := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9)); math.Abs(r-math.Round(r)) > 1e-6 {
			d++ // 2.5·10^z needs one more digit
		}
		s = strconv.FormatFloat(v, 'e', d, 64)
		m, e, _ := strings.Cut(s, "e")
		if strings.Contains(m, ".") {
			m = strings.TrimRight(strings.TrimRight(m, "0"), ".")
		}
		ev, _ := strconv.Atoi(e)
		s = m + "e" + strconv.Itoa(ev)
	} else {
		d := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
		if r := step / math.Pow(10, -float64(d)); d > 0 || step < 1 {
			if math.Abs(r-math.Round(r)) > 1e-6 {
				d++
			}
		} else if math.Abs(step-math.Round(step)) > 1e-6 {
			d++
		}
		s = strconv.FormatFloat(v, 'f', min(d, 15), 64)
	}
	if strings.HasPrefix(s, "-") {
		s = "−" + s[1:]
	}
	return s
}

// --- log ticks ---

var superDigits = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

// decadeLabel writes 10^e: "1", "10", "100" and "0.1", "0.01" near 1, and
// 10 with a superscript exponent beyond.
func decadeLabel(e int) string {
	if e >= 0 && e <= 3 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', 0, 64)
	}
	if e < 0 && e >= -2 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', -e, 64)
	}
	var b strings.Builder
	b.WriteString("10")
	if e < 0 {
		b.WriteRune('⁻')
		e = -e
	}
	for _, c := range strconv.Itoa(e) {
		b.WriteRune(superDigits[c-'0'])
	}
	return b.String()
}

// logTicks ticks [lo, hi] given in log10 units: labelled decades (every
// few decades when many), minor ticks at 2..9 when the decades are few,
// or, under about a decade, nice linear ticks of the values.
func logTicks(lo, hi, m float64, fits fitsFunc) []tick {
	if hi-lo < 1 {
		// Less than a decade: linear ticks of the values themselves.
		vlo, vhi := math.Pow(10, lo), math.Pow(10, hi)
		ts := stepTicks(vlo, vhi, m, func(labels []string, vals []float64) bool {
			if fits == nil {
				return true
			}
			logs := make([]float64, len(vals))
			for i, v := range vals {
				logs[i] = math.Log10(math.Max(v, vlo*1e-3))
			}
			return fits(labels, logs)
		}, formatTick)
		out := ts[:0]
		for _, t := range ts {
			if t.v > 0 {
				out = append(out, tick{v: math.Log10(t.v), label: t.label})
			}
		}
		return out
	}
	e0, e1 := int(math.Ceil(lo-1e-9)), int(math.Floor(hi+1e-9))
	every := 1
	for ; every < 1000; every = nextEvery(every) {
		var labels []string
		var vals []float64
		for e := e0; e <= e1; e++ {
			if e%every == 0 {
				labels = append(labels, decadeLabel(e))
				vals = append(vals, float64(e))
			}
		}
		if float64(len(labels)) <= math.Max(m, 2)*1.5 && (fits == nil || fits(labels, vals)) {
			break
		}
	}
	var ts []tick
	for e := e0 - 1; e <= e1; e++ {
		if e >= e0 && e%every == 0 {
			ts = append(ts, tick{v: float64(e), label: decadeLabel(e)})
		}
		if every == 1 && e1-e0 < 6 && (hi-lo) <= m { // a decade of 40 px or more
			for k := 2; k <= 9; k++ {
				if v := float64(e) + math.Log10(float64(k)); v >= lo && v <= hi {
					ts = append(ts, tick{v: v, minor: true})
				}
			}
		}
	}
	return ts
}

func nextEvery(e int) int {
	switch e {
	case 1:
		return 2
	case 2:
		return 3
	case 3:
		return 5
	}
	return e * 2
}

// --- time ticks ---

// timeSteps are the steps of a time axis beyond a second, in seconds.
var timeSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// timeLabel writes t seconds as 12 (s), 1:30 or 1:02:03, with the
// decimals a sub-second step needs.
func timeLabel(t, step float64) string {
	if step < 1 || (math.Abs(t) < 60 && step < 60) {
		return formatTick(t, step)
	}
	neg := t < 0
	t = math.Round(math.Abs(t))
	h, m, s := int(t)/3600, int(t)/60%60, int(t)%60
	var out string
	if h > 0 {
		out = strconv.Itoa(h) + ":" + two(m) + ":" + two(s)
	} else {
		out = strconv.Itoa(m) + ":" + two(s)
	}
	if neg {
		out = "−" + out
	}
	return out
}

func two(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func timeTicks(lo, hi, m float64, fits fitsFunc) []tick {
	span := hi - lo
	if span/math.Max(m, 2) < 1 {
		return stepTicks(lo, hi, m, fits, timeLabel)
	}
	chosen := math.Inf(1) // none fits: see below
	for _, st := range timeSteps {
		if span/st <= math.Max(m, 2)*1.2 {
			var labels []string
			var vals []float64
			for v := math.Ceil(lo/st) * st; v <= hi+st*1e-9; v += st {
				labels = append(labels, timeLabel(v, st))
				vals = append(vals, v)
			}
			if fits == nil || fits(labels, vals) {
				chosen = st
				break
			}
		}
	}
	if span/chosen > 50 {
		// Beyond days: nice numbers of days, labelled 12d.
		ts := stepTicks(lo/86400, hi/86400, m, func(labels []string, vals []float64) bool {
			secs := make([]float64, len(vals))
			for i, v := range vals {
				secs[i] = v * 86400
			}
			return fits == nil || fits(labels, secs)
		}, func(v, step float64) string { return formatTick(v, step) + "d" })
		for i := range ts {
			ts[i].v *= 86400
		}
		return ts
	}
	var ts []tick
	for v := math.Ceil(lo/chosen) * chosen; v <= hi+chosen*1e-9 && len(ts) < 100; v += chosen {
		ts = append(ts, tick{v: v, label: timeLabel(v, chosen)})
	}
	return ts
}

// stepTicks ticks [lo, hi] at the multiples of the step the extended
// algorithm chooses, labelled by label; if the labels of the ticks in
// range do not fit, the step grows to the next nice one until they do.
func stepTicks(lo, hi, m float64, fits fitsFunc, label func(v, step float64) string) []tick {
	_, step, _ := linearTicks(lo, hi, m, fits)
	for range 64 {
		var labels []string
		var vals []float64
		first := math.Ceil(lo/step - 1e-9)
		for i := 0.0; i < 200; i++ {
			v := (first + i) * step
			if v > hi+step*1e-9 {
				break
			}
			if math.Abs(v) < step*1e-9 {
				v = 0
			}
			vals = append(vals, v)
			labels = append(labels, label(v, step))
		}
		if fits == nil || fits(labels, vals) || len(vals) <= 1 {
			ts := make([]tick, len(vals))
			for i := range vals {
				ts[i] = tick{v: vals[i], label: labels[i]}
			}
			return ts
		}
		step = nextNice(step)
	}
	return nil
}

// nextNice is the nice number (1, 2 or 5 times a power of ten) after step.
func nextNice(step float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(step)+1e-9))
	for _, q := range []float64{1, 2, 5, 10} {
		if q*p > step*(1+1e-9) {
			return q * p
		}
	}
	return 10 * p
}

// axisTicks ticks [lo, hi] (in the scale's data space) for an axis length
// px long; horizontal axes need labels' widths to fit, vertical ones
// their height.
func axisTicks(sc Scale, lo, hi, length float64, horizontal bool) []tick {
	if !finite(lo) || !finite(hi) || !(hi > lo) || !finite(hi-lo) || !(length > 0) {
		return nil
	}
	px := length / (hi - lo) // pixels per data unit
	var m float64
	var fits fitsFunc
	if horizontal {
		// About a label per 80 px on long axes, more on short ones.
		m = math.Max(length/80, math.Min(length/50, 5))
		fits = func(labels []string, vals []float64) bool {
			for i := 1; i < len(labels); i++ {
				need := (textWidth(labels[i-1], fontSize)+textWidth(labels[i], fontSize))/2 + fontSize
				if (vals[i]-vals[i-1])*px < need {
					return false
				}
			}
			return true
		}
	} else {
		m = length / 40
		fits = func(labels []string, vals []float64) bool {
			for i := 1; i < len(labels); i++ {
				if (vals[i]-vals[i-1])*px < fontSize*1.6 {
					return false
				}
			}
			return true
		}
	}
	switch sc {
	case Log:
		return logTicks(lo, hi, m, fits)
	case Time:
		return timeTicks(lo, hi, m, fits)
	}
	return stepTicks(lo, hi, m, fits, formatTick)
}

// --- ranges ---

// autoRange is an axis range that follows data without jitter: it grows
// at once (with some headroom) when the data leaves it, and shrinks only
// when the data has used well under it for a while.
type autoRange struct {
	lo, hi float64
	set    bool
	under  int // consecutive updates where the data used under half of the range
}

// shrinkAfter is how many consecutive redraws with the data in under
// shrinkBelow of the range shrink it.
const (
	shrinkAfter = 90
	shrinkBelow = 0.5
	headroom    = 0.05
)

// update folds the data's extent [dlo, dhi] into the range and returns it.
// A scale's zero (includeZero) is kept in the range when the data is all
// on one side of it but near (bars and areas start at zero).
func (r *autoRange) update(dlo, dhi float64) (float64, float64) {
	if !finite(dlo) || !finite(dhi) || dlo > dhi {
		if !r.set {
			return 0, 1
		}
		return r.lo, r.hi
	}
	tlo, thi := padded(dlo, dhi)
	if !r.set || dlo < r.lo || dhi > r.hi {
		if r.set {
			// Grow past the data, so that a steady drift does not grow
			// the range at every frame.
			span := thi - tlo
			if dlo < r.lo {
				tlo -= span * 0.25
			}
			if dhi > r.hi {
				thi += span * 0.25
			}
			// The side the data did not leave stays where it is.
			if dlo >= r.lo {
				tlo = r.lo
			}
			if dhi <= r.hi {
				thi = r.hi
			}
		}
		r.lo, r.hi, r.set, r.under = tlo, thi, true, 0
		return r.lo, r.hi
	}
	if (dhi-dlo) < shrinkBelow*(r.hi-r.lo) || (dhi-dlo) == 0 {
		r.under++
		if r.under >= shrinkAfter {
			r.lo, r.hi, r.under = tlo, thi, 0
		}
	} else {
		r.under = 0
	}
	return r.lo, r.hi
}

// padded is [lo, hi] with a margin, and a non-empty range around a
// constant.
func padded(lo, hi float64) (float64, float64) {
	if hi == lo {
		d := math.Abs(lo) * 0.1
		if d == 0 || !finite(lo-d) || !finite(hi+d) {
			d = 1
		}
		return lo - d, hi + d
	}
	span := hi - lo
	if !finite(span) {
		return lo, hi
	}
	plo, phi := lo-span*headroom, hi+span*headroom
	if !finite(plo) || !finite(phi) {
		return lo, hi
	}
	// A tiny relative range (1e10 ± 1e-7) cannot be told apart in float64
	// steps: widen it to what the numbers can show.
	if span < math.Abs(lo)*1e-12 {
		d := math.Abs(lo) * 1e-12
		return lo - d, hi + d
	}
	return plo, phi
}
