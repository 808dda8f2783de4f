package extfs

import (
	"context"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/extfs/extfs/internal/batchop"
	"github.com/extfs/extfs/internal/fscaps"
	"github.com/extfs/extfs/internal/fsenum"
)

// The seam between the portable package and each operating system.
//
// Every operation is found in two hops. The top-level file (fallocate.go,
// copy.go, dir.go, ...) holds the API, the argument checks, the docs and the
// portable algorithm; where it needs the operating system it calls a method
// of one of the interfaces below, through the package variables sysFile,
// sysCopy, sysDir and sysTree. Each OS implements an area in one adapter file
// (<area>_linux.go, <area>_darwin.go, <area>_windows.go, and <area>_other.go
// for systems without a backend) that only translates types around calls
// into sys/<goos>, where the mechanism lives. Every adapter file asserts
// that its type satisfies the interface, so the compiler checks the whole
// seam on every GOOS, and a reader sees it here at once.
//
// The variables have the concrete types, not the interfaces: calls are
// direct, and their arguments do not escape because of the seam.

// ---- File operations ------------------------------------------------------

// fileOS runs what one File or one name asks of the OS: the engine switch,
// Fsync, Fadvise, Fallocate, xattrs, Statx, SetTimes, Chmod, Chown, links,
// File's data path and Batch. fd is what File.control gives (a descriptor;
// the HANDLE on Windows); dir is a directory descriptor or atCWD. Errors are
// the system's errno, which the caller wraps with its op and path, or an
// error matching ErrNotSupported for what this OS cannot do (never a silent
// nil). Systems without io_uring or a data engine embed noRing, noData and
// funcOps for those parts.
type fileOS interface {
	engine() Engine            // the Engine in use
	setEngine(e Engine) Engine // switches to e (valid, offered); returns the previous one
	supports(f Feature) bool   // whether this OS and kernel offer f (f is valid)
	ringOps() []RingOp         // the io_uring operations; nil without io_uring

	fsync(fd uintptr, datasync bool) error
	fadvise(fd uintptr, off, n int64, a Advice) error         // a and the range are valid
	fallocate(fd uintptr, mode AllocMode, off, n int64) error // mode is valid (AllocMode.check)

	// xattrNameProblem says why this OS refuses a name that passed the
	// portable checks, or "" when it takes it.
	xattrNameProblem(name string) string
	// xattrHint explains an errno that misleads for this name, or "".
	xattrHint(name string, err error) string
	// The xattr calls on the file at names (a descriptor, or a path).
	getxattr(at xattrAt, name string) ([]byte, error)
	setxattr(at xattrAt, name string, v []byte, f XattrFlag) error
	listxattr(at xattrAt) ([]string, error)
	removexattr(at xattrAt, name string) error

	fstat(fd uintptr) (*Stat, error)
	statat(dir int, path string, follow bool) (*Stat, error)
	futimes(fd uintptr, atime, mtime time.Time) error // a zero Time leaves that time as it is
	fchmod(fd uintptr, mode fs.FileMode) error        // mode passed checkChmod
	fchown(fd uintptr, uid, gid int) error            // -1 leaves an id as it is
	linkat(olddir int, oldname string, newdir int, newname string) error
	symlinkat(target string, dir int, name string) error
	readlinkat(dir int, name string) (string, error)
	// unlinkat removes a file, or with isDir an empty directory; a directory
	// removed without isDir fails with EISDIR, so Batch.Remove tries again.
	unlinkat(dir int, name string, isDir bool) error

	// File's data path. Without an engine (dataEngine false) File's data
	// methods are its *os.File's, and the five calls after it never run.
	dataEngine() bool
	regular(fd uintptr) bool // fd is a regular file, which the engine takes
	readAt(fd uintptr, p []byte, off int64, nowaitOff *atomic.Bool) (int, error)
	writeAt(fd uintptr, p []byte, off int64) (int, error)
	read(fd uintptr, p []byte, nowaitOff *atomic.Bool) (int, error)
	write(fd uintptr, p []byte) (int, error)
	// open opens name on the engine; handled false means "use os.OpenFile".
	open(name string, flag int, perm fs.FileMode) (fd uintptr, handled bool, err error)
	prepareFd(fd uintptr) // readies a descriptor open made for os.NewFile

	// Batch: op makes what runs the operation d (nothing runs yet); run
	// runs ops and leaves each one's result in it. split is the number of
	// goroutines to share n ops among, each with runHere; 1 when run
	// spreads them itself.
	op(d *batchop.Desc) sysOp
	run(ctx context.Context, ops []sysOp)
	split(n int) int
	runHere(ctx context.Context, ops []sysOp)
}

