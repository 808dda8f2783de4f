package extfs

// Tests of darwin_copy.go. They run on every OS: the decisions are pure.

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs/sys/darwin"
)

func TestDarwinCloneWanted(t *testing.T) {
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
		if got := darwinCloneWanted(tt.cow, tt.size); got != tt.want {
			t.Errorf("darwinCloneWanted(%v, %d) = %v; want %v", tt.cow, tt.size, got, tt.want)
		}
	}
}

func TestDarwinNoCloneVerdict(t *testing.T) {
	const eio = syscall.Errno(5)
	for _, tt := range []struct {
		cow  CoWMode
		err  error
		want darwinNoClone
	}{
		// extfs chose not to clone
		{CoWAuto, nil, darwinCopy},
		{CoWAlways, nil, darwinUnsupported},
		// the volume cannot
		{CoWAuto, darwin.ENOTSUP, darwinCopy},
		{CoWAlways, darwin.ENOTSUP, darwinUnsupported},
		{CoWAuto, darwin.EXDEV, darwinCopy},
		{CoWAlways, darwin.EXDEV, darwinUnsupported},
		{CoWAlways, darwin.EOPNOTSUPP, darwinUnsupported},
		{CoWAlways, darwin.EINVAL, darwinUnsupported},
		// EPERM, EACCES: copy under CoWAuto, but a real error under CoWAlways
		{CoWAuto, darwin.EPERM, darwinCopy},
		{CoWAlways, darwin.EPERM, darwinFail},
		{CoWAuto, darwin.EACCES, darwinCopy},
		{CoWAlways, darwin.EACCES, darwinFail},
		// failures
		{CoWAuto, eio, darwinFail},
		{CoWAlways, eio, darwinFail},
		{CoWAuto, darwin.ENOSPC, darwinFail},
		{CoWAuto, darwin.EEXIST, darwinFail},
	} {
		if got := darwinNoCloneVerdict(tt.cow, tt.err); got != tt.want {
			t.Errorf("darwinNoCloneVerdict(%v, %v) = %d; want %d", tt.cow, tt.err, got, tt.want)
		}
	}
}

func TestDarwinCloneRefusal(t *testing.T) {
	for _, tt := range []struct {
		flags, mode, want uint32
		refused           string // a word of the reason, "" for none
	}{
		{0, darwin.S_IFREG | 0o644, 0o644, ""},
		{darwin.UF_IMMUTABLE, darwin.S_IFREG | 0o644, 0o644, ""}, // the owner's flag: cleared on the clone
		{darwin.UF_COMPRESSED, darwin.S_IFREG | 0o644, 0o644, ""},
		{darwin.SF_IMMUTABLE, darwin.S_IFREG | 0o644, 0o644, "immutable"},
		{darwin.SF_APPEND, darwin.S_IFREG | 0o644, 0o644, "immutable"},
		{darwin.SF_NOUNLINK, darwin.S_IFREG | 0o644, 0o644, "undeletable"},
		{0, darwin.S_IFREG | 0o664, 0o644, "0664"},
		{0, darwin.S_IFREG | 0o644, 0o600, "PreserveMode"},
		{0, darwin.S_IFREG | 0o4755, 0o755, ""},
	} {
		got := darwinCloneRefusal(tt.flags, tt.mode, tt.want)
		if (got == "") != (tt.refused == "") || !strings.Contains(got, tt.refused) {
			t.Errorf("darwinCloneRefusal(%#x, %#o, %#o) = %q; want one with %q", tt.flags, tt.mode, tt.want, got, tt.refused)
		}
	}
}

func TestDarwinCloneWhat(t *testing.T) {
	for _, tt := range []struct {
		err          error
		sname, dname string
		want         string
	}{
		{darwin.EXDEV, "apfs", "apfs", "different volumes"},
		{darwin.EXDEV, "apfs", "msdos", "(apfs) and the destination (msdos)"},
		{darwin.ENOTSUP, "apfs", "hfs", "on apfs and the destination on hfs"},
		{darwin.ENOTSUP, "hfs", "hfs", "the hfs filesystem cannot clone"},
		{darwin.ENOTSUP, "", "hfs", "clone"},
	} {
		if got := darwinCloneWhat(tt.err, tt.sname, tt.dname); !strings.Contains(got, tt.want) {
			t.Errorf("darwinCloneWhat(%v, %q, %q) = %q; want it to say %q", tt.err, tt.sname, tt.dname, got, tt.want)
		}
	}
}

func TestDarwinCloneFallback(t *testing.T) {
	for err, want := range map[error]bool{
		errCloneOpen:    true, // copyContents copies
		errCloneRange:   false,
		darwin.ENOTSUP:  true,
		darwin.EXDEV:    true,
		darwin.EPERM:    true,
		darwin.EACCES:   true,
		darwin.EEXIST:   false,
		ErrNotSupported: false,
		nil:             false,
	} {
		if got := darwinCloneFallback(err); got != want {
			t.Errorf("darwinCloneFallback(%v) = %v; want %v", err, got, want)
		}
	}
	// What CopyFile, CopyTree and CloneRange make of them on macOS
	// (clone.go's cloneError and cloneNotSupported, with this fallback).
	for _, err := range []error{errCloneOpen, errCloneRange} {
		if !errors.Is(err, ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%v does not match ErrNotSupported and errors.ErrUnsupported", err)
		}
	}
	wrapped := os.NewSyscallError("ficlonerange", errCloneRange)
	if !errors.Is(wrapped, ErrNotSupported) || !strings.Contains(wrapped.Error(), "part of a file") {
		t.Errorf("CloneRange's error %q does not say macOS cannot clone a range", wrapped)
	}
}

// A CoWAlways failure is an error that names the call, matches
// ErrNotSupported and the errno, and says why.
func TestDarwinUnsupportedError(t *testing.T) {
	err := copyErr("clone", "/a/src", "/b/dst",
		os.NewSyscallError("fclonefileat", &unsupportedError{what: darwinCloneWhat(darwin.EXDEV, "apfs", "apfs"), err: darwin.EXDEV}))
	var le *os.LinkError
	if !errors.As(err, &le) || le.Op != "fclonefileat" || le.Old != "/a/src" || le.New != "/b/dst" {
		t.Fatalf("error %#v: want an *os.LinkError for fclonefileat naming both paths", err)
	}
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, darwin.EXDEV) {
		t.Errorf("error %v: matches ErrNotSupported %v, EXDEV %v; want both", err, errors.Is(err, ErrNotSupported), errors.Is(err, darwin.EXDEV))
	}
	if !strings.Contains(err.Error(), "different volumes") {
		t.Errorf("error %q does not say why", err)
	}
}

// CoWAlways into an open file on macOS (copyContents) says that macOS
// clones only to a new name, not that the filesystem cannot share blocks.
func TestDarwinCloneOpenError(t *testing.T) {
	err := cloneError("ficlone", 0, 0, errCloneOpen)
	if err != errCloneOpen {
		t.Errorf("cloneError(errCloneOpen) = %v; want errCloneOpen as it is", err)
	}
	if !errors.Is(err, ErrNotSupported) || strings.Contains(err.Error(), "reflink") || !strings.Contains(err.Error(), "new name") {
		t.Errorf("error %q: want one matching ErrNotSupported that says macOS clones to a new name", err)
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
