//go:build linux

package extfs_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"github.com/pkg/xattr"
)

// TestXattrFile: set, get, list and remove through a File, each checked with
// github.com/pkg/xattr, an independent implementation.
func TestXattrFile(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", []byte("x"))
		binary := make([]byte, 256)
		for i := range binary {
			binary[i] = byte(i) // includes NUL and 0xff
		}
		values := map[string][]byte{
			"user.text":   []byte("hello"),
			"user.empty":  {},
			"user.binary": binary,
			"user.4k":     randBytes(3000, 20), // more than the first 256-byte guess, fits every fs
		}
		for name, v := range values {
			noErr(t, "SetXattr "+name, f.SetXattr(name, v, 0))
			got, err := xattr.Get(path, name)
			if err != nil || !bytes.Equal(got, v) {
				t.Errorf("after SetXattr(%s, %d bytes): pkg/xattr reads %d bytes, %v", name, len(v), len(got), err)
			}
		}
		for name, v := range values {
			got, err := f.GetXattr(name)
			if err != nil || !bytes.Equal(got, v) {
				t.Errorf("GetXattr(%s) = %d bytes, %v; want %d bytes", name, len(got), err, len(v))
			}
		}
		if got, err := f.GetXattr("user.empty"); err != nil || got == nil || len(got) != 0 {
			t.Errorf("GetXattr of an empty value = %#v, %v; want a non-nil empty slice", got, err)
		}

		names, err := f.ListXattr()
		noErr(t, "ListXattr", err)
		indep, err := xattr.List(path)
		noErr(t, "pkg/xattr List", err)
		if !sameSet(names, indep) {
			t.Errorf("ListXattr = %v, pkg/xattr lists %v", names, indep)
		}
		if u := sorted(userNames(names)); !equalStrings(u, sorted(keys(values))) {
			t.Errorf("ListXattr user names %v, want %v", u, sorted(keys(values)))
		}

		// Replace an existing value, shorter.
		noErr(t, "SetXattr replace", f.SetXattr("user.4k", []byte("short"), 0))
		if got, _ := xattr.Get(path, "user.4k"); string(got) != "short" {
			t.Errorf("replaced value reads %q", got)
		}

		noErr(t, "RemoveXattr", f.RemoveXattr("user.text"))
		if _, err := xattr.Get(path, "user.text"); !errors.Is(err, xattr.ENOATTR) {
			t.Errorf("after RemoveXattr, pkg/xattr Get: %v, want ENODATA", err)
		}
		err = f.RemoveXattr("user.text")
		wantPathErr(t, err, "fremovexattr", path, syscall.ENODATA)
		_, err = f.GetXattr("user.missing")
		wantPathErr(t, err, "fgetxattr", path, syscall.ENODATA)
		if names, _ := f.ListXattr(); contains(joinNames(names), "user.text") {
			t.Errorf("removed name still listed: %v", names)
		}
	})
}

// TestXattrFlags: XattrCreate on an existing attribute is fs.ErrExist,
// XattrReplace on a missing one is ENODATA; neither changes anything.
func TestXattrFlags(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", nil)
		noErr(t, "create", f.SetXattr("user.a", []byte("one"), extfs.XattrCreate))
		err := f.SetXattr("user.a", []byte("two"), extfs.XattrCreate)
		wantPathErr(t, err, "fsetxattr", path, fs.ErrExist, syscall.EEXIST)
		err = extfs.SetXattr(path, "user.a", []byte("two"), extfs.XattrCreate)
		wantPathErr(t, err, "setxattr", path, fs.ErrExist)
		if v, _ := xattr.Get(path, "user.a"); string(v) != "one" {
			t.Errorf("refused XattrCreate changed the value to %q", v)
		}

		err = f.SetXattr("user.b", []byte("x"), extfs.XattrReplace)
		wantPathErr(t, err, "fsetxattr", path, syscall.ENODATA)
		err = extfs.SetXattr(path, "user.b", []byte("x"), extfs.XattrReplace)
		wantPathErr(t, err, "setxattr", path, syscall.ENODATA)
		if _, err := xattr.Get(path, "user.b"); !errors.Is(err, xattr.ENOATTR) {
			t.Errorf("refused XattrReplace created user.b (%v)", err)
		}

		noErr(t, "replace", f.SetXattr("user.a", []byte("three"), extfs.XattrReplace))
		if v, _ := xattr.Get(path, "user.a"); string(v) != "three" {
			t.Errorf("XattrReplace: value %q, want three", v)
		}
	})
}

