//go:build windows

package windows

import (
	"time"
	"unsafe"

	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/windows"
)

// FileStat is what Fstat learns about an open file.
type FileStat struct {
	FileType     uint32 // GetFileType: FILE_TYPE_DISK, FILE_TYPE_CHAR, FILE_TYPE_PIPE
	Attributes   uint32 // FILE_ATTRIBUTE_*
	ReparseTag   uint32 // when Attributes has FILE_ATTRIBUTE_REPARSE_POINT
	Links        uint32
	VolumeSerial uint32
	FileIndex    uint64 // the file ID GetFileInformationByHandle reports
	// FILETIMEs; 0 when the file system does not keep that time.
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
	Size                                                    int64 // end of file
	AllocationSize                                          int64 // bytes allocated on disk
	ClusterSize                                             int64 // the volume's allocation unit; 0 when unknown
}

// fileAllInformation is FILE_ALL_INFORMATION without the name: the fixed
// part NtQueryInformationFile fills even when the name does not fit.
type fileAllInformation struct {
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
	FileAttributes                                          uint32
	_                                                       uint32
	AllocationSize, EndOfFile                               int64
	NumberOfLinks                                           uint32
	DeletePending, Directory                                bool
	_                                                       [2]byte
	IndexNumber                                             int64
	EaSize, AccessFlags                                     uint32
	CurrentByteOffset                                       int64
	Mode, AlignmentRequirement                              uint32
	FileNameLength                                          uint32
	FileName                                                [1]uint16
}

type fileAttributeTagInformation struct {
	FileAttributes uint32
	ReparseTag     uint32
}

type fileFsVolumeInformation struct {
	VolumeCreationTime int64
	VolumeSerialNumber uint32
	VolumeLabelLength  uint32
	SupportsObjects    bool
	VolumeLabel        [1]uint16
}

type fileFsSizeInformation struct {
	TotalAllocationUnits     int64
	AvailableAllocationUnits int64
	SectorsPerAllocationUnit uint32
	BytesPerSector           uint32
}

// fileBasicInformation is FILE_BASIC_INFORMATION: a 0 time or attribute
// set leaves that field unchanged.
type fileBasicInformation struct {
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
	FileAttributes                                          uint32
	_                                                       uint32
}

// Fstat describes the open file h. The handle needs no access right beyond
// SYNCHRONIZE (FILE_READ_ATTRIBUTES on some file systems).
func Fstat(h windows.Handle) (*FileStat, error) {
	var all fileAllInformation
	allErr := queryInfo(h, classAll, unsafe.Pointer(&all), unsafe.Sizeof(all))
	if allErr == statusBufferOverflow {
		allErr = nil // the name did not fit; the rest is there
	}
	// After the times are read: Wine's FileFsDeviceInformation, which
	// GetFileType asks, sets the file's access time to now.
	ft, err := windows.GetFileType(h)
	if err != nil {
		return nil, err
	}
	if ft != windows.FILE_TYPE_DISK {
		// A console, a pipe, NUL: no file system information to ask for,
		// as os.File.Stat does.
		return &FileStat{FileType: ft}, nil
	}
	if allErr != nil {
		return nil, statusErr(allErr)
	}
	st := &FileStat{
		FileType:       ft,
		Attributes:     all.FileAttributes,
		Links:          all.NumberOfLinks,
		FileIndex:      uint64(all.IndexNumber),
		CreationTime:   all.CreationTime,
		LastAccessTime: all.LastAccessTime,
		LastWriteTime:  all.LastWriteTime,
		ChangeTime:     all.ChangeTime,
		Size:           all.EndOfFile,
		AllocationSize: all.AllocationSize,
	}
	if st.Attributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		if st.ReparseTag, err = ReparseTag(h); err != nil {
			return nil, err
		}
	}
	var vol fileFsVolumeInformation
	if err := queryVolume(h, classFsVolume, unsafe.Pointer(&vol), unsafe.Sizeof(vol)); err != nil {
		return nil, statusErr(err)
	}
	st.VolumeSerial = vol.VolumeSerialNumber
	st.ClusterSize, _ = ClusterSize(h) // Blksize is a hint: 0 when the volume does not say
	return st, nil
}

