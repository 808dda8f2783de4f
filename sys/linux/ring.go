//go:build linux

package linux

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// preparer fills one zeroed SQE. Whatever the SQE points at must be reachable
// from the preparer itself: the ring keeps the preparer (through its request)
// in its slot table until the CQE is reaped, and the GC does not scan the
// mmap'd SQE array.
type preparer interface {
	prep(s *sqe)
}

// request is one SQE's worth of work. Whoever reaps its CQE stores the
// result in res and sends the request on done (nil: nobody waits, e.g. a
// cancel).
type request struct {
	src   preparer
	done  chan *request
	id    uint64 // user_data: generation<<32 | slot, never a Go pointer
	res   int32
	live  bool // submitted, CQE not yet received; owned by the waiter
	async bool // not completed by its submit: counted in ring.pending (cqMu)
}

var errRingClosed = errors.New("io_uring: ring closed")

// ring is an io_uring instance shared by any number of goroutines.
//
// A goroutine submits its own SQEs: it writes them and calls io_uring_enter
// under sqMu, without waiting. Ops the kernel completes during the submit
// (a NOP, a cached read or open) have their CQEs in the ring when
// io_uring_enter returns; the submitter reaps them itself and returns
// without parking. Other completions come later, from io-wq workers or
// from task work; each one signals an eventfd registered with the ring,
// which a reaper goroutine reads through the runtime's network poller. So
// a waiting op costs a parked goroutine, never a thread, and one
// completion costs one wakeup: the poller's.
//
// The eventfd is switched off (IORING_CQ_EVENTFD_DISABLED) while no request
// is waiting for a later completion: signalling it wakes the thread in the
// poller, which cost a cached 4 KiB read on the ring twice its time.
//
// io-wq pools are per submitting thread; iowqMaxWorkers bounds each of
// them (the kernel applies a ring's limit to every thread that submits to
// it, also to those that start later).
type ring struct {
	fd  int
	efd *os.File // eventfd registered with the ring, read through the poller

	sqMem, cqMem, sqeMem []byte
	single               bool // cqMem is sqMem (IORING_FEAT_SINGLE_MMAP)
	sqHead, sqTail       *uint32
	sqMask               uint32
	sqEntries            uint32
	sqes                 []sqe
	cqHead, cqTail       *uint32
	cqMask               uint32
	cqes                 []cqe
	ops                  [256]bool // opcodes the kernel reported as supported

	// free holds the indices of unused slots. Taking one is the right to
	// submit a request; the CQ has a slot for each, so it can never
	// overflow. A request stays in slots[i] until its CQE is reaped.
	free  chan uint32
	slots []atomic.Pointer[request]
	// cancelFree holds the last cancelSlots slots, for ASYNC_CANCEL only: a
	// cancel must find a slot when every other one is held by a request
	// only a cancel can end (a read of an empty pipe, an open of a FIFO).
	cancelFree chan uint32
	sqFlags    *uint32 // the SQ ring's flags: IORING_SQ_CQ_OVERFLOW

	sqMu   sync.Mutex // guards the SQ, gens and closed
	gens   []uint32   // per slot, bumped on each use: a stale CQE cannot match
	closed bool

	cqMu    sync.Mutex // guards the CQ head, pending and dead: one reaper at a time
	dead    bool       // unmapped by Close
	pending int        // requests not completed by their submit, CQE not reaped
	cqFlags *uint32    // the CQ ring's flags (5.8+; nil before): IORING_CQ_EVENTFD_DISABLED

	reaperDone chan struct{}
	submitted  atomic.Uint64 // requests submitted, for tests
}

// iowqMaxWorkers bounds the io-wq worker threads of each submitting thread
// ({bounded, unbounded}; regular-file and path ops are "bounded").
// 0 leaves the kernel default (bounded: 4*CPUs per thread). The price of a
// small pool: ops that block indefinitely in the kernel (an open of a FIFO
// with no writer, a hung NFS server) each hold a worker, and stall the ops
// queued behind them until they return or are cancelled.
var iowqMaxWorkers = func() [2]uint32 {
	n := uint32(runtime.NumCPU())
	return [2]uint32{n, n}
}()

