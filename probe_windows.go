package extfs

// The answers to probeOS (sys.go): sys/windows/probe*.go read the volume's flags.

import (
	"github.com/extfs/extfs/internal/fscaps"
	winsys "github.com/extfs/extfs/sys/windows"
)

type probeSys struct{}

var _ probeOS = probeSys{}

func (probeSys) volume(dir string) (fscaps.Volume, error) { return winsys.ProbeVolume(dir) }

// pairMethod: CopyFile copies with CopyFileExW only where UseCopyFileEx.
func (probeSys) pairMethod(src, dst *fscaps.Volume) (fscaps.Method, bool) {
	return winsys.PairMethod(src, dst, winsys.UseCopyFileEx())
}
