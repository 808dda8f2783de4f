package extfs

// Phase 2 of CopyTree: making every entry, directories and regular files.

import (
	"errors"
	"io/fs"
	"syscall"
)

// makeRoot makes dst (under a temporary name), or with Replace merges into
// the directory there, and opens it without following a symbolic link.
func (t *treeCopy) makeRoot() (*Dir, error) {
	if err := t.makeDir(t.parent, nil, t.root); err != nil {
		return nil, copyErr("mkdir", t.srcPath, t.dstPath, err)
	}
	name := t.base
	if t.root.tmpName != "" {
		name = t.root.tmpName
	}
	d, err := openTreeDir(t.parent, name)
	if err != nil {
		err = copyErr("open", t.srcPath, t.dstPath, err)
		if t.root.tmpName != "" {
			if rerr := t.parent.Remove(t.root.tmpName); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return nil, err
	}
	return d, nil
}

// pushChunks queues the copy of d's entries, in tasks of a few entries
// (chunks). Only the first is queued now: each chunk queues the next when it
// starts, behind what is queued already, so that the workers take chunks of
// different directories in turn rather than crowd into one (its lock, and
// on XFS the locks of its allocation group), and still all work on one
// directory when it is the only one left.
func (t *treeCopy) pushChunks(d *treeDir) {
	if len(d.entries) > 0 {
		t.pool.push(func() { t.copyChunk(d, 0) })
	}
}

// copyChunk copies the chunk of d's entries that starts at entry lo.
func (t *treeCopy) copyChunk(d *treeDir, lo int) {
	if t.stopped() {
		return
	}
	hi, bytes, n := lo, int64(0), treeChunkEntries
	if d.existed && t.opt.Existing >= ExistingSkip {
		n = treeChunkKept
	}
	for hi < len(d.entries) && hi-lo < n && bytes < treeChunkBytes {
		bytes += d.entries[hi].size
		hi++
	}
	if hi < len(d.entries) {
		t.pool.push(func() { t.copyChunk(d, hi) })
	}
	var stats CopyStats
	defer t.addStats(&stats)
	sd, err := t.openSrc(d)
	if err != nil {
		t.failEntry(d.rel, t.errAt("open", d.rel, err))
		return
	}
	defer sd.Close()
	dd, err := openTreeDir(t.dst, d.dstRel)
	if err != nil {
		t.failEntry(d.rel, t.errAt("open", d.rel, err))
		return
	}
	defer dd.Close()
	for i := lo; i < hi; i++ {
		if t.stopped() {
			return
		}
		e := &d.entries[i]
		if err := t.copyEntry(sd, dd, d, e, &stats); err != nil {
			t.failEntry(d.join(e.name), t.errAt("copy", d.join(e.name), err))
		}
	}
}

// copyEntry copies the entry e of d. A directory is reported once
// published (phase 4), a hard link once made (phase 3).
func (t *treeCopy) copyEntry(sd, dd *Dir, d *treeDir, e *treeEntry, stats *CopyStats) error {
	if e.sub != nil {
		err := t.makeDir(dd, d, e.sub)
		if err != nil || !e.sub.existed {
			d.changed.Store(true)
		}
		if err != nil {
			return err
		}
		stats.Dirs++
		t.pushChunks(e.sub)
		return nil
	}
	if e.mode.IsRegular() {
		s, m, err := t.copyRegular(sd, dd, d, e)
		d.noteChange(m, err)
		if err == nil {
			stats.Add(&s)
			t.onEntry(d.join(e.name), m, s.Bytes)
		}
		return err
	}
	m, err := t.copySpecial(sd, dd, d, e)
	d.noteChange(m, err)
	switch {
	case err != nil:
		return err
	case m == MethodSkipped || m == MethodUnchanged:
		stats.countMethod(m)
	case m != MethodCreated:
	case e.mode&fs.ModeSymlink != 0:
		stats.Symlinks++
	default:
		stats.Files++
	}
	t.onEntry(d.join(e.name), m, 0)
	return nil
}

// makeDir makes in dd (the destination of parent, or dst's parent for the
// root) the directory for the source directory d, with owner rwx until
// phase 4 sets its metadata. In a directory CopyTree made, it makes it at
// its name. Elsewhere it merges, with Replace, into a directory there, and
// otherwise makes it under a temporary name, to be published; anything but
// a directory at its name (a symbolic link included, which is not
// followed) is replaced then, with Replace.
func (t *treeCopy) makeDir(dd *Dir, parent *treeDir, d *treeDir) error {
	name := t.name(d)
	join := func(n string) string {
		if parent == nil {
			return "." // dst's root, whatever its name
		}
		return parent.dstJoin(n)
	}
	perm := d.st.Mode.Perm() | 0o700
	if parent != nil && parent.made {
		if err := dd.Mkdir(name, perm); err != nil {
			return err
		}
		d.made, d.dstRel = true, join(name)
		return nil
	}
	if t.opt.replacing() {
		st, err := dd.Lstatx(name)
		switch {
		case err == nil && st.Mode.IsDir():
			d.existed, d.dstRel, d.dstSt = true, join(name), st
			if st.Mode&0o300 != 0o300 {
				// Make it writable for the copy; phase 4 sets its mode.
				d.restoreMode, d.oldMode = true, st.Mode&chmodBits
				return dd.Chmod(name, d.oldMode|0o700)
			}
			return nil
		case err == nil && t.opt.Existing == ExistingReplace:
			d.clobber = true
		case err == nil:
			// ExistingSkip and ExistingUpdate keep the file there, and
			// the directory cannot be made (cp: "cannot overwrite
			// non-directory with directory").
			return &fs.PathError{Op: "mkdir", Path: name, Err: syscall.ENOTDIR}
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	for range 100 {
		tmp := tempName(name)
		err := dd.Mkdir(tmp, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		d.made, d.tmpName, d.dstRel = true, tmp, join(tmp)
		return nil
	}
	return &fs.PathError{Op: "mkdir", Path: name, Err: fs.ErrExist}
}

const chmodBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// copyRegular copies the regular file e of sd to dd, the destination of
// d, and says what put its data there.
func (t *treeCopy) copyRegular(sd, dd *Dir, d *treeDir, e *treeEntry) (CopyStats, Method, error) {
	name := e.name
	kept, m, old, err := t.keep(sd, dd, d, e)
	if err != nil || kept {
		return keptStats(m), m, err
	}
	sf, st, err := t.openRegular(sd, d, e)
	if err != nil {
		return CopyStats{}, 0, err
	}
	defer sf.Close()
	if t.opt.Hardlinks && st.Nlink > 1 && !t.claim(st, d, name) {
		return CopyStats{}, methodDeferred, nil // a link, made in phase 3
	}
	perm := st.Mode.Perm()
	nf, err := newTreeFile(dd, name, perm, d.made, t.opt.portable)
	if err != nil {
		return CopyStats{}, 0, err
	}
	o := t.opt
	o.Progress = t.fileProgress()
	// Where clones are made by name (macOS), the clone takes nf's place.
	stats, cloned, err := sysTree.clone(t.ctx, sf, st, nf, &o)
	if err == nil && !cloned {
		known := d.hints(st, perm, nf.direct)
		h := known
		stats, err = copyOpenFile(t.ctx, sf, nf.f, st, &o, &h)
		if err == nil {
			d.learn(st, perm, nf.direct, known, h)
		}
	}
	if err == nil {
		err = t.ctx.Err() // cancelled during the last chunk
	}
	if err == nil {
		err = keptMode(nf.f, old, &t.opt)
	}
	if err == nil && t.opt.Sync {
		err = nf.f.Sync()
	}
	if err == nil {
		err = nf.commit(t.opt.replaces())
	}
	if err != nil {
		if aerr := nf.abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return CopyStats{}, 0, err
	}
	return stats, fileMethod(&stats), nil
}

// openRegular opens the source file e of d: beneath sd, or by its path for
// a followed link (as CopyFile opens its source).
func (t *treeCopy) openRegular(sd *Dir, d *treeDir, e *treeEntry) (*File, *Stat, error) {
	if e.follow {
		return openSource(t.srcName(d.join(e.name)))
	}
	sf, err := openTreeFile(sd, e.name, sysTree.openFlags().src, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := sf.Statx()
	if err == nil && !st.Mode.IsRegular() {
		err = errChanged(st.Mode)
	}
	if err != nil {
		sf.Close()
		return nil, nil, err
	}
	return sf, st, nil
}

func errChanged(m fs.FileMode) error {
	return errInvalid("changed while copying: now %v", m.Type())
}

// hints returns what copyOpenFile may take as known for a file whose
// source is st, made in d with perm (direct: at its name, in a directory
// CopyTree made).
//
// A new file's owner is the process's, its group that or the directory's
// (setgid), and its mode perm masked by the umask or the directory's
// default ACL: the same for every file made in the directory, which
// nobody else sees (CopyTree made it, under a temporary name or
// in one). So, once one file made with perm p came out as mode m, a file
// made with a perm q within p comes out as q & m: preserve then decides on
// chown and chmod without a statx of each new file. That was one statx per
// file (strace -c: 1 of 8 calls per 4 KiB file, ~1 µs in the kernel and
// as much in the runtime); cp -a does not make it either (it knows its
// umask).
func (d *treeDir) hints(st *Stat, perm fs.FileMode, direct bool) copyHints {
	d.hintMu.Lock()
	defer d.hintMu.Unlock()
	h := copyHints{noClone: d.noClone && d.noCloneDev == st.Dev}
	if direct && d.newKnown && perm&^d.newPerm == 0 {
		h.dst = &Stat{Mode: perm & d.newMode, Uid: d.newUid, Gid: d.newGid}
	}
	return h
}

// learn records what copyOpenFile found (h) for the file whose source is
// st, made with perm; known is what hints had said before.
func (d *treeDir) learn(st *Stat, perm fs.FileMode, direct bool, known, h copyHints) {
	if h.noClone == known.noClone && (h.dst == nil || known.dst != nil || !direct) {
		return // nothing new
	}
	d.hintMu.Lock()
	defer d.hintMu.Unlock()
	if h.noClone && !known.noClone {
		d.noClone, d.noCloneDev = true, st.Dev
	}
	if direct && h.dst != nil && known.dst == nil && !d.newKnown {
		d.newKnown = true
		d.newPerm, d.newMode = perm, h.dst.Mode.Perm()
		d.newUid, d.newGid = h.dst.Uid, h.dst.Gid
	}
}
