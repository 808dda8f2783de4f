//go:build windows

package extfs

// The Windows answers to copyOS (sys.go), around sys/windows: block cloning
// (winsys.CloneFile, planned by the pure winsys.PlanClone), overlapped I/O
// (winsys.OffloadCopy), CopyFileExW (winsys.CopyTemp), and the data map of
// sparse files (winsys.DataRange).

import (
	"os"

	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// copySys takes copyFallback's answers where Windows has nothing to do: no
// FIFO a source could block on, no offset for seekData to restore
// (FSCTL_QUERY_ALLOCATED_RANGES moves none), no unnamed files or xattrs, and
// no refused clone for CopyTree to remember.
type copySys struct{ copyFallback }

var _ copyOS = copySys{}

// srcOpenFlags open a file to copy (CopyFile, Clone): Windows has no FIFO
// that an open could wait on (a named pipe's open fails when busy).
const srcOpenFlags = os.O_RDONLY

// offload copies with overlapped I/O where winsys.OffloadCopy says so
// (Windows has no copy_file_range or splice); otherwise the portable
// pipeline copies.
func (copySys) offload(j *copyJob, _ copyHow, acct *copyAcct) (int64, bool, error) {
	w, handled, err := winsys.OffloadCopy(winsys.RangeCopy{
		Src: windows.Handle(j.sfd), Dst: windows.Handle(j.dfd),
		SrcOff: j.srcOff, DstOff: j.dstOff, N: j.n, Step: j.ctl.add,
	})
	acct.by[MethodReadWrite] += w
	return w, handled, err
}

// Cloning: FSCTL_DUPLICATE_EXTENTS_TO_FILE, on volumes that say they can
// (winsys.CloneFile, winsys.CloneRange).

// A clone refused at ReFS's reference limit matches ErrCloneLimit.
func (copySys) clone(dst, src uintptr) error {
	err := winsys.CloneFile(windows.Handle(dst), windows.Handle(src))
	return cloneLimitErr(err, winsys.CloneLimit(err))
}

// cloneRange: checked by CloneRange against the cluster size that fsInfo
// reports; a range it refuses matches fs.ErrInvalid (winsys.ErrCloneRange).
func (copySys) cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error {
	err := winsys.CloneRange(windows.Handle(dst), windows.Handle(src), srcOff, dstOff, n)
	return cloneLimitErr(err, winsys.CloneLimit(err))
}

func (copySys) cloneFallback(err error) bool { return winsys.CloneFallback(err) }

// file and volume facts

func (copySys) fileInfo(fd uintptr) (fileInfo, error) { return fileInfoOf(winsys.FstatInfo(fd)) }

func (copySys) openMode(fd uintptr) (openMode, bool) {
	a, err := winsys.HandleAccess(windows.Handle(fd))
	return openMode{read: a.Read, write: a.Write, append: a.Append}, err == nil
}

// fsInfo names the file system holding fd ("NTFS", "ReFS", ...) and
// gives its cluster size: the unit of block cloning and of allocation.
func (copySys) fsInfo(fd uintptr) (string, int64, error) {
	v, err := winsys.VolumeOf(windows.Handle(fd)) // the zero Volume on an error
	return v.Filesystem, v.Cluster, err
}

// fsKey identifies the volume holding path, by serial number.
func (copySys) fsKey(path string) (fsKey, error) {
	serial, err := winsys.PathVolumeSerial(path)
	return fsKey{dev: uint64(serial)}, err
}

// seekData: only sparse files have holes (winsys.DataRange).
func (copySys) seekData(fd uintptr, off int64) (data, hole int64, ok bool, err error) {
	return winsys.DataRange(windows.Handle(fd), off)
}

func (copySys) truncate(fd uintptr, size int64) error {
	return winsys.SetEndOfFile(windows.Handle(fd), size)
}

// sparseDest: only a sparse file keeps holes (winsys.SparseDest).
func (copySys) sparseDest(dfd, sfd uintptr, always bool) error {
	return winsys.SparseDest(windows.Handle(dfd), windows.Handle(sfd), always)
}

// renameNoReplace renames with MoveFileExW without
// MOVEFILE_REPLACE_EXISTING: one step that fails with ERROR_ALREADY_EXISTS
// (fs.ErrExist) if newpath exists.
func (copySys) renameNoReplace(oldpath, newpath string) (bool, error) {
	return true, winsys.MoveNoReplace(oldpath, newpath)
}

// copyByName makes CopyFile's temporary file a whole copy with CopyFileExW
// (winsys.CopyTemp, which says where it fits), for CoWAuto only: CoWNever
// must not share blocks, and Windows 11 24H2 makes CopyFileExW clone on
// ReFS and Dev Drives by itself; CoWAlways must clone, which only
// FSCTL_DUPLICATE_EXTENTS_TO_FILE promises. Not for SparseAlways either:
// holes are copyData's. Its progress feeds o.Progress, and ctx stops it. The
// file then gets what o.Preserve names, for CopyFile to sync and rename.
func (copySys) copyByName(r *byNameReq) (copyTemp, error) {
	o, size := r.o, r.st.Size
	if o.CoW != CoWAuto || o.Sparse == SparseAlways {
		return copyTemp{}, nil
	}
	ctl := newCopyCtl(r.ctx, o.Progress, size)
	var (
		h       windows.Handle
		name    string
		handled bool
		err     error
	)
	if r.src.withFd(func(fd uintptr) {
		h, name, handled, err = winsys.CopyTemp(&winsys.TempCopy{
			Src: windows.Handle(fd), SrcName: r.src.Name(), Size: size, Dst: r.dst,
			TempName: tempName, KeepTimes: o.Preserve&PreserveTimes != 0, Step: ctl.add,
		})
	}) != nil || !handled || err != nil {
		return copyTemp{}, err
	}
	tmp := NewFile(os.NewFile(uintptr(h), name))
	if err := preserve(r.src, tmp, r.st, o.Preserve, nil); err != nil {
		return copyTemp{}, dropTemp(tmp, name, err)
	}
	return madeByName(tmp, name, size, MethodCopyFileRange, ctl), nil // the system copied it
}

// probeClone clones Probe's trial file a, holding data, to the empty
// trial file b.
func (copySys) probeClone(afd, bfd uintptr, _ string) error { return sysCopy.clone(bfd, afd) }
