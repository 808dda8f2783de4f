package byname

import (
	"errors"
	"syscall"
	"testing"
)

func TestError(t *testing.T) {
	e := &Error{Op: "chown", Name: "d/.x.tmp", Err: syscall.EPERM}
	if got, want := e.Error(), "chown d/.x.tmp: "+syscall.EPERM.Error(); got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if !errors.Is(e, syscall.EPERM) {
		t.Errorf("%v does not match EPERM", e)
	}
	if got := (&Error{Op: "clone", Why: "because"}).Error(); got != "clone: because" {
		t.Errorf("Error() with Why = %q", got)
	}
	if got := (&Error{Op: "fstat", Err: syscall.EIO}).Error(); got != "fstat: "+syscall.EIO.Error() {
		t.Errorf("Error() without Name = %q", got)
	}
}
