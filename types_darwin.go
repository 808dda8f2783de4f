package extfs

// extfs's types (AllocMode, Advice, XattrFlag, Stat, fs.FileMode) in
// sys/darwin's terms, for the macOS file and directory adapters. The
// decisions themselves are in sys/darwin, whose tests run on every OS.

import (
	"io/fs"
	"time"

	"github.com/extfs/extfs/sys/darwin"
)

// darwinAllocOp is what Fallocate does on macOS.
type darwinAllocOp int

const (
	darwinPreallocate darwinAllocOp = iota + 1 // F_PREALLOCATE, then ftruncate unless AllocKeepSize
	darwinPunch                                // F_PUNCHHOLE, zeros over partial blocks
)

// darwinAlloc maps a valid mode (see AllocMode.check) to what macOS can do:
// preallocate (mode 0 or AllocKeepSize) and punch a hole
// (AllocPunchHole|AllocKeepSize). macOS has no call for zero-range,
// collapse-range, insert-range or unshare-range: those fail with an error
// matching ErrNotSupported that names the mode.
func darwinAlloc(m AllocMode) (darwinAllocOp, error) {
	switch m {
	case 0, AllocKeepSize:
		return darwinPreallocate, nil
	case AllocPunchHole | AllocKeepSize:
		return darwinPunch, nil
	}
	return 0, notSupportedErr(m.String() + " on macOS")
}

// darwinAdvice maps every Advice to sys/darwin's.
var darwinAdvice = [...]darwin.Advice{
	AdviceNormal:     darwin.AdviceNormal,
	AdviceSequential: darwin.AdviceSequential,
	AdviceRandom:     darwin.AdviceRandom,
	AdviceWillNeed:   darwin.AdviceWillNeed,
	AdviceDontNeed:   darwin.AdviceDontNeed,
	AdviceNoReuse:    darwin.AdviceNoReuse,
}

// darwinFadvise maps a valid Advice to sys/darwin's, or to an error matching
// ErrNotSupported for advice macOS has no call for (AdviceDontNeed: see
// darwin.AdvicePlan).
func darwinFadvise(a Advice) (darwin.Advice, error) {
	da := darwinAdvice[a]
	if _, _, ok := darwin.AdvicePlan(da); !ok {
		return 0, notSupportedErr("fadvise " + a.String() + " on macOS")
	}
	return da, nil
}

// darwinXattrFlags maps XattrFlag to setxattr(2)'s options.
func darwinXattrFlags(f XattrFlag) int {
	var fl int
	if f&XattrCreate != 0 {
		fl |= darwin.XATTR_CREATE
	}
	if f&XattrReplace != 0 {
		fl |= darwin.XATTR_REPLACE
	}
	return fl
}

// darwinXattrName refuses names macOS refuses (see darwin.CheckXattrName),
// with an error matching fs.ErrInvalid.
func darwinXattrName(name string) error {
	if msg := darwin.CheckXattrName(name); msg != "" {
		return errInvalid("%s", msg)
	}
	return nil
}

// darwinAttrMask is the Stat attributes macOS reports: every st_flags bit
// with a Linux equivalent (darwin.FlagsAttrs).
const darwinAttrMask = AttrImmutable | AttrAppend | AttrNodump | AttrCompressed

// statFromDarwin converts what fstat(2) says to a Stat. Btime is the zero
// Time where the filesystem keeps no birth time (darwin.BirthKnown);
// Attributes come from st_flags (chflags(2)).
func statFromDarwin(st *darwin.Stat) *Stat {
	ts := func(t darwin.Timespec) time.Time { return time.Unix(t.Sec, t.Nsec) }
	s := &Stat{
		Dev:            st.Dev,
		Ino:            st.Ino,
		Mode:           darwin.FileMode(st.Mode),
		Nlink:          st.Nlink,
		Uid:            st.Uid,
		Gid:            st.Gid,
		Rdev:           st.Rdev,
		Size:           st.Size,
		Blocks:         st.Blocks,
		Blksize:        st.Blksize,
		Atime:          ts(st.Atime),
		Mtime:          ts(st.Mtime),
		Ctime:          ts(st.Ctime),
		AttributesMask: darwinAttrMask,
	}
	if darwin.BirthKnown(st.Btime) {
		s.Btime = ts(st.Btime)
	}
	a := darwin.FlagsAttrs(st.Flags)
	for _, f := range []struct {
		set  bool
		attr StatAttr
	}{{a.Immutable, AttrImmutable}, {a.Append, AttrAppend}, {a.Nodump, AttrNodump}, {a.Compressed, AttrCompressed}} {
		if f.set {
			s.Attributes |= f.attr
		}
	}
	return s
}

// darwinNodeType gives the S_IF* type bits for Dir.Mknod's mode (already
// checked by checkMknod), or an error matching fs.ErrInvalid for a device
// number wider than macOS's 32-bit dev_t.
func darwinNodeType(mode fs.FileMode, dev uint64) (uint32, error) {
	var typ uint32
	switch mode.Type() {
	case fs.ModeNamedPipe:
		typ = darwin.S_IFIFO
	case fs.ModeDevice:
		typ = darwin.S_IFBLK
	case fs.ModeDevice | fs.ModeCharDevice:
		typ = darwin.S_IFCHR
	}
	if _, _, ok := darwin.MknodPlan(typ, darwin.PermBits(mode), dev); !ok {
		return 0, errInvalid("mknod: device number %#x does not fit macOS's 32-bit dev_t", dev)
	}
	return typ, nil
}
