// Package eintr retries system calls interrupted by a signal.
//
// Go's runtime sends SIGURG to preempt goroutines; a file system call that
// is interrupted before it did anything fails with EINTR, even for handlers
// installed with SA_RESTART on macOS. Package os retries such calls the
// same way (internal/poll's ignoringEINTR).
package eintr

import "syscall"

// Retry calls fn until it does not fail with EINTR.
func Retry(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

// Retry1 is Retry for a call that also returns a value.
func Retry1[T any](fn func() (T, error)) (T, error) {
	for {
		v, err := fn()
		if err != syscall.EINTR {
			return v, err
		}
	}
}
