//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

const (
	yes = extfs.Yes
	no  = extfs.No
)

// probeWant is what Probe reads of each kind of filesystem on Linux 6.x,
// without writing.
var probeWant = map[string]extfs.Capabilities{
	testfs.XFS: {Filesystem: "xfs", Clone: yes, CopyFileRange: yes, Xattr: yes,
		Allocate: yes, KeepSize: yes, PunchHole: yes, ZeroRange: yes, CollapseRange: yes, InsertRange: yes, UnshareRange: yes},
	// Unsharing is a no-op there, and succeeds.
	testfs.XFSNoReflink: {Filesystem: "xfs", Clone: no, CopyFileRange: yes, Xattr: yes,
		Allocate: yes, KeepSize: yes, PunchHole: yes, ZeroRange: yes, CollapseRange: yes, InsertRange: yes, UnshareRange: yes},
	testfs.Btrfs: {Filesystem: "btrfs", Clone: yes, CopyFileRange: yes, Xattr: yes,
		Allocate: yes, KeepSize: yes, PunchHole: yes, ZeroRange: yes, CollapseRange: no, InsertRange: no, UnshareRange: no},
	testfs.Ext4: {Filesystem: "ext4", Clone: no, CopyFileRange: yes, Xattr: yes,
		Allocate: yes, KeepSize: yes, PunchHole: yes, ZeroRange: yes, CollapseRange: yes, InsertRange: yes, UnshareRange: no},
	// user.* xattrs on tmpfs since Linux 6.6.
	testfs.Tmpfs: {Filesystem: "tmpfs", Clone: no, CopyFileRange: yes, Xattr: yes,
		Allocate: yes, KeepSize: yes, PunchHole: yes, ZeroRange: no, CollapseRange: no, InsertRange: no, UnshareRange: no},
}

// probeAnswers lists the answers of c by name, for comparing two probes.
func probeAnswers(c extfs.Capabilities) map[string]extfs.Answer {
	return map[string]extfs.Answer{
		"Clone": c.Clone, "CopyFileRange": c.CopyFileRange, "Xattr": c.Xattr,
		"Allocate": c.Allocate, "KeepSize": c.KeepSize, "PunchHole": c.PunchHole, "ZeroRange": c.ZeroRange,
		"CollapseRange": c.CollapseRange, "InsertRange": c.InsertRange, "UnshareRange": c.UnshareRange,
	}
}

// TestProbe: Probe reads the truth for each filesystem without creating
// anything (hidden files included), caches it, and ProbeTrial, which tries,
// agrees wherever Probe knows.
func TestProbe(t *testing.T) {
	kinds := append([]string{testfs.XFSNoReflink}, testfs.All...)
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		extfs.ForgetProbes()
		dir := fsys.TempDir(t)
		writeSynced(t, join(dir, ".hidden"), []byte("x"))
		want := probeWant[fsys.Kind]
		if want.Clone == yes {
			want.CloneBlockSize = fsBlockSize(t, dir)
		}
		got, err := extfs.Probe(dir)
		noErr(t, "Probe", err)
		if got != want {
			t.Errorf("Probe(%s):\n got %+v\nwant %+v", fsys.Kind, got, want)
		}
		cpWantNames(t, dir, ".hidden")
		if c, ok := extfs.ProbeCached(dir); !ok || c != got {
			t.Errorf("answer not cached: %+v, %v", c, ok)
		}

		// A file, and a file that does not exist yet, mean their directory.
		for _, p := range []string{join(dir, ".hidden"), join(dir, "new")} {
			if again, err := extfs.Probe(p); err != nil || again != got {
				t.Errorf("Probe(%s) = %+v, %v; want %+v", p, again, err, got)
			}
		}
		cpWantNames(t, dir, ".hidden")

		trial, err := extfs.ProbeTrial(dir)
		noErr(t, "ProbeTrial", err)
		cpWantNames(t, dir, ".hidden")
		if trial.Filesystem != got.Filesystem || trial.CloneBlockSize != got.CloneBlockSize {
			t.Errorf("ProbeTrial = %+v; Probe = %+v", trial, got)
		}
		tried := probeAnswers(trial)
		for name, read := range probeAnswers(got) {
			if tried[name] == extfs.Unknown {
				t.Errorf("ProbeTrial left %s unknown", name)
			}
			if read != extfs.Unknown && read != tried[name] {
				t.Errorf("%s: Probe read %v, ProbeTrial found %v", name, read, tried[name])
			}
		}
		if again, err := extfs.ProbeTrial(join(dir, "new")); err != nil || again != trial {
			t.Errorf("ProbeTrial again = %+v, %v; want the cached %+v", again, err, trial)
		}
		if c, _ := extfs.Probe(dir); c != got {
			t.Errorf("Probe after ProbeTrial = %+v; want what it read, %+v", c, got)
		}
	}, kinds...)
}

