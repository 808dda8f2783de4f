//go:build windows

package extfs

import (
	"context"

	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// Hooks for the Windows tests in package extfs_test. A test that changes
// one restores it before it returns, and does not run in parallel meanwhile.

// OverlappedCopyP, DuplicateExtentsP, CopyFileExP and FlushSourceP (the
// flush of a clone's source) point at the mechanisms the copy functions
// call, for a test to wrap (to see them called) or replace.
var (
	OverlappedCopyP   = &winsys.OverlappedCopyCall
	DuplicateExtentsP = &winsys.DuplicateExtentsCall
	CopyFileExP       = &winsys.CopyFileCall
	FlushSourceP      = &winsys.FlushSourceCall
)

// SetReadWrite chooses overlapped I/O (true) or the portable pipeline for
// reading and writing, with depth buffers of bufSize (0: unchanged).
func SetReadWrite(overlapped bool, bufSize, depth int) (restore func()) {
	u, b, d := winsys.UseOverlapped, winsys.OvBufSize, winsys.OvDepth
	winsys.UseOverlapped = overlapped
	if bufSize > 0 {
		winsys.OvBufSize = bufSize
	}
	if depth > 0 {
		winsys.OvDepth = depth
	}
	return func() { winsys.UseOverlapped, winsys.OvBufSize, winsys.OvDepth = u, b, d }
}

// SetCopyFileEx lets CopyFile use CopyFileExW (under Wine too), or not.
func SetCopyFileEx(on bool) (restore func()) {
	old := winsys.UseCopyFileEx
	winsys.UseCopyFileEx = func() bool { return on }
	return func() { winsys.UseCopyFileEx = old }
}

// ForceCloneAttempt makes cloning send FSCTL_DUPLICATE_EXTENTS_TO_FILE
// whatever the volume says, to hear the system's own answer.
func ForceCloneAttempt() (restore func()) {
	old := winsys.CanClone
	winsys.CanClone = func(*winsys.Volume) bool { return true }
	return func() { winsys.CanClone = old }
}

// CopyRangeMethods is CopyRange, also returning the bytes each method moved.
func CopyRangeMethods(src, dst *File, srcOff, dstOff, n int64) (int64, map[Method]int64, error) {
	var acct copyAcct
	w, err := src.copyRange(dst, srcOff, dstOff, n, copyHow{fileRange: true, splice: true}, &acct)
	return w, acct.methods(), err
}

// PipelineCopy runs the read/write pipeline alone; ctx may stop it.
func PipelineCopy(ctx context.Context, src, dst *File, srcOff, dstOff, n int64) (int64, error) {
	w, _, err := pipelineCopy(&copyJob{src: src, dst: dst, srcOff: srcOff, dstOff: dstOff, n: n, ctl: newCopyCtl(ctx, nil, n)}, 0)
	return w, err
}

// OverlappedCopy runs overlapped I/O alone, with depth buffers of bufSize;
// ctx may stop it.
func OverlappedCopy(ctx context.Context, src, dst *File, srcOff, dstOff, n int64, bufSize, depth int) (w int64, handled bool, err error) {
	ctl := newCopyCtl(ctx, nil, n)
	err = withFDs(src, dst, func(sfd, dfd uintptr) error {
		var e error
		w, handled, e = winsys.OverlappedCopy(winsys.RangeCopy{
			Src: windows.Handle(sfd), Dst: windows.Handle(dfd), SrcOff: srcOff, DstOff: dstOff, N: n,
			BufSize: bufSize, Depth: depth, Step: ctl.add,
		})
		return e
	})
	return w, handled, err
}

// SetNewIOBatch replaces what a Batch calls to run its reads and writes on
// a completion port (winsys.NewIOBatch), for a test to see it called or to
// make every request fall back to the workers.
func SetNewIOBatch(fn func(reqs []*winsys.IO) (*winsys.IOBatch, []int)) (restore func()) {
	old := winsys.NewIOBatchCall
	winsys.NewIOBatchCall = fn
	return func() { winsys.NewIOBatchCall = old }
}
