//go:build linux

package extfs

import (
	"context"

	"github.com/extfs/extfs/sys/linux"
)

// Hooks for the tests in package extfs_test, which replace system calls to
// force the fallbacks of the copy functions, and look inside them.

// CopyFileRangeP, SpliceP, FicloneP and FiclonerangeP point at the system
// calls the copy functions make; a test may swap one and must restore it
// before it returns (and must not run in parallel meanwhile).
var (
	CopyFileRangeP = &linux.CopyFileRangeCall
	SpliceP        = &linux.SpliceCall
	FicloneP       = &linux.FicloneCall
	FiclonerangeP  = &linux.FiclonerangeCall
)

// CopyRangeMethods is CopyRange, also returning the bytes each method moved.
func CopyRangeMethods(src, dst *File, srcOff, dstOff, n int64) (int64, map[Method]int64, error) {
	var acct copyAcct
	w, err := src.copyRange(dst, srcOff, dstOff, n, copyHow{fileRange: true, splice: true}, &acct)
	return w, acct.methods(), err
}

// PipelineCopy runs the read/write pipeline alone. With zeroBlock > 0 it
// skips all-zero blocks and returns how many bytes it skipped. ctx may stop it.
func PipelineCopy(ctx context.Context, src, dst *File, srcOff, dstOff, n, zeroBlock int64) (written, zeros int64, err error) {
	var ctl *copyCtl
	if ctx != nil {
		ctl = newCopyCtl(ctx, nil, n)
	}
	return pipelineCopy(&copyJob{src: src, dst: dst, srcOff: srcOff, dstOff: dstOff, n: n, ctl: ctl}, zeroBlock)
}

// ProbeCached returns Probe's cached answer for path's filesystem, if any.
func ProbeCached(path string) (Capabilities, bool) {
	key, err := sysCopy.fsKey(path)
	if err != nil {
		return Capabilities{}, false
	}
	e, ok := probeCache.Load(key)
	if !ok {
		return Capabilities{}, false
	}
	return capsOf(&e.(*probeEntry).vol), true
}

// SetPhysicalCopy changes the mechanisms CoWNever uses, for benchmarks.
func SetPhysicalCopy(splice bool) (restore func()) {
	old := physicalCopy
	physicalCopy = copyHow{splice: splice}
	return func() { physicalCopy = old }
}
