package extfs

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"syscall"
)

// ErrNotSupported is returned (wrapped in an *fs.PathError or *os.LinkError) when
// the operating system, the kernel or the filesystem cannot do an operation.
// errors.Is(err, ErrNotSupported) and errors.Is(err, errors.ErrUnsupported) are
// both true for such errors; errors.Is against the underlying errno (for
// example syscall.EOPNOTSUPP) keeps working too.
var ErrNotSupported error = notSupported{}

type notSupported struct{}

func (notSupported) Error() string        { return "operation not supported" }
func (notSupported) Is(target error) bool { return target == errors.ErrUnsupported }

// unsupportedError says what is not supported and keeps the errno behind it.
type unsupportedError struct {
	what string // e.g. "punch hole", may be empty
	err  error  // the errno, or nil when extfs decided without asking the kernel
}

func (e *unsupportedError) Error() string {
	msg := ErrNotSupported.Error()
	if e.err != nil {
		msg = e.err.Error()
	}
	if e.what == "" {
		return msg
	}
	return e.what + ": " + msg
}

func (e *unsupportedError) Unwrap() error { return e.err }

func (e *unsupportedError) Is(target error) bool {
	return target == ErrNotSupported || target == errors.ErrUnsupported
}

// notSupportedErr builds an error for an operation extfs cannot do on this
// platform at all.
func notSupportedErr(what string) error { return &unsupportedError{what: what} }

// argError is bad input caught before any system call.
// It matches fs.ErrInvalid and syscall.EINVAL.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func (e *argError) Is(target error) bool {
	return target == fs.ErrInvalid || target == syscall.EINVAL
}

func errInvalid(format string, args ...any) error {
	return &argError{msg: fmt.Sprintf(format, args...)}
}

// checkPath refuses a path that cannot reach the kernel: one with a NUL
// byte, where the C string would end. what names it in the message ("path",
// "new name"). The empty path is left to the kernel, which says ENOENT, as
// package os does.
func checkPath(what, path string) error {
	if strings.IndexByte(path, 0) >= 0 {
		return errInvalid("%s contains a NUL byte", what)
	}
	return nil
}

// checkPaths is checkPath for the two names of a link or rename.
func checkPaths(oldwhat, oldname, newwhat, newname string) error {
	if err := checkPath(oldwhat, oldname); err != nil {
		return err
	}
	return checkPath(newwhat, newname)
}

// hintError adds an explanation to an errno without hiding it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *hintError) Unwrap() error { return e.err }

// classify turns "the kernel says it can't" errnos into errors that also
// match ErrNotSupported.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var ue *unsupportedError
	if errors.As(err, &ue) {
		return err
	}
	if errors.Is(err, errors.ErrUnsupported) {
		return &unsupportedError{what: what, err: err}
	}
	return err
}

// pathErr wraps err the way package os does, or returns nil.
func pathErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == op {
		return err
	}
	return &fs.PathError{Op: op, Path: path, Err: classify("", err)}
}

// linkErr wraps err for two-path operations, or returns nil.
func linkErr(op, oldname, newname string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: op, Old: oldname, New: newname, Err: classify("", err)}
}

// checkRange validates an (offset, length) pair at the API edge.
// allowZero says whether n == 0 is meaningful (fadvise: "to end of file").
func checkRange(off, n int64, allowZero bool) error {
	switch {
	case off < 0:
		return errInvalid("negative offset %d", off)
	case n < 0:
		return errInvalid("negative length %d", n)
	case n == 0 && !allowZero:
		return errInvalid("zero length")
	case off > math.MaxInt64-n:
		return errInvalid("offset %d + length %d overflows int64", off, n)
	}
	return nil
}
