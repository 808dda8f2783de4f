package extfs

import "github.com/extfs/extfs/internal/fscaps"

// probeFallback is probeOS on a system without a backend: Probe and
// ProbePair fail with an error matching ErrNotSupported. The no-backend
// probeSys embeds it.
type probeFallback struct{}

func (probeFallback) volume(string) (fscaps.Volume, error) {
	return fscaps.Volume{}, notSupportedErr("probing a filesystem")
}

func (probeFallback) pairMethod(*fscaps.Volume, *fscaps.Volume) (fscaps.Method, bool) {
	return fscaps.ReadWrite, false
}
