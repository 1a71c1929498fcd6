package ws

import (
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/vizserve/vizserve/ws/internal/deflate"
	"github.com/vizserve/vizserve/ws/internal/inflate"
)

// CompressionOptions turns on permessage-deflate (RFC 7692) in
// AcceptOptions and DialOptions. Compression is off unless set.
type CompressionOptions struct {
	// ContextTakeover lets each direction compress a message against the
	// messages before it: better ratios for streams of similar messages,
	// at the cost of a window of history (see WindowBits) kept per
	// connection and direction. Default false: every message is
	// compressed on its own (both no_context_takeover parameters are
	// negotiated), compressors are pooled, and an idle connection holds
	// no compression state at all.
	ContextTakeover bool

	// WindowBits bounds the LZ77 window the peer may use for the messages
	// it compresses for us, 8 to 15 (256 bytes to 32 KiB). With context
	// takeover this is the history kept per connection for reading.
	// Default 15.
	WindowBits int

	// Threshold is the smallest message, in bytes, that is compressed;
	// shorter ones go out as they are. Default
	// DefaultCompressionThreshold.
	Threshold int

	// Level trades speed for ratio, from 1 (fastest) to 9. Default 1.
	Level int
}

// DefaultCompressionThreshold is the size below which messages are sent
// uncompressed: a deflate stream of a few bytes is rarely shorter.
const DefaultCompressionThreshold = 128

// compression is what a connection negotiated.
type compression struct {
	sendNoContextTakeover bool
	sendWindowBits        int
	recvNoContextTakeover bool
	recvWindowBits        int
	threshold             int
	level                 int
}

func (o *CompressionOptions) windowBits() int {
	if o.WindowBits >= 8 && o.WindowBits <= 15 {
		return o.WindowBits
	}
	return 15
}

func (o *CompressionOptions) newCompression() *compression {
	c := &compression{threshold: o.Threshold, level: o.Level}
	if c.threshold <= 0 {
		c.threshold = DefaultCompressionThreshold
	}
	if c.level <= 0 || c.level > 9 {
		c.level = 1
	}
	return c
}

// acceptDeflate chooses the first permessage-deflate offer in the client's
// Sec-WebSocket-Extensions that this server can honour and returns the
// response header value, or "" to decline them all. Only a malformed header
// is an error.
func acceptDeflate(header []string, o *CompressionOptions) (string, *compression, error) {
	exts, err := parseExtensions(header)
	if err != nil {
		return "", nil, fmt.Errorf("malformed Sec-WebSocket-Extensions: %v", err)
	}
	for _, e := range exts {
		if e.name != "permessage-deflate" {
			continue
		}
		p, err := parseDeflateParams(e, true)
		if err != nil {
			continue // RFC 7692 5.1: decline an invalid offer, try the next
		}
		c := o.newCompression()
		var r deflateParams
		// Server to client: we compress, with any window the client asks.
		r.serverNoContextTakeover = p.serverNoContextTakeover || !o.ContextTakeover
		c.sendNoContextTakeover = r.serverNoContextTakeover
		c.sendWindowBits = 15
		if p.serverMaxWindowBits > 0 {
			r.serverMaxWindowBits = p.serverMaxWindowBits
			c.sendWindowBits = p.serverMaxWindowBits
		}
		// Client to server: we decompress.
		r.clientNoContextTakeover = !o.ContextTakeover
		c.recvNoContextTakeover = r.clientNoContextTakeover || p.clientNoContextTakeover
		c.recvWindowBits = 15
		if p.clientMaxWindowBits != 0 {
			want := o.windowBits()
			if p.clientMaxWindowBits > 0 {
				want = min(want, p.clientMaxWindowBits)
			}
			if want < 15 {
				r.clientMaxWindowBits = want
			}
			c.recvWindowBits = want
		}
		return r.String(), c, nil
	}
	return "", nil, nil
}

// offerDeflate is the client's permessage-deflate offer.
func offerDeflate(o *CompressionOptions) deflateParams {
	p := deflateParams{clientMaxWindowBits: -1}
	if !o.ContextTakeover {
		p.serverNoContextTakeover = true
		p.clientNoContextTakeover = true
	}
	if wb := o.windowBits(); wb < 15 {
		p.serverMaxWindowBits = wb
	}
	return p
}

