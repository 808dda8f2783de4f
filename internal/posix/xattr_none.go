//go:build !freebsd && !netbsd

package posix

// Xattr: no extended attributes here through this package (OpenBSD has
// none; Linux, macOS and Windows have backends of their own).
const XattrNames = ""

type Xattr struct {
	Fd       int
	Path     string
	NoFollow bool
}

func (Xattr) Get(string) ([]byte, error)           { return nil, ErrUnsupported }
func (Xattr) Set(string, []byte, bool, bool) error { return ErrUnsupported }
func (Xattr) Remove(string) error                  { return ErrUnsupported }
func (Xattr) List() ([]string, error)              { return nil, ErrUnsupported }
