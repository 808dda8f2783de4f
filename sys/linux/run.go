//go:build linux

package linux

import (
	"context"
	"runtime"
	"sync"
)

// autoRing is the EngineAuto choice for ops in a Run: true runs the kind on
// the ring, false on worker goroutines doing direct syscalls (and any
// ring-capable kind goes to the ring while crowded(), see engine.go; reads
// that miss the page cache go there always, see runOn). No kind is on: for
// cached metadata calls, a direct call on each of GOMAXPROCS goroutines beat
// the ring, which punts statx, xattrs and fallocate to io-wq workers
// (bench/README.md, BenchmarkBatch).
var autoRing = [numKinds]bool{}

// workerLimit bounds the worker goroutines of one Run: one per P; more made
// cached statx batches slower and gained nothing elsewhere.
var workerLimit = func() int { return runtime.GOMAXPROCS(0) }

// Run executes every op and stores each op's own result (see Op.Err, N,
// Value, Names). It returns the first non-nil op error in slice order, or nil.
//
// Ops in one Run run concurrently and in no particular order: they must be
// independent (no op may depend on another's effect, e.g. an openat and a
// pread of the fd it returns belong in two Runs).
//
// If ctx is done before an op starts, that op reports ctx.Err(). Ops already
// on the ring are cancelled (IORING_OP_ASYNC_CANCEL) and Run still waits for
// every one of them: each reports its true outcome — success if it had
// completed, ctx.Err() if the cancel stopped it. Nil ops are ignored.
func Run(ctx context.Context, ops []*Op) error {
	e := CurrentEngine()
	var onRing, onWorkers []*Op
	var r *ring
	for _, op := range ops {
		if op == nil {
			continue
		}
		op.begin()
		if op.err != nil {
			continue
		}
		if rr := ringFor(op, e, true); rr != nil {
			r = rr
			onRing = append(onRing, op)
		} else {
			onWorkers = append(onWorkers, op)
		}
	}
	var wg sync.WaitGroup
	if len(onWorkers) > 0 && len(onRing) > 0 {
		wg.Add(1)
		go func(ops []*Op) {
			defer wg.Done()
			runWorkers(ctx, e, ops)
		}(onWorkers)
		onWorkers = nil
	}
	if len(onRing) > 0 {
		onWorkers = append(onWorkers, runBatch(ctx, r, onRing)...)
	}
	runWorkers(ctx, e, onWorkers)
	wg.Wait()
	for _, op := range ops {
		if op != nil && op.err != nil {
			return op.err
		}
	}
	return nil
}

// Split returns the number of goroutines a caller should spread a batch of
// n ops over, each running its share with RunHere: 1 when Run would put the
// batch on the ring (EngineRing, or EngineAuto while crowded; autoRing sends
// no kind there otherwise), where one submission of them all is the point,
// or when n is too small to share.
// It is how runWorkers would split them, for callers that have per-op work
// of their own to spread with the calls.
func Split(n int) int {
	e := CurrentEngine()
	if e == EngineRing || (e == EngineAuto && crowded()) {
		return 1
	}
	return max(1, min(workerLimit(), (n+minRun-1)/minRun))
}

// RunHere is Run on the calling goroutine alone: each op in turn, as a
// direct syscall (under EngineAuto, on the ring if admit refuses it, as a
// single call would). It is for the shares of a batch split by Split.
func RunHere(ctx context.Context, ops []*Op) error {
	e := CurrentEngine()
	if e == EngineRing {
		return Run(ctx, ops) // forced: the ring, as for every other call
	}
	var live []*Op
	for _, op := range ops {
		if op == nil {
			continue
		}
		op.begin()
		if op.err == nil {
			live = append(live, op)
		}
	}
	runOn(ctx, e, live)
	for _, op := range ops {
		if op != nil && op.err != nil {
			return op.err
		}
	}
	return nil
}