var sysFile fileSys

// xattrAt names the file of an xattr call (see fsenum.XattrAt).
type xattrAt = fsenum.XattrAt

// ---- Copies ---------------------------------------------------------------

// copyOS is what the copy functions (CopyFile, CopyRange, Clone, CloneRange,
// Probe, and CopyTree through copyOpenFile) ask the system. The algorithms
// are portable: one copy loop (copyFDs), one sparse walk (copyData), one
// clone-fallback rule (copyContents), one temporary-file commit (CopyFile).
type copyOS interface {
	// fileInfo says what copying needs to know about the open file fd.
	fileInfo(fd uintptr) (fileInfo, error)
	// openMode says how fd was opened; known is false where the system
	// cannot tell (the copy then finds out).
	openMode(fd uintptr) (m openMode, known bool)
	// fsInfo names the filesystem holding fd and gives its block (cluster)
	// size: the unit of clone alignment and of holes.
	fsInfo(fd uintptr) (name string, bsize int64, err error)
	// fsKey identifies the filesystem holding path, for Probe's cache.
	fsKey(path string) (fsKey, error)
	// sourceBlocking makes a source opened with srcOpenFlags, and found to
	// be a regular file, block on reads again.
	sourceBlocking(fd uintptr) error

	// offload copies j, as how allows, with mechanisms of the system's own
	// (Linux: copy_file_range, then splice; Windows: overlapped I/O), and
	// adds what each moved to acct. Not handled: the portable pipeline
	// copies the rest, from j.srcOff+n on; n may be more than 0 then.
	offload(j *copyJob, how copyHow, acct *copyAcct) (n int64, handled bool, err error)

	// clone makes the new, empty dst share all of src's blocks.
	clone(dst, src uintptr) error
	// cloneRange makes [dstOff, dstOff+n) of dst share the blocks of
	// [srcOff, srcOff+n) of src (checked by CloneRange).
	cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error
	// dedupeRange makes [dstOff, dstOff+n) of dst share the blocks of
	// [srcOff, srcOff+n) of src if both hold the same bytes, in one request
	// of DedupeRange's loop, and returns the bytes now shared; differs:
	// they do not, nothing was shared. ErrNotSupported where the system has
	// no such call.
	dedupeRange(dst, src uintptr, srcOff, dstOff, n int64) (shared int64, differs bool, err error)
	// cloneFallback reports whether err from a clone means "these files
	// cannot share blocks" rather than a failure: CoWAuto then copies, and
	// CoWAlways fails with an error matching ErrNotSupported.
	cloneFallback(err error) bool
	// cloneNeverHere reports whether a refused clone holds for every file
	// from this filesystem into this directory, so that CopyTree stops
	// trying there (copyHints). false: each file tries again.
	cloneNeverHere(err error) bool
	// probeClone clones Probe's trial file a, holding data, to the empty
	// trial file b, named bname.
	probeClone(a, b uintptr, bname string) error

	// seekData returns the first data range of fd at or after off; ok is
	// false when there is none. It may move fd's offset (see saveOffset).
	seekData(fd uintptr, off int64) (data, hole int64, ok bool, err error)
	// saveOffset returns what puts fd's offset back after seekData.
	saveOffset(fd uintptr) (restore func())
	// sparseDest readies the new file dst to keep holes, where only some
	// files can (Windows: sparse files); always: SparseAlways, else only
	// if the source src has holes.
	sparseDest(dst, src uintptr, always bool) error
	// truncate sets the size of fd.
	truncate(fd uintptr, size int64) error

	// copyByName asks whether the system makes CopyFile's temporary file
	// whole, by name, next to r.dst: macOS clones it (clonefile), Windows
	// copies it (CopyFileExW). t.done says it did; otherwise t.f, if not
	// nil, is an empty temporary file to copy into.
	copyByName(r *byNameReq) (t copyTemp, err error)
	// unnamedTemp creates an empty temporary file without a name in dst's
	// directory (Linux's O_TMPFILE), with the permission bits of st (less
	// the umask), or returns nil: CopyFile then creates a named one.
	// linkUnnamed gives it the name name (an errno: EEXIST if name exists).
	unnamedTemp(dst string, st *Stat) *File
	linkUnnamed(tmp *File, name string) error
	// renameNoReplace renames oldpath to newpath unless newpath exists
	// (fs.ErrExist); not handled: the caller links and unlinks.
	renameNoReplace(oldpath, newpath string) (handled bool, err error)
	// noXattr reports whether err says an extended attribute does not exist.
	noXattr(err error) bool
}

var sysCopy copySys

// ---- Directories beneath a root --------------------------------------------

