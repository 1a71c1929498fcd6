package ws

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// AcceptOptions configures Accept. The zero value (or nil) gives the
// defaults each field documents.
type AcceptOptions struct {
	// Subprotocols lists the subprotocols the server speaks, most preferred
	// first. The first one that the client also offers is chosen. Default:
	// none, and the handshake carries no subprotocol.
	Subprotocols []string

	// RequireSubprotocol refuses, with 400, a client that offers none of
	// Subprotocols. By default such a client is accepted without a
	// subprotocol, as RFC 6455 intends.
	RequireSubprotocol bool

	// OriginPatterns lists the hosts, besides the request's own host, whose
	// pages may open websockets here. Each is a path.Match pattern matched,
	// case-insensitively, against the host[:port] of the Origin header
	// ("example.com", "*.example.com", "localhost:*"), or against
	// scheme://host[:port] if the pattern contains "://". "null" allows the
	// origin browsers send from sandboxed pages. Default: same-origin only.
	// Requests without an Origin header (non-browser clients) are accepted.
	OriginPatterns []string

	// InsecureSkipOriginCheck accepts websockets from pages of any site.
	// Such pages act with the user's cookies and credentials (cross-site
	// websocket hijacking), so use it only when every connection is
	// authenticated another way. Default: false.
	InsecureSkipOriginCheck bool

	// ReadLimit is the largest message accepted, in bytes. Default:
	// DefaultReadLimit (16 MiB). Negative: no limit.
	ReadLimit int64

	// MaxFrames is the most frames one message may have. Default:
	// DefaultMaxFrames.
	MaxFrames int

	// CloseTimeout bounds the wait for the peer's close frame. Default:
	// DefaultCloseTimeout (5 s).
	CloseTimeout time.Duration

	// PingInterval turns on heartbeats: when nothing has arrived for this
	// long, a ping is sent, and the connection is closed if nothing arrives
	// within PongTimeout (default: PingInterval). Default: 0, no
	// heartbeats; idle connections then live until closed.
	PingInterval time.Duration
	PongTimeout  time.Duration

	// Logger receives debug lines for pings, pongs, closes and failures.
	// Default: slog.Default().
	Logger *slog.Logger

	// Compression, if set, accepts a client's permessage-deflate offer
	// (RFC 7692) on these terms. Default: nil, no compression.
	Compression *CompressionOptions
}

// handshakeError is a refused opening handshake: the HTTP status and a
// reason for a person.
type handshakeError struct {
	status int
	reason string
	header http.Header
}

func (e *handshakeError) Error() string {
	return fmt.Sprintf("ws: accept: %s (answered %d %s)", e.reason, e.status, http.StatusText(e.status))
}

// Accept completes the opening handshake of a WebSocket request on any
// net/http server and returns the connection. The handler must not write to
// w before or after.
//
// On a bad request, Accept writes the HTTP error itself, with the reason in
// the body, and returns an error: 400 for a missing or malformed header,
// 405 for a method other than GET, 426 (with Sec-WebSocket-Version: 13) for
// another protocol version, 403 for a refused origin. Headers set on w
// before the call (cookies, say) go out with the 101 response.
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	var o AcceptOptions
	if opts != nil {
		o = *opts
	}
	key, sub, herr := checkUpgradeRequest(r, &o)
	var ext string
	var cx *compression
	if herr == nil && o.Compression != nil {
		var err error
		if ext, cx, err = acceptDeflate(r.Header.Values("Sec-WebSocket-Extensions"), o.Compression); err != nil {
			herr = &handshakeError{status: http.StatusBadRequest, reason: err.Error()}
		}
	}
	if herr != nil {
		for k, v := range herr.header {
			w.Header()[k] = v
		}
		http.Error(w, "websocket handshake refused: "+herr.reason, herr.status)
		return nil, herr
	}

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket handshake failed: the connection cannot be taken over", http.StatusInternalServerError)
		return nil, fmt.Errorf("ws: accept: hijack: %w", err)
	}
	// The server may have set deadlines for reading the request; a
	// websocket lives by its own.
	nc.SetDeadline(time.Time{})

	h := w.Header().Clone()
	for _, k := range []string{"Upgrade", "Connection", "Sec-Websocket-Accept", "Sec-Websocket-Protocol", "Sec-Websocket-Extensions", "Content-Type", "Content-Length", "Transfer-Encoding"} {
		h.Del(k)
	}
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(acceptKey(key))
	b.WriteString("\r\n")
	if sub != "" {
		b.WriteString("Sec-WebSocket-Protocol: " + sub + "\r\n")
	}
	if ext != "" {
		b.WriteString("Sec-WebSocket-Extensions: " + ext + "\r\n")
	}
	h.Write(&b)
	b.WriteString("\r\n")
	_, err = brw.WriteString(b.String())
	if err == nil {
		err = brw.Flush()
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("ws: accept: write response: %w", err)
	}

	// Keep what the client sent after its request: it may speak first.
	var buffered []byte
	if n := brw.Reader.Buffered(); n > 0 {
		buffered, _ = brw.Reader.Peek(n)
	}
	cfg := newConnConfig(o.ReadLimit, o.MaxFrames, o.CloseTimeout, o.PingInterval, o.PongTimeout, o.Logger)
	c := newConn(nc, false, cfg, buffered)
	c.cx = cx
	c.subprotocol = sub
	c.origin = r.Header.Get("Origin")
	c.target = r.RequestURI
	if c.target == "" {
		c.target = r.URL.RequestURI()
	}
	return c, nil
}

