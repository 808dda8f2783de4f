//go:build darwin

package extfs

// The macOS answers to copyOS (sys.go), around sys/darwin. macOS has no
// copy_file_range or splice: a copy that is not a clone is the read/write
// pipeline. A clone is made by clonefile(2), which creates a new file by
// name and cannot fill an open file as FICLONE does: CopyFile's temporary
// file is itself the clone (copyByName), CopyTree's new file is replaced by
// one (sysTreeClone), Probe's trial clone takes the trial file's name, and
// clones into open files answer errCloneOpen.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/extfs/extfs/internal/fdmode"
	"github.com/extfs/extfs/sys/darwin"
	"golang.org/x/sys/unix"
)

type copySys struct{}

var _ copyOS = copySys{}

// darwinClonefile is fclonefileat(2); tests replace it
// (export_darwin_test.go) to force the fallbacks.
var darwinClonefile = darwin.Fclonefileat

// cloneFlags: the clone is ours whoever runs the copy (PreserveOwner, as on
// Linux, chowns it afterwards), and a symbolic link put at its name is not
// followed.
const cloneFlags = darwin.CLONE_NOFOLLOW | darwin.CLONE_NOOWNERCOPY

// srcOpenFlags open a file to copy: O_NONBLOCK, so that a FIFO put at the
// name since CopyFile looked does not block the open; O_NOCTTY, nor may a
// terminal become the controlling one.
const srcOpenFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY

var (
	// errCloneOpen is clone's answer: clonefile makes a new file and
	// cannot fill an open one, so copyContents copies, and CoWAlways on an
	// open file (CopyTree) fails with an error matching ErrNotSupported.
	errCloneOpen = notSupportedErr("clone into an open file: macOS clones only to a new name (clonefile)")
	// errCloneRange is cloneRange's answer, and CloneRange's on macOS.
	errCloneRange = notSupportedErr("clone range: macOS has no call to clone part of a file (APFS clones whole files, with clonefile)")
)

// darwinCloneWanted is cloneWanted, for CopyTree's clone (copytree_darwin.go).
func darwinCloneWanted(cow CoWMode, size int64) bool { return cloneWanted(cow, size) }

func (copySys) sourceBlocking(fd uintptr) error { return fdmode.Blocking(fd) }

func (copySys) openMode(fd uintptr) (openMode, bool) {
	r, w, a, ok := fdmode.Of(fd)
	return openMode{read: r, write: w, append: a}, ok
}

func (copySys) fileInfo(fd uintptr) (fileInfo, error) {
	st, err := darwin.Fstat(int(fd))
	if err != nil {
		return fileInfo{}, err
	}
	typ := st.Mode & darwin.S_IFMT
	return fileInfo{dev: st.Dev, ino: st.Ino, size: st.Size, blocks: st.Blocks, regular: typ == darwin.S_IFREG, dir: typ == darwin.S_IFDIR}, nil
}

// fsInfo: statfs's f_fstypename ("apfs", "hfs", ...) and block size.
func (copySys) fsInfo(fd uintptr) (string, int64, error) {
	fi, err := darwin.Fstatfs(int(fd))
	return fi.Name, fi.Bsize, err
}

// fsKey: the volume's f_fsid (darwin.FsidKey).
func (copySys) fsKey(path string) (fsKey, error) {
	fi, err := darwin.Statfs(path)
	if err != nil {
		return fsKey{}, err
	}
	dev, typ := darwin.FsidKey(fi.Fsid)
	return fsKey{dev: dev, mnt: typ}, nil
}

func (copySys) offload(*copyJob, copyHow, *copyAcct) (int64, bool, error) { return 0, false, nil }

func (copySys) clone(dst, src uintptr) error { return errCloneOpen }

func (copySys) cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error { return errCloneRange }

// cloneFallback: clonefile's errnos that mean "no clone here", and
// errCloneOpen; not errCloneRange, which CloneRange reports as it is.
func (copySys) cloneFallback(err error) bool {
	return err == errCloneOpen || darwin.CloneFallback(err)
}

func (copySys) cloneNeverHere(error) bool { return false }

