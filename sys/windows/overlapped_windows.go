//go:build windows

package windows

// A ranged copy with overlapped ReadFile and WriteFile on an I/O completion
// port: several buffers in flight, each read as soon as a buffer is free and
// written as soon as it is read, at its own offset.

import (
	"io"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// RangeCopy is a copy of N bytes from Src at SrcOff to Dst at DstOff, with
// Depth buffers of BufSize bytes in flight. Step, if not nil, is called with
// the size of each buffer once written (in no particular order); an error
// from it stops the copy and is returned.
type RangeCopy struct {
	Src, Dst          windows.Handle
	SrcOff, DstOff, N int64
	BufSize, Depth    int
	Step              func(int64) error
}

// Overlapped I/O is what OffloadCopy uses, off by default: it was no faster
// than extfs's portable pipeline under Wine (bench/README.md, "Copies").
// Windows may decide otherwise, for uncached files on fast disks above all;
// setting UseOverlapped is all it takes, and tests run both.
var (
	UseOverlapped = false
	OvBufSize     = 1 << 20
	OvDepth       = 4

	// OverlappedCopyCall is OverlappedCopy as OffloadCopy calls it; tests
	// wrap it to see it called.
	OverlappedCopyCall = OverlappedCopy
)

// OffloadCopy copies c (BufSize and Depth are OvBufSize and OvDepth) with
// overlapped I/O where UseOverlapped says so. A copy of one buffer or less
// has nothing to overlap and is not handled (a pipeline makes it one
// ReadFile and one WriteFile); see OverlappedCopy for the rest.
func OffloadCopy(c RangeCopy) (written int64, handled bool, err error) {
	if !UseOverlapped || c.N <= int64(OvBufSize) {
		return 0, false, nil
	}
	c.BufSize, c.Depth = OvBufSize, OvDepth
	return OverlappedCopyCall(c)
}

// OverlappedCopy copies c and returns how many bytes it copied: c.N, or
// fewer when the source ends first.
//
// The copy runs on handles of its own, opened again from Src and Dst for
// overlapped I/O (the handles of package os are synchronous), and on an
// I/O completion port of its own, so that concurrent copies share nothing
// and the file pointers of Src and Dst do not move. handled is false, and
// nothing was copied, when those handles or the port cannot be had (a
// sharing violation, a read-only destination, a handle that is no file):
// the caller then copies through Src and Dst itself.
//
// On an error, written counts the bytes from SrcOff on that were copied
// before the first chunk that was not; others may have been written after
// it.
func OverlappedCopy(rc RangeCopy) (written int64, handled bool, err error) {
	if rc.N <= 0 {
		return 0, true, nil
	}
	c, err := newOvCopier(rc.Src, rc.Dst, rc.BufSize, rc.Depth)
	if err != nil {
		return 0, false, nil
	}
	defer c.close()
	end := rc.SrcOff + rc.N
	c.srcOff, c.dstOff, c.end, c.eof, c.next = rc.SrcOff, rc.DstOff, end, end, rc.SrcOff
	c.step = rc.Step
	written, err = c.run()
	return written, true, err
}

// ovSlot is one buffer and its OVERLAPPED: the system writes both after
// ReadFile or WriteFile return, until the completion is dequeued, so they
// live on the heap, referenced from the copier, which outlives every I/O.
type ovSlot struct {
	ov      windows.Overlapped
	buf     []byte
	off     int64 // the chunk's offset in the source; -1 when the slot is free
	n       int   // bytes of the chunk read
	done    int   // bytes of it written
	writing bool  // the I/O under way is a write
}

type ovCompletion struct {
	s   *ovSlot
	n   uint32
	err error
}

type ovCopier struct {
	rs, rd, port windows.Handle
	skip         bool // FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is set: no packet for an I/O done at once

	srcOff, dstOff int64
	end            int64 // srcOff + n
	eof            int64 // the end of the source, when found before end
	next           int64 // the next chunk to read

	bufSize int
	slots   []*ovSlot
	mem     *[]byte
	pending int            // I/Os whose packet is still to come
	ready   []ovCompletion // I/Os done at once, without a packet
	step    func(int64) error
}

var ovBufPool sync.Pool // *[]byte

func newOvCopier(src, dst windows.Handle, bufSize, depth int) (_ *ovCopier, err error) {
	c := &ovCopier{rs: windows.InvalidHandle, rd: windows.InvalidHandle, bufSize: bufSize}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	// FILE_SEQUENTIAL_ONLY: the cache manager reads ahead more, and
	// unmaps behind, as for FILE_FLAG_SEQUENTIAL_SCAN.
	if c.rs, err = reopenOverlapped(src, windows.FILE_READ_DATA, windows.FILE_SEQUENTIAL_ONLY); err != nil {
		return nil, err
	}
	if c.rd, err = reopenOverlapped(dst, windows.FILE_WRITE_DATA, 0); err != nil {
		return nil, err
	}
	if c.port, err = windows.CreateIoCompletionPort(c.rs, 0, 0, 1); err != nil {
		return nil, err
	}
	if _, err = windows.CreateIoCompletionPort(c.rd, c.port, 0, 0); err != nil {
		return nil, err
	}
	const modes = windows.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | windows.FILE_SKIP_SET_EVENT_ON_HANDLE
	c.skip = windows.SetFileCompletionNotificationModes(c.rs, modes) == nil &&
		windows.SetFileCompletionNotificationModes(c.rd, modes) == nil

	c.mem, _ = ovBufPool.Get().(*[]byte)
	if c.mem == nil || len(*c.mem) < bufSize*depth {
		b := make([]byte, bufSize*depth)
		c.mem = &b
	}
	c.slots = make([]*ovSlot, depth)
	for i := range c.slots {
		c.slots[i] = &ovSlot{buf: (*c.mem)[i*bufSize : (i+1)*bufSize : (i+1)*bufSize], off: -1}
	}
	return c, nil
}

// close is called only when no I/O is pending.
func (c *ovCopier) close() {
	for _, h := range []windows.Handle{c.port, c.rd, c.rs} {
		if h != 0 && h != windows.InvalidHandle {
			windows.CloseHandle(h)
		}
	}
	if c.mem != nil {
		ovBufPool.Put(c.mem)
		c.mem = nil
	}
}

// reopenOverlapped opens the file h refers to again, for overlapped I/O
// (NtCreateFile relative to h with an empty name, as ReOpenFile does,
// without FILE_SYNCHRONOUS_IO_*), sharing everything.
func reopenOverlapped(h windows.Handle, access, options uint32) (windows.Handle, error) {
	objName, err := windows.NewNTUnicodeString("")
	if err != nil {
		return windows.InvalidHandle, err
	}
	oa := windows.OBJECT_ATTRIBUTES{RootDirectory: h, ObjectName: objName}
	oa.Length = uint32(unsafe.Sizeof(oa))
	var nh windows.Handle
	var iosb windows.IO_STATUS_BLOCK
	err = windows.NtCreateFile(&nh, access|windows.FILE_READ_ATTRIBUTES|windows.SYNCHRONIZE, &oa, &iosb, nil, 0, shareAll,
		windows.FILE_OPEN, options|windows.FILE_NON_DIRECTORY_FILE|windows.FILE_OPEN_REPARSE_POINT, 0, 0)
	if err != nil {
		return windows.InvalidHandle, statusErr(err)
	}
	return nh, nil
}

func (c *ovCopier) run() (int64, error) {
	defer runtime.KeepAlive(c)
	for _, s := range c.slots {
		if c.next < c.end {
			c.read(s)
		}
	}
	var err error
	var prefix int64 // with err: the first chunk not copied
	for c.pending > 0 || len(c.ready) > 0 {
		cp := c.wait()
		if err != nil {
			cp.s.off = -1 // draining: the result no longer matters
			continue
		}
		if e := c.complete(cp); e != nil {
			err, prefix = e, c.firstIncomplete()
			// Stop every I/O under way on our handles, then wait for
			// their packets: the buffers are the system's until then.
			windows.CancelIoEx(c.rs, nil)
			windows.CancelIoEx(c.rd, nil)
		}
	}
	if err != nil {
		return prefix - c.srcOff, err
	}
	return min(c.end, c.eof) - c.srcOff, nil
}

// firstIncomplete returns the offset of the first chunk not wholly copied.
func (c *ovCopier) firstIncomplete() int64 {
	first := min(c.next, c.eof)
	for _, s := range c.slots {
		if s.off >= 0 {
			first = min(first, s.off)
		}
	}
	return first
}

// read starts reading the next chunk into s.
func (c *ovCopier) read(s *ovSlot) {
	s.off, s.n, s.done, s.writing = c.next, 0, 0, false
	want := min(int64(c.bufSize), c.end-c.next)
	c.next += want
	c.start(s, s.buf[:want], s.off)
}

// write starts writing the rest of s's chunk.
func (c *ovCopier) write(s *ovSlot) {
	s.writing = true
	c.start(s, s.buf[s.done:s.n], c.dstOff+(s.off-c.srcOff)+int64(s.done))
}

func (c *ovCopier) start(s *ovSlot, p []byte, off int64) {
	s.ov = windows.Overlapped{Offset: uint32(off), OffsetHigh: uint32(off >> 32)}
	var n uint32
	var err error
	if s.writing {
		err = windows.WriteFile(c.rd, p, &n, &s.ov)
	} else {
		err = windows.ReadFile(c.rs, p, &n, &s.ov)
	}
	switch {
	case err == windows.ERROR_IO_PENDING, err == nil && !c.skip:
		c.pending++ // a packet will come
	default:
		// Done already: a success with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
		// or a failure, for which no packet is queued.
		c.ready = append(c.ready, ovCompletion{s: s, n: n, err: err})
	}
}

// wait returns the next finished I/O.
func (c *ovCopier) wait() ovCompletion {
	if len(c.ready) > 0 {
		cp := c.ready[0]
		c.ready = c.ready[1:]
		return cp
	}
	for {
		var n uint32
		var key uintptr
		var ov *windows.Overlapped
		err := windows.GetQueuedCompletionStatus(c.port, &n, &key, &ov, windows.INFINITE)
		if ov == nil {
			// No packet was dequeued: the port itself failed, which only a
			// bad handle does. The I/Os under way may still write into the
			// buffers, so nothing can be given back: stop here.
			panic("extfs: GetQueuedCompletionStatus: " + err.Error())
		}
		for _, s := range c.slots {
			if &s.ov == ov {
				c.pending--
				return ovCompletion{s: s, n: n, err: err}
			}
		}
	}
}

// complete moves the chunk of a finished I/O on: written once read, read
// again (the next chunk) once written.
func (c *ovCopier) complete(cp ovCompletion) error {
	s := cp.s
	if !s.writing {
		if cp.err == windows.ERROR_HANDLE_EOF { // a read at or past the end of file
			cp.n, cp.err = 0, nil
		}
		if cp.err != nil {
			return os.NewSyscallError("ReadFile", cp.err)
		}
		if want := min(int64(c.bufSize), c.end-s.off); int64(cp.n) < want {
			c.eof = min(c.eof, s.off+int64(cp.n)) // a short read ends the source
		}
		if cp.n == 0 || s.off >= c.eof {
			s.off = -1 // past the end of the source
			return nil
		}
		s.n = int(min(int64(cp.n), c.eof-s.off))
		c.write(s)
		return nil
	}
	if cp.err != nil {
		return os.NewSyscallError("WriteFile", cp.err)
	}
	if cp.n == 0 {
		return os.NewSyscallError("WriteFile", io.ErrShortWrite)
	}
	s.done += int(cp.n)
	if s.done < s.n {
		c.write(s)
		return nil
	}
	n := int64(s.n)
	s.off = -1
	if c.step != nil {
		if err := c.step(n); err != nil {
			return err
		}
	}
	if c.next < min(c.end, c.eof) {
		c.read(s)
	}
	return nil
}
