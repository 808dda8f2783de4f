//go:build linux

package extfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// The data path (Read, Write, ReadAt, WriteAt) answers exactly as *os.File
// does — counts, errors, io.EOF — on every engine and filesystem.

// dataSize is not a multiple of any block or page size, so reads cross
// the end of the file mid-block.
const dataSize = 1<<20 + 4321

// readAtCases are (offset, length) pairs: inside, across EOF, at EOF,
// beyond EOF, empty.
var readAtCases = [][2]int64{
	{0, 4096}, {1, 65536}, {4095, 3}, {dataSize - 10, 10}, {dataSize - 10, 100},
	{dataSize, 1}, {dataSize + 4096, 10}, {12345, 0}, {0, dataSize}, {0, dataSize + 1},
}

func TestDataReadAtLikeOS(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		data := randBytes(dataSize, 7)
		name := join(fsys.TempDir(t), "f")
		writeSynced(t, name, data)
		f := openFile(t, name, os.O_RDONLY)
		defer f.Close()
		of, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer of.Close()
		for _, c := range readAtCases {
			got, want := make([]byte, c[1]), make([]byte, c[1])
			n, err := f.ReadAt(got, c[0])
			wn, werr := of.ReadAt(want, c[0])
			if n != wn || !errors.Is(err, werr) || (err == nil) != (werr == nil) {
				t.Errorf("ReadAt(%d bytes at %d) = %d, %v; os.File: %d, %v", c[1], c[0], n, err, wn, werr)
			}
			if !bytes.Equal(got[:n], want[:wn]) {
				t.Errorf("ReadAt(%d at %d): bytes differ from os.File's", c[1], c[0])
			}
		}
		// Cold: evict the clean pages, so the read must wait for the disk
		// (the ring under EngineAuto and EngineRing).
		evict(t, name)
		got := make([]byte, dataSize)
		before := ringCompletions(t)
		if n, err := f.ReadAt(got, 0); n != dataSize || err != nil || sum(got) != sum(data) {
			t.Errorf("cold ReadAt = %d, %v, checksum match %v", n, err, sum(got) == sum(data))
		}
		ringUsed := ringCompletions(t) != before
		switch e := extfs.CurrentEngine(); {
		case e == extfs.EngineSyscall && ringUsed:
			t.Error("EngineSyscall: the read went to the ring")
		case e == extfs.EngineRing && fsys.Kind != testfs.Tmpfs && !ringUsed:
			// tmpfs holds its data in memory: nothing waits for a disk.
			// (EngineAuto preads while the process is quiet: sys/linux
			// TestReadAtCrowded covers its ring path.)
			t.Errorf("%v: a read that waits for the disk did not go to the ring", e)
		}
		_, err = f.ReadAt(got, -1)
		wantPathErr(t, err, "readat", name)
	})
}

func TestDataReadWriteLikeOS(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		data := randBytes(dataSize, 8)
		name := join(dir, "w")
		f := openFile(t, name, os.O_RDWR|os.O_CREATE)
		defer f.Close()
		// Write at the position, in uneven pieces.
		for off := 0; off < len(data); {
			k := min(len(data)-off, 1+off%70000)
			n, err := f.Write(data[off : off+k])
			if n != k || err != nil {
				t.Fatalf("Write(%d) = %d, %v", k, n, err)
			}
			off += k
		}
		if got := readAll(t, name); sum(got) != sum(data) {
			t.Fatalf("after Write: file differs (%d bytes)", len(got))
		}
		// WriteAt past the end leaves a hole of zeros; the position stays.
		tail := []byte("tail")
		if n, err := f.WriteAt(tail, dataSize+100); n != 4 || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		if pos, _ := f.Seek(0, io.SeekCurrent); pos != dataSize {
			t.Errorf("position after WriteAt = %d, want %d", pos, dataSize)
		}
		want := append(append(bytes.Clone(data), make([]byte, 100)...), tail...)
		noErr(t, "Sync", f.Sync())
		noErr(t, "Datasync", f.Datasync())
		if got := readAll(t, name); sum(got) != sum(want) {
			t.Fatalf("after WriteAt: file differs")
		}
		// Read from the start to io.EOF, in uneven pieces, like os.File.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		evict(t, name)
		var got []byte
		buf := make([]byte, 50001)
		for {
			n, err := f.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				if n != 0 {
					t.Errorf("Read returned io.EOF with %d bytes", n)
				}
				break
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
		}
		if sum(got) != sum(want) {
			t.Errorf("Read to EOF: %d bytes, content differs", len(got))
		}
		if n, err := f.Read(nil); n != 0 || err != nil {
			t.Errorf("Read(nil) = %d, %v; want 0, nil", n, err)
		}
		_, err := f.WriteAt(tail, -1)
		wantPathErr(t, err, "writeat", name)
	})
}

