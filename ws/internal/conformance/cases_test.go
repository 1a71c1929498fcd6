package conformance

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// subgroup returns the ID without its last part ("6.4" for "6.4.1"); for
// two-part IDs ("2.10") the group.
func subgroup(id string) string {
	if strings.Count(id, ".") < 2 {
		g, _, _ := strings.Cut(id, ".")
		return g
	}
	return id[:strings.LastIndex(id, ".")]
}

func TestCaseCatalogue(t *testing.T) {
	cases := Cases()
	if len(cases) != 517 {
		t.Errorf("%d cases, want 517", len(cases))
	}
	counts := map[string]int{}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.ID] {
			t.Errorf("case %s twice", c.ID)
		}
		seen[c.ID] = true
		counts[subgroup(c.ID)]++
		if c.Description == "" || c.Expectation == "" {
			t.Errorf("case %s: no description or expectation", c.ID)
		}
	}
	want := map[string]int{
		"1.1": 8, "1.2": 8, "2": 11, "3": 7, "4.1": 5, "4.2": 5, "5": 20,
		"6.1": 3, "6.2": 4, "6.3": 2, "6.4": 4, "6.5": 5, "6.6": 11, "6.7": 4, "6.8": 2, "6.9": 4, "6.10": 3,
		"6.11": 5, "6.12": 8, "6.13": 5, "6.14": 10, "6.15": 1, "6.16": 3, "6.17": 5, "6.18": 5, "6.19": 5,
		"6.20": 7, "6.21": 8, "6.22": 34, "6.23": 7,
		"7.1": 6, "7.3": 6, "7.5": 1, "7.7": 13, "7.9": 9, "7.13": 2,
		"9.1": 6, "9.2": 6, "9.3": 9, "9.4": 9, "9.5": 6, "9.6": 6, "9.7": 6, "9.8": 6,
		"10.1": 1,
		"12.1": 18, "12.2": 18, "12.3": 18, "12.4": 18, "12.5": 18,
		"13.1": 18, "13.2": 18, "13.3": 18, "13.4": 18, "13.5": 18, "13.6": 18, "13.7": 18,
	}
	for g, n := range want {
		if counts[g] != n {
			t.Errorf("subgroup %s: %d cases, want %d", g, counts[g], n)
		}
	}
	for g := range counts {
		if _, ok := want[g]; !ok {
			t.Errorf("unexpected subgroup %s", g)
		}
	}
	groups := map[int]int{}
	for _, c := range cases {
		groups[c.Group()]++
	}
	for g, n := range map[int]int{1: 16, 2: 11, 3: 7, 4: 10, 5: 20, 6: 145, 7: 37, 9: 54, 10: 1, 12: 90, 13: 126} {
		if groups[g] != n {
			t.Errorf("group %d: %d cases, want %d", g, groups[g], n)
		}
	}
}

func TestCaseBodies(t *testing.T) {
	for _, c := range Cases() {
		if c.Group() == 9 && testing.Short() {
			continue // megabytes of payload
		}
		b := c.build()
		if len(b.script) == 0 {
			t.Errorf("case %s: empty script", c.ID)
		}
		if len(b.outcomes) == 0 {
			t.Fatalf("case %s: no outcomes", c.ID)
		}
		first := b.outcomes[0].Verdict
		if c.info && first != Informational || !c.info && first != OK {
			t.Errorf("case %s: first outcome %s", c.ID, first)
		}
		if len(c.close.Codes) == 0 {
			t.Errorf("case %s: no expected close status", c.ID)
		}
		if c.autoClose && !c.close.ByFuzzer {
			t.Errorf("case %s: the fuzzer closes on its own although the peer should fail", c.ID)
		}
	}
}

