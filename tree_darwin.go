package extfs

// CopyTree's macOS adapter: a clone, which clonefile(2) makes by name only
// (see copy_darwin.go); the rest as treeFallback.

import (
	"context"
	"errors"

	"github.com/extfs/extfs/sys/darwin"
)

type treeSys struct{ treeFallback }

var _ treeOS = treeSys{}

// clone makes CopyTree's new file nf a clone of src (whose Statx is
// st), as CopyFile's temporary file is one (sysCloneTemp): the clone is
// made under a temporary name in nf's directory, made to pass for a new
// file (darwinClone.fix, nf's empty file giving the copy's permission
// bits), then renamed over nf's file — its own name in a directory CopyTree
// made, which nobody sees yet, or its temporary name — and becomes nf's
// File, which nf.commit then publishes as it would the copy. cloned is
// false when the caller is to copy into nf: no clone wanted (CoWNever, an
// empty file under CoWAuto), or none possible under CoWAuto. Under
// CoWAlways, a clone that cannot be made is an error matching
// ErrNotSupported that says why (darwinNoCloneVerdict).
func (treeSys) clone(ctx context.Context, src *File, st *Stat, nf *treeFile, o *CopyOptions) (stats CopyStats, cloned bool, err error) {
	spot := nf.current()
	if !darwinCloneWanted(o.CoW, st.Size) || spot == "" {
		return CopyStats{}, false, nil
	}
	var f *File
	err = nf.d.control(func(dirfd int) error {
		c := &darwinClone{src: src, st: st, o: o, dirfd: dirfd, base: nf.name, shown: nf.d.Name(), spare: nf.f}
		clone, name, s, err := c.make(ctx)
		if err != nil || clone == nil {
			return err
		}
		// Over CopyTree's own empty file: the name stays taken throughout.
		if err := darwin.Renameat(dirfd, name, dirfd, spot); err != nil {
			clone.Close()
			return errors.Join(linkErr("renameat", c.path(name), c.path(spot), err), c.remove(name))
		}
		f, stats = clone, s
		return nil
	})
	if err != nil || f == nil {
		return CopyStats{}, false, err
	}
	nf.f.Close() // the empty file, unlinked by the rename
	nf.f = f
	return stats, true, nil
}