// TestXattrPath: the path functions follow symbolic links, the L-variants do
// not.
func TestXattrPath(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		_, path := newFile(t, dir, "f", nil)
		link := join(dir, "l")
		noErr(t, "symlink", os.Symlink("f", link))
		sub := join(dir, "sub")
		noErr(t, "mkdir", os.Mkdir(sub, 0o755))

		noErr(t, "SetXattr via link", extfs.SetXattr(link, "user.p", []byte("through"), 0))
		if v, err := xattr.Get(path, "user.p"); err != nil || string(v) != "through" {
			t.Errorf("SetXattr through the link: target has %q, %v", v, err)
		}
		if v, err := extfs.GetXattr(link, "user.p"); err != nil || string(v) != "through" {
			t.Errorf("GetXattr via link = %q, %v", v, err)
		}
		if v, err := extfs.GetXattr(path, "user.p"); err != nil || string(v) != "through" {
			t.Errorf("GetXattr = %q, %v", v, err)
		}
		_, err := extfs.LGetXattr(link, "user.p")
		wantPathErr(t, err, "lgetxattr", link, syscall.ENODATA)
		if v, err := extfs.LGetXattr(path, "user.p"); err != nil || string(v) != "through" {
			t.Errorf("LGetXattr of a regular file = %q, %v", v, err)
		}

		names, err := extfs.ListXattr(link)
		noErr(t, "ListXattr", err)
		indep, _ := xattr.List(link)
		if !sameSet(names, indep) || !contains(joinNames(names), "user.p") {
			t.Errorf("ListXattr(link) = %v, pkg/xattr %v", names, indep)
		}
		lnames, err := extfs.LListXattr(link)
		noErr(t, "LListXattr", err)
		lindep, _ := xattr.LList(link)
		if !sameSet(lnames, lindep) || contains(joinNames(lnames), "user.p") {
			t.Errorf("LListXattr(link) = %v, pkg/xattr LList %v", lnames, lindep)
		}

		// A directory takes user.* too.
		noErr(t, "SetXattr dir", extfs.SetXattr(sub, "user.d", []byte("dir"), 0))
		if v, err := xattr.Get(sub, "user.d"); err != nil || string(v) != "dir" {
			t.Errorf("directory xattr: %q, %v", v, err)
		}

		// user.* on the link itself: refused before the name is looked up.
		err = extfs.LRemoveXattr(link, "user.p")
		wantPathErr(t, err, "lremovexattr", link, syscall.EPERM)
		noErr(t, "RemoveXattr via link", extfs.RemoveXattr(link, "user.p"))
		if _, err := xattr.Get(path, "user.p"); !errors.Is(err, xattr.ENOATTR) {
			t.Errorf("RemoveXattr through the link left the target's attribute (%v)", err)
		}
		err = extfs.RemoveXattr(path, "user.p")
		wantPathErr(t, err, "removexattr", path, syscall.ENODATA)

		missing := join(dir, "missing")
		_, err = extfs.GetXattr(missing, "user.p")
		wantPathErr(t, err, "getxattr", missing, fs.ErrNotExist)
		err = extfs.SetXattr(missing, "user.p", nil, 0)
		wantPathErr(t, err, "setxattr", missing, fs.ErrNotExist)
		_, err = extfs.ListXattr(missing)
		wantPathErr(t, err, "listxattr", missing, fs.ErrNotExist)
		err = extfs.RemoveXattr(missing, "user.p")
		wantPathErr(t, err, "removexattr", missing, fs.ErrNotExist)

		// An empty path names no file, and no descriptor either.
		_, err = extfs.GetXattr("", "user.p")
		wantPathErr(t, err, "getxattr", "", fs.ErrNotExist)
		err = extfs.LSetXattr("", "user.p", nil, 0)
		wantPathErr(t, err, "lsetxattr", "", fs.ErrNotExist)
		_, err = extfs.ListXattr("")
		wantPathErr(t, err, "listxattr", "", fs.ErrNotExist)
		err = extfs.LRemoveXattr("", "user.p")
		wantPathErr(t, err, "lremovexattr", "", fs.ErrNotExist)
	})
}

