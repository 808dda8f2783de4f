//go:build !linux && !darwin && !windows

package extfs

// probeOS where no backend exists yet: Probe and ProbePair fail with an
// error matching ErrNotSupported.

import "github.com/extfs/extfs/internal/fscaps"

type probeSys struct{}

var _ probeOS = probeSys{}

func (probeSys) volume(string) (fscaps.Volume, error) {
	return fscaps.Volume{}, notSupportedErr("probing a filesystem")
}

func (probeSys) pairMethod(*fscaps.Volume, *fscaps.Volume) (fscaps.Method, bool) {
	return fscaps.ReadWrite, false
}
