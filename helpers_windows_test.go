package extfs_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/extfs/extfs"
	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// Helpers of the Windows tests. They run on Windows and, in CI, under Wine
// (scripts/test-windows-wine.sh), which lacks a few things Windows has.

// wineLacks ends the test when err is the honest "not supported" answer of
// an operation Wine lacks (what), after checking that it is that answer: an
// error matching ErrNotSupported and errors.ErrUnsupported, never a silent
// nil. On Windows, and for any other error, the test fails.
func wineLacks(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		return
	}
	if v := winsys.WineVersion(); v != "" && errors.Is(err, extfs.ErrNotSupported) && errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("Wine %s has no %s: checked that it says so (%v); the rest of this test needs Windows", v, what, err)
	}
	t.Fatalf("%s: %v", what, err)
}

// tempDir is t.TempDir, with a removal that works under Wine too. Go 1.26's
// newFile creates a file in a fresh directory with content, open for reading
// and writing; it is closed before the directory is removed (Wine refuses
// to remove an open file: sharing violation).
func newFile(t *testing.T, content []byte) (*extfs.File, string) {
	t.Helper()
	path := filepath.Join(tempDir(t), "f")
	f, err := extfs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.WriteAt(content, 0); err != nil {
		t.Fatal(err)
	}
	return f, path
}

func fileBytes(t *testing.T, f *extfs.File) []byte {
	t.Helper()
	st, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, st.Size)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

func size(t *testing.T, f *extfs.File) int64 {
	t.Helper()
	st, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	return st.Size
}

// checkRange checks that got is want with [off, off+n) zeroed: the zeroed
// range reads as zeros and everything else is unchanged (compared by
// checksum, reported by offset).
func checkZeroed(t *testing.T, got, want []byte, off, n int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("size %d, want %d", len(got), len(want))
	}
	if !bytes.Equal(got[off:off+n], make([]byte, n)) {
		i := bytes.IndexFunc(got[off:off+n], func(r rune) bool { return r != 0 })
		t.Errorf("byte %d of the zeroed range [%d, %d) is not zero", off+i, off, off+n)
	}
	for _, r := range [][2]int{{0, off}, {off + n, len(want)}} {
		if sha256.Sum256(got[r[0]:r[1]]) != sha256.Sum256(want[r[0]:r[1]]) {
			t.Errorf("bytes [%d, %d), outside the zeroed range, changed", r[0], r[1])
		}
	}
}

// wantUnsupported checks that err is a "not supported" error of op that
// says what (when what is not ""): an *fs.PathError or *os.LinkError with
// that Op, matching ErrNotSupported and errors.ErrUnsupported.
func wantUnsupported(t *testing.T, err error, op, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: nil error, want one matching ErrNotSupported", op)
		return
	}
	if !errors.Is(err, extfs.ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("%s: %v, want an error matching ErrNotSupported and errors.ErrUnsupported", op, err)
	}
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		if pe.Op != op {
			t.Errorf("%v: Op %q, want %q", err, pe.Op, op)
		}
	case errors.As(err, &le):
		if le.Op != op {
			t.Errorf("%v: Op %q, want %q", err, le.Op, op)
		}
	default:
		t.Errorf("%v (%T): not an *fs.PathError or *os.LinkError", err, err)
	}
	if what != "" && !strings.Contains(err.Error(), what) {
		t.Errorf("%v: does not say %q", err, what)
	}
}

var procGetProcessHandleCount = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetProcessHandleCount")

// handleCount returns the number of handles the process has open:
// GetProcessHandleCount on Windows; Wine's answers 0, and there the
// process's entries of NtQuerySystemInformation(SystemHandleInformation)
// are counted instead.
func handleCount(t *testing.T) int {
	t.Helper()
	var n uint32
	if r, _, err := procGetProcessHandleCount.Call(uintptr(windows.CurrentProcess()), uintptr(unsafe.Pointer(&n))); r == 0 {
		t.Fatalf("GetProcessHandleCount: %v", err)
	}
	if n > 0 {
		return int(n)
	}
	// SYSTEM_HANDLE_INFORMATION: a ULONG count, then 24-byte entries
	// whose first ULONG is the owner's process ID (in Wine's layout).
	const class, entry = 16, 24
	buf := make([]byte, 1<<20)
	for {
		err := windows.NtQuerySystemInformation(class, unsafe.Pointer(&buf[0]), uint32(len(buf)), nil)
		if err == windows.STATUS_INFO_LENGTH_MISMATCH && len(buf) < 1<<28 {
			buf = make([]byte, 4*len(buf))
			continue
		}
		if err != nil {
			t.Fatalf("NtQuerySystemInformation(SystemHandleInformation): %v", err)
		}
		break
	}
	le := binary.LittleEndian
	pid, count := windows.GetCurrentProcessId(), 0
	for i := range int(le.Uint32(buf)) {
		if le.Uint32(buf[8+entry*i:]) == pid {
			count++
		}
	}
	if count == 0 {
		t.Fatal("found no handle of this process")
	}
	return count
}

// checkNoLeak runs round many times and fails if the process keeps handles
// in proportion: round must close what it opens, on its error paths too.
func checkNoLeak(t *testing.T, round func()) {
	t.Helper()
	round() // anything made once, on first use
	runtime.GC()
	before := handleCount(t)
	const rounds = 100
	for range rounds {
		round()
	}
	runtime.GC()
	if after := handleCount(t); after-before >= rounds/2 {
		t.Errorf("handles: %d before %d rounds, %d after: a handle leaks", before, rounds, after)
	}
}
