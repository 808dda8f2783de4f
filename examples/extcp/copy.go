package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/extfs/extfs"
)

// A copier copies SRC operands to their targets and keeps the statistics.
type copier struct {
	cfg   config
	meter *meter

	mu          sync.Mutex // guards the fields below and writes to stdout and stderr
	stdout      io.Writer  // -v and --debug
	stderr      io.Writer
	stats       extfs.CopyStats
	failed      int  // operands (or, in a tree, entries) that failed
	interrupted bool // "interrupted" was said
}

// result is what a whole run did.
type result struct {
	stats   extfs.CopyStats
	elapsed time.Duration
	failed  int
}

func newCopier(cfg config, stdout, stderr io.Writer) *copier {
	c := &copier{cfg: cfg, stdout: stdout, stderr: stderr}
	c.meter = newMeter(cfg.progress, stderr, &c.mu)
	return c
}

// jobKind is what an operand is copied as.
type jobKind int

const (
	jobFile    jobKind = iota // a regular file (or a symbolic link to one, followed): CopyFile
	jobTree                   // a directory: CopyTree
	jobSymlink                // a symbolic link, copied as a link
	jobSpecial                // a FIFO or device file, made anew
)

// A job is one operand and where it goes.
type job struct {
	kind         jobKind
	src, target  string
	shown        string      // target as cp names it in messages (see cpTarget)
	st           *extfs.Stat // of src (followed for jobFile and jobTree)
	followed     bool        // src is a symbolic link, and st is of what it leads to
	targetExists bool
	targetMode   fs.FileMode // of what is at target, if anything

	ok bool // set when the copy succeeded
}

// walkRoot is the root to walk for the tree j: src, and when it is a
// symbolic link (followed, as CopyTree follows it), src with a trailing
// separator, so that the walk goes into what it leads to.
func (j *job) walkRoot() string {
	if j.followed {
		return j.src + string(filepath.Separator)
	}
	return j.src
}

// copyAll copies srcs to dst as cp does: into dst when it is a directory,
// else (a single SRC) to dst itself.
func (c *copier) copyAll(ctx context.Context, srcs []string, dst string) result {
	start := time.Now()
	dstSt, dstErr := extfs.Statx(dst)
	dstIsDir := dstErr == nil && dstSt.Mode.IsDir()
	if c.cfg.targetDir != "" && !dstIsDir {
		if dstErr != nil {
			c.fail(dst, dstErr)
		} else {
			c.failf(dst, "target is not a directory")
		}
		return c.result(start)
	}
	into := dstIsDir && !c.cfg.noTargetDir // -T: DST is the target, directory or not
	if len(srcs) > 1 && !into {
		if dstErr != nil && !errors.Is(dstErr, fs.ErrNotExist) {
			c.fail(dst, dstErr)
		} else {
			c.failf(dst, "target is not a directory")
		}
		return c.result(start)
	}

	var jobs []*job
	targets := make(map[string]bool)
	for _, src := range srcs {
		target, shown := dst, dst
		if into {
			target, shown = intoDir(dst, src), cpTarget(dst, src)
		}
		if targets[target] {
			// "extcp a a dir": cp warns and copies once.
			c.warnf(src, "given more than once; copied once")
			continue
		}
		targets[target] = true
		if j := c.plan(src, target, shown, strings.HasSuffix(dst, "/") && !dstIsDir); j != nil {
			jobs = append(jobs, j)
		}
	}
	if c.meter.enabled() && len(jobs) > 1 {
		c.meter.plan(plannedBytes(jobs))
	}

	n := c.cfg.jobs
	if n == 0 {
		n = defaultJobs()
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	firsts := make(map[fileID]*job)      // with links: the first job of each source file
	var linked []struct{ first, j *job } // later jobs of the same file, linked to the first
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		switch {
		case j.kind == jobTree && c.cfg.make != makeCopy:
			c.linkTree(ctx, j)
			continue
		case c.cfg.make != makeCopy:
			c.makeLink(j)
			continue
		}
		switch j.kind {
		case jobFile:
			if c.cfg.links {
				id := fileID{j.st.Dev, j.st.Ino}
				if first := firsts[id]; first != nil {
					linked = append(linked, struct{ first, j *job }{first, j})
					continue
				}
				firsts[id] = j
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				c.copyFile(ctx, j)
			})
		case jobTree:
			c.copyTree(ctx, j)
		case jobSymlink:
			c.copySymlink(j)
		case jobSpecial:
			c.copySpecial(j)
		}
	}
	wg.Wait()
	for _, l := range linked {
		if ctx.Err() != nil {
			break
		}
		if l.first.ok {
			c.link(l.first, l.j)
		} else {
			c.copyFile(ctx, l.j)
		}
	}
	if ctx.Err() != nil {
		c.fail("", ctx.Err())
	}
	c.meter.finish()
	return c.result(start)
}

