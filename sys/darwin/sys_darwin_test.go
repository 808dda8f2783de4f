package darwin

// Tests of the system calls, for a Mac: they build with GOOS=darwin and run
// only there. The decisions they rest on are tested on every OS by the
// other _test.go files.

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

// tempFile creates a file of the given content in t.TempDir and returns its
// path and a descriptor opened with flags.
func tempFile(t *testing.T, content []byte, flags int) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return path, fd
}

func mustStat(t *testing.T, fd int) Stat {
	t.Helper()
	st, err := Fstat(fd)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sameTime compares a time read back with the one set, allowing for a
// filesystem that keeps whole seconds (HFS+).
func sameTime(got, set Timespec) bool {
	return got == set || got.Sec == set.Sec && got.Nsec == 0
}

func TestPreallocate(t *testing.T) {
	const MiB = 1 << 20
	_, fd := tempFile(t, nil, unix.O_RDWR)
	if err := Preallocate(fd, 0, MiB, false); err != nil {
		t.Fatalf("Preallocate: %v", err)
	}
	st := mustStat(t, fd)
	if st.Size != MiB || st.Blocks*512 < MiB {
		t.Errorf("after Preallocate(0, 1 MiB): size %d, %d bytes allocated; want 1 MiB, at least 1 MiB", st.Size, st.Blocks*512)
	}
	// Again over the same range: nothing more to allocate, nothing changes.
	if err := Preallocate(fd, 0, MiB, false); err != nil {
		t.Fatalf("Preallocate again: %v", err)
	}
	if st2 := mustStat(t, fd); st2.Size != st.Size || st2.Blocks != st.Blocks {
		t.Errorf("second Preallocate changed size %d → %d, blocks %d → %d", st.Size, st2.Size, st.Blocks, st2.Blocks)
	}
	// Keep size: the size stays.
	if err := Preallocate(fd, MiB, MiB, true); err != nil {
		t.Fatalf("Preallocate keep size: %v", err)
	}
	if st3 := mustStat(t, fd); st3.Size != MiB {
		t.Errorf("keep-size Preallocate: size %d; want %d", st3.Size, MiB)
	} else {
		t.Logf("keep-size Preallocate: %d bytes allocated (F_ALLOCATEPERSIST)", st3.Blocks*512)
	}
}

func TestPreallocateReadOnly(t *testing.T) {
	_, fd := tempFile(t, nil, unix.O_RDONLY)
	if err := Preallocate(fd, 0, 4096, false); err != unix.EBADF {
		t.Errorf("Preallocate on a read-only descriptor = %v; want EBADF", err)
	}
}

func TestPunchHole(t *testing.T) {
	const size = 64 << 10
	data := bytes.Repeat([]byte{0xff}, size)
	path, fd := tempFile(t, data, unix.O_RDWR)
	const off, n = 1000, 40000
	if err := PunchHole(fd, off, n); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("PunchHole: %v (HFS+?)", err)
		}
		t.Fatalf("PunchHole: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(data)
	clear(want[off : off+n])
	if !bytes.Equal(got, want) {
		t.Errorf("after PunchHole(%d, %d): content differs (size %d, want %d)", off, n, len(got), len(want))
	}
	// Past the end: the size does not change.
	if err := PunchHole(fd, size-100, 1<<20); err != nil {
		t.Fatalf("PunchHole past the end: %v", err)
	}
	if st := mustStat(t, fd); st.Size != size {
		t.Errorf("PunchHole past the end: size %d; want %d", st.Size, size)
	}
}

func TestPunchHoleRefused(t *testing.T) {
	data := bytes.Repeat([]byte{0xff}, 16<<10)
	path, fd := tempFile(t, data, unix.O_RDWR|unix.O_APPEND)
	if err := PunchHole(fd, 10, 100); err != ErrAppendZeros {
		t.Errorf("PunchHole with partial blocks, O_APPEND = %v; want ErrAppendZeros", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Error("a refused PunchHole changed the file")
	}
	_, rfd := tempFile(t, data, unix.O_RDONLY)
	if err := PunchHole(rfd, 0, 4096); err != unix.EBADF {
		t.Errorf("PunchHole on a read-only descriptor = %v; want EBADF", err)
	}
}

func TestFadvise(t *testing.T) {
	_, fd := tempFile(t, make([]byte, 1<<20), unix.O_RDONLY)
	for a := fsenum.AdviceNormal; a <= fsenum.AdviceNoReuse; a++ {
		err := Fadvise(fd, 0, 0, a)
		if a == fsenum.AdviceDontNeed {
			if err != ENOTSUP {
				t.Errorf("Fadvise(DontNeed) = %v; want ENOTSUP", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Fadvise(%d) = %v", a, err)
		}
	}
	// Past the end: nothing to read ahead, no EFBIG.
	if err := Fadvise(fd, 2<<20, 4096, fsenum.AdviceWillNeed); err != nil {
		t.Errorf("Fadvise(WillNeed) past the end = %v", err)
	}
	if err := Fadvise(fd, 0, 0, fsenum.AdviceNormal); err != nil {
		t.Errorf("Fadvise(Normal) = %v", err)
	}
}

func TestFsync(t *testing.T) {
	_, fd := tempFile(t, []byte("x"), unix.O_RDWR)
	if err := Fsync(fd); err != nil {
		t.Errorf("Fsync: %v", err)
	}
}

func TestXattr(t *testing.T) {
	path, fd := tempFile(t, nil, unix.O_RDWR)
	byFd, byPath := fsenum.XattrAt{Fd: fd}, fsenum.XattrAt{Path: path}
	const name = "com.example.extfs"
	big := bytes.Repeat([]byte("v"), 100<<10) // more than Linux's 64 KiB: macOS allows it
	for _, value := range [][]byte{[]byte("value"), {}, big} {
		if err := Setxattr(byFd, name, value, 0); err != nil {
			t.Fatalf("Setxattr(fd, %d bytes): %v", len(value), err)
		}
		got, err := Getxattr(byFd, name)
		if err != nil || !bytes.Equal(got, value) {
			t.Errorf("Getxattr(fd) after setting %d bytes = %d bytes, %v", len(value), len(got), err)
		}
	}
	if err := Setxattr(byFd, name, []byte("x"), fsenum.XattrCreate); err != unix.EEXIST {
		t.Errorf("Setxattr(fd, XattrCreate) of an existing attribute = %v; want EEXIST", err)
	}
	if err := Setxattr(byFd, "com.example.missing", []byte("x"), fsenum.XattrReplace); err != unix.ENOATTR {
		t.Errorf("Setxattr(fd, XattrReplace) of a missing attribute = %v; want ENOATTR", err)
	}
	if err := Setxattr(byPath, name, []byte("x"), fsenum.XattrCreate); err != unix.EEXIST {
		t.Errorf("Setxattr(path, XattrCreate) of an existing attribute = %v; want EEXIST", err)
	}
	if err := Setxattr(byPath, "com.example.missing", []byte("x"), fsenum.XattrReplace); err != unix.ENOATTR {
		t.Errorf("Setxattr(path, XattrReplace) of a missing attribute = %v; want ENOATTR", err)
	}
	names, err := Listxattr(byFd)
	if err != nil || !slices.Contains(names, name) {
		t.Errorf("Listxattr(fd) = %q, %v; want %q in it", names, err, name)
	}
	if names, err := Listxattr(byPath); err != nil || !slices.Contains(names, name) {
		t.Errorf("Listxattr(path) = %q, %v; want %q in it", names, err, name)
	}
	if err := Removexattr(byFd, name); err != nil {
		t.Errorf("Removexattr(fd): %v", err)
	}
	if _, err := Getxattr(byPath, name); err != unix.ENOATTR {
		t.Errorf("Getxattr(path) after remove = %v; want ENOATTR", err)
	}

	// A symbolic link's own attributes.
	link := path + ".link"
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	linkAt := fsenum.XattrAt{Path: link, NoFollow: true}
	if err := Setxattr(linkAt, name, []byte("link"), 0); err != nil {
		t.Fatalf("Setxattr on a link, NoFollow: %v", err)
	}
	if v, err := Getxattr(linkAt, name); err != nil || string(v) != "link" {
		t.Errorf("Getxattr NoFollow = %q, %v; want \"link\"", v, err)
	}
	if _, err := Getxattr(fsenum.XattrAt{Path: link}, name); err != unix.ENOATTR {
		t.Errorf("Getxattr through the link = %v; want ENOATTR (the target has none)", err)
	}
	if names, err := Listxattr(linkAt); err != nil || !slices.Contains(names, name) {
		t.Errorf("Listxattr NoFollow = %q, %v; want %q in it", names, err, name)
	}
	if err := Removexattr(linkAt, name); err != nil {
		t.Errorf("Removexattr NoFollow: %v", err)
	}
}

func TestFutimes(t *testing.T) {
	_, fd := tempFile(t, nil, unix.O_RDWR)
	before := mustStat(t, fd)
	ts := [2]Timespec{{Sec: 1600000000, Nsec: 123456789}, {Nsec: UTIME_OMIT}}
	if err := Futimes(fd, ts); err != nil {
		t.Fatalf("Futimes: %v", err)
	}
	st := mustStat(t, fd)
	if !sameTime(st.Atime, Timespec{1600000000, 123456000}) {
		t.Errorf("atime = %+v; want 1600000000.123456000 (microseconds)", st.Atime)
	}
	if st.Mtime.Sec != before.Mtime.Sec || st.Mtime.Nsec/1000 != before.Mtime.Nsec/1000 {
		t.Errorf("mtime = %+v; want it kept (%+v, to the microsecond)", st.Mtime, before.Mtime)
	}
}

func TestUtimensAt(t *testing.T) {
	path, _ := tempFile(t, nil, unix.O_RDONLY)
	dir, base := filepath.Split(path)
	dfd, err := unix.Open(dir, unix.O_SEARCH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dfd)
	ts := [2]Timespec{{Nsec: UTIME_OMIT}, {Sec: 1600000000, Nsec: 123456789}}
	if err := UtimensAt(dfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatalf("UtimensAt: %v", err)
	}
	st, err := Fstatat(dfd, base, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil || !sameTime(st.Mtime, ts[1]) {
		t.Errorf("mtime = %+v, %v; want %+v", st.Mtime, err, ts[1])
	}
	if !BirthKnown(st.Btime) {
		t.Logf("no birth time here (not APFS or HFS+?)")
	}
}

func TestMknodat(t *testing.T) {
	dir := t.TempDir()
	dfd, err := unix.Open(dir, unix.O_SEARCH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dfd)
	cwd, _ := os.Getwd()
	for _, tt := range []struct {
		name string
		typ  uint32
	}{{"fifo", S_IFIFO}, {"file", 0}} {
		if err := Mknodat(dfd, tt.name, tt.typ|0o600, 0); err != nil {
			t.Fatalf("Mknodat(%s): %v", tt.name, err)
		}
		st, err := Fstatat(dfd, tt.name, unix.AT_SYMLINK_NOFOLLOW)
		want := tt.typ
		if want == 0 {
			want = S_IFREG
		}
		if err != nil || st.Mode&S_IFMT != want {
			t.Errorf("%s: mode %#o, %v; want type %#o", tt.name, st.Mode, err, want)
		}
		if err := Mknodat(dfd, tt.name, tt.typ|0o600, 0); err != unix.EEXIST {
			t.Errorf("Mknodat(%s) again = %v; want EEXIST", tt.name, err)
		}
	}
	// InDir gave the thread its working directory back.
	if now, _ := os.Getwd(); now != cwd {
		t.Errorf("working directory %q after Mknodat; was %q", now, cwd)
	}
	if _, err := os.Stat(filepath.Join(cwd, "fifo")); err == nil {
		t.Error("Mknodat made fifo in the working directory")
	}
}

func TestReadlinkat(t *testing.T) {
	dir := t.TempDir()
	target := strings.Repeat("t/", 200) + "x" // longer than the first buffer
	if err := os.Symlink(target, filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	got, err := Readlinkat(unix.AT_FDCWD, filepath.Join(dir, "l"))
	if err != nil || got != target {
		t.Errorf("Readlinkat = %q, %v; want %q", got, err, target)
	}
}
