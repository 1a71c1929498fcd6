package bench

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/payload"
)

// CompressServerMain is the body of cmd/compressserver: the echo server of
// one compression variant (CompressLibs), which prints "addr HOST:PORT" and
// answers the commands ServerMain answers on stdin: stats, mem, wait N
// SECS, heap PATH. It exits when stdin ends.
func CompressServerMain(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compressserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	libName := fs.String("lib", "ours", "variant: "+strings.Join(compressNames(CompressLibs), ", "))
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lib, err := CompressLibByName(*libName)
	if err != nil {
		return err
	}
	if _, err := RaiseFileLimit(); err != nil {
		return fmt.Errorf("raise the open file limit: %w", err)
	}
	srv, err := StartCompressServer(lib, *addr)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "addr %s\n", srv.Addr())
	return serveCommands(srv, stdin, stdout)
}

func compressNames(libs []*CompressLib) []string {
	out := make([]string, len(libs))
	for i, l := range libs {
		out[i] = l.Name
	}
	return out
}

// compressOffer is what the idle client offers: permessage-deflate with
// context takeover allowed both ways, so that each server shows what its
// setting keeps per connection.
const compressOffer = "permessage-deflate; client_max_window_bits"

// CompressIdleClientMain is the body of cmd/compressidleclient. It opens -n
// connections to the echo server at -addr, each offering
// permessage-deflate, sends -msgs messages of -size bytes of JSON on each
// (compressed if the server accepted, with context takeover unless it
// asked for none) and checks their echoes, prints "ready N" and holds the
// connections open until stdin ends. It prints the extension the server
// answered first as "negotiated ..." before "ready".
func CompressIdleClientMain(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compressidleclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "echo server address host:port (loopback)")
	n := fs.Int("n", 1000, "connections")
	msgs := fs.Int("msgs", 3, "messages echoed on each connection before it goes idle")
	size := fs.Int("size", 16<<10, "bytes per message")
	sources := fs.Int("sources", 4, "loopback source addresses to spread connections over")
	conc := fs.Int("conc", 16, "connections being opened at once")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on opening all connections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" {
		return errors.New("-addr is required")
	}
	if *size <= 0 || *msgs < 0 || *msgs**size > payload.Size*64 {
		return errors.New("-size must be positive and -msgs*-size reasonable")
	}
	limit, err := RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raise the open file limit: %w", err)
	}
	if uint64(*n)+32 > limit {
		return fmt.Errorf("%d connections need more than the open file limit of %d", *n, limit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	conns := make([]net.Conn, *n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var (
		mu         sync.Mutex
		firstErr   error
		negotiated = "(none)"
		once       sync.Once
	)
	idx := make(chan int)
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			for i := range idx {
				src := net.IPv4(127, 0, 0, byte(1+i%*sources))
				c, ext, err := compressIdleOne(ctx, *addr, src, i, *msgs, *size)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				once.Do(func() {
					if ext != "" {
						negotiated = ext
					}
				})
				conns[i] = c
			}
		})
	}
	for i := range *n {
		select {
		case idx <- i:
		case <-ctx.Done():
		}
	}
	close(idx)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		fmt.Fprintf(stdout, "error %v\n", firstErr)
		return firstErr
	}
	fmt.Fprintf(stdout, "negotiated %s\n", negotiated)
	fmt.Fprintf(stdout, "ready %d\n", *n)
	_, err = io.Copy(io.Discard, stdin)
	return err
}

// compressIdleOne opens one connection from src, negotiates and echoes
// msgs messages, and returns the connection and the server's extension
// header.
func compressIdleOne(ctx context.Context, addr string, src net.IP, conn, msgs, size int) (net.Conn, string, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, "", err
	}
	if t, ok := ctx.Deadline(); ok {
		c.SetDeadline(t)
	}
	ext, err := compressExchange(c, addr, conn, msgs, size)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	c.SetDeadline(time.Time{})
	return c, ext, nil
}

// deflateTerms are the parameters of a permessage-deflate response that
// the client acts on.
type deflateTerms struct {
	on                         bool
	clientNoCtx, serverNoCtx   bool
	clientWindow, serverWindow int
}

func parseDeflateTerms(h string) (deflateTerms, error) {
	t := deflateTerms{clientWindow: 15, serverWindow: 15}
	if h == "" {
		return t, nil
	}
	for i, p := range strings.Split(h, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if i == 0 {
			if name != "permessage-deflate" {
				return t, fmt.Errorf("unexpected extension %q", h)
			}
			t.on = true
			continue
		}
		bits := 15
		if val != "" {
			var err error
			if bits, err = strconv.Atoi(strings.Trim(val, `"`)); err != nil || bits < 8 || bits > 15 {
				return t, fmt.Errorf("bad %s in %q", name, h)
			}
		}
		switch name {
		case "client_no_context_takeover":
			t.clientNoCtx = true
		case "server_no_context_takeover":
			t.serverNoCtx = true
		case "client_max_window_bits":
			t.clientWindow = bits
		case "server_max_window_bits":
			t.serverWindow = bits
		default:
			return t, fmt.Errorf("unknown parameter %q in %q", name, h)
		}
	}
	return t, nil
}

