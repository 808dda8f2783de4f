package extfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extfs/extfs"
	winsys "github.com/extfs/extfs/sys/windows"
)

// Batch.ReadAt and Batch.WriteAt on Windows: overlapped I/O on one
// completion port per Submit, and the workers' *os.File calls for what the
// port cannot take. Each test runs both ways.

// anyRest tells ioPaths not to count the requests that fall back.
const anyRest = -1

// ioPaths runs test once on the completion port, checking that all reads
// and writes but wantRest went there, and once with every one sent to the
// workers.
func ioPaths(t *testing.T, wantRest int, test func(t *testing.T)) {
	t.Run("port", func(t *testing.T) {
		var reqs, rest atomic.Int64
		defer extfs.SetNewIOBatch(func(r []*winsys.IO) (*winsys.IOBatch, []int) {
			b, fallback := winsys.NewIOBatch(r)
			reqs.Add(int64(len(r)))
			rest.Add(int64(len(fallback)))
			return b, fallback
		})()
		test(t)
		if wantRest == anyRest {
			return
		}
		if reqs.Load() == 0 {
			t.Error("no read or write reached the completion port")
		}
		if rest.Load() != int64(wantRest) {
			t.Errorf("%d of %d reads and writes fell back to the workers, want %d", rest.Load(), reqs.Load(), wantRest)
		}
	})
	t.Run("workers", func(t *testing.T) {
		defer extfs.SetNewIOBatch(func(r []*winsys.IO) (*winsys.IOBatch, []int) {
			rest := make([]int, len(r))
			for i := range rest {
				rest[i] = i
			}
			return nil, rest
		})()
		test(t)
	})
}

func TestWindowsBatchReadAt(t *testing.T) {
	ioPaths(t, 0, func(t *testing.T) {
		const n = 256
		content := randBytes(n*8192+1234, 1)
		f, _ := newFile(t, content)
		if _, err := f.Seek(77, io.SeekStart); err != nil {
			t.Fatal(err)
		}

		rng := rand.New(rand.NewPCG(2, 3))
		b := extfs.NewBatch()
		type read struct {
			off int64
			buf []byte
			p   *extfs.Pending[int]
		}
		reads := make([]read, n)
		for i := range reads {
			size := 1 + rng.IntN(20000)
			off := rng.Int64N(int64(len(content) - size))
			reads[i] = read{off: off, buf: make([]byte, size)}
			reads[i].p = b.ReadAt(f, reads[i].buf, off)
		}
		if err := b.Submit(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, r := range reads {
			got, err := r.p.Result()
			if err != nil || got != len(r.buf) {
				t.Errorf("read %d (%d bytes at %d): %d, %v", i, len(r.buf), r.off, got, err)
				continue
			}
			if sha256.Sum256(r.buf) != sha256.Sum256(content[r.off:r.off+int64(len(r.buf))]) {
				t.Errorf("read %d (%d bytes at %d): wrong bytes", i, len(r.buf), r.off)
			}
		}
		// The reads move no file pointer, as File.ReadAt does not.
		if pos, err := f.Seek(0, io.SeekCurrent); err != nil || pos != 77 {
			t.Errorf("file pointer after the batch: %d, %v; want 77", pos, err)
		}
	})
}

// TestWindowsBatchReadAtEOF: a read that reaches the end of file gives what
// there is and io.EOF, as File.ReadAt does; at or past the end, 0 and io.EOF.
func TestWindowsBatchReadAtEOF(t *testing.T) {
	ioPaths(t, 0, func(t *testing.T) {
		content := randBytes(100000, 4)
		f, _ := newFile(t, content)
		cases := []struct {
			off  int64
			size int
		}{
			{0, len(content)},      // all of it: no EOF
			{99000, 1000},          // up to the end exactly: no EOF
			{99000, 5000},          // short
			{1, 200000},            // short, a big buffer
			{100000, 10},           // at the end
			{1 << 40, 10},          // far past it
			{50, 0},                // nothing
			{200000, 0},            // nothing, past the end
			{int64(1) << 32, 4096}, // an offset above 4 GiB (OffsetHigh)
		}
		b := extfs.NewBatch()
		bufs := make([][]byte, len(cases))
		pends := make([]*extfs.Pending[int], len(cases))
		for i, c := range cases {
			bufs[i] = make([]byte, c.size)
			pends[i] = b.ReadAt(f, bufs[i], c.off)
		}
		if err := b.Submit(context.Background()); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("Submit: %v", err)
		}
		for i, c := range cases {
			want := make([]byte, c.size)
			wn, werr := f.ReadAt(want, c.off)
			n, err := pends[i].Result()
			if n != wn || !errors.Is(err, werr) || (err == nil) != (werr == nil) {
				t.Errorf("ReadAt(%d bytes at %d) = %d, %v; File.ReadAt says %d, %v", c.size, c.off, n, err, wn, werr)
			}
			if !bytes.Equal(bufs[i][:n], want[:wn]) {
				t.Errorf("ReadAt(%d bytes at %d): wrong bytes", c.size, c.off)
			}
		}
	})
}

