package natsrelay

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
)

// Defaults of SubscriberOptions.
const (
	DefaultKeyframeTimeout = time.Second
	// DefaultHold is how many publications a relay holds while it waits
	// for a keyframe.
	DefaultHold = 256
	// DefaultStaleAfter is how long a relay waits without a word from the
	// origin (publications and heartbeats, DefaultHeartbeat apart) before
	// its pages show the overlay StaleText.
	DefaultStaleAfter = 1500 * time.Millisecond
)

// StaleText is the overlay a relay's pages show while the origin is silent.
const StaleText = "the simulation is not reachable: waiting for it to come back"

// SubscriberOptions configures NewSubscriber.
type SubscriberOptions struct {
	// Scene names the scene on the broker. Required.
	Scene string
	// Name is the relay's name in its viewers' events and its presence;
	// unique among the scene's relays. Default: host name and process id.
	Name string
	// Viewers, if set, counts the relay's own viewers for presence.
	Viewers func() int
	// KeyframeTimeout bounds one keyframe request. Default
	// DefaultKeyframeTimeout.
	KeyframeTimeout time.Duration
	// Logger gets what goes wrong. Default: discard.
	Logger *slog.Logger
}

// Subscriber is the relay side: it feeds a stream.Relay from a scene's
// subjects and sends the relay's events to the origin. It checks that
// publications follow each other (same epoch, number one more than the
// last); after a gap, a new epoch or a heartbeat that names a publication
// it did not get, it holds what comes, asks the origin for a keyframe, and
// resumes from it with the held publications that follow it.
type Subscriber struct {
	nc    *nats.Conn
	subj  subjects
	o     SubscriberOptions
	log   *slog.Logger
	relay *stream.Relay
	pres  *presence

	mu      sync.Mutex // guards what follows, and the order of Relay.Send
	asm     assembler
	epoch   uint64
	last    uint64
	synced  bool
	held    []heldPub
	heard   time.Time // the last frame from the origin
	stale   bool      // the relay shows StaleText
	overlay string    // the origin's own overlay, shown again when it comes back
	stats   SubscriberStats
	changed chan struct{} // closed and replaced at every change of stats

	need   chan struct{}
	subs   []*nats.Subscription
	cancel context.CancelFunc
	done   sync.WaitGroup
	once   sync.Once
}

type heldPub struct {
	epoch, pub uint64
	data       []byte
}

// SubscriberStats are a relay's counters and position in the stream.
type SubscriberStats struct {
	Epoch, Pub   uint64 // of the last publication applied
	Synced       bool
	Publications uint64 // applied
	Gaps         uint64 // gaps, epochs and lost chunks that needed a keyframe
	Keyframes    uint64 // keyframes applied
	Requests     uint64 // keyframe requests sent
	Heartbeats   uint64
	Stale        bool // the origin has been silent: the pages show StaleText
}

