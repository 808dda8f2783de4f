package darwin

import (
	"errors"
	"io/fs"
	"math"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/fsstat"
)

func TestBirthKnown(t *testing.T) {
	for ts, want := range map[Timespec]bool{
		{}:                 false, // what stat gives without a birth time
		{Sec: 1}:           true,
		{Nsec: 1}:          true,
		{Sec: -1}:          true,
		{Sec: 1700000000}:  true,
		{Sec: 0, Nsec: 50}: true,
	} {
		if got := BirthKnown(ts); got != want {
			t.Errorf("BirthKnown(%+v) = %v; want %v", ts, got, want)
		}
	}
}

func TestFlagsAttrs(t *testing.T) {
	tests := []struct {
		flags uint32
		want  Attrs
	}{
		{0, Attrs{}},
		{UF_IMMUTABLE, Attrs{Immutable: true}},
		{SF_IMMUTABLE, Attrs{Immutable: true}},
		{UF_APPEND, Attrs{Append: true}},
		{SF_APPEND, Attrs{Append: true}},
		{UF_NODUMP, Attrs{Nodump: true}},
		{UF_COMPRESSED, Attrs{Compressed: true}},
		{UF_IMMUTABLE | SF_APPEND | UF_NODUMP | UF_COMPRESSED, Attrs{true, true, true, true}},
		{0x8000 | 0x10000, Attrs{}}, // UF_HIDDEN, SF_ARCHIVED: no Linux equivalent
	}
	for _, tt := range tests {
		if got := FlagsAttrs(tt.flags); got != tt.want {
			t.Errorf("FlagsAttrs(%#x) = %+v; want %+v", tt.flags, got, tt.want)
		}
	}
}

func TestMknodPlan(t *testing.T) {
	tests := []struct {
		typ, perm uint32
		dev       uint64
		node      Node
		mode      uint32
		ok        bool
	}{
		{0, 0o644, 0, NodeRegular, 0o644, true},
		{S_IFREG, 0o600, 0, NodeRegular, 0o600, true},
		{S_IFIFO, 0o600, 0, NodeFIFO, 0o600, true},
		{S_IFCHR, 0o620, 3<<24 | 2, NodeDevice, S_IFCHR | 0o620, true},
		{S_IFBLK, 0o640, 1<<24 | 5, NodeDevice, S_IFBLK | 0o640, true},
		{S_IFBLK, 0o640, math.MaxUint32, NodeDevice, S_IFBLK | 0o640, true},
		{S_IFCHR, 0o620, math.MaxUint32 + 1, 0, 0, false}, // wider than dev_t
		{S_IFIFO, 0o600, 1, 0, 0, false},
		{0, 0o644, 1, 0, 0, false},
		{S_IFDIR, 0o755, 0, 0, 0, false},
		{S_IFLNK, 0o777, 0, 0, 0, false},
		{S_IFSOCK, 0o777, 0, 0, 0, false},
	}
	for _, tt := range tests {
		node, mode, ok := MknodPlan(tt.typ, tt.perm, tt.dev)
		if ok != tt.ok || ok && (node != tt.node || mode != tt.mode) {
			t.Errorf("MknodPlan(%#o, %#o, %#x) = %v, %#o, %v; want %v, %#o, %v",
				tt.typ, tt.perm, tt.dev, node, mode, ok, tt.node, tt.mode, tt.ok)
		}
	}
}

func TestTimespecs(t *testing.T) {
	omit := Timespec{Nsec: UTIME_OMIT}
	t1 := time.Unix(1700000000, 123456789)
	pre := time.Unix(-1, 500000000) // 1969-12-31T23:59:59.5Z
	far := time.Date(3000, 1, 1, 0, 0, 0, 7, time.UTC)
	tests := []struct {
		atime, mtime time.Time
		want         [2]Timespec
	}{
		{time.Time{}, time.Time{}, [2]Timespec{omit, omit}},
		{t1, time.Time{}, [2]Timespec{{1700000000, 123456789}, omit}},
		{time.Time{}, t1, [2]Timespec{omit, {1700000000, 123456789}}},
		{pre, far, [2]Timespec{{-1, 500000000}, {far.Unix(), 7}}},
	}
	for _, tt := range tests {
		if got := Timespecs(tt.atime, tt.mtime); got != tt.want {
			t.Errorf("Timespecs(%v, %v) = %v; want %v", tt.atime, tt.mtime, got, tt.want)
		}
	}
}

