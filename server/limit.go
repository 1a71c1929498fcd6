package server

import (
	"math"
	"net"
	"sync"
	"time"
)

// rateLimiter is a token bucket per client IP for new connections: each IP
// may open burst connections at once, then rate per second on average.
type rateLimiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token for ip and reports whether there was one; if not, it
// also says how long until there will be.
func (l *rateLimiter) allow(ip string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		// Forget IPs whose bucket has refilled: they cost nothing to
		// recreate, and the map stays bounded by recent clients.
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[ip] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// connCounter counts live connections in total and per IP.
type connCounter struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
}

func (c *connCounter) add(ip string, n int) (total, forIP int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.perIP == nil {
		c.perIP = map[string]int{}
	}
	c.total += n
	c.perIP[ip] += n
	forIP = c.perIP[ip]
	if forIP <= 0 {
		delete(c.perIP, ip)
	}
	return c.total, forIP
}

func (c *connCounter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// hostIP returns the IP part of a remote address.
func hostIP(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	if ta, ok := addr.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

// filterListener runs an accept filter on every connection before HTTP
// parsing, and closes those it refuses.
type filterListener struct {
	net.Listener
	filter  func(net.Conn) bool
	refused func(net.Conn)
}

func (l *filterListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.filter(c) {
			return c, nil
		}
		l.refused(c)
		c.Close()
	}
}
