//go:build linux

package linux

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Engine selects how operations reach the kernel.
type Engine int

const (
	// EngineAuto uses direct syscalls, and the ring where measurement says it
	// wins: batches of ops that complete inline, and any ring-capable op while
	// many goroutines are already blocked in this package's syscalls.
	EngineAuto Engine = iota
	// EngineRing uses the io_uring ring for every op it supports.
	EngineRing
	// EngineSyscall uses direct syscalls only; the ring is never set up.
	EngineSyscall
)

func (e Engine) String() string {
	switch e {
	case EngineAuto:
		return "auto"
	case EngineRing:
		return "ring"
	case EngineSyscall:
		return "syscall"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// ParseEngine parses "", "auto", "ring" or "syscall".
func ParseEngine(s string) (Engine, error) {
	switch s {
	case "", "auto":
		return EngineAuto, nil
	case "ring":
		return EngineRing, nil
	case "syscall":
		return EngineSyscall, nil
	}
	return EngineAuto, fmt.Errorf("extfs: invalid engine %q (want auto, ring or syscall)", s)
}

var (
	engine    atomic.Int32
	engineEnv error
)

func init() {
	e, err := ParseEngine(os.Getenv("EXTFS_ENGINE"))
	if err != nil {
		engineEnv = fmt.Errorf("EXTFS_ENGINE: %w", err)
	}
	engine.Store(int32(e))
}

// SetEngine sets the process-wide engine and returns the previous one.
// An unknown value is treated as EngineAuto.
func SetEngine(e Engine) (prev Engine) {
	if e < EngineAuto || e > EngineSyscall {
		e = EngineAuto
	}
	prev = Engine(engine.Swap(int32(e)))
	if prev == EngineRing && getRing() == nil {
		prev = EngineAuto // what ran (CurrentEngine)
	}
	return prev
}

// CurrentEngine returns the process-wide engine: the one that runs. A ring
// that was asked for (EXTFS_ENGINE=ring) but cannot be set up is reported
// as EngineAuto, which is what then runs: direct system calls.
func CurrentEngine() Engine {
	e := Engine(engine.Load())
	if e == EngineRing && getRing() == nil {
		return EngineAuto
	}
	return e
}

// EngineEnvError reports an invalid EXTFS_ENGINE value, or "ring" where
// io_uring cannot be set up (the engine is then auto).
func EngineEnvError() error {
	if engineEnv == nil && Engine(engine.Load()) == EngineRing && os.Getenv("EXTFS_ENGINE") == "ring" && getRing() == nil {
		return fmt.Errorf("EXTFS_ENGINE=ring: io_uring is unavailable here; using auto")
	}
	return engineEnv
}

// ringEntries is the SQ size of the shared ring; the CQ is twice that, and
// the CQ size bounds the requests in flight.
var ringEntries uint32 = 256

var sharedRing = sync.OnceValue(func() *ring {
	r, err := newRing(ringEntries)
	if err != nil {
		// ENOSYS (no io_uring), EPERM (io_uring_disabled=2, seccomp), ENOMEM:
		// every op keeps working through direct syscalls.
		return nil
	}
	return r
})

// ringOff is a test hook: true pretends the ring cannot be set up.
var ringOff atomic.Bool

// getRing returns the shared ring, or nil when there is none.
func getRing() *ring {
	if ringOff.Load() {
		return nil
	}
	return sharedRing()
}

// RingAvailable reports whether the shared io_uring ring could be set up
// (tried once, on first use).
func RingAvailable() bool { return getRing() != nil }

// RingSupports reports whether the ring supports opcode (IORING_REGISTER_PROBE).
func RingSupports(opcode uint8) bool { return getRing().supports(opcode) }

// RingOp describes one operation of this package that has an io_uring opcode.
type RingOp struct {
	Name      string // the system call it stands for: "openat", "statx", "pread"
	Opcode    uint8  // its io_uring opcode (IORING_OP_*)
	Supported bool   // the ring is available and supports Opcode (RingSupports)
	// Batched: EngineAuto sends this operation, in a Run, to the ring
	// (autoRing). It implies Supported. Single calls, and other kinds in a
	// Run, go to the ring under EngineAuto only when crowded (admit).
	Batched bool
}

// RingOps lists every operation that has an io_uring opcode, in a fixed
// order, with what this kernel and the engine make of it. Operations not
// listed always run as direct syscalls; a listed one still does under
// EngineSyscall, and when its arguments have no ring form (a nofollow
// getxattr, an offset of -1).
// The first call sets up the ring, like RingAvailable.
func RingOps() []RingOp {
	r := getRing()
	var ops []RingOp
	for k := kind(1); k < numKinds; k++ {
		code := ringOpcodes[k]
		if code == OpNop || k == kReadFull || k == kWriteFull { // the last two are pread and pwrite loops
			continue
		}
		ok := r.supports(code)
		ops = append(ops, RingOp{Name: kindNames[k], Opcode: code, Supported: ok, Batched: ok && autoRing[k]})
	}
	return ops
}

// blocked counts goroutines inside direct syscalls of this package. Each one
// holds an OS thread; EngineAuto admits a ring-capable op to a direct call
// only while blocked is below the crowd limit, and sends it to the ring
// otherwise, where waiting costs a parked goroutine, not a thread.
//
// Admission is one compare-and-swap (admit), not a load followed by an add:
// with check-then-act, every goroutine that loaded the count before the
// others added to it went direct, so a burst overshot the limit by up to the
// number of goroutines running at once. Ops with no ring alternative (no
// opcode, EngineSyscall, ring unavailable) still count, unconditionally.
var blocked atomic.Int32

// crowdLimit is the number of direct calls EngineAuto admits at once;
// 0 means 2*GOMAXPROCS, twice the worker count of one Run (workerLimit), so
// that a lone Run still gets all its workers. A goroutine in a direct call
// keeps its P until the call has blocked for 20µs or more, so past
// GOMAXPROCS each admitted call is a thread the runtime had to start; the
// thread counts this gives are in bench/README.md (BenchmarkThreads10k).
var crowdLimit int32

// minLimit is the smallest limit() can be; below it admit skips computing
// the limit, because runtime.GOMAXPROCS takes a runtime lock.
const minLimit = 2

func limit() int32 {
	if crowdLimit > 0 {
		return max(crowdLimit, minLimit)
	}
	return int32(2 * runtime.GOMAXPROCS(0))
}

// crowded reports whether admit would refuse now (for Run, which sorts a
// whole batch at once).
func crowded() bool {
	b := blocked.Load()
	return b >= minLimit && b >= limit()
}

// admit takes a slot for a direct call if one is free; the call's
// runAdmitted (or a fast path's leave1) gives it back.
func admit() bool {
	for {
		b := blocked.Load()
		if b >= minLimit && b >= limit() {
			return false
		}
		if blocked.CompareAndSwap(b, b+1) {
			return true
		}
	}
}

// ringFor returns the ring to run op on under engine e, or nil for a direct
// syscall. Under EngineAuto, single calls come here only when admit refused
// them; batched says whether op is part of a Run (which has its own table).
func ringFor(op *Op, e Engine, batched bool) *ring {
	if e == EngineSyscall {
		return nil
	}
	code, ok := op.ringOpcode()
	if !ok {
		return nil
	}
	if e == EngineAuto && batched && !autoRing[op.kind] && !crowded() {
		return nil
	}
	r := getRing()
	if !r.supports(code) {
		return nil
	}
	return r
}

// runDirect runs op as direct syscalls until it is done, counted in blocked.
func (op *Op) runDirect() {
	blocked.Add(1)
	op.runAdmitted()
}

// runAdmitted is runDirect for an op that admit let in; it releases the slot.
func (op *Op) runAdmitted() {
	defer blocked.Add(-1)
	op.runHeld()
}

// runHeld runs op as direct syscalls until it is done, on a slot its caller
// holds.
func (op *Op) runHeld() {
	for {
		r, err := op.direct()
		if err == unix.EINTR && op.kind != kClose {
			continue // a signal (Go's SIGURG) interrupted a slow call; nothing happened
		}
		if !op.finish(r, err) {
			return
		}
	}
}

// runAuto runs op under EngineAuto outside a batch: a direct syscall if
// admitted, else on the ring if it can be, else a direct syscall anyway.
func (op *Op) runAuto() {
	if admit() {
		op.runAdmitted()
		return
	}
	if r := ringFor(op, EngineAuto, false); r != nil && op.runRing(r) {
		return
	}
	op.runDirect()
}

// Kernel-internal "restart the syscall" codes (include/linux/errno.h). An
// io-wq worker sleeping in a blocking call (an open of a FIFO with no
// writer) that is cancelled reports them as-is in its CQE.
const (
	errRestartSys    = 512 // ERESTARTSYS
	errRestartNoIntr = 513 // ERESTARTNOINTR
	errRestartNoHand = 514 // ERESTARTNOHAND
	errRestartBlock  = 516 // ERESTART_RESTARTBLOCK
)

// interrupted reports a CQE result meaning the op did not run to completion
// because the kernel cancelled it: we sent ASYNC_CANCEL, or the thread that
// submitted it exited (the kernel cancels a dying task's requests).
func interrupted(op *Op, res int32) bool {
	switch -res {
	case int32(unix.ECANCELED), errRestartSys, errRestartNoIntr, errRestartNoHand, errRestartBlock:
		return true
	case int32(unix.EINTR):
		return op.kind != kClose
	case int32(unix.EAGAIN):
		// A regular file opened O_NONBLOCK: io_uring will not wait for its
		// disk and says EAGAIN, where pread(2) would have waited. Redo it as
		// the direct call, with pread's meaning.
		switch op.kind {
		case kPread, kPwrite, kReadFull, kWriteFull, kRead, kWrite:
			return true
		}
	}
	return false
}

// run1 runs a single op and returns its error.
//
// op does not escape: a single call usually runs as a direct syscall, and
// then its Op lives on the caller's stack (benchmarks: an Op is ~300 bytes;
// allocating it doubled the cost of a cheap call like fadvise). Only the ring
// path moves it to the heap, where the ring's in-flight table keeps it
// reachable until its completion.
func run1(op *Op) error {
	op.begin()
	if op.err != nil {
		return op.err // argument error from the constructor
	}
	e := CurrentEngine()
	if e == EngineAuto && admit() {
		op.runAdmitted() // the common case: one CAS, then the syscall
		return op.err
	}
	if r := ringFor(op, e, false); r != nil && op.onHeap(r) {
		return op.err
	}
	op.runDirect()
	return op.err
}

// onHeap runs op on the ring through a heap copy — the ring's slot table
// keeps that reachable until its completion, and op itself stays on its
// caller's stack — and copies the outcome back. It reports whether the op
// is done (see runRing).
func (op *Op) onHeap(r *ring) bool {
	h := heapOps.Get().(*Op)
	*h = *op
	done := h.runRing(r)
	*op = *h
	*h = Op{} // drop the references to the caller's buffers
	heapOps.Put(h)
	return done
}

// heapOps recycles the heap copies of single ops: once its CQE is reaped
// the ring holds no reference to one.
var heapOps = sync.Pool{New: func() any { return new(Op) }}

// doneChans recycles the channels single ops wait on: one is empty again
// once its one CQE has been received.
var doneChans = sync.Pool{New: func() any { return make(chan *request, 1) }}

// runRing runs op on r until it is done. It returns false if the op must be
// (re)done as a direct syscall: the ring is closed or cancelled it.
func (op *Op) runRing(r *ring) bool {
	if err := op.ringArgs(); err != nil {
		op.err = err
		return true
	}
	done := doneChans.Get().(chan *request)
	defer doneChans.Put(done) // empty again: every CQE was received
	op.rq = request{src: op, done: done}
	reqs := [1]*request{&op.rq}
	for {
		if _, err := r.submit(reqs[:], nil); err != nil {
			return false
		}
		<-op.rq.done
		op.rq.live = false
		if interrupted(op, op.rq.res) {
			return false
		}
		if !op.finishRing(op.rq.res) {
			return true
		}
	}
}
