//go:build windows

package windows

// What copying and block cloning need: the volume's capabilities, the
// file-system controls of block cloning and of sparse files, CopyFileExW,
// and a rename that never replaces.

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Volume flags and control buffers not in golang.org/x/sys/windows.
const (
	// FileSupportsBlockRefcounting is the volume flag of block cloning
	// (ReFS v2 on Windows Server 2016 / Windows 10 1703 and later, Dev
	// Drives): FSCTL_DUPLICATE_EXTENTS_TO_FILE works there.
	FileSupportsBlockRefcounting = 0x08000000

	classAccess = 8 // FILE_ACCESS_INFORMATION: the rights the handle was granted
)

// Volume is what the system says about the volume holding a file.
type Volume struct {
	Serial     uint32 // the volume serial number: equal for two files on one volume
	Filesystem string // "NTFS", "ReFS", "FAT32", "exFAT", ...
	Flags      uint32 // FILE_SUPPORTS_*, FILE_*_ON_DISK, ...
	Cluster    int64  // the allocation unit, in bytes; 0 when the volume does not say
}

// BlockCloning reports whether the volume can clone blocks between files
// (FSCTL_DUPLICATE_EXTENTS_TO_FILE).
func (v *Volume) BlockCloning() bool { return v.Flags&FileSupportsBlockRefcounting != 0 }

// VolumeSerial returns the serial number of the volume holding h
// (FileFsVolumeInformation): cheaper than VolumeInfo, for finding a cached
// answer.
func VolumeSerial(h windows.Handle) (uint32, error) {
	var vol fileFsVolumeInformation
	if err := queryVolume(h, classFsVolume, unsafe.Pointer(&vol), unsafe.Sizeof(vol)); err != nil {
		return 0, statusErr(err)
	}
	return vol.VolumeSerialNumber, nil
}

// VolumeInfo describes the volume holding h (GetVolumeInformationByHandleW
// and FileFsSizeInformation).
func VolumeInfo(h windows.Handle) (Volume, error) {
	var v Volume
	var name [windows.MAX_PATH + 1]uint16
	err := windows.GetVolumeInformationByHandle(h, nil, 0, &v.Serial, nil, &v.Flags, &name[0], uint32(len(name)))
	if err != nil {
		return Volume{}, err
	}
	v.Filesystem = windows.UTF16ToString(name[:])
	v.Cluster, _ = ClusterSize(h) // a hint: 0 when the volume does not say
	return v, nil
}

// PathVolumeSerial returns the serial number of the volume holding path.
func PathVolumeSerial(path string) (uint32, error) {
	h, err := OpenPath(path, windows.FILE_READ_ATTRIBUTES, false)
	if err != nil {
		return 0, err
	}
	defer windows.CloseHandle(h)
	return VolumeSerial(h)
}

// AccessMask returns the access rights h was opened with (FILE_READ_DATA,
// FILE_WRITE_DATA, FILE_APPEND_DATA, ...).
func AccessMask(h windows.Handle) (uint32, error) {
	var mask uint32
	if err := queryInfo(h, classAccess, unsafe.Pointer(&mask), unsafe.Sizeof(mask)); err != nil {
		return 0, statusErr(err)
	}
	return mask, nil
}

// Access is what a handle may do with a file's data.
type Access struct{ Read, Write, Append bool }

// HandleAccess says how h was opened, from the rights it was granted. A
// handle of package os opened with O_APPEND has FILE_APPEND_DATA without
// FILE_WRITE_DATA, and writes only at the end.
func HandleAccess(h windows.Handle) (Access, error) {
	mask, err := AccessMask(h)
	if err != nil {
		return Access{}, err
	}
	return Access{
		Read:   mask&windows.FILE_READ_DATA != 0,
		Write:  mask&(windows.FILE_WRITE_DATA|windows.FILE_APPEND_DATA) != 0,
		Append: mask&windows.FILE_APPEND_DATA != 0 && mask&windows.FILE_WRITE_DATA == 0,
	}, nil
}

