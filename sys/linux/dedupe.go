//go:build linux

package linux

import (
	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// maxDedupe bounds one FIDEDUPERANGE request: the kernel compares both
// ranges page by page while holding both inodes' locks, and btrfs refuses
// more than 16 MiB at once (BTRFS_MAX_DEDUPE_LEN); XFS shortens longer ones.
const maxDedupe = 16 << 20

// DedupeRange is one FIDEDUPERANGE request (ioctl_fideduperange(2)) of at
// most 16 MiB: it makes dst's range [dstOff, dstOff+n) share src's blocks at
// srcOff if, and only if, both hold the same bytes. It returns the bytes now
// shared, which may be fewer than n (the kernel shortens a request to whole
// blocks when it does not end at the end of both files); 0 with a nil error
// means nothing more can be shared. differs: the kernel found that the
// ranges do not hold the same bytes, and shared nothing. EOPNOTSUPP /
// EINVAL on a filesystem without extent sharing (ext4, tmpfs).
func DedupeRange(src int, srcOff int64, dst int, dstOff int64, n int64) (shared int64, differs bool, err error) {
	r := unix.FileDedupeRange{
		Src_offset: uint64(srcOff),
		Src_length: uint64(min(n, maxDedupe)),
		Info:       []unix.FileDedupeRangeInfo{{Dest_fd: int64(dst), Dest_offset: uint64(dstOff)}},
	}
	if err := eintr.Retry(func() error { return unix.IoctlFileDedupeRange(src, &r) }); err != nil {
		return 0, false, err
	}
	switch st := r.Info[0].Status; {
	case st == unix.FILE_DEDUPE_RANGE_DIFFERS:
		return 0, true, nil
	case st < 0:
		return 0, false, unix.Errno(-st)
	}
	return int64(r.Info[0].Bytes_deduped), false, nil
}
