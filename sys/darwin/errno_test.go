package darwin

import (
	"errors"
	"syscall"
	"testing"
)

const eio = syscall.Errno(5) // EIO on macOS (and Linux): a real failure

func TestClassify(t *testing.T) {
	err := Classify(ENOTTY)
	if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, ENOTTY) {
		t.Errorf("Classify(ENOTTY) = %v: matches ErrUnsupported %v, ENOTTY %v; want both",
			err, errors.Is(err, errors.ErrUnsupported), errors.Is(err, ENOTTY))
	}
	if err.Error() != ENOTTY.Error() {
		t.Errorf("Classify(ENOTTY).Error() = %q; want %q", err.Error(), ENOTTY.Error())
	}
	for _, e := range []error{nil, EINVAL, eio, ENOSPC} {
		if got := Classify(e); got != e {
			t.Errorf("Classify(%v) = %v; want it unchanged", e, got)
		}
	}
}

func TestFullFsyncFallback(t *testing.T) {
	for err, want := range map[error]bool{
		nil:     false,
		ENOTSUP: true, // SMB
		ENOTTY:  true, // a filesystem without the ioctl
		EINVAL:  true,
		eio:     false, // the flush failed: never hide it behind an fsync
		EBADF:   false,
		ENOSPC:  false,
	} {
		if got := FullFsyncFallback(err); got != want {
			t.Errorf("FullFsyncFallback(%v) = %v; want %v", err, got, want)
		}
	}
}

func TestRemoveErr(t *testing.T) {
	const eacces = syscall.Errno(13)
	tests := []struct {
		unlink, rmdir, want error
	}{
		{nil, ENOTDIR, nil}, // a file, removed
		{EPERM, nil, nil},   // a directory, removed
		{EPERM, ENOTEMPTY, ENOTEMPTY},
		{eacces, ENOTDIR, eacces}, // a file we may not remove
		{ENOENT, ENOENT, ENOENT},
		{EPERM, eacces, eacces}, // a directory we may not remove
	}
	for _, tt := range tests {
		if got := RemoveErr(tt.unlink, tt.rmdir); got != tt.want {
			t.Errorf("RemoveErr(%v, %v) = %v; want %v", tt.unlink, tt.rmdir, got, tt.want)
		}
	}
}

func TestUnlinkMaybeDir(t *testing.T) {
	for err, want := range map[error]bool{nil: false, EPERM: true, EISDIR: true, ENOENT: false, ENOTDIR: false} {
		if got := UnlinkMaybeDir(err); got != want {
			t.Errorf("UnlinkMaybeDir(%v) = %v; want %v", err, got, want)
		}
	}
}

func TestWalkDirErr(t *testing.T) {
	for err, want := range map[error]error{
		ENOTSUP:    ENOTDIR, // open(2) of a socket
		EOPNOTSUPP: ENOTDIR,
		ENOENT:     ENOENT,
		ELOOP:      ELOOP,
		nil:        nil,
	} {
		if got := WalkDirErr(err); got != want {
			t.Errorf("WalkDirErr(%v) = %v; want %v", err, got, want)
		}
	}
}
