package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	case c.cfg.existing == existingUpdate: // and older than the source: replaced
		err = replaceWith(j.target, true, mk)
	default:
		err = &os.LinkError{Op: "link", Old: src, New: j.target, Err: fs.ErrExist}
	}
	if c.done(j, &st, err) {
		c.said(j.src, j.target, "")
	}
}

// linkTree makes the tree j of links: its directories made anew (or merged
// into), every other entry a link to its source, as makeLink makes it.
// With -l, a symbolic link in the tree is followed unless -P (or -a, -d)
// says not to, as cp -rl does. An entry that fails is reported, and the
// others are still made.
func (c *copier) linkTree(ctx context.Context, j *job) {
	type madeDir struct {
		path string
		st   *extfs.Stat
	}
	var dirs []madeDir // to get their metadata once filled
	err := filepath.WalkDir(j.src, func(p string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			c.fail(p, err)
			return nil
		}
		rel, err := filepath.Rel(j.src, p)
		if err != nil {
			return err
		}
		t := filepath.Join(j.target, rel)
		lst, err := extfs.Lstatx(p)
		if err != nil {
			c.fail(p, err)
			return nil
		}
		if d.IsDir() {
			switch err := os.Mkdir(t, lst.Mode.Perm()|0o700); {
			case err == nil:
				dirs = append(dirs, madeDir{t, lst})
				c.mu.Lock()
				c.stats.Dirs++
				c.mu.Unlock()
				c.said(p, t, "")
			case os.IsExist(err):
				if tst, serr := extfs.Statx(t); serr != nil || !tst.Mode.IsDir() {
					c.failf(t, "cannot overwrite non-directory with directory %s", p)
					return fs.SkipDir
				}
			default:
				c.fail(p, err)
				return fs.SkipDir
			}
			return nil
		}
		e := &job{src: p, target: t, st: lst}
		if lst.Mode&fs.ModeSymlink != 0 && c.cfg.make == makeHardlink && c.cfg.deref != derefNever {
			e.followed = true
		}
		if tst, err := extfs.Lstatx(t); err == nil {
			if tst.Mode.IsDir() {
				c.failf(t, "cannot overwrite directory with non-directory %s", p)
				return nil
			}
			e.targetExists, e.targetMode = true, tst.Mode
			if c.keep(lst, tst) {
				return nil
			}
		}
		c.makeLink(e)
		return nil
	})
	if err != nil {
		c.fail(j.src, err)
	}
	// The directories' modes (and, as asked, times and owners), deepest
	// first, now that nothing more goes into them.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		var err error
		if c.cfg.opt.Preserve&(extfs.PreserveMode|extfs.PreserveTimes|extfs.PreserveOwner) != 0 {
			err = c.preserveEntry(d.path, d.st)
		}
		if err == nil && c.cfg.opt.Preserve&extfs.PreserveMode == 0 && d.st.Mode.Perm()&0o700 != 0o700 {
			err = os.Chmod(d.path, d.st.Mode.Perm())
		}
		if err != nil {
			c.fail(d.path, fmt.Errorf("setting its metadata: %w", err))
		}
	}
}