// NewSubscriber starts feeding a Relay from nc; serve it with
// server.MountScene(srv, s.Relay(), ...).
func NewSubscriber(nc *nats.Conn, opts *SubscriberOptions) (*Subscriber, error) {
	var o SubscriberOptions
	if opts != nil {
		o = *opts
	}
	subj, err := subjectsOf(o.Scene)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if len(o.Name) > maxName {
		return nil, fmt.Errorf("natsrelay: relay name longer than %d bytes", maxName)
	}
	if o.KeyframeTimeout <= 0 {
		o.KeyframeTimeout = DefaultKeyframeTimeout
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Subscriber{
		nc: nc, subj: subj, o: o, log: log,
		pres:    newPresence(o.Name, o.Viewers),
		changed: make(chan struct{}),
		need:    make(chan struct{}, 1),
	}
	s.relay = stream.NewRelay(s.dispatch)
	for _, x := range []struct {
		subj string
		cb   nats.MsgHandler
	}{{subj.batch, s.onStream}, {subj.presence, s.onPresence}} {
		sub, err := nc.Subscribe(x.subj, x.cb)
		if err != nil {
			for _, s := range s.subs {
				s.Unsubscribe()
			}
			return nil, fmt.Errorf("natsrelay: subscribe %s: %w", x.subj, err)
		}
		// A relay that falls behind drops messages (and resyncs) rather
		// than queue without bound.
		sub.SetPendingLimits(4096, 256<<20)
		s.subs = append(s.subs, sub)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.heard = time.Now()
	s.done.Add(3)
	go s.requester(ctx)
	go s.presenceLoop(ctx)
	go s.watch(ctx)
	s.want()
	return s, nil
}

// Relay is the Source the relay's viewers watch.
func (s *Subscriber) Relay() *stream.Relay { return s.relay }

// Name is the relay's name.
func (s *Subscriber) Name() string { return s.o.Name }

// Viewers is the scene's viewer count on every relay and the origin;
// local is this relay's own.
func (s *Subscriber) Viewers(local int) int { return s.pres.total(local) }

// Stats returns the relay's counters.
func (s *Subscriber) Stats() SubscriberStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Wait waits until cond holds for the stats, or ctx ends.
func (s *Subscriber) Wait(ctx context.Context, cond func(SubscriberStats) bool) error {
	for {
		s.mu.Lock()
		st, ch := s.stats, s.changed
		s.mu.Unlock()
		if cond(st) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("natsrelay: waiting for the relay (at %+v): %w", st, ctx.Err())
		}
	}
}

// note publishes a change of stats; called with mu held.
func (s *Subscriber) note() {
	s.stats.Epoch, s.stats.Pub, s.stats.Synced, s.stats.Stale = s.epoch, s.last, s.synced, s.stale
	close(s.changed)
	s.changed = make(chan struct{})
}

// want asks the requester for a keyframe.
func (s *Subscriber) want() {
	select {
	case s.need <- struct{}{}:
	default:
	}
}

// onStream takes a chunk of a publication or a heartbeat.
func (s *Subscriber) onStream(m *nats.Msg) {
	h, payload, err := parseHeader(m.Data)
	if err != nil {
		s.log.Debug("natsrelay: malformed message on the stream", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heard = time.Now()
	switch h.Kind {
	case kindHeartbeat:
		s.stats.Heartbeats++
		if h.Epoch != s.epoch || h.Pub != s.last {
			if s.synced && h.Epoch == s.epoch && h.Pub < s.last {
				break // a heartbeat that overtook nothing: stale
			}
			s.lose()
		}
		s.note()
	case kindBatch:
		data, ok := s.asm.add(h, payload)
		if !ok {
			s.lose()
			s.note()
			return
		}
		if data != nil {
			s.onPub(h.Epoch, h.Pub, data)
			s.note()
		}
	}
}

// lose marks the relay out of step and asks for a keyframe; called with
// mu held.
func (s *Subscriber) lose() {
	if s.synced {
		s.stats.Gaps++
	}
	s.synced = false
	s.want()
}

// onPub takes one whole publication; called with mu held.
func (s *Subscriber) onPub(epoch, pub uint64, data []byte) {
	if s.synced && epoch == s.epoch {
		switch {
		case pub <= s.last:
			return // a repeat
		case pub == s.last+1:
			s.apply(pub, data)
			return
		}
	}
	if s.synced {
		s.stats.Gaps++
	}
	s.synced = false
	if len(s.held) >= DefaultHold {
		s.held = s.held[1:]
	}
	s.held = append(s.held, heldPub{epoch, pub, data})
	s.want()
}

// apply decodes a publication and sends it to the relay; called with mu
// held.
func (s *Subscriber) apply(pub uint64, data []byte) {
	b, err := wire.DecodeBatch(data)
	if err != nil {
		s.log.Warn("natsrelay: a publication does not decode", "pub", pub, "err", err)
		s.synced = false
		s.want()
		return
	}
	b.Seq = pub
	s.seeOverlay(b)
	if !s.relay.Send(b) {
		s.synced = false
		s.want()
		return
	}
	s.last = pub
	s.stats.Publications++
	s.fresh()
}

// seeOverlay records the origin's overlay; called with mu held.
func (s *Subscriber) seeOverlay(b *wire.Batch) {
	if b.IsKeyframe() {
		s.overlay = ""
	}
	for i := range b.Ops {
		if b.Ops[i].Code == wire.OpOverlay {
			s.overlay = b.Ops[i].Text
		}
	}
}

// fresh takes StaleText away after the origin spoke again, putting back
// its own overlay; called with mu held, after a publication or keyframe.
func (s *Subscriber) fresh() {
	if !s.stale {
		return
	}
	s.stale = false
	s.relay.Send(&wire.Batch{Seq: s.last, Ops: []wire.Op{{Code: wire.OpOverlay, Text: s.overlay}}})
}

// watch shows StaleText while the origin is silent.
func (s *Subscriber) watch(ctx context.Context) {
	defer s.done.Done()
	t := time.NewTicker(DefaultHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		if !s.stale && s.stats.Keyframes > 0 && time.Since(s.heard) > DefaultStaleAfter {
			s.stale = true
			s.relay.Send(&wire.Batch{Seq: s.last, Ops: []wire.Op{{Code: wire.OpOverlay, Text: StaleText}}})
			s.note()
		}
		s.mu.Unlock()
	}
}

// onKeyframe applies a keyframe at publication pub of epoch and then the
// held publications after it; called with mu held.
func (s *Subscriber) onKeyframe(epoch, pub uint64, data []byte) {
	b, err := wire.DecodeBatch(data)
	if err != nil || !b.IsKeyframe() {
		s.log.Warn("natsrelay: a keyframe does not decode", "err", err)
		s.want()
		return
	}
	b.Seq = pub
	s.seeOverlay(b)
	if !s.relay.Send(b) {
		s.want()
		return
	}
	s.epoch, s.last, s.synced = epoch, pub, true
	s.stats.Keyframes++
	s.fresh()
	held := s.held
	s.held = nil
	for _, h := range held {
		if h.epoch != epoch || h.pub <= s.last {
			continue
		}
		if h.pub != s.last+1 || !s.synced {
			s.lose()
			continue
		}
		s.apply(h.pub, h.data)
	}
	s.note()
}

// requester asks for keyframes, one at a time, while the relay is out of
// step.
func (s *Subscriber) requester(ctx context.Context) {
	defer s.done.Done()
	backoff := time.NewTimer(0)
	<-backoff.C
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.need:
		}
		s.mu.Lock()
		synced := s.synced
		s.mu.Unlock()
		if synced {
			continue
		}
		err := s.fetch(ctx)
		if err == nil {
			continue
		}
		s.log.Debug("natsrelay: keyframe request failed", "err", err)
		backoff.Reset(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			return
		case <-backoff.C:
		}
		s.want()
	}
}

// fetch asks the origin for a keyframe and applies it.
func (s *Subscriber) fetch(ctx context.Context) error {
	inbox := s.nc.NewInbox()
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	if err := s.nc.PublishRequest(s.subj.keyframe, inbox, []byte(s.o.Name)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.KeyframeTimeout)
	defer cancel()
	var asm assembler
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return fmt.Errorf("natsrelay: keyframe: %w", err)
		}
		if len(m.Data) == 0 {
			return ErrNoOrigin // the broker's no-responders reply
		}
		h, payload, err := parseHeader(m.Data)
		if err != nil {
			return err
		}
		if h.Kind == kindNone {
			return fmt.Errorf("natsrelay: the origin has no scene yet")
		}
		if h.Kind != kindKeyframe {
			return errFrame
		}
		data, ok := asm.add(h, payload)
		if !ok {
			return fmt.Errorf("natsrelay: keyframe: a chunk was lost")
		}
		if data != nil {
			s.mu.Lock()
			s.onKeyframe(h.Epoch, h.Pub, data)
			s.mu.Unlock()
			return nil
		}
	}
}

