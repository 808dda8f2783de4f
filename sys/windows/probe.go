package windows

// What Probe and ProbePair make of a volume's flags (probe_windows.go reads
// them). Pure: the tests run on every OS.

import "github.com/extfs/extfs/internal/fscaps"

// Volume flags of GetVolumeInformationByHandleW that Probe reads
// (FILE_SUPPORTS_BLOCK_REFCOUNTING is FileSupportsBlockRefcounting).
const (
	fileSupportsSparseFiles = 0x00000040 // FILE_SUPPORTS_SPARSE_FILES: FSCTL_SET_ZERO_DATA frees blocks
	fileSupportsRefcounting = 0x08000000 // FILE_SUPPORTS_BLOCK_REFCOUNTING: FSCTL_DUPLICATE_EXTENTS_TO_FILE
)

// ProbeCaps answers for a volume named name ("NTFS", "ReFS", ...) with
// the flags and cluster size its volume information gives.
func ProbeCaps(name string, flags uint32, cluster int64) fscaps.Caps {
	y, n := fscaps.Yes, fscaps.No
	c := fscaps.Caps{Filesystem: name, BlockSize: cluster}
	c.Clone = fscaps.Of(flags&fileSupportsRefcounting != 0)
	c.PunchHole = fscaps.Of(flags&fileSupportsSparseFiles != 0)
	// Allocation (SetFileInformationByHandle) and zeroing
	// (FSCTL_SET_ZERO_DATA) work on every volume; there is no
	// copy_file_range, no xattr, and no collapse, insert or unshare.
	c.Allocate, c.KeepSize, c.ZeroRange = y, y, y
	c.CopyRange, c.Xattr, c.CollapseRange, c.InsertRange, c.UnshareRange = n, n, n, n, n
	return c
}

// PairMethod says how CopyFile (CoWAuto) copies a file that is not sparse
// from volume src to a new file on dst: block cloning on one volume that
// has it, else CopyFileExW (a copy the system makes) where copyFileEx
// says CopyFile uses it, else reading and writing.
func PairMethod(src, dst *fscaps.Volume, copyFileEx bool) (m fscaps.Method, known bool) {
	switch {
	case src.FS == dst.FS && dst.Clone == fscaps.Yes:
		return fscaps.Clone, true
	case copyFileEx:
		return fscaps.CopyRange, true
	}
	return fscaps.ReadWrite, true
}
