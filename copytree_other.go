//go:build !linux

package extfs

// CopyTree hooks where no system-specific mechanism is wired up yet: new
// files get a temporary name, renamed by link and unlink; sockets, and the
// xattrs of entries that cannot be opened, are not copied (ErrNotSupported,
// never a silent success). CopyTree itself works as far as Dir does. macOS
// adds its clones (copytree_darwin.go).

import (
	"io/fs"
	"os"
)

const (
	treeDirFlags = os.O_RDONLY
	treeSrcFlags = os.O_RDONLY
	treeNewFlags = os.O_RDWR | os.O_CREATE | os.O_EXCL
)

func sysTreeTempFile(*Dir, fs.FileMode) (*File, bool, error) { return nil, false, nil }

func sysTreeLinkFile(f *File, d *Dir, name string) error {
	return linkErr("link", f.Name(), name, notSupportedErr("naming an unnamed file"))
}

func sysTreeRenameNoReplace(*Dir, string, string) (bool, error) { return false, nil }

func sysTreeMksock(_ *Dir, name string, _ fs.FileMode) error {
	return pathErr("mknod", name, notSupportedErr("copying a socket"))
}

// sysTreeCopyLxattrs: the source's attributes cannot be listed here without
// following the entry, so there are none known to copy — except that a
// caller who asked for them must hear so.
func sysTreeCopyLxattrs(_ *Dir, sname string, _ *Dir, _ string) error {
	return pathErr("llistxattr", sname, notSupportedErr("xattrs of symbolic links and special files"))
}
