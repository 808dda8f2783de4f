package darwin

import (
	"bytes"
	"errors"
	"io/fs"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/byname"
)

func TestCloneFallback(t *testing.T) {
	const (
		eacces  = syscall.Errno(13)
		erofs   = syscall.Errno(30)
		edeadlk = syscall.Errno(11) // a dataless file the I/O policy may not materialize
	)
	for err, want := range map[error]bool{
		ENOTSUP:    true, // HFS+, FAT, exFAT, SMB: no VNOP_CLONEFILE
		EOPNOTSUPP: true,
		EXDEV:      true, // another volume
		EINVAL:     true,
		EPERM:      true, // the sandbox
		nil:        false,
		EEXIST:     false, // the name is taken: try another, never copy over it
		ENOENT:     false,
		eacces:     true, // clonefile wants more rights than read(2); a copy tells
		ENOSPC:     false,
		erofs:      false,
		edeadlk:    false,
		eio:        false,
	} {
		if got := CloneFallback(err); got != want {
			t.Errorf("CloneFallback(%v) = %v; want %v", err, got, want)
		}
	}
}

func TestCloneFlags(t *testing.T) {
	for _, tt := range []struct {
		flags, want uint32
	}{
		{0, 0},
		{UF_NODUMP, 0},
		{UF_IMMUTABLE | UF_APPEND, 0},  // the owner's: cleared first, so that the clone can be changed and renamed
		{0x8000 | 0x40, 0},             // UF_HIDDEN, UF_TRACKED
		{UF_COMPRESSED, UF_COMPRESSED}, // its data is compressed: kept
		{UF_COMPRESSED | UF_NODUMP, UF_COMPRESSED}, // only the flag that matters kept
		{UF_DATAVAULT, UF_DATAVAULT},               // inherited from the directory; needs an entitlement to clear
		{0x10000, 0x10000},                         // SF_ARCHIVED: the superuser's, left alone
		{UF_SETTABLE | 0x10000, UF_COMPRESSED | UF_DATAVAULT | 0x10000},
	} {
		got, change := CloneFlags(tt.flags)
		if got != tt.want || change != (tt.want != tt.flags) {
			t.Errorf("CloneFlags(%#x) = %#x, %v; want %#x, %v", tt.flags, got, change, tt.want, tt.want != tt.flags)
		}
	}
	for _, f := range []uint32{SF_IMMUTABLE, SF_APPEND, SF_NOUNLINK} {
		if CloneStuck&f == 0 {
			t.Errorf("CloneStuck lacks %#x", f)
		}
		if _, change := CloneFlags(f); change {
			t.Errorf("CloneFlags(%#x) wants a change only the superuser could make", f)
		}
	}
}

func TestCloneWidens(t *testing.T) {
	for _, tt := range []struct {
		mode, want uint32
		widens     bool
	}{
		{S_IFREG | 0o644, 0o644, false}, // umask 022: the usual case
		{S_IFREG | 0o755, 0o755, false},
		{S_IFREG | 0o600, 0o644, false}, // narrower for an instant: harmless
		{S_IFREG | 0o444, 0o444, false},
		{S_IFREG | 0o664, 0o644, true},   // group write for an instant
		{S_IFREG | 0o644, 0o600, true},   // umask 077: readable by others for an instant
		{S_IFREG | 0o4755, 0o755, false}, // setuid: turned off by clonefile
		{S_IFREG | 0o1644, 0o644, false}, // sticky: grants nothing
		{S_IFREG | 0o777, 0o775, true},
	} {
		if got := CloneWidens(tt.mode, tt.want); got != tt.widens {
			t.Errorf("CloneWidens(%#o, %#o) = %v; want %v", tt.mode, tt.want, got, tt.widens)
		}
	}
}

func TestCloneWorkMode(t *testing.T) {
	for _, tt := range []struct {
		mode, work uint32
	}{
		{0o644, 0o644},
		{0o600, 0o600},
		{0o444, 0o644}, // read-only source (git objects): the owner gains write
		{0o000, 0o600},
		{0o200, 0o600},
		{0o1755, 0o1755},
		{S_IFREG | 0o400, 0o600}, // type bits dropped
	} {
		work, change := CloneWorkMode(tt.mode)
		if work != tt.work || change != (tt.work != tt.mode&0o7777) {
			t.Errorf("CloneWorkMode(%#o) = %#o, %v; want %#o, %v", tt.mode, work, change, tt.work, tt.work != tt.mode&0o7777)
		}
		if work&^(tt.mode&0o7777)&^0o600 != 0 {
			t.Errorf("CloneWorkMode(%#o) = %#o gives more than the owner read and write", tt.mode, work)
		}
	}
}

