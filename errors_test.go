//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

func TestErrNotSupported(t *testing.T) {
	if !errors.Is(extfs.ErrNotSupported, errors.ErrUnsupported) {
		t.Error("ErrNotSupported does not match errors.ErrUnsupported")
	}
	if errors.Is(extfs.ErrNotSupported, fs.ErrInvalid) {
		t.Error("ErrNotSupported matches fs.ErrInvalid")
	}
}

// badCall is one call that must be refused.
type badCall struct {
	name string
	call func() error
	want []error // every one must match with errors.Is
	op   string  // the *fs.PathError Op, "" when not a PathError
}

// checkBad runs each call (a panic is a failure) and checks its error. An
// error for bad input must never pass for "not supported".
func checkBad(t *testing.T, path string, calls []badCall) {
	t.Helper()
	for _, c := range calls {
		var err error
		mustPanicFree(t, c.name, func() { err = c.call() })
		if c.op != "" {
			wantPathErr(t, err, c.op, path, c.want...)
		} else {
			wantErr(t, c.name, err, c.want...)
		}
		if err != nil && errors.Is(err, extfs.ErrNotSupported) {
			t.Errorf("%s: bad input reported as not supported: %v", c.name, err)
		}
	}
}

// TestBadRanges: offsets and lengths are checked before any system call.
func TestBadRanges(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		data := randBytes(8192, 10)
		f, path := newFile(t, fsys.TempDir(t), "f", data)
		inv := []error{fs.ErrInvalid, syscall.EINVAL}
		var calls []badCall
		for _, r := range []struct {
			name   string
			off, n int64
		}{
			{"negative offset", -1, 4096},
			{"negative length", 0, -1},
			{"min offset", math.MinInt64, 1},
			{"overflow", 1, math.MaxInt64},
			{"overflow at max offset", math.MaxInt64, 1},
			{"both max", math.MaxInt64, math.MaxInt64},
		} {
			calls = append(calls,
				badCall{"Fadvise " + r.name, func() error { return f.Fadvise(r.off, r.n, extfs.AdviceWillNeed) }, inv, "fadvise"},
				badCall{"Fallocate " + r.name, func() error { return f.Fallocate(0, r.off, r.n) }, inv, "fallocate"},
				badCall{"PunchHole " + r.name, func() error { return f.PunchHole(r.off, r.n) }, inv, "fallocate"},
				badCall{"ZeroRange " + r.name, func() error { return f.ZeroRange(r.off, r.n) }, inv, "fallocate"},
			)
		}
		calls = append(calls,
			badCall{"Fallocate zero length", func() error { return f.Fallocate(0, 0, 0) }, inv, "fallocate"},
			badCall{"PunchHole zero length", func() error { return f.PunchHole(4096, 0) }, inv, "fallocate"},
			badCall{"Fallocate KeepSize zero length", func() error { return f.Fallocate(extfs.AllocKeepSize, 0, 0) }, inv, "fallocate"},
			badCall{"unknown Advice 6", func() error { return f.Fadvise(0, 0, extfs.Advice(6)) }, inv, "fadvise"},
			badCall{"unknown Advice -1", func() error { return f.Fadvise(0, 0, extfs.Advice(-1)) }, inv, "fadvise"},
			badCall{"unknown AllocMode bits", func() error { return f.Fallocate(extfs.AllocMode(1<<10), 0, 4096) }, inv, "fallocate"},
			badCall{"unknown AllocMode high bit", func() error { return f.Fallocate(extfs.AllocKeepSize|extfs.AllocMode(1<<31), 0, 4096) }, inv, "fallocate"},
			badCall{"PunchHole without KeepSize", func() error { return f.Fallocate(extfs.AllocPunchHole, 0, 4096) }, inv, "fallocate"},
			badCall{"PunchHole with ZeroRange", func() error {
				return f.Fallocate(extfs.AllocPunchHole|extfs.AllocKeepSize|extfs.AllocZeroRange, 0, 4096)
			}, inv, "fallocate"},
			badCall{"CollapseRange with KeepSize", func() error {
				return f.Fallocate(extfs.AllocCollapseRange|extfs.AllocKeepSize, 0, 4096)
			}, inv, "fallocate"},
			badCall{"InsertRange with CollapseRange", func() error {
				return f.Fallocate(extfs.AllocInsertRange|extfs.AllocCollapseRange, 0, 4096)
			}, inv, "fallocate"},
		)
		before := ringCompletions(t)
		checkBad(t, path, calls)
		if d := ringCompletions(t) - before; d != 0 {
			t.Errorf("refused calls reached the ring (%d completions): validation must come first", d)
		}
		if got := readAll(t, path); sum(got) != sum(data) {
			t.Errorf("refused calls changed the file")
		}
		if st := fstat(t, f); st.Size != int64(len(data)) {
			t.Errorf("refused calls changed the size to %d", st.Size)
		}
	})
}

