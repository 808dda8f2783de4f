//go:build linux

package linux

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// fx is one engine's fixture: a temp dir (path and fd) and a file in it.
type fx struct {
	mode   string // "auto", "syscall", "ring" (io_uring), "noring" (EngineRing, ring pretended absent)
	dir    string
	dirfd  int
	file   string
	fd     int
	shared *ring
}

// engines runs f under each engine.
func engines(t *testing.T, f func(t *testing.T, x *fx)) {
	for _, mode := range []string{"auto", "syscall", "ring", "noring"} {
		t.Run(mode, func(t *testing.T) {
			e := EngineRing
			switch mode {
			case "auto":
				e = EngineAuto // single calls take the direct fast paths (ops.go)
			case "syscall":
				e = EngineSyscall
			case "ring":
				requireRing(t)
			case "noring":
				ringOff.Store(true)
			}
			prev := SetEngine(e)
			t.Cleanup(func() {
				SetEngine(prev)
				ringOff.Store(false)
			})
			x := &fx{mode: mode, dir: t.TempDir(), shared: getRing()}
			var err error
			if x.dirfd, err = unix.Open(x.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(x.dirfd) })
			x.file = filepath.Join(x.dir, "file")
			if x.fd, err = unix.Open(x.file, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(x.fd) })
			f(t, x)
		})
	}
}

// onRing runs f and, under the ring engine, checks whether it went to the
// ring as expected (capable: the op has an io_uring opcode for these args).
func (x *fx) onRing(t *testing.T, capable bool, f func()) {
	t.Helper()
	var before uint64
	if x.shared != nil {
		before = x.shared.submitted.Load()
	}
	f()
	if x.mode != "ring" {
		if x.mode == "syscall" && x.shared != nil && x.shared.submitted.Load() != before {
			t.Errorf("EngineSyscall submitted to the ring")
		}
		return
	}
	if used := x.shared.submitted.Load() != before; used != capable {
		t.Errorf("ring used = %v, want %v", used, capable)
	}
}

func fstat(t *testing.T, fd int) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatalf("fstat: %v", err)
	}
	return st
}

func wantErrno(t *testing.T, what string, err error, want unix.Errno) {
	t.Helper()
	var got unix.Errno
	if !errors.As(err, &got) || got != want || err != error(want) {
		t.Errorf("%s: err = %v (%T), want raw %v", what, err, err, want)
	}
}

func TestFallocate(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		x.onRing(t, true, func() {
			if err := Fallocate(x.fd, 0, 0, 1<<20); err != nil {
				t.Fatal(err)
			}
		})
		st := fstat(t, x.fd)
		if st.Size != 1<<20 || st.Blocks*512 < 1<<20 {
			t.Errorf("after fallocate: size %d, blocks %d", st.Size, st.Blocks)
		}
		x.onRing(t, true, func() {
			if err := Fallocate(x.fd, unix.FALLOC_FL_KEEP_SIZE, 1<<20, 1<<20); err != nil {
				t.Fatal(err)
			}
		})
		st2 := fstat(t, x.fd)
		if st2.Size != 1<<20 || st2.Blocks*512 < 2<<20 {
			t.Errorf("after KEEP_SIZE: size %d, blocks %d", st2.Size, st2.Blocks)
		}
		// PUNCH_HOLE alone is rejected by the kernel (needs KEEP_SIZE).
		wantErrno(t, "punch without keep_size", Fallocate(x.fd, unix.FALLOC_FL_PUNCH_HOLE, 0, 4096), unix.EOPNOTSUPP)
		wantErrno(t, "negative length", Fallocate(x.fd, 0, 0, -1), unix.EINVAL)
		wantErrno(t, "huge", Fallocate(x.fd, 0, 1<<62, 1<<62), unix.EFBIG)
		wantErrno(t, "closed fd", Fallocate(-1, 0, 0, 4096), unix.EBADF)
	})
}

