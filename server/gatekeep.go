package server

import (
	"context"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// Gatekeeping: every request passes the gate's decision on its connection
// (limit.go), the Host check (host.go) and, with Config.Tokens, the token
// check before it is routed; refusals are answered with a status and the
// reason.

// connInfo is what the gate decided for a connection it refused but lets
// net/http answer: every request gets this status and reason.
type connInfo struct {
	status     int
	retryAfter time.Duration
	reason     string
}

type connInfoKey struct{}

// connContext runs in the accept loop for every new connection: it hands
// the gate's decision to the requests.
func (s *Server) connContext(ctx context.Context, c net.Conn) context.Context {
	if info := s.gate.info(c); info != nil {
		return context.WithValue(ctx, connInfoKey{}, info)
	}
	return ctx
}

// refuse answers a request with an error status, a reason and a log line.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, retryAfter time.Duration, reason string) {
	s.refused.Add(1)
	s.log.Info("request refused", "remote", r.RemoteAddr, "path", r.URL.Path, "status", status, "reason", reason)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
		w.Header().Set("Connection", "close")
	}
	http.Error(w, reason, status)
}

// ServeHTTP applies the server's gatekeeping, then routes r.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if info, ok := r.Context().Value(connInfoKey{}).(*connInfo); ok {
		s.refuse(w, r, info.status, info.retryAfter, info.reason)
		return
	}
	if !s.checkHost(w, r) {
		return
	}
	if s.cfg.Tokens != nil {
		var ok bool
		if r, ok = s.checkToken(w, r); !ok {
			return
		}
	}
	if !ws.IsUpgradeRequest(r) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.frameCSP)
		if s.frameDeny {
			h.Set("X-Frame-Options", "DENY")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.report(&HandlerError{Time: time.Now(), Where: r.Method + " " + r.URL.Path + " from " + r.RemoteAddr, Value: v, Stack: debug.Stack()})
				http.Error(w, "internal server error", http.StatusInternalServerError)
			}
		}()
	}
	s.mux.ServeHTTP(w, r)
}

// checkToken enforces Config.Tokens. A page loaded with a valid token in
// its URL gets the token as a cookie, so that the page's websockets and
// assets carry it. A websocket request comes back with the token's expiry
// in its context (tokenExpiryKey).
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	tok := r.URL.Query().Get(TokenParam)
	fromQuery := tok != ""
	if !fromQuery {
		if c, err := r.Cookie(TokenCookie); err == nil {
			tok = c.Value
		}
	}
	exp, err := s.cfg.Tokens.verify(tok, r.URL.Path)
	if err != nil {
		s.refuse(w, r, http.StatusForbidden, 0, "access refused: "+err.Error())
		return nil, false
	}
	if ws.IsUpgradeRequest(r) {
		r = r.WithContext(context.WithValue(r.Context(), tokenExpiryKey{}, exp))
	}
	if fromQuery && !ws.IsUpgradeRequest(r) {
		http.SetCookie(w, &http.Cookie{
			Name: TokenCookie, Value: tok, Path: "/", HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
		})
	}
	return r, true
}

// tokenExpiryKey keys the expiry (a time.Time) of the token a websocket
// request carried.
type tokenExpiryKey struct{}
