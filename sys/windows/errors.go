package windows

import (
	"errors"
	"io/fs"
	"syscall"
)

// UnsupportedError is an operation this system, its file system, or Wine
// cannot do. It matches errors.ErrUnsupported and wraps the error the system
// gave, if any, so errors.Is against that errno keeps working.
type UnsupportedError struct {
	What string // the call or feature, e.g. "FSCTL_SET_ZERO_DATA"
	Err  error  // what the system said; nil when decided without asking it
}

func (e *UnsupportedError) Error() string {
	if e.Err == nil {
		return e.What + ": not supported"
	}
	return e.What + ": " + e.Err.Error()
}

func (e *UnsupportedError) Unwrap() error { return e.Err }

func (e *UnsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

// InvalidError is an argument Windows cannot take: a time a FILETIME cannot
// hold, an open flag it has no meaning for, a range it cannot clone. It
// matches fs.ErrInvalid and syscall.EINVAL, as a bad argument does in
// package extfs.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func (e *InvalidError) Is(target error) bool {
	return target == fs.ErrInvalid || target == syscall.EINVAL
}
