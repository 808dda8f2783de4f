package posix

import (
	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// HasFadvise says Fadvise is posix_fadvise here.
const HasFadvise = true

var posixAdvice = [...]int{
	fsenum.AdviceNormal: unix.FADV_NORMAL, fsenum.AdviceRandom: unix.FADV_RANDOM,
	fsenum.AdviceSequential: unix.FADV_SEQUENTIAL, fsenum.AdviceWillNeed: unix.FADV_WILLNEED,
	fsenum.AdviceDontNeed: unix.FADV_DONTNEED, fsenum.AdviceNoReuse: unix.FADV_NOREUSE,
}

// Fadvise is posix_fadvise(2) (built so that the fallbacks are tested here).
func Fadvise(fd int, off, n int64, a fsenum.Advice) error {
	return eintr.Retry(func() error { return unix.Fadvise(fd, off, n, posixAdvice[a]) })
}
