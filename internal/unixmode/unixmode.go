// Package unixmode converts between st_mode bits and fs.FileMode. The S_IF*
// and set-id values are POSIX's, the same on Linux and macOS, so one
// conversion serves sys/linux and sys/darwin; it is pure and tested on
// every OS.
package unixmode

import "io/fs"

// The st_mode bits (<sys/stat.h>).
const (
	S_IFMT   = 0o170000
	S_IFIFO  = 0o010000
	S_IFCHR  = 0o020000
	S_IFDIR  = 0o040000
	S_IFBLK  = 0o060000
	S_IFREG  = 0o100000
	S_IFLNK  = 0o120000
	S_IFSOCK = 0o140000
	S_ISUID  = 0o4000
	S_ISGID  = 0o2000
	S_ISVTX  = 0o1000
)

// FileMode converts st_mode to an fs.FileMode the way package os does.
func FileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & S_IFMT {
	case S_IFBLK:
		mode |= fs.ModeDevice
	case S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case S_IFDIR:
		mode |= fs.ModeDir
	case S_IFIFO:
		mode |= fs.ModeNamedPipe
	case S_IFLNK:
		mode |= fs.ModeSymlink
	case S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// PermBits converts the permission part of an fs.FileMode (permissions,
// setuid, setgid, sticky) to st_mode bits.
func PermBits(mode fs.FileMode) uint32 {
	m := uint32(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= S_ISUID
	}
	if mode&fs.ModeSetgid != 0 {
		m |= S_ISGID
	}
	if mode&fs.ModeSticky != 0 {
		m |= S_ISVTX
	}
	return m
}

// NodeType is the S_IF* type of a node mknod(2) makes for an fs.FileMode
// type: a FIFO, a block or character device, else a regular file.
func NodeType(typ fs.FileMode) uint32 {
	switch typ {
	case fs.ModeNamedPipe:
		return S_IFIFO
	case fs.ModeDevice:
		return S_IFBLK
	case fs.ModeDevice | fs.ModeCharDevice:
		return S_IFCHR
	}
	return S_IFREG
}
