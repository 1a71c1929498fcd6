// Package svgx is a small, strict parser and writer for the subset of XML
// that svgo (github.com/ajstarks/svgo) writes and that vizserve's own
// keyframes use: elements, double- or single-quoted attributes, character
// data with the five predefined entities and numeric references, CDATA
// sections, comments, processing instructions and a DOCTYPE without an
// internal subset. It is not a general XML parser: namespaces are names like
// any other ("xlink:href"), and DTDs are skipped.
package svgx

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds element nesting so hostile input cannot grow the stack of
// open elements without limit.
const MaxDepth = 512

// Attr is one attribute in document order.
type Attr struct {
	Name, Value string
}

// Elem is one element. Strings may share memory with the parsed source:
// clone them before keeping them beyond the next Parse.
type Elem struct {
	Tag   string
	Attrs []Attr
	// Text is the element's own leading character data (everything before
	// its first child element). Whitespace-only leading text of an element
	// that has child elements is dropped.
	Text string
	// Parent is the index of the parent element in Doc.Elems, or -1.
	Parent int
	// Synthetic marks a <tspan> made from character data that followed a
	// child element (mixed content), so that text keeps its place.
	Synthetic bool
	// kids counts child elements; used to drop whitespace-only leading text.
	kids int
}

// Doc is a parsed document: every element in document (pre-)order. A Doc
// can be reused; Parse keeps its slices' capacity.
type Doc struct {
	Elems []Elem
	attrs []Attr
	stack []int
	spans []span
	buf   []byte
}

type span struct{ start, end int }

// SyntaxError reports malformed input with a 1-based line and column.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("svg: line %d col %d: %s", e.Line, e.Col, e.Msg)
}

type parser struct {
	src string
	pos int
	d   *Doc
}

func (p *parser) errf(at int, format string, a ...any) error {
	if at > len(p.src) {
		at = len(p.src)
	}
	line := 1 + strings.Count(p.src[:at], "\n")
	col := at - strings.LastIndexByte(p.src[:at], '\n')
	return &SyntaxError{Line: line, Col: col, Msg: fmt.Sprintf(format, a...)}
}

// Parse parses src into d, replacing its previous contents. The document
// must be valid UTF-8, and every element must be closed. Several top-level
// elements are allowed (a fragment).
func (d *Doc) Parse(src string) error {
	d.Elems = d.Elems[:0]
	d.attrs = d.attrs[:0]
	d.stack = d.stack[:0]
	if !utf8.ValidString(src) {
		i := 0
		for i < len(src) {
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		p := parser{src: src}
		return p.errf(i, "invalid UTF-8")
	}
	p := parser{src: src, d: d}
	// Attribute slices point into d.attrs, which may grow while parsing;
	// record offsets first and fix the slices up at the end.
	spans := d.spans[:0]
	defer func() { d.spans = spans[:0] }()
	for p.pos < len(src) {
		lt := strings.IndexByte(src[p.pos:], '<')
		if lt < 0 {
			if err := p.chardata(p.pos, len(src)); err != nil {
				return err
			}
			p.pos = len(src)
			break
		}
		if lt > 0 {
			if err := p.chardata(p.pos, p.pos+lt); err != nil {
				return err
			}
			p.pos += lt
		}
		rest := src[p.pos:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				return p.errf(p.pos, "unterminated comment")
			}
			p.pos += 4 + end + 3
		case strings.HasPrefix(rest, "<![CDATA["):
			end := strings.Index(rest[9:], "]]>")
			if end < 0 {
				return p.errf(p.pos, "unterminated CDATA section")
			}
			p.text(rest[9 : 9+end])
			p.pos += 9 + end + 3
		case strings.HasPrefix(rest, "<?"):
			end := strings.Index(rest[2:], "?>")
			if end < 0 {
				return p.errf(p.pos, "unterminated processing instruction")
			}
			p.pos += 2 + end + 2
		case strings.HasPrefix(rest, "<!"):
			if strings.ContainsRune(rest[:strings.IndexByte(rest+">", '>')], '[') {
				return p.errf(p.pos, "DOCTYPE internal subsets are not supported")
			}
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return p.errf(p.pos, "unterminated declaration")
			}
			p.pos += end + 1
		case strings.HasPrefix(rest, "</"):
			start := p.pos
			p.pos += 2
			name := p.name()
			if name == "" {
				return p.errf(p.pos, "expected element name after </")
			}
			p.space()
			if p.pos >= len(src) || src[p.pos] != '>' {
				return p.errf(p.pos, "expected > to end </%s", name)
			}
			p.pos++
			if len(d.stack) == 0 {
				return p.errf(start, "unexpected </%s> with no open element", name)
			}
			top := d.stack[len(d.stack)-1]
			if d.Elems[top].Tag != name {
				return p.errf(start, "</%s> does not close <%s>", name, d.Elems[top].Tag)
			}
			d.stack = d.stack[:len(d.stack)-1]
		default:
			start := p.pos
			p.pos++
			tag := p.name()
			if tag == "" {
				return p.errf(start, "expected element name after <")
			}
			parent := -1
			if n := len(d.stack); n > 0 {
				parent = d.stack[n-1]
				d.Elems[parent].kids++
			}
			a0 := len(d.attrs)
			selfClose := false
			for {
				hadSpace := p.space()
				if p.pos >= len(src) {
					return p.errf(start, "unterminated <%s>", tag)
				}
				c := src[p.pos]
				if c == '>' {
					p.pos++
					break
				}
				if c == '/' {
					if p.pos+1 >= len(src) || src[p.pos+1] != '>' {
						return p.errf(p.pos, "expected /> in <%s>", tag)
					}
					p.pos += 2
					selfClose = true
					break
				}
				if !hadSpace {
					return p.errf(p.pos, "expected space before attribute in <%s>", tag)
				}
				an := p.name()
				if an == "" {
					return p.errf(p.pos, "unexpected %q in <%s>", c, tag)
				}
				p.space()
				if p.pos >= len(src) || src[p.pos] != '=' {
					return p.errf(p.pos, "attribute %s in <%s> has no value", an, tag)
				}
				p.pos++
				p.space()
				if p.pos >= len(src) || (src[p.pos] != '"' && src[p.pos] != '\'') {
					return p.errf(p.pos, "attribute %s in <%s>: value must be quoted", an, tag)
				}
				q := src[p.pos]
				end := strings.IndexByte(src[p.pos+1:], q)
				if end < 0 {
					return p.errf(p.pos, "attribute %s in <%s>: unterminated value", an, tag)
				}
				raw := src[p.pos+1 : p.pos+1+end]
				if strings.IndexByte(raw, '<') >= 0 {
					return p.errf(p.pos, "attribute %s in <%s>: '<' in value", an, tag)
				}
				v, err := p.unescape(raw, p.pos+1)
				if err != nil {
					return err
				}
				for _, a := range d.attrs[a0:] {
					if a.Name == an {
						return p.errf(p.pos, "duplicate attribute %s in <%s>", an, tag)
					}
				}
				d.attrs = append(d.attrs, Attr{an, v})
				p.pos += end + 2
			}
			d.Elems = append(d.Elems, Elem{Tag: tag, Parent: parent})
			spans = append(spans, span{a0, len(d.attrs)})
			if !selfClose {
				if len(d.stack) >= MaxDepth {
					return p.errf(start, "elements nested deeper than %d", MaxDepth)
				}
				d.stack = append(d.stack, len(d.Elems)-1)
			}
		}
	}
	if n := len(d.stack); n > 0 {
		return p.errf(len(src), "unexpected end of input: <%s> is not closed", d.Elems[d.stack[n-1]].Tag)
	}
	// Synthetic elements have no span; walk both in step.
	si := 0
	for i := range d.Elems {
		e := &d.Elems[i]
		if e.Synthetic {
			continue
		}
		s := spans[si]
		si++
		if s.end > s.start {
			e.Attrs = d.attrs[s.start:s.end:s.end]
		} else {
			e.Attrs = nil
		}
		if e.kids > 0 && isSpace(e.Text) {
			e.Text = ""
		}
	}
	return nil
}

