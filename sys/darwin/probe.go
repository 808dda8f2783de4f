package darwin

// What Probe and ProbePair make of a volume's statfs and getattrlist
// answers (probe_darwin.go reads them). Pure: the tests run on every OS.

import (
	"encoding/binary"

	"github.com/extfs/extfs/internal/fscaps"
)

// The interfaces word of getattrlist(2)'s ATTR_VOL_CAPABILITIES
// (vol_capabilities_attr_t, sys/attr.h) and the bits Probe reads there.
const (
	volCapInterfaces      = 1          // VOL_CAPABILITIES_INTERFACES
	VolCapIntAllocate     = 0x00000040 // F_PREALLOCATE
	VolCapIntExtendedAttr = 0x00004000 // native extended attributes
	VolCapIntClone        = 0x00010000 // clonefile(2)
)

// VolCaps is the interfaces word of a volume's capabilities, and which of
// its bits the volume vouches for.
type VolCaps struct{ Caps, Valid uint32 }

// ParseVolCaps reads getattrlist's reply to ATTR_VOL_INFO |
// ATTR_VOL_CAPABILITIES: a u_int32_t length, then capabilities[4] and
// valid[4].
func ParseVolCaps(b []byte) (VolCaps, bool) {
	const off = 4
	if len(b) < off+32 || binary.LittleEndian.Uint32(b) < off+32 {
		return VolCaps{}, false
	}
	le := binary.LittleEndian
	return VolCaps{
		Caps:  le.Uint32(b[off+4*volCapInterfaces:]),
		Valid: le.Uint32(b[off+16+4*volCapInterfaces:]),
	}, true
}

func (v VolCaps) answer(bit uint32) fscaps.Answer {
	if v.Valid&bit == 0 {
		return fscaps.Unknown
	}
	return fscaps.Of(v.Caps&bit != 0)
}

// ProbeCaps answers for the volume statfs names name ("apfs", "hfs", ...)
// with block size bsize, whose capabilities are vc (zero when getattrlist
// failed: everything it would say is Unknown).
func ProbeCaps(name string, bsize int64, vc VolCaps) fscaps.Caps {
	c := fscaps.Caps{Filesystem: name, BlockSize: bsize}
	c.Clone = vc.answer(VolCapIntClone)
	c.Allocate = vc.answer(VolCapIntAllocate)
	c.KeepSize = c.Allocate
	// Without native xattrs macOS keeps them in AppleDouble ._ files,
	// where the volume can hold those: only a yes is sure.
	if c.Xattr = vc.answer(VolCapIntExtendedAttr); c.Xattr == fscaps.No {
		c.Xattr = fscaps.Unknown
	}
	switch name { // F_PUNCHHOLE: APFS; HFS+ answers ENOTTY
	case "apfs":
		c.PunchHole = fscaps.Yes
	case "hfs":
		c.PunchHole = fscaps.No
	}
	// No copy_file_range, and no fcntl for the other fallocate modes.
	c.CopyRange, c.ZeroRange, c.CollapseRange, c.InsertRange, c.UnshareRange = fscaps.No, fscaps.No, fscaps.No, fscaps.No, fscaps.No
	return c
}

// PairMethod says how CopyFile (CoWAuto) copies a file from volume src to
// a new file on dst: a clone on one volume that clones (clonefile), else
// pread and pwrite. known is false when dst's clone answer is Unknown.
func PairMethod(src, dst *fscaps.Volume) (m fscaps.Method, known bool) {
	if src.FS != dst.FS || dst.Clone == fscaps.No {
		return fscaps.ReadWrite, true
	}
	if dst.Clone == fscaps.Yes {
		return fscaps.Clone, true
	}
	return fscaps.ReadWrite, false
}
