package deflate

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Deterministic test payloads, generated rather than committed.

var words = strings.Fields(`the of and to in is was that for it with as his on be at by had are
but from or have an they which one you were all her she there would their we him been has when
who will more no if out so said what up its about into than them can only other new some could
time these two may then do first any my now such like our over man me even most made after also
did many before must through back years where much your way well down should because each just
those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year off
come since against go came right used take three simulation server browser frame message window
compression socket scene vector point circle particle energy velocity`)

func textPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for b.Len() < n {
		sentence := 5 + r.IntN(15)
		for i := range sentence {
			w := words[r.IntN(len(words))]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			switch {
			case i == sentence-1:
				b.WriteString(". ")
			case r.IntN(10) == 0:
				b.WriteString(", ")
			default:
				b.WriteByte(' ')
			}
		}
		if r.IntN(6) == 0 {
			b.WriteString("\n\n")
		}
	}
	return []byte(b.String()[:n])
}

func jsonPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	var b strings.Builder
	b.WriteString(`{"frame":1,"nodes":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"n%d","kind":"%s","x":%.3f,"y":%.3f,"r":%d,"fill":"#%06x","visible":%t,"label":"%s %s"}`,
			i, []string{"circle", "rect", "path", "text"}[r.IntN(4)], r.Float64()*1000, r.Float64()*800,
			1+r.IntN(40), r.IntN(1<<24), r.IntN(2) == 0, words[r.IntN(len(words))], words[r.IntN(len(words))])
	}
	b.WriteString("]}")
	return []byte(b.String()[:n])
}

func htmlPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>vizserve</title></head>\n<body>\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<div class=\"card card-%d\" id=\"item-%d\">\n  <h2 class=\"title\">%s %s</h2>\n  <p class=\"body\">",
			r.IntN(5), i, words[r.IntN(len(words))], words[r.IntN(len(words))])
		for range 8 + r.IntN(20) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "</p>\n  <a href=\"/scene/%d?view=full\" class=\"link\">open</a>\n</div>\n", r.IntN(1000))
	}
	return []byte(b.String()[:n])
}

// bitmapPayload is a 24-bit image: gradient background, flat rectangles
// and a little noise, row by row like an uncompressed bitmap.
func bitmapPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 4))
	const width = 320
	type rect struct{ x0, y0, x1, y1, c int }
	var rects []rect
	for range 12 {
		x, y := r.IntN(width), r.IntN(400)
		rects = append(rects, rect{x, y, x + 10 + r.IntN(120), y + 10 + r.IntN(80), r.IntN(1 << 24)})
	}
	out := make([]byte, 0, n+3*width)
	for y := 0; len(out) < n; y++ {
		for x := range width {
			c := (x * 255 / width) | (y%256)<<8 | 0x40<<16
			for _, q := range rects {
				if x >= q.x0 && x < q.x1 && y%400 >= q.y0 && y%400 < q.y1 {
					c = q.c
				}
			}
			if r.IntN(16) == 0 {
				c ^= r.IntN(4)
			}
			out = append(out, byte(c), byte(c>>8), byte(c>>16))
		}
	}
	return out[:n]
}

func randomPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 5))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

// periodicPayload repeats a random block of period bytes: with a period
// just above the window, no back-reference may use the repetition.
func periodicPayload(n, period int, seed uint64) []byte {
	unit := randomPayload(period, seed)
	out := make([]byte, n)
	for i := range out {
		out[i] = unit[i%period]
	}
	return out
}

type payload struct {
	name string
	data []byte
}

// payloads returns the data kinds of the round trip tests for a window.
func payloads(window int, short bool) []payload {
	big := 200 << 10
	zeros := 1 << 20
	if short {
		big, zeros = 40<<10, 100<<10
	}
	ps := []payload{
		{"empty", nil},
		{"one byte", []byte{'x'}},
		{"three bytes", []byte("abc")},
		{"four equal", []byte("aaaa")},
		{"text", textPayload(big, 1)},
		{"json", jsonPayload(big, 2)},
		{"html", htmlPayload(big/2, 3)},
		{"bitmap", bitmapPayload(big, 4)},
		{"random", randomPayload(big/2, 5)},
		{"zeros", make([]byte, zeros)},
		{"binary mix", append(append(randomPayload(3000, 6), make([]byte, 5000)...), jsonPayload(9000, 7)...)},
		{"short text", textPayload(100, 8)},
	}
	for _, p := range []int{window - 1, window, window + 1, 2*window + 3} {
		ps = append(ps, payload{fmt.Sprintf("period %d", p), periodicPayload(min(big, 20*p+1000), p, uint64(p))})
	}
	return ps
}
