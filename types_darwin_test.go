package extfs

// Tests of types_darwin.go (run on a Mac; GOOS=darwin builds them).

import (
	"errors"
	"io/fs"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/extfs/extfs/sys/darwin"
)

func TestDarwinAlloc(t *testing.T) {
	for _, tt := range []struct {
		mode AllocMode
		op   darwinAllocOp
	}{
		{0, darwinPreallocate},
		{AllocKeepSize, darwinPreallocate},
		{AllocPunchHole | AllocKeepSize, darwinPunch},
		{AllocZeroRange, 0},
		{AllocZeroRange | AllocKeepSize, 0},
		{AllocCollapseRange, 0},
		{AllocInsertRange, 0},
		{AllocUnshareRange, 0},
		{AllocUnshareRange | AllocKeepSize, 0},
	} {
		if err := tt.mode.check(); err != nil {
			t.Fatalf("mode %v: check: %v (the table must hold valid modes)", tt.mode, err)
		}
		op, err := darwinAlloc(tt.mode)
		if op != tt.op {
			t.Errorf("darwinAlloc(%v) = %d; want %d", tt.mode, op, tt.op)
		}
		if tt.op != 0 {
			if err != nil {
				t.Errorf("darwinAlloc(%v): %v", tt.mode, err)
			}
			continue
		}
		err = pathErr("fallocate", "/f", classify(tt.mode.String(), err))
		if !errors.Is(err, ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("darwinAlloc(%v) error %v does not match ErrNotSupported and errors.ErrUnsupported", tt.mode, err)
		}
		if !strings.Contains(err.Error(), tt.mode.String()) {
			t.Errorf("darwinAlloc(%v) error %q does not name the mode", tt.mode, err)
		}
	}
}

func TestDarwinAdvice(t *testing.T) {
	if len(darwinAdvice) != int(AdviceNoReuse)+1 {
		t.Fatalf("darwinAdvice maps %d advices; there are %d", len(darwinAdvice), AdviceNoReuse+1)
	}
	for a := AdviceNormal; a <= AdviceNoReuse; a++ {
		da, err := darwinFadvise(a)
		if a == AdviceDontNeed {
			if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "dontneed") {
				t.Errorf("darwinFadvise(%v) = %v, %v; want an ErrNotSupported naming it", a, da, err)
			}
			continue
		}
		if err != nil || int(da) != int(a) {
			t.Errorf("darwinFadvise(%v) = %d, %v; want %d, nil", a, da, err, a)
		}
	}
}

func TestDarwinXattrFlags(t *testing.T) {
	for f, want := range map[XattrFlag]int{
		0:            0,
		XattrCreate:  darwin.XATTR_CREATE,
		XattrReplace: darwin.XATTR_REPLACE,
	} {
		if got := darwinXattrFlags(f); got != want {
			t.Errorf("darwinXattrFlags(%d) = %#x; want %#x", f, got, want)
		}
	}
}

func TestDarwinXattrName(t *testing.T) {
	for _, name := range []string{"user.x", "com.apple.FinderInfo", "x", strings.Repeat("a", 127)} {
		if err := darwinXattrName(name); err != nil {
			t.Errorf("darwinXattrName(%q) = %v; want nil", name, err)
		}
	}
	// 128..255 bytes pass the portable check (MaxXattrNameLen) but not macOS's.
	for _, name := range []string{strings.Repeat("a", 128), strings.Repeat("a", MaxXattrNameLen), "\xff\xfe"} {
		if err := darwinXattrName(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("darwinXattrName(%q) = %v; want an error matching fs.ErrInvalid", name, err)
		}
	}
}

func TestStatFromDarwin(t *testing.T) {
	st := &darwin.Stat{
		Dev: 0x1000004, Ino: 42, Mode: darwin.S_IFREG | darwin.S_ISUID | 0o755, Nlink: 2,
		Uid: 501, Gid: 20, Rdev: 0, Size: 5000, Blocks: 16, Blksize: 4096,
		Atime: darwin.Timespec{Sec: 1700000001, Nsec: 1},
		Mtime: darwin.Timespec{Sec: 1700000002, Nsec: 2},
		Ctime: darwin.Timespec{Sec: 1700000003, Nsec: 3},
		Btime: darwin.Timespec{Sec: 1600000000, Nsec: 4},
		Flags: darwin.UF_IMMUTABLE | darwin.UF_NODUMP | 0x8000, // 0x8000: UF_HIDDEN, no equivalent
	}
	got := statFromDarwin(st)
	want := &Stat{
		Dev: 0x1000004, Ino: 42, Mode: fs.ModeSetuid | 0o755, Nlink: 2,
		Uid: 501, Gid: 20, Size: 5000, Blocks: 16, Blksize: 4096,
		Atime:          time.Unix(1700000001, 1),
		Mtime:          time.Unix(1700000002, 2),
		Ctime:          time.Unix(1700000003, 3),
		Btime:          time.Unix(1600000000, 4),
		Attributes:     AttrImmutable | AttrNodump,
		AttributesMask: AttrImmutable | AttrAppend | AttrNodump | AttrCompressed,
	}
	if *got != *want {
		t.Errorf("statFromDarwin = %+v\nwant %+v", *got, *want)
	}

	// No birth time: the zero Time, as on Linux without STATX_BTIME.
	st.Btime = darwin.Timespec{}
	st.Flags = darwin.SF_APPEND | darwin.UF_COMPRESSED
	got = statFromDarwin(st)
	if !got.Btime.IsZero() {
		t.Errorf("Btime = %v for st_birthtimespec 0; want the zero Time", got.Btime)
	}
	if got.Attributes != AttrAppend|AttrCompressed {
		t.Errorf("Attributes = %#x for SF_APPEND|UF_COMPRESSED; want %#x", got.Attributes, AttrAppend|AttrCompressed)
	}
	// Every attribute reported is in the mask.
	if got.Attributes&^got.AttributesMask != 0 {
		t.Errorf("Attributes %#x outside AttributesMask %#x", got.Attributes, got.AttributesMask)
	}
}

func TestDarwinNodeType(t *testing.T) {
	for _, tt := range []struct {
		mode fs.FileMode
		dev  uint64
		typ  uint32
		ok   bool
	}{
		{0o644, 0, 0, true},
		{fs.ModeNamedPipe | 0o600, 0, darwin.S_IFIFO, true},
		{fs.ModeDevice | 0o640, 1<<24 | 3, darwin.S_IFBLK, true},
		{fs.ModeDevice | fs.ModeCharDevice | 0o620, 0, darwin.S_IFCHR, true},
		{fs.ModeDevice | fs.ModeCharDevice | 0o620, math.MaxUint32 + 1, 0, false},
	} {
		if err := checkMknod(tt.mode, tt.dev); err != nil {
			t.Fatalf("mode %v dev %#x: checkMknod: %v (the table must hold valid modes)", tt.mode, tt.dev, err)
		}
		typ, err := darwinNodeType(tt.mode, tt.dev)
		if tt.ok && (err != nil || typ != tt.typ) || !tt.ok && !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("darwinNodeType(%v, %#x) = %#o, %v; want %#o, ok %v", tt.mode, tt.dev, typ, err, tt.typ, tt.ok)
		}
	}
}
