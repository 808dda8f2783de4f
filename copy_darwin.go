//go:build darwin

package extfs

// The macOS answers to copyOS (sys.go), around sys/darwin. macOS has no
// copy_file_range or splice: a copy that is not a clone is the read/write
// pipeline. A clone is made by clonefile(2), which creates a new file by
// name and cannot fill an open file as FICLONE does: CopyFile's temporary
// file is itself the clone (copyByName), CopyTree's new file is replaced by
// one (treeSys.clone), Probe's trial clone takes the trial file's name, and
// clones into open files answer errCloneOpen.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/extfs/extfs/internal/fdmode"
	"github.com/extfs/extfs/sys/darwin"
	"golang.org/x/sys/unix"
)

// copySys takes copyFallback's answers where macOS has nothing to do: no
// offload, no unnamed files, no refused clone for CopyTree to remember, no
// sparse flag (every file can have holes).
type copySys struct{ copyFallback }

var _ copyOS = copySys{}

const srcOpenFlags = darwin.SrcOpenFlags

var (
	// errCloneOpen is clone's answer: clonefile makes a new file and
	// cannot fill an open one, so copyContents copies, and CoWAlways on an
	// open file (CopyTree) fails with an error matching ErrNotSupported.
	errCloneOpen = notSupportedErr("clone into an open file: macOS clones only to a new name (clonefile)")
	// errCloneRange is cloneRange's answer, and CloneRange's on macOS.
	errCloneRange = notSupportedErr("clone range: macOS has no call to clone part of a file (APFS clones whole files, with clonefile)")
)

func (copySys) sourceBlocking(fd uintptr) error                            { return fdmode.Blocking(fd) }
func (copySys) saveOffset(fd uintptr) func()                               { return fdmode.KeepOffset(fd) }
func (copySys) clone(dst, src uintptr) error                               { return errCloneOpen }
func (copySys) cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error { return errCloneRange }
func (copySys) truncate(fd uintptr, size int64) error                      { return darwin.Ftruncate(int(fd), size) }
func (copySys) noXattr(err error) bool                                     { return errors.Is(err, darwin.ENOATTR) }

func (copySys) openMode(fd uintptr) (openMode, bool) {
	r, w, a, ok := fdmode.Of(fd)
	return openMode{read: r, write: w, append: a}, ok
}

func (copySys) fileInfo(fd uintptr) (fileInfo, error) { return fileInfoOf(darwin.FstatInfo(int(fd))) }

// fsInfo: statfs's f_fstypename ("apfs", "hfs", ...) and block size.
func (copySys) fsInfo(fd uintptr) (string, int64, error) {
	fi, err := darwin.Fstatfs(int(fd))
	return fi.Name, fi.Bsize, err
}

// fsKey: the volume's f_fsid (darwin.FsidKey).
func (copySys) fsKey(path string) (fsKey, error) {
	fi, err := darwin.Statfs(path)
	dev, typ := darwin.FsidKey(fi.Fsid)
	return fsKey{dev: dev, mnt: typ}, err
}

// cloneFallback: clonefile's errnos that mean "no clone here", and
// errCloneOpen; not errCloneRange, which CloneRange reports as it is.
func (copySys) cloneFallback(err error) bool {
	return err == errCloneOpen || darwin.CloneFallback(err)
}

// probeClone clones a to the name of b (clonefile makes new files only);
// Probe's cleanup removes the clone by name.
func (copySys) probeClone(a, _ uintptr, bname string) error { return darwin.ProbeClone(int(a), bname) }

// seekData: see darwin.DataRange.
func (copySys) seekData(fd uintptr, off int64) (int64, int64, bool, error) {
	return darwin.DataRange(int(fd), off)
}

// renameNoReplace is always handled: darwin.RenameNoReplace falls back by
// itself.
func (copySys) renameNoReplace(oldpath, newpath string) (bool, error) {
	return true, darwin.RenameNoReplace(oldpath, newpath)
}

