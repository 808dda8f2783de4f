package extfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/extfs/extfs/internal/fsstat"
)

// CopyRange copies n bytes from f at srcOff to dst at dstOff and returns how
// many it copied: n, or fewer only when the source ends first (then with a
// nil error). Neither file's offset moves; dst grows as needed. f must be
// open for reading and dst for writing, without O_APPEND. Ranges that overlap
// in the same file are refused with an error matching fs.ErrInvalid.
//
// CopyRange is for copies inside and between open files. To copy a whole
// file safely (a temporary file renamed into place), with holes, clones and
// metadata, use CopyFile.
//
// # Linux notes
//
// CopyRange uses copy_file_range(2), which copies inside the kernel, lets
// network filesystems copy on the server, and on XFS and btrfs shares the
// blocks instead of copying them (a reflink: the copy takes no space until
// one side is written). Where copy_file_range refuses a pair of files
// (across filesystems on some kernels, on some network and container
// filesystems), it falls back, for that call only, to splice(2) and then to
// reading and writing. For a copy with blocks of its own use CopyFile with
// CoWNever.
//
// # Windows notes
//
// Windows has no call that copies a range of a file: CopyRange reads and
// writes, with two goroutines through positioned ReadFile and WriteFile on
// f's and dst's handles, or, where chosen, with overlapped I/O on handles
// and a completion port of its own (see copy_windows.go).
//
// # macOS notes
//
// macOS has no copy_file_range or splice: CopyRange reads and writes with
// pread/pwrite on two goroutines, so neither file's offset moves.
func (f *File) CopyRange(dst *File, srcOff, dstOff, n int64) (int64, error) {
	var acct copyAcct
	return f.copyRange(dst, srcOff, dstOff, n, copyHow{fileRange: true, splice: true, portable: portableCopies}, &acct)
}

// copyRange is CopyRange with the mechanisms to try and the bytes each moved.
func (f *File) copyRange(dst *File, srcOff, dstOff, n int64, how copyHow, acct *copyAcct) (int64, error) {
	c := rangeCall{op: "copy_file_range", what: "CopyRange", src: f, dst: dst, srcOff: srcOff, dstOff: dstOff, n: n, portable: how.portable}
	var written int64
	err := c.run(func(sfd, dfd uintptr, si, di fileInfo) (err error) {
		if si.regular {
			c.n = max(0, min(c.n, si.size-srcOff)) // nothing past the end of the source
		}
		if c.n == 0 {
			return nil
		}
		if err := c.overlap(si, di); err != nil {
			return err
		}
		written, err = copyFDs(&copyJob{src: f, dst: dst, sfd: sfd, dfd: dfd, srcOff: srcOff, dstOff: dstOff, n: c.n}, how, acct)
		return err
	})
	return written, err
}

// rangeCall is a call from a range of one file to a range of another
// (CopyRange, CloneRange, DedupeRange): its arguments are checked once, it
// runs with both descriptors held and both files described, and its error
// names both files.
type rangeCall struct {
	op, what       string // the system call, and the method named in messages
	src, dst       *File
	srcOff, dstOff int64
	n              int64
	anyMode        bool // the open modes are the kernel's to judge (a dedupe)
	portable       bool // the files are described by copyFallback (copyHow.portable)
}

func (c *rangeCall) run(fn func(sfd, dfd uintptr, si, di fileInfo) error) error {
	err := checkRanges(c.what, c.src, c.dst, c.srcOff, c.dstOff, c.n)
	if err == nil {
		err = withFDs(c.src, c.dst, func(sfd, dfd uintptr) error {
			si, di, err := describePair(copyHow{portable: c.portable}.sys(), sfd, dfd, c.anyMode)
			if err != nil {
				return err
			}
			return fn(sfd, dfd, si, di)
		})
	}
	return copyErr(c.op, c.src.Name(), c.dst.Name(), err)
}

