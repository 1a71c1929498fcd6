package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// Defaults of Config.
const (
	DefaultAddr                = "127.0.0.1:8000"
	DefaultMaxConns            = 10000
	DefaultMaxConnsPerIP       = 500
	DefaultRateLimit           = 100 // new connections per second per IP
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultFirstRequestTimeout = 5 * time.Second
	DefaultIdleTimeout         = 60 * time.Second
	DefaultMaxHeaderBytes      = 16 << 10
	DefaultCloseGrace          = 5 * time.Second
)

// Config configures a Server. The zero value gives the defaults each field
// documents; a negative number turns a limit off.
type Config struct {
	// Addr is the listen address. Default DefaultAddr (loopback only).
	// Port 0 picks a free port; Addr and URL report it.
	Addr string

	// TLS: TLSConfig, or a certificate and key file pair. Then the server
	// speaks https and wss on the same port.
	TLSConfig   *tls.Config
	TLSCertFile string
	TLSKeyFile  string

	// Tokens, when set, requires a valid access token on every request,
	// page or websocket, in the TokenParam query parameter or the
	// TokenCookie cookie (set when a page loads with a valid token). A
	// missing, expired, tampered or misplaced token gets 403 with the
	// reason.
	Tokens *Tokens

	// FrameAncestors lists who may show the server's pages in a frame, as
	// CSP frame-ancestors sources ("'self'", "https://example.org"). By
	// default no one may: every response says X-Frame-Options: DENY and
	// Content-Security-Policy: frame-ancestors 'none', so that another site
	// cannot overlay a scene's controls to steal clicks (clickjacking).
	FrameAncestors []string

	// KeepWebsocketsAfterTokenExpiry keeps a websocket open after the
	// token it was opened with expires. By default the server closes it
	// then, with 1008 (policy violation) and "access token expired", so
	// that a token's lifetime bounds the access it grants.
	KeepWebsocketsAfterTokenExpiry bool

	// AllowedHosts are names besides localhost, 127.0.0.0/8 and [::1]
	// that requests may give in Host when the server is on a loopback
	// address without Tokens (with tokens, or on a public address, any
	// Host is answered). Other names are refused with 421, which keeps
	// other web sites from reaching the server by DNS rebinding. Entries
	// may carry a port, which is ignored.
	AllowedHosts []string

	// InsecurePublic allows a non-loopback Addr without Tokens. By
	// default Open refuses that, so that nothing is exposed to the network
	// without an access token.
	InsecurePublic bool

	// OriginPatterns and InsecureSkipOriginCheck are handed to ws.Accept
	// for every endpoint: by default websockets are accepted from pages of
	// the same origin only.
	OriginPatterns          []string
	InsecureSkipOriginCheck bool

	// RateLimit is how many new connections per second one IP may open on
	// average; RateBurst how many it may open at once before the rate
	// applies (default: RateLimit, rounded up). Default DefaultRateLimit.
	RateLimit float64
	RateBurst int

	// MaxConns caps the connections open at once (HTTP and websocket), in
	// total and per IP. Defaults DefaultMaxConns and DefaultMaxConnsPerIP.
	//
	// The caps and the rate act when a connection is accepted, before a
	// byte of it is read. Over a cap, a new connection takes the place of
	// the oldest one from the same address (per-IP cap) or any address
	// (total cap) that is waiting for a request, new or idle between
	// requests; if none is, or over the rate, it is refused: answered 503
	// or 429 with Retry-After and the reason while few refused
	// connections are (64, each for a second at most), else closed at
	// once. Refusals count in Stats.Refused.
	MaxConns      int
	MaxConnsPerIP int

	// AcceptFilter, if set, sees every new TCP connection before any
	// HTTP parsing and may refuse it (it is closed at once). It runs in
	// the accept loop and must be fast.
	AcceptFilter func(net.Conn) bool

	// FirstRequestTimeout is how long a new connection may take to send
	// its first request's headers (the TLS handshake included); silent
	// sockets are closed after it. Default DefaultFirstRequestTimeout.
	FirstRequestTimeout time.Duration

	// ReadHeaderTimeout bounds the time to read a request's headers (and
	// the TLS handshake), IdleTimeout the wait for the next request on a
	// keep-alive connection, and MaxHeaderBytes the size of request
	// headers: the defences against slow or bloated requests. Websockets
	// have no idle timeout unless PingInterval is set.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int

	// PingInterval, PongTimeout and ReadLimit are the websocket defaults
	// (see ws.AcceptOptions); an endpoint's own options win.
	PingInterval time.Duration
	PongTimeout  time.Duration
	ReadLimit    int64

	// Compression says which websocket clients are offered
	// permessage-deflate (RFC 7692). Default CompressRemote.
	Compression CompressionMode

	// CloseGrace bounds how long Close waits for websockets to finish
	// their closing handshakes and handlers to return. Default
	// DefaultCloseGrace.
	CloseGrace time.Duration

	// Logger receives the server's lines; the ws debug lines of every
	// connection go there too. Default slog.Default().
	Logger *slog.Logger

	// OnError, if set, is called (on the crashed handler's goroutine)
	// with every recovered handler panic. The same errors are offered on
	// Errors.
	OnError func(*HandlerError)
}

