//go:build !linux

package extfs

import "errors"

var errDiffers = errors.New("contents differ")

func sysDedupeRange(sfd uintptr, srcOff int64, dfd uintptr, dstOff, n int64) (int64, error) {
	return 0, notSupportedErr("sharing identical blocks (FIDEDUPERANGE is Linux's)")
}
