package server

import (
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// Websockets: accepting an upgrade with the server's options and running
// its handler on a goroutine of its own, which Shutdown waits for.

func (s *Server) acceptOptions(e Endpoint, r *http.Request) *ws.AcceptOptions {
	o := ws.AcceptOptions{
		PingInterval: s.cfg.PingInterval,
		PongTimeout:  s.cfg.PongTimeout,
		ReadLimit:    s.cfg.ReadLimit,
	}
	if e.Options != nil {
		o = *e.Options
		if o.PingInterval == 0 {
			o.PingInterval, o.PongTimeout = s.cfg.PingInterval, s.cfg.PongTimeout
		}
		if o.ReadLimit == 0 {
			o.ReadLimit = s.cfg.ReadLimit
		}
	}
	o.Subprotocols = e.Subprotocols
	o.OriginPatterns = append(slices.Clone(s.cfg.OriginPatterns), o.OriginPatterns...)
	o.InsecureSkipOriginCheck = o.InsecureSkipOriginCheck || s.cfg.InsecureSkipOriginCheck
	if o.Logger == nil {
		o.Logger = s.log
	}
	if o.Compression == nil && s.compressFor(r) {
		c := DefaultCompression
		o.Compression = &c
	}
	return &o
}

// compressFor applies Config.Compression to a request.
func (s *Server) compressFor(r *http.Request) bool {
	switch s.cfg.Compression {
	case CompressAll:
		return true
	case CompressNone:
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return true
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, e Endpoint) {
	c, err := ws.Accept(w, r, s.acceptOptions(e, r))
	if err != nil {
		s.refused.Add(1)
		s.log.Info("websocket refused", "remote", r.RemoteAddr, "path", r.URL.Path, "err", err)
		return
	}
	ip := hostIP(c.RemoteAddr())
	s.conns.add(ip, 1)
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.websocks[c] = struct{}{}
		s.handlers++
	}
	s.mu.Unlock()
	if closing {
		c.Close(ws.StatusGoingAway, "server shutting down")
		s.conns.add(ip, -1)
		return
	}
	s.log.Debug("websocket opened", "conn", c.String(), "path", c.Target(), "subprotocol", c.Subprotocol(), "origin", c.Origin())
	// The handler runs on a goroutine of its own and net/http's returns:
	// an idle websocket then holds neither net/http's buffers nor its
	// deeper stack. The request's context would end with ServeHTTP, so the
	// handler's request carries the server's.
	var expiry *expiryTimer
	if exp, ok := r.Context().Value(tokenExpiryKey{}).(time.Time); ok && !s.cfg.KeepWebsocketsAfterTokenExpiry {
		expiry = &expiryTimer{done: make(chan struct{})}
		expiry.t = time.AfterFunc(time.Until(exp), func() {
			defer close(expiry.done)
			s.log.Info("websocket closed: its access token expired", "conn", c.String(), "expired", exp)
			c.Close(ws.StatusPolicyViolation, "access token expired")
		})
	}
	r = r.WithContext(s.baseCtx)
	go s.runHandler(e.Handler, c, r, ip, expiry)
}

// expiryTimer closes a websocket when its access token expires. The
// handler's goroutine owns it: it stops the timer, or waits for a close
// that has begun, before the connection counts as ended.
type expiryTimer struct {
	t    *time.Timer
	done chan struct{} // closed when the timer's close has returned
}

func (s *Server) runHandler(h WSHandler, c *ws.Conn, r *http.Request, ip string, expiry *expiryTimer) {
	defer func() {
		fired := expiry != nil && !expiry.t.Stop()
		if v := recover(); v != nil {
			s.report(&HandlerError{Time: time.Now(), Where: c.String() + " " + c.Target(), Value: v, Stack: debug.Stack()})
			c.Close(ws.StatusInternalError, "internal server error")
		} else if c.State() == ws.StateOpen {
			c.Close(ws.StatusNormalClosure, "")
		}
		c.CloseNow()
		if fired {
			<-expiry.done // its Close returns now that the connection is closed
		}
		s.mu.Lock()
		delete(s.websocks, c)
		s.mu.Unlock()
		s.conns.add(ip, -1)
		s.log.Debug("websocket ended", "conn", c.String(), "path", c.Target())
		s.mu.Lock()
		s.handlers--
		if s.handlers == 0 && s.closing {
			close(s.handlersDone)
		}
		s.mu.Unlock()
	}()
	h(s.baseCtx, c, r)
}
