package extfs

// Tests of copy_darwin.go's own errors.

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/extfs/extfs/sys/darwin"
)

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
		if got := (copySys{}).cloneFallback(err); got != want {
			t.Errorf("cloneFallback(%v) = %v; want %v", err, got, want)
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
