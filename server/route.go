package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vizserve/vizserve/ws"
)

// Routing: each pattern has a route, which sends plain requests to its
// page handler and websocket upgrades to the endpoint whose subprotocol
// the client offers.

// WSHandler handles one websocket, on a goroutine of its own. ctx ends
// when the server shuts down; r is the upgrade request (origin, target,
// headers, remote address), and its context is ctx. When the handler
// returns, a connection still open is closed with StatusNormalClosure.
type WSHandler func(ctx context.Context, c *ws.Conn, r *http.Request)

// Endpoint is a websocket handler and what it speaks.
type Endpoint struct {
	// Subprotocols the handler speaks, most preferred first. Several
	// endpoints may share a path; the server routes a request to the first
	// endpoint that speaks a subprotocol the client offers, else to one
	// that lists none.
	Subprotocols []string
	Handler      WSHandler
	// Options override the server's websocket defaults for this
	// endpoint. Subprotocols and origin settings come from the endpoint
	// and the server.
	Options *ws.AcceptOptions
}

// route is what one pattern serves: a page handler and websocket
// endpoints.
type route struct {
	s         *Server
	pattern   string
	page      http.Handler
	endpoints []Endpoint
}

func (s *Server) route(pattern string) *route {
	s.routesMu.Lock()
	defer s.routesMu.Unlock()
	rt, ok := s.routes[pattern]
	if !ok {
		rt = &route{s: s, pattern: pattern}
		s.routes[pattern] = rt
		s.mux.Handle(pattern, rt)
	}
	return rt
}

// Handle serves pages matching pattern (http.ServeMux patterns) with h.
func (s *Server) Handle(pattern string, h http.Handler) {
	rt := s.route(pattern)
	s.routesMu.Lock()
	rt.page = h
	s.routesMu.Unlock()
}

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	s.Handle(pattern, http.HandlerFunc(f))
}

// HandleWS serves websocket upgrades matching pattern with e. A pattern may
// also have a page (Handle): plain requests go to the page, upgrades to
// the endpoints.
func (s *Server) HandleWS(pattern string, e Endpoint) {
	if e.Handler == nil {
		panic("server: HandleWS with a nil handler")
	}
	e.Subprotocols = slices.Clone(e.Subprotocols)
	rt := s.route(pattern)
	s.routesMu.Lock()
	rt.endpoints = append(rt.endpoints, e)
	s.routesMu.Unlock()
}

func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.s.routesMu.Lock()
	page, endpoints := rt.page, rt.endpoints
	rt.s.routesMu.Unlock()
	if !ws.IsUpgradeRequest(r) || len(endpoints) == 0 {
		if page == nil {
			w.Header().Set("Upgrade", "websocket")
			http.Error(w, "this path serves websockets only", http.StatusUpgradeRequired)
			return
		}
		page.ServeHTTP(w, r)
		return
	}
	e, ok := chooseEndpoint(endpoints, r.Header.Values("Sec-WebSocket-Protocol"))
	if !ok {
		var speaks []string
		for _, e := range endpoints {
			speaks = append(speaks, e.Subprotocols...)
		}
		rt.s.refuse(w, r, http.StatusBadRequest, 0, fmt.Sprintf("no websocket endpoint here speaks the offered subprotocols; offer one of %q", speaks))
		return
	}
	rt.s.serveWS(w, r, e)
}

// chooseEndpoint routes an upgrade by subprotocol.
func chooseEndpoint(endpoints []Endpoint, offered []string) (Endpoint, bool) {
	var tokens []string
	for _, v := range offered {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tokens = append(tokens, t)
			}
		}
	}
	for _, e := range endpoints {
		for _, p := range e.Subprotocols {
			if slices.Contains(tokens, p) {
				return e, true
			}
		}
	}
	for _, e := range endpoints {
		if len(e.Subprotocols) == 0 {
			return e, true
		}
	}
	if len(endpoints) == 1 {
		return endpoints[0], true // ws.Accept decides, by its options
	}
	return Endpoint{}, false
}
