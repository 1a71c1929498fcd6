// Package payload generates the five kinds of data that Autobahn's
// compression cases (group 12) send, deterministically and without files:
// JSON, an image, prose, HTML and a PDF, Size bytes each.
//
//	for _, k := range payload.Kinds {
//		data := k.Data() // generated on first use, then shared
//		send(data[:4096], k.Binary())
//	}
//
// Autobahn sends slices of real files (a JSON document, a 512×512 grey
// bitmap, Goethe's Faust from Project Gutenberg, an HTML page, a PDF
// paper). These stand in for them: each has the structure that decides
// how well DEFLATE does on it (repeated keys and markup, runs and
// gradients in pixels, a vocabulary of words, compressed streams that do
// not compress again), so ratios and speeds are of the same kind.
//
// Size is 256 KiB, so that every power-of-two message size up to 128 KiB
// divides it: a sequence of slices taken one after the other repeats
// after Size/n messages. JSON and HTML are ASCII, so any slice of them is
// valid UTF-8 and can go as a text message; the others go as binary, as
// Autobahn sends them.
package payload

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Size is the length of every kind's data.
const Size = 256 << 10

// Kind is one kind of payload.
type Kind int

// The kinds, in the order of Autobahn's subgroups 12.1 to 12.5.
const (
	JSON Kind = iota
	Image
	Prose
	HTML
	PDF
)

// Kinds lists every kind in order.
var Kinds = []Kind{JSON, Image, Prose, HTML, PDF}

var kindInfo = [...]struct {
	name, desc string
	binary     bool
	gen        func() []byte
}{
	JSON:  {"json", "JSON records (ASCII)", false, genJSON},
	Image: {"image", "a 24-bit BMP image with gradients and shapes", true, genImage},
	Prose: {"prose", "German prose and verse (UTF-8, sent as binary)", true, genProse},
	HTML:  {"html", "an HTML page (ASCII)", false, genHTML},
	PDF:   {"pdf", "a PDF with text and compressed streams", true, genPDF},
}

// String returns the kind's short name: json, image, prose, html or pdf.
func (k Kind) String() string { return kindInfo[k].name }

// Description says what the data is, for case descriptions.
func (k Kind) Description() string { return kindInfo[k].desc }

// Binary reports whether the kind goes in binary messages (text ones are
// ASCII, valid UTF-8 however they are cut).
func (k Kind) Binary() bool { return kindInfo[k].binary }

var (
	once [len(kindInfo)]sync.Once
	data [len(kindInfo)][]byte
)

// Data returns the kind's Size bytes, generated on the first call and
// shared afterwards: callers must not modify them.
func (k Kind) Data() []byte {
	once[k].Do(func() {
		b := kindInfo[k].gen()
		if len(b) != Size {
			panic(fmt.Sprintf("payload: %s generated %d bytes, want %d", k, len(b), Size))
		}
		data[k] = b
	})
	return data[k]
}

