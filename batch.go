package extfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"math"
	"sync"
	"syscall"
	"time"

	"github.com/extfs/extfs/internal/batchop"
)

// A Batch collects operations and runs them together with Submit, in as few
// kernel round trips and as little bookkeeping as the platform allows: on
// Linux, shared among a few goroutines as direct system calls, or as one
// io_uring submission under EngineRing or when the process is crowded (see
// the package notes). Each method returns a *Pending whose result is read
// after Submit.
//
// The operations of one Batch must be independent of each other: they may
// run in any order and concurrently (do not Mkdir a directory and create a
// file in it in the same Batch). A Batch is not safe for concurrent use and
// runs once.
//
// Misuse is an error, never a panic: every method of a nil *Batch returns a
// Pending holding an error matching fs.ErrInvalid, as do Submit on a nil
// *Batch or with a nil context, and Result on a nil *Pending.
type Batch struct {
	entries   []batchEntry
	submitted bool
}

type batchEntry struct {
	file *File         // nil for path operations
	op   *batchop.Desc // the operation; Submit fills in op.Fd and op.File
	p    finisher      // the *Pending to store the result in
	pre  error         // the validation error: the operation does not run
}

// finisher is a *Pending[T] of any T: finish stores the result of the
// operation on f (nil for a path) and returns its error.
type finisher interface {
	finish(r opResult, f *File) error
}

// opResult is what an operation produced, whatever ran it.
type opResult struct {
	n     int
	value []byte
	names []string
	stat  *Stat
	err   error
	// ran says the operation was handed to the system; fd is its file's
	// descriptor then, still held while its Pending takes the result.
	ran bool
	fd  uintptr
}

// ErrNotSubmitted is the error of a Pending read before Submit has run its
// Batch. It matches fs.ErrInvalid.
var ErrNotSubmitted error = &argError{msg: "extfs: batch not submitted: a Pending has its result only after Submit"}

// ErrBatchSubmitted is returned by a second Submit of a Batch, which runs
// only once. It matches fs.ErrInvalid.
var ErrBatchSubmitted error = &argError{msg: "extfs: batch already submitted: a Batch runs once"}

var (
	errNilBatch   = &argError{msg: "extfs: nil *Batch"}
	errNilPending = &argError{msg: "extfs: nil *Pending"}
)

// Pending is the result of one batched operation, available after Submit.
type Pending[T any] struct {
	val  T
	err  error
	done bool
	wrap wrapFunc[T]
	d    batchop.Desc // the operation, held here to save an allocation per op
}

// wrapFunc turns an operation's raw result into its Pending's value and
// error. The wraps are functions, not closures: d and f carry what they
// need, so that queueing an operation allocates only its Pending.
type wrapFunc[T any] func(r opResult, d *batchop.Desc, f *File) (T, error)

func (p *Pending[T]) finish(r opResult, f *File) error {
	p.val, p.err = p.wrap(r, &p.d, f)
	p.done, p.wrap = true, nil
	return p.err
}

// Result returns the operation's value and error. Before Submit the error
// is ErrNotSubmitted.
func (p *Pending[T]) Result() (T, error) {
	if p == nil || !p.done {
		var zero T
		if p == nil {
			return zero, errNilPending
		}
		return zero, ErrNotSubmitted
	}
	return p.val, p.err
}

// Err returns the operation's error (nil if it succeeded).
func (p *Pending[T]) Err() error {
	_, err := p.Result()
	return err
}

// NewBatch returns an empty Batch.
func NewBatch() *Batch { return &Batch{} }

// Len returns the number of operations in the batch.
func (b *Batch) Len() int {
	if b == nil {
		return 0
	}
	return len(b.entries)
}

// add queues the operation d. pre is a validation error (then d does not
// run); wrap turns the raw result into the Pending's value and a wrapped error.
func add[T any](b *Batch, f *File, pre error, d *batchop.Desc, wrap wrapFunc[T]) *Pending[T] {
	// One allocation for the Pending, which holds the operation; the entry
	// lives in the slice. Per-op allocations were most of a batch's
	// overhead over a plain loop.
	p := &Pending[T]{wrap: wrap, d: *d}
	if b == nil {
		p.finish(opResult{err: errNilBatch}, f)
		return p
	}
	b.entries = append(b.entries, batchEntry{file: f, op: &p.d, p: p, pre: pre})
	return p
}

