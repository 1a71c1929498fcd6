// Command genassets builds the browser client's files into package assets:
// it bundles web/client/main.ts (TypeScript, minified, ES2020) and
// web/client/style.css with esbuild's Go API, writes them under
// assets/dist with content-hashed names, and writes the manifest
// assets/manifest_gen.go that maps logical names ("client.js") to them.
//
// The favicon (web/client/favicon.svg) is copied as it is, under a
// hashed name too.
//
// It runs from `go generate ./...` (see assets/assets.go) and is
// deterministic: the same sources give the same bytes and names, so a
// second run changes nothing. esbuild does not type-check; CI runs tsc.
//
//	go run ./internal/cmd/genassets [-root dir] [-out assets]
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "genassets:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("genassets", flag.ContinueOnError)
	root := fs.String("root", "", "module root (default: the nearest directory upward with a go.mod)")
	out := fs.String("out", "assets", "output package directory, relative to the root")
	quiet := fs.Bool("q", false, "do not print the sizes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *root == "" {
		r, err := moduleRoot()
		if err != nil {
			return err
		}
		*root = r
	}
	files, err := build(*root)
	if err != nil {
		return err
	}
	if err := write(filepath.Join(*root, *out), files); err != nil {
		return err
	}
	if !*quiet {
		for _, f := range files {
			fmt.Fprintf(stdout, "genassets: %-10s %-24s %6d bytes, %6d gzipped\n", f.Name, f.File, len(f.Data), gzipSize(f.Data))
		}
	}
	return nil
}

// moduleRoot finds the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory: pass -root")
		}
		dir = up
	}
}

// file is one built asset.
type file struct {
	Name string // logical name: "client.js"
	File string // content-hashed name: "client-0123456789ab.js"
	Data []byte
}

// Sources of the client, relative to the module root.
const (
	clientEntry = "web/client/main.ts"
	styleEntry  = "web/client/style.css"
	faviconFile = "web/client/favicon.svg"
)

// build bundles the client and the stylesheet.
func build(root string) ([]file, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	js, err := bundle(root, "client.js", api.BuildOptions{
		EntryPoints: []string{clientEntry},
		Format:      api.FormatIIFE,
		Target:      api.ES2020,
		Platform:    api.PlatformBrowser,
		Tsconfig:    "web/client/tsconfig.json",
	})
	if err != nil {
		return nil, err
	}
	css, err := bundle(root, "style.css", api.BuildOptions{
		EntryPoints: []string{styleEntry},
		Engines: []api.Engine{
			{Name: api.EngineChrome, Version: "100"},
			{Name: api.EngineFirefox, Version: "100"},
			{Name: api.EngineSafari, Version: "15"},
		},
	})
	if err != nil {
		return nil, err
	}
	icon, err := os.ReadFile(filepath.Join(root, faviconFile))
	if err != nil {
		return nil, err
	}
	return []file{js, css, hashed("favicon.svg", icon)}, nil
}

// bundle runs esbuild on one entry point, minified, into memory.
func bundle(root, name string, opts api.BuildOptions) (file, error) {
	opts.AbsWorkingDir = root
	opts.Bundle = true
	opts.Write = false
	opts.Outfile = name
	opts.MinifyWhitespace = true
	opts.MinifyIdentifiers = true
	opts.MinifySyntax = true
	opts.LegalComments = api.LegalCommentsNone
	opts.Charset = api.CharsetASCII
	opts.LogLevel = api.LogLevelSilent
	res := api.Build(opts)
	if len(res.Errors) > 0 {
		return file{}, fmt.Errorf("bundle %s:\n%s", name, messages(res.Errors))
	}
	if len(res.OutputFiles) != 1 {
		return file{}, fmt.Errorf("bundle %s: esbuild wrote %d files, want 1", name, len(res.OutputFiles))
	}
	return hashed(name, res.OutputFiles[0].Contents), nil
}

// hashed is an asset under a name with the first 6 bytes of its SHA-256.
func hashed(name string, data []byte) file {
	sum := sha256.Sum256(data)
	ext := filepath.Ext(name)
	return file{
		Name: name,
		File: strings.TrimSuffix(name, ext) + "-" + hex.EncodeToString(sum[:6]) + ext,
		Data: data,
	}
}

// messages formats esbuild's errors as file:line:column: text.
func messages(ms []api.Message) string {
	var b strings.Builder
	for _, m := range ms {
		if m.Location != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column+1)
		}
		b.WriteString(m.Text)
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// write puts the files into dir/dist (removing stale ones) and writes the
// manifest. Files whose content is unchanged are left alone.
func write(dir string, files []file) error {
	dist := filepath.Join(dir, "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.File] = true
		if err := writeIfChanged(filepath.Join(dist, f.File), f.Data); err != nil {
			return err
		}
	}
	old, err := os.ReadDir(dist)
	if err != nil {
		return err
	}
	for _, e := range old {
		if !keep[e.Name()] {
			if err := os.Remove(filepath.Join(dist, e.Name())); err != nil {
				return err
			}
		}
	}
	src, err := manifest(files)
	if err != nil {
		return err
	}
	return writeIfChanged(filepath.Join(dir, "manifest_gen.go"), src)
}

// manifest is the Go source of the name → file map.
func manifest(files []file) ([]byte, error) {
	sorted := append([]file(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var b bytes.Buffer
	b.WriteString("// Code generated by genassets from web/client; DO NOT EDIT.\n\n")
	b.WriteString("package assets\n\n")
	b.WriteString("// manifest maps each asset's logical name to its content-hashed file in dist.\n")
	b.WriteString("var manifest = map[string]string{\n")
	for _, f := range sorted {
		fmt.Fprintf(&b, "\t%q: %q,\n", f.Name, f.File)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func writeIfChanged(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return os.WriteFile(name, data, 0o644)
}

func gzipSize(data []byte) int {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write(data)
	w.Close()
	return b.Len()
}
