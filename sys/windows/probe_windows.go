package windows

// The call of Probe: the volume information of a directory's volume.
// probe.go decides what it means.

import (
	"os"

	"github.com/extfs/extfs/internal/fscaps"
	"golang.org/x/sys/windows"
)

// ProbeVolume describes the volume holding the directory dir, writing
// nothing: the handle asks for no access to the directory's data.
func ProbeVolume(dir string) (fscaps.Volume, error) {
	h, err := OpenPath(dir, windows.FILE_READ_ATTRIBUTES, false)
	if err != nil {
		return fscaps.Volume{}, &os.PathError{Op: "CreateFile", Path: dir, Err: err}
	}
	defer windows.CloseHandle(h)
	v, err := VolumeInfo(h)
	if err != nil {
		return fscaps.Volume{}, os.NewSyscallError("GetVolumeInformationByHandleW", err)
	}
	return fscaps.Volume{Caps: ProbeCaps(v.Filesystem, v.Flags, v.Cluster), FS: uint64(v.Serial)}, nil
}