// TestProbeUnknown: a filesystem Probe has no rules for (procfs) is named,
// and everything it could not read is Unknown, not No.
func TestProbeUnknown(t *testing.T) {
	c, err := extfs.Probe("/proc/self")
	noErr(t, "Probe(/proc/self)", err)
	if c.Filesystem != "proc" {
		t.Errorf("Filesystem %q, want proc", c.Filesystem)
	}
	for name, a := range probeAnswers(c) {
		if a != extfs.Unknown {
			t.Errorf("%s = %v on procfs, want unknown", name, a)
		}
	}
	if b, err := c.Clone.MarshalText(); err != nil || string(b) != "unknown" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
}

// TestProbeErrors: paths that do not exist; a read-only mount, where Probe
// answers and ProbeTrial is inconclusive (an error, not cached).
func TestProbeErrors(t *testing.T) {
	if _, err := extfs.Probe(""); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf(`Probe("") = %v, want fs.ErrInvalid (not the working directory)`, err)
	}
	_, err := extfs.Probe("/nonexistent/dir/file")
	wantErr(t, "Probe of a missing directory", err, os.ErrNotExist)
	_, err = extfs.ProbeTrial("/nonexistent/dir/file")
	wantErr(t, "ProbeTrial of a missing directory", err, os.ErrNotExist)

	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "a read-only bind mount needs root")
	}
	base := testfs.Get(t, testfs.Ext4).TempDir(t)
	ro := join(base, "ro")
	noErr(t, "mkdir", os.Mkdir(ro, 0o755))
	noErr(t, "bind mount", unix.Mount(ro, ro, "", unix.MS_BIND, ""))
	t.Cleanup(func() { unix.Unmount(ro, unix.MNT_DETACH) })
	noErr(t, "remount read-only", unix.Mount("", ro, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""))

	c, err := extfs.Probe(ro)
	if err != nil || c != probeWant[testfs.Ext4] {
		t.Errorf("Probe of a read-only mount = %+v, %v; want %+v", c, err, probeWant[testfs.Ext4])
	}
	_, err = extfs.ProbeTrial(ro)
	wantErr(t, "ProbeTrial of a read-only mount", err, syscall.EROFS)
	noErr(t, "remount read-write", unix.Mount("", ro, "", unix.MS_REMOUNT|unix.MS_BIND, ""))
	c, err = extfs.ProbeTrial(ro)
	if err != nil || c.Filesystem != "ext4" || c.Clone != no {
		t.Errorf("ProbeTrial after remounting read-write: %+v, %v", c, err)
	}
	cpWantNames(t, ro)
}

// envProbeChild names the directory TestProbeUnprivileged's child probes.
const envProbeChild = "EXTFS_TEST_PROBE_DIR"

