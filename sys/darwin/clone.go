package darwin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/extfs/extfs/internal/byname"
)

// Decisions of copying and cloning: which clonefile(2) errno means "cannot
// clone here", what a fresh clone's flags and mode must become before it
// can pass for a new file, setattrlist(2)'s buffers, renaming without
// replacing, the data map, filesystem identity. Pure: the tests run on every
// OS.

// CloneFallback reports whether err from clonefileat(2) or fclonefileat(2)
// means "these files cannot share blocks here", rather than a failure of the
// copy: the caller copies instead, or reports that no clone is possible.
func CloneFallback(err error) bool {
	switch err {
	case ENOTSUP, EOPNOTSUPP: // no VNOP_CLONEFILE: HFS+, FAT, exFAT, SMB, NFS (vn_default_error says ENOTSUP)
		return true
	case EXDEV: // source and destination on different volumes; every APFS volume is its own mount
		return true
	case EINVAL: // the filesystem refuses this file or these flags (macFUSE, third-party filesystems)
		return true
	case EPERM: // the sandbox denies file-clone (MAC policy); a real permission error recurs in the copy
		return true
	case EACCES: // clonefile also needs the right to read the source's attributes and ACL; a real denial recurs in the copy
		return true
	}
	return false
}

// CloneStuck is the st_flags a clone takes from its source that only the
// superuser could clear again: an immutable, append-only or undeletable
// clone could neither be renamed into place nor removed after a failure.
// clonefile_internal copies the source's st_flags but UF_DATAVAULT and
// SF_RESTRICTED. A source with any of these is not cloned.
const CloneStuck = SF_IMMUTABLE | SF_APPEND | SF_NOUNLINK

// cloneCleared are the flags taken off a fresh clone: every flag the owner
// may change (UF_SETTABLE: uchg, uappnd, nodump, hidden, tracked, ...),
// since a new file has none of them — except UF_COMPRESSED, whose clone
// shares the source's compressed data (kept in a hidden xattr) and cannot
// be read without the flag, and UF_DATAVAULT, which the clone inherits from
// its directory like any new file there and which needs an entitlement to
// clear. The superuser's flags (SF_*) stay; CloneStuck keeps the ones that
// matter from ever being cloned.
const cloneCleared = UF_SETTABLE &^ (UF_COMPRESSED | UF_DATAVAULT)

// CloneFlags returns the st_flags a fresh clone whose flags are flags should
// be given to pass for a new file; change is false when it already can.
func CloneFlags(flags uint32) (want uint32, change bool) {
	want = flags &^ cloneCleared
	return want, want != flags
}

// CloneWidens reports whether a clone of a file whose st_mode is mode, which
// has that file's permission bits until they are changed, would meanwhile
// grant someone read, write or execute permission that the copy, with
// permission bits want, is not to grant. macOS cannot clone with other
// permissions, and whoever the clone's bits let open it could keep it open;
// so such a file is not cloned (GNU cp makes the same choice). The setuid
// and setgid bits do not count (clonefile turns them off), nor the sticky
// bit (no access on a regular file).
func CloneWidens(mode, want uint32) bool { return mode&0o777&^want != 0 }

// CloneWorkMode is the permission bits (mode&07777) to give a fresh clone so
// that its owner can open it for reading and writing and change its
// extended attributes meanwhile: mode plus the owner's read and write
// permission. change is false when mode has them. Only the owner gains a
// permission, and the bits are set to the copy's own afterwards.
func CloneWorkMode(mode uint32) (work uint32, change bool) {
	mode &= 0o7777
	work = mode | 0o600
	return work, work != mode
}

