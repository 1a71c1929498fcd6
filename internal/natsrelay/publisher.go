package natsrelay

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
)

// Defaults of PublisherOptions.
const (
	DefaultHeartbeat   = 250 * time.Millisecond
	DefaultMaxBuffered = 4 << 20
	// DefaultEventRate is the events per second one remote viewer may
	// send, in bursts of as many: the hub's own limit (server.ViewerEventRate).
	DefaultEventRate = 2000
)

// PublisherOptions configures NewPublisher.
type PublisherOptions struct {
	// Scene names the scene on the broker. Required.
	Scene string
	// Name is the origin's name in presence messages. Default "origin".
	Name string
	// Heartbeat is how long the stream may stay silent before a
	// heartbeat goes out. Default DefaultHeartbeat.
	Heartbeat time.Duration
	// MaxBuffered is how many bytes may wait in the connection's buffer
	// for the broker; beyond it (a slow broker), and while the broker is
	// unreachable, batches merge. Default DefaultMaxBuffered.
	MaxBuffered int
	// EventRate bounds each remote viewer's events per second. Default
	// DefaultEventRate.
	EventRate float64
	// Viewers, if set, counts this process's own viewers for presence.
	Viewers func() int
	// Logger gets what goes wrong. Default: discard.
	Logger *slog.Logger
}

// Publisher publishes a Source's batch stream on a scene's subjects and
// feeds the events of remote viewers back to it. It is the Source's sink:
// Send merges each batch and wakes the publisher's goroutine, which
// numbers, encodes and publishes it, so the Source (the sim goroutine)
// never waits for the broker. While the broker is unreachable or slow,
// batches keep merging, latest value wins, and the next publication
// carries them all.
//
// The publisher keeps a Mirror of what it published; keyframe requests
// are answered from it at a publication boundary, never from the Source.
type Publisher struct {
	nc    *nats.Conn
	src   wire.Source
	subj  subjects
	o     PublisherOptions
	log   *slog.Logger
	epoch uint64
	pres  *presence

	mu     sync.Mutex // guards merger
	merger stream.Merger
	busy   bool // a batch taken from the merger is being published
	wake   chan struct{}

	mmu    sync.Mutex // guards mirror and pub: one publication at a time
	mirror *stream.Mirror
	pub    uint64
	buf    []byte

	vmu     sync.Mutex // guards remote
	remote  map[remoteKey]*remoteViewer
	byID    map[uint64]remoteKey
	nextID  uint64
	dropped atomic.Uint64

	published atomic.Uint64
	keyframes atomic.Uint64

	// drop, in tests, names a publication to skip (a lost message).
	drop atomic.Uint64

	unsubscribe func()
	subs        []*nats.Subscription
	cancel      context.CancelFunc
	done        sync.WaitGroup
	closeOnce   sync.Once
}

type remoteKey struct {
	relay  string
	viewer uint64
}

type remoteViewer struct {
	id     uint64
	tokens float64
	last   time.Time
}

// RemoteViewers numbers the viewers of relays as the Source sees them
// (wire.Event.Viewer): from this bit up, so that they never meet the
// numbers of the origin's own hub.
const RemoteViewers = 1 << 62

// NewPublisher subscribes to src and publishes its stream on nc until
// Close. nc stays the caller's: connect it with Connect, which reconnects
// for ever.
func NewPublisher(nc *nats.Conn, src wire.Source, opts *PublisherOptions) (*Publisher, error) {
	var o PublisherOptions
	if opts != nil {
		o = *opts
	}
	subj, err := subjectsOf(o.Scene)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = "origin"
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.MaxBuffered <= 0 {
		o.MaxBuffered = DefaultMaxBuffered
	}
	if o.EventRate <= 0 {
		o.EventRate = DefaultEventRate
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Publisher{
		nc: nc, src: src, subj: subj, o: o, log: log,
		epoch:  newEpoch(),
		pres:   newPresence(o.Name, o.Viewers),
		wake:   make(chan struct{}, 1),
		mirror: stream.NewMirror(),
		remote: map[remoteKey]*remoteViewer{},
		byID:   map[uint64]remoteKey{},
		nextID: RemoteViewers,
	}
	for _, s := range []struct {
		subj string
		cb   nats.MsgHandler
	}{{subj.keyframe, p.onKeyframeRequest}, {subj.events, p.onEvent}, {subj.presence, p.onPresence}} {
		sub, err := nc.Subscribe(s.subj, s.cb)
		if err != nil {
			p.unsubscribeAll()
			return nil, fmt.Errorf("natsrelay: subscribe %s: %w", s.subj, err)
		}
		p.subs = append(p.subs, sub)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done.Add(2)
	go p.run(ctx)
	go p.presenceLoop(ctx)
	p.unsubscribe = src.Subscribe(p)
	return p, nil
}

// newEpoch picks a stream's epoch: random, never 0.
func newEpoch() uint64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		if e := binary.LittleEndian.Uint64(b[:]) >> 1; e != 0 {
			return e
		}
	}
}

