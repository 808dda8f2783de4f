//go:build windows

package extfs

// The Windows hooks: each translates extfs types to a call of the
// sys/windows package (the mechanism: NtCreateFile, NtSetInformationFile,
// file-system controls) and says, with an error matching ErrNotSupported,
// what Windows cannot do. The handle a File gives its hooks (File.control)
// is the HANDLE.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// atCWD is the only directory the package-level functions pass: on Windows
// they take paths, and Dir has hooks of its own (dir_windows.go).
const atCWD = -100

// engine: Windows has no io_uring. EngineAuto and EngineSyscall both make
// direct calls, and run a Batch on a small pool of worker goroutines.
var engine atomic.Int32

func init() {
	if os.Getenv("EXTFS_ENGINE") == "syscall" {
		engine.Store(int32(EngineSyscall))
	}
}

func sysEngine() Engine            { return Engine(engine.Load()) }
func sysSetEngine(e Engine) Engine { return Engine(engine.Swap(int32(e))) }

// underWine reports whether the program runs under Wine, which lacks some of
// what Windows has (tested with Wine 8.0): FSCTL_SET_ZERO_DATA, symbolic
// links (CreateSymbolicLinkW is a stub, FSCTL_SET_REPARSE_POINT fails),
// FileAllocationInformation, setting FileModeInformation.
func underWine() bool { return winsys.WineVersion() != "" }

func sysSupports(f Feature) bool {
	switch f {
	case FeatureStatx, // birth time is the creation time every Windows file system keeps
		FeatureFadvise, // AdviceNormal, AdviceSequential, AdviceRandom, AdviceNoReuse
		FeatureFallocate,
		FeatureLink:
		return true
	case FeatureFallocatePunchHole, FeatureFallocateZeroRange, FeatureSymlink:
		return !underWine()
	}
	// FeatureRing, FeatureOpenat2 (Dir resolves names itself, one
	// component at a time), collapse, insert and unshare ranges, xattrs,
	// chown, mknod of devices and FIFOs: Windows has none of them.
	return false
}

func sysRingOps() []RingOp { return nil } // no io_uring

func sysFsync(fd uintptr, datasync bool) error { return winsys.Flush(windows.Handle(fd), datasync) }

func sysFadvise(fd uintptr, off, n int64, a Advice) error {
	h := windows.Handle(fd)
	switch a {
	case AdviceSequential:
		return winsys.SetSequential(h, true)
	case AdviceNormal, AdviceRandom:
		// FILE_RANDOM_ACCESS can only be given at open: clearing the
		// sequential hint leaves the cache manager's own read-ahead, which
		// notices random access by itself.
		return winsys.SetSequential(h, false)
	case AdviceNoReuse:
		return nil // a pure hint, which Windows has no use for (see Fadvise)
	}
	// AdviceWillNeed, AdviceDontNeed: Windows has no call that reads a range
	// of a file into the cache, or drops it from there.
	return notSupportedErr(a.String() + " advice on Windows")
}

func sysFallocate(fd uintptr, mode AllocMode, off, n int64) error {
	h := windows.Handle(fd)
	keep := mode&AllocKeepSize != 0
	end := off + n
	switch mode &^ AllocKeepSize {
	case 0:
		return preallocate(h, end, keep)
	case AllocPunchHole:
		return punchHole(h, off, end)
	case AllocZeroRange:
		return zeroRange(h, off, end, keep)
	}
	return notSupportedErr(mode.String() + " on Windows") // collapse, insert, unshare
}

// preallocate makes [0, end) allocated. A file that is not sparse has no
// holes: growing it allocates the new clusters (NTFS, ReFS, FAT), and
// allocation past the end of file is FileAllocationInformation, which lasts
// until the last handle is closed.
func preallocate(h windows.Handle, end int64, keep bool) error {
	size, alloc, attrs, err := winsys.SizeInfo(h)
	if err != nil {
		return err
	}
	if attrs&(windows.FILE_ATTRIBUTE_SPARSE_FILE|windows.FILE_ATTRIBUTE_COMPRESSED) != 0 {
		// Windows allocates a hole of a sparse file, or a compression unit,
		// only when it is written.
		return notSupportedErr("preallocating a sparse or compressed file on Windows")
	}
	switch {
	case !keep && end > size:
		return winsys.SetEndOfFile(h, end)
	case keep && end > alloc:
		return winsys.SetAllocation(h, end)
	}
	return nil
}

// punchHole marks the file sparse, as Windows requires before it frees
// space, then zeroes the range below the end of file (a punch past the end
// does nothing, as on Linux).
func punchHole(h windows.Handle, off, end int64) error {
	size, _, _, err := winsys.SizeInfo(h)
	if err != nil || off >= size {
		return err
	}
	if err := winsys.SetSparse(h); err != nil {
		return err
	}
	return winsys.ZeroData(h, off, min(end, size))
}

