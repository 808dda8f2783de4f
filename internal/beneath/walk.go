// Package beneath resolves a name beneath a root directory one component at
// a time, so that neither ".." nor a symbolic link leads outside it: the one
// walker behind extfs's Dir on every system (the idea of Go's os.Root, in
// src/os/root_openat.go).
//
// The walk itself — components, "..", links put in front of what is left,
// the limit on links — is written once, here. Each system gives its path
// Rules and an Opener that opens one component relative to a directory
// without following a link there; sys/linux, sys/darwin and sys/windows do.
package beneath

import (
	"errors"
	"syscall"
)

// ErrEscapes is the error of a name that leads outside the root: an
// absolute name, a ".." above the root, or a symbolic link whose target is
// absolute or climbs above the root.
var ErrEscapes = errors.New("path escapes the directory")

// Rules are a system's path rules.
type Rules struct {
	IsSep    func(c byte) bool      // separates components
	IsAbs    func(name string) bool // not relative to a directory (escapes)
	MaxLinks int                    // links one lookup follows: the system's own limit
}

// A Link is a symbolic link met on the way. Abs marks a link that the
// system resolves from elsewhere than the link's directory whatever its
// Target says (a Windows junction, or a link without the relative flag).
type Link struct {
	Target string
	Abs    bool
}

// An Opener opens directories for Walk, one component at a time.
type Opener[H any] interface {
	// OpenDir opens the entry name of dir as a directory to walk through.
	// If the entry is a symbolic link it is not followed: OpenDir returns
	// its Link and no handle.
	OpenDir(dir H, name string) (H, *Link, error)
	Close(h H)
}

// Last does the operation of a Walk on the last component of the name: base
// in the directory dir (still open while Last runs), or dir itself when
// base is "" (the name ends at a directory: ".", "a/.."). dirOnly says the
// name must end at a directory. To have the walk follow a symbolic link met
// there, Last returns its Link and does nothing; otherwise it returns nil
// and the operation's error.
type Last[H any] func(dir H, base string, dirOnly bool) (*Link, error)

// Walk resolves name beneath root and calls last on its final component.
//
// It opens one component at a time relative to the directory reached so
// far, never letting the system follow a link by itself. ".." goes back to
// the directory the walk came from and is ErrEscapes at root. A symbolic
// link is followed by putting its target in front of the components left:
// an absolute target, or one whose ".." climbs above root, is ErrEscapes
// (as openat2's RESOLVE_BENEATH refuses absolute links even into the tree).
// More than r.MaxLinks links is ELOOP, an empty target ENOENT.
func Walk[H any](r *Rules, o Opener[H], root H, name string, last Last[H]) error {
	if r.IsAbs(name) {
		return ErrEscapes
	}
	parts, dirOnly := Split(r, name)
	dirs := []H{root} // the way down from root; dirs[1:] are ours to close
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
				return errors.New("extfs/internal/beneath: Walk: a directory reported as a link")
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
		var err error
		if len(parts) > 0 { // a directory on the way
			var h H
			if h, link, err = o.OpenDir(dir, c); err == nil && link == nil {
				dirs = append(dirs, h)
				continue
			}
		} else {
			link, err = last(dir, c, dirOnly)
		}
		if err != nil || link == nil {
			return err
		}
		if err := r.Follow(link, &links); err != nil {
			return err
		}
		// Put the target in front of the components left. Its trailing
		// separator matters only when nothing follows the link.
		target, targetDirOnly := Split(r, link.Target)
		if len(parts) == 0 {
			dirOnly = dirOnly || targetDirOnly
		}
		parts = append(target, parts...)
	}
}

// Follow counts one more link followed in a lookup (*links) and says
// whether its target may be followed: ELOOP past r.MaxLinks, ErrEscapes for
// an absolute target, ENOENT (what the kernel says) for an empty one.
func (r *Rules) Follow(l *Link, links *int) error {
	switch *links++; {
	case *links > r.MaxLinks:
		return syscall.ELOOP
	case l.Abs || r.IsAbs(l.Target):
		return ErrEscapes
	case l.Target == "":
		return syscall.ENOENT
	}
	return nil
}

// Split splits a relative name into its components, leaving out empty
// ones and "."; dirOnly reports a name that must end at a directory: a
// trailing separator, a last component "." or "..".
func Split(r *Rules, name string) (parts []string, dirOnly bool) {
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && !r.IsSep(name[i]) {
			continue
		}
		if c := name[start:i]; c != "" && c != "." {
			parts = append(parts, c)
		}
		start = i + 1
	}
	return parts, endsAtDir(r, name)
}

// endsAtDir reports whether name's last component is "", "." or "..".
func endsAtDir(r *Rules, name string) bool {
	i := len(name)
	for i > 0 && !r.IsSep(name[i-1]) {
		i--
	}
	last := name[i:]
	return last == "" || last == "." || last == ".."
}
