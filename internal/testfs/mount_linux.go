//go:build linux

package testfs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// mounted is one filesystem this process mounted: a tmpfs, or a loop-mounted
// image file next to its mount point in the work directory.
type mounted struct {
	kind  string
	dir   string // mount point
	image string // "" for tmpfs
}

func (m *mounted) fs() *FS { return &FS{Kind: m.kind, Dir: m.dir, image: m.image} }

// tool is an external program and the Debian package that has it.
type tool struct{ name, pkg string }

var (
	toolMount   = tool{"mount", "mount"}
	toolLosetup = tool{"losetup", "mount"}
	mkfsTools   = map[string]tool{
		Ext4:         {"mkfs.ext4", "e2fsprogs"},
		XFS:          {"mkfs.xfs", "xfsprogs"},
		XFSNoReflink: {"mkfs.xfs", "xfsprogs"},
		Btrfs:        {"mkfs.btrfs", "btrfs-progs"},
	}
)

// fsTypeOf is what FsType reports for each kind.
func fsTypeOf(kind string) string {
	if kind == XFSNoReflink {
		return XFS
	}
	return kind
}

// mkfsArgs are the arguments that format image as kind. Discard is off
// (-K, nodiscard): on an image file it only punches holes that are holes
// already, and costs time.
func mkfsArgs(kind, image string, size int64) []string {
	switch kind {
	case Ext4:
		return []string{"-q", "-F", "-E", "nodiscard", image}
	case XFS:
		return []string{"-q", "-f", "-K", "-m", "reflink=1", image}
	case XFSNoReflink:
		return []string{"-q", "-f", "-K", "-m", "reflink=0", image}
	case Btrfs:
		if size < 1<<30 {
			// mkfs.btrfs(8): mixed block groups are recommended below 1 GiB,
			// and needed below 114 MiB.
			return []string{"-q", "-f", "-K", "--mixed", image}
		}
		return []string{"-q", "-f", "-K", image}
	}
	panic("testfs: no mkfs for " + kind)
}

// unavailable says why a filesystem cannot be had here. Its text is the skip
// (or failure) reason, so it says what to do about it.
func unavailable(kind, format string, args ...any) error {
	return fmt.Errorf("testfs: %s unavailable: %s", kind, fmt.Sprintf(format, args...))
}

// mountNew makes and mounts a new filesystem of kind and size, and records it
// so that Main unmounts it if nobody else does.
func mountNew(kind string, size int64) (*mounted, error) {
	var missing []string
	needed := []tool{toolMount}
	if kind != Tmpfs {
		needed = append(needed, toolLosetup, mkfsTools[kind])
	}
	for _, tl := range needed {
		if _, err := lookTool(tl.name); err != nil {
			missing = append(missing, fmt.Sprintf("%s not found (apt-get install %s)", tl.name, tl.pkg))
		}
	}
	if len(missing) > 0 {
		return nil, unavailable(kind, "%s", strings.Join(missing, "; "))
	}
	if euid := os.Geteuid(); euid != 0 {
		return nil, unavailable(kind, "mounting needs root (running as uid %d)", euid)
	}
	wd, err := workdir()
	if err != nil {
		return nil, unavailable(kind, "%v", err)
	}
	dir, err := os.MkdirTemp(wd, kind+"-*")
	if err != nil {
		return nil, unavailable(kind, "%v", err)
	}
	m := &mounted{kind: kind, dir: dir}
	if err := m.mount(size); err != nil {
		os.Remove(dir)
		return nil, unavailable(kind, "%v", err)
	}
	if typ, err := FsType(dir); err != nil || typ != fsTypeOf(kind) {
		err = fmt.Errorf("mounted %s, but statfs says %q (%v)", dir, typ, err)
		if uerr := m.unmount(); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return nil, unavailable(kind, "%v", err)
	}
	state.mu.Lock()
	if state.mounts == nil {
		state.mounts = make(map[*mounted]struct{})
	}
	state.mounts[m] = struct{}{}
	state.mu.Unlock()
	return m, nil
}

