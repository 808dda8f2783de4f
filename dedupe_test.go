//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// TestDedupe shares the blocks of two files written apart with the same
// bytes where the filesystem can (FIEMAP's shared flag on both), refuses
// files that differ without changing anything, and reports ErrNotSupported
// where blocks cannot be shared.
func TestDedupe(t *testing.T) {
	kinds := append([]string{testfs.XFSNoReflink}, testfs.All...)
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		ctx := context.Background()
		dir := fsys.TempDir(t)
		a, b, c, short := join(dir, "a"), join(dir, "b"), join(dir, "c"), join(dir, "short")
		data := randBytes(20<<20+123, 3) // more than one 16 MiB request, a partial last block
		writeSynced(t, a, data)
		writeSynced(t, b, data)
		other := append([]byte(nil), data...)
		other[len(other)-1] ^= 1
		writeSynced(t, c, other)
		writeSynced(t, short, data[:len(data)-1])
		n, err := extfs.Dedupe(ctx, a, b)
		if !canClone(fsys.Kind) {
			wantNotSupported(t, "Dedupe on "+fsys.Kind, err)
			if n != 0 {
				t.Errorf("Dedupe on %s shared %d bytes with an error", fsys.Kind, n)
			}
			crWantContent(t, b, data)
			return
		}
		noErr(t, "Dedupe", err)
		fiemapWantUnshared(t, c)
		if n != int64(len(data)) {
			t.Errorf("Dedupe shared %d bytes, want %d", n, len(data))
		}
		fiemapWantShared(t, a)
		fiemapWantShared(t, b)
		crWantContent(t, a, data)
		crWantContent(t, b, data)

		// Different bytes, different sizes: refused, nothing shared.
		n, err = extfs.Dedupe(ctx, a, c)
		wantErr(t, "Dedupe of differing files", err, extfs.ErrContentDiffers)
		crWantContent(t, c, other)
		if shared, _ := fiemapShared(t, c); shared != 0 && n == 0 {
			t.Errorf("c: %d bytes shared after a refused Dedupe that reported none", shared)
		}
		_, err = extfs.Dedupe(ctx, a, short)
		wantErr(t, "Dedupe of files of different sizes", err, extfs.ErrContentDiffers)
		fiemapWantUnshared(t, short)

		// A read-only destination owned by the caller still dedupes.
		ro := join(dir, "ro")
		writeSynced(t, ro, data)
		noErr(t, "chmod", os.Chmod(ro, 0o444))
		n, err = extfs.Dedupe(ctx, a, ro)
		noErr(t, "Dedupe onto a read-only file", err)
		fiemapWantShared(t, ro)

		// A cancelled context stops before the first request.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = extfs.Dedupe(cctx, a, c)
		wantErr(t, "Dedupe with a cancelled context", err, context.Canceled)

		_, err = extfs.Dedupe(ctx, a, join(dir, "missing"))
		wantErr(t, "Dedupe onto a missing file", err, fs.ErrNotExist)
	}, kinds...)
}

// TestDedupeRange shares an aligned middle range only, and refuses ranges
// the kernel would cut short.
func TestDedupeRange(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		data := randBytes(1<<20, 5)
		writeSynced(t, join(dir, "a"), data)
		writeSynced(t, join(dir, "b"), data)
		src := openFile(t, join(dir, "a"), os.O_RDONLY)
		dst := openFile(t, join(dir, "b"), os.O_RDWR)

		n, err := dst.DedupeRange(src, 256<<10, 256<<10, 256<<10)
		noErr(t, "DedupeRange", err)
		if n != 256<<10 {
			t.Errorf("DedupeRange shared %d bytes, want %d", n, 256<<10)
		}
		if shared, mapped := fiemapShared(t, join(dir, "b")); shared != 256<<10 {
			t.Errorf("b: %d of %d bytes shared, want exactly the 256 KiB range", shared, mapped)
		}
		crWantContent(t, join(dir, "b"), data)

		_, err = dst.DedupeRange(src, 1, 1, 4096)
		wantErr(t, "DedupeRange unaligned", err, fs.ErrInvalid)
		_, err = dst.DedupeRange(src, -1, 0, 4096)
		wantErr(t, "DedupeRange negative offset", err, fs.ErrInvalid)
		_, err = dst.DedupeRange(nil, 0, 0, 4096)
		wantErr(t, "DedupeRange nil source", err, fs.ErrInvalid)
		// Offsets into dst past its end: those bytes are not the same.
		_, err = dst.DedupeRange(src, 0, 1<<20, 4096)
		wantErr(t, "DedupeRange past the destination's end", err, extfs.ErrContentDiffers)
		if errors.Is(err, extfs.ErrNotSupported) {
			t.Errorf("differing content reported as not supported: %v", err)
		}
	}, testfs.XFS, testfs.Btrfs)
}
