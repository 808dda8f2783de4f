//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// TestClone clones where the filesystem can and reports ErrNotSupported,
// naming the filesystem and leaving nothing, where it cannot.
func TestClone(t *testing.T) {
	kinds := append([]string{testfs.XFSNoReflink}, testfs.All...)
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := join(dir, "src"), join(dir, "dst")
		data := cpData()[:3*MiB+5]
		writeSynced(t, src, data)
		noErr(t, "chmod", os.Chmod(src, 0o751))

		err := extfs.Clone(src, dst)
		if !canClone(fsys.Kind) {
			wantNotSupported(t, "Clone on "+fsys.Kind, err)
			if err != nil && !strings.Contains(err.Error(), cpFsName(fsys.Kind)) {
				t.Errorf("error %q does not name the filesystem", err)
			}
			var le *os.LinkError
			if !errors.As(err, &le) || le.Op != "ficlone" || le.Old != src || le.New != dst {
				t.Errorf("error %#v: want an *os.LinkError for ficlone naming %s and %s", err, src, dst)
			}
			cpWantNames(t, dir, "src")
			return
		}
		noErr(t, "Clone", err)
		crWantContent(t, dst, data)
		fiemapWantShared(t, dst)
		if m := stat(t, dst).Mode & 0o7777; m != 0o751 {
			t.Errorf("clone has mode %o, want the source's 751", m)
		}
		cpWantNames(t, dir, "src", "dst")

		err = extfs.Clone(src, dst)
		wantErr(t, "Clone onto an existing file", err, fs.ErrExist)
		crWantContent(t, dst, data)
		err = extfs.Clone(join(dir, "missing"), join(dir, "x"))
		wantErr(t, "Clone of a missing file", err, fs.ErrNotExist)
		cpWantNames(t, dir, "src", "dst")
	}, kinds...)
}

// cpFsName is the name Probe and the errors give a kind of filesystem.
func cpFsName(kind string) string {
	if kind == testfs.XFSNoReflink {
		return "xfs"
	}
	return kind
}

// TestCloneAcrossFilesystems: no clone between two filesystems, even two
// that can clone.
func TestCloneAcrossFilesystems(t *testing.T) {
	sdir := testfs.Get(t, testfs.XFS).TempDir(t)
	ddir := testfs.Get(t, testfs.Btrfs).TempDir(t)
	writeSynced(t, join(sdir, "src"), []byte("data"))
	err := extfs.Clone(join(sdir, "src"), join(ddir, "dst"))
	wantErr(t, "Clone from XFS to btrfs", err, extfs.ErrNotSupported, errors.ErrUnsupported, syscall.EXDEV)
	if err != nil && !strings.Contains(err.Error(), "different filesystems") {
		t.Errorf("error %q does not say why", err)
	}
	cpWantNames(t, ddir)
}