func (m *mounted) mount(size int64) error {
	if m.kind == Tmpfs {
		_, err := run(toolMount, "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "testfs", m.dir)
		return err
	}

	m.image = m.dir + ".img"
	f, err := os.OpenFile(m.image, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(size) // sparse: blocks are allocated as the filesystem writes
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_, err = run(mkfsTools[m.kind], mkfsArgs(m.kind, m.image, size)...)
	}
	if err != nil {
		os.Remove(m.image)
		return err
	}

	// mount -o loop finds a free loop device (LOOP_CTL_GET_FREE) and sets
	// autoclear, so the device detaches at umount. Test binaries of parallel
	// packages race for free devices; util-linux retries, and so do we.
	for attempt := 1; ; attempt++ {
		out, err := run(toolMount, "-o", "loop", "-t", fsTypeOf(m.kind), m.image, m.dir)
		if err == nil {
			return nil
		}
		derr := releaseLoops(m.image, 0) // a device half set up by the failed attempt
		lower := strings.ToLower(out)
		if attempt == 3 || derr != nil || !(strings.Contains(lower, "loop") || strings.Contains(lower, "busy")) {
			os.Remove(m.image)
			return errors.Join(err, derr)
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
}

// unmount unmounts m, releases its loop device and removes its image and
// mount point. It is safe to call twice.
func (m *mounted) unmount() error {
	state.mu.Lock()
	delete(state.mounts, m)
	state.mu.Unlock()

	var errs []error
	if err := unmountDir(m.dir); err != nil {
		errs = append(errs, err)
	}
	if m.image != "" {
		if err := releaseLoops(m.image, 2*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// Keep the image and mount point: removing a mount point that is
		// still mounted in another namespace would detach it there.
		return fmt.Errorf("%s at %s: %w", m.kind, m.dir, errors.Join(errs...))
	}
	if m.image != "" {
		if err := os.Remove(m.image); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(m.dir); err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// unmountDir unmounts dir, retrying while the filesystem is busy: a file
// closed just now can keep it busy for a moment. After 5 s it detaches the
// mount lazily, so that it is gone from the tree, and reports the error.
func unmountDir(dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		err = unix.Unmount(dir, 0)
		if err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			if !isMountPoint(dir) {
				return nil // unmounted, or was not mounted
			}
			if err == nil {
				continue // another mount was stacked on it
			}
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	lerr := unix.Unmount(dir, unix.MNT_DETACH)
	return fmt.Errorf("umount %s: %w (then lazy detach: %v; is a file in it still open?)", dir, err, lerr)
}

// releaseLoops waits up to wait for loop devices backed by image (or by a
// file under image, when it is a directory) to detach themselves (autoclear
// runs after the last close), then detaches those left with losetup -d.
func releaseLoops(image string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		devs := loopsBacking(image)
		if len(devs) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, dev := range loopsBacking(image) {
		// Ignore the error: the device may have detached by itself meanwhile.
		run(toolLosetup, "-d", dev)
	}
	// LOOP_CLR_FD on a device still open (mounted elsewhere) only sets
	// autoclear; give it a moment.
	for i := 0; i < 50; i++ {
		devs := loopsBacking(image)
		if len(devs) == 0 {
			return nil
		}
		if i == 49 {
			return fmt.Errorf("loop devices %v still attached to %s", devs, image)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// loopsBacking lists the loop devices whose backing file is path or is under
// path, from /sys/block/loop*/loop/backing_file (what losetup -j reads).
func loopsBacking(path string) []string {
	files, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	var devs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // detached meanwhile
		}
		backing := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), " (deleted)")
		if within(backing, path) {
			devs = append(devs, "/dev/"+filepath.Base(filepath.Dir(filepath.Dir(f))))
		}
	}
	return devs
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// mountPoints returns the mount points in /proc/self/mountinfo that are dir or
// under it, deepest first.
func mountPoints(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var mps []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		if mp := unescapeMountinfo(fields[4]); within(mp, dir) {
			mps = append(mps, mp)
		}
	}
	sort.Slice(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	return mps
}

func isMountPoint(dir string) bool {
	for _, mp := range mountPoints(dir) {
		if mp == dir {
			return true
		}
	}
	return false
}

// unescapeMountinfo undoes the octal escapes (\040 for space, ...) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lookTool finds a program on PATH or in the sbin directories, which a
// normal user's PATH often lacks.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// run runs tl with args, in the C locale, and returns its combined output;
// the error includes the command line and the output.
func run(tl tool, args ...string) (string, error) {
	path, err := lookTool(tl.name)
	if err != nil {
		return "", fmt.Errorf("%s not found (apt-get install %s)", tl.name, tl.pkg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	out = bytes.TrimSpace(out)
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", tl.name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
