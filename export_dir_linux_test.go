//go:build linux

package extfs

// The switch that lets the tests in package extfs_test run every Dir case
// through both resolvers. The mechanism's own tests are in sys/linux and
// internal/beneath.

import "github.com/extfs/extfs/sys/linux"

// SetDirWalk makes every Dir resolve names with the component walk (true)
// or with openat2 where the kernel has it (false), and returns the previous
// setting. Tests only; not safe to call while Dir operations run.
func SetDirWalk(walk bool) (prev bool) {
	prev, linux.DirWalk = linux.DirWalk, walk
	return prev
}
