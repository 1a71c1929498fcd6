package conformance

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// handshakeTimeout bounds the opening handshake on either side.
const handshakeTimeout = 10 * time.Second

// acceptKey computes Sec-WebSocket-Accept for a key (RFC 6455 4.2.2).
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// RunAgainstServer runs c as a fuzzing client against the WebSocket server
// at wsURL (ws:// only): it dials, performs the opening handshake itself,
// runs the case and judges it. The URL is used as given for every case.
// It never returns an error: a failed handshake is a FAILED result that
// says why. ctx bounds the run; the case's own timers apply within it.
func RunAgainstServer(ctx context.Context, wsURL string, c Case) Result {
	start := time.Now()
	fail := func(format string, args ...any) Result {
		note := fmt.Sprintf(format, args...)
		return Result{Case: c.ID, Role: RoleServer, Verdict: Failed, Behavior: Failed, BehaviorNote: note,
			Close: Failed, CloseNote: "no connection", PeerCloseCode: -2, Duration: time.Since(start),
			Log: []string{"opening handshake failed: " + note}}
	}
	u, err := url.Parse(wsURL)
	if err != nil {
		return fail("bad URL %q: %v", wsURL, err)
	}
	if u.Scheme != "ws" {
		return fail("URL %q: the fuzzer speaks ws:// only", wsURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(hctx, "tcp", host)
	if err != nil {
		return fail("dial %s: %v", host, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true) // chops must leave as written
	}
	if dl, ok := hctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	br, dx, err := clientHandshake(nc, u, c.Negotiation)
	if err != nil {
		nc.Close()
		return fail("%v", err)
	}
	nc.SetDeadline(time.Time{})
	declined := ""
	if dx == nil && c.Negotiation.Deflate != nil {
		declined = "the server's response has no Sec-WebSocket-Extensions for the offer " + c.Negotiation.Deflate.offerHeader()
	}
	return runSession(ctx, nc, br, RoleServer, &c, dx, declined)
}

// clientHandshake sends the opening handshake request and checks the
// answer. It returns the reader holding whatever followed the response,
// and what was negotiated for permessage-deflate (nil if nothing).
func clientHandshake(nc net.Conn, u *url.URL, neg Negotiation) (*bufio.Reader, *deflateParams, error) {
	var raw [16]byte
	rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	target := u.RequestURI()
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", target, u.Host)
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n")
	if neg.Deflate != nil {
		b.WriteString("Sec-WebSocket-Extensions: " + neg.Deflate.offerHeader() + "\r\n")
	}
	b.WriteString("User-Agent: vizserve-wsfuzz\r\n\r\n")
	if _, err := nc.Write([]byte(b.String())); err != nil {
		return nil, nil, fmt.Errorf("send the opening handshake: %v", err)
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, nil, fmt.Errorf("read the handshake response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, nil, fmt.Errorf("the server answered %q instead of 101 Switching Protocols", resp.Status)
	}
	if !hasToken(resp.Header, "Upgrade", "websocket") || !hasToken(resp.Header, "Connection", "upgrade") {
		return nil, nil, fmt.Errorf("101 response without Upgrade: websocket and Connection: Upgrade")
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != acceptKey(key) {
		return nil, nil, fmt.Errorf("101 response with Sec-WebSocket-Accept %q; expected %q", got, acceptKey(key))
	}
	ext := resp.Header.Values("Sec-WebSocket-Extensions")
	if neg.Deflate == nil {
		if len(ext) > 0 {
			return nil, nil, fmt.Errorf("the server enabled extensions %q, which were not offered", strings.Join(ext, ", "))
		}
		return br, nil, nil
	}
	dx, err := checkDeflateResponse(ext, neg.Deflate)
	if err != nil {
		return nil, nil, err
	}
	return br, dx, nil
}

// hasToken reports whether a comma-separated header holds token, in any
// case.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
