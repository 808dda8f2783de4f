//go:build linux

package linux

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// preparer fills one zeroed SQE. Whatever the SQE points at must be reachable
// from the preparer itself: the ring keeps the preparer (through its request)
// in the in-flight map until the CQE is reaped, and the GC does not scan the
// mmap'd SQE array.
type preparer interface {
	prep(s *sqe)
}

// request is one SQE's worth of work. The reaper stores the CQE result in res
// and sends the request on done (nil: nobody waits, e.g. a cancel).
type request struct {
	src  preparer
	done chan *request
	id   uint64 // user_data: a sequence number, never a Go pointer
	res  int32
	live bool // submitted, CQE not yet received; owned by the waiter
}

var errRingClosed = errors.New("io_uring: ring closed")

// ring is an io_uring instance shared by any number of goroutines.
// Submitters serialize on mu; one reaper goroutine owns the CQ.
type ring struct {
	fd int

	sqMem, cqMem, sqeMem []byte
	single               bool // cqMem is sqMem (IORING_FEAT_SINGLE_MMAP)
	sqTail               *uint32
	sqMask               uint32
	sqEntries            uint32
	sqes                 []sqe
	cqHead, cqTail       *uint32
	cqMask               uint32
	cqes                 []cqe
	ops                  [256]bool // opcodes the kernel reported as supported

	// tokens bounds requests in flight to the CQ size, so the CQ can never
	// overflow (each request posts exactly one CQE). Send acquires, receive releases.
	tokens chan struct{}

	mu     sync.Mutex // guards the SQ tail, seq and closed
	seq    uint64
	closed bool

	cqMu sync.Mutex // held while draining the CQ (reaper or a submitter)

	imu      sync.Mutex // guards inflight
	inflight map[uint64]*request

	reaperDone chan struct{}
	submitted  atomic.Uint64 // SQEs written, for tests
}

// quitID is the user_data of the NOP Close uses to stop the reaper;
// sequence numbers start at 1.
const quitID = 0

// iowqMaxWorkers bounds the io-wq worker threads of each submitting task
// ({bounded, unbounded}; regular-file and path ops are "bounded"). io-wq is
// per submitting thread, so the process total is this times the number of
// threads that submitted. 0 leaves the kernel default (bounded: 4*CPUs).
// Measured (2 vCPU, Run of 256 on the ring): 1 per CPU is best — statx
// 1.0-1.2 ms at 1-2/CPU vs 1.5 ms at 4-8/CPU; fsetxattr 1.4 ms vs 2.0-3.6 ms;
// fallocate 7.2 ms vs 7.4-15 ms. More workers only contend for 2 CPUs.
var iowqMaxWorkers = func() [2]uint32 {
	n := uint32(runtime.NumCPU())
	return [2]uint32{n, n}
}()

// newRing sets up a ring with the given SQ size (clamped by the kernel).
func newRing(entries uint32) (*ring, error) {
	var p params
	p.flags = setupClamp
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil, e
	}
	r := &ring{fd: int(fd), inflight: make(map[uint64]*request), reaperDone: make(chan struct{})}
	if err := r.mmap(&p); err != nil {
		r.unmap()
		return nil, err
	}
	if err := r.probe(); err != nil {
		// Kernels before 5.6 have no probe; without it we cannot tell which
		// opcodes work, so treat the ring as unavailable.
		r.unmap()
		return nil, err
	}
	if iowqMaxWorkers != ([2]uint32{}) {
		// Best effort: EINVAL before 5.15 just leaves the default bound.
		w := iowqMaxWorkers
		unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerIOWQMaxWorkers, uintptr(unsafe.Pointer(&w)), 2, 0, 0)
	}
	r.tokens = make(chan struct{}, len(r.cqes))
	go r.reap()
	return r, nil
}