// runWorkers runs ops as direct syscalls on at most workerLimit goroutines
// (the caller is one of them). Under EngineAuto each op still needs admit's
// slot, so that many concurrent Runs do not pin a thread per worker: an op
// refused one goes to the ring, if it can, and its worker waits parked.
//
// Each goroutine takes one contiguous run of the ops, fixed up front, and at
// least minRun of them: handing out ops one at a time through a shared
// counter cost more than short calls such as statx or fgetxattr take, and
// made workers slower than a plain loop. Bare x/sys calls split this way
// over two goroutines take 0.55-0.65x a plain loop's time for 256 cached
// statx, fsetxattr or openat on 2 vCPU (XFS; bench: BenchmarkBatch,
// xsys-parallel), and 0.8x for fallocate and fgetxattr.
func runWorkers(ctx context.Context, e Engine, ops []*Op) {
	if len(ops) == 0 {
		return
	}
	run := func(ops []*Op) { runOn(ctx, e, ops) }
	k := min(workerLimit(), (len(ops)+minRun-1)/minRun)
	per := (len(ops) + k - 1) / k
	var wg sync.WaitGroup
	for lo := per; lo < len(ops); lo += per {
		wg.Add(1)
		go func(ops []*Op) {
			defer wg.Done()
			run(ops)
		}(ops[lo:min(lo+per, len(ops))])
	}
	run(ops[:min(per, len(ops))])
	wg.Wait()
}

// runOn runs ops one after another on the calling goroutine. Under
// EngineAuto, a read first takes what the page cache holds without
// waiting; the reads that must wait for the disk then go to the ring
// together, one submission, each in flight at once.
func runOn(ctx context.Context, e Engine, ops []*Op) {
	// One admission slot for this goroutine's whole share, not one per op:
	// two workers taking and giving back a slot around every short call
	// fought over the counter's cache line.
	held := e == EngineAuto && admit()
	if held {
		defer blocked.Add(-1)
	}
	var wait []*Op
	for _, op := range ops {
		if err := ctx.Err(); err != nil {
			op.stop(err)
		} else if e != EngineAuto {
			op.runDirect()
		} else if op.kind == kReadFull {
			done, more, err := readNowait(op.fd, op.buf, op.off, nil)
			op.done = int64(done)
			if !more {
				op.res, op.err = int64(done), err
			} else if done == len(op.buf) {
				op.res = int64(done)
			} else {
				wait = append(wait, op)
			}
		} else if held {
			op.runHeld()
		} else {
			op.runAuto()
		}
	}
	if len(wait) == 0 {
		return
	}
	if r := ringFor(wait[0], EngineRing, true); r != nil {
		wait = runBatch(ctx, r, wait)
	}
	for _, op := range wait {
		if err := ctx.Err(); err != nil {
			op.stop(err)
		} else {
			op.runDirect()
		}
	}
}

// minRun is the fewest ops worth a goroutine of their own: starting one
// costs about as much as a few short system calls.
const minRun = 8

// runBatch runs ops on the ring and waits for all of them. It returns the
// ops that must run as direct syscalls instead (ring closed, or cancelled by
// the kernel for a reason other than ctx).
func runBatch(ctx context.Context, r *ring, ops []*Op) (direct []*Op) {
	if err := ctx.Err(); err != nil {
		for _, op := range ops {
			op.stop(err)
		}
		return nil
	}
	done := make(chan *request, len(ops)) // room for every CQE: the reaper never blocks
	reqs := make([]*request, 0, len(ops))
	for _, op := range ops {
		if err := op.ringArgs(); err != nil {
			op.stop(err)
			continue
		}
		op.rq = request{src: op, done: done}
		reqs = append(reqs, &op.rq)
	}
	ctxDone := ctx.Done()
	n, _ := r.submit(reqs, ctxDone)
	for _, rq := range reqs[n:] {
		op := rq.src.(*Op)
		if err := ctx.Err(); err != nil {
			op.stop(err)
		} else {
			direct = append(direct, op)
		}
	}
	live := n
	cancelled := false
	for live > 0 {
		select {
		case rq := <-done:
			live--
			rq.live = false
			op := rq.src.(*Op)
			if interrupted(op, rq.res) {
				if cancelled {
					op.stop(ctx.Err()) // our ASYNC_CANCEL stopped it before it ran
				} else {
					direct = append(direct, op)
				}
				continue
			}
			if !op.finishRing(rq.res) {
				continue
			}
			// Another round (a buffer to resize).
			if err := ctx.Err(); err != nil {
				op.stop(err)
				continue
			}
			if k, _ := r.submit([]*request{rq}, ctxDone); k == 1 {
				live++
			} else if err := ctx.Err(); err != nil {
				op.stop(err)
			} else {
				direct = append(direct, op)
			}
		case <-ctxDone:
			ctxDone = nil
			cancelled = true
			r.cancel(reqs) // then keep waiting: buffers stay in use until each CQE
		}
	}
	return direct
}
