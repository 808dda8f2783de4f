//go:build windows

package extfs

// Windows hooks for copying and cloning. The loops live in copy.go,
// copyrange.go, clone.go, sparse.go and pipeline.go; the mechanisms in
// sys/windows: block cloning (FSCTL_DUPLICATE_EXTENTS_TO_FILE, planned by
// the pure winsys.PlanClone), overlapped I/O on a completion port
// (winsys.OverlappedCopy), CopyFileExW (winsys.CopyFile), and the data map
// of sparse files (FSCTL_QUERY_ALLOCATED_RANGES).

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// The mechanisms the copy functions call; tests replace them
// (export_windows_test.go) to see that a path was taken, or to force one.
var (
	winOverlappedCopy = winsys.OverlappedCopy
	winCopyFile       = winsys.CopyFile
)

type copySys struct{}

var _ copyOS = copySys{}

// srcOpenFlags open a file to copy (CopyFile, Clone): Windows has no FIFO
// that an open could wait on (a named pipe's open fails when busy).
const srcOpenFlags = os.O_RDONLY

func (copySys) sourceBlocking(uintptr) error { return nil }

// Reading and writing: the portable pipeline (pipeline.go), or overlapped
// ReadFile and WriteFile on a completion port of the copy's own
// (winsys.OverlappedCopy). The pipeline is the default: overlapped I/O was
// no faster under Wine (bench/README.md, "Copies"). Windows may decide
// otherwise, for uncached files on fast disks above all; setting
// useOverlapped is all it takes, and both are tested.
var (
	useOverlapped = false
	ovBufSize     = 1 << 20
	ovDepth       = 4
)

// offload copies with overlapped I/O (Windows has no copy_file_range or
// splice). A copy of one buffer or less has nothing to overlap and is not
// handled (the pipeline makes it one ReadFile and one WriteFile), nor is one
// whose files cannot be opened again for overlapped I/O.
func (copySys) offload(j *copyJob, _ copyHow, acct *copyAcct) (int64, bool, error) {
	if !useOverlapped || j.n <= int64(ovBufSize) {
		return 0, false, nil
	}
	w, handled, err := winOverlappedCopy(windows.Handle(j.sfd), windows.Handle(j.dfd), j.srcOff, j.dstOff, j.n, ovBufSize, ovDepth, j.ctl.add)
	acct.by[MethodReadWrite] += w
	return w, handled, err
}

// Cloning: FSCTL_DUPLICATE_EXTENTS_TO_FILE, on volumes that say they can
// (winsys.CloneFile, winsys.CloneRange).

func (copySys) clone(dst, src uintptr) error {
	return cloneErr(winsys.CloneFile(windows.Handle(dst), windows.Handle(src)))
}

// cloneRange: checked by CloneRange against the cluster size that fsInfo
// reports.
func (copySys) cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error {
	return cloneErr(winsys.CloneRange(windows.Handle(dst), windows.Handle(src), srcOff, dstOff, n))
}

// cloneErr makes a range winsys.PlanClone refused match fs.ErrInvalid.
func cloneErr(err error) error {
	if errors.Is(err, winsys.ErrCloneRange) {
		return errInvalid("%v", err)
	}
	return err
}

func (copySys) cloneFallback(err error) bool { return winsys.CloneFallback(err) }

// file and volume facts

func (copySys) fileInfo(fd uintptr) (fileInfo, error) {
	st, err := sysFile.fstat(fd)
	if err != nil {
		return fileInfo{}, err
	}
	return fileInfo{
		dev:     st.Dev, // the volume serial number
		ino:     st.Ino, // the file ID
		size:    st.Size,
		blocks:  st.Blocks,
		regular: st.Mode.IsRegular(),
		dir:     st.Mode.IsDir(),
	}, nil
}

// openMode says how fd was opened, from the access it was granted. A
// handle of package os opened with O_APPEND has FILE_APPEND_DATA without
// FILE_WRITE_DATA, and writes only at the end.
func (copySys) openMode(fd uintptr) (openMode, bool) {
	mask, err := winsys.AccessMask(windows.Handle(fd))
	if err != nil {
		return openMode{}, false
	}
	return openMode{
		read:   mask&windows.FILE_READ_DATA != 0,
		write:  mask&(windows.FILE_WRITE_DATA|windows.FILE_APPEND_DATA) != 0,
		append: mask&windows.FILE_APPEND_DATA != 0 && mask&windows.FILE_WRITE_DATA == 0,
	}, true
}

// fsInfo names the file system holding fd ("NTFS", "ReFS", ...) and
// gives its cluster size: the unit of block cloning and of allocation.
func (copySys) fsInfo(fd uintptr) (string, int64, error) {
	v, err := winsys.VolumeOf(windows.Handle(fd))
	if err != nil {
		return "", 0, err
	}
	return v.Filesystem, v.Cluster, nil
}

