package server

import (
	"container/list"
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync"
	"time"
)

// rateLimiter is a token bucket per client IP for new connections: each IP
// may open burst connections at once, then rate per second on average.
type rateLimiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token for ip and reports whether there was one; if not, it
// also says how long until there will be.
func (l *rateLimiter) allow(ip string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		// Forget IPs whose bucket has refilled: they cost nothing to
		// recreate, and the map stays bounded by recent clients.
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[ip] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// connCounter counts live connections in total and per IP.
type connCounter struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
}

func (c *connCounter) add(ip string, n int) (total, forIP int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.perIP == nil {
		c.perIP = map[string]int{}
	}
	c.total += n
	c.perIP[ip] += n
	forIP = c.perIP[ip]
	if forIP <= 0 {
		delete(c.perIP, ip)
	}
	return c.total, forIP
}

func (c *connCounter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// hostIP returns the IP part of a remote address.
func hostIP(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	if ta, ok := addr.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

// gate admits connections at accept time, before net/http reads a byte
// of them: the accept filter, the rate limit and the connection caps act
// there, so that a peer that opens sockets and sends nothing holds no more
// of them than the caps allow, and each for a short time only.
//
// Over a cap, a new connection takes the place of the oldest one that is
// waiting for a request (new, or idle between keep-alive requests) from
// the same address (per-address cap) or from any (total cap): such a
// connection costs its owner nothing to reopen, while the newcomer is
// about to send one. Only when none is waiting is the newcomer refused.
// A refused connection is handed to net/http to be told why (503 or 429
// with Retry-After) while fewer than maxTold are, for toldBudget at most;
// the others are closed at once.
//
// A new connection must send its first request within
// Config.FirstRequestTimeout, the TLS handshake included.
type gate struct {
	s *Server

	mu      sync.Mutex
	recs    map[net.Conn]*connRec
	waiting list.List             // of *connRec, oldest first
	byIP    map[string]*list.List // the same, per address
	told    int                   // refused connections being told why
	logAt   time.Time             // the last refusal logged at Info
	quiet   int                   // refusals since then not logged at Info
}

// connRec is what the gate knows of one connection it let through.
type connRec struct {
	c        net.Conn
	ip       string
	info     *connInfo // non-nil: refused, and told so on its first request
	fresh    bool      // no request read yet
	all, own *list.Element
	timer    *time.Timer
	released bool // evicted: its count is already given back
}

const (
	// maxTold bounds the refused connections that are kept open to be
	// told why, toldBudget the time each is kept.
	maxTold    = 64
	toldBudget = time.Second
)

func newGate(s *Server) *gate {
	return &gate{s: s, recs: map[net.Conn]*connRec{}, byIP: map[string]*list.List{}}
}

// gateListener runs the gate on every accepted connection.
type gateListener struct {
	net.Listener
	g *gate
}

func (l *gateListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.g.admit(c) {
			return c, nil
		}
	}
}

// admit counts c and reports whether to serve it; it closes c if not.
func (g *gate) admit(c net.Conn) bool {
	cfg := &g.s.cfg
	ip := hostIP(c.RemoteAddr())
	if cfg.AcceptFilter != nil && !cfg.AcceptFilter(c) {
		g.refuseNow(c, ip, "refused by the accept filter")
		return false
	}
	var info *connInfo
	if g.s.limiter != nil {
		if ok, wait := g.s.limiter.allow(ip); !ok {
			info = &connInfo{status: http.StatusTooManyRequests, retryAfter: wait,
				reason: fmt.Sprintf("%s opens connections faster than %g per second", ip, cfg.RateLimit)}
		}
	}
	g.mu.Lock()
	if info == nil {
		total, perIP := g.s.conns.add(ip, 1)
		switch {
		case cfg.MaxConnsPerIP > 0 && perIP > cfg.MaxConnsPerIP && !g.evictLocked(ip):
			info = &connInfo{status: http.StatusServiceUnavailable, retryAfter: time.Second,
				reason: fmt.Sprintf("%s has %d connections open, the limit per address", ip, cfg.MaxConnsPerIP)}
		case cfg.MaxConns > 0 && total > cfg.MaxConns && !g.evictLocked(""):
			info = &connInfo{status: http.StatusServiceUnavailable, retryAfter: time.Second,
				reason: fmt.Sprintf("the server is at its limit of %d connections", cfg.MaxConns)}
		}
		if info != nil {
			g.s.conns.add(ip, -1)
		}
	}
	if info != nil && g.told >= maxTold {
		g.mu.Unlock()
		g.refuseNow(c, ip, info.reason)
		return false
	}
	rec := &connRec{c: c, ip: ip, info: info, fresh: true}
	if info != nil {
		g.told++
		rec.timer = time.AfterFunc(toldBudget, func() { c.Close() })
	} else {
		g.waitLocked(rec)
		if d := cfg.FirstRequestTimeout; d > 0 {
			rec.timer = time.AfterFunc(d, func() { g.expire(rec) })
		}
	}
	g.recs[c] = rec
	g.mu.Unlock()
	return true
}

// refuseNow closes a connection the gate refuses without a word, and logs
// it: each at Debug, and at Info at most once a second with a count, so
// that a flood of sockets does not flood the log.
func (g *gate) refuseNow(c net.Conn, ip, reason string) {
	g.s.refused.Add(1)
	c.Close()
	g.s.log.Debug("connection refused at accept", "remote", ip, "reason", reason)
	g.mu.Lock()
	now := time.Now()
	quiet := g.quiet
	log := now.Sub(g.logAt) >= time.Second
	if log {
		g.logAt, g.quiet = now, 0
	} else {
		g.quiet++
	}
	g.mu.Unlock()
	if log {
		g.s.log.Info("connection refused at accept", "remote", ip, "reason", reason, "unlogged since the last", quiet)
	}
}

// waitLocked puts rec at the end of the waiting lists.
func (g *gate) waitLocked(rec *connRec) {
	own := g.byIP[rec.ip]
	if own == nil {
		own = list.New()
		g.byIP[rec.ip] = own
	}
	rec.all, rec.own = g.waiting.PushBack(rec), own.PushBack(rec)
}

// unwaitLocked takes rec off the waiting lists, if it is on them.
func (g *gate) unwaitLocked(rec *connRec) {
	if rec.all == nil {
		return
	}
	g.waiting.Remove(rec.all)
	own := g.byIP[rec.ip]
	own.Remove(rec.own)
	if own.Len() == 0 {
		delete(g.byIP, rec.ip)
	}
	rec.all, rec.own = nil, nil
}

// evictLocked closes the oldest waiting connection from ip, or from any
// address if ip is empty, and gives its count back. It reports whether
// there was one.
func (g *gate) evictLocked(ip string) bool {
	var e *list.Element
	if ip == "" {
		e = g.waiting.Front()
	} else if own := g.byIP[ip]; own != nil {
		e = own.Front()
	}
	if e == nil {
		return false
	}
	rec := e.Value.(*connRec)
	g.unwaitLocked(rec)
	if rec.timer != nil {
		rec.timer.Stop()
	}
	rec.released = true
	g.s.conns.add(rec.ip, -1)
	rec.c.Close()
	g.s.log.Debug("connection evicted to make room", "remote", rec.ip)
	return true
}

// expire closes rec's connection if it has not sent a request yet.
func (g *gate) expire(rec *connRec) {
	g.mu.Lock()
	fresh := rec.fresh && !rec.released
	g.mu.Unlock()
	if fresh {
		g.s.log.Debug("connection closed: no request within the first-request budget", "remote", rec.ip, "budget", g.s.cfg.FirstRequestTimeout)
		rec.c.Close()
	}
}

// connState follows net/http's view of a connection: waiting while new or
// idle, done when hijacked (a websocket, counted by serveWS from then on)
// or closed.
func (g *gate) connState(c net.Conn, st http.ConnState) {
	c = rawConn(c)
	g.mu.Lock()
	defer g.mu.Unlock()
	rec := g.recs[c]
	if rec == nil {
		return
	}
	switch st {
	case http.StateActive:
		rec.fresh = false
		g.unwaitLocked(rec)
		if rec.timer != nil && rec.info == nil {
			rec.timer.Stop()
		}
	case http.StateIdle:
		if rec.info == nil && !rec.released && rec.all == nil {
			g.waitLocked(rec)
		}
	case http.StateHijacked, http.StateClosed:
		g.unwaitLocked(rec)
		if rec.timer != nil {
			rec.timer.Stop()
		}
		switch {
		case rec.info != nil:
			g.told--
		case !rec.released:
			g.s.conns.add(rec.ip, -1)
		}
		delete(g.recs, c)
	}
}

// info returns what the gate decided for c: non-nil for a connection to
// refuse on its first request.
func (g *gate) info(c net.Conn) *connInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	if rec := g.recs[rawConn(c)]; rec != nil {
		return rec.info
	}
	return nil
}

// closeFresh closes every connection that has not sent a request yet.
func (g *gate) closeFresh() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c, rec := range g.recs {
		if rec.fresh {
			c.Close()
		}
	}
}

// rawConn is the TCP connection under a TLS one.
func rawConn(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c
}
