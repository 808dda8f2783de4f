//go:build linux

package linux

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bareRing is the limit any engine can reach: a private ring driven from
// one locked thread, each op submitted and waited for in one
// io_uring_enter(1, 1, GETEVENTS), no eventfd, no other goroutine.
type bareRing struct{ r ring }

func newBareRing(tb testing.TB) *bareRing {
	tb.Helper()
	requireRing(tb)
	var p params
	p.flags = setupClamp
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 8, uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		tb.Fatalf("io_uring_setup: %v", e)
	}
	b := &bareRing{r: ring{fd: int(fd)}}
	if err := b.r.mmap(&p); err != nil {
		b.r.unmap()
		tb.Fatal(err)
	}
	tb.Cleanup(b.r.unmap)
	return b
}

// do submits src and waits for its CQE in one system call.
func (b *bareRing) do(tb testing.TB, src preparer) int32 {
	r := &b.r
	tail := *r.sqTail
	s := &r.sqes[tail&r.sqMask]
	*s = sqe{}
	src.prep(s)
	s.userData = 1
	*r.sqTail = tail + 1
	for {
		head := *r.cqHead
		if head != *r.cqTail {
			res := r.cqes[head&r.cqMask].res
			*r.cqHead = head + 1
			return res
		}
		n := uint32(0)
		if *r.sqHead != *r.sqTail {
			n = 1
		}
		if _, err := r.enter(n, 1, enterGetEvents); err != nil && err != unix.EINTR {
			tb.Fatalf("io_uring_enter: %v", err)
		}
	}
}

// BenchmarkRingVsBare puts the engine (EngineRing, the public single
// calls) beside the bare ring, on the same file in the same run: NOP,
// statx (punted to io-wq) and a cached 4 KiB read (completes inline).
// Targets: engine/bare at most 1.5 for statx and read4k; NOP at most 2 µs.
func BenchmarkRingVsBare(b *testing.B) {
	name := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(name, make([]byte, 1<<20), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	buf := make([]byte, 4096)
	st := new(unix.Statx_t)
	path, _ := unix.BytePtrFromString(name)
	ops := []struct {
		name   string
		src    preparer
		engine func() error
	}{
		{"nop", nopOp{}, func() error { _, err := getRing().do(nopOp{}); return err }},
		{"statx", &rawStatx{path: path, st: st}, func() error {
			return Statx(unix.AT_FDCWD, name, 0, unix.STATX_BASIC_STATS, st)
		}},
		{"read4k", &readAtOp{fd: fd, buf: buf, off: 8192}, func() error {
			_, err := ReadAt(fd, buf, 8192, nil)
			return err
		}},
	}
	for _, o := range ops {
		b.Run(o.name+"/bare", func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			br := newBareRing(b)
			for b.Loop() {
				if res := br.do(b, o.src); res < 0 {
					b.Fatalf("res %d", res)
				}
			}
		})
		b.Run(o.name+"/engine", func(b *testing.B) {
			requireRing(b)
			withEngine(b, EngineRing)
			for b.Loop() {
				if err := o.engine(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type rawStatx struct {
	path *byte
	st   *unix.Statx_t
}

func (o *rawStatx) prep(s *sqe) {
	s.opcode = OpStatx
	s.fd = unix.AT_FDCWD
	s.addr = ptr(o.path)
	s.len = unix.STATX_BASIC_STATS
	s.off = uint64(uintptr(unsafe.Pointer(o.st)))
}

type readAtOp struct {
	fd  int
	buf []byte
	off int64
}

func (o *readAtOp) prep(s *sqe) {
	s.opcode = OpRead
	s.fd = int32(o.fd)
	s.addr = bufPtr(o.buf)
	s.len = uint32(len(o.buf))
	s.off = uint64(o.off)
}
