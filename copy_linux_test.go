//go:build linux

package extfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// Tests of CopyFile and Clone on Linux's filesystems (testfs): the matrix
// of sources, CoW and sparse modes, clones, FIFOs, xattrs, and forced
// fallbacks. Outcomes are checked with package os, sha256, st_blocks and
// FIEMAP, never through extfs. The portable CopyFile tests are in
// copy_test.go; cpEach runs them here on the filesystems testfs makes.

const sparseSize = 256 * MiB

// cpSparseExtents are the data ranges of the sparse source: a hole first, a
// range ending mid-block, and a hole at the end.
var cpSparseExtents = [][2]int64{
	{4 * MiB, 5 * MiB},
	{100 * MiB, 103*MiB + 123},
	{200 * MiB, 201 * MiB},
}

// cpSource is one source file of the matrix.
type cpSource struct {
	name   string
	size   int64
	sparse bool
}

var cpSources = []cpSource{
	{name: "0", size: 0},
	{name: "1", size: 1},
	{name: "4095", size: 4095},
	{name: "4096", size: 4096},
	{name: "4097", size: 4097},
	{name: "1MiB+1", size: MiB + 1},
	{name: "64MiB", size: 64 * MiB},
	{name: "sparse256MiB", size: sparseSize, sparse: true},
}

// cpMake writes src at path (synced) and returns the sha256 of its content.
func cpMake(t testing.TB, path string, src cpSource) string {
	t.Helper()
	if !src.sparse {
		data := cpData()[:src.size]
		writeSynced(t, path, data)
		return sum(data)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	noErr(t, "create", err)
	defer f.Close()
	// Size first, so that the writes do not extend the file (and XFS does
	// not preallocate past them).
	noErr(t, "truncate", f.Truncate(src.size))
	h := sha256.New()
	var at int64
	for _, e := range cpSparseExtents {
		data := cpData()[e[0]%(32*MiB):][:e[1]-e[0]]
		_, err := f.WriteAt(data, e[0])
		noErr(t, "write", err)
		io.CopyN(h, zeroReader{}, e[0]-at)
		h.Write(data)
		at = e[1]
	}
	io.CopyN(h, zeroReader{}, src.size-at)
	noErr(t, "fsync", f.Sync())
	return hex.EncodeToString(h.Sum(nil))
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// cpSum returns the sha256 and size of the file at path.
func cpSum(t testing.TB, path string) (string, int64) {
	t.Helper()
	f, err := os.Open(path)
	noErr(t, "open", err)
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	noErr(t, "read "+path, err)
	return hex.EncodeToString(h.Sum(nil)), n
}

func canClone(kind string) bool { return kind == testfs.XFS || kind == testfs.Btrfs }

// TestCopyFileMatrix copies every source with every CoW mode on every
// filesystem and checks content, size, holes, sharing and statistics.
func TestCopyFileMatrix(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		srcDir, dstDir := join(dir, "src"), join(dir, "dst")
		noErr(t, "mkdir", os.Mkdir(srcDir, 0o755))
		noErr(t, "mkdir", os.Mkdir(dstDir, 0o755))
		sums := map[string]string{}
		for _, src := range cpSources {
			sums[src.name] = cpMake(t, join(srcDir, src.name), src)
		}
		for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWAlways, extfs.CoWNever} {
			for _, src := range cpSources {
				t.Run(mode.String()+"/"+src.name, func(t *testing.T) {
					cpCheckCopy(t, fsys.Kind, join(srcDir, src.name), join(dstDir, "out"), src, sums[src.name], mode)
				})
			}
		}
	})
}

