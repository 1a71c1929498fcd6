package conformance

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
)

// Summary counts verdicts per group and role. The zero value is ready; Add
// may be called from many goroutines.
type Summary struct {
	mu     sync.Mutex
	counts map[summaryKey]map[Verdict]int
	failed []Result
}

type summaryKey struct {
	role  Role
	group int
}

// Add counts a result.
func (s *Summary) Add(r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts = map[summaryKey]map[Verdict]int{}
	}
	g, _, _ := strings.Cut(r.Case, ".")
	var n int
	fmt.Sscan(g, &n)
	k := summaryKey{r.Role, n}
	if s.counts[k] == nil {
		s.counts[k] = map[Verdict]int{}
	}
	s.counts[k][r.Verdict]++
	if !r.Passed() {
		s.failed = append(s.failed, r)
	}
}

// Failed returns the results that did not pass, ordered by role and case.
func (s *Summary) Failed() []Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.failed)
	slices.SortFunc(out, func(a, b Result) int {
		if a.Role != b.Role {
			return int(a.Role) - int(b.Role)
		}
		return compareIDs(a.Case, b.Case)
	})
	return out
}

// compareIDs orders case IDs numerically, part by part ("6.10.1" after
// "6.9.2").
func compareIDs(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var x, y int
		fmt.Sscan(pa[i], &x)
		fmt.Sscan(pb[i], &y)
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

// Table returns the counts as a table: one row per role and group, a total
// per role, one column per verdict.
func (s *Summary) Table() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]summaryKey, 0, len(s.counts))
	for k := range s.counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b summaryKey) int {
		if a.role != b.role {
			return int(a.role) - int(b.role)
		}
		return a.group - b.group
	})
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "role\tgroup\tcases\t")
	for _, v := range Verdicts {
		fmt.Fprintf(tw, "%s\t", v)
	}
	fmt.Fprintln(tw)
	row := func(role, group string, m map[Verdict]int) {
		total := 0
		for _, n := range m {
			total += n
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t", role, group, total)
		for _, v := range Verdicts {
			fmt.Fprintf(tw, "%d\t", m[v])
		}
		fmt.Fprintln(tw)
	}
	for i, k := range keys {
		row(k.role.String(), fmt.Sprint(k.group), s.counts[k])
		if i == len(keys)-1 || keys[i+1].role != k.role {
			sum := map[Verdict]int{}
			for _, k2 := range keys {
				if k2.role == k.role {
					for v, n := range s.counts[k2] {
						sum[v] += n
					}
				}
			}
			row(k.role.String(), "all", sum)
		}
	}
	tw.Flush()
	return b.String()
}