func (r *ring) mmap(p *params) error {
	const prot, flags = unix.PROT_READ | unix.PROT_WRITE, unix.MAP_SHARED | unix.MAP_POPULATE
	sqSize := int(p.sqOff.array + p.sqEntries*4)
	cqSize := int(p.cqOff.cqes + p.cqEntries*uint32(unsafe.Sizeof(cqe{})))
	single := p.features&featSingleMmap != 0
	r.single = single
	if single {
		sqSize = max(sqSize, cqSize)
	}
	var err error
	if r.sqMem, err = unix.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
		return err
	}
	r.cqMem = r.sqMem
	if !single {
		if r.cqMem, err = unix.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
			return err
		}
	}
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(sqe{})), prot, flags); err != nil {
		return err
	}
	u32 := func(b []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&b[off])) }
	r.sqTail = u32(r.sqMem, p.sqOff.tail)
	r.sqMask = *u32(r.sqMem, p.sqOff.ringMask)
	r.sqEntries = *u32(r.sqMem, p.sqOff.ringEntries)
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), r.sqEntries)
	// The SQ array indirects ring slots to SQEs; we always use slot i -> SQE i.
	array := unsafe.Slice(u32(r.sqMem, p.sqOff.array), r.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.cqHead = u32(r.cqMem, p.cqOff.head)
	r.cqTail = u32(r.cqMem, p.cqOff.tail)
	r.cqMask = *u32(r.cqMem, p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&r.cqMem[p.cqOff.cqes])), *u32(r.cqMem, p.cqOff.ringEntries))
	return nil
}

func (r *ring) probe() error {
	const n = 256
	buf := make([]byte, int(unsafe.Sizeof(probeHdr{}))+n*8)
	_, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerProbe, uintptr(unsafe.Pointer(&buf[0])), n, 0, 0)
	if e != 0 {
		return e
	}
	hdr := (*probeHdr)(unsafe.Pointer(&buf[0]))
	ops := buf[unsafe.Sizeof(probeHdr{}):]
	for i := 0; i < int(hdr.opsLen) && i < n; i++ {
		op := ops[i*8]
		flags := uint16(ops[i*8+2]) | uint16(ops[i*8+3])<<8
		if flags&probeOpSupported != 0 {
			r.ops[op] = true
		}
	}
	return nil
}

func (r *ring) unmap() {
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
	}
	if r.cqMem != nil && !r.single {
		unix.Munmap(r.cqMem)
	}
	if r.sqMem != nil {
		unix.Munmap(r.sqMem)
	}
	r.sqeMem, r.cqMem, r.sqMem = nil, nil, nil
	unix.Close(r.fd)
}

func (r *ring) supports(op uint8) bool { return r != nil && r.ops[op] }

func (r *ring) enter(toSubmit, minComplete, flags uint32) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// submit starts reqs, as many per io_uring_enter as tokens and the SQ allow.
// It blocks while the ring is full, until stop is closed. It returns how many
// of reqs were started (a prefix); the rest were not, and err says why.
func (r *ring) submit(reqs []*request, stop <-chan struct{}) (int, error) {
	started := 0
	for started < len(reqs) {
		want := min(len(reqs)-started, int(r.sqEntries))
		select {
		case <-stop: // checked first: select picks randomly among ready cases
			return started, errStopped
		default:
		}
		select {
		case r.tokens <- struct{}{}:
		case <-stop:
			return started, errStopped
		}
		k := 1
	more:
		for k < want {
			select {
			case r.tokens <- struct{}{}:
				k++
			default:
				break more
			}
		}
		n, err := r.push(reqs[started : started+k])
		started += n
		if err != nil {
			for ; n < k; n++ {
				<-r.tokens
			}
			return started, err
		}
	}
	return started, nil
}

var errStopped = errors.New("io_uring: submission stopped")

// push writes reqs into the SQ and hands them to the kernel. The caller holds
// one token per request. It returns how many the kernel consumed.
func (r *ring) push(reqs []*request) (int, error) {
	r.submitted.Add(uint64(len(reqs)))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errRingClosed
	}
	// The SQ is empty here: every push waits until the kernel consumed all it wrote.
	tail := atomic.LoadUint32(r.sqTail)
	r.imu.Lock()
	for i, rq := range reqs {
		r.seq++
		rq.id = r.seq
		rq.live = true
		r.inflight[rq.id] = rq // before the kernel can see it, so the reaper finds it
		s := &r.sqes[(tail+uint32(i))&r.sqMask]
		*s = sqe{} // stale fields from the slot's last op make the kernel reject this one (EINVAL)
		rq.src.prep(s)
		s.userData = rq.id
	}
	r.imu.Unlock()
	atomic.StoreUint32(r.sqTail, tail+uint32(len(reqs)))
	done := 0
	for done < len(reqs) {
		n, err := r.enter(uint32(len(reqs)-done), 0, 0)
		switch err {
		case nil:
			if n > 0 {
				done += n
				continue
			}
			// Nothing consumed and no error: let the kernel catch up.
			runtime.Gosched()
		case unix.EINTR: // a signal (Go's SIGURG preemption) arrived before the work
		case unix.EAGAIN, unix.EBUSY: // short of memory / CQ backlog: transient
			time.Sleep(50 * time.Microsecond)
		default:
			// The kernel took none of the rest: withdraw them, so that no later
			// enter submits SQEs whose owners were told they failed.
			atomic.StoreUint32(r.sqTail, tail+uint32(done))
			r.imu.Lock()
			for _, rq := range reqs[done:] {
				delete(r.inflight, rq.id)
				rq.live = false
			}
			r.imu.Unlock()
			return done, err
		}
	}
	// Under mu, so Close cannot unmap the CQ underneath.
	if r.cqMu.TryLock() {
		r.drain(false)
		r.cqMu.Unlock()
	}
	return done, nil
}

