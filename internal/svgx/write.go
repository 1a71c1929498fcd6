package svgx

import "strings"

// AppendAttrValue appends s escaped for a double-quoted attribute value.
func AppendAttrValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\n':
			b = append(b, "&#xA;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		case '\t':
			b = append(b, "&#x9;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// AppendText appends s escaped as character data.
func AppendText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// AppendStart appends "<tag a="v"...>" (or "/>" when selfClose).
func AppendStart(b []byte, tag string, attrs []Attr, selfClose bool) []byte {
	b = append(b, '<')
	b = append(b, tag...)
	for _, a := range attrs {
		b = append(b, ' ')
		b = append(b, a.Name...)
		b = append(b, '=', '"')
		b = AppendAttrValue(b, a.Value)
		b = append(b, '"')
	}
	if selfClose {
		return append(b, '/', '>')
	}
	return append(b, '>')
}

// AppendEnd appends "</tag>".
func AppendEnd(b []byte, tag string) []byte {
	b = append(b, '<', '/')
	b = append(b, tag...)
	return append(b, '>')
}

// ValidName reports whether s is usable as an element or attribute name.
func ValidName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// ParseStyleArgs interprets svgo's variadic style arguments: a string with
// '=' after its first byte is one or more name="value" attributes, any other
// non-empty string is a style attribute value. This is svgo's own rule
// (svg.go endstyle).
func ParseStyleArgs(args []string, dst []Attr) ([]Attr, error) {
	for _, s := range args {
		if strings.Index(s, "=") > 0 {
			var d Doc
			if err := d.Parse("<x " + s + "/>"); err != nil {
				return dst, err
			}
			dst = append(dst, d.Elems[0].Attrs...)
			continue
		}
		if s != "" {
			dst = append(dst, Attr{"style", s})
		}
	}
	return dst, nil
}