// TestProbeUnprivileged: a read-only (0555) directory on XFS, probed by
// nobody, says "xfs, clone: yes" and gets no file. The probe runs in a
// child process (this test binary, TestProbeChild) with the credentials of
// nobody: Go's Setuid would change every thread of this process.
func TestProbeUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "running a probe as nobody needs root")
	}
	base := testfs.Get(t, testfs.XFS).TempDir(t)
	dir := join(base, "ro")
	noErr(t, "mkdir", os.Mkdir(dir, 0o555))
	noErr(t, "chmod", os.Chmod(dir, 0o555)) // whatever the umask
	// nobody reaches the directory through an open descriptor, whatever
	// the modes of the test's work directories above it.
	d, err := os.Open(dir)
	noErr(t, "open", err)
	defer d.Close()

	cmd := exec.Command("/proc/self/exe", "-test.run=^TestProbeChild$", "-test.count=1")
	cmd.ExtraFiles = []*os.File{d} // descriptor 3
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EXTFS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, envProbeChild+"=/proc/self/fd/3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "xfs clone=yes") {
		t.Errorf("probe as nobody: %v\n%s", err, out)
	}
	t.Logf("as nobody: %s", out)
	cpWantNames(t, dir)
}

// TestProbeChild is TestProbeUnprivileged's child; it does nothing
// otherwise.
func TestProbeChild(t *testing.T) {
	dir := os.Getenv(envProbeChild)
	if dir == "" {
		t.Skip("run by TestProbeUnprivileged")
	}
	if os.Geteuid() == 0 {
		t.Fatal("running as root")
	}
	c, err := extfs.Probe(dir)
	noErr(t, "Probe", err)
	if _, err := extfs.ProbeTrial(dir); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("ProbeTrial as nobody: %v, want fs.ErrPermission", err)
	}
	fmt.Printf("%s clone=%v\n", c.Filesystem, c.Clone)
}

