//go:build linux

package extfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// probeWant is what each kind of filesystem can do on Linux 6.x.
var probeWant = map[string]extfs.Capabilities{
	testfs.XFS: {Filesystem: "xfs", Clone: true, CopyFileRange: true, Xattr: true,
		PunchHole: true, ZeroRange: true, CollapseRange: true, InsertRange: true},
	testfs.XFSNoReflink: {Filesystem: "xfs", CopyFileRange: true, Xattr: true,
		PunchHole: true, ZeroRange: true, CollapseRange: true, InsertRange: true},
	testfs.Btrfs: {Filesystem: "btrfs", Clone: true, CopyFileRange: true, Xattr: true,
		PunchHole: true, ZeroRange: true},
	testfs.Ext4: {Filesystem: "ext4", CopyFileRange: true, Xattr: true,
		PunchHole: true, ZeroRange: true, CollapseRange: true, InsertRange: true},
	// user.* xattrs on tmpfs since Linux 6.6.
	testfs.Tmpfs: {Filesystem: "tmpfs", CopyFileRange: true, Xattr: true, PunchHole: true},
}

// TestProbe: every answer is the truth for the filesystem, is cached, and
// leaves nothing behind.
func TestProbe(t *testing.T) {
	kinds := append([]string{testfs.XFSNoReflink}, testfs.All...)
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		want := probeWant[fsys.Kind]
		if want.Clone {
			want.CloneBlockSize = fsBlockSize(t, dir)
		}
		got, err := extfs.Probe(dir)
		noErr(t, "Probe", err)
		if got != want {
			t.Errorf("Probe(%s):\n got %+v\nwant %+v", fsys.Kind, got, want)
		}
		cpWantNames(t, dir)
		if c, ok := extfs.ProbeCached(dir); !ok || c != got {
			t.Errorf("answer not cached: %+v, %v", c, ok)
		}

		// A file, and a file that does not exist yet, mean their directory.
		writeSynced(t, join(dir, "f"), []byte("x"))
		for _, p := range []string{join(dir, "f"), join(dir, "new")} {
			if again, err := extfs.Probe(p); err != nil || again != got {
				t.Errorf("Probe(%s) = %+v, %v; want %+v", p, again, err, got)
			}
		}
		cpWantNames(t, dir, "f")

		clone, err := extfs.CloneSupported(join(dir, "f"), join(dir, "g"))
		if err != nil || clone != want.Clone {
			t.Errorf("CloneSupported within %s = %v, %v; want %v", fsys.Kind, clone, err, want.Clone)
		}
	}, kinds...)
}

// TestProbeErrors: paths that do not exist, and an inconclusive probe (a
// read-only mount), which is an error and is not cached.
func TestProbeErrors(t *testing.T) {
	if _, err := extfs.Probe(""); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf(`Probe("") = %v, want fs.ErrInvalid (not the working directory)`, err)
	}
	_, err := extfs.Probe("/nonexistent/dir/file")
	wantErr(t, "Probe of a missing directory", err, os.ErrNotExist)

	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "a read-only bind mount needs root")
	}
	base := testfs.Get(t, testfs.Ext4).TempDir(t)
	ro := join(base, "ro")
	noErr(t, "mkdir", os.Mkdir(ro, 0o755))
	noErr(t, "bind mount", unix.Mount(ro, ro, "", unix.MS_BIND, ""))
	t.Cleanup(func() { unix.Unmount(ro, unix.MNT_DETACH) })
	noErr(t, "remount read-only", unix.Mount("", ro, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""))

	_, err = extfs.Probe(ro)
	wantErr(t, "Probe of a read-only mount", err, syscall.EROFS)
	if _, ok := extfs.ProbeCached(ro); ok {
		t.Error("an inconclusive probe was cached")
	}
	noErr(t, "remount read-write", unix.Mount("", ro, "", unix.MS_REMOUNT|unix.MS_BIND, ""))
	c, err := extfs.Probe(ro)
	if err != nil || c.Filesystem != "ext4" {
		t.Errorf("Probe after remounting read-write: %+v, %v", c, err)
	}
}

// TestProbeCloneSupported across filesystems and btrfs subvolumes (one
// filesystem, two device numbers).
func TestProbeCloneSupported(t *testing.T) {
	xfs := testfs.Get(t, testfs.XFS).TempDir(t)
	xfs2 := testfs.Get(t, testfs.XFS).TempDir(t)
	ext4 := testfs.Get(t, testfs.Ext4).TempDir(t)
	btrfs := testfs.Get(t, testfs.Btrfs).TempDir(t)
	writeSynced(t, join(xfs, "src"), []byte("x"))
	writeSynced(t, join(btrfs, "src"), []byte("x"))
	for _, c := range []struct {
		src, dst string
		want     bool
	}{
		{join(xfs, "src"), join(xfs2, "dst"), true},
		{join(xfs, "src"), join(ext4, "dst"), false},
		{join(xfs, "src"), join(btrfs, "dst"), false},
		{join(btrfs, "src"), join(xfs, "dst"), false},
		{join(btrfs, "src"), btrfs, true},
	} {
		got, err := extfs.CloneSupported(c.src, c.dst)
		if err != nil || got != c.want {
			t.Errorf("CloneSupported(%s, %s) = %v, %v; want %v", c.src, c.dst, got, err, c.want)
		}
	}
	ok, err := extfs.CloneSupported(join(xfs, "missing"), join(xfs, "dst"))
	if ok || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CloneSupported of a missing source = %v, %v; want false, fs.ErrNotExist", ok, err)
	}
	_, err = extfs.CloneSupported("/nonexistent/a", join(xfs, "dst"))
	wantErr(t, "CloneSupported from a missing directory", err, os.ErrNotExist)
	_, err = extfs.CloneSupported(xfs, join(xfs, "dst"))
	wantErr(t, "CloneSupported of a directory", err, syscall.EISDIR)
	_, err = extfs.CloneSupported("", join(xfs, "dst"))
	wantErr(t, "CloneSupported of an empty name", err, fs.ErrInvalid)

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
	got, err := extfs.CloneSupported(join(btrfs, "src"), join(sub, "dst"))
	if err != nil || !got {
		t.Errorf("CloneSupported into a btrfs subvolume = %v, %v; want true", got, err)
	}
	noErr(t, "Clone into a subvolume", extfs.Clone(join(btrfs, "src"), join(sub, "dst")))
	if names := cpDirNames(t, sub); strings.Join(names, ",") != "dst" {
		t.Errorf("subvolume holds %v", names)
	}
}

// Choose how to copy from what the destination filesystem can do.
func ExampleProbe() {
	caps, err := extfs.Probe("/var/lib/images")
	if err != nil {
		fmt.Println(err) // e.g. no permission to write there: try again later
		return
	}
	fmt.Printf("%s: clone=%v (block %d), punch-hole=%v\n", caps.Filesystem, caps.Clone, caps.CloneBlockSize, caps.PunchHole)
}