// duplicateExtentsData is DUPLICATE_EXTENTS_DATA. The handle is a 64-bit
// field so that the layout (32 bytes, the offsets 8-aligned) is the same
// for 32-bit processes, where Go would align the int64s to 4.
type duplicateExtentsData struct {
	FileHandle       uint64
	SourceFileOffset int64
	TargetFileOffset int64
	ByteCount        int64
}

// DuplicateExtents makes c.Len bytes at c.DstOff of dst share the clusters
// of c.SrcOff of src (FSCTL_DUPLICATE_EXTENTS_TO_FILE, on dst): one chunk
// of a PlanClone plan. dst needs FILE_WRITE_DATA, src FILE_READ_DATA; both
// on one volume that can clone (Volume.BlockCloning). A volume that cannot
// answers ERROR_NOT_SUPPORTED or ERROR_INVALID_FUNCTION (an
// UnsupportedError); misaligned ranges, or files whose sparseness or
// integrity setting differ, ERROR_INVALID_PARAMETER; a cluster already
// shared 8175 times, ERROR_BLOCK_TOO_MANY_REFERENCES.
func DuplicateExtents(dst, src windows.Handle, c CloneChunk) error {
	in := duplicateExtentsData{
		FileHandle:       uint64(src),
		SourceFileOffset: c.SrcOff,
		TargetFileOffset: c.DstOff,
		ByteCount:        c.Len,
	}
	_, err := fsctl("FSCTL_DUPLICATE_EXTENTS_TO_FILE", dst, windows.FSCTL_DUPLICATE_EXTENTS_TO_FILE,
		unsafe.Pointer(&in), uint32(unsafe.Sizeof(in)), nil, 0)
	runtime.KeepAlive(src)
	return err
}

// Integrity is a file's integrity-stream setting (ReFS): the checksum
// algorithm (0: none, 2: CRC64) and the CHECKSUM_ENFORCEMENT_OFF flag.
type Integrity struct {
	Algorithm uint16
	Flags     uint32
}

// GetIntegrity returns h's integrity-stream setting
// (FSCTL_GET_INTEGRITY_INFORMATION). File systems without integrity
// streams (NTFS, Wine) answer with an UnsupportedError.
func GetIntegrity(h windows.Handle) (Integrity, error) {
	// FSCTL_GET_INTEGRITY_INFORMATION_BUFFER: WORD algorithm, WORD
	// reserved, DWORD flags, DWORD chunk size, DWORD cluster size.
	var out [16]byte
	if _, err := fsctl("FSCTL_GET_INTEGRITY_INFORMATION", h, windows.FSCTL_GET_INTEGRITY_INFORMATION, nil, 0, unsafe.Pointer(&out[0]), uint32(len(out))); err != nil {
		return Integrity{}, err
	}
	return Integrity{
		Algorithm: *(*uint16)(unsafe.Pointer(&out[0])),
		Flags:     *(*uint32)(unsafe.Pointer(&out[4])),
	}, nil
}

// SetIntegrity sets h's integrity-stream setting
// (FSCTL_SET_INTEGRITY_INFORMATION). ReFS accepts it on an empty file
// only.
func SetIntegrity(h windows.Handle, in Integrity) error {
	// FSCTL_SET_INTEGRITY_INFORMATION_BUFFER: WORD algorithm, WORD
	// reserved, DWORD flags.
	var buf [8]byte
	*(*uint16)(unsafe.Pointer(&buf[0])) = in.Algorithm
	*(*uint32)(unsafe.Pointer(&buf[4])) = in.Flags
	_, err := fsctl("FSCTL_SET_INTEGRITY_INFORMATION", h, windows.FSCTL_SET_INTEGRITY_INFORMATION, unsafe.Pointer(&buf[0]), uint32(len(buf)), nil, 0)
	return err
}