// Epoch is the stream's epoch: a new one for every publisher.
func (p *Publisher) Epoch() uint64 { return p.epoch }

// Pub is the number of the last publication.
func (p *Publisher) Pub() uint64 {
	p.mmu.Lock()
	defer p.mmu.Unlock()
	return p.pub
}

// PublisherStats are a publisher's counters.
type PublisherStats struct {
	Epoch, Pub uint64
	Published  uint64 // publications that went out
	Keyframes  uint64 // keyframe requests answered
	Dropped    uint64 // remote events dropped over the rate
}

// Stats returns the publisher's counters.
func (p *Publisher) Stats() PublisherStats {
	return PublisherStats{Epoch: p.epoch, Pub: p.Pub(), Published: p.published.Load(), Keyframes: p.keyframes.Load(), Dropped: p.dropped.Load()}
}

// Viewers is the scene's viewer count on every relay and here.
func (p *Publisher) Viewers(local int) int { return p.pres.total(local) }

// Identity tells which relay and which of its viewers a Source's
// wire.Event.Viewer number stands for; ok is false for a number the
// publisher did not give (or no longer knows).
func (p *Publisher) Identity(viewer uint64) (relay string, relayViewer uint64, ok bool) {
	p.vmu.Lock()
	defer p.vmu.Unlock()
	k, ok := p.byID[viewer]
	return k.relay, k.viewer, ok
}

// Send implements wire.Sink: it merges b and wakes the publisher. It
// never blocks.
func (p *Publisher) Send(b *wire.Batch) bool {
	p.mu.Lock()
	ok := p.merger.Add(b)
	p.mu.Unlock()
	p.poke()
	return ok
}

func (p *Publisher) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// ready reports whether the broker takes a publication now.
func (p *Publisher) ready() bool {
	if !p.nc.IsConnected() {
		return false
	}
	n, err := p.nc.Buffered()
	return err == nil && n < p.o.MaxBuffered
}

// retryEvery is how often a publisher that holds merged batches looks
// again whether the broker takes them.
const retryEvery = 10 * time.Millisecond

func (p *Publisher) run(ctx context.Context) {
	defer p.done.Done()
	beat := time.NewTicker(p.o.Heartbeat)
	defer beat.Stop()
	retry := time.NewTimer(retryEvery)
	retry.Stop()
	var out wire.Batch
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-retry.C:
		case <-beat.C:
			if time.Since(last) >= p.o.Heartbeat && p.ready() {
				p.heartbeat()
				last = time.Now()
			}
			continue
		}
		if !p.ready() {
			retry.Reset(retryEvery)
			continue
		}
		p.mu.Lock()
		have := p.merger.Take(&out)
		p.busy = have
		p.mu.Unlock()
		if have {
			p.publish(&out)
			last = time.Now()
			p.mu.Lock()
			p.busy = false
			p.mu.Unlock()
		}
	}
}

// publish applies b to the mirror and publishes it as the next
// publication, in chunks if it is larger than the broker takes.
func (p *Publisher) publish(b *wire.Batch) {
	p.mmu.Lock()
	defer p.mmu.Unlock()
	if err := p.mirror.Apply(b); err != nil {
		p.log.Error("natsrelay: the scene sent a batch its mirror cannot apply", "err", err)
	}
	p.pub++
	var err error
	p.buf, err = wire.AppendBatch(p.buf[:0], p.pub, b.Ops, nil)
	if err != nil {
		p.log.Error("natsrelay: cannot encode a batch", "err", err)
		return
	}
	if p.drop.Load() == p.pub {
		return
	}
	if err := p.sendChunks(p.subj.batch, kindBatch, p.pub, p.buf); err != nil {
		p.log.Debug("natsrelay: publication lost", "pub", p.pub, "err", err)
		return
	}
	p.published.Add(1)
	if cap(p.buf) > 1<<20 && len(p.buf) < 64<<10 {
		p.buf = nil
	}
}

func (p *Publisher) heartbeat() {
	p.mmu.Lock()
	pub := p.pub
	p.mmu.Unlock()
	p.nc.Publish(p.subj.batch, appendHeader(nil, header{Kind: kindHeartbeat, Epoch: p.epoch, Pub: pub}))
}