func cpCheckCopy(t *testing.T, kind, srcPath, dstPath string, src cpSource, want string, mode extfs.CoWMode) {
	dstDir := filepath.Dir(dstPath)
	defer os.Remove(dstPath)
	var calls [][2]int64
	st, err := extfs.CopyFile(context.Background(), srcPath, dstPath, &extfs.CopyOptions{
		CoW:      mode,
		Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) },
	})
	if mode == extfs.CoWAlways && !canClone(kind) {
		wantNotSupported(t, "CopyFile CoWAlways on "+kind, err)
		if err != nil && !strings.Contains(err.Error(), kind) {
			t.Errorf("error %q does not name the filesystem %s", err, kind)
		}
		var le *os.LinkError
		if !errors.As(err, &le) || le.Old != srcPath || le.New != dstPath {
			t.Errorf("error %#v is not an *os.LinkError naming %s and %s", err, srcPath, dstPath)
		}
		cpWantNames(t, dstDir)
		return
	}
	noErr(t, "CopyFile", err)
	cpWantNames(t, dstDir, "out")

	got, size := cpSum(t, dstPath)
	if size != src.size || got != want {
		t.Fatalf("copy has size %d sha256 %.12s, want %d %.12s", size, got, src.size, want)
	}

	cloned := mode != extfs.CoWNever && canClone(kind)
	cpCheckStats(t, st, src, cloned, mode)
	cpCheckProgress(t, calls, src.size, !cloned && !src.sparse)

	if src.sparse {
		sb, db := testfs.Blocks(t, srcPath), testfs.Blocks(t, dstPath)
		if db != sb {
			t.Errorf("sparse copy has %d blocks, the source %d", db, sb)
		}
		if got := seek(t, dstPath, 0, unix.SEEK_DATA); got != cpSparseExtents[0][0] {
			t.Errorf("first data of the copy at %d, want %d", got, cpSparseExtents[0][0])
		}
	}
	if canClone(kind) && src.size > 2048 {
		if cloned {
			fiemapWantShared(t, dstPath)
		} else {
			fiemapWantUnshared(t, dstPath)
			fiemapWantUnshared(t, srcPath)
		}
	}
}

func cpCheckStats(t *testing.T, st extfs.CopyStats, src cpSource, cloned bool, mode extfs.CoWMode) {
	t.Helper()
	if st.Files != 1 || st.Bytes != src.size {
		t.Errorf("stats: Files %d Bytes %d, want 1 %d", st.Files, st.Bytes, src.size)
	}
	if st.ClonedBytes+st.CopiedBytes+st.HoleBytes != st.Bytes {
		t.Errorf("stats: cloned %d + copied %d + holes %d != %d bytes", st.ClonedBytes, st.CopiedBytes, st.HoleBytes, st.Bytes)
	}
	var holes int64
	if src.sparse && !cloned {
		holes = src.size
		for _, e := range cpSparseExtents {
			holes -= e[1] - e[0]
		}
		// Holes are found block by block: the range ending mid-block is
		// copied to the end of its block.
		if d := holes - st.HoleBytes; d < 0 || d >= 64<<10 {
			t.Errorf("stats: HoleBytes %d, want about %d", st.HoleBytes, holes)
		}
	}
	switch {
	case src.size == 0:
		if len(st.ByMethod) != 0 {
			t.Errorf("stats: ByMethod %v for an empty file, want none", st.ByMethod)
		}
	case cloned:
		if st.ClonedBytes != src.size || !maps1(st.ByMethod, extfs.MethodClone) {
			t.Errorf("stats: ClonedBytes %d ByMethod %v, want %d and one clone", st.ClonedBytes, st.ByMethod, src.size)
		}
	default:
		if st.ClonedBytes != 0 || st.ByMethod[extfs.MethodClone] != 0 || len(st.ByMethod) != 1 {
			t.Errorf("stats: ClonedBytes %d ByMethod %v, want no clone and one method", st.ClonedBytes, st.ByMethod)
		}
		if mode == extfs.CoWNever && st.ByMethod[extfs.MethodCopyFileRange] != 0 {
			t.Errorf("stats: CoWNever used copy_file_range (ByMethod %v), which may share blocks", st.ByMethod)
		}
	}
}

func maps1(m map[extfs.Method]int64, want extfs.Method) bool { return len(m) == 1 && m[want] == 1 }

