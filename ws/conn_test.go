package ws

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReadTimeoutBeforeMessageDoesNotPoison(t *testing.T) {
	t.Parallel()
	send := make(chan struct{})
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
		<-send
		writeRaw(t, nc, rawFrame{fin: true, op: opText, payload: []byte("late")}, false)
		answerClose(t, nc, br)
	})
	c, _, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, _, err = c.Read(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read %d: %v, want DeadlineExceeded", i, err)
		}
	}
	// A cancelled context, not only a deadline.
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, _, err := c.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v", err)
	}
	if c.State() != StateOpen {
		t.Fatalf("state %v after timeouts", c.State())
	}
	close(send)
	typ, msg, err := c.Read(context.Background())
	if err != nil || typ != MessageText || string(msg) != "late" {
		t.Fatalf("read after timeouts: %v %q %v", typ, msg, err)
	}
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
}

func TestReadTimeoutMidMessageFailsWith1008(t *testing.T) {
	t.Parallel()
	code := make(chan StatusCode, 1)
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
		writeRaw(t, nc, rawFrame{fin: false, op: opText, payload: []byte("first half, ")}, false)
		c, _ := readUntilClose(t, br)
		code <- c
		writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(c, "")}, false)
	})
	c, _, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = c.Read(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "middle of a message") {
		t.Fatalf("err = %v", err)
	}
	if got := <-code; got != StatusPolicyViolation {
		t.Fatalf("peer saw close %v, want 1008", got)
	}
}

func TestConcurrentWritersNeverInterleave(t *testing.T) {
	t.Parallel()
	const writers, each = 8, 200
	type result struct {
		counts map[int]int
		err    error
	}
	res := make(chan result, 1)
	c := pair(t, func(s *Conn) {
		counts := map[int]int{}
		for n := 0; n < writers*each; n++ {
			_, msg, err := s.Read(context.Background())
			if err != nil {
				res <- result{err: err}
				return
			}
			var w, i int
			var pad string
			if _, err := fmt.Sscanf(string(msg), "%d %d %s", &w, &i, &pad); err != nil {
				res <- result{err: fmt.Errorf("garbled message %q", msg)}
				return
			}
			if i != counts[w] || len(pad) != 1000+w*100 {
				res <- result{err: fmt.Errorf("writer %d: message %d out of order or cut (want %d)", w, i, counts[w])}
				return
			}
			counts[w]++
		}
		res <- result{counts: counts}
		s.Close(StatusNormalClosure, "")
	}, nil, nil)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pad := strings.Repeat("x", 1000+w*100)
			for i := 0; i < each; i++ {
				if w%2 == 0 {
					c.Write(context.Background(), MessageText, fmt.Appendf(nil, "%d %d %s", w, i, pad))
				} else {
					wr, err := c.Writer(context.Background(), MessageText)
					if err != nil {
						return
					}
					fmt.Fprintf(wr, "%d %d ", w, i)
					io.WriteString(wr, pad)
					wr.Close()
				}
			}
		}()
	}
	// Pings from another goroutine interleave with data frames.
	go c.CloseRead(context.Background())
	wg.Wait()
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	for w := 0; w < writers; w++ {
		if r.counts[w] != each {
			t.Fatalf("writer %d: %d messages arrived", w, r.counts[w])
		}
	}
}

func TestWriteLeavesCallerBufferAndUsesFreshMasks(t *testing.T) {
	t.Parallel()
	masks := make(chan []uint32, 1)
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
		var seen []uint32
		for i := 0; i < 3; i++ {
			b, _ := br.Peek(2)
			b, _ = br.Peek(headerSize(b[1]))
			h, _ := parseHeader(b)
			seen = append(seen, h.mask)
			br.Discard(h.hdrSize + int(h.length))
		}
		masks <- seen
		answerClose(t, nc, br)
	})
	c, _, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	small := []byte("same payload")
	big := bytes.Repeat([]byte{0xAB}, 200<<10)
	for _, p := range [][]byte{small, small, big} {
		orig := append([]byte(nil), p...)
		if err := c.Write(context.Background(), MessageBinary, p); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, orig) {
			t.Fatal("Write modified the caller's buffer")
		}
	}
	m := <-masks
	if m[0] == m[1] || m[1] == m[2] {
		t.Fatalf("masking keys repeat: %x", m)
	}
}

