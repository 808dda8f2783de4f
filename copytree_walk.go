package extfs

// Phase 1 of CopyTree: the walk of the source, and the plan made from it.

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// treeDir is a directory of the source tree, as the walk found it, and
// what became of it in dst.
type treeDir struct {
	rel     string // path from the source's root, "." for the root
	parent  *treeDir
	depth   int
	st      *Stat       // the source directory's metadata, taken before it was read
	entries []treeEntry // directories first, then by name
	follow  bool        // reached through a followed symbolic link: opened by path

	// Set when it is made in dst (phase 2).
	dstRel string // its path from dst's root as it is now, "." for the root
	// made: CopyTree made it, so every entry in it is new and is made at
	// its name. tmpName: made under that temporary name, to be renamed to
	// its own (published) once complete, replacing what is there with
	// clobber. existed: a directory that was there, merged into, with the
	// mode to restore if u+wx had to be added to write into it.
	made        bool
	tmpName     string
	clobber     bool
	existed     bool
	restoreMode bool
	oldMode     fs.FileMode

	// For phase 4 to leave alone a directory that was there and that
	// preserve would not change (see dirKept): dstSt, what was there;
	// changed, whether this copy made, replaced or removed an entry in it
	// (which moved its times); srcXattrs, whether the source directory
	// has xattrs, or may have (the walk asks only where dst may exist).
	dstSt     *Stat
	changed   atomic.Bool
	srcXattrs bool

	// What the files copied into it so far taught about it (see hints):
	// guarded by hintMu, since chunks of one directory run at once.
	hintMu     sync.Mutex
	noClone    bool   // FICLONE from noCloneDev into it is refused for every file
	noCloneDev uint64 // the source filesystem of noClone
	newKnown   bool   // a file made at its name in it, with newPerm, came out as newMode, newUid, newGid
	newPerm    fs.FileMode
	newMode    fs.FileMode
	newUid     uint32
	newGid     uint32
}

// treeEntry is one entry of a directory of the source tree. Only its name
// and type are known for what is not a directory, unless Progress needs the
// sizes.
type treeEntry struct {
	name     string
	mode     fs.FileMode
	size     int64
	dev, ino uint64
	nlink    uint64
	sub      *treeDir // the directory's own node, for a directory
	follow   bool     // a symbolic link followed (SymlinkFollow): mode and sizes are its target's
}