// TestCopyFileSparse checks SparseAlways (zero blocks become holes) and
// SparseNever (every block written) against SparseAuto, by st_blocks.
func TestCopyFileSparse(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		bs := fsBlockSize(t, dir)
		// 2 MiB: data block, zero block, data block, then zeros, a 1 MiB hole
		// and data to the end.
		src := join(dir, "src")
		data := randBytes(2*MiB, 7)
		clear(data[bs : 2*bs])
		clear(data[3*bs : MiB])
		f, err := os.Create(src)
		noErr(t, "create", err)
		noErr(t, "truncate", f.Truncate(3*MiB))
		_, err = f.WriteAt(data[:MiB], 0)
		noErr(t, "write", err)
		_, err = f.WriteAt(data[MiB:], 2*MiB)
		noErr(t, "write", err)
		noErr(t, "fsync", f.Sync())
		noErr(t, "close", f.Close())
		want, _ := cpSum(t, src)
		srcBlocks := testfs.Blocks(t, src)

		for _, tc := range []struct {
			sparse extfs.SparseMode
			blocks int64 // in bytes
		}{
			{extfs.SparseAuto, srcBlocks * 512},
			{extfs.SparseAlways, 2*MiB - (MiB - 3*bs) - bs},
			{extfs.SparseNever, 3 * MiB},
		} {
			t.Run(tc.sparse.String(), func(t *testing.T) {
				dst := join(dir, "dst-"+tc.sparse.String())
				st, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever, Sparse: tc.sparse})
				noErr(t, "CopyFile", err)
				if got, _ := cpSum(t, dst); got != want {
					t.Fatalf("content differs")
				}
				if got := testfs.Blocks(t, dst) * 512; got != tc.blocks {
					t.Errorf("copy uses %d bytes of blocks, want %d (source: %d)", got, tc.blocks, srcBlocks*512)
				}
				if st.ClonedBytes+st.CopiedBytes+st.HoleBytes != 3*MiB {
					t.Errorf("stats %+v do not add up to 3 MiB", st)
				}
				if tc.sparse == extfs.SparseAlways && st.HoleBytes != 3*MiB-tc.blocks {
					t.Errorf("SparseAlways: HoleBytes %d, want %d", st.HoleBytes, 3*MiB-tc.blocks)
				}
				if tc.sparse == extfs.SparseNever && st.HoleBytes != 0 {
					t.Errorf("SparseNever: HoleBytes %d, want 0", st.HoleBytes)
				}
			})
		}
	})
}

// TestCopyFileAcrossFilesystems copies between every pair of kinds; clones
// are impossible, CoWAuto copies and CoWAlways says why it cannot.
func TestCopyFileAcrossFilesystems(t *testing.T) {
	pairs := [][2]string{
		{testfs.XFS, testfs.Ext4}, {testfs.Ext4, testfs.XFS}, {testfs.Btrfs, testfs.XFS},
		{testfs.XFS, testfs.Tmpfs}, {testfs.Tmpfs, testfs.Btrfs},
	}
	src := cpSources[7] // sparse
	for _, p := range pairs {
		t.Run(p[0]+"-to-"+p[1], func(t *testing.T) {
			from, to := testfs.Get(t, p[0]), testfs.Get(t, p[1])
			sdir, ddir := from.TempDir(t), to.TempDir(t)
			srcPath, dstPath := join(sdir, "src"), join(ddir, "dst")
			want := cpMake(t, srcPath, src)

			_, err := extfs.CopyFile(context.Background(), srcPath, dstPath, &extfs.CopyOptions{CoW: extfs.CoWAlways})
			wantErr(t, "CoWAlways across filesystems", err, extfs.ErrNotSupported, errors.ErrUnsupported, syscall.EXDEV)
			cpWantNames(t, ddir)

			st, err := extfs.CopyFile(context.Background(), srcPath, dstPath, nil)
			noErr(t, "CopyFile", err)
			if got, _ := cpSum(t, dstPath); got != want {
				t.Fatal("content differs")
			}
			if sb, db := testfs.Blocks(t, srcPath), testfs.Blocks(t, dstPath); sb != db {
				t.Errorf("copy has %d blocks, source %d", db, sb)
			}
			if st.ClonedBytes != 0 || st.HoleBytes == 0 {
				t.Errorf("stats %+v: want no clone, and holes", st)
			}
		})
	}
}

