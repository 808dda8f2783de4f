//go:build !linux && !darwin && !windows

package extfs

// No Dir backend here: dirFallback's answers, ErrNotSupported.

type dirSys struct{ dirFallback }

var _ dirOS = dirSys{}
