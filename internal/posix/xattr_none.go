//go:build !freebsd && !netbsd

package posix

import "github.com/extfs/extfs/internal/fsenum"

// The xattr calls: no extended attributes here through this package
// (OpenBSD has none; Linux, macOS and Windows have backends of their own).
const XattrNames = ""

func Getxattr(fsenum.XattrAt, string) ([]byte, error)                 { return nil, ErrUnsupported }
func Setxattr(fsenum.XattrAt, string, []byte, fsenum.XattrFlag) error { return ErrUnsupported }
func Removexattr(fsenum.XattrAt, string) error                        { return ErrUnsupported }
func Listxattr(fsenum.XattrAt) ([]string, error)                      { return nil, ErrUnsupported }