// probeClone clones a to the name of b, which it removes first (clonefile
// makes new files only); Probe's cleanup removes the clone by name.
func (copySys) probeClone(a, _ uintptr, bname string) error {
	if err := darwin.Unlinkat(unix.AT_FDCWD, bname, 0); err != nil {
		return err
	}
	return darwinClonefile(int(a), unix.AT_FDCWD, bname, cloneFlags)
}

// seekData: a file with a block for every 512 bytes of its size has no
// holes, found without SEEK_DATA (darwin.MayBeSparse).
func (copySys) seekData(fd uintptr, off int64) (data, hole int64, ok bool, err error) {
	if off == 0 {
		st, err := darwin.Fstat(int(fd))
		if err != nil {
			return 0, 0, false, os.NewSyscallError("fstat", err)
		}
		if !darwin.MayBeSparse(st.Blocks, st.Size) {
			return 0, st.Size, st.Size > 0, nil
		}
	}
	data, hole, ok, err = darwin.SeekData(int(fd), off)
	if err != nil {
		return 0, 0, false, os.NewSyscallError("lseek", err)
	}
	return data, hole, ok, nil
}

func (copySys) saveOffset(fd uintptr) func() { return fdmode.KeepOffset(fd) }

func (copySys) sparseDest(dst, src uintptr, always bool) error { return nil } // every file can have holes

func (copySys) truncate(fd uintptr, size int64) error { return darwin.Ftruncate(int(fd), size) }

func (copySys) unnamedTemp(string, *Stat) *File { return nil }

func (copySys) linkUnnamed(*File, string) error { return notSupportedErr("naming an unnamed file") }

// renameNoReplace is always handled: darwin.RenameNoReplace falls back by
// itself.
func (copySys) renameNoReplace(oldpath, newpath string) (bool, error) {
	return true, darwin.RenameNoReplace(oldpath, newpath)
}

func (copySys) noXattr(err error) bool { return errors.Is(err, darwin.ENOATTR) }