// checkDeflateResponse checks the server's answer to our offer.
func checkDeflateResponse(header []string, o *CompressionOptions, offered deflateParams) (*compression, error) {
	exts, err := parseExtensions(header)
	if err != nil {
		return nil, fmt.Errorf("malformed Sec-WebSocket-Extensions in the response: %v", err)
	}
	if len(exts) != 1 || exts[0].name != "permessage-deflate" {
		return nil, fmt.Errorf("the server enabled extensions %q; only permessage-deflate was offered", joinHeader(header))
	}
	r, err := parseDeflateParams(exts[0], false)
	if err != nil {
		return nil, fmt.Errorf("bad permessage-deflate response: %v", err)
	}
	if offered.serverMaxWindowBits > 0 && (r.serverMaxWindowBits == 0 || r.serverMaxWindowBits > offered.serverMaxWindowBits) {
		return nil, fmt.Errorf("the server did not honour server_max_window_bits=%d", offered.serverMaxWindowBits)
	}
	c := o.newCompression()
	c.sendNoContextTakeover = r.clientNoContextTakeover || !o.ContextTakeover
	c.sendWindowBits = 15
	if r.clientMaxWindowBits > 0 {
		c.sendWindowBits = r.clientMaxWindowBits
	}
	c.recvNoContextTakeover = r.serverNoContextTakeover
	c.recvWindowBits = 15
	if r.serverMaxWindowBits > 0 {
		c.recvWindowBits = r.serverMaxWindowBits
	}
	return c, nil
}

func joinHeader(v []string) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return truncate(s, 100)
}

// deflateTail is what RFC 7692 7.2.2 appends to a message before
// decompressing it.
var deflateTail = [4]byte{0x00, 0x00, 0xFF, 0xFF}

// flateReaders pools decompressors; a connection holds one only while it
// reads a compressed message.
var flateReaders sync.Pool

// inflateSrc feeds one message's compressed payload, then the tail, to
// the decompressor. It implements io.ByteReader so that flate reads no
// further than it needs.
type inflateSrc struct {
	c      *Conn
	ctx    context.Context
	buf    [512]byte
	r, w   int
	tail   int  // tail bytes delivered
	rawEOF bool // the message's frames are all read
	err    error
}

func (s *inflateSrc) reset(c *Conn, ctx context.Context) {
	s.c, s.ctx = c, ctx
	s.r, s.w, s.tail, s.rawEOF, s.err = 0, 0, 0, false, nil
}

func (s *inflateSrc) fill() error {
	if s.err != nil {
		return s.err
	}
	if s.rawEOF {
		if s.tail == len(deflateTail) {
			return io.EOF
		}
		s.w = copy(s.buf[:], deflateTail[s.tail:])
		s.r = 0
		s.tail = len(deflateTail)
		return nil
	}
	n, err := s.c.readRawPayload(s.ctx, s.buf[:])
	s.r, s.w = 0, n
	if err == io.EOF {
		s.rawEOF = true
		if n == 0 {
			return s.fill()
		}
		return nil
	}
	if err != nil {
		s.err = err
		return err
	}
	return nil
}

func (s *inflateSrc) ReadByte() (byte, error) {
	for s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	b := s.buf[s.r]
	s.r++
	return b, nil
}

func (s *inflateSrc) Read(p []byte) (int, error) {
	for s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	return n, nil
}

// done reports whether all the message's input, tail included, was read.
func (s *inflateSrc) done() bool { return s.rawEOF && s.tail == len(deflateTail) && s.r == s.w }

// startInflate prepares to decompress the message that starts now. The
// streaming decompressor is taken only when a Reader needs it (see
// readInflated): Read and ReadInto decode the message whole.
func (c *Conn) startInflate(ctx context.Context) {
	if c.rSrc == nil {
		c.rSrc = &inflateSrc{}
	}
	c.rSrc.reset(c, ctx)
	c.rFlate = nil
	c.rFlateDone = false
	c.rOut = 0
}

// takeFlate gives the current message a streaming decompressor.
func (c *Conn) takeFlate() {
	dict := c.history()
	if fr, ok := flateReaders.Get().(io.ReadCloser); ok {
		fr.(flate.Resetter).Reset(c.rSrc, dict)
		c.rFlate = fr
	} else {
		c.rFlate = flate.NewReaderDict(c.rSrc, dict)
	}
}

// endInflate returns the decompressor to the pool.
func (c *Conn) endInflate() {
	c.rFlateDone = true
	if c.rFlate != nil {
		flateReaders.Put(c.rFlate)
		c.rFlate = nil
	}
}

