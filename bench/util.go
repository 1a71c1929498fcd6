package bench

import (
	"errors"
	"fmt"
	"io"
)

// errTooBig reports a message that does not fit the buffer it is read into.
var errTooBig = fmt.Errorf("message longer than %d bytes", MaxMessage)

// readAll reads r to its end into buf and returns how many bytes it read.
// A message longer than buf is an error.
func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		if n == len(buf) {
			var one [1]byte
			m, err := r.Read(one[:])
			if m > 0 {
				return n, errTooBig
			}
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			continue
		}
		m, err := r.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
