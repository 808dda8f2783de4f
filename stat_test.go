//go:build linux

package extfs_test

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// sameStat compares an extfs Stat with stat(2) and with the mode package os
// derives (an independent conversion of st_mode).
func sameStat(t *testing.T, what string, st *extfs.Stat, u unix.Stat_t, osMode fs.FileMode) {
	t.Helper()
	if st == nil {
		t.Errorf("%s: nil Stat", what)
		return
	}
	ts := func(x unix.Timespec) time.Time { return time.Unix(x.Unix()) }
	type field struct {
		name      string
		got, want any
	}
	for _, f := range []field{
		{"Dev", st.Dev, u.Dev},
		{"Ino", st.Ino, u.Ino},
		{"Mode", st.Mode, osMode},
		{"Nlink", st.Nlink, uint64(u.Nlink)},
		{"Uid", st.Uid, u.Uid},
		{"Gid", st.Gid, u.Gid},
		{"Rdev", st.Rdev, u.Rdev},
		{"Size", st.Size, u.Size},
		{"Blocks", st.Blocks, u.Blocks},
		{"Blksize", st.Blksize, int64(u.Blksize)},
	} {
		if f.got != f.want {
			t.Errorf("%s: %s = %v, stat(2) says %v", what, f.name, f.got, f.want)
		}
	}
	if uint32(st.Mode.Perm()) != u.Mode&0o777 {
		t.Errorf("%s: permissions %o, stat(2) says %o", what, st.Mode.Perm(), u.Mode&0o777)
	}
	for _, f := range []struct {
		name      string
		got, want time.Time
	}{{"Atime", st.Atime, ts(u.Atim)}, {"Mtime", st.Mtime, ts(u.Mtim)}, {"Ctime", st.Ctime, ts(u.Ctim)}} {
		if !f.got.Equal(f.want) {
			t.Errorf("%s: %s = %v, stat(2) says %v", what, f.name, f.got.UTC(), f.want.UTC())
		}
	}
}

func osMode(t *testing.T, path string, follow bool) fs.FileMode {
	t.Helper()
	var fi fs.FileInfo
	var err error
	if follow {
		fi, err = os.Stat(path)
	} else {
		fi, err = os.Lstat(path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func TestStatx(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		created := time.Now()
		f, path := newFile(t, dir, "f", randBytes(12345, 30))
		createdEnd := time.Now()
		noErr(t, "chmod", os.Chmod(path, fs.ModeSetuid|0o751)) // setuid shows in the mode
		link := join(dir, "l")
		noErr(t, "symlink", os.Symlink("f", link))
		noErr(t, "link", os.Link(path, join(dir, "hard")))
		sub := join(dir, "d")
		noErr(t, "mkdir", os.Mkdir(sub, 0o755))
		noErr(t, "chmod", os.Chmod(sub, fs.ModeSticky|0o755))
		fifo := join(dir, "p")
		noErr(t, "mkfifo", unix.Mkfifo(fifo, 0o640))

		st, err := f.Statx()
		noErr(t, "File.Statx", err)
		sameStat(t, "File.Statx", st, fstat(t, f), osMode(t, path, true))
		if st.Nlink != 2 || st.Mode != fs.ModeSetuid|0o751 || st.Size != 12345 {
			t.Errorf("File.Statx: nlink %d mode %v size %d", st.Nlink, st.Mode, st.Size)
		}

		st, err = extfs.Statx(path)
		noErr(t, "Statx", err)
		sameStat(t, "Statx", st, stat(t, path), osMode(t, path, true))

		st, err = extfs.Statx(link)
		noErr(t, "Statx(link)", err)
		sameStat(t, "Statx(link)", st, stat(t, path), osMode(t, path, true))

		st, err = extfs.Lstatx(link)
		noErr(t, "Lstatx(link)", err)
		sameStat(t, "Lstatx(link)", st, lstat(t, link), osMode(t, link, false))
		if st.Mode&fs.ModeSymlink == 0 || st.Size != 1 {
			t.Errorf("Lstatx(link): mode %v size %d, want a symlink of 1 byte", st.Mode, st.Size)
		}

		st, err = extfs.Lstatx(sub)
		noErr(t, "Lstatx(dir)", err)
		sameStat(t, "Lstatx(dir)", st, lstat(t, sub), osMode(t, sub, false))
		if st.Mode != fs.ModeDir|fs.ModeSticky|0o755 {
			t.Errorf("directory mode %v", st.Mode)
		}

		st, err = extfs.Lstatx(fifo)
		noErr(t, "Lstatx(fifo)", err)
		sameStat(t, "Lstatx(fifo)", st, lstat(t, fifo), osMode(t, fifo, false))
		if st.Mode != fs.ModeNamedPipe|0o640 {
			t.Errorf("FIFO mode %v", st.Mode)
		}

		// Birth time: compared with statx(2) itself, and with the clock.
		st, err = extfs.Statx(path)
		noErr(t, "Statx", err)
		var sx unix.Statx_t
		noErr(t, "unix.Statx", unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &sx))
		if sx.Mask&unix.STATX_BTIME == 0 {
			t.Errorf("%s on Linux 6.18 reports no birth time", fsys.Kind)
		}
		if want := time.Unix(sx.Btime.Sec, int64(sx.Btime.Nsec)); !st.Btime.Equal(want) {
			t.Errorf("Btime %v, statx(2) says %v", st.Btime, want)
		}
		// The kernel stamps files with a clock that may lag time.Now by a tick.
		const slack = 50 * time.Millisecond
		if st.Btime.IsZero() || st.Btime.Before(created.Add(-slack)) || st.Btime.After(createdEnd.Add(slack)) {
			t.Errorf("Btime %v, want between %v and %v", st.Btime, created, createdEnd)
		}
	})
}