// zeroRange zeroes the range below the end of file without making the file
// sparse, so it stays allocated (in a file that is already sparse, NTFS frees
// the whole allocation units it covers), then grows the file, or its
// allocation with keep, to the end of the range.
func zeroRange(h windows.Handle, off, end int64, keep bool) error {
	size, alloc, _, err := winsys.SizeInfo(h)
	if err != nil {
		return err
	}
	if off < size {
		if err := winsys.ZeroData(h, off, min(end, size)); err != nil {
			return err
		}
	}
	switch {
	case !keep && end > size:
		return winsys.SetEndOfFile(h, end)
	case keep && end > alloc && end > size:
		return winsys.SetAllocation(h, end)
	}
	return nil
}

// Extended attributes: NTFS has extended attributes (for OS/2 and WSL) and
// alternate data streams, but nothing with Linux's namespaces and limits;
// extfs maps neither.

func xattrUnsupported() error { return notSupportedErr("extended attributes on Windows") }

func sysCheckXattrName(string) error                            { return nil }
func xattrErr(_ string, err error) error                        { return err }
func sysFgetxattr(uintptr, string) ([]byte, error)              { return nil, xattrUnsupported() }
func sysFsetxattr(uintptr, string, []byte, XattrFlag) error     { return xattrUnsupported() }
func sysFlistxattr(uintptr) ([]string, error)                   { return nil, xattrUnsupported() }
func sysFremovexattr(uintptr, string) error                     { return xattrUnsupported() }
func sysGetxattr(string, string, bool) ([]byte, error)          { return nil, xattrUnsupported() }
func sysSetxattr(string, string, []byte, XattrFlag, bool) error { return xattrUnsupported() }
func sysListxattr(string, bool) ([]string, error)               { return nil, xattrUnsupported() }
func sysRemovexattr(string, string, bool) error                 { return xattrUnsupported() }

func sysFstat(fd uintptr) (*Stat, error) {
	st, err := winsys.Fstat(windows.Handle(fd))
	if err != nil {
		return nil, err
	}
	return statFromWin(st), nil
}

func sysStatat(_ int, path string, follow bool) (*Stat, error) {
	h, err := winsys.OpenPath(path, windows.FILE_READ_ATTRIBUTES, !follow)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(h)
	return sysFstat(uintptr(h))
}

func statFromWin(st *winsys.FileStat) *Stat {
	ts := winsys.TimeFromFiletime
	s := &Stat{
		Dev:            uint64(st.VolumeSerial),
		Ino:            st.FileIndex,
		Mode:           fileMode(st),
		Nlink:          uint64(st.Links),
		Size:           st.Size,
		Blocks:         (st.AllocationSize + 511) / 512,
		Blksize:        st.ClusterSize,
		Atime:          ts(st.LastAccessTime),
		Mtime:          ts(st.LastWriteTime),
		Ctime:          ts(st.ChangeTime),
		Btime:          ts(st.CreationTime),
		AttributesMask: AttrCompressed | AttrEncrypted,
	}
	if st.Attributes&windows.FILE_ATTRIBUTE_COMPRESSED != 0 {
		s.Attributes |= AttrCompressed
	}
	if st.Attributes&windows.FILE_ATTRIBUTE_ENCRYPTED != 0 {
		s.Attributes |= AttrEncrypted
	}
	return s
}

// fileMode derives an fs.FileMode from a file's attributes the way package
// os does on Windows (Go 1.23 and later): the read-only attribute is the
// write bits; a symbolic link or junction is not a directory; a symbolic
// link is ModeSymlink, a junction and any other reparse point but
// deduplication ModeIrregular.
func fileMode(st *winsys.FileStat) fs.FileMode {
	m := fs.FileMode(0o666)
	if st.Attributes&windows.FILE_ATTRIBUTE_READONLY != 0 {
		m = 0o444
	}
	switch st.FileType {
	case windows.FILE_TYPE_PIPE:
		return m | fs.ModeNamedPipe
	case windows.FILE_TYPE_CHAR:
		return m | fs.ModeDevice | fs.ModeCharDevice
	}
	reparse := st.Attributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0
	if st.Attributes&windows.FILE_ATTRIBUTE_DIRECTORY != 0 && !(reparse && winsys.IsNameSurrogate(st.ReparseTag)) {
		m |= fs.ModeDir | 0o111
	}
	if reparse {
		switch st.ReparseTag {
		case winsys.TagSymlink:
			m |= fs.ModeSymlink
		case winsys.TagAFUnix:
			m |= fs.ModeSocket
		case winsys.TagDedup:
			// A deduplicated file is a regular file, stored differently.
		default:
			m |= fs.ModeIrregular
		}
	}
	return m
}