// overlap refuses ranges that overlap in one file.
func (c *rangeCall) overlap(si, di fileInfo) error {
	if sameFile(si, di) && c.srcOff < c.dstOff+c.n && c.dstOff < c.srcOff+c.n {
		return errInvalid("%s: [%d, %d) and [%d, %d) overlap in the same file", c.what, c.srcOff, c.srcOff+c.n, c.dstOff, c.dstOff+c.n)
	}
	return nil
}

// checkRanges validates the files and ranges of a call between two files,
// named what in the error.
func checkRanges(what string, src, dst *File, srcOff, dstOff, n int64) error {
	if src == nil || src.f == nil || dst == nil || dst.f == nil {
		return errInvalid("%s: nil File", what)
	}
	if err := checkRange(srcOff, n, true); err != nil {
		return err
	}
	return checkRange(dstOff, n, true)
}

// fileInfo is what copying needs to know about an open file.
type fileInfo struct {
	dev, ino     uint64
	size, blocks int64 // blocks: st_blocks, 512-byte units
	regular, dir bool
}

func sameFile(a, b fileInfo) bool { return a.dev == b.dev && a.ino == b.ino }

// fileInfoOf is the fileInfo in what sys/<goos> says of a file (on
// Windows, dev is the volume serial number and ino the file ID), or it
// passes err on.
func fileInfoOf(st fsstat.Stat, err error) (fileInfo, error) {
	if err != nil {
		return fileInfo{}, err
	}
	return fileInfo{dev: st.Dev, ino: st.Ino, size: st.Size, blocks: st.Blocks,
		regular: st.Mode.IsRegular(), dir: st.Mode.IsDir()}, nil
}

// openMode is how a descriptor was opened.
type openMode struct{ read, write, append bool }

// checkCopyPair refuses a pair of files no copy can work on, with the reason
// the kernel would only hint at (EBADF, EISDIR).
func checkCopyPair(sfd, dfd uintptr) (si, di fileInfo, err error) {
	return describePair(sysCopy, sfd, dfd, false)
}

// describePair describes both files, with q's answers, and refuses
// directories; unless anyMode, also a source not open for reading and a
// destination not open for writing at offsets.
func describePair(q copyQueries, sfd, dfd uintptr, anyMode bool) (si, di fileInfo, err error) {
	if si, err = q.fileInfo(sfd); err != nil {
		return si, di, os.NewSyscallError("fstat", err)
	}
	if di, err = q.fileInfo(dfd); err != nil {
		return si, di, os.NewSyscallError("fstat", err)
	}
	if si.dir || di.dir {
		return si, di, syscall.EISDIR
	}
	if anyMode {
		return si, di, nil
	}
	if m, ok := q.openMode(sfd); ok && !m.read {
		return si, di, &hintError{err: syscall.EBADF, hint: "source not open for reading"}
	}
	if m, ok := q.openMode(dfd); ok {
		if !m.write {
			return si, di, &hintError{err: syscall.EBADF, hint: "destination not open for writing"}
		}
		if m.append {
			return si, di, &hintError{err: syscall.EBADF, hint: "destination opened with O_APPEND, which ignores offsets"}
		}
	}
	return si, di, nil
}

// copyHow says which mechanisms a copy may use, fastest first; reading and
// writing is always the last resort.
type copyHow struct {
	fileRange bool  // copy_file_range (shares blocks on XFS and btrfs)
	splice    bool  // splice through a pipe
	zeroBlock int64 // > 0: read and write only, and leave all-zero blocks of this size unwritten
	portable  bool  // the portable fallbacks only (portableCopies)
}

// sys is the system's answers to the questions a copy asks about its
// files, or the portable fallback's (how.portable): chosen once per copy.
// Its methods take no pointers, so the interface makes nothing escape.
func (h copyHow) sys() copyQueries {
	if h.portable {
		return copyFallback{}
	}
	return sysCopy
}