// fsKey identifies the volume holding path, by serial number.
func (copySys) fsKey(path string) (fsKey, error) {
	h, err := winsys.OpenPath(path, windows.FILE_READ_ATTRIBUTES, false)
	if err != nil {
		return fsKey{}, err
	}
	defer windows.CloseHandle(h)
	serial, err := winsys.VolumeSerial(h)
	if err != nil {
		return fsKey{}, err
	}
	return fsKey{dev: uint64(serial)}, nil
}

// Sparse files. Only a file with FILE_ATTRIBUTE_SPARSE_FILE has holes; its
// data map is FSCTL_QUERY_ALLOCATED_RANGES. Where that is missing (Wine 8,
// which also never sets the attribute) the whole file counts as data.

// seekData returns the first data range of fd at or after off.
func (copySys) seekData(fd uintptr, off int64) (data, hole int64, ok bool, err error) {
	h := windows.Handle(fd)
	size, _, attrs, err := winsys.SizeInfo(h)
	if err != nil {
		return 0, 0, false, os.NewSyscallError("NtQueryInformationFile", err)
	}
	if off >= size {
		return 0, 0, false, nil
	}
	if attrs&windows.FILE_ATTRIBUTE_SPARSE_FILE == 0 {
		return off, size, true, nil // no holes
	}
	data, hole, ok, err = winsys.AllocatedRange(h, off, size)
	if errors.Is(err, errors.ErrUnsupported) {
		return off, size, true, nil
	}
	if err != nil {
		return 0, 0, false, os.NewSyscallError("FSCTL_QUERY_ALLOCATED_RANGES", err)
	}
	return data, hole, ok, nil
}

// saveOffset: FSCTL_QUERY_ALLOCATED_RANGES moves no file pointer.
func (copySys) saveOffset(uintptr) func() { return func() {} }

func (copySys) unnamedTemp(string, *Stat) *File { return nil }

func (copySys) linkUnnamed(*File, string) error { return notSupportedErr("naming an unnamed file") }

func (copySys) truncate(fd uintptr, size int64) error {
	return winsys.SetEndOfFile(windows.Handle(fd), size)
}