func TestFadviseFsync(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		x.onRing(t, true, func() {
			if err := Fadvise(x.fd, 0, 4096, unix.FADV_WILLNEED); err != nil {
				t.Error(err)
			}
		})
		// A length beyond 32 bits cannot be put in the SQE: direct call.
		x.onRing(t, false, func() {
			if err := Fadvise(x.fd, 0, 1<<40, unix.FADV_DONTNEED); err != nil {
				t.Error(err)
			}
		})
		wantErrno(t, "fadvise bad advice", Fadvise(x.fd, 0, 0, 99), unix.EINVAL)
		wantErrno(t, "fadvise negative len", Fadvise(x.fd, 0, -1, unix.FADV_NORMAL), unix.EINVAL)
		unix.Pwrite(x.fd, []byte("data"), 0)
		for _, ds := range []bool{false, true} {
			x.onRing(t, true, func() {
				if err := Fsync(x.fd, ds); err != nil {
					t.Errorf("Fsync(datasync=%v): %v", ds, err)
				}
			})
		}
		wantErrno(t, "fsync closed", Fsync(-1, false), unix.EBADF)
	})
}

func TestXattr(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		byFd, byPath := fsenum.XattrAt{Fd: x.fd}, fsenum.XattrAt{Path: x.file}
		small := []byte("hello")
		big := bytes.Repeat([]byte("0123456789"), 400) // > firstGuess: the ERANGE/size path
		x.onRing(t, true, func() {
			if err := Setxattr(byFd, "user.small", small, 0); err != nil {
				t.Fatal(err)
			}
			if err := Setxattr(byPath, "user.big", big, fsenum.XattrCreate); err != nil {
				t.Fatal(err)
			}
			if err := Setxattr(byFd, "user.empty", nil, 0); err != nil {
				t.Fatal(err)
			}
		})
		for name, want := range map[string][]byte{"user.small": small, "user.big": big, "user.empty": {}} {
			buf := make([]byte, 8192)
			n, err := unix.Getxattr(x.file, name, buf)
			if err != nil || !bytes.Equal(buf[:n], want) {
				t.Errorf("unix.Getxattr(%s) = %d bytes, %v", name, n, err)
			}
			x.onRing(t, true, func() {
				if v, err := Getxattr(byFd, name); err != nil || !bytes.Equal(v, want) {
					t.Errorf("Getxattr(fd, %s) = %d bytes, %v", name, len(v), err)
				}
				if v, err := Getxattr(byPath, name); err != nil || !bytes.Equal(v, want) {
					t.Errorf("Getxattr(path, %s) = %d bytes, %v", name, len(v), err)
				}
			})
			x.onRing(t, false, func() {
				if v, err := Getxattr(fsenum.XattrAt{Path: x.file, NoFollow: true}, name); err != nil || !bytes.Equal(v, want) {
					t.Errorf("Getxattr(path, NoFollow, %s) = %d bytes, %v", name, len(v), err)
				}
			})
		}
		wantErrno(t, "XattrCreate existing", Setxattr(byPath, "user.big", small, fsenum.XattrCreate), unix.EEXIST)
		wantErrno(t, "XattrCreate existing, fd", Setxattr(byFd, "user.big", small, fsenum.XattrCreate), unix.EEXIST)
		wantErrno(t, "XattrReplace missing", Setxattr(byPath, "user.missing", small, fsenum.XattrReplace), unix.ENODATA)
		wantErrno(t, "XattrReplace missing, fd", Setxattr(byFd, "user.missing", small, fsenum.XattrReplace), unix.ENODATA)
		_, err := Getxattr(byFd, "user.missing")
		wantErrno(t, "missing", err, unix.ENODATA)
		_, err = Getxattr(fsenum.XattrAt{Path: x.file + "-no"}, "user.small")
		wantErrno(t, "no file", err, unix.ENOENT)
		_, err = Getxattr(fsenum.XattrAt{Fd: -1}, "user.small")
		wantErrno(t, "closed fd", err, unix.EBADF)
		_, err = Getxattr(byFd, "")
		wantErrno(t, "empty name", err, unix.ERANGE)
		_, err = Getxattr(byFd, "user.a\x00b")
		wantErrno(t, "NUL in name", err, unix.EINVAL)
		// user.* is not allowed on symlinks: lsetxattr says EPERM.
		link := filepath.Join(x.dir, "link")
		os.Symlink("file", link)
		wantErrno(t, "lsetxattr on symlink", Setxattr(fsenum.XattrAt{Path: link, NoFollow: true}, "user.x", small, 0), unix.EPERM)
		if err := Setxattr(fsenum.XattrAt{Path: link}, "user.via", small, 0); err != nil { // follows to the file
			t.Errorf("Setxattr through symlink: %v", err)
		}

		x.onRing(t, false, func() {
			names, err := Listxattr(byFd)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(names)
			if want := []string{"user.big", "user.empty", "user.small", "user.via"}; !slices.Equal(names, want) {
				t.Errorf("Listxattr(fd) = %q, want %q", names, want)
			}
			names2, err := Listxattr(byPath)
			if err != nil || len(names2) != 4 {
				t.Errorf("Listxattr(path) = %q, %v", names2, err)
			}
			if err := Removexattr(byFd, "user.small"); err != nil {
				t.Error(err)
			}
			if err := Removexattr(fsenum.XattrAt{Path: x.file, NoFollow: true}, "user.big"); err != nil {
				t.Error(err)
			}
		})
		for _, name := range []string{"user.small", "user.big"} {
			if _, err := unix.Getxattr(x.file, name, nil); err != unix.ENODATA {
				t.Errorf("%s after remove: %v", name, err)
			}
		}
		wantErrno(t, "remove missing", Removexattr(byFd, "user.small"), unix.ENODATA)
	})
}

