package wire

import (
	"strings"
	"testing"
)

func TestStepDecimals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		min, step float64
		want      int
	}{{0, 0.1, 1}, {0, 0.25, 2}, {0, 1, 0}, {-20, 10, 0}, {0, 0.001, 3}, {0, 1e-7, 7}, {0, 0.5, 1},
		{0.05, 0.1, 2}, {2.5, 1, 1}, {0.05, 0, -1}, {0, -1, -1}} {
		if got := StepDecimals(tt.min, tt.step); got != tt.want {
			t.Errorf("StepDecimals(%v, %v) = %d, want %d", tt.min, tt.step, got, tt.want)
		}
	}
}

func TestRoundToStep(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ v, min, step, want float64 }{
		{0 + 41*0.1, 0, 0.1, 4.1},
		{3 * 0.1, 0, 0.1, 0.3},
		{2.25, 0, 0.25, 2.25},
		{7.000000000000001, 0, 1, 7},
		{0.05 + 0.1, 0.05, 0.1, 0.15},
		{1.0 / 3, 0, 0, 1.0 / 3},
	} {
		if got := RoundToStep(tt.v, tt.min, tt.step); got != tt.want {
			t.Errorf("RoundToStep(%v, %v, %v) = %v, want %v", tt.v, tt.min, tt.step, got, tt.want)
		}
	}
}

func TestValueText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    Control
		v    float64
		want string
	}{
		{Control{Step: 0.1}, 0 + 41*0.1, "4.1"},
		{Control{Step: 0.1}, 4, "4.0"},
		{Control{Step: 0.25}, 2.5, "2.50"},
		{Control{Step: 1}, 7.000000000000001, "7"},
		{Control{Min: 0.05, Step: 0.1}, 0.15000000000000002, "0.15"},
		{Control{}, 1.0 / 8, "0.125"},
		{Control{Step: 0.1, Unit: "m/s²"}, 9.8, "9.8 m/s²"},
		{Control{Step: 0.1, Format: "%.3f", Unit: "s"}, 1.5, "1.500 s"},
		{Control{Format: "%d%%"}, 41.6, "42%"},
		{Control{Format: "×%+.1e"}, 12345, "×+1.2e+04"},
		{Control{Format: "%e"}, 0.5, "5.000000e-01"},
		{Control{Format: "%f"}, 0.5, "0.500000"},
		{Control{Format: "%q", Step: 0.5}, 1, "1.0"}, // invalid: the step's precision
		{Control{Log: true}, 3.1622776601683795, "3.16"},
		{Control{Log: true}, 1234.6, "1235"},
		{Control{Log: true}, 0.031622776, "0.0316"},
		{Control{Log: true, Step: 0.01}, 3.1622776601683795, "3.16"},
	} {
		if got := ValueText(&tt.c, tt.v); got != tt.want {
			t.Errorf("ValueText(%+v, %v) = %q, want %q", tt.c, tt.v, got, tt.want)
		}
	}
}

func TestCheckFormat(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"%f", "%.2f", "%+.0f", "%d", "%+d", "%e", "%.3e", "t = %.1f s", "%d %%"} {
		if err := CheckFormat(f); err != nil {
			t.Errorf("CheckFormat(%q): %v", f, err)
		}
	}
	for f, want := range map[string]string{
		"":        "no verb",
		"100%%":   "no verb",
		"%f %f":   "more than one verb",
		"%g":      "want a verb",
		"%5.2f":   "want a verb",
		"%.f":     "precision",
		"%.99f":   "precision",
		"%.2d":    "no precision",
		"%.2":     "want a verb",
		"trail %": "want a verb",
	} {
		if err := CheckFormat(f); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckFormat(%q) = %v, want an error with %q", f, err, want)
		}
	}
}