// TestUTF8Verdicts checks the valid/invalid verdict of every sequence of
// 6.5 to 6.23 against the standard library's RFC 3629 decoder, and a few
// by hand, and that each case expects what its verdict implies.
func TestUTF8Verdicts(t *testing.T) {
	for i, g := range utf8Sequences() {
		for j, s := range g.seqs {
			if utf8.ValidString(s.bytes) != s.valid {
				t.Errorf("6.%d.%d %x: marked valid=%v", 5+i, j+1, s.bytes, s.valid)
			}
		}
	}
	byHand := map[string]bool{
		"\xef\xbf\xbe":     true,  // U+FFFE, a noncharacter: valid UTF-8
		"\xef\xbf\xbf":     true,  // U+FFFF
		"\xf4\x8f\xbf\xbf": true,  // U+10FFFF, the last code point
		"\xf4\x8f\xbf\xbe": true,  // U+10FFFE, a noncharacter
		"\xed\x9f\xbf":     true,  // U+D7FF, just below the surrogates
		"\xed\xa0\x80":     false, // U+D800, a surrogate
		"\xed\xbf\xbf":     false, // U+DFFF
		"\xf4\x90\x80\x80": false, // above U+10FFFF
		"\xc0\xaf":         false, // overlong '/'
		"\xe0\x9f\xbf":     false, // overlong U+07FF
		"\xf0\x8f\xbf\xbf": false, // overlong U+FFFF
		"\xfe":             false,
	}
	found := map[string]bool{}
	for _, g := range utf8Sequences() {
		for _, s := range g.seqs {
			if want, ok := byHand[s.bytes]; ok {
				found[s.bytes] = true
				if s.valid != want {
					t.Errorf("%x: marked valid=%v, want %v", s.bytes, s.valid, want)
				}
			}
		}
	}
	for s := range byHand {
		if !found[s] {
			t.Errorf("%x is in none of the 6.x sequences", s)
		}
	}
	checked := 0
	for _, c := range Cases() {
		var sub int
		if _, err := fmt.Sscanf(c.ID, "6.%d.", &sub); err != nil || sub < 5 {
			continue // not one of the decoder stress sequences
		}
		checked++
		b := c.build()
		payload := b.script[0].(sendStep).frames[0].payload
		valid := utf8.Valid(payload)
		if valid != c.close.ByFuzzer {
			t.Errorf("case %s (%x): valid=%v but the case expects the %s", c.ID, payload, valid, map[bool]string{true: "echo", false: "peer to fail"}[c.close.ByFuzzer])
		}
		if !valid && c.close.Codes[0] != 1007 {
			t.Errorf("case %s: invalid UTF-8 must fail with 1007, not %v", c.ID, c.close.Codes)
		}
	}
	if checked != 132 {
		t.Errorf("checked %d cases of 6.5 to 6.23, want 132", checked)
	}
}

func TestFragmentation(t *testing.T) {
	fs := fragments(opText, repeat("*", 65536), 1300)
	if len(fs) != 51 {
		t.Errorf("10.1.1: %d frames, want 51", len(fs))
	}
	total := 0
	for i, f := range fs {
		total += len(f.payload)
		if (i == 0) != (f.op == opText) || f.fin != (i == len(fs)-1) {
			t.Errorf("frame %d: op %d fin %v", i, f.op, f.fin)
		}
	}
	if total != 65536 {
		t.Errorf("%d bytes in all, want 65536", total)
	}
	if fs := fragments(opText, nil, 10); len(fs) != 1 || !fs[0].fin {
		t.Errorf("an empty message should be one final frame, got %d frames", len(fs))
	}
	// 6.4.2: the first frame ends with the lead byte F4, the second is the
	// byte that makes the payload invalid.
	b := caseByID(t, "6.4.2").build()
	first := b.script[0].(sendStep).frames[0].payload
	second := b.script[2].(sendStep).frames[0].payload
	if first[len(first)-1] != 0xF4 || len(second) != 1 || second[0] != 0x90 {
		t.Errorf("6.4.2 parts: %x, %x", first, second)
	}
}

func TestSelect(t *testing.T) {
	cases := Cases()
	tests := []struct {
		patterns []string
		want     int
	}{
		{nil, 517},
		{[]string{"12.*"}, 90},
		{[]string{"13.3.*"}, 18},
		{[]string{"6.4.1"}, 1},
		{[]string{"6.4.*"}, 4},
		{[]string{"9.*"}, 54},
		{[]string{"1.*", "2.*"}, 27},
		{[]string{"2.1"}, 1},
	}
	for _, tt := range tests {
		got, err := Select(cases, tt.patterns)
		if err != nil || len(got) != tt.want {
			t.Errorf("Select(%q): %d cases, %v; want %d", tt.patterns, len(got), err, tt.want)
		}
	}
	if _, err := Select(cases, []string{"11.*"}); err == nil {
		t.Error("Select of no case: no error")
	}
}