func TestOmitted(t *testing.T) {
	omit, set := Timespec{Nsec: UTIME_OMIT}, Timespec{Sec: 5}
	for _, tt := range []struct {
		ts        [2]Timespec
		all, some bool
	}{
		{[2]Timespec{omit, omit}, true, true},
		{[2]Timespec{omit, set}, false, true},
		{[2]Timespec{set, omit}, false, true},
		{[2]Timespec{set, set}, false, false},
	} {
		if all, some := Omitted(tt.ts); all != tt.all || some != tt.some {
			t.Errorf("Omitted(%v) = %v, %v; want %v, %v", tt.ts, all, some, tt.all, tt.some)
		}
	}
}

func TestTimevals(t *testing.T) {
	omit := Timespec{Nsec: UTIME_OMIT}
	cur := [2]Timespec{{100, 999999999}, {200, 1500}}
	tests := []struct {
		ts   [2]Timespec
		want [2]Timeval
	}{
		{[2]Timespec{{5, 999}, {6, 1999}}, [2]Timeval{{5, 0}, {6, 1}}}, // truncated to the microsecond
		{[2]Timespec{omit, {6, 0}}, [2]Timeval{{100, 999999}, {6, 0}}},
		{[2]Timespec{{5, 0}, omit}, [2]Timeval{{5, 0}, {200, 1}}},
		{[2]Timespec{{-1, 500000000}, {0, 0}}, [2]Timeval{{-1, 500000}, {0, 0}}},
	}
	for _, tt := range tests {
		if got := Timevals(tt.ts, cur); got != tt.want {
			t.Errorf("Timevals(%v, %v) = %v; want %v", tt.ts, cur, got, tt.want)
		}
	}
}

func TestInfo(t *testing.T) {
	st := &Stat{
		Dev: 0x1000004, Ino: 42, Mode: S_IFREG | S_ISUID | 0o755, Nlink: 2,
		Uid: 501, Gid: 20, Size: 5000, Blocks: 16, Blksize: 4096,
		Atime: Timespec{Sec: 1700000001, Nsec: 1},
		Mtime: Timespec{Sec: 1700000002, Nsec: 2},
		Ctime: Timespec{Sec: 1700000003, Nsec: 3},
		Btime: Timespec{Sec: 1600000000, Nsec: 4},
		Flags: UF_IMMUTABLE | UF_NODUMP | 0x8000, // 0x8000: UF_HIDDEN, no equivalent
	}
	want := fsstat.Stat{
		Dev: 0x1000004, Ino: 42, Mode: fs.ModeSetuid | 0o755, Nlink: 2,
		Uid: 501, Gid: 20, Size: 5000, Blocks: 16, Blksize: 4096,
		Atime:          time.Unix(1700000001, 1),
		Mtime:          time.Unix(1700000002, 2),
		Ctime:          time.Unix(1700000003, 3),
		Btime:          time.Unix(1600000000, 4),
		Attributes:     fsstat.AttrImmutable | fsstat.AttrNodump,
		AttributesMask: fsstat.AttrImmutable | fsstat.AttrAppend | fsstat.AttrNodump | fsstat.AttrCompressed,
	}
	if got := st.Info(); got != want {
		t.Errorf("Info = %+v\nwant %+v", got, want)
	}

	// No birth time: the zero Time, as on Linux without STATX_BTIME.
	st.Btime = Timespec{}
	st.Flags = SF_APPEND | UF_COMPRESSED
	got := st.Info()
	if !got.Btime.IsZero() {
		t.Errorf("Btime = %v for st_birthtimespec 0; want the zero Time", got.Btime)
	}
	if got.Attributes != fsstat.AttrAppend|fsstat.AttrCompressed {
		t.Errorf("Attributes = %#x for SF_APPEND|UF_COMPRESSED", got.Attributes)
	}
	if got.Attributes&^got.AttributesMask != 0 {
		t.Errorf("Attributes %#x outside AttributesMask %#x", got.Attributes, got.AttributesMask)
	}
}

func TestNodeType(t *testing.T) {
	for _, tt := range []struct {
		mode fs.FileMode
		dev  uint64
		typ  uint32
		ok   bool
	}{
		{0o644, 0, 0, true},
		{fs.ModeNamedPipe | 0o600, 0, S_IFIFO, true},
		{fs.ModeDevice | 0o640, 1<<24 | 3, S_IFBLK, true},
		{fs.ModeDevice | fs.ModeCharDevice | 0o620, 0, S_IFCHR, true},
		{fs.ModeDevice | fs.ModeCharDevice | 0o620, math.MaxUint32 + 1, 0, false},
	} {
		typ, err := NodeType(tt.mode, tt.dev)
		if tt.ok && (err != nil || typ != tt.typ) || !tt.ok && (!errors.Is(err, fs.ErrInvalid) || !errors.Is(err, EINVAL)) {
			t.Errorf("NodeType(%v, %#x) = %#o, %v; want %#o, ok %v", tt.mode, tt.dev, typ, err, tt.typ, tt.ok)
		}
	}
}
