// Package fscaps is the plain form in which sys/linux, sys/darwin and
// sys/windows describe a filesystem, as read without writing anything, for
// package extfs's Probe and ProbePair. Those packages cannot import extfs;
// extfs converts this form to its own types in one place (probe.go).
package fscaps

// Answer is what is known of one capability. The values are those of
// extfs.Answer.
type Answer uint8

const (
	Unknown Answer = iota // the filesystem does not say, and no rule for its kind does
	Yes
	No
)

// Of is Yes for true and No for false.
func Of(b bool) Answer {
	if b {
		return Yes
	}
	return No
}

// Caps are the answers for one filesystem; the fields mean those of
// extfs.Capabilities.
type Caps struct {
	Filesystem string
	BlockSize  int64 // the unit of clone alignment (the cluster, on Windows)

	Clone, CopyRange, Xattr Answer

	// Fallocate's modes: 0, keep-size, punch, zero, collapse, insert, unshare.
	Allocate, KeepSize, PunchHole, ZeroRange, CollapseRange, InsertRange, UnshareRange Answer
}

// Volume is a filesystem as a directory on it sees it.
type Volume struct {
	Caps
	// FS is the same for two directories on one filesystem (Linux: the
	// superblock's device, which btrfs subvolumes share; macOS: f_fsid;
	// Windows: the volume serial number).
	FS uint64
	// Mount tells mounts of one filesystem apart where a clone cannot
	// cross them (Linux before 5.18); 0 where the system does not say.
	Mount uint64
	// Type is the kernel's name of the filesystem type where it is more
	// precise than Filesystem (Linux: "ext3" mounted by the ext4 driver).
	Type string
}

// Method is how CopyFile's default (CoWAuto) would put a file's data in
// place; it maps to extfs.Method.
type Method uint8

const (
	Clone     Method = iota // the blocks are shared
	CopyRange               // the system copies (copy_file_range; CopyFileExW on Windows)
	Splice                  // through a pipe, in the kernel (Linux)
	ReadWrite               // read into memory and written back
)