// CompressionMode says which clients get permessage-deflate.
type CompressionMode int

const (
	// CompressRemote compresses for clients on other machines, where
	// bandwidth matters, and not on loopback, where it only costs CPU.
	CompressRemote CompressionMode = iota
	// CompressAll compresses for every client that offers it.
	CompressAll
	// CompressNone never compresses.
	CompressNone
)

// DefaultCompression is what CompressRemote and CompressAll negotiate:
// every message on its own (no context takeover, so idle connections hold
// no compression state), messages under 256 bytes as they are.
var DefaultCompression = ws.CompressionOptions{Threshold: 256}

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
	var expiry *time.Timer
	if exp, ok := r.Context().Value(tokenExpiryKey{}).(time.Time); ok && !s.cfg.KeepWebsocketsAfterTokenExpiry {
		expiry = time.AfterFunc(time.Until(exp), func() {
			s.log.Info("websocket closed: its access token expired", "conn", c.String(), "expired", exp)
			c.Close(ws.StatusPolicyViolation, "access token expired")
		})
	}
	r = r.WithContext(s.baseCtx)
	go s.runHandler(e.Handler, c, r, ip, expiry)
}

func (s *Server) runHandler(h WSHandler, c *ws.Conn, r *http.Request, ip string, expiry *time.Timer) {
	defer func() {
		if expiry != nil {
			expiry.Stop()
		}
		if v := recover(); v != nil {
			s.report(&HandlerError{Time: time.Now(), Where: c.String() + " " + c.Target(), Value: v, Stack: debug.Stack()})
			c.Close(ws.StatusInternalError, "internal server error")
		} else if c.State() == ws.StateOpen {
			c.Close(ws.StatusNormalClosure, "")
		}
		c.CloseNow()
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

// Open starts listening, synchronously: when it returns, Addr and URL are
// valid and connections queue until Serve.
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.closing {
		return errors.New("server: Open called twice or after Close")
	}
	if !s.cfg.InsecurePublic && s.cfg.Tokens == nil && !IsLoopback(s.cfg.Addr) {
		return fmt.Errorf("server: %s is not a loopback address: set Config.Tokens so that only holders of a token get in (or InsecurePublic to expose the server without one)", s.cfg.Addr)
	}
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	ln = &gateListener{Listener: ln, g: s.gate}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
		s.tls = true
	}
	s.ln = ln
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ConnContext:       s.connContext,
		ConnState:         s.gate.connState,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
	}
	s.log.Info("server listening", "url", s.urlLocked())
	return nil
}