// cancelSlots is how many slots are kept for cancels.
const cancelSlots = 8

// refill puts every slot in its free list.
func (r *ring) refill() {
	n := uint32(len(r.slots))
	for i := range n - cancelSlots {
		r.free <- i
	}
	for i := n - cancelSlots; i < n; i++ {
		r.cancelFree <- i
	}
}

// release gives a slot back to its free list.
func (r *ring) release(slot uint32) {
	if slot >= uint32(len(r.slots))-cancelSlots {
		r.cancelFree <- slot
	} else {
		r.free <- slot
	}
}

// cqPerSQ sizes the CQ, and with it how many requests may be in flight,
// as a multiple of the SQ: a few hundred goroutines each waiting on one
// read must all fit, while one submission writes at most sqEntries SQEs.
const cqPerSQ = 16

// newRing sets up a ring with the given SQ size (clamped by the kernel).
func newRing(entries uint32) (*ring, error) {
	var p params
	p.flags = setupClamp | setupCQSize | setupSubmitAll
	p.cqEntries = entries * cqPerSQ
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if e == unix.EINVAL {
		// SUBMIT_ALL is 5.18+: without it the kernel stops a submission at
		// an SQE that fails to prepare (and posts its CQE); submitLocked
		// goes on with the rest.
		p = params{flags: setupClamp | setupCQSize, cqEntries: entries * cqPerSQ}
		fd, _, e = unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	}
	if e != 0 {
		return nil, e
	}
	r := &ring{fd: int(fd), reaperDone: make(chan struct{})}
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
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		r.unmap()
		return nil, err
	}
	// Every CQE signals it (not EVENTFD_ASYNC, which skips the completions
	// that task work posts: those of async buffered reads).
	arg := int32(efd)
	if _, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerEventfd, uintptr(unsafe.Pointer(&arg)), 1, 0, 0); e != 0 {
		unix.Close(efd)
		r.unmap()
		return nil, e
	}
	// Non-blocking, so os.NewFile puts it in the runtime's poller.
	r.efd = os.NewFile(uintptr(efd), "io_uring-eventfd")
	if iowqMaxWorkers != ([2]uint32{}) {
		// Best effort: EINVAL before 5.15 just leaves the default bound.
		w := iowqMaxWorkers
		unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerIOWQMaxWorkers, uintptr(unsafe.Pointer(&w)), 2, 0, 0)
	}
	n := uint32(len(r.cqes))
	r.free = make(chan uint32, n-cancelSlots)
	r.cancelFree = make(chan uint32, cancelSlots)
	r.slots = make([]atomic.Pointer[request], n)
	r.gens = make([]uint32, n)
	r.refill()
	go r.reapLoop()
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
	r.sqHead = u32(r.sqMem, p.sqOff.head)
	r.sqTail = u32(r.sqMem, p.sqOff.tail)
	r.sqMask = *u32(r.sqMem, p.sqOff.ringMask)
	r.sqEntries = *u32(r.sqMem, p.sqOff.ringEntries)
	r.sqFlags = u32(r.sqMem, p.sqOff.flags)
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
	if p.cqOff.flags != 0 && p.features&featMinTimeout != 0 {
		// The flag exists since 5.8; we rely on it only where the
		// completion path is known to order the CQ tail store before its
		// read of the flag (6.12+, told by a feature of that release; read
		// in the 6.18 source). Elsewhere the eventfd stays on: correct, and
		// a wakeup more per completion.
		r.cqFlags = u32(r.cqMem, p.cqOff.flags)
		atomic.OrUint32(r.cqFlags, cqEventfdDisabled) // nothing waits yet
	}
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

var errStopped = errors.New("io_uring: submission stopped")

// submit hands reqs to the kernel, as many at a time as free slots allow,
// and delivers whatever completed during the submission. It blocks while
// every slot is in use, until stop is closed. It returns how many of reqs
// were submitted (a prefix); the rest were not, and err says why.
func (r *ring) submit(reqs []*request, stop <-chan struct{}) (int, error) {
	return r.submitFrom(r.free, false, reqs, stop)
}

