package server

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// A server on a loopback address without tokens trusts whoever can reach
// it, which is this machine only, unless a web page the user visits makes
// the browser reach it under another name: DNS rebinding, where a name the
// attacker controls first resolves to their server and then to 127.0.0.1,
// so that their page is same-origin with ours and can read it and open its
// websockets. The browser still sends the attacker's name in Host. Such a
// server therefore answers only Host values that name this machine.

// hostAllowed reports whether the Host header host (with or without a
// port) names this machine: localhost or a name under .localhost (RFC
// 6761), an address in 127.0.0.0/8 or ::1, or one of allowed. An empty
// Host (HTTP/1.0, which no browser speaks) is allowed.
func hostAllowed(host string, allowed []string) bool {
	name := hostName(host)
	if name == "" || name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	if ip := net.ParseIP(name); ip != nil {
		return ip.IsLoopback()
	}
	for _, a := range allowed {
		if hostName(a) == name {
			return true
		}
	}
	return false
}

// hostName is host without its port, brackets and trailing dot, in lower
// case.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// checkHost refuses, with 421 and the reason, a request whose Host does
// not name this machine, on a server that needs it (see New).
func (s *Server) checkHost(w http.ResponseWriter, r *http.Request) bool {
	if !s.hostCheck || hostAllowed(r.Host, s.cfg.AllowedHosts) {
		return true
	}
	s.refuse(w, r, http.StatusMisdirectedRequest, 0, fmt.Sprintf(
		"Host %q is not a name of this machine: a server on a loopback address without access tokens answers only localhost, 127.0.0.0/8 and [::1], so that other web sites cannot reach it by DNS rebinding (allow more names with -allow-host or Config.AllowedHosts)",
		r.Host))
	return false
}

// IsLoopback reports whether addr (host:port) names a loopback host:
// localhost, 127.0.0.0/8 or ::1. A server on any other address needs
// Config.Tokens (or InsecurePublic) to open.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
