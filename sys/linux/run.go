//go:build linux

package linux

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// autoRing is the EngineAuto choice for ops in a Run: true runs the kind on
// the ring, false on worker goroutines doing direct syscalls (and any
// ring-capable kind goes to the ring while crowded(), see engine.go).
// Measured on this 2 vCPU VM, Linux 6.18, ext4, Run of 256 ops, median of 3
// (BenchmarkRun256), µs — seq: plain loop, workers: 4 goroutines, ring:
//
//	statx          seq 418   workers 374   ring 1778
//	fsetxattr      seq 687   workers 647   ring 2042
//	fgetxattr      seq 418   workers 489   ring 1389
//	fallocate 256K seq 3994  workers 3076  ring 7213
//	openat cached  seq 426   workers 451   ring 375
//	pread 4K cached seq 200  workers 207   ring 287
//
// Ops punted to io-wq (statx, xattr, fallocate) pay a wakeup per CQE; only
// openat, which completes inline during submit, won on the ring — until all
// submissions moved to the reaper thread (engine.go: that bounds io-wq
// threads). Re-measured since (XFS, BenchmarkBatch, median of 3): openat
// x/sys loop 852, workers 577, ring 957 µs. So no kind goes to the ring in
// a Run unless the process is crowded.
var autoRing = [numKinds]bool{}

// workerLimit bounds the worker goroutines of one Run. BenchmarkWorkers on
// 2 vCPU: 1 worker is 10-50% slower than 4 for fsetxattr/fallocate; 4, 8
// and 16 are within noise of each other, so 2*GOMAXPROCS.
var workerLimit = func() int { return 2 * runtime.GOMAXPROCS(0) }

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

// runWorkers runs ops as direct syscalls on at most workerLimit goroutines
// (the caller is one of them). Under EngineAuto each op still needs admit's
// slot, so that many concurrent Runs do not pin a thread per worker: an op
// refused one goes to the ring, if it can, and its worker waits parked.
func runWorkers(ctx context.Context, e Engine, ops []*Op) {
	if len(ops) == 0 {
		return
	}
	var quick, slow []*Op
	for _, op := range ops {
		if inline[op.kind] {
			quick = append(quick, op)
		} else {
			slow = append(slow, op)
		}
	}
	run := func(op *Op) {
		if err := ctx.Err(); err != nil {
			op.err = err
		} else if e == EngineAuto {
			op.runAuto()
		} else {
			op.runDirect()
		}
	}
	var next atomic.Int64
	work := func() {
		for {
			i := next.Add(1) - 1
			if i >= int64(len(slow)) {
				return
			}
			run(slow[i])
		}
	}
	var wg sync.WaitGroup
	for range min(len(slow), workerLimit()) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	for _, op := range quick {
		run(op)
	}
	work()
	wg.Wait()
}

// inline marks the kinds a Run executes one after another on the calling
// goroutine: their system calls are so short that handing them to worker
// goroutines costs more than it saves. Measured on 2 vCPU, Linux 6.18, XFS,
// Run of 256 (bench BenchmarkBatch, median of 3), µs: x/sys loop vs workers
//
//	fadvise   135 vs  438    fgetxattr 282 vs  683
//	fsetxattr 1009 vs 1353   statx     423 vs  470
//
// while fallocate (5889 vs 5202) and cached openat (852 vs 577) gain from
// workers and stay there.
var inline = [numKinds]bool{
	kFadvise:   true,
	kFgetxattr: true,
	kFsetxattr: true,
	kStatx:     true,
}

// runBatch runs ops on the ring and waits for all of them. It returns the
// ops that must run as direct syscalls instead (ring closed, or cancelled by
// the kernel for a reason other than ctx).
func runBatch(ctx context.Context, r *ring, ops []*Op) (direct []*Op) {
	if err := ctx.Err(); err != nil {
		for _, op := range ops {
			op.err = err
		}
		return nil
	}
	done := make(chan *request, len(ops)) // room for every CQE: the reaper never blocks
	reqs := make([]*request, 0, len(ops))
	for _, op := range ops {
		if err := op.ringArgs(); err != nil {
			op.err = err
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
			op.err = err
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
					op.err = ctx.Err() // our ASYNC_CANCEL stopped it before it ran
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
				op.err = err
				continue
			}
			if k, _ := r.submit([]*request{rq}, ctxDone); k == 1 {
				live++
			} else if err := ctx.Err(); err != nil {
				op.err = err
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