func TestEveryCloseCodeReachesThePeer(t *testing.T) {
	t.Parallel()
	codes := []StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}
	for _, code := range codes {
		t.Run(code.String(), func(t *testing.T) {
			t.Parallel()
			got := make(chan error, 1)
			c := pair(t, func(s *Conn) {
				_, _, err := s.Read(context.Background())
				got <- err
			}, nil, nil)
			if err := c.Close(code, "q.e.d."); err != nil {
				t.Fatalf("Close: %v", err)
			}
			err := <-got
			var ce CloseError
			if !errors.As(err, &ce) || ce.Code != code || ce.Reason != "q.e.d." {
				t.Fatalf("server saw %v", err)
			}
			if CloseStatus(err) != code {
				t.Fatalf("CloseStatus = %v", CloseStatus(err))
			}
		})
	}
}

func TestCloseRefusesCodesNotForTheWire(t *testing.T) {
	t.Parallel()
	c := pair(t, echoLoop, nil, nil)
	for _, code := range []StatusCode{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000} {
		if err := c.Close(code, ""); err == nil {
			t.Errorf("Close(%d) accepted", code)
		}
	}
	if c.State() != StateOpen {
		t.Fatalf("state %v", c.State())
	}
}

func TestCloseReasonTruncated(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	c := pair(t, func(s *Conn) {
		_, _, err := s.Read(context.Background())
		var ce CloseError
		errors.As(err, &ce)
		got <- ce.Reason
	}, nil, nil)
	long := strings.Repeat("é", 100) // 200 bytes
	if err := c.Close(StatusGoingAway, long); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if len(r) > 123 || !strings.HasPrefix(long, r) || len(r) < 120 {
		t.Fatalf("reason of %d bytes: %q", len(r), r)
	}
}

func TestPeerCloseIsEchoedAndReported(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		payload []byte
		code    StatusCode
	}{
		{closePayload(StatusGoingAway, "tab closed"), StatusGoingAway},
		{nil, StatusNoStatusRcvd},
		{closePayload(4321, ""), 4321},
	} {
		echoed := make(chan []byte, 1)
		url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
			writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: tc.payload}, false)
			f, err := readRaw(br)
			if err != nil || f.op != opClose {
				echoed <- nil
				return
			}
			echoed <- f.payload
		})
		c, _, err := Dial(context.Background(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Read(context.Background())
		if CloseStatus(err) != tc.code {
			t.Fatalf("read error %v, want close %v", err, tc.code)
		}
		e := <-echoed
		if tc.code == StatusNoStatusRcvd {
			if len(e) != 0 {
				t.Fatalf("empty close answered with %x", e)
			}
		} else if len(e) < 2 || StatusCode(binary.BigEndian.Uint16(e)) != tc.code {
			t.Fatalf("close answered with %x, want code %d echoed", e, tc.code)
		}
		if c.State() != StateClosed {
			t.Fatalf("state %v", c.State())
		}
		c.CloseNow()
	}
}

func TestAbruptDisconnectIs1006(t *testing.T) {
	t.Parallel()
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {})
	c, _, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Read(context.Background())
	if CloseStatus(err) != StatusAbnormalClosure {
		t.Fatalf("err %v", err)
	}
	// Later reads and writes keep failing clearly.
	if _, _, err2 := c.Read(context.Background()); CloseStatus(err2) != StatusAbnormalClosure {
		t.Fatalf("second read: %v", err2)
	}
	if err := c.Write(context.Background(), MessageText, []byte("x")); err == nil {
		t.Fatal("write after loss succeeded")
	}
}

func TestProtocolViolationsFromServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		frames []rawFrame
		masked bool
		code   StatusCode
	}{
		{"masked from server", []rawFrame{{fin: true, op: opText, payload: []byte("x")}}, true, StatusProtocolError},
		{"rsv2", []rawFrame{{fin: true, rsv: rsv2Bit, op: opText}}, false, StatusProtocolError},
		{"opcode 3", []rawFrame{{fin: true, op: 3}}, false, StatusProtocolError},
		{"opcode 11", []rawFrame{{fin: true, op: 11}}, false, StatusProtocolError},
		{"fragmented ping", []rawFrame{{fin: false, op: opPing}}, false, StatusProtocolError},
		{"big ping", []rawFrame{{fin: true, op: opPing, payload: make([]byte, 126)}}, false, StatusProtocolError},
		{"lone continuation", []rawFrame{{fin: true, op: opContinuation, payload: []byte("x")}}, false, StatusProtocolError},
		{"text inside fragmented", []rawFrame{{fin: false, op: opText, payload: []byte("a")}, {fin: true, op: opText, payload: []byte("b")}}, false, StatusProtocolError},
		{"invalid utf8", []rawFrame{{fin: true, op: opText, payload: []byte("\xed\xa0\x80")}}, false, StatusInvalidFramePayloadData},
		{"utf8 cut at end", []rawFrame{{fin: true, op: opText, payload: []byte("\xe2\x82")}}, false, StatusInvalidFramePayloadData},
		{"close 1 byte", []rawFrame{{fin: true, op: opClose, payload: []byte{3}}}, false, StatusProtocolError},
		{"close 1005", []rawFrame{{fin: true, op: opClose, payload: closePayload(1005, "")}}, false, StatusProtocolError},
		{"close 999", []rawFrame{{fin: true, op: opClose, payload: closePayload(999, "")}}, false, StatusProtocolError},
		{"close bad reason", []rawFrame{{fin: true, op: opClose, payload: closePayload(1000, "\xff")}}, false, StatusInvalidFramePayloadData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan StatusCode, 1)
			url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
				for _, f := range tt.frames {
					writeRaw(t, nc, f, tt.masked)
				}
				code, _ := readUntilClose(t, br)
				got <- code
				writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(code, "")}, false)
			})
			c, _, err := Dial(context.Background(), url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			_, _, err = c.Read(context.Background())
			var fe *FailError
			if !errors.As(err, &fe) || fe.Code != tt.code {
				t.Fatalf("read error %v, want a failure with %v", err, tt.code)
			}
			if code := <-got; code != tt.code {
				t.Fatalf("server received close %v, want %v", code, tt.code)
			}
		})
	}
}

func TestUnmaskedClientFrameRefused(t *testing.T) {
	t.Parallel()
	got := make(chan error, 1)
	url := startServer(t, func(c *Conn, r *http.Request) {
		_, _, err := c.Read(context.Background())
		got <- err
	}, nil)
	nc, br := rawDial(t, url, nil)
	writeRaw(t, nc, rawFrame{fin: true, op: opText, payload: []byte("plain")}, false)
	code, reason := readUntilClose(t, br)
	if code != StatusProtocolError || !strings.Contains(reason, "unmasked") {
		t.Fatalf("close %v %q", code, reason)
	}
	writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(code, "")}, true)
	nc.Close() // a client closes once both close frames are sent
	var fe *FailError
	if err := <-got; !errors.As(err, &fe) {
		t.Fatalf("server read: %v", err)
	}
}

func TestReadLimitAndFrameLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   *AcceptOptions
		frames func(nc net.Conn)
	}{
		{"one byte over", &AcceptOptions{ReadLimit: 1000}, func(nc net.Conn) {
			writeRaw(t, nc, rawFrame{fin: true, op: opBinary, payload: make([]byte, 1001)}, true)
		}},
		{"over across fragments", &AcceptOptions{ReadLimit: 1000}, func(nc net.Conn) {
			writeRaw(t, nc, rawFrame{fin: false, op: opBinary, payload: make([]byte, 600)}, true)
			writeRaw(t, nc, rawFrame{fin: true, op: opContinuation, payload: make([]byte, 600)}, true)
		}},
		{"hostile length", nil, func(nc net.Conn) {
			// Claims 2^62 bytes and sends none: must fail at once, without
			// allocating for it.
			h := appendHeader(nil, true, 0, opBinary, 0, true, 0)
			h[1] = 0x80 | 127
			h = binary.BigEndian.AppendUint64(h[:2], 1<<62)
			h = append(h, 0, 0, 0, 0)
			nc.Write(h)
		}},
		{"too many frames", &AcceptOptions{MaxFrames: 10}, func(nc net.Conn) {
			for i := 0; i < 11; i++ {
				writeRaw(t, nc, rawFrame{fin: false, op: map[bool]opcode{true: opBinary, false: opContinuation}[i == 0]}, true)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan error, 1)
			url := startServer(t, func(c *Conn, r *http.Request) {
				_, _, err := c.Read(context.Background())
				got <- err
			}, tt.opts)
			nc, br := rawDial(t, url, nil)
			tt.frames(nc)
			code, _ := readUntilClose(t, br)
			if code != StatusMessageTooBig {
				t.Fatalf("close %v, want 1009", code)
			}
			writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(code, "")}, true)
			nc.Close()
			var fe *FailError
			if err := <-got; !errors.As(err, &fe) || fe.Code != StatusMessageTooBig {
				t.Fatalf("server read: %v", err)
			}
		})
	}
}

func TestDefaultReadLimitAdmits16MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("16 MiB transfer skipped in -short mode")
	}
	t.Parallel()
	c := pair(t, echoLoop, nil, nil)
	msg := bytes.Repeat([]byte{7}, 16<<20)
	if err := c.Write(context.Background(), MessageBinary, msg); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Read(context.Background())
	if err != nil || len(got) != len(msg) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
}

