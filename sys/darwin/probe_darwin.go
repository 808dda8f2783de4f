package darwin

// The calls of Probe: statfs(2) and getattrlist(2) of the volume's root.
// probe.go decides what they mean.

import (
	"os"
	"unsafe"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fscaps"
	"golang.org/x/sys/unix"
)

// ProbeVolume describes the volume holding the directory dir, writing
// nothing.
func ProbeVolume(dir string) (fscaps.Volume, error) {
	var st unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Statfs(dir, &st) }); err != nil {
		return fscaps.Volume{}, os.NewSyscallError("statfs", err)
	}
	fi := fsInfo(&st)
	vc, _ := volCaps(unix.ByteSliceToString(st.Mntonname[:]))
	dev, typ := FsidKey(fi.Fsid)
	return fscaps.Volume{Caps: ProbeCaps(fi.Name, fi.Bsize, vc), FS: dev<<32 | typ}, nil
}

// volCaps asks getattrlist(2) for the capabilities of the volume whose
// root is root (volume attributes are answered for a volume's root only).
func volCaps(root string) (VolCaps, bool) {
	p, err := unix.BytePtrFromString(root)
	if err != nil {
		return VolCaps{}, false
	}
	al := unix.Attrlist{Bitmapcount: unix.ATTR_BIT_MAP_COUNT, Volattr: unix.ATTR_VOL_INFO | unix.ATTR_VOL_CAPABILITIES}
	var buf [64]byte
	_, _, e := unix.Syscall6(unix.SYS_GETATTRLIST, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&al)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return VolCaps{}, false
	}
	return ParseVolCaps(buf[:])
}
