package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
)

// Player plays a recording as a wire.Source, for the hub's viewers: the
// batches go out at the times they were recorded, scaled by its speed (1×
// at first, ¼× to 8× with SetSpeed), and a seek sends the state at the
// new time as a keyframe, then plays on from there. Step shows the next
// or the previous frame (record) and pauses. At the end it pauses, or
// with SetLoop starts again. A recording has no sim, so events go
// nowhere.
//
// Run plays; Seek, Play, Pause, Step, SetSpeed, SetLoop, State and
// ServeHTTP may be called from any goroutine while it runs.
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
	Speed    float64       `json:"speed"` // record time per wall time
	Loop     bool          `json:"loop"`  // at the end, start again
}

// MinSpeed and MaxSpeed bound a Player's speed.
const (
	MinSpeed = 0.25
	MaxSpeed = 8
)

type cmdKind int

const (
	cmdPause cmdKind = iota
	cmdPlay
	cmdSeek
	cmdStep
	cmdSpeed
	cmdLoop
)

type command struct {
	kind  cmdKind
	t     time.Duration // cmdSeek
	n     int           // cmdStep: +1 or -1
	speed float64       // cmdSpeed
	loop  bool          // cmdLoop
	reply chan error
}

// NewPlayer returns a Player of r that, once it runs, plays from the
// start.
func NewPlayer(r *Reader) *Player {
	p := &Player{r: r, relay: stream.NewRelay(func(wire.Event) {}), ctl: make(chan command)}
	p.state = PlayerState{Duration: r.Duration(), Playing: true, Speed: 1}
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
	return p.do(ctx, command{kind: cmdSeek, t: t})
}

// Play plays from where the Player is; Pause stops there.
func (p *Player) Play(ctx context.Context) error { return p.do(ctx, command{kind: cmdPlay}) }

// Pause stops the Player where it is.
func (p *Player) Pause(ctx context.Context) error { return p.do(ctx, command{kind: cmdPause}) }

// Step pauses and shows the next frame (n > 0) or the previous one
// (n < 0): the next batch the recording holds, or the state at the time
// of the last batch before the one shown. Repeated keyframes are not
// frames. Stepping past either end stays there.
func (p *Player) Step(ctx context.Context, n int) error {
	if n == 0 {
		return nil
	}
	return p.do(ctx, command{kind: cmdStep, n: max(-1, min(n, 1))})
}

// SetSpeed plays at speed× the recorded pace, from where the Player is;
// speed must be in [MinSpeed, MaxSpeed].
func (p *Player) SetSpeed(ctx context.Context, speed float64) error {
	if !(speed >= MinSpeed && speed <= MaxSpeed) {
		return fmt.Errorf("speed %g: give %g to %g", speed, float64(MinSpeed), float64(MaxSpeed))
	}
	return p.do(ctx, command{kind: cmdSpeed, speed: speed})
}

// SetLoop makes the Player start again from the beginning at the end
// (loop), or pause there.
func (p *Player) SetLoop(ctx context.Context, loop bool) error {
	return p.do(ctx, command{kind: cmdLoop, loop: loop})
}

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
		speed   = 1.0
		loop    bool
		next    *Record
		timer   = time.NewTimer(time.Hour)
	)
	defer timer.Stop()
	now := func() time.Duration {
		if !playing {
			return pos
		}
		return pos + time.Duration(float64(time.Since(wall))*speed)
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
	// fetch makes next the next record, if there is one.
	fetch := func() error {
		if next != nil {
			return nil
		}
		rec, err := p.r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		next = &rec
		return nil
	}
	step := func(n int) error {
		pos, playing = now(), false
		if n < 0 {
			t, err := p.r.before(pos)
			if err != nil {
				return err
			}
			return seek(t)
		}
		for {
			if err := fetch(); err != nil || next == nil {
				return err
			}
			rec := next
			next = nil
			if rec.Repeat {
				continue
			}
			p.relay.Send(rec.Batch)
			pos, wall = max(pos, rec.T), time.Now()
			// A frame is a time: the records at it go out together, as
			// a seek to it shows them.
			for {
				if err := fetch(); err != nil || next == nil || next.T > rec.T {
					return err
				}
				if !next.Repeat {
					p.relay.Send(next.Batch)
				}
				next = nil
			}
		}
	}
	publish := func(at time.Duration) {
		p.mu.Lock()
		p.state.T, p.state.Playing, p.state.Speed, p.state.Loop = at, playing, speed, loop
		p.mu.Unlock()
	}
	if err := seek(0); err != nil {
		return err
	}
	for {
		if err := fetch(); err != nil {
			return err
		}
		at := now()
		if next == nil && playing && at >= p.r.Duration() {
			if loop && p.r.Duration() > 0 {
				if err := seek(0); err != nil {
					return err
				}
				continue
			}
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
			timer.Reset(time.Duration(float64(next.T-at) / speed))
			fire = timer.C
		} else if playing {
			timer.Reset(time.Duration(float64(p.r.Duration()-at) / speed))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-fire:
		case c := <-p.ctl:
			var err error
			switch c.kind {
			case cmdSeek:
				err = seek(c.t)
			case cmdPlay:
				if !playing {
					if now() >= p.r.Duration() {
						err = seek(0)
					}
					pos, wall, playing = now(), time.Now(), true
				}
			case cmdPause:
				if playing {
					pos, playing = now(), false
				}
			case cmdStep:
				err = step(c.n)
			case cmdSpeed:
				pos, wall, speed = now(), time.Now(), c.speed
			case cmdLoop:
				loop = c.loop
			}
			publish(now())
			c.reply <- err
		}
	}
}

// ServeHTTP is the Player's control: GET returns its state as JSON
// ({"t": ns, "duration": ns, "playing": bool, "speed": x, "loop": bool});
// POST with ?seek=12.5s (a Go duration, or seconds), ?play, ?pause,
// ?step=1 or ?step=-1, ?speed=2 or ?loop=1 (or 0) changes it and returns
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
		case q.Has("step"):
			var n int
			if n, err = strconv.Atoi(q.Get("step")); err == nil {
				err = p.Step(r.Context(), n)
			}
		case q.Has("speed"):
			var v float64
			if v, err = strconv.ParseFloat(q.Get("speed"), 64); err == nil {
				err = p.SetSpeed(r.Context(), v)
			}
		case q.Has("loop"):
			var on bool
			if on, err = strconv.ParseBool(q.Get("loop")); err == nil {
				err = p.SetLoop(r.Context(), on)
			}
		default:
			err = errors.New("say ?seek=T, ?play, ?pause, ?step=±1, ?speed=X or ?loop=1|0")
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
