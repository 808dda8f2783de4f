// Package fsstat is the plain form in which sys/linux, sys/darwin and
// sys/windows describe a file, for package extfs's Stat. Those packages
// cannot import extfs; extfs converts this form to its own Stat in one
// place (stat.go).
package fsstat

import (
	"io/fs"
	"time"
)

// Stat holds extfs.Stat's fields, with Attributes and AttributesMask as
// Linux's STATX_ATTR_* bits (extfs.StatAttr's values) on every OS.
type Stat struct {
	Dev, Ino                   uint64
	Mode                       fs.FileMode
	Nlink                      uint64
	Uid, Gid                   uint32
	Rdev                       uint64
	Size, Blocks, Blksize      int64
	Atime, Mtime, Ctime, Btime time.Time // Btime: the zero Time where the filesystem keeps none
	Attributes, AttributesMask uint64
}

// The attributes macOS and Windows report, as Linux's STATX_ATTR_* bits.
const (
	AttrCompressed = 0x4
	AttrImmutable  = 0x10
	AttrAppend     = 0x20
	AttrNodump     = 0x40
	AttrEncrypted  = 0x800
)
