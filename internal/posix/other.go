//go:build !(linux || freebsd || openbsd || netbsd)

package posix

import (
	"time"

	"github.com/extfs/extfs/internal/fsstat"
)

const (
	Available    = false
	HasFallocate = false
)

// Systems other than Linux and the three BSDs: none of these calls
// (macOS and Windows have backends of their own; Plan 9, js; Solaris and
// DragonFly until someone needs them).

func Fstat(int) (fsstat.Stat, error)                    { return fsstat.Stat{}, ErrUnsupported }
func Fstatat(int, string, bool) (fsstat.Stat, error)    { return fsstat.Stat{}, ErrUnsupported }
func GetOpenMode(int) (OpenMode, bool)                  { return OpenMode{}, false }
func KeepOffset(int) func()                             { return func() {} }
func NoAttr(error) bool                                 { return false }
func Fsync(int) error                                   { return ErrUnsupported }
func Ftruncate(int, int64) error                        { return ErrUnsupported }
func Fchmod(int, uint32) error                          { return ErrUnsupported }
func Fchown(int, int, int) error                        { return ErrUnsupported }
func Futimes(int, time.Time, time.Time) error           { return ErrUnsupported }
func Linkat(int, string, int, string) error             { return ErrUnsupported }
func Symlinkat(string, int, string) error               { return ErrUnsupported }
func Readlinkat(int, string) (string, error)            { return "", ErrUnsupported }
func Unlinkat(int, string, bool) error                  { return ErrUnsupported }
func SeekData(int, int64) (int64, int64, bool, error)   { return 0, 0, false, ErrUnsupported }
func Fallocate(int, int64, int64) error                 { return ErrUnsupported }
func OpenDir(string) (int, error)                       { return -1, ErrUnsupported }
func OpenBeneath(int, string, int, uint32) (int, error) { return -1, ErrUnsupported }
func OpenSub(int, string) (int, error)                  { return -1, ErrUnsupported }
func DirMkdir(int, string, uint32) error                { return ErrUnsupported }
func DirRemove(int, string) error                       { return ErrUnsupported }
func DirRename(int, string, int, string) error          { return ErrUnsupported }
func DirLink(int, string, int, string) error            { return ErrUnsupported }
func DirSymlink(string, int, string) error              { return ErrUnsupported }
func DirReadlink(int, string) (string, error)           { return "", ErrUnsupported }
func DirLchown(int, string, int, int) error             { return ErrUnsupported }
func DirMknod(int, string, uint32, uint64) error        { return ErrUnsupported }
func DirStat(int, string, bool) (fsstat.Stat, error)    { return fsstat.Stat{}, ErrUnsupported }
func DirChmod(int, string, uint32) error                { return ErrUnsupported }
func DirSetTimes(int, string, time.Time, time.Time, bool) error {
	return ErrUnsupported
}
func Mkdirat(int, string, uint32) error            { return ErrUnsupported }
func Renameat(int, string, int, string) error      { return ErrUnsupported }
func Openat(int, string, int, uint32) (int, error) { return -1, ErrUnsupported }