// TestNilAndClosedFile: a nil *File and a closed File are refused, with
// fs.ErrInvalid and fs.ErrClosed, by every method, without a panic.
func TestNilAndClosedFile(t *testing.T) {
	methods := func(f *extfs.File) []badCall {
		return []badCall{
			{"Fadvise", func() error { return f.Fadvise(0, 0, extfs.AdviceNormal) }, nil, "fadvise"},
			{"Fallocate", func() error { return f.Fallocate(0, 0, 4096) }, nil, "fallocate"},
			{"PunchHole", func() error { return f.PunchHole(0, 4096) }, nil, "fallocate"},
			{"ZeroRange", func() error { return f.ZeroRange(0, 4096) }, nil, "fallocate"},
			{"SetXattr", func() error { return f.SetXattr("user.a", []byte("v"), 0) }, nil, "fsetxattr"},
			{"GetXattr", func() error { _, err := f.GetXattr("user.a"); return err }, nil, "fgetxattr"},
			{"ListXattr", func() error { _, err := f.ListXattr(); return err }, nil, "flistxattr"},
			{"RemoveXattr", func() error { return f.RemoveXattr("user.a") }, nil, "fremovexattr"},
			{"Statx", func() error { _, err := f.Statx(); return err }, nil, "statx"},
			{"SetTimes", func() error { return f.SetTimes(time.Unix(1, 0), time.Time{}) }, nil, "utimensat"},
			{"Chmod", func() error { return f.Chmod(0o600) }, nil, "chmod"},
			{"Chown", func() error { return f.Chown(-1, -1) }, nil, "chown"},
			{"Sync", func() error { return f.Sync() }, nil, "fsync"},
			{"Datasync", func() error { return f.Datasync() }, nil, "fdatasync"},
		}
	}
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		t.Run("nil", func(t *testing.T) {
			var f *extfs.File
			mustPanicFree(t, "accessors", func() {
				if f.Name() != "" || f.OSFile() != nil {
					t.Errorf("nil File: Name %q, OSFile %v", f.Name(), f.OSFile())
				}
			})
			calls := methods(f)
			for i := range calls {
				calls[i].want = []error{fs.ErrInvalid}
			}
			calls = append(calls, badCall{"Close", f.Close, []error{fs.ErrInvalid}, "close"})
			checkBad(t, "", calls)
			if extfs.NewFile(nil) != nil {
				t.Error("NewFile(nil) != nil")
			}
		})
		t.Run("closed", func(t *testing.T) {
			path := join(fsys.TempDir(t), "f")
			data := randBytes(4096, 11)
			writeSynced(t, path, data)
			f, err := extfs.OpenFile(path, os.O_RDWR, 0)
			noErr(t, "open", err)
			noErr(t, "Close", f.Close())
			calls := methods(f)
			for i := range calls {
				calls[i].want = []error{fs.ErrClosed}
			}
			checkBad(t, path, calls)
			// A second Close: package os reports fs.ErrClosed.
			wantErr(t, "second Close", f.Close(), fs.ErrClosed)
			if got := readAll(t, path); sum(got) != sum(data) {
				t.Error("calls on a closed File changed the file")
			}
			if v, err := xattr.Get(path, "user.a"); err == nil {
				t.Errorf("SetXattr on a closed File set user.a = %q", v)
			}
		})
	})
}

