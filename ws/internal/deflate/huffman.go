package deflate

import "slices"

// huffBuilder computes length-limited Huffman code lengths without
// allocating; one lives in each Compressor.
type huffBuilder struct {
	leaves [numLitLen]uint64     // frequency<<16 | symbol, sorted ascending
	weight [2 * numLitLen]uint32 // node weights: leaves first, then internal nodes
	parent [2 * numLitLen]uint16 // parent node of each node
	depth  [2 * numLitLen]uint16 // depth of each node, root 0
	count  [maxLitBits + 1]int32 // leaves per code length
}

// build sets lens[s] to the code length of symbol s for the frequencies in
// freq, no length longer than limit. Symbols of frequency 0 get length 0.
// The code is always complete (its Kraft sum is exactly 1), so decoders
// that refuse incomplete codes accept it: when fewer than two symbols are
// used, a second symbol is given a length of 1 as well.
//
// Lengths come from an optimal Huffman tree; if that tree is deeper than
// limit, the per-length counts are repaired (deepest leaves clamped, then
// leaves moved down or up until the Kraft sum is exactly 1) and lengths are
// handed out again in order of frequency, which is close to optimal.
func (hb *huffBuilder) build(freq []uint32, lens []uint8, limit int) {
	n := 0
	for s, f := range freq {
		lens[s] = 0
		if f != 0 {
			hb.leaves[n] = uint64(f)<<16 | uint64(s)
			n++
		}
	}
	if n < 2 {
		a := 0
		if n == 1 {
			a = int(hb.leaves[0] & 0xffff)
		}
		b := 1
		if a == 1 {
			b = 0
		}
		lens[a], lens[b] = 1, 1
		return
	}
	leaves := hb.leaves[:n]
	slices.Sort(leaves)

	// Two-queue Huffman construction: leaves in ascending order, internal
	// nodes created in ascending order of weight. Node ids: leaves are
	// 0..n-1, internal nodes n..2n-2, the root is 2n-2.
	w := hb.weight[:2*n-1]
	for i, l := range leaves {
		w[i] = uint32(l >> 16)
	}
	li, ii := 0, n
	for next := n; next < 2*n-1; next++ {
		var pair [2]int
		for k := range pair {
			if li < n && (ii >= next || w[li] <= w[ii]) {
				pair[k] = li
				li++
			} else {
				pair[k] = ii
				ii++
			}
		}
		w[next] = w[pair[0]] + w[pair[1]]
		hb.parent[pair[0]] = uint16(next)
		hb.parent[pair[1]] = uint16(next)
	}
	root := 2*n - 2
	hb.depth[root] = 0
	for x := root - 1; x >= 0; x-- {
		hb.depth[x] = hb.depth[hb.parent[x]] + 1
	}

	count := hb.count[:limit+1]
	clear(count)
	for i := range n {
		d := min(int(hb.depth[i]), limit)
		count[d]++
	}
	// Kraft sum in units of 2^-limit; a complete code has exactly 1<<limit.
	target := int64(1) << limit
	kraft := int64(0)
	for b := 1; b <= limit; b++ {
		kraft += int64(count[b]) << (limit - b)
	}
	// Too much: take a leaf from the deepest level above limit down one
	// level and give it one of the leaves clamped to limit as a sibling.
	// Each step lowers the sum by exactly 1 (-2^(limit-b) for the moved
	// leaf, +2*2^(limit-b-1) for the pair, -1 for the clamped leaf).
	// There is always such a leaf while the sum is too big, since
	// n <= 1<<limit.
	for kraft > target {
		b := limit - 1
		for count[b] == 0 {
			b--
		}
		count[b]--
		count[b+1] += 2
		count[limit]--
		kraft--
	}
	// Too little: move a leaf from the deepest level one level up. All
	// terms are multiples of the step, so the sum never overshoots.
	for kraft < target {
		b := limit
		for count[b] == 0 {
			b--
		}
		count[b]--
		count[b-1]++
		kraft += int64(1) << (limit - b)
	}
	// The least frequent symbols get the longest codes.
	i := 0
	for b := limit; b >= 1; b-- {
		for range count[b] {
			lens[leaves[i]&0xffff] = uint8(b)
			i++
		}
	}
}
