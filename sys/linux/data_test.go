//go:build linux

package linux

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// ReadAt, Read and WriteAt give the same results whether the ring is there
// or not (io_uring disabled by sysctl or seccomp: the ring cannot be set up).
func TestDataRingUnavailable(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	data := bytes.Repeat([]byte("0123456789abcdef"), 70000)
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int
		err error
		sum string
	}
	run := func() []result {
		fd, err := unix.Open(name, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		var out []result
		var off atomic.Bool
		for _, c := range [][2]int{{0, 4096}, {len(data) - 5, 10}, {len(data), 1}, {3, len(data)}} {
			unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
			p := make([]byte, c[1])
			n, err := ReadAt(fd, p, int64(c[0]), &off)
			out = append(out, result{n, err, string(p[:n])})
		}
		p := make([]byte, 7)
		n, err := Read(fd, p, &off)
		out = append(out, result{n, err, string(p[:n])})
		n, err = WriteAt(fd, data[2:4], 2) // the same bytes: every run reads the same file
		out = append(out, result{n, err, ""})
		return out
	}
	for _, e := range []Engine{EngineAuto, EngineRing, EngineSyscall} {
		prev := SetEngine(e)
		with := run()
		ringOff.Store(true)
		without := run()
		ringOff.Store(false)
		SetEngine(prev)
		for i := range with {
			if with[i].n != without[i].n || with[i].err != without[i].err || with[i].sum != without[i].sum {
				t.Errorf("%v case %d: with ring %d, %v; without %d, %v", e, i, with[i].n, with[i].err, without[i].n, without[i].err)
			}
		}
	}
}

// Under EngineAuto a quiet process reads with pread; a crowded one reads
// the page cache without blocking and sends what must wait for the disk
// to the ring.
func TestReadAtCrowded(t *testing.T) {
	requireRing(t)
	prev := SetEngine(EngineAuto)
	defer SetEngine(prev)
	name := filepath.Join(t.TempDir(), "f")
	data := bytes.Repeat([]byte("extfs!"), 200000)
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	r := getRing()
	read := func() uint64 {
		if err := unix.Fdatasync(fd); err != nil {
			t.Fatal(err)
		}
		unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
		before := r.submitted.Load()
		p := make([]byte, len(data))
		if n, err := ReadAt(fd, p, 0, nil); n != len(data) || err != nil || !bytes.Equal(p, data) {
			t.Fatalf("ReadAt = %d, %v, equal %v", n, err, bytes.Equal(p, data))
		}
		return r.submitted.Load() - before
	}
	if n := read(); n != 0 {
		t.Errorf("quiet: %d ring submissions, want a pread", n)
	}
	blocked.Add(limit()) // as if 2*GOMAXPROCS goroutines were blocked in direct calls
	n := read()
	blocked.Add(-limit())
	if n == 0 && fsName(t, fd) != "tmpfs" {
		t.Errorf("crowded: a cold read did not go to the ring")
	}
}

func fsName(t *testing.T, fd int) string {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == unix.TMPFS_MAGIC {
		return "tmpfs"
	}
	return "other"
}

// A negative offset is EINVAL on every engine, as pread says: preadv2 and
// the ring would take -1 for "the file position".
func TestDataNegativeOffset(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("0123456789")
	f.Seek(4, 0)
	fd := int(f.Fd())
	for _, e := range []Engine{EngineAuto, EngineRing, EngineSyscall} {
		prev := SetEngine(e)
		blocked.Add(limit()) // crowded: EngineAuto's non-blocking path
		buf := make([]byte, 4)
		n, err := ReadAt(fd, buf, -1, nil)
		op := ReadFullOp(fd, buf, -1)
		rerr := Run(context.Background(), []*Op{op})
		_, werr := WriteAt(fd, buf, -1)
		blocked.Add(-limit())
		SetEngine(prev)
		if n != 0 || err != unix.EINVAL || rerr != unix.EINVAL || werr != unix.EINVAL {
			t.Errorf("%v: ReadAt(-1) = %d, %v; Run(ReadFullOp(-1)) = %v; WriteAt(-1) = %v; want EINVAL", e, n, err, rerr, werr)
		}
		if pos, _ := f.Seek(0, 1); pos != 4 {
			t.Errorf("%v: the file position moved to %d", e, pos)
		}
	}
}

// A regular file opened O_NONBLOCK: io_uring does not wait for its disk and
// answers EAGAIN; the read must still return the data, as pread does.
func TestReadAtNonblockingFile(t *testing.T) {
	requireRing(t)
	name := filepath.Join(t.TempDir(), "f")
	data := bytes.Repeat([]byte("nonblock"), 100000)
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, e := range []Engine{EngineAuto, EngineRing} {
		prev := SetEngine(e)
		blocked.Add(limit()) // crowded: auto goes to the ring too
		unix.Fdatasync(fd)
		unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
		p := make([]byte, len(data))
		n, err := ReadAt(fd, p, 0, nil)
		op := ReadFullOp(fd, make([]byte, 4096), 4096)
		unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
		rerr := Run(context.Background(), []*Op{op})
		blocked.Add(-limit())
		SetEngine(prev)
		if n != len(data) || err != nil || !bytes.Equal(p, data) {
			t.Errorf("%v: ReadAt of an O_NONBLOCK file = %d, %v", e, n, err)
		}
		if rerr != nil || op.N() != 4096 {
			t.Errorf("%v: Run(ReadFullOp) of an O_NONBLOCK file = %d, %v", e, op.N(), rerr)
		}
	}
}