// Many names: the list outgrows the first buffer.
func TestListxattrLong(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		var want []string
		for i := 0; i < 40; i++ {
			name := "user." + strings.Repeat("n", 20) + string(rune('A'+i))
			want = append(want, name)
			if err := unix.Fsetxattr(x.fd, name, []byte{1}, 0); err != nil {
				t.Fatal(err)
			}
		}
		got, err := Listxattr(fsenum.XattrAt{Path: x.file, NoFollow: true})
		slices.Sort(got)
		slices.Sort(want)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Listxattr = %d names, %v", len(got), err)
		}
	})
}

func TestStatx(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		unix.Pwrite(x.fd, make([]byte, 12345), 0)
		want := fstat(t, x.fd)
		check := func(what string, st *unix.Statx_t) {
			t.Helper()
			if st.Ino != want.Ino || int64(st.Size) != want.Size || uint32(st.Mode) != want.Mode ||
				uint64(st.Nlink) != uint64(want.Nlink) || st.Uid != want.Uid || int64(st.Blocks) != want.Blocks ||
				unix.Mkdev(st.Dev_major, st.Dev_minor) != uint64(want.Dev) || st.Mtime.Sec != int64(want.Mtim.Sec) ||
				int64(st.Mtime.Nsec) != int64(want.Mtim.Nsec) {
				t.Errorf("%s: statx %+v\nfstat %+v", what, *st, want)
			}
		}
		var st unix.Statx_t
		x.onRing(t, true, func() {
			if err := Statx(x.dirfd, "file", 0, unix.STATX_BASIC_STATS, &st); err != nil {
				t.Fatal(err)
			}
		})
		check("by name", &st)
		st = unix.Statx_t{}
		x.onRing(t, true, func() {
			if err := Statx(x.fd, "", unix.AT_EMPTY_PATH, unix.STATX_ALL, &st); err != nil {
				t.Fatal(err)
			}
		})
		check("AT_EMPTY_PATH", &st)
		wantErrno(t, "missing", Statx(x.dirfd, "nope", 0, unix.STATX_BASIC_STATS, &st), unix.ENOENT)
		wantErrno(t, "empty path", Statx(x.dirfd, "", 0, unix.STATX_BASIC_STATS, &st), unix.ENOENT)
		wantErrno(t, "nil buffer", Statx(x.fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, nil), unix.EFAULT)
		wantErrno(t, "nil buffer, missing path", Statx(x.dirfd, "nope", 0, unix.STATX_BASIC_STATS, nil), unix.EFAULT)
		st.Size = 12345
		wantErrno(t, "missing, buffer kept", Statx(x.dirfd, "nope", 0, unix.STATX_BASIC_STATS, &st), unix.ENOENT)
		if st.Size != 12345 {
			t.Errorf("a failed Statx changed the buffer: size %d", st.Size)
		}
		wantErrno(t, "closed dirfd", Statx(-5, "file", 0, unix.STATX_BASIC_STATS, &st), unix.EBADF)
		wantErrno(t, "NUL", Statx(x.dirfd, "fi\x00le", 0, unix.STATX_BASIC_STATS, &st), unix.EINVAL)
	})
}

