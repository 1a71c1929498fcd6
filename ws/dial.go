package ws

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultHandshakeTimeout bounds connecting, the TLS handshake and the
// opening handshake of Dial unless DialOptions.HandshakeTimeout says
// otherwise.
const DefaultHandshakeTimeout = 30 * time.Second

// DialOptions configures Dial. The zero value (or nil) gives the defaults
// each field documents.
type DialOptions struct {
	// HTTPHeader holds extra request headers: Origin, Authorization,
	// Cookie, User-Agent and the like. The headers that make the handshake
	// (Upgrade, Connection, Sec-WebSocket-*) are refused.
	HTTPHeader http.Header

	// Subprotocols lists the subprotocols to offer, most preferred first.
	// The server's choice, if any, must be one of them.
	Subprotocols []string

	// TLSConfig configures wss:// connections. Default: the system's root
	// certificates, with verification on. ServerName defaults to the URL's
	// host.
	TLSConfig *tls.Config

	// HandshakeTimeout bounds the TCP connect, TLS and opening handshakes
	// together. Default: DefaultHandshakeTimeout (30 s). ctx may end it
	// earlier.
	HandshakeTimeout time.Duration

	// NetDialContext opens the TCP connection. Default: a net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// ReadLimit, MaxFrames, CloseTimeout, PingInterval, PongTimeout and
	// Logger mean what they mean in AcceptOptions.
	ReadLimit    int64
	MaxFrames    int
	CloseTimeout time.Duration
	PingInterval time.Duration
	PongTimeout  time.Duration
	Logger       *slog.Logger

	// Compression, if set, offers permessage-deflate (RFC 7692) on these
	// terms; the server may decline. Default: nil, no compression.
	Compression *CompressionOptions
}

// reservedRequestHeaders are the headers Dial writes itself.
var reservedRequestHeaders = []string{"Host", "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Protocol", "Sec-Websocket-Extensions", "Sec-Websocket-Accept"}

// Dial opens a WebSocket connection to a ws:// or wss:// URL.
//
// When the server answers with something other than 101 Switching
// Protocols, Dial returns that response (its body read into memory, up to
// 64 KiB) together with an error naming the status. On success the
// response is the 101, with an empty body. Bytes the server sent right
// after its 101 are kept for the first Read.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	u, err := parseWSURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	where := u.Redacted()
	req, key, err := handshakeRequest(u, &o)
	if err != nil {
		return nil, nil, fmt.Errorf("ws: dial %s: %w", where, err)
	}

	timeout := o.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	nc, err := dialTransport(ctx, u, &o)
	if err != nil {
		return nil, nil, fmt.Errorf("ws: dial %s: %w", where, err)
	}
	c, resp, err := clientHandshake(ctx, nc, req, key, &o)
	if err != nil {
		nc.Close()
		return nil, resp, fmt.Errorf("ws: dial %s: %w", where, err)
	}
	return c, resp, nil
}

