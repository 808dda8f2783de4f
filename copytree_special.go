package extfs

// CopyTree's symbolic links, FIFOs, sockets and device files.

import (
	"errors"
	"io/fs"
)

// copySpecial copies a symbolic link, FIFO, socket or device file into dd,
// the destination of d: made at its name, or replacing an existing entry by
// way of a temporary name, then given its metadata. It says how the entry
// was done: MethodCreated, MethodSkipped or MethodUnchanged (see keep), or
// methodDeferred for a hard link left to phase 3.
func (t *treeCopy) copySpecial(sd, dd *Dir, d *treeDir, e *treeEntry) (Method, error) {
	if kept, m, _, err := t.keep(sd, dd, d, e); err != nil || kept {
		return m, err
	}
	st, err := t.srcStat(sd, d, e)
	if err != nil {
		return 0, err
	}
	if st.Mode.Type() != e.mode.Type() {
		return 0, errChanged(st.Mode)
	}
	if t.opt.Hardlinks && st.Nlink > 1 && !t.claim(st, d, e.name) {
		return methodDeferred, nil
	}
	var target string
	if st.Mode&fs.ModeSymlink != 0 {
		if target, err = sd.Readlink(e.name); err != nil {
			return 0, err
		}
	}
	perm := st.Mode.Perm()
	if t.opt.Preserve&PreserveMode != 0 {
		perm = st.Mode & chmodBits
	}
	create := func(name string) error {
		switch typ := st.Mode.Type(); typ {
		case fs.ModeSymlink:
			return dd.Symlink(target, name)
		case fs.ModeNamedPipe, fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
			return dd.Mknod(name, typ|perm, st.Rdev)
		case fs.ModeSocket:
			return sysTree.mksock(dd, name, perm)
		default:
			return notSupportedErr("copying a " + typ.String() + " file")
		}
	}
	err = create(e.name)
	if err == nil {
		return MethodCreated, t.specialMeta(sd, dd, e.name, e.name, st)
	}
	if d.made || !t.opt.replaces() || !errors.Is(err, fs.ErrExist) {
		return 0, err
	}
	tmp := tempName(e.name)
	if err := create(tmp); err != nil {
		return 0, err
	}
	err = t.specialMeta(sd, dd, e.name, tmp, st)
	if err == nil {
		err = dd.Rename(tmp, nil, e.name) // EISDIR onto a directory
	}
	if err != nil {
		if rerr := dd.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return 0, err
	}
	return MethodCreated, nil
}

// specialMeta gives dd's entry dname the metadata of sd's entry sname
// (whose Lstatx is st), in preserve's order: owner, xattrs, mode, times.
func (t *treeCopy) specialMeta(sd, dd *Dir, sname, dname string, st *Stat) error {
	p := t.opt.Preserve
	if p&PreserveOwner != 0 {
		if err := dd.Lchown(dname, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if p&PreserveXattrs != 0 {
		if err := sysTree.copyLxattrs(sd, sname, dd, dname); err != nil {
			return err
		}
	}
	// mknod applied the umask; chown cleared setuid and setgid.
	if p&PreserveMode != 0 && st.Mode&fs.ModeSymlink == 0 {
		if err := dd.Chmod(dname, st.Mode&chmodBits); err != nil {
			return err
		}
	}
	if p&PreserveTimes != 0 {
		if err := dd.LSetTimes(dname, st.Atime, st.Mtime); err != nil {
			return err
		}
	}
	return nil
}
