package ws

import (
	"io"
	"net"
	"sync"
	"syscall"
)

const (
	readBufferSize  = 4096
	writeBufferSize = 8192
)

// writeBufs holds buffers for composing frames. A connection takes one only
// while it writes, so idle connections hold no write buffer.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, writeBufferSize); return &b }}

func getWriteBuf() *[]byte  { return writeBufs.Get().(*[]byte) }
func putWriteBuf(b *[]byte) { writeBufs.Put(b) }

// readBufs hold the read buffers of connections that are reading. A
// connection waiting for its next message, with nothing buffered, gives
// its buffer back (see fill), so idle connections hold none.
var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

// readBuffer is a minimal buffered reader over the connection whose peek
// never consumes input, so a read interrupted by a deadline before a frame
// header is complete leaves nothing half-parsed.
type readBuffer struct {
	nc   net.Conn
	bp   *[]byte // the buffer, from readBufs, or nil
	buf  []byte  // *bp, or a larger buffer of bytes left from the handshake
	r, w int
	// onRead, if set, is called after every read that returned data.
	onRead func()

	// Waiting without a buffer needs the socket itself: raw reads it
	// (nil when the connection is not a plain socket, as with TLS), and
	// rawFn, rawN and rawErr are the callback and its results, kept here
	// so that a wait allocates nothing.
	raw    syscall.RawConn
	rawFn  func(fd uintptr) bool
	rawN   int
	rawErr error
}

func (b *readBuffer) init(nc net.Conn, buffered []byte) {
	b.nc = nc
	if len(buffered) > 0 {
		b.buf = make([]byte, max(readBufferSize, len(buffered)))
		b.w = copy(b.buf, buffered)
	}
	if sc, ok := nc.(syscall.Conn); ok && rawReads {
		if raw, err := sc.SyscallConn(); err == nil {
			b.raw = raw
			b.rawFn = b.rawRead
		}
	}
}

func (b *readBuffer) acquire() {
	if b.buf == nil {
		b.bp = readBufs.Get().(*[]byte)
		b.buf = *b.bp
	}
}

// release gives the buffer back; the caller has consumed everything in it.
func (b *readBuffer) release() {
	if b.bp != nil {
		readBufs.Put(b.bp)
	}
	b.bp, b.buf, b.r, b.w = nil, nil, 0, 0
}

// fill reads once from the connection into the free space of the buffer.
func (b *readBuffer) fill() error {
	if b.r == b.w {
		b.r, b.w = 0, 0
		if b.raw != nil {
			return b.fillIdle()
		}
	} else if b.w == len(b.buf) && b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	b.acquire()
	n, err := b.nc.Read(b.buf[b.w:])
	return b.filled(n, err)
}

func (b *readBuffer) filled(n int, err error) error {
	b.w += n
	if n > 0 {
		if b.onRead != nil {
			b.onRead()
		}
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// fillIdle waits for data with the buffer given back, and takes one only
// once there is something to read.
func (b *readBuffer) fillIdle() error {
	b.release()
	b.rawN, b.rawErr = 0, nil
	if err := b.raw.Read(b.rawFn); err != nil {
		b.release()
		return err
	}
	if b.rawErr != nil {
		b.release()
		return b.rawErr
	}
	if b.rawN == 0 {
		b.release()
		return io.EOF
	}
	return b.filled(b.rawN, nil)
}

// peek returns the next n buffered bytes without consuming them, reading
// from the connection as needed. n must not exceed readBufferSize.
func (b *readBuffer) peek(n int) ([]byte, error) {
	for b.w-b.r < n {
		if b.buf != nil && b.r+n > len(b.buf) {
			b.w = copy(b.buf, b.buf[b.r:b.w])
			b.r = 0
		}
		if err := b.fill(); err != nil {
			return nil, err
		}
	}
	return b.buf[b.r : b.r+n], nil
}

func (b *readBuffer) discard(n int) { b.r += n }

// read reads up to len(p) bytes: from the buffer if it holds any, else
// straight from the connection when p is large, else through the buffer.
func (b *readBuffer) read(p []byte) (int, error) {
	if b.r == b.w {
		if len(p) >= readBufferSize {
			n, err := b.nc.Read(p)
			if n > 0 {
				if b.onRead != nil {
					b.onRead()
				}
				return n, nil
			}
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, err
		}
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}
