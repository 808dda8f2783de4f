package windows

import (
	"errors"
	"strings"
	"syscall"
)

// Handle is a Windows HANDLE. It has the representation of
// golang.org/x/sys/windows.Handle, but is declared here so that the walk
// can be tested on any system.
type Handle = uintptr

// ErrEscapes is returned by Walk for a name that leads outside the root: an
// absolute name, a ".." above the root, or a symbolic link or junction whose
// target is absolute or climbs above the root.
var ErrEscapes = errors.New("path escapes the directory")

// IsSep reports whether c separates path components on Windows.
func IsSep(c byte) bool { return c == '\\' || c == '/' }

// IsAbs reports whether name is not relative to a directory handle in the
// Win32 sense: rooted (`\x`, `/x`), with a drive (`C:x`, `C:\x`), UNC
// (`\\server\share`), a device or NT path (`\\?\`, `\\.\`, `\??\`). Such a
// name given to a Dir escapes it.
func IsAbs(name string) bool {
	switch {
	case name == "":
		return false
	case IsSep(name[0]):
		return true // rooted, UNC, \\?\, \\.\, \??\
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return true // C:, C:x, C:\x
	}
	return false
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// SplitName splits a relative name into its components at either separator,
// leaving out empty components and "."; dirOnly reports a name that must end
// at a directory: a trailing separator, a last component "." or "..".
func SplitName(name string) (parts []string, dirOnly bool) {
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && !IsSep(name[i]) {
			continue
		}
		if c := name[start:i]; c != "" && c != "." {
			parts = append(parts, c)
		}
		start = i + 1
	}
	last := name[lastSep(name)+1:]
	return parts, last == "" || last == "." || last == ".."
}

func lastSep(name string) int { return strings.LastIndexAny(name, `\/`) }

// MaxLinks bounds the symbolic links and junctions one Walk follows. It is
// the limit of Windows' own lookups (63 reparse points per name: the I/O
// manager gives up with STATUS_REPARSE_POINT_NOT_RESOLVED after that).
const MaxLinks = 63

// An Opener opens directories for Walk, one component at a time.
type Opener interface {
	// OpenDir opens the entry name of dir as a directory to walk through.
	// If the entry is a symbolic link or a junction it is not followed:
	// OpenDir returns its Link and no handle. Other reparse points (cloud
	// files, deduplication) are opened as the directories they stand for.
	OpenDir(dir Handle, name string) (Handle, *Link, error)
	Close(h Handle)
}

// Last does the operation of a Walk on the last component of the name: base
// in the directory dir (still open while Last runs), or the directory dir
// itself when base is "" (the name ends at a directory: ".", "a/.."). dirOnly
// says the name must end at a directory. To have the walk follow a symbolic
// link or junction met there, Last returns its Link (and does nothing);
// otherwise it returns nil and the operation's error.
type Last func(dir Handle, base string, dirOnly bool) (*Link, error)

// Walk resolves name beneath root and calls last on its final component.
//
// It opens one component at a time relative to the directory reached so
// far, never letting the system follow a reparse point by itself. ".." goes
// back to the directory the walk came from and is ErrEscapes at root. A
// symbolic link is followed by putting its target in front of the
// components left: an absolute target, a junction (whose target is always
// absolute) or a target with a ".." above root is ErrEscapes, as openat2's
// RESOLVE_BENEATH refuses absolute links even when they point into the tree.
// More than MaxLinks links is syscall.ELOOP; an empty target syscall.ENOENT.
func Walk(o Opener, root Handle, name string, last Last) error {
	if IsAbs(name) {
		return ErrEscapes
	}
	parts, dirOnly := SplitName(name)
	dirs := []Handle{root} // the way down from root; dirs[1:] are ours to close
	defer func() {
		for _, h := range dirs[1:] {
			o.Close(h)
		}
	}()
	links := 0
	for {
		dir := dirs[len(dirs)-1]
		if len(parts) == 0 {
			link, err := last(dir, "", true)
			if err == nil && link != nil {
				return errors.New("extfs/sys/windows: Walk: a directory reported as a link")
			}
			return err
		}
		c := parts[0]
		parts = parts[1:]
		if c == ".." {
			if len(dirs) == 1 {
				return ErrEscapes
			}
			o.Close(dir)
			dirs = dirs[:len(dirs)-1]
			continue
		}
		var link *Link
		if len(parts) > 0 { // a directory on the way
			h, l, err := o.OpenDir(dir, c)
			if err != nil {
				return err
			}
			if l == nil {
				dirs = append(dirs, h)
				continue
			}
			link = l
		} else {
			l, err := last(dir, c, dirOnly)
			if err != nil || l == nil {
				return err
			}
			link = l
		}
		if links++; links > MaxLinks {
			return syscall.ELOOP
		}
		var err error
		if parts, dirOnly, err = expand(link, parts, dirOnly); err != nil {
			return err
		}
	}
}

// expand puts a link's target in front of the components left to walk. A
// target's trailing separator matters only when nothing follows the link.
func expand(l *Link, rest []string, dirOnly bool) ([]string, bool, error) {
	switch {
	case !l.Relative || IsAbs(l.Target):
		return nil, false, ErrEscapes
	case l.Target == "":
		return nil, false, syscall.ENOENT
	}
	parts, targetDirOnly := SplitName(l.Target)
	if len(rest) == 0 {
		dirOnly = dirOnly || targetDirOnly
	}
	return append(parts, rest...), dirOnly, nil
}
