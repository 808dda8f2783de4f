// Package testfs gives tests real filesystems: ext4, tmpfs, XFS (with and
// without reflink) and btrfs, so that behaviour that differs between
// filesystems (reflink, holes, fallocate modes, xattrs, ENOSPC) is tested where
// it happens instead of being mocked.
//
// A package that uses [Get], [Each] or [Mount] must run its tests through
// [Main]:
//
//	func TestMain(m *testing.M) { os.Exit(testfs.Main(m)) }
//
// Filesystems are made on demand: [Get] mounts one filesystem per kind on
// first use and shares it with every test in the binary; [Mount] makes a
// private one, of a chosen size, for one test. When a filesystem cannot be
// had (not root, a mkfs tool missing, mount refused) the test is skipped with
// the reason — or fails, when EXTFS_REQUIRE_FS=1 (see [Required]), so that CI
// cannot pass by skipping.
//
// # Linux notes
//
// ext4 is the directory [os.TempDir] when that is on ext4 (no root needed);
// otherwise, and for [Mount], a loop-mounted image. tmpfs is mounted with
// mount -t tmpfs. XFS and btrfs are sparse image files under [os.TempDir],
// formatted with mkfs.xfs / mkfs.btrfs and loop-mounted. Everything but the
// ext4-on-TempDir case needs root and the packages e2fsprogs, xfsprogs,
// btrfs-progs and mount.
//
// When running as root, [Main] re-executes the test binary in a private mount
// namespace and waits for it. Mounts made by the tests exist only in that
// namespace, so the kernel removes them, and releases their loop devices,
// however the test process ends — a panic in a goroutine, a timeout, SIGKILL.
// Main then removes what is left on disk. The normal path does not rely on
// this: t.Cleanup and Main unmount, detach and delete explicitly, and Main
// fails the run if a mount or loop device is left over.
//
// # Other systems
//
// Every filesystem is unavailable: [Get], [Each] and [Mount] skip (or fail
// under EXTFS_REQUIRE_FS=1), and [Main] only runs the tests.
package testfs

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// FS is a mounted (or otherwise available) filesystem.
type FS struct {
	Kind string // "ext4", "tmpfs", "xfs", "btrfs", "xfs-noreflink"
	Dir  string // a directory on that filesystem where tests may write

	image string // loop image backing the filesystem; "" for tmpfs and ext4 on TempDir
}

// Kinds of filesystem. Each kind is also the name [Each] gives its subtest.
const (
	Ext4         = "ext4"
	Tmpfs        = "tmpfs"
	XFS          = "xfs"           // XFS with reflink=1
	Btrfs        = "btrfs"         // btrfs, single device
	XFSNoReflink = "xfs-noreflink" // XFS with reflink=0: FICLONE fails EOPNOTSUPP
)

// All lists the kinds [Each] uses when it is given none.
var All = []string{Ext4, Tmpfs, XFS, Btrfs}

// Kinds lists every kind [Get] and [Mount] accept.
var Kinds = []string{Ext4, Tmpfs, XFS, Btrfs, XFSNoReflink}

// EnvRequire is the environment variable that turns skips into failures.
const EnvRequire = "EXTFS_REQUIRE_FS"

// DefaultSize is the size of the filesystems [Get] makes.
const DefaultSize = 1 << 30

// MinSize returns the smallest size [Mount] accepts for kind: the smallest
// size its mkfs formats (mkfs.xfs refuses less than 300 MiB since xfsprogs
// 5.19; btrfs below 1 GiB is made with --mixed, as mkfs.btrfs recommends, and
// needs 16 MiB then). It returns 0 for an unknown kind.
func MinSize(kind string) int64 {
	switch kind {
	case Tmpfs:
		return 1 << 20
	case Ext4:
		return 4 << 20
	case Btrfs:
		return 16 << 20
	case XFS, XFSNoReflink:
		return 300 << 20
	}
	return 0
}

func validKind(kind string) bool { return MinSize(kind) > 0 }

// Required reports whether EXTFS_REQUIRE_FS is set to a true value ("1" in
// CI): a filesystem, or a feature a test needs, that is unavailable is then a
// failure, not a skip.
func Required() bool {
	v, err := strconv.ParseBool(os.Getenv(EnvRequire))
	return err == nil && v
}

// SkipOrFail skips the test with reason, or fails it with reason when
// [Required] is true.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatal(reason + " [failing, not skipping: " + EnvRequire + "=1]")
	}
	t.Skip(reason)
}

// Each runs fn as a subtest named after the kind, for every kind given (by
// default [All]), on the filesystem [Get] returns for it. A kind that is
// unavailable skips (or fails) its own subtest only.
func Each(t *testing.T, fn func(t *testing.T, fs *FS), kinds ...string) {
	t.Helper()
	if len(kinds) == 0 {
		kinds = All
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Helper()
			fn(t, Get(t, kind))
		})
	}
}

// TempDir returns a new directory on fs, removed with its contents when the
// test and its subtests finish.
func (fs *FS) TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp(fs.Dir, tempPattern(t.Name()))
	if err != nil {
		t.Fatalf("testfs: TempDir on %s: %v", fs.Kind, err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("testfs: TempDir cleanup on %s: %v", fs.Kind, err)
		}
	})
	return dir
}

// tempPattern makes a MkdirTemp pattern from a test name, as t.TempDir does.
func tempPattern(name string) string {
	const maxLen = 64
	if len(name) > maxLen {
		name = name[:maxLen]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || strings.ContainsRune(`<>:"/\|?*%`, r) {
			return '_'
		}
		return r
	}, name)
	return name + "-*"
}
