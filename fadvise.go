package extfs

import (
	"fmt"

	"github.com/extfs/extfs/internal/fsenum"
)

// Advice tells the kernel how a file's data will be accessed, so it can tune
// read-ahead and caching.
type Advice int

const (
	AdviceNormal     = Advice(fsenum.AdviceNormal)     // no special treatment (the default)
	AdviceSequential = Advice(fsenum.AdviceSequential) // read sequentially: read ahead more
	AdviceRandom     = Advice(fsenum.AdviceRandom)     // read at random: read ahead less
	AdviceWillNeed   = Advice(fsenum.AdviceWillNeed)   // the range will be read soon: start reading it into the cache now
	AdviceDontNeed   = Advice(fsenum.AdviceDontNeed)   // the range will not be read again soon: drop it from the cache
	AdviceNoReuse    = Advice(fsenum.AdviceNoReuse)    // the range will be read once
)

var adviceNames = [...]string{"normal", "sequential", "random", "willneed", "dontneed", "noreuse"}

func (a Advice) String() string {
	if a >= 0 && int(a) < len(adviceNames) {
		return adviceNames[a]
	}
	return fmt.Sprintf("Advice(%d)", int(a))
}

// Fadvise announces how the range [off, off+n) of the file will be accessed.
// n == 0 means "to the end of the file". Advice is a hint: the kernel may
// ignore it, but an invalid argument is always an error.
//
// # Linux notes
//
// posix_fadvise(2). AdviceDontNeed drops only clean pages: write back (Sync)
// first to drop what was just written.
//
// # macOS notes
//
// macOS has no posix_fadvise; each advice is an fcntl(2):
//
//   - AdviceWillNeed: F_RDADVISE, an asynchronous read of the range into the
//     cache, clipped to the file's size (past the end there is nothing to
//     read), in calls of at most 1 GiB (its count is a C int).
//   - AdviceRandom: read-ahead off (F_RDAHEAD 0). AdviceSequential:
//     read-ahead on; macOS has no larger window to ask for.
//   - AdviceNoReuse: caching off (F_NOCACHE 1): later reads and writes
//     through the file keep nothing in the cache, and page-aligned ones go
//     straight to the disk — mind the cost for small writes.
//   - AdviceNormal: read-ahead and caching back on (F_RDAHEAD 1,
//     F_NOCACHE 0), undoing Random and NoReuse.
//   - AdviceDontNeed: an error matching ErrNotSupported. Nothing on macOS
//     drops a range from the cache; F_NOCACHE changes how later I/O is
//     cached and drops nothing.
//
// F_RDAHEAD and F_NOCACHE are flags of the open file, shared by every
// descriptor dup'ed from it, and apply to all of the file whatever the
// range — as on Linux, where RANDOM, SEQUENTIAL and NOREUSE ignore the range
// too.
//
// # Windows notes
//
// Windows takes access hints per open handle, whatever the range:
//
//   - AdviceSequential sets FILE_SEQUENTIAL_ONLY (what
//     FILE_FLAG_SEQUENTIAL_SCAN asks at open: the cache manager reads ahead
//     more and drops what is behind) on the handle, through
//     FileModeInformation, which may change it after open.
//   - AdviceNormal and AdviceRandom clear it. FILE_FLAG_RANDOM_ACCESS can be
//     given only when opening; without it the cache manager tells random
//     access by itself.
//   - AdviceNoReuse is a hint with no Windows equivalent: Fadvise returns nil
//     and nothing changes.
//   - AdviceWillNeed and AdviceDontNeed: an error matching ErrNotSupported.
//     Nothing on Windows reads a range of a file into the cache, or drops
//     it from there.
//
// Wine 8 cannot set FileModeInformation: AdviceSequential then returns an
// error matching ErrNotSupported.
//
// # Other platforms
//
// Where the OS has no equivalent, Fadvise returns an error matching
// ErrNotSupported.
func (f *File) Fadvise(off, n int64, advice Advice) error {
	if err := checkRange(off, n, true); err != nil {
		return pathErr("fadvise", f.Name(), err)
	}
	if advice < AdviceNormal || advice > AdviceNoReuse {
		return pathErr("fadvise", f.Name(), errInvalid("unknown advice %d", int(advice)))
	}
	return f.control("fadvise", func(fd uintptr) error { return sysFile.fadvise(fd, off, n, advice) })
}
