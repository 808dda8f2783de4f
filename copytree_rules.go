package extfs

// The rules a caller gives CopyTree: Skip, Symlinks, Existing, OnError and
// OnEntry (see CopyOptions).

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// methodDeferred is what an entry left to phase 3 (a hard link) reports
// in phase 2: nothing yet.
const methodDeferred Method = -1

// failEntry handles the failure err of the entry rel below the root.
// Without OnError it stops the copy; with it, the caller decides: go on
// (the error is recorded, CopyTree returns it at the end) or stop.
func (t *treeCopy) failEntry(rel string, err error) {
	if t.opt.OnError == nil || rel == "." || t.ctx.Err() != nil ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.fail(err)
		return
	}
	t.hookMu.Lock()
	herr := t.opt.OnError(rel, err)
	if herr == nil {
		t.recorded = append(t.recorded, err)
		if t.opt.OnEntry != nil {
			t.opt.OnEntry(CopyEntry{Rel: rel, Method: MethodSkipped, Err: err})
		}
	}
	t.hookMu.Unlock()
	if herr != nil {
		t.fail(herr)
	}
}

// recordedErr is the errors OnError let the copy go on after, joined.
func (t *treeCopy) recordedErr() error {
	t.hookMu.Lock()
	defer t.hookMu.Unlock()
	return errors.Join(t.recorded...)
}

// onEntry tells OnEntry what became of an entry.
func (t *treeCopy) onEntry(rel string, m Method, bytes int64) {
	if t.opt.OnEntry == nil || m == methodDeferred {
		return
	}
	t.hookMu.Lock()
	defer t.hookMu.Unlock()
	t.opt.OnEntry(CopyEntry{Rel: rel, Method: m, Bytes: bytes})
}

// leaveOut applies Skip and Symlinks to the entry e of d, as the walk found
// it: it reports whether e is left out, and resolves a link to follow.
func (t *treeCopy) leaveOut(d *treeDir, e *treeEntry) (bool, error) {
	if t.opt.Skip == nil && e.mode&fs.ModeSymlink == 0 {
		return false, nil // the common case, without building the path
	}
	rel := d.join(e.name)
	if t.opt.Skip != nil {
		t.hookMu.Lock()
		skip, err := t.opt.Skip(rel, treeDirEntry{t: t, d: d, rel: rel, e: e})
		t.hookMu.Unlock()
		if err != nil {
			return true, err
		}
		if skip {
			t.skipped(rel)
			return true, nil
		}
	}
	if e.mode&fs.ModeSymlink == 0 {
		return false, nil
	}
	switch t.opt.Symlinks {
	case SymlinkSkip:
		t.skipped(rel)
		return true, nil
	case SymlinkFollow:
		return false, t.follow(d, e)
	}
	return false, nil
}

func (t *treeCopy) skipped(rel string) {
	t.addStats(&CopyStats{ByMethod: map[Method]int64{MethodSkipped: 1}})
	t.onEntry(rel, MethodSkipped, 0)
}

// follow makes e, a symbolic link, stand for what it points to (cp -L):
// looked up by path, wherever it leads. A directory that holds the link
// (a loop) is refused with ELOOP.
func (t *treeCopy) follow(d *treeDir, e *treeEntry) error {
	rel := d.join(e.name)
	st, err := Statx(t.srcName(rel))
	if err != nil {
		return err
	}
	e.follow = true
	e.mode, e.size, e.dev, e.ino, e.nlink = st.Mode, st.Size, st.Dev, st.Ino, st.Nlink
	if !st.Mode.IsDir() {
		return nil
	}
	for a := d; a != nil; a = a.parent {
		if a.st.Dev == st.Dev && a.st.Ino == st.Ino {
			return &fs.PathError{Op: "stat", Path: t.srcName(rel), Err: syscall.ELOOP}
		}
	}
	e.sub = &treeDir{rel: rel, parent: d, depth: d.depth + 1, st: st, follow: true}
	return nil
}

// openSrc opens the source directory d: beneath the source's root, or by
// its path when a followed link leads to it.
func (t *treeCopy) openSrc(d *treeDir) (*Dir, error) {
	if !d.follow {
		return openTreeDir(t.src, d.rel)
	}
	// OpenDir resolves the path, links and all; its descriptor is for
	// lookups only (O_PATH on Linux), so the directory is opened again,
	// for reading, beneath it.
	root, err := OpenDir(t.srcName(d.rel))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return openTreeDir(root, ".")
}

// srcStat is the metadata of the source entry e of d: the link's target's
// for a followed link.
func (t *treeCopy) srcStat(sd *Dir, d *treeDir, e *treeEntry) (*Stat, error) {
	if e.follow {
		return Statx(t.srcName(d.join(e.name)))
	}
	return sd.Lstatx(e.name)
}

// keep decides, for ExistingSkip and ExistingUpdate, whether the entry of
// d's destination named like e stays as it is, and how that is reported.
// It also returns the entry it found, where one is to be replaced and its
// mode kept (see keptMode). Only in a directory that was there before can
// the entry exist.
func (t *treeCopy) keep(sd, dd *Dir, d *treeDir, e *treeEntry) (bool, Method, *Stat, error) {
	look := t.opt.Existing >= ExistingSkip || t.opt.Existing == ExistingReplace && t.opt.Preserve&PreserveMode == 0
	if d.made || !look {
		return false, 0, nil, nil
	}
	dst, err := dd.Lstatx(e.name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0, nil, nil
	}
	if err != nil {
		return false, 0, nil, err
	}
	switch t.opt.Existing {
	case ExistingSkip:
		return true, MethodSkipped, nil, nil
	case ExistingUpdate:
		src, err := t.srcStat(sd, d, e)
		if err != nil {
			return false, 0, nil, err
		}
		if !dst.Mtime.Before(src.Mtime) {
			return true, MethodUnchanged, nil, nil
		}
	}
	return false, 0, dst, nil
}

// keptMode gives f, the copy that is to replace the regular file old, the
// permission bits of old unless PreserveMode, as cp, which writes into the
// file it overwrites, leaves them.
func keptMode(f *File, old *Stat, o *CopyOptions) error {
	if old == nil || !old.Mode.IsRegular() || o.Preserve&PreserveMode != 0 {
		return nil
	}
	return f.Chmod(old.Mode & chmodBits)
}

// replaces reports whether what the copy makes may take the place of an
// existing entry (ExistingSkip only fills in what is missing).
func (o *CopyOptions) replaces() bool {
	return o.Existing == ExistingReplace || o.Existing == ExistingUpdate
}

// fileMethod is the method that put a regular file's data in place.
func fileMethod(s *CopyStats) Method {
	for m, n := range s.ByMethod {
		if n > 0 {
			return m
		}
	}
	return MethodCreated // no data: empty, or all hole
}

// treeDirEntry is an entry of the source tree as Skip sees it.
type treeDirEntry struct {
	t   *treeCopy
	d   *treeDir
	rel string
	e   *treeEntry
}

func (de treeDirEntry) Name() string      { return de.e.name }
func (de treeDirEntry) IsDir() bool       { return de.e.mode.IsDir() }
func (de treeDirEntry) Type() fs.FileMode { return de.e.mode.Type() }
func (de treeDirEntry) String() string    { return fs.FormatDirEntry(de) }
func (de treeDirEntry) Info() (fs.FileInfo, error) {
	if de.d.follow {
		return os.Lstat(de.t.srcName(de.rel))
	}
	return de.t.src.Lstat(de.rel)
}