// copyQueries is the part of copyOS that copyHow.sys chooses.
type copyQueries interface {
	fileInfo(fd uintptr) (fileInfo, error)
	openMode(fd uintptr) (m openMode, known bool)
	fsInfo(fd uintptr) (name string, bsize int64, err error)
	clone(dst, src uintptr) error
	cloneFallback(err error) bool
	cloneNeverHere(err error) bool
	seekData(fd uintptr, off int64) (data, hole int64, ok bool, err error)
	saveOffset(fd uintptr) (restore func())
	sparseDest(dst, src uintptr, always bool) error
	truncate(fd uintptr, size int64) error
}

// copyAcct counts the bytes each method moved, and the zero bytes left as holes.
type copyAcct struct {
	by    [methodCount]int64
	zeros int64 // all-zero blocks not written (SparseAlways)
	holes int64 // source holes skipped
}

// main returns the method that moved the most bytes; ok is false if none moved any.
func (a *copyAcct) main() (m Method, ok bool) {
	for i, n := range a.by {
		if n > 0 && (!ok || n > a.by[m]) {
			m, ok = Method(i), true
		}
	}
	return m, ok
}

// copyCtl is what a long copy checks between chunks: cancellation, and the
// progress callback. A nil *copyCtl means neither (CopyRange).
type copyCtl struct {
	ctx      context.Context
	progress func(done, total int64)
	done     int64
	total    int64
	reported int64 // done at the last progress call; -1 before the first
}

// progressStep is how much a copy moves between two looks at its copyCtl: it
// bounds the delay of a cancellation (a few milliseconds of copying) and the
// gap between progress calls (the documented limit is 64 MiB).
const progressStep = 8 << 20

func newCopyCtl(ctx context.Context, progress func(done, total int64), total int64) *copyCtl {
	return &copyCtl{ctx: ctx, progress: progress, total: total, reported: -1}
}

// maxCopyRound bounds one call of a mechanism when no copyCtl does: under
// every system's limit for one call (Linux's MAX_RW_COUNT is 2 GiB less a
// page, Windows' ReadFile takes a DWORD).
const maxCopyRound = 1 << 30

// round is the most a mechanism should move before calling add.
func (c *copyCtl) round() int64 {
	if c == nil {
		return maxCopyRound
	}
	return progressStep
}

// add records n more bytes done (copied, or skipped as holes), reports
// progress every progressStep, and returns the context's error, if any.
func (c *copyCtl) add(n int64) error {
	if c == nil {
		return nil
	}
	c.done += n
	if c.progress != nil && c.done-max(c.reported, 0) >= progressStep {
		c.report()
	}
	if c.ctx != nil {
		return c.ctx.Err()
	}
	return nil
}

func (c *copyCtl) report() {
	c.reported = c.done
	c.progress(c.done, c.total)
}

// finish makes the last progress call, at total, unless that was reported.
func (c *copyCtl) finish() {
	if c == nil || c.progress == nil {
		return
	}
	c.done = c.total
	if c.reported != c.total {
		c.report()
	}
}

// copyJob is one range to copy between two open files: n bytes from src
// (descriptor sfd) at srcOff to dst (dfd) at dstOff. ctl, if not nil, is
// told about every chunk and may stop the copy.
type copyJob struct {
	src, dst       *File
	sfd, dfd       uintptr
	srcOff, dstOff int64
	n              int64
	ctl            *copyCtl
}