// compressExchange performs the handshake with compressOffer and echoes
// msgs messages cut in turn from the JSON payload, starting at a place
// that depends on conn.
func compressExchange(c net.Conn, addr string, conn, msgs, size int) (string, error) {
	br := bufio.NewReaderSize(c, 4096)
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: " + compressOffer + "\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", fmt.Errorf("read handshake response: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return "", fmt.Errorf("handshake answered %s", resp.Status)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != base64.StdEncoding.EncodeToString(h[:]) {
		return "", fmt.Errorf("wrong Sec-WebSocket-Accept %q", got)
	}
	ext := strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", ")
	terms, err := parseDeflateTerms(ext)
	if err != nil {
		return "", err
	}

	data := payload.JSON.Data()
	var (
		w      *flate.Writer
		wbuf   bytes.Buffer
		rxHist []byte
		frame  []byte
	)
	level := flate.BestSpeed
	if terms.clientWindow < 15 {
		level = flate.HuffmanOnly // compress/flate cannot keep to a smaller window
	}
	off := (conn * size) % payload.Size
	for i := range msgs {
		msg := data[off : off+size]
		if off+size > len(data) {
			msg = append(append([]byte(nil), data[off:]...), data[:off+size-len(data)]...)
		}
		off = (off + size) % payload.Size
		body, rsv := msg, byte(0)
		if terms.on {
			if w == nil || terms.clientNoCtx {
				w, _ = flate.NewWriter(&wbuf, level)
			}
			wbuf.Reset()
			w.Write(msg)
			w.Flush()
			body, rsv = bytes.TrimSuffix(wbuf.Bytes(), []byte{0, 0, 0xff, 0xff}), 0x40
		}
		frame = appendClientFrame(frame[:0], rsv, body)
		if _, err := c.Write(frame); err != nil {
			return "", err
		}
		got, compressed, err := readServerMessage(br)
		if err != nil {
			return "", fmt.Errorf("message %d: %w", i, err)
		}
		if compressed {
			if !terms.on {
				return "", fmt.Errorf("message %d: compressed echo without permessage-deflate", i)
			}
			var dict []byte
			if !terms.serverNoCtx {
				dict = rxHist
			}
			r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(got), bytes.NewReader([]byte{0, 0, 0xff, 0xff})), dict)
			if got, err = io.ReadAll(r); err != io.ErrUnexpectedEOF {
				return "", fmt.Errorf("message %d: inflate: %v", i, err)
			}
			if !terms.serverNoCtx {
				rxHist = append(rxHist, got...)
				rxHist = rxHist[max(0, len(rxHist)-1<<15):]
			}
		}
		if !bytes.Equal(got, msg) {
			return "", fmt.Errorf("message %d: echo of %d bytes came back as %d different bytes", i, len(msg), len(got))
		}
	}
	return ext, nil
}

