package darwin

import (
	"fmt"
	"unicode/utf8"

	"github.com/extfs/extfs/internal/fsenum"
)

// Decisions of the xattr calls. Pure: the tests run on every OS.

// CheckXattrName says what is wrong with an attribute name for macOS, or ""
// if nothing is: more than XATTR_MAXNAMELEN bytes (ENAMETOOLONG from the
// kernel), or not UTF-8 (EINVAL, xattr_validatename in vfs_xattr.c). Any
// other name is allowed: macOS has no namespaces, so com.apple.* names and
// names without a dot are all ordinary names.
func CheckXattrName(name string) string {
	switch {
	case len(name) > XATTR_MAXNAMELEN:
		return fmt.Sprintf("xattr name is %d bytes, macOS's limit is %d", len(name), XATTR_MAXNAMELEN)
	case !utf8.ValidString(name):
		return fmt.Sprintf("xattr name %q is not valid UTF-8, which macOS requires", name)
	}
	return ""
}

// xattrFlags is the setxattr(2) options of extfs's XattrFlag f: macOS's
// XATTR_CREATE and XATTR_REPLACE are other bits than Linux's.
func xattrFlags(f fsenum.XattrFlag) (flags int) {
	if f&fsenum.XattrCreate != 0 {
		flags |= XATTR_CREATE
	}
	if f&fsenum.XattrReplace != 0 {
		flags |= XATTR_REPLACE
	}
	return flags
}

// FsetxattrCheck carries out XATTR_CREATE and XATTR_REPLACE for Setxattr
// on a descriptor (x/sys/unix's Fsetxattr drops its flags), given whether
// the attribute exists: EEXIST for XATTR_CREATE and an existing attribute,
// ENOATTR for XATTR_REPLACE and a missing one (the kernel's own answers),
// nil to go ahead with a plain set. The look and the set are two calls: a
// concurrent set or remove in between goes unnoticed.
func FsetxattrCheck(exists bool, flags int) error {
	switch {
	case flags&XATTR_CREATE != 0 && exists:
		return EEXIST
	case flags&XATTR_REPLACE != 0 && !exists:
		return ENOATTR
	}
	return nil
}

// maxSizedTries bounds ReadSized's rounds against a value that keeps growing.
const maxSizedTries = 8

// ReadSized reads a value whose size can change between calls, as an
// attribute's value or a list of names: size asks for its size
// (getxattr(2) with a NULL buffer), read reads into a buffer and returns
// the bytes read. The buffer has a byte more than size said, so that a read
// that fills it proves the value grew (macOS's getxattr(2) may truncate to
// the buffer instead of failing with ERANGE); then, or on ERANGE, it starts
// over, at most maxSizedTries times before failing with ERANGE. The result is
// never nil on success: an empty value is an empty slice.
func ReadSized(size func() (int, error), read func([]byte) (int, error)) ([]byte, error) {
	for range maxSizedTries {
		n, err := size()
		if err != nil {
			return nil, err
		}
		buf := make([]byte, n+1)
		got, err := read(buf)
		switch {
		case err == ERANGE:
			continue
		case err != nil:
			return nil, err
		case got >= len(buf):
			continue
		}
		return buf[:got], nil
	}
	return nil, ERANGE
}

// SplitNames splits listxattr(2)'s answer — names, each ending in a NUL —
// into names (nil for none, as on Linux). A last name without its NUL is
// kept.
func SplitNames(buf []byte) []string {
	var names []string
	start := 0
	for i, b := range buf {
		if b == 0 {
			if i > start {
				names = append(names, string(buf[start:i]))
			}
			start = i + 1
		}
	}
	if start < len(buf) {
		names = append(names, string(buf[start:]))
	}
	return names
}
