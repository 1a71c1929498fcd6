package dev

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/scene/wire"
)

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

// onProgress shows how far the first build is, in the page's placeholder
// (while nothing else is shown) and, each quarter of the way, in the
// terminal.
func (d *front) onProgress(pr build.Progress) {
	if !d.firstBuild || pr.Total == 0 {
		return
	}
	d.cast.mu.Lock()
	if d.cast.cur == nil && d.cast.next == nil {
		d.relay.Send(d.placeholder.progress(pr))
	}
	d.cast.mu.Unlock()
	if q := pr.Done * 4 / pr.Total; pr.Total >= 20 && q > d.shownQuarter && q < 4 {
		d.shownQuarter = q
		d.say("%d of %d packages compiled…", pr.Done, pr.Total)
	}
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
	if first {
		d.builder.OnProgress(nil) // rebuilds are quick, or a go build the terminal reports
	}
	var be *build.Error
	if errors.As(m.err, &be) {
		keeps := "the previous version keeps running"
		if cur, _ := d.cast.get(); cur == nil {
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
	d.spawn(m.res, tr)
}

func ms(t time.Duration) string { return fmt.Sprintf("%d ms", t.Milliseconds()) }

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
