package extfs

import (
	"errors"
	"runtime"
	"strconv"
	"syscall"

	"github.com/extfs/extfs/internal/fsenum"
)

// XattrFlag controls how SetXattr treats an existing attribute.
type XattrFlag int

const (
	XattrCreate  = XattrFlag(fsenum.XattrCreate)  // fail with fs.ErrExist if the attribute exists
	XattrReplace = XattrFlag(fsenum.XattrReplace) // fail if the attribute does not exist
)

// Limits the kernel enforces; checked up front for a clear error.
const (
	MaxXattrNameLen  = 255      // bytes, including the namespace prefix
	MaxXattrValueLen = 64 << 10 // XATTR_SIZE_MAX
)

// checkXattr validates a name (and value size) before any system call.
func checkXattr(name string, value []byte, flags XattrFlag) error {
	switch {
	case name == "":
		return errInvalid("empty xattr name")
	case len(name) > MaxXattrNameLen:
		return errInvalid("xattr name is %d bytes, the limit is %d", len(name), MaxXattrNameLen)
	case len(value) > MaxXattrValueLen:
		return errInvalid("xattr value is %d bytes, the limit is %d", len(value), MaxXattrValueLen)
	case flags&^(XattrCreate|XattrReplace) != 0:
		return errInvalid("unknown xattr flags %#x", int(flags))
	case flags == XattrCreate|XattrReplace:
		return errInvalid("XattrCreate and XattrReplace are exclusive")
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return errInvalid("xattr name contains a NUL byte")
		}
	}
	if msg := sysFile.xattrNameProblem(name); msg != "" {
		return errInvalid("%s", msg)
	}
	return nil
}

// ErrNoAttr is matched (errors.Is) by the error of a call on an extended
// attribute that does not exist: ENODATA on Linux, ENOATTR on macOS and
// the BSDs, which the error also still matches. The error names the
// attribute.
var ErrNoAttr = errors.New("no such extended attribute")

// noAttrError is a missing attribute: its name, and the errno.
type noAttrError struct {
	name string
	err  error
}

func (e *noAttrError) Error() string        { return strconv.Quote(e.name) + ": " + ErrNoAttr.Error() }
func (e *noAttrError) Unwrap() error        { return e.err }
func (e *noAttrError) Is(target error) bool { return target == ErrNoAttr }

// xattrErr adds to err, from an xattr call on name, the attribute's name
// when it does not exist, or the OS's explanation when the errno alone
// misleads.
func xattrErr(name string, err error) error {
	if err == nil {
		return nil
	}
	if sysCopy.noXattr(err) {
		return &noAttrError{name: name, err: err}
	}
	if hint := sysFile.xattrHint(name, err); hint != "" {
		return &hintError{err: err, hint: hint}
	}
	return err
}

// noXattr is the xattr calls of a system extfs maps none of its extended
// attributes (or streams) to, for its fileSys to embed.
type noXattr struct{}

var errNoXattr = notSupportedErr("extended attributes on " + systemName())

// systemName names this OS in messages.
func systemName() string {
	if runtime.GOOS == "windows" {
		return "Windows"
	}
	return runtime.GOOS
}

func (noXattr) xattrNameProblem(string) string                    { return "" }
func (noXattr) xattrHint(string, error) string                    { return "" }
func (noXattr) getxattr(xattrAt, string) ([]byte, error)          { return nil, errNoXattr }
func (noXattr) setxattr(xattrAt, string, []byte, XattrFlag) error { return errNoXattr }
func (noXattr) listxattr(xattrAt) ([]string, error)               { return nil, errNoXattr }
func (noXattr) removexattr(xattrAt, string) error                 { return errNoXattr }

// GetXattr returns the value of the extended attribute name.
//
// # Linux notes
//
// Names carry a namespace prefix: user., trusted., security. or system.
// A missing attribute is ErrNoAttr (and syscall.ENODATA).
//
// # macOS notes
//
// macOS has no namespaces: any name of valid UTF-8 up to 127 bytes is
// allowed (com.apple.* names are ordinary names, some of which the system
// protects); a longer or invalid one is refused with an error matching
// fs.ErrInvalid. A missing attribute is ErrNoAttr (and ENOATTR,
// syscall.Errno(93)).
// Values are limited to MaxXattrValueLen, 64 KiB, as on Linux, although
// APFS keeps larger ones: the limit is extfs's, the same on every system.
func (f *File) GetXattr(name string) ([]byte, error) {
	var v []byte
	err := f.xattrOp("fgetxattr", name, nil, 0, func(fd uintptr) (err error) {
		v, err = sysFile.getxattr(xattrAt{Fd: int(fd)}, name)
		return err
	})
	return v, err
}

// SetXattr sets the extended attribute name to value.
//
// # macOS notes
//
// XattrCreate and XattrReplace are checked with a look at the attribute
// before it is set, in two calls, not atomically: an attribute created or
// removed by another process in between goes unnoticed. (x/sys/unix's
// fsetxattr drops its flags; the path functions SetXattr and LSetXattr
// pass them to the kernel, which checks them atomically.)
func (f *File) SetXattr(name string, value []byte, flags XattrFlag) error {
	return f.xattrOp("fsetxattr", name, value, flags, func(fd uintptr) error {
		return sysFile.setxattr(xattrAt{Fd: int(fd)}, name, value, flags)
	})
}

