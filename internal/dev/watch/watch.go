// Package watch watches a scene's directory and reports debounced changes:
// Go sources (rebuild the sim) apart from stylesheets and scripts (re-bundle
// the assets, leave the sim alone).
//
//	w, err := watch.New(dir, nil)
//	for ch := range w.Changes() { if ch.Code { rebuild() }; if len(ch.Assets) > 0 { bundle() } }
//	w.Close()
//
// Editors save in several steps (write a temporary file and rename it over
// the original, or truncate and then write, or probe with a file named
// 4913): events are gathered until the directory has been quiet for a
// moment, and editors' temporary and backup files are ignored.
//
// A change to Go code is also reported early, on Early, once the events
// have paused for a few milliseconds: a rebuild can start then, while the
// watcher waits out the rest of the quiet period, and be kept if the
// settled change's last event came before it started (Change.Last).
package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Defaults of Options.
const (
	DefaultCodeQuiet  = 50 * time.Millisecond
	DefaultAssetQuiet = 5 * time.Millisecond
	DefaultEarlyQuiet = 5 * time.Millisecond
	DefaultMaxWait    = 500 * time.Millisecond
)

// Options configures New. The zero value (or nil) gives the defaults.
type Options struct {
	// CodeQuiet is how long the directory must be quiet after a change to
	// Go code before it is reported. Default DefaultCodeQuiet.
	CodeQuiet time.Duration
	// AssetQuiet is the same for stylesheets and scripts, which cost
	// little to redo. Default DefaultAssetQuiet.
	AssetQuiet time.Duration
	// EarlyQuiet is how long Go code must be quiet before the change is
	// reported early, on Early. Default DefaultEarlyQuiet; it is at most
	// CodeQuiet.
	EarlyQuiet time.Duration
	// MaxWait bounds the wait of a change under a stream of events.
	// Default DefaultMaxWait.
	MaxWait time.Duration
}

// Kind is what a changed file means for the scene.
type Kind int

// Kinds of files.
const (
	Ignore Kind = iota // editor temporaries, hidden files, anything else
	Code               // .go, go.mod, go.sum, go.work: rebuild
	Asset              // .css, .ts, .js (and .tsx, .jsx, .mjs): re-bundle
)

// Classify says what a change to the file name means.
func Classify(name string) Kind {
	base := filepath.Base(name)
	switch {
	case base == "" || base == "4913", // vim's probe of the directory
		strings.HasPrefix(base, "."), // .#lock (emacs), .swp, dot files
		strings.HasPrefix(base, "#"), // #autosave# (emacs)
		strings.HasSuffix(base, "~"), // backups
		strings.HasSuffix(base, ".swp"), strings.HasSuffix(base, ".swx"),
		strings.HasSuffix(base, ".tmp"), strings.Contains(base, ".tmp."),
		strings.HasSuffix(base, "_test.go"):
		return Ignore
	}
	switch base {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return Code
	}
	switch filepath.Ext(base) {
	case ".go":
		return Code
	case ".css", ".ts", ".js", ".tsx", ".jsx", ".mjs":
		return Asset
	}
	return Ignore
}

// Change is one debounced batch of changes.
type Change struct {
	// Code is true when Go code changed.
	Code bool
	// Files lists the code files that changed (paths), unless All.
	Files []string
	// Assets lists the stylesheets and scripts that changed (paths), in
	// order of name.
	Assets []string
	// All is true when events were lost (the system's queue overflowed):
	// everything may have changed.
	All bool
	// First is when the first event of the batch arrived: the start of
	// the reload's latency.
	First time.Time
	// Last is when its last event arrived. Each event arrives after the
	// change to the file it reports, so work that began reading the
	// files after Last saw them as they are at the end of the batch.
	Last time.Time
}

func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	slices.Sort(a)
	return a
}

func (c *Change) merge(d Change) {
	c.Code = c.Code || d.Code
	c.All = c.All || d.All
	c.Assets = union(c.Assets, d.Assets)
	c.Files = union(c.Files, d.Files)
	if c.First.IsZero() || (!d.First.IsZero() && d.First.Before(c.First)) {
		c.First = d.First
	}
	if d.Last.After(c.Last) {
		c.Last = d.Last
	}
}

// clone returns a copy of c that later merges into c do not change.
func (c Change) clone() Change {
	c.Files = slices.Clone(c.Files)
	c.Assets = slices.Clone(c.Assets)
	return c
}