// TestXattrTrusted: trusted.* needs CAP_SYS_ADMIN, and unlike user.* is
// allowed on symbolic links.
func TestXattrTrusted(t *testing.T) {
	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "trusted.* attributes need root")
	}
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		f, path := newFile(t, dir, "f", nil)
		link := join(dir, "l")
		noErr(t, "symlink", os.Symlink("f", link))

		noErr(t, "File.SetXattr trusted", f.SetXattr("trusted.t", []byte("file"), 0))
		if v, err := xattr.Get(path, "trusted.t"); err != nil || string(v) != "file" {
			t.Errorf("trusted.t: pkg/xattr %q, %v", v, err)
		}
		if v, err := f.GetXattr("trusted.t"); err != nil || string(v) != "file" {
			t.Errorf("GetXattr trusted.t = %q, %v", v, err)
		}
		noErr(t, "LSetXattr trusted on a link", extfs.LSetXattr(link, "trusted.l", []byte("link"), 0))
		if v, err := xattr.LGet(link, "trusted.l"); err != nil || string(v) != "link" {
			t.Errorf("trusted.l on the link: pkg/xattr %q, %v", v, err)
		}
		if _, err := xattr.Get(path, "trusted.l"); err == nil {
			t.Error("LSetXattr followed the link")
		}
		if v, err := extfs.LGetXattr(link, "trusted.l"); err != nil || string(v) != "link" {
			t.Errorf("LGetXattr = %q, %v", v, err)
		}
		names, err := extfs.LListXattr(link)
		noErr(t, "LListXattr", err)
		if lindep, _ := xattr.LList(link); !sameSet(names, lindep) || !contains(joinNames(names), "trusted.l") {
			t.Errorf("LListXattr = %v, pkg/xattr %v", names, lindep)
		}
		noErr(t, "LRemoveXattr", extfs.LRemoveXattr(link, "trusted.l"))
		if _, err := xattr.LGet(link, "trusted.l"); !errors.Is(err, xattr.ENOATTR) {
			t.Errorf("after LRemoveXattr: %v", err)
		}
	})
}

// TestXattrLargeValue: a 64 KiB value (the VFS limit) round-trips where the
// filesystem stores it. ext4 without ea_inode keeps a value within one block
// and btrfs within one leaf: they refuse it with ENOSPC (measured on 6.18).
func TestXattrLargeValue(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", nil)
		v := randBytes(extfs.MaxXattrValueLen, 21)
		err := f.SetXattr("user.big", v, 0)
		perr := extfs.SetXattr(path, "user.big2", v, 0)
		// What the kernel says without extfs, for the same value.
		indep := xattr.Set(path, "user.big3", v)
		switch fsys.Kind {
		case testfs.XFS, testfs.Tmpfs:
			noErr(t, "SetXattr 64 KiB", err)
			noErr(t, "path SetXattr 64 KiB", perr)
			for _, name := range []string{"user.big", "user.big2"} {
				if got, err := xattr.Get(path, name); err != nil || !bytes.Equal(got, v) {
					t.Errorf("%s: pkg/xattr reads %d bytes, %v", name, len(got), err)
				}
			}
			got, err := f.GetXattr("user.big")
			if err != nil || !bytes.Equal(got, v) {
				t.Errorf("GetXattr 64 KiB: %d bytes, %v", len(got), err)
			}
			got, err = extfs.GetXattr(path, "user.big2")
			if err != nil || !bytes.Equal(got, v) {
				t.Errorf("path GetXattr 64 KiB: %d bytes, %v", len(got), err)
			}
		default:
			wantPathErr(t, err, "fsetxattr", path, syscall.ENOSPC)
			wantPathErr(t, perr, "setxattr", path, syscall.ENOSPC)
			if !errors.Is(indep, syscall.ENOSPC) {
				t.Errorf("pkg/xattr Set of 64 KiB: %v; the kernel's answer changed", indep)
			}
			if _, err := xattr.Get(path, "user.big"); !errors.Is(err, xattr.ENOATTR) {
				t.Errorf("refused value exists (%v)", err)
			}
		}
	})
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func joinNames(names []string) string {
	var b bytes.Buffer
	for _, n := range names {
		b.WriteString("\x00" + n + "\x00")
	}
	return b.String()
}

