//go:build windows

package windows

// The reads and writes of a batch as overlapped I/O on one I/O completion
// port: each file opened again once, for overlapped I/O; up to ioDepth
// transfers in flight; one goroutine starting them and dequeuing their
// completions.

import (
	"context"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// An IO is one read or write of a batch: all of Buf, at Off in File. N and
// Err are its result.
type IO struct {
	File  windows.Handle // the file, as package os opened it (for synchronous I/O)
	Buf   []byte
	Off   int64
	Write bool

	// N is the number of bytes transferred: len(Buf), or fewer for a read
	// that reached the end of file (Err nil then) or an IO that failed.
	N int
	// Err is the Win32 error that stopped the IO, or the context's error
	// for an IO the context stopped before it was done, whatever part of it
	// was transferred.
	Err error
	// OnPort is set by RunIO for an IO the completion port ran; the others
	// are the caller's to run.
	OnPort bool
}

const (
	// ioDepth bounds the transfers in flight, as fio's iodepth does: a
	// large batch does not queue thousands of IRPs at once.
	ioDepth = 64
	// maxTransfer is the most one ReadFile or WriteFile is asked to move
	// (they take a DWORD); package os uses the same bound.
	maxTransfer = 1 << 30
	// keyCancel is the completion key of the packet that says the context
	// is done; the transfers' packets have key 0.
	keyCancel = 1
)

var (
	procGetQueuedCompletionStatusEx = kernel32.NewProc("GetQueuedCompletionStatusEx")

	// reopenForIO opens a file again for overlapped I/O; tests make it fail.
	reopenForIO = reopenOverlapped
)

// overlappedEntry is OVERLAPPED_ENTRY. The OVERLAPPED pointer is kept as a
// number: the system writes it, and it only serves to find the transfer.
type overlappedEntry struct {
	Key        uintptr
	Overlapped uintptr
	Internal   uintptr
	Qty        uint32
}

// ioOp is the state of one IO. The system writes ov from ReadFile or
// WriteFile until the completion packet is dequeued, and the buffer until
// then: both are reachable from the IOBatch, on the heap, all along.
type ioOp struct {
	ov       windows.Overlapped
	io       *IO
	h        windows.Handle // the handle opened for overlapped I/O
	done     int            // bytes transferred so far
	inFlight bool           // a packet is to come for the transfer under way
}

// An IOBatch runs IOs on one I/O completion port of its own. Make it with
// NewIOBatch; Run runs it once.
type IOBatch struct {
	port    windows.Handle
	handles []windows.Handle // opened for overlapped I/O, closed after Run
	ops     []ioOp

	mu     sync.Mutex // the port against the context's wake-up
	closed bool
}

// NewIOBatchCall is NewIOBatch as RunIO calls it; tests replace it, to
// see it called or to make every request fall back.
var NewIOBatchCall = NewIOBatch

// RunIO runs the IOs of ops on a completion port and, at the same time, on
// the calling goroutine, rest with the indexes of the others: the nil
// entries (the caller's other operations) and the IOs the port refused
// (OnPort false; see NewIOBatch), which rest is to run.
func RunIO(ctx context.Context, ops []*IO, rest func(others []int)) {
	var reqs []*IO
	var others []int
	for i, r := range ops {
		if r == nil {
			others = append(others, i)
		} else {
			r.OnPort = false
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		rest(others)
		return
	}
	b, refused := NewIOBatchCall(reqs)
	if b != nil {
		for _, r := range reqs {
			r.OnPort = true
		}
		for _, i := range refused {
			reqs[i].OnPort = false
		}
	}
	for i, r := range ops {
		if r != nil && !r.OnPort {
			others = append(others, i)
		}
	}
	if b == nil {
		rest(others)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { b.Run(ctx) })
	rest(others)
	wg.Wait()
}

// NewIOBatch prepares reqs to run as overlapped I/O: it opens each distinct
// file again once, for overlapped I/O with the rights the requests need
// (FILE_READ_DATA, FILE_WRITE_DATA), and associates the new handles with a
// completion port. It returns the batch (nil when it runs none of reqs)
// and, by index, the requests it will not run: those of a file that is not
// a disk file, whose handle lacks the right the request needs (the request
// is to fail as package os makes it fail), or that cannot be opened again
// (a sharing violation, a file whose deletion is pending). The caller runs
// those through the original handle.
//
// The caller must keep each IO's File open until Run returns.
func NewIOBatch(reqs []*IO) (*IOBatch, []int) {
	if len(reqs) == 0 {
		return nil, nil
	}
	all := func() []int {
		rest := make([]int, len(reqs))
		for i := range rest {
			rest[i] = i
		}
		return rest
	}
	port, err := windows.CreateIoCompletionPort(windows.InvalidHandle, 0, 0, 1)
	if err != nil {
		return nil, all()
	}
	b := &IOBatch{port: port}

	type file struct {
		need    uint32         // the rights the requests ask for
		h       windows.Handle // opened again, or 0
		granted uint32         // the rights of h
	}
	files := make(map[windows.Handle]*file)
	order := make([]windows.Handle, 0, 1)
	for _, r := range reqs {
		f := files[r.File]
		if f == nil {
			f = &file{}
			files[r.File] = f
			order = append(order, r.File)
		}
		f.need |= ioRight(r.Write)
	}
	for _, orig := range order {
		f := files[orig]
		f.h, f.granted = b.open(orig, f.need)
	}

	b.ops = make([]ioOp, 0, len(reqs))
	var rest []int
	for i, r := range reqs {
		f := files[r.File]
		if f.h == 0 || f.granted&ioRight(r.Write) == 0 {
			rest = append(rest, i)
			continue
		}
		b.ops = append(b.ops, ioOp{io: r, h: f.h})
	}
	if len(b.ops) == 0 {
		b.close()
		return nil, all()
	}
	return b, rest
}

func ioRight(write bool) uint32 {
	if write {
		return windows.FILE_WRITE_DATA
	}
	return windows.FILE_READ_DATA
}

// open opens orig again for overlapped I/O with the rights of need that
// orig has, and the caching options it has, and associates the new handle
// with the port. It returns 0 when it cannot.
func (b *IOBatch) open(orig windows.Handle, need uint32) (windows.Handle, uint32) {
	if t, err := windows.GetFileType(orig); err != nil || t != windows.FILE_TYPE_DISK {
		return 0, 0 // a pipe or a console: no offsets; package os says so
	}
	granted, err := AccessMask(orig)
	if err != nil {
		return 0, 0
	}
	access := need & granted
	if access == 0 {
		return 0, 0
	}
	// The new handle caches as the original does: a write-through or
	// unbuffered file stays so (the options FileModeInformation reports).
	var mode, options uint32
	if queryInfo(orig, classMode, unsafe.Pointer(&mode), unsafe.Sizeof(mode)) == nil {
		options = mode & (windows.FILE_WRITE_THROUGH | windows.FILE_NO_INTERMEDIATE_BUFFERING | windows.FILE_SEQUENTIAL_ONLY)
	}
	h, err := reopenForIO(orig, access, options)
	if err != nil {
		return 0, 0
	}
	if _, err := windows.CreateIoCompletionPort(h, b.port, 0, 0); err != nil {
		windows.CloseHandle(h)
		return 0, 0
	}
	b.handles = append(b.handles, h)
	return h, access
}

// close is called when no transfer is in flight.
func (b *IOBatch) close() {
	b.mu.Lock()
	b.closed = true
	windows.CloseHandle(b.port)
	b.mu.Unlock()
	for _, h := range b.handles {
		windows.CloseHandle(h)
	}
	b.handles = nil
}

// wake tells Run that the context is done.
func (b *IOBatch) wake() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		windows.PostQueuedCompletionStatus(b.port, 0, keyCancel, nil)
	}
}

