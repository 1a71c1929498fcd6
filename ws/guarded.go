package ws

import "context"

// ReadGuarded is Read for code that only needs to know whether it worked:
// it returns ok == false instead of an error and logs the cause at debug
// level. A loop `for typ, msg, ok := c.ReadGuarded(ctx); ok; ...` ends when
// the connection does.
func (c *Conn) ReadGuarded(ctx context.Context) (typ MessageType, msg []byte, ok bool) {
	typ, msg, err := c.Read(ctx)
	if err != nil {
		c.debug("ws: guarded read failed", "err", err)
		return 0, nil, false
	}
	return typ, msg, true
}

// WriteGuarded is Write returning ok == false instead of an error, with the
// cause logged at debug level.
func (c *Conn) WriteGuarded(ctx context.Context, typ MessageType, p []byte) (ok bool) {
	if err := c.Write(ctx, typ, p); err != nil {
		c.debug("ws: guarded write failed", "err", err)
		return false
	}
	return true
}