// TestXattrPathNUL: a path with a NUL byte is refused by every path xattr
// call with an error matching fs.ErrInvalid, as Dir does, naming the call.
func TestXattrPathNUL(t *testing.T) {
	dir := t.TempDir()
	writeSynced(t, join(dir, "a"), nil)
	path := join(dir, "a\x00b")
	v := []byte("v")
	checkBad(t, path, []badCall{
		{"SetXattr", func() error { return extfs.SetXattr(path, "user.a", v, 0) }, []error{fs.ErrInvalid}, "setxattr"},
		{"LSetXattr", func() error { return extfs.LSetXattr(path, "user.a", v, 0) }, []error{fs.ErrInvalid}, "lsetxattr"},
		{"GetXattr", func() error { _, err := extfs.GetXattr(path, "user.a"); return err }, []error{fs.ErrInvalid}, "getxattr"},
		{"LGetXattr", func() error { _, err := extfs.LGetXattr(path, "user.a"); return err }, []error{fs.ErrInvalid}, "lgetxattr"},
		{"ListXattr", func() error { _, err := extfs.ListXattr(path); return err }, []error{fs.ErrInvalid}, "listxattr"},
		{"LListXattr", func() error { _, err := extfs.LListXattr(path); return err }, []error{fs.ErrInvalid}, "llistxattr"},
		{"RemoveXattr", func() error { return extfs.RemoveXattr(path, "user.a") }, []error{fs.ErrInvalid}, "removexattr"},
		{"LRemoveXattr", func() error { return extfs.LRemoveXattr(path, "user.a") }, []error{fs.ErrInvalid}, "lremovexattr"},
	})
	if names, _ := xattr.List(join(dir, "a")); len(userNames(names)) != 0 {
		t.Errorf("a refused call set %v on the path before the NUL", names)
	}
}

// TestXattrErrNoAttr: a missing attribute matches ErrNoAttr and the errno,
// and the error names it, through every call that reads or removes one.
func TestXattrErrNoAttr(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		path := join(fsys.TempDir(t), "f")
		writeSynced(t, path, []byte("x"))
		f := openFile(t, path, os.O_RDWR)
		const name = "user.extfs-missing"
		b := extfs.NewBatch()
		p := b.GetXattr(f, name)
		submitErr := b.Submit(context.Background()) // the op's error, joined
		_, batchErr := p.Result()
		for what, err := range map[string]error{
			"File.GetXattr":    ignoreV(f.GetXattr(name)),
			"File.RemoveXattr": f.RemoveXattr(name),
			"GetXattr":         ignoreV(extfs.GetXattr(path, name)),
			"LGetXattr":        ignoreV(extfs.LGetXattr(path, name)),
			"RemoveXattr":      extfs.RemoveXattr(path, name),
			"SetXattr replace": f.SetXattr(name, []byte("v"), extfs.XattrReplace),
			"Batch.GetXattr":   batchErr,
			"Batch.Submit":     submitErr,
		} {
			if fsys.Kind == testfs.Tmpfs && errors.Is(err, extfs.ErrNotSupported) {
				continue // user.* xattrs need a kernel with tmpfs user xattrs
			}
			wantErr(t, what, err, extfs.ErrNoAttr, syscall.ENODATA)
			if err != nil && !strings.Contains(err.Error(), name) {
				t.Errorf("%s: %q does not name the attribute", what, err)
			}
		}
	})
}

func ignoreV[T any](_ T, err error) error { return err }
