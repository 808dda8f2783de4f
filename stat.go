package extfs

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/extfs/extfs/internal/fsstat"
)

// Stat is what statx(2) reports about a file.
//
// # Windows notes
//
// Dev is the volume serial number and Ino the file ID, the pair os.SameFile
// compares (on ReFS, whose IDs are 128 bits, Ino is the 64-bit index Windows
// also reports, which may not be unique). Mode is derived from the file
// attributes as package os does: FILE_ATTRIBUTE_READONLY clears the write
// bits; a symbolic link is ModeSymlink, a junction or another reparse point
// (except deduplication) ModeIrregular. Blocks is the allocation size in
// 512-byte units, Blksize the volume's cluster size, Ctime the change time
// (ChangeTime), Btime the creation time. Uid, Gid and Rdev are 0: Windows
// has no POSIX owners or device numbers. Attributes reports AttrCompressed
// and AttrEncrypted.
//
// # macOS notes
//
// The fields come from fstat(2)/fstatat(2). Btime is st_birthtime, the zero
// Time where the filesystem keeps none (macOS reports 0 then). Attributes
// come from the chflags(2) flags, st_flags: AttrImmutable (uchg or schg),
// AttrAppend (uappnd or sappnd), AttrNodump and AttrCompressed (transparent
// compression); AttributesMask holds those four, always known. Nlink is at
// most 65535: st_nlink is 16 bits on macOS. Dev and Rdev are 32-bit dev_t
// values. Blocks counts every fork of the file (the resource fork too).
type Stat struct {
	Dev     uint64      // device holding the file
	Ino     uint64      // inode number
	Mode    fs.FileMode // type and permission bits, as in package io/fs
	Nlink   uint64      // number of hard links
	Uid     uint32
	Gid     uint32
	Rdev    uint64 // device number, for device files
	Size    int64  // bytes
	Blocks  int64  // allocated space in 512-byte units
	Blksize int64  // preferred I/O size
	Atime   time.Time
	Mtime   time.Time
	Ctime   time.Time
	Btime   time.Time // birth time; the zero Time when the filesystem does not record it
	// Attributes holds StatAttr flags; AttributesMask says which of them the
	// filesystem supports (a flag outside the mask means "unknown").
	Attributes     StatAttr
	AttributesMask StatAttr
}

// StatAttr are file attribute flags (Linux STATX_ATTR_* values).
type StatAttr uint64

const (
	AttrCompressed StatAttr = 0x04
	AttrImmutable  StatAttr = 0x10
	AttrAppend     StatAttr = 0x20
	AttrNodump     StatAttr = 0x40
	AttrEncrypted  StatAttr = 0x800
	AttrAutomount  StatAttr = 0x1000
	AttrMountRoot  StatAttr = 0x2000
	AttrVerity     StatAttr = 0x100000
	AttrDAX        StatAttr = 0x200000
)

// statOf makes a Stat of what sys/<goos> says of a file, or passes its
// error on.
func statOf(s fsstat.Stat, err error) (*Stat, error) {
	if err != nil {
		return nil, err
	}
	return &Stat{
		Dev: s.Dev, Ino: s.Ino, Mode: s.Mode, Nlink: s.Nlink, Uid: s.Uid, Gid: s.Gid, Rdev: s.Rdev,
		Size: s.Size, Blocks: s.Blocks, Blksize: s.Blksize,
		Atime: s.Atime, Mtime: s.Mtime, Ctime: s.Ctime, Btime: s.Btime,
		Attributes: StatAttr(s.Attributes), AttributesMask: StatAttr(s.AttributesMask),
	}, nil
}

// Statx returns the file's metadata.
func (f *File) Statx() (*Stat, error) {
	var st *Stat
	err := f.control("statx", func(fd uintptr) (err error) {
		st, err = sysFile.fstat(fd)
		return err
	})
	return st, err
}

// Statx returns the metadata of the file at path, following symbolic links.
// A path with a NUL byte is refused with an error matching fs.ErrInvalid.
func Statx(path string) (*Stat, error) { return statPath(path, true) }

// Lstatx returns the metadata of the file at path; a symbolic link is
// described itself, not followed.
func Lstatx(path string) (*Stat, error) { return statPath(path, false) }

func statPath(path string, follow bool) (*Stat, error) {
	if err := checkPath("path", path); err != nil {
		return nil, pathErr("statx", path, err)
	}
	st, err := sysFile.statat(atCWD, path, follow)
	return st, pathErr("statx", path, err)
}

