//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// pipelineSizes cross every boundary of the pipeline: empty, one byte,
// around a page, around one buffer (1 MiB) and the buffers in flight, and
// many.
var pipelineSizes = []int64{0, 1, 4095, 4096, 4097, MiB - 1, MiB, MiB + 1, 4*MiB - 3, 4 * MiB, 5*MiB + 7, 17*MiB + 1}

// TestPipeline copies every size at unaligned offsets with the read/write
// pipeline alone and checks the bytes by checksum, and that neither offset
// moved.
func TestPipeline(t *testing.T) {
	data := cpData()[:17*MiB+1+12345]
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := crFiles(t, dir, data)
		for _, n := range pipelineSizes {
			for _, offs := range [][2]int64{{0, 0}, {12345, 777}} {
				noErr(t, "truncate", dst.OSFile().Truncate(0))
				w, zeros, err := extfs.PipelineCopy(nil, src, dst, offs[0], offs[1], n, 0)
				if err != nil || w != n || zeros != 0 {
					t.Fatalf("size %d at %v: copied %d (%d zeros), %v", n, offs, w, zeros, err)
				}
				want := make([]byte, offs[1]+n)
				copy(want[offs[1]:], data[offs[0]:offs[0]+n])
				if n == 0 {
					want = nil
				}
				got, size := cpSum(t, join(dir, "dst"))
				if size != int64(len(want)) || got != sum(want) {
					t.Fatalf("size %d at %v: destination has %d bytes, sha256 %.12s; want %d, %.12s", n, offs, size, got, len(want), sum(want))
				}
				crWantOffsets(t, src, dst)
			}
		}
	})
}

// TestPipelineEOF: the source ends before n; the pipeline copies what
// there is, in whatever buffer that happens.
func TestPipelineEOF(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int64{0, 100, MiB, 3*MiB + 5} {
		data := cpData()[:size]
		src, dst := crFiles(t, dir, data)
		w, _, err := extfs.PipelineCopy(nil, src, dst, 0, 0, size+10*MiB, 0)
		if err != nil || w != size {
			t.Errorf("source of %d bytes: copied %d, %v", size, w, err)
		}
		crWantContent(t, join(dir, "dst"), data)
	}
}

// TestPipelineZeroBlocks: with a zero block size, all-zero aligned blocks
// are skipped (and become holes in a new file); partial blocks are written.
func TestPipelineZeroBlocks(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		bs := fsBlockSize(t, dir)
		data := randBytes(int(6*MiB+100), 8)
		clear(data[bs : 3*bs])               // two zero blocks
		clear(data[2*MiB : 5*MiB])           // zeros across buffers
		clear(data[len(data)-100:])          // a zero tail, partial block
		clear(data[5*MiB+bs+1 : 5*MiB+2*bs]) // almost a zero block
		src, dst := crFiles(t, dir, data)
		noErr(t, "truncate", dst.OSFile().Truncate(int64(len(data))))
		w, zeros, err := extfs.PipelineCopy(nil, src, dst, 0, 0, int64(len(data)), bs)
		noErr(t, "pipeline", err)
		if w != int64(len(data)) || zeros != 2*bs+3*MiB {
			t.Errorf("copied %d with %d zero bytes skipped, want %d and %d", w, zeros, len(data), 2*bs+3*MiB)
		}
		crWantContent(t, join(dir, "dst"), data)
		if got, want := testfs.Blocks(t, join(dir, "dst"))*512, int64(len(data))-zeros; got < want || got > want+bs {
			t.Errorf("destination uses %d bytes of blocks, want %d", got, want)
		}
	}, testfs.Ext4, testfs.XFS, testfs.Tmpfs)
}

// TestPipelineErrors: a failed read or write, or a cancellation, stops the
// pipeline and is reported; its reader goroutine ends (TestMain checks for
// leaked goroutines).
func TestPipelineErrors(t *testing.T) {
	dir := t.TempDir()
	data := cpData()[:8*MiB]
	src, dst := crFiles(t, dir, data)

	ro := openFile(t, join(dir, "dst"), os.O_RDONLY)
	_, _, err := extfs.PipelineCopy(nil, src, ro, 0, 0, 8*MiB, 0)
	wantErr(t, "pipeline into a read-only file", err, syscall.EBADF)
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "pwrite" {
		t.Errorf("error %#v, want an *os.SyscallError for pwrite", err)
	}

	d := openFile(t, dir, os.O_RDONLY)
	_, _, err = extfs.PipelineCopy(nil, d, dst, 0, 0, 8*MiB, 0)
	wantErr(t, "pipeline from a directory", err, syscall.EISDIR)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w, _, err := extfs.PipelineCopy(ctx, src, dst, 0, 0, 8*MiB, 0)
	wantErr(t, "cancelled pipeline", err, context.Canceled)
	if w >= 8*MiB {
		t.Errorf("cancelled pipeline copied everything")
	}
}

// BenchmarkPipeline compares the pipeline (reads overlapping writes) with
// a serial loop of 1 MiB ReadAt and WriteAt, on a cached 64 MiB file.
func BenchmarkPipeline(b *testing.B) {
	const size = 64 * MiB
	for _, kind := range []string{testfs.Ext4, testfs.XFS, testfs.Tmpfs} {
		dir := testfs.Get(b, kind).TempDir(b)
		src, dst := crFiles(b, dir, cpData()[:size])
		for _, impl := range []string{"pipeline", "serial"} {
			b.Run(fmt.Sprintf("%s/%s", kind, impl), func(b *testing.B) {
				b.SetBytes(size)
				buf := make([]byte, MiB)
				for b.Loop() {
					dst.OSFile().Truncate(0)
					if impl == "pipeline" {
						if _, _, err := extfs.PipelineCopy(nil, src, dst, 0, 0, size, 0); err != nil {
							b.Fatal(err)
						}
						continue
					}
					for off := int64(0); off < size; off += MiB {
						n, err := src.ReadAt(buf, off)
						if err != nil && err != io.EOF {
							b.Fatal(err)
						}
						if _, err := dst.WriteAt(buf[:n], off); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