func TestDataErrors(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		name := join(dir, "f")
		writeSynced(t, name, []byte("hello"))

		ro := openFile(t, name, os.O_RDONLY)
		_, err := ro.WriteAt([]byte("x"), 0)
		wantPathErr(t, err, "write", name, syscall.EBADF)
		_, err = ro.Write([]byte("x"))
		wantPathErr(t, err, "write", name, syscall.EBADF)
		ro.Close()
		_, err = ro.ReadAt(make([]byte, 1), 0)
		wantPathErr(t, err, "read", name, fs.ErrClosed)
		_, err = ro.Read(make([]byte, 1))
		wantPathErr(t, err, "read", name, fs.ErrClosed)

		app := openFile(t, name, os.O_WRONLY|os.O_APPEND)
		defer app.Close()
		if _, err := app.WriteAt([]byte("x"), 0); err == nil {
			t.Error("WriteAt on an O_APPEND file succeeded")
		}
		if got := readAll(t, name); string(got) != "hello" {
			t.Errorf("file is %q after a refused WriteAt", got)
		}

		wo := openFile(t, name, os.O_WRONLY)
		defer wo.Close()
		_, err = wo.ReadAt(make([]byte, 1), 0)
		wantPathErr(t, err, "read", name, syscall.EBADF)

		var nilFile *extfs.File
		if _, err := nilFile.ReadAt(make([]byte, 1), 0); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("nil File ReadAt: %v, want fs.ErrInvalid", err)
		}
	})
}

// A pipe is no regular file: its File reads and writes are those of
// os.File, which waits in the runtime's poller (and honours deadlines).
func TestDataPipePassthrough(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fr, fw := extfs.NewFile(r), extfs.NewFile(w)
	defer fr.Close()
	defer fw.Close()
	go fw.Write([]byte("ping"))
	buf := make([]byte, 4)
	if n, err := io.ReadFull(fr, buf); n != 4 || err != nil || string(buf) != "ping" {
		t.Fatalf("pipe read = %d, %v, %q", n, err, buf)
	}
}

// Closing a File while reads of it wait for the disk: each read returns
// either the file's true bytes or an error, never bytes of another file
// that got the same descriptor number.
func TestDataCloseWhileReading(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		data := randBytes(4<<20, 9)
		name := join(dir, "src")
		writeSynced(t, name, data)
		other := join(dir, "other")
		writeSynced(t, other, bytes.Repeat([]byte{0xEE}, 4<<20))
		for round := range 20 {
			evict(t, name)
			f := openFile(t, name, os.O_RDONLY)
			var wg sync.WaitGroup
			for g := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					off := int64(g) * 256 << 10
					buf := make([]byte, 256<<10)
					n, err := f.ReadAt(buf, off)
					if err != nil && !errors.Is(err, fs.ErrClosed) {
						t.Errorf("round %d: ReadAt: %v", round, err)
					}
					if !bytes.Equal(buf[:n], data[off:off+int64(n)]) {
						t.Errorf("round %d: ReadAt at %d returned bytes that are not the file's", round, off)
					}
				}()
			}
			f.Close()
			// Take descriptor numbers the File may have had.
			var reuse []*os.File
			for range 4 {
				if o, err := os.Open(other); err == nil {
					reuse = append(reuse, o)
				}
			}
			wg.Wait()
			for _, o := range reuse {
				o.Close()
			}
		}
	})
}

// 10,000 goroutines reading and writing through every engine: every byte
// where it belongs; the suite's leak check covers descriptors and goroutines.
func TestDataManyGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		const files, goroutines, chunk = 8, 10000, 512
		fs := make([]*extfs.File, files)
		for i := range fs {
			fs[i] = openFile(t, join(dir, fmt.Sprint(i)), os.O_RDWR|os.O_CREATE)
			defer fs[i].Close()
		}
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f := fs[g%files]
				off := int64(g/files) * chunk
				p := bytes.Repeat([]byte{byte(g)}, chunk)
				if n, err := f.WriteAt(p, off); n != chunk || err != nil {
					t.Errorf("WriteAt = %d, %v", n, err)
					return
				}
				q := make([]byte, chunk)
				if n, err := f.ReadAt(q, off); n != chunk || err != nil || !bytes.Equal(p, q) {
					t.Errorf("ReadAt = %d, %v, equal %v", n, err, bytes.Equal(p, q))
				}
			}()
		}
		wg.Wait()
		for i := range fs {
			got := readAll(t, join(dir, fmt.Sprint(i)))
			for k := 0; k < len(got); k += chunk {
				if g := k/chunk*files + i; got[k] != byte(g) || got[k+chunk-1] != byte(g) {
					t.Fatalf("file %d chunk %d holds %#x, want %#x", i, k/chunk, got[k], byte(g))
				}
			}
		}
	})
}

