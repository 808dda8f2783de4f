package extfs

import "github.com/extfs/extfs/sys/linux"

var errDiffers = linux.ErrDiffers

func sysDedupeRange(sfd uintptr, srcOff int64, dfd uintptr, dstOff, n int64) (int64, error) {
	return linux.DedupeRange(int(sfd), srcOff, int(dfd), dstOff, n)
}
