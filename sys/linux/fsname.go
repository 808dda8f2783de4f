//go:build linux

package linux

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// fsMagic names statfs f_type values (include/uapi/linux/magic.h).
var fsMagic = map[uint32]string{
	unix.EXT4_SUPER_MAGIC:      "ext4", // also ext2 and ext3
	unix.XFS_SUPER_MAGIC:       "xfs",
	unix.BTRFS_SUPER_MAGIC:     "btrfs",
	unix.TMPFS_MAGIC:           "tmpfs",
	unix.RAMFS_MAGIC:           "ramfs",
	unix.OVERLAYFS_SUPER_MAGIC: "overlay",
	unix.NFS_SUPER_MAGIC:       "nfs",
	unix.SMB2_SUPER_MAGIC:      "smb2",
	unix.CIFS_SUPER_MAGIC:      "cifs",
	unix.FUSE_SUPER_MAGIC:      "fuse",
	unix.F2FS_SUPER_MAGIC:      "f2fs",
	unix.BCACHEFS_SUPER_MAGIC:  "bcachefs",
	unix.SQUASHFS_MAGIC:        "squashfs",
	unix.MSDOS_SUPER_MAGIC:     "vfat",
	unix.EXFAT_SUPER_MAGIC:     "exfat",
	unix.V9FS_MAGIC:            "9p",
	0x2fc12fc1:                 "zfs",
	0x7366746e:                 "ntfs3",
	0x7461636f:                 "ocfs2",
	unix.PROC_SUPER_MAGIC:      "proc",
	unix.SYSFS_MAGIC:           "sysfs",
}

// FsName names the filesystem whose statfs f_type is magic: "ext4" (also
// ext2 and ext3, which share it), "xfs", "btrfs", "tmpfs", ..., or
// "0x<magic>" for one not listed.
func FsName(magic int64) string {
	if name, ok := fsMagic[uint32(magic)]; ok {
		return name
	}
	return "0x" + strconv.FormatUint(uint64(uint32(magic)), 16)
}