// appendClientFrame appends a masked binary frame with the RSV1 bit rsv.
func appendClientFrame(b []byte, rsv byte, p []byte) []byte {
	b = append(b, 0x80|rsv|0x2)
	switch n := len(p); {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range p {
		b[start+i] ^= mask[i&3]
	}
	return b
}

// readServerMessage reads one data message (its frames) from a server and
// reports whether it was compressed. Control frames are not expected.
func readServerMessage(br *bufio.Reader) ([]byte, bool, error) {
	var msg []byte
	compressed := false
	for first := true; ; first = false {
		var h [10]byte
		if _, err := io.ReadFull(br, h[:2]); err != nil {
			return nil, false, err
		}
		fin, rsv, op := h[0]&0x80 != 0, h[0]&0x70, h[0]&0x0F
		if first != (op != 0) || op > 2 || h[1]&0x80 != 0 || rsv&^0x40 != 0 || !first && rsv != 0 {
			return nil, false, fmt.Errorf("unexpected frame header %x", h[:2])
		}
		if first {
			compressed = rsv != 0
		}
		n := uint64(h[1] & 0x7F)
		switch n {
		case 126:
			if _, err := io.ReadFull(br, h[2:4]); err != nil {
				return nil, false, err
			}
			n = uint64(binary.BigEndian.Uint16(h[2:4]))
		case 127:
			if _, err := io.ReadFull(br, h[2:10]); err != nil {
				return nil, false, err
			}
			n = binary.BigEndian.Uint64(h[2:10])
		}
		if n > MaxMessage {
			return nil, false, errTooBig
		}
		start := len(msg)
		msg = append(msg, make([]byte, n)...)
		if _, err := io.ReadFull(br, msg[start:]); err != nil {
			return nil, false, err
		}
		if fin {
			return msg, compressed, nil
		}
	}
}

// CompressIdleConfig configures RunCompressIdle.
type CompressIdleConfig struct {
	Server, Client string // paths of cmd/compressserver and cmd/compressidleclient
	Libs           []*CompressLib
	N              int // connections
	Msgs, Size     int // messages echoed per connection, and their size
	Sources        int
	Timeout        time.Duration
	Progress       io.Writer
	HeapProfiles   string // directory for a heap profile per variant, if set
}

// CompressIdleResult is the memory an idle server held for N connections
// that each echoed Msgs messages of Size bytes.
type CompressIdleResult struct {
	IdleResult
	Setting    string `json:"setting"`
	Negotiated string `json:"negotiated"`
	Msgs       int    `json:"msgs"`
	Size       int    `json:"size"`
}

// RunCompressIdle measures, for each variant, the memory the server
// process holds for cfg.N idle connections opened by a client process.
func RunCompressIdle(cfg CompressIdleConfig) ([]CompressIdleResult, error) {
	var out []CompressIdleResult
	for _, lib := range cfg.Libs {
		r, err := runCompressIdleOne(cfg, lib)
		if err != nil {
			return out, fmt.Errorf("%s: %w", lib.Name, err)
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "compress idle %-14s n=%d heap+stack/conn=%.0f B rss/conn=%.0f B negotiated %s\n",
				lib.Name, r.N, r.HeapStackPerConn(), r.RSSPerConn(), r.Negotiated)
		}
		out = append(out, r)
	}
	return out, nil
}

func runCompressIdleOne(cfg CompressIdleConfig, lib *CompressLib) (CompressIdleResult, error) {
	res := CompressIdleResult{IdleResult: IdleResult{Lib: lib.Name, Spawn: lib.Spawn, N: cfg.N}, Setting: lib.Setting, Msgs: cfg.Msgs, Size: cfg.Size}
	r := idleRun{server: cfg.Server, serverArgs: []string{"-lib", lib.Name}, client: cfg.Client,
		clientArgs: []string{"-n", strconv.Itoa(cfg.N), "-msgs", strconv.Itoa(cfg.Msgs),
			"-size", strconv.Itoa(cfg.Size), "-sources", strconv.Itoa(cfg.Sources), "-timeout", cfg.Timeout.String()},
		n: cfg.N, timeout: cfg.Timeout,
		// The client first says what its connections negotiated.
		hello: func(cl *Proc) error {
			line, err := cl.Line(cfg.Timeout + 10*time.Second)
			if err != nil {
				return err
			}
			neg, ok := strings.CutPrefix(line, "negotiated ")
			if !ok {
				return fmt.Errorf("%s: %s", filepath.Base(cfg.Client), line)
			}
			res.Negotiated = neg
			return nil
		}}
	if cfg.HeapProfiles != "" {
		r.heapProfile = filepath.Join(cfg.HeapProfiles, "compress-idle-"+lib.Name+".pprof")
	}
	err := r.measure(&res.IdleResult)
	return res, err
}

// WriteCompressIdleTable writes results as a Markdown table, each
// variant with compression beside the same library without it.
func WriteCompressIdleTable(w io.Writer, results []CompressIdleResult) {
	off := map[string]float64{}
	for _, r := range results {
		if lib, ok := strings.CutSuffix(r.Lib, "-off"); ok {
			off[lib] = r.HeapStackPerConn()
		}
	}
	fmt.Fprintln(w, "| variant | setting | negotiated | conns | heap+stack / conn | heap | stack | RSS / conn | vs. compression off |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		lib, _, _ := strings.Cut(r.Lib, "-")
		vs := "—"
		if base, ok := off[lib]; ok && !strings.HasSuffix(r.Lib, "-off") && base > 0 {
			vs = fmt.Sprintf("%+.2f KiB (×%.2f)", (r.HeapStackPerConn()-base)/1024, r.HeapStackPerConn()/base)
		}
		fmt.Fprintf(w, "| %s | %s | `%s` | %d | %s | %s | %s | %s | %s |\n", r.Lib, r.Setting, r.Negotiated, r.N,
			kb(r.HeapStackPerConn()), kb(r.HeapPerConn()), kb(r.StackPerConn()), kb(r.RSSPerConn()), vs)
	}
}
