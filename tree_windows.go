package extfs

// CopyTree's Windows adapter: a rename that never replaces (sys/windows);
// the rest as treeFallback. copyOpenFile clones into the open file where
// the volume has block cloning.

import (
	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

type treeSys struct{ treeFallback }

var _ treeOS = treeSys{}

// syncDirs: FlushFileBuffers needs a handle opened for writing, which
// CopyTree's directory handles are not; the files in them are synced.
func (treeSys) syncDirs() bool { return false }

// renameNoReplace: without it, a directory made under a temporary name
// could not be published (directories cannot be hard-linked).
func (treeSys) renameNoReplace(d *Dir, old, name string) (bool, error) {
	err := d.control(func(dirfd int) error {
		return winsys.RenameNoReplaceAt(windows.Handle(dirfd), old, name)
	})
	return true, linkErr("rename", old, name, err)
}