// copyByName makes CopyFile's temporary file, next to dst, a clone of src
// (whose Statx is st) that passes for the new file a copy would have made:
// its own flags, birth, access and modification times, permission bits and
// extended attributes, with o.Preserve applied as copyOpenFile does it.
// cloned is false when CopyFile is to copy instead; tmp is then an empty
// temporary file to copy into, or nil for CopyFile to create one.
//
// No clone is tried under CoWNever, nor of an empty file under CoWAuto; none
// is made of a file that would be immutable or give away more permission
// than the copy may have (darwin.CloneRefusal), nor where clonefile refuses
// (darwin.CloneFallback). CoWAuto then copies; CoWAlways fails with an
// error matching ErrNotSupported that says why. A clone that cannot be made
// to pass for a new file (an extended attribute that cannot be removed, an
// owner that cannot be given) is removed, and CoWAuto copies.
func (copySys) copyByName(r *byNameReq) (copyTemp, error) {
	src, st, dst, o := r.src, r.st, r.dst, r.o
	if !cloneWanted(o.CoW, st.Size) {
		return copyTemp{}, nil
	}
	dir, base := filepath.Split(dst)
	if base == "" || base == "." || base == ".." {
		return copyTemp{}, errInvalid("destination %q is not a file name", dst)
	}
	c := &darwinClone{src: src, st: st, o: o, dirfd: unix.AT_FDCWD, dir: dir, base: base}
	var err error
	if o.Preserve&PreserveMode == 0 {
		if c.spare, c.spareName, err = createTemp(dst, st.Mode.Perm()); err != nil {
			return copyTemp{}, err
		}
	}
	tmp, tmpName, stats, err := c.make(r.ctx)
	if err == nil && tmp == nil {
		return copyTemp{f: c.spare, name: c.spareName}, nil // copy into the spare file
	}
	if serr := c.removeSpare(); err == nil {
		err = serr
	}
	if err != nil {
		if tmp != nil {
			tmp.Close()
			if rerr := os.Remove(tmpName); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return copyTemp{}, err
	}
	return copyTemp{f: tmp, name: tmpName, stats: stats, done: true}, nil
}

// darwinClone is one attempt at a clone, for CopyFile (sysCloneTemp) or
// CopyTree (sysTreeClone).
type darwinClone struct {
	src *File
	st  *Stat
	o   *CopyOptions

	// Where the clone is made: under a temporary name for base, dir joined
	// before it, relative to dirfd. CopyFile's is a path (AT_FDCWD, dir is
	// dst's directory); CopyTree's one component in the destination
	// directory it holds open as dirfd (dir "", shown that directory's
	// name, for the clone's File).
	dirfd int
	dir   string
	base  string
	shown string

	// spare is the temporary file a copy would have used, made (without
	// PreserveMode) to learn the copy's permission bits: the umask cannot
	// be read without changing it for every thread of the process. If no
	// clone is made, the copy goes into it. CopyTree's is its new file.
	spare     *File
	spareName string
}

// make makes the clone and counts it as copyOpenFile counts a copy: it
// reports progress and stops if ctx is done. It returns the clone open, its
// name (relative to c.dirfd) and the statistics; a nil File and error mean
// "copy instead". A clone it cannot finish is removed.
func (c *darwinClone) make(ctx context.Context) (*File, string, CopyStats, error) {
	var (
		f    *File
		name string
		err  error
	)
	if cerr := c.src.withFd(func(sfd uintptr) { f, name, err = c.clone(int(sfd)) }); cerr != nil {
		err = &hintError{err: fs.ErrClosed, hint: "source"}
	}
	if err != nil || f == nil {
		return nil, "", CopyStats{}, err
	}
	ctl := newCopyCtl(ctx, c.o.Progress, c.st.Size)
	if err = ctl.add(c.st.Size); err != nil {
		f.Close()
		return nil, "", CopyStats{}, errors.Join(err, c.remove(name))
	}
	ctl.finish()
	stats := CopyStats{Files: 1, Bytes: c.st.Size, ClonedBytes: c.st.Size}
	if c.st.Size > 0 {
		stats.countMethod(MethodClone)
	}
	return f, name, stats, nil
}

// clone makes the clone and returns it open, with its name; a nil File and
// error mean "copy instead".
func (c *darwinClone) clone(sfd int) (*File, string, error) {
	sst, err := darwin.Fstat(sfd)
	if err != nil {
		return nil, "", os.NewSyscallError("fstat", err)
	}
	want := sst.Mode & 0o777
	if c.o.Preserve&PreserveMode == 0 {
		sp, err := c.spare.Statx()
		if err != nil {
			return nil, "", err
		}
		want = darwin.PermBits(sp.Mode.Perm())
	}
	if why := darwin.CloneRefusal(sst.Flags, sst.Mode, want); why != "" {
		return c.noClone("clone", nil, func() string { return why })
	}

	var name string
	for range 100 {
		name = filepath.Join(c.dir, tempName(c.base))
		if err = darwinClonefile(sfd, c.dirfd, name, cloneFlags); err != darwin.EEXIST {
			break
		}
	}
	if err != nil {
		return c.noClone("fclonefileat", err, func() string {
			var sname, dname string
			if fi, ferr := darwin.Fstatfs(sfd); ferr == nil {
				sname = fi.Name
			}
			if fi, ferr := c.dstFs(); ferr == nil {
				dname = fi.Name
			}
			return darwin.CloneWhat(err, sname, dname)
		})
	}

	f, err := c.fix(name, want)
	if err != nil {
		if rerr := c.remove(name); rerr != nil {
			return nil, "", errors.Join(err, rerr)
		}
		if c.o.CoW == CoWAuto {
			return nil, "", nil // a copy needs none of what failed
		}
		return nil, "", err
	}
	return f, name, nil
}

// dstFs is statfs(2) of the directory the clone is made in.
func (c *darwinClone) dstFs() (darwin.FsInfo, error) {
	if c.dirfd != unix.AT_FDCWD {
		return darwin.Fstatfs(c.dirfd)
	}
	return darwin.Statfs(filepath.Join(c.dir, "."))
}

// remove removes the clone name after a failure.
func (c *darwinClone) remove(name string) error {
	if err := darwin.Unlinkat(c.dirfd, name, 0); err != nil && err != darwin.ENOENT {
		return pathErr("unlink", c.path(name), err)
	}
	return nil
}

// path is what errors and the clone's File call name.
func (c *darwinClone) path(name string) string {
	if c.dirfd == unix.AT_FDCWD {
		return name
	}
	return joinRel(c.shown, name)
}

// noClone carries out darwin.NoCloneVerdict for err, from the call op (nil:
// extfs chose not to clone); why explains a CoWAlways failure.
func (c *darwinClone) noClone(op string, err error, why func() string) (*File, string, error) {
	switch darwin.NoCloneVerdict(c.o.CoW == CoWAlways, err) {
	case darwin.NoCloneCopy:
		return nil, "", nil
	case darwin.NoCloneUnsupported:
		return nil, "", os.NewSyscallError(op, &unsupportedError{what: why(), err: err})
	}
	return nil, "", os.NewSyscallError(op, err)
}

// fix makes the fresh clone at name pass for a new file: it clears the
// flags a new file does not have (darwin.CloneFlags), removes the
// extended attributes (unless PreserveXattrs: the clone has the source's),
// applies PreserveOwner and PreserveMode, gives it the permission bits want
// otherwise, and sets its birth time to now, and its access and
// modification times to now or (PreserveTimes) the source's, to the
// nanosecond. It returns the clone open for reading and writing.
//
// The calls on the name come first, while the clone may be immutable or
// unreadable to its owner; the name is one CopyFile or CopyTree made, in
// the destination's directory, and setattrlist and fchmodat follow no
// symbolic link there. setattrlist has no *at form in x/sys/unix: it runs
// in c.dirfd (darwin.InDir).
func (c *darwinClone) fix(name string, want uint32) (*File, error) {
	cst, err := darwin.Fstatat(c.dirfd, name, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return nil, pathErr("lstat", c.path(name), err)
	}
	if flags, change := darwin.CloneFlags(cst.Flags); change {
		if err := darwin.InDir(c.dirfd, func() error { return darwin.SetFlags(name, flags) }); err != nil {
			return nil, pathErr("setattrlist", c.path(name), err)
		}
	}
	mode := cst.Mode & 0o7777
	if work, change := darwin.CloneWorkMode(mode); change {
		if err := darwin.Fchmodat(c.dirfd, name, work, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil, pathErr("chmod", c.path(name), err)
		}
		mode = work
	}
	fd, err := darwin.Openat(c.dirfd, name, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, pathErr("open", c.path(name), err)
	}
	f := NewFile(os.NewFile(uintptr(fd), c.path(name)))
	p := c.o.Preserve
	if p&PreserveXattrs == 0 {
		err = dropXattrs(f)
	}
	if err == nil {
		// The clone has the source's xattrs already, and its times are set
		// below, to the nanosecond, with the birth time.
		err = preserve(c.src, f, c.st, p&^(PreserveXattrs|PreserveTimes), nil)
	}
	if err == nil && p&PreserveMode == 0 && mode != want {
		err = f.Chmod(fs.FileMode(want))
	}
	if err == nil {
		now := darwinTime(time.Now())
		atime, mtime := now, now
		if p&PreserveTimes != 0 {
			atime, mtime = darwinTime(c.st.Atime), darwinTime(c.st.Mtime)
		}
		if err = darwin.InDir(c.dirfd, func() error { return darwin.SetTimes(name, &now, &mtime, &atime) }); err != nil {
			err = pathErr("setattrlist", c.path(name), err)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func darwinTime(t time.Time) darwin.Timespec {
	return darwin.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// dropXattrs removes the extended attributes a clone took from its source,
// but those the system keeps (darwin.KeepXattr).
func dropXattrs(f *File) error {
	names, err := f.ListXattr()
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := f.RemoveXattr(name); err != nil && !errors.Is(err, darwin.ENOATTR) && !darwin.KeepXattr(name, err) {
			return err
		}
	}
	return nil
}

// removeSpare closes and removes the spare file, if any.
func (c *darwinClone) removeSpare() error {
	if c.spare == nil {
		return nil
	}
	c.spare.Close()
	c.spare = nil
	if err := os.Remove(c.spareName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