// submitFrom is submit taking slots from pool; force submits on a ring
// that Close has begun to close (its cancels).
func (r *ring) submitFrom(pool chan uint32, force bool, reqs []*request, stop <-chan struct{}) (int, error) {
	started := 0
	var buf [64]uint32
	for started < len(reqs) {
		select {
		case <-stop: // checked first: select picks randomly among ready cases
			return started, errStopped
		default:
		}
		var first uint32
		if stop == nil {
			first = <-pool
		} else {
			select {
			case first = <-pool:
			case <-stop:
				return started, errStopped
			}
		}
		ids := append(buf[:0], first)
	more:
		for started+len(ids) < len(reqs) && len(ids) < int(r.sqEntries) {
			select {
			case i := <-pool:
				ids = append(ids, i)
			default:
				break more
			}
		}
		k, err := r.submitLocked(reqs[started:started+len(ids)], ids, force)
		started += k
		for _, i := range ids[k:] {
			pool <- i
		}
		if k > 0 {
			r.settle(reqs[started-k : started])
		}
		if err != nil {
			return started, err
		}
	}
	return started, nil
}

// submitLocked writes one SQE per request, into the slots ids, and enters
// the kernel to submit them. It returns how many the kernel took (a
// prefix); the others are withdrawn from the SQ and their slots are the
// caller's to give back.
func (r *ring) submitLocked(reqs []*request, ids []uint32, force bool) (int, error) {
	r.sqMu.Lock()
	defer r.sqMu.Unlock()
	if r.closed && !force {
		return 0, errRingClosed
	}
	// The SQ is empty here: every submit waits until the kernel consumed
	// all it wrote, or withdraws the rest.
	tail := *r.sqTail
	n := uint32(len(reqs))
	for i, rq := range reqs {
		slot := ids[i]
		r.gens[slot]++
		rq.id = uint64(r.gens[slot])<<32 | uint64(slot)
		rq.live = true
		r.slots[slot].Store(rq)
		s := &r.sqes[(tail+uint32(i))&r.sqMask]
		*s = sqe{} // stale fields from the slot's last op make the kernel reject this one (EINVAL)
		rq.src.prep(s)
		s.userData = rq.id
	}
	atomic.StoreUint32(r.sqTail, tail+n)
	left := n
	for left > 0 {
		got, err := r.enter(left, 0, 0)
		switch err {
		case nil:
			left -= uint32(got)
			if got == 0 {
				runtime.Gosched() // nothing consumed and no error: let the kernel catch up
			}
			continue
		case unix.EINTR: // a signal before the work: nothing was consumed
			continue
		case unix.EAGAIN, unix.EBUSY: // short of memory / CQ backlog: transient
			time.Sleep(50 * time.Microsecond)
			continue
		}
		// The kernel takes none of the rest: withdraw them, so that no later
		// enter submits SQEs whose owners were told they failed.
		left = r.unconsumed(tail + n)
		atomic.StoreUint32(r.sqTail, tail+n-left)
		took := int(n - left)
		for i, rq := range reqs[took:] {
			r.slots[ids[took+i]].Store(nil)
			rq.live = false
		}
		r.submitted.Add(uint64(took))
		return took, err
	}
	r.submitted.Add(uint64(n))
	return int(n), nil
}

// unconsumed reports how many SQEs before tail the kernel has not taken.
func (r *ring) unconsumed(tail uint32) uint32 {
	return tail - atomic.LoadUint32(r.sqHead)
}

// settle delivers what completed during the submit of reqs, and counts
// the others as pending: while any is, the eventfd is on, so that their
// completions wake the reaper.
func (r *ring) settle(reqs []*request) {
	r.cqMu.Lock()
	defer r.cqMu.Unlock()
	r.reapLocked()
	n := 0
	for _, rq := range reqs {
		if r.slots[uint32(rq.id)].Load() == rq {
			rq.async = true
			n++
		}
	}
	if n == 0 {
		return
	}
	r.pending += n
	if r.pending == n && r.cqFlags != nil {
		// A CQE posted before the flag was cleared signalled nothing: reap
		// again after clearing it. The atomic store orders the flag before
		// our read of the CQ tail; the kernel orders its tail store before
		// its read of the flag (the full barrier of wq_has_sleeper in
		// io_cqring_wake, between io_commit_cqring and the eventfd signal),
		// so one side always sees the other. cqFlags is nil on kernels
		// older than that code.
		atomic.AndUint32(r.cqFlags, ^uint32(cqEventfdDisabled))
		r.reapLocked()
	}
}