func TestDefaultReadLimitRefuses16MiBPlusOne(t *testing.T) {
	t.Parallel()
	got := make(chan error, 1)
	url := startServer(t, func(c *Conn, r *http.Request) {
		_, _, err := c.Read(context.Background())
		got <- err
	}, nil)
	nc, br := rawDial(t, url, nil)
	// Only the header: the limit applies before any payload is read.
	h := appendHeader(nil, true, 0, opBinary, DefaultReadLimit+1, true, 0)
	nc.Write(h)
	if code, _ := readUntilClose(t, br); code != StatusMessageTooBig {
		t.Fatalf("close %v, want 1009", code)
	}
	nc.Close()
	var fe *FailError
	if err := <-got; !errors.As(err, &fe) || fe.Code != StatusMessageTooBig {
		t.Fatalf("server read: %v", err)
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	c := pair(t, echoLoop, nil, nil)
	ctx := c.CloseRead(context.Background())
	for i := 0; i < 5; i++ {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.Ping(pctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestPingWithoutReaderTimesOut(t *testing.T) {
	t.Parallel()
	c := pair(t, echoLoop, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

func TestCloseReadRejectsData(t *testing.T) {
	t.Parallel()
	got := make(chan StatusCode, 1)
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
		writeRaw(t, nc, rawFrame{fin: true, op: opPing, payload: []byte("hb")}, false)
		f, err := readRaw(br)
		if err != nil || f.op != opPong || string(f.payload) != "hb" {
			t.Errorf("pong: %+v %v", f, err)
		}
		writeRaw(t, nc, rawFrame{fin: true, op: opText, payload: []byte("unexpected")}, false)
		code, _ := readUntilClose(t, br)
		got <- code
		writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(code, "")}, false)
	})
	c, _, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx := c.CloseRead(context.Background())
	if code := <-got; code != StatusPolicyViolation {
		t.Fatalf("close %v", code)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("CloseRead context did not end")
	}
}

// logRecorder is a slog handler that sends every record's message to a
// channel.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
	ch   chan string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.msgs = append(h.msgs, r.Message)
	h.mu.Unlock()
	select {
	case h.ch <- r.Message:
	default:
	}
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func TestHeartbeatKeepsLivePeerAndDropsDeadOne(t *testing.T) {
	t.Parallel()
	hb := &AcceptOptions{PingInterval: 30 * time.Millisecond, PongTimeout: 100 * time.Millisecond}

	t.Run("live", func(t *testing.T) {
		t.Parallel()
		rec := &logRecorder{ch: make(chan string, 100)}
		c := pair(t, echoLoop, hb, &DialOptions{Logger: slog.New(rec)})
		ctx := c.CloseRead(context.Background())
		pings := 0
		for pings < 5 {
			select {
			case m := <-rec.ch:
				if m == "ws: ping received" {
					pings++
				}
			case <-ctx.Done():
				t.Fatal("connection ended")
			case <-time.After(10 * time.Second):
				t.Fatalf("only %d pings", pings)
			}
		}
		if c.State() != StateOpen {
			t.Fatal("live peer dropped")
		}
	})

	t.Run("dead", func(t *testing.T) {
		t.Parallel()
		got := make(chan error, 1)
		url := startServer(t, func(c *Conn, r *http.Request) {
			_, _, err := c.Read(context.Background())
			got <- err
		}, hb)
		nc, _ := rawDial(t, url, nil) // never reads, never answers pings
		defer nc.Close()
		select {
		case err := <-got:
			if !strings.Contains(fmt.Sprint(err), "heartbeat") {
				t.Fatalf("err %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("dead peer not dropped")
		}
	})
}

func TestIdleConnectionLivesWithoutHeartbeat(t *testing.T) {
	t.Parallel()
	// No timeouts apply by default: a connection idle for a while still
	// works. (The long soak test is TestSoakIdleLifetimes.)
	c := pair(t, echoLoop, nil, nil)
	idle := time.NewTimer(300 * time.Millisecond)
	<-idle.C // the idleness is what is tested
	if err := c.Write(context.Background(), MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(context.Background()); err != nil || string(msg) != "still here" {
		t.Fatal(msg, err)
	}
}

func TestStreamingReaderAndWriter(t *testing.T) {
	t.Parallel()
	frames := make(chan []rawFrame, 1)
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
		var fs []rawFrame
		for {
			f, err := readRaw(br)
			if err != nil {
				return
			}
			fs = append(fs, f)
			if f.fin {
				break
			}
		}
		frames <- fs
		// Two messages: the client reads part of the first only.
		writeRaw(t, nc, rawFrame{fin: false, op: opBinary, payload: []byte("abc")}, false)
		writeRaw(t, nc, rawFrame{fin: true, op: opContinuation, payload: []byte("def")}, false)
		writeRaw(t, nc, rawFrame{fin: true, op: opText, payload: []byte("second")}, false)
		answerClose(t, nc, br)
	})
	c, _, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	w, err := c.Writer(context.Background(), MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789"), 3000) // 30 000 bytes
	w.Write(big[:10])
	w.Write(big[10:])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fs := <-frames
	if len(fs) < 4 {
		t.Fatalf("%d frames for 30 000 bytes, want fragments", len(fs))
	}
	var got []byte
	for i, f := range fs {
		wantOp := opContinuation
		if i == 0 {
			wantOp = opBinary
		}
		if f.op != wantOp || f.fin != (i == len(fs)-1) {
			t.Fatalf("frame %d: op %v fin %v", i, f.op, f.fin)
		}
		got = append(got, f.payload...)
	}
	if !bytes.Equal(got, big) {
		t.Fatal("fragments do not add up")
	}

	typ, r, err := c.Reader(context.Background())
	if err != nil || typ != MessageBinary {
		t.Fatal(typ, err)
	}
	p := make([]byte, 2)
	if n, err := io.ReadFull(r, p); n != 2 || err != nil || string(p) != "ab" {
		t.Fatalf("%q %v", p, err)
	}
	typ, msg, err := c.Read(context.Background()) // skips "cdef"
	if err != nil || typ != MessageText || string(msg) != "second" {
		t.Fatalf("%v %q %v", typ, msg, err)
	}
	if _, err := r.Read(p); err == nil {
		t.Fatal("stale reader still reads")
	}
}

func TestWriteRefusesInvalidText(t *testing.T) {
	t.Parallel()
	c := pair(t, echoLoop, nil, nil)
	if err := c.Write(context.Background(), MessageText, []byte("\xff")); err == nil {
		t.Fatal("invalid UTF-8 sent")
	}
	if _, err := NewPreparedMessage(MessageText, []byte("\xc0")); err == nil {
		t.Fatal("invalid UTF-8 prepared")
	}
	// The connection is still fine.
	if err := c.Write(context.Background(), MessageText, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(context.Background()); err != nil || string(msg) != "ok" {
		t.Fatal(msg, err)
	}
}

func TestReadIntoAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	// Both sides use the buffer-reuse path: AllocsPerRun counts the
	// whole process.
	c := pair(t, func(s *Conn) {
		buf := make([]byte, 128<<10)
		for {
			typ, n, err := s.ReadInto(context.Background(), buf)
			if err != nil || s.Write(context.Background(), typ, buf[:n]) != nil {
				return
			}
		}
	}, nil, nil)
	ctx := context.Background()
	buf := make([]byte, 64<<10)
	for _, size := range []int{16, 1024, 64 << 10} { // 64 KiB: header and payload in one writev
		msg := bytes.Repeat([]byte("z"), size)
		allocs := testing.AllocsPerRun(200, func() {
			if err := c.Write(ctx, MessageBinary, msg); err != nil {
				t.Fatal(err)
			}
			_, n, err := c.ReadInto(ctx, buf)
			if err != nil || n != len(msg) {
				t.Fatal(n, err)
			}
		})
		if allocs != 0 {
			t.Fatalf("%d bytes: %.1f allocations per round trip", size, allocs)
		}
	}
	// A message longer than the buffer fails with 1009.
	c.Write(ctx, MessageBinary, make([]byte, 100))
	if _, _, err := c.ReadInto(ctx, buf[:10]); CloseStatus(err) != -1 {
		var fe *FailError
		if !errors.As(err, &fe) || fe.Code != StatusMessageTooBig {
			t.Fatalf("err %v", err)
		}
	}
}

func TestPreparedBroadcast(t *testing.T) {
	t.Parallel()
	pm, err := NewPreparedMessage(MessageText, []byte("to everyone"))
	if err != nil {
		t.Fatal(err)
	}
	var conns []*Conn
	for i := 0; i < 3; i++ {
		conns = append(conns, pair(t, func(s *Conn) {
			s.WritePrepared(context.Background(), pm)
			s.Read(context.Background())
		}, nil, nil))
	}
	for _, c := range conns {
		typ, msg, err := c.Read(context.Background())
		if err != nil || typ != MessageText || string(msg) != "to everyone" {
			t.Fatal(typ, msg, err)
		}
		// And a client can send a prepared message too.
		if err := c.WritePrepared(context.Background(), pm); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNetConn(t *testing.T) {
	t.Parallel()
	c := pair(t, func(s *Conn) {
		nc := NetConn(context.Background(), s, MessageBinary)
		io.Copy(nc, nc)
		nc.Close()
	}, nil, nil)
	nc := NetConn(context.Background(), c, MessageBinary)
	// A read deadline in the past times out and leaves the stream usable.
	nc.SetReadDeadline(time.Now().Add(-time.Second))
	p := make([]byte, 5)
	_, err := nc.Read(p)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past deadline: %v", err)
	}
	nc.SetReadDeadline(time.Time{})
	if _, err := nc.Write([]byte("hello world")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(nc, p); err != nil || string(p) != "hello" {
		t.Fatal(string(p), err)
	}
	// A deadline set while a Read is blocked interrupts it; the rest of the
	// message is still there afterwards.
	q := make([]byte, 100)
	n, err := nc.Read(q)
	if err != nil || string(q[:n]) != " world" {
		t.Fatalf("%q %v", q[:n], err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := nc.Read(q)
		done <- err
	}()
	nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if err := <-done; !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("blocked read: %v", err)
	}
	nc.SetReadDeadline(time.Time{})
	if err := nc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Read(q); err != io.EOF {
		t.Fatalf("read after close: %v", err)
	}
}

func TestGuardedHelpersAndString(t *testing.T) {
	t.Parallel()
	rec := &logRecorder{ch: make(chan string, 10)}
	c := pair(t, echoLoop, nil, &DialOptions{Logger: slog.New(rec)})
	if s := c.String(); !strings.HasPrefix(s, "ws(client, open, 127.0.0.1:") {
		t.Fatalf("String() = %q", s)
	}
	if !c.WriteGuarded(context.Background(), MessageText, []byte("hi")) {
		t.Fatal("guarded write failed")
	}
	if _, msg, ok := c.ReadGuarded(context.Background()); !ok || string(msg) != "hi" {
		t.Fatal("guarded read failed")
	}
	c.CloseNow()
	if _, _, ok := c.ReadGuarded(context.Background()); ok {
		t.Fatal("guarded read on closed conn succeeded")
	}
	if c.WriteGuarded(context.Background(), MessageText, []byte("x")) {
		t.Fatal("guarded write on closed conn succeeded")
	}
	rec.mu.Lock()
	logged := strings.Join(rec.msgs, "|")
	rec.mu.Unlock()
	if !strings.Contains(logged, "ws: guarded read failed") || !strings.Contains(logged, "ws: guarded write failed") {
		t.Fatalf("debug lines: %s", logged)
	}
	if s := c.String(); !strings.HasPrefix(s, "ws(client, closed, ") {
		t.Fatalf("String() = %q", s)
	}
}

func TestCloseWhileReading(t *testing.T) {
	t.Parallel()
	c := pair(t, echoLoop, nil, nil)
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.Read(context.Background())
		readErr <- err
	}()
	if err := c.Close(StatusNormalClosure, "done"); err != nil {
		t.Fatal(err)
	}
	if err := <-readErr; CloseStatus(err) != StatusNormalClosure {
		t.Fatalf("concurrent read got %v", err)
	}
	if c.State() != StateClosed {
		t.Fatal(c.State())
	}
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseTimesOutOnSilentPeer(t *testing.T) {
	t.Parallel()
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader, _ *http.Request) {
		io.Copy(io.Discard, br) // never answers the close
	})
	c, _, err := Dial(context.Background(), url, &DialOptions{CloseTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Close(StatusNormalClosure, "")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Close returned %v after %v", err, time.Since(start))
	}
	if c.State() != StateClosed {
		t.Fatal(c.State())
	}
}

// TestPingDuringExpiringReads keeps pinging a client whose reads time out
// constantly: a ping that arrives as a read's context ends must still get
// its pong, and the connection must survive.
func TestPingDuringExpiringReads(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	pongs := make(chan int, 1)
	c := pair(t, func(s *Conn) {
		ctx := s.CloseRead(context.Background())
		n := 0
		defer func() { pongs <- n }()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			default:
			}
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := s.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
			n++
		}
	}, nil, nil)
	for i := 0; i < 300; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Microsecond)
		_, _, err := c.Read(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	close(stop)
	n := <-pongs
	if c.State() != StateOpen || n == 0 {
		t.Fatalf("state %v after %d pings", c.State(), n)
	}
}

// TestCloseSendKeepsLastReplies closes the sending side while replies are
// still on their way: the reader gets them all, then the peer's close.
func TestCloseSendKeepsLastReplies(t *testing.T) {
	t.Parallel()
	c := pair(t, echoLoop, nil, nil)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		c.Write(ctx, MessageText, fmt.Appendf(nil, "request %d", i))
	}
	if err := c.CloseSend(StatusNormalClosure, "that is all"); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctx, MessageText, []byte("late")); err == nil {
		t.Fatal("wrote after CloseSend")
	}
	for i := 0; i < 3; i++ {
		_, msg, err := c.Read(ctx)
		if err != nil || string(msg) != fmt.Sprintf("request %d", i) {
			t.Fatalf("reply %d: %q %v", i, msg, err)
		}
	}
	if _, _, err := c.Read(ctx); CloseStatus(err) != StatusNormalClosure {
		t.Fatalf("after the replies: %v", err)
	}
	if c.State() != StateClosed {
		t.Fatal(c.State())
	}
}
