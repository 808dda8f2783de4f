package extfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// CopyTree copies the directory tree src to dst, as opt says (nil means the
// defaults: see CopyOptions), several files at once, and returns what it
// did.
//
// src is the directory at that path (a symbolic link there is followed).
// Inside the tree, regular files are copied as CopyFile copies them
// (clones where the filesystem can, holes kept); directories are made
// anew; symbolic links are recreated with the same target, byte for byte,
// or followed or left out (opt.Symlinks); FIFOs, sockets and device files
// are made anew (device files need privilege). With opt.Hardlinks, entries
// that are hard links of one another in src are so in dst (MethodHardlink).
// opt.Skip leaves entries out. opt.Preserve applies to every entry, a
// directory's metadata being set once its contents are complete (so a
// 0555 directory can be filled).
//
// # Destination
//
// Nothing is written outside dst, and nothing found in dst is followed:
// every name there is resolved through a Dir (see ErrEscapes), and a
// symbolic link where the copy puts an entry is replaced, not its target.
// With opt.Existing == ExistingError, dst must not exist (fs.ErrExist,
// before anything is copied). Otherwise an existing directory tree there
// is merged into: entries src lacks are left alone, and each existing
// entry is replaced, kept, or replaced if older, as Existing says, each
// replacement atomic. A directory is never replaced by a non-directory
// (EISDIR), nor, with ExistingSkip and ExistingUpdate, a non-directory by
// a directory (ENOTDIR). dst must not be inside src, nor src inside dst
// (fs.ErrInvalid).
//
// What CopyTree makes appears whole or not at all: new files and
// directories are made under hidden temporary names
// (.<name>.extfs-<random>.tmp) or unnamed, and named once complete, so a
// crash never leaves a partial entry under a name of src's. With opt.Sync
// each is also synced before it is named.
//
// # Errors, progress and limits
//
// Without opt.OnError, the first error stops the copy: the copies in
// flight are cancelled, what was made under temporary names is removed,
// and CopyTree returns that error, joined with others that happened
// meanwhile. Cancelling ctx stops it the same way. With OnError, a failed
// entry is left out and the copy goes on if OnError returns nil; the
// errors are returned, joined, at the end. Each error is an *os.LinkError
// naming the entry in src and in dst. The CopyStats returned, even with an
// error, count the work done; opt.OnEntry reports each entry as it is done.
//
// CopyTree walks src first (about 100 bytes plus the name per entry in
// memory), then copies. opt.Progress counts the bytes of the regular files
// (hard links once), from the copying goroutines, one call at a time.
// opt.Workers bounds the entries copied at once; each worker holds at most
// six descriptors.
//
// # Linux notes
//
// Names are resolved with openat2 RESOLVE_BENEATH (see Dir). In a
// directory that existed, a file is made with O_TMPFILE and named with
// linkat(2), which never replaces, else under a temporary name renamed
// with RENAME_NOREPLACE.
//
// # macOS notes
//
// clonefile(2) clones to a new name only: a file is cloned under a
// temporary name, made to pass for a new file as CopyFile's clone is, and
// published as a copy would be.
//
// # Windows notes
//
// Directories are published with a rename that never replaces. Replacing
// a directory with a file fails with an error matching fs.ErrPermission.
// Symbolic links need the privilege to create them.
//
// # Other systems
//
// CopyTree works where Dir does; elsewhere it returns an error matching
// ErrNotSupported. Sockets, and with PreserveXattrs symbolic links and
// special files, are not copied there (ErrNotSupported).
func CopyTree(ctx context.Context, src, dst string, opt *CopyOptions) (CopyStats, error) {
	o, err := copyArgs(ctx, "CopyTree", src, dst, opt)
	if err == nil && (src == "" || dst == "") {
		err = errInvalid("CopyTree: empty path") // CopyFile's is ENOENT, as os.Open's
	}
	if err != nil {
		return CopyStats{}, copyErr("copy", src, dst, err)
	}
	t := &treeCopy{opt: o, srcPath: src, dstPath: dst, progress: o.Progress, reported: -1}
	t.ctx, t.cancel = context.WithCancel(ctx)
	defer t.cancel()
	t.pool.start(treeWorkers(o.Workers))
	defer t.pool.stop()

	err = t.run()
	if err == nil {
		err = t.recordedErr()
	}
	t.statsMu.Lock()
	stats := t.stats
	t.statsMu.Unlock()
	return stats, err
}

// treeWorkers is the number of workers: n, or when n is 0, 2*GOMAXPROCS
// clamped to [4, 64]. A worker spends most of its time in the kernel, part
// of it asleep (journal, locks), so more workers than processors keep the
// processors busy; up to this number the workers' calls stay direct system
// calls (the engine admits 2*GOMAXPROCS at once, see sys/linux), which cost
// less here than io_uring. Measured: bench/README.md, "CopyTree: workers".
func treeWorkers(n int) int {
	if n > 0 {
		return min(n, maxTreeWorkers)
	}
	return min(max(2*runtime.GOMAXPROCS(0), 4), 64)
}

