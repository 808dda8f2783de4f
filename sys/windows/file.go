//go:build windows

package windows

// The file operations extfs's File needs beyond single calls: Fallocate's
// modes, a file's fs.FileMode, symbolic links made and read as package os
// does, and removal by name.

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/windows"
)

// Fadvise takes advice a, one AdviceOK allows, on h. fsenum.AdviceSequential sets
// FILE_SEQUENTIAL_ONLY; fsenum.AdviceNormal and fsenum.AdviceRandom clear it (the
// FILE_RANDOM_ACCESS flag can only be given at open; without the sequential
// hint the cache manager's own read-ahead notices random access by itself).
// fsenum.AdviceNoReuse is a pure hint that Windows has no use for.
func Fadvise(h windows.Handle, a fsenum.Advice) error {
	if a == fsenum.AdviceNoReuse {
		return nil
	}
	return SetSequential(h, a == fsenum.AdviceSequential)
}

// Fallocate carries out mode, one AllocModeOK allows, on [off, off+n) of h
// (Preallocate, PunchHole, ZeroRange). refused is Preallocate's.
func Fallocate(h windows.Handle, mode fsenum.AllocMode, off, n int64) (refused bool, err error) {
	keep := mode&fsenum.AllocKeepSize != 0
	switch mode &^ fsenum.AllocKeepSize {
	case fsenum.AllocPunchHole:
		return false, PunchHole(h, off, off+n)
	case fsenum.AllocZeroRange:
		return false, ZeroRange(h, off, off+n, keep)
	}
	return Preallocate(h, off+n, keep)
}

// Preallocate makes [0, end) of h allocated, growing the file to end unless
// keep. A file that is not sparse has no holes: growing it allocates the new
// clusters (NTFS, ReFS, FAT), and allocation past the end of file is
// FileAllocationInformation, which lasts until the last handle is closed.
// refused is true for a sparse or compressed file: Windows allocates a hole
// of one, or a compression unit, only when it is written.
func Preallocate(h windows.Handle, end int64, keep bool) (refused bool, err error) {
	size, alloc, attrs, err := SizeInfo(h)
	if err != nil {
		return false, err
	}
	if attrs&(windows.FILE_ATTRIBUTE_SPARSE_FILE|windows.FILE_ATTRIBUTE_COMPRESSED) != 0 {
		return true, nil
	}
	switch {
	case !keep && end > size:
		return false, SetEndOfFile(h, end)
	case keep && end > alloc:
		return false, SetAllocation(h, end)
	}
	return false, nil
}

// PunchHole marks the file sparse, as Windows requires before it frees
// space, then zeroes [off, end) below the end of file (a punch past the end
// does nothing, as on Linux).
func PunchHole(h windows.Handle, off, end int64) error {
	size, _, _, err := SizeInfo(h)
	if err != nil || off >= size {
		return err
	}
	if err := SetSparse(h); err != nil {
		return err
	}
	return ZeroData(h, off, min(end, size))
}

// ZeroRange zeroes [off, end) below the end of file without making the file
// sparse, so it stays allocated (in a file that is already sparse, NTFS
// frees the whole allocation units it covers), then grows the file, or its
// allocation with keep, to end.
func ZeroRange(h windows.Handle, off, end int64, keep bool) error {
	size, alloc, _, err := SizeInfo(h)
	if err != nil {
		return err
	}
	if off < size {
		if err := ZeroData(h, off, min(end, size)); err != nil {
			return err
		}
	}
	switch {
	case !keep && end > size:
		return SetEndOfFile(h, end)
	case keep && end > alloc && end > size:
		return SetAllocation(h, end)
	}
	return nil
}

// FileMode derives an fs.FileMode from a file's attributes the way package
// os does (Go 1.23 and later): the read-only attribute is the write bits; a
// symbolic link or junction is not a directory; a symbolic link is
// ModeSymlink, a junction and any other reparse point but deduplication
// ModeIrregular.
func FileMode(st *FileStat) fs.FileMode {
	m := fs.FileMode(0o666)
	if st.Attributes&windows.FILE_ATTRIBUTE_READONLY != 0 {
		m = 0o444
	}
	switch st.FileType {
	case windows.FILE_TYPE_PIPE:
		return m | fs.ModeNamedPipe
	case windows.FILE_TYPE_CHAR:
		return m | fs.ModeDevice | fs.ModeCharDevice
	}
	reparse := st.Attributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0
	if st.Attributes&windows.FILE_ATTRIBUTE_DIRECTORY != 0 && !(reparse && IsNameSurrogate(st.ReparseTag)) {
		m |= fs.ModeDir | 0o111
	}
	if reparse {
		switch st.ReparseTag {
		case TagSymlink:
			m |= fs.ModeSymlink
		case TagAFUnix:
			m |= fs.ModeSocket
		case TagDedup:
			// A deduplicated file is a regular file, stored differently.
		default:
			m |= fs.ModeIrregular
		}
	}
	return m
}

// Symlink makes linkname a symbolic link to target, a directory link when
// target, read from the link's directory, is a directory now: Windows
// records in a symbolic link whether it is a directory link, and follows a
// file link to a directory badly. os.Symlink decides the same way.
func Symlink(target, linkname string) error {
	target = strings.ReplaceAll(target, "/", `\`)
	dest := target
	if !filepath.IsAbs(target) && filepath.VolumeName(target) == "" && !IsSep(target[0]) {
		dest = filepath.Join(filepath.Dir(linkname), target)
	}
	fi, err := os.Stat(dest)
	return CreateSymbolicLink(linkname, target, err == nil && fi.IsDir())
}

// Readlink returns the target of the symbolic link name (not followed).
func Readlink(name string) (string, error) {
	h, err := OpenPath(name, windows.FILE_READ_ATTRIBUTES, true)
	if err != nil {
		return "", err
	}
	defer windows.CloseHandle(h)
	return ReadlinkHandle(h)
}

// ReadlinkHandle reads the target of the link h was opened on (with
// FILE_OPEN_REPARSE_POINT). Anything else, other reparse points included,
// is "not a link": ERROR_NOT_A_REPARSE_POINT, which readlink(2) calls EINVAL.
func ReadlinkHandle(h windows.Handle) (string, error) {
	_, link, err := ReadLink(h)
	if err != nil {
		return "", err
	}
	if link == nil {
		return "", windows.ERROR_NOT_A_REPARSE_POINT
	}
	return link.Readlink(), nil
}

// Remove removes the file name or, with isDir, the empty directory name.
func Remove(name string, isDir bool) error {
	if isDir {
		return syscall.Rmdir(LongPath(name))
	}
	return syscall.Unlink(LongPath(name))
}