// fileID identifies a file for hard-link detection.
type fileID struct{ dev, ino uint64 }

func (c *copier) result(start time.Time) result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return result{stats: c.stats, elapsed: time.Since(start), failed: c.failed}
}

// intoDir is where src goes when copied into the directory dir: dir/base,
// as cp names it ("a/b/" and "a/b" give b; "." and ".." give dir itself, so
// that their contents merge into it).
func intoDir(dir, src string) string {
	base := filepath.Base(src)
	if base == "." || base == ".." || base == string(filepath.Separator) {
		return dir
	}
	return filepath.Join(dir, base)
}

// plan looks at src and target and returns the job that copies one to the
// other, or reports why there is none and returns nil. shown is target as
// messages name it; mustBeDir says that target was given with a trailing
// slash and does not exist.
func (c *copier) plan(src, target, shown string, mustBeDir bool) *job {
	lst, err := extfs.Lstatx(src)
	if err != nil {
		c.fail(src, err)
		return nil
	}
	j := &job{src: src, target: target, shown: shown, st: lst}
	switch {
	case lst.Mode&fs.ModeSymlink != 0 && c.cfg.noDeref:
		j.kind = jobSymlink
	case lst.Mode&fs.ModeSymlink != 0:
		if j.st, err = extfs.Statx(src); err != nil {
			c.fail(src, err)
			return nil
		}
		j.followed = true
		fallthrough
	default:
		switch m := j.st.Mode; {
		case m.IsDir():
			j.kind = jobTree
		case m.IsRegular():
			j.kind = jobFile
		case m&(fs.ModeNamedPipe|fs.ModeDevice) != 0 && c.cfg.recursive:
			j.kind = jobSpecial
		default:
			c.failf(src, "not a regular file, directory or symbolic link (%v)", m.Type())
			return nil
		}
	}
	if j.kind == jobTree && !c.cfg.recursive {
		c.failf(src, "-r not specified; omitting directory")
		return nil
	}
	if mustBeDir && j.kind != jobTree {
		c.failf(target, "not a directory")
		return nil
	}

	tst, err := extfs.Lstatx(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return j
	case err != nil:
		c.fail(target, err)
		return nil
	}
	j.targetExists, j.targetMode = true, tst.Mode
	if j.kind != jobTree && !tst.Mode.IsDir() && c.cfg.existing == extfs.ExistingSkip {
		return nil // -n: left as it is, silently, as cp does (even onto itself)
	}
	if j.kind == jobTree {
		if !tst.Mode.IsDir() {
			c.failf(target, "cannot overwrite non-directory with directory %s", src)
			return nil
		}
		return j // merged into: CopyTree checks that neither is inside the other
	}
	if tst.Mode.IsDir() {
		c.failf(target, "cannot overwrite directory with non-directory %s", src)
		return nil
	}
	if j.kind == jobFile {
		// Onto itself, or onto a link to itself: refused, as cp does.
		if fst, err := extfs.Statx(target); err == nil && fst.Dev == j.st.Dev && fst.Ino == j.st.Ino {
			c.failf(src, "same file as %s", target)
			return nil
		}
	} else if tst.Dev == lst.Dev && tst.Ino == lst.Ino {
		c.failf(src, "same file as %s", target)
		return nil
	}
	if c.keep(j.st, tst) {
		return nil // -u, and not older: left as it is, silently, as cp does
	}
	return j
}

