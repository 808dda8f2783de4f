package extfs

// The answers to probeOS (sys.go): sys/darwin/probe*.go read statfs and the volume's capabilities.

import (
	"github.com/extfs/extfs/internal/fscaps"
	"github.com/extfs/extfs/sys/darwin"
)

type probeSys struct{}

var _ probeOS = probeSys{}

func (probeSys) volume(dir string) (fscaps.Volume, error) { return darwin.ProbeVolume(dir) }

func (probeSys) pairMethod(src, dst *fscaps.Volume) (fscaps.Method, bool) {
	return darwin.PairMethod(src, dst)
}
