package extfs

import "fmt"

// Advice tells the kernel how a file's data will be accessed, so it can tune
// read-ahead and caching.
type Advice int

const (
	AdviceNormal     Advice = iota // no special treatment (the default)
	AdviceSequential               // read sequentially: read ahead more
	AdviceRandom                   // read at random: read ahead less
	AdviceWillNeed                 // the range will be read soon: start reading it into the cache now
	AdviceDontNeed                 // the range will not be read again soon: drop it from the cache
	AdviceNoReuse                  // the range will be read once
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
	return f.control("fadvise", func(fd uintptr) error { return sysFadvise(fd, off, n, advice) })
}
