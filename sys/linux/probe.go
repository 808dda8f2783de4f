//go:build linux

package linux

// What Probe and ProbePair read of a filesystem without writing: its type
// (statfs), its superblock and mount (statx, /proc/self/mountinfo), XFS's
// geometry flags, and what this kernel's driver for the type does
// (probeRules). Nothing here creates a file.

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fscaps"
	"golang.org/x/sys/unix"
)

// ProbeVolume describes the filesystem holding the directory dir. A
// directory the caller may not read is still described (opened O_PATH);
// only XFS's reflink flag is then unknown.
func ProbeVolume(dir string) (fscaps.Volume, error) {
	fd, err := eintr.Retry1(func() (int, error) {
		return unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	})
	readable := err == nil
	if err == unix.EACCES {
		fd, err = unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return fscaps.Volume{}, os.NewSyscallError("open", err)
	}
	defer unix.Close(fd)

	var sfs unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Fstatfs(fd, &sfs) }); err != nil {
		return fscaps.Volume{}, os.NewSyscallError("fstatfs", err)
	}
	var stx unix.Statx_t
	err = eintr.Retry(func() error {
		return unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_STATX_DONT_SYNC, unix.STATX_MNT_ID, &stx)
	})
	if err != nil {
		return fscaps.Volume{}, os.NewSyscallError("statx", err)
	}
	v := fscaps.Volume{FS: unix.Mkdev(stx.Dev_major, stx.Dev_minor)}
	var opts string
	if stx.Mask&unix.STATX_MNT_ID != 0 {
		v.Mount = stx.Mnt_id
		if m, ok := mountOf(stx.Mnt_id); ok {
			v.FS, v.Type, opts = m.dev, m.typ, m.opts // the superblock's device: one for all of btrfs's subvolumes
		}
	}
	v.Filesystem, v.BlockSize = FsName(sfs.Type), sfs.Bsize
	reflink := fscaps.Unknown
	if readable && uint32(sfs.Type) == unix.XFS_SUPER_MAGIC {
		reflink = xfsReflink(fd)
	}
	v.Caps = probeRules(v.Caps, v.Type, opts, reflink)
	return v, nil
}

// probeRules fills in what the kernel's driver for c.Filesystem does
// (fs/<fs>/file.c: each one's fallocate mode mask, remap_file_range, and
// xattr handlers). Filesystems not listed keep Unknown.
func probeRules(c fscaps.Caps, typ, opts string, reflink fscaps.Answer) fscaps.Caps {
	y, n := fscaps.Yes, fscaps.No
	switch c.Filesystem {
	case "xfs":
		// Every mode; unsharing is a no-op on XFS without reflink.
		c.Clone = reflink
		c.Allocate, c.KeepSize, c.PunchHole, c.ZeroRange, c.CollapseRange, c.InsertRange, c.UnshareRange = y, y, y, y, y, y, y
		c.Xattr = y
	case "btrfs":
		// btrfs_fallocate takes KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE only.
		c.Clone = y
		c.Allocate, c.KeepSize, c.PunchHole, c.ZeroRange, c.CollapseRange, c.InsertRange, c.UnshareRange = y, y, y, y, n, n, n
		c.Xattr = y
	case "ext4":
		// Preallocation, zero, collapse and insert need extents, which
		// every file of a filesystem made by mkfs.ext4 has; one mounted as
		// ext2 or ext3 may have none. Punching works either way.
		c.Clone, c.PunchHole, c.UnshareRange = n, y, n
		if typ == "" || typ == "ext4" {
			c.Allocate, c.KeepSize, c.ZeroRange, c.CollapseRange, c.InsertRange = y, y, y, y, y
		}
		c.Xattr = fscaps.Of(!strings.Contains(","+opts+",", ",nouser_xattr,"))
	case "tmpfs":
		// shmem_fallocate takes KEEP_SIZE and PUNCH_HOLE only.
		c.Clone = n
		c.Allocate, c.KeepSize, c.PunchHole, c.ZeroRange, c.CollapseRange, c.InsertRange, c.UnshareRange = y, y, y, n, n, n, n
		c.Xattr = fscaps.Of(tmpfsUserXattr())
	default:
		return c
	}
	// Within one superblock the kernel copies any regular file
	// (splice_copy_file_range where the driver has no copy_file_range).
	c.CopyRange = fscaps.Of(CopyFileRangeSupported())
	return c
}

// tmpfsUserXattr: user.* xattrs on tmpfs since Linux 6.6.
var tmpfsUserXattr = sync.OnceValue(func() bool { return KernelAtLeast(6, 6) })