// TestAccessMode: fallocate needs a descriptor open for writing (EBADF
// otherwise). fsetxattr does not: Linux checks the inode's permissions, not
// the descriptor's mode (fs/xattr.c), so it works on O_RDONLY — but not on an
// O_PATH descriptor, which refuses both (EBADF).
func TestAccessMode(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		data := randBytes(8192, 12)
		_, path := newFile(t, fsys.TempDir(t), "f", data)

		ro := openFile(t, path, os.O_RDONLY)
		checkBad(t, path, []badCall{
			{"Fallocate O_RDONLY", func() error { return ro.Fallocate(0, 0, 1<<20) }, []error{syscall.EBADF}, "fallocate"},
			{"PunchHole O_RDONLY", func() error { return ro.PunchHole(0, 4096) }, []error{syscall.EBADF}, "fallocate"},
			{"ZeroRange O_RDONLY", func() error { return ro.ZeroRange(0, 4096) }, []error{syscall.EBADF}, "fallocate"},
			{"KeepSize O_RDONLY", func() error { return ro.Fallocate(extfs.AllocKeepSize, 0, 1<<20) }, []error{syscall.EBADF}, "fallocate"},
		})
		noErr(t, "SetXattr on O_RDONLY", ro.SetXattr("user.ro", []byte("yes"), 0))
		if v, err := xattr.Get(path, "user.ro"); err != nil || string(v) != "yes" {
			t.Errorf("after SetXattr on O_RDONLY, pkg/xattr reads %q, %v; want \"yes\"", v, err)
		}

		op := openFile(t, path, unix.O_PATH)
		checkBad(t, path, []badCall{
			{"SetXattr O_PATH", func() error { return op.SetXattr("user.p", []byte("v"), 0) }, []error{syscall.EBADF}, "fsetxattr"},
			{"GetXattr O_PATH", func() error { _, err := op.GetXattr("user.ro"); return err }, []error{syscall.EBADF}, "fgetxattr"},
			{"Fallocate O_PATH", func() error { return op.Fallocate(0, 0, 4096) }, []error{syscall.EBADF}, "fallocate"},
			{"Fadvise O_PATH", func() error { return op.Fadvise(0, 0, extfs.AdviceWillNeed) }, []error{syscall.EBADF}, "fadvise"},
		})
		if _, err := xattr.Get(path, "user.p"); !errors.Is(err, xattr.ENOATTR) {
			t.Errorf("user.p after a refused SetXattr: %v, want ENODATA", err)
		}
		if st := stat(t, path); st.Size != int64(len(data)) || st.Blocks > 64 {
			t.Errorf("refused fallocate changed the file: size %d, blocks %d", st.Size, st.Blocks)
		}
	})
}