// TestCopyFileENOSPC fills a tiny filesystem: the copy fails with ENOSPC,
// the old destination is intact and no temporary file is left.
func TestCopyFileENOSPC(t *testing.T) {
	for _, kind := range []string{testfs.Ext4, testfs.Tmpfs, testfs.Btrfs} {
		t.Run(kind, func(t *testing.T) {
			small := testfs.Mount(t, kind, max(testfs.MinSize(kind), 16*MiB))
			big := testfs.Get(t, testfs.Ext4)
			src := join(big.TempDir(t), "src")
			writeSynced(t, src, cpData()[:32*MiB])
			for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
				dir := join(small.Dir, "d-"+mode.String())
				noErr(t, "mkdir", os.Mkdir(dir, 0o755))
				dst := join(dir, "dst")
				old := randBytes(MiB, 11)
				writeSynced(t, dst, old)
				_, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{CoW: mode, Existing: extfs.ExistingReplace})
				wantErr(t, "CopyFile onto a full filesystem", err, syscall.ENOSPC)
				if diff := diffBytes(readAll(t, dst), old); diff != "" {
					t.Errorf("old destination damaged: %s", diff)
				}
				cpWantNames(t, dir, "dst")
				noErr(t, "remove", os.RemoveAll(dir))
			}
		})
	}
}

// TestCopyFilePreserve copies mode, times, owner and xattrs, and by default
// none of them.
func TestCopyFilePreserve(t *testing.T) {
	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "preserving another owner and trusted.* xattrs needs root")
	}
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		writeSynced(t, src, []byte("preserve me"))
		noErr(t, "chown", os.Chown(src, 1234, 5678))
		noErr(t, "chmod", os.Chmod(src, 0o750|os.ModeSetgid))
		setXattrIndependently(t, src, "user.color", []byte("blue"))
		setXattrIndependently(t, src, "trusted.secret", []byte{0, 1, 2})
		atime := time.Date(2001, 2, 3, 4, 5, 6, 123456789, time.UTC)
		mtime := time.Date(2011, 12, 13, 14, 15, 16, 987654321, time.UTC)
		noErr(t, "chtimes", os.Chtimes(src, atime, mtime))

		dst := join(dir, "all")
		_, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Preserve: extfs.PreserveAll})
		noErr(t, "CopyFile PreserveAll", err)
		st := stat(t, dst)
		if st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("owner %d:%d, want 1234:5678", st.Uid, st.Gid)
		}
		if st.Mode&0o7777 != 0o2750 {
			t.Errorf("mode %o, want 2750", st.Mode&0o7777)
		}
		if got := time.Unix(st.Mtim.Unix()); !got.Equal(mtime) {
			t.Errorf("mtime %v, want %v", got, mtime)
		}
		if got := time.Unix(st.Atim.Unix()); !got.Equal(atime) {
			t.Errorf("atime %v, want %v", got, atime)
		}
		for name, want := range map[string]string{"user.color": "blue", "trusted.secret": "\x00\x01\x02"} {
			buf := make([]byte, 64)
			n, err := unix.Getxattr(dst, name, buf)
			if err != nil || string(buf[:n]) != want {
				t.Errorf("xattr %s = %q, %v; want %q", name, buf[:max(n, 0)], err, want)
			}
		}

		dst = join(dir, "none")
		_, err = extfs.CopyFile(context.Background(), src, dst, nil)
		noErr(t, "CopyFile", err)
		st = stat(t, dst)
		if st.Uid != 0 || st.Mode&0o7000 != 0 {
			t.Errorf("without Preserve: owner %d, mode %o; want root's, no setgid", st.Uid, st.Mode&0o7777)
		}
		if sz, err := unix.Getxattr(dst, "user.color", nil); err == nil {
			t.Errorf("without Preserve: user.color copied (%d bytes)", sz)
		}
		if time.Unix(st.Mtim.Unix()).Equal(mtime) {
			t.Error("without Preserve: mtime copied")
		}
	})
}