func TestWindowsBatchWriteAt(t *testing.T) {
	ioPaths(t, 0, func(t *testing.T) {
		f, _ := newFile(t, nil)
		if _, err := f.Write([]byte("abc")); err != nil { // the file pointer at 3
			t.Fatal(err)
		}
		const n, chunk = 128, 5000
		want := make([]byte, 2*n*chunk)
		copy(want, "abc")
		b := extfs.NewBatch()
		pends := make([]*extfs.Pending[int], n)
		for i := range n {
			// Every other chunk, from the end backwards: the file grows
			// and leaves gaps, which read as zeros.
			off := int64(2*(n-1-i)*chunk + 3)
			p := randBytes(chunk, uint64(10+i))
			copy(want[off:], p)
			pends[i] = b.WriteAt(f, p, off)
		}
		want = want[:2*(n-1)*chunk+3+chunk]
		if err := b.Submit(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, p := range pends {
			if n, err := p.Result(); n != chunk || err != nil {
				t.Errorf("write %d: %d, %v", i, n, err)
			}
		}
		got := fileBytes(t, f)
		if len(got) != len(want) {
			t.Fatalf("size %d, want %d", len(got), len(want))
		}
		if sha256.Sum256(got) != sha256.Sum256(want) {
			t.Error("the file does not hold what was written")
		}
		if pos, err := f.Seek(0, io.SeekCurrent); err != nil || pos != 3 {
			t.Errorf("file pointer after the batch: %d, %v; want 3", pos, err)
		}

		// Then a batch reads it back.
		b = extfs.NewBatch()
		back := make([][]byte, n)
		for i := range n {
			back[i] = make([]byte, chunk)
			pends[i] = b.ReadAt(f, back[i], int64(2*i*chunk+3))
		}
		if err := b.Submit(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if m, err := pends[i].Result(); m != chunk || err != nil || !bytes.Equal(back[i], want[2*i*chunk+3:][:chunk]) {
				t.Errorf("read back %d: %d, %v, or wrong bytes", i, m, err)
			}
		}
	})
}

// TestWindowsBatchDataMixed: reads and writes of several files beside
// other operations, in one Submit.
func TestWindowsBatchDataMixed(t *testing.T) {
	ioPaths(t, 0, func(t *testing.T) {
		content := randBytes(1<<20, 5)
		src, srcPath := newFile(t, content)
		dst, _ := newFile(t, nil)
		b := extfs.NewBatch()
		const n = 64
		reads := make([]*extfs.Pending[int], n)
		writes := make([]*extfs.Pending[int], n)
		bufs := make([][]byte, n)
		for i := range n {
			bufs[i] = make([]byte, 1<<14)
			reads[i] = b.ReadAt(src, bufs[i], int64(i)<<14)
			writes[i] = b.WriteAt(dst, content[i<<14:(i+1)<<14], int64(i)<<14)
		}
		sync := b.Sync(dst)
		fst := b.Fstatx(src)
		st := b.Statx(srcPath)
		missing := b.Statx(srcPath + ".missing")
		if err := b.Submit(context.Background()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Submit: %v, want the missing file's fs.ErrNotExist", err)
		}
		for i := range n {
			if m, err := reads[i].Result(); m != 1<<14 || err != nil || !bytes.Equal(bufs[i], content[i<<14:(i+1)<<14]) {
				t.Errorf("read %d: %d, %v, or wrong bytes", i, m, err)
			}
			if m, err := writes[i].Result(); m != 1<<14 || err != nil {
				t.Errorf("write %d: %d, %v", i, m, err)
			}
		}
		if _, err := missing.Result(); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Statx of a missing file: %v, want fs.ErrNotExist", err)
		}
		if err := sync.Err(); err != nil {
			t.Errorf("Sync: %v", err)
		}
		for _, p := range []*extfs.Pending[*extfs.Stat]{fst, st} {
			if s, err := p.Result(); err != nil || s.Size != int64(len(content)) {
				t.Errorf("Statx: %+v, %v", s, err)
			}
		}
		if !bytes.Equal(fileBytes(t, dst), content[:n<<14]) {
			t.Error("the written file is wrong")
		}
	})
}

