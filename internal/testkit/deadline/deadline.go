// Package deadline bounds a test's long waits — for a build, for what
// comes after one — by the test binary's own deadline rather than by a
// constant, so that a slow machine, a cold build cache or a -timeout of
// 30m gives the build the time it takes, and the wait still ends early
// enough for the test to fail with its own message and clean up.
//
//	ctx, cancel := deadline.Context(t)
//	defer cancel()
//	line, err := p.Line(ctx)
//
//	select {
//	case n := <-notes:
//	case <-deadline.After(t):
//		t.Fatal("no note")
//	}
package deadline

import (
	"context"
	"testing"
	"time"
)

// Margin is how much of the time before the binary's deadline is left to
// the test for failing, cleaning up (cleanups that stop a program may wait
// 30 s for it) and reporting: this, but never more than a quarter of the
// time still left.
const Margin = time.Minute

// Fallback is how long a wait lasts when there is no deadline: with
// -timeout 0, or in a benchmark.
const Fallback = 10 * time.Minute

// Time returns when t's waits must end: the test binary's deadline
// (t.Deadline) less the Margin, or Fallback from now if it has none.
func Time(t testing.TB) time.Time {
	d, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return time.Now().Add(Fallback)
	}
	end, ok := d.Deadline()
	if !ok {
		return time.Now().Add(Fallback)
	}
	return end.Add(-min(Margin, time.Until(end)/4))
}

// Context returns a context that ends at Time(t).
func Context(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.Background(), Time(t))
}

// After returns a channel that receives at Time(t), as time.After does.
func After(t testing.TB) <-chan time.Time {
	return time.After(time.Until(Time(t)))
}
