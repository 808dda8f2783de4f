package extfs

import (
	"context"
	"errors"
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

// renameNoReplace: a file is the caller's (not handled: link, which never
// replaces, and unlink). A directory cannot be linked: it is renamed after
// a look at name, and rename(2) then fails on anything put at name in
// between but an empty directory, which it replaces. That race is the
// price of a system without a rename that refuses to replace (OpenBSD,
// NetBSD, FreeBSD before 15); it loses nothing but that empty directory.
func (treeFallback) renameNoReplace(d *Dir, old, name string) (bool, error) {
	if st, err := d.Lstatx(old); err != nil || !st.Mode.IsDir() {
		return false, nil // not a directory, or gone: link says which
	}
	if _, err := d.Lstatx(name); err == nil {
		return true, linkErr("rename", old, name, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return true, err
	}
	return true, d.Rename(old, nil, name)
}

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