// plannedBytes adds up the bytes the jobs will copy, for the progress bar:
// the size of every regular file, walking the trees.
func plannedBytes(jobs []*job) int64 {
	var total int64
	for _, j := range jobs {
		switch j.kind {
		case jobFile:
			total += j.st.Size
		case jobTree:
			filepath.WalkDir(j.walkRoot(), func(_ string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if fi, err := d.Info(); err == nil {
						total += fi.Size()
					}
				}
				return nil
			})
		}
	}
	return total
}

// keep reports whether a destination entry with the metadata dst is kept
// rather than replaced by a copy of src: -n keeps it, -u keeps it unless it
// is older than src (by modification time, as cp -u).
func (c *copier) keep(src, dst *extfs.Stat) bool {
	switch c.cfg.existing {
	case extfs.ExistingSkip:
		return true
	case extfs.ExistingUpdate:
		return !src.Mtime.After(dst.Mtime)
	}
	return false
}

func (c *copier) copyFile(ctx context.Context, j *job) {
	opt := c.cfg.opt
	if j.targetExists {
		opt.Existing = extfs.ExistingReplace
	}
	opt.Progress = c.meter.op()
	// A file replaced keeps its mode unless -p, as cp leaves it.
	st, err := extfs.CopyFile(ctx, j.src, j.target, &opt)
	if c.done(j, &st, err) {
		c.said(j.src, j.shown, debugLine(mainMethod(&st), st.HoleBytes > 0, &opt))
	}
}

// copyTree copies the tree j with CopyTree, as cp -r does: existing
// entries replaced, kept (-n) or replaced if older (-u), symbolic links
// inside copied as links or followed (-L). An entry that fails is reported
// as it fails, and the rest of the tree is still copied.
func (c *copier) copyTree(ctx context.Context, j *job) {
	opt := c.cfg.opt
	opt.Existing = c.cfg.existing
	opt.Progress = c.meter.op()
	var reported []error // OnError's calls come one at a time
	opt.OnError = func(rel string, err error) error {
		reported = append(reported, err)
		c.fail(cpJoin(j.src, rel), err)
		return nil
	}
	opt.OnEntry = func(e extfs.CopyEntry) { c.saidEntry(j, e) }
	st, err := extfs.CopyTree(ctx, j.src, j.target, &opt)
	if c.done(j, &st, unreported(err, reported)) && !j.targetExists {
		// The root gets its name last, once complete (see saidEntry).
		c.said(j.src, j.shown, "")
	}
}

