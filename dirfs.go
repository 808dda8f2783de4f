package extfs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The helpers of os.Root that users reach for, built on Dir's operations, so
// every name they touch is resolved beneath the directory as Dir's own
// methods resolve it.

// Stat returns a FileInfo describing the named file, following a symbolic
// link in the last component, like os.Root.Stat. Its Sys method returns the
// *Stat that Statx would.
func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	st, err := d.Statx(name)
	if err != nil {
		return nil, err
	}
	return newFileInfo(path.Base(name), st), nil
}

// Lstat returns a FileInfo describing the named file; a symbolic link is
// described itself, not followed.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	st, err := d.Lstatx(name)
	if err != nil {
		return nil, err
	}
	return newFileInfo(path.Base(name), st), nil
}

// ReadDir reads the named directory and returns its entries sorted by name,
// like os.ReadDir. An entry's Info describes it with Lstat through d, so it
// too is looked up beneath d.
func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := d.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.f.ReadDir(-1)
	if err != nil {
		return nil, pathErr("readdirent", name, innerErr(err))
	}
	out := make([]fs.DirEntry, len(ents))
	for i, e := range ents {
		out[i] = dirEntry{d: d, rel: path.Join(name, e.Name()), e: e}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// dirEntry is an entry of Dir.ReadDir: the name and type come from the
// directory itself, the FileInfo from an Lstat beneath d.
type dirEntry struct {
	d   *Dir
	rel string
	e   fs.DirEntry
}

func (e dirEntry) Name() string               { return e.e.Name() }
func (e dirEntry) IsDir() bool                { return e.e.IsDir() }
func (e dirEntry) Type() fs.FileMode          { return e.e.Type() }
func (e dirEntry) Info() (fs.FileInfo, error) { return e.d.Lstat(e.rel) }
func (e dirEntry) String() string             { return fs.FormatDirEntry(e) }

// ReadFile reads the named file and returns its contents, like os.ReadFile.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	f, err := d.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f.f)
	if err != nil {
		return nil, pathErr("read", name, innerErr(err))
	}
	return b, nil
}

// WriteFile writes data to the named file, atomically: the data goes to a
// new file beside it, which is synced and then renamed over name, so a
// reader (or a crash) sees either the old contents or all of the new ones,
// never a mix. A new file gets the permission bits perm; a file that is
// replaced keeps its own, as with os.WriteFile. Unlike os.WriteFile, the
// file is a new inode: hard links to the old one keep the old contents.
// If anything fails, name is left as it was and the temporary file removed.
func (d *Dir) WriteFile(name string, data []byte, perm fs.FileMode) error {
	if err := checkName(name); err != nil {
		return pathErr("open", name, err)
	}
	if err := checkPerm("open", perm); err != nil {
		return pathErr("open", name, err)
	}
	if old, err := d.Statx(name); err == nil {
		if !old.Mode.IsRegular() {
			return pathErr("open", name, errInvalid("%q is not a regular file", name))
		}
		perm = old.Mode.Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, f, err := d.createTemp(name, perm)
	if err != nil {
		return err
	}
	_, err = f.f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// The umask narrowed the bits of the new file; a replaced file's
		// own bits are restored as they were.
		err = d.Chmod(tmp, perm)
	}
	if err == nil {
		err = d.Rename(tmp, nil, name)
	}
	if err != nil {
		d.Remove(tmp)
		return err
	}
	return nil
}

// createTemp creates a new file with a random name in name's directory.
func (d *Dir) createTemp(name string, perm fs.FileMode) (string, *File, error) {
	dir, base := path.Split(strings.TrimSuffix(name, "/"))
	for range 100 {
		var b [6]byte
		rand.Read(b[:])
		tmp := dir + "." + base + "." + hex.EncodeToString(b[:]) + ".tmp"
		f, err := d.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return tmp, f, err
	}
	return "", nil, pathErr("open", name, fs.ErrExist)
}

// MkdirAll creates the named directory and any parents it lacks, like
// os.MkdirAll, and returns nil if it exists already. Every component is
// created with Mkdir and the permission bits perm.
func (d *Dir) MkdirAll(name string, perm fs.FileMode) error {
	if err := checkName(name); err != nil {
		return pathErr("mkdir", name, err)
	}
	// Walk down from the first component: each Mkdir is resolved beneath d.
	clean := path.Clean(name)
	if clean == "." {
		return nil
	}
	var at string
	for _, elem := range strings.Split(clean, "/") {
		at = path.Join(at, elem)
		err := d.Mkdir(at, perm)
		if err == nil || elem == ".." {
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
		if st, serr := d.Statx(at); serr != nil || !st.Mode.IsDir() {
			return pathErr("mkdir", at, syscall.ENOTDIR)
		}
	}
	return nil
}

// RemoveAll removes the named file or directory and everything it contains,
// like os.RemoveAll: it returns nil if name does not exist, and otherwise
// the first error it meets, after removing what it can. A symbolic link is
// removed itself, never followed.
func (d *Dir) RemoveAll(name string) error {
	if err := checkName(name); err != nil {
		return pathErr("unlinkat", name, err)
	}
	if path.Clean(name) == "." {
		return pathErr("unlinkat", name, errInvalid("RemoveAll of %q would remove the Dir itself", name))
	}
	err := d.Remove(name)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	st, serr := d.Lstatx(name)
	if serr != nil {
		if errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
		return serr
	}
	if !st.Mode.IsDir() {
		return err
	}
	ents, rerr := d.ReadDir(name)
	var first error
	if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		first = rerr
	}
	for _, e := range ents {
		if err := d.RemoveAll(path.Join(name, e.Name())); err != nil && first == nil {
			first = err
		}
	}
	if err := d.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
		first = err
	}
	return first
}

