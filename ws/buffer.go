package ws

import (
	"io"
	"net"
	"sync"
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

// readBuffer is a minimal buffered reader over the connection whose peek
// never consumes input, so a read interrupted by a deadline before a frame
// header is complete leaves nothing half-parsed.
type readBuffer struct {
	nc   net.Conn
	buf  []byte
	r, w int
	// onRead, if set, is called after every read that returned data.
	onRead func()
}

// fill reads once from the connection into the free space of the buffer.
func (b *readBuffer) fill() error {
	if b.r == b.w {
		b.r, b.w = 0, 0
	} else if b.w == len(b.buf) && b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	n, err := b.nc.Read(b.buf[b.w:])
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

// peek returns the next n buffered bytes without consuming them, reading
// from the connection as needed. n must not exceed len(b.buf).
func (b *readBuffer) peek(n int) ([]byte, error) {
	for b.w-b.r < n {
		if b.r+n > len(b.buf) {
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
		if len(p) >= len(b.buf) {
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