func TestStatxDevice(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		st, err := extfs.Statx("/dev/null")
		noErr(t, "Statx(/dev/null)", err)
		sameStat(t, "/dev/null", st, stat(t, "/dev/null"), osMode(t, "/dev/null", true))
		if st.Mode&fs.ModeCharDevice == 0 || st.Rdev != unix.Mkdev(1, 3) {
			t.Errorf("/dev/null: mode %v rdev %#x", st.Mode, st.Rdev)
		}
	})
}

func TestStatxMissing(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		missing := join(dir, "missing")
		for _, fn := range []struct {
			name string
			call func(string) (*extfs.Stat, error)
		}{{"Statx", extfs.Statx}, {"Lstatx", extfs.Lstatx}} {
			st, err := fn.call(missing)
			wantPathErr(t, err, "statx", missing, fs.ErrNotExist)
			if st != nil {
				t.Errorf("%s of a missing path returned %+v", fn.name, st)
			}
			_, err = fn.call("")
			wantPathErr(t, err, "statx", "", fs.ErrNotExist)
		}
		noErr(t, "dangling symlink", os.Symlink("missing", join(dir, "dangling")))
		_, err := extfs.Statx(join(dir, "dangling"))
		wantPathErr(t, err, "statx", join(dir, "dangling"), fs.ErrNotExist)
		if st, err := extfs.Lstatx(join(dir, "dangling")); err != nil || st.Mode&fs.ModeSymlink == 0 {
			t.Errorf("Lstatx of a dangling link: %v, %v", st, err)
		}
		writeSynced(t, join(dir, "file"), nil)
		_, err = extfs.Statx(join(dir, "file", "x"))
		wantPathErr(t, err, "statx", join(dir, "file", "x"), syscall.ENOTDIR)
	})
}

// TestStatxAttributes sets the append-only flag (chattr +a) with an ioctl and
// checks that Statx reports it, in Attributes and AttributesMask.
func TestStatxAttributes(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", nil)
		fd := int(f.OSFile().Fd())
		flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
		if err != nil {
			t.Fatalf("FS_IOC_GETFLAGS on %s: %v", fsys.Kind, err)
		}
		noErr(t, "chattr +a", unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags|fsAppendFL)))
		t.Cleanup(func() { unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags)) })
		st, err := extfs.Statx(path)
		noErr(t, "Statx", err)
		if st.AttributesMask&extfs.AttrAppend == 0 || st.Attributes&extfs.AttrAppend == 0 {
			t.Errorf("after chattr +a: Attributes %#x, mask %#x", st.Attributes, st.AttributesMask)
		}
		if st.Attributes&extfs.AttrImmutable != 0 {
			t.Errorf("immutable reported without chattr +i: %#x", st.Attributes)
		}
		noErr(t, "chattr -a", unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags)))
		st, err = f.Statx()
		noErr(t, "Statx", err)
		if st.Attributes&extfs.AttrAppend != 0 {
			t.Errorf("after chattr -a: Attributes %#x", st.Attributes)
		}
	})
}