// reap waits for CQEs and delivers them, until Close's quit NOP.
func (r *ring) reap() {
	// This goroutine spends its life blocked in io_uring_enter; pin it so the
	// thread it parks is the only one it ever costs.
	runtime.LockOSThread()
	defer close(r.reaperDone)
	for {
		if atomic.LoadUint32(r.cqHead) == atomic.LoadUint32(r.cqTail) {
			// EINTR (SIGURG) and early returns with nothing reaped just loop.
			r.enter(0, 1, enterGetEvents)
			continue
		}
		r.cqMu.Lock()
		quit := r.drain(true)
		r.cqMu.Unlock()
		if quit {
			return
		}
	}
}

// drain delivers every CQE in the CQ; the caller holds cqMu. Submitters
// drain too, right after io_uring_enter: ops that completed inline (NOP,
// cached read/openat) are then delivered without waking the reaper's thread.
// Only the reaper consumes the quit CQE; it reports whether it saw it.
func (r *ring) drain(reaper bool) (quit bool) {
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail)
	for ; head != tail; head++ {
		c := r.cqes[head&r.cqMask]
		if c.userData == quitID {
			if !reaper {
				break
			}
			quit = true
			continue
		}
		r.imu.Lock()
		rq := r.inflight[c.userData]
		delete(r.inflight, c.userData)
		r.imu.Unlock()
		if rq == nil {
			continue
		}
		<-r.tokens
		rq.res = c.res
		if rq.done != nil {
			rq.done <- rq // buffered by the waiter for every request it has in flight
		}
	}
	atomic.StoreUint32(r.cqHead, head) // after reading the entries: the kernel may reuse the slots
	return quit
}

// do runs one preparer and returns its CQE result.
func (r *ring) do(src preparer) (int32, error) {
	rq := &request{src: src, done: make(chan *request, 1)}
	if _, err := r.submit([]*request{rq}, nil); err != nil {
		return 0, err
	}
	<-rq.done
	return rq.res, nil
}

// cancelOp asks the kernel to cancel the request whose user_data is target.
type cancelOp struct{ target uint64 }

func (c *cancelOp) prep(s *sqe) {
	s.opcode = OpAsyncCancel
	s.fd = -1
	s.addr = c.target // ASYNC_CANCEL matches on user_data, passed in addr
}

// cancel sends ASYNC_CANCEL for each live request. Nobody waits for these
// CQEs: the cancelled requests report their own outcome (-ECANCELED if they
// never ran, their real result if they were already running).
func (r *ring) cancel(reqs []*request) {
	var cs []*request
	for _, rq := range reqs {
		if rq.live {
			cs = append(cs, &request{src: &cancelOp{target: rq.id}})
		}
	}
	r.submit(cs, nil)
}

type nopOp struct{}

func (nopOp) prep(s *sqe) { s.opcode = OpNop }

// Close waits for every request in flight, stops the reaper and releases the
// ring. Later submits fail with errRingClosed.
func (r *ring) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	for range cap(r.tokens) { // every request in flight holds a token
		r.tokens <- struct{}{}
	}
	// Wake the reaper with a NOP it recognizes as "quit". The CQ is empty.
	r.mu.Lock()
	tail := atomic.LoadUint32(r.sqTail)
	s := &r.sqes[tail&r.sqMask]
	*s = sqe{}
	nopOp{}.prep(s)
	s.userData = quitID
	atomic.StoreUint32(r.sqTail, tail+1)
	for {
		if _, err := r.enter(1, 0, 0); err != unix.EINTR {
			break
		}
	}
	r.mu.Unlock()
	<-r.reaperDone
	r.unmap()
	for range cap(r.tokens) { // late submitters take one, find closed, give it back
		<-r.tokens
	}
	return nil
}
