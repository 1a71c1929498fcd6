package dev

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/link"
	"github.com/vizserve/vizserve/internal/supervise"
	"github.com/vizserve/vizserve/scene/wire"
)

// child is a scene process, seen from the front. Its goroutine (own) reads
// its link; the loop decides its part through the front's cast.
type child struct {
	n      int
	proc   *supervise.Process
	peer   *link.Peer
	hello  link.Hello // set before childUp is posted
	events chan wire.Event
	state  chan link.Msg
	ctx    context.Context // ends when the child's goroutines may stop
	stop   context.CancelFunc

	started bool // cast.mu: the start message was sent

	res   *build.Result // the build it runs
	fresh bool          // a reset: it starts without the previous one's state

	trig       trigger
	build      time.Duration
	fast       bool
	compile    time.Duration
	link       time.Duration
	spawned    time.Time
	helloAt    time.Time
	keyframeAt time.Time
}

// cast says which child plays which part: cur serves the viewers, next is
// starting up. It is the one record of the children's parts: the loop
// casts and retires children; next's own goroutine promotes it to cur at
// its first keyframe after the start, so that no batch of the new version
// waits for the loop, and tells the loop which child it replaced.
// Nothing blocks under mu.
type cast struct {
	mu      sync.Mutex
	cur     *child
	next    *child
	overlay string // the front's overlay, added to a new scene's keyframe
}

func (k *cast) get() (cur, next *child) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cur, k.next
}

// setNext makes c the child starting up and returns the one it
// supersedes, if any.
func (k *cast) setNext(c *child) (old *child) {
	k.mu.Lock()
	defer k.mu.Unlock()
	old, k.next = k.next, c
	return old
}

// markStarted records that c, if still next, was told to start: its next
// keyframe promotes it.
func (k *cast) markStarted(c *child) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	c.started = c == k.next
	return c.started
}

// Parts a child can have.
type part int

const (
	noPart part = iota // replaced, or never cast
	curPart
	nextPart
)

// remove takes c out of the cast and says which part it had.
func (k *cast) remove(c *child) part {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch c {
	case k.next:
		k.next = nil
		return nextPart
	case k.cur:
		k.cur = nil
		return curPart
	}
	return noPart
}

// clear empties the cast and returns the children it had.
func (k *cast) clear() []*child {
	k.mu.Lock()
	defer k.mu.Unlock()
	var cs []*child
	for _, c := range []*child{k.cur, k.next} {
		if c != nil {
			cs = append(cs, c)
		}
	}
	k.cur, k.next = nil, nil
	return cs
}

func (k *cast) setOverlay(text string) {
	k.mu.Lock()
	k.overlay = text
	k.mu.Unlock()
}

// dispatch passes a viewer's event to the current child, never blocking:
// when the child's queue is full, the event is dropped.
func (d *front) dispatch(ev wire.Event) {
	c, _ := d.cast.get()
	if c == nil {
		return
	}
	select {
	case c.events <- ev:
	default:
		d.log.Debug("dev: event dropped, the child's queue is full", "event", ev.String())
	}
}

// feed takes a batch from child c: the current child's go to the viewers;
// the first keyframe of a started next child makes it the current one,
// and feed then reports true and the child it replaced.
func (d *front) feed(c *child, b *wire.Batch) (promoted bool, old *child) {
	d.cast.mu.Lock()
	defer d.cast.mu.Unlock()
	if c == d.cast.next && c.started {
		if !b.IsKeyframe() {
			return false, nil
		}
		old = d.cast.cur
		d.cast.cur, d.cast.next = c, nil
		// A new scene replaces everything of the old one in the pages:
		// its controls (none is a list too) and the overlay.
		hasControls, hasOverlay := false, false
		for _, op := range b.Ops {
			hasControls = hasControls || op.Code == wire.OpControls
			hasOverlay = hasOverlay || op.Code == wire.OpOverlay
		}
		if !hasControls {
			b.Ops = append(b.Ops, wire.Op{Code: wire.OpControls})
		}
		if !hasOverlay {
			b.Ops = append(b.Ops, wire.Op{Code: wire.OpOverlay, Text: d.cast.overlay})
		}
		if !d.relay.Send(b) {
			d.log.Warn("dev: the new scene's keyframe was refused")
		}
		return true, old
	}
	if c == d.cast.cur && !d.relay.Send(b) {
		d.log.Debug("dev: a batch was refused by the relay")
	}
	return false, nil
}

