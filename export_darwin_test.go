package extfs

// Hooks for the tests in package extfs_test on macOS.

import "github.com/extfs/extfs/sys/darwin"

// ClonefileP points at fclonefileat(2) as CopyFile and Probe call it; a test
// may swap it and must restore it before it returns (and must not run in
// parallel meanwhile).
var ClonefileP = &darwin.Clonefile

// CopyRangeMethods is CopyRange, also returning the bytes each method moved.
func CopyRangeMethods(src, dst *File, srcOff, dstOff, n int64) (int64, map[Method]int64, error) {
	var acct copyAcct
	w, err := src.copyRange(dst, srcOff, dstOff, n, copyHow{fileRange: true, splice: true}, &acct)
	return w, acct.methods(), err
}
