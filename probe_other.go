//go:build !linux && !darwin && !windows

package extfs

// No probe backend here: probeFallback's answers, ErrNotSupported.

type probeSys struct{ probeFallback }

var _ probeOS = probeSys{}
