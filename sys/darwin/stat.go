package darwin

import (
	"fmt"
	"io/fs"
	"math"
	"time"

	"github.com/extfs/extfs/internal/fsstat"
	"github.com/extfs/extfs/internal/unixmode"
)

// Metadata: stat, modes, times, device numbers. Pure: the tests run on every
// OS.

// Timespec is a struct timespec.
type Timespec struct{ Sec, Nsec int64 }

// Timeval is a struct timeval.
type Timeval struct {
	Sec  int64
	Usec int32
}

// Stat is what fstat(2) and fstatat(2) report (struct stat, 64-bit inodes),
// in fixed-size fields.
type Stat struct {
	Dev     uint64 // st_dev, a 32-bit dev_t
	Ino     uint64
	Mode    uint32 // st_mode: S_IF* type and permission bits
	Nlink   uint64 // at most 65535: st_nlink is 16 bits on macOS
	Uid     uint32
	Gid     uint32
	Rdev    uint64
	Size    int64
	Blocks  int64 // 512-byte units, all forks of the file
	Blksize int64 // preferred I/O size
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
	Btime   Timespec // st_birthtimespec; see BirthKnown
	Flags   uint32   // st_flags: UF_* and SF_* (chflags(2))
}

// BirthKnown reports whether a birth time was recorded: macOS's stat gives
// 0 (both fields) when the filesystem does not keep one (vn_stat in
// vfs_vnops.c), so a file really born at the Unix epoch reads as unknown too.
func BirthKnown(t Timespec) bool { return t.Sec != 0 || t.Nsec != 0 }

// Info converts st for extfs.Stat: an fs.FileMode, time.Times (Btime the
// zero Time where none is known: BirthKnown), and st_flags as statx(2)
// attributes (Attrs.Statx).
func (st *Stat) Info() fsstat.Stat {
	ts := func(t Timespec) time.Time { return time.Unix(t.Sec, t.Nsec) }
	i := fsstat.Stat{
		Dev: st.Dev, Ino: st.Ino, Mode: FileMode(st.Mode), Nlink: st.Nlink, Uid: st.Uid, Gid: st.Gid,
		Rdev: st.Rdev, Size: st.Size, Blocks: st.Blocks, Blksize: st.Blksize,
		Atime: ts(st.Atime), Mtime: ts(st.Mtime), Ctime: ts(st.Ctime),
	}
	if BirthKnown(st.Btime) {
		i.Btime = ts(st.Btime)
	}
	i.Attributes, i.AttributesMask = FlagsAttrs(st.Flags).Statx()
	return i
}

// info is st.Info(), or err.
func info(st Stat, err error) (fsstat.Stat, error) {
	if err != nil {
		return fsstat.Stat{}, err
	}
	return st.Info(), nil
}

// Statx returns a as statx attribute bits, and the mask of those macOS
// reports: all four, since st_flags is always reported in full.
func (a Attrs) Statx() (attrs, mask uint64) {
	for _, f := range [...]struct {
		set bool
		bit uint64
	}{
		{a.Immutable, fsstat.AttrImmutable}, {a.Append, fsstat.AttrAppend},
		{a.Nodump, fsstat.AttrNodump}, {a.Compressed, fsstat.AttrCompressed},
	} {
		mask |= f.bit
		if f.set {
			attrs |= f.bit
		}
	}
	return attrs, mask
}

// Attrs are the st_flags with an equivalent among Linux's statx
// attributes. Each is either the user's (UF_) or the superuser's (SF_)
// flag, where macOS has both.
type Attrs struct {
	Immutable, Append, Nodump, Compressed bool
}

// FlagsAttrs reads Attrs from st_flags. st_flags is always reported in full,
// so each Attrs field is known, true or false.
func FlagsAttrs(flags uint32) Attrs {
	return Attrs{
		Immutable:  flags&(UF_IMMUTABLE|SF_IMMUTABLE) != 0,
		Append:     flags&(UF_APPEND|SF_APPEND) != 0,
		Nodump:     flags&UF_NODUMP != 0,
		Compressed: flags&UF_COMPRESSED != 0,
	}
}