func TestTimesAttrlist(t *testing.T) {
	le := func(vs ...int64) []byte {
		var b []byte
		for _, v := range vs {
			for i := range 8 {
				b = append(b, byte(uint64(v)>>(8*i)))
			}
		}
		return b
	}
	cr := Timespec{Sec: 0x0102030405060708, Nsec: 999999999}
	m := Timespec{Sec: 1700000000, Nsec: 1}
	a := Timespec{Sec: -1, Nsec: 0} // before 1970
	for _, tt := range []struct {
		name           string
		crtime, mt, at *Timespec
		common         uint32
		buf            []byte
	}{
		{"none", nil, nil, nil, 0, nil},
		{"all", &cr, &m, &a, ATTR_CMN_CRTIME | ATTR_CMN_MODTIME | ATTR_CMN_ACCTIME, le(cr.Sec, cr.Nsec, m.Sec, m.Nsec, a.Sec, a.Nsec)},
		{"birth", &cr, nil, nil, ATTR_CMN_CRTIME, le(cr.Sec, cr.Nsec)},
		// Bit order, whatever the argument order: mtime before atime.
		{"mtime+atime", nil, &m, &a, ATTR_CMN_MODTIME | ATTR_CMN_ACCTIME, le(m.Sec, m.Nsec, a.Sec, a.Nsec)},
		{"atime", nil, nil, &a, ATTR_CMN_ACCTIME, le(a.Sec, a.Nsec)},
	} {
		common, buf := TimesAttrlist(tt.crtime, tt.mt, tt.at)
		if common != tt.common || !bytes.Equal(buf, tt.buf) {
			t.Errorf("%s: TimesAttrlist = %#x, % x; want %#x, % x", tt.name, common, buf, tt.common, tt.buf)
		}
	}
	if ATTR_CMN_CRTIME >= ATTR_CMN_MODTIME || ATTR_CMN_MODTIME >= ATTR_CMN_ACCTIME {
		t.Error("the packing order is not the bits' order")
	}
}

func TestFlagsAttrlist(t *testing.T) {
	common, buf := FlagsAttrlist(0x12345678)
	if common != ATTR_CMN_FLAGS || !bytes.Equal(buf, []byte{0x78, 0x56, 0x34, 0x12}) {
		t.Errorf("FlagsAttrlist(0x12345678) = %#x, % x", common, buf)
	}
}

func TestKeepXattr(t *testing.T) {
	wrapped := &fs.PathError{Op: "fremovexattr", Path: "/f", Err: EPERM}
	for _, tt := range []struct {
		name string
		err  error
		keep bool
	}{
		{"com.apple.provenance", EPERM, true},
		{"com.apple.macl", wrapped, true},
		{"com.apple.quarantine", EACCES, false}, // not protection: the clone is thrown away
		{"user.x", EPERM, false},
		{"com.apple.FinderInfo", eio, false},
		{"com.apple.x", nil, false},
	} {
		if got := KeepXattr(tt.name, tt.err); got != tt.keep {
			t.Errorf("KeepXattr(%q, %v) = %v; want %v", tt.name, tt.err, got, tt.keep)
		}
	}
}

func TestRenameFallbacks(t *testing.T) {
	for _, tt := range []struct {
		err        error
		excl, link bool
	}{
		{nil, false, false},
		{ENOTSUP, true, true}, // FAT, exFAT
		{EOPNOTSUPP, true, true},
		{EINVAL, true, false},
		{EPERM, false, true}, // SMB servers without hard links
		{EEXIST, false, false},
		{ENOENT, false, false},
		{EXDEV, false, false},
		{EACCES, false, false},
	} {
		if got := RenameExclFallback(tt.err); got != tt.excl {
			t.Errorf("RenameExclFallback(%v) = %v; want %v", tt.err, got, tt.excl)
		}
		if got := LinkFallback(tt.err); got != tt.link {
			t.Errorf("LinkFallback(%v) = %v; want %v", tt.err, got, tt.link)
		}
	}
}

func TestMayBeSparse(t *testing.T) {
	for _, tt := range []struct {
		blocks, size int64
		sparse       bool
	}{
		{0, 0, false},
		{0, 511, false},  // too small for a hole
		{0, 4096, true},  // all hole, or data not yet allocated
		{8, 4096, false}, // dense
		{8, 8192, true},
		{16, 4097, false}, // the last block partly used
		{2048, 1 << 20, false},
		{2047, 1 << 20, true},
		{1 << 40, 1 << 20, false}, // preallocated past the end
	} {
		if got := MayBeSparse(tt.blocks, tt.size); got != tt.sparse {
			t.Errorf("MayBeSparse(%d, %d) = %v; want %v", tt.blocks, tt.size, got, tt.sparse)
		}
	}
}

