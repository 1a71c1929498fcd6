package conformance

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/vizserve/vizserve/ws/internal/deflatecheck"
)

// permessage-deflate (RFC 7692) for groups 12 and 13: negotiation as
// Autobahn does it, compression of the fuzzer's messages with
// compress/flate, and a strict check of every compressed message from the
// peer with deflatecheck. Like the framing, none of it shares code with
// package ws.

// DeflateNegotiation is how a case negotiates permessage-deflate.
type DeflateNegotiation struct {
	// Offers are what the fuzzing client offers, most preferred first.
	Offers []DeflateOffer
	// Accept is how the fuzzing server answers: the first of these
	// preferences that one of the client's offers allows (trying the offers
	// in order), as Autobahn's accept functions do. No match declines the
	// extension, and the case is UNIMPLEMENTED.
	Accept []DeflateAccept
}

// DeflateOffer is one permessage-deflate offer of the fuzzing client. As
// Autobahn's, every offer also carries client_no_context_takeover (a hint:
// the fuzzer will not use context takeover for its own messages, RFC 7692
// 7.1.1.2) and client_max_window_bits without a value (the server may
// limit the fuzzer's window).
type DeflateOffer struct {
	ServerNoContextTakeover bool // request server_no_context_takeover
	ServerMaxWindowBits     int  // request server_max_window_bits (8..15); 0 does not
}

func (o DeflateOffer) String() string {
	s := "permessage-deflate; client_no_context_takeover; client_max_window_bits"
	if o.ServerNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if o.ServerMaxWindowBits != 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(o.ServerMaxWindowBits)
	}
	return s
}

// DeflateAccept is one way the fuzzing server accepts a client's offer: it
// grants what the offer requests for the server's direction and asks
// these for the client's. Each request needs the offer to allow it:
// ClientNoContextTakeover an offer with client_no_context_takeover,
// ClientMaxWindowBits one with client_max_window_bits.
type DeflateAccept struct {
	ClientNoContextTakeover bool // request client_no_context_takeover
	ClientMaxWindowBits     int  // request client_max_window_bits (8..15); 0 does not
}

func (a DeflateAccept) String() string {
	s := "accept"
	if a.ClientNoContextTakeover {
		s += " requesting client_no_context_takeover"
	}
	if a.ClientMaxWindowBits != 0 {
		if a.ClientNoContextTakeover {
			s += " and"
		} else {
			s += " requesting"
		}
		s += " client_max_window_bits=" + strconv.Itoa(a.ClientMaxWindowBits)
	}
	if s == "accept" {
		s += " as offered"
	}
	return s
}

// offerHeader is the fuzzing client's Sec-WebSocket-Extensions value.
func (n *DeflateNegotiation) offerHeader() string {
	parts := make([]string, len(n.Offers))
	for i, o := range n.Offers {
		parts[i] = o.String()
	}
	return strings.Join(parts, ", ")
}

// deflateParams is what the handshake settled, seen from the fuzzer: how
// the peer compresses (rx) and how the fuzzer may (tx).
type deflateParams struct {
	header                     string // the response's Sec-WebSocket-Extensions
	rxWindowBits, txWindowBits int
	rxNoTakeover, txNoTakeover bool
}

func (p *deflateParams) String() string {
	ct := func(no bool) string {
		if no {
			return "no context takeover"
		}
		return "context takeover"
	}
	return fmt.Sprintf("permessage-deflate %q: the peer compresses with a window of %d bytes and %s, the fuzzer with %d bytes and %s",
		p.header, 1<<p.rxWindowBits, ct(p.rxNoTakeover), 1<<p.txWindowBits, ct(p.txNoTakeover))
}

// extension is one element of a Sec-WebSocket-Extensions header.
type extension struct {
	name   string
	params []extParam
}

type extParam struct {
	name, value string
	hasValue    bool
}

