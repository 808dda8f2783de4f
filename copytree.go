package extfs

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// CopyTree copies the directory tree src to dst, as opt says (nil means the
// defaults: see CopyOptions), with several files in flight at once, and
// returns what it did.
//
// src is the directory at that path (a symbolic link there is followed, as
// package os resolves paths; use CopyFile for a single file). Inside the
// tree nothing is followed: regular files are copied as CopyFile copies
// them (clones where the filesystem can, holes kept, see CoW and Sparse);
// directories are recreated; a symbolic link is recreated with the same
// target, byte for byte, whether it is relative, absolute, dangling or
// leads out of the tree; FIFOs, sockets and device files are made anew
// (mknod: device files need privilege, CAP_MKNOD, and are otherwise an
// error). With opt.Hardlinks, entries that are hard links of one another in
// src are hard links of one another in dst: one of them is copied, the
// others are linked to it and counted under MethodHardlink. Without it each
// is copied on its own. Entries linked from outside the tree are copied.
//
// opt.Preserve says which metadata every entry takes from its source: the
// permission bits, times (to the nanosecond), owner, and extended
// attributes, for directories, symbolic links and special files as for
// regular files (symbolic links have no permission bits of their own).
// Without PreserveMode new entries get the source's permission bits less
// the umask. A directory's metadata is set after its contents are
// complete, so that a read-only directory (0555) can be filled, and the
// times of a directory are those of its source.
//
// # Destination
//
// Nothing is written outside dst. dst itself is never followed: without
// opt.Replace it must not exist (an error matching fs.ErrExist, before
// anything is copied); with Replace, an existing directory there is merged
// into, and anything else there (a symbolic link included) is replaced by
// the copy. Every operation in dst goes through a Dir (see ErrEscapes), and
// no entry found in dst is ever followed: where the copy puts a directory
// and dst has a symbolic link, the link is replaced, not its target.
//
// Every directory CopyTree makes is made under a hidden temporary name
// (.<name>.extfs-<random>.tmp) and gets its name once everything in it is
// complete, metadata included: a new dst appears whole, or not at all, and
// a crash never leaves a partial file, or a partial directory, under a name
// of src's. When the copy fails, or ctx is cancelled, what it made under
// temporary names is removed.
//
// When merging (Replace), entries of dst that src lacks are left alone.
// Other entries are replaced one by one, each atomically, as CopyFile's
// Replace does: a reader of an existing name sees the old entry or the new
// one, never a part, and a replaced regular file's data is on disk
// (fdatasync) before it is. A directory of dst is never replaced by a
// non-directory: that entry fails with EISDIR. dst must not be inside src,
// nor src inside dst (fs.ErrInvalid).
//
// # Progress, errors and limits
//
// CopyTree first walks src (reading every directory and the metadata of
// every entry: it holds the tree in memory, about 100 bytes plus the name
// per entry), then copies. opt.Progress, if not nil, is called with done
// and total counting the bytes of the regular files to copy (hard links
// count once), at least every 64 MiB of them and at the end with done ==
// total; done never decreases (to know the sizes, the walk then also reads
// the metadata of every file, which it otherwise leaves to the copy). Calls
// come from the copying goroutines, one at a time, and stop when the copy
// stops.
//
// opt.Workers bounds the entries copied at once (0 chooses; see
// treeWorkers). Each worker holds at most six file descriptors at a time
// (the source and destination directories and files, and a splice's pipe),
// so a copy never has more than 6 × Workers + 3 open.
//
// The first error stops the copy: no new entry is started, the copies in
// flight are cancelled and what was made under temporary names removed,
// and CopyTree returns that error, joined with any other error that
// happened meanwhile (and with any the clean-up met). Cancelling ctx stops
// it the same way, promptly, with an error matching ctx.Err(). Each error
// is an *os.LinkError naming the entry's path in src and in dst. Entries
// that replaced others in directories that were there before stay. The
// CopyStats returned, even with an error, count the work done: Files the
// regular files, FIFOs, sockets and devices; Dirs the directories made or
// merged, dst included; Symlinks the symbolic links.
//
// # Linux notes
//
// Names are resolved by the kernel with openat2 RESOLVE_BENEATH (see Dir).
// In a directory that was there before, a file is made with O_TMPFILE and
// linked into place with linkat(2), which never replaces, where the
// filesystem allows it (ext4, XFS, btrfs, tmpfs do), else under a temporary
// name renamed with RENAME_NOREPLACE. The extended attributes of symbolic
// links and special files (never user.*, which Linux forbids there) are
// copied through /proc/self/fd.
//
// # macOS notes
//
// clonefile(2) clones to a new name only: a file is cloned under a
// temporary name in its destination directory, made to pass for a new
// file as CopyFile's clone is, then renamed over the file CopyTree made for
// it, and published as a copy would be.
//
// # Other systems
//
// CopyTree works where Dir does; elsewhere it returns an error matching
// ErrNotSupported. Sockets are not copied (ErrNotSupported), and with
// PreserveXattrs neither are symbolic links and special files, whose
// extended attributes cannot be read there without following them
// (ErrNotSupported).
func CopyTree(ctx context.Context, src, dst string, opt *CopyOptions) (CopyStats, error) {
	var o CopyOptions
	if opt != nil {
		o = *opt
	}
	fail := func(op string, err error) (CopyStats, error) {
		return CopyStats{}, copyErr(op, src, dst, err)
	}
	switch {
	case ctx == nil:
		return fail("copy", errInvalid("CopyTree: nil context"))
	case src == "" || dst == "":
		return fail("copy", errInvalid("CopyTree: empty path"))
	}
	if err := o.check(); err != nil {
		return fail("copy", err)
	}
	if err := ctx.Err(); err != nil {
		return fail("copy", err)
	}

	t := &treeCopy{opt: o, srcPath: src, dstPath: dst, progress: o.Progress, reported: -1}
	t.ctx, t.cancel = context.WithCancel(ctx)
	defer t.cancel()
	t.pool.start(treeWorkers(o.Workers))
	defer t.pool.stop()

	err := t.run()
	t.statsMu.Lock()
	stats := t.stats
	t.statsMu.Unlock()
	return stats, err
}

