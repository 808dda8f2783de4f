package darwin

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Batches run on goroutines: macOS has no io_uring, and no other interface to
// submit many file operations at once that works on every filesystem (aio(4)
// does reads and writes only). Pure: the tests run on every OS.

// Workers is how many goroutines Run uses for n operations: at most two per
// GOMAXPROCS, as sys/linux runs its batches without the ring. File system
// calls block; each goroutine blocked in one holds a thread, so the bound
// keeps a large batch from starting as many threads as it has operations.
func Workers(n int) int { return min(n, 2*runtime.GOMAXPROCS(0)) }

// Run calls do(i) for every i in [0, n), on at most workers goroutines, the
// calling one among them, and returns when all have returned. Once ctx is
// done, each i not yet started gets skip(i, ctx.Err()) instead. do and skip
// must be safe to call concurrently for different i.
func Run(ctx context.Context, n, workers int, do func(i int), skip func(i int, err error)) {
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
	var wg sync.WaitGroup
	for range min(workers, n) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