// sendChunks publishes payload on subj as one message or, above the
// broker's limit, as several.
func (p *Publisher) sendChunks(subj string, k kind, pub uint64, payload []byte) error {
	size := int(p.nc.MaxPayload()) - maxHeader
	if size < 1024 {
		size = 1024
	}
	parts := chunks(payload, size)
	if len(parts) > maxChunks {
		return fmt.Errorf("natsrelay: a message of %d bytes needs more than %d chunks", len(payload), maxChunks)
	}
	msg := make([]byte, 0, min(len(payload), size)+maxHeader)
	for i, part := range parts {
		msg = appendHeader(msg[:0], header{Kind: k, Epoch: p.epoch, Pub: pub, Chunk: i, Chunks: len(parts)})
		msg = append(msg, part...)
		if err := p.nc.Publish(subj, msg); err != nil {
			return err
		}
	}
	return nil
}

// onKeyframeRequest answers a relay with the mirror's keyframe at the last
// publication, in chunks on the reply subject.
func (p *Publisher) onKeyframeRequest(m *nats.Msg) {
	if m.Reply == "" {
		return
	}
	p.mmu.Lock()
	kf := p.mirror.Keyframe()
	pub := p.pub
	p.mmu.Unlock()
	if kf == nil {
		p.nc.Publish(m.Reply, appendHeader(nil, header{Kind: kindNone, Epoch: p.epoch, Pub: pub}))
		return
	}
	data, err := wire.AppendBatch(nil, pub, kf.Ops, nil)
	if err != nil {
		p.log.Error("natsrelay: cannot encode a keyframe", "err", err)
		return
	}
	if err := p.sendChunks(m.Reply, kindKeyframe, pub, data); err == nil {
		p.keyframes.Add(1)
	}
}

// onEvent passes a remote viewer's event to the Source, numbered for that
// viewer, within the viewer's rate.
func (p *Publisher) onEvent(m *nats.Msg) {
	em, err := parseEventMsg(m.Data)
	if err != nil {
		return
	}
	ev := wire.Event{Kind: wire.ViewerLeft}
	if len(em.Event) > 0 {
		if ev, err = wire.DecodeEvent(em.Event); err != nil || ev.Kind == wire.Ack || ev.Kind == wire.ViewerLeft {
			return
		}
	}
	k := remoteKey{em.Relay, em.Viewer}
	now := time.Now()
	p.vmu.Lock()
	v := p.remote[k]
	if ev.Kind == wire.ViewerLeft {
		if v == nil {
			p.vmu.Unlock()
			return
		}
		delete(p.remote, k)
		delete(p.byID, v.id)
		p.vmu.Unlock()
		p.src.Dispatch(wire.Event{Kind: wire.ViewerLeft, Viewer: v.id})
		return
	}
	if v == nil {
		p.nextID++
		v = &remoteViewer{id: p.nextID, tokens: p.o.EventRate, last: now}
		p.remote[k] = v
		p.byID[v.id] = k
	}
	v.tokens = min(p.o.EventRate, v.tokens+now.Sub(v.last).Seconds()*p.o.EventRate)
	v.last = now
	ok := v.tokens >= 1
	if ok {
		v.tokens--
	}
	id := v.id
	p.vmu.Unlock()
	if !ok {
		p.dropped.Add(1)
		return
	}
	ev.Viewer = id
	p.src.Dispatch(ev)
}

func (p *Publisher) onPresence(m *nats.Msg) {
	if pm, err := parsePresenceMsg(m.Data); err == nil {
		p.pres.see(pm, time.Now())
	}
}

// presenceLoop publishes the origin's count and ends the remote viewers
// of relays that went silent (a relay killed without a word).
func (p *Publisher) presenceLoop(ctx context.Context) {
	defer p.done.Done()
	t := time.NewTicker(PresenceInterval)
	defer t.Stop()
	for {
		p.nc.Publish(p.subj.presence, p.pres.msg())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, relay := range p.pres.expire(time.Now()) {
			p.forgetRelay(relay)
		}
	}
}

func (p *Publisher) forgetRelay(relay string) {
	var gone []uint64
	p.vmu.Lock()
	for k, v := range p.remote {
		if k.relay == relay {
			gone = append(gone, v.id)
			delete(p.remote, k)
			delete(p.byID, v.id)
		}
	}
	p.vmu.Unlock()
	for _, id := range gone {
		p.src.Dispatch(wire.Event{Kind: wire.ViewerLeft, Viewer: id})
	}
}

func (p *Publisher) unsubscribeAll() {
	for _, s := range p.subs {
		s.Unsubscribe()
	}
}

// Close stops publishing and waits for the publisher's goroutines. It does
// not close the connection.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		p.unsubscribe()
		p.unsubscribeAll()
		p.cancel()
		p.done.Wait()
	})
	return nil
}

// ErrNoOrigin is returned for a keyframe request that no origin answers.
var ErrNoOrigin = errors.New("natsrelay: no origin publishes this scene")

// settled reports whether everything the source sent has been published.
func (p *Publisher) settled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.merger.Pending() && !p.busy
}
