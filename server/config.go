package server

import (
	"crypto/tls"
	"log/slog"
	"net"
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

	// ReusePort lets several processes listen on the same Addr
	// (SO_REUSEPORT, Linux only): the kernel spreads new connections over
	// them, and those of one that dies go to the others (vizserve relay
	// -procs).
	ReusePort bool

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