// AllocatedRange returns the first allocated range of h, a sparse file, at
// or after off and before end (FSCTL_QUERY_ALLOCATED_RANGES): [data, hole).
// ok is false when [off, end) is all hole. The ranges are in the file
// system's allocation units (64 KiB on NTFS). File systems without sparse
// files, and Wine, answer with an UnsupportedError.
func AllocatedRange(h windows.Handle, off, end int64) (data, hole int64, ok bool, err error) {
	if off >= end {
		return 0, 0, false, nil
	}
	in := [2]int64{off, end - off} // FILE_ALLOCATED_RANGE_BUFFER{FileOffset, Length}
	var out [8][2]int64
	n, err := fsctl("FSCTL_QUERY_ALLOCATED_RANGES", h, windows.FSCTL_QUERY_ALLOCATED_RANGES,
		unsafe.Pointer(&in), uint32(unsafe.Sizeof(in)), unsafe.Pointer(&out), uint32(unsafe.Sizeof(out)))
	if err == windows.ERROR_MORE_DATA {
		err = nil // more ranges than fit: the first ones are there
	}
	if err != nil {
		return 0, 0, false, err
	}
	for _, r := range out[:n/16] {
		if r[1] > 0 && r[0]+r[1] > off {
			return max(r[0], off), min(r[0]+r[1], end), true, nil
		}
	}
	return 0, 0, false, nil
}

// DataRange returns the first data range of h at or after off: [data,
// hole); ok is false at or past the end of file. Only a file with
// FILE_ATTRIBUTE_SPARSE_FILE has holes, found with AllocatedRange; where
// that is missing (Wine 8, which also never sets the attribute) the whole
// file counts as data. The file pointer does not move.
func DataRange(h windows.Handle, off int64) (data, hole int64, ok bool, err error) {
	size, _, attrs, err := SizeInfo(h)
	if err != nil {
		return 0, 0, false, os.NewSyscallError("NtQueryInformationFile", err)
	}
	if off >= size {
		return 0, 0, false, nil
	}
	if attrs&windows.FILE_ATTRIBUTE_SPARSE_FILE == 0 {
		return off, size, true, nil // no holes
	}
	data, hole, ok, err = AllocatedRange(h, off, size)
	if errors.Is(err, errors.ErrUnsupported) {
		return off, size, true, nil
	}
	if err != nil {
		return 0, 0, false, os.NewSyscallError("FSCTL_QUERY_ALLOCATED_RANGES", err)
	}
	return data, hole, ok, nil
}

