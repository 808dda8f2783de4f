// Package posix is the mechanism behind extfs's portable fallbacks
// (copy_fallback.go, file_fallback.go at the module root): the calls every
// Unix has in one shape in golang.org/x/sys/unix, for systems without a
// backend of their own (FreeBSD, OpenBSD, NetBSD, ...). Linux builds it too,
// so that the fallbacks are tested there. Elsewhere (Windows, Plan 9, js)
// every call fails with ErrUnsupported.
//
// Calls return the raw errno (syscall.Errno); the caller wraps it.
package posix

import "errors"

// ErrUnsupported is the error of a call this system does not have.
var ErrUnsupported = errors.ErrUnsupported

// OpenMode is how a descriptor was opened (fcntl F_GETFL).
type OpenMode struct{ Read, Write, Append bool }
