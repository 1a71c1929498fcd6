// Package dev is vizserve's dev loop: it builds a scene, runs it as a child
// process linked over a loopback websocket, serves it to browsers from a
// stable front process, and on every save rebuilds it and swaps the new
// version in while the pages stay connected (docs/dev.md).
//
//	err := dev.Run(ctx, dev.Config{Path: "./scene.go", Stdout: os.Stdout, Stderr: os.Stderr})
//
// The front owns the browsers' connections: a server.Server with the scene
// mounted on a stream.Relay, whose upstream is the current child. A new
// child's first keyframe replaces the old scene in every page (no reload;
// the client keeps its pan and zoom). Build errors and crashes show as an
// overlay in every page and in the terminal; stylesheets and scripts next to
// the scene are bundled with esbuild and swapped into the pages without
// touching the sim.
package dev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/dev/bundle"
	"github.com/vizserve/vizserve/internal/dev/link"
	"github.com/vizserve/vizserve/internal/dev/link/listen"
	"github.com/vizserve/vizserve/internal/dev/supervise"
	"github.com/vizserve/vizserve/internal/dev/watch"
	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/server"
)

// ChildEnv must equal vizserve.ChildEnv (the root package cannot be
// imported from here: it imports this module's internals, not the other
// way round).
const ChildEnv = "VIZSERVE_CHILD"

// ExportEnv must equal vizserve.ExportEnv.
const ExportEnv = "VIZSERVE_EXPORT"

// AssetPrefix is where the scene's own stylesheets and scripts are served.
const AssetPrefix = "/_vz/user/"

// Defaults of Config.
const (
	DefaultConnectTimeout = 15 * time.Second
	DefaultStopGrace      = 2 * time.Second
	DefaultStateTimeout   = 2 * time.Second
	DefaultTokenTTL       = 12 * time.Hour
)

// fastBuilds lets rebuilds skip the go command (build.Builder.Prepare);
// the reload benchmark turns it off to measure go build.
var fastBuilds = true

// earlyBuilds lets builds start on the watcher's early report; the reload
// benchmark turns it off to measure the wait for the quiet period.
var earlyBuilds = true

// Config configures Run. The zero value of each field but Path is usable.
type Config struct {
	// Path names the scene: a .go file, its directory or a package path.
	Path string
	// Addr is the address to serve on. Default server.DefaultAddr.
	Addr string
	// NoWatch turns watching off: build once, run, serve.
	NoWatch bool
	// TLSCert and TLSKey, if set, serve https and wss.
	TLSCert, TLSKey string
	// Public binds every interface (Addr's port) and requires an access
	// token, minted for TokenTTL (default DefaultTokenTTL).
	Public   bool
	TokenTTL time.Duration
	// AllowedHosts are names besides localhost and loopback addresses
	// that the page may be opened under (server.Config.AllowedHosts).
	AllowedHosts []string
	// Stdout gets the lines a person reads (URL, build times), Stderr the
	// build errors and the scene's own output. Default: discard.
	Stdout, Stderr io.Writer
	// Logger gets debug detail. Default: discard.
	Logger *slog.Logger
	// TempDir is where the build directory goes. Default os.TempDir().
	TempDir string
	// ConnectTimeout bounds how long a new child may take to connect.
	// Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// Watch tunes the watcher's debouncing.
	Watch *watch.Options
	// OnReady, if set, is called with the page's URL once the server
	// listens.
	OnReady func(url string)
	// Notify, if set, receives what happens (for tests and benchmarks).
	// It is called from the dev loop's goroutine and must not block.
	Notify func(Note)
}

// NoteKind says what a Note reports.
type NoteKind int

// Kinds of notes.
const (
	NoteBuilt       NoteKind = iota + 1 // a build succeeded
	NoteBuildFailed                     // a build failed
	NoteSwapped                         // a new child's first keyframe went to the viewers
	NoteExited                          // the running child exited by itself
	NoteAssets                          // assets were bundled and sent
	NoteAssetFailed                     // bundling failed
	NoteStopped                         // a replaced child has exited
	NoteBuilding                        // a build started (Early: on an early report)
)