// Run runs the batch's IOs and returns when every one is done and the
// system has given back every buffer; it fills in their N and Err and
// closes what NewIOBatch opened.
//
// When ctx is done, Run starts nothing more, cancels the transfers in flight
// (CancelIoEx), and still waits for all their completions. An IO that had
// not started, that was cancelled or that was not yet whole has ctx.Err()
// for error; one that completed has its own result.
//
// Every transfer started gets a completion packet, even one done at once
// (the handles are not set to FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), except
// a transfer that fails at once: that one is done when ReadFile returns,
// and a packet that came for it all the same would be dropped. (Wine 8
// answers ERROR_IO_PENDING to every transfer on these handles, reads at the
// end of file included, and reports the end of file in the packet.)
func (b *IOBatch) Run(ctx context.Context) {
	defer b.close()
	if err := ctx.Err(); err != nil {
		for i := range b.ops {
			b.ops[i].io.Err = err
		}
		return
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, b.wake)
		defer stop() // before close; wake checks closed against a late call
	}
	var (
		stopErr  error // ctx.Err(), once its packet came
		next     int   // the next IO to start
		inFlight int
		entries  = make([]overlappedEntry, min(len(b.ops), ioDepth)+1)
	)
	for {
		for stopErr == nil && next < len(b.ops) && inFlight < ioDepth {
			if b.start(&b.ops[next], nil) {
				inFlight++
			}
			next++
		}
		if inFlight == 0 {
			break
		}
		n, err := getQueued(b.port, entries[:min(inFlight+1, len(entries))])
		if err != nil {
			// Only a bad port fails a wait without a time limit. The
			// transfers in flight may still write into the buffers, which
			// then cannot be given back: stop here.
			panic("extfs: GetQueuedCompletionStatusEx: " + err.Error())
		}
		for _, e := range entries[:n] {
			if e.Key == keyCancel {
				if stopErr == nil {
					stopErr = ctx.Err()
					for _, h := range b.handles {
						windows.CancelIoEx(h, nil) // ERROR_NOT_FOUND: nothing in flight there
					}
				}
				continue
			}
			o := b.opOf(e.Overlapped)
			if o == nil || !o.inFlight {
				continue // not ours, or for a transfer that failed at once
			}
			o.inFlight = false
			inFlight--
			var err error
			if s := windows.NTStatus(o.ov.Internal); s != windows.STATUS_SUCCESS {
				err = s.Errno()
			}
			if b.advance(o, e.Qty, err, stopErr) {
				inFlight++
			}
		}
	}
	for i := next; i < len(b.ops); i++ {
		b.ops[i].io.Err = stopErr // not started
	}
	runtime.KeepAlive(b)
}