// addFile queues an operation on the open file f. A nil f is refused here:
// add would take it for a path operation and run the op on descriptor 0.
func addFile[T any](b *Batch, f *File, pre error, d *batchop.Desc, wrap wrapFunc[T]) *Pending[T] {
	if pre == nil && f == nil {
		pre = errInvalid("nil *File")
	}
	return add(b, f, pre, d, wrap)
}

// Submit runs every queued operation and waits for all of them. It returns the
// first error in the order the operations were added; each Pending holds its
// own. If ctx is cancelled, operations that had not run report ctx.Err(); a
// Submit never returns before the kernel is done with every buffer.
//
// A Batch runs once: a second Submit returns ErrBatchSubmitted. A nil ctx is
// refused (fs.ErrInvalid) before anything runs; the Batch can then still be
// submitted.
func (b *Batch) Submit(ctx context.Context) error {
	switch {
	case b == nil:
		return errNilBatch
	case ctx == nil:
		return errInvalid("extfs: Batch.Submit: nil context")
	case b.submitted:
		return ErrBatchSubmitted
	}
	b.submitted = true

	n := len(b.entries)
	errs := make([]error, n)
	fds := make([]uintptr, n)
	// All descriptors are held once, before the batch is shared out:
	// holding them per share, in parallel, measured slower.
	holdEntries(b.entries, fds, 0, func() {
		// Where the platform runs the batch as direct calls, each of k
		// goroutines takes one contiguous run of entries and does all of
		// their work: op, call, result. Splitting only the calls left
		// the rest in a serial prologue and epilogue that took a third of a
		// 256-op batch on 2 vCPU.
		k := sysFile.split(n)
		if k <= 1 {
			b.runEntries(ctx, fds, b.entries, errs, sysFile.run)
			return
		}
		per := (n + k - 1) / k
		var wg sync.WaitGroup
		for lo := per; lo < n; lo += per {
			hi := min(lo+per, n)
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.runEntries(ctx, fds[lo:hi], b.entries[lo:hi], errs[lo:hi], sysFile.runHere)
			}()
		}
		b.runEntries(ctx, fds[:per], b.entries[:per], errs[:per], sysFile.runHere)
		wg.Wait()
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// runEntries makes the ops of entries with the descriptors in fds, runs
// them with run, and stores each result in its Pending and its error in errs.
func (b *Batch) runEntries(ctx context.Context, fds []uintptr, entries []batchEntry, errs []error, run func(context.Context, []sysOp)) {
	// One slice for the ops of this run (on Linux the ops themselves, not
	// pointers: an allocation per op was a third of a short call's cost),
	// and which entry each belongs to.
	buf := getOps(len(entries))
	defer putOps(buf)
	ops := buf.ops
	owner := make([]int32, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		var err error
		switch {
		case e.pre != nil:
			err = e.pre
		case e.file != nil && e.file.f == nil:
			err = fs.ErrInvalid
		case e.file != nil && fds[i] == noFd:
			err = fs.ErrClosed
		case e.file != nil:
			e.op.Fd, e.op.File = fds[i], e.file.f
		}
		if err != nil {
			errs[i] = e.p.finish(opResult{err: err}, e.file)
			continue
		}
		ops = append(ops, sysFile.op(e.op))
		owner = append(owner, int32(i))
	}
	buf.ops = ops
	if cerr := ctx.Err(); cerr != nil {
		for _, i := range owner {
			errs[i] = entries[i].p.finish(opResult{err: cerr}, entries[i].file)
		}
		return
	}
	run(ctx, ops) // ops that did not start for ctx report its error
	for k, i := range owner {
		r := ops[k].result()
		r.ran, r.fd = true, fds[i]
		errs[i] = entries[i].p.finish(r, entries[i].file)
	}
}

// opsBuf is the ops slice of one run, kept in opsPool between runs: at a
// few hundred bytes an op (sys/linux's Op), the ops were half of what a
// batch allocated.
type opsBuf struct{ ops []sysOp }

var opsPool sync.Pool // *opsBuf, each with ops[:0]

// maxPooledOps bounds the slices opsPool keeps (about 1.4 MB on Linux).
const maxPooledOps = 4096

func getOps(n int) *opsBuf {
	if b, ok := opsPool.Get().(*opsBuf); ok && cap(b.ops) >= n {
		return b
	}
	return &opsBuf{ops: make([]sysOp, 0, n)}
}

// putOps keeps b for another run, once its ops have run and their results
// are stored: cleared, so that it keeps no buffer, name or file alive.
func putOps(b *opsBuf) {
	if cap(b.ops) > maxPooledOps {
		return
	}
	clear(b.ops)
	b.ops = b.ops[:0]
	opsPool.Put(b)
}

// noFd marks an entry whose file was closed before Submit.
const noFd = ^uintptr(0)

// holdEntries runs fn with the descriptor of every entry's file, from
// entries[i] on, held (see File.control) and stored in fds; a closed file's
// entries get noFd. A run of entries on one file takes one hold. No map: a
// lookup per entry cost more than a short system call.
func holdEntries(entries []batchEntry, fds []uintptr, i int, fn func()) {
	for i < len(entries) && (entries[i].file == nil || entries[i].file.f == nil) {
		i++
	}
	if i == len(entries) {
		fn()
		return
	}
	f := entries[i].file
	j := i + 1
	for j < len(entries) && entries[j].file == f {
		j++
	}
	called := false
	err := f.withFd(func(fd uintptr) {
		called = true
		for k := i; k < j; k++ {
			fds[k] = fd
		}
		holdEntries(entries, fds, j, fn)
	})
	if err != nil && !called {
		for k := i; k < j; k++ {
			fds[k] = noFd
		}
		holdEntries(entries, fds, j, fn)
	}
}

// noValue is the wrap of an operation op on a file that returns no value.
func noValue(op string) wrapFunc[struct{}] {
	return func(r opResult, _ *batchop.Desc, f *File) (struct{}, error) {
		return struct{}{}, pathErr(op, f.Name(), classify("", r.err))
	}
}

var (
	fadviseDone = noValue("fadvise")
	fsyncDone   = noValue("fsync")
	timesDone   = noValue("utimensat")
	chmodDone   = noValue("chmod")
	chownDone   = noValue("chown")
)

// Fadvise queues File.Fadvise.
func (b *Batch) Fadvise(f *File, off, n int64, advice Advice) *Pending[struct{}] {
	pre := checkRange(off, n, true)
	if pre == nil && (advice < AdviceNormal || advice > AdviceNoReuse) {
		pre = errInvalid("unknown advice %d", int(advice))
	}
	return addFile(b, f, pre, &batchop.Desc{Kind: batchop.Fadvise, Off: off, N: n, Flags: int(advice)},
		fadviseDone)
}

// Fallocate queues File.Fallocate.
func (b *Batch) Fallocate(f *File, mode AllocMode, off, n int64) *Pending[struct{}] {
	pre := checkRange(off, n, false)
	if pre == nil {
		pre = mode.check()
	}
	return addFile(b, f, pre, &batchop.Desc{Kind: batchop.Fallocate, Off: off, N: n, Flags: int(mode)}, fallocateDone)
}

func fallocateDone(r opResult, d *batchop.Desc, f *File) (struct{}, error) {
	mode, err := AllocMode(d.Flags), r.err
	if r.ran && mode&(AllocCollapseRange|AllocInsertRange) != 0 {
		// The kernel's EINVAL is explained while the descriptor is still
		// held (results are stored before Submit lets go of it).
		err = allocError(r.fd, mode, d.Off, d.N, err)
	}
	return struct{}{}, pathErr("fallocate", f.Name(), classify(mode.String(), err))
}

// PunchHole queues File.PunchHole.
func (b *Batch) PunchHole(f *File, off, n int64) *Pending[struct{}] {
	return b.Fallocate(f, AllocPunchHole|AllocKeepSize, off, n)
}

// Sync queues File.Sync.
func (b *Batch) Sync(f *File) *Pending[struct{}] {
	return addFile(b, f, nil, &batchop.Desc{Kind: batchop.Sync}, fsyncDone)
}

// ReadAt queues File.ReadAt: a read of len(p) bytes at off, with its
// semantics — fewer bytes only with an error, io.EOF when the file ends
// first. The batch owns p until Submit returns. On Linux the reads that
// must wait for the disk go to the kernel as one io_uring submission; on
// Windows all of them run as overlapped I/O on one completion port.
func (b *Batch) ReadAt(f *File, p []byte, off int64) *Pending[int] {
	return addFile(b, f, checkDataRange(p, off), &batchop.Desc{Kind: batchop.ReadAt, Value: p, Off: off}, readAtDone)
}

func readAtDone(r opResult, d *batchop.Desc, f *File) (int, error) {
	if r.err == nil && r.n < len(d.Value) {
		return r.n, io.EOF
	}
	return r.n, pathErr("read", f.Name(), r.err)
}

// WriteAt queues File.WriteAt: all of p written at off, or an error. The
// batch owns p until Submit returns.
func (b *Batch) WriteAt(f *File, p []byte, off int64) *Pending[int] {
	pre := checkDataRange(p, off)
	if pre == nil && f != nil && f.f != nil && f.appendMode() {
		pre = errInvalid("WriteAt on a file opened with O_APPEND")
	}
	return addFile(b, f, pre, &batchop.Desc{Kind: batchop.WriteAt, Value: p, Off: off}, writeAtDone)
}

func writeAtDone(r opResult, d *batchop.Desc, f *File) (int, error) {
	if r.err == nil && r.n < len(d.Value) {
		r.err = io.ErrShortWrite
	}
	return r.n, pathErr("write", f.Name(), r.err)
}

// checkDataRange validates the offset of a ReadAt or WriteAt of p.
func checkDataRange(p []byte, off int64) error {
	if off < 0 {
		return errInvalid("negative offset %d", off)
	}
	if off > math.MaxInt64-int64(len(p)) {
		return errInvalid("offset %d + length %d overflows int64", off, len(p))
	}
	return nil
}

// GetXattr queues File.GetXattr.
func (b *Batch) GetXattr(f *File, name string) *Pending[[]byte] {
	return addFile(b, f, checkXattr(name, nil, 0), &batchop.Desc{Kind: batchop.GetXattr, Name: name},
		func(r opResult, d *batchop.Desc, f *File) ([]byte, error) {
			return r.value, pathErr("fgetxattr", f.Name(), xattrErr(d.Name, r.err))
		})
}

// SetXattr queues File.SetXattr. The batch keeps a reference to value: do not
// modify it before Submit returns.
func (b *Batch) SetXattr(f *File, name string, value []byte, flags XattrFlag) *Pending[struct{}] {
	d := &batchop.Desc{Kind: batchop.SetXattr, Name: name, Value: value, Flags: int(flags)}
	return addFile(b, f, checkXattr(name, value, flags), d,
		func(r opResult, d *batchop.Desc, f *File) (struct{}, error) {
			return struct{}{}, pathErr("fsetxattr", f.Name(), xattrErr(d.Name, r.err))
		})
}

// RemoveXattr queues File.RemoveXattr.
func (b *Batch) RemoveXattr(f *File, name string) *Pending[struct{}] {
	return addFile(b, f, checkXattr(name, nil, 0), &batchop.Desc{Kind: batchop.RemoveXattr, Name: name},
		func(r opResult, d *batchop.Desc, f *File) (struct{}, error) {
			return struct{}{}, pathErr("fremovexattr", f.Name(), xattrErr(d.Name, r.err))
		})
}

// ListXattr queues File.ListXattr.
func (b *Batch) ListXattr(f *File) *Pending[[]string] {
	return addFile(b, f, nil, &batchop.Desc{Kind: batchop.ListXattr},
		func(r opResult, _ *batchop.Desc, f *File) ([]string, error) {
			return r.names, pathErr("flistxattr", f.Name(), r.err)
		})
}

// Fstatx queues File.Statx.
func (b *Batch) Fstatx(f *File) *Pending[*Stat] {
	return addFile(b, f, nil, &batchop.Desc{Kind: batchop.Fstatx},
		func(r opResult, _ *batchop.Desc, f *File) (*Stat, error) {
			return r.stat, pathErr("statx", f.Name(), r.err)
		})
}

// Statx queues the package-level Statx.
func (b *Batch) Statx(path string) *Pending[*Stat] { return b.statx(path, batchop.Statx) }

// Lstatx queues the package-level Lstatx.
func (b *Batch) Lstatx(path string) *Pending[*Stat] { return b.statx(path, batchop.Lstatx) }

func (b *Batch) statx(path string, k batchop.Kind) *Pending[*Stat] {
	pre := checkPath("path", path)
	if path == "" {
		pre = fs.ErrNotExist
	}
	return add(b, nil, pre, &batchop.Desc{Kind: k, Name: path},
		func(r opResult, d *batchop.Desc, _ *File) (*Stat, error) {
			return r.stat, pathErr("statx", d.Name, r.err)
		})
}

// SetTimes queues File.SetTimes.
func (b *Batch) SetTimes(f *File, atime, mtime time.Time) *Pending[struct{}] {
	return addFile(b, f, nil, &batchop.Desc{Kind: batchop.SetTimes, Times: &[2]time.Time{atime, mtime}},
		timesDone)
}

// Chmod queues File.Chmod.
func (b *Batch) Chmod(f *File, mode fs.FileMode) *Pending[struct{}] {
	return addFile(b, f, checkChmod(mode), &batchop.Desc{Kind: batchop.Chmod, Perm: mode},
		chmodDone)
}

// Chown queues File.Chown.
func (b *Batch) Chown(f *File, uid, gid int) *Pending[struct{}] {
	return addFile(b, f, checkChown(uid, gid), &batchop.Desc{Kind: batchop.Chown, Uid: uid, Gid: gid},
		chownDone)
}

// Link queues the package-level Link.
func (b *Batch) Link(oldname, newname string) *Pending[struct{}] {
	pre := checkPaths("old name", oldname, "new name", newname)
	return add(b, nil, pre, &batchop.Desc{Kind: batchop.Link, Name: oldname, Name2: newname},
		func(r opResult, d *batchop.Desc, _ *File) (struct{}, error) {
			return struct{}{}, linkErr("link", d.Name, d.Name2, r.err)
		})
}

// Symlink queues the package-level Symlink.
func (b *Batch) Symlink(target, linkname string) *Pending[struct{}] {
	d := &batchop.Desc{Kind: batchop.Symlink, Name: target, Name2: linkname}
	return add(b, nil, checkSymlink(target, linkname), d,
		func(r opResult, d *batchop.Desc, _ *File) (struct{}, error) {
			return struct{}{}, linkErr("symlink", d.Name, d.Name2, r.err)
		})
}

// Readlink queues the package-level Readlink.
func (b *Batch) Readlink(name string) *Pending[string] {
	return add(b, nil, checkPath("path", name), &batchop.Desc{Kind: batchop.Readlink, Name: name},
		func(r opResult, d *batchop.Desc, _ *File) (string, error) {
			return string(r.value), pathErr("readlink", d.Name, r.err)
		})
}

// Mkdir queues os.Mkdir.
func (b *Batch) Mkdir(name string, perm fs.FileMode) *Pending[struct{}] {
	return add(b, nil, checkPathPerm(name, perm), &batchop.Desc{Kind: batchop.Mkdir, Name: name, Perm: perm},
		func(r opResult, d *batchop.Desc, _ *File) (struct{}, error) {
			return struct{}{}, pathErr("mkdir", d.Name, r.err)
		})
}

// Remove queues the removal of a file or an empty directory, like os.Remove.
func (b *Batch) Remove(name string) *Pending[struct{}] {
	return add(b, nil, checkPath("path", name), &batchop.Desc{Kind: batchop.Remove, Name: name},
		func(r opResult, d *batchop.Desc, _ *File) (struct{}, error) {
			if errors.Is(r.err, syscall.EISDIR) {
				// A directory: the batch could not know before asking.
				r.err = sysFile.unlinkat(atCWD, d.Name, true)
			}
			return struct{}{}, pathErr("unlinkat", d.Name, r.err)
		})
}

// Rename queues os.Rename.
func (b *Batch) Rename(oldname, newname string) *Pending[struct{}] {
	pre := checkPaths("old name", oldname, "new name", newname)
	return add(b, nil, pre, &batchop.Desc{Kind: batchop.Rename, Name: oldname, Name2: newname},
		func(r opResult, d *batchop.Desc, _ *File) (struct{}, error) {
			return struct{}{}, linkErr("rename", d.Name, d.Name2, r.err)
		})
}

// OpenFile queues OpenFile; the caller closes the File it returns.
func (b *Batch) OpenFile(name string, flag int, perm fs.FileMode) *Pending[*File] {
	d := &batchop.Desc{Kind: batchop.OpenFile, Name: name, Flags: flag, Perm: perm}
	return add(b, nil, checkPathPerm(name, perm), d,
		func(r opResult, d *batchop.Desc, _ *File) (*File, error) {
			if r.err != nil {
				return nil, pathErr("open", d.Name, r.err)
			}
			return NewFile(newOSFile(uintptr(r.n), d.Name)), nil
		})
}

// checkPathPerm validates the name and permissions of a file to create.
func checkPathPerm(name string, perm fs.FileMode) error {
	if err := checkPath("path", name); err != nil {
		return err
	}
	return checkChmod(perm)
}
