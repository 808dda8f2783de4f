package extfs

// CopyTree's macOS adapter: a clone, which clonefile(2) makes by name only
// (clonename.go); the rest as treeFallback.

import "context"

type treeSys struct{ treeFallback }

var _ treeOS = treeSys{}

// clone: see cloneIntoTree (clonename.go).
func (treeSys) clone(ctx context.Context, src *File, st *Stat, nf *treeFile, o *CopyOptions) (CopyStats, bool, error) {
	return cloneIntoTree(ctx, byName, src, st, nf, o)
}