// copyFDs copies j, stopping early only at the end of the source. This is
// the one copy algorithm: the system's own mechanisms copy what they can
// (sysCopy.offload), and the portable read/write pipeline copies the rest.
// Nothing is remembered between calls: a filesystem that refuses
// copy_file_range today may accept it for another pair of files.
func copyFDs(j *copyJob, how copyHow, acct *copyAcct) (written int64, err error) {
	if how.zeroBlock == 0 {
		// Two direct calls, not a func value: j and acct stay unescaped.
		var w int64
		var handled bool
		if how.portable {
			w, handled, err = copyFallback{}.offload(j, how, acct)
		} else {
			w, handled, err = sysCopy.offload(j, how, acct)
		}
		if handled || err != nil {
			return w, err
		}
		written = w
	}
	rest := *j
	rest.srcOff, rest.dstOff, rest.n = j.srcOff+written, j.dstOff+written, j.n-written
	w, zeros, err := pipelineCopy(&rest, how.zeroBlock)
	acct.by[MethodReadWrite] += w - zeros
	acct.zeros += zeros
	return written + w, err
}

// withFDs runs fn with both files' descriptors, holding them open (see
// File.control).
func withFDs(src, dst *File, fn func(sfd, dfd uintptr) error) error {
	var err error
	cerr := src.withFd(func(sfd uintptr) {
		if e := dst.withFd(func(dfd uintptr) { err = fn(sfd, dfd) }); e != nil {
			err = &hintError{err: fs.ErrClosed, hint: "destination"}
		}
	})
	if cerr != nil {
		return &hintError{err: fs.ErrClosed, hint: "source"}
	}
	return err
}

// copyErr wraps an error of a two-file operation in an *os.LinkError whose
// Op is the system call that failed (op when none did).
func copyErr(op, src, dst string, err error) error {
	if err == nil {
		return nil
	}
	var le *os.LinkError
	var se *os.SyscallError
	var pe *fs.PathError
	switch {
	case errors.As(err, &le):
		op, err = le.Op, le.Err
	case errors.As(err, &se):
		op, err = se.Syscall, se.Err
	case errors.As(err, &pe):
		op, err = pe.Op, pe.Err
	}
	return linkErr(op, src, dst, err)
}

// ReadFrom reads from r until EOF and writes what it read at f's offset,
// which it advances, like (*os.File).ReadFrom: it makes io.Copy(f, r) fast.
// When r is a File or *os.File (or an *io.LimitedReader of one) the data
// moves inside the kernel (copy_file_range, then splice); from sockets and
// pipes it is spliced.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if f == nil || f.f == nil {
		return 0, &fs.PathError{Op: "readfrom", Err: fs.ErrInvalid}
	}
	switch src := r.(type) {
	case *File:
		if src == nil || src.f == nil {
			return 0, &fs.PathError{Op: "readfrom", Path: f.Name(), Err: fs.ErrInvalid}
		}
		return f.f.ReadFrom(src.f)
	case *io.LimitedReader:
		if inner, ok := src.R.(*File); ok && inner != nil && inner.f != nil {
			lr := &io.LimitedReader{R: inner.f, N: src.N}
			n, err := f.f.ReadFrom(lr)
			src.N = lr.N
			return n, err
		}
	}
	return f.f.ReadFrom(r)
}

// WriteTo writes f's data from its offset, which it advances, to w until
// EOF, like (*os.File).WriteTo. To a File or *os.File the data moves inside
// the kernel (see ReadFrom); to a socket with sendfile(2).
func (f *File) WriteTo(w io.Writer) (int64, error) {
	if f == nil || f.f == nil {
		return 0, &fs.PathError{Op: "writeto", Err: fs.ErrInvalid}
	}
	switch dst := w.(type) {
	case *File:
		if dst == nil || dst.f == nil {
			return 0, &fs.PathError{Op: "writeto", Path: f.Name(), Err: fs.ErrInvalid}
		}
		return dst.f.ReadFrom(f.f)
	case *os.File:
		if dst != nil {
			return dst.ReadFrom(f.f)
		}
	}
	return f.f.WriteTo(w)
}

// methods returns the bytes each method moved, leaving out those that moved none.
func (a *copyAcct) methods() map[Method]int64 {
	m := make(map[Method]int64)
	for i, n := range a.by {
		if n > 0 {
			m[Method(i)] = n
		}
	}
	return m
}