func TestSetTimes(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", []byte("x"))
		ts := func(x unix.Timespec) time.Time { return time.Unix(x.Unix()) }
		check := func(what string, at, mt time.Time) {
			t.Helper()
			st := stat(t, path)
			if !ts(st.Atim).Equal(at) || !ts(st.Mtim).Equal(mt) {
				t.Errorf("%s: atime %v mtime %v, want %v and %v", what, ts(st.Atim).UTC(), ts(st.Mtim).UTC(), at.UTC(), mt.UTC())
			}
		}
		at := time.Unix(1_000_000_000, 123_456_789)
		mt := time.Unix(1_234_567_890, 987_654_321)
		noErr(t, "SetTimes", f.SetTimes(at, mt))
		check("SetTimes", at, mt)
		if st, err := f.Statx(); err != nil || !st.Atime.Equal(at) || !st.Mtime.Equal(mt) {
			t.Errorf("Statx after SetTimes: %v %v, %v", st.Atime, st.Mtime, err)
		}

		mt2 := time.Unix(1_300_000_000, 1)
		noErr(t, "SetTimes(zero, mt)", f.SetTimes(time.Time{}, mt2))
		check("zero atime", at, mt2)
		at2 := time.Unix(1_400_000_000, 999_999_999)
		noErr(t, "SetTimes(at, zero)", f.SetTimes(at2, time.Time{}))
		check("zero mtime", at2, mt2)

		ctime := stat(t, path).Ctim
		noErr(t, "SetTimes(zero, zero)", f.SetTimes(time.Time{}, time.Time{}))
		check("both zero", at2, mt2)
		if c := stat(t, path).Ctim; c != ctime {
			t.Errorf("SetTimes(zero, zero) changed ctime from %v to %v", ts(ctime), ts(c))
		}

		// Outside 1678..2262, where UnixNano overflows; every fs here stores them.
		old := time.Date(1901, 12, 14, 0, 0, 0, 5, time.UTC)
		future := time.Date(2300, 1, 2, 3, 4, 5, 6, time.UTC)
		noErr(t, "SetTimes far", f.SetTimes(old, future))
		check("far", old, future)
		// A time zone is not part of the instant.
		local := time.Unix(1_500_000_000, 42).In(time.FixedZone("x", 5*3600))
		noErr(t, "SetTimes zone", f.SetTimes(local, local))
		check("zone", local, local)
	})
}

func TestChmod(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", nil)
		for _, c := range []struct {
			mode fs.FileMode
			unix uint32
		}{
			{0o640, 0o640},
			{0, 0},
			{fs.ModeSetuid | 0o755, unix.S_ISUID | 0o755},
			{fs.ModeSetgid | 0o750, unix.S_ISGID | 0o750},
			{fs.ModeSticky | 0o777, unix.S_ISVTX | 0o777},
			{fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o777, 0o7777},
			{0o600, 0o600},
		} {
			noErr(t, "Chmod "+c.mode.String(), f.Chmod(c.mode))
			if st := stat(t, path); st.Mode != unix.S_IFREG|c.unix {
				t.Errorf("Chmod(%v): st_mode %o, want %o", c.mode, st.Mode, unix.S_IFREG|c.unix)
			}
			if st, err := f.Statx(); err != nil || st.Mode != c.mode {
				t.Errorf("Chmod(%v): Statx mode %v, %v", c.mode, st.Mode, err)
			}
			if m := osMode(t, path, true); m != c.mode {
				t.Errorf("Chmod(%v): os.Stat mode %v", c.mode, m)
			}
		}
	})
}

