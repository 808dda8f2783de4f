package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/extfs/extfs"
)

// Restore modes: how a file's data gets from its store object to the tree.
const (
	// ModeClone clones the object (extfs.CopyFile with CoWAuto): instant
	// and free of space where the filesystem shares blocks (XFS with
	// reflink, btrfs, APFS, ReFS), and a copy elsewhere.
	ModeClone = "clone"
	// ModeCopy makes a physical copy (CoWNever), with blocks of its own.
	ModeCopy = "copy"
	// ModeHardlinkImmutable hard links the files flagged immutable to their
	// object, when the object's mode is the file's, and clones the others.
	// Such files are the object: writing one (as root, who ignores the
	// read-only mode) would change every tree restored from it, and the
	// store.
	ModeHardlinkImmutable = "hardlink-immutable"
)

type restoreOptions struct {
	Mode    string
	Verify  bool // hash each object used (once) before placing it
	Sync    bool // put the tree on disk before renaming it into place
	Workers int  // files placed at once; 0 chooses (defaultWorkers)
}

// restoreStats say what restore did.
type restoreStats struct {
	Files, Dirs, Symlinks      int64
	Bytes                      int64 // of the files
	Cloned, Copied, Hardlinked int64 // files, by how their data was placed
	ClonedBytes, CopiedBytes   int64
	VerifiedObjects, Fallbacks int64 // objects hashed; hard links that fell back to clones
}

// defaultWorkers is twice GOMAXPROCS, at least 4 and at most 64: cloning is
// metadata work that waits on the filesystem's log more than on the CPU.
func defaultWorkers() int { return min(max(2*runtime.GOMAXPROCS(0), 4), 64) }

