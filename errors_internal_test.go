package extfs

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestClassify checks the mapping of "the kernel can't" errnos to
// ErrNotSupported without a filesystem that lacks the operation (every one
// testfs mounts has punch-hole; TestFallocateUnsupportedFS uses ramfs).
func TestClassify(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EOPNOTSUPP, syscall.ENOTSUP, syscall.ENOSYS} {
		err := pathErr("fallocate", "/f", classify("keep-size|punch-hole", errno))
		for _, target := range []error{ErrNotSupported, errors.ErrUnsupported, errno} {
			if !errors.Is(err, target) {
				t.Errorf("classify(%v): %v does not match %v", errno, err, target)
			}
		}
		if errors.Is(err, fs.ErrInvalid) {
			t.Errorf("classify(%v) matches fs.ErrInvalid", errno)
		}
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Op != "fallocate" || pe.Path != "/f" {
			t.Errorf("classify(%v) through pathErr: %#v", errno, err)
		}
		if want := "fallocate /f: keep-size|punch-hole: " + errno.Error(); err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
		// Classifying twice keeps the first description.
		if again := classify("other", classify("first", errno)); !strings.HasPrefix(again.Error(), "first: ") {
			t.Errorf("classify twice: %q", again)
		}
	}
	for _, errno := range []syscall.Errno{syscall.EINVAL, syscall.EPERM, syscall.EBADF, syscall.ENOSPC} {
		if got := classify("x", errno); got != errno {
			t.Errorf("classify(%v) = %v, want the errno unchanged", errno, got)
		}
	}
	if classify("x", nil) != nil || pathErr("op", "p", nil) != nil || linkErr("op", "a", "b", nil) != nil {
		t.Error("nil error was wrapped")
	}
	le := linkErr("link", "a", "b", syscall.EOPNOTSUPP)
	var lerr *os.LinkError
	if !errors.As(le, &lerr) || !errors.Is(le, ErrNotSupported) || !errors.Is(le, syscall.EOPNOTSUPP) {
		t.Errorf("linkErr(EOPNOTSUPP) = %#v", le)
	}

	// Decided without asking the kernel: no errno behind it.
	ns := notSupportedErr("io_uring engine")
	if !errors.Is(ns, ErrNotSupported) || !errors.Is(ns, errors.ErrUnsupported) || errors.Is(ns, syscall.EOPNOTSUPP) {
		t.Errorf("notSupportedErr: %v", ns)
	}
	if ns.Error() != "io_uring engine: operation not supported" {
		t.Errorf("notSupportedErr message %q", ns)
	}
}

func TestArgError(t *testing.T) {
	err := errInvalid("bad %d", 7)
	if !errors.Is(err, fs.ErrInvalid) || !errors.Is(err, syscall.EINVAL) || errors.Is(err, ErrNotSupported) {
		t.Errorf("errInvalid matches wrongly: %v", err)
	}
	if err.Error() != "bad 7" {
		t.Errorf("message %q", err)
	}
	h := &hintError{err: syscall.EPERM, hint: "why"}
	if !errors.Is(h, syscall.EPERM) || !errors.Is(h, fs.ErrPermission) || h.Error() != "operation not permitted (why)" {
		t.Errorf("hintError: %v", h)
	}
}

func TestCheckRange(t *testing.T) {
	for _, c := range []struct {
		off, n    int64
		allowZero bool
		ok        bool
	}{
		{0, 1, false, true},
		{0, 0, true, true},
		{0, 0, false, false},
		{-1, 1, true, false},
		{0, -1, true, false},
		{math.MaxInt64, 0, true, true},
		{math.MaxInt64 - 1, 1, false, true},
		{math.MaxInt64, 1, false, false},
		{1, math.MaxInt64, false, false},
		{0, math.MaxInt64, false, true},
		{math.MinInt64, 0, true, false},
	} {
		err := checkRange(c.off, c.n, c.allowZero)
		if (err == nil) != c.ok {
			t.Errorf("checkRange(%d, %d, %v) = %v, want ok=%v", c.off, c.n, c.allowZero, err, c.ok)
		}
		if err != nil && !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("checkRange error %v does not match fs.ErrInvalid", err)
		}
	}
}