// maxTreeWorkers caps CopyOptions.Workers: each worker may hold six
// descriptors, and past a few hundred more workers only contend for the
// same disk and locks.
const maxTreeWorkers = 256

// Work is cut into tasks of at most treeChunkEntries entries of one
// directory, or about treeChunkBytes of data when the walk knows the sizes
// (with Progress): small enough that a large directory is copied by every
// worker, large enough that opening the two directories for a task costs
// nothing next to its entries. In a directory that was there, under
// ExistingSkip or ExistingUpdate, an entry is mostly kept for two statx
// (about 3 µs, against 30-40 µs for copying a small file): there a task
// takes treeChunkKept entries, or opening the directories would be a
// quarter of a no-op re-run's system calls.
const (
	treeChunkEntries = 16
	treeChunkKept    = 64
	treeChunkBytes   = 8 << 20
)

// treeCopy is one CopyTree call.
type treeCopy struct {
	ctx    context.Context // cancelled by the first error
	cancel context.CancelFunc
	opt    CopyOptions
	pool   pool

	srcPath, dstPath string
	src, dst         *Dir // the roots: every name of the copy is resolved beneath one of them
	parent           *Dir // dst's parent directory, where dst is published
	base             string
	root             *treeDir

	errMu sync.Mutex
	errs  []error // the first error, then others not caused by stopping

	// hookMu serializes the calls to Skip, OnError and OnEntry; recorded
	// holds the errors OnError let the copy go on after.
	hookMu   sync.Mutex
	recorded []error

	statsMu sync.Mutex
	stats   CopyStats

	// Progress across the tree: done is added to by every worker; calls to
	// progress are serialized by progressMu and never report less than
	// reported.
	progress   func(done, total int64)
	total      int64
	done       atomic.Int64
	lastReport atomic.Int64
	progressMu sync.Mutex
	reported   int64

	// Hardlinks: the entry that makes each inode, and the entries to link
	// to it in phase 3.
	linksMu sync.Mutex
	firsts  map[[2]uint64]treeFirst
	links   []treeLink
}

// join is the source path of the entry name of d.
func (d *treeDir) join(name string) string { return relJoin(d.rel, name) }

// dstJoin is the destination path, as it is now, of the entry name of d.
func (d *treeDir) dstJoin(name string) string { return relJoin(d.dstRel, name) }

// name is the name d has, or is to have, in dst.
func (t *treeCopy) name(d *treeDir) string {
	if d == t.root {
		return t.base
	}
	return d.rel[strings.LastIndexByte(d.rel, '/')+1:]
}

func relJoin(rel, name string) string {
	if rel == "." {
		return name
	}
	return rel + "/" + name
}

func (t *treeCopy) srcName(rel string) string { return joinRel(t.srcPath, rel) }
func (t *treeCopy) dstName(rel string) string { return joinRel(t.dstPath, rel) }

func joinRel(root, rel string) string {
	if rel == "." {
		return root
	}
	if strings.HasSuffix(root, "/") {
		return root + rel
	}
	return root + "/" + rel
}

// errAt wraps an error about the entry rel (its path in src) in an
// *os.LinkError naming it in src and in dst.
func (t *treeCopy) errAt(op, rel string, err error) error {
	return copyErr(op, t.srcName(rel), t.dstName(rel), err)
}

// openTreeDir opens the directory rel beneath root for reading: for its
// entries, for the *at calls of a Dir, and for the calls on its own
// descriptor. A symbolic link at rel is not followed (ELOOP).
func openTreeDir(root *Dir, rel string) (*Dir, error) {
	var fd uintptr
	err := root.control(func(dirfd int) (err error) {
		fd, err = sysDir.openFile(dirfd, rel, sysTree.openFlags().dir, 0)
		return err
	})
	if err != nil {
		return nil, pathErr("open", root.join(rel), err)
	}
	return newDir(fd, root.join(rel)), nil
}

// openTreeFile opens name, one component, beneath d for a regular file of
// the tree: a source, opened with sysTree.openFlags().src, or a new file
// (O_CREAT|O_EXCL, so a regular file). Unlike Dir.OpenFile it does not ask
// whether the descriptor is one for the runtime's poller (newOSFile: an
// fstat on Linux, one system call in seven per small file here): a new
// file is not, and the source flags already open a FIFO put there since
// the walk without blocking (the caller checks the type).
func openTreeFile(d *Dir, name string, flag int, perm fs.FileMode) (*File, error) {
	var fd uintptr
	err := d.control(func(dirfd int) (err error) {
		fd, err = sysDir.openFile(dirfd, name, flag, perm)
		return err
	})
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return NewFile(os.NewFile(fd, d.join(name))), nil
}