// restore builds the tree the manifest describes at dst, from the store.
//
// The tree is built in a hidden directory next to dst and renamed to dst
// only when complete: dst appears whole or not at all, and a failure leaves
// nothing behind — no partial tree, no file with wrong content under its
// name. dst must not exist, or be an empty directory (which is replaced).
//
// Every name in the tree is made through an extfs.Dir on the new directory,
// and the manifest is checked before anything is written (see
// Manifest.validate): its paths cannot lead out of dst. Directories are
// made owner-only (0700) and get their mode last, deepest first, so that
// nobody else can look into the tree while it is built and read-only
// directories can be filled; symbolic links are made after every file, so
// that no file is written through one.
//
// With o.Sync, the tree is on disk before the rename, and the rename before
// restore returns: after a crash dst is complete or absent, never a tree of
// empty files. On Linux that is one syncfs(2) of the filesystem; elsewhere an
// fdatasync per file and an fsync per directory. Clones and hard links have
// no data of their own to write, so this costs little but for copies.
func restore(ctx context.Context, m *Manifest, store, dst string, o restoreOptions) (st restoreStats, err error) {
	switch o.Mode {
	case "":
		o.Mode = ModeClone
	case ModeClone, ModeCopy, ModeHardlinkImmutable:
	default:
		return st, fmt.Errorf("unknown mode %q (clone, copy or hardlink-immutable)", o.Mode)
	}
	if err := m.validate(); err != nil {
		return st, err
	}
	dst = filepath.Clean(dst)
	dstEmptyDir, err := checkDst(dst)
	if err != nil {
		return st, err
	}
	sd, err := extfs.OpenDir(store)
	if err != nil {
		return st, err
	}
	defer sd.Close()

	staging, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".casrestore-*")
	if err != nil {
		return st, err
	}
	defer func() {
		if err != nil {
			if rerr := removeTree(staging); rerr != nil {
				err = errors.Join(err, fmt.Errorf("removing %s: %w", staging, rerr))
			}
		}
	}()
	d, err := extfs.OpenDir(staging)
	if err != nil {
		return st, err
	}
	defer d.Close()

	r := &restorer{o: o, store: store, sd: sd, staging: staging, d: d, st: &st}
	if err := r.run(ctx, m); err != nil {
		return st, err
	}
	d.Close() // Windows renames no directory with an open handle
	if err := os.Rename(staging, dst); err != nil {
		// rename(2) replaces an empty directory; Windows' MoveFileEx does not.
		if !dstEmptyDir || os.Remove(dst) != nil {
			return st, err
		}
		if err := os.Rename(staging, dst); err != nil {
			return st, err
		}
	}
	if o.Sync {
		if err := syncDir(filepath.Dir(dst)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// checkDst refuses a dst that exists, unless it is an empty directory.
func checkDst(dst string) (emptyDir bool, err error) {
	fi, err := os.Lstat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if fi.IsDir() {
		if entries, err := os.ReadDir(dst); err == nil && len(entries) == 0 {
			return true, nil
		}
	}
	return false, &fs.PathError{Op: "restore", Path: dst, Err: fs.ErrExist}
}

type restorer struct {
	o       restoreOptions
	store   string
	sd      *extfs.Dir // the store
	staging string
	d       *extfs.Dir // the tree being built
	st      *restoreStats

	verified sync.Map // hash → *verification
}

type verification struct {
	once sync.Once
	err  error
}

func (r *restorer) run(ctx context.Context, m *Manifest) error {
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	// Every directory with its final mode: the manifest's, or 0755 for the
	// root and directories only implied by paths beneath them. made indexes
	// dirs by path.
	dirs := []dirMode{{".", 0o755}}
	made := map[string]int{".": 0}
	var mkdirs func(p string) error
	mkdirs = func(p string) error {
		if _, ok := made[p]; ok {
			return nil
		}
		if err := mkdirs(parentOf(p)); err != nil {
			return err
		}
		made[p] = len(dirs)
		dirs = append(dirs, dirMode{p, 0o755})
		return r.d.Mkdir(p, 0o700)
	}

	var files, links []*Entry
	for i := range m.Entries {
		e := &m.Entries[i]
		switch e.Type {
		case TypeDir:
			if e.Path == "." {
				dirs[0].mode = e.Mode.FileMode()
				continue
			}
			if err := mkdirs(e.Path); err != nil {
				return err
			}
			dirs[made[e.Path]].mode = e.Mode.FileMode()
		case TypeFile:
			if err := mkdirs(parentOf(e.Path)); err != nil {
				return err
			}
			files = append(files, e)
		case TypeSymlink:
			if err := mkdirs(parentOf(e.Path)); err != nil {
				return err
			}
			links = append(links, e)
		}
	}

	r.st.Dirs = int64(len(dirs))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p := newPool(ctx, r.o.Workers, cancel)
	for _, e := range files {
		p.do(func() error {
			if err := r.file(ctx, e); err != nil {
				return fmt.Errorf("restore %s: %w", e.Path, err)
			}
			return nil
		})
	}
	if err := p.wait(); err != nil {
		return err
	}

	for _, e := range links {
		if err := r.d.Symlink(e.Target, e.Path); err != nil {
			return fmt.Errorf("restore %s: %w", e.Path, err)
		}
		r.st.Symlinks++
	}
	for i := len(dirs) - 1; i >= 0; i-- { // deepest first, the root last
		if err := r.d.Chmod(dirs[i].path, dirs[i].mode); err != nil {
			return fmt.Errorf("restore %s: %w", dirs[i].path, err)
		}
		if r.o.Sync && !haveSyncfs {
			if err := syncDir(filepath.Join(r.staging, filepath.FromSlash(dirs[i].path))); err != nil {
				return fmt.Errorf("restore %s: %w", dirs[i].path, err)
			}
		}
	}
	if r.o.Sync && haveSyncfs {
		return syncfs(r.staging)
	}
	return nil
}

// file places one regular file.
func (r *restorer) file(ctx context.Context, e *Entry) error {
	obj := objectName(e.Hash)
	ost, err := r.sd.Statx(obj)
	if err != nil {
		return fmt.Errorf("store object %s: %w", obj, err)
	}
	if !ost.Mode.IsRegular() || ost.Size != e.Size {
		return fmt.Errorf("store object %s is damaged: %v, %d bytes, want a file of %d bytes", obj, ost.Mode.Type(), ost.Size, e.Size)
	}
	if r.o.Verify {
		if err := r.verify(e.Hash); err != nil {
			return err
		}
	}

	if r.o.Mode == ModeHardlinkImmutable && e.Immutable {
		if ost.Mode&modeBits == e.Mode.FileMode() {
			err := r.sd.Link(obj, r.d, e.Path)
			if err == nil {
				atomic.AddInt64(&r.st.Hardlinked, 1)
				r.count(e.Size)
				return nil
			}
			if errors.Is(err, fs.ErrExist) {
				return err
			}
			// Another filesystem (EXDEV), too many links (EMLINK), links
			// refused (EPERM, fs.protected_hardlinks, no support): clone.
		}
		atomic.AddInt64(&r.st.Fallbacks, 1)
	}

	cow := extfs.CoWAuto
	if r.o.Mode == ModeCopy {
		cow = extfs.CoWNever
	}
	dst := filepath.Join(r.staging, filepath.FromSlash(e.Path))
	cst, err := extfs.CopyFile(ctx, objectPath(r.store, e.Hash), dst, &extfs.CopyOptions{CoW: cow})
	if err != nil {
		return err
	}
	if cst.Bytes != e.Size { // the object changed since its Statx
		os.Remove(dst)
		return fmt.Errorf("store object %s changed during the restore", obj)
	}
	if err := r.d.Chmod(e.Path, e.Mode.FileMode()); err != nil {
		return err
	}
	if r.o.Sync && !haveSyncfs && cst.Bytes > 0 {
		if err := r.datasync(e.Path); err != nil {
			return err
		}
	}
	switch {
	case cst.ByMethod[extfs.MethodClone] > 0:
		atomic.AddInt64(&r.st.Cloned, 1)
	case cst.Bytes > 0:
		atomic.AddInt64(&r.st.Copied, 1)
	}
	atomic.AddInt64(&r.st.ClonedBytes, cst.ClonedBytes)
	atomic.AddInt64(&r.st.CopiedBytes, cst.CopiedBytes)
	r.count(e.Size)
	return nil
}

func (r *restorer) datasync(name string) error {
	f, err := r.d.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	err = f.Datasync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *restorer) count(size int64) {
	atomic.AddInt64(&r.st.Files, 1)
	atomic.AddInt64(&r.st.Bytes, size)
}

// verify hashes the object of hash, once per restore however many files
// use it.
func (r *restorer) verify(hash string) error {
	v, _ := r.verified.LoadOrStore(hash, new(verification))
	vf := v.(*verification)
	vf.once.Do(func() {
		atomic.AddInt64(&r.st.VerifiedObjects, 1)
		obj := objectName(hash)
		f, err := r.sd.OpenFile(obj, os.O_RDONLY, 0)
		if err != nil {
			vf.err = err
			return
		}
		defer f.Close()
		sum, err := hashReader(f)
		switch {
		case err != nil:
			vf.err = fmt.Errorf("store object %s: %w", obj, err)
		case sum != hash:
			vf.err = fmt.Errorf("store object %s is corrupt: its content hashes to %s", obj, sum)
		}
	})
	return vf.err
}

// syncDir puts a directory's entries on disk. Windows cannot open a
// directory for that (NTFS journals its metadata): there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	return syncPath(dir, false)
}

// syncPath puts name on disk: its data only (fdatasync), or all of it.
func syncPath(name string, dataOnly bool) error {
	f, err := extfs.Open(name)
	if err != nil {
		return err
	}
	if dataOnly {
		err = f.Datasync()
	} else {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeTree removes a tree restore made, including directories it made
// read-only.
func removeTree(dir string) error {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