// TimesAttrlist lays out what setattrlist(2) needs to set a file's birth,
// modification and access times: the ATTR_CMN_* bits and the attribute
// buffer. A nil time is left alone. The times are packed in the order of
// their bits (ATTR_CMN_CRTIME, ATTR_CMN_MODTIME, ATTR_CMN_ACCTIME), as
// setattrlist requires, each a 64-bit struct timespec (tv_sec, tv_nsec),
// little-endian: both darwin/amd64 and darwin/arm64 are.
func TimesAttrlist(crtime, mtime, atime *Timespec) (common uint32, buf []byte) {
	for _, a := range []struct {
		bit uint32
		t   *Timespec
	}{{ATTR_CMN_CRTIME, crtime}, {ATTR_CMN_MODTIME, mtime}, {ATTR_CMN_ACCTIME, atime}} {
		if a.t == nil {
			continue
		}
		common |= a.bit
		buf = binary.LittleEndian.AppendUint64(buf, uint64(a.t.Sec))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(a.t.Nsec))
	}
	return common, buf
}

// FlagsAttrlist lays out what setattrlist(2) needs to set st_flags
// (ATTR_CMN_FLAGS, a u_int32_t). Unlike chflags(2), setattrlist can act on a
// name without following a symbolic link there (FSOPT_NOFOLLOW).
func FlagsAttrlist(flags uint32) (common uint32, buf []byte) {
	return ATTR_CMN_FLAGS, binary.LittleEndian.AppendUint32(nil, flags)
}

// KeepXattr reports whether err, from removing the extended attribute name
// from a fresh clone, means the system protects the attribute: EPERM on a
// name of Apple's (com.apple.provenance, com.apple.macl, com.apple.rootless).
// Such attributes are the system's to set and clear, not the source's to
// pass on, so the clone keeps them rather than be thrown away.
func KeepXattr(name string, err error) bool {
	return errors.Is(err, EPERM) && strings.HasPrefix(name, "com.apple.")
}

// RenameExclFallback reports whether err from renameatx_np(RENAME_EXCL)
// means the filesystem cannot rename without replacing — it has no
// VNOP_RENAMEX (FAT, exFAT, SMB, NFS): renameat_internal answers EEXIST
// itself for an existing name, then the filesystem ENOTSUP — rather than a
// failure. The caller then links and unlinks, which never replaces either.
func RenameExclFallback(err error) bool {
	return err == ENOTSUP || err == EOPNOTSUPP || err == EINVAL
}

// LinkFallback reports whether err from link(2) means the filesystem has no
// hard links (FAT and exFAT say ENOTSUP; SMB servers ENOTSUP or EPERM). The
// last resort is then to look whether the new name is free and rename if it
// is, which another process could take in between.
func LinkFallback(err error) bool {
	return err == ENOTSUP || err == EOPNOTSUPP || err == EPERM
}

// MayBeSparse reports whether a file of size bytes that occupies blocks
// 512-byte blocks (st_blocks) can have holes at all: only then is its data
// map asked for with SEEK_DATA and SEEK_HOLE. A file with a block for every
// 512 bytes is copied whole without asking — which also keeps most copies
// clear of APFS's SEEK_HOLE errors (GNU coreutils bug 61386: holes reported
// over data on APFS disk images). st_blocks counts every fork, so a sparse
// file with a resource fork may look dense: it is then copied whole, its
// holes filled with zeros, and nothing lost.
func MayBeSparse(blocks, size int64) bool { return blocks < size/512 }