// Note is one thing that happened in the dev loop, with its timings.
type Note struct {
	Kind NoteKind
	// Child is the number of the child (1 for the first).
	Child int
	// Change is when the file event that caused this arrived; Debounced
	// when the watcher reported it (zero for the first build).
	Change, Debounced time.Time
	// Build is how long the build took; Fast tells a direct compile and
	// link from a go build; Early, a build started on the watcher's early
	// report, before the change settled.
	Build time.Duration
	Fast  bool
	Early bool
	// Compile and Link split Build for a fast build.
	Compile, Link time.Duration
	// Spawned, Hello and Keyframe are when the child process was started,
	// said hello on the link, and delivered its first keyframe to the
	// viewers.
	Spawned, Hello, Keyframe time.Time
	// Assets names the assets sent (NoteAssets).
	Assets []string
	// Text is the error or output shown (NoteBuildFailed, NoteExited,
	// NoteAssetFailed).
	Text string
	// Pid is the child's process id (NoteSwapped, NoteStopped).
	Pid int
}

// Run runs the dev loop until ctx ends, then stops the child, closes the
// browsers' connections (1001) and removes its temporary files.
func Run(ctx context.Context, cfg Config) error {
	d, err := newFront(ctx, cfg)
	if err != nil {
		return err
	}
	return d.run(ctx)
}

// front is the state of one dev loop: the process that serves the pages
// and outlives every version of the scene. Fields below "loop-owned" belong to the
// goroutine running run.
type front struct {
	cfg     Config
	out     io.Writer
	errw    io.Writer
	log     *slog.Logger
	target  *build.Target
	tmp     string
	builder *build.Builder
	bundler *bundle.Bundler
	relay   *stream.Relay
	srv     *server.Server
	links   *listen.Listener
	watcher *watch.Watcher
	inbox   chan any
	wg      sync.WaitGroup // every goroutine but the loop
	ctx     context.Context
	cancel  context.CancelFunc

	feedMu        sync.Mutex
	active        *child // the child whose batches go to the viewers
	pending       *child // the child whose first keyframe will make it active
	parentOverlay string // the overlay the front adds to a new keyframe

	srvDone chan struct{} // closed when Serve has returned

	// loop-owned
	cur, next                                *child
	nchild                                   int
	buildGen                                 int
	buildCancel                              context.CancelFunc
	buildTrig                                trigger // of build buildGen
	early                                    earlyBuild
	settled                                  time.Time // Last of the latest settled change
	overlayBuild, overlayCrash, overlayAsset string
	overlaySent                              string
	firstBuild                               bool
}

// trigger is what started a build: the first file event and when the
// watcher reported it (both zero for the first build).
type trigger struct {
	first, debounced time.Time
	files            []string // the code files changed; nil if unknown
	early            bool     // the build started before the change settled
}

// earlyBuild is a build started on the watcher's early report of a change,
// while the watcher waits out its quiet period. It is kept if nothing
// changed after it began reading the files: the settled change's last
// event came before it started, and named no other file.
type earlyBuild struct {
	gen     int // 0: none
	started time.Time
	files   []string
	done    *buildDone // its result, if it came before the change settled
}

// child is a scene process, seen from the front.
type child struct {
	n      int
	proc   *supervise.Process
	peer   *listen.Peer // set before childUp is posted
	hello  link.Hello
	events chan wire.Event
	state  chan link.Msg
	done   chan struct{} // closed when the child's goroutines may stop
	once   sync.Once

	gotKF bool // feedMu

	trig       trigger
	build      time.Duration
	fast       bool
	compile    time.Duration
	link       time.Duration
	spawned    time.Time
	helloAt    time.Time
	keyframeAt time.Time
}

func (c *child) stop() { c.once.Do(func() { close(c.done) }) }

// Messages to the loop.
type (
	buildDone struct {
		gen int
		res *build.Result
		err error
	}
	childUp       struct{ c *child }
	childKeyframe struct {
		c  *child
		at time.Time
	}
	childExit struct {
		c    *child
		err  error
		tail string
		// early: it ended before it ever connected
		early bool
	}
	stateDone struct {
		c    *child
		data []byte
	}
)

