package extfs

// CopyFile's temporary file: its name, its creation (or what the system made
// whole by name), and the commit that moves it into place.

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// tempPrefix starts the name of every temporary file CopyFile makes.
const tempPrefix = "."

// createTemp creates a new, empty file for writing dst: in dst's directory
// (so that a rename can move it into place), hidden, with a unique name
// (O_EXCL), and mode perm (less the umask).
func createTemp(dst string, perm fs.FileMode) (*File, string, error) {
	dir, base := filepath.Split(dst)
	if base == "" || base == "." || base == ".." {
		return nil, "", errInvalid("destination %q is not a file name", dst)
	}
	for range 1000 {
		name := filepath.Join(dir, tempName(base))
		f, err := OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("extfs: no unused temporary name for %s", dst)
}

// tempName returns a new hidden name for a temporary file that will become
// base: .<base>.extfs-<random>.tmp (CopyFile and CopyTree).
func tempName(base string) string {
	if len(base) > 200 {
		base = base[:200] // leave room for the suffix within NAME_MAX (255)
	}
	return tempPrefix + base + ".extfs-" + strconv.FormatUint(rand.Uint64(), 36) + ".tmp"
}

// commitTemp moves the complete temporary file tmp to dst: over it with
// replace, otherwise only if dst does not exist (portable: by link and
// unlink, as copyFallback.renameNoReplace says).
func commitTemp(tmp, dst string, replace, portable bool) error {
	if replace {
		err := os.Rename(tmp, dst)
		if err != nil {
			if fi, lerr := os.Lstat(dst); lerr == nil && fi.IsDir() {
				// A directory made at dst since CopyFile looked: say so,
				// rather than package os's EEXIST.
				return &os.LinkError{Op: "rename", Old: tmp, New: dst, Err: syscall.EISDIR}
			}
		}
		return err
	}
	if !portable {
		if handled, err := sysCopy.renameNoReplace(tmp, dst); handled {
			return os.NewSyscallError("renameat2", err) // nil when it worked
		}
	}
	// link(2) fails if dst exists, so this never replaces either; but for a
	// moment the file has two names.
	if err := os.Link(tmp, dst); err != nil {
		return err
	}
	return os.Remove(tmp)
}

// commitUnnamed gives the complete temporary file tmp, which has no name
// (sysCopy.unnamedTemp), the name dst. Without replace it is linked at dst,
// which fails with EEXIST if dst exists: the no-replace rename's semantics,
// and its error. With replace it is linked at a hidden temporary name in
// dst's directory and renamed over dst, as a named temporary file is.
func commitUnnamed(tmp *File, dst string, replace bool) error {
	if !replace {
		if err := sysCopy.linkUnnamed(tmp, dst); err != nil {
			return os.NewSyscallError("linkat", err) // EEXIST: as commitTemp's renameat2
		}
		return nil
	}
	dir, base := filepath.Split(dst)
	for range 1000 {
		name := filepath.Join(dir, tempName(base))
		err := sysCopy.linkUnnamed(tmp, name)
		if err == syscall.EEXIST {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "linkat", Old: tmp.Name(), New: name, Err: err}
		}
		if err := commitTemp(name, dst, true, false); err != nil {
			if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = errors.Join(err, rerr)
			}
			return err
		}
		return nil
	}
	return fmt.Errorf("extfs: no unused temporary name for %s", dst)
}

// madeByName is the copyTemp of a temporary file the system made whole by
// name (sysCopy.copyByName, and macOS's CopyTree clone): f, named name,
// holding size bytes that m moved (MethodClone: they share the source's
// blocks). It makes ctl's last progress call.
func madeByName(f *File, name string, size int64, m Method, ctl *copyCtl) copyTemp {
	ctl.finish()
	stats := CopyStats{Files: 1, Bytes: size}
	if m == MethodClone {
		stats.ClonedBytes = size
	} else {
		stats.CopiedBytes = size
	}
	if size > 0 {
		stats.countMethod(m)
	}
	return copyTemp{f: f, name: name, stats: stats, done: true}
}

// dropTemp closes and removes the temporary file f, named name, that err
// leaves unused, and returns err joined with a failure to remove it.
func dropTemp(f *File, name string, err error) error {
	f.Close()
	if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}
