package main

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/extfs/extfs"
)

// -l and -s: links instead of copies. extfs.CopyTree copies data, so a tree
// of links is made here, entry by entry, as cp -rl and cp -rs make it.

// makeLink makes j's target a hard link (-l) or a symbolic link (-s) to
// j's source. A destination that is there is an error, as in cp (without
// -f), unless -n or -u keep it (plan has then dropped j), or -u replaces it.
func (c *copier) makeLink(j *job) {
	src := j.src
	var mk func(name string) error
	var st extfs.CopyStats
	switch c.cfg.make {
	case makeHardlink:
		if j.followed {
			// cp links what the link leads to (linkat AT_SYMLINK_FOLLOW).
			var err error
			if src, err = filepath.EvalSymlinks(src); err != nil {
				c.done(j, nil, err)
				return
			}
		}
		mk = func(name string) error { return extfs.Link(src, name) }
		st = extfs.CopyStats{Files: 1, ByMethod: map[extfs.Method]int64{extfs.MethodHardlink: 1}}
	case makeSymlink:
		if !filepath.IsAbs(src) && filepath.Dir(j.target) != "." {
			c.failf(j.target, "can make relative symbolic links only in current directory")
			return
		}
		mk = func(name string) error { return extfs.Symlink(src, name) }
		st = extfs.CopyStats{Symlinks: 1}
	}
	var err error
	switch {
	case !j.targetExists:
		err = mk(j.target)
	case c.cfg.existing == extfs.ExistingUpdate: // and older than the source: replaced
		err = replaceWith(j.target, true, mk)
	default:
		err = &os.LinkError{Op: "link", Old: src, New: j.target, Err: fs.ErrExist}
	}
	if c.done(j, &st, err) {
		c.said(j.src, j.shown, "")
	}
}

// linkTree makes the tree j of links: its directories made anew (or merged
// into), every other entry a link to its source, as makeLink makes it.
// With -l, symbolic links in the tree are followed (a link to a directory
// is copied as that directory) unless -P (or -a, -d) says not to, as cp -rl
// does; a loop is an error. An entry that fails is reported, and the others
// are still made.
func (c *copier) linkTree(ctx context.Context, j *job) {
	t := &linkTreeWalk{c: c, ctx: ctx, follow: !c.cfg.noDeref}
	t.dir(j.src, j.target, j.st, []fileID{{j.st.Dev, j.st.Ino}})
	// The directories' modes (and, as asked, times and owners), deepest
	// first, now that nothing more goes into them.
	for i := len(t.dirs) - 1; i >= 0; i-- {
		d := t.dirs[i]
		var err error
		if c.cfg.opt.Preserve&(extfs.PreserveMode|extfs.PreserveTimes|extfs.PreserveOwner) != 0 {
			err = c.preserveEntry(d.path, d.st)
		}
		if err == nil && d.made && c.cfg.opt.Preserve&extfs.PreserveMode == 0 && d.st.Mode.Perm()&0o700 != 0o700 {
			err = os.Chmod(d.path, d.st.Mode.Perm())
		}
		if err != nil {
			c.fail(d.path, fmt.Errorf("setting its metadata: %w", err))
		}
	}
}

// linkTreeWalk is one linkTree.
type linkTreeWalk struct {
	c      *copier
	ctx    context.Context
	follow bool // symbolic links in the tree are followed
	dirs   []linkTreeDir
}

// linkTreeDir is a directory of the new tree, whose metadata is set last.
type linkTreeDir struct {
	path string
	st   *extfs.Stat // of its source
	made bool        // not merged into
}

// dir makes the directory dst for the source directory src (whose
// metadata is st), then the links for its entries. ancestors are the source
// directories above it and itself.
func (t *linkTreeWalk) dir(src, dst string, st *extfs.Stat, ancestors []fileID) {
	c := t.c
	switch err := os.Mkdir(dst, st.Mode.Perm()|0o700); {
	case err == nil:
		t.dirs = append(t.dirs, linkTreeDir{dst, st, true})
		c.mu.Lock()
		c.stats.Dirs++
		c.mu.Unlock()
		c.said(src, dst, "")
	case os.IsExist(err):
		if tst, serr := extfs.Statx(dst); serr != nil || !tst.Mode.IsDir() {
			c.failf(dst, "cannot overwrite non-directory with directory %s", src)
			return
		}
		// Merged into: cp gives it the metadata asked for, not the mode it
		// would give a new one.
		if c.cfg.opt.Preserve&(extfs.PreserveMode|extfs.PreserveTimes|extfs.PreserveOwner) != 0 {
			t.dirs = append(t.dirs, linkTreeDir{dst, st, false})
		}
	default:
		c.fail(src, err)
		return
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		c.fail(src, err)
		return
	}
	for _, e := range entries {
		if err := t.ctx.Err(); err != nil {
			c.fail("", err)
			return
		}
		p, q := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		lst, err := extfs.Lstatx(p)
		if err != nil {
			c.fail(p, err)
			continue
		}
		st := lst
		if t.follow && lst.Mode&fs.ModeSymlink != 0 {
			if st, err = extfs.Statx(p); err != nil {
				c.fail(p, err)
				continue
			}
		}
		if st.Mode.IsDir() {
			id := fileID{st.Dev, st.Ino}
			if slices.Contains(ancestors, id) {
				c.failf(p, "a link to a directory above it: not followed (a loop)")
				continue
			}
			t.dir(p, q, st, append(ancestors[:len(ancestors):len(ancestors)], id))
			continue
		}
		l := &job{src: p, target: q, shown: q, st: st, followed: st != lst}
		if tst, err := extfs.Lstatx(q); err == nil {
			if tst.Mode.IsDir() {
				c.failf(q, "cannot overwrite directory with non-directory %s", p)
				continue
			}
			l.targetExists, l.targetMode = true, tst.Mode
			if c.keep(st, tst) {
				continue
			}
		}
		c.makeLink(l)
	}
}

// replaceWith makes name with mk: in place when nothing is there, else
// under a temporary name renamed over what is there, so that the name
// never goes missing.
func replaceWith(name string, exists bool, mk func(string) error) error {
	if !exists {
		return mk(name)
	}
	tmp := filepath.Join(filepath.Dir(name), ".extcp-"+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
	if err := mk(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