func newFront(ctx context.Context, cfg Config) (*front, error) {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Addr == "" {
		cfg.Addr = server.DefaultAddr
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	t, err := build.Locate(ctx, cfg.Path)
	if err != nil {
		return nil, err
	}
	d := &front{
		cfg:        cfg,
		out:        cfg.Stdout,
		errw:       cfg.Stderr,
		log:        cfg.Logger,
		target:     t,
		inbox:      make(chan any, 16),
		firstBuild: true,
	}
	return d, nil
}

func (d *front) say(format string, args ...any) {
	fmt.Fprintf(d.out, "vizserve: "+format+"\n", args...)
}

func (d *front) notify(n Note) {
	if d.cfg.Notify != nil {
		d.cfg.Notify(n)
	}
}

// post delivers a message to the loop unless the loop is gone.
func (d *front) post(m any) {
	select {
	case d.inbox <- m:
	case <-d.ctx.Done():
	}
}

func (d *front) run(ctx context.Context) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.ctx, d.cancel = ctx, cancel

	d.tmp, err = os.MkdirTemp(d.cfg.TempDir, "vizserve-")
	if err != nil {
		return err
	}
	defer func() {
		if rerr := os.RemoveAll(d.tmp); rerr != nil && err == nil {
			err = rerr
		}
	}()
	d.builder, err = build.New(ctx, d.target, filepath.Join(d.tmp, "build"))
	if err != nil {
		return err
	}

	d.relay = stream.NewRelay(d.dispatch)
	d.relay.Send(placeholder(d.target.Display))

	d.bundler = bundle.New(d.target.Dir, AssetPrefix)
	if _, berr := d.bundler.Bundle(); berr != nil {
		d.overlayAsset = assetOverlay(berr)
		fmt.Fprintf(d.errw, "vizserve: bundling the scene's assets failed:\n%s\n", berr)
	}

	d.links, err = listen.Listen(d.log)
	if err != nil {
		return err
	}
	defer d.links.Close()

	if err := d.serve(); err != nil {
		return err
	}
	defer d.shutdown()

	if !d.cfg.NoWatch {
		d.watcher, err = watch.New(d.target.Dir, d.cfg.Watch)
		if err != nil {
			return err
		}
		defer d.watcher.Close()
	}
	d.updateOverlay()

	d.say("building %s (a first build can take a while)…", d.target.Display)
	d.startBuild(trigger{})
	return d.loop(ctx)
}

// serve opens the viewers' server.
func (d *front) serve() error {
	cfg := server.Config{
		Addr:        d.cfg.Addr,
		TLSCertFile: d.cfg.TLSCert,
		TLSKeyFile:  d.cfg.TLSKey,
		Logger:      d.log,

		AllowedHosts: d.cfg.AllowedHosts,
	}
	var tok string
	if d.cfg.Public {
		_, port, err := net.SplitHostPort(d.cfg.Addr)
		if err != nil {
			return fmt.Errorf("--addr %q: %w", d.cfg.Addr, err)
		}
		cfg.Addr = net.JoinHostPort("0.0.0.0", port)
		cfg.Tokens = server.NewTokens(nil)
		tok = cfg.Tokens.Mint("/", d.cfg.TokenTTL)
	}
	d.srv = server.New(cfg)
	server.MountScene(d.srv, d.relay, &server.SceneOptions{
		Title: "vizserve · " + d.target.Display,
		// Asked at every page load, so that a stylesheet or script added
		// next to the scene appears on the next load.
		Assets: func() (css, js []string) {
			for _, a := range d.bundler.Assets() {
				if a.Kind == "css" {
					css = append(css, AssetPrefix+a.Name)
				} else {
					js = append(js, AssetPrefix+a.Name)
				}
			}
			return css, js
		},
	})
	d.srv.Handle(AssetPrefix, d.bundler)
	if err := d.srv.Open(); err != nil {
		return err
	}
	d.srvDone = make(chan struct{})
	go func() {
		defer close(d.srvDone)
		if err := d.srv.Serve(); err != nil {
			fmt.Fprintf(d.errw, "vizserve: server: %v\n", err)
		}
	}()
	u := d.srv.URL() + "/"
	if tok != "" {
		u += "?" + server.TokenParam + "=" + url.QueryEscape(tok)
		d.say("listening on every interface, port %s; the URL below carries an access token valid for %v", portOf(d.srv.Addr()), d.cfg.TokenTTL)
	}
	d.say("open %s", u)
	if d.cfg.OnReady != nil {
		d.cfg.OnReady(u)
	}
	return nil
}

func portOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprint(ta.Port)
	}
	return a.String()
}

