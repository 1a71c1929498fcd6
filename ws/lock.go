package ws

import (
	"context"
	"net"
)

// chanLock is a mutex whose Lock can give up when a context ends or the
// connection closes.
type chanLock chan struct{}

func newChanLock() chanLock { return make(chanLock, 1) }

func (l chanLock) lock(ctx context.Context, closed <-chan struct{}) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return net.ErrClosed
	}
}

func (l chanLock) unlock() { <-l }