// FstatInfo is Fstat for extfs.Stat (FileStat.Info), of a HANDLE as
// extfs holds it.
func FstatInfo(h Handle) (fsstat.Stat, error) { return info(Fstat(windows.Handle(h))) }

// Info converts st for extfs.Stat: the volume serial number and the file
// ID as device and inode, the mode as package os derives it (FileMode),
// the allocation size in 512-byte units, the change time as Ctime and the
// creation time as Btime, and FILE_ATTRIBUTE_COMPRESSED and _ENCRYPTED as
// statx attributes.
func (st *FileStat) Info() fsstat.Stat {
	ts := TimeFromFiletime
	i := fsstat.Stat{
		Dev: uint64(st.VolumeSerial), Ino: st.FileIndex, Mode: FileMode(st), Nlink: uint64(st.Links),
		Size: st.Size, Blocks: (st.AllocationSize + 511) / 512, Blksize: st.ClusterSize,
		Atime: ts(st.LastAccessTime), Mtime: ts(st.LastWriteTime), Ctime: ts(st.ChangeTime), Btime: ts(st.CreationTime),
		AttributesMask: fsstat.AttrCompressed | fsstat.AttrEncrypted,
	}
	if st.Attributes&windows.FILE_ATTRIBUTE_COMPRESSED != 0 {
		i.Attributes |= fsstat.AttrCompressed
	}
	if st.Attributes&windows.FILE_ATTRIBUTE_ENCRYPTED != 0 {
		i.Attributes |= fsstat.AttrEncrypted
	}
	return i
}

// info is st.Info(), or err.
func info(st *FileStat, err error) (fsstat.Stat, error) {
	if err != nil {
		return fsstat.Stat{}, err
	}
	return st.Info(), nil
}

// AttributeTag returns the FILE_ATTRIBUTE_* of h and its reparse tag, 0
// for a file that is no reparse point.
func AttributeTag(h windows.Handle) (attrs, tag uint32, err error) {
	var ti fileAttributeTagInformation
	if err := queryInfo(h, classAttributeTag, unsafe.Pointer(&ti), unsafe.Sizeof(ti)); err != nil {
		return 0, 0, statusErr(err)
	}
	if ti.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT == 0 {
		ti.ReparseTag = 0
	}
	return ti.FileAttributes, ti.ReparseTag, nil
}

// ReparseTag returns the reparse tag of h, 0 for a file that is no reparse
// point.
func ReparseTag(h windows.Handle) (uint32, error) {
	_, tag, err := AttributeTag(h)
	return tag, err
}

// Attributes returns the FILE_ATTRIBUTE_* of h.
func Attributes(h windows.Handle) (uint32, error) {
	attrs, _, err := AttributeTag(h)
	return attrs, err
}

// FileID returns the file ID (FileInternalInformation) of h: two handles on
// one volume with the same ID are the same file.
func FileID(h windows.Handle) (uint64, error) {
	var id int64
	if err := queryInfo(h, classInternal, unsafe.Pointer(&id), unsafe.Sizeof(id)); err != nil {
		return 0, statusErr(err)
	}
	return uint64(id), nil
}

// ClusterSize returns the allocation unit of the volume holding h: the
// granularity of allocation, and of block cloning's offsets.
func ClusterSize(h windows.Handle) (int64, error) {
	var fs fileFsSizeInformation
	if err := queryVolume(h, classFsSize, unsafe.Pointer(&fs), unsafe.Sizeof(fs)); err != nil {
		return 0, statusErr(err)
	}
	return int64(fs.SectorsPerAllocationUnit) * int64(fs.BytesPerSector), nil
}

// SizeInfo returns the end of file and the allocation size of h.
func SizeInfo(h windows.Handle) (size, alloc int64, attrs uint32, err error) {
	var all fileAllInformation
	if err := queryInfo(h, classAll, unsafe.Pointer(&all), unsafe.Sizeof(all)); err != nil && err != statusBufferOverflow {
		return 0, 0, 0, statusErr(err)
	}
	return all.EndOfFile, all.AllocationSize, all.FileAttributes, nil
}