// cloneAcrossMounts: FICLONE between two mounts of one filesystem since
// Linux 5.18 (before, EXDEV).
var cloneAcrossMounts = sync.OnceValue(func() bool { return KernelAtLeast(5, 18) })

// copyRangeAcrossFS: copy_file_range between two filesystems of any type
// from 5.3 to 5.18; since 5.19 only between two of one type whose driver
// copies itself (NFS, CIFS, ceph, FUSE), where the server decides.
var copyRangeAcrossFS = sync.OnceValue(func() bool { return !KernelAtLeast(5, 19) })

var ownCopyRange = map[string]bool{"nfs": true, "cifs": true, "smb2": true, "fuse": true, "0xc36400": true /* ceph */}

// PairMethod says how CopyFile (CoWAuto) copies a file from the filesystem
// src to a new file on dst: FICLONE, then copy_file_range, then splice
// (copyContents and sysCopy.offload). known is false when the answer hangs
// on something only a trial could tell; m is then what CopyFile falls back
// to if that trial fails.
func PairMethod(src, dst *fscaps.Volume) (m fscaps.Method, known bool) {
	if src.FS == dst.FS {
		clone := dst.Clone
		if clone == fscaps.Yes && !cloneAcrossMounts() {
			switch {
			case src.Mount == 0: // no mount IDs (before 5.8)
				clone = fscaps.Unknown
			case src.Mount != dst.Mount:
				clone = fscaps.No
			}
		}
		if clone == fscaps.Yes {
			return fscaps.Clone, true
		}
		known = clone == fscaps.No
		if dst.CopyRange == fscaps.No {
			return fscaps.Splice, known
		}
		return fscaps.CopyRange, known && dst.CopyRange == fscaps.Yes
	}
	switch {
	case !CopyFileRangeSupported():
		return fscaps.Splice, true
	case copyRangeAcrossFS():
		return fscaps.CopyRange, true
	case src.Filesystem == dst.Filesystem && ownCopyRange[src.Filesystem]:
		return fscaps.Splice, false
	}
	return fscaps.Splice, true
}

type mountInfo struct {
	dev       uint64 // the superblock's device (st_dev of its root)
	typ, opts string // the filesystem type and the superblock's options
}

// mountOf finds mount id in /proc/self/mountinfo (proc(5)).
func mountOf(id uint64) (mountInfo, bool) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return mountInfo{}, false
	}
	defer f.Close()
	want := strconv.FormatUint(id, 10) + " "
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, want) {
			return parseMountinfo(line)
		}
	}
	return mountInfo{}, false
}

// parseMountinfo reads "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3
// /dev/root rw,errors=continue".
func parseMountinfo(line string) (mountInfo, bool) {
	pre, post, ok := strings.Cut(line, " - ")
	f, g := strings.Fields(pre), strings.Fields(post)
	if !ok || len(f) < 3 || len(g) < 1 {
		return mountInfo{}, false
	}
	maj, min, ok := strings.Cut(f[2], ":")
	a, err1 := strconv.ParseUint(maj, 10, 32)
	b, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return mountInfo{}, false
	}
	m := mountInfo{dev: unix.Mkdev(uint32(a), uint32(b)), typ: g[0]}
	if len(g) >= 3 {
		m.opts = g[2]
	}
	return m, true
}

// XFS_IOC_FSGEOMETRY (struct xfs_fsop_geom, 256 bytes, since 5.1) and
// XFS_IOC_FSGEOMETRY_V4 (112 bytes): _IOR('X', 126 / 124, ...). The flags
// are at byte 92 of both; XFS_FSOP_GEOM_FLAGS_REFLINK is bit 20
// (fs/xfs/libxfs/xfs_fs.h). Any user who can open the directory may ask.
const (
	xfsIocFsgeometry   = 0x8100587e
	xfsIocFsgeometryV4 = 0x8070587c
	xfsGeomFlagsOff    = 92
	xfsGeomReflink     = 1 << 20
)

// xfsReflink reads XFS's reflink flag through the open directory fd.
func xfsReflink(fd int) fscaps.Answer {
	var geom [256]byte
	for _, req := range []uintptr{xfsIocFsgeometry, xfsIocFsgeometryV4} {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&geom[0])))
		if e == 0 {
			flags := *(*uint32)(unsafe.Pointer(&geom[xfsGeomFlagsOff]))
			return fscaps.Of(flags&xfsGeomReflink != 0)
		}
	}
	return fscaps.Unknown
}