// Watcher watches a directory and its subdirectories (but not hidden ones,
// node_modules or testdata).
type Watcher struct {
	fw    *fsnotify.Watcher
	opts  Options
	out   chan Change
	early chan Change
	errs  chan error
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// New starts watching dir.
func New(dir string, opts *Options) (*Watcher, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.CodeQuiet <= 0 {
		o.CodeQuiet = DefaultCodeQuiet
	}
	if o.AssetQuiet <= 0 {
		o.AssetQuiet = DefaultAssetQuiet
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.EarlyQuiet <= 0 {
		o.EarlyQuiet = DefaultEarlyQuiet
	}
	o.EarlyQuiet = min(o.EarlyQuiet, o.CodeQuiet)
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w := &Watcher{fw: fw, opts: o, out: make(chan Change), early: make(chan Change, 1), errs: make(chan error, 1), done: make(chan struct{})}
	if err := w.addTree(dir); err != nil {
		fw.Close()
		return nil, err
	}
	w.wg.Go(w.loop)
	return w, nil
}

func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata"
}

func (w *Watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return fmt.Errorf("watch: %w", err)
			}
			return nil // vanished meanwhile
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && skipDir(d.Name()) {
			return filepath.SkipDir
		}
		if err := w.fw.Add(p); err != nil {
			return fmt.Errorf("watch: %s: %w", p, err)
		}
		return nil
	})
}

// Changes delivers the debounced changes. A change not yet taken merges
// with later ones. It is closed by Close.
func (w *Watcher) Changes() <-chan Change { return w.out }

// Early delivers a first look at a change to Go code, once its events have
// paused for EarlyQuiet: the same change (Code, Files, First, Last) as far
// as it has arrived. The settled change follows on Changes all the same;
// if more events came meanwhile, a new early report may come first. A
// report not taken is replaced by the next one. It is closed by Close.
func (w *Watcher) Early() <-chan Change { return w.early }

// Errors delivers watch errors (such as an event queue overflow), at most
// one pending at a time.
func (w *Watcher) Errors() <-chan error { return w.errs }

// Close stops watching and waits for the watcher's goroutine.
func (w *Watcher) Close() error {
	var err error
	w.once.Do(func() {
		close(w.done)
		err = w.fw.Close()
		w.wg.Wait()
		close(w.out)
		close(w.early)
	})
	return err
}

func (w *Watcher) loop() {
	var (
		pending  Change    // events gathered, not yet quiet
		ready    *Change   // debounced, waiting for the reader
		deadline time.Time // when pending is reported at the latest
		earlyDue bool      // pending has code events not yet reported early
		timer    = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	// settleAt is when pending is reported, and earlyAt when it is
	// reported early, if that is still due.
	settleAt := func() time.Time {
		quiet := w.opts.AssetQuiet
		if pending.Code {
			quiet = w.opts.CodeQuiet
		}
		if at := pending.Last.Add(quiet); at.Before(deadline) {
			return at
		}
		return deadline
	}
	earlyAt := func() (time.Time, bool) {
		if !earlyDue || !pending.Code || pending.All {
			return time.Time{}, false
		}
		at := pending.Last.Add(w.opts.EarlyQuiet)
		return at, at.Before(settleAt())
	}
	arm := func() {
		at := settleAt()
		if e, ok := earlyAt(); ok {
			at = e
		}
		timer.Reset(time.Until(at))
	}
	for {
		var out chan Change
		var send Change
		if ready != nil {
			out, send = w.out, *ready
		}
		select {
		case <-w.done:
			return
		case ev, ok := <-w.fw.Events:
			if !ok {
				return
			}
			now := time.Now()
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() && !skipDir(filepath.Base(ev.Name)) {
					w.addTree(ev.Name)
					continue
				}
			}
			if ev.Op == fsnotify.Chmod {
				continue // touch, or an indexer: the content is the same
			}
			var c Change
			switch Classify(ev.Name) {
			case Code:
				c.Code = true
				c.Files = []string{ev.Name}
			case Asset:
				c.Assets = []string{ev.Name}
			default:
				continue
			}
			if pending.First.IsZero() {
				c.First = now
				deadline = now.Add(w.opts.MaxWait)
			}
			c.Last = now
			pending.merge(c)
			earlyDue = pending.Code
			arm()
		case <-timer.C:
			if pending.First.IsZero() {
				continue
			}
			if _, ok := earlyAt(); ok {
				// Also when the timer fired so late that the change
				// settles now: the early report then comes just before.
				select {
				case <-w.early: // not taken: replaced
				default:
				}
				w.early <- pending.clone()
				earlyDue = false
				if time.Now().Before(settleAt()) {
					arm()
					continue
				}
			}
			earlyDue = false
			if ready == nil {
				ready = &Change{}
			}
			ready.merge(pending)
			pending = Change{}
		case out <- send:
			ready = nil
		case err, ok := <-w.fw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: assume everything changed.
				now := time.Now()
				if pending.First.IsZero() {
					deadline = now.Add(w.opts.MaxWait)
				}
				pending.merge(Change{Code: true, All: true, First: now, Last: now})
				arm()
			}
			select {
			case w.errs <- err:
			default:
			}
		}
	}
}
