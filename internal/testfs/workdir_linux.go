//go:build linux

package testfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Each test process keeps everything it makes — images, mount points, the
// ext4 directory — in one work directory, os.TempDir()/extfs-testfs-*, which it
// holds flock'ed while it lives. A work directory nobody holds belongs to a
// process that died: sweepStale unmounts what is left under it, releases its
// loop devices and removes it. The lock, not a PID, tells the living from the
// dead, so this also holds across PID namespaces sharing a /tmp.
const (
	workdirPrefix = "extfs-testfs-"
	newPrefix     = ".extfs-testfs-new-" // not yet locked; sweepStale ignores it
)

var wd struct {
	mu   sync.Mutex
	dir  string
	lock *os.File // open on dir with flock(LOCK_EX) held; kept open for the process's life
	err  error
}

// workdir returns this process's work directory, making it on first use.
func workdir() (string, error) {
	wd.mu.Lock()
	defer wd.mu.Unlock()
	if wd.dir == "" && wd.err == nil {
		wd.dir, wd.lock, wd.err = makeWorkdir()
	}
	return wd.dir, wd.err
}

func makeWorkdir() (string, *os.File, error) {
	base, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		return "", nil, err
	}
	// Lock before the directory gets the name sweepStale looks for, so that a
	// sweeper never sees it unlocked.
	tmp, err := os.MkdirTemp(base, newPrefix+"*")
	if err != nil {
		return "", nil, err
	}
	f, err := os.Open(tmp)
	if err == nil {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	}
	dir := filepath.Join(base, workdirPrefix+strings.TrimPrefix(filepath.Base(tmp), newPrefix))
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.Remove(tmp)
		os.Remove(dir)
		return "", nil, fmt.Errorf("making a work directory in %s: %w", base, err)
	}
	return dir, f, nil
}

// removeWorkdir removes the work directory at the end of Main. Anything still
// mounted or attached under it is a leak: it is reported, and removed anyway.
func removeWorkdir() error {
	wd.mu.Lock()
	defer wd.mu.Unlock()
	if wd.dir == "" {
		return nil
	}
	var errs []error
	if mps := mountPoints(wd.dir); len(mps) > 0 {
		errs = append(errs, fmt.Errorf("still mounted at the end: %s", strings.Join(mps, ", ")))
	}
	if devs := loopsBacking(wd.dir); len(devs) > 0 {
		errs = append(errs, fmt.Errorf("loop devices still attached at the end: %s", strings.Join(devs, ", ")))
	}
	if err := cleanDir(wd.dir); err != nil {
		errs = append(errs, err)
	}
	wd.lock.Close()
	wd.dir, wd.lock = "", nil
	return errors.Join(errs...)
}

// cleanDir unmounts every mount under dir, releases every loop device backed
// by a file under dir, and removes dir — unless something is still mounted
// under it, since RemoveAll would then delete inside that filesystem.
func cleanDir(dir string) error {
	var errs []error
	for _, mp := range mountPoints(dir) {
		if err := unmountDir(mp); err != nil {
			errs = append(errs, err)
		}
	}
	if err := releaseLoops(dir, 2*time.Second); err != nil {
		errs = append(errs, err)
	}
	if mps := mountPoints(dir); len(mps) > 0 {
		return errors.Join(append(errs, fmt.Errorf("not removing %s: still mounted at %s", dir, strings.Join(mps, ", ")))...)
	}
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// sweepStale cleans up the work directories of test processes that died
// without cleaning up (killed, or a panic outside a test's goroutine). It
// must run in the host's mount namespace: in a private copy, unmounting
// would not remove the host's mounts.
func sweepStale() { sweepStaleIn(os.TempDir()) }

func sweepStaleIn(base string) {
	base, err := filepath.EvalSymlinks(base)
	if err != nil {
		return
	}
	euid := os.Geteuid()
	dirs, _ := filepath.Glob(filepath.Join(base, workdirPrefix+"*"))
	for _, dir := range dirs {
		var st unix.Stat_t
		if unix.Lstat(dir, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR ||
			(euid != 0 && int(st.Uid) != euid) {
			continue // gone, not a directory, or another user's to clean
		}
		f, err := os.Open(dir)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if err := cleanDir(dir); err != nil {
				fmt.Fprintf(os.Stderr, "testfs: cleaning %s, left by a test process that died: %v\n", dir, err)
			} else {
				fmt.Fprintf(os.Stderr, "testfs: removed %s, left by a test process that died\n", dir)
			}
		}
		f.Close()
	}
}