func parseWSURL(rawURL string) (*url.URL, error) {
	if strings.Contains(rawURL, "#") {
		return nil, fmt.Errorf("ws: dial %q: a websocket URL cannot have a fragment; escape '#' as %%23", rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("ws: dial: %w", err)
	}
	switch u.Scheme = strings.ToLower(u.Scheme); u.Scheme {
	case "ws", "wss":
	default:
		return nil, fmt.Errorf("ws: dial %s: unsupported scheme %q; use ws:// or wss://", u.Redacted(), u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("ws: dial %s: no host in URL", u.Redacted())
	}
	return u, nil
}

// handshakeRequest builds the opening handshake request.
func handshakeRequest(u *url.URL, o *DialOptions) (*http.Request, string, error) {
	for k := range o.HTTPHeader {
		if slices.Contains(reservedRequestHeaders, http.CanonicalHeaderKey(k)) {
			return nil, "", fmt.Errorf("header %s is set by the handshake itself; use DialOptions.Subprotocols for subprotocols", k)
		}
	}
	for _, p := range o.Subprotocols {
		if p == "" || strings.ContainsAny(p, ", \t\r\n") {
			return nil, "", fmt.Errorf("invalid subprotocol name %q", p)
		}
	}
	var raw [16]byte
	rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])

	h := o.HTTPHeader.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Key", key)
	h.Set("Sec-WebSocket-Version", "13")
	if len(o.Subprotocols) > 0 {
		h.Set("Sec-WebSocket-Protocol", strings.Join(o.Subprotocols, ", "))
	}
	if o.Compression != nil {
		h.Set("Sec-WebSocket-Extensions", offerDeflate(o.Compression).String())
	}
	if u.User != nil && h.Get("Authorization") == "" {
		pw, _ := u.User.Password()
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	req := &http.Request{
		Method:     http.MethodGet,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       u.Host,
	}
	return req, key, nil
}

func dialTransport(ctx context.Context, u *url.URL, o *DialOptions) (net.Conn, error) {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "wss" {
			port = "443"
		}
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	dial := o.NetDialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "wss" {
		return nc, nil
	}
	cfg := o.TLSConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	cfg.NextProtos = []string{"http/1.1"}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// clientHandshake sends the request on nc and checks the answer.
func clientHandshake(ctx context.Context, nc net.Conn, req *http.Request, key string, o *DialOptions) (*Conn, *http.Response, error) {
	if t, ok := ctx.Deadline(); ok {
		nc.SetDeadline(t)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	defer stop()

	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", req.URL.RequestURI(), req.Host)
	req.Header.Write(&b)
	b.WriteString("\r\n")
	if _, err := nc.Write(b.Bytes()); err != nil {
		return nil, nil, handshakeIOErr(ctx, "send request", err)
	}

	br := bufio.NewReaderSize(nc, readBufferSize)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, nil, handshakeIOErr(ctx, "read response", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		msg := strings.TrimSpace(string(body))
		if msg != "" {
			msg = ": " + truncate(msg, 200)
		}
		return nil, resp, fmt.Errorf("the server answered %q instead of 101 Switching Protocols%s", resp.Status, msg)
	}
	resp.Body = http.NoBody
	if !headerHasToken(resp.Header, "Upgrade", "websocket") {
		return nil, resp, errors.New("101 response without Upgrade: websocket")
	}
	if !headerHasToken(resp.Header, "Connection", "upgrade") {
		return nil, resp, errors.New("101 response without Connection: Upgrade")
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != acceptKey(key) {
		return nil, resp, fmt.Errorf("101 response with wrong Sec-WebSocket-Accept %q", truncate(got, 64))
	}
	sub := resp.Header.Get("Sec-WebSocket-Protocol")
	if sub != "" && !slices.Contains(o.Subprotocols, sub) {
		return nil, resp, fmt.Errorf("the server chose subprotocol %q, which was not offered", truncate(sub, 64))
	}
	var cx *compression
	if ext := resp.Header.Values("Sec-WebSocket-Extensions"); len(ext) > 0 {
		if o.Compression == nil {
			return nil, resp, fmt.Errorf("the server enabled extensions %q, which were not offered", truncate(strings.Join(ext, ", "), 100))
		}
		var err error
		if cx, err = checkDeflateResponse(ext, o.Compression, offerDeflate(o.Compression)); err != nil {
			return nil, resp, err
		}
	}

	if !stop() {
		// ctx ended just now; the deadline may have been set to the past.
		return nil, resp, handshakeIOErr(ctx, "handshake", context.Cause(ctx))
	}
	nc.SetDeadline(time.Time{})
	var buffered []byte
	if n := br.Buffered(); n > 0 {
		buffered, _ = br.Peek(n)
	}
	cfg := newConnConfig(o.ReadLimit, o.MaxFrames, o.CloseTimeout, o.PingInterval, o.PongTimeout, o.Logger)
	c := newConn(nc, true, cfg, buffered)
	c.cx = cx
	c.subprotocol = sub
	c.origin = req.Header.Get("Origin")
	c.target = req.URL.RequestURI()
	return c, resp, nil
}

func handshakeIOErr(ctx context.Context, what string, err error) error {
	if e := ctxErr(ctx, err); e != nil {
		err = e
	}
	return fmt.Errorf("%s: %w", what, err)
}