// TestCopyFilePreserveXattrError: an attribute the destination refuses is
// an error that names it (explaining the namespace for security.*), and
// nothing is left behind. XFS stores 60 000-byte values; ext4 without the
// ea_inode feature does not.
func TestCopyFilePreserveXattrError(t *testing.T) {
	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "security.* xattrs need root")
	}
	sdir := testfs.Get(t, testfs.XFS).TempDir(t)
	ddir := testfs.Get(t, testfs.Ext4).TempDir(t)
	for _, name := range []string{"user.big", "security.big"} {
		src := join(sdir, name)
		writeSynced(t, src, []byte("x"))
		setXattrIndependently(t, src, name, make([]byte, 60000))
		_, err := extfs.CopyFile(context.Background(), src, join(ddir, "dst"), &extfs.CopyOptions{Preserve: extfs.PreserveXattrs})
		wantErr(t, "copying a 60000-byte xattr to ext4", err, syscall.ENOSPC)
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name the attribute", err)
		}
		if err != nil && strings.HasPrefix(name, "security.") && !strings.Contains(err.Error(), "privileges") {
			t.Errorf("error %q does not explain security.*", err)
		}
		var le *os.LinkError
		if !errors.As(err, &le) || le.Op != "fsetxattr" {
			t.Errorf("error %#v: want an *os.LinkError with Op fsetxattr", err)
		}
		cpWantNames(t, ddir)
	}
}

// TestCopyFileNeverMechanisms: CoWNever never calls copy_file_range, splices,
// and reads and writes where splice is refused.
func TestCopyFileNeverMechanisms(t *testing.T) {
	dir := testfs.Get(t, testfs.XFS).TempDir(t)
	src := join(dir, "src")
	data := cpData()[:5*MiB+3]
	writeSynced(t, src, data)
	crSwap(t, extfs.CopyFileRangeP, func(int, *int64, int, *int64, int, int) (int, error) {
		t.Error("CoWNever called copy_file_range")
		return 0, unix.ENOSYS
	})
	for _, spliceOK := range []bool{true, false} {
		if !spliceOK {
			crSwap(t, extfs.SpliceP, func(int, *int64, int, *int64, int, int) (int64, error) { return 0, unix.EINVAL })
		}
		dst := join(dir, fmt.Sprint("dst-", spliceOK))
		st, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever})
		noErr(t, "CopyFile", err)
		want := extfs.MethodSplice
		if !spliceOK {
			want = extfs.MethodReadWrite
		}
		if !maps1(st.ByMethod, want) || st.CopiedBytes != int64(len(data)) {
			t.Errorf("splice works: %v: stats %+v, want all copied by %v", spliceOK, st, want)
		}
		crWantContent(t, dst, data)
		fiemapWantUnshared(t, dst)
	}
}

// BenchmarkCopyNever compares the two ways a physical copy can go, on a
// cached 64 MiB source: splice through a pipe (what CopyFile uses: see
// physicalCopy in copy.go) and the read/write pipeline.
func BenchmarkCopyNever(b *testing.B) {
	const size = 64 * MiB
	for _, kind := range []string{testfs.Ext4, testfs.XFS, testfs.Btrfs, testfs.Tmpfs} {
		fsys := testfs.Get(b, kind)
		dir := fsys.TempDir(b)
		src := join(dir, "src")
		writeSynced(b, src, cpData()[:size])
		for _, mech := range []string{"splice", "readwrite"} {
			b.Run(kind+"/"+mech, func(b *testing.B) {
				defer extfs.SetPhysicalCopy(mech == "splice")()
				b.SetBytes(size)
				for b.Loop() {
					dst := join(dir, "dst")
					if _, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever}); err != nil {
						b.Fatal(err)
					}
					os.Remove(dst)
				}
			})
		}
	}
}

// BenchmarkCopyRangeMechanisms times each mechanism of CopyRange alone, on
// a cached 64 MiB source, by making the ones before it fail.
func BenchmarkCopyRangeMechanisms(b *testing.B) {
	const size = 64 * MiB
	for _, kind := range []string{testfs.Ext4, testfs.Tmpfs, testfs.XFSNoReflink} {
		fsys := testfs.Get(b, kind)
		dir := fsys.TempDir(b)
		writeSynced(b, join(dir, "src"), cpData()[:size])
		src := openFile(b, join(dir, "src"), os.O_RDONLY)
		for _, mech := range []string{"copy_file_range", "splice", "readwrite"} {
			b.Run(kind+"/"+mech, func(b *testing.B) {
				if mech != "copy_file_range" {
					old := *extfs.CopyFileRangeP
					*extfs.CopyFileRangeP = func(int, *int64, int, *int64, int, int) (int, error) { return 0, unix.EXDEV }
					defer func() { *extfs.CopyFileRangeP = old }()
				}
				if mech == "readwrite" {
					old := *extfs.SpliceP
					*extfs.SpliceP = func(int, *int64, int, *int64, int, int) (int64, error) { return 0, unix.EINVAL }
					defer func() { *extfs.SpliceP = old }()
				}
				b.SetBytes(size)
				for b.Loop() {
					dst, err := extfs.Create(join(dir, "dst"))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := src.CopyRange(dst, 0, 0, size); err != nil {
						b.Fatal(err)
					}
					dst.Close()
					os.Remove(join(dir, "dst"))
				}
			})
		}
	}
}

