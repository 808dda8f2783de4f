package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/extfs/extfs"
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

// saidEntry reports, with -v, the entry e of the tree j, which CopyTree
// has just done, as cp -rv names it; with --debug, for a regular file, how
// its data got there. As cp, it says nothing of what was left as it was
// (-n, -u, a directory merged into); what failed is on stderr. Entries are
// named as they are done: a directory once complete, after its contents.
func (c *copier) saidEntry(j *job, e extfs.CopyEntry) {
	if !c.cfg.verbose || e.Err != nil || e.Method == extfs.MethodSkipped || e.Method == extfs.MethodUnchanged {
		return
	}
	src := cpJoin(j.src, e.Rel)
	var debug string
	if c.cfg.debug && (moved(e.Method) || e.Method == extfs.MethodCreated) {
		stat := extfs.Lstatx
		if c.cfg.opt.Symlinks == extfs.SymlinkFollow {
			stat = extfs.Statx
		}
		// A regular file (not a directory, link or device made anew); its
		// holes, as cp judges them, from its allocated size.
		if st, err := stat(src); err == nil && st.Mode.IsRegular() {
			debug = debugLine(e.Method, st.Blocks*512 < st.Size, &c.cfg.opt)
		}
	}
	c.said(src, cpJoin(j.shown, e.Rel), debug)
}

// debugLine is GNU cp's --debug line for a regular file whose data m put
// in place (MethodCreated: no data) with opt, holes saying whether it has
// any: "copy offload: yes, reflink: unsupported, sparse detection:
// SEEK_HOLE", and extfs's method when it says more (splice, read/write).
func debugLine(m extfs.Method, holes bool, opt *extfs.CopyOptions) string {
	ok := moved(m)
	offload, reflink, sparse := "unknown", "unknown", "no"
	switch {
	case m == extfs.MethodClone:
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
	if m == extfs.MethodCopyFileRange {
		offload = "yes"
	}
	if m != extfs.MethodClone {
		switch {
		case opt.Sparse == extfs.SparseNever:
		case opt.Sparse == extfs.SparseAlways:
			sparse = "SEEK_HOLE + zeros"
		case holes:
			sparse = "SEEK_HOLE"
		}
	}
	line := fmt.Sprintf("copy offload: %s, reflink: %s, sparse detection: %s", offload, reflink, sparse)
	if m == extfs.MethodSplice || m == extfs.MethodReadWrite {
		line += ", method: " + m.String()
	}
	return line
}

// moved reports whether m moves data (rather than linking, keeping or
// making an entry with none).
func moved(m extfs.Method) bool {
	switch m {
	case extfs.MethodClone, extfs.MethodCopyFileRange, extfs.MethodSplice, extfs.MethodReadWrite:
		return true
	}
	return false
}

// mainMethod is the method that put a single file's data in place:
// MethodCreated when none did (an empty file, or one all hole).
func mainMethod(st *extfs.CopyStats) extfs.Method {
	best, n := extfs.MethodCreated, int64(0)
	for m, k := range st.ByMethod {
		if k > n || (k == n && m < best) {
			best, n = m, k
		}
	}
	return best
}

// quote quotes a name as cp does in its messages: 'name', with a quote
// inside written '\”.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cpJoin is dir/rel (rel slash-separated) as cp writes it: dir as given,
// with one separator before rel however many dir ends with.
func cpJoin(dir, rel string) string {
	trimmed := strings.TrimRightFunc(dir, func(r rune) bool { return r < utf8.RuneSelf && os.IsPathSeparator(uint8(r)) })
	return trimmed + string(filepath.Separator) + filepath.FromSlash(rel)
}

// cpTarget is the name cp gives to src copied into the directory dir, in
// its messages: dir/base, base being src's last component as given ("."
// too), or dir itself for "..". intoDir is the same place, cleaned.
func cpTarget(dir, src string) string {
	base := filepath.Base(src)
	if base == ".." || base == string(filepath.Separator) {
		return dir
	}
	return cpJoin(dir, base)
}