// OpenDirRoot opens the directory of the os.Root r as a Dir: the same
// directory, whatever has become of r's path since r was opened, so the
// Dir resolves names beneath what r does. r stays open, and the two are
// closed independently. The Dir's Name is r's.
func OpenDirRoot(r *os.Root) (*Dir, error) {
	if r == nil {
		return nil, &fs.PathError{Op: "open", Err: errInvalid("OpenDirRoot: nil Root")}
	}
	f, err := r.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The Root's descriptor is opened for reading; a Dir's is opened as
	// Dir needs it (for lookups only, on Linux), relative to the first.
	var fd uintptr
	err = (&Dir{f: f, name: r.Name()}).control(func(dirfd int) (err error) {
		fd, err = sysDir.openSub(dirfd, ".")
		return err
	})
	if err != nil {
		return nil, pathErr("open", r.Name(), err)
	}
	return newDir(fd, r.Name()), nil
}

// FS returns the directory as an fs.FS. It implements fs.ReadDirFS,
// fs.ReadFileFS and fs.StatFS, and resolves every name beneath d. Names are
// those of package io/fs: slash-separated, unrooted, without "." or ".."
// elements (fs.ValidPath); others are refused with fs.ErrInvalid. The FS
// stays usable while d is open.
func (d *Dir) FS() fs.FS { return dirFS{d} }

type dirFS struct{ d *Dir }

var (
	_ fs.ReadDirFS  = dirFS{}
	_ fs.ReadFileFS = dirFS{}
	_ fs.StatFS     = dirFS{}
)

func (fsys dirFS) check(op, name string) error {
	// On Windows a backslash or colon would be a separator or a drive or
	// stream name to the system, so a name holding one is not an io/fs name
	// (os.DirFS refuses them too).
	if !fs.ValidPath(name) || runtime.GOOS == "windows" && strings.ContainsAny(name, `\:`) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return nil
}

func (fsys dirFS) Open(name string) (fs.File, error) {
	if err := fsys.check("open", name); err != nil {
		return nil, err
	}
	f, err := fsys.d.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, fsErr(name, err)
	}
	return fsFile{File: f.f, name: path.Base(name)}, nil
}

func (fsys dirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := fsys.check("readdir", name); err != nil {
		return nil, err
	}
	ents, err := fsys.d.ReadDir(name)
	return ents, fsErr(name, err)
}

func (fsys dirFS) ReadFile(name string) ([]byte, error) {
	if err := fsys.check("readfile", name); err != nil {
		return nil, err
	}
	b, err := fsys.d.ReadFile(name)
	return b, fsErr(name, err)
}

func (fsys dirFS) Stat(name string) (fs.FileInfo, error) {
	if err := fsys.check("stat", name); err != nil {
		return nil, err
	}
	fi, err := fsys.d.Stat(name)
	return fi, fsErr(name, err)
}

// innerErr is the error a *fs.PathError wraps, so that it can be named
// relative to the Dir.
func innerErr(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// fsErr gives an error of the FS the name it was asked for, as io/fs wants.
func fsErr(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

// fsFile is a file of Dir.FS: an *os.File whose Stat is named as io/fs
// expects (the base of the name it was opened with).
type fsFile struct {
	*os.File
	name string
}

func (f fsFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, err
	}
	return renamedInfo{fi, f.name}, nil
}

type renamedInfo struct {
	fs.FileInfo
	name string
}

func (fi renamedInfo) Name() string { return fi.name }

// statInfo is a Stat as an fs.FileInfo.
type statInfo struct {
	name string
	st   *Stat
}

func newFileInfo(name string, st *Stat) fs.FileInfo { return statInfo{name, st} }

func (fi statInfo) Name() string       { return fi.name }
func (fi statInfo) Size() int64        { return fi.st.Size }
func (fi statInfo) Mode() fs.FileMode  { return fi.st.Mode }
func (fi statInfo) ModTime() time.Time { return fi.st.Mtime }
func (fi statInfo) IsDir() bool        { return fi.st.Mode.IsDir() }
func (fi statInfo) Sys() any           { return fi.st }