func TestLinksAndNames(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		x.onRing(t, true, func() {
			if err := Linkat(x.dirfd, "file", x.dirfd, "hard", 0); err != nil {
				t.Fatal(err)
			}
		})
		var hs unix.Stat_t
		if err := unix.Stat(filepath.Join(x.dir, "hard"), &hs); err != nil || hs.Ino != fstat(t, x.fd).Ino || hs.Nlink != 2 {
			t.Errorf("hard link: %v ino %d nlink %d", err, hs.Ino, hs.Nlink)
		}
		wantErrno(t, "link exists", Linkat(x.dirfd, "file", x.dirfd, "hard", 0), unix.EEXIST)

		long := strings.Repeat("t/", 200) + "target" // > firstGuess: readlink grows its buffer
		for _, target := range []string{"file", long} {
			name := "sym" + string(rune('0'+len(target)%10))
			x.onRing(t, true, func() {
				if err := Symlinkat(target, x.dirfd, name); err != nil {
					t.Fatal(err)
				}
			})
			if got, err := os.Readlink(filepath.Join(x.dir, name)); err != nil || got != target {
				t.Errorf("os.Readlink = %q, %v; want %q", got, err, target)
			}
			x.onRing(t, false, func() {
				if got, err := Readlinkat(x.dirfd, name); err != nil || got != target {
					t.Errorf("Readlinkat = %q, %v", got, err)
				}
			})
		}
		_, err := Readlinkat(x.dirfd, "file")
		wantErrno(t, "readlink of a file", err, unix.EINVAL)

		x.onRing(t, true, func() {
			if err := Renameat2(x.dirfd, "hard", x.dirfd, "moved", 0); err != nil {
				t.Fatal(err)
			}
		})
		if _, err := os.Stat(filepath.Join(x.dir, "moved")); err != nil {
			t.Error(err)
		}
		wantErrno(t, "NOREPLACE", Renameat2(x.dirfd, "moved", x.dirfd, "file", unix.RENAME_NOREPLACE), unix.EEXIST)
		wantErrno(t, "huge flags", Renameat2(x.dirfd, "moved", x.dirfd, "file", ^uint(0)), unix.EINVAL)

		x.onRing(t, true, func() {
			if err := Mkdirat(x.dirfd, "d", 0o750); err != nil {
				t.Fatal(err)
			}
		})
		if fi, err := os.Stat(filepath.Join(x.dir, "d")); err != nil || !fi.IsDir() || fi.Mode().Perm()&^0o750 != 0 {
			t.Errorf("mkdir: %v %v", fi, err)
		}
		wantErrno(t, "mkdir exists", Mkdirat(x.dirfd, "d", 0o750), unix.EEXIST)
		wantErrno(t, "mkdir empty", Mkdirat(x.dirfd, "", 0o750), unix.ENOENT)
		x.onRing(t, true, func() {
			if err := Unlinkat(x.dirfd, "moved", 0); err != nil {
				t.Error(err)
			}
			if err := Unlinkat(x.dirfd, "d", unix.AT_REMOVEDIR); err != nil {
				t.Error(err)
			}
		})
		for _, n := range []string{"moved", "d"} {
			if _, err := os.Lstat(filepath.Join(x.dir, n)); !os.IsNotExist(err) {
				t.Errorf("%s still there: %v", n, err)
			}
		}
		wantErrno(t, "unlink missing", Unlinkat(x.dirfd, "moved", 0), unix.ENOENT)
	})
}

