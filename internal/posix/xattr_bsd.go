//go:build freebsd || netbsd

package posix

// Extended attributes on FreeBSD and NetBSD: extattr(2), through the
// xattr-shaped calls of x/sys/unix, which take "user." and "system." names
// and map them to the extattr namespaces. Symbolic links are not followed
// with nofollow (extattr_*_link). extattr has no create/replace flags:
// Set looks first, so two racing creators can both succeed.

import (
	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// XattrNames says what names Xattr takes, for an error's explanation; ""
// where it has no attributes at all.
const XattrNames = "user.* and system.* (the extattr namespaces)"

// Xattr names a file for the calls below: by descriptor (Path "" and Fd),
// or by path, following a final symbolic link unless NoFollow.
type Xattr struct {
	Fd       int
	Path     string
	NoFollow bool
}

func (x Xattr) get(name string, dest []byte) (int, error) {
	return eintr.Retry1(func() (int, error) {
		switch {
		case x.Path == "":
			return unix.Fgetxattr(x.Fd, name, dest)
		case x.NoFollow:
			return unix.Lgetxattr(x.Path, name, dest)
		}
		return unix.Getxattr(x.Path, name, dest)
	})
}

// Get returns the value of name.
func (x Xattr) Get(name string) ([]byte, error) {
	return sized(func(dest []byte) (int, error) { return x.get(name, dest) })
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

// Set sets name to v; create: fail with EEXIST if it exists; replace: fail
// with ENOATTR if it does not.
func (x Xattr) Set(name string, v []byte, create, replace bool) error {
	if create || replace {
		_, err := x.get(name, nil)
		switch {
		case err == nil && create:
			return unix.EEXIST
		case err != nil && (err != unix.ENOATTR || replace):
			return err
		}
	}
	return eintr.Retry(func() error {
		switch {
		case x.Path == "":
			return unix.Fsetxattr(x.Fd, name, v, 0)
		case x.NoFollow:
			return unix.Lsetxattr(x.Path, name, v, 0)
		}
		return unix.Setxattr(x.Path, name, v, 0)
	})
}

// Remove removes name.
func (x Xattr) Remove(name string) error {
	return eintr.Retry(func() error {
		switch {
		case x.Path == "":
			return unix.Fremovexattr(x.Fd, name)
		case x.NoFollow:
			return unix.Lremovexattr(x.Path, name)
		}
		return unix.Removexattr(x.Path, name)
	})
}

// List returns the names of the file's attributes, "user." and, where the
// caller may read them, "system." ones.
func (x Xattr) List() ([]string, error) {
	var names []string
	for _, ns := range [...]struct {
		id     int
		prefix string
	}{{unix.EXTATTR_NAMESPACE_USER, "user."}, {unix.EXTATTR_NAMESPACE_SYSTEM, "system."}} {
		list, err := x.list(ns.id)
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

func (x Xattr) list(ns int) ([]byte, error) {
	return sized(func(dest []byte) (int, error) {
		return eintr.Retry1(func() (int, error) {
			switch {
			case x.Path == "":
				return unix.FlistxattrNS(x.Fd, ns, dest)
			case x.NoFollow:
				return unix.LlistxattrNS(x.Path, ns, dest)
			}
			return unix.ListxattrNS(x.Path, ns, dest)
		})
	})
}