// TestBadXattrArgs: names and values are checked before any system call,
// for every xattr call.
func TestBadXattrArgs(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", []byte("x"))
		inv := []error{fs.ErrInvalid}
		names := map[string]string{
			"empty name":       "",
			"256-byte name":    "user." + strings.Repeat("n", 251),
			"no namespace":     "noprefix.x",
			"unknown prefix":   "users.x",
			"bare prefix":      "user.",
			"NUL in name":      "user.a\x00b",
			"NUL-only":         "\x00",
			"prefix after NUL": "x\x00user.a",
		}
		var calls []badCall
		for what, name := range names {
			calls = append(calls,
				badCall{"File.SetXattr " + what, func() error { return f.SetXattr(name, []byte("v"), 0) }, inv, "fsetxattr"},
				badCall{"File.GetXattr " + what, func() error { _, err := f.GetXattr(name); return err }, inv, "fgetxattr"},
				badCall{"File.RemoveXattr " + what, func() error { return f.RemoveXattr(name) }, inv, "fremovexattr"},
				badCall{"SetXattr " + what, func() error { return extfs.SetXattr(path, name, []byte("v"), 0) }, inv, "setxattr"},
				badCall{"LSetXattr " + what, func() error { return extfs.LSetXattr(path, name, []byte("v"), 0) }, inv, "lsetxattr"},
				badCall{"GetXattr " + what, func() error { _, err := extfs.GetXattr(path, name); return err }, inv, "getxattr"},
				badCall{"LGetXattr " + what, func() error { _, err := extfs.LGetXattr(path, name); return err }, inv, "lgetxattr"},
				badCall{"RemoveXattr " + what, func() error { return extfs.RemoveXattr(path, name) }, inv, "removexattr"},
				badCall{"LRemoveXattr " + what, func() error { return extfs.LRemoveXattr(path, name) }, inv, "lremovexattr"},
			)
		}
		big := make([]byte, extfs.MaxXattrValueLen+1)
		calls = append(calls,
			badCall{"value 64 KiB + 1", func() error { return f.SetXattr("user.big", big, 0) }, inv, "fsetxattr"},
			badCall{"path value 64 KiB + 1", func() error { return extfs.SetXattr(path, "user.big", big, 0) }, inv, "setxattr"},
			badCall{"Create|Replace", func() error { return f.SetXattr("user.a", []byte("v"), extfs.XattrCreate|extfs.XattrReplace) }, inv, "fsetxattr"},
			badCall{"path Create|Replace", func() error {
				return extfs.SetXattr(path, "user.a", []byte("v"), extfs.XattrCreate|extfs.XattrReplace)
			}, inv, "setxattr"},
			badCall{"unknown flag", func() error { return f.SetXattr("user.a", []byte("v"), extfs.XattrFlag(4)) }, inv, "fsetxattr"},
			badCall{"negative flag", func() error { return f.SetXattr("user.a", []byte("v"), extfs.XattrFlag(-1)) }, inv, "fsetxattr"},
		)
		checkBad(t, path, calls)
		if names, err := xattr.List(path); err != nil || len(userNames(names)) != 0 {
			t.Errorf("refused calls left user xattrs %v (%v)", names, err)
		}

		// The limits themselves are accepted: a 255-byte name; 64 KiB is
		// checked in TestXattrLargeValue.
		long := "user." + strings.Repeat("n", 250)
		noErr(t, "SetXattr 255-byte name", f.SetXattr(long, []byte("v"), 0))
		if v, err := xattr.Get(path, long); err != nil || string(v) != "v" {
			t.Errorf("255-byte name: pkg/xattr reads %q, %v", v, err)
		}
	})
}

// TestXattrOnSymlink: Linux allows user.* attributes only on regular files
// and directories; the error wraps EPERM and says why.
func TestXattrOnSymlink(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		_, path := newFile(t, dir, "f", []byte("x"))
		link := join(dir, "l")
		noErr(t, "symlink", os.Symlink("f", link))
		err := extfs.LSetXattr(link, "user.a", []byte("v"), 0)
		wantPathErr(t, err, "lsetxattr", link, syscall.EPERM, fs.ErrPermission)
		if err != nil && !strings.Contains(err.Error(), "only on regular files and directories") {
			t.Errorf("error %q does not explain the rule", err)
		}
		if _, err := xattr.LGet(link, "user.a"); err == nil {
			t.Error("the refused attribute exists on the link")
		}
		if _, err := xattr.Get(path, "user.a"); err == nil {
			t.Error("LSetXattr followed the link to its target")
		}
	})
}

func TestBadChmodChown(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", []byte("x"))
		noErr(t, "chmod 0644", os.Chmod(path, 0o644))
		inv := []error{fs.ErrInvalid}
		checkBad(t, path, []badCall{
			{"Chmod ModeDir", func() error { return f.Chmod(fs.ModeDir | 0o755) }, inv, "chmod"},
			{"Chmod ModeSymlink", func() error { return f.Chmod(fs.ModeSymlink | 0o777) }, inv, "chmod"},
			{"Chmod ModeDevice", func() error { return f.Chmod(fs.ModeDevice | 0o600) }, inv, "chmod"},
			{"Chmod ModeNamedPipe", func() error { return f.Chmod(fs.ModeNamedPipe | 0o600) }, inv, "chmod"},
			{"Chmod ModeAppend", func() error { return f.Chmod(fs.ModeAppend | 0o600) }, inv, "chmod"},
			{"Chown uid -2", func() error { return f.Chown(-2, 0) }, inv, "chown"},
			{"Chown gid -2", func() error { return f.Chown(0, -2) }, inv, "chown"},
			{"Chown uid 2^32-1", func() error { return f.Chown(1<<32-1, -1) }, inv, "chown"},
			{"Chown uid 2^32", func() error { return f.Chown(1<<32, -1) }, inv, "chown"},
			{"Chown MinInt", func() error { return f.Chown(math.MinInt, -1) }, inv, "chown"},
		})
		st := stat(t, path)
		if st.Mode != unix.S_IFREG|0o644 || st.Uid != uint32(os.Geteuid()) || st.Gid != uint32(os.Getegid()) {
			t.Errorf("refused calls changed the file: mode %o uid %d gid %d", st.Mode, st.Uid, st.Gid)
		}
	})
}