// treeWorkers is the number of workers: n, or when n is 0, 2*GOMAXPROCS
// clamped to [4, 64]. A worker spends most of its time in the kernel, part
// of it asleep (journal, locks), so more workers than processors keep the
// processors busy; and up to this number, the workers' calls all stay
// direct system calls: the engine admits 2*GOMAXPROCS at once and moves the
// others to io_uring (see sys/linux), which costs more per call than it
// saves here. Measured on 2 vCPUs, 10 100 files (BenchmarkTreeWorkers,
// medians of 3): XFS 1 worker 538 ms, 2 345, 4 339, 8 345, 16 392; ext4
// 463, 331, 309, 288, 310.
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
// nothing next to its entries.
const (
	treeChunkEntries = 16
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

// treeFirst is the entry that copies an inode (Hardlinks).
type treeFirst struct {
	d    *treeDir
	name string
}

// treeDir is a directory of the source tree, as the walk found it, and
// what became of it in dst.
type treeDir struct {
	rel     string // path from the source's root, "." for the root
	parent  *treeDir
	depth   int
	st      *Stat       // the source directory's metadata, taken before it was read
	entries []treeEntry // directories first, then by name

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
}

// treeLink is an entry to be made as a hard link to a copied one.
type treeLink struct {
	to, from         *treeDir // the directories of the copied entry and of the link
	toName, fromName string
	mode             fs.FileMode
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
					if t.stopped() {
						return
					}
					if err := fn(d); err != nil {
						t.fail(err)
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

// walk checks that dst may be made, walks src (phase 1) and plans the
// copy. It returns the source's directories by depth.
func (t *treeCopy) walk() ([][]*treeDir, error) {
	if !t.opt.Replace {
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

// Phase 1: the walk.

// scanDir reads the source directory d and the metadata of its entries,
// and queues the walk of its subdirectories.
func (t *treeCopy) scanDir(d *treeDir) {
	if t.stopped() {
		return
	}
	if err := t.scan(d); err != nil {
		t.fail(err)
		return
	}
	for i := range d.entries {
		if sub := d.entries[i].sub; sub != nil {
			t.pool.push(func() { t.scanDir(sub) })
		}
	}
}

func (t *treeCopy) scan(d *treeDir) error {
	sd, err := openTreeDir(t.src, d.rel)
	if err != nil {
		return t.errAt("open", d.rel, err)
	}
	defer sd.Close()
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
				return t.errAt("statx", d.join(e.name), err)
			}
			e.mode, e.size, e.dev, e.ino, e.nlink = st.Mode, st.Size, st.Dev, st.Ino, st.Nlink
			if st.Mode.IsDir() {
				e.sub = &treeDir{rel: d.join(e.name), parent: d, depth: d.depth + 1, st: st}
			}
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

// claim decides, with Hardlinks, who makes an inode with more than one
// link: the first of its entries to get here (it returns true) is copied;
// the others are listed for phase 3, to be linked to it.
func (t *treeCopy) claim(st *Stat, d *treeDir, name string) bool {
	t.linksMu.Lock()
	defer t.linksMu.Unlock()
	if t.firsts == nil {
		t.firsts = make(map[[2]uint64]treeFirst)
	}
	k := [2]uint64{st.Dev, st.Ino}
	f, ok := t.firsts[k]
	if !ok {
		t.firsts[k] = treeFirst{d, name}
		return true
	}
	t.links = append(t.links, treeLink{to: f.d, toName: f.name, from: d, fromName: name, mode: st.Mode})
	return false
}

// Phase 2: making the entries.

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
	hi, bytes := lo, int64(0)
	for hi < len(d.entries) && hi-lo < treeChunkEntries && bytes < treeChunkBytes {
		bytes += d.entries[hi].size
		hi++
	}
	if hi < len(d.entries) {
		t.pool.push(func() { t.copyChunk(d, hi) })
	}
	var stats CopyStats
	defer t.addStats(&stats)
	sd, err := openTreeDir(t.src, d.rel)
	if err != nil {
		t.fail(t.errAt("open", d.rel, err))
		return
	}
	defer sd.Close()
	dd, err := openTreeDir(t.dst, d.dstRel)
	if err != nil {
		t.fail(t.errAt("open", d.rel, err))
		return
	}
	defer dd.Close()
	for i := lo; i < hi; i++ {
		if t.stopped() {
			return
		}
		e := &d.entries[i]
		if err := t.copyEntry(sd, dd, d, e, &stats); err != nil {
			t.fail(t.errAt("copy", d.join(e.name), err))
			return
		}
	}
}

func (t *treeCopy) copyEntry(sd, dd *Dir, d *treeDir, e *treeEntry, stats *CopyStats) error {
	if e.sub != nil {
		if err := t.makeDir(dd, d, e.sub); err != nil {
			return err
		}
		stats.Dirs++
		t.pushChunks(e.sub)
		return nil
	}
	if e.mode.IsRegular() {
		s, err := t.copyRegular(sd, dd, d, e.name)
		if err == nil {
			stats.Add(&s)
		}
		return err
	}
	made, err := t.copySpecial(sd, dd, d, e)
	switch {
	case err != nil || !made:
	case e.mode&fs.ModeSymlink != 0:
		stats.Symlinks++
	default:
		stats.Files++
	}
	return err
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
	if t.opt.Replace {
		st, err := dd.Lstatx(name)
		switch {
		case err == nil && st.Mode.IsDir():
			d.existed, d.dstRel = true, join(name)
			if st.Mode&0o300 != 0o300 {
				// Make it writable for the copy; phase 4 sets its mode.
				d.restoreMode, d.oldMode = true, st.Mode&chmodBits
				return dd.Chmod(name, d.oldMode|0o700)
			}
			return nil
		case err == nil:
			d.clobber = true
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

// copyRegular copies the regular file name of sd to dd, the destination of d.
func (t *treeCopy) copyRegular(sd, dd *Dir, d *treeDir, name string) (CopyStats, error) {
	sf, err := sd.OpenFile(name, treeSrcFlags, 0)
	if err != nil {
		return CopyStats{}, err
	}
	defer sf.Close()
	st, err := sf.Statx()
	if err != nil {
		return CopyStats{}, err
	}
	if !st.Mode.IsRegular() {
		return CopyStats{}, errChanged(st.Mode)
	}
	if t.opt.Hardlinks && st.Nlink > 1 && !t.claim(st, d, name) {
		return CopyStats{}, nil // a link, made in phase 3
	}
	perm := st.Mode.Perm()
	nf, err := newTreeFile(dd, name, perm, d.made)
	if err != nil {
		return CopyStats{}, err
	}
	o := t.opt
	o.Progress = t.fileProgress()
	// Where clones are made by name (macOS), the clone takes nf's place.
	stats, cloned, err := sysTreeClone(t.ctx, sf, st, nf, &o)
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
		err = nf.commit(t.opt.Replace)
	}
	if err != nil {
		if aerr := nf.abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return CopyStats{}, err
	}
	return stats, nil
}

func errChanged(m fs.FileMode) error {
	return errInvalid("changed while copying: now %v", m.Type())
}

// treeFile is a new file in a destination directory.
type treeFile struct {
	f      *File
	d      *Dir
	name   string // the name it is to have
	direct bool   // made at its name, in a directory CopyTree made
	tmp    string // else its temporary name; "" for an unnamed file (O_TMPFILE)
}

// newTreeFile makes the file that will be name in d. In a directory
// CopyTree made (direct), which nobody sees until it is complete, the file
// is made at its name; elsewhere unnamed where the system can
// (sysTreeTempFile), else under a temporary name.
func newTreeFile(d *Dir, name string, perm fs.FileMode, direct bool) (*treeFile, error) {
	if direct {
		f, err := d.OpenFile(name, treeNewFlags, perm)
		if err != nil {
			return nil, err
		}
		return &treeFile{f: f, d: d, name: name, direct: true}, nil
	}
	f, handled, err := sysTreeTempFile(d, perm)
	if handled {
		if err != nil {
			return nil, err
		}
		return &treeFile{f: f, d: d, name: name}, nil
	}
	for range 100 {
		tmp := tempName(name)
		f, err := d.OpenFile(tmp, treeNewFlags, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &treeFile{f: f, d: d, name: name, tmp: tmp}, nil
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
		err = sysTreeLinkFile(nf.f, nf.d, nf.name)
	default:
		err = renameNoReplace(nf.d, nf.tmp, nf.name)
	}
	if err != nil && replace && errors.Is(err, fs.ErrExist) {
		err = nf.f.Datasync()
		if err == nil && nf.tmp == "" {
			// Name it, then rename that name over the old entry.
			nf.tmp = tempName(nf.name)
			err = sysTreeLinkFile(nf.f, nf.d, nf.tmp)
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
// filesystem that lacks them and has directories to publish).
func renameNoReplace(d *Dir, old, name string) error {
	if handled, err := sysTreeRenameNoReplace(d, old, name); handled {
		return err
	}
	if err := d.Link(old, nil, name); err != nil {
		return err
	}
	return d.Remove(old)
}

// copySpecial copies a symbolic link, FIFO, socket or device file into dd,
// the destination of d: made at its name, or with Replace over an existing
// entry by way of a temporary name, then given its metadata. made is false
// for a hard link left to phase 3.
func (t *treeCopy) copySpecial(sd, dd *Dir, d *treeDir, e *treeEntry) (made bool, err error) {
	st, err := sd.Lstatx(e.name)
	if err != nil {
		return false, err
	}
	if st.Mode.Type() != e.mode.Type() {
		return false, errChanged(st.Mode)
	}
	if t.opt.Hardlinks && st.Nlink > 1 && !t.claim(st, d, e.name) {
		return false, nil
	}
	var target string
	if st.Mode&fs.ModeSymlink != 0 {
		if target, err = sd.Readlink(e.name); err != nil {
			return false, err
		}
	}
	perm := st.Mode.Perm()
	if t.opt.Preserve&PreserveMode != 0 {
		perm = st.Mode & chmodBits
	}
	create := func(name string) error {
		switch typ := st.Mode.Type(); typ {
		case fs.ModeSymlink:
			return dd.Symlink(target, name)
		case fs.ModeNamedPipe, fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
			return dd.Mknod(name, typ|perm, st.Rdev)
		case fs.ModeSocket:
			return sysTreeMksock(dd, name, perm)
		default:
			return notSupportedErr("copying a " + typ.String() + " file")
		}
	}
	err = create(e.name)
	if err == nil {
		return true, t.specialMeta(sd, dd, e.name, e.name, st)
	}
	if d.made || !t.opt.Replace || !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	tmp := tempName(e.name)
	if err := create(tmp); err != nil {
		return false, err
	}
	err = t.specialMeta(sd, dd, e.name, tmp, st)
	if err == nil {
		err = dd.Rename(tmp, nil, e.name) // EISDIR onto a directory
	}
	if err != nil {
		if rerr := dd.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return false, err
	}
	return true, nil
}

// specialMeta gives dd's entry dname the metadata of sd's entry sname
// (whose Lstatx is st), in preserve's order: owner, xattrs, mode, times.
func (t *treeCopy) specialMeta(sd, dd *Dir, sname, dname string, st *Stat) error {
	p := t.opt.Preserve
	if p&PreserveOwner != 0 {
		if err := dd.Lchown(dname, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if p&PreserveXattrs != 0 {
		if err := sysTreeCopyLxattrs(sd, sname, dd, dname); err != nil {
			return err
		}
	}
	// mknod applied the umask; chown cleared setuid and setgid.
	if p&PreserveMode != 0 && st.Mode&fs.ModeSymlink == 0 {
		if err := dd.Chmod(dname, st.Mode&chmodBits); err != nil {
			return err
		}
	}
	if p&PreserveTimes != 0 {
		if err := dd.LSetTimes(dname, st.Atime, st.Mtime); err != nil {
			return err
		}
	}
	return nil
}

// Phase 3: hard links.

func (t *treeCopy) linkAll(links []treeLink) {
	var stats CopyStats
	defer t.addStats(&stats)
	for _, l := range links {
		if t.stopped() {
			return
		}
		if err := t.link(l); err != nil {
			t.fail(t.errAt("link", l.from.join(l.fromName), err))
			return
		}
		stats.countMethod(MethodHardlink)
		if l.mode&fs.ModeSymlink != 0 {
			stats.Symlinks++
		} else {
			stats.Files++
		}
	}
}

func (t *treeCopy) link(l treeLink) error {
	old, name := l.to.dstJoin(l.toName), l.from.dstJoin(l.fromName)
	err := t.dst.Link(old, nil, name)
	if err == nil || l.from.made || !t.opt.Replace || !errors.Is(err, fs.ErrExist) {
		return err
	}
	tmp := l.from.dstJoin(tempName(l.fromName))
	if err := t.dst.Link(old, nil, tmp); err != nil {
		return err
	}
	if err := t.dst.Rename(tmp, nil, name); err != nil {
		if rerr := t.dst.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

// Phase 4: the directories' metadata, and their names.

// finishDir gives the destination directory of d its metadata, as
// preserve gives a file's, and its final mode.
func (t *treeCopy) finishDir(d *treeDir) error {
	p := t.opt.Preserve
	dd, err := openTreeDir(t.dst, d.dstRel)
	if err != nil {
		return t.errAt("open", d.rel, err)
	}
	defer dd.Close()
	df := &File{f: dd.f}

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
		sd, err := openTreeDir(t.src, d.rel)
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
	if err := renameNoReplace(pd, d.tmpName, name); err != nil {
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

// openTreeDir opens the directory rel beneath root for reading: for its
// entries, for the *at calls of a Dir, and for the calls on its own
// descriptor. A symbolic link at rel is not followed (ELOOP).
func openTreeDir(root *Dir, rel string) (*Dir, error) {
	var fd uintptr
	err := root.control(func(dirfd int) (err error) {
		fd, err = sysDirOpenFile(dirfd, rel, treeDirFlags, 0)
		return err
	})
	if err != nil {
		return nil, pathErr("open", root.join(rel), err)
	}
	return newDir(fd, root.join(rel)), nil
}

// Progress, statistics and errors.

// fileProgress returns the Progress of one file's copy: it adds what the
// file's copy reports to the tree's done.
func (t *treeCopy) fileProgress() func(done, total int64) {
	if t.progress == nil {
		return nil
	}
	var last int64
	return func(done, _ int64) {
		n := done - last
		last = done
		if n <= 0 {
			return
		}
		if d := t.done.Add(n); d-t.lastReport.Load() >= progressStep {
			t.report(false)
		}
	}
}

// report calls progress with done (never more than total, never less than
// before); final reports total.
func (t *treeCopy) report(final bool) {
	t.progressMu.Lock()
	defer t.progressMu.Unlock()
	if t.ctx.Err() != nil {
		return // stopping: no call after a cancel, even one made from Progress
	}
	done := min(t.done.Load(), t.total)
	if final {
		done = t.total
	}
	if done < t.reported || done == t.reported && (!final || t.reported == t.total) {
		return
	}
	t.reported = done
	t.lastReport.Store(done)
	t.progress(done, t.total)
}

func (t *treeCopy) finishProgress() {
	if t.progress != nil {
		t.report(true)
	}
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