// Copy a file, replacing an older copy atomically, with its permissions and
// times, and report how it went.
func ExampleCopyFile() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stats, err := extfs.CopyFile(ctx, "disk.img", "backup/disk.img", &extfs.CopyOptions{
		Preserve: extfs.PreserveMode | extfs.PreserveTimes,
		Existing: extfs.ExistingReplace,
		Progress: func(done, total int64) {
			fmt.Printf("\r%3d%%", done*100/max(total, 1))
		},
	})
	if err != nil {
		fmt.Println("copy failed:", err) // the old backup is intact
		return
	}
	fmt.Printf("\n%d bytes: %d cloned, %d copied, %d left as holes\n",
		stats.Bytes, stats.ClonedBytes, stats.CopiedBytes, stats.HoleBytes)
}

// A copy that must have blocks of its own, and no holes: a VM image that is
// about to be written all over, on a filesystem that could share blocks.
func ExampleCopyFile_physical() {
	_, err := extfs.CopyFile(context.Background(), "base.img", "vm1.img", &extfs.CopyOptions{
		CoW:    extfs.CoWNever,
		Sparse: extfs.SparseNever,
	})
	if err != nil {
		fmt.Println(err)
	}
}

// cpPrompt is how long a CopyFile or Clone that must not block on a FIFO
// may take before the test calls it hung.
const cpPrompt = 10 * time.Second

// cpWithin runs fn, which must return within cpPrompt. If it does not (an
// open of a FIFO with no writer, blocked), the test opens each of fifos for
// writing, which lets a blocked open go on, so that a regression fails the
// test instead of hanging the suite.
func cpWithin(t *testing.T, what string, fifos []string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(cpPrompt):
	}
	t.Errorf("%s did not return within %v: blocked opening a FIFO", what, cpPrompt)
	for {
		for _, p := range fifos {
			// O_NONBLOCK: succeeds only where a reader waits, and wakes it.
			if fd, err := unix.Open(p, unix.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
				unix.Close(fd)
			}
		}
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestCopyFileFIFOSource: a source that is a FIFO, or becomes one between
// the look at its name and the open, is refused at once (fs.ErrInvalid), by
// CopyFile and by Clone: the open must not wait for a writer that never
// comes.
func TestCopyFileFIFOSource(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, fifo, dst := join(dir, "src"), join(dir, "fifo"), join(dir, "dst")
		ctx := context.Background()
		calls := []struct {
			name string
			fn   func() error
		}{
			{"CopyFile", func() error { _, err := extfs.CopyFile(ctx, src, dst, nil); return err }},
			{"CopyFile Replace", func() error {
				_, err := extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
				return err
			}},
			{"CopyFile CoWNever", func() error {
				_, err := extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever})
				return err
			}},
			{"Clone", func() error { return extfs.Clone(src, dst) }},
		}
		for _, c := range calls {
			// A FIFO by name.
			noErr(t, "mkfifo", unix.Mkfifo(src, 0o644))
			err := cpWithin(t, c.name+" of a FIFO", []string{src}, c.fn)
			wantErr(t, c.name+" of a FIFO", err, fs.ErrInvalid)
			cpWantNames(t, dir, "src")
			noErr(t, "remove", os.Remove(src))

			// A regular file by name, a FIFO when opened.
			writeSynced(t, src, []byte("regular"))
			noErr(t, "mkfifo", unix.Mkfifo(fifo, 0o644))
			*extfs.OpenSourceHookP = func(string) {
				noErr(t, "rename", os.Rename(fifo, src))
			}
			err = cpWithin(t, c.name+" of a file replaced by a FIFO", []string{src}, c.fn)
			*extfs.OpenSourceHookP = nil
			wantErr(t, c.name+" of a file replaced by a FIFO", err, fs.ErrInvalid)
			cpWantNames(t, dir, "src")
			noErr(t, "remove", os.Remove(src))
		}
	}, testfs.Ext4, testfs.XFS, testfs.Tmpfs)
}