// placeholder is the scene shown before any child is up.
func placeholder(what string) *wire.Batch {
	s := scene.New(scene.Options{Width: 640, Height: 120, Paused: true})
	s.Root().Rect(0, 0, 640, 120, "fill:#f4f4f8")
	s.Root().Text(320, 66, "building "+what+"…", `id="vz-building"`, "text-anchor:middle;font:16px sans-serif;fill:#555")
	var kf *wire.Batch
	s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		if kf == nil {
			kf = &wire.Batch{Seq: b.Seq, Ops: append([]wire.Op(nil), b.Ops...)}
		}
		return true
	}))
	s.Advance(0)
	return kf
}

// dispatch passes a viewer's event to the active child, never blocking:
// when the child's queue is full, the event is dropped.
func (d *front) dispatch(ev wire.Event) {
	d.feedMu.Lock()
	c := d.active
	d.feedMu.Unlock()
	if c == nil {
		return
	}
	select {
	case c.events <- ev:
	default:
		d.log.Debug("dev: event dropped, the child's queue is full", "event", ev.String())
	}
}

// feed takes a batch from child c: the active child's go to the viewers;
// the pending child's first keyframe makes it the active one, and feed
// then reports true.
func (d *front) feed(c *child, b *wire.Batch) bool {
	d.feedMu.Lock()
	defer d.feedMu.Unlock()
	if c == d.pending && !c.gotKF {
		if !b.IsKeyframe() {
			return false
		}
		c.gotKF = true
		d.pending = nil
		d.active = c
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
			b.Ops = append(b.Ops, wire.Op{Code: wire.OpOverlay, Text: d.parentOverlay})
		}
		if !d.relay.Send(b) {
			d.log.Warn("dev: the new scene's keyframe was refused")
		}
		return true
	}
	if c == d.active && !d.relay.Send(b) {
		d.log.Debug("dev: a batch was refused by the relay")
	}
	return false
}

func (d *front) loop(ctx context.Context) error {
	var changes, early <-chan watch.Change
	var werrs <-chan error
	if d.watcher != nil {
		changes, early, werrs = d.watcher.Changes(), d.watcher.Early(), d.watcher.Errors()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ch, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			// An early report sent before ch is taken first, so that
			// the build it starts is the one ch can keep.
			select {
			case e, ok := <-early:
				if ok {
					d.onEarly(e)
				}
			default:
			}
			d.onChange(ch)
		case ch, ok := <-early:
			if !ok {
				early = nil
				continue
			}
			d.onEarly(ch)
		case err := <-werrs:
			d.log.Warn("dev: watch", "err", err)
		case m := <-d.inbox:
			switch m := m.(type) {
			case buildDone:
				d.onBuilt(m)
			case childUp:
				d.onUp(m.c)
			case stateDone:
				if m.c == d.next {
					d.start(m.c, m.data)
				}
			case childKeyframe:
				d.onKeyframe(m.c, m.at)
			case childExit:
				d.onExit(m)
			}
		}
	}
}

func (d *front) onChange(ch watch.Change) {
	tr := trigger{first: ch.First, debounced: time.Now(), files: ch.Files}
	if ch.Last.After(d.settled) {
		d.settled = ch.Last
	}
	if ch.All {
		tr.files = nil
	}
	if len(ch.Assets) > 0 || ch.All {
		d.bundle(tr)
	}
	if ch.Code && !d.keepEarly(ch, tr) {
		d.startBuild(tr)
	}
}

// onEarly starts a build on the watcher's early report of a change to
// code, to be kept or replaced when the change settles.
func (d *front) onEarly(ch watch.Change) {
	if !earlyBuilds || !ch.Code || ch.All || !ch.Last.After(d.settled) {
		return // taken after the change settled: it is out of date
	}
	started := time.Now()
	d.startBuild(trigger{first: ch.First, files: ch.Files, early: true})
	d.early = earlyBuild{gen: d.buildGen, started: started, files: ch.Files}
}

