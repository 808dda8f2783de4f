package extfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/extfs/extfs/internal/byname"
	"github.com/extfs/extfs/internal/unixmode"
)

// Clones made by name, where the system's clone call creates a new file and
// cannot fill an open one as FICLONE does (macOS's clonefile(2)): the clone
// is made under a temporary name next to the copy and made to pass for the
// new file a copy would have been (byname.Req). CopyFile's temporary file
// is then the clone itself (cloneByName); CopyTree renames the clone over
// its own new, empty file (cloneIntoTree). The mechanism is the system's
// (nameCloner); what is asked of it, how it is counted and how its errors
// read is here, once.

// nameCloner is a system's clone by name. clone makes r's clone and
// returns it open for reading and writing, with its name relative to
// r.Dirfd; fd -1 with a nil error means "copy instead"; errors are
// *byname.Error. remove removes an unfinished clone; rename renames one
// within the directory dirfd.
type nameCloner struct {
	clone  func(r *byname.Req) (fd int, name string, err error)
	remove func(dirfd int, name string) error
	rename func(dirfd int, old, new string) error
}

// cloneByName is copyByName where clones are made by name: CopyFile's
// temporary file, next to r.dst, is a clone of r.src; or, without a clone,
// the empty temporary file to copy into. That file is made first, without
// PreserveMode, to learn the copy's permission bits (the umask cannot be
// read without changing it for every thread).
func cloneByName(r *byNameReq, nc nameCloner) (copyTemp, error) {
	if !cloneWanted(r.o.CoW, r.st.Size) {
		return copyTemp{}, nil
	}
	dir, base := filepath.Split(r.dst)
	if base == "" || base == "." || base == ".." {
		return copyTemp{}, errInvalid("destination %q is not a file name", r.dst)
	}
	c := newNameClone(nc, r.src, r.st, r.o, atCWD, dir, base)
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

// cloneIntoTree is treeOS.clone where clones are made by name: it clones
// src as CopyFile does, under a temporary name in nf's directory, then
// renames the clone over nf's empty file (its own name, unseen yet, or its
// temporary name), so that nf.commit publishes it as it would a copy. Under
// CoWAlways a clone that cannot be made is an error matching
// ErrNotSupported that says why.
func cloneIntoTree(ctx context.Context, nc nameCloner, src *File, st *Stat, nf *treeFile, o *CopyOptions) (stats CopyStats, cloned bool, err error) {
	spot := nf.current()
	if !cloneWanted(o.CoW, st.Size) || spot == "" {
		return CopyStats{}, false, nil
	}
	var f *File
	err = nf.d.control(func(dirfd int) error {
		c := newNameClone(nc, src, st, o, dirfd, "", nf.name)
		c.shown, c.spare = nf.d.Name(), nf.f
		t, err := c.make(ctx)
		if err != nil || !t.done {
			return err
		}
		// Over CopyTree's own empty file: the name stays taken throughout.
		if err := nc.rename(dirfd, t.name, spot); err != nil {
			t.f.Close()
			return errors.Join(linkErr("renameat", c.path(t.name), c.path(spot), err), c.remove(t.name))
		}
		f, stats = t.f, t.stats
		return nil
	})
	if err != nil || f == nil {
		return CopyStats{}, false, err
	}
	nf.f.Close() // the empty file, unlinked by the rename
	nf.f = f
	return stats, true, nil
}

// nameClone is one clone by name for CopyFile or CopyTree, in extfs's terms.
type nameClone struct {
	nc    nameCloner
	req   byname.Req
	src   *File
	size  int64
	o     *CopyOptions
	shown string // what errors call req.Dirfd, unless atCWD (CopyTree's directory)
	spare *File  // the file a copy would go into, with the copy's permission bits (not with PreserveMode)
}

func newNameClone(nc nameCloner, src *File, st *Stat, o *CopyOptions, dirfd int, dir, base string) *nameClone {
	p := o.Preserve
	return &nameClone{nc: nc, src: src, size: st.Size, o: o, req: byname.Req{
		Dirfd: dirfd, Dir: dir, Base: base, TempName: tempName, Always: o.CoW == CoWAlways,
		KeepMode: p&PreserveMode != 0, Mode: unixmode.PermBits(st.Mode),
		KeepOwner: p&PreserveOwner != 0, Uid: st.Uid, Gid: st.Gid,
		KeepXattrs: p&PreserveXattrs != 0,
		KeepTimes:  p&PreserveTimes != 0, Atime: st.Atime, Mtime: st.Mtime,
	}}
}

// make makes the clone and counts it as copyOpenFile counts a copy: it
// reports progress and stops if ctx is done. It returns the clone, open and
// named relative to the directory, or, not done, "copy instead". A clone it
// cannot finish is removed.
func (c *nameClone) make(ctx context.Context) (copyTemp, error) {
	if !c.req.KeepMode {
		sp, err := c.spare.Statx()
		if err != nil {
			return copyTemp{}, err
		}
		c.req.Want = unixmode.PermBits(sp.Mode.Perm())
	}
	fd, name := -1, ""
	var err error
	if cerr := c.src.withFd(func(sfd uintptr) { c.req.Src = int(sfd); fd, name, err = c.nc.clone(&c.req) }); cerr != nil {
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

// err is a *byname.Error as CopyFile reports it: with a Why, an error
// matching ErrNotSupported that says it.
func (c *nameClone) err(err error) error {
	var e *byname.Error
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
func (c *nameClone) remove(name string) error {
	return pathErr("unlink", c.path(name), c.nc.remove(c.req.Dirfd, name))
}

// path is what errors and the clone's File call name.
func (c *nameClone) path(name string) string {
	if c.req.Dirfd == atCWD {
		return name
	}
	return joinRel(c.shown, name)
}