// checkUpgradeRequest checks an opening handshake request and returns the
// client's key and the chosen subprotocol.
func checkUpgradeRequest(r *http.Request, o *AcceptOptions) (key, sub string, herr *handshakeError) {
	refuse := func(status int, format string, args ...any) (string, string, *handshakeError) {
		return "", "", &handshakeError{status: status, reason: fmt.Sprintf(format, args...)}
	}
	if r.ProtoMajor != 1 || r.ProtoMinor < 1 {
		return refuse(http.StatusBadRequest, "websockets need HTTP/1.1, not %s", r.Proto)
	}
	if r.Method != http.MethodGet {
		_, _, e := refuse(http.StatusMethodNotAllowed, "method %s; the opening handshake is a GET", r.Method)
		e.header = http.Header{"Allow": {"GET"}}
		return "", "", e
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return refuse(http.StatusBadRequest, "missing Connection: Upgrade header")
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		return refuse(http.StatusBadRequest, "missing Upgrade: websocket header")
	}
	if v := r.Header.Values("Sec-WebSocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		status, why := http.StatusUpgradeRequired, fmt.Sprintf("unsupported Sec-WebSocket-Version %q; this server speaks 13", strings.Join(v, ", "))
		if len(v) == 0 {
			status, why = http.StatusBadRequest, "missing Sec-WebSocket-Version header; this server speaks 13"
		}
		_, _, e := refuse(status, "%s", why)
		e.header = http.Header{"Sec-Websocket-Version": {"13"}}
		return "", "", e
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return refuse(http.StatusBadRequest, "need exactly one Sec-WebSocket-Key header, got %d", len(keys))
	}
	key = strings.TrimSpace(keys[0])
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		return refuse(http.StatusBadRequest, "Sec-WebSocket-Key %q is not 16 bytes in base64", truncate(key, 64))
	}
	if !o.InsecureSkipOriginCheck {
		if err := checkOrigin(r, o.OriginPatterns); err != nil {
			return refuse(http.StatusForbidden, "%v", err)
		}
	}
	sub = selectSubprotocol(r.Header.Values("Sec-WebSocket-Protocol"), o.Subprotocols)
	if sub == "" && o.RequireSubprotocol {
		return refuse(http.StatusBadRequest, "no common subprotocol: the client offered %q, the server speaks %q",
			strings.Join(r.Header.Values("Sec-WebSocket-Protocol"), ", "), strings.Join(o.Subprotocols, ", "))
	}
	return key, sub, nil
}

// acceptKey computes Sec-WebSocket-Accept for a client key (RFC 6455 4.2.2).
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// IsUpgradeRequest reports whether r asks to open a websocket: its
// Connection header lists the token "upgrade" and its Upgrade header the
// token "websocket", case-insensitively and among others ("keep-alive,
// Upgrade" will do). It checks nothing else; Accept checks the rest of the
// opening handshake. It lets a handler that serves a path to pages and
// websockets alike tell the two apart before calling Accept.
func IsUpgradeRequest(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

// headerHasToken reports whether a comma-separated header contains token,
// case-insensitively ("keep-alive, Upgrade" contains "upgrade").
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// splitTokens returns the comma-separated tokens of header values.
func splitTokens(values []string) []string {
	var out []string
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// selectSubprotocol picks the server's most preferred subprotocol that the
// client offered.
func selectSubprotocol(offered []string, server []string) string {
	tokens := splitTokens(offered)
	for _, s := range server {
		for _, t := range tokens {
			if t == s {
				return s
			}
		}
	}
	return ""
}

// checkOrigin allows requests without an Origin, from the request's own
// host, and from hosts matching one of patterns.
//
// The Origin must be what browsers send (RFC 6454 section 6.1): "null",
// or scheme://host[:port] and nothing else, in one header. A userinfo
// part ("http://evil.example@127.0.0.1:8000" names host 127.0.0.1), a
// path, a query or a second Origin header come only from clients crafting
// them, and are refused.
func checkOrigin(r *http.Request, patterns []string) error {
	if n := len(r.Header.Values("Origin")); n > 1 {
		return fmt.Errorf("%d Origin headers: a browser sends one", n)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if origin == "null" {
		for _, p := range patterns {
			if p == "null" {
				return nil
			}
		}
		return errors.New(`origin "null" (a sandboxed or local page) is not allowed`)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("malformed Origin header %q", truncate(origin, 100))
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("Origin %q is not scheme://host[:port], as browsers send it", truncate(origin, 100))
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		ok, err := path.Match(strings.ToLower(p), strings.ToLower(target))
		if err != nil {
			return fmt.Errorf("bad origin pattern %q: %v", p, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("origin %q is not allowed: pages must come from %s or match AcceptOptions.OriginPatterns", truncate(origin, 100), r.Host)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