// keepEarly reports whether the build started early fits the settled
// change ch; it then becomes the build of tr, and its result, if it has
// come, is taken now.
func (d *front) keepEarly(ch watch.Change, tr trigger) bool {
	e := d.early
	if e.gen == 0 || e.gen != d.buildGen || ch.All || !ch.Last.Before(e.started) {
		return false
	}
	for _, f := range ch.Files {
		if !slices.Contains(e.files, f) {
			return false
		}
	}
	d.early = earlyBuild{}
	tr.early = true
	d.buildTrig = tr
	if e.done != nil {
		d.onBuilt(*e.done)
	}
	return true
}

// bundle re-bundles the assets and sends the changed ones to the pages.
func (d *front) bundle(tr trigger) {
	changed, err := d.bundler.Bundle()
	if err != nil {
		fmt.Fprintf(d.errw, "vizserve: bundling failed:\n%s\n", err)
		d.overlayAsset = assetOverlay(err)
		d.updateOverlay()
		d.notify(Note{Kind: NoteAssetFailed, Change: tr.first, Debounced: tr.debounced, Text: err.Error()})
		return
	}
	d.overlayAsset = ""
	d.updateOverlay()
	if len(changed) == 0 {
		return
	}
	b := &wire.Batch{}
	var names []string
	for _, a := range changed {
		b.Ops = append(b.Ops, wire.Op{Code: wire.OpAsset, Tag: a.Kind, Name: AssetPrefix + a.Name, Text: a.URL()})
		names = append(names, a.Name)
	}
	d.relay.Send(b)
	d.say("%s updated in %d ms", strings.Join(names, ", "), time.Since(tr.first).Milliseconds())
	d.notify(Note{Kind: NoteAssets, Change: tr.first, Debounced: tr.debounced, Assets: names})
}

func assetOverlay(err error) string {
	return "the scene's stylesheets or scripts do not bundle:\n" + err.Error()
}

// startBuild starts a build, cancelling one in progress.
func (d *front) startBuild(tr trigger) {
	if d.buildCancel != nil {
		d.buildCancel()
	}
	d.buildGen++
	gen := d.buildGen
	d.buildTrig = tr
	d.early = earlyBuild{}
	d.notify(Note{Kind: NoteBuilding, Change: tr.first, Debounced: tr.debounced, Early: tr.early})
	ctx, cancel := context.WithCancel(d.ctx)
	d.buildCancel = cancel
	d.wg.Go(func() {
		files := tr.files
		if !fastBuilds {
			files = nil
		}
		res, err := d.builder.Build(ctx, files)
		d.post(buildDone{gen: gen, res: res, err: err})
		if err == nil && !res.Fast && fastBuilds {
			// Record how to rebuild fast, while the child starts. A
			// build that comes meanwhile waits for it.
			if perr := d.builder.Prepare(d.ctx); perr != nil && d.ctx.Err() == nil {
				d.log.Debug("dev: rebuilds will use go build", "why", perr)
			}
		}
	})
}

func (d *front) onBuilt(m buildDone) {
	if m.gen != d.buildGen {
		return // superseded
	}
	if m.gen == d.early.gen {
		d.early.done = &m // started early: wait for the change to settle
		return
	}
	tr := d.buildTrig
	d.buildCancel()
	d.buildCancel = nil
	first := d.firstBuild
	d.firstBuild = false
	var be *build.Error
	if errors.As(m.err, &be) {
		keeps := "the previous version keeps running"
		if d.cur == nil {
			keeps = "no version of the scene is running"
		}
		fmt.Fprintf(d.errw, "vizserve: build failed in %d ms (%s):\n%s\n", be.Duration.Milliseconds(), keeps, be.Output)
		d.overlayBuild = "build failed — " + keeps + ":\n\n" + be.Output
		d.updateOverlay()
		d.notify(Note{Kind: NoteBuildFailed, Change: tr.first, Debounced: tr.debounced, Build: be.Duration, Early: tr.early, Text: be.Output})
		return
	}
	if m.err != nil {
		if d.ctx.Err() == nil {
			fmt.Fprintf(d.errw, "vizserve: build: %v\n", m.err)
			d.overlayBuild = "build failed: " + m.err.Error()
			d.updateOverlay()
		}
		return
	}
	switch {
	case first:
		d.say("built in %s", ms(m.res.Duration))
	case m.res.Fast:
		d.say("rebuilt in %s (compile and link)", ms(m.res.Duration))
	default:
		d.say("rebuilt in %s", ms(m.res.Duration))
	}
	d.overlayBuild = ""
	d.updateOverlay()
	d.notify(Note{Kind: NoteBuilt, Change: tr.first, Debounced: tr.debounced, Build: m.res.Duration, Fast: m.res.Fast, Early: tr.early})
	if d.next != nil {
		d.retire(d.next) // a newer version supersedes the one starting
		d.next = nil
	}
	d.spawn(m.res, tr)
}