func (s *Server) tlsConfig() (*tls.Config, error) {
	var cfg *tls.Config
	switch {
	case s.cfg.TLSConfig != nil:
		cfg = s.cfg.TLSConfig.Clone()
	case s.cfg.TLSCertFile != "" || s.cfg.TLSKeyFile != "":
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("server: TLS: %w", err)
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}}
	default:
		return nil, nil
	}
	// Websockets need HTTP/1.1's upgrade.
	cfg.NextProtos = []string{"http/1.1"}
	return cfg, nil
}

// IsLoopback reports whether addr (host:port) names a loopback host:
// localhost, 127.0.0.0/8 or ::1. A server on any other address needs
// Config.Tokens (or InsecurePublic) to open.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves connections until Close or Shutdown, and returns after they
// have finished. It calls Open first if needed.
func (s *Server) Serve() error {
	s.mu.Lock()
	opened := s.ln != nil
	s.mu.Unlock()
	if !opened {
		if err := s.Open(); err != nil {
			return err
		}
	}
	err := s.hs.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-s.closed
		return nil
	}
	return err
}

// Run serves until ctx ends, then closes the server as Close does, and
// returns once Serve has returned: the life of a server in a program
// that stops on a signal. If Serve fails first, Run closes the server and
// returns Serve's error.
func (s *Server) Run(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	select {
	case err := <-served:
		s.Close()
		return err
	case <-ctx.Done():
	}
	return errors.Join(s.Close(), <-served)
}

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

// Close shuts the server down within Config.CloseGrace: see Shutdown.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CloseGrace)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown stops the listener, sends a close frame with StatusGoingAway
// (1001) to every open websocket and waits, until ctx ends, for their
// closing handshakes, for page requests in flight and for websocket
// handlers to return. What is still open when ctx ends is closed at once,
// and handlers' contexts are cancelled. It reports an error only if
// handlers keep running after that. Shutdown may be called from any
// goroutine, and more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.closeErr = s.shutdown(ctx)
		close(s.closed)
	})
	<-s.closed
	return s.closeErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if s.handlers == 0 {
		close(s.handlersDone)
	}
	hs := s.hs
	conns := make([]*ws.Conn, 0, len(s.websocks))
	for c := range s.websocks {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.log.Info("server shutting down", "url", s.URL(), "websockets", len(conns))

	httpDone := make(chan error, 1)
	if hs != nil {
		go func() { httpDone <- hs.Shutdown(ctx) }()
	} else {
		httpDone <- nil
	}
	// http.Server.Shutdown waits up to 5 s for a connection that has not
	// sent its first request (browsers open them ahead of need); there is
	// nothing to wait for.
	s.gate.closeFresh()

	var closers sync.WaitGroup
	defer closers.Wait() // they end with their connections
	for _, c := range conns {
		closers.Go(func() { c.Close(ws.StatusGoingAway, "server shutting down") })
	}
	// Handlers return as their connections finish the closing handshake.
	var err error
	if !waitCtx(ctx, s.handlersDone) {
		// Grace is over: drop what is left, and give handlers that ignore
		// their closed connection one more second.
		s.mu.Lock()
		for c := range s.websocks {
			c.CloseNow()
		}
		s.mu.Unlock()
		s.cancel()
		extra, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if !waitCtx(extra, s.handlersDone) {
			s.mu.Lock()
			n := len(s.websocks)
			s.mu.Unlock()
			err = fmt.Errorf("server: %d websocket handlers still running after their connections were closed", n)
		}
	}
	s.cancel()
	if herr := <-httpDone; herr != nil {
		if hs != nil {
			hs.Close()
		}
		err = errors.Join(err, fmt.Errorf("server: %w", herr))
	}
	s.log.Info("server closed", "url", s.URL())
	return err
}

// waitCtx waits for done to be closed or ctx to end and reports whether
// done was closed.
func waitCtx(ctx context.Context, done <-chan struct{}) bool {
	select {
	case <-done:
		return true // even if ctx has ended too
	default:
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