// TestWindowsBatchDataCancel: a context cancelled while reads and writes
// are under way. Each reports the context's error or its whole, true
// result; never a partial result without an error.
func TestWindowsBatchDataCancel(t *testing.T) {
	ioPaths(t, 0, func(t *testing.T) {
		content := randBytes(8<<20, 6)
		src, _ := newFile(t, content)
		dst, _ := newFile(t, nil)
		const n, chunk = 256, 32 << 10
		var cancelled, done int
		for round, delay := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond} {
			ctx, cancel := context.WithCancel(context.Background())
			b := extfs.NewBatch()
			reads := make([]*extfs.Pending[int], n)
			writes := make([]*extfs.Pending[int], n)
			bufs := make([][]byte, n)
			for i := range n {
				bufs[i] = make([]byte, chunk)
				off := int64(i) * chunk
				reads[i] = b.ReadAt(src, bufs[i], off)
				writes[i] = b.WriteAt(dst, content[off:off+chunk], off+int64(round))
			}
			timer := time.AfterFunc(delay, cancel)
			err := b.Submit(ctx)
			timer.Stop()
			cancel()
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("delay %v: Submit: %v, want nil or context.Canceled", delay, err)
			}
			got := fileBytes(t, dst)
			for i := range n {
				off := int64(i) * chunk
				m, err := reads[i].Result()
				switch {
				case errors.Is(err, context.Canceled):
					cancelled++
				case err != nil || m != chunk || !bytes.Equal(bufs[i], content[off:off+chunk]):
					t.Errorf("delay %v: read %d: %d, %v (or wrong bytes); want the whole read or context.Canceled", delay, i, m, err)
				default:
					done++
				}
				m, err = writes[i].Result()
				switch {
				case errors.Is(err, context.Canceled):
					cancelled++
				case err != nil || m != chunk:
					t.Errorf("delay %v: write %d: %d, %v; want the whole write or context.Canceled", delay, i, m, err)
				case !bytes.Equal(got[off+int64(round):][:chunk], content[off:off+chunk]):
					t.Errorf("delay %v: write %d says done, but the file does not hold it", delay, i)
				default:
					done++
				}
			}
		}
		t.Logf("%d operations done, %d cancelled", done, cancelled)
		if cancelled == 0 {
			t.Error("no operation was cancelled: the cancellation was not tested")
		}
	})
}

// TestWindowsBatchDataAccess: a write to a file open only for reading, or
// a read of one open only for writing, fails as the File call fails; the
// other operations of the batch, on the same file too, are unaffected.
func TestWindowsBatchDataAccess(t *testing.T) {
	ioPaths(t, 2, func(t *testing.T) {
		content := randBytes(10000, 7)
		_, path := newFile(t, content)
		ro, err := extfs.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		wo, err := extfs.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer wo.Close()

		b := extfs.NewBatch()
		w := b.WriteAt(ro, []byte("xyz"), 10)
		buf := make([]byte, 100)
		r := b.ReadAt(ro, buf, 20)
		r2 := b.ReadAt(wo, make([]byte, 100), 20)
		w2 := b.WriteAt(wo, []byte("xyz"), 10000)
		b.Submit(context.Background())

		_, werr := ro.WriteAt([]byte("xyz"), 10)
		if n, err := w.Result(); n != 0 || err == nil || !errors.Is(err, fs.ErrPermission) && !errors.Is(err, werr) {
			t.Errorf("WriteAt of a read-only file: %d, %v; File.WriteAt says %v", n, err, werr)
		}
		var pe *fs.PathError
		if err := w.Err(); !errors.As(err, &pe) || pe.Op != "write" || pe.Path != path {
			t.Errorf("WriteAt of a read-only file: %#v, want an *fs.PathError of write on %s", err, path)
		}
		if n, err := r.Result(); n != 100 || err != nil || !bytes.Equal(buf, content[20:120]) {
			t.Errorf("ReadAt of the read-only file: %d, %v, or wrong bytes", n, err)
		}
		_, rerr := wo.ReadAt(make([]byte, 100), 20)
		if n, err := r2.Result(); n != 0 || err == nil || errors.Is(err, io.EOF) {
			t.Errorf("ReadAt of a write-only file: %d, %v; File.ReadAt says %v", n, err, rerr)
		}
		if n, err := w2.Result(); n != 3 || err != nil {
			t.Errorf("WriteAt of the write-only file: %d, %v", n, err)
		}
		if got := fileBytes(t, ro); !bytes.Equal(got[:10000], content) || string(got[10000:]) != "xyz" {
			t.Error("the file is not what the write-only handle made it")
		}
	})
}

