// Package dev is vizserve's dev loop: it builds a scene, runs it as a child
// process linked over a loopback websocket, serves it to browsers from a
// stable front process, and on every save rebuilds it and swaps the new
// version in while the pages stay connected (docs/dev.md).
//
//	err := dev.Run(ctx, dev.Config{Path: "./scene.go", Stdout: os.Stdout, Stderr: os.Stderr})
//
// The front owns the browsers' connections: a server.Server with the scene
// mounted on a wire.Relay, whose upstream is the current child. A new
// child's first keyframe replaces the old scene in every page (no reload;
// the client keeps its pan and zoom). Build errors and crashes show as an
// overlay in every page and in the terminal; stylesheets and scripts next to
// the scene are bundled with esbuild and swapped into the pages without
// touching the sim.
package dev

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/dev/bundle"
	"github.com/vizserve/vizserve/internal/dev/watch"
	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/server"
)

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
	// Attach, if set, is called once the server listens with the relay
	// the viewers watch and their hub (vizserve -publish publishes the
	// relay's stream); what it returns is called at shutdown, before the
	// server closes.
	Attach func(relay *stream.Relay, hub *server.Hub) (detach func())
	// OnReady, if set, is called with the page's URL once the server
	// listens.
	OnReady func(url string)
	// Record, if set, receives every batch the viewers get, from the
	// first (the placeholder's keyframe) until Run returns: a recording's
	// writer (internal/record). Its Send must not block.
	Record wire.Sink
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
	watcher *watch.Watcher
	inbox   chan any
	wg      sync.WaitGroup // every goroutine but the loop
	ctx     context.Context
	cancel  context.CancelFunc

	cast cast // which child serves the viewers, which starts

	srvDone chan struct{} // closed when Serve has returned
	detach  func()        // Config.Attach's

	// loop-owned
	nchild                                   int
	buildGen                                 int
	buildCancel                              context.CancelFunc
	buildTrig                                trigger // of build buildGen
	early                                    earlyBuild
	settled                                  time.Time // Last of the latest settled change
	overlayBuild, overlayCrash, overlayAsset string
	overlaySent                              string
	firstBuild                               bool
	placeholder                              *placeholder
	shownQuarter                             int // of the first build's progress, in the terminal
}

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
	d.placeholder = newPlaceholder(d.what())
	d.relay.Send(d.placeholder.keyframe())
	if d.cfg.Record != nil {
		defer d.relay.Subscribe(d.cfg.Record)()
	}
	d.builder.OnProgress(func(p build.Progress) {
		select { // never hold the build up: a report the loop has no room for is dropped
		case d.inbox <- buildProgress{p}:
		default:
		}
	})

	d.bundler = bundle.New(d.target.Dir, AssetPrefix)
	if _, berr := d.bundler.Bundle(); berr != nil {
		d.overlayAsset = assetOverlay(berr)
		fmt.Fprintf(d.errw, "vizserve: bundling the scene's assets failed:\n%s\n", berr)
	}

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

	d.say("building %s (a first build can take a while)…", d.what())
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
	hub := server.MountScene(d.srv, d.relay, &server.SceneOptions{
		Title: "vizserve · " + d.what(),
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
	if d.cfg.Attach != nil {
		d.detach = d.cfg.Attach(d.relay, hub)
	}
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

// shutdown stops every child and build, waits for their goroutines, then
// closes the viewers' server (1001 to every page).
func (d *front) shutdown() {
	d.cancel()
	if d.buildCancel != nil {
		d.buildCancel()
	}
	for _, c := range d.cast.clear() {
		d.retire(c)
	}
	// Children the loop no longer tracks are stopped by their own
	// goroutines, which see ctx end; goroutines that post to the loop
	// give up when ctx ends.
	d.wg.Wait()
	if d.detach != nil {
		d.detach()
	}
	if err := d.srv.Close(); err != nil {
		fmt.Fprintf(d.errw, "vizserve: %v\n", err)
	}
	<-d.srvDone
	d.say("stopped")
}

// what names the scene for a person: as they named it, or its directory's
// name for ".".
func (d *front) what() string {
	if d.target.Display == "." || d.target.Display == "./" {
		return filepath.Base(d.target.Dir)
	}
	return d.target.Display
}
