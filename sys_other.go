//go:build !linux && !darwin && !windows

package extfs

// Platforms without a backend yet: every operation returns an error matching
// ErrNotSupported (never a silent nil). The darwin and windows backends
// replace these hooks.

import (
	"context"
	"io/fs"
	"time"
)

const atCWD = -100

var currentEngine = EngineSyscall

func sysEngine() Engine { return currentEngine }
func sysSetEngine(e Engine) Engine {
	prev := currentEngine
	if e == EngineAuto {
		e = EngineSyscall
	}
	currentEngine = e
	return prev
}
func sysSupports(Feature) bool { return false }
func sysRingOps() []RingOp     { return nil } // no io_uring

func unsupported(what string) error { return notSupportedErr(what) }

func sysFsync(uintptr, bool) error                              { return unsupported("fsync") }
func sysFadvise(uintptr, int64, int64, Advice) error            { return unsupported("fadvise") }
func sysFallocate(uintptr, AllocMode, int64, int64) error       { return unsupported("fallocate") }
func sysCheckXattrName(string) error                            { return nil }
func xattrErr(_ string, err error) error                        { return err }
func sysFgetxattr(uintptr, string) ([]byte, error)              { return nil, unsupported("xattr") }
func sysFsetxattr(uintptr, string, []byte, XattrFlag) error     { return unsupported("xattr") }
func sysFlistxattr(uintptr) ([]string, error)                   { return nil, unsupported("xattr") }
func sysFremovexattr(uintptr, string) error                     { return unsupported("xattr") }
func sysGetxattr(string, string, bool) ([]byte, error)          { return nil, unsupported("xattr") }
func sysSetxattr(string, string, []byte, XattrFlag, bool) error { return unsupported("xattr") }
func sysListxattr(string, bool) ([]string, error)               { return nil, unsupported("xattr") }
func sysRemovexattr(string, string, bool) error                 { return unsupported("xattr") }
func sysFstat(uintptr) (*Stat, error)                           { return nil, unsupported("statx") }
func sysStatat(int, string, bool) (*Stat, error)                { return nil, unsupported("statx") }
func sysFutimes(uintptr, time.Time, time.Time) error            { return unsupported("utimensat") }
func sysFchmod(uintptr, fs.FileMode) error                      { return unsupported("chmod") }
func sysFchown(uintptr, int, int) error                         { return unsupported("chown") }
func sysLinkat(int, string, int, string) error                  { return unsupported("link") }
func sysSymlinkat(string, int, string) error                    { return unsupported("symlink") }
func sysReadlinkat(int, string) (string, error)                 { return "", unsupported("readlink") }
func sysUnlinkat(int, string, bool) error                       { return unsupported("unlinkat") }

// Batch: each operation is its single-call hook, run in order.

func sysRun(ctx context.Context, ops []sysOp) {
	for _, o := range ops {
		if err := ctx.Err(); err != nil {
			o.res = opResult{err: err}
			continue
		}
		o.res = o.run()
	}
}

func sysMkdiratOp(int, string, fs.FileMode) sysOp {
	return errOp(func() error { return unsupported("mkdir") })
}
func sysRenameatOp(int, string, int, string) sysOp {
	return errOp(func() error { return unsupported("rename") })
}
func sysOpenatOp(int, string, int, fs.FileMode) sysOp {
	return errOp(func() error { return unsupported("open") })
}
