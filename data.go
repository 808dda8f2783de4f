package extfs

import (
	"errors"
	"io"
	"io/fs"
	"sync/atomic"
	"syscall"
)

// The data path: Read, Write, ReadAt and WriteAt have the exact semantics
// of the *os.File methods, and run on this package's engine where the
// platform has one (see the package notes); elsewhere, and for files that
// are not regular files (pipes, terminals, sockets: os.File waits for them
// in the runtime's poller, with deadlines), they are the *os.File calls.

// ReadAt reads len(p) bytes at off, like os.File.ReadAt: fewer only with an
// error, io.EOF when the file ends first. It does not move the file position.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if !f.engineData() {
		return f.osf().ReadAt(p, off)
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.f.Name(), Err: errInvalid("negative offset %d", off)}
	}
	var n int
	var err error
	if cerr := f.withFd(func(fd uintptr) { n, err = sysFile.readAt(fd, p, off, &f.nowaitOff) }); cerr != nil {
		return 0, &fs.PathError{Op: "read", Path: f.f.Name(), Err: cerr}
	}
	if err != nil {
		return n, &fs.PathError{Op: "read", Path: f.f.Name(), Err: err}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes all of p at off, like os.File.WriteAt; a file opened with
// O_APPEND refuses it. It does not move the file position.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if !f.engineData() || f.appendMode() {
		return f.osf().WriteAt(p, off)
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "writeat", Path: f.f.Name(), Err: errInvalid("negative offset %d", off)}
	}
	var n int
	var err error
	if cerr := f.withFd(func(fd uintptr) { n, err = sysFile.writeAt(fd, p, off) }); cerr != nil {
		return 0, &fs.PathError{Op: "write", Path: f.f.Name(), Err: cerr}
	}
	if err != nil {
		return n, &fs.PathError{Op: "write", Path: f.f.Name(), Err: err}
	}
	if n < len(p) {
		return n, io.ErrShortWrite
	}
	return n, nil
}

// Read reads up to len(p) bytes at the file position and advances it, like
// os.File.Read: at end of file it returns 0, io.EOF. Read, Write and Seek
// of one File take turns; a read that waits on io_uring does not hold the
// kernel's file-position lock, so reading the same descriptor at the same
// time through its *os.File (or a dup) may see the position move under it.
func (f *File) Read(p []byte) (int, error) {
	if !f.engineData() {
		return f.osf().Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	// One positional call at a time per File, as package os does: a read on
	// the ring does not take the kernel's file-position lock.
	f.pos.Lock()
	cerr := f.withFd(func(fd uintptr) { n, err = sysFile.read(fd, p, &f.nowaitOff) })
	f.pos.Unlock()
	switch {
	case cerr != nil:
		return 0, &fs.PathError{Op: "read", Path: f.f.Name(), Err: cerr}
	case err != nil:
		return n, &fs.PathError{Op: "read", Path: f.f.Name(), Err: err}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p at the file position and advances it, like
// os.File.Write.
func (f *File) Write(p []byte) (int, error) {
	if !f.engineData() {
		return f.osf().Write(p)
	}
	var n int
	var err error
	f.pos.Lock()
	cerr := f.withFd(func(fd uintptr) { n, err = sysFile.write(fd, p) })
	f.pos.Unlock()
	switch {
	case cerr != nil:
		return 0, &fs.PathError{Op: "write", Path: f.f.Name(), Err: cerr}
	case err != nil:
		return n, &fs.PathError{Op: "write", Path: f.f.Name(), Err: err}
	case n < len(p):
		return n, io.ErrShortWrite
	}
	return n, nil
}

// Seek sets the file position, like os.File.Seek.
func (f *File) Seek(off int64, whence int) (int64, error) {
	if f == nil {
		return f.osf().Seek(off, whence)
	}
	f.pos.Lock()
	defer f.pos.Unlock()
	n, err := f.f.Seek(off, whence)
	if errors.Is(err, syscall.EINVAL) {
		// lseek's EINVAL: an unknown whence, or a position before the
		// start of the file. Bad arguments match fs.ErrInvalid.
		err = &fs.PathError{Op: "seek", Path: f.f.Name(), Err: errInvalid("offset %d from whence %d: invalid (unknown whence, or before the start of the file)", off, whence)}
	}
	return n, err
}

// engineData reports whether the data path runs on the engine for f: the
// platform has one and f is a regular file (learned once, on first use).
func (f *File) engineData() bool {
	if !sysFile.dataEngine() || f == nil || f.f == nil {
		return false
	}
	switch f.kind.Load() {
	case kindRegular:
		return true
	case kindOther:
		return false
	}
	k := uint32(kindOther)
	f.withFd(func(fd uintptr) {
		if sysFile.regular(fd) {
			k = kindRegular
		}
	})
	f.kind.Store(k)
	return k == kindRegular
}

const (
	kindUnknown = iota
	kindRegular
	kindOther
)

// noData is the data path of a system without an engine for single data
// calls, for its fileSys to embed: File's data methods are those of its
// *os.File (on Windows a Batch's reads and writes still run on a completion
// port), and the calls below are never made (dataEngine keeps them away).
type noData struct{}

var errNoDataEngine = notSupportedErr("data path engine")

func (noData) dataEngine() bool                                         { return false }
func (noData) regular(uintptr) bool                                     { return false }
func (noData) readAt(uintptr, []byte, int64, *atomic.Bool) (int, error) { return 0, errNoDataEngine }
func (noData) writeAt(uintptr, []byte, int64) (int, error)              { return 0, errNoDataEngine }
func (noData) read(uintptr, []byte, *atomic.Bool) (int, error)          { return 0, errNoDataEngine }
func (noData) write(uintptr, []byte) (int, error)                       { return 0, errNoDataEngine }
func (noData) open(string, int, fs.FileMode) (uintptr, bool, error)     { return 0, false, nil } // os.OpenFile opens
func (noData) prepareFd(uintptr)                                        {}                       // os.NewFile takes it as it is
