package record

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestSeekMatchesReplay(t *testing.T) {
	t.Parallel()
	file, _, final := recording(t, newBalls(100, 1, true), 60*10, nil)
	r := open(t, file)
	if !r.Indexed() {
		t.Fatal("a closed file has no index")
	}
	if n := len(r.Segments()); n < 5 {
		t.Fatalf("%d segments in 10 s; want one about every 2 s", n)
	}
	h := r.Header()
	if h.Title != "balls" || h.Width != boxW || h.Height != boxH || h.Version != Version {
		t.Fatalf("header %+v", h)
	}
	if got, want := r.Duration(), 10*time.Second-time.Second/60; got < want-time.Millisecond || got > want+time.Millisecond {
		t.Fatalf("duration %v, want %v", got, want)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	times := []time.Duration{0, r.Segments()[1].T, r.Segments()[1].T - time.Microsecond, r.Duration(), r.Duration() + time.Hour}
	for len(times) < 30 {
		times = append(times, time.Duration(rng.Int64N(int64(r.Duration()))))
	}
	for _, at := range times {
		m, err := r.Seek(at)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Dump(), replay(t, r, at).Dump(); got != want {
			t.Fatalf("seek(%v) differs from the replay up to it:\n%s\nwant\n%s", at, got, want)
		}
	}
	m, _ := r.Seek(r.Duration())
	if got, want := m.Dump(), final.Dump(); got != want {
		t.Fatalf("the end of the recording is not the scene's last state:\n%s\nwant\n%s", got, want)
	}
}