// copyByName makes CopyFile's temporary file, next to dst, a clone of src
// that passes for the new file a copy would have made (darwin.CloneAsNew),
// or, without a clone, returns the empty temporary file to copy into: the
// one made, without PreserveMode, to learn the copy's permission bits (the
// umask cannot be read without changing it for every thread).
func (copySys) copyByName(r *byNameReq) (copyTemp, error) {
	if !cloneWanted(r.o.CoW, r.st.Size) {
		return copyTemp{}, nil
	}
	dir, base := filepath.Split(r.dst)
	if base == "" || base == "." || base == ".." {
		return copyTemp{}, errInvalid("destination %q is not a file name", r.dst)
	}
	c := newDarwinClone(r.src, r.st, r.o, unix.AT_FDCWD, dir, base)
	var spare copyTemp
	if r.o.Preserve&PreserveMode == 0 {
		var err error
		if spare.f, spare.name, err = createTemp(r.dst, r.st.Mode.Perm()); err != nil {
			return copyTemp{}, err
		}
		c.spare = spare.f
	}
	t, err := c.make(r.ctx)
	if err == nil && !t.done {
		return spare, nil // copy into the spare file
	}
	if spare.f != nil {
		err = dropTemp(spare.f, spare.name, err)
	}
	if err != nil && t.done {
		return copyTemp{}, dropTemp(t.f, t.name, err)
	}
	return t, err
}

// darwinClone is one darwin.CloneAsNew for CopyFile (copyByName) or
// CopyTree (treeSys.clone), in extfs's terms.
type darwinClone struct {
	req   darwin.CloneReq
	src   *File
	size  int64
	o     *CopyOptions
	shown string // what errors call req.Dirfd, unless AT_FDCWD (CopyTree's directory)
	spare *File  // the file a copy would go into, with the copy's permission bits (not with PreserveMode)
}

func newDarwinClone(src *File, st *Stat, o *CopyOptions, dirfd int, dir, base string) *darwinClone {
	p := o.Preserve
	return &darwinClone{src: src, size: st.Size, o: o, req: darwin.CloneReq{
		Dirfd: dirfd, Dir: dir, Base: base, TempName: tempName, Always: o.CoW == CoWAlways,
		KeepMode: p&PreserveMode != 0, Mode: darwin.PermBits(st.Mode),
		KeepOwner: p&PreserveOwner != 0, Uid: st.Uid, Gid: st.Gid,
		KeepXattrs: p&PreserveXattrs != 0,
		KeepTimes:  p&PreserveTimes != 0, Atime: st.Atime, Mtime: st.Mtime,
	}}
}

// make makes the clone and counts it as copyOpenFile counts a copy: it
// reports progress and stops if ctx is done. It returns the clone, open and
// named relative to the directory, or, not done, "copy instead". A clone it
// cannot finish is removed.
func (c *darwinClone) make(ctx context.Context) (copyTemp, error) {
	if !c.req.KeepMode {
		sp, err := c.spare.Statx()
		if err != nil {
			return copyTemp{}, err
		}
		c.req.Want = darwin.PermBits(sp.Mode.Perm())
	}
	fd, name := -1, ""
	var err error
	if cerr := c.src.withFd(func(sfd uintptr) { c.req.Src = int(sfd); fd, name, err = darwin.CloneAsNew(&c.req) }); cerr != nil {
		err = &hintError{err: fs.ErrClosed, hint: "source"}
	}
	if err != nil || fd < 0 {
		return copyTemp{}, c.err(err)
	}
	f := NewFile(os.NewFile(uintptr(fd), c.path(name)))
	ctl := newCopyCtl(ctx, c.o.Progress, c.size)
	if err = ctl.add(c.size); err != nil {
		f.Close()
		return copyTemp{}, errors.Join(err, c.remove(name))
	}
	return madeByName(f, name, c.size, MethodClone, ctl), nil
}

// err is a *darwin.CloneError as CopyFile reports it: with a Why, an error
// matching ErrNotSupported that says it.
func (c *darwinClone) err(err error) error {
	var e *darwin.CloneError
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case e.Why != "":
		err = os.NewSyscallError(e.Op, &unsupportedError{what: e.Why, err: e.Err})
	case e.Name == "":
		err = os.NewSyscallError(e.Op, e.Err)
	default:
		err = pathErr(e.Op, c.path(e.Name), e.Err)
	}
	if e.Cleanup != nil {
		err = errors.Join(err, pathErr("unlink", c.path(e.Name), e.Cleanup))
	}
	return err
}

// remove removes the clone name after a failure.
func (c *darwinClone) remove(name string) error {
	return pathErr("unlink", c.path(name), darwin.RemoveClone(c.req.Dirfd, name))
}

// path is what errors and the clone's File call name.
func (c *darwinClone) path(name string) string {
	if c.req.Dirfd == unix.AT_FDCWD {
		return name
	}
	return joinRel(c.shown, name)
}