// Parse returns the kind with the given name.
func Parse(name string) (Kind, error) {
	for _, k := range Kinds {
		if k.String() == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("payload: no kind %q (json, image, prose, html, pdf)", name)
}

// rng returns the generator for one kind: every kind has its own seed.
func rng(k Kind) *rand.Rand { return rand.New(rand.NewPCG(0x76697a73, uint64(k)+1)) }

// pick returns a random element of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// padTo fills b up to n bytes with fill, or cuts it to n at a boundary
// where it is still valid UTF-8.
func padTo(b []byte, n int, fill byte) []byte {
	if len(b) > n {
		b = b[:n]
		for len(b) > 0 && b[len(b)-1] >= 0x80 { // no cut multi-byte sequences
			b = b[:len(b)-1]
		}
	}
	for len(b) < n {
		b = append(b, fill)
	}
	return b
}

// JSON: an array of records, as an API or a scene snapshot returns them,
// then whitespace before the closing brackets to reach Size exactly. The
// whole is valid JSON.

var (
	firstNames = []string{"Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Klara", "Leon", "Mia", "Noah", "Olga", "Paul"}
	lastNames  = []string{"Schmidt", "Meyer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Braun"}
	cities     = []string{"Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Leipzig", "Dresden", "Bremen", "Hanover", "Nuremberg"}
	tags       = []string{"physics", "particles", "gravity", "fluid", "cells", "traffic", "orbits", "waves", "swarm", "lattice", "heat", "springs"}
	statuses   = []string{"running", "paused", "stopped", "finished"}
)

func genJSON() []byte {
	r := rng(JSON)
	var b bytes.Buffer
	b.WriteString("{\"version\":3,\"generated\":\"2026-05-04T12:00:00Z\",\"simulations\":[\n")
	for i := 0; b.Len() < Size-1200; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		first, last := pick(r, firstNames), pick(r, lastNames)
		fmt.Fprintf(&b, `{"id":%d,"uuid":"%08x-%04x-%04x-%04x-%012x","name":"%s %s's %s","owner":{"first":"%s","last":"%s","email":"%s.%s@example.org","city":"%s"},`,
			10000+i, r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Uint64()&(1<<48-1),
			first, last, pick(r, tags), first, last, strings.ToLower(first), strings.ToLower(last), pick(r, cities))
		fmt.Fprintf(&b, `"status":"%s","tick":%d,"dt":%.4f,"paused":%t,"viewers":%d,"tags":[`,
			pick(r, statuses), r.IntN(1_000_000), 1/float64(30+r.IntN(90)), r.IntN(4) == 0, r.IntN(40))
		for j := range 1 + r.IntN(3) {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q", pick(r, tags))
		}
		b.WriteString(`],"bodies":[`)
		for j := range 2 + r.IntN(5) {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"x":%.2f,"y":%.2f,"vx":%.3f,"vy":%.3f,"mass":%.1f}`,
				r.Float64()*800, r.Float64()*600, r.NormFloat64(), r.NormFloat64(), 1+r.Float64()*9)
		}
		fmt.Fprintf(&b, `],"created":"2026-%02d-%02dT%02d:%02d:%02dZ"}`, 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
	}
	b.WriteString("\n")
	const end = "]}\n"
	out := padTo(b.Bytes(), Size-len(end), ' ')
	return append(out, end...)
}

// Image: a 24-bit BMP, 256×340 pixels: a sky gradient, hills, a sun, a few
// objects, soft shading and a little sensor noise. Its pixel data starts
// at offset 1024 (the header says so; the gap is zeros), which makes the
// file exactly Size bytes.

func genImage() []byte {
	const w, h, off = 256, 340, 1024
	const stride = w * 3 // a multiple of 4: no row padding
	b := make([]byte, Size)
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], Size)
	binary.LittleEndian.PutUint32(b[10:], off)
	binary.LittleEndian.PutUint32(b[14:], 40) // BITMAPINFOHEADER
	binary.LittleEndian.PutUint32(b[18:], w)
	binary.LittleEndian.PutUint32(b[22:], h)
	binary.LittleEndian.PutUint16(b[26:], 1)  // planes
	binary.LittleEndian.PutUint16(b[28:], 24) // bits per pixel
	binary.LittleEndian.PutUint32(b[34:], stride*h)
	binary.LittleEndian.PutUint32(b[38:], 2835) // 72 dpi
	binary.LittleEndian.PutUint32(b[42:], 2835)

	r := rng(Image)
	type disc struct {
		x, y, rad float64
		c         [3]float64
	}
	var discs []disc
	for range 9 {
		discs = append(discs, disc{r.Float64() * w, 40 + r.Float64()*(h-120), 8 + r.Float64()*30,
			[3]float64{40 + r.Float64()*200, 40 + r.Float64()*200, 40 + r.Float64()*200}})
	}
	clamp := func(v float64) byte { return byte(math.Max(0, math.Min(255, math.Round(v)))) }
	for y := range h { // BMP rows go bottom up; y counts from the top here
		row := b[off+(h-1-y)*stride:]
		for x := range w {
			fx, fy := float64(x), float64(y)
			t := fy / h
			// Sky: blue to pale towards the horizon.
			c := [3]float64{90 + 120*t, 140 + 90*t, 230 - 20*t}
			// Sun with a soft edge.
			if d := math.Hypot(fx-200, fy-60); d < 34 {
				a := math.Min(1, (34-d)/4)
				c = [3]float64{c[0]*(1-a) + 255*a, c[1]*(1-a) + 220*a, c[2]*(1-a) + 120*a}
			}
			// Two hills, shaded by slope.
			hill1 := 230 + 30*math.Sin(fx/40) + 12*math.Sin(fx/13)
			hill2 := 270 + 20*math.Sin(fx/55+2)
			switch {
			case fy > hill2:
				shade := 0.7 + 0.3*math.Cos(fx/55+2)
				c = [3]float64{50 * shade, 120 * shade, 40 * shade}
			case fy > hill1:
				shade := 0.75 + 0.25*math.Cos(fx/40)
				c = [3]float64{90 * shade, 150 * shade, 70 * shade}
			}
			for _, d := range discs {
				if dist := math.Hypot(fx-d.x, fy-d.y); dist < d.rad {
					light := 1 - 0.5*dist/d.rad*(0.5+0.5*(fx-d.x+fy-d.y)/(2*d.rad))
					c = [3]float64{d.c[0] * light, d.c[1] * light, d.c[2] * light}
				}
			}
			// A house: wall, roof, window.
			if fx >= 40 && fx < 100 && fy >= 250 && fy < 300 {
				c = [3]float64{200, 180, 150}
				if fx >= 60 && fx < 78 && fy >= 262 && fy < 280 {
					c = [3]float64{60, 90, 140}
				}
			}
			if fy >= 220 && fy < 250 && math.Abs(fx-70) < (fy-220)*1.1 {
				c = [3]float64{150, 50, 40}
			}
			// Sensor noise: what keeps real photographs from compressing well.
			n := r.NormFloat64() * 5
			px := row[3*x:]
			px[0], px[1], px[2] = clamp(c[2]+n), clamp(c[1]+n), clamp(c[0]+n) // BGR
		}
	}
	return b
}

// Prose: a German play in the layout of a Project Gutenberg text: speaker
// names in capitals, verses of a few words, stage directions, umlauts.

var (
	speakers = []string{"FAUST", "MEPHISTOPHELES", "WAGNER", "GRETCHEN", "MARTHE", "CHOR DER ENGEL", "SCHÜLER", "HEXE"}
	nouns    = []string{"Welt", "Geist", "Nacht", "Herz", "Himmel", "Erde", "Wissenschaft", "Stunde", "Seele", "Liebe", "Buch", "Teufel",
		"Natur", "Leben", "Tag", "Licht", "Tod", "Glück", "Freund", "Mädchen", "Mutter", "Straße", "Tür", "Kammer", "Blume", "Traum", "Wort", "Gott"}
	verbs = []string{"ist", "war", "hat", "sieht", "spricht", "geht", "kommt", "liebt", "sucht", "findet", "weiß", "fühlt", "bleibt",
		"schläft", "träumt", "zieht", "führt", "möchte", "kann", "muß", "soll", "darf", "lebt", "stirbt", "rufe", "höre"}
	others = []string{"und", "der", "die", "das", "nicht", "mich", "dich", "mir", "wie", "so", "in", "mit", "auf", "zu", "noch", "schon",
		"doch", "ach", "nur", "ein", "eine", "mein", "dein", "sein", "wohl", "nie", "hier", "dort", "über", "für", "schön", "süß", "früh", "müde", "ganz", "alle"}
	stage = []string{"Nacht. In einem hochgewölbten, engen gotischen Zimmer", "Vor dem Tor", "Studierzimmer", "Auerbachs Keller in Leipzig",
		"Hexenküche", "Straße", "Abend. Ein kleines reinliches Zimmer", "Garten", "Wald und Höhle", "Dom"}
)

func genProse() []byte {
	r := rng(Prose)
	var b bytes.Buffer
	b.WriteString("Faust. Eine Tragödie (nachgebildet)\n\n")
	word := func() string {
		switch r.IntN(7) {
		case 0, 1:
			return pick(r, nouns)
		case 2:
			return pick(r, verbs)
		}
		return pick(r, others)
	}
	for scene := 1; b.Len() < Size; scene++ {
		fmt.Fprintf(&b, "\n\n%s.\n\n", pick(r, stage))
		for range 6 + r.IntN(10) {
			fmt.Fprintf(&b, "%s:\n", pick(r, speakers))
			if r.IntN(5) == 0 {
				fmt.Fprintf(&b, "(%s %s.)\n", pick(r, nouns), pick(r, verbs))
			}
			for range 2 + r.IntN(8) {
				n := 4 + r.IntN(5)
				for i := range n {
					w := word()
					if i == 0 {
						first, size := utf8.DecodeRuneInString(w)
						w = string(unicode.ToUpper(first)) + w[size:]
					}
					b.WriteString(w)
					if i < n-1 {
						b.WriteByte(' ')
					}
				}
				b.WriteString(pick(r, []string{",", ",", ".", "!", "?", ";", ""}) + "\n")
			}
			b.WriteByte('\n')
		}
	}
	return padTo(b.Bytes(), Size, '\n')
}

// HTML: a documentation page: head with styles, navigation, sections of
// paragraphs, lists, tables and code, a footer. ASCII only (entities for
// anything else).

func genHTML() []byte {
	r := rng(HTML)
	words := []string{"scene", "node", "patch", "viewer", "browser", "server", "frame", "circle", "path", "attribute", "event",
		"pointer", "slider", "control", "message", "socket", "window", "update", "simulation", "particle", "velocity", "render",
		"the", "a", "of", "to", "and", "is", "in", "each", "every", "when", "with", "without", "once", "then", "sends", "keeps"}
	sentence := func() string {
		n := 6 + r.IntN(12)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = pick(r, words)
		}
		s := strings.Join(ws, " ")
		return strings.ToUpper(s[:1]) + s[1:] + "."
	}
	var b bytes.Buffer
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vizserve reference</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
nav { position: fixed; width: 14rem; height: 100%; overflow: auto; background: #f4f4f4; }
main { margin-left: 15rem; max-width: 48rem; padding: 1rem 2rem; }
pre { background: #f8f8f8; padding: 0.5rem; overflow-x: auto; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }
</style>
</head>
<body>
`)
	const sections = 60
	b.WriteString("<nav>\n<ul class=\"toc\">\n")
	for i := 1; i <= sections; i++ {
		fmt.Fprintf(&b, "  <li><a href=\"#sec-%d\" class=\"toc-link\">%d. %s %s</a></li>\n", i, i, pick(r, words), pick(r, words))
	}
	b.WriteString("</ul>\n</nav>\n<main>\n")
	const end = "</main>\n<footer class=\"site-footer\"><p>&copy; 2026 vizserve authors &middot; <a href=\"/\">home</a></p></footer>\n</body>\n</html>\n"
	for i := 1; b.Len() < Size-len(end)-4000; i++ {
		fmt.Fprintf(&b, "<section id=\"sec-%d\" class=\"section\">\n<h2>%d. %s</h2>\n", i, i, sentence())
		for range 2 + r.IntN(4) {
			switch r.IntN(5) {
			case 0:
				b.WriteString("<ul class=\"list\">\n")
				for range 3 + r.IntN(5) {
					fmt.Fprintf(&b, "  <li><code>%s</code> &mdash; %s</li>\n", pick(r, words), sentence())
				}
				b.WriteString("</ul>\n")
			case 1:
				b.WriteString("<table class=\"params\">\n<tr><th>Name</th><th>Type</th><th>Default</th><th>Description</th></tr>\n")
				for range 3 + r.IntN(6) {
					fmt.Fprintf(&b, "<tr><td><code>%s%s</code></td><td>%s</td><td>%d</td><td>%s</td></tr>\n",
						strings.ToUpper(pick(r, words)[:1]), pick(r, words), pick(r, []string{"int", "float64", "string", "bool", "time.Duration"}), r.IntN(1000), sentence())
				}
				b.WriteString("</table>\n")
			case 2:
				fmt.Fprintf(&b, "<pre><code class=\"language-go\">func (s *Scene) %s(ctx context.Context, id string) error {\n\tif err := s.%s(id); err != nil {\n\t\treturn fmt.Errorf(&quot;%s: %%w&quot;, err)\n\t}\n\treturn nil\n}</code></pre>\n",
					strings.ToUpper(pick(r, words)[:1])+pick(r, words), pick(r, words), pick(r, words))
			default:
				b.WriteString("<p>")
				for j := range 2 + r.IntN(5) {
					if j > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(sentence())
					if r.IntN(4) == 0 {
						fmt.Fprintf(&b, " See <a href=\"#sec-%d\">section %d</a>.", 1+r.IntN(sections), 1+r.IntN(sections))
					}
				}
				b.WriteString("</p>\n")
			}
		}
		b.WriteString("</section>\n")
	}
	out := padTo(b.Bytes(), Size-len(end), '\n')
	return append(out, end...)
}

