//go:build !unix

package link

import (
	"errors"
	"os"
)

var errNoPairs = errors.New("link: live reload needs a Unix-like system (Linux, macOS, a BSD), to hand the scene its end of a socket pair")

func socketPair() (parent, child *os.File, err error) { return nil, nil, errNoPairs }

func inherited(int) (*os.File, error) { return nil, errNoPairs }
