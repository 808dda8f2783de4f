// Package extfs gives Go programs the file operations package os lacks —
// ranged copies, copy-on-write clones, preallocation and hole punching,
// access-pattern advice, extended attributes, statx, *at directory
// operations, device files — with one API on every major OS.
//
// A File wraps an *os.File; everything package os does with it keeps
// working (see File.OSFile). Operations that take a path resolve it like
// package os does; a Dir resolves names beneath one directory and refuses
// names that would escape it.
//
// # Errors
//
// Errors follow package os: an *fs.PathError (one path) or *os.LinkError (two
// paths) whose Op names the system call and which wraps the errno, so
// errors.Is(err, fs.ErrNotExist) works. Bad arguments (negative or overflowing
// offsets, empty or overlong names, a nil or closed File) are refused before any
// system call with an error matching fs.ErrInvalid or fs.ErrClosed. What the
// OS, kernel or filesystem cannot do matches ErrNotSupported and
// errors.ErrUnsupported. No function returns nil for an operation that did not
// happen.
//
// # Linux notes
//
// A single call is a direct system call, the cheapest way to run one
// operation, while few goroutines are blocked in this package's calls.
// When 2 × GOMAXPROCS are, further calls go to an io_uring ring (written on
// golang.org/x/sys/unix, no cgo) and wait as parked goroutines, so that
// thousands of goroutines doing file I/O do not pin thousands of OS
// threads. The data path (ReadAt, Read, WriteAt, Write, Sync, Datasync) is
// part of this: a read first takes what the page cache holds without
// blocking, and only what must wait for the disk goes to the ring. A Batch
// shares its calls among up to GOMAXPROCS goroutines; its reads that miss
// the cache go to the ring in one submission, and under EngineRing, or
// when the process is crowded, the whole batch does. Set
// EXTFS_ENGINE=ring or EXTFS_ENGINE=syscall, or call SetEngine, to force
// one engine; when io_uring is unavailable (disabled by sysctl or seccomp,
// old kernel) everything runs through system calls.
//
// # macOS notes
//
// Calls are made through golang.org/x/sys/unix, which reaches the kernel
// through libSystem, without cgo. There is no io_uring: EngineAuto and
// EngineSyscall are the same (single calls on the caller's goroutine, a
// Batch on a small pool of worker goroutines) and SetEngine(EngineRing)
// returns an error matching ErrNotSupported. Sync and Datasync are fcntl
// F_FULLFSYNC, which also flushes the drive's write cache (fsync(2) on
// macOS does not), as os.File.Sync does, and fsync(2) where the filesystem
// has no F_FULLFSYNC (SMB); macOS has no cheaper call that is as durable,
// so Datasync costs what Sync does.
//
// # Windows notes
//
// The handle behind a File is its HANDLE; calls are NT and Win32 calls
// (NtCreateFile, NtSetInformationFile, file-system controls) made through
// golang.org/x/sys/windows, without cgo. There is no io_uring: EngineAuto
// and EngineSyscall are the same (a Batch runs on a small pool of worker
// goroutines) and SetEngine(EngineRing) returns an error matching
// ErrNotSupported. Extended attributes, Chown, device files and FIFOs do not
// exist there: they return errors matching ErrNotSupported. Wine 8, which
// the test suite runs under, lacks a few calls Windows has; Supports says
// which, and the operations say so with an error matching ErrNotSupported.
package extfs