// SparseDest makes the new file dst sparse before a sparse copy writes its
// data ranges (always, or only if the source src is sparse): on Windows a
// range never written is a hole only in a sparse file. A file system
// without sparse files (FAT, exFAT) then gets the zeros written.
func SparseDest(dst, src windows.Handle, always bool) error {
	if !always {
		attrs, err := Attributes(src)
		if err != nil || attrs&windows.FILE_ATTRIBUTE_SPARSE_FILE == 0 {
			return nil // not sparse, or it cannot say: nothing to keep
		}
	}
	if err := SetSparse(dst); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// MoveNoReplace renames oldpath to newpath unless newpath exists
// (MoveFileExW without MOVEFILE_REPLACE_EXISTING: ERROR_ALREADY_EXISTS), in
// one step, on one volume.
func MoveNoReplace(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(LongPath(oldpath))
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(LongPath(newpath))
	if err != nil {
		return err
	}
	return windows.MoveFileEx(from, to, 0)
}

// CopyFileEx flags and progress answers (winbase.h) not in
// golang.org/x/sys/windows.
const (
	CopyFileFailIfExists = 0x1    // COPY_FILE_FAIL_IF_EXISTS
	CopyFileNoBuffering  = 0x1000 // COPY_FILE_NO_BUFFERING

	progressContinue = 0 // PROGRESS_CONTINUE
	progressCancel   = 1 // PROGRESS_CANCEL: stop, and delete the destination
)

// CopyProgress is what CopyFileExW reports, after each chunk it copied and
// at the start of each stream.
type CopyProgress struct {
	TotalSize, TotalDone   int64 // all streams
	StreamSize, StreamDone int64 // this stream
	Stream                 uint32
	Reason                 uint32 // CALLBACK_CHUNK_FINISHED (0) or CALLBACK_STREAM_SWITCH (1)
	Src, Dst               windows.Handle
}

var (
	kernel32        = windows.NewLazySystemDLL("kernel32.dll")
	procCopyFileExW = kernel32.NewProc("CopyFileExW")
)

// copyRoutines holds the progress functions of the CopyFileEx calls under
// way: the one callback CopyFileEx is given (Windows allows a process only
// so many) finds the function of its call by the number passed as lpData,
// never a Go pointer.
var copyRoutines struct {
	sync.Mutex
	next uintptr
	m    map[uintptr]*copyRoutine
}

type copyRoutine struct {
	fn    func(*CopyProgress) bool
	panic any // a panic of fn, raised again once CopyFileExW has returned
}

var progressCallback = sync.OnceValue(func() uintptr { return windows.NewCallback(progressRoutine) })

// CopyFile copies the file src to dst with CopyFileExW and flags
// (CopyFileFailIfExists, ...). CopyFileExW copies the data, the alternate
// data streams, the file attributes and the last write time, and on
// ReFS and Dev Drives of Windows 11 24H2 and Windows Server 2025 may clone
// instead of copying. progress, if not nil, is called on the calling
// goroutine after each chunk; returning false cancels the copy: the system
// deletes dst, and CopyFile returns ERROR_REQUEST_ABORTED. A panic in
// progress cancels the copy too, and is raised again once CopyFileExW has
// returned; progress must not call runtime.Goexit (t.Fatal), which would
// unwind through CopyFileExW.
//
// Wine 8's CopyFileExW never calls progress: it copies 64 KiB at a time
// until it is done.
func CopyFile(src, dst string, flags uint32, progress func(*CopyProgress) bool) error {
	if err := procCopyFileExW.Find(); err != nil {
		return &UnsupportedError{What: "CopyFileExW", Err: err}
	}
	s, err := windows.UTF16PtrFromString(LongPath(src))
	if err != nil {
		return err
	}
	d, err := windows.UTF16PtrFromString(LongPath(dst))
	if err != nil {
		return err
	}
	var routine, id uintptr
	var cr *copyRoutine
	if progress != nil {
		cr = &copyRoutine{fn: progress}
		copyRoutines.Lock()
		if copyRoutines.m == nil {
			copyRoutines.m = make(map[uintptr]*copyRoutine)
		}
		copyRoutines.next++
		id = copyRoutines.next
		copyRoutines.m[id] = cr
		copyRoutines.Unlock()
		defer func() {
			copyRoutines.Lock()
			delete(copyRoutines.m, id)
			copyRoutines.Unlock()
		}()
		routine = progressCallback()
	}
	r, _, e := procCopyFileExW.Call(uintptr(unsafe.Pointer(s)), uintptr(unsafe.Pointer(d)), routine, id, 0, uintptr(flags))
	if cr != nil && cr.panic != nil {
		panic(cr.panic)
	}
	if r == 0 {
		return e
	}
	return nil
}

// progress runs the function of call id; a panic cancels the copy, to be
// raised again by CopyFile: it must not unwind through CopyFileExW.
func progress(id uintptr, p *CopyProgress) (ret uintptr) {
	copyRoutines.Lock()
	cr := copyRoutines.m[id]
	copyRoutines.Unlock()
	if cr == nil {
		return progressContinue
	}
	defer func() {
		if v := recover(); v != nil {
			cr.panic = v
			ret = progressCancel
		}
	}()
	if !cr.fn(p) {
		return progressCancel
	}
	return progressContinue
}

// Block cloning: FSCTL_DUPLICATE_EXTENTS_TO_FILE, on volumes that say they
// can (FILE_SUPPORTS_BLOCK_REFCOUNTING: ReFS v2, Dev Drives). The answer is
// cached per volume, by serial number: it changes only with a reformat (and
// two volumes with one serial, copies of one disk image, share it).

// DuplicateExtentsCall is DuplicateExtents as the clone functions call it;
// tests replace it (package extfs's export_windows_test.go).
var DuplicateExtentsCall = DuplicateExtents

// CanClone reports whether to try block cloning on volume v. Tests replace
// it to send FSCTL_DUPLICATE_EXTENTS_TO_FILE where the volume says no, and
// see the system's own answer.
var CanClone = func(v *Volume) bool { return v.BlockCloning() }

var volumes sync.Map // volume serial (uint32) -> Volume

// VolumeOf describes the volume holding h, from the cache when it can.
func VolumeOf(h windows.Handle) (Volume, error) {
	serial, err := VolumeSerial(h)
	if err != nil {
		return Volume{}, err
	}
	if v, ok := volumes.Load(serial); ok {
		return v.(Volume), nil
	}
	v, err := VolumeInfo(h)
	if err != nil {
		return Volume{}, err // inconclusive: asked again next time
	}
	v.Serial = serial
	volumes.Store(serial, v)
	return v, nil
}

// crossVolumeError: the files are on different volumes, which no clone
// spans. It is ERROR_NOT_SAME_DEVICE (as MoveFileEx says) and also matches
// syscall.EXDEV.
type crossVolumeError struct{}

func (crossVolumeError) Error() string        { return windows.ERROR_NOT_SAME_DEVICE.Error() }
func (crossVolumeError) Unwrap() error        { return windows.ERROR_NOT_SAME_DEVICE }
func (crossVolumeError) Is(target error) bool { return target == syscall.EXDEV }

// cloneVolume returns the volume of dst and src if they are one that can
// clone, and otherwise an error CloneFallback accepts.
func cloneVolume(dst, src windows.Handle) (Volume, error) {
	sv, err := VolumeOf(src)
	if err != nil {
		return sv, err
	}
	dv, err := VolumeOf(dst)
	if err != nil {
		return dv, err
	}
	if sv.Serial != dv.Serial {
		return dv, crossVolumeError{}
	}
	if !CanClone(&dv) {
		return dv, &UnsupportedError{
			What: "block cloning (the " + dv.Filesystem + " volume lacks FILE_SUPPORTS_BLOCK_REFCOUNTING; ReFS and Dev Drives have it)",
			Err:  windows.ERROR_NOT_SUPPORTED,
		}
	}
	if c := dv.Cluster; c <= 0 || c&(c-1) != 0 {
		return dv, &UnsupportedError{What: "block cloning (the volume gives no usable cluster size)", Err: windows.ERROR_NOT_SUPPORTED}
	}
	return dv, nil
}

// CloneFile clones all of src into dst, a new, empty file: it takes src's
// integrity-stream setting while still empty (ReFS clones only between
// files whose settings match, and changes it only on an empty file) and
// its sparseness (likewise), then its clusters, in chunks. On failure dst
// is empty again, for a copy to fill.
func CloneFile(dst, src windows.Handle) error {
	vol, err := cloneVolume(dst, src)
	if err != nil {
		return err
	}
	size, _, attrs, err := SizeInfo(src)
	if err != nil {
		return err
	}
	switch in, err := GetIntegrity(src); {
	case err == nil:
		if out, err := GetIntegrity(dst); err != nil || out != in {
			if err := SetIntegrity(dst, in); err != nil {
				return err
			}
		}
	case !errors.Is(err, errors.ErrUnsupported): // a volume without integrity streams has nothing to copy
		return err
	}
	if attrs&windows.FILE_ATTRIBUTE_SPARSE_FILE != 0 {
		if err := SetSparse(dst); err != nil {
			return err
		}
	}
	plan, err := PlanClone(0, 0, size, size, 0, vol.Cluster, MaxCloneChunk)
	if err == nil {
		err = runClonePlan(dst, src, plan, 0)
	}
	if err != nil {
		SetEndOfFile(dst, 0)
	}
	return err
}

// CloneRange clones [srcOff, srcOff+n) of src to dstOff of dst. dst becomes
// sparse if src is, as the system requires; its integrity-stream setting is
// left as it is (ReFS changes it only on an empty file). A range PlanClone
// refuses is an error matching ErrCloneRange.
func CloneRange(dst, src windows.Handle, srcOff, dstOff, n int64) error {
	vol, err := cloneVolume(dst, src)
	if err != nil {
		return err
	}
	srcSize, _, sattrs, err := SizeInfo(src)
	if err != nil {
		return err
	}
	dstSize, _, dattrs, err := SizeInfo(dst)
	if err != nil {
		return err
	}
	if sattrs&windows.FILE_ATTRIBUTE_SPARSE_FILE != 0 && dattrs&windows.FILE_ATTRIBUTE_SPARSE_FILE == 0 {
		if err := SetSparse(dst); err != nil {
			return err
		}
	}
	plan, err := PlanClone(srcOff, dstOff, n, srcSize, dstSize, vol.Cluster, MaxCloneChunk)
	if err != nil {
		return err
	}
	return runClonePlan(dst, src, plan, dstSize)
}

// cloneSources serialises the clones of each source file and flushes a
// source first when it needs it (the ReFS workaround, see Sources).
var cloneSources = &Sources{Max: 4096}

// runClonePlan carries out plan under the ReFS workaround.
func runClonePlan(dst, src windows.Handle, plan ClonePlan, dstSize int64) error {
	return cloneSources.Clone(handleSource{src}, func() error {
		return RunPlan(handlePair{dst, src}, plan, dstSize)
	})
}

// handlePair clones from src into dst.
type handlePair struct{ dst, src windows.Handle }

func (p handlePair) SetSize(size int64) error     { return SetEndOfFile(p.dst, size) }
func (p handlePair) Duplicate(c CloneChunk) error { return DuplicateExtentsCall(p.dst, p.src, c) }

// handleSource is the source of a clone.
type handleSource struct{ h windows.Handle }

// fileIDInfo is FILE_ID_INFO.
type fileIDInfo struct {
	VolumeSerialNumber uint64
	FileID             [16]byte
}

// Key is FILE_ID_INFO, the 128-bit file ID that ReFS needs (its 64-bit
// FileInternalInformation may repeat); where that is missing (Windows 7,
// Wine), the volume serial number and the 64-bit file ID.
func (s handleSource) Key() (FileKey, error) {
	var id fileIDInfo
	err := windows.GetFileInformationByHandleEx(s.h, windows.FileIdInfo, (*byte)(unsafe.Pointer(&id)), uint32(unsafe.Sizeof(id)))
	if err == nil {
		return FileKey{Volume: id.VolumeSerialNumber, ID: id.FileID}, nil
	}
	serial, err := VolumeSerial(s.h)
	if err != nil {
		return FileKey{}, err
	}
	fid, err := FileID(s.h)
	if err != nil {
		return FileKey{}, err
	}
	k := FileKey{Volume: uint64(serial)}
	*(*uint64)(unsafe.Pointer(&k.ID[0])) = fid
	return k, nil
}

func (s handleSource) State() (Stamp, bool, error) {
	var all fileAllInformation
	if err := queryInfo(s.h, classAll, unsafe.Pointer(&all), unsafe.Sizeof(all)); err != nil && err != statusBufferOverflow {
		return Stamp{}, false, statusErr(err)
	}
	a, err := HandleAccess(s.h)
	return Stamp{Size: all.EndOfFile, WriteTime: all.LastWriteTime, ChangeTime: all.ChangeTime}, a.Write, err
}

// Flush flushes the source's data through its handle if that may write,
// else through a handle opened again for writing.
func (s handleSource) Flush() error {
	if a, err := HandleAccess(s.h); err == nil && a.Write {
		return FlushSourceCall(s.h)
	}
	w, err := Reopen(s.h, windows.FILE_WRITE_DATA, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(w)
	return FlushSourceCall(w)
}

// FlushSourceCall flushes a clone's source; tests wrap it to see it called.
var FlushSourceCall = func(h windows.Handle) error { return Flush(h, true) }

// CloneFallback reports whether err from cloning means "these files cannot
// share clusters" rather than a failure: a copy can be made instead.
// ERROR_FILE_NOT_FOUND, ERROR_ACCESS_DENIED and the like are real errors.
func CloneFallback(err error) bool {
	for _, e := range [...]error{
		windows.ERROR_NOT_SUPPORTED,             // NTFS, FAT, Wine: no block cloning (and our own answer for such volumes)
		windows.ERROR_INVALID_FUNCTION,          // file systems and redirectors that do not know the control code
		windows.ERROR_INVALID_PARAMETER,         // ReFS refuses this pair: misaligned, or an encrypted, compressed or mismatched file
		windows.ERROR_BLOCK_TOO_MANY_REFERENCES, // a cluster already shared 8175 times (the ReFS limit)
		windows.ERROR_VIRUS_INFECTED,            // an antivirus filter vetoes the control; a real detection recurs in the copy
		windows.ERROR_NOT_SAME_DEVICE,           // different volumes (crossVolumeError)
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
