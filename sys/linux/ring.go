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
//
// Only the reaper's thread ever calls io_uring_enter to submit: submitters
// queue their requests and wake it. io_uring gives each task (thread) that
// submits its own io-wq worker pool, and Go runs a goroutine on whatever
// thread is free, so when every goroutine submitted for itself the pools
// multiplied: BenchmarkThreads10k (10,000 goroutines, fallocate+fsync, XFS)
// peaked at 25 iou-wrk threads and 40 threads in all. One submitting thread
// means one pool, bounded by iowqMaxWorkers.
type ring struct {
	fd  int
	efd int // eventfd the reaper polls on the ring: a write wakes it

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

	// tokens bounds requests queued or in flight, so the CQ can never
	// overflow: each request posts exactly one CQE, and one CQ slot is kept
	// for the reaper's wakeup poll. Send acquires, receive releases.
	tokens chan struct{}

	qmu    sync.Mutex // guards the fields below
	queue  []*request // waiting for the reaper to submit them
	asleep bool       // the reaper may be waiting in io_uring_enter: write efd
	seq    uint64
	closed bool // no new requests
	quit   bool // Close has drained everything: the reaper exits

	imu      sync.Mutex // guards inflight
	inflight map[uint64]*request

	reaperDone chan struct{}
	submitted  atomic.Uint64 // requests queued, for tests
}

// wakeID is the user_data of the reaper's poll on efd; sequence numbers
// start at 1.
const wakeID = 0

// iowqMaxWorkers bounds the io-wq worker threads of the ring
// ({bounded, unbounded}; regular-file and path ops are "bounded"). io-wq is
// per submitting thread; only the reaper's thread submits, so this is also
// the process total. 0 leaves the kernel default (bounded: 4*CPUs).
// Measured (2 vCPU, Run of 256 on the ring): 1 per CPU is best — statx
// 1.0-1.2 ms at 1-2/CPU vs 1.5 ms at 4-8/CPU; fsetxattr 1.4 ms vs 2.0-3.6 ms;
// fallocate 7.2 ms vs 7.4-15 ms. More workers only contend for 2 CPUs.
//
// The price of one small pool: ops that block indefinitely in the kernel (an
// open of a FIFO with no writer, a hung NFS server) each hold a worker, and
// NumCPU of them stall every ring op in the process behind them until they
// return or are cancelled.
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
	r := &ring{fd: int(fd), efd: -1, inflight: make(map[uint64]*request), reaperDone: make(chan struct{})}
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
	if !r.ops[opPollAdd] { // 5.1+, so present wherever the probe is; checked anyway
		r.unmap()
		return nil, unix.EOPNOTSUPP
	}
	var err error
	if r.efd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		r.unmap()
		return nil, err
	}
	if iowqMaxWorkers != ([2]uint32{}) {
		// Best effort: EINVAL before 5.15 just leaves the default bound.
		w := iowqMaxWorkers
		unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerIOWQMaxWorkers, uintptr(unsafe.Pointer(&w)), 2, 0, 0)
	}
	r.tokens = make(chan struct{}, len(r.cqes)-1) // one CQE slot for the wakeup poll
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
	r.sqHead = u32(r.sqMem, p.sqOff.head)
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
	if r.efd >= 0 {
		unix.Close(r.efd)
	}
}

func (r *ring) supports(op uint8) bool { return r != nil && r.ops[op] }

func (r *ring) enter(toSubmit, minComplete, flags uint32) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// submit queues reqs for the reaper to start, as many at a time as tokens
// allow. It blocks while the ring is full, until stop is closed. It returns
// how many of reqs were queued (a prefix); the rest were not, and err says why.
func (r *ring) submit(reqs []*request, stop <-chan struct{}) (int, error) {
	started := 0
	for started < len(reqs) {
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
		for started+k < len(reqs) {
			select {
			case r.tokens <- struct{}{}:
				k++
			default:
				break more
			}
		}
		if err := r.enqueue(reqs[started : started+k]); err != nil {
			for range k {
				<-r.tokens
			}
			return started, err
		}
		started += k
	}
	return started, nil
}

var errStopped = errors.New("io_uring: submission stopped")

// eventfdOne is what a wake writes: eventfd adds it to its counter.
var eventfdOne = [8]byte{1}

// enqueue hands reqs to the reaper. The caller holds one token per request.
func (r *ring) enqueue(reqs []*request) error {
	r.submitted.Add(uint64(len(reqs)))
	r.qmu.Lock()
	if r.closed {
		r.qmu.Unlock()
		return errRingClosed
	}
	// Numbered and registered here, not by the reaper: the caller may cancel
	// them (which reads id and live) as soon as this returns.
	r.imu.Lock()
	for _, rq := range reqs {
		r.seq++
		rq.id = r.seq
		rq.live = true
		r.inflight[rq.id] = rq
	}
	r.imu.Unlock()
	r.queue = append(r.queue, reqs...)
	wake := r.asleep
	r.asleep = false // one write per reaper round is enough
	r.qmu.Unlock()
	if wake {
		r.wake()
	}
	return nil
}

// wake makes the reaper's io_uring_enter return. The eventfd is
// non-blocking and its counter cannot realistically fill (2^64-2), so this
// never blocks.
func (r *ring) wake() {
	unix.Write(r.efd, eventfdOne[:])
}

