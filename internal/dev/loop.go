package dev

import (
	"context"
	"path/filepath"
	"slices"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/dev/watch"
)

// trigger is what started a build: the first file event and when the
// watcher reported it (both zero for the first build).
type trigger struct {
	first, debounced time.Time
	files            []string // the code files changed; nil if unknown
	early            bool     // the build started before the change settled
	reset            bool     // no change: a viewer's reset restarts the build that runs
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

// Messages to the loop.
type (
	buildDone struct {
		gen int
		res *build.Result
		err error
	}
	childUp       struct{ c *child }
	buildProgress struct{ build.Progress }
	childKeyframe struct {
		c   *child
		old *child // the child it replaced, if any
		at  time.Time
	}
	childRestart struct{ c *child }
	childExit    struct {
		c    *child
		err  error
		tail string
	}
	stateDone struct {
		c    *child
		data []byte
	}
)

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
			case buildProgress:
				d.onProgress(m.Progress)
			case childUp:
				d.onUp(m.c)
			case stateDone:
				if _, next := d.cast.get(); m.c == next {
					d.start(m.c, m.data)
				}
			case childKeyframe:
				d.onKeyframe(m)
			case childExit:
				d.onExit(m)
			case childRestart:
				d.onRestart(m)
			}
		}
	}
}

func (d *front) onChange(ch watch.Change) {
	ch = d.relevant(ch)
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
	ch = d.relevant(ch)
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

// relevant drops from ch, for a scene named as a file, the changes to the
// directory's other Go files: they are not part of its program (a scratch
// file with a main of its own, say), and a save of one rebuilds nothing.
func (d *front) relevant(ch watch.Change) watch.Change {
	files := d.target.Files
	if files == nil || ch.All || !ch.Code {
		return ch
	}
	var keep []string
	for _, f := range ch.Files {
		if filepath.Ext(f) == ".go" && filepath.Dir(f) == d.target.Dir && !slices.Contains(files, filepath.Base(f)) {
			continue
		}
		keep = append(keep, f)
	}
	ch.Files, ch.Code = keep, len(keep) > 0
	return ch
}
