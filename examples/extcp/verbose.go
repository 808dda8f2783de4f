package main

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/examples/internal/cli"
)

// -v and --debug: what was done, on stdout, as GNU cp says it.

// said reports, with -v, that src was copied to dst; with --debug, the line
// debug follows, if not empty.
func (c *copier) said(src, dst, debug string) {
	if !c.cfg.verbose {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.meter.clear()
	fmt.Fprintf(c.stdout, "%s -> %s\n", quote(src), quote(dst))
	if c.cfg.debug && debug != "" {
		fmt.Fprintln(c.stdout, debug)
	}
}

// saidTree reports, with -v, every entry of the tree j, which CopyTree
// copied, as cp -rv does (in the order of a walk of the source), but the
// directories merged into (existed, by relative path); with --debug, what
// put the data of its files in place, file by file count.
func (c *copier) saidTree(j *job, st *extfs.CopyStats, existed map[string]bool) {
	filepath.WalkDir(j.walkRoot(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, err := filepath.Rel(j.src, p)
		if err != nil || existed[rel] {
			return nil
		}
		c.said(filepath.Join(j.src, rel), filepath.Join(j.target, rel), "")
		return nil
	})
	if c.cfg.debug {
		c.mu.Lock()
		defer c.mu.Unlock()
		m := methods(st.ByMethod)
		if m == "" {
			m = "no data"
		}
		fmt.Fprintf(c.stdout, "tree %s: %s; %s of holes not written\n", quote(j.src), m, cli.FormatSize(st.HoleBytes))
	}
}

// debugLine is GNU cp's --debug line for one file copied with opt, whose
// statistics are st: "copy offload: yes, reflink: unsupported, sparse
// detection: SEEK_HOLE", and extfs's method when it says more (splice,
// read/write).
func debugLine(st *extfs.CopyStats, opt *extfs.CopyOptions) string {
	m, ok := mainMethod(st)
	offload, reflink, sparse := "unknown", "unknown", "no"
	switch {
	case ok && m == extfs.MethodClone:
		// As cp says it: the clone made the rest moot.
		reflink, sparse = "yes", "unknown"
	case opt.CoW == extfs.CoWNever:
		reflink, offload = "avoided", "avoided" // extfs uses no copy_file_range then: it may share blocks
	default:
		reflink = "unsupported"
		if ok {
			offload = "unsupported"
		}
	}
	if ok && m == extfs.MethodCopyFileRange {
		offload = "yes"
	}
	if !(ok && m == extfs.MethodClone) {
		switch {
		case opt.Sparse == extfs.SparseNever:
		case opt.Sparse == extfs.SparseAlways:
			sparse = "SEEK_HOLE + zeros"
		case st.HoleBytes > 0:
			sparse = "SEEK_HOLE"
		}
	}
	line := fmt.Sprintf("copy offload: %s, reflink: %s, sparse detection: %s", offload, reflink, sparse)
	if ok && (m == extfs.MethodSplice || m == extfs.MethodReadWrite) {
		line += ", method: " + m.String()
	}
	return line
}

// mainMethod is the method that put a single file's data in place, if
// any did (an empty file, or one all hole, has none).
func mainMethod(st *extfs.CopyStats) (extfs.Method, bool) {
	var best extfs.Method
	var n int64
	for m, k := range st.ByMethod {
		if k > n || (k == n && m < best) {
			best, n = m, k
		}
	}
	return best, n > 0
}

// quote quotes a name as cp does in its messages: 'name', with a quote
// inside written '\”.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// existingDirs lists the directories of the tree j that its target has
// already, by relative path: cp -v does not mention them.
func existingDirs(j *job) map[string]bool {
	m := make(map[string]bool)
	filepath.WalkDir(j.walkRoot(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(j.src, p)
		if err != nil {
			return nil
		}
		if st, err := extfs.Lstatx(filepath.Join(j.target, rel)); err == nil && st.Mode.IsDir() {
			m[rel] = true
			return nil
		}
		return fs.SkipDir // not there: nothing below it is either
	})
	return m
}
