package extfs

// Tests of file_darwin.go's translations (run on a Mac; GOOS=darwin builds
// them). The decisions are sys/darwin's, tested there on every OS.

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/fsenum"
	"github.com/extfs/extfs/sys/darwin"
)

// badFd is no descriptor: the calls below must answer before using it.
const badFd = ^uintptr(0)

func TestDarwinAlloc(t *testing.T) {
	if fsenum.AllocKeepSize != fsenum.AllocMode(AllocKeepSize) || fsenum.AllocPunchHole != fsenum.AllocMode(AllocPunchHole) {
		t.Fatal("fsenum.AllocMode's values are not AllocMode's")
	}
	for _, tt := range []struct {
		mode AllocMode
		ok   bool
	}{
		{0, true},
		{AllocKeepSize, true},
		{AllocPunchHole | AllocKeepSize, true},
		{AllocZeroRange, false},
		{AllocZeroRange | AllocKeepSize, false},
		{AllocCollapseRange, false},
		{AllocInsertRange, false},
		{AllocUnshareRange, false},
		{AllocUnshareRange | AllocKeepSize, false},
	} {
		if err := tt.mode.check(); err != nil {
			t.Fatalf("mode %v: check: %v (the table must hold valid modes)", tt.mode, err)
		}
		err := (fileSys{}).fallocate(badFd, tt.mode, 0, 1)
		if tt.ok {
			if errors.Is(err, ErrNotSupported) {
				t.Errorf("fallocate(%v) = %v; want it tried", tt.mode, err)
			}
			continue
		}
		err = pathErr("fallocate", "/f", err)
		if !errors.Is(err, ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("fallocate(%v) error %v does not match ErrNotSupported and errors.ErrUnsupported", tt.mode, err)
		}
		if !strings.Contains(err.Error(), tt.mode.String()) {
			t.Errorf("fallocate(%v) error %q does not name the mode", tt.mode, err)
		}
	}
}

func TestDarwinAdvice(t *testing.T) {
	for a, da := range map[Advice]fsenum.Advice{
		AdviceNormal: fsenum.AdviceNormal, AdviceSequential: fsenum.AdviceSequential,
		AdviceRandom: fsenum.AdviceRandom, AdviceWillNeed: fsenum.AdviceWillNeed,
		AdviceDontNeed: fsenum.AdviceDontNeed, AdviceNoReuse: fsenum.AdviceNoReuse,
	} {
		if fsenum.Advice(a) != da {
			t.Errorf("fsenum.Advice(%v) = %d; want %d", a, fsenum.Advice(a), da)
		}
	}
	err := (fileSys{}).fadvise(badFd, 0, 0, AdviceDontNeed)
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "dontneed") {
		t.Errorf("fadvise(AdviceDontNeed) = %v; want an ErrNotSupported naming it", err)
	}
}

func TestDarwinXattrName(t *testing.T) {
	for _, name := range []string{"user.x", "com.apple.FinderInfo", "x", strings.Repeat("a", 127)} {
		if msg := (fileSys{}).xattrNameProblem(name); msg != "" {
			t.Errorf("xattrNameProblem(%q) = %q; want none", name, msg)
		}
	}
	// 128..255 bytes pass the portable check (MaxXattrNameLen) but not macOS's.
	for _, name := range []string{strings.Repeat("a", 128), strings.Repeat("a", MaxXattrNameLen), "\xff\xfe"} {
		if msg := (fileSys{}).xattrNameProblem(name); msg == "" {
			t.Errorf("xattrNameProblem(%q) = none; want a problem", name)
		}
	}
}

func TestStatFromDarwin(t *testing.T) {
	st := darwin.Stat{
		Dev: 0x1000004, Ino: 42, Mode: darwin.S_IFREG | darwin.S_ISUID | 0o755, Nlink: 2,
		Uid: 501, Gid: 20, Rdev: 0, Size: 5000, Blocks: 16, Blksize: 4096,
		Atime: darwin.Timespec{Sec: 1700000001, Nsec: 1},
		Mtime: darwin.Timespec{Sec: 1700000002, Nsec: 2},
		Ctime: darwin.Timespec{Sec: 1700000003, Nsec: 3},
		Btime: darwin.Timespec{Sec: 1600000000, Nsec: 4},
		Flags: darwin.UF_IMMUTABLE | darwin.UF_NODUMP | 0x8000, // 0x8000: UF_HIDDEN, no equivalent
	}
	got, _ := statOf(st.Info(), nil)
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
		t.Errorf("statOf(st.Info()) = %+v\nwant %+v", *got, *want)
	}

	// No birth time: the zero Time, as on Linux without STATX_BTIME.
	st.Btime = darwin.Timespec{}
	st.Flags = darwin.SF_APPEND | darwin.UF_COMPRESSED
	got, _ = statOf(st.Info(), nil)
	if !got.Btime.IsZero() {
		t.Errorf("Btime = %v for st_birthtimespec 0; want the zero Time", got.Btime)
	}
	if got.Attributes != AttrAppend|AttrCompressed {
		t.Errorf("Attributes = %#x for SF_APPEND|UF_COMPRESSED; want %#x", got.Attributes, AttrAppend|AttrCompressed)
	}
}