// readInflated reads decompressed bytes of the current message. It returns
// io.EOF at the end of the message.
func (c *Conn) readInflated(ctx context.Context, p []byte) (int, error) {
	if c.rFlateDone {
		return 0, io.EOF
	}
	if c.rFlate == nil {
		c.takeFlate()
	}
	c.rSrc.ctx = ctx
	if len(p) == 0 {
		return 0, nil
	}
	n, err := c.rFlate.Read(p)
	if n > 0 {
		c.rOut += int64(n)
		if limit := c.limit(); limit >= 0 && c.rOut > limit {
			c.endInflate()
			return 0, c.fail(StatusMessageTooBig, fmt.Sprintf("decompressed message exceeds the read limit of %d bytes", limit))
		}
		c.remember(p[:n])
	}
	switch {
	case err == nil:
		return n, nil
	case c.rSrc.err != nil:
		// The network or the framing failed underneath.
		c.endInflate()
		return n, c.rSrc.err
	case (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)) && c.rSrc.done():
		c.endInflate()
		if n > 0 {
			return n, nil // io.EOF on the next call
		}
		return 0, io.EOF
	case err == io.EOF:
		// A final block ended the stream early: what follows must be
		// nothing but our tail.
		for c.rSrc.r == c.rSrc.w && !c.rSrc.rawEOF {
			if c.rSrc.fill() != nil {
				break
			}
		}
		if c.rSrc.err == nil && c.rSrc.rawEOF && c.rSrc.r == c.rSrc.w {
			c.rSrc.tail = len(deflateTail)
			c.endInflate()
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		c.endInflate()
		if c.rSrc.err != nil {
			return n, c.rSrc.err
		}
		return 0, c.fail(StatusInvalidFramePayloadData, "data after the final deflate block")
	default:
		c.endInflate()
		return 0, c.fail(StatusInvalidFramePayloadData, "invalid compressed data: "+err.Error())
	}
}

// remember keeps the last window of decompressed output, the dictionary of
// the next message under context takeover.
func (c *Conn) remember(p []byte) {
	if c.cx.recvNoContextTakeover {
		return
	}
	w := 1 << c.cx.recvWindowBits
	if len(p) >= w {
		c.rHist = append(c.rHist[:0], p[len(p)-w:]...)
		return
	}
	if len(c.rHist)+len(p) > 2*w {
		c.rHist = append(c.rHist[:0], c.rHist[len(c.rHist)-(w-len(p)):]...)
	}
	c.rHist = append(c.rHist, p...)
}

// history returns the dictionary for the next compressed message.
func (c *Conn) history() []byte {
	if c.cx.recvNoContextTakeover {
		return nil
	}
	return c.rHist[max(0, len(c.rHist)-(1<<c.cx.recvWindowBits)):]
}

// compressorPools hold compressors for connections without context
// takeover, one pool per window size and level.
var compressorPools sync.Map // int(windowBits<<4 | level) → *sync.Pool

func compressorPool(bits, level int) *sync.Pool {
	key := bits<<4 | level
	if p, ok := compressorPools.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := compressorPools.LoadOrStore(key, &sync.Pool{New: func() any { return deflate.New(bits, level) }})
	return p.(*sync.Pool)
}

// compressor returns the compressor for the next message; the caller holds
// the message lock and gives it back with releaseCompressor.
func (c *Conn) compressor() *deflate.Compressor {
	if !c.cx.sendNoContextTakeover {
		if c.wComp == nil {
			c.wComp = deflate.New(c.cx.sendWindowBits, c.cx.level)
		}
		return c.wComp
	}
	return compressorPool(c.cx.sendWindowBits, c.cx.level).Get().(*deflate.Compressor)
}

func (c *Conn) releaseCompressor(z *deflate.Compressor) {
	if c.cx.sendNoContextTakeover {
		z.Reset()
		compressorPool(c.cx.sendWindowBits, c.cx.level).Put(z)
	}
}

// compressedBufs hold compressed messages on their way out.
var compressedBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func putCompressedBuf(bp *[]byte) {
	if cap(*bp) <= 1<<20 {
		compressedBufs.Put(bp)
	}
}

// writeCompressed sends p as one compressed message; the caller holds the
// message lock, so messages are compressed in the order they are sent.
func (c *Conn) writeCompressed(ctx context.Context, op opcode, p []byte) error {
	z := c.compressor()
	bp := compressedBufs.Get().(*[]byte)
	out := z.Write((*bp)[:0], p)
	out = z.Finish(out)
	c.releaseCompressor(z)
	err := c.writeFrame(ctx, true, rsv1Bit, op, out)
	*bp = out
	putCompressedBuf(bp)
	c.afterCompressedWrite(err)
	return err
}

