package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/extfs/extfs"
)

// The store is a directory of objects, each a regular file named by the
// SHA-256 of its content, sharded by the first two hex digits:
// STORE/ab/cdef0123…. Objects are read-only (0444, or 0555 when the first
// file stored with that content was executable), so that restore can hard
// link them. New objects are made in STORE/.incoming and linked into place,
// which never replaces an object another ingest stored first.

// objectName is the object's name in the store, slash-separated.
func objectName(hash string) string { return hash[:2] + "/" + hash[2:] }

func objectPath(store, hash string) string {
	return filepath.Join(store, filepath.FromSlash(objectName(hash)))
}

const incomingDir = ".incoming"

// objectMode is the mode of a store object holding a file of mode m.
func objectMode(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o555
	}
	return 0o444
}

// ingestOptions adjust ingest.
type ingestOptions struct {
	Workers   int
	Immutable []string // path.Match patterns of files to flag immutable
	NoReshare bool     // leave files whose object was there as they are
}

// ingestStats say what ingest did.
type ingestStats struct {
	Files, Dirs, Symlinks, Skipped int64
	Objects, Deduped               int64 // new objects; files whose object was there
	Bytes                          int64 // of the files
	ClonedBytes, CopiedBytes       int64 // of the new objects
	// SharedBytes are the bytes of files whose object was there that now
	// share its blocks (extfs.Dedupe): 0 where the filesystem cannot.
	SharedBytes int64
}

// ingest stores every regular file under src in the store, by hash, and
// writes the manifest of src. Objects are made with extfs.CopyFile (CoWAuto):
// clones of the source files where the filesystem can, copies elsewhere.
// A file whose object the store has already is made to share the object's
// blocks (extfs.Dedupe, unless o.NoReshare), where src and the store are on
// one filesystem that can (XFS with reflink, btrfs): identical files then
// take the space of one. Files other than directories, regular files and
// symbolic links (FIFOs, sockets, devices) are skipped and counted.
func ingest(ctx context.Context, src, store, manifest string, o ingestOptions) (ingestStats, error) {
	var st ingestStats
	if err := os.MkdirAll(filepath.Join(store, incomingDir), 0o755); err != nil {
		return st, err
	}
	for _, p := range o.Immutable {
		if _, err := path.Match(p, ""); err != nil {
			return st, fmt.Errorf("-immutable %q: %w", p, err)
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu      sync.Mutex
		entries []Entry
	)
	add := func(e Entry) {
		mu.Lock()
		entries = append(entries, e)
		mu.Unlock()
	}
	pool := newPool(ctx, o.Workers, cancel)

	walkErr := filepath.WalkDir(src, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return filepath.SkipAll // the pool has the reason
		}
		rel, err := filepath.Rel(src, name)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			st.Dirs++
			add(Entry{Path: rel, Type: TypeDir, Mode: modeOf(info.Mode())})
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(name)
			if err != nil {
				return err
			}
			st.Symlinks++
			add(Entry{Path: rel, Type: TypeSymlink, Target: target})
		case d.Type().IsRegular():
			st.Files++
			pool.do(func() error {
				e, fst, err := ingestFile(ctx, name, store)
				if err == nil && fst == nil && !o.NoReshare {
					var n int64
					n, err = reshare(ctx, name, store, e)
					atomic.AddInt64(&st.SharedBytes, n)
				}
				if err != nil {
					return fmt.Errorf("ingest %s: %w", rel, err)
				}
				e.Path = rel
				e.Immutable = e.Immutable || matchAny(o.Immutable, rel)
				add(e)
				atomic.AddInt64(&st.Bytes, e.Size)
				if fst == nil {
					atomic.AddInt64(&st.Deduped, 1)
				} else {
					atomic.AddInt64(&st.Objects, 1)
					atomic.AddInt64(&st.ClonedBytes, fst.ClonedBytes)
					atomic.AddInt64(&st.CopiedBytes, fst.CopiedBytes)
				}
				return nil
			})
		default:
			st.Skipped++
		}
		return nil
	})
	err := pool.wait()
	if walkErr != nil {
		err = errors.Join(walkErr, err)
	}
	if err != nil {
		return st, err
	}
	// The new objects' names, then the manifest that refers to them.
	for _, dir := range shardDirs(store) {
		if err := syncDir(dir); err != nil {
			return st, err
		}
	}
	sortEntries(entries)
	m := &Manifest{Version: 1, Entries: entries}
	if err := m.validate(); err != nil { // what restore will check
		return st, err
	}
	return st, m.write(manifest)
}

// shardDirs lists the store's shard directories (STORE/00 … STORE/ff) and
// the store itself.
func shardDirs(store string) []string {
	dirs := []string{store}
	entries, _ := os.ReadDir(store)
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 2 {
			dirs = append(dirs, filepath.Join(store, e.Name()))
		}
	}
	return dirs
}

