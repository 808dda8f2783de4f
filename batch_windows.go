//go:build windows

package extfs

// Batched reads and writes on Windows: overlapped I/O on one I/O completion
// port per Submit (sys/windows IOBatch), while the batch's other operations
// run on the worker goroutines. A read or write of a file that cannot be
// opened again for overlapped I/O is the *os.File call, on the workers.

import (
	"context"
	"io"
	"os"
	"sync"

	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// newIOBatch is winsys.NewIOBatch; tests make every request fall back.
var newIOBatch = winsys.NewIOBatch

func sysReadAtOp(f *os.File, fd uintptr, p []byte, off int64) sysOp {
	return &funcOp{
		run: func() opResult {
			n, err := f.ReadAt(p, off)
			if err == io.EOF {
				err = nil // the Pending reports io.EOF for a short read
			}
			return opResult{n: n, err: osErr(err)}
		},
		data: &winsys.IO{File: windows.Handle(fd), Buf: p, Off: off},
	}
}

func sysWriteAtOp(f *os.File, fd uintptr, p []byte, off int64) sysOp {
	return &funcOp{
		run: func() opResult {
			n, err := f.WriteAt(p, off)
			return opResult{n: n, err: osErr(err)}
		},
		data: &winsys.IO{File: windows.Handle(fd), Buf: p, Off: off, Write: true},
	}
}

// sysRun runs the reads and writes of ops on a completion port and the
// other operations, with the reads and writes the port cannot take, on the
// workers, both at once.
func sysRun(ctx context.Context, ops []sysOp) {
	var reqs []*winsys.IO
	var reqOps []sysOp
	for _, o := range ops {
		if r, ok := o.data.(*winsys.IO); ok {
			reqs = append(reqs, r)
			reqOps = append(reqOps, o)
		}
	}
	if len(reqs) == 0 {
		runPool(ctx, ops)
		return
	}
	iob, rest := newIOBatch(reqs)
	onPort := make([]bool, len(reqs))
	if iob != nil {
		for i := range onPort {
			onPort[i] = true
		}
	}
	for _, i := range rest {
		onPort[i] = false
	}
	pool := make([]sysOp, 0, len(ops)-len(reqs)+len(rest))
	for _, o := range ops {
		if o.data == nil {
			pool = append(pool, o)
		}
	}
	for _, i := range rest {
		pool = append(pool, reqOps[i])
	}

	var wg sync.WaitGroup
	if iob != nil {
		wg.Go(func() { iob.Run(ctx) })
	}
	runPool(ctx, pool)
	wg.Wait()
	for i, o := range reqOps {
		if onPort[i] {
			o.res = opResult{n: reqs[i].N, err: reqs[i].Err}
		}
	}
}