func TestBatchReadWriteAt(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		const n, size = 64, 100<<10 + 7
		files := make([]*extfs.File, n)
		datas := make([][]byte, n)
		for i := range files {
			datas[i] = randBytes(size, uint64(i))
			name := join(dir, fmt.Sprint(i))
			writeSynced(t, name, datas[i])
			evict(t, name)
			files[i] = openFile(t, name, os.O_RDWR)
			defer files[i].Close()
		}
		b := extfs.NewBatch()
		bufs := make([][]byte, n)
		ps := make([]*extfs.Pending[int], n)
		for i := range files {
			bufs[i] = make([]byte, 64<<10)
			ps[i] = b.ReadAt(files[i], bufs[i], int64(i)*500)
		}
		tailBuf := make([]byte, 100)
		tail := b.ReadAt(files[0], tailBuf, size-40) // crosses EOF
		atEOF := b.ReadAt(files[1], make([]byte, 10), size)
		neg := b.ReadAt(files[2], make([]byte, 10), -5)
		w := b.WriteAt(files[3], []byte("written"), size+10)
		if err := b.Submit(context.Background()); err == nil {
			t.Error("Submit with a bad offset returned nil")
		}
		for i, p := range ps {
			got, err := p.Result()
			off := i * 500
			if got != len(bufs[i]) || err != nil || !bytes.Equal(bufs[i], datas[i][off:off+len(bufs[i])]) {
				t.Fatalf("read %d = %d, %v", i, got, err)
			}
		}
		if got, err := tail.Result(); got != 40 || err != io.EOF || !bytes.Equal(tailBuf[:40], datas[0][size-40:]) {
			t.Errorf("read across EOF = %d, %v", got, err)
		}
		if got, err := atEOF.Result(); got != 0 || err != io.EOF {
			t.Errorf("read at EOF = %d, %v", got, err)
		}
		if _, err := neg.Result(); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("negative offset: %v", err)
		}
		if got, err := w.Result(); got != 7 || err != nil {
			t.Errorf("WriteAt = %d, %v", got, err)
		}
		if got := readAll(t, join(dir, "3")); !bytes.Equal(got[size+10:], []byte("written")) || len(got) != size+17 {
			t.Errorf("after batched WriteAt the file holds %d bytes", len(got))
		}

		// A cancelled context: nothing runs, every read says so.
		b = extfs.NewBatch()
		p := b.ReadAt(files[0], make([]byte, 10), 0)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.Submit(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Submit: %v", err)
		}
		if _, err := p.Result(); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled read: %v", err)
		}
	})
}

// evict drops a file's clean pages from the page cache, so the next read
// waits for the disk (tmpfs keeps them: its pages are the data).
func evict(t testing.TB, name string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
}

// OpenFile runs on the engine and makes the *os.File os.OpenFile would: a
// FIFO waits in the runtime's poller (deadlines work), a regular file is
// created with the permissions asked (less the umask), errors are os's.
func TestOpenFileLikeOS(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		old := unix.Umask(0o022)
		defer unix.Umask(old)
		name := join(dir, "new")
		before := ringCompletions(t)
		f, err := extfs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		if extfs.CurrentEngine() == extfs.EngineRing && ringCompletions(t) == before {
			t.Error("EngineRing: the open did not go to the ring")
		}
		if st := stat(t, name); st.Mode&0o7777 != 0o640 {
			t.Errorf("mode %o, want 640", st.Mode&0o7777)
		}
		if _, err := f.Write([]byte("x")); err != nil {
			t.Error(err)
		}
		f.Close()
		_, err = extfs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
		wantPathErr(t, err, "open", name, fs.ErrExist)
		_, err = extfs.OpenFile(join(dir, "missing"), os.O_RDONLY, 0)
		wantPathErr(t, err, "open", join(dir, "missing"), fs.ErrNotExist)

		fifo := join(dir, "fifo")
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := extfs.OpenFile(fifo, os.O_RDWR, 0) // O_RDWR: no writer needed
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.OSFile().SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatalf("FIFO is not in the poller: SetReadDeadline: %v", err)
		}
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read of an empty FIFO past its deadline: %v", err)
		}
	})
}
