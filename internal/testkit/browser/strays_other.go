//go:build !linux

package browser

import "time"

// killStrays does nothing where there is no /proc to find processes in.
func killStrays(dir string, timeout time.Duration) error { return nil }
