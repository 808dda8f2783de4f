//go:build linux

package linux

// The data path: reads and writes of whole buffers, at an offset or at the
// file position, as File's methods need them (see ReadAt for how EngineAuto
// chooses between pread, a non-blocking read and the ring).

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ReadAt reads len(p) bytes at off into p, in as many reads as it takes,
// and returns how many it read: fewer only at end of file or with an error.
//
// Under EngineAuto it is a plain pread while admit lets direct calls in
// (few goroutines are blocked in this package's calls: a pread of cached
// data is the cheapest read there is, and one that waits for the disk
// holds one of a few threads). Once the process is crowded, it first reads
// what the page cache holds without blocking (preadv2 RWF_NOWAIT, which
// costs about a quarter more than a pread); what must wait for the disk
// goes to the ring, where the caller waits as a parked goroutine instead
// of holding an OS thread; without a ring, a pread.
// nowaitOff, if not nil, remembers a file whose filesystem refuses
// RWF_NOWAIT (tmpfs: its data is in memory, a pread never waits for a disk).
func ReadAt(fd int, p []byte, off int64, nowaitOff *atomic.Bool) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL // as pread: preadv2 would read at the file position
	}
	if len(p) == 0 {
		return 0, nil
	}
	e := CurrentEngine()
	done := 0
	if e == EngineAuto && admit() {
		n, err := preadFull(fd, p, off)
		leave1()
		return n, err
	}
	if e == EngineAuto {
		var wait bool
		var err error
		done, wait, err = readNowait(fd, p, off, nowaitOff)
		if !wait {
			return done, err
		}
		if done == len(p) {
			return done, nil
		}
	}
	op := ReadFullOp(fd, p, off)
	op.begin()
	op.done = int64(done)
	runRead(op, e)
	return int(op.res), op.err
}

// preadFull preads until p is full, the file ends or an error.
func preadFull(fd int, p []byte, off int64) (int, error) { return full(unix.Pread, fd, p, off) }

// full calls pread or pwrite until all of p is moved, the file ends (a
// read of 0), or an error; EINTR (a signal before anything moved) retries.
func full(call func(int, []byte, int64) (int, error), fd int, p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, err := call(fd, p[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		if n == 0 {
			break
		}
		done += n
	}
	return done, nil
}

// Read is read(2) at the file position: one read, like os.File.Read; under
// EngineAuto tried without waiting first, as ReadAt is.
func Read(fd int, p []byte, nowaitOff *atomic.Bool) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	e := CurrentEngine()
	if e == EngineAuto && admit() {
		op := newOp(kRead, fd)
		op.buf = p
		op.begin()
		op.runAdmitted()
		return int(op.res), op.err
	}
	if e == EngineAuto && (nowaitOff == nil || !nowaitOff.Load()) {
		n, err := preadv2(fd, p, -1, unix.RWF_NOWAIT)
		switch err {
		case nil:
			return n, nil
		case unix.EOPNOTSUPP:
			if nowaitOff != nil {
				nowaitOff.Store(true)
			}
		case unix.EAGAIN, unix.EINTR:
		default:
			return n, err
		}
	}
	op := newOp(kRead, fd)
	op.buf = p
	op.begin()
	runRead(op, e)
	return int(op.res), op.err
}

// runRead finishes a read that may wait for the disk: on the ring unless
// the engine is EngineSyscall or there is none, else as direct reads.
func runRead(op *Op, e Engine) {
	if e != EngineSyscall {
		if r := ringFor(op, EngineRing, false); r != nil && op.onHeap(r) {
			return
		}
	}
	op.runDirect()
}

// readNowait reads from the page cache, without waiting for the disk,
// until p is full, the file ends, an error, or a part that is not cached
// (wait is true: the caller reads the rest, from p[done:]).
func readNowait(fd int, p []byte, off int64, nowaitOff *atomic.Bool) (done int, wait bool, err error) {
	if nowaitOff != nil && nowaitOff.Load() {
		return 0, true, nil
	}
	for done < len(p) {
		n, err := preadv2(fd, p[done:], off+int64(done), unix.RWF_NOWAIT)
		switch err {
		case nil:
			if n == 0 {
				return done, false, nil // end of file
			}
			done += n
			continue
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return done, true, nil
		case unix.EOPNOTSUPP:
			// The filesystem has no non-blocking reads (tmpfs, many FUSE
			// and network filesystems): do not ask again for this file.
			if nowaitOff != nil {
				nowaitOff.Store(true)
			}
			return done, true, nil
		}
		return done, false, err
	}
	return done, false, nil
}

// preadv2 reads into p at off (-1: the file position) with RWF_ flags,
// one iovec on the stack (x/sys's Preadv2 allocates the iovec array).
func preadv2(fd int, p []byte, off int64, flags int) (int, error) {
	iov := unix.Iovec{Base: &p[0]}
	iov.SetLen(min(len(p), maxRW))
	lo, hi := uintptr(off), uintptr(uint64(off)>>(bits.UintSize-1)>>1)
	n, _, e := unix.Syscall6(unix.SYS_PREADV2, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, lo, hi, uintptr(flags))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// WriteAt writes all of p at off and returns how many bytes it wrote.
// A write is a direct call under EngineAuto while few calls are blocked,
// and goes to the ring when many are (engine.go).
func WriteAt(fd int, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	if len(p) == 0 {
		return 0, nil
	}
	if enter1() {
		n, err := full(unix.Pwrite, fd, p, off)
		leave1()
		return n, err
	}
	op := WriteFullOp(fd, p, off)
	err := run1(op)
	return int(op.res), err
}

// Write writes all of p at the file position, like os.File.Write.
func Write(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	op := newOp(kWrite, fd)
	op.buf = p
	err := run1(op)
	return int(op.res), err
}