// run is CopyTree after the argument checks. It walks src (phase 1), makes
// every entry (2), then the hard links (3), then gives the directories
// their metadata and their names (4), each phase on the pool and finished
// before the next begins. What it made is removed if it fails.
func (t *treeCopy) run() (err error) {
	src, err := OpenDir(t.srcPath)
	if err != nil {
		return copyErr("open", t.srcPath, t.dstPath, err)
	}
	defer src.Close()
	t.src = src
	rootSt, err := src.Statx(".")
	if err != nil {
		return copyErr("statx", t.srcPath, t.dstPath, err)
	}
	t.root = &treeDir{rel: ".", st: rootSt}
	if err := t.openDstParent(); err != nil {
		return err
	}
	defer t.parent.Close()

	dirs, err := t.walk()
	if err != nil {
		return err
	}
	dst, err := t.makeRoot()
	if err != nil {
		return err
	}
	defer dst.Close()
	t.dst = dst
	defer func() {
		if err != nil {
			err = t.cleanUp(dirs, err)
		}
	}()

	// Phase 2: every entry, directories first, so that the work spreads.
	t.addStats(&CopyStats{Dirs: 1})
	t.pushChunks(t.root)
	t.pool.wait()
	if err := t.err(); err != nil {
		return err
	}

	// Phase 3: hard links, now that every directory and every linked-to
	// file exists.
	for i := 0; i < len(t.links); i += treeChunkEntries {
		links := t.links[i:min(i+treeChunkEntries, len(t.links))]
		t.pool.push(func() { t.linkAll(links) })
	}
	t.pool.wait()
	if err := t.err(); err != nil {
		return err
	}

	// Phase 4: the directories' metadata, deepest first, then their
	// names: a directory is complete when everything beneath it is, and
	// publishing it changes its parent, whose times come after.
	for depth := len(dirs) - 1; depth >= 0; depth-- {
		for _, fn := range []func(*treeDir) error{t.finishDir, t.publish} {
			for _, d := range dirs[depth] {
				t.pool.push(func() {
					if t.stopped() || d.dstRel == "" {
						return // stopping, or d was not made (OnError went on)
					}
					if err := fn(d); err != nil {
						t.failEntry(d.rel, err)
					}
				})
			}
			t.pool.wait()
			if err := t.err(); err != nil {
				return err
			}
		}
	}
	if err := t.ctx.Err(); err != nil {
		return copyErr("copy", t.srcPath, t.dstPath, err)
	}
	for _, level := range dirs {
		for _, d := range level {
			switch {
			case d == t.root || d.dstRel == "":
			case d.existed:
				t.onEntry(d.rel, MethodUnchanged, 0)
			default:
				t.onEntry(d.rel, MethodCreated, 0)
			}
		}
	}
	t.finishProgress()
	return nil
}

// openDstParent opens the directory that holds dst, resolved as package os
// resolves it (the caller chose it), and finds dst's name in it.
func (t *treeCopy) openDstParent() error {
	clean := filepath.Clean(t.dstPath)
	dir, base := filepath.Split(clean)
	if base == "" || base == "." || base == ".." || strings.ContainsRune(base, filepath.Separator) {
		return copyErr("copy", t.srcPath, t.dstPath, errInvalid("destination %q does not name a directory to create", t.dstPath))
	}
	if dir == "" {
		dir = "."
	}
	parent, err := OpenDir(dir)
	if err != nil {
		return copyErr("open", t.srcPath, t.dstPath, err)
	}
	t.parent, t.base = parent, base
	return nil
}

func (t *treeCopy) addStats(s *CopyStats) {
	t.statsMu.Lock()
	t.stats.Add(s)
	t.statsMu.Unlock()
}

// stopped reports whether the copy is stopping: an error, or ctx.
func (t *treeCopy) stopped() bool {
	if t.ctx.Err() == nil {
		return false
	}
	t.errMu.Lock()
	defer t.errMu.Unlock()
	if len(t.errs) == 0 {
		// Cancelled by the caller, and no task has said so yet.
		t.errs = append(t.errs, copyErr("copy", t.srcPath, t.dstPath, t.ctx.Err()))
	}
	return true
}

// fail records err and stops the copy. After the first error, the errors
// of stopping (the cancelled copies in flight) are not recorded.
func (t *treeCopy) fail(err error) {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	if len(t.errs) > 0 && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return
	}
	t.errs = append(t.errs, err)
	t.cancel()
}

func (t *treeCopy) err() error {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	switch len(t.errs) {
	case 0:
		return nil
	case 1:
		return t.errs[0]
	}
	return errors.Join(t.errs...)
}