// PDF: pages whose content streams are text operators, fonts and an image
// as FlateDecode streams (compressed data, which does not compress again),
// an xref table with the objects' offsets and a trailer. A comment before
// the xref fills the file to Size.

func genPDF() []byte {
	r := rng(PDF)
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	var offsets []int
	obj := func(body string) int {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
		return len(offsets)
	}
	stream := func(dict string, data []byte) int {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n<< %s /Length %d >>\nstream\n", len(offsets), dict, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
		return len(offsets)
	}
	deflate := func(p []byte) []byte {
		var z bytes.Buffer
		w, _ := flate.NewWriter(&z, flate.BestCompression)
		w.Write(p)
		w.Close()
		return z.Bytes()
	}
	catalog := obj("<< /Type /Catalog /Pages 2 0 R >>")
	pagesAt := len(offsets)
	obj("") // the page tree, written once the pages are known
	font := obj("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>")
	// An embedded font program and an image: compressed, high entropy.
	glyphs := make([]byte, 60000)
	for i := range glyphs {
		glyphs[i] = byte(r.IntN(256) & (0xF0 | r.IntN(16)))
	}
	stream("/Filter /FlateDecode /Length1 60000", deflate(glyphs))
	pixels := make([]byte, 160*120*3)
	for i := range pixels {
		pixels[i] = byte(128 + 60*math.Sin(float64(i%360)/25) + r.NormFloat64()*25)
	}
	img := stream("/Type /XObject /Subtype /Image /Width 160 /Height 120 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", deflate(pixels))
	words := []string{"the", "compression", "ratio", "of", "messages", "is", "measured", "for", "each", "window", "size", "and", "level",
		"results", "show", "that", "context", "takeover", "improves", "small", "frames", "while", "memory", "per", "connection", "grows", "Table", "Figure"}
	var pages []int
	for len(pages) < 200 && b.Len() < Size-6000 {
		var c bytes.Buffer
		c.WriteString("BT\n/F1 10 Tf\n12 TL\n72 720 Td\n")
		for range 20 + r.IntN(25) {
			n := 8 + r.IntN(8)
			ws := make([]string, n)
			for i := range ws {
				ws[i] = pick(r, words)
			}
			fmt.Fprintf(&c, "(%s) Tj T*\n", strings.Join(ws, " "))
		}
		c.WriteString("ET\n")
		if r.IntN(3) == 0 {
			fmt.Fprintf(&c, "q 240 0 0 180 %d %d cm /Im1 Do Q\n", 72+r.IntN(200), 100+r.IntN(300))
		}
		var content int
		if r.IntN(2) == 0 {
			content = stream("", c.Bytes())
		} else {
			content = stream("/Filter /FlateDecode", deflate(c.Bytes()))
		}
		pages = append(pages, obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>", content, font, img)))
	}
	// The page tree goes where its placeholder was: rewrite the file with
	// it, shifting the offsets after it.
	var kids strings.Builder
	for i, p := range pages {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", p)
	}
	placeholder := fmt.Sprintf("%d 0 obj\n\nendobj\n", pagesAt+1)
	tree := fmt.Sprintf("%d 0 obj\n<< /Type /Pages /Count %d /Kids [%s] >>\nendobj\n", pagesAt+1, len(pages), kids.String())
	at := offsets[pagesAt]
	body := append(append(append([]byte(nil), b.Bytes()[:at]...), tree...), b.Bytes()[at+len(placeholder):]...)
	shift := len(tree) - len(placeholder)
	for i := pagesAt + 1; i < len(offsets); i++ {
		offsets[i] += shift
	}
	trailer := func(xref int) []byte {
		var t bytes.Buffer
		fmt.Fprintf(&t, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
		for _, o := range offsets {
			fmt.Fprintf(&t, "%010d 00000 n \n", o)
		}
		fmt.Fprintf(&t, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, catalog, xref)
		return t.Bytes()
	}
	// A comment line fills the gap before the xref; the xref offset has the
	// same number of digits whatever the fill, so one pass finds it.
	fill := Size - len(body) - len(trailer(Size))
	if fill < 2 {
		panic(fmt.Sprintf("payload: PDF body of %d bytes leaves no room for its trailer", len(body)))
	}
	body = append(body, '%')
	body = append(body, bytes.Repeat([]byte{' '}, fill-2)...)
	body = append(body, '\n')
	return append(body, trailer(len(body))...)
}