// FileMode converts st_mode to an fs.FileMode the way package os does.
func FileMode(m uint32) fs.FileMode { return unixmode.FileMode(m) }

// PermBits converts the permission part of an fs.FileMode (permissions,
// setuid, setgid, sticky) to st_mode bits.
func PermBits(mode fs.FileMode) uint32 { return unixmode.PermBits(mode) }

// Node is what Mknodat makes.
type Node int

const (
	NodeRegular Node = iota // an empty regular file: openat(O_CREAT|O_EXCL)
	NodeFIFO                // mkfifo(2)
	NodeDevice              // mknod(2)
)

// MknodPlan says how to make a node of type typ (S_IFREG, S_IFIFO, S_IFCHR
// or S_IFBLK, or 0 for a regular file) and device number dev, and the mode
// to give mknod(2) (type and permission bits). macOS's mknod(2) makes
// devices only (and FIFOs, with dev 0, by calling mkfifo itself); a regular
// file is made by opening it with O_CREAT|O_EXCL, which also never follows
// a symbolic link. ok is false for another type, or for a device number
// wider than macOS's 32-bit dev_t (unix.Mkdev(major, minor) is
// major<<24 | minor there).
func MknodPlan(typ uint32, perm uint32, dev uint64) (node Node, mode uint32, ok bool) {
	switch typ {
	case 0, S_IFREG:
		return NodeRegular, perm, dev == 0
	case S_IFIFO:
		return NodeFIFO, perm, dev == 0
	case S_IFCHR, S_IFBLK:
		return NodeDevice, typ | perm, dev <= math.MaxUint32
	}
	return 0, 0, false
}

// NodeType gives the S_IF* type bits of a node Mknodat is to make, of
// mode's type (a FIFO, a device, or else a regular file), or an error
// matching fs.ErrInvalid (and EINVAL) for a device number wider than
// macOS's 32-bit dev_t (MknodPlan).
func NodeType(mode fs.FileMode, dev uint64) (uint32, error) {
	var typ uint32
	switch mode.Type() {
	case fs.ModeNamedPipe:
		typ = S_IFIFO
	case fs.ModeDevice:
		typ = S_IFBLK
	case fs.ModeDevice | fs.ModeCharDevice:
		typ = S_IFCHR
	}
	if _, _, ok := MknodPlan(typ, PermBits(mode), dev); !ok {
		return 0, devError(dev)
	}
	return typ, nil
}

// devError is NodeType's error.
type devError uint64

func (e devError) Error() string {
	return fmt.Sprintf("mknod: device number %#x does not fit macOS's 32-bit dev_t", uint64(e))
}

func (devError) Unwrap() error        { return EINVAL }
func (devError) Is(target error) bool { return target == fs.ErrInvalid }

// Timespecs is the times argument of utimensat(2) for atime and mtime: a
// zero time.Time is UTIME_OMIT ("leave it alone").
func Timespecs(atime, mtime time.Time) [2]Timespec {
	var ts [2]Timespec
	for i, t := range [2]time.Time{atime, mtime} {
		if t.IsZero() {
			ts[i] = Timespec{Nsec: UTIME_OMIT}
		} else {
			ts[i] = timespec(t)
		}
	}
	return ts
}

// Omitted reports whether ts leaves a time alone (UTIME_OMIT): all of them,
// some of them.
func Omitted(ts [2]Timespec) (all, some bool) {
	a, m := ts[0].Nsec == UTIME_OMIT, ts[1].Nsec == UTIME_OMIT
	return a && m, a || m
}

// Timevals converts ts for futimes(2), which takes both times, to the
// microsecond: a UTIME_OMIT time becomes the current one, cur (st_atimespec
// and st_mtimespec), and nanoseconds are truncated to microseconds. futimes
// has no "leave it alone", so a time changed between the caller's fstat and
// futimes is set back.
func Timevals(ts, cur [2]Timespec) [2]Timeval {
	var tv [2]Timeval
	for i, t := range ts {
		if t.Nsec == UTIME_OMIT {
			t = cur[i]
		}
		tv[i] = Timeval{Sec: t.Sec, Usec: int32(t.Nsec / 1000)}
	}
	return tv
}
