package server

import (
	"bytes"
	"context"
	"net/http"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// A handler that ignores the end of its connection and of its context
// makes Close give up on it; what Close started to wait for it must not
// stay behind. Close runs under a pprof label, which the goroutines it
// starts inherit (the handler, started by net/http, does not).
func TestCloseLeavesNoWaiterForStuckHandlers(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, CloseGrace: 50 * time.Millisecond})
	entered, release := make(chan struct{}), make(chan struct{})
	s.HandleWS("/stuck", Endpoint{Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
		close(entered)
		<-release
	}})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	dial(t, wsURL(s, "/stuck"), nil)
	<-entered

	var err error
	pprof.Do(context.Background(), pprof.Labels("server-test", t.Name()), func(context.Context) {
		err = s.Close()
	})
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("Close = %v, want an error about the handler still running", err)
	}
	// Close has returned: anything it started ends now, even though the
	// handler is still stuck. (A goroutine may take a moment to finish
	// after handing Close its result, hence the wait.)
	if left := waitLabelled(t.Name(), 5*time.Second); len(left) > 0 {
		t.Errorf("goroutines started by Close outlived it:\n\n%s", strings.Join(left, "\n\n"))
	}
	close(release)
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// waitLabelled waits up to timeout for the goroutines labelled with
// server-test=label to end, and returns the stacks of those that did not.
func waitLabelled(label string, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	backoff := time.Millisecond
	for {
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 1)
		var left []string
		for _, g := range strings.Split(buf.String(), "\n\n") {
			if strings.Contains(g, `"server-test":"`+label+`"`) {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(backoff) // polling interval, not a wait for an event
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}