// TestCloneRange clones aligned ranges, an unaligned tail at the end of
// both files, and refuses what the kernel would refuse, saying why.
func TestCloneRange(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		bs := fsBlockSize(t, dir)
		data := cpData()[:16*bs+100] // the last block is partial
		size := int64(len(data))
		src, dst := crFiles(t, dir, data)
		dstPath := join(dir, "dst")

		if !canClone(fsys.Kind) {
			err := src.CloneRange(dst, 0, 0, bs)
			wantNotSupported(t, "CloneRange on "+fsys.Kind, err)
			crWantContent(t, dstPath, nil)
			return
		}

		// Aligned: blocks 2-5 of the source to blocks 0-3 of dst.
		noErr(t, "CloneRange", src.CloneRange(dst, 2*bs, 0, 4*bs))
		want := append([]byte(nil), data[2*bs:6*bs]...)
		crWantContent(t, dstPath, want)
		crWantOffsets(t, src, dst)

		// The unaligned tail, to the end of dst.
		noErr(t, "CloneRange tail", src.CloneRange(dst, 12*bs, 4*bs, size-12*bs))
		want = append(want, data[12*bs:]...)
		crWantContent(t, dstPath, want)

		// Past the end of the source: clipped. At or after it: nothing.
		noErr(t, "CloneRange past the end", src.CloneRange(dst, 0, 0, size+10*bs))
		crWantContent(t, dstPath, data)
		noErr(t, "CloneRange from the end", src.CloneRange(dst, size, 0, bs))
		noErr(t, "CloneRange of nothing", src.CloneRange(dst, 0, 0, 0))
		fiemapWantShared(t, dstPath)

		for _, c := range []struct {
			name          string
			so, do, n     int64
			targets       []error
			msg           string
			dstLargerThan int64
		}{
			{"unaligned source offset", 1, 0, bs, []error{fs.ErrInvalid}, strconv.FormatInt(bs, 10), 0},
			{"unaligned destination offset", 0, 7, bs, []error{fs.ErrInvalid}, strconv.FormatInt(bs, 10), 0},
			{"unaligned length", 0, 0, bs + 1, []error{fs.ErrInvalid}, strconv.FormatInt(bs, 10), 0},
			{"partial tail into the middle", 12 * bs, 0, size - 12*bs, []error{fs.ErrInvalid}, "end of the destination", 0},
			{"negative offset", -bs, 0, bs, []error{fs.ErrInvalid}, "", 0},
			{"negative length", 0, 0, -1, []error{fs.ErrInvalid}, "", 0},
		} {
			err := src.CloneRange(dst, c.so, c.do, c.n)
			wantErr(t, c.name, err, c.targets...)
			if err != nil && !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%s: error %q does not say %q", c.name, err, c.msg)
			}
		}
		crWantContent(t, dstPath, data)

		// Overlap in one file.
		f := openFile(t, dstPath, os.O_RDWR)
		err := f.CloneRange(f, 0, bs, 2*bs)
		wantErr(t, "overlapping CloneRange", err, fs.ErrInvalid)
		noErr(t, "disjoint CloneRange in one file", f.CloneRange(f, 0, 8*bs, 2*bs))
		copy(data[8*bs:], data[:2*bs])
		crWantContent(t, dstPath, data)

		// A read-only destination.
		ro := openFile(t, dstPath, os.O_RDONLY)
		wantErr(t, "CloneRange into a read-only file", src.CloneRange(ro, 0, 0, bs), syscall.EBADF)
	}, testfs.XFS, testfs.Btrfs, testfs.Ext4, testfs.XFSNoReflink)
}

// TestCloneRangeErrno: an unexpected errno is the error, not
// ErrNotSupported.
func TestCloneRangeErrno(t *testing.T) {
	dir := testfs.Get(t, testfs.XFS).TempDir(t)
	src, dst := crFiles(t, dir, make([]byte, 8192))
	crSwap(t, extfs.FiclonerangeP, func(int, *unix.FileCloneRange) error { return unix.ENOSPC })
	err := src.CloneRange(dst, 0, 0, 4096)
	wantErr(t, "CloneRange", err, syscall.ENOSPC)
	if errors.Is(err, extfs.ErrNotSupported) {
		t.Errorf("ENOSPC reported as not supported: %v", err)
	}
}