// unreported is what of err, returned by CopyTree, OnError has not
// reported: CopyTree returns the errors of the entries it went on after
// (those of reported), joined, or the error that stopped it.
func unreported(err error, reported []error) error {
	if err == nil || len(reported) == 0 {
		return err
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var rest []error
	for _, e := range errs {
		if !slices.ContainsFunc(reported, func(r error) bool { return errors.Is(e, r) }) {
			rest = append(rest, e)
		}
	}
	return errors.Join(rest...)
}

// link makes j's target a hard link to first's, which is a copy of the same
// file, as CopyTree does for hard links inside a tree.
func (c *copier) link(first, j *job) {
	err := replaceWith(j.target, j.targetExists, func(name string) error {
		return extfs.Link(first.target, name)
	})
	st := extfs.CopyStats{Files: 1, ByMethod: map[extfs.Method]int64{extfs.MethodHardlink: 1}}
	if c.done(j, &st, err) {
		c.said(j.src, j.shown, "")
	}
}

// copySymlink makes j's target a symbolic link with the target of j's
// source, and the metadata asked for.
func (c *copier) copySymlink(j *job) {
	text, err := extfs.Readlink(j.src)
	if err == nil {
		err = replaceWith(j.target, j.targetExists, func(name string) error {
			return extfs.Symlink(text, name)
		})
	}
	if err == nil {
		err = c.preserveEntry(j.target, j.st)
	}
	if c.done(j, &extfs.CopyStats{Symlinks: 1}, err) {
		c.said(j.src, j.shown, "")
	}
}

// copySpecial makes j's target a FIFO or device file like j's source.
func (c *copier) copySpecial(j *job) {
	err := replaceWith(j.target, j.targetExists, func(name string) error {
		d, err := extfs.OpenDir(filepath.Dir(name))
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Mknod(filepath.Base(name), j.st.Mode&(fs.ModeType|fs.ModePerm), j.st.Rdev)
	})
	if err == nil {
		err = c.preserveEntry(j.target, j.st)
	}
	if c.done(j, &extfs.CopyStats{Files: 1}, err) {
		c.said(j.src, j.shown, "")
	}
}

// preserveEntry gives name, a symbolic link or special file just made, the
// metadata of st that the options ask for (a regular file or tree gets it
// from extfs). Extended attributes are not copied here.
func (c *copier) preserveEntry(name string, st *extfs.Stat) error {
	p := c.cfg.opt.Preserve
	if p&(extfs.PreserveOwner|extfs.PreserveMode|extfs.PreserveTimes) == 0 {
		return nil
	}
	d, err := extfs.OpenDir(filepath.Dir(name))
	if err != nil {
		return err
	}
	defer d.Close()
	base := filepath.Base(name)
	if p&extfs.PreserveOwner != 0 && runtime.GOOS != "windows" {
		if err := d.Lchown(base, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if p&extfs.PreserveMode != 0 && st.Mode&fs.ModeSymlink == 0 {
		if err := d.Chmod(base, st.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
	}
	if p&extfs.PreserveTimes != 0 {
		return d.LSetTimes(base, st.Atime, st.Mtime)
	}
	return nil
}

// done records the outcome of j, and reports whether it succeeded.
func (c *copier) done(j *job, st *extfs.CopyStats, err error) bool {
	c.mu.Lock()
	c.stats.Add(st)
	c.mu.Unlock()
	if err != nil {
		c.fail(j.src, err)
		return false
	}
	j.ok = true
	return true
}

// failf reports a failure of path with a reason of extcp's own.
func (c *copier) failf(path, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed++
	c.say(path + ": " + fmt.Sprintf(format, args...))
}

// warnf reports something odd about path that is not a failure.
func (c *copier) warnf(path, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.say(path + ": warning: " + fmt.Sprintf(format, args...))
}

// fail reports err, which concerns path: one line per error it joins, as
// "extcp: PATH: REASON". A cancellation (an interrupt) is reported once.
func (c *copier) fail(path string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		if !c.interrupted {
			c.interrupted = true
			c.failed++
			c.say("interrupted")
		}
		return
	}
	c.failed++
	for _, line := range errorLines(path, err) {
		c.say(line)
	}
}

// say writes one line to stderr, with the progress bar out of the way.
// c.mu is held.
func (c *copier) say(line string) {
	c.meter.clear()
	fmt.Fprintf(c.stderr, "extcp: %s\n", line)
}

// errorLines formats err, which concerns path, as "PATH: REASON" lines: one
// per error err joins.
func errorLines(path string, err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var lines []string
		for _, e := range j.Unwrap() {
			lines = append(lines, errorLines(path, e)...)
		}
		return lines
	}
	var le *os.LinkError
	var pe *fs.PathError
	switch {
	case errors.As(err, &le):
		// extfs names the entry in the source and in the destination, and
		// the system call: "src: reason (op, copying to dst)".
		return []string{fmt.Sprintf("%s: %v (%s, copying to %s)", le.Old, le.Err, le.Op, le.New)}
	case errors.As(err, &pe) && pe.Path == path:
		return []string{path + ": " + pe.Err.Error()}
	case errors.As(err, &pe):
		return []string{fmt.Sprintf("%s: %s: %v", path, pe.Path, pe.Err)}
	}
	return []string{path + ": " + err.Error()}
}