// dispatch sends a viewer's event to the origin. It does not block: with
// the broker away, the event is lost, as it would be with its viewer's
// connection.
func (s *Subscriber) dispatch(e wire.Event) {
	var ev []byte // empty: the viewer left (not an event of the browser's wire)
	if e.Kind != wire.ViewerLeft {
		var err error
		if ev, err = e.AppendBinary(nil); err != nil {
			return
		}
	}
	s.nc.Publish(s.subj.events, appendEventMsg(nil, eventMsg{Relay: s.o.Name, Viewer: e.Viewer, Event: ev}))
}

func (s *Subscriber) onPresence(m *nats.Msg) {
	if pm, err := parsePresenceMsg(m.Data); err == nil {
		s.pres.see(pm, time.Now())
	}
}

func (s *Subscriber) presenceLoop(ctx context.Context) {
	defer s.done.Done()
	t := time.NewTicker(PresenceInterval)
	defer t.Stop()
	for {
		s.nc.Publish(s.subj.presence, s.pres.msg())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.pres.expire(time.Now())
	}
}

// Close stops the relay's subscriptions and goroutines; the Relay keeps
// its last state. It does not close the connection.
func (s *Subscriber) Close() error {
	s.once.Do(func() {
		for _, sub := range s.subs {
			sub.Unsubscribe()
		}
		s.cancel()
		s.done.Wait()
	})
	return nil
}
