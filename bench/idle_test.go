package bench

import (
	"testing"
	"time"
)

// TestIdle runs the idle-memory harness end to end on a few connections:
// separate server and client processes, every connection established and
// echoing, one goroutine per connection on the server, and memory that
// grew with the connections.
func TestIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	const n = 100
	libs := []*Lib{oursLib, gwsLib, rawLib}
	results, err := RunIdle(IdleConfig{
		Server:  commandPath(t, "idleserver"),
		Client:  commandPath(t, "idleclient"),
		Libs:    libs,
		Modes:   []bool{false, true},
		N:       n,
		Sources: 2,
		Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	// raw runs once: it has no handler to run the loop in.
	if got, want := len(results), 2*len(libs)-1; got != want {
		t.Fatalf("got %d results, want %d", got, want)
	}
	for _, r := range results {
		if r.N != n {
			t.Errorf("%s: N = %d, want %d", r.Lib, r.N, n)
		}
		if g := r.GoroutinesPerConn(); g < 1 {
			t.Errorf("%s (spawn=%v): %.2f goroutines per connection, want at least 1", r.Lib, r.Spawn, g)
		}
		if b := r.HeapStackPerConn(); b < 1024 {
			t.Errorf("%s (spawn=%v): %.0f bytes of heap and stack per connection; a connection costs at least a goroutine stack", r.Lib, r.Spawn, b)
		}
	}
}