// SetTimes sets the access and write times of h (a zero Time leaves one
// unchanged; see Filetimes). NTFS then stops updating a time set this way
// for the rest of the handle's life, as for SetFileTime.
func SetTimes(h windows.Handle, atime, mtime time.Time) error {
	a, m, err := Filetimes(atime, mtime)
	if err != nil {
		return err
	}
	return setFiletimes(h, a, m)
}

func setFiletimes(h windows.Handle, atime, mtime int64) error {
	bi := fileBasicInformation{LastAccessTime: atime, LastWriteTime: mtime}
	return setInfoOp("FileBasicInformation", h, classBasic, unsafe.Pointer(&bi), unsafe.Sizeof(bi))
}

// SetReadOnly sets or clears FILE_ATTRIBUTE_READONLY on h, as os.Chmod
// does with the owner's write bit. It does nothing if the attribute is
// already as asked.
func SetReadOnly(h windows.Handle, readonly bool) error {
	attrs, err := Attributes(h)
	if err != nil {
		return err
	}
	want := attrs &^ windows.FILE_ATTRIBUTE_READONLY
	if readonly {
		want |= windows.FILE_ATTRIBUTE_READONLY
	}
	if want == attrs {
		return nil
	}
	return setAttributes(h, want)
}

func setAttributes(h windows.Handle, attrs uint32) error {
	if attrs == 0 {
		attrs = windows.FILE_ATTRIBUTE_NORMAL // 0 would mean "unchanged"
	}
	bi := fileBasicInformation{FileAttributes: attrs}
	return setInfoOp("FileBasicInformation", h, classBasic, unsafe.Pointer(&bi), unsafe.Sizeof(bi))
}

// SetEndOfFile sets the size of h (SetEndOfFile without moving the file
// pointer). On NTFS, growing a file that is not sparse allocates the new
// clusters; their contents read as zeros.
func SetEndOfFile(h windows.Handle, size int64) error {
	return setInfoOp("FileEndOfFileInformation", h, classEndOfFile, unsafe.Pointer(&size), unsafe.Sizeof(size))
}

// SetAllocation sets the allocation size of h. Allocation beyond the end of
// file lasts until the last handle of the file is closed (MS-FSCC 2.4.4:
// "all unused allocation (beyond EOF) is freed on the last handle close").
func SetAllocation(h windows.Handle, size int64) error {
	return setInfoOp("FileAllocationInformation", h, classAllocation, unsafe.Pointer(&size), unsafe.Sizeof(size))
}

// SetSparse marks h sparse (FSCTL_SET_SPARSE). A sparse file stays sparse.
func SetSparse(h windows.Handle) error {
	set := uint8(1) // FILE_SET_SPARSE_BUFFER{SetSparse: TRUE}
	_, err := fsctl("FSCTL_SET_SPARSE", h, windows.FSCTL_SET_SPARSE, unsafe.Pointer(&set), 1, nil, 0)
	return err
}

// ZeroData makes [off, end) of h read as zeros (FSCTL_SET_ZERO_DATA). In a
// sparse file the file system deallocates the whole allocation units the
// range covers and writes zeros in the rest; in any other file it writes
// zeros and the range stays allocated.
func ZeroData(h windows.Handle, off, end int64) error {
	in := [2]int64{off, end} // FILE_ZERO_DATA_INFORMATION{FileOffset, BeyondFinalZero}
	_, err := fsctl("FSCTL_SET_ZERO_DATA", h, windows.FSCTL_SET_ZERO_DATA, unsafe.Pointer(&in), 16, nil, 0)
	return err
}

// SetSequential sets or clears FILE_SEQUENTIAL_ONLY on h, the cache
// manager's "read ahead more, unmap behind" hint that
// FILE_FLAG_SEQUENTIAL_SCAN gives at open. The I/O manager lets
// FileModeInformation change it, and FILE_WRITE_THROUGH, on an open handle
// (MS-FSCC 2.4.30); FILE_RANDOM_ACCESS it does not.
func SetSequential(h windows.Handle, on bool) error {
	var mode uint32
	if err := queryInfo(h, classMode, unsafe.Pointer(&mode), unsafe.Sizeof(mode)); err != nil {
		return statusErr(err)
	}
	want := mode &^ windows.FILE_SEQUENTIAL_ONLY
	if on {
		want |= windows.FILE_SEQUENTIAL_ONLY
	}
	if want == mode {
		return nil // already so: nothing to ask the system
	}
	want &= fileValidSetModeFlags
	return setInfoOp("FileModeInformation", h, classMode, unsafe.Pointer(&want), unsafe.Sizeof(want))
}