func ms(t time.Duration) string { return fmt.Sprintf("%d ms", t.Milliseconds()) }

// spawn starts a child running bin and the goroutine that owns its link.
func (d *front) spawn(res *build.Result, tr trigger) {
	d.nchild++
	linkURL, peers, cancelTok := d.links.Expect()
	cmd := exec.Command(res.Bin)
	cmd.Dir = d.target.Dir
	cmd.Env = append(os.Environ(), ChildEnv+"="+linkURL)
	prefix := fmt.Sprintf("scene[%d] | ", d.nchild)
	p, err := supervise.Start(cmd, supervise.Options{Prefix: prefix, Out: d.errw})
	if err != nil {
		cancelTok()
		fmt.Fprintf(d.errw, "vizserve: cannot start the scene: %v\n", err)
		d.overlayCrash = "the scene could not start: " + err.Error()
		d.updateOverlay()
		return
	}
	c := &child{
		n:       d.nchild,
		proc:    p,
		events:  make(chan wire.Event, 1024),
		state:   make(chan link.Msg, 1),
		done:    make(chan struct{}),
		trig:    tr,
		build:   res.Duration,
		fast:    res.Fast,
		compile: res.Compile,
		link:    res.Link,
		spawned: time.Now(),
	}
	d.next = c
	d.wg.Go(func() {
		defer cancelTok()
		d.own(c, peers)
	})
}

// own runs on its own goroutine for the life of child c: it waits for the
// connection, reads the link, and reports the child's end.
func (d *front) own(c *child, peers <-chan *listen.Peer) {
	timeout := time.NewTimer(d.cfg.ConnectTimeout)
	defer timeout.Stop()
	select {
	case p := <-peers:
		c.peer = p
	case <-c.proc.Exited():
		d.post(childExit{c: c, err: c.proc.Err(), tail: c.proc.Tail(), early: true})
		return
	case <-timeout.C:
		c.proc.Stop(DefaultStopGrace)
		d.post(childExit{c: c, err: fmt.Errorf("it did not connect to vizserve within %v (does main call vizserve.Run?)", d.cfg.ConnectTimeout), tail: c.proc.Tail(), early: true})
		return
	case <-c.done:
		c.proc.Stop(DefaultStopGrace)
		return
	case <-d.ctx.Done():
		c.proc.Stop(DefaultStopGrace)
		return
	}
	c.hello = c.peer.Hello()
	c.helloAt = time.Now()
	defer c.peer.Close()

	// The event writer: one goroutine writes the viewers' events.
	var writer sync.WaitGroup
	wctx, wcancel := context.WithCancel(d.ctx)
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
			case <-c.done:
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
			if d.feed(c, m.Batch) {
				d.post(childKeyframe{c: c, at: time.Now()})
			}
		case link.TState:
			select {
			case c.state <- m:
			default:
			}
		}
	}
	// The link is gone: the child exits (it ends when its link does), or
	// is made to.
	select {
	case <-c.proc.Exited():
	case <-time.After(DefaultStopGrace):
	case <-d.ctx.Done():
	}
	c.proc.Stop(DefaultStopGrace)
	d.post(childExit{c: c, err: c.proc.Err(), tail: c.proc.Tail()})
}

func (d *front) onUp(c *child) {
	if c != d.next {
		return
	}
	old := d.cur
	if old != nil && old.peer != nil && old.hello.State && c.hello.State {
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
					}
					data = m.Data
				case <-ctx.Done():
					fmt.Fprintf(d.errw, "vizserve: the previous version did not hand over its state in %v; the new one starts afresh\n", DefaultStateTimeout)
				case <-old.done:
				}
			}
			d.post(stateDone{c: c, data: data})
		})
		return
	}
	d.start(c, nil)
}

// start tells child c to run; its first keyframe will make it active.
func (d *front) start(c *child, state []byte) {
	d.feedMu.Lock()
	d.pending = c
	d.feedMu.Unlock()
	if err := c.peer.Send(d.ctx, link.AppendStart(nil, state)); err != nil {
		d.log.Debug("dev: start", "err", err)
	}
}

