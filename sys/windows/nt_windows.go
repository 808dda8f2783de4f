//go:build windows

package windows

import (
	"errors"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	ntdll                            = windows.NewLazySystemDLL("ntdll.dll")
	procNtQueryVolumeInformationFile = ntdll.NewProc("NtQueryVolumeInformationFile")
	procNtFlushBuffersFileEx         = ntdll.NewProc("NtFlushBuffersFileEx")
	procWineGetVersion               = ntdll.NewProc("wine_get_version")
)

// WineVersion returns Wine's version ("8.0") when the program runs under
// Wine, whose ntdll exports wine_get_version, and "" on Windows.
var WineVersion = sync.OnceValue(func() string {
	if procWineGetVersion.Find() != nil {
		return ""
	}
	r, _, _ := procWineGetVersion.Call()
	if r == 0 {
		return "unknown"
	}
	return windows.BytePtrToString(*(**byte)(unsafe.Pointer(&r))) // a static string in ntdll
})

// NT information classes (FILE_INFORMATION_CLASS, FS_INFORMATION_CLASS,
// from wdm.h and ntifs.h). golang.org/x/sys/windows has some of them, but
// gives FileLinkInformation the value of FileLinkInformationEx (72).
const (
	classBasic         = 4  // FILE_BASIC_INFORMATION
	classInternal      = 6  // FILE_INTERNAL_INFORMATION: the file ID
	classRename        = 10 // FILE_RENAME_INFORMATION
	classLink          = 11 // FILE_LINK_INFORMATION
	classDisposition   = 13 // FILE_DISPOSITION_INFORMATION
	classMode          = 16 // FILE_MODE_INFORMATION
	classAll           = 18 // FILE_ALL_INFORMATION
	classAllocation    = 19 // FILE_ALLOCATION_INFORMATION
	classEndOfFile     = 20 // FILE_END_OF_FILE_INFORMATION
	classAttributeTag  = 35 // FILE_ATTRIBUTE_TAG_INFORMATION
	classDispositionEx = 64 // FILE_DISPOSITION_INFORMATION_EX (Windows 10 1607)
	classRenameEx      = 65 // FILE_RENAME_INFORMATION_EX (Windows 10 1709)

	classFsVolume = 1 // FILE_FS_VOLUME_INFORMATION
	classFsSize   = 3 // FILE_FS_SIZE_INFORMATION
)

// Flags not in golang.org/x/sys/windows.
const (
	flushFlagsFileDataSyncOnly    = 0x4  // FLUSH_FLAGS_FILE_DATA_SYNC_ONLY (NtFlushBuffersFileEx)
	fileRenameIgnoreReadonly      = 0x40 // FILE_RENAME_IGNORE_READONLY_ATTRIBUTE (Windows 10 1809)
	fileDispositionIgnoreReadonly = 0x10 // FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE (Windows 10 1809)
	fileValidSetModeFlags         = 0x36 // FILE_WRITE_THROUGH|FILE_SEQUENTIAL_ONLY|FILE_SYNCHRONOUS_IO_*: what FileModeInformation may set
	fileSynchronousIO             = 0x30 // FILE_SYNCHRONOUS_IO_ALERT|FILE_SYNCHRONOUS_IO_NONALERT

	symbolicLinkFlagDirectory    = 0x1 // SYMBOLIC_LINK_FLAG_DIRECTORY
	symbolicLinkFlagUnprivileged = 0x2 // SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE (Windows 10 1703)

	statusReparsePointEncountered = windows.STATUS_REPARSE_POINT_ENCOUNTERED
	statusBufferOverflow          = windows.STATUS_BUFFER_OVERFLOW // a warning: the fixed part is filled
)

// errReparse is NtCreateFile's STATUS_REPARSE_POINT_ENCOUNTERED: the name
// is a reparse point and OBJ_DONT_REPARSE kept the system from following it.
var errReparse = errors.New("reparse point encountered")

// statusErr turns an NTSTATUS into the error extfs returns: the Win32 error
// it maps to, except where package os gives the status a POSIX meaning.
func statusErr(err error) error {
	s, ok := err.(windows.NTStatus)
	if !ok {
		return err
	}
	switch s {
	case statusReparsePointEncountered:
		return errReparse
	case windows.STATUS_NOT_A_DIRECTORY:
		return syscall.ENOTDIR // FILE_DIRECTORY_FILE on something else, as os.Root says
	case windows.STATUS_FILE_IS_A_DIRECTORY:
		return syscall.EISDIR // FILE_NON_DIRECTORY_FILE on a directory, as os.OpenFile says
	}
	return s.Errno()
}

// unsupportedStatus reports the statuses that mean "this system or file
// system has no such operation": the class or control code is unknown to it.
func unsupportedStatus(err error) bool {
	switch err {
	case windows.STATUS_NOT_IMPLEMENTED, // Wine 8 for FileAllocationInformation, FileModeInformation
		windows.STATUS_INVALID_INFO_CLASS,     // a class older Windows lacks
		windows.STATUS_NOT_SUPPORTED,          // the file system lacks it
		windows.STATUS_INVALID_DEVICE_REQUEST: // FAT, exFAT, network redirectors: unknown FSCTL
		return true
	}
	return false
}

// unsupportedErrno is unsupportedStatus for the Win32 errors of
// DeviceIoControl.
func unsupportedErrno(err error) bool {
	switch err {
	case windows.ERROR_INVALID_FUNCTION, // STATUS_INVALID_DEVICE_REQUEST: FAT, exFAT have no sparse files or reparse points
		windows.ERROR_NOT_SUPPORTED, // Wine 8: FSCTL_SET_ZERO_DATA, FSCTL_SET_REPARSE_POINT
		windows.ERROR_CALL_NOT_IMPLEMENTED:
		return true
	}
	return false
}

func queryInfo(h windows.Handle, class uint32, buf unsafe.Pointer, size uintptr) error {
	var iosb windows.IO_STATUS_BLOCK
	return windows.NtQueryInformationFile(h, &iosb, (*byte)(buf), uint32(size), class)
}

func setInfo(h windows.Handle, class uint32, buf unsafe.Pointer, size uintptr) error {
	var iosb windows.IO_STATUS_BLOCK
	return windows.NtSetInformationFile(h, &iosb, (*byte)(buf), uint32(size), class)
}

// setInfoOp is setInfo for an operation extfs names: a status that means
// "not here" becomes an UnsupportedError, any other one its Win32 error.
func setInfoOp(what string, h windows.Handle, class uint32, buf unsafe.Pointer, size uintptr) error {
	err := setInfo(h, class, buf, size)
	if err == nil {
		return nil
	}
	if unsupportedStatus(err) {
		return &UnsupportedError{What: what, Err: statusErr(err)}
	}
	return statusErr(err)
}

func queryVolume(h windows.Handle, class uint32, buf unsafe.Pointer, size uintptr) error {
	if err := procNtQueryVolumeInformationFile.Find(); err != nil {
		return err
	}
	var iosb windows.IO_STATUS_BLOCK
	r, _, _ := procNtQueryVolumeInformationFile.Call(uintptr(h), uintptr(unsafe.Pointer(&iosb)),
		uintptr(buf), size, uintptr(class))
	if s := windows.NTStatus(r); s != 0 && s != statusBufferOverflow {
		return s
	}
	return nil
}