// SetTimes sets the file's access and modification times with nanosecond
// precision. A zero time.Time leaves that time unchanged.
//
// # Windows notes
//
// Windows keeps times in 100 ns units, from 1601 to 30827: the nanoseconds
// below 100 are dropped, and a time outside that span is an error matching
// fs.ErrInvalid. The file must be open for writing (FILE_WRITE_ATTRIBUTES),
// and NTFS then stops updating a time set this way for the rest of the
// handle's life: later writes through this File leave the modification time
// as set.
//
// # macOS notes
//
// x/sys/unix has no futimens for macOS: the times of a File are set with
// futimes(2), to the microsecond (the nanoseconds below are dropped), and
// when one of them is left unchanged it is read first and set again, so a
// change made to it by another process in between is undone. Dir.SetTimes,
// on a name, keeps nanoseconds (utimensat).
func (f *File) SetTimes(atime, mtime time.Time) error {
	return f.control("utimensat", func(fd uintptr) error { return sysFile.futimes(fd, atime, mtime) })
}

// Chmod changes the file's permission bits (and setuid, setgid, sticky).
// Any other bit of mode (a type such as fs.ModeDir, or the Unix 0o7000
// bits, which an fs.FileMode spells fs.ModeSetuid, fs.ModeSetgid and
// fs.ModeSticky) is refused with an error matching fs.ErrInvalid that shows
// those bits.
//
// # Windows notes
//
// As os.Chmod: only the owner's write bit counts, as
// FILE_ATTRIBUTE_READONLY (set when the bit is clear); the other bits are
// ignored. The file must be open for writing.
func (f *File) Chmod(mode fs.FileMode) error {
	if err := checkChmod(mode); err != nil {
		return pathErr("chmod", f.Name(), err)
	}
	return f.control("chmod", func(fd uintptr) error { return sysFile.fchmod(fd, mode) })
}

// Chown changes the file's owner and group; -1 leaves one unchanged. On
// Windows, which has no POSIX owners, it returns an error matching
// ErrNotSupported.
func (f *File) Chown(uid, gid int) error {
	if err := checkChown(uid, gid); err != nil {
		return pathErr("chown", f.Name(), err)
	}
	return f.control("chown", func(fd uintptr) error { return sysFile.fchown(fd, uid, gid) })
}

// checkChmod refuses a mode with bits chmod cannot set, and shows them.
func checkChmod(mode fs.FileMode) error {
	stray := mode &^ (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if stray == 0 {
		return nil
	}
	msg := "mode " + modeBits(mode) + " has bits other than permissions, setuid, setgid, sticky: " + modeBits(stray)
	if stray&0o7000 != 0 {
		msg += " (an fs.FileMode spells the Unix bits 0o4000, 0o2000, 0o1000 fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky)"
	}
	return errInvalid("%s", msg)
}

// modeNames names the bits of an fs.FileMode above the permissions.
var modeNames = [...]struct {
	bit  fs.FileMode
	name string
}{
	{fs.ModeDir, "ModeDir"}, {fs.ModeAppend, "ModeAppend"}, {fs.ModeExclusive, "ModeExclusive"},
	{fs.ModeTemporary, "ModeTemporary"}, {fs.ModeSymlink, "ModeSymlink"}, {fs.ModeDevice, "ModeDevice"},
	{fs.ModeNamedPipe, "ModeNamedPipe"}, {fs.ModeSocket, "ModeSocket"}, {fs.ModeSetuid, "ModeSetuid"},
	{fs.ModeSetgid, "ModeSetgid"}, {fs.ModeCharDevice, "ModeCharDevice"}, {fs.ModeSticky, "ModeSticky"},
	{fs.ModeIrregular, "ModeIrregular"},
}

// modeBits spells every bit of m, unlike fs.FileMode.String, which drops
// those between the permissions and the named bits: the rest in octal, then
// the named bits, e.g. "0o4000|ModeDir".
func modeBits(m fs.FileMode) string {
	var parts []string
	rest := m
	for _, n := range modeNames {
		if m&n.bit != 0 {
			parts = append(parts, n.name)
			rest &^= n.bit
		}
	}
	if rest != 0 || len(parts) == 0 {
		parts = append([]string{fmt.Sprintf("0o%o", uint32(rest))}, parts...)
	}
	return strings.Join(parts, "|")
}

func checkChown(uid, gid int) error {
	// -1 means "unchanged"; 1<<32-1 is the same value as the kernel sees it.
	valid := func(id int) bool { return id >= -1 && int64(id) < 1<<32-1 }
	if !valid(uid) || !valid(gid) {
		return errInvalid("chown: invalid uid %d or gid %d", uid, gid)
	}
	return nil
}