// walk checks that dst may be made, walks src (phase 1) and plans the
// copy. It returns the source's directories by depth.
func (t *treeCopy) walk() ([][]*treeDir, error) {
	if !t.opt.replacing() {
		// Fail before the walk; publishing dst checks again.
		if _, err := t.parent.Lstatx(t.base); err == nil {
			return nil, copyErr("mkdir", t.srcPath, t.dstPath, fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, copyErr("lstat", t.srcPath, t.dstPath, err)
		}
	}
	t.pool.push(func() { t.scanDir(t.root) })
	t.pool.wait()
	if err := t.err(); err != nil {
		return nil, err
	}
	dirs := t.plan()
	if err := t.checkOverlap(dirs); err != nil {
		return nil, err
	}
	return dirs, nil
}

// checkOverlap refuses a dst inside src (the copy would copy itself) and a
// src inside dst (merging would overwrite the source while it is read).
// dirs are the source's directories by depth.
func (t *treeCopy) checkOverlap(dirs [][]*treeDir) error {
	type key struct{ dev, ino uint64 }
	inSrc := make(map[key]bool)
	for _, level := range dirs {
		for _, d := range level {
			inSrc[key{d.st.Dev, d.st.Ino}] = true
		}
	}
	overlap := func(what string) error {
		return copyErr("copy", t.srcPath, t.dstPath, errInvalid("CopyTree: %s", what))
	}
	pst, err := t.parent.Statx(".")
	if err != nil {
		return copyErr("statx", t.srcPath, t.dstPath, err)
	}
	if inSrc[key{pst.Dev, pst.Ino}] {
		return overlap("the destination is inside the source")
	}
	dst, err := t.parent.Lstatx(t.base)
	if err != nil || !dst.Mode.IsDir() {
		return nil // nothing there yet, or nothing that can hold the source
	}
	if inSrc[key{dst.Dev, dst.Ino}] {
		return overlap("the destination is the source, or inside it")
	}
	// Is src beneath dst? Climb from src to the filesystem's root.
	up, err := OpenDir(t.srcPath)
	if err != nil {
		return copyErr("open", t.srcPath, t.dstPath, err)
	}
	defer func() { up.Close() }()
	for range 4096 {
		st, err := up.Statx(".")
		if err != nil {
			return copyErr("statx", t.srcPath, t.dstPath, err)
		}
		if st.Dev == dst.Dev && st.Ino == dst.Ino {
			return overlap("the source is inside the destination")
		}
		next, err := OpenDir(joinRel(up.Name(), ".."))
		if err != nil {
			return copyErr("open", t.srcPath, t.dstPath, err)
		}
		up.Close()
		up = next
		nst, err := up.Statx(".")
		if err != nil {
			return copyErr("statx", t.srcPath, t.dstPath, err)
		}
		if nst.Dev == st.Dev && nst.Ino == st.Ino {
			break // "/": its own parent
		}
	}
	return nil
}

// scanDir reads the source directory d and the metadata of its entries,
// and queues the walk of its subdirectories.
func (t *treeCopy) scanDir(d *treeDir) {
	if t.stopped() {
		return
	}
	if err := t.scan(d); err != nil {
		t.failEntry(d.rel, err)
		// With OnError going on, the directory is made with what was read.
	}
	for i := range d.entries {
		if sub := d.entries[i].sub; sub != nil {
			t.pool.push(func() { t.scanDir(sub) })
		}
	}
}

func (t *treeCopy) scan(d *treeDir) error {
	sd, err := t.openSrc(d)
	if err != nil {
		return t.errAt("open", d.rel, err)
	}
	defer sd.Close()
	if t.opt.replacing() && t.opt.Preserve&PreserveXattrs != 0 {
		d.srcXattrs = hasXattrs(&File{f: sd.f})
	}
	ents, err := sd.f.ReadDir(-1)
	if err != nil {
		return t.errAt("getdents", d.rel, syscallErrorOf("getdents", err))
	}
	d.entries = make([]treeEntry, 0, len(ents))
	for _, de := range ents {
		if t.stopped() {
			return nil
		}
		// The type from the directory (d_type) is enough for what is not
		// a directory, unless Progress needs the sizes: phase 2 looks at
		// each entry anyway, and its hard links then.
		e := treeEntry{name: de.Name(), mode: de.Type()}
		if e.mode.IsDir() || t.progress != nil {
			st, err := sd.Lstatx(e.name)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since it was listed: not part of the tree
			}
			if err != nil {
				t.failEntry(d.join(e.name), t.errAt("statx", d.join(e.name), err))
				continue
			}
			e.mode, e.size, e.dev, e.ino, e.nlink = st.Mode, st.Size, st.Dev, st.Ino, st.Nlink
			if st.Mode.IsDir() {
				e.sub = &treeDir{rel: d.join(e.name), parent: d, depth: d.depth + 1, st: st, follow: d.follow}
			}
		}
		if out, err := t.leaveOut(d, &e); err != nil {
			t.failEntry(d.join(e.name), t.errAt("copy", d.join(e.name), err))
			continue
		} else if out {
			continue
		}
		d.entries = append(d.entries, e)
	}
	slices.SortFunc(d.entries, func(a, b treeEntry) int {
		if ad, bd := a.sub != nil, b.sub != nil; ad != bd {
			if ad {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return nil
}

// plan goes over the walked tree once: it lists the directories by depth
// and, for Progress, adds up the bytes to copy (with Hardlinks, once per
// inode).
func (t *treeCopy) plan() [][]*treeDir {
	type inode struct{ dev, ino uint64 }
	var seen map[inode]bool
	if t.opt.Hardlinks && t.progress != nil {
		seen = make(map[inode]bool)
	}
	var dirs [][]*treeDir
	var walk func(d *treeDir)
	walk = func(d *treeDir) {
		if len(dirs) <= d.depth {
			dirs = append(dirs, nil)
		}
		dirs[d.depth] = append(dirs[d.depth], d)
		for i := range d.entries {
			e := &d.entries[i]
			switch {
			case e.sub != nil:
				walk(e.sub)
			case !e.mode.IsRegular():
			case seen != nil && e.nlink > 1:
				if k := (inode{e.dev, e.ino}); !seen[k] {
					seen[k] = true
					t.total += e.size
				}
			default:
				t.total += e.size
			}
		}
	}
	walk(t.root)
	return dirs
}
