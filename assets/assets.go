// Package assets serves the browser client's built files — the bundled
// client script, the stylesheet and the favicon — embedded in the binary under
// content-hashed names, so that they can be cached forever.
//
//	mux.Handle("/assets/", assets.Handler())
//	href := assets.URL("style.css")   // "/assets/style-0123456789ab.css"
//	js := assets.Bytes("client.js")   // to inline the script in an SVG document
//
// The files are built from web/client by `go generate ./...` (the
// generator is internal/cmd/genassets) and committed, so `go build` needs
// no tools. Logical names: "client.js", "style.css" and "favicon.svg".
package assets

//go:generate go run ../internal/cmd/genassets -q

import (
	"bytes"
	"embed"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// Prefix is the URL path under which Handler serves the files.
const Prefix = "/assets/"

// byFile maps hashed file names back to logical names.
var byFile = func() map[string]string {
	m := make(map[string]string, len(manifest))
	for name, file := range manifest {
		m[file] = name
	}
	return m
}()

// URL returns the path of an asset's current version, such as
// "/assets/client-0123456789ab.js" for "client.js", or "" if there is no
// such asset.
func URL(name string) string {
	f, ok := manifest[name]
	if !ok {
		return ""
	}
	return Prefix + f
}

// Bytes returns the contents of an asset by logical name, or nil. The
// slice is shared: do not modify it.
func Bytes(name string) []byte {
	f, ok := manifest[name]
	if !ok {
		return nil
	}
	b, err := dist.ReadFile("dist/" + f)
	if err != nil {
		return nil
	}
	return b
}

// Names returns the logical names of the assets.
func Names() []string {
	names := make([]string, 0, len(manifest))
	for n := range manifest {
		names = append(names, n)
	}
	return names
}

// Handler serves the assets by hashed name, with caching forever (the name
// changes when the content does). Mount it at Prefix; it also accepts
// requests whose path is just the file name (behind http.StripPrefix).
// Unknown names get 404, methods other than GET and HEAD 405.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	file := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	if _, ok := byFile[file]; !ok {
		http.NotFound(w, r)
		return
	}
	b, err := dist.ReadFile("dist/" + file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	typ := mime.TypeByExtension(path.Ext(file))
	switch path.Ext(file) {
	case ".js":
		typ = "text/javascript; charset=utf-8"
	case ".css":
		typ = "text/css; charset=utf-8"
	case ".svg":
		typ = "image/svg+xml"
	}
	h.Set("Content-Type", typ)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+file+`"`)
	http.ServeContent(w, r, file, time.Time{}, bytes.NewReader(b))
}