// TestCopyFileFIFOSwapRace: while another goroutine keeps replacing the
// source by a regular file and by a FIFO (rename), every CopyFile and Clone
// returns in time, with a copy of the regular file or an error that says
// the source is not a regular file.
func TestCopyFileFIFOSwapRace(t *testing.T) {
	const run = time.Second
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		content := []byte("the regular file")
		writeSynced(t, src, content)
		// The FIFOs are linked under names of their own too, so that a
		// blocked open can be woken through them (cpWithin) after src has
		// moved on.
		var fifos []string
		for i := range 8 {
			p := join(dir, fmt.Sprint("fifo", i))
			noErr(t, "mkfifo", unix.Mkfifo(p, 0o644))
			fifos = append(fifos, p)
		}

		stop := make(chan struct{})
		swapped := make(chan error, 1)
		go func() {
			var err error
			defer func() { swapped <- err }()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err = os.WriteFile(join(dir, "r.tmp"), content, 0o644); err != nil {
					return
				}
				if err = os.Rename(join(dir, "r.tmp"), src); err != nil {
					return
				}
				if err = os.Link(fifos[i%len(fifos)], join(dir, "p.tmp")); err != nil {
					return
				}
				if err = os.Rename(join(dir, "p.tmp"), src); err != nil {
					return
				}
			}
		}()

		var copies, refused int
		deadline := time.Now().Add(run)
		for i := 0; time.Now().Before(deadline) && !t.Failed(); i++ {
			dst := join(dir, "dst")
			clone := i%2 == 1
			what := "CopyFile"
			if clone {
				what = "Clone"
			}
			err := cpWithin(t, what, fifos, func() error {
				if clone {
					return extfs.Clone(src, dst)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				defer cancel()
				_, err := extfs.CopyFile(ctx, src, dst, nil)
				return err
			})
			switch {
			case err == nil:
				copies++
				if got := readAll(t, dst); !bytes.Equal(got, content) {
					t.Errorf("%s copied %q, want %q", what, got, content)
				}
				noErr(t, "remove", os.Remove(dst))
			case errors.Is(err, fs.ErrInvalid):
				refused++
			case clone && errors.Is(err, extfs.ErrNotSupported) && !canClone(fsys.Kind):
				copies++ // the source was opened, and was a regular file
			default:
				t.Errorf("%s: %v", what, err)
			}
		}
		close(stop)
		noErr(t, "swapping", <-swapped)
		t.Logf("%d copies, %d refused FIFOs", copies, refused)
		if copies == 0 || refused == 0 {
			t.Errorf("%d copies and %d refused FIFOs: the race was not exercised", copies, refused)
		}
		names := dirNames(t, dir)
		for _, n := range names {
			if strings.HasPrefix(n, ".") {
				t.Errorf("temporary file %s left behind", n)
			}
		}
	}, testfs.Ext4, testfs.XFS)
}

func init() {
	cpEach = func(t *testing.T, fn func(t *testing.T, dir string), kinds ...string) {
		testfs.Each(t, func(t *testing.T, fsys *testfs.FS) { fn(t, fsys.TempDir(t)) }, kinds...)
	}
}

// TestCopyFileFIFO: a FIFO is not a regular file, and is refused by name.
func TestCopyFileFIFO(t *testing.T) {
	dir := t.TempDir()
	noErr(t, "mkfifo", unix.Mkfifo(join(dir, "fifo"), 0o644))
	_, err := extfs.CopyFile(context.Background(), join(dir, "fifo"), join(dir, "dst"), nil)
	wantErr(t, "CopyFile of a FIFO", err, fs.ErrInvalid)
	cpWantNames(t, dir, "fifo")
}
