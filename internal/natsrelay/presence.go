package natsrelay

import (
	"sync"
	"time"
)

// PresenceInterval is how often the origin and each relay publish their
// viewer count; a count not renewed for three intervals no longer counts.
const PresenceInterval = time.Second

// presence sums the viewer counts of the scene's relays and origin, as
// their presence messages tell them, with this process's own count taken
// as it is now.
type presence struct {
	self  string
	local func() int

	mu     sync.Mutex
	others map[string]presenceEntry
}

type presenceEntry struct {
	viewers uint64
	at      time.Time
}

func newPresence(self string, local func() int) *presence {
	if local == nil {
		local = func() int { return 0 }
	}
	return &presence{self: self, local: local, others: map[string]presenceEntry{}}
}

// see records a presence message. It reports whether the relay is new.
func (p *presence) see(m presenceMsg, now time.Time) bool {
	if m.Relay == p.self {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, had := p.others[m.Relay]
	p.others[m.Relay] = presenceEntry{m.Viewers, now}
	return !had
}

// expire forgets relays not heard from for three intervals and returns
// their names.
func (p *presence) expire(now time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var gone []string
	for name, e := range p.others {
		if now.Sub(e.at) > 3*PresenceInterval {
			delete(p.others, name)
			gone = append(gone, name)
		}
	}
	return gone
}

// total is the scene's viewers everywhere: local is this process's own.
func (p *presence) total(local int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := local
	for _, e := range p.others {
		n += int(e.viewers)
	}
	return n
}

func (p *presence) msg() []byte {
	return appendPresenceMsg(nil, presenceMsg{Relay: p.self, Viewers: uint64(max(0, p.local()))})
}