func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// ingestFile hashes the file at name and stores it unless the store has its
// object already. It returns the file's entry (without Path) and, for a new
// object, how CopyFile made it.
func ingestFile(ctx context.Context, name, store string) (Entry, *extfs.CopyStats, error) {
	f, err := extfs.Open(name)
	if err != nil {
		return Entry{}, nil, err
	}
	before, err := f.Statx()
	var sum string
	if err == nil {
		sum, err = hashReader(f)
	}
	f.Close()
	if err != nil {
		return Entry{}, nil, err
	}
	e := Entry{
		Type: TypeFile,
		Mode: modeOf(before.Mode),
		Size: before.Size,
		Hash: sum,
		// Read-only files, and files the kernel keeps immutable, are not
		// meant to be written: restore may share them (hard links).
		Immutable: before.Mode&0o222 == 0 ||
			(before.AttributesMask&extfs.AttrImmutable != 0 && before.Attributes&extfs.AttrImmutable != 0),
	}

	obj := objectPath(store, sum)
	if fi, err := os.Lstat(obj); err == nil {
		if !fi.Mode().IsRegular() || fi.Size() != e.Size {
			return e, nil, fmt.Errorf("store object %s is damaged: %v, %d bytes, for content of %d bytes", obj, fi.Mode(), fi.Size(), e.Size)
		}
		return e, nil, nil // dedup: the content is stored already
	} else if !errors.Is(err, fs.ErrNotExist) {
		return e, nil, err
	}

	tmp := filepath.Join(store, incomingDir, randomName())
	cst, err := extfs.CopyFile(ctx, name, tmp, &extfs.CopyOptions{CoW: extfs.CoWAuto})
	if err != nil {
		return e, nil, err
	}
	defer os.Remove(tmp)
	// The copy is of the file as it is now; it is the content hashed if the
	// file did not change since (same inode, size, times).
	after, err := extfs.Statx(name)
	if err != nil {
		return e, nil, err
	}
	if after.Dev != before.Dev || after.Ino != before.Ino || after.Size != before.Size ||
		!after.Mtime.Equal(before.Mtime) || !after.Ctime.Equal(before.Ctime) || cst.Bytes != before.Size {
		return e, nil, errors.New("changed while being stored; try again")
	}
	if err := os.Chmod(tmp, objectMode(before.Mode)); err != nil {
		return e, nil, err
	}
	// An object must never be named by a hash its content lacks, not even
	// after a crash: its data is on disk before it gets the name.
	if cst.CopiedBytes > 0 {
		if err := syncPath(tmp, true); err != nil {
			return e, nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(obj), 0o755); err != nil {
		return e, nil, err
	}
	if err := os.Link(tmp, obj); errors.Is(err, fs.ErrExist) {
		return e, nil, nil // stored meanwhile by another worker
	} else if err != nil {
		return e, nil, err
	}
	return e, &cst, nil
}

// reshare makes the file at name, whose entry is e, share the blocks of its
// object, and returns the bytes now shared. Where they cannot share blocks
// (see cannotShare) it shares none, and that is no error. The kernel
// compares the two first: if they differ, the file changed after it was
// hashed, or the object is damaged, and nothing is changed.
func reshare(ctx context.Context, name, store string, e Entry) (int64, error) {
	if e.Size == 0 {
		return 0, nil
	}
	obj := objectPath(store, e.Hash)
	n, err := extfs.Dedupe(ctx, obj, name)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, extfs.ErrContentDiffers):
		return 0, fmt.Errorf("differs from its object %s: changed while being stored (try again), or the object is damaged", obj)
	case cannotShare(err):
		return 0, nil
	}
	return 0, err
}

// cannotShare reports whether err, from extfs.Dedupe, only says that two
// files cannot share blocks: a filesystem that cannot (ext4, tmpfs) or two
// filesystems (both match extfs.ErrNotSupported), a file the caller may not
// change (not its owner, not writable, immutable, on a read-only mount), or
// one the kernel will not touch (a running executable, a swap file).
func cannotShare(err error) bool {
	return errors.Is(err, extfs.ErrNotSupported) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ETXTBSY)
}

var hashBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

func hashReader(r io.Reader) (string, error) {
	h := sha256.New()
	bp := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(bp)
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{r}, *bp); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func randomName() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// pool runs functions on at most n goroutines. The first error cancels ctx
// (through cancel) and is returned by wait, joined with any others.
type pool struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

func newPool(ctx context.Context, n int, cancel context.CancelCauseFunc) *pool {
	if n <= 0 {
		n = defaultWorkers()
	}
	return &pool{ctx: ctx, cancel: cancel, sem: make(chan struct{}, n)}
}

// do runs fn on a free worker, waiting for one. Once ctx is done, fn is not
// run.
func (p *pool) do(fn func() error) {
	select {
	case p.sem <- struct{}{}:
	case <-p.ctx.Done():
		return
	}
	p.wg.Add(1)
	go func() {
		defer func() { <-p.sem; p.wg.Done() }()
		if p.ctx.Err() != nil {
			return
		}
		if err := fn(); err != nil {
			if p.ctx.Err() != nil && errors.Is(err, context.Canceled) {
				return // stopped by the error that cancelled ctx
			}
			p.mu.Lock()
			p.errs = append(p.errs, err)
			p.mu.Unlock()
			p.cancel(err)
		}
	}()
}

func (p *pool) wait() error {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errs) == 0 {
		if err := context.Cause(p.ctx); err != nil {
			return err
		}
	}
	return errors.Join(p.errs...)
}