func TestSummaryTable(t *testing.T) {
	var s Summary
	s.Add(Result{Case: "1.1.1", Role: RoleServer, Verdict: OK})
	s.Add(Result{Case: "1.1.2", Role: RoleServer, Verdict: OK})
	s.Add(Result{Case: "6.10.2", Role: RoleServer, Verdict: WrongCode})
	s.Add(Result{Case: "6.9.1", Role: RoleServer, Verdict: NonStrict})
	s.Add(Result{Case: "7.13.1", Role: RoleClient, Verdict: Informational})
	table := s.Table()
	for _, want := range []string{"server      1      2   2", "server    all      4   2           1", "client      7      1   0           0              1"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	failed := s.Failed()
	if len(failed) != 2 || failed[0].Case != "6.9.1" || failed[1].Case != "6.10.2" {
		t.Errorf("Failed() = %v, want 6.9.1 then 6.10.2", failed)
	}
}

// TestDeflateCases checks groups 12 and 13 against Autobahn's definitions:
// 18 sizes per subgroup, the five kinds in 12, JSON in 13, the seven
// negotiation settings, and -short keeping the sizes up to 4 KiB and 200
// of the 1000 messages.
func TestDeflateCases(t *testing.T) {
	wantSizes := []struct{ size, frag int }{
		{16, 0}, {64, 0}, {256, 0}, {1024, 0}, {4096, 0}, {8192, 0}, {16384, 0}, {32768, 0}, {65536, 0}, {131072, 0},
		{8192, 256}, {16384, 256}, {32768, 256}, {65536, 256}, {131072, 256}, {131072, 1024}, {131072, 4096}, {131072, 32768},
	}
	kinds := []string{"json", "image", "prose", "html", "pdf"}
	wantN := 1000 // Autobahn's count
	if testing.Short() {
		wantN = 200
	}
	for _, c := range Cases() {
		var g, sub, i int
		if _, err := fmt.Sscanf(c.ID, "%d.%d.%d", &g, &sub, &i); err != nil || g < 12 {
			continue
		}
		b := c.build()
		st, ok := b.script[0].(deflateTripStep)
		if !ok || len(b.script) != 2 {
			t.Fatalf("case %s: script %v", c.ID, b.script)
		}
		if w := wantSizes[i-1]; st.size != w.size || st.frag != w.frag || st.n != wantN {
			t.Errorf("case %s: %d messages of %d bytes in frames of %d, want %d of %d in %d", c.ID, st.n, st.size, st.frag, wantN, w.size, w.frag)
		}
		if c.Slow != (st.size > 4096) {
			t.Errorf("case %s: Slow %v for %d-byte messages", c.ID, c.Slow, st.size)
		}
		wantKind := "json"
		if g == 12 {
			wantKind = kinds[sub-1]
		}
		if st.kind.String() != wantKind {
			t.Errorf("case %s: %s payload, want %s", c.ID, st.kind, wantKind)
		}
		neg := c.Negotiation.Deflate
		if neg == nil {
			t.Fatalf("case %s: no permessage-deflate negotiation", c.ID)
		}
		if g == 13 && neg != &deflateSettings[sub-1] || g == 12 && (len(neg.Offers) != 1 || neg.Offers[0] != DeflateOffer{} || len(neg.Accept) != 1) {
			t.Errorf("case %s: negotiation %+v", c.ID, *neg)
		}
		if !c.close.ByFuzzer || !c.close.RequireClean || c.end.After != st.timeout {
			t.Errorf("case %s: close %+v, end %+v", c.ID, c.close, c.end)
		}
	}
	// 13.x as Autobahn's DEFLATE_PARAMS: (no context takeover, window bits)
	// of the offers, and of the accept preferences.
	type pair struct {
		noCtx bool
		bits  int
	}
	want := []struct{ offers, accepts []pair }{
		{[]pair{{false, 0}}, []pair{{false, 0}}},
		{[]pair{{true, 0}}, []pair{{true, 0}}},
		{[]pair{{false, 8}}, []pair{{false, 8}}},
		{[]pair{{false, 15}}, []pair{{false, 15}}},
		{[]pair{{true, 8}}, []pair{{true, 8}}},
		{[]pair{{true, 15}}, []pair{{true, 15}}},
		{[]pair{{true, 8}, {true, 0}, {false, 0}}, []pair{{true, 8}, {true, 0}, {false, 0}}},
	}
	for j, w := range want {
		s := deflateSettings[j]
		var offers, accepts []pair
		for _, o := range s.Offers {
			offers = append(offers, pair{o.ServerNoContextTakeover, o.ServerMaxWindowBits})
		}
		for _, a := range s.Accept {
			accepts = append(accepts, pair{a.ClientNoContextTakeover, a.ClientMaxWindowBits})
		}
		if fmt.Sprint(offers) != fmt.Sprint(w.offers) || fmt.Sprint(accepts) != fmt.Sprint(w.accepts) {
			t.Errorf("13.%d: offers %v accepts %v, want %v and %v", j+1, offers, accepts, w.offers, w.accepts)
		}
	}
}