// reapLoop waits on the eventfd through the runtime's poller and delivers
// completions, until Close closes the eventfd.
//
// It never reads the eventfd: the poller is edge-triggered, and every CQE
// the kernel signals is a new edge whatever the counter holds. Reading it
// would be a system call per wakeup for nothing (the counter cannot
// overflow: the kernel saturates it).
func (r *ring) reapLoop() {
	defer close(r.reaperDone)
	rc, err := r.efd.SyscallConn()
	if err != nil {
		return
	}
	// Read calls the function, and each time it returns false waits until
	// the eventfd is readable again; it returns once Close closed the file.
	rc.Read(func(uintptr) bool {
		r.cqMu.Lock()
		r.reapLocked()
		r.cqMu.Unlock()
		return false
	})
}

// reapLocked delivers every CQE in the CQ. The caller holds cqMu.
func (r *ring) reapLocked() {
	if r.dead {
		return
	}
	for {
		head := atomic.LoadUint32(r.cqHead)
		tail := atomic.LoadUint32(r.cqTail)
		for ; head != tail; head++ {
			c := r.cqes[head&r.cqMask]
			// Give the CQ entry back before the slot: a slot freed first can
			// be submitted again at once, and its CQE must find room, or the
			// kernel parks it (and every later one) on its overflow list.
			atomic.StoreUint32(r.cqHead, head+1)
			slot := uint32(c.userData)
			if slot >= uint32(len(r.slots)) {
				continue
			}
			rq := r.slots[slot].Load()
			if rq == nil || rq.id != c.userData {
				continue // not ours (cannot happen: every SQE has a slot)
			}
			r.slots[slot].Store(nil)
			rq.res = c.res
			if rq.async {
				rq.async = false // a request may be submitted again (another round)
				r.pending--
				if r.pending == 0 && r.cqFlags != nil {
					atomic.OrUint32(r.cqFlags, cqEventfdDisabled)
				}
			}
			r.release(slot)
			if rq.done != nil {
				rq.done <- rq // buffered by the waiter for every request it has in flight
			}
		}
		// Requests in flight never outnumber the CQ's entries, so it cannot
		// overflow; should it ever, the kernel keeps the CQEs and says so
		// here, and an enter with GETEVENTS moves them into the ring.
		if atomic.LoadUint32(r.sqFlags)&sqCQOverflow == 0 {
			return
		}
		r.enter(0, 0, enterGetEvents)
	}
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
	r.submitFrom(r.cancelFree, false, cs, nil)
}

type nopOp struct{}

func (nopOp) prep(s *sqe) { s.opcode = OpNop }

// Close waits for every request in flight, stops the reaper and releases
// the ring. Later submits fail with errRingClosed.
func (r *ring) Close() error {
	r.sqMu.Lock()
	if r.closed {
		r.sqMu.Unlock()
		return nil
	}
	r.closed = true
	r.sqMu.Unlock()
	// Cancel what is still in the kernel: a read of an empty pipe would
	// otherwise keep Close waiting for ever. Each request then completes
	// with its true result or -ECANCELED, and its waiter redoes it directly.
	var cs []*request
	for i := range r.slots {
		if rq := r.slots[i].Load(); rq != nil && uint32(i) < uint32(len(r.slots))-cancelSlots {
			cs = append(cs, &request{src: &cancelOp{target: rq.id}})
		}
	}
	r.submitFrom(r.cancelFree, true, cs, nil)
	for range cap(r.free) { // every request in flight holds a slot
		<-r.free
	}
	for range cap(r.cancelFree) {
		<-r.cancelFree
	}
	r.efd.Close() // the reaper's Read fails: it exits
	<-r.reaperDone
	r.cqMu.Lock() // a submitter may still be in settle
	r.dead = true
	r.unmap()
	r.cqMu.Unlock()
	r.refill() // late submitters take a slot, find the ring closed, give it back
	return nil
}
