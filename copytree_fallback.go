package extfs

import (
	"context"
	"io/fs"
	"os"
)

// treeFallback is CopyTree on a system without a mechanism of its own: new
// files get a temporary name, renamed by link and unlink; sockets, and the
// xattrs of entries that cannot be opened, are not copied (ErrNotSupported,
// never a silent success). Each OS's treeSys embeds it and overrides what
// the OS does better.
type treeFallback struct{}

func (treeFallback) openFlags() treeFlags {
	return treeFlags{dir: os.O_RDONLY, src: os.O_RDONLY, new: os.O_RDWR | os.O_CREATE | os.O_EXCL}
}

func (treeFallback) tempFile(*Dir, fs.FileMode) (*File, bool, error) { return nil, false, nil }

func (treeFallback) linkFile(f *File, _ *Dir, name string) error {
	return linkErr("link", f.Name(), name, notSupportedErr("naming an unnamed file"))
}

func (treeFallback) renameNoReplace(*Dir, string, string) (bool, error) { return false, nil }

func (treeFallback) syncDirs() bool { return true }

func (treeFallback) mksock(_ *Dir, name string, _ fs.FileMode) error {
	return pathErr("mknod", name, notSupportedErr("copying a socket"))
}

// copyLxattrs: the source's attributes cannot be listed without following
// the entry, so there are none known to copy; a caller who asked for them
// must hear so.
func (treeFallback) copyLxattrs(_ *Dir, sname string, _ *Dir, _ string) error {
	return pathErr("llistxattr", sname, notSupportedErr("xattrs of symbolic links and special files"))
}

// clone: files are filled by copyOpenFile, which clones where the system
// clones into an open file (Linux FICLONE, Windows block cloning).
func (treeFallback) clone(context.Context, *File, *Stat, *treeFile, *CopyOptions) (CopyStats, bool, error) {
	return CopyStats{}, false, nil
}