import (
	"errors"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// File is an open file with the extra operations of this package.
// It is safe for concurrent use, like *os.File.
type File struct {
	f *os.File

	kind      atomic.Uint32 // kindUnknown, kindRegular or kindOther (engineData)
	nowaitOff atomic.Bool   // the filesystem refuses non-blocking reads (Linux)
	pos       sync.Mutex    // serialises Read, Write and Seek (file position)
}

// Open opens the named file for reading, like os.Open.
func Open(name string) (*File, error) { return OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates the named file for reading and writing, like os.Create.
func Create(name string) (*File, error) {
	return OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with the given flags (os.O_RDONLY etc.) and
// permissions, like os.OpenFile. On Linux the open runs on this package's
// engine (see the package notes).
func OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	if err := checkPath("name", name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	fd, handled, err := sysFile.open(name, flag, perm)
	if !handled {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return NewFile(f), nil
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return NewFile(newOSFile(fd, name)), nil
}

// newOSFile makes the *os.File for a descriptor this package opened, as
// os.OpenFile would have made it: a FIFO, socket or character device is put
// in non-blocking mode first, so that os.NewFile hands it to the runtime's
// poller (its reads then wait as parked goroutines, with deadlines);
// regular files and directories stay as they are.
func newOSFile(fd uintptr, name string) *os.File {
	sysFile.prepareFd(fd)
	return os.NewFile(fd, name)
}

// NewFile wraps an open *os.File. It returns nil if f is nil. The File and f
// share the descriptor: closing either closes both.
func NewFile(f *os.File) *File {
	if f == nil {
		return nil
	}
	return &File{f: f}
}

// OSFile returns the underlying *os.File (nil for a nil File).
func (f *File) OSFile() *os.File {
	if f == nil {
		return nil
	}
	return f.f
}

// Name returns the name the file was opened with.
func (f *File) Name() string {
	if f == nil || f.f == nil {
		return ""
	}
	return f.f.Name()
}

// Close closes the file. A second Close returns an error matching fs.ErrClosed.
func (f *File) Close() error {
	if f == nil || f.f == nil {
		return &fs.PathError{Op: "close", Err: fs.ErrInvalid}
	}
	return f.f.Close()
}

// osf returns the *os.File, or for a nil File a nil *os.File, whose methods
// return os.ErrInvalid rather than panic.
func (f *File) osf() *os.File {
	if f == nil {
		return nil
	}
	return f.f
}

// Sync commits the file's contents and metadata to stable storage (fsync).
// On macOS, F_FULLFSYNC (see the package notes). On Windows,
// FlushFileBuffers, which needs a file open for writing.
func (f *File) Sync() error {
	return f.control("fsync", func(fd uintptr) error { return sysFile.fsync(fd, false) })
}

// Datasync commits the file's contents, and only the metadata needed to read
// them back, to stable storage (fdatasync). On macOS, F_FULLFSYNC, as for
// Sync. On Windows, NtFlushBuffersFileEx with FLUSH_FLAGS_FILE_DATA_SYNC_ONLY
// (Windows 10 1709, NTFS), or FlushFileBuffers where that is missing.
func (f *File) Datasync() error {
	return f.control("fdatasync", func(fd uintptr) error { return sysFile.fsync(fd, true) })
}

// control runs fn with the file's descriptor, holding a reference so that a
// concurrent Close cannot hand the descriptor number to another file while the
// operation uses it. The error is wrapped in an *fs.PathError naming op.
//
// The RawConn is fetched per call, not stored: SyscallConn inlines to a
// concrete type, so Control is a direct call and fn and the callback stay on
// the stack. Through a stored interface both escaped, two allocations that
// were a third of the cost of a cheap call like fadvise.
func (f *File) control(op string, fn func(fd uintptr) error) error {
	if f == nil || f.f == nil {
		return &fs.PathError{Op: op, Err: fs.ErrInvalid}
	}
	var opErr error
	if err := f.withFd(func(fd uintptr) { opErr = fn(fd) }); err != nil {
		return &fs.PathError{Op: op, Path: f.f.Name(), Err: err}
	}
	return pathErr(op, f.f.Name(), opErr)
}

// withFd runs fn with the descriptor held (see control). It fails with
// fs.ErrClosed once the file is closed (RawConn.Control fails on a valid
// *os.File for nothing else), and fs.ErrInvalid for a nil *os.File.
func (f *File) withFd(fn func(fd uintptr)) error { return holdFd(f.f, fn) }

func holdFd(f *os.File, fn func(fd uintptr)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fs.ErrInvalid
	}
	if rc.Control(fn) != nil {
		return fs.ErrClosed
	}
	return nil
}

// appendMode reports whether the file was opened with O_APPEND, where
// package os refuses WriteAt (pwrite would append there, whatever the
// offset). os.File.WriteAt of nothing makes that check, and no system call.
func (f *File) appendMode() bool {
	_, err := f.f.WriteAt(nil, 0)
	return err != nil && !errors.Is(err, fs.ErrClosed) && !errors.Is(err, fs.ErrInvalid)
}