// TestCloneFallsBack: when FICLONE says no, CoWAuto copies; when it fails
// for real, the copy fails.
func TestCloneFallsBack(t *testing.T) {
	dir := testfs.Get(t, testfs.XFS).TempDir(t)
	src := join(dir, "src")
	data := cpData()[:MiB]
	writeSynced(t, src, data)
	for _, errno := range []syscall.Errno{unix.EOPNOTSUPP, unix.EXDEV, unix.EINVAL, unix.ENOTTY, unix.ENOSYS, unix.EPERM} {
		t.Run(errno.Error(), func(t *testing.T) {
			calls := 0
			crSwap(t, extfs.FicloneP, func(int, int) error { calls++; return errno })
			dst := join(dir, "dst")
			defer os.Remove(dst)
			st, err := extfs.CopyFile(t.Context(), src, dst, nil)
			noErr(t, "CopyFile", err)
			if calls != 1 || st.ClonedBytes != 0 || st.ByMethod[extfs.MethodClone] != 0 {
				t.Errorf("FICLONE tried %d times; stats %+v", calls, st)
			}
			crWantContent(t, dst, data)
		})
	}
	crSwap(t, extfs.FicloneP, func(int, int) error { return unix.EIO })
	_, err := extfs.CopyFile(t.Context(), src, join(dir, "dst"), nil)
	wantErr(t, "CopyFile with FICLONE failing EIO", err, syscall.EIO)
	cpWantNames(t, dir, "src")
}

// TestCopyTreeCloneRefusedOnce: CopyTree stops trying FICLONE in a
// directory once the kernel refused it for a reason that holds for the whole
// filesystem pair (EOPNOTSUPP, EXDEV), but tries every file again after a
// per-file refusal (EINVAL: btrfs nodatacow), and the copies are right.
func TestCopyTreeCloneRefusedOnce(t *testing.T) {
	dir := testfs.Get(t, testfs.XFS).TempDir(t)
	src := join(dir, "src")
	const dirs, files = 2, 40
	for d := range dirs {
		noErr(t, "mkdir", os.MkdirAll(join(src, fmt.Sprint("d", d)), 0o755))
		for i := range files {
			writeSynced(t, join(src, fmt.Sprintf("d%d/f%d", d, i)), []byte(fmt.Sprint(d, "/", i)))
		}
	}
	for _, tc := range []struct {
		errno    syscall.Errno
		min, max int64
	}{
		// At most one try per worker before the first refusal is recorded.
		{unix.EOPNOTSUPP, dirs, dirs * 8},
		{unix.EXDEV, dirs, dirs * 8},
		{unix.EINVAL, dirs * files, dirs * files},
	} {
		t.Run(tc.errno.Error(), func(t *testing.T) {
			var calls atomic.Int64
			crSwap(t, extfs.FicloneP, func(int, int) error { calls.Add(1); return tc.errno })
			dst := join(dir, "dst")
			defer os.RemoveAll(dst)
			st, err := extfs.CopyTree(t.Context(), src, dst, &extfs.CopyOptions{Preserve: extfs.PreserveAll, Workers: 4})
			noErr(t, "CopyTree", err)
			if n := calls.Load(); n < tc.min || n > tc.max {
				t.Errorf("FICLONE tried %d times for %d files, want %d..%d", n, dirs*files, tc.min, tc.max)
			}
			if st.Files != dirs*files || st.ClonedBytes != 0 {
				t.Errorf("stats %+v", st)
			}
			for d := range dirs {
				for i := range files {
					crWantContent(t, join(dst, fmt.Sprintf("d%d/f%d", d, i)), []byte(fmt.Sprint(d, "/", i)))
				}
			}
		})
	}
}

// Clone a file where the filesystem can share blocks, and fall back to an
// ordinary copy where it cannot.
func ExampleClone() {
	err := extfs.Clone("dataset.bin", "dataset-experiment.bin")
	if errors.Is(err, extfs.ErrNotSupported) {
		// ext4, tmpfs, or another filesystem: copy instead.
		_, err = extfs.CopyFile(context.Background(), "dataset.bin", "dataset-experiment.bin", nil)
	}
	if err != nil {
		fmt.Println(err)
	}
}

// Check before cloning, for example to choose a strategy for many files.
func ExampleProbePair() {
	m, err := extfs.ProbePair("/srv/images/base.qcow2", "/srv/images/vm1.qcow2")
	if err != nil && !errors.Is(err, extfs.ErrUnknown) {
		fmt.Println(err)
		return
	}
	fmt.Println("clones possible:", m == extfs.MethodClone, "; copies with:", m)
}