// reap is the ring's only submitter and its only CQ reader: it delivers
// CQEs, submits what was queued, and waits in io_uring_enter until a CQE
// arrives or a submitter wakes it through efd. It runs until Close.
func (r *ring) reap() {
	// This goroutine spends its life in io_uring_enter, and io-wq pools are
	// per thread: pin it, so one thread submits everything and waits.
	runtime.LockOSThread()
	defer close(r.reaperDone)
	armed := false // the poll on efd is in the kernel
	var batch, sent []*request
	for {
		if r.drain() {
			armed = false
		}
		r.qmu.Lock()
		if r.quit {
			r.qmu.Unlock()
			return
		}
		batch, r.queue = r.queue, batch[:0]
		// From here on a new request may find us in io_uring_enter.
		r.asleep = true
		r.qmu.Unlock()
		sent = r.issue(batch, &armed, sent)
		clear(batch) // no stale references keep finished ops alive
	}
}

// issue writes an SQE for each request in batch, and one for the wakeup
// poll unless it is armed, hands them to the kernel and waits for at least
// one CQE. sent is scratch space, returned cleared for reuse.
func (r *ring) issue(batch []*request, armed *bool, sent []*request) []*request {
	for {
		// The SQ is empty here: every round waits until the kernel consumed
		// all it wrote.
		tail := atomic.LoadUint32(r.sqTail)
		sent = sent[:0]
		n := uint32(0)
		if !*armed {
			s := &r.sqes[tail&r.sqMask]
			*s = sqe{}
			s.opcode = opPollAdd
			s.fd = int32(r.efd)
			s.opFlags = unix.POLLIN // poll32_events
			s.userData = wakeID
			sent = append(sent, nil)
			n++
			*armed = true
		}
		for len(batch) > 0 && n < r.sqEntries {
			rq := batch[0]
			batch = batch[1:]
			s := &r.sqes[(tail+n)&r.sqMask]
			*s = sqe{} // stale fields from the slot's last op make the kernel reject this one (EINVAL)
			rq.src.prep(s)
			s.userData = rq.id
			sent = append(sent, rq)
			n++
		}
		atomic.StoreUint32(r.sqTail, tail+n)
		last := len(batch) == 0
		if err := r.enter1(n, last); err != nil {
			// The kernel took none of the rest: withdraw them, so that no later
			// enter submits SQEs whose owners were told they failed.
			left := sent[len(sent)-int(r.unconsumed(tail+n)):]
			atomic.StoreUint32(r.sqTail, tail+n-uint32(len(left)))
			left = append(left, batch...)
			for _, rq := range left {
				if rq == nil {
					*armed = false
					continue
				}
				r.complete(rq, -int32(unix.ECANCELED)) // interrupted: the caller redoes it directly
			}
			if last {
				// Do not spin on a ring that keeps failing.
				time.Sleep(time.Millisecond)
			}
			clear(sent)
			return sent[:0]
		}
		if last {
			clear(sent)
			return sent[:0]
		}
	}
}

// unconsumed reports how many SQEs before tail the kernel has not taken.
func (r *ring) unconsumed(tail uint32) uint32 {
	return tail - atomic.LoadUint32(r.sqHead)
}

// enter1 submits the n SQEs just written and, if wait, waits for a CQE (or
// a signal: the caller's loop checks again). It returns an error only if the
// kernel refuses the SQEs.
func (r *ring) enter1(n uint32, wait bool) error {
	for {
		var minComplete, flags uint32
		if wait {
			minComplete, flags = 1, enterGetEvents
		}
		got, err := r.enter(n, minComplete, flags)
		switch err {
		case nil:
			n -= uint32(got)
			if n == 0 {
				return nil
			}
			if got == 0 {
				// Nothing consumed and no error: let the kernel catch up.
				runtime.Gosched()
			}
		case unix.EINTR: // a signal (Go's SIGURG preemption) arrived before the work
			if n == 0 {
				return nil
			}
		case unix.EAGAIN, unix.EBUSY: // short of memory / CQ backlog: transient
			time.Sleep(50 * time.Microsecond)
		default:
			return err
		}
	}
}

// drain delivers every CQE in the CQ; only the reaper calls it. It reports
// whether the wakeup poll completed (it must be armed again).
func (r *ring) drain() (woken bool) {
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail)
	for ; head != tail; head++ {
		c := r.cqes[head&r.cqMask]
		if c.userData == wakeID {
			// Reset the counter, or the next poll completes at once.
			var buf [8]byte
			unix.Read(r.efd, buf[:])
			woken = true
			continue
		}
		r.imu.Lock()
		rq := r.inflight[c.userData]
		r.imu.Unlock()
		if rq != nil {
			r.complete(rq, c.res)
		}
	}
	atomic.StoreUint32(r.cqHead, head) // after reading the entries: the kernel may reuse the slots
	return woken
}

// complete delivers a request's result and releases its token.
func (r *ring) complete(rq *request, res int32) {
	r.imu.Lock()
	delete(r.inflight, rq.id)
	r.imu.Unlock()
	<-r.tokens
	rq.res = res
	if rq.done != nil {
		rq.done <- rq // buffered by the waiter for every request it has in flight
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
// never ran, their real result if they were already running). A request
// still in the queue reaches the kernel before its cancel: the reaper
// submits in queue order.
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

// Close waits for every request queued or in flight, stops the reaper and
// releases the ring. Later submits fail with errRingClosed.
func (r *ring) Close() error {
	r.qmu.Lock()
	if r.closed {
		r.qmu.Unlock()
		return nil
	}
	r.closed = true
	r.qmu.Unlock()
	for range cap(r.tokens) { // every request queued or in flight holds a token
		r.tokens <- struct{}{}
	}
	r.qmu.Lock()
	r.quit = true
	r.qmu.Unlock()
	r.wake()
	<-r.reaperDone
	// The poll on efd is still armed; closing the ring cancels it.
	r.unmap()
	for range cap(r.tokens) { // late submitters take one, find closed, give it back
		<-r.tokens
	}
	return nil
}
