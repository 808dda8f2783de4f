package extfs

// Tests of the portable clone decisions; they run on every OS.

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestCloneWanted(t *testing.T) {
	for _, tt := range []struct {
		cow  CoWMode
		size int64
		want bool
	}{
		{CoWAuto, 1, true},
		{CoWAuto, 0, false}, // nothing to share: the copy is as fast
		{CoWAlways, 0, true},
		{CoWAlways, 1 << 40, true},
		{CoWNever, 1, false},
		{CoWNever, 0, false},
	} {
		if got := cloneWanted(tt.cow, tt.size); got != tt.want {
			t.Errorf("cloneWanted(%v, %d) = %v; want %v", tt.cow, tt.size, got, tt.want)
		}
	}
}

// A CoWAlways failure is an error that names the call, matches
// ErrNotSupported and the errno, and says why.
func TestCloneUnsupportedError(t *testing.T) {
	err := copyErr("clone", "/a/src", "/b/dst",
		os.NewSyscallError("fclonefileat", &unsupportedError{what: "clone: the source (apfs) and the destination (apfs) are on different volumes", err: syscall.EXDEV}))
	var le *os.LinkError
	if !errors.As(err, &le) || le.Op != "fclonefileat" || le.Old != "/a/src" || le.New != "/b/dst" {
		t.Fatalf("error %#v: want an *os.LinkError for fclonefileat naming both paths", err)
	}
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, syscall.EXDEV) {
		t.Errorf("error %v: matches ErrNotSupported %v, EXDEV %v; want both", err, errors.Is(err, ErrNotSupported), errors.Is(err, syscall.EXDEV))
	}
	if !strings.Contains(err.Error(), "different volumes") {
		t.Errorf("error %q does not say why", err)
	}
}

// An error that extfs decided on without a call (macOS clones into no open
// file) is returned as it is: no filesystem is to blame.
func TestCloneDecidedError(t *testing.T) {
	decided := notSupportedErr("clone into an open file: macOS clones only to a new name (clonefile)")
	if err := cloneError("ficlone", 0, 0, decided); err != decided {
		t.Errorf("cloneError(%v) = %v; want it as it is", decided, err)
	}
}

// A clone refused at the reference limit (Windows' errno 347, marked by
// the adapter) matches ErrCloneLimit and keeps the errno, but not
// ErrNotSupported: CoWAuto copies instead, CoWAlways and CloneRange return
// it as it is.
func TestCloneLimitError(t *testing.T) {
	errno := syscall.Errno(347) // ERROR_BLOCK_TOO_MANY_REFERENCES
	inner := os.NewSyscallError("FSCTL_DUPLICATE_EXTENTS_TO_FILE", errno)
	if err := cloneLimitErr(inner, false); err != inner {
		t.Errorf("cloneLimitErr(err, false) = %v, want err as it is", err)
	}
	if err := cloneLimitErr(nil, true); err != nil {
		t.Errorf("cloneLimitErr(nil, true) = %v", err)
	}
	limit := cloneLimitErr(inner, true)
	if !cloneFallback(limit) {
		t.Errorf("cloneFallback(%v) = false: CoWAuto would fail instead of copying", limit)
	}
	if cloneNotSupported(limit) {
		t.Errorf("cloneNotSupported(%v) = true", limit)
	}
	for _, op := range []string{"ficlone", "ficlonerange"} {
		err := copyErr(op, "/a/src", "/b/dst", cloneError(op, 0, 0, limit))
		if !errors.Is(err, ErrCloneLimit) || !errors.Is(err, errno) {
			t.Errorf("%s: %v: matches ErrCloneLimit %v, the errno %v; want both", op, err, errors.Is(err, ErrCloneLimit), errors.Is(err, errno))
		}
		if errors.Is(err, ErrNotSupported) || errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v matches ErrNotSupported", op, err)
		}
		var le *os.LinkError
		if !errors.As(err, &le) || le.Op != op {
			t.Errorf("%s: %#v, want an *os.LinkError for %s", op, err, op)
		}
		if !strings.Contains(err.Error(), "shared too many times") {
			t.Errorf("%s: %q does not say why", op, err)
		}
	}
}

// The name sysTreeClone renames a clone over: the one CopyTree's new file
// has until commit.
func TestTreeFileCurrent(t *testing.T) {
	for _, c := range []struct {
		nf   treeFile
		want string
	}{
		{treeFile{name: "a", direct: true}, "a"},                       // in a directory CopyTree made
		{treeFile{name: "a", tmp: ".a.extfs-x.tmp"}, ".a.extfs-x.tmp"}, // elsewhere, a temporary name
		{treeFile{name: "a"}, ""},                                      // unnamed (O_TMPFILE): nothing to rename over
	} {
		if got := c.nf.current(); got != c.want {
			t.Errorf("%+v.current() = %q; want %q", c.nf, got, c.want)
		}
	}
}
