//go:build linux

package linux

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestFsName(t *testing.T) {
	for magic, want := range map[int64]string{
		unix.XFS_SUPER_MAGIC:   "xfs",
		unix.EXT4_SUPER_MAGIC:  "ext4",
		unix.BTRFS_SUPER_MAGIC: "btrfs",
		unix.TMPFS_MAGIC:       "tmpfs",
		0x1234:                 "0x1234",
	} {
		if got := FsName(magic); got != want {
			t.Errorf("FsName(%#x) = %q, want %q", magic, got, want)
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/proc", &st); err != nil {
		t.Fatal(err)
	}
	if got := FsName(st.Type); got != "proc" {
		t.Errorf("FsName(statfs(/proc)) = %q, want proc", got)
	}
}
