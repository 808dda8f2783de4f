//go:build windows

package extfs

// The Windows file hooks translate extfs types for sys/windows (NtCreateFile,
// NtSetInformationFile, file-system controls) and say, with an error
// matching ErrNotSupported, what Windows cannot do. fd is the HANDLE. No
// io_uring, no data engine, no xattrs: a Batch runs each operation's single
// call on the worker pool, and its reads and writes on a completion port.

import (
	"context"
	"io/fs"
	"os"
	"time"

	"github.com/extfs/extfs/internal/batchop"
	"github.com/extfs/extfs/internal/fsenum"
	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

type fileSys struct {
	noRing
	noData
	noXattr
	funcOps
}

var _ fileOS = fileSys{}

type sysOp = *funcOp

// atCWD is the only directory the package-level functions pass: on Windows
// they take paths, and Dir has hooks of its own.
const atCWD = -100

func (fileSys) supports(f Feature) bool {
	switch f {
	case FeatureStatx, // birth time is the creation time every Windows file system keeps
		FeatureFadvise, // AdviceNormal, AdviceSequential, AdviceRandom, AdviceNoReuse
		FeatureFallocate,
		FeatureLink:
		return true
	case FeatureFallocatePunchHole, FeatureFallocateZeroRange, FeatureSymlink:
		// Wine 8 lacks FSCTL_SET_ZERO_DATA and symbolic links
		// (CreateSymbolicLinkW is a stub, FSCTL_SET_REPARSE_POINT fails).
		return winsys.WineVersion() == ""
	}
	// FeatureRing, FeatureOpenat2 (Dir resolves names itself, one
	// component at a time), collapse, insert and unshare ranges, xattrs,
	// chown, mknod of devices and FIFOs: Windows has none of them.
	return false
}

func (fileSys) fsync(fd uintptr, datasync bool) error {
	return winsys.Flush(windows.Handle(fd), datasync)
}

// fadvise: see winsys.Fadvise; fsenum.Advice has Advice's values.
func (fileSys) fadvise(fd uintptr, _, _ int64, a Advice) error {
	if !winsys.AdviceOK(fsenum.Advice(a)) {
		return notSupportedErr(a.String() + " advice on Windows")
	}
	return winsys.Fadvise(windows.Handle(fd), fsenum.Advice(a))
}

// fallocate: see winsys.Fallocate; fsenum.AllocMode has AllocMode's values.
func (fileSys) fallocate(fd uintptr, mode AllocMode, off, n int64) error {
	if !winsys.AllocModeOK(fsenum.AllocMode(mode)) {
		return notSupportedErr(mode.String() + " on Windows")
	}
	refused, err := winsys.Fallocate(windows.Handle(fd), fsenum.AllocMode(mode), off, n)
	if refused {
		return notSupportedErr("preallocating a sparse or compressed file on Windows")
	}
	return err
}

func (fileSys) fstat(fd uintptr) (*Stat, error) { return statOf(winsys.FstatInfo(fd)) }
func (fileSys) statat(_ int, path string, follow bool) (*Stat, error) {
	return statOf(winsys.StatPath(path, follow))
}

func (fileSys) futimes(fd uintptr, atime, mtime time.Time) error {
	return winsys.SetTimes(windows.Handle(fd), atime, mtime)
}

func (fileSys) fchmod(fd uintptr, mode fs.FileMode) error {
	return winsys.SetReadOnly(windows.Handle(fd), mode&0o200 == 0)
}
func (fileSys) fchown(uintptr, int, int) error { return notSupportedErr("chown on Windows") }
func (fileSys) linkat(_ int, oldname string, _ int, newname string) error {
	return winsys.CreateHardLink(oldname, newname)
}
func (fileSys) symlinkat(target string, _ int, name string) error {
	return winsys.Symlink(target, name)
}
func (fileSys) readlinkat(_ int, name string) (string, error) { return winsys.Readlink(name) }
func (fileSys) unlinkat(_ int, name string, isDir bool) error { return winsys.Remove(name, isDir) }

// op makes Mkdir, Rename and OpenFile by name, and the other operations as
// funcOps does; its reads and writes carry what run needs to do them
// instead as overlapped I/O on one completion port per Submit (winsys.IOBatch).
func (fileSys) op(d *batchop.Desc) sysOp {
	switch d.Kind {
	case batchop.Mkdir:
		return errOp(func() error { return osErr(os.Mkdir(d.Name, d.Perm)) })
	case batchop.Rename:
		return errOp(func() error { return osErr(os.Rename(d.Name, d.Name2)) })
	case batchop.OpenFile:
		return &funcOp{run: func() opResult {
			h, err := winsys.OpenName(d.Name, d.Flags, uint32(d.Perm.Perm())) // made a File of after the run
			if err != nil {
				return opResult{err: err}
			}
			return opResult{n: int(h)}
		}}
	}
	o := funcOps{}.op(d)
	if d.Kind == batchop.ReadAt || d.Kind == batchop.WriteAt {
		o.data = &winsys.IO{File: windows.Handle(d.Fd), Buf: d.Value, Off: d.Off, Write: d.Kind == batchop.WriteAt}
	}
	return o
}

// run runs the reads and writes of ops on a completion port and, at the
// same time, the other operations, with the reads and writes the port
// refuses, on the pool (winsys.RunIO).
func (fileSys) run(ctx context.Context, ops []sysOp) {
	reqs := make([]*winsys.IO, len(ops)) // nil: not a read or write
	for i, o := range ops {
		reqs[i], _ = o.data.(*winsys.IO)
	}
	winsys.RunIO(ctx, reqs, func(rest []int) {
		pool := make([]sysOp, len(rest))
		for i, j := range rest {
			pool[i] = ops[j]
		}
		funcOps{}.run(ctx, pool)
	})
	for i, r := range reqs {
		if r != nil && r.OnPort {
			ops[i].res = opResult{n: r.N, err: r.Err}
		}
	}
}