func TestChown(t *testing.T) {
	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "Chown to another owner needs root")
	}
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", nil)
		for _, c := range []struct{ uid, gid, wantUID, wantGID int }{
			{1234, 5678, 1234, 5678},
			{-1, 42, 1234, 42},
			{77, -1, 77, 42},
			{-1, -1, 77, 42},
			{1<<32 - 2, 0, 1<<32 - 2, 0}, // the largest valid id
			{0, 0, 0, 0},
		} {
			noErr(t, "Chown", f.Chown(c.uid, c.gid))
			if st := stat(t, path); int(st.Uid) != c.wantUID || int(st.Gid) != c.wantGID {
				t.Errorf("Chown(%d, %d): %d:%d, want %d:%d", c.uid, c.gid, st.Uid, st.Gid, c.wantUID, c.wantGID)
			}
			if st, err := f.Statx(); err != nil || int(st.Uid) != c.wantUID || int(st.Gid) != c.wantGID {
				t.Errorf("Chown(%d, %d): Statx %d:%d, %v", c.uid, c.gid, st.Uid, st.Gid, err)
			}
		}
	})
}

const fsAppendFL = 0x20 // FS_APPEND_FL, include/uapi/linux/fs.h

// TestStatxNUL: a path with a NUL byte is refused before any system call
// with an error matching fs.ErrInvalid, as Dir does, by the single calls and
// by the batch.
func TestStatxNUL(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		writeSynced(t, join(dir, "a"), nil)
		for _, path := range []string{join(dir, "a\x00b"), "\x00", join(dir, "a") + "\x00"} {
			for _, fn := range []struct {
				name string
				call func(string) (*extfs.Stat, error)
			}{{"Statx", extfs.Statx}, {"Lstatx", extfs.Lstatx}} {
				st, err := fn.call(path)
				wantPathErr(t, err, "statx", path, fs.ErrInvalid)
				if st != nil {
					t.Errorf("%s(%q) returned %+v", fn.name, path, st)
				}
			}
			b := extfs.NewBatch()
			p1, p2 := b.Statx(path), b.Lstatx(path)
			wantErr(t, "Submit", b.Submit(context.Background()), fs.ErrInvalid)
			for _, p := range []*extfs.Pending[*extfs.Stat]{p1, p2} {
				st, err := p.Result()
				wantPathErr(t, err, "statx", path, fs.ErrInvalid)
				if st != nil {
					t.Errorf("batched statx of %q returned %+v", path, st)
				}
			}
		}
	})
}

// TestChmodStrayBits: the error for a mode with bits Chmod cannot set names
// those bits.
func TestChmodStrayBits(t *testing.T) {
	f, path := newFile(t, t.TempDir(), "f", nil)
	for _, c := range []struct {
		mode  fs.FileMode
		stray []string // each must be in the message
	}{
		{0o4000 | fs.ModeDir, []string{"0o4000|ModeDir", "bits other than permissions"}},
		{fs.ModeAppend | 0o600, []string{"ModeAppend"}},
		{fs.ModeSymlink | fs.ModeSetuid | 0o777, []string{"ModeSymlink"}},
		{0o7755, []string{"0o7000", "fs.ModeSetuid"}},
	} {
		err := f.Chmod(c.mode)
		wantPathErr(t, err, "chmod", path, fs.ErrInvalid)
		for _, s := range c.stray {
			if err != nil && !strings.Contains(err.Error(), s) {
				t.Errorf("Chmod(%#o): error %q does not show %q", uint32(c.mode), err, s)
			}
		}
		b := extfs.NewBatch()
		p := b.Chmod(f, c.mode)
		b.Submit(context.Background())
		if err := p.Err(); err == nil || !strings.Contains(err.Error(), c.stray[0]) {
			t.Errorf("Batch.Chmod(%#o): error %v does not show %q", uint32(c.mode), err, c.stray[0])
		}
	}
	// The stray bits alone, not the permissions beside them.
	if err := f.Chmod(fs.ModeDir | 0o755); err == nil || !strings.HasSuffix(err.Error(), ": ModeDir") {
		t.Errorf("Chmod(ModeDir|0o755): error %v does not end with the stray bits", err)
	}
}