// Flush commits h's data, and with dataOnly false its metadata, to stable
// storage. dataOnly uses NtFlushBuffersFileEx with
// FLUSH_FLAGS_FILE_DATA_SYNC_ONLY (Windows 10 1709, NTFS), fdatasync's
// equivalent, and falls back to a full FlushFileBuffers where that is
// missing. The handle must be open for writing.
func Flush(h windows.Handle, dataOnly bool) error {
	if dataOnly && procNtFlushBuffersFileEx.Find() == nil {
		var iosb windows.IO_STATUS_BLOCK
		r, _, _ := procNtFlushBuffersFileEx.Call(uintptr(h), flushFlagsFileDataSyncOnly, 0, 0, uintptr(unsafe.Pointer(&iosb)))
		switch s := windows.NTStatus(r); {
		case s == 0:
			return nil
		case !unsupportedStatus(s) && s != windows.STATUS_INVALID_PARAMETER:
			// STATUS_INVALID_PARAMETER: a file system without the flag.
			return statusErr(s)
		}
	}
	return windows.FlushFileBuffers(h)
}

// fsctl is DeviceIoControl for a file-system control code on h, which may
// have been opened for overlapped I/O: then the call may complete later, and
// it waits for it with an event whose low bit is set, so that no completion
// packet reaches an I/O completion port the handle may belong to (the Go
// runtime's). An error that means "no such control here" is an
// UnsupportedError naming what.
func fsctl(what string, h windows.Handle, code uint32, in unsafe.Pointer, inLen uint32, out unsafe.Pointer, outLen uint32) (uint32, error) {
	var n uint32
	var err error
	if synchronous(h) {
		err = windows.DeviceIoControl(h, code, (*byte)(in), inLen, (*byte)(out), outLen, &n, nil)
	} else {
		n, err = fsctlOverlapped(h, code, in, inLen, out, outLen)
	}
	if err != nil && unsupportedErrno(err) {
		return n, &UnsupportedError{What: what, Err: err}
	}
	return n, err
}

// synchronous reports whether h was opened for synchronous I/O; when it
// cannot tell, it says no, and fsctl takes the path that works for both.
func synchronous(h windows.Handle) bool {
	var mode uint32
	err := queryInfo(h, classMode, unsafe.Pointer(&mode), unsafe.Sizeof(mode))
	return err == nil && mode&fileSynchronousIO != 0
}

// overlappedCall is what the kernel may write to after DeviceIoControl
// returns ERROR_IO_PENDING: it must not live on a goroutine stack, which
// moves when it grows.
type overlappedCall struct {
	ov  windows.Overlapped
	buf []byte
}

//go:noinline
func newOverlappedCall(size uint32) *overlappedCall {
	return &overlappedCall{buf: make([]byte, size)}
}

func fsctlOverlapped(h windows.Handle, code uint32, in unsafe.Pointer, inLen uint32, out unsafe.Pointer, outLen uint32) (uint32, error) {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return 0, err
	}
	defer windows.CloseHandle(ev)
	c := newOverlappedCall(inLen + outLen + 1)
	copy(c.buf, unsafe.Slice((*byte)(in), inLen))
	c.ov.HEvent = ev | 1 // the low bit: no completion packet
	var inP, outP *byte
	if inLen > 0 {
		inP = &c.buf[0]
	}
	if outLen > 0 {
		outP = &c.buf[inLen]
	}
	var n uint32
	err = windows.DeviceIoControl(h, code, inP, inLen, outP, outLen, &n, &c.ov)
	if err == windows.ERROR_IO_PENDING {
		err = windows.GetOverlappedResult(h, &c.ov, &n, true)
	}
	if outLen > 0 {
		copy(unsafe.Slice((*byte)(out), outLen), c.buf[inLen:inLen+outLen])
	}
	return n, err
}
