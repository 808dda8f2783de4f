//go:build linux

package extfs_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// The Linux side of the Dir tests (dir_test.go): the environments, what
// differs here, and what only Linux has (/proc magic links, device nodes,
// owners, permission bits on FIFOs, the two resolvers).

var dirWant = dirExpect{
	maxLinks:   40,
	perms:      true,
	nodes:      true,
	belowF:     syscall.ENOTDIR,
	writeDir:   syscall.EISDIR,
	notLink:    syscall.EINVAL,
	removeDots: fs.ErrExist, // ENOTEMPTY: "e/.." is the Dir, which is not empty
}

// dirAbsNames are absolute names beyond those of the tree.
var dirAbsNames = []string{"/etc/passwd"}

// eachDirEnv runs fn under both engines, through both resolvers and on
// every filesystem: subtests are named engine/resolver/fs, e.g. "ring/walk/xfs".
func eachDirEnv(t *testing.T, fn func(t *testing.T, base string)) {
	t.Helper()
	eachEngine(t, func(t *testing.T) {
		eachResolver(t, func(t *testing.T) {
			testfs.Each(t, func(t *testing.T, fsys *testfs.FS) { fn(t, fsys.TempDir(t)) })
		})
	})
}

// dirStatKey is what must not change of a file outside the Dir: every stat
// field, ctime included (any chmod, chown, link or utimes moves it), but
// the atime, which reading moves.
func dirStatKey(t testing.TB, path string) any {
	st := lstat(t, path)
	st.Atim = unix.Timespec{}
	return st
}

// dirCalls counts the calls that reached the system: ring completions.
func dirCalls(t testing.TB) uint32 { return ringCompletions(t) }

var umask = func() fs.FileMode {
	m := unix.Umask(0)
	unix.Umask(m)
	return fs.FileMode(m)
}()

// checkCloexec checks that f's descriptor is not inherited by children.
func checkCloexec(t *testing.T, f *extfs.File) {
	t.Helper()
	flags, err := unix.FcntlInt(f.OSFile().Fd(), unix.F_GETFD, 0)
	noErr(t, "F_GETFD", err)
	if flags&unix.FD_CLOEXEC == 0 {
		t.Error("the File's descriptor lacks FD_CLOEXEC")
	}
}

// eachResolver runs fn with Dirs resolving names by openat2, then by the
// walk. Where the kernel has no openat2 the first is skipped (or fails under
// testfs.Required()).
func eachResolver(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, r := range []string{"openat2", "walk"} {
		t.Run(r, func(t *testing.T) {
			if r == "openat2" && !extfs.Supports(extfs.FeatureOpenat2) {
				testfs.SkipOrFail(t, "openat2 unavailable (Linux before 5.6, or seccomp): only the walk can be tested")
			}
			prev := extfs.SetDirWalk(r == "walk")
			t.Cleanup(func() { extfs.SetDirWalk(prev) })
			fn(t)
		})
	}
}

// TestDirMagicLinks: /proc magic links jump to wherever their descriptor
// points. openat2 refuses them (ELOOP, RESOLVE_NO_MAGICLINKS); the walk
// never jumps, it reads their text, which is absolute (ErrEscapes) or names
// nothing ("pipe:[123]"). Either way nothing is reached through them.
func TestDirMagicLinks(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		d := openDir(t, "/proc/self")
		for _, name := range []string{"cwd", "exe", "root", "cwd/x", "fd/0", "fd/1"} {
			_, err := d.Statx(name)
			if err == nil || !(errors.Is(err, extfs.ErrEscapes) || errors.Is(err, syscall.ELOOP) || errors.Is(err, fs.ErrNotExist)) {
				t.Errorf("Statx(%q) in /proc/self: %v, want ErrEscapes, ELOOP or ENOENT", name, err)
			}
		}
		if st, err := d.Lstatx("cwd"); err != nil || st.Mode.Type() != fs.ModeSymlink {
			t.Errorf("Lstatx(cwd) in /proc/self: %v, %v", st, err)
		}
	})
}

// TestDirRenameAcrossFilesystems: EXDEV from rename(2) is the errno, not
// ErrEscapes, which only an escaping name gives.
func TestDirRenameAcrossFilesystems(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		a := testfs.Get(t, testfs.Tmpfs).TempDir(t)
		b := testfs.Get(t, testfs.Ext4).TempDir(t)
		if lstat(t, a).Dev == lstat(t, b).Dev {
			t.Skip("tmpfs and ext4 directories on one device?")
		}
		noErr(t, "write", os.WriteFile(join(a, "f"), []byte("x"), 0o644))
		da, db := openDir(t, a), openDir(t, b)
		err := da.Rename("f", db, "f")
		wantDirLinkErr(t, err, "rename", "f", "f", syscall.EXDEV)
		if errors.Is(err, extfs.ErrEscapes) {
			t.Errorf("EXDEV from rename reported as ErrEscapes: %v", err)
		}
		err = da.Link("f", db, "f")
		wantDirLinkErr(t, err, "link", "f", "f", syscall.EXDEV)
	})
}

