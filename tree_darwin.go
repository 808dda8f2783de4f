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

// clone clones src as CopyFile does (darwinClone), under a temporary name
// in nf's directory, then renames the clone over nf's empty file (its own
// name, unseen yet, or its temporary name): nf.commit then publishes it as
// it would a copy. Under CoWAlways a clone that cannot be made is an error
// matching ErrNotSupported that says why.
func (treeSys) clone(ctx context.Context, src *File, st *Stat, nf *treeFile, o *CopyOptions) (stats CopyStats, cloned bool, err error) {
	spot := nf.current()
	if !cloneWanted(o.CoW, st.Size) || spot == "" {
		return CopyStats{}, false, nil
	}
	var f *File
	err = nf.d.control(func(dirfd int) error {
		c := newDarwinClone(src, st, o, dirfd, "", nf.name)
		c.shown, c.spare = nf.d.Name(), nf.f
		t, err := c.make(ctx)
		if err != nil || !t.done {
			return err
		}
		// Over CopyTree's own empty file: the name stays taken throughout.
		if err := darwin.Renameat(dirfd, t.name, dirfd, spot); err != nil {
			t.f.Close()
			return errors.Join(linkErr("renameat", c.path(t.name), c.path(spot), err), c.remove(t.name))
		}
		f, stats = t.f, t.stats
		return nil
	})
	if err != nil || f == nil {
		return CopyStats{}, false, err
	}
	nf.f.Close() // the empty file, unlinked by the rename
	nf.f = f
	return stats, true, nil
}