// filetimes converts SetTimes's times; a zero Time is 0, "unchanged".
func filetimes(atime, mtime time.Time) (a, m int64, err error) {
	conv := func(t time.Time) (int64, error) {
		if t.IsZero() {
			return 0, nil
		}
		ft, ok := winsys.FiletimeFromTime(t)
		if !ok {
			return 0, errInvalid("time %v is outside what Windows can store (after 1601-01-01, before 30828)", t)
		}
		return ft, nil
	}
	if a, err = conv(atime); err == nil {
		m, err = conv(mtime)
	}
	return a, m, err
}

func sysFutimes(fd uintptr, atime, mtime time.Time) error {
	a, m, err := filetimes(atime, mtime)
	if err != nil {
		return err
	}
	return winsys.SetTimes(windows.Handle(fd), a, m)
}

func sysFchmod(fd uintptr, mode fs.FileMode) error {
	return winsys.SetReadOnly(windows.Handle(fd), mode&0o200 == 0)
}

func sysFchown(uintptr, int, int) error { return notSupportedErr("chown on Windows") }

func sysLinkat(_ int, oldname string, _ int, newname string) error {
	return winsys.CreateHardLink(oldname, newname)
}

func sysSymlinkat(target string, _ int, linkname string) error {
	target = strings.ReplaceAll(target, "/", `\`)
	return winsys.CreateSymbolicLink(linkname, target, symlinkTargetIsDir(target, linkname))
}

// symlinkTargetIsDir reports whether target, read from the link's directory,
// is a directory now: Windows records in a symbolic link whether it is a
// directory link, and follows a file link to a directory badly. os.Symlink
// decides the same way.
func symlinkTargetIsDir(target, linkname string) bool {
	dest := target
	if !filepath.IsAbs(target) && filepath.VolumeName(target) == "" && !winsys.IsSep(target[0]) {
		dest = filepath.Join(filepath.Dir(linkname), target)
	}
	fi, err := os.Stat(dest)
	return err == nil && fi.IsDir()
}

func sysReadlinkat(_ int, name string) (string, error) {
	h, err := winsys.OpenPath(name, windows.FILE_READ_ATTRIBUTES, true)
	if err != nil {
		return "", err
	}
	defer windows.CloseHandle(h)
	return readlinkHandle(h)
}

// readlinkHandle reads the target of the link h was opened on (with
// FILE_OPEN_REPARSE_POINT). Anything else, other reparse points included,
// is "not a link": ERROR_NOT_A_REPARSE_POINT, which readlink(2) calls EINVAL.
func readlinkHandle(h windows.Handle) (string, error) {
	_, link, err := winsys.ReadLink(h)
	if err != nil {
		return "", err
	}
	if link == nil {
		return "", windows.ERROR_NOT_A_REPARSE_POINT
	}
	return link.Readlink(), nil
}

func sysUnlinkat(_ int, name string, isDir bool) error {
	if isDir {
		return osErr(syscall.Rmdir(winsys.LongPath(name)))
	}
	return osErr(syscall.Unlink(winsys.LongPath(name)))
}

// osErr returns the errno inside an error of package os.
func osErr(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// Batch: each operation is its single-call hook; runPool spreads them over
// a few goroutines. Reads and writes run on a completion port instead
// (batch_windows.go).

func op(run func() opResult) sysOp { return &funcOp{run: run} }

// runPool runs ops on the package's worker pool; the data ops of a batch
// reach it only when they cannot run on a completion port (see sysRun).
func runPool(ctx context.Context, ops []sysOp) {
	runEach(ctx, len(ops),
		func(i int) { ops[i].res = ops[i].run() },
		func(i int, err error) { ops[i].res = opResult{err: err} })
}

func sysMkdiratOp(_ int, name string, perm fs.FileMode) sysOp {
	return errOp(func() error { return osErr(os.Mkdir(name, perm)) })
}
func sysRenameatOp(_ int, oldname string, _ int, newname string) sysOp {
	return errOp(func() error { return osErr(os.Rename(oldname, newname)) })
}
func sysOpenatOp(_ int, name string, flag int, perm fs.FileMode) sysOp {
	return op(func() opResult {
		// What os.OpenFile calls; the File is made from the handle after the run.
		h, err := syscall.Open(winsys.LongPath(name), flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err != nil {
			return opResult{err: err}
		}
		return opResult{n: int(h)}
	})
}
