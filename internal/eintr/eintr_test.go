package eintr

import (
	"errors"
	"syscall"
	"testing"
)

func TestRetry(t *testing.T) {
	calls := 0
	err := Retry(func() error {
		if calls++; calls < 3 {
			return syscall.EINTR
		}
		return syscall.ENOENT
	})
	if calls != 3 || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Retry: %d calls, err %v; want 3 calls, ENOENT", calls, err)
	}
}

func TestRetry1(t *testing.T) {
	calls := 0
	n, err := Retry1(func() (int, error) {
		if calls++; calls < 3 {
			return -1, syscall.EINTR
		}
		return 7, nil
	})
	if calls != 3 || n != 7 || err != nil {
		t.Errorf("Retry1: %d calls, (%d, %v); want 3 calls, (7, nil)", calls, n, err)
	}
}
