package extfs

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// The one worker pool of the package: CopyTree queues its tasks on it, and
// on systems without io_uring a Batch runs its operations through runEach.
// File system calls block, and each goroutine blocked in one holds a thread,
// so the pool's bound is also the bound on the threads a call makes.

// batchWorkers is how many goroutines runEach uses for n operations: a few
// more than the processors keep the file system busy while some sleep in the
// kernel, without starting a thread per operation.
func batchWorkers(n int) int { return min(n, 2*runtime.GOMAXPROCS(0)) }

// runEach calls do(i) for every i in [0, n) on at most batchWorkers(n)
// goroutines, the calling one among them, and returns when all have
// returned. Once ctx is done, each i not yet started gets skip(i, ctx.Err())
// instead. do and skip must be safe to call concurrently for different i.
func runEach(ctx context.Context, n int, do func(i int), skip func(i int, err error)) {
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if err := ctx.Err(); err != nil {
				skip(i, err)
				continue
			}
			do(i)
		}
	}
	var p pool
	p.start(batchWorkers(n) - 1)
	for range batchWorkers(n) - 1 {
		p.push(work)
	}
	work()
	p.wait()
	p.stop()
}

// pool runs tasks on a fixed number of goroutines. Tasks may queue
// more tasks; wait returns when every queued task has run.
type pool struct {
	mu      sync.Mutex
	work    sync.Cond // a task was queued, or the pool stops
	idle    sync.Cond // pending fell to 0
	queue   []func()
	head    int
	pending int // queued or running
	closed  bool
	limit   int // workers at most
	started int // workers started
	waiting int // workers waiting for a task
	wg      sync.WaitGroup
}

// start sets the pool's size. Workers start as tasks come, one more only
// when none is free: a large Workers on a small tree costs nothing.
func (p *pool) start(n int) {
	p.work.L, p.idle.L = &p.mu, &p.mu
	p.limit = n
}

func (p *pool) push(fn func()) {
	p.mu.Lock()
	p.queue = append(p.queue, fn)
	p.pending++
	if p.waiting == 0 && p.started < p.limit {
		p.started++
		p.wg.Add(1)
		go p.worker()
	}
	p.mu.Unlock()
	p.work.Signal()
}

func (p *pool) worker() {
	defer p.wg.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for p.head == len(p.queue) && !p.closed {
			p.waiting++
			p.work.Wait()
			p.waiting--
		}
		if p.head == len(p.queue) {
			return
		}
		fn := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		if p.head == len(p.queue) {
			p.queue, p.head = p.queue[:0], 0
		}
		p.mu.Unlock()
		fn()
		p.mu.Lock()
		if p.pending--; p.pending == 0 {
			p.idle.Broadcast()
		}
	}
}

func (p *pool) wait() {
	p.mu.Lock()
	for p.pending > 0 {
		p.idle.Wait()
	}
	p.mu.Unlock()
}

// stop ends the workers once the queue is empty, and waits for them.
func (p *pool) stop() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.work.Broadcast()
	p.wg.Wait()
}