// FsName is statfs(2)'s f_fstypename: "apfs", "hfs", "msdos", "exfat",
// "smbfs", "nfs", ..., up to its NUL.
func FsName(typename [16]byte) string {
	b := typename[:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// FsidKey splits statfs(2)'s f_fsid into two numbers that identify a mounted
// volume: val[0], the volume's device (the st_dev of its files), and val[1],
// which XNU sets to the filesystem type's number (vfs_getnewfsid), so that a
// device number reused by a volume of another type is not taken for the old
// one.
func FsidKey(fsid [2]int32) (dev, typ uint64) {
	return uint64(uint32(fsid[0])), uint64(uint32(fsid[1]))
}

// NoClone is what a copy does when it makes no clone.
type NoClone int

const (
	NoCloneCopy        NoClone = iota + 1 // copy instead (CoWAuto)
	NoCloneUnsupported                    // fail with an error that says why no clone is possible (CoWAlways)
	NoCloneFail                           // fail with the error as it is
)

// NoCloneVerdict says what a copy does when clonefile failed with err, or,
// for a nil err, when the caller chose not to clone (CloneRefusal); always
// is true when the copy must be a clone (CoWAlways). Only the errnos of
// CloneFallback mean "no clone here"; of those, EPERM and EACCES under
// always are reported as they are, as EPERM is on Linux: more likely a
// real permission problem, or the sandbox, than a filesystem's inability.
func NoCloneVerdict(always bool, err error) NoClone {
	switch {
	case err != nil && !CloneFallback(err):
		return NoCloneFail
	case !always:
		return NoCloneCopy
	case errors.Is(err, EPERM), errors.Is(err, EACCES):
		return NoCloneFail
	}
	return NoCloneUnsupported
}

// CloneRefusal says why a file with st_flags flags and st_mode mode is not
// to be cloned for a copy whose permission bits are want, or "" if it may
// be.
func CloneRefusal(flags, mode, want uint32) string {
	switch {
	case flags&CloneStuck != 0:
		return "clone: the source is immutable, append-only or undeletable (schg, sappnd, sunlnk), flags its clone would inherit and only the superuser could clear"
	case CloneWidens(mode, want):
		return fmt.Sprintf("clone: a clone would have the source's permission bits %#o, which grant more than the copy's %#o (the umask applied), until changed; use PreserveMode to clone", mode&0o777, want)
	}
	return ""
}

// CloneWhat says why clonefile cannot clone (err, one of CloneFallback's)
// between the volumes named sname and dname ("" where statfs failed).
func CloneWhat(err error, sname, dname string) string {
	switch {
	case sname == "" || dname == "":
		return "clone"
	case errors.Is(err, EXDEV):
		return "clone: the source (" + sname + ") and the destination (" + dname + ") are on different volumes"
	case sname != dname:
		return "clone: the source is on " + sname + " and the destination on " + dname
	}
	return "clone: the " + dname + " filesystem cannot clone files (clonefile needs APFS)"
}

// noClone is CloneAsNew's answer when no clone was made, by err from the
// call op (nil: CloneRefusal), as NoCloneVerdict rules: (nil, nil) to copy
// instead. why says why no clone is possible (CoWAlways).
func noClone(always bool, op string, err error, why func() string) error {
	switch NoCloneVerdict(always, err) {
	case NoCloneCopy:
		return nil
	case NoCloneUnsupported:
		return &byname.Error{Op: op, Err: err, Why: why()}
	}
	return &byname.Error{Op: op, Err: err}
}

// CloneTimes are the birth, modification and access times to give a fresh
// clone (setattrlist's order, see TimesAttrlist): now, and the source's
// atime and mtime with keep, else now too.
func CloneTimes(now time.Time, keep bool, atime, mtime time.Time) (crtime, mtimeTs, atimeTs Timespec) {
	if !keep {
		atime, mtime = now, now
	}
	return timespec(now), timespec(mtime), timespec(atime)
}

// timespec is t as a struct timespec. Not UnixNano: it overflows outside
// 1678..2262.
func timespec(t time.Time) Timespec { return Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())} }

// CloneChmod says which permission bits to give a fresh clone whose bits
// are mode (07777), and whether it needs them: with KeepMode the source's,
// Mode, unless the clone has them and was not chowned since (chown(2) may
// clear setuid and setgid), as extfs's preserve does; else Want, unless it
// has those.
func CloneChmod(r *byname.Req, mode uint32, chowned bool) (set uint32, change bool) {
	if r.KeepMode {
		return r.Mode, chowned || mode != r.Mode
	}
	return r.Want, mode != r.Want
}
