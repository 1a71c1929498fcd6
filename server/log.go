package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// LevelWS is a log level between Info and Warn for websocket events a
// person wants to follow without debug noise (the "wslog" level of the
// WebSockets.jl logger this package descends from).
const LevelWS = slog.Level(2)

// ConsoleOptions configures NewConsoleHandler.
type ConsoleOptions struct {
	// Level is the least level written. Default slog.LevelInfo.
	Level slog.Leveler
	// Filter, if set, drops records for which it returns false: mute a
	// noisy source here.
	Filter func(slog.Record) bool
	// MaxRepeat, if positive, writes a message at most this many times in
	// a row per minute; further identical messages are counted and
	// summarised.
	MaxRepeat int
	// Now is the clock for the time stamps. Default time.Now.
	Now func() time.Time
}

// NewConsoleHandler returns a slog.Handler writing one concise line per
// record for a person at a terminal:
//
//	12:04:05.123 INFO  websocket opened conn=ws(server, open, 127.0.0.1:5432) path=/chat
//
// The level LevelWS is written as WS.
func NewConsoleHandler(w io.Writer, opts *ConsoleOptions) slog.Handler {
	h := &consoleHandler{w: w, mu: &sync.Mutex{}, repeats: map[string]*repeat{}}
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.Level == nil {
		h.opts.Level = slog.LevelInfo
	}
	if h.opts.Now == nil {
		h.opts.Now = time.Now
	}
	return h
}

type consoleHandler struct {
	w       io.Writer
	opts    ConsoleOptions
	mu      *sync.Mutex
	repeats map[string]*repeat
	attrs   string // preformatted attributes from WithAttrs
	group   string
}

type repeat struct {
	n     int
	since time.Time
}

func (h *consoleHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.opts.Level.Level()
}

func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < LevelWS:
		return "INFO "
	case l < slog.LevelWarn:
		return "WS   "
	case l < slog.LevelError:
		return "WARN "
	}
	return "ERROR"
}

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	if h.opts.Filter != nil && !h.opts.Filter(r) {
		return nil
	}
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = h.opts.Now()
	}
	b.WriteString(t.Format("15:04:05.000"))
	b.WriteByte(' ')
	b.WriteString(levelName(r.Level))
	b.WriteByte(' ')
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	b.WriteByte('\n')

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.opts.MaxRepeat > 0 {
		rp := h.repeats[r.Message]
		now := h.opts.Now()
		if rp == nil || now.Sub(rp.since) > time.Minute {
			if rp != nil && rp.n > h.opts.MaxRepeat {
				fmt.Fprintf(h.w, "%s %s (%d more like %q)\n", now.Format("15:04:05.000"), levelName(r.Level), rp.n-h.opts.MaxRepeat, r.Message)
			}
			rp = &repeat{since: now}
			h.repeats[r.Message] = rp
		}
		rp.n++
		if rp.n > h.opts.MaxRepeat {
			return nil
		}
	}
	_, err := io.WriteString(h.w, b.String())
	return err
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := a.Key
		if group != "" {
			g = group + "." + g
		}
		for _, ga := range a.Value.Group() {
			writeAttr(b, g, ga)
		}
		return
	}
	b.WriteByte(' ')
	if group != "" {
		b.WriteString(group + ".")
	}
	b.WriteString(a.Key)
	b.WriteByte('=')
	s := a.Value.String()
	if strings.ContainsAny(s, " \t\n\"=") || s == "" {
		s = fmt.Sprintf("%q", s)
	}
	b.WriteString(s)
}

func (h *consoleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		writeAttr(&b, h.group, a)
	}
	h2.attrs = b.String()
	return &h2
}

func (h *consoleHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	if h2.group != "" {
		name = h2.group + "." + name
	}
	h2.group = name
	return &h2
}