// TestWindowsBatchWriteAtAppend: package os refuses WriteAt on a file
// opened with O_APPEND, and so does the batch, before any I/O.
func TestWindowsBatchWriteAtAppend(t *testing.T) {
	ioPaths(t, anyRest, func(t *testing.T) {
		_, path := newFile(t, []byte("0123456789"))
		f, err := extfs.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := extfs.NewBatch()
		p := b.WriteAt(f, []byte("xx"), 2)
		if err := b.Submit(context.Background()); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Submit: %v, want fs.ErrInvalid", err)
		}
		if n, err := p.Result(); n != 0 || !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("WriteAt on O_APPEND: %d, %v; want fs.ErrInvalid", n, err)
		}
		if _, err := f.WriteAt([]byte("xx"), 2); err == nil {
			t.Error("File.WriteAt on O_APPEND succeeded")
		}
		if got, _ := os.ReadFile(path); string(got) != "0123456789" {
			t.Errorf("the file is %q", got)
		}
	})
}

// TestWindowsBatchDataNotAFile: a directory given to ReadAt and WriteAt is
// an error, as for File.ReadAt.
func TestWindowsBatchDataNotAFile(t *testing.T) {
	ioPaths(t, anyRest, func(t *testing.T) {
		dir := tempDir(t)
		d, err := extfs.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		b := extfs.NewBatch()
		r := b.ReadAt(d, make([]byte, 10), 0)
		w := b.WriteAt(d, []byte("x"), 0)
		b.Submit(context.Background())
		if err := r.Err(); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("ReadAt of a directory: %v, want an error", err)
		}
		if err := w.Err(); err == nil {
			t.Error("WriteAt of a directory: nil error")
		}
	})
}

// TestWindowsBatchDataNoLeak: the handles a Submit opens again, and its
// completion port, are closed.
func TestWindowsBatchDataNoLeak(t *testing.T) {
	content := randBytes(1<<16, 8)
	f, _ := newFile(t, content)
	g, _ := newFile(t, content)
	buf := make([]byte, 4096)
	checkNoLeak(t, func() {
		b := extfs.NewBatch()
		for i := range 8 {
			b.ReadAt(f, buf[i*512:(i+1)*512], int64(i)*512)
			b.WriteAt(g, buf[:100], int64(i)*100)
		}
		if err := b.Submit(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkBatchReadAt: 256 reads of 64 KiB from one file, as one batch
// (overlapped I/O on one completion port), as one batch on the workers, and
// as a loop of File.ReadAt.
func BenchmarkBatchReadAt(b *testing.B) {
	const n, size = 256, 64 << 10
	dir := tempDir(b)
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, randBytes(n*size, 9), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := extfs.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	batch := func(b *testing.B) {
		b.SetBytes(n * size)
		for b.Loop() {
			bt := extfs.NewBatch()
			for i := range n {
				bt.ReadAt(f, bufs[i], int64(i)*size)
			}
			if err := bt.Submit(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("extfs", batch)
	b.Run("workers", func(b *testing.B) {
		defer extfs.SetNewIOBatch(func(r []*winsys.IO) (*winsys.IOBatch, []int) {
			rest := make([]int, len(r))
			for i := range rest {
				rest[i] = i
			}
			return nil, rest
		})()
		batch(b)
	})
	b.Run("loop", func(b *testing.B) {
		b.SetBytes(n * size)
		for b.Loop() {
			for i := range n {
				if _, err := f.ReadAt(bufs[i], int64(i)*size); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
