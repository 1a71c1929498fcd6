package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// HandlerError is a recovered panic of a handler.
type HandlerError struct {
	Time  time.Time
	Where string // the connection or request, e.g. "ws(server, open, 127.0.0.1:5432) /chat"
	Value any    // what the handler panicked with
	Stack []byte
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("server: handler for %s panicked: %v", e.Where, e.Value)
}

// Stats is a snapshot of the server's counters.
type Stats struct {
	Conns      int    // connections open now, HTTP and websocket
	WebSockets int    // websockets open now
	Refused    uint64 // requests and connections refused by a limit, filter or token
	Panics     uint64 // handler panics recovered
	Dropped    uint64 // errors not delivered on Errors because it was full
}

// Server serves pages (http.Handler) and websockets (Endpoint) on one
// listener, with gatekeeping, TLS and a clean shutdown. Its life is New →
// Open → Serve → Close; Close may be called from any goroutine. Servers
// share nothing with each other.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	limiter *rateLimiter
	conns   connCounter
	gate    *gate
	// hostCheck: answer only Host values naming this machine (host.go).
	hostCheck bool
	// frameCSP and frameDeny are the framing headers (Config.FrameAncestors).
	frameCSP  string
	frameDeny bool

	routesMu sync.Mutex
	routes   map[string]*route

	mu       sync.Mutex
	ln       net.Listener
	hs       *http.Server
	tls      bool
	closing  bool
	websocks map[*ws.Conn]struct{}

	// handlers counts the websocket handlers running. handlersDone is
	// closed, once, when closing is set and no handler runs: by shutdown
	// if none runs then, else by the last handler to return. Both are
	// guarded by mu; shutdown waits on handlersDone without a goroutine.
	handlers     int
	handlersDone chan struct{}

	baseCtx   context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
	closeErr  error
	closed    chan struct{} // closed when Close has finished

	errs    chan *HandlerError
	refused atomic.Uint64
	panics  atomic.Uint64
	dropped atomic.Uint64
}

// New returns a server configured by cfg. It does not listen yet.
func New(cfg Config) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = max(1, int(cfg.RateLimit+0.999))
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxConnsPerIP == 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if cfg.ReadHeaderTimeout == 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.FirstRequestTimeout == 0 {
		cfg.FirstRequestTimeout = DefaultFirstRequestTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.CloseGrace <= 0 {
		cfg.CloseGrace = DefaultCloseGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.OriginPatterns = slices.Clone(cfg.OriginPatterns)
	cfg.AllowedHosts = slices.Clone(cfg.AllowedHosts)
	cfg.FrameAncestors = slices.Clone(cfg.FrameAncestors)
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger,
		mux:          http.NewServeMux(),
		routes:       map[string]*route{},
		websocks:     map[*ws.Conn]struct{}{},
		closed:       make(chan struct{}),
		handlersDone: make(chan struct{}),
		errs:         make(chan *HandlerError, 32),
	}
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst)
	}
	s.gate = newGate(s)
	s.hostCheck = cfg.Tokens == nil && IsLoopback(cfg.Addr)
	s.frameCSP, s.frameDeny = "frame-ancestors 'none'", true
	if len(cfg.FrameAncestors) > 0 {
		s.frameCSP, s.frameDeny = "frame-ancestors "+strings.Join(cfg.FrameAncestors, " "), false
	}
	s.baseCtx, s.cancel = context.WithCancel(context.Background())
	return s
}

// report logs a recovered panic and hands it to the owner without ever
// blocking.
func (s *Server) report(he *HandlerError) {
	s.panics.Add(1)
	s.log.Error("handler panicked", "where", he.Where, "panic", fmt.Sprint(he.Value), "stack", string(he.Stack))
	if s.cfg.OnError != nil {
		s.cfg.OnError(he)
	}
	select {
	case s.errs <- he:
	default:
		s.dropped.Add(1)
	}
}

// Errors returns a channel of recovered handler panics. It holds the 32
// most recent undelivered ones; when full, newer errors are counted in
// Stats.Dropped instead of blocking anything.
func (s *Server) Errors() <-chan *HandlerError { return s.errs }

// Addr returns the address the server listens on, or nil before Open.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// URL returns the server's base URL, such as http://127.0.0.1:8000, or ""
// before Open. An unspecified listen address (0.0.0.0) is shown as
// 127.0.0.1.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urlLocked()
}

func (s *Server) urlLocked() string {
	if s.ln == nil {
		return ""
	}
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.websocks)
	s.mu.Unlock()
	return Stats{
		Conns:      s.conns.get(),
		WebSockets: n,
		Refused:    s.refused.Load(),
		Panics:     s.panics.Load(),
		Dropped:    s.dropped.Load(),
	}
}

// String names the server's address, its non-default options and its live
// counts, e.g. server(https://127.0.0.1:8443, tls, tokens, 3 websockets).
func (s *Server) String() string {
	var parts []string
	if u := s.URL(); u != "" {
		parts = append(parts, u)
	} else {
		parts = append(parts, s.cfg.Addr+" (not open)")
	}
	c := s.cfg
	if c.TLSConfig != nil || c.TLSCertFile != "" {
		parts = append(parts, "tls")
	}
	if c.Tokens != nil {
		parts = append(parts, "tokens")
	}
	if c.InsecurePublic {
		parts = append(parts, "insecure-public")
	}
	if c.InsecureSkipOriginCheck {
		parts = append(parts, "any origin")
	} else if len(c.OriginPatterns) > 0 {
		parts = append(parts, "origins "+strings.Join(c.OriginPatterns, " "))
	}
	if c.RateLimit != DefaultRateLimit || c.RateBurst != DefaultRateLimit {
		if c.RateLimit < 0 {
			parts = append(parts, "no rate limit")
		} else {
			parts = append(parts, fmt.Sprintf("rate %g/s burst %d", c.RateLimit, c.RateBurst))
		}
	}
	if c.MaxConns != DefaultMaxConns {
		parts = append(parts, fmt.Sprintf("max conns %d", c.MaxConns))
	}
	if c.MaxConnsPerIP != DefaultMaxConnsPerIP {
		parts = append(parts, fmt.Sprintf("max conns per IP %d", c.MaxConnsPerIP))
	}
	if c.AcceptFilter != nil {
		parts = append(parts, "accept filter")
	}
	if c.PingInterval > 0 {
		parts = append(parts, "heartbeat "+c.PingInterval.String())
	}
	switch c.Compression {
	case CompressAll:
		parts = append(parts, "compress all")
	case CompressNone:
		parts = append(parts, "no compression")
	}
	st := s.Stats()
	parts = append(parts, fmt.Sprintf("%d websockets", st.WebSockets))
	if st.Panics > 0 {
		parts = append(parts, fmt.Sprintf("%d panics", st.Panics))
	}
	return "server(" + strings.Join(parts, ", ") + ")"
}
