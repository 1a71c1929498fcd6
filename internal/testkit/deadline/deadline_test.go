package deadline

import (
	"testing"
	"time"
)

// fakeT has the deadline it is given.
type fakeT struct {
	testing.TB
	end time.Time
	ok  bool
}

func (f fakeT) Deadline() (time.Time, bool) { return f.end, f.ok }

func TestTime(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name     string
		tb       testing.TB
		min, max time.Time // the bounds Time must fall between
	}{
		{"far deadline", fakeT{end: now.Add(time.Hour), ok: true}, now.Add(time.Hour - Margin), now.Add(time.Hour - Margin)},
		{"near deadline", fakeT{end: now.Add(time.Minute), ok: true}, now.Add(44 * time.Second), now.Add(46 * time.Second)},
		{"no deadline", fakeT{}, now.Add(Fallback), time.Now().Add(Fallback + time.Minute)},
		{"benchmark", &testing.B{}, now.Add(Fallback), time.Now().Add(Fallback + time.Minute)},
	} {
		got := Time(tc.tb)
		if got.Before(tc.min) || got.After(tc.max) {
			t.Errorf("%s: Time = now+%v, want between now+%v and now+%v", tc.name, got.Sub(now), tc.min.Sub(now), tc.max.Sub(now))
		}
	}
}

func TestContextAndAfter(t *testing.T) {
	end := time.Now().Add(400 * time.Millisecond)
	f := fakeT{end: end, ok: true}
	ctx, cancel := Context(f)
	defer cancel()
	got, ok := ctx.Deadline()
	if want := end.Add(-100 * time.Millisecond); !ok || got.Sub(want).Abs() > 10*time.Millisecond {
		t.Errorf("context deadline %v, %v; want %v", got, ok, want)
	}
	select {
	case <-After(f):
	case <-time.After(10 * time.Second):
		t.Fatal("After did not fire by the deadline")
	}
	if time.Now().Before(got.Add(-10 * time.Millisecond)) {
		t.Error("After fired early")
	}
	<-ctx.Done()
}

// This test's own deadline, when go test sets one.
func TestTimeOfThisTest(t *testing.T) {
	end, ok := t.Deadline()
	got := Time(t)
	if ok && (!got.Before(end) || got.Before(end.Add(-Margin))) {
		t.Errorf("Time = %v, want within %v before the deadline %v", got, Margin, end)
	}
	if !ok && got.Before(time.Now().Add(Fallback-time.Minute)) {
		t.Errorf("Time = %v without a deadline, want about %v from now", got, Fallback)
	}
}