func (d *front) onKeyframe(c *child, at time.Time) {
	if c != d.next {
		return
	}
	c.keyframeAt = at
	old := d.cur
	d.cur, d.next = c, nil
	if old != nil {
		d.retire(old)
	}
	if d.overlayCrash != "" {
		d.overlayCrash = ""
		d.updateOverlay()
	}
	swap := at.Sub(c.spawned)
	d.say("scene running (pid %d): started in %s", c.proc.Pid(), ms(swap))
	d.log.Debug("dev: swap", "child", c.n, "build", c.build, "connect", c.helloAt.Sub(c.spawned), "keyframe", at.Sub(c.helloAt))
	d.notify(Note{Kind: NoteSwapped, Child: c.n, Change: c.trig.first, Debounced: c.trig.debounced, Build: c.build, Fast: c.fast, Early: c.trig.early, Compile: c.compile, Link: c.link,
		Spawned: c.spawned, Hello: c.helloAt, Keyframe: at, Pid: c.proc.Pid()})
}

func (d *front) onExit(m childExit) {
	c := m.c
	why := "exited"
	if m.err != nil {
		why = m.err.Error()
	}
	text := fmt.Sprintf("the scene stopped (%s) — fix it and save to restart it", why)
	if m.tail != "" {
		text += ":\n\n" + m.tail
	}
	switch c {
	case d.next:
		d.next = nil
		d.feedMu.Lock()
		if d.pending == c {
			d.pending = nil
		}
		d.feedMu.Unlock()
		if d.cur != nil {
			text = fmt.Sprintf("the new version did not start (%s) — the previous one keeps running", why)
			if m.tail != "" {
				text += ":\n\n" + m.tail
			}
		}
	case d.cur:
		d.cur = nil
		d.feedMu.Lock()
		if d.active == c {
			d.active = nil
		}
		d.feedMu.Unlock()
	default: // replaced, and now gone
		d.notify(Note{Kind: NoteStopped, Child: c.n, Pid: c.proc.Pid()})
		return
	}
	c.stop()
	fmt.Fprintf(d.errw, "vizserve: %s\n", text)
	d.overlayCrash = text
	d.updateOverlay()
	d.notify(Note{Kind: NoteExited, Child: c.n, Text: text})
}

// retire stops child c in the background: a shutdown message, then
// SIGTERM and SIGKILL if it lingers.
func (d *front) retire(c *child) {
	d.feedMu.Lock()
	if d.pending == c {
		d.pending = nil
	}
	if d.active == c {
		d.active = nil
	}
	d.feedMu.Unlock()
	d.wg.Go(func() {
		if c.peer != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			c.peer.Send(ctx, link.Control(link.TShutdown))
			cancel()
			select {
			case <-c.proc.Exited():
			case <-time.After(DefaultStopGrace):
			}
		}
		c.stop()
		c.proc.Stop(DefaultStopGrace)
	})
}

// updateOverlay sends the front's overlay to the pages if it changed.
func (d *front) updateOverlay() {
	var parts []string
	for _, s := range []string{d.overlayBuild, d.overlayCrash, d.overlayAsset} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	text := strings.Join(parts, "\n\n")
	d.feedMu.Lock()
	d.parentOverlay = text
	d.feedMu.Unlock()
	if text == d.overlaySent {
		return
	}
	d.overlaySent = text
	d.relay.Send(&wire.Batch{Ops: []wire.Op{{Code: wire.OpOverlay, Text: text}}})
}

// shutdown stops every child and build, waits for their goroutines, then
// closes the viewers' server (1001 to every page).
func (d *front) shutdown() {
	d.cancel()
	if d.buildCancel != nil {
		d.buildCancel()
	}
	for _, c := range []*child{d.cur, d.next} {
		if c != nil {
			d.retire(c)
		}
	}
	// Children the loop no longer tracks are stopped by their own
	// goroutines, which see ctx end; goroutines that post to the loop
	// give up when ctx ends.
	d.wg.Wait()
	if err := d.srv.Close(); err != nil {
		fmt.Fprintf(d.errw, "vizserve: %v\n", err)
	}
	<-d.srvDone
	d.say("stopped")
}
