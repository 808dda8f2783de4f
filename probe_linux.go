package extfs

// The answers to probeOS (sys.go): sys/linux/probe.go reads the filesystem's type and flags.

import (
	"github.com/extfs/extfs/internal/fscaps"
	"github.com/extfs/extfs/sys/linux"
)

type probeSys struct{}

var _ probeOS = probeSys{}

func (probeSys) volume(dir string) (fscaps.Volume, error) { return linux.ProbeVolume(dir) }

func (probeSys) pairMethod(src, dst *fscaps.Volume) (fscaps.Method, bool) {
	return linux.PairMethod(src, dst)
}
