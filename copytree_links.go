package extfs

// CopyTree's hard links (CopyOptions.Hardlinks): the first entry of an
// inode to be reached is copied (claim, in phase 2); the others are linked
// to it in phase 3, once every directory and linked-to file exists.

import (
	"errors"
	"io/fs"
	"time"
)

// treeFirst is the entry that copies an inode (Hardlinks).
type treeFirst struct {
	d    *treeDir
	name string
}

// treeLink is an entry to be made as a hard link to a copied one.
type treeLink struct {
	to, from         *treeDir // the directories of the copied entry and of the link
	toName, fromName string
	mode             fs.FileMode
	mtime            time.Time // the inode's, for ExistingUpdate
}

// claim decides, with Hardlinks, who makes an inode with more than one
// link: the first of its entries to get here (it returns true) is copied;
// the others are listed for phase 3, to be linked to it.
func (t *treeCopy) claim(st *Stat, d *treeDir, name string) bool {
	t.linksMu.Lock()
	defer t.linksMu.Unlock()
	if t.firsts == nil {
		t.firsts = make(map[[2]uint64]treeFirst)
	}
	k := [2]uint64{st.Dev, st.Ino}
	f, ok := t.firsts[k]
	if !ok {
		t.firsts[k] = treeFirst{d, name}
		return true
	}
	t.links = append(t.links, treeLink{to: f.d, toName: f.name, from: d, fromName: name, mode: st.Mode, mtime: st.Mtime})
	return false
}

func (t *treeCopy) linkAll(links []treeLink) {
	var stats CopyStats
	defer t.addStats(&stats)
	for _, l := range links {
		if t.stopped() {
			return
		}
		rel := l.from.join(l.fromName)
		m, err := t.link(l)
		l.from.noteChange(m, err)
		if err != nil {
			t.failEntry(rel, t.errAt("link", rel, err))
			continue
		}
		t.onEntry(rel, m, 0)
		stats.countMethod(m)
		if m != MethodHardlink {
			continue
		}
		if l.mode&fs.ModeSymlink != 0 {
			stats.Symlinks++
		} else {
			stats.Files++
		}
	}
}

// link makes l; an entry there is replaced, or kept (see keep).
func (t *treeCopy) link(l treeLink) (Method, error) {
	old, name := l.to.dstJoin(l.toName), l.from.dstJoin(l.fromName)
	err := t.dst.Link(old, nil, name)
	if err == nil {
		return MethodHardlink, nil
	}
	if l.from.made || t.opt.Existing == ExistingError || !errors.Is(err, fs.ErrExist) {
		return 0, err
	}
	switch t.opt.Existing {
	case ExistingSkip:
		return MethodSkipped, nil
	case ExistingUpdate:
		if st, err := t.dst.Lstatx(name); err == nil && !st.Mtime.Before(l.mtime) {
			return MethodUnchanged, nil
		}
	}
	tmp := l.from.dstJoin(tempName(l.fromName))
	if err := t.dst.Link(old, nil, tmp); err != nil {
		return 0, err
	}
	if err := t.dst.Rename(tmp, nil, name); err != nil {
		if rerr := t.dst.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return 0, err
	}
	return MethodHardlink, nil
}
