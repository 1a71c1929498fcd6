package server

import (
	"context"

	"github.com/a-h/templ"
	"net/http"
	"time"

	"github.com/vizserve/vizserve/assets"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/web"
)

// SceneOptions configures MountScene.
type SceneOptions struct {
	// Title names the page. Default "vizserve".
	Title string
	// ExtraCSS and ExtraJS are URLs of stylesheets and scripts the page
	// loads after its own (a scene's own assets).
	ExtraCSS, ExtraJS []string
	// Assets, if set, is asked for those URLs at every render instead,
	// for a set of assets that changes while the server runs.
	Assets func() (css, js []string)
}

// MountScene serves a live scene on s:
//
//	/              the page, with the current frame rendered on the server
//	/ws            the websocket of the page's client (subprotocol vizserve.v1)
//	/scene.svg     a standalone SVG document that is live on its own
//	/snapshot.svg  a static SVG of the current frame
//	/assets/       the client's script and styles
//
// It returns the hub that serves the viewers.
func MountScene(s *Server, src wire.Source, opts *SceneOptions) *Hub {
	var o SceneOptions
	if opts != nil {
		o = *opts
	}
	if o.Title == "" {
		o.Title = "vizserve"
	}
	h := NewHub(src, s.log)
	s.HandleWS("/ws", h.Endpoint())
	s.Handle("/assets/", assets.Handler())
	s.Handle("GET /{$}", sceneView(h, &o, "text/html; charset=utf-8", web.Page))
	s.Handle("GET /scene.svg", sceneView(h, &o, "image/svg+xml", web.SceneSVG))
	s.Handle("GET /snapshot.svg", sceneView(h, &o, "image/svg+xml", func(d web.PageData) templ.Component {
		return web.Snapshot(d.Markup)
	}))
	return h
}

// sceneView renders the scene's current state with view.
func sceneView(h *Hub, o *SceneOptions, contentType string, view func(web.PageData) templ.Component) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := pageData(w, r, h, o)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-store")
		view(d).Render(r.Context(), w)
	})
}

// pageData takes the scene's current state for a server-side render.
func pageData(w http.ResponseWriter, r *http.Request, h *Hub, o *SceneOptions) (web.PageData, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	kf, err := h.Keyframe(ctx)
	if err != nil {
		http.Error(w, "the scene is not running: "+err.Error(), http.StatusServiceUnavailable)
		return web.PageData{}, false
	}
	d := web.PageData{Title: o.Title, WSPath: "/ws", ExtraCSS: o.ExtraCSS, ExtraJS: o.ExtraJS}
	if o.Assets != nil {
		d.ExtraCSS, d.ExtraJS = o.Assets()
	}
	for _, op := range kf.Ops {
		switch op.Code {
		case wire.OpKeyframe:
			d.Markup = op.Text
		case wire.OpControls:
			d.Controls = op.Controls
		case wire.OpOverlay:
			d.Overlay = op.Text
		}
	}
	return d, true
}
