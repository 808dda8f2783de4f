package darwin

// Tests of copy_darwin.go's system calls, for a Mac: they build with
// GOOS=darwin and run only there. clone_test.go tests the decisions on every
// OS.

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestStatfs(t *testing.T) {
	path, fd := tempFile(t, []byte("x"), unix.O_RDONLY)
	a, err := Statfs(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Fstatfs(fd)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a.Name == "" || a.Bsize <= 0 {
		t.Errorf("Statfs = %+v, Fstatfs = %+v; want the same, named, with a block size", a, b)
	}
	// Only the volume's identity matters to Probe's cache; whether f_fsid
	// holds st_dev too is worth knowing.
	dev, typ := FsidKey(a.Fsid)
	t.Logf("%s: %+v: f_fsid device %#x (st_dev %#x), type %d", path, a, dev, mustStat(t, fd).Dev, typ)
}

func TestFclonefileat(t *testing.T) {
	data := bytes.Repeat([]byte("clone me "), 100000)
	path, fd := tempFile(t, data, unix.O_RDONLY)
	if fi, err := Statfs(path); err != nil || fi.Name != "apfs" {
		t.Skipf("%s is on %q, not APFS (%v)", path, fi.Name, err)
	}
	dst := filepath.Join(filepath.Dir(path), "clone")
	if err := Fclonefileat(fd, unix.AT_FDCWD, dst, CLONE_NOFOLLOW|CLONE_NOOWNERCOPY); err != nil {
		t.Fatalf("Fclonefileat: %v", err)
	}
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the clone reads %d bytes, %v; want the source's %d", len(got), err, len(data))
	}
	if err := Fclonefileat(fd, unix.AT_FDCWD, dst, CLONE_NOFOLLOW|CLONE_NOOWNERCOPY); err != EEXIST {
		t.Errorf("Fclonefileat over an existing name: %v; want EEXIST", err)
	}
	// A dangling symbolic link at the name is not followed.
	link := filepath.Join(filepath.Dir(path), "link")
	if err := os.Symlink("nowhere", link); err != nil {
		t.Fatal(err)
	}
	if err := Fclonefileat(fd, unix.AT_FDCWD, link, CLONE_NOFOLLOW|CLONE_NOOWNERCOPY); err != EEXIST {
		t.Errorf("Fclonefileat onto a symbolic link: %v; want EEXIST", err)
	}
	if _, err := os.Lstat(filepath.Join(filepath.Dir(path), "nowhere")); !os.IsNotExist(err) {
		t.Errorf("the link's target was created (%v)", err)
	}
}

func TestSetTimesFlags(t *testing.T) {
	path, _ := tempFile(t, []byte("x"), unix.O_RDONLY)
	cr := Timespec{Sec: 1000000000, Nsec: 0}
	m := Timespec{Sec: 1100000000, Nsec: 123456789}
	a := Timespec{Sec: 1200000000, Nsec: 987654321}
	if err := SetTimes(path, &cr, &m, &a); err != nil {
		t.Fatalf("SetTimes: %v", err)
	}
	st, err := Fstatat(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTime(st.Mtime, m) || !sameTime(st.Atime, a) || BirthKnown(st.Btime) && !sameTime(st.Btime, cr) {
		t.Errorf("times birth %v, modified %v, accessed %v; want %v, %v, %v", st.Btime, st.Mtime, st.Atime, cr, m, a)
	}
	// nil leaves a time alone.
	if err := SetTimes(path, nil, nil, &cr); err != nil {
		t.Fatal(err)
	}
	if st2, _ := Fstatat(unix.AT_FDCWD, path, 0); st2.Mtime != st.Mtime || !sameTime(st2.Atime, cr) {
		t.Errorf("after setting atime only: mtime %v (was %v), atime %v", st2.Mtime, st.Mtime, st2.Atime)
	}

	if err := SetFlags(path, UF_NODUMP|UF_IMMUTABLE); err != nil {
		t.Fatalf("SetFlags: %v", err)
	}
	if st, _ := Fstatat(unix.AT_FDCWD, path, 0); st.Flags&(UF_NODUMP|UF_IMMUTABLE) != UF_NODUMP|UF_IMMUTABLE {
		t.Errorf("flags %#x; want nodump and uchg", st.Flags)
	}
	if err := SetFlags(path, 0); err != nil {
		t.Fatalf("SetFlags(0): %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Errorf("the file is still immutable: %v", err)
	}

	// On a symbolic link, the link itself.
	link := filepath.Join(t.TempDir(), "link")
	target := filepath.Join(filepath.Dir(link), "target")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target", link); err != nil {
		t.Fatal(err)
	}
	if err := SetTimes(link, nil, &m, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := Fstatat(unix.AT_FDCWD, target, 0); sameTime(st.Mtime, m) {
		t.Error("SetTimes followed the symbolic link")
	}
}

func TestSeekData(t *testing.T) {
	path, _ := tempFile(t, nil, unix.O_RDONLY)
	const size, at = 16 << 20, 8 << 20
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{1}, 1<<20), at); err != nil {
		t.Fatal(err)
	}
	if err := Fsync(int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	data, hole, ok, err := SeekData(fd, 0)
	if err != nil {
		t.Skipf("no SEEK_DATA here: %v", err)
	}
	if !ok || data > at || hole < at+1<<20 || hole > size {
		t.Errorf("SeekData(0) = %d, %d, %v; want the data at [%d, %d)", data, hole, ok, at, at+1<<20)
	}
	if st := mustStat(t, fd); !MayBeSparse(st.Blocks, st.Size) {
		t.Errorf("a file with %d bytes allocated of %d does not look sparse", st.Blocks*512, st.Size)
	}
	if _, _, ok, err := SeekData(fd, at+2<<20); ok || err != nil {
		t.Errorf("SeekData past the data = %v, %v; want no data (ENXIO)", ok, err)
	}
}

func TestRenameNoReplace(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := RenameNoReplace(a, b); err != EEXIST {
		t.Errorf("RenameNoReplace onto an existing file: %v; want EEXIST", err)
	}
	if got, _ := os.ReadFile(b); string(got) != b {
		t.Error("the existing file was replaced")
	}
	c := filepath.Join(dir, "c")
	if err := RenameNoReplace(a, c); err != nil {
		t.Fatalf("RenameNoReplace: %v", err)
	}
	if got, _ := os.ReadFile(c); string(got) != a {
		t.Errorf("renamed file reads %q", got)
	}
	if _, err := os.Lstat(a); !os.IsNotExist(err) {
		t.Errorf("the old name remains (%v)", err)
	}
	// A dangling symbolic link is an existing name too.
	if err := os.Symlink("nowhere", a); err != nil {
		t.Fatal(err)
	}
	if err := RenameNoReplace(c, a); err != EEXIST {
		t.Errorf("RenameNoReplace onto a symbolic link: %v; want EEXIST", err)
	}
}
