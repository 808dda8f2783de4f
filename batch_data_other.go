//go:build !linux && !windows

package extfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// Batched reads and writes where there is no kernel queue to submit them
// to: each is the *os.File call, run on sysRun's worker goroutines.

func sysReadAtOp(f *os.File, _ uintptr, p []byte, off int64) sysOp {
	return &funcOp{run: func() opResult {
		n, err := f.ReadAt(p, off)
		if err == io.EOF {
			err = nil // the Pending reports io.EOF for a short read
		}
		return opResult{n: n, err: unwrapPathErr(err)}
	}}
}

func sysWriteAtOp(f *os.File, _ uintptr, p []byte, off int64) sysOp {
	return &funcOp{run: func() opResult {
		n, err := f.WriteAt(p, off)
		return opResult{n: n, err: unwrapPathErr(err)}
	}}
}

// unwrapPathErr returns the errno inside an *fs.PathError of package os;
// the Pending wraps it again with this package's op name.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