// spawn starts a child running the build's program, casts it as next
// (retiring a next it supersedes) and starts the goroutine that owns its
// link.
func (d *front) spawn(res *build.Result, tr trigger) {
	d.nchild++
	cmd := exec.Command(res.Bin)
	cmd.Dir = d.target.Dir
	peer, err := link.Attach(cmd)
	var p *supervise.Process
	if err == nil {
		prefix := fmt.Sprintf("scene[%d] | ", d.nchild)
		p, err = supervise.Start(cmd, supervise.Options{Prefix: prefix, Out: d.errw})
		peer.Started()
		if err != nil {
			peer.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(d.errw, "vizserve: cannot start the scene: %v\n", err)
		d.overlayCrash = "the scene could not start: " + err.Error()
		d.updateOverlay()
		return
	}
	c := &child{
		n:       d.nchild,
		proc:    p,
		peer:    peer,
		events:  make(chan wire.Event, 1024),
		state:   make(chan link.Msg, 1),
		trig:    tr,
		res:     res,
		build:   res.Duration,
		fast:    res.Fast,
		compile: res.Compile,
		link:    res.Link,
		spawned: time.Now(),
	}
	c.fresh = tr.reset
	c.ctx, c.stop = context.WithCancel(d.ctx)
	if old := d.cast.setNext(c); old != nil {
		d.retire(old) // a newer version supersedes the one starting
	}
	d.wg.Go(func() { d.own(c) })
}

// own runs on its own goroutine for the life of child c: it waits for the
// child's hello, writes the viewers' events to it, reads its link, and
// reports the child's end.
func (d *front) own(c *child) {
	defer c.peer.Close()
	actx, cancel := context.WithTimeout(c.ctx, d.cfg.ConnectTimeout)
	err := c.peer.Accept(actx)
	cancel()
	switch {
	case err == nil:
	case c.ctx.Err() != nil:
		c.proc.Stop(DefaultStopGrace)
		return
	case errors.Is(err, context.DeadlineExceeded):
		c.proc.Stop(DefaultStopGrace)
		d.post(childExit{c: c, err: mistake(fmt.Sprintf("the program ran %v without calling vizserve.Run: a scene's main must end with vizserve.Run(s, nil)", d.cfg.ConnectTimeout)), tail: c.proc.Tail()})
		return
	default:
		if errors.Is(err, link.ErrNoHello) {
			d.awaitExit(c)
			err := c.proc.Err()
			if err == nil {
				// It ended well, before it said hello: it never
				// called Run. (A crash keeps its exit status, and its
				// output says why.)
				err = mistake("the program exited without calling vizserve.Run: a scene's main must end with vizserve.Run(s, nil)")
			}
			d.post(childExit{c: c, err: err, tail: c.proc.Tail()})
			return
		}
		c.proc.Stop(DefaultStopGrace)
		d.post(childExit{c: c, err: err, tail: c.proc.Tail()})
		return
	}
	c.hello = c.peer.Hello()
	c.helloAt = time.Now()

	// The event writer: one goroutine writes the viewers' events.
	var writer sync.WaitGroup
	wctx, wcancel := context.WithCancel(c.ctx)
	writer.Go(func() {
		var buf []byte
		for {
			select {
			case ev := <-c.events:
				var err error
				if buf, err = link.AppendEvent(buf[:0], &ev); err != nil {
					continue
				}
				if c.peer.Send(wctx, buf) != nil {
					return
				}
			case <-wctx.Done():
				return
			}
		}
	})
	defer func() {
		wcancel()
		writer.Wait()
	}()

	d.post(childUp{c: c})
	for {
		m, err := c.peer.Next(d.ctx)
		if err != nil {
			break
		}
		switch m.Type {
		case link.TBatch:
			if promoted, old := d.feed(c, m.Batch); promoted {
				d.post(childKeyframe{c: c, old: old, at: time.Now()})
			}
		case link.TState:
			select {
			case c.state <- m:
			default:
			}
		case link.TRestart:
			d.post(childRestart{c: c})
		}
	}
	// The link is gone: the child exits (it ends when its link does), or
	// is made to.
	d.awaitExit(c)
	d.post(childExit{c: c, err: c.proc.Err(), tail: c.proc.Tail()})
}

// awaitExit gives child c, whose link has ended, DefaultStopGrace to exit,
// then stops it.
func (d *front) awaitExit(c *child) {
	grace := time.NewTimer(DefaultStopGrace)
	defer grace.Stop()
	select {
	case <-c.proc.Exited():
	case <-grace.C:
	case <-d.ctx.Done():
	}
	c.proc.Stop(DefaultStopGrace)
}

func (d *front) onUp(c *child) {
	old, next := d.cast.get()
	if c != next {
		return
	}
	if old != nil && old.hello.State && c.hello.State && !c.fresh {
		// Carry the state over: ask the old child, then start the new
		// one with it (or without it, after a bounded wait).
		d.wg.Go(func() {
			var data []byte
			ctx, cancel := context.WithTimeout(d.ctx, DefaultStateTimeout)
			defer cancel()
			select {
			case <-old.state: // a late answer to an earlier request
			default:
			}
			if err := old.peer.Send(ctx, link.Control(link.TStateRequest)); err == nil {
				select {
				case m := <-old.state:
					if m.Err != "" {
						fmt.Fprintf(d.errw, "vizserve: the previous version could not save its state: %s\n", m.Err)
						d.relay.Send(&wire.Batch{Ops: []wire.Op{{Code: wire.OpNotice, Text: "The previous version could not save its state: the new one starts afresh (" + m.Err + ")"}}})
					}
					data = m.Data
				case <-ctx.Done():
					fmt.Fprintf(d.errw, "vizserve: the previous version did not hand over its state in %v; the new one starts afresh\n", DefaultStateTimeout)
				case <-old.ctx.Done():
				}
			}
			d.post(stateDone{c: c, data: data})
		})
		return
	}
	d.start(c, nil)
}

// start tells child c to run, with the state to restore and the control
// values the viewers see, which the child applies by name before its first
// keyframe (so a save keeps what the user tuned); its first keyframe will
// make it current.
func (d *front) start(c *child, state []byte) {
	if !d.cast.markStarted(c) {
		return // superseded meanwhile
	}
	if err := c.peer.Send(d.ctx, link.AppendStart(nil, state, d.relay.Controls())); err != nil {
		d.log.Debug("dev: start", "err", err)
	}
}

// onRestart starts the current child's program afresh, for a viewer's
// reset in a scene without OnReset: the new process takes over as after a
// save, with the control values the viewers see but not the old one's
// state.
func (d *front) onRestart(m childRestart) {
	cur, next := d.cast.get()
	if m.c != cur || next != nil {
		return // a newer version is on its way, or this one is gone
	}
	d.say("resetting the scene: starting it afresh")
	d.spawn(m.c.res, trigger{first: time.Now(), reset: true})
}

func (d *front) onKeyframe(m childKeyframe) {
	c := m.c
	c.keyframeAt = m.at
	if m.old != nil {
		d.retire(m.old)
	}
	if d.overlayCrash != "" {
		d.overlayCrash = ""
		d.updateOverlay()
	}
	swap := m.at.Sub(c.spawned)
	d.say("scene running (pid %d): started in %s", c.proc.Pid(), ms(swap))
	d.log.Debug("dev: swap", "child", c.n, "build", c.build, "connect", c.helloAt.Sub(c.spawned), "keyframe", m.at.Sub(c.helloAt))
	d.notify(Note{Kind: NoteSwapped, Child: c.n, Change: c.trig.first, Debounced: c.trig.debounced, Build: c.build, Fast: c.fast, Early: c.trig.early, Compile: c.compile, Link: c.link,
		Spawned: c.spawned, Hello: c.helloAt, Keyframe: m.at, Pid: c.proc.Pid()})
}

func (d *front) onExit(m childExit) {
	c := m.c
	why := "exited"
	if m.err != nil {
		why = m.err.Error()
	}
	var mis mistake
	isMistake := errors.As(m.err, &mis)
	text := fmt.Sprintf("the scene stopped (%s) — fix it and save to restart it", why)
	if isMistake {
		text = why
	}
	switch d.cast.remove(c) {
	case nextPart:
		if cur, _ := d.cast.get(); cur != nil {
			text = fmt.Sprintf("the new version did not start (%s) — the previous one keeps running", why)
		}
	case curPart:
	default: // replaced, and now gone
		d.notify(Note{Kind: NoteStopped, Child: c.n, Pid: c.proc.Pid()})
		return
	}
	if m.tail != "" {
		if isMistake {
			text += "\n\n" + m.tail // the line says it all; the output follows
		} else {
			text += ":\n\n" + m.tail
		}
	}
	c.stop()
	fmt.Fprintf(d.errw, "vizserve: %s\n", text)
	d.overlayCrash = text
	d.updateOverlay()
	d.notify(Note{Kind: NoteExited, Child: c.n, Text: text})
}

// retire stops child c, no longer cast, in the background: a shutdown
// message, then SIGTERM and SIGKILL if it lingers.
func (d *front) retire(c *child) {
	d.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.peer.Send(ctx, link.Control(link.TShutdown))
		cancel()
		if err == nil {
			grace := time.NewTimer(DefaultStopGrace)
			select {
			case <-c.proc.Exited():
			case <-grace.C:
			}
			grace.Stop()
		}
		c.stop()
		c.proc.Stop(DefaultStopGrace)
	})
}

// mistake is a child's end that says what is wrong with the program and
// what to do, in a line of its own.
type mistake string

func (m mistake) Error() string { return string(m) }