// ListXattr returns the names of the file's extended attributes.
func (f *File) ListXattr() ([]string, error) {
	var names []string
	err := f.control("flistxattr", func(fd uintptr) (err error) {
		names, err = sysFile.listxattr(xattrAt{Fd: int(fd)})
		return err
	})
	return names, err
}

// RemoveXattr removes the extended attribute name.
func (f *File) RemoveXattr(name string) error {
	return f.xattrOp("fremovexattr", name, nil, 0, func(fd uintptr) error {
		return sysFile.removexattr(xattrAt{Fd: int(fd)}, name)
	})
}

func (f *File) xattrOp(op, name string, value []byte, flags XattrFlag, fn func(fd uintptr) error) error {
	if err := checkXattr(name, value, flags); err != nil {
		return pathErr(op, f.Name(), err)
	}
	return f.control(op, func(fd uintptr) error { return xattrErr(name, fn(fd)) })
}

// GetXattr returns the value of the extended attribute name of the file at
// path, following symbolic links.
func GetXattr(path, name string) ([]byte, error) { return getXattr("getxattr", path, name, true) }

// LGetXattr is GetXattr on a symbolic link itself.
func LGetXattr(path, name string) ([]byte, error) { return getXattr("lgetxattr", path, name, false) }

// SetXattr sets an extended attribute of the file at path, following symbolic links.
func SetXattr(path, name string, value []byte, flags XattrFlag) error {
	return setXattr("setxattr", path, name, value, flags, true)
}

// LSetXattr is SetXattr on a symbolic link itself. On Linux, user.* attributes
// are not allowed on symbolic links (the error wraps syscall.EPERM).
func LSetXattr(path, name string, value []byte, flags XattrFlag) error {
	return setXattr("lsetxattr", path, name, value, flags, false)
}

// ListXattr lists the extended attributes of the file at path, following symbolic links.
func ListXattr(path string) ([]string, error) { return listXattr("listxattr", path, true) }

// LListXattr is ListXattr on a symbolic link itself.
func LListXattr(path string) ([]string, error) { return listXattr("llistxattr", path, false) }

// RemoveXattr removes an extended attribute of the file at path, following symbolic links.
func RemoveXattr(path, name string) error { return removeXattr("removexattr", path, name, true) }

// LRemoveXattr is RemoveXattr on a symbolic link itself.
func LRemoveXattr(path, name string) error { return removeXattr("lremovexattr", path, name, false) }

// checkXattrPath is checkXattr for the path functions, which refuse a path
// with a NUL byte too (fs.ErrInvalid, as Dir does); it names the file.
func checkXattrPath(path, name string, value []byte, flags XattrFlag, follow bool) (xattrAt, error) {
	if err := checkPath("path", path); err != nil {
		return xattrAt{}, err
	}
	if err := checkXattr(name, value, flags); err != nil {
		return xattrAt{}, err
	}
	return pathAt(path, follow)
}

// pathAt names the file at path, following a final symbolic link if
// follow. An empty path names no file, but an xattrAt without a path names
// a descriptor: the path functions answer it here as the system calls do,
// ENOENT, or errNoXattr where there are no xattrs.
func pathAt(path string, follow bool) (xattrAt, error) {
	if path == "" {
		if !sysFile.supports(FeatureXattr) {
			return xattrAt{}, errNoXattr
		}
		return xattrAt{}, syscall.ENOENT
	}
	return xattrAt{Path: path, NoFollow: !follow}, nil
}

func getXattr(op, path, name string, follow bool) ([]byte, error) {
	at, err := checkXattrPath(path, name, nil, 0, follow)
	if err != nil {
		return nil, pathErr(op, path, err)
	}
	v, err := sysFile.getxattr(at, name)
	return v, pathErr(op, path, xattrErr(name, err))
}

func setXattr(op, path, name string, value []byte, flags XattrFlag, follow bool) error {
	at, err := checkXattrPath(path, name, value, flags, follow)
	if err != nil {
		return pathErr(op, path, err)
	}
	return pathErr(op, path, xattrErr(name, sysFile.setxattr(at, name, value, flags)))
}

func listXattr(op, path string, follow bool) ([]string, error) {
	if err := checkPath("path", path); err != nil {
		return nil, pathErr(op, path, err)
	}
	at, err := pathAt(path, follow)
	if err != nil {
		return nil, pathErr(op, path, err)
	}
	names, err := sysFile.listxattr(at)
	return names, pathErr(op, path, err)
}

func removeXattr(op, path, name string, follow bool) error {
	at, err := checkXattrPath(path, name, nil, 0, follow)
	if err != nil {
		return pathErr(op, path, err)
	}
	return pathErr(op, path, xattrErr(name, sysFile.removexattr(at, name)))
}