// opOf returns the op whose OVERLAPPED is at ov, or nil.
func (b *IOBatch) opOf(ov uintptr) *ioOp {
	base := uintptr(unsafe.Pointer(&b.ops[0].ov))
	size := unsafe.Sizeof(b.ops[0])
	if ov < base || (ov-base)%size != 0 || (ov-base)/size >= uintptr(len(b.ops)) {
		return nil
	}
	return &b.ops[(ov-base)/size]
}

// start starts the next transfer of o, of the part of its buffer not yet
// transferred, and reports whether a packet is to come for it. A transfer
// that fails at once is done here.
func (b *IOBatch) start(o *ioOp, stopErr error) bool {
	p := o.io.Buf[o.done:]
	if len(p) == 0 {
		return b.advance(o, 0, nil, stopErr) // nothing to move: no system call
	}
	if len(p) > maxTransfer {
		p = p[:maxTransfer]
	}
	off := o.io.Off + int64(o.done)
	o.ov = windows.Overlapped{Offset: uint32(off), OffsetHigh: uint32(off >> 32)}
	var n uint32 // written by the call only, and not used: the packet has the count
	var err error
	if o.io.Write {
		err = windows.WriteFile(o.h, p, &n, &o.ov)
	} else {
		err = windows.ReadFile(o.h, p, &n, &o.ov)
	}
	if err == nil || err == windows.ERROR_IO_PENDING {
		o.inFlight = true
		return true
	}
	return b.advance(o, 0, err, stopErr)
}

// advance takes the result of o's transfer (n bytes, err) and either
// finishes o or starts the rest of it, reporting whether a packet is to
// come.
func (b *IOBatch) advance(o *ioOp, n uint32, err, stopErr error) bool {
	if err == windows.ERROR_HANDLE_EOF && !o.io.Write {
		err = nil // a read at or past the end of file: a short read
	}
	o.done += int(n)
	finish := func(err error) bool {
		o.io.N, o.io.Err = o.done, err
		return false
	}
	switch {
	case err == windows.ERROR_OPERATION_ABORTED && stopErr != nil:
		return finish(stopErr)
	case err != nil:
		return finish(err)
	case o.done == len(o.io.Buf):
		return finish(nil)
	case n == 0:
		// The end of file for a read; for a write, the caller sees the
		// short count.
		return finish(nil)
	case stopErr != nil:
		return finish(stopErr) // part of it only: not a result
	}
	return b.start(o, stopErr)
}

// getQueued dequeues up to len(entries) packets, waiting for one.
func getQueued(port windows.Handle, entries []overlappedEntry) (int, error) {
	var n uint32
	r, _, e := syscall.SyscallN(procGetQueuedCompletionStatusEx.Addr(), uintptr(port),
		uintptr(unsafe.Pointer(&entries[0])), uintptr(len(entries)), uintptr(unsafe.Pointer(&n)),
		uintptr(windows.INFINITE), 0)
	if r == 0 {
		return 0, e
	}
	return int(n), nil
}
