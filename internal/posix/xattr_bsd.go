//go:build freebsd || netbsd

package posix

// Extended attributes on FreeBSD and NetBSD: extattr(2), through the
// xattr-shaped calls of x/sys/unix, which take "user." and "system." names
// and map them to the extattr namespaces. Symbolic links are not followed
// with NoFollow (extattr_*_link). extattr has no create/replace flags:
// Setxattr looks first, so two racing creators can both succeed.

import (
	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// XattrNames says what names the xattr calls take, for an error's
// explanation; "" where there are no attributes at all.
const XattrNames = "user.* and system.* (the extattr namespaces)"

// xattrCall makes, of the descriptor, link (NoFollow) and path forms of a
// call that takes an argument a and a buffer, the one that names the file
// as at does.
func xattrCall[A any](at fsenum.XattrAt, byFd func(int, A, []byte) (int, error),
	byLink, byPath func(string, A, []byte) (int, error), a A, dest []byte) (int, error) {
	return eintr.Retry1(func() (int, error) {
		switch {
		case at.Path == "":
			return byFd(at.Fd, a, dest)
		case at.NoFollow:
			return byLink(at.Path, a, dest)
		}
		return byPath(at.Path, a, dest)
	})
}

func getxattr(at fsenum.XattrAt, name string, dest []byte) (int, error) {
	return xattrCall(at, unix.Fgetxattr, unix.Lgetxattr, unix.Getxattr, name, dest)
}

// Getxattr returns the value of name of the file at.
func Getxattr(at fsenum.XattrAt, name string) ([]byte, error) {
	return sized(func(dest []byte) (int, error) { return getxattr(at, name, dest) })
}

// sized calls call with no buffer, which gives the size needed, then with
// one of that size and a byte more, until what it returns fits (an
// attribute can grow in between).
func sized(call func(dest []byte) (int, error)) ([]byte, error) {
	for {
		n, err := call(nil)
		if err != nil || n == 0 {
			return nil, err
		}
		buf := make([]byte, n+1)
		m, err := call(buf)
		if err != nil {
			return nil, err
		}
		if m <= n {
			return buf[:m], nil
		}
	}
}

// Setxattr sets name of the file at to v; XattrCreate: fail with EEXIST if
// it exists; XattrReplace: fail with ENOATTR if it does not.
func Setxattr(at fsenum.XattrAt, name string, v []byte, f fsenum.XattrFlag) error {
	if f != 0 {
		_, err := getxattr(at, name, nil)
		switch {
		case err == nil && f&fsenum.XattrCreate != 0:
			return unix.EEXIST
		case err != nil && (err != unix.ENOATTR || f&fsenum.XattrReplace != 0):
			return err
		}
	}
	return eintr.Retry(func() error {
		switch {
		case at.Path == "":
			return unix.Fsetxattr(at.Fd, name, v, 0)
		case at.NoFollow:
			return unix.Lsetxattr(at.Path, name, v, 0)
		}
		return unix.Setxattr(at.Path, name, v, 0)
	})
}

// Removexattr removes name of the file at.
func Removexattr(at fsenum.XattrAt, name string) error {
	return eintr.Retry(func() error {
		switch {
		case at.Path == "":
			return unix.Fremovexattr(at.Fd, name)
		case at.NoFollow:
			return unix.Lremovexattr(at.Path, name)
		}
		return unix.Removexattr(at.Path, name)
	})
}

// Listxattr returns the names of the attributes of the file at, "user." and,
// where the caller may read them, "system." ones.
func Listxattr(at fsenum.XattrAt) ([]string, error) {
	var names []string
	for _, ns := range [...]struct {
		id     int
		prefix string
	}{{unix.EXTATTR_NAMESPACE_USER, "user."}, {unix.EXTATTR_NAMESPACE_SYSTEM, "system."}} {
		list, err := sized(func(dest []byte) (int, error) {
			return xattrCall(at, unix.FlistxattrNS, unix.LlistxattrNS, unix.ListxattrNS, ns.id, dest)
		})
		if err == unix.EPERM && ns.id == unix.EXTATTR_NAMESPACE_SYSTEM {
			continue // system.* needs privileges
		}
		if err != nil {
			return nil, err
		}
		// extattr's list: each name after a byte giving its length.
		for len(list) > 0 {
			n := int(list[0])
			if 1+n > len(list) {
				break
			}
			names = append(names, ns.prefix+string(list[1:1+n]))
			list = list[1+n:]
		}
	}
	return names, nil
}