// dirOS resolves names beneath a directory for Dir (dir.go). dirfd is the
// descriptor or handle a Dir holds; names were checked by dir.go (not empty,
// no NUL, not absolute). A name that leads outside the directory is an
// error matching ErrEscapes, and nothing is done. Every method is answered on
// every OS: an OS without the operation returns an error matching
// ErrNotSupported, never nil.
type dirOS interface {
	// openDir opens the directory at path, resolved as package os does,
	// for a Dir to hold.
	openDir(path string) (uintptr, error)
	// openFile opens name beneath dirfd with os.OpenFile's flag and perm.
	openFile(dirfd int, name string, flag int, perm fs.FileMode) (uintptr, error)
	// openSub opens the directory name beneath dirfd for a Dir to hold.
	openSub(dirfd int, name string) (uintptr, error)
	// The operations of Dir's methods of the same names.
	mkdir(dirfd int, name string, perm fs.FileMode) error
	remove(dirfd int, name string) error
	rename(olddirfd int, oldname string, newdirfd int, newname string) error
	link(olddirfd int, oldname string, newdirfd int, newname string) error
	symlink(target string, dirfd int, name string) error
	readlink(dirfd int, name string) (string, error)
	chmod(dirfd int, name string, mode fs.FileMode) error
	lchown(dirfd int, name string, uid, gid int) error
	mknod(dirfd int, name string, mode fs.FileMode, dev uint64) error
	// stat and setTimes follow a symbolic link in the last component
	// (beneath dirfd) when follow is set.
	stat(dirfd int, name string, follow bool) (*Stat, error)
	setTimes(dirfd int, name string, atime, mtime time.Time, follow bool) error
}

var sysDir dirSys

// ---- Tree copies -----------------------------------------------------------

// treeOS is what CopyTree (copytree*.go) asks the system beyond what Dir
// offers. Every name is one component in a directory the caller holds open.
// handled == false means "not here": the caller takes the portable way.
// treeFallback (tree_fallback.go) gives the answers of a system without
// a mechanism of its own; an OS's treeSys embeds it and overrides the rest.
type treeOS interface {
	// openFlags are the flags that open a tree's directories, its source
	// files, and its new files under a temporary name.
	openFlags() treeFlags
	// tempFile makes an unnamed file in d, which linkFile names once
	// complete. handled is false where unnamed files cannot be made.
	tempFile(d *Dir, perm fs.FileMode) (f *File, handled bool, err error)
	// linkFile gives the unnamed file f the name name in d; fs.ErrExist if
	// the name is taken.
	linkFile(f *File, d *Dir, name string) error
	// renameNoReplace renames old to name in d unless name exists
	// (fs.ErrExist). handled is false where that is not one step: the
	// caller links and unlinks.
	renameNoReplace(d *Dir, old, name string) (handled bool, err error)
	// mksock makes a socket inode; ErrNotSupported where there are none.
	mksock(d *Dir, name string, perm fs.FileMode) error
	// copyLxattrs copies the xattrs of sd's entry sname to dd's dname,
	// following neither (symbolic links and special files).
	copyLxattrs(sd *Dir, sname string, dd *Dir, dname string) error
	// clone makes the new file nf a clone of src (st its metadata) where
	// clones are made by name (macOS). cloned is false when the caller is
	// to fill nf itself, as copyOpenFile does (cloning where the system
	// clones into an open file).
	clone(ctx context.Context, src *File, st *Stat, nf *treeFile, o *CopyOptions) (stats CopyStats, cloned bool, err error)
	// syncDirs reports whether a directory is made durable by syncing it
	// (CopyOptions.Sync): fsync(2) on Unix.
	syncDirs() bool
}

// treeFlags are the open flags of treeOS.openFlags.
type treeFlags struct{ dir, src, new int }

var sysTree treeSys

// ---- Probes ----------------------------------------------------------------

// probeOS is what Probe, ProbeTrial and ProbePair (probe.go) ask the system
// about a filesystem. Nothing here writes: the answers come from what the
// system says of the filesystem (its type, its feature flags) and from what
// its driver is known to do; what cannot be learned so is fscaps.Unknown.
type probeOS interface {
	// volume describes the filesystem holding the directory dir: its
	// capabilities and its identity (fscaps.Volume).
	volume(dir string) (fscaps.Volume, error)
	// pairMethod says how CopyFile (CoWAuto) would copy a file from
	// volume src to a new file on volume dst. known is false when that
	// hangs on an Unknown answer; m is then what CopyFile falls back to.
	pairMethod(src, dst *fscaps.Volume) (m fscaps.Method, known bool)
}

var sysProbe probeSys
