package ws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestSoakIdleLifetimes holds websockets open for 1, 2, 4 … 256 seconds
// with no heartbeat and nothing sent after their first message, the test
// the package this one descends from ran against its idle timeouts: none
// may close before its client closes it, and every close must carry the
// client's own reason. It takes 256 s, so -short skips it; CI runs it.
func TestSoakIdleLifetimes(t *testing.T) {
	if testing.Short() {
		t.Skip("256 s soak test skipped in -short mode")
	}
	t.Parallel()
	type result struct {
		name   string
		reason string
		err    error
		at     time.Duration
	}
	results := make(chan result, 16)
	start := time.Now()
	url := startServer(t, func(c *Conn, r *http.Request) {
		ctx := context.Background()
		_, name, err := c.Read(ctx)
		if err != nil {
			results <- result{err: err}
			return
		}
		_, _, err = c.Read(ctx) // blocks until the client closes
		var ce CloseError
		if !errors.As(err, &ce) || ce.Code != StatusNormalClosure {
			results <- result{name: string(name), err: fmt.Errorf("ended with %v", err)}
			return
		}
		results <- result{name: string(name), reason: ce.Reason, at: time.Since(start)}
	}, nil)

	var wg sync.WaitGroup
	const n = 9
	for i := 0; i < n; i++ {
		life := time.Duration(1<<i) * time.Second
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			c, _, err := Dial(ctx, url, nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.CloseNow()
			name := fmt.Sprintf("%d", int(life.Seconds()))
			c.Write(ctx, MessageText, []byte(name))
			idle := time.NewTimer(life)
			readErr := make(chan error, 1)
			go func() {
				_, _, err := c.Read(ctx)
				readErr <- err
			}()
			select {
			case <-idle.C: // the lifetime is what is tested
			case err := <-readErr:
				t.Errorf("socket %s closed early, after %v: %v", name, time.Since(start), err)
				return
			}
			if err := c.Close(StatusNormalClosure, name+" seconds are up"); err != nil {
				t.Errorf("socket %s: close: %v", name, err)
			}
			<-readErr
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		r := <-results
		if r.err != nil {
			t.Errorf("socket %q: %v", r.name, r.err)
			continue
		}
		if r.reason != r.name+" seconds are up" {
			t.Errorf("socket %q closed with reason %q", r.name, r.reason)
		}
		var secs int
		fmt.Sscan(r.name, &secs)
		if r.at < time.Duration(secs)*time.Second {
			t.Errorf("socket %q closed after %v, before its lifetime", r.name, r.at)
		}
	}
}