// chardata handles the character data in src[start:end].
func (p *parser) chardata(start, end int) error {
	raw := p.src[start:end]
	if strings.IndexByte(raw, '>') >= 0 && strings.Contains(raw, "]]>") {
		return p.errf(start+strings.Index(raw, "]]>"), "]]> in character data")
	}
	v, err := p.unescape(raw, start)
	if err != nil {
		return err
	}
	p.text(v)
	return nil
}

// text appends character data to the current element: to its leading text
// if it has no child element yet, otherwise as a synthetic <tspan> (when
// not whitespace). Top-level text is ignored.
func (p *parser) text(v string) {
	d := p.d
	if len(d.stack) == 0 || v == "" {
		return
	}
	top := d.stack[len(d.stack)-1]
	e := &d.Elems[top]
	if e.kids == 0 {
		if e.Text == "" {
			e.Text = v
		} else {
			e.Text += v
		}
		return
	}
	if isSpace(v) {
		return
	}
	e.kids++
	d.Elems = append(d.Elems, Elem{Tag: "tspan", Text: v, Parent: top, Synthetic: true})
}

func isSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

func (p *parser) space() bool {
	start := p.pos
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
			continue
		}
		break
	}
	return p.pos > start
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func (p *parser) name() string {
	start := p.pos
	if p.pos >= len(p.src) || !isNameStart(p.src[p.pos]) {
		return ""
	}
	for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// unescape resolves entity and character references in raw, which starts
// at offset at in the source (for error positions). Without '&' it returns
// raw itself and allocates nothing.
func (p *parser) unescape(raw string, at int) (string, error) {
	amp := strings.IndexByte(raw, '&')
	if amp < 0 {
		return raw, nil
	}
	b := p.d.buf[:0]
	for {
		b = append(b, raw[:amp]...)
		raw = raw[amp:]
		at += amp
		semi := strings.IndexByte(raw, ';')
		if semi < 0 || semi > 12 {
			return "", p.errf(at, "unterminated entity reference")
		}
		ent := raw[1:semi]
		switch ent {
		case "amp":
			b = append(b, '&')
		case "lt":
			b = append(b, '<')
		case "gt":
			b = append(b, '>')
		case "quot":
			b = append(b, '"')
		case "apos":
			b = append(b, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				return "", p.errf(at, "unknown entity &%s;", ent)
			}
			b = utf8.AppendRune(b, r)
		}
		raw = raw[semi+1:]
		at += semi + 1
		amp = strings.IndexByte(raw, '&')
		if amp < 0 {
			b = append(b, raw...)
			break
		}
	}
	p.d.buf = b
	return string(b), nil
}

func charRef(ent string) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	digits, base := ent[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" {
		return 0, false
	}
	var r rune
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var v rune
		switch {
		case c >= '0' && c <= '9':
			v = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			v = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			v = rune(c-'A') + 10
		default:
			return 0, false
		}
		r = r*rune(base) + v
		if r > utf8.MaxRune {
			return 0, false
		}
	}
	if r == 0 || !utf8.ValidRune(r) {
		return 0, false
	}
	return r, true
}
