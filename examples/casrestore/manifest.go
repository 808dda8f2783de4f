package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Manifest describes a tree: every directory, regular file and symbolic
// link in it, by path. Regular files are named by the SHA-256 of their
// content, which is the name of their object in the store.
type Manifest struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"` // sorted by Path; "." is the root
}

// Entry types.
const (
	TypeDir     = "dir"
	TypeFile    = "file"
	TypeSymlink = "symlink"
)

// Entry is one file of the tree.
type Entry struct {
	Path      string `json:"path"` // slash-separated, relative, clean; "." for the root
	Type      string `json:"type"`
	Mode      Mode   `json:"mode,omitzero"`      // dir, file
	Size      int64  `json:"size,omitzero"`      // file
	Hash      string `json:"hash,omitempty"`     // file: lowercase hex SHA-256
	Target    string `json:"target,omitempty"`   // symlink, as stored
	Immutable bool   `json:"immutable,omitzero"` // file: never written in place (see restore -mode)
}

// Mode is permission bits with setuid, setgid and sticky, written in JSON
// as the usual octal string ("0755", "04755").
type Mode fs.FileMode

// modeBits are the bits a Mode may hold.
const modeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

func modeOf(m fs.FileMode) Mode { return Mode(m & modeBits) }

func (m Mode) FileMode() fs.FileMode { return fs.FileMode(m) }

func (m Mode) MarshalJSON() ([]byte, error) {
	fm := fs.FileMode(m)
	u := uint32(fm.Perm())
	if fm&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if fm&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if fm&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return json.Marshal(fmt.Sprintf("0%03o", u))
}

func (m *Mode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	u, err := strconv.ParseUint(s, 8, 32)
	if err != nil || u > 0o7777 {
		return fmt.Errorf("invalid mode %q", s)
	}
	fm := fs.FileMode(u & 0o777)
	if u&0o4000 != 0 {
		fm |= fs.ModeSetuid
	}
	if u&0o2000 != 0 {
		fm |= fs.ModeSetgid
	}
	if u&0o1000 != 0 {
		fm |= fs.ModeSticky
	}
	*m = Mode(fm)
	return nil
}

func readManifest(name string) (*Manifest, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	return &m, nil
}

// write stores m at name atomically: a reader sees the old manifest or the
// new one.
func (m *Manifest) write(name string) error {
	b, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(name))
}

// validate checks everything restore relies on before it writes anything:
// paths that stay inside the tree, hashes that name objects, nothing
// beneath a file or a symbolic link (so a manifest cannot make restore write
// through a link it made), no duplicates.
func (m *Manifest) validate() error {
	if m.Version != 1 {
		return fmt.Errorf("unknown version %d", m.Version)
	}
	types := make(map[string]string, len(m.Entries))
	for _, e := range m.Entries {
		if err := e.validate(); err != nil {
			return err
		}
		if _, dup := types[e.Path]; dup {
			return fmt.Errorf("%q: listed twice", e.Path)
		}
		types[e.Path] = e.Type
	}
	for _, e := range m.Entries {
		for p := parentOf(e.Path); p != "."; p = parentOf(p) {
			if t, ok := types[p]; ok && t != TypeDir {
				return fmt.Errorf("%q: beneath %q, which is a %s", e.Path, p, t)
			}
		}
	}
	return nil
}

func (e *Entry) validate() error {
	if err := checkPath(e.Path); err != nil {
		return err
	}
	if fs.FileMode(e.Mode)&^modeBits != 0 {
		return fmt.Errorf("%q: invalid mode", e.Path)
	}
	switch e.Type {
	case TypeDir:
	case TypeFile:
		if e.Path == "." {
			return errors.New(`".": the root must be a directory`)
		}
		if !validHash(e.Hash) {
			return fmt.Errorf("%q: invalid hash %q", e.Path, e.Hash)
		}
		if e.Size < 0 {
			return fmt.Errorf("%q: negative size", e.Path)
		}
	case TypeSymlink:
		if e.Path == "." {
			return errors.New(`".": the root must be a directory`)
		}
		if e.Target == "" || strings.IndexByte(e.Target, 0) >= 0 {
			return fmt.Errorf("%q: invalid symlink target", e.Path)
		}
	default:
		return fmt.Errorf("%q: unknown type %q", e.Path, e.Type)
	}
	return nil
}

// checkPath accepts "." and clean relative slash paths that do not climb.
func checkPath(p string) error {
	switch {
	case p == ".":
		return nil
	case p == "", strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("invalid path %q", p)
	case path.IsAbs(p), path.Clean(p) != p, p == "..", strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q is not clean and relative", p)
	case os.PathSeparator != '/' && strings.ContainsRune(p, os.PathSeparator):
		return fmt.Errorf("path %q has a %q, a separator here", p, os.PathSeparator)
	}
	return nil
}

func parentOf(p string) string { return path.Dir(p) }

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// sortEntries puts entries in path order: a directory before its contents.
func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
}