// TestProbePair: the method ProbePair names is the one CopyFile then uses,
// on one filesystem and across two, and ProbePair creates nothing.
func TestProbePair(t *testing.T) {
	xfs := testfs.Get(t, testfs.XFS).TempDir(t)
	xfs2 := testfs.Get(t, testfs.XFS).TempDir(t)
	ext4 := testfs.Get(t, testfs.Ext4).TempDir(t)
	ext42 := testfs.Get(t, testfs.Ext4).TempDir(t)
	btrfs := testfs.Get(t, testfs.Btrfs).TempDir(t)
	tmpfs := testfs.Get(t, testfs.Tmpfs).TempDir(t)
	noref := testfs.Get(t, testfs.XFSNoReflink).TempDir(t)
	data := make([]byte, 256<<10)
	for i := range data {
		data[i] = byte(i%253 + 1)
	}
	for _, d := range []string{xfs, ext4, btrfs, tmpfs, noref} {
		writeSynced(t, join(d, "src"), data)
	}
	cases := []struct {
		src, dst string
		want     extfs.Method
	}{
		{join(xfs, "src"), join(xfs2, "dst"), extfs.MethodClone},
		{join(xfs, "src"), xfs2, extfs.MethodClone}, // a directory: a new file in it
		{join(btrfs, "src"), join(btrfs, "dst"), extfs.MethodClone},
		{join(noref, "src"), join(noref, "dst"), extfs.MethodCopyFileRange},
		{join(ext4, "src"), join(ext42, "dst"), extfs.MethodCopyFileRange},
		{join(tmpfs, "src"), join(tmpfs, "dst"), extfs.MethodCopyFileRange},
		// Linux 5.19+: copy_file_range says EXDEV between two
		// filesystems, and CopyFile splices.
		{join(xfs, "src"), join(ext4, "dst"), extfs.MethodSplice},
		{join(xfs, "src"), join(btrfs, "dst"), extfs.MethodSplice},
		{join(btrfs, "src"), join(xfs, "dst"), extfs.MethodSplice},
		{join(ext4, "src"), join(tmpfs, "dst"), extfs.MethodSplice},
	}
	for _, c := range cases {
		dstDir := c.dst
		if fi, err := os.Stat(c.dst); err != nil || !fi.IsDir() {
			dstDir = dirOf(c.dst)
		}
		before := dirNames(t, dstDir)
		got, err := extfs.ProbePair(c.src, c.dst)
		if err != nil || got != c.want {
			t.Errorf("ProbePair(%s, %s) = %v, %v; want %v", c.src, c.dst, got, err, c.want)
		}
		if after := dirNames(t, dstDir); !slices.Equal(before, after) {
			t.Errorf("ProbePair changed %s: %v, then %v", dstDir, before, after)
		}
		dst := c.dst
		if dst == dstDir {
			dst = join(dstDir, "new")
		}
		st, err := extfs.CopyFile(context.Background(), c.src, dst, nil)
		noErr(t, "CopyFile", err)
		if st.ByMethod[got] != 1 {
			t.Errorf("CopyFile(%s, %s) used %v; ProbePair said %v", c.src, dst, st.ByMethod, got)
		}
		os.Remove(dst)
	}

	_, err := extfs.ProbePair(join(xfs, "missing"), join(xfs, "dst"))
	wantErr(t, "ProbePair of a missing source", err, fs.ErrNotExist)
	_, err = extfs.ProbePair(join(xfs, "src"), "/nonexistent/a")
	wantErr(t, "ProbePair into a missing directory", err, os.ErrNotExist)
	_, err = extfs.ProbePair(xfs, join(xfs, "dst"))
	wantErr(t, "ProbePair of a directory", err, syscall.EISDIR)
	_, err = extfs.ProbePair("", join(xfs, "dst"))
	wantErr(t, "ProbePair of an empty name", err, fs.ErrInvalid)
	// procfs: whether it clones is not known.
	if m, err := extfs.ProbePair("/proc/self/status", "/proc/self/new"); m != extfs.MethodCopyFileRange || !errors.Is(err, extfs.ErrUnknown) {
		t.Errorf("ProbePair within procfs = %v, %v; want the fallback copy_file_range and ErrUnknown", m, err)
	}

	btrfsTool, err := exec.LookPath("btrfs")
	if err != nil {
		t.Skip("btrfs (btrfs-progs) not found; subvolume case not tested")
	}
	sub := join(btrfs, "sub")
	if out, err := exec.Command(btrfsTool, "subvolume", "create", sub).CombinedOutput(); err != nil {
		t.Fatalf("btrfs subvolume create: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command(btrfsTool, "subvolume", "delete", sub).Run() })
	if stat(t, sub).Dev == stat(t, btrfs).Dev {
		t.Fatalf("subvolume has the same device number; the case is not what it means to be")
	}
	if got, err := extfs.ProbePair(join(btrfs, "src"), join(sub, "dst")); err != nil || got != extfs.MethodClone {
		t.Errorf("ProbePair into a btrfs subvolume = %v, %v; want clone", got, err)
	}
	noErr(t, "Clone into a subvolume", extfs.Clone(join(btrfs, "src"), join(sub, "dst")))
	cpWantNames(t, sub, "dst")
}

// TestForgetProbes: the cache holds an answer until ForgetProbes drops it;
// a filesystem mounted anew is asked again.
func TestForgetProbes(t *testing.T) {
	dir := testfs.Get(t, testfs.Tmpfs).TempDir(t)
	_, err := extfs.Probe(dir)
	noErr(t, "Probe", err)
	if _, ok := extfs.ProbeCached(dir); !ok {
		t.Fatal("Probe's answer not cached")
	}
	extfs.ForgetProbes()
	if c, ok := extfs.ProbeCached(dir); ok {
		t.Errorf("cached after ForgetProbes: %+v", c)
	}
	if _, err := extfs.ProbePair("/proc/self/status", dir); err != nil {
		t.Errorf("ProbePair procfs -> tmpfs: %v", err)
	}
	if _, ok := extfs.ProbeCached(dir); !ok {
		t.Error("ProbePair did not cache the destination's answers")
	}
}

func dirOf(p string) string { return p[:strings.LastIndexByte(p, '/')] }

// Choose how to copy from what the destination filesystem can do.
func ExampleProbe() {
	caps, err := extfs.Probe("/var/lib/images")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: clone=%v (block %d), punch-hole=%v\n", caps.Filesystem, caps.Clone, caps.CloneBlockSize, caps.PunchHole)
}
