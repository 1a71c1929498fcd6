//go:build !unix

package ws

const rawReads = false

func (b *readBuffer) rawRead(fd uintptr) bool { panic("unreachable") }
