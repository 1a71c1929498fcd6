package record

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/scene/wire"
)

// viewer is a subscriber's DOM, applied from the player's goroutine.
type viewer struct {
	mu      sync.Mutex
	m       *stream.Mirror
	changed chan struct{}
}

func (v *viewer) Send(b *wire.Batch) bool {
	v.mu.Lock()
	err := v.m.Apply(b)
	v.mu.Unlock()
	if err != nil {
		panic(err)
	}
	select {
	case v.changed <- struct{}{}:
	default:
	}
	return true
}

func (v *viewer) dump() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m.Dump()
}

// TestPlayer plays a recording to a viewer: paused and sought, the
// viewer shows the state at that time; played on, it reaches the end's
// state at 1× and the player pauses there. The HTTP control does the
// same.
func TestPlayer(t *testing.T) {
	t.Parallel()
	file, _, final := recording(t, newBalls(30, 6, true), 60, nil)
	r := open(t, file)
	p := NewPlayer(open(t, file))
	v := &viewer{m: stream.NewMirror(), changed: make(chan struct{}, 1)}
	defer p.Subscribe(v)()
	ctx, cancel := deadline.Context(t)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	srv := httptest.NewServer(p)
	defer srv.Close()
	post := func(q string) PlayerState {
		t.Helper()
		resp, err := http.Post(srv.URL+"?"+q, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st PlayerState
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
			t.Fatalf("POST ?%s: %s", q, resp.Status)
		}
		return st
	}
	if st := post("pause"); st.Playing {
		t.Fatalf("paused, the state is %+v", st)
	}
	for _, at := range []time.Duration{500 * time.Millisecond, 200 * time.Millisecond, 0, 900 * time.Millisecond} {
		if err := p.Seek(ctx, at); err != nil {
			t.Fatal(err)
		}
		want, err := r.Seek(at)
		if err != nil {
			t.Fatal(err)
		}
		if v.dump() != want.Dump() {
			t.Fatalf("after a seek to %v, the viewer does not show the state then", at)
		}
	}
	start := time.Now()
	if st := post("seek=0.5"); st.T != 500*time.Millisecond {
		t.Fatalf("seek=0.5: %+v", st)
	}
	post("play")
	for v.dump() != final.Dump() {
		select {
		case <-v.changed:
		case <-ctx.Done():
			t.Fatal("the viewer never reached the recording's end")
		}
	}
	if el, want := time.Since(start), r.Duration()-500*time.Millisecond; el < want {
		t.Fatalf("played %v of the recording in %v: faster than 1×", want, el)
	}
	if err := p.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if st := p.State(); st.T < r.Duration()-time.Second/60 {
		t.Fatalf("after the end, the state is %+v", st)
	}
}

// TestPlayerStepSpeedLoop steps a paused player frame by frame both ways
// (each step shows the state at that record's time), plays at 8× (never
// faster), and loops past the end.
func TestPlayerStepSpeedLoop(t *testing.T) {
	t.Parallel()
	file, _, final := recording(t, newBalls(20, 7, true), 60, nil)
	r := open(t, file)
	var times []time.Duration
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		if !rec.Repeat && (len(times) == 0 || rec.T > times[len(times)-1]) {
			times = append(times, rec.T) // a frame is a time: a seek shows every record at it
		}
	}
	p := NewPlayer(open(t, file))
	v := &viewer{m: stream.NewMirror(), changed: make(chan struct{}, 1)}
	defer p.Subscribe(v)()
	ctx, cancel := deadline.Context(t)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := func(i int) {
		t.Helper()
		want, err := r.Seek(times[i])
		must(err)
		if st := p.State(); st.Playing || st.T != times[i] {
			t.Fatalf("at frame %d (%v) the state is %+v", i, times[i], st)
		}
		if v.dump() != want.Dump() {
			t.Fatalf("at frame %d (%v) the viewer does not show the state then", i, times[i])
		}
	}
	must(p.Pause(ctx))
	must(p.Seek(ctx, times[0]))
	for i := 1; i < len(times); i++ {
		must(p.Step(ctx, 1))
		at(i)
	}
	for i := len(times) - 2; i >= 0; i-- {
		must(p.Step(ctx, -1))
		at(i)
	}
	must(p.Seek(ctx, times[0]))
	must(p.Step(ctx, -1))
	at(0)
	must(p.Seek(ctx, r.Duration()))
	must(p.Step(ctx, 1))
	if v.dump() != final.Dump() {
		t.Fatal("a step past the end does not stay at the end")
	}

	if err := p.SetSpeed(ctx, 9); err == nil {
		t.Fatal("a speed of 9× was taken")
	}
	must(p.SetSpeed(ctx, 8))
	must(p.Seek(ctx, 0))
	start := time.Now()
	must(p.Play(ctx))
	for v.dump() != final.Dump() {
		select {
		case <-v.changed:
		case <-ctx.Done():
			t.Fatal("at 8× the viewer never reached the recording's end")
		}
	}
	if el := time.Since(start); el < r.Duration()/8 {
		t.Fatalf("played %v of the recording in %v: faster than 8×", r.Duration(), el)
	}
	if st := p.State(); st.Speed != 8 {
		t.Fatalf("at 8× the state is %+v", st)
	}

	must(p.SetLoop(ctx, true))
	must(p.Seek(ctx, r.Duration()-100*time.Millisecond))
	must(p.Play(ctx))
	passed := false
	for {
		st := p.State()
		if st.T >= r.Duration()-50*time.Millisecond {
			passed = true
		}
		if passed && st.T < r.Duration()/2 {
			if !st.Playing || !st.Loop {
				t.Fatalf("looped, the state is %+v", st)
			}
			break
		}
		select {
		case <-v.changed:
		case <-ctx.Done():
			t.Fatalf("looping, the player never started again: %+v", st)
		}
	}
}