// sparseDest makes the new file dfd sparse before a sparse copy writes
// its data ranges (always: SparseAlways; otherwise only if the source sfd
// is sparse): on Windows a range never written is a hole only in a sparse
// file. A file system without sparse files (FAT, exFAT) then gets the
// zeros written.
func (copySys) sparseDest(dfd, sfd uintptr, always bool) error {
	if !always {
		attrs, err := winsys.Attributes(windows.Handle(sfd))
		if err != nil || attrs&windows.FILE_ATTRIBUTE_SPARSE_FILE == 0 {
			return nil // not sparse, or it cannot say: nothing to keep
		}
	}
	if err := winsys.SetSparse(windows.Handle(dfd)); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

func (copySys) noXattr(error) bool { return false }

// renameNoReplace renames with MoveFileExW without
// MOVEFILE_REPLACE_EXISTING: one step that fails with ERROR_ALREADY_EXISTS
// (fs.ErrExist) if newpath exists.
func (copySys) renameNoReplace(oldpath, newpath string) (bool, error) {
	return true, winsys.MoveNoReplace(oldpath, newpath)
}

// Whole files: CopyFileExW, through CopyFile's hook for a temporary file
// made whole by name (macOS clones there, Windows copies).

// useCopyFileEx reports whether CopyFile may use CopyFileExW. Wine 8's
// CopyFileExW never calls its progress routine, so that a copy there could
// neither be cancelled nor report progress: under Wine extfs copies by
// itself. Tests replace this to run the CopyFileExW path under Wine too.
var useCopyFileEx = func() bool { return !underWine() }

// copyByName makes CopyFile's temporary file, next to dst, a complete copy
// of the source sf (whose Statx is st) with CopyFileExW, where that is what
// o asks for:
//
//   - CoWAuto only: CoWNever must not share blocks, and Windows 11 24H2
//     makes CopyFileExW clone on ReFS and Dev Drives by itself; CoWAlways
//     must clone, which only FSCTL_DUPLICATE_EXTENTS_TO_FILE promises;
//   - not where the source and dst's directory are on one volume that
//     clones blocks: copyOpenFile clones there, and CopyStats says so;
//   - a source without holes (not sparse), and not SparseAlways: holes are
//     copyData's (FSCTL_QUERY_ALLOCATED_RANGES, zero blocks).
//
// Otherwise it returns no file, and CopyFile copies by itself. CopyFileExW
// creates the temporary file (COPY_FILE_FAIL_IF_EXISTS: never an existing
// file), and also copies the source's alternate data streams and
// attributes (read-only, hidden, ...). Its progress routine feeds
// o.Progress and stops the copy when ctx is done (PROGRESS_CANCEL: the
// system deletes the file). The file then gets what o.Preserve names
// (without PreserveTimes the write time of now, not the source's, which
// CopyFileExW sets) and is returned open for writing, for CopyFile to sync
// and rename into place.
func (copySys) copyByName(r *byNameReq) (copyTemp, error) {
	sf, st, dst, o := r.src, r.st, r.dst, r.o
	if o.CoW != CoWAuto || o.Sparse == SparseAlways || !useCopyFileEx() {
		return copyTemp{}, nil
	}
	dir, base := filepath.Split(dst)
	if base == "" || base == "." || base == ".." {
		return copyTemp{}, nil // createTemp says what is wrong
	}
	var fits bool
	if sf.withFd(func(fd uintptr) { fits = copyFileExFits(windows.Handle(fd), dst) }) != nil || !fits {
		return copyTemp{}, nil
	}

	ctl := newCopyCtl(r.ctx, o.Progress, st.Size)
	var (
		tmpName string
		err     error
		tmp     *File
	)
	var copied int64
	var stop error
	progress := func(p *winsys.CopyProgress) bool {
		if p.Stream != 1 {
			return true // an alternate data stream: not part of the size
		}
		if d := min(p.StreamDone, st.Size) - copied; d > 0 {
			copied += d
			if err := ctl.add(d); err != nil {
				stop = err
				return false
			}
		}
		return true
	}
	for range 1000 {
		tmpName = filepath.Join(dir, tempName(base))
		err = winCopyFile(sf.Name(), tmpName, winsys.CopyFileFailIfExists, progress)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil && stop == nil && copied == 0 && copyFileExFallback(err) {
		os.Remove(tmpName)
		return copyTemp{}, nil // extfs copies through its own handle
	}
	if err != nil {
		if stop != nil {
			err = stop // cancelled
		}
		err = os.NewSyscallError("CopyFileExW", err)
	} else {
		tmp, err = openCopied(sf, st, tmpName, o.Preserve)
	}
	if err != nil {
		if rerr := os.Remove(tmpName); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return copyTemp{}, err
	}
	ctl.finish()
	stats := CopyStats{Files: 1, Bytes: st.Size, CopiedBytes: st.Size}
	if st.Size > 0 {
		stats.countMethod(MethodCopyFileRange) // the system copied it
	}
	return copyTemp{f: tmp, name: tmpName, stats: stats, done: true}, nil
}

// copyFileExFallback reports whether err from CopyFileExW, before it
// copied anything, means that it cannot copy this file where extfs can.
func copyFileExFallback(err error) bool {
	var ue *winsys.UnsupportedError
	return errors.As(err, &ue) || // no CopyFileExW
		// CopyFileExW opens src again, with its own sharing mode, which a
		// process holding it open may refuse; the handle CopyFile holds
		// was opened already.
		errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_NOT_SUPPORTED) ||
		errors.Is(err, windows.ERROR_INVALID_FUNCTION)
}

// copyFileExFits reports whether CopyFileExW fits the source src and the
// destination dst (see copyByName). When it cannot tell, it says no: the
// copy by extfs then finds out, or fails with the error that says why.
func copyFileExFits(src windows.Handle, dst string) bool {
	attrs, err := winsys.Attributes(src)
	if err != nil || attrs&windows.FILE_ATTRIBUTE_SPARSE_FILE != 0 {
		return false
	}
	sv, err := winsys.VolumeOf(src)
	if err != nil {
		return false
	}
	if !winsys.CanClone(&sv) {
		return true
	}
	dh, err := winsys.OpenPath(filepath.Dir(dst), windows.FILE_READ_ATTRIBUTES, false)
	if err != nil {
		return false
	}
	defer windows.CloseHandle(dh)
	serial, err := winsys.VolumeSerial(dh)
	return err == nil && serial != sv.Serial
}

// openCopied opens the file CopyFileExW made at name for writing, for
// CopyFile to sync, and gives it the metadata p names. A read-only file
// (from a read-only source) grants no writable handle: its attribute is
// lifted while one is opened, and put back through it.
func openCopied(sf *File, st *Stat, name string, p Preserve) (*File, error) {
	ah, err := winsys.OpenPath(name, windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES, true)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(ah)
	attrs, err := winsys.Attributes(ah)
	if err != nil {
		return nil, err
	}
	readonly := attrs&windows.FILE_ATTRIBUTE_READONLY != 0
	if readonly {
		if err := winsys.SetReadOnly(ah, false); err != nil {
			return nil, err
		}
	}
	h, err := winsys.OpenPath(name, windows.GENERIC_READ|windows.GENERIC_WRITE, true)
	if err == nil && readonly {
		err = winsys.SetReadOnly(h, true)
	}
	if err != nil {
		if h != windows.InvalidHandle && h != 0 {
			windows.CloseHandle(h)
		}
		return nil, err
	}
	f := NewFile(os.NewFile(uintptr(h), name))
	if p&PreserveTimes == 0 {
		// CopyFileExW gave the copy the source's write time; a copy made by
		// extfs is written now.
		err = f.SetTimes(time.Time{}, time.Now())
	}
	if err == nil {
		err = preserve(sf, f, st, p, nil)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// probeClone clones Probe's trial file a, holding data, to the empty
// trial file b.
func (copySys) probeClone(afd, bfd uintptr, _ string) error { return sysCopy.clone(bfd, afd) }

// cloneNeverHere: CopyTree remembers no refused clone here; each file
// tries again.
func (copySys) cloneNeverHere(error) bool { return false }
