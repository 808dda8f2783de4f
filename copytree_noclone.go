//go:build !linux && !darwin

package extfs

import "context"

// sysTreeClone: CopyTree's files are filled by copyOpenFile, which clones
// where the system clones into an open file (Windows: block cloning).
func sysTreeClone(context.Context, *File, *Stat, *treeFile, *CopyOptions) (CopyStats, bool, error) {
	return CopyStats{}, false, nil
}
