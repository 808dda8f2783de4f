package windows

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

func ioHandle(f *os.File) windows.Handle { return windows.Handle(f.Fd()) }

func ioData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*13 + i/251)
	}
	return b
}

// runIO runs reqs as NewIOBatch and Run do, and returns the indices that
// fell back.
func runIO(t *testing.T, ctx context.Context, reqs []*IO) []int {
	t.Helper()
	b, rest := NewIOBatch(reqs)
	if b != nil {
		b.Run(ctx)
	}
	return rest
}

// TestIOBatch: more requests than are in flight at once, reads and writes
// of two files, reads that reach the end of file (Wine posts a packet for
// one that fails at once there, Windows does not) and empty ones.
func TestIOBatch(t *testing.T) {
	dir := testDir(t)
	data := ioData(300 * 1000)
	src := testFile(t, filepath.Join(dir, "src"), data, os.O_RDONLY)
	dst := testFile(t, filepath.Join(dir, "dst"), []byte{}, os.O_RDWR)

	var reqs []*IO
	for i := range 300 {
		reqs = append(reqs,
			&IO{File: ioHandle(src), Buf: make([]byte, 1000), Off: int64(i) * 1000},
			&IO{File: ioHandle(dst), Buf: data[i*1000 : (i+1)*1000], Off: int64(i) * 1000, Write: true})
	}
	eof := []*IO{
		{File: ioHandle(src), Buf: make([]byte, 3000), Off: int64(len(data)) - 1000}, // short
		{File: ioHandle(src), Buf: make([]byte, 10), Off: int64(len(data))},          // at the end
		{File: ioHandle(src), Buf: make([]byte, 10), Off: 1 << 40},                   // past it
		{File: ioHandle(src), Buf: nil, Off: 5},                                      // empty
		{File: ioHandle(dst), Buf: []byte{}, Off: 1 << 40, Write: true},              // empty: the file stays
	}
	for range 40 {
		reqs = append(reqs, eof...)
	}
	if rest := runIO(t, context.Background(), reqs); len(rest) != 0 {
		t.Fatalf("requests %v fell back", rest)
	}
	for i, r := range reqs[:600] {
		if r.Err != nil || r.N != len(r.Buf) {
			t.Fatalf("request %d: %d, %v", i, r.N, r.Err)
		}
		if !r.Write && !bytes.Equal(r.Buf, data[r.Off:r.Off+int64(len(r.Buf))]) {
			t.Fatalf("request %d: wrong bytes", i)
		}
	}
	for i, want := range []int{1000, 0, 0, 0, 0} {
		if r := eof[i]; r.N != want || r.Err != nil {
			t.Errorf("%d bytes at %d: %d, %v; want %d, nil", len(r.Buf), r.Off, r.N, r.Err, want)
		}
	}
	if !bytes.Equal(eof[0].Buf[:1000], data[len(data)-1000:]) {
		t.Error("the short read has the wrong bytes")
	}
	got, err := os.ReadFile(filepath.Join(dir, "dst"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("the written file: %d bytes, %v; want what was written", len(got), err)
	}
}

// TestIOBatchFallback: the requests NewIOBatch leaves to the caller.
func TestIOBatchFallback(t *testing.T) {
	dir := testDir(t)
	data := ioData(100)
	ro := testFile(t, filepath.Join(dir, "f"), data, os.O_RDONLY)

	// A write to a handle without FILE_WRITE_DATA; the read goes on.
	reqs := []*IO{
		{File: ioHandle(ro), Buf: []byte("x"), Write: true},
		{File: ioHandle(ro), Buf: make([]byte, 10)},
	}
	if rest := runIO(t, context.Background(), reqs); len(rest) != 1 || rest[0] != 0 {
		t.Errorf("read-only file: %v fell back, want [0]", rest)
	}
	if r := reqs[1]; r.N != 10 || r.Err != nil || !bytes.Equal(r.Buf, data[:10]) {
		t.Errorf("read: %d, %v", r.N, r.Err)
	}

	// A pipe has no offsets.
	var pr, pw windows.Handle
	if err := windows.CreatePipe(&pr, &pw, nil, 0); err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(pr)
	defer windows.CloseHandle(pw)
	if b, rest := NewIOBatch([]*IO{{File: pr, Buf: make([]byte, 1)}}); b != nil || len(rest) != 1 {
		t.Errorf("pipe: %v fell back", rest)
	}

	// A file that cannot be opened again: all of its requests.
	defer func(old func(windows.Handle, uint32, uint32) (windows.Handle, error)) { reopenForIO = old }(reopenForIO)
	reopenForIO = func(windows.Handle, uint32, uint32) (windows.Handle, error) {
		return windows.InvalidHandle, windows.ERROR_SHARING_VIOLATION
	}
	reqs = []*IO{{File: ioHandle(ro), Buf: make([]byte, 1)}, {File: ioHandle(ro), Buf: make([]byte, 1), Off: 5}}
	if b, rest := NewIOBatch(reqs); b != nil || len(rest) != 2 {
		t.Errorf("reopening fails: %v fell back, want both", rest)
	}
}

// TestIOBatchCancelled: a context done before Run starts nothing.
func TestIOBatchCancelled(t *testing.T) {
	dir := testDir(t)
	f := testFile(t, filepath.Join(dir, "f"), ioData(1000), os.O_RDONLY)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	reqs := []*IO{{File: ioHandle(f), Buf: make([]byte, 10)}, {File: ioHandle(f), Buf: make([]byte, 10), Off: 10}}
	runIO(t, ctx, reqs)
	for i, r := range reqs {
		if !errors.Is(r.Err, context.Canceled) || r.N != 0 {
			t.Errorf("request %d: %d, %v; want 0, context.Canceled", i, r.N, r.Err)
		}
	}
}

// TestIOBatchCancelDuring: a context done while transfers are in flight.
// Each IO has its whole result or the context's error; those that were in
// flight when it came are cancelled (CancelIoEx) and still waited for.
// (Under Wine 8 a transfer in flight on a disk file has always completed
// by the time CancelIoEx comes; TestIOBatchAdvance covers the rest.)
func TestIOBatchCancelDuring(t *testing.T) {
	dir := testDir(t)
	const n, size = 1024, 64 << 10
	data := ioData(n * size)
	f := testFile(t, filepath.Join(dir, "f"), data, os.O_RDWR)
	var done, cancelled int
	for _, delay := range []time.Duration{0, 200 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
		reqs := make([]*IO, n)
		for i := range reqs {
			reqs[i] = &IO{File: ioHandle(f), Buf: make([]byte, size), Off: int64(i) * size}
			if i%2 == 1 {
				reqs[i].Buf, reqs[i].Write = data[i*size:(i+1)*size], true
			}
		}
		b, rest := NewIOBatch(reqs)
		if b == nil || len(rest) != 0 {
			t.Fatalf("%v fell back", rest)
		}
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(delay, cancel)
		b.Run(ctx)
		timer.Stop()
		cancel()
		for i, r := range reqs {
			switch {
			case errors.Is(r.Err, context.Canceled):
				cancelled++
			case r.Err != nil || r.N != size:
				t.Errorf("delay %v: request %d: %d, %v; want %d, nil or context.Canceled", delay, i, r.N, r.Err, size)
			case !r.Write && !bytes.Equal(r.Buf, data[r.Off:r.Off+size]):
				t.Errorf("delay %v: request %d: wrong bytes", delay, i)
			default:
				done++
			}
		}
	}
	t.Logf("%d done, %d cancelled", done, cancelled)
	if cancelled == 0 {
		t.Error("nothing was cancelled")
	}
}

// TestIOBatchAdvance: how a finished transfer ends its IO, for the cases
// no file system here produces on demand (a transfer aborted by
// CancelIoEx, a partial one when the context is done).
func TestIOBatchAdvance(t *testing.T) {
	stop := context.Canceled
	for _, tt := range []struct {
		name    string
		write   bool
		done    int // transferred before
		n       uint32
		err     error
		stopErr error
		wantN   int
		wantErr error
	}{
		{"aborted", false, 0, 0, windows.ERROR_OPERATION_ABORTED, stop, 0, stop},
		{"aborted after a part", true, 40, 10, windows.ERROR_OPERATION_ABORTED, stop, 50, stop},
		{"aborted, not by us", false, 0, 0, windows.ERROR_OPERATION_ABORTED, nil, 0, windows.ERROR_OPERATION_ABORTED},
		{"failed", true, 0, 0, windows.ERROR_DISK_FULL, nil, 0, windows.ERROR_DISK_FULL},
		{"whole, context done", false, 0, 100, nil, stop, 100, nil},
		{"part, context done", false, 0, 60, nil, stop, 60, stop},
		{"end of file", false, 30, 0, windows.ERROR_HANDLE_EOF, nil, 30, nil},
		{"end of file, context done", false, 30, 0, windows.ERROR_HANDLE_EOF, stop, 30, nil},
		{"read of nothing", false, 30, 0, nil, nil, 30, nil},
		{"write of nothing", true, 30, 0, nil, nil, 30, nil},
		{"end of file on a write", true, 0, 0, windows.ERROR_HANDLE_EOF, nil, 0, windows.ERROR_HANDLE_EOF},
	} {
		io := &IO{Buf: make([]byte, 100), Write: tt.write}
		o := &ioOp{io: io, done: tt.done}
		var b IOBatch
		if b.advance(o, tt.n, tt.err, tt.stopErr) {
			t.Errorf("%s: started another transfer", tt.name)
			continue
		}
		if io.N != tt.wantN || io.Err != tt.wantErr {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, io.N, io.Err, tt.wantN, tt.wantErr)
		}
	}
}
