package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
)

// Player plays a recording at its own pace as a wire.Source, for the
// hub's viewers: the batches go out at the times they were recorded (1×),
// and a seek sends the state at the new time as a keyframe, then plays on
// from there. A recording has no sim, so events go nowhere.
//
// Run plays; Seek, Play, Pause, State and ServeHTTP may be called from
// any goroutine while it runs.
type Player struct {
	r     *Reader
	relay *stream.Relay
	ctl   chan command

	mu    sync.Mutex
	state PlayerState
}

// PlayerState is where a Player is.
type PlayerState struct {
	T        time.Duration `json:"t"`        // the time shown
	Duration time.Duration `json:"duration"` // the recording's
	Playing  bool          `json:"playing"`
}

type command struct {
	seek  bool
	t     time.Duration
	play  bool // when !seek: play (true) or pause (false)
	reply chan error
}

// NewPlayer returns a Player of r that, once it runs, plays from the
// start.
func NewPlayer(r *Reader) *Player {
	p := &Player{r: r, relay: stream.NewRelay(func(wire.Event) {}), ctl: make(chan command)}
	p.state = PlayerState{Duration: r.Duration(), Playing: true}
	return p
}

// Subscribe implements wire.Source.
func (p *Player) Subscribe(s wire.Sink) func() { return p.relay.Subscribe(s) }

// Dispatch implements wire.Source: a recording takes no events.
func (p *Player) Dispatch(wire.Event) {}

// State returns where the Player is.
func (p *Player) State() PlayerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Seek shows the state at t and plays on from there (if playing). It
// returns once the viewers were sent that state, or when ctx ends.
func (p *Player) Seek(ctx context.Context, t time.Duration) error {
	return p.do(ctx, command{seek: true, t: t})
}

// Play plays from where the Player is; Pause stops there.
func (p *Player) Play(ctx context.Context) error { return p.do(ctx, command{play: true}) }

// Pause stops the Player where it is.
func (p *Player) Pause(ctx context.Context) error { return p.do(ctx, command{}) }

func (p *Player) do(ctx context.Context, c command) error {
	c.reply = make(chan error, 1)
	select {
	case p.ctl <- c:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run plays until ctx ends; it returns nil then, or the error of a record
// that does not decode.
func (p *Player) Run(ctx context.Context) error {
	var (
		pos     time.Duration // the time at wall
		wall    = time.Now()
		playing = true
		next    *Record
		timer   = time.NewTimer(time.Hour)
	)
	defer timer.Stop()
	now := func() time.Duration {
		if !playing {
			return pos
		}
		return pos + time.Since(wall)
	}
	seek := func(t time.Duration) error {
		t = max(0, min(t, p.r.Duration()))
		m, err := p.r.Seek(t)
		if err != nil {
			return err
		}
		if kf := m.Keyframe(); kf != nil {
			p.relay.Send(kf)
		}
		if err := p.r.skipTo(t); err != nil {
			return err
		}
		next = nil
		pos, wall = t, time.Now()
		return nil
	}
	publish := func(at time.Duration) {
		p.mu.Lock()
		p.state.T, p.state.Playing = at, playing
		p.mu.Unlock()
	}
	if err := seek(0); err != nil {
		return err
	}
	for {
		if next == nil {
			rec, err := p.r.Next()
			if err != nil && err != io.EOF {
				return err
			}
			if err == nil {
				next = &rec
			}
		}
		at := now()
		if next == nil && playing && at >= p.r.Duration() {
			pos, playing = p.r.Duration(), false // the end: pause there
			at = pos
		}
		publish(at)
		var fire <-chan time.Time
		if playing && next != nil {
			if next.T <= at {
				if !next.Repeat {
					p.relay.Send(next.Batch)
				}
				next = nil
				continue
			}
			timer.Reset(next.T - at)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-fire:
		case c := <-p.ctl:
			var err error
			switch {
			case c.seek:
				err = seek(c.t)
			case c.play && !playing:
				if now() >= p.r.Duration() {
					err = seek(0)
				}
				pos, wall, playing = now(), time.Now(), true
			case !c.play && playing:
				pos, playing = now(), false
			}
			publish(now())
			c.reply <- err
		}
	}
}

// ServeHTTP is the Player's control: GET returns its state as JSON
// ({"t": ns, "duration": ns, "playing": bool}); POST with ?seek=12.5s
// (a Go duration, or seconds), ?play or ?pause changes it and returns
// the new state.
func (p *Player) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		q := r.URL.Query()
		var err error
		switch {
		case q.Has("seek"):
			var t time.Duration
			if t, err = parseTime(q.Get("seek")); err == nil {
				err = p.Seek(r.Context(), t)
			}
		case q.Has("play"):
			err = p.Play(r.Context())
		case q.Has("pause"):
			err = p.Pause(r.Context())
		default:
			err = errors.New("say ?seek=T, ?play or ?pause")
		}
		if err != nil {
			http.Error(w, "replay: "+err.Error(), http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "replay: GET or POST", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(p.State())
}

// parseTime reads a time as a Go duration ("1m30s") or in seconds.
func parseTime(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err != nil || f < 0 || f > 1e9 {
		return 0, fmt.Errorf("seek=%q: give a duration (12.5s) or seconds", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}
