//go:build !linux && !darwin && !windows

package extfs

// No file backend here: fileFallback's answers, ErrNotSupported.

type fileSys struct{ fileFallback }

var _ fileOS = fileSys{}

type sysOp = *funcOp

const atCWD = -100