// parseExtensions parses Sec-WebSocket-Extensions values (RFC 6455 9.1):
// comma-separated extensions, each a token followed by ;-separated
// parameters, each a token with an optional =token or ="quoted token".
func parseExtensions(values []string) ([]extension, error) {
	var out []extension
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			// A quoted value cannot hold a comma: it must be a token.
			elem = strings.TrimSpace(elem)
			if elem == "" {
				continue
			}
			parts := strings.Split(elem, ";")
			e := extension{name: strings.TrimSpace(parts[0])}
			if !isToken(e.name) {
				return nil, fmt.Errorf("extension name %q is not a token", e.name)
			}
			for _, p := range parts[1:] {
				name, value, has := strings.Cut(p, "=")
				name, value = strings.TrimSpace(name), strings.TrimSpace(value)
				if !isToken(name) {
					return nil, fmt.Errorf("parameter name %q of %s is not a token", name, e.name)
				}
				if has {
					if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
						value = value[1 : len(value)-1]
					}
					if !isToken(value) {
						return nil, fmt.Errorf("value %q of %s is not a token", value, name)
					}
				}
				e.params = append(e.params, extParam{strings.ToLower(name), value, has})
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7F || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// pmdParams are the parameters of one permessage-deflate element. Window
// bits: 0 absent, -1 present without a value (client_max_window_bits in an
// offer).
type pmdParams struct {
	serverNoTakeover, clientNoTakeover bool
	serverMaxWindowBits                int
	clientMaxWindowBits                int
}

// parsePMD checks a permessage-deflate element's parameters (RFC 7692
// 7.1): known names, each at most once, window bits 8 to 15 as decimals
// without leading zeros; client_max_window_bits may lack a value only in
// an offer.
func parsePMD(e extension, offer bool) (pmdParams, error) {
	var p pmdParams
	seen := map[string]bool{}
	bits := func(x extParam) (int, error) {
		if !x.hasValue {
			return 0, fmt.Errorf("%s without a value", x.name)
		}
		n, err := strconv.Atoi(x.value)
		if err != nil || n < 8 || n > 15 || x.value[0] == '0' || x.value[0] == '+' {
			return 0, fmt.Errorf("%s=%s is not a window size from 8 to 15", x.name, x.value)
		}
		return n, nil
	}
	for _, x := range e.params {
		if seen[x.name] {
			return p, fmt.Errorf("%s given twice", x.name)
		}
		seen[x.name] = true
		var err error
		switch x.name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if x.hasValue {
				return p, fmt.Errorf("%s with a value", x.name)
			}
			if x.name[0] == 's' {
				p.serverNoTakeover = true
			} else {
				p.clientNoTakeover = true
			}
		case "server_max_window_bits":
			p.serverMaxWindowBits, err = bits(x)
		case "client_max_window_bits":
			if offer && !x.hasValue {
				p.clientMaxWindowBits = -1
			} else {
				p.clientMaxWindowBits, err = bits(x)
			}
		default:
			return p, fmt.Errorf("unknown parameter %s", x.name)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// checkDeflateResponse checks the server's answer to the fuzzing client's
// offers. It returns nil parameters if the server declined the extension,
// and an error if the answer breaks RFC 7692 (which obliges the client to
// fail the connection).
func checkDeflateResponse(values []string, n *DeflateNegotiation) (*deflateParams, error) {
	header := strings.Join(values, ", ")
	exts, err := parseExtensions(values)
	if err != nil {
		return nil, fmt.Errorf("malformed Sec-WebSocket-Extensions %q in the response: %v", header, err)
	}
	if len(exts) == 0 {
		return nil, nil
	}
	if len(exts) > 1 || exts[0].name != "permessage-deflate" {
		return nil, fmt.Errorf("the server enabled %q; only permessage-deflate was offered, once", header)
	}
	r, err := parsePMD(exts[0], false)
	if err != nil {
		return nil, fmt.Errorf("bad permessage-deflate response %q: %v", header, err)
	}
	// The response must accept one of the offers: grant what it requests
	// (7.1.1.1, 7.1.2.1); the client allowed the rest in every offer.
	var why []string
	matched := false
	for i, o := range n.Offers {
		switch {
		case o.ServerNoContextTakeover && !r.serverNoTakeover:
			why = append(why, fmt.Sprintf("offer %d asked for server_no_context_takeover", i+1))
		case o.ServerMaxWindowBits != 0 && r.serverMaxWindowBits == 0:
			why = append(why, fmt.Sprintf("offer %d asked for server_max_window_bits=%d and the response has none", i+1, o.ServerMaxWindowBits))
		case o.ServerMaxWindowBits != 0 && r.serverMaxWindowBits > o.ServerMaxWindowBits:
			why = append(why, fmt.Sprintf("offer %d asked for server_max_window_bits=%d and the response has %d", i+1, o.ServerMaxWindowBits, r.serverMaxWindowBits))
		default:
			matched = true
		}
		if matched {
			break
		}
	}
	if !matched {
		return nil, fmt.Errorf("the response %q accepts none of the offers: %s", header, strings.Join(why, "; "))
	}
	p := &deflateParams{header: header, rxWindowBits: 15, txWindowBits: 15,
		rxNoTakeover: r.serverNoTakeover,
		txNoTakeover: true, // the offers said client_no_context_takeover
	}
	if r.serverMaxWindowBits != 0 {
		p.rxWindowBits = r.serverMaxWindowBits
	}
	if r.clientMaxWindowBits != 0 {
		p.txWindowBits = r.clientMaxWindowBits
	}
	return p, nil
}

// acceptDeflate is the fuzzing server's answer to a client's offers: the
// response header and parameters, or nil and why it declined.
func acceptDeflate(values []string, n *DeflateNegotiation) (*deflateParams, string) {
	exts, err := parseExtensions(values)
	if err != nil {
		return nil, fmt.Sprintf("malformed Sec-WebSocket-Extensions %q: %v", strings.Join(values, ", "), err)
	}
	var offers []pmdParams
	var bad []string
	for _, e := range exts {
		if e.name != "permessage-deflate" {
			continue
		}
		p, err := parsePMD(e, true)
		if err != nil {
			bad = append(bad, err.Error()) // RFC 7692 5: decline an invalid offer
			continue
		}
		offers = append(offers, p)
	}
	if len(offers) == 0 {
		why := "the client offered no permessage-deflate"
		if len(bad) > 0 {
			why += " that is valid: " + strings.Join(bad, "; ")
		}
		return nil, why
	}
	for _, a := range n.Accept {
		for _, o := range offers {
			if a.ClientNoContextTakeover && !o.clientNoTakeover || a.ClientMaxWindowBits != 0 && o.clientMaxWindowBits == 0 {
				continue
			}
			h := "permessage-deflate"
			p := &deflateParams{rxWindowBits: 15, txWindowBits: 15}
			if o.serverNoTakeover {
				h += "; server_no_context_takeover"
				p.txNoTakeover = true
			}
			if o.serverMaxWindowBits != 0 {
				h += "; server_max_window_bits=" + strconv.Itoa(o.serverMaxWindowBits)
				p.txWindowBits = o.serverMaxWindowBits
			}
			// A client that offered client_no_context_takeover said it will
			// not use context takeover (RFC 7692 7.1.1.2), and one that gave
			// client_max_window_bits a value, that it keeps to it (7.1.2.2).
			p.rxNoTakeover = a.ClientNoContextTakeover || o.clientNoTakeover
			if a.ClientNoContextTakeover {
				h += "; client_no_context_takeover"
			}
			if a.ClientMaxWindowBits != 0 {
				h += "; client_max_window_bits=" + strconv.Itoa(a.ClientMaxWindowBits)
				p.rxWindowBits = a.ClientMaxWindowBits
			}
			if o.clientMaxWindowBits > 0 {
				p.rxWindowBits = min(p.rxWindowBits, o.clientMaxWindowBits)
			}
			p.header = h
			return p, ""
		}
	}
	var prefs []string
	for _, a := range n.Accept {
		prefs = append(prefs, a.String())
	}
	return nil, fmt.Sprintf("none of the client's offers allows the fuzzing server to %s", strings.Join(prefs, ", or "))
}

// deflateSession is a connection's permessage-deflate state.
type deflateSession struct {
	p      deflateParams
	rxHist []byte // the peer's last decompressed bytes (rx context takeover)
	buf    []byte // decoding buffer
	expect []byte // the message the peer should send next, for checkCache
	out    []byte // frames being sent

	// For the log.
	rxCompressed, rxPlain, rxFromCache int
	rxBytes, rxRaw                     int64 // compressed and decompressed bytes of compressed messages
	rxFinal, rxFlushes, rxMaxDist      int
}

func newDeflateSession(p *deflateParams) *deflateSession {
	if p == nil {
		return nil
	}
	return &deflateSession{p: *p}
}

// checkMin is the smallest message whose check is cached: smaller ones
// decode faster than they hash.
const checkMin = 4096

// checkKey identifies one check of a compressed message: these compressed
// bytes, decoded strictly after this history with this window, gave
// exactly the expected message (a slice of a shared payload, identified
// by its first byte's address and its length). Decoding is a function of
// bytes, history and window, so a message seen again needs no second
// decoding: groups 12 and 13 send the same slices over and over, and
// without context takeover the peer compresses them the same way.
type checkKey struct {
	payload, history [32]byte
	windowBits       int
	exp              *byte
	expLen           int
}

var checkCache sync.Map // checkKey → struct{}

// inflate checks and decompresses a compressed message from the peer.
func (d *deflateSession) inflate(msg []byte) ([]byte, error) {
	var hist []byte
	w := 1 << d.p.rxWindowBits
	if !d.p.rxNoTakeover {
		hist = d.rxHist[max(0, len(d.rxHist)-w):]
	}
	d.rxCompressed++
	d.rxBytes += int64(len(msg))
	exp := d.expect
	var key checkKey
	cacheable := len(exp) >= checkMin
	if cacheable {
		key = checkKey{payload: sha256.Sum256(msg), windowBits: d.p.rxWindowBits, exp: &exp[0], expLen: len(exp)}
		if len(hist) > 0 {
			key.history = sha256.Sum256(hist)
		}
		if _, ok := checkCache.Load(key); ok {
			d.rxFromCache++
			d.rxRaw += int64(len(exp))
			d.remember(exp)
			return exp, nil
		}
	}
	out, st, err := deflatecheck.Decode(d.buf[:0], hist, msg, deflatecheck.Options{
		WindowBits: d.p.rxWindowBits,
		AllowFinal: true, // RFC 7692 7.2.3.4
		AllowFlush: true, // flushes inside a message are valid DEFLATE
		Limit:      maxRxPayload,
	})
	d.buf = out
	if err != nil {
		ct := "no history (no context takeover)"
		if !d.p.rxNoTakeover {
			ct = fmt.Sprintf("%d bytes of history (context takeover)", len(hist))
		}
		return nil, fmt.Errorf("a compressed message of %d bytes that does not decode with a window of %d bytes and %s: %v", len(msg), w, ct, err)
	}
	d.rxRaw += int64(len(out))
	d.rxMaxDist = max(d.rxMaxDist, st.MaxDist)
	if st.Final {
		d.rxFinal++
	}
	d.rxFlushes += st.Flushes
	d.remember(out)
	if bytes.Equal(out, exp) {
		if cacheable {
			checkCache.Store(key, struct{}{})
		}
		return exp, nil
	}
	return bytes.Clone(out), nil
}

// remember adds a decompressed message to the history under context
// takeover: the window's last bytes, kept in a buffer of twice the window
// so that they move only now and then.
func (d *deflateSession) remember(p []byte) {
	if d.p.rxNoTakeover {
		return
	}
	w := 1 << d.p.rxWindowBits
	if len(p) >= w {
		d.rxHist = append(d.rxHist[:0], p[len(p)-w:]...)
		return
	}
	if len(d.rxHist)+len(p) > 2*w {
		keep := w - len(p)
		d.rxHist = append(d.rxHist[:0], d.rxHist[len(d.rxHist)-keep:]...)
	}
	d.rxHist = append(d.rxHist, p...)
}

// compressed returns the fuzzer's compressed form of data[off:off+n],
// the next message after sent bytes of earlier messages on this
// connection: with compress/flate at the default level; with
// flate.HuffmanOnly (no back-references at all) when the peer limited the
// window below 15 bits, which compress/flate cannot keep to; and under
// context takeover against a dictionary of the bytes before it, which are
// the peer's history too. Results are cached: the same slice with the same
// dictionary compresses the same way.
func (d *deflateSession) compressed(data []byte, off, n int, sent int64) []byte {
	key := txKey{data: &data[0], off: off, n: n}
	switch {
	case d.p.txWindowBits < 15:
		key.mode = -1
	case !d.p.txNoTakeover:
		key.mode = int(min(sent, int64(dictSize(n))))
	}
	if c, ok := txCache.Load(key); ok {
		return c.([]byte)
	}
	var dict []byte
	if key.mode > 0 {
		// The dictMode bytes of the payload before off, which wraps around.
		if off >= key.mode {
			dict = data[off-key.mode : off]
		} else {
			dict = append(append([]byte(nil), data[len(data)-(key.mode-off):]...), data[:off]...)
		}
	}
	level := flate.DefaultCompression
	if key.mode < 0 {
		level = flate.HuffmanOnly
	}
	c := flateCompress(data[off:off+n], dict, level)
	txCache.Store(key, c)
	return c
}

// dictSize is how much history the fuzzer compresses a message of n bytes
// against under context takeover: the whole window for large messages,
// less for small ones (the dictionary is compressed along each time).
func dictSize(n int) int { return min(1<<15, max(4*n, 4096)) }

type txKey struct {
	data   *byte
	off, n int
	mode   int // -1: Huffman only; 0: no dictionary; else the dictionary's size
}

var txCache sync.Map // txKey → []byte

// flateWriters pools writers per level (index level+2: HuffmanOnly is -2).
var flateWriters [12]sync.Pool

type flateWriter struct {
	level int
	w     *flate.Writer
	buf   bytes.Buffer
}

// flateCompress compresses msg as one permessage-deflate message: the
// deflate data up to a sync flush, minus its 4-byte tail. A dictionary is
// compressed first and its output dropped, which leaves it in the window
// (flate.NewWriterDict would, but up to Go 1.26 it can copy the dictionary
// into the output when the first block is stored: golang.org/issue/80538).
func flateCompress(msg, dict []byte, level int) []byte {
	pool := &flateWriters[level+2]
	fw, _ := pool.Get().(*flateWriter)
	if fw == nil {
		fw = &flateWriter{level: level}
		fw.w, _ = flate.NewWriter(&fw.buf, level)
	}
	fw.buf.Reset()
	fw.w.Reset(&fw.buf)
	if len(dict) > 0 {
		fw.w.Write(dict)
		fw.w.Flush()
		fw.buf.Reset()
	}
	fw.w.Write(msg)
	fw.w.Flush()
	out := bytes.Clone(bytes.TrimSuffix(fw.buf.Bytes(), []byte{0, 0, 0xff, 0xff}))
	pool.Put(fw)
	return out
}