func TestBadLinkArgs(t *testing.T) {
	dir := t.TempDir()
	err := extfs.Symlink("", join(dir, "l"))
	wantErr(t, "Symlink with an empty target", err, fs.ErrInvalid)
	var le *os.LinkError
	if !errors.As(err, &le) || le.Op != "symlink" {
		t.Errorf("Symlink(\"\") error %v is not an *os.LinkError with Op symlink", err)
	}
	if _, err := os.Lstat(join(dir, "l")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused Symlink created the link (%v)", err)
	}
}

// TestBatchBadArgs: the batch refuses the same bad input as the single calls,
// in its Pending, without running anything.
func TestBatchBadArgs(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		data := randBytes(8192, 13)
		f, path := newFile(t, dir, "f", data)
		b := extfs.NewBatch()
		inv := []error{fs.ErrInvalid}
		type pend interface{ Err() error }
		cases := []struct {
			name string
			p    pend
		}{
			{"Fadvise negative", b.Fadvise(f, -1, 0, extfs.AdviceNormal)},
			{"Fadvise unknown", b.Fadvise(f, 0, 0, extfs.Advice(77))},
			{"Fallocate overflow", b.Fallocate(f, 0, 1, math.MaxInt64)},
			{"Fallocate zero", b.Fallocate(f, 0, 0, 0)},
			{"Fallocate bad mode", b.Fallocate(f, extfs.AllocPunchHole, 0, 4096)},
			{"PunchHole negative", b.PunchHole(f, 0, -5)},
			{"SetXattr no prefix", b.SetXattr(f, "x", nil, 0)},
			{"SetXattr big", b.SetXattr(f, "user.x", make([]byte, 64<<10+1), 0)},
			{"SetXattr flags", b.SetXattr(f, "user.x", nil, extfs.XattrCreate|extfs.XattrReplace)},
			{"GetXattr empty", b.GetXattr(f, "")},
			{"RemoveXattr NUL", b.RemoveXattr(f, "user.\x00")},
			{"Chmod type bit", b.Chmod(f, fs.ModeDir|0o755)},
			{"Chown -2", b.Chown(f, -2, -1)},
			{"Mkdir type bit", b.Mkdir(join(dir, "d"), fs.ModeDir|0o755)},
			{"OpenFile type bit", b.OpenFile(join(dir, "o"), os.O_CREATE|os.O_RDWR, fs.ModeSymlink|0o644)},
			{"Symlink empty", b.Symlink("", join(dir, "l"))},
		}
		before := ringCompletions(t)
		err := b.Submit(context.Background())
		if d := ringCompletions(t) - before; d != 0 {
			t.Errorf("a batch of refused ops posted %d ring completions", d)
		}
		wantErr(t, "Submit", err, inv...)
		if first := cases[0].p.Err(); err == nil || first == nil || err.Error() != first.Error() {
			t.Errorf("Submit returned %v, want the first op's error %v", err, first)
		}
		for _, c := range cases {
			wantErr(t, c.name, c.p.Err(), inv...)
		}
		for _, name := range []string{"d", "o", "l"} {
			if _, err := os.Lstat(join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("refused op created %s", name)
			}
		}
		if got := readAll(t, path); sum(got) != sum(data) {
			t.Error("refused ops changed the file")
		}
		if names, _ := xattr.List(path); len(userNames(names)) != 0 {
			t.Errorf("refused ops set xattrs %v", names)
		}
		st := stat(t, path)
		if st.Mode&0o7777 != 0o644 || st.Size != int64(len(data)) {
			t.Errorf("refused ops changed mode/size: %o %d", st.Mode, st.Size)
		}
	})
}

// userNames keeps the user.* names (the filesystem may add security.*).
func userNames(names []string) []string {
	var u []string
	for _, n := range names {
		if strings.HasPrefix(n, "user.") {
			u = append(u, n)
		}
	}
	return u
}
