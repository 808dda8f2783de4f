package extfs

// How CopyTree names what it made: new files under a temporary name (or
// none) given their own once complete, directories published in phase 4
// once their metadata is set, and the clean-up after a failure.

import (
	"errors"
	"io/fs"
)

// treeFile is a new file in a destination directory.
type treeFile struct {
	f      *File
	d      *Dir
	name   string // the name it is to have
	direct bool   // made at its name, in a directory CopyTree made
	tmp    string // else its temporary name; "" for an unnamed file (O_TMPFILE)

	portable bool // treeFallback's ways only (CopyOptions.portable)
}

// newTreeFile makes the file that will be name in d. In a directory
// CopyTree made (direct), which nobody sees until it is complete, the file
// is made at its name; elsewhere unnamed where the system can
// (sysTree.tempFile, unless portable: treeFallback makes none), else under
// a temporary name.
func newTreeFile(d *Dir, name string, perm fs.FileMode, direct, portable bool) (*treeFile, error) {
	if direct {
		f, err := openTreeFile(d, name, sysTree.openFlags().new, perm)
		if err != nil {
			return nil, err
		}
		return &treeFile{f: f, d: d, name: name, direct: true}, nil
	}
	if !portable {
		if f, handled, err := sysTree.tempFile(d, perm); handled {
			if err != nil {
				return nil, err
			}
			return &treeFile{f: f, d: d, name: name}, nil
		}
	}
	for range 100 {
		tmp := tempName(name)
		f, err := openTreeFile(d, tmp, sysTree.openFlags().new, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &treeFile{f: f, d: d, name: name, tmp: tmp, portable: portable}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
}

// current is the name the file has until commit: its own (direct), its
// temporary name, or "" for an unnamed file.
func (nf *treeFile) current() string {
	if nf.direct {
		return nf.name
	}
	return nf.tmp
}

// commit gives the complete file its name: only if the name is free, or
// with replace, over what is there unless that is a directory. What
// replaces an entry is on disk first.
func (nf *treeFile) commit(replace bool) error {
	var err error
	switch {
	case nf.direct:
	case nf.tmp == "":
		err = sysTree.linkFile(nf.f, nf.d, nf.name)
	default:
		err = renameNoReplace(nf.d, nf.tmp, nf.name, nf.portable)
	}
	if err != nil && replace && errors.Is(err, fs.ErrExist) {
		err = nf.f.Datasync()
		if err == nil && nf.tmp == "" {
			// Name it, then rename that name over the old entry.
			nf.tmp = tempName(nf.name)
			err = sysTree.linkFile(nf.f, nf.d, nf.tmp)
			if err != nil {
				nf.tmp = ""
			}
		}
		if err == nil {
			err = nf.d.Rename(nf.tmp, nil, nf.name) // EISDIR onto a directory
		}
	}
	if err != nil {
		return err
	}
	nf.tmp, nf.direct = "", false
	f := nf.f
	nf.f = nil
	return f.Close()
}

// abort removes the file after a failure.
func (nf *treeFile) abort() error {
	if nf.f != nil {
		nf.f.Close() // a close error does not matter: the file goes
	}
	name := nf.current()
	if name == "" {
		return nil
	}
	if err := nf.d.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// renameNoReplace renames old to name in d unless name exists
// (fs.ErrExist), in one step where the system can, else by linking and
// unlinking (link(2) never replaces either; directories cannot be linked,
// but the system calls that rename without replacing are older than any
// filesystem that lacks them and has directories to publish). portable:
// treeFallback's way, link and unlink.
func renameNoReplace(d *Dir, old, name string, portable bool) error {
	var handled bool
	var err error
	if portable {
		handled, err = treeFallback{}.renameNoReplace(d, old, name)
	} else {
		handled, err = sysTree.renameNoReplace(d, old, name)
	}
	if handled {
		return err
	}
	if err := d.Link(old, nil, name); err != nil {
		return err
	}
	return d.Remove(old)
}

// finishDir gives the destination directory of d its metadata, as
// preserve gives a file's, and its final mode; with Sync, a directory
// CopyTree made is then synced, before it is published.
func (t *treeCopy) finishDir(d *treeDir) error {
	kept := t.dirKept(d)
	if kept && t.opt.Preserve&PreserveXattrs == 0 {
		return nil
	}
	dd, err := openTreeDir(t.dst, d.dstRel)
	if err != nil {
		return t.errAt("open", d.rel, err)
	}
	defer dd.Close()
	df := &File{f: dd.f}
	if kept && !hasXattrs(df) {
		return nil // neither has xattrs: nothing to do
	}
	if err := t.dirMeta(d, df); err != nil {
		return err
	}
	if t.opt.Sync && d.made && sysTree.syncDirs() {
		if err := df.Sync(); err != nil {
			return t.errAt("fsync", d.rel, err)
		}
	}
	return nil
}

// dirKept reports whether phase 4 may leave the destination of d as it is,
// xattrs aside (the source's are in d.srcXattrs, the caller looks at the
// destination's): a directory that was there, in which this copy made,
// replaced and removed nothing, so that its times are still its own, and
// whose mode, owner and times are already what dirMeta would give it. A
// re-run onto an up-to-date copy then writes nothing to its directories.
func (t *treeCopy) dirKept(d *treeDir) bool {
	if !d.existed || d.restoreMode || d.dstSt == nil || d.changed.Load() {
		return false
	}
	p, src, dst := t.opt.Preserve, d.st, d.dstSt
	switch {
	case p&PreserveMode != 0 && src.Mode&chmodBits != dst.Mode&chmodBits,
		p&PreserveOwner != 0 && (src.Uid != dst.Uid || src.Gid != dst.Gid),
		p&PreserveTimes != 0 && (!src.Atime.Equal(dst.Atime) || !src.Mtime.Equal(dst.Mtime)),
		p&PreserveXattrs != 0 && d.srcXattrs:
		return false
	}
	return true
}

// noteChange records, for dirKept, what became of an entry of d: anything
// but an entry kept (or a hard link left to phase 3) changed d.
func (d *treeDir) noteChange(m Method, err error) {
	if err != nil || (m != MethodUnchanged && m != MethodSkipped && m != methodDeferred) {
		d.changed.Store(true)
	}
}

// hasXattrs reports whether f has extended attributes, or may have: an
// error other than "no xattrs here" says yes, and the copy that follows
// then meets it.
func hasXattrs(f *File) bool {
	names, err := f.ListXattr()
	if errors.Is(err, ErrNotSupported) {
		return false
	}
	return err != nil || len(names) > 0
}

// dirMeta gives df, the destination of d, its metadata.
func (t *treeCopy) dirMeta(d *treeDir, df *File) error {
	p := t.opt.Preserve

	// The mode: the source's with PreserveMode; without, the one an
	// existing directory had, or for a new one the owner bits the source
	// lacks taken away (it was made with rwx for the owner).
	st := *d.st
	mode := st.Mode & chmodBits
	setMode := p&PreserveMode != 0
	switch {
	case setMode:
	case d.existed:
		mode, setMode = d.oldMode, d.restoreMode
	case st.Mode&0o700 != 0o700:
		cur, err := df.Statx()
		if err != nil {
			return t.errAt("statx", d.rel, err)
		}
		mode, setMode = cur.Mode&chmodBits&^(0o700&^st.Mode.Perm()), true
	}
	st.Mode = fs.ModeDir | mode
	if setMode {
		p |= PreserveMode
	} else {
		p &^= PreserveMode
	}
	if p == 0 {
		return nil
	}

	var sf *File
	if p&PreserveXattrs != 0 {
		sd, err := t.openSrc(d)
		if err != nil {
			return t.errAt("open", d.rel, err)
		}
		defer sd.Close()
		sf = &File{f: sd.f}
	}
	if err := preserve(sf, df, &st, p, nil); err != nil {
		return t.errAt("copy", d.rel, err)
	}
	return nil
}

// publish gives a directory made under a temporary name its own name:
// only if the name is free, or with Replace over a non-directory there.
func (t *treeCopy) publish(d *treeDir) error {
	if d.tmpName == "" {
		return nil
	}
	pd := t.parent
	if d != t.root {
		var err error
		if pd, err = openTreeDir(t.dst, d.parent.dstRel); err != nil {
			return t.errAt("open", d.parent.rel, err)
		}
		defer pd.Close()
	}
	name := t.name(d)
	if d.clobber {
		// Not atomic: nothing renames a directory over a non-directory.
		if err := pd.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return t.errAt("unlinkat", d.rel, err)
		}
	}
	if err := renameNoReplace(pd, d.tmpName, name, t.opt.portable); err != nil {
		if d == t.root {
			return t.errAt("rename", d.rel, err) // cleanUp removes it
		}
		// What cannot get its name goes now, while its temporary name is
		// still the one dstRel says (its parent is published after it).
		if rerr := removeTree(t.dst, d.dstRel); rerr != nil {
			err = errors.Join(err, rerr)
		} else {
			d.tmpName, d.dstRel = "", ""
		}
		return t.errAt("rename", d.rel, err)
	}
	d.tmpName = ""
	return nil
}

// cleanUp removes, after the failure err, the directories made under
// temporary names and not published, with everything in them, and returns
// err with any error of the removal.
func (t *treeCopy) cleanUp(dirs [][]*treeDir, err error) error {
	errs := []error{err}
	for _, level := range dirs {
		for _, d := range level {
			if d.tmpName == "" {
				continue
			}
			root, rel := t.dst, d.dstRel
			if d == t.root {
				root, rel = t.parent, d.tmpName
			}
			if rerr := removeTree(root, rel); rerr != nil {
				errs = append(errs, rerr)
			}
		}
	}
	if len(errs) == 1 {
		return err
	}
	return errors.Join(errs...)
}

// removeTree removes rel beneath root with everything in it. It holds no
// descriptor but while it reads a directory, whatever the depth.
func removeTree(root *Dir, rel string) error {
	err := root.Remove(rel)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	root.Chmod(rel, 0o700) // a directory phase 4 made read-only; an error shows below
	d, oerr := openTreeDir(root, rel)
	if oerr != nil {
		return err // not a directory: Remove's error stands
	}
	names, rerr := d.f.Readdirnames(-1)
	d.Close()
	if rerr != nil {
		return syscallErrorOf("getdents", rerr)
	}
	for _, name := range names {
		if err := removeTree(root, rel+"/"+name); err != nil {
			return err
		}
	}
	return root.Remove(rel)
}