// afterCompressedWrite closes the connection when a compressed message with
// context takeover did not go out: the compressor already counts it as
// history the peer will never have, so later messages would decode wrong.
func (c *Conn) afterCompressedWrite(err error) {
	if err != nil && !c.cx.sendNoContextTakeover {
		c.closeTCP(fmt.Errorf("ws: write: a compressed message was not sent (%w); under context takeover the stream cannot go on", err))
	}
}

// WriteUncompressed is Write without compression, for a payload that is
// already compressed (an image, an archive) or otherwise gains nothing. On
// a connection without permessage-deflate it is Write.
func (c *Conn) WriteUncompressed(ctx context.Context, typ MessageType, p []byte) error {
	if err := checkType(typ, p); err != nil {
		return err
	}
	if err := c.msgLock.lock(ctx, c.closed); err != nil {
		return c.writeLockErr(err)
	}
	defer c.msgLock.unlock()
	return c.writeFrame(ctx, true, 0, opcode(typ), p)
}

// deflated returns the prepared message compressed for this
// connection's window and level, compressing it the first time. Only for
// connections without context takeover, whose messages stand alone.
func (pm *PreparedMessage) deflated(bits, level int) []byte {
	key := bits<<4 | level
	if f, ok := pm.compressed.Load(key); ok {
		return f.([]byte)
	}
	z := compressorPool(bits, level).Get().(*deflate.Compressor)
	payload := z.Finish(z.Write(nil, pm.data))
	z.Reset()
	compressorPool(bits, level).Put(z)
	frame := appendHeader(make([]byte, 0, maxHeaderSize+len(payload)), true, rsv1Bit, opcode(pm.typ), len(payload), false, 0)
	frame = append(frame, payload...)
	f, _ := pm.compressed.LoadOrStore(key, frame)
	return f.([]byte)
}

// Whole-message decoding: Read and ReadInto take the rest of a compressed
// message's payload into memory and decode it in one go, which is much
// faster than streaming it through compress/flate. Both buffers come from
// pools and go back when the message is read: an idle connection holds
// neither.
var (
	inflaters    = sync.Pool{New: func() any { return new(inflate.Decoder) }}
	inflateBufs  sync.Pool // *[]byte: compressed input, then decoded output
	maxPooledBuf = 4 << 20
)

func getInflateBuf() *[]byte {
	if bp, ok := inflateBufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 4096)
	return &b
}

func putInflateBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledBuf {
		*bp = (*bp)[:0]
		inflateBufs.Put(bp)
	}
}

// inflateWhole reads the rest of the current compressed message and
// decodes it. It returns the message in *out, a pooled buffer the caller
// gives back with putInflateBuf, as out[off:]. Errors are terminal, except
// a context's, as for readData.
func (c *Conn) inflateWhole(ctx context.Context) (out *[]byte, off int, err error) {
	in := getInflateBuf()
	defer putInflateBuf(in)
	// The compressed payload, in a buffer that grows with the bytes that
	// arrive.
	buf := *in
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, len(buf))
		}
		n, err := c.readRawPayload(ctx, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*in = buf
			return nil, 0, err
		}
	}
	buf = append(buf, deflateTail[:]...)
	*in = buf
	c.rFlateDone = true

	history := c.history()
	limit := c.limit()
	d := inflaters.Get().(*inflate.Decoder)
	out = getInflateBuf()
	dec, res, derr := d.Decode(*out, history, buf, int(min(limit, int64(^uint(0)>>1))))
	inflaters.Put(d)
	*out = dec
	fail := func(code StatusCode, reason string) (*[]byte, int, error) {
		putInflateBuf(out)
		return nil, 0, c.fail(code, reason)
	}
	switch {
	case derr == inflate.ErrLimit:
		return fail(StatusMessageTooBig, fmt.Sprintf("decompressed message exceeds the read limit of %d bytes", limit))
	case derr != nil:
		return fail(StatusInvalidFramePayloadData, "invalid compressed data: "+derr.Error())
	case res.Final && res.Consumed != len(buf):
		return fail(StatusInvalidFramePayloadData, "data after the final deflate block")
	}
	msg := dec[len(history):]
	if c.rType == MessageText {
		if !c.rUTF8.write(msg) {
			return fail(StatusInvalidFramePayloadData, "invalid UTF-8 in text message")
		}
		if !c.rUTF8.complete() {
			return fail(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
		}
	}
	c.remember(msg)
	c.rMsg = false
	return out, len(history), nil
}
