package ws

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// extension is one entry of a Sec-WebSocket-Extensions header.
type extension struct {
	name   string
	params []extParam
}

type extParam struct {
	name     string
	value    string
	hasValue bool
}

// parseExtensions parses Sec-WebSocket-Extensions header values (RFC 6455
// section 9.1):
//
//	extension-list = 1#extension
//	extension      = token *( ";" token [ "=" ( token | quoted-string ) ] )
func parseExtensions(values []string) ([]extension, error) {
	var out []extension
	for _, v := range values {
		p := extParser{s: v}
		for {
			p.skipSpace()
			if p.done() {
				break
			}
			if p.peek() == ',' { // empty list elements are allowed
				p.i++
				continue
			}
			name, err := p.token()
			if err != nil {
				return nil, err
			}
			ext := extension{name: strings.ToLower(name)}
			for {
				p.skipSpace()
				if p.done() || p.peek() == ',' {
					break
				}
				if p.peek() != ';' {
					return nil, fmt.Errorf("expected ';' or ',' at %q", p.rest())
				}
				p.i++
				p.skipSpace()
				pname, err := p.token()
				if err != nil {
					return nil, err
				}
				param := extParam{name: strings.ToLower(pname)}
				p.skipSpace()
				if !p.done() && p.peek() == '=' {
					p.i++
					p.skipSpace()
					param.hasValue = true
					if !p.done() && p.peek() == '"' {
						if param.value, err = p.quoted(); err != nil {
							return nil, err
						}
						// RFC 6455 9.1: a quoted value must still be a token.
						if !isToken(param.value) {
							return nil, fmt.Errorf("quoted value %q is not a token", param.value)
						}
					} else if param.value, err = p.token(); err != nil {
						return nil, err
					}
				}
				ext.params = append(ext.params, param)
			}
			out = append(out, ext)
			if len(out) > 32 {
				return nil, errors.New("too many extensions")
			}
		}
	}
	return out, nil
}

type extParser struct {
	s string
	i int
}

func (p *extParser) done() bool   { return p.i >= len(p.s) }
func (p *extParser) peek() byte   { return p.s[p.i] }
func (p *extParser) rest() string { return truncate(p.s[p.i:], 40) }

func (p *extParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *extParser) token() (string, error) {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		if p.done() {
			return "", errors.New("unexpected end of header")
		}
		return "", fmt.Errorf("expected a token at %q", p.rest())
	}
	return p.s[start:p.i], nil
}

func (p *extParser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return "", errors.New("unterminated quoted string")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("unterminated quoted string")
}

func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7F {
		return false
	}
	return !strings.ContainsRune("()<>@,;:\\\"/[]?={}", rune(c))
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// deflateParams are the parameters of a permessage-deflate offer or
// response (RFC 7692 section 7.1). Window bits of 0 mean absent; -1 means
// client_max_window_bits without a value, which only an offer may have.
type deflateParams struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int
	clientMaxWindowBits     int
}

// parseDeflateParams checks the parameters of a permessage-deflate offer
// (offer) or response (!offer): each at most once, known names only, window
// bits 8 to 15 written as plain decimals.
func parseDeflateParams(e extension, offer bool) (deflateParams, error) {
	var d deflateParams
	seen := map[string]bool{}
	bits := func(p extParam) (int, error) {
		if !p.hasValue {
			return 0, fmt.Errorf("%s needs a value", p.name)
		}
		n, err := strconv.Atoi(p.value)
		if err != nil || n < 8 || n > 15 || p.value[0] == '0' || p.value[0] == '+' {
			return 0, fmt.Errorf("%s=%q is not a window size from 8 to 15", p.name, p.value)
		}
		return n, nil
	}
	for _, p := range e.params {
		if seen[p.name] {
			return d, fmt.Errorf("parameter %s given twice", p.name)
		}
		seen[p.name] = true
		var err error
		switch p.name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if p.hasValue {
				return d, fmt.Errorf("%s takes no value", p.name)
			}
			if p.name == "server_no_context_takeover" {
				d.serverNoContextTakeover = true
			} else {
				d.clientNoContextTakeover = true
			}
		case "server_max_window_bits":
			d.serverMaxWindowBits, err = bits(p)
		case "client_max_window_bits":
			if offer && !p.hasValue {
				d.clientMaxWindowBits = -1
			} else {
				d.clientMaxWindowBits, err = bits(p)
			}
		default:
			return d, fmt.Errorf("unknown parameter %s", p.name)
		}
		if err != nil {
			return d, err
		}
	}
	return d, nil
}

func (d deflateParams) String() string {
	s := "permessage-deflate"
	if d.serverNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if d.clientNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if d.serverMaxWindowBits > 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(d.serverMaxWindowBits)
	}
	switch {
	case d.clientMaxWindowBits > 0:
		s += "; client_max_window_bits=" + strconv.Itoa(d.clientMaxWindowBits)
	case d.clientMaxWindowBits < 0:
		s += "; client_max_window_bits"
	}
	return s
}
