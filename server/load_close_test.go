package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// Closing the server in the middle of full traffic loses no acknowledged
// message, and every client's read ends with 1001. Each client sends
// numbered messages as fast as its acknowledgements come back (up to a
// window ahead); the handler records each number, then acknowledges it.
// Close comes when every client has had some acknowledged.
func TestLoadCloseDuringTraffic(t *testing.T) {
	const (
		clients = 50
		window  = 16  // messages a client may have unacknowledged
		before  = 200 // acknowledged messages each client has before Close
	)
	rec := &loadRecorder{got: make([][]int, clients)}
	s := New(Config{
		Addr: "127.0.0.1:0", Logger: quiet,
		// All clients connect at once from one address.
		RateLimit: -1, MaxConnsPerIP: clients + 10,
		CloseGrace: 30 * time.Second,
	})
	s.HandleWS("/", Endpoint{Handler: rec.handle})
	served := loadServe(t, s)

	url := "ws" + s.URL()[len("http"):] + "/?id="
	results := make([]*loadSender, clients)
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(clients)
	for id := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, _, err := ws.Dial(ctx, url+strconv.Itoa(id), nil)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		snd := &loadSender{c: c, window: make(chan struct{}, window)}
		results[id] = snd
		wg.Go(func() { snd.run(before, ready.Done) })
	}
	// Close in the middle of the traffic.
	waited := make(chan struct{})
	go func() { ready.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(time.Minute):
		t.Fatalf("the clients did not get %d messages acknowledged each within a minute", before)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	took := time.Since(start)
	served()
	wg.Wait()

	var acked, recorded int
	for id, snd := range results {
		if code := ws.CloseStatus(snd.err); code != ws.StatusGoingAway {
			t.Errorf("client %d: the read ended with %v, want a close with 1001", id, snd.err)
		}
		got := rec.numbers(id)
		// Every number the server recorded arrived in order, without gaps.
		for i, n := range got {
			if n != i+1 {
				t.Fatalf("client %d: the server recorded %d as message %d", id, n, i+1)
			}
		}
		// Every acknowledged number is among them.
		if snd.acked > len(got) {
			t.Errorf("client %d: %d messages acknowledged, only %d recorded", id, snd.acked, len(got))
		}
		if snd.acked < before {
			t.Errorf("client %d: only %d messages acknowledged", id, snd.acked)
		}
		acked += snd.acked
		recorded += len(got)
	}
	t.Logf("%d clients: %d messages recorded, %d acknowledged (%d recorded but the close went out before their acknowledgement); Close took %v",
		clients, recorded, acked, recorded-acked, took)
}

// loadRecorder records the numbered messages of each client.
type loadRecorder struct {
	mu  sync.Mutex
	got [][]int
}

func (rec *loadRecorder) numbers(id int) []int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.got[id]
}

// handle records each message, then acknowledges it. Once Close has sent
// the close frame, acknowledgements fail; the handler keeps reading, and
// recording, until the client's answer to the close, so that what the
// client sent before it saw the close is not cut off.
func (rec *loadRecorder) handle(ctx context.Context, c *ws.Conn, r *http.Request) {
	id, err := strconv.Atoi(r.URL.Query().Get("id"))
	if err != nil || id < 0 || id >= len(rec.got) {
		c.Close(ws.StatusPolicyViolation, "bad id")
		return
	}
	acking := true
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		n, err := strconv.Atoi(string(msg))
		if err != nil {
			c.Close(ws.StatusUnsupportedData, "not a number")
			return
		}
		rec.mu.Lock()
		rec.got[id] = append(rec.got[id], n)
		rec.mu.Unlock()
		if acking && c.Write(ctx, ws.MessageText, msg) != nil {
			acking = false
		}
	}
}

// loadSender sends numbered messages and reads their acknowledgements.
type loadSender struct {
	c      *ws.Conn
	window chan struct{} // a slot per message in flight
	acked  int           // the highest number acknowledged, in order
	err    error         // how the read side ended
}

// run sends until the connection closes; ready is called once before
// messages are acknowledged.
func (s *loadSender) run(before int, ready func()) {
	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		for n := 1; ; n++ {
			select {
			case s.window <- struct{}{}:
			case <-stop:
				return
			}
			if s.c.Write(context.Background(), ws.MessageText, []byte(strconv.Itoa(n))) != nil {
				return
			}
		}
	})
	signalled := false
	for {
		_, msg, err := s.c.Read(context.Background())
		if err != nil {
			s.err = err
			break
		}
		n, _ := strconv.Atoi(string(msg))
		if n != s.acked+1 {
			s.err = fmt.Errorf("acknowledgement %q after %d", msg, s.acked)
			break
		}
		s.acked = n
		<-s.window
		if n == before && !signalled {
			signalled = true
			ready()
		}
	}
	if !signalled {
		ready()
	}
	close(stop)
	writer.Wait()
}
