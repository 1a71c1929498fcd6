package wire

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file is how a panel shows a control's number. The browser client
// (web/client/ui.ts) implements the same rules; the page's server-side
// rendering (package web) calls these.

// StepDecimals is the number of decimals values min + k·step show: those
// of the shortest decimal forms of step and min (step 0.1 → 1, 0.25 → 2,
// 5 → 0; min 0.05 and step 0.1 → 2). A step of 0 (any) has none to give
// and returns -1.
func StepDecimals(min, step float64) int {
	if !(step > 0) || math.IsInf(step, 0) {
		return -1
	}
	d := decimals(step)
	if !math.IsInf(min, 0) && !math.IsNaN(min) {
		d = max(d, decimals(min))
	}
	return d
}

// decimals is the number of decimals of v's shortest decimal form.
func decimals(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// RoundToStep rounds v to StepDecimals(min, step), so that a value
// snapped with floating point (0 + 41×0.1 = 4.1000000000000005) reads
// back as the decimal the viewer chose (4.1). Without a step, v is
// returned as is.
func RoundToStep(v, min, step float64) float64 {
	d := StepDecimals(min, step)
	if d < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'f', d, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// CheckFormat reports whether f is a control format a panel can show: text
// with exactly one verb %f, %e or %d, optionally with a '+' flag and, for
// %f and %e, a precision (as in "%.2f", "%+.1e"); "%%" is a literal
// percent sign. %f and %e mean what they mean in Go's fmt; %d shows the
// value rounded to an integer.
func CheckFormat(f string) error {
	_, _, _, err := parseFormat(f)
	return err
}

// formatVerb is the parsed verb of a format.
type formatVerb struct {
	plus bool
	prec int // -1: the default
	verb byte
}

// parseFormat splits f into the text before its verb, the verb and the
// text after it (each with "%%" already turned into "%").
func parseFormat(f string) (pre string, v formatVerb, post string, err error) {
	var out [2]strings.Builder
	n := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			out[min(n, 1)].WriteByte(f[i])
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			out[min(n, 1)].WriteByte('%')
			continue
		}
		if n > 0 {
			return "", v, "", fmt.Errorf("format %q has more than one verb", f)
		}
		n++
		v.prec = -1
		if i < len(f) && f[i] == '+' {
			v.plus = true
			i++
		}
		if i < len(f) && f[i] == '.' {
			j := i + 1
			for j < len(f) && f[j] >= '0' && f[j] <= '9' {
				j++
			}
			p, perr := strconv.Atoi(f[i+1 : j])
			if perr != nil || p > 20 {
				return "", v, "", fmt.Errorf("format %q: precision must be 0 to 20 digits after the '.'", f)
			}
			v.prec = p
			i = j
		}
		if i >= len(f) || !strings.ContainsRune("fed", rune(f[i])) {
			return "", v, "", fmt.Errorf("format %q: want a verb %%f, %%e or %%d (with an optional + and .precision)", f)
		}
		v.verb = f[i]
		if v.verb == 'd' && v.prec >= 0 {
			return "", v, "", fmt.Errorf("format %q: %%d takes no precision", f)
		}
	}
	if n == 0 {
		return "", v, "", errors.New("format " + strconv.Quote(f) + " has no verb")
	}
	return out[0].String(), v, out[1].String(), nil
}

// ValueText is how a panel shows number v of control c: with c.Format if
// it is valid, else with the decimals of c.Step and c.Min (the shortest form when
// there is no step, or, for a log slider without a step, three significant
// digits and no exponent); then c.Unit after a space.
func ValueText(c *Control, v float64) string {
	s := numberText(c, v)
	if c.Unit != "" {
		s += " " + c.Unit
	}
	return s
}

// InputText is a number input's value for v: v with StepDecimals(min,
// step) decimals (the shortest form without a step).
func InputText(v, min, step float64) string {
	if d := StepDecimals(min, step); d >= 0 {
		return strconv.FormatFloat(v, 'f', d, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func numberText(c *Control, v float64) string {
	if c.Format != "" {
		if pre, fv, post, err := parseFormat(c.Format); err == nil {
			return pre + fv.format(v) + post
		}
	}
	if c.Log && c.Step <= 0 && v != 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
		d := max(0, 2-int(math.Floor(math.Log10(math.Abs(v)))))
		return strconv.FormatFloat(v, 'f', d, 64)
	}
	return InputText(v, c.Min, c.Step)
}

func (fv formatVerb) format(v float64) string {
	var s string
	switch fv.verb {
	case 'd':
		s = strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case 'e':
		s = strconv.FormatFloat(v, 'e', orDefault(fv.prec, 6), 64)
	default:
		s = strconv.FormatFloat(v, 'f', orDefault(fv.prec, 6), 64)
	}
	if fv.plus && !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

// orDefault is p, or def when p is the default (-1).
func orDefault(p, def int) int {
	if p < 0 {
		return def
	}
	return p
}
