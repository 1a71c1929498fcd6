// Package bundle bundles the stylesheets and scripts next to a scene with
// esbuild and serves them, so that a page shows the scene with its own
// styles and code, and an edit to them reaches open pages without a reload
// of the page or a restart of the sim.
//
//	b := bundle.New(dir, "/_vz/user/")
//	changed, err := b.Bundle()            // each .css, .ts, .js directly in dir is an entry point
//	for _, a := range changed { relay.Send(asset op for a.Kind, a.Name, a.URL()) }
//	mux.Handle("/_vz/user/", b)
package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
)

// Asset is one bundled stylesheet or script.
type Asset struct {
	// Name is the logical name: the output file's name ("style.css",
	// "main.js" for main.ts). Pages mark the element that loads it with
	// data-vz-asset="<Name>".
	Name string
	// Kind is "css" or "js".
	Kind string
	// Hash is a digest of Body.
	Hash string
	Body []byte

	prefix string
}

// URL is where the asset is served, with its hash so that a browser never
// uses a stale copy.
func (a *Asset) URL() string { return a.prefix + a.Name + "?v=" + a.Hash }

// Bundler bundles the entry points of one directory. It is safe for
// concurrent use: Bundle runs one at a time, serving goes on meanwhile.
type Bundler struct {
	dir    string
	prefix string

	run    sync.Mutex // one Bundle at a time
	mu     sync.Mutex
	assets map[string]*Asset
}

// New returns a Bundler for the files directly in dir, served under
// prefix (which ends with "/").
func New(dir, prefix string) *Bundler {
	return &Bundler{dir: dir, prefix: prefix, assets: map[string]*Asset{}}
}

// Entries lists the entry points: the .css, .ts, .js, .tsx, .jsx and .mjs
// files directly in the directory (not .d.ts, not hidden). Modules they
// import from subdirectories are bundled into them.
func (b *Bundler) Entries() ([]string, error) {
	des, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		n := de.Name()
		if !de.Type().IsRegular() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".d.ts") || strings.HasSuffix(n, "~") {
			continue
		}
		switch filepath.Ext(n) {
		case ".css", ".ts", ".js", ".tsx", ".jsx", ".mjs":
			out = append(out, filepath.Join(b.dir, n))
		}
	}
	return out, nil
}

// Error is a failed bundle: esbuild's messages, one per line as
// file:line:column: text.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Bundle bundles every entry point and returns the assets whose content
// changed (new ones included). Assets whose entry point is gone are
// dropped. On an error, the assets served stay as they were.
func (b *Bundler) Bundle() ([]*Asset, error) {
	b.run.Lock()
	defer b.run.Unlock()
	entries, err := b.Entries()
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	next := map[string]*Asset{}
	if len(entries) > 0 {
		res := api.Build(api.BuildOptions{
			EntryPoints:   entries,
			AbsWorkingDir: b.dir,
			Outdir:        filepath.Join(b.dir, ".vizserve-out"), // never written: Write is false
			Bundle:        true,
			Write:         false,
			Target:        api.ES2020,
			Format:        api.FormatIIFE,
			Platform:      api.PlatformBrowser,
			Sourcemap:     api.SourceMapInline,
			LogLevel:      api.LogLevelSilent,
		})
		if len(res.Errors) > 0 {
			return nil, &Error{Msg: formatMessages(b.dir, res.Errors)}
		}
		for _, f := range res.OutputFiles {
			name := filepath.Base(f.Path)
			kind := "js"
			if filepath.Ext(name) == ".css" {
				kind = "css"
			}
			sum := sha256.Sum256(f.Contents)
			next[name] = &Asset{Name: name, Kind: kind, Hash: hex.EncodeToString(sum[:6]), Body: f.Contents, prefix: b.prefix}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var changed []*Asset
	for name, a := range next {
		if old := b.assets[name]; old == nil || old.Hash != a.Hash {
			changed = append(changed, a)
		}
	}
	b.assets = next
	slices.SortFunc(changed, func(x, y *Asset) int { return strings.Compare(x.Name, y.Name) })
	return changed, nil
}

// Assets returns the current assets in order of name.
func (b *Bundler) Assets() []*Asset {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*Asset, 0, len(b.assets))
	for _, a := range b.assets {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *Asset) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// ServeHTTP serves the assets under the prefix. The query (the hash) only
// busts caches: the current content is served, and never cached.
func (b *Bundler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, b.prefix)
	b.mu.Lock()
	a := b.assets[name]
	b.mu.Unlock()
	if !ok || a == nil {
		http.NotFound(w, r)
		return
	}
	ct := "text/javascript; charset=utf-8"
	if a.Kind == "css" {
		ct = "text/css; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(a.Body)
}

func formatMessages(dir string, msgs []api.Message) string {
	var lines []string
	for _, m := range msgs {
		if m.Location == nil {
			lines = append(lines, "error: "+m.Text)
			continue
		}
		f := m.Location.File
		if filepath.IsAbs(f) {
			if rel, err := filepath.Rel(dir, f); err == nil {
				f = rel
			}
		}
		lines = append(lines, fmt.Sprintf("%s:%d:%d: %s", f, m.Location.Line, m.Location.Column+1, m.Text))
		if t := strings.TrimSpace(m.Location.LineText); t != "" {
			lines = append(lines, "    "+m.Location.LineText)
		}
	}
	return strings.Join(lines, "\n")
}