func TestOpenCloseReadWrite(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		var fd int
		x.onRing(t, true, func() {
			var err error
			if fd, err = Openat(x.dirfd, "new", unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600); err != nil {
				t.Fatal(err)
			}
		})
		data := []byte("the quick brown fox")
		if n, err := unix.Write(fd, data); err != nil || n != len(data) {
			t.Fatalf("write to opened fd: %d, %v", n, err)
		}
		x.onRing(t, true, func() {
			buf := make([]byte, 5)
			if n, err := Pread(fd, buf, 4); err != nil || n != 5 || string(buf) != "quick" {
				t.Errorf("Pread = %d %q %v", n, buf, err)
			}
			if n, err := Pwrite(fd, []byte("QUICK"), 4); err != nil || n != 5 {
				t.Errorf("Pwrite = %d, %v", n, err)
			}
			if n, err := Pread(fd, nil, 0); err != nil || n != 0 {
				t.Errorf("Pread(nil) = %d, %v", n, err)
			}
		})
		got := make([]byte, len(data))
		unix.Pread(fd, got, 0)
		if string(got) != "the QUICK brown fox" {
			t.Errorf("content = %q", got)
		}
		_, err := Pread(fd, got, -1)
		wantErrno(t, "pread negative offset", err, unix.EINVAL)
		x.onRing(t, true, func() {
			if err := Close(fd); err != nil {
				t.Error(err)
			}
		})
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
			t.Errorf("fd open after Close: %v", err)
		}
		wantErrno(t, "close closed", Close(fd), unix.EBADF)
		_, err = Openat(x.dirfd, "new", unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
		wantErrno(t, "O_EXCL", err, unix.EEXIST)
		_, err = Pread(-1, got, 0)
		wantErrno(t, "pread closed", err, unix.EBADF)

		how := &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH}
		x.onRing(t, true, func() {
			fd2, err := Openat2(x.dirfd, "file", how)
			if err != nil {
				t.Fatal(err)
			}
			if fstat(t, fd2).Ino != fstat(t, x.fd).Ino {
				t.Error("openat2 opened another file")
			}
			unix.Close(fd2)
		})
		_, err = Openat2(x.dirfd, "../etc", how)
		wantErrno(t, "RESOLVE_BENEATH escape", err, unix.EXDEV)
		_, err = Openat2(x.dirfd, "file", nil)
		wantErrno(t, "nil how", err, unix.EFAULT)
	})
}

func TestSplice(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(p[0])
		defer unix.Close(p[1])
		unix.Write(p[1], []byte("spliced!"))
		woff := int64(100)
		x.onRing(t, true, func() {
			n, err := Splice(p[0], nil, x.fd, &woff, 8, 0)
			if err != nil || n != 8 {
				t.Fatalf("Splice = %d, %v", n, err)
			}
		})
		if woff != 108 {
			t.Errorf("woff = %d, want 108", woff)
		}
		buf := make([]byte, 8)
		unix.Pread(x.fd, buf, 100)
		if string(buf) != "spliced!" {
			t.Errorf("file has %q", buf)
		}
		roff := int64(102)
		x.onRing(t, true, func() {
			n, err := Splice(x.fd, &roff, p[1], nil, 3, 0)
			if err != nil || n != 3 || roff != 105 {
				t.Fatalf("Splice back = %d, %v, roff %d", n, err, roff)
			}
		})
		unix.Read(p[0], buf[:3])
		if string(buf[:3]) != "lic" {
			t.Errorf("pipe has %q", buf[:3])
		}
		bad := int64(-1)
		_, err := Splice(x.fd, &bad, p[1], nil, 3, 0)
		wantErrno(t, "negative offset", err, unix.EINVAL)
		_, err = Splice(p[0], nil, x.fd, nil, -1, 0)
		wantErrno(t, "negative length", err, unix.EINVAL)
	})
}

