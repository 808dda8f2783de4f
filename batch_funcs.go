package extfs

// A batched operation as its single call, run later: the Batch of a system
// without io_uring. Its fileSys embeds funcOps for op and, where it has
// nothing better, for run, which spreads the calls over the worker pool.

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/extfs/extfs/internal/batchop"
)

type funcOp struct {
	run  func() opResult
	res  opResult
	data any // Windows: the *winsys.IO of a ReadAt or WriteAt, which run may do on a completion port instead
}

func (o *funcOp) result() opResult { return o.res }

func errOp(fn func() error) *funcOp {
	return &funcOp{run: func() opResult { return opResult{err: fn()} }}
}

type funcOps struct{}

// run runs ops on the package's worker pool.
func (funcOps) run(ctx context.Context, ops []*funcOp) {
	runEach(ctx, len(ops),
		func(i int) { ops[i].res = ops[i].run() },
		func(i int, err error) { ops[i].res = opResult{err: err} })
}

// split is 1: run spreads a batch over the pool itself.
func (funcOps) split(int) int { return 1 }

// runHere is never called (split is 1); it is run, for the interface.
func (o funcOps) runHere(ctx context.Context, ops []*funcOp) { o.run(ctx, ops) }

// op is d's single call, through the hooks of sysFile; d is the Batch's
// own and stays put until Submit returns. Mkdir, Rename and OpenFile, whose
// single calls are not hooks of their own, are each OS's: its fileSys.op
// makes them and hands the rest to this one.
func (funcOps) op(d *batchop.Desc) *funcOp {
	switch d.Kind {
	case batchop.Fadvise:
		return errOp(func() error { return sysFile.fadvise(d.Fd, d.Off, d.N, Advice(d.Flags)) })
	case batchop.Fallocate:
		return errOp(func() error { return sysFile.fallocate(d.Fd, AllocMode(d.Flags), d.Off, d.N) })
	case batchop.Sync:
		return errOp(func() error { return sysFile.fsync(d.Fd, false) })
	case batchop.GetXattr:
		return &funcOp{run: func() opResult {
			v, err := sysFile.getxattr(xattrAt{Fd: int(d.Fd)}, d.Name)
			return opResult{value: v, err: err}
		}}
	case batchop.SetXattr:
		return errOp(func() error {
			return sysFile.setxattr(xattrAt{Fd: int(d.Fd)}, d.Name, d.Value, XattrFlag(d.Flags))
		})
	case batchop.RemoveXattr:
		return errOp(func() error { return sysFile.removexattr(xattrAt{Fd: int(d.Fd)}, d.Name) })
	case batchop.ListXattr:
		return &funcOp{run: func() opResult {
			names, err := sysFile.listxattr(xattrAt{Fd: int(d.Fd)})
			return opResult{names: names, err: err}
		}}
	case batchop.Fstatx:
		return &funcOp{run: func() opResult {
			st, err := sysFile.fstat(d.Fd)
			return opResult{stat: st, err: err}
		}}
	case batchop.Statx, batchop.Lstatx:
		return &funcOp{run: func() opResult {
			st, err := sysFile.statat(atCWD, d.Name, d.Kind == batchop.Statx)
			return opResult{stat: st, err: err}
		}}
	case batchop.SetTimes:
		return errOp(func() error { return sysFile.futimes(d.Fd, d.Times[0], d.Times[1]) })
	case batchop.Chmod:
		return errOp(func() error { return sysFile.fchmod(d.Fd, d.Perm) })
	case batchop.Chown:
		return errOp(func() error { return sysFile.fchown(d.Fd, d.Uid, d.Gid) })
	case batchop.Link:
		return errOp(func() error { return sysFile.linkat(atCWD, d.Name, atCWD, d.Name2) })
	case batchop.Symlink:
		return errOp(func() error { return sysFile.symlinkat(d.Name, atCWD, d.Name2) })
	case batchop.Readlink:
		return &funcOp{run: func() opResult {
			target, err := sysFile.readlinkat(atCWD, d.Name)
			return opResult{value: []byte(target), err: err}
		}}
	case batchop.Remove:
		return errOp(func() error { return sysFile.unlinkat(atCWD, d.Name, false) })
	case batchop.ReadAt:
		// Reads and writes are the *os.File calls, where there is no
		// kernel queue to submit them to.
		return &funcOp{run: func() opResult {
			n, err := d.File.ReadAt(d.Value, d.Off)
			if err == io.EOF {
				err = nil // the Pending reports io.EOF for a short read
			}
			return opResult{n: n, err: osErr(err)}
		}}
	case batchop.WriteAt:
		return &funcOp{run: func() opResult {
			n, err := d.File.WriteAt(d.Value, d.Off)
			return opResult{n: n, err: osErr(err)}
		}}
	}
	return errOp(func() error { return notSupportedErr("batched operation " + strconv.Itoa(int(d.Kind))) })
}

// osErr returns the errno inside an error of package os; the Pending wraps
// it again with this package's op name.
func osErr(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
