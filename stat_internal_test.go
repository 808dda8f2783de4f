package extfs

import (
	"errors"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/fsstat"
)

// TestStatOf: statOf copies every field, and fsstat's attribute bits,
// which sys/darwin and sys/windows report, are StatAttr's.
func TestStatOf(t *testing.T) {
	for _, c := range []struct{ got, want StatAttr }{
		{fsstat.AttrCompressed, AttrCompressed}, {fsstat.AttrImmutable, AttrImmutable},
		{fsstat.AttrAppend, AttrAppend}, {fsstat.AttrNodump, AttrNodump}, {fsstat.AttrEncrypted, AttrEncrypted},
	} {
		if c.got != c.want {
			t.Errorf("fsstat bit %#x, StatAttr %#x", c.got, c.want)
		}
	}
	at := func(s int64) time.Time { return time.Unix(s, s) }
	st, err := statOf(fsstat.Stat{
		Dev: 1, Ino: 2, Mode: 0o640, Nlink: 3, Uid: 4, Gid: 5, Rdev: 6, Size: 7, Blocks: 8, Blksize: 9,
		Atime: at(10), Mtime: at(11), Ctime: at(12), Btime: at(13),
		Attributes: fsstat.AttrAppend, AttributesMask: fsstat.AttrAppend | fsstat.AttrNodump,
	}, nil)
	want := Stat{
		Dev: 1, Ino: 2, Mode: 0o640, Nlink: 3, Uid: 4, Gid: 5, Rdev: 6, Size: 7, Blocks: 8, Blksize: 9,
		Atime: at(10), Mtime: at(11), Ctime: at(12), Btime: at(13),
		Attributes: AttrAppend, AttributesMask: AttrAppend | AttrNodump,
	}
	if err != nil || *st != want {
		t.Errorf("statOf = %+v, %v\nwant %+v", st, err, want)
	}
	errTest := errors.New("test")
	if st, err := statOf(fsstat.Stat{Size: 1}, errTest); st != nil || err != errTest {
		t.Errorf("statOf with an error = %v, %v", st, err)
	}
}