func TestDirChmod(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		for name, c := range map[string]struct {
			mode fs.FileMode
			want uint32
		}{
			"f":    {0o600, 0o600},
			"lf":   {0o640, 0o640}, // follows: changes f
			"sub/": {fs.ModeSticky | fs.ModeSetgid | 0o750, unix.S_ISVTX | unix.S_ISGID | 0o750},
			"a":    {fs.ModeSetuid | 0o4, unix.S_ISUID | 0o4},
			"f_0":  {0, 0},
		} {
			path := strings.TrimSuffix(strings.Replace(name, "lf", "f", 1), "/")
			if name == "f_0" {
				name, path = "f", "f"
			}
			noErr(t, "Chmod("+name+")", tr.d.Chmod(name, c.mode))
			if got := lstat(t, tr.path(path)).Mode & 0o7777; got != c.want {
				t.Errorf("Chmod(%s, %v): mode %#o, want %#o", name, c.mode, got, c.want)
			}
		}
		if st := lstat(t, tr.path("lf")); st.Mode&0o777 != 0o777 {
			t.Errorf("Chmod(lf) changed the link's own mode to %#o", st.Mode)
		}
		// A FIFO: chmod must not open it (that would block).
		noErr(t, "mkfifo", unix.Mkfifo(tr.path("p"), 0o644))
		noErr(t, "Chmod(fifo)", tr.d.Chmod("p", 0o600))
		if got := lstat(t, tr.path("p")).Mode & 0o777; got != 0o600 {
			t.Errorf("Chmod(p): mode %#o", got)
		}
		for _, mode := range []fs.FileMode{fs.ModeDir | 0o644, fs.ModeSymlink, fs.ModeAppend | 0o600, 1 << 12} {
			wantPathErr(t, tr.d.Chmod("p", mode), "chmod", "p", fs.ErrInvalid)
		}
		if got := lstat(t, tr.path("p")).Mode & 0o777; got != 0o600 {
			t.Errorf("refused Chmods changed the mode to %#o", got)
		}
		wantPathErr(t, tr.d.Chmod("missing", 0o600), "chmod", "missing", fs.ErrNotExist)
	})
}

func TestDirLchown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	eachDir(t, func(t *testing.T, tr *dirTree) {
		fst := lstat(t, tr.path("f"))
		noErr(t, "Lchown(lf)", tr.d.Lchown("lf", 1234, 5678))
		if st := lstat(t, tr.path("lf")); st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("Lchown(lf): link owned by %d:%d", st.Uid, st.Gid)
		}
		if st := lstat(t, tr.path("f")); st.Uid != fst.Uid || st.Gid != fst.Gid {
			t.Errorf("Lchown(lf) changed its target to %d:%d", st.Uid, st.Gid)
		}
		noErr(t, "Lchown(f, -1, 42)", tr.d.Lchown("f", -1, 42))
		if st := lstat(t, tr.path("f")); st.Uid != fst.Uid || st.Gid != 42 {
			t.Errorf("Lchown(f, -1, 42): %d:%d", st.Uid, st.Gid)
		}
		noErr(t, "Lchown(lsub/, 7, -1)", tr.d.Lchown("lsub/", 7, -1)) // trailing slash: the directory
		if st := lstat(t, tr.path("sub")); st.Uid != 7 {
			t.Errorf("Lchown(lsub/): sub owned by %d", st.Uid)
		}
		wantPathErr(t, tr.d.Lchown("f", -2, 0), "lchown", "f", fs.ErrInvalid)
		wantPathErr(t, tr.d.Lchown("f", 0, 1<<32-1), "lchown", "f", fs.ErrInvalid)
	})
}

// TestDirMknodDevices: device nodes (as root), and device numbers beyond
// Linux's 32-bit dev_t refused.
func TestDirMknodDevices(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		if os.Geteuid() == 0 {
			null := unix.Mkdev(1, 3)
			noErr(t, "Mknod(char)", tr.d.Mknod("null", fs.ModeDevice|fs.ModeCharDevice|0o666, null))
			if st := lstat(t, tr.path("null")); st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != null {
				t.Errorf("Mknod(char 1:3) made mode %#o rdev %d:%d", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
			}
			loop := unix.Mkdev(7, 200)
			noErr(t, "Mknod(block)", tr.d.Mknod("blk", fs.ModeDevice|0o600, loop))
			if st := lstat(t, tr.path("blk")); st.Mode&unix.S_IFMT != unix.S_IFBLK || st.Rdev != loop {
				t.Errorf("Mknod(block 7:200) made mode %#o rdev %d:%d", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
			}
			if st, err := tr.d.Lstatx("null"); err != nil || st.Rdev != null || st.Mode.Type() != fs.ModeDevice|fs.ModeCharDevice {
				t.Errorf("Lstatx(null) = %+v, %v", st, err)
			}
		}
		wantPathErr(t, tr.d.Mknod("bad", fs.ModeDevice|0o600, 1<<32), "mknod", "bad", fs.ErrInvalid)
		if exists(tr.path("bad")) {
			t.Error("a refused Mknod created bad")
		}
	})
}

// TestDirLchownLinkToOutside: Lchown changes an escaping link itself.
func TestDirLchownLinkToOutside(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Lchown(up)", tr.d.Lchown("up", 1111, 2222))
		if st := lstat(t, tr.path("up")); st.Uid != 1111 || st.Gid != 2222 {
			t.Errorf("Lchown(up): the link is owned by %d:%d", st.Uid, st.Gid)
		}
		if got, err := tr.d.Readlink("slash"); err != nil || got != "/" {
			t.Errorf("Readlink(slash) = %q, %v", got, err)
		}
	})
}
