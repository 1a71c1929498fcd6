package ws

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// A raw peer speaks the protocol byte by byte, to test what our side does
// with exactly the frames a test chooses.

type rawFrame struct {
	fin     bool
	rsv     byte
	op      opcode
	payload []byte
}

// writeRaw writes one frame, masked with a random key if mask is set.
func writeRaw(t testing.TB, w io.Writer, f rawFrame, mask bool) {
	t.Helper()
	var key uint32
	if mask {
		var b [4]byte
		rand.Read(b[:])
		key = binary.LittleEndian.Uint32(b[:])
	}
	buf := appendHeader(nil, f.fin, f.rsv, f.op, len(f.payload), mask, key)
	p := append([]byte(nil), f.payload...)
	if mask {
		maskBytes(key, 0, p)
	}
	if _, err := w.Write(append(buf, p...)); err != nil {
		t.Errorf("raw write: %v", err)
	}
}

// readRaw reads one frame, unmasking it.
func readRaw(r *bufio.Reader) (rawFrame, error) {
	b, err := r.Peek(2)
	if err != nil {
		return rawFrame{}, err
	}
	b, err = r.Peek(headerSize(b[1]))
	if err != nil {
		return rawFrame{}, err
	}
	h, ok := parseHeader(b)
	if !ok {
		return rawFrame{}, fmt.Errorf("bad length")
	}
	r.Discard(h.hdrSize)
	p := make([]byte, h.length)
	if _, err := io.ReadFull(r, p); err != nil {
		return rawFrame{}, err
	}
	if h.masked {
		maskBytes(h.mask, 0, p)
	}
	return rawFrame{fin: h.fin, rsv: h.rsv, op: h.op, payload: p}, nil
}

// closeFrame builds a close frame payload.
func closePayload(code StatusCode, reason string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	return append(b, reason...)
}

// readUntilClose reads frames until a close frame and returns its code and
// reason (1005 for an empty close, 1006 if the connection ended first).
func readUntilClose(t testing.TB, br *bufio.Reader) (StatusCode, string) {
	t.Helper()
	for {
		f, err := readRaw(br)
		if err != nil {
			return StatusAbnormalClosure, err.Error()
		}
		if f.op == opClose {
			if len(f.payload) < 2 {
				return StatusNoStatusRcvd, ""
			}
			return StatusCode(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
		}
	}
}

// answerClose reads until the peer's close frame and echoes it, as a well
// behaved server does.
func answerClose(t testing.TB, nc net.Conn, br *bufio.Reader) {
	t.Helper()
	code, _ := readUntilClose(t, br)
	if code == StatusAbnormalClosure {
		return
	}
	var p []byte
	if code != StatusNoStatusRcvd {
		p = closePayload(code, "")
	}
	writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: p}, false)
}

// rawServer accepts one TCP connection at a time, answers the opening
// handshake with a 101 (followed by extra, in the same write), and hands the
// connection to fn. It returns a ws:// URL.
func rawServer(t testing.TB, extra []byte, fn func(nc net.Conn, br *bufio.Reader, req *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			func() {
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(20 * time.Second))
				br := bufio.NewReader(nc)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
					acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
				if _, err := nc.Write(append([]byte(resp), extra...)); err != nil {
					return
				}
				fn(nc, br, req)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return "ws://" + ln.Addr().String() + "/"
}

// rawDial opens a websocket to url by hand and returns the connection after
// the 101.
func rawDial(t testing.TB, url string, header http.Header) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, resp, br := rawRequest(t, url, header)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %s", resp.Status)
	}
	return nc, br
}

// rawRequest sends a handshake request by hand (headers given override the
// standard ones; an empty value deletes one) and returns the response.
func rawRequest(t testing.TB, url string, header http.Header) (net.Conn, *http.Response, *bufio.Reader) {
	t.Helper()
	host := strings.TrimPrefix(url, "ws://")
	path := "/"
	if i := strings.Index(host, "/"); i >= 0 {
		host, path = host[:i], host[i:]
	}
	nc, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	var key [16]byte
	rand.Read(key[:])
	h := http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Key":     {base64.StdEncoding.EncodeToString(key[:])},
		"Sec-Websocket-Version": {"13"},
	}
	for k, v := range header {
		if len(v) == 1 && v[0] == "" {
			h.Del(k)
		} else {
			h[http.CanonicalHeaderKey(k)] = v
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host)
	h.Write(&b)
	b.WriteString("\r\n")
	if _, err := io.WriteString(nc, b.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Time{})
	return nc, resp, br
}