func TestFsName(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want string
	}{
		{"apfs", "apfs"},
		{"hfs", "hfs"},
		{"", ""},
		{"0123456789abcdef", "0123456789abcdef"}, // no NUL: all 16 bytes
		{"msdos\x00junk", "msdos"},
	} {
		var b [16]byte
		copy(b[:], tt.raw)
		if got := FsName(b); got != tt.want {
			t.Errorf("FsName(%q) = %q; want %q", tt.raw, got, tt.want)
		}
	}
}

func TestFsidKey(t *testing.T) {
	dev, typ := FsidKey([2]int32{0x1000012, 26})
	if dev != 0x1000012 || typ != 26 {
		t.Errorf("FsidKey = %#x, %d", dev, typ)
	}
	// A negative val[0] (dev_t is signed) does not sign-extend.
	if dev, _ := FsidKey([2]int32{-2, 0}); dev != 0xfffffffe {
		t.Errorf("FsidKey(-2) dev = %#x; want 0xfffffffe", dev)
	}
}

func TestCloneChmod(t *testing.T) {
	for _, tt := range []struct {
		name    string
		r       byname.Req
		mode    uint32
		chowned bool
		set     uint32
		change  bool
	}{
		{"want, has it", byname.Req{Want: 0o644}, 0o644, false, 0o644, false},
		{"want, work mode", byname.Req{Want: 0o644}, 0o744, false, 0o644, true},
		{"want, chowned", byname.Req{Want: 0o640}, 0o640, true, 0o640, false},
		{"keep, has it", byname.Req{KeepMode: true, Mode: 0o4755}, 0o4755, false, 0o4755, false},
		{"keep, setuid lost", byname.Req{KeepMode: true, Mode: 0o4755}, 0o755, false, 0o4755, true},
		{"keep, chowned", byname.Req{KeepMode: true, Mode: 0o755}, 0o755, true, 0o755, true},
	} {
		set, change := CloneChmod(&tt.r, tt.mode, tt.chowned)
		if change != tt.change || change && set != tt.set {
			t.Errorf("%s: CloneChmod = %#o, %v; want %#o, %v", tt.name, set, change, tt.set, tt.change)
		}
	}
}

func TestCloneTimes(t *testing.T) {
	now, at, mt := time.Unix(1700000000, 5), time.Unix(1600000000, 7), time.Unix(1650000000, 9)
	ts := func(t time.Time) Timespec { return Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())} }
	if c, m, a := CloneTimes(now, false, at, mt); c != ts(now) || m != ts(now) || a != ts(now) {
		t.Errorf("CloneTimes(not kept) = %v, %v, %v; want now thrice", c, m, a)
	}
	if c, m, a := CloneTimes(now, true, at, mt); c != ts(now) || m != ts(mt) || a != ts(at) {
		t.Errorf("CloneTimes(kept) = %v, %v, %v; want now, mtime, atime", c, m, a)
	}
	// Far from the epoch, where UnixNano would overflow.
	far := time.Date(2500, 1, 1, 0, 0, 0, 3, time.UTC)
	if _, m, _ := CloneTimes(now, true, at, far); m != (Timespec{Sec: far.Unix(), Nsec: 3}) {
		t.Errorf("CloneTimes: mtime %v for %v", m, far)
	}
}

func TestNoClone(t *testing.T) {
	const EIO = syscall.Errno(5)
	why := func() string { return "because" }
	if err := noClone(false, "fclonefileat", EXDEV, why); err != nil {
		t.Errorf("noClone(auto, EXDEV) = %v; want nil (copy)", err)
	}
	if err := noClone(false, "clone", nil, why); err != nil {
		t.Errorf("noClone(auto, refused) = %v; want nil (copy)", err)
	}
	var e *byname.Error
	if err := noClone(true, "fclonefileat", EXDEV, why); !errors.As(err, &e) || e.Why != "because" || !errors.Is(err, EXDEV) {
		t.Errorf("noClone(always, EXDEV) = %v; want a byname.Error with Why, wrapping EXDEV", err)
	}
	if err := noClone(true, "clone", nil, why); !errors.As(err, &e) || e.Why != "because" || e.Err != nil || err.Error() != "clone: because" {
		t.Errorf("noClone(always, refused) = %v; want a byname.Error with Why", err)
	}
	for _, errno := range []error{EPERM, EIO} {
		if err := noClone(true, "fclonefileat", errno, why); !errors.As(err, &e) || e.Why != "" || !errors.Is(err, errno) {
			t.Errorf("noClone(always, %v) = %v; want a byname.Error without Why", errno, err)
		}
	}
	if err := noClone(false, "fclonefileat", EIO, why); !errors.Is(err, EIO) {
		t.Errorf("noClone(auto, EIO) = %v; want the error", err)
	}
}
