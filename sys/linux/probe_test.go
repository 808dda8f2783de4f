//go:build linux

package linux

import (
	"testing"

	"github.com/extfs/extfs/internal/fscaps"
	"golang.org/x/sys/unix"
)

func TestParseMountinfo(t *testing.T) {
	m, ok := parseMountinfo(`36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`)
	if !ok || m.dev != unix.Mkdev(98, 0) || m.typ != "ext3" || m.opts != "rw,errors=continue" {
		t.Errorf("parsed %+v, %v", m, ok)
	}
	for _, bad := range []string{"", "36 35 98:0 /", "36 35 x:0 / / rw - ext4 /dev/x rw", "36 35 98:0 / / rw"} {
		if m, ok := parseMountinfo(bad); ok {
			t.Errorf("%q parsed as %+v", bad, m)
		}
	}
}

// TestProbeRules: ext4 mounted as ext3 may have files without extents.
func TestProbeRules(t *testing.T) {
	ext3 := probeRules(fscaps.Caps{Filesystem: "ext4"}, "ext3", "rw", fscaps.Unknown)
	if ext3.PunchHole != fscaps.Yes || ext3.CollapseRange != fscaps.Unknown || ext3.Clone != fscaps.No {
		t.Errorf("ext3: %+v", ext3)
	}
	if c := probeRules(fscaps.Caps{Filesystem: "ext4"}, "ext4", "rw,nouser_xattr", fscaps.Unknown); c.Xattr != fscaps.No {
		t.Errorf("nouser_xattr: %+v", c)
	}
	if c := probeRules(fscaps.Caps{Filesystem: "nfs"}, "nfs4", "rw", fscaps.Unknown); c != (fscaps.Caps{Filesystem: "nfs"}) {
		t.Errorf("nfs: %+v, want everything unknown", c)
	}
	if c := probeRules(fscaps.Caps{Filesystem: "xfs"}, "xfs", "rw", fscaps.Unknown); c.Clone != fscaps.Unknown {
		t.Errorf("xfs whose geometry could not be read: %+v", c)
	}
}

// TestPairMethodRules: the kernel's rules for a pair (Linux 6.x).
func TestPairMethodRules(t *testing.T) {
	if !KernelAtLeast(5, 19) {
		t.Skip("the cases are Linux 5.19+'s")
	}
	vol := func(fs, mnt uint64, name string, clone fscaps.Answer) *fscaps.Volume {
		return &fscaps.Volume{FS: fs, Mount: mnt, Caps: fscaps.Caps{Filesystem: name, Clone: clone, CopyRange: fscaps.Yes}}
	}
	for _, c := range []struct {
		name     string
		src, dst *fscaps.Volume
		want     fscaps.Method
		known    bool
	}{
		{"xfs, two mounts", vol(1, 1, "xfs", fscaps.Yes), vol(1, 2, "xfs", fscaps.Yes), fscaps.Clone, true},
		{"ext4", vol(2, 1, "ext4", fscaps.No), vol(2, 1, "ext4", fscaps.No), fscaps.CopyRange, true},
		{"xfs to ext4", vol(1, 1, "xfs", fscaps.Yes), vol(2, 2, "ext4", fscaps.No), fscaps.Splice, true},
		{"one nfs", vol(3, 1, "nfs", fscaps.Unknown), vol(3, 1, "nfs", fscaps.Unknown), fscaps.CopyRange, false},
		{"two nfs", vol(3, 1, "nfs", fscaps.Unknown), vol(4, 2, "nfs", fscaps.Unknown), fscaps.Splice, false},
	} {
		if m, known := PairMethod(c.src, c.dst); m != c.want || known != c.known {
			t.Errorf("%s: %v, %v; want %v, %v", c.name, m, known, c.want, c.known)
		}
	}
}
