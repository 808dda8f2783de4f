//go:build linux

package linux

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDirProcFallbacks runs the /proc/self/fd paths that chmod and
// utimensat take on kernels older than this one, on an O_PATH descriptor as
// Dir uses them.
func TestDirProcFallbacks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, 0o600); err != unix.EBADF {
		t.Errorf("fchmod on an O_PATH descriptor: %v, want EBADF (the reason for chmodFd)", err)
	}

	if err := chmodProc(fd, 0o4640); err != nil {
		t.Fatalf("chmodProc: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	if got := st.Mode & 0o7777; got != 0o4640 {
		t.Errorf("mode after chmodProc(04640) = %#o", got)
	}

	ts := &[2]unix.Timespec{{Sec: 1_000_000_000, Nsec: 123_456_789}, {Sec: 1_100_000_000, Nsec: 987_654_321}}
	if err := UtimensAt(unix.AT_FDCWD, procFdPath(fd), ts, 0); err != nil {
		t.Fatalf("utimensat on %s: %v", procFdPath(fd), err)
	}
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Atim != ts[0] || st.Mtim != ts[1] {
		t.Errorf("times after utimensat through /proc: %v %v, want %v %v", st.Atim, st.Mtim, ts[0], ts[1])
	}
}
