//go:build unix

package ws

import "syscall"

// rawReads says whether readBuffer may read the socket itself while it
// waits without a buffer.
const rawReads = true

// rawRead is the callback of syscall.RawConn.Read: it takes a buffer and
// reads into it, or gives the buffer back and asks to wait if there is
// nothing to read yet.
func (b *readBuffer) rawRead(fd uintptr) bool {
	b.acquire()
	for {
		n, err := syscall.Read(int(fd), b.buf)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			b.release()
			return false
		}
		b.rawN, b.rawErr = max(n, 0), err
		return true
	}
}
