//go:build !linux && !((freebsd || netbsd) && (amd64 || arm64))

package posix

import "github.com/extfs/extfs/internal/fsenum"

const HasFadvise = false

// Fadvise: no posix_fadvise here (OpenBSD has none; FreeBSD and NetBSD are
// called by number on their 64-bit systems only).
func Fadvise(int, int64, int64, fsenum.Advice) error { return ErrUnsupported }
