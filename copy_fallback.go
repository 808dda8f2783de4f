package extfs

import "errors"

// copyFallback is copyOS on a system without a mechanism of its own: every
// mechanism answers "not handled" and every question an error matching
// ErrNotSupported, so that CopyRange, CopyFile, Clone and Probe fail with
// ErrNotSupported, never a silent success. Every copySys embeds it: the
// no-backend one takes all its answers, macOS's and Windows' those their
// systems have no mechanism for.
type copyFallback struct{ noDedupe }

func (copyFallback) sourceBlocking(uintptr) error          { return nil }
func (copyFallback) openMode(uintptr) (openMode, bool)     { return openMode{}, false }
func (copyFallback) fileInfo(uintptr) (fileInfo, error)    { return fileInfo{}, notSupportedErr("fstat") }
func (copyFallback) fsInfo(uintptr) (string, int64, error) { return "", 0, notSupportedErr("fstatfs") }
func (copyFallback) fsKey(string) (fsKey, error) {
	return fsKey{}, notSupportedErr("filesystem identity")
}
func (copyFallback) clone(uintptr, uintptr) error              { return notSupportedErr("clone") }
func (copyFallback) cloneFallback(err error) bool              { return errors.Is(err, ErrNotSupported) }
func (copyFallback) cloneNeverHere(error) bool                 { return false }
func (copyFallback) probeClone(uintptr, uintptr, string) error { return notSupportedErr("clone") }
func (copyFallback) saveOffset(uintptr) func()                 { return func() {} }
func (copyFallback) sparseDest(uintptr, uintptr, bool) error   { return nil }
func (copyFallback) truncate(uintptr, int64) error             { return notSupportedErr("ftruncate") }
func (copyFallback) unnamedTemp(string, *Stat) *File           { return nil }
func (copyFallback) linkUnnamed(*File, string) error {
	return notSupportedErr("naming an unnamed file")
}
func (copyFallback) noXattr(error) bool { return false }

func (copyFallback) cloneRange(uintptr, uintptr, int64, int64, int64) error {
	return notSupportedErr("clone range")
}

func (copyFallback) offload(*copyJob, copyHow, *copyAcct) (int64, bool, error) { return 0, false, nil }

func (copyFallback) seekData(uintptr, int64) (int64, int64, bool, error) {
	return 0, 0, false, notSupportedErr("SEEK_DATA")
}

func (copyFallback) copyByName(*byNameReq) (copyTemp, error)      { return copyTemp{}, nil }
func (copyFallback) renameNoReplace(string, string) (bool, error) { return false, nil }

// noDedupe is the dedupeRange of a system without FIDEDUPERANGE (Linux's).
type noDedupe struct{}

func (noDedupe) dedupeRange(uintptr, uintptr, int64, int64, int64) (int64, bool, error) {
	return 0, false, notSupportedErr("sharing identical blocks (FIDEDUPERANGE is Linux's)")
}