func TestAttrs(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		x.onRing(t, false, func() {
			if err := Fchmod(x.fd, 0o604); err != nil {
				t.Error(err)
			}
		})
		if m := fstat(t, x.fd).Mode & 0o7777; m != 0o604 {
			t.Errorf("mode %o after Fchmod", m)
		}
		if err := Fchmodat(x.dirfd, "file", 0o640, 0); err != nil {
			t.Error(err)
		}
		if m := fstat(t, x.fd).Mode & 0o7777; m != 0o640 {
			t.Errorf("mode %o after Fchmodat", m)
		}
		if err := Fchown(x.fd, 1234, 5678); err != nil {
			t.Error(err)
		}
		if st := fstat(t, x.fd); st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("owner %d:%d after Fchown", st.Uid, st.Gid)
		}
		os.Symlink("file", filepath.Join(x.dir, "l"))
		if err := Fchownat(x.dirfd, "l", 42, 43, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Error(err)
		}
		var ls unix.Stat_t
		unix.Lstat(filepath.Join(x.dir, "l"), &ls)
		if ls.Uid != 42 || fstat(t, x.fd).Uid != 1234 {
			t.Errorf("lchown: link uid %d, file uid %d", ls.Uid, fstat(t, x.fd).Uid)
		}
		ts := [2]unix.Timespec{{Sec: 1000, Nsec: 5}, {Sec: 2000, Nsec: 7}}
		if err := Futimens(x.fd, &ts); err != nil {
			t.Error(err)
		}
		if st := fstat(t, x.fd); st.Atim.Sec != 1000 || st.Mtim.Sec != 2000 || st.Mtim.Nsec != 7 {
			t.Errorf("times %v %v after Futimens", st.Atim, st.Mtim)
		}
		ts[1].Sec = 3000
		if err := UtimensAt(x.dirfd, "file", &ts, 0); err != nil {
			t.Error(err)
		}
		if st := fstat(t, x.fd); st.Mtim.Sec != 3000 {
			t.Errorf("mtime %v after UtimensAt", st.Mtim)
		}
		if err := UtimensAt(x.dirfd, "file", nil, 0); err != nil { // now
			t.Error(err)
		}
		if st := fstat(t, x.fd); st.Mtim.Sec < 1e9 {
			t.Errorf("mtime %v after UtimensAt(nil)", st.Mtim)
		}
		wantErrno(t, "futimens closed", Futimens(-1, nil), unix.EBADF)
		if err := Mknodat(x.dirfd, "fifo", unix.S_IFIFO|0o600, 0); err != nil {
			t.Error(err)
		}
		var fs unix.Stat_t
		if err := unix.Stat(filepath.Join(x.dir, "fifo"), &fs); err != nil || fs.Mode&unix.S_IFMT != unix.S_IFIFO {
			t.Errorf("mknod fifo: %v mode %o", err, fs.Mode)
		}
		wantErrno(t, "mknod huge dev", Mknodat(x.dirfd, "c", unix.S_IFCHR|0o600, 1<<40), unix.EINVAL)
		wantErrno(t, "fchmodat missing", Fchmodat(x.dirfd, "nope", 0o600, 0), unix.ENOENT)
	})
}
