//go:build linux

package linux

import (
	"math"
	"unsafe"

	"golang.org/x/sys/unix"
)

type kind uint8

const (
	kFallocate kind = iota + 1
	kFadvise
	kFsync
	kFgetxattr
	kGetxattr
	kFsetxattr
	kSetxattr
	kFlistxattr
	kListxattr
	kFremovexattr
	kRemovexattr
	kStatx
	kLinkat
	kSymlinkat
	kReadlinkat
	kUnlinkat
	kRenameat2
	kMkdirat
	kOpenat
	kOpenat2
	kClose
	kPread
	kPwrite
	kSplice
	kFchmod
	kFchmodat
	kFchown
	kFchownat
	kFutimens
	kUtimensAt
	kMknodat
	kReadFull  // pread until the buffer is full or the file ends
	kWriteFull // pwrite until all is written
	kRead      // read at the file position
	kWrite     // write at the file position, until all is written
	numKinds
)

// ringOpcodes maps each kind to its io_uring opcode; 0 (NOP) means the ring
// has no such operation and the kind always runs as a direct syscall.
var ringOpcodes = [numKinds]uint8{
	kFallocate: OpFallocate,
	kFadvise:   OpFadvise,
	kFsync:     OpFsync,
	kFgetxattr: OpFgetxattr,
	kGetxattr:  OpGetxattr,
	kFsetxattr: OpFsetxattr,
	kSetxattr:  OpSetxattr,
	kStatx:     OpStatx,
	kLinkat:    OpLinkat,
	kSymlinkat: OpSymlinkat,
	kUnlinkat:  OpUnlinkat,
	kRenameat2: OpRenameat,
	kMkdirat:   OpMkdirat,
	kOpenat:    OpOpenat,
	kOpenat2:   OpOpenat2,
	kClose:     OpClose,
	kPread:     OpRead,
	kPwrite:    OpWrite,
	kSplice:    OpSplice,
	kReadFull:  OpRead,
	kWriteFull: OpWrite,
	kRead:      OpRead,
	kWrite:     OpWrite,
}

// kindNames names each kind after the system call it stands for (RingOps).
var kindNames = [numKinds]string{
	kFallocate: "fallocate", kFadvise: "fadvise", kFsync: "fsync",
	kFgetxattr: "fgetxattr", kGetxattr: "getxattr", kFsetxattr: "fsetxattr", kSetxattr: "setxattr",
	kFlistxattr: "flistxattr", kListxattr: "listxattr", kFremovexattr: "fremovexattr", kRemovexattr: "removexattr",
	kStatx: "statx", kLinkat: "linkat", kSymlinkat: "symlinkat", kReadlinkat: "readlinkat",
	kUnlinkat: "unlinkat", kRenameat2: "renameat2", kMkdirat: "mkdirat",
	kOpenat: "openat", kOpenat2: "openat2", kClose: "close",
	kPread: "pread", kPwrite: "pwrite", kSplice: "splice",
	kFchmod: "fchmod", kFchmodat: "fchmodat", kFchown: "fchown", kFchownat: "fchownat",
	kFutimens: "futimens", kUtimensAt: "utimensat", kMknodat: "mknodat",
	kReadFull: "pread", kWriteFull: "pwrite", kRead: "read", kWrite: "write",
}

const (
	// maxRW mirrors the kernel's MAX_RW_COUNT: reads, writes and splices are
	// clamped to it anyway, and it fits the SQE's 32-bit len.
	maxRW = math.MaxInt32 &^ 4095
	// firstGuess is the first buffer size for xattr values, name lists and
	// link targets: most fit, saving the size query round.
	firstGuess = 256
)

// Op is one file operation, built by a ...Op constructor and executed by Run
// (or by the single-call functions, which build one internally). An Op
// describes itself — syscall, SQE and result handling — and does not know
// how it is dispatched. After Run, Err, N, Value and Names report its result.
//
// An Op owns every buffer the kernel may read or write while it is in flight;
// do not touch its buffers (pread/pwrite slices, Statx_t) until Run returns.
type Op struct {
	kind     kind
	fd, fd2  int // fd or dirfd; fd2: newdirfd or the splice output
	flags    int
	mode     uint32
	off, n   int64
	uid, gid int
	dev      uint64
	s1, s2   string // paths, xattr name (s2) or symlink target (s1)
	buf      []byte // data, xattr value, or the result buffer being sized
	st       *unix.Statx_t
	how      *unix.OpenHow
	ts       *[2]unix.Timespec
	roff     *int64
	woff     *int64
	done     int64 // bytes a ReadFull, WriteFull or Write moved in earlier rounds
	nofollow bool
	sizing   bool // next round asks the kernel for the size (empty buffer)
	bigValue bool // known not to fit firstGuess: the first round asks the size

	// NUL-terminated copies of s1, s2 for the ring; made once, before the
	// first submission, and kept here so the kernel's reads stay valid.
	p1, p2 *byte

	bad   error // argument error found by the constructor
	err   error
	res   int64
	value []byte
	names []string

	rq request
}

// Err returns the operation's error after Run: nil on success, a
// syscall.Errno, or the context's error if the operation did not run.
func (op *Op) Err() error {
	if op == nil {
		return nil
	}
	return op.err
}

// N returns the count result: bytes read, written or spliced, or the new fd
// of an openat.
func (op *Op) N() int {
	if op == nil {
		return 0
	}
	return int(op.res)
}

// Value returns the xattr value or the link target (as bytes).
func (op *Op) Value() []byte {
	if op == nil {
		return nil
	}
	return op.value
}

// Names returns the xattr names of a listxattr.
func (op *Op) Names() []string {
	if op == nil {
		return nil
	}
	return op.names
}

// stop ends op with err (a context's) before it finished: a transfer that
// moved bytes in earlier rounds reports them.
func (op *Op) stop(err error) {
	op.err, op.res = err, op.done
}

// begin clears the results of any previous run and sets up the first round.
func (op *Op) begin() {
	op.err, op.res, op.value, op.names, op.done = op.bad, 0, nil, nil, 0
	switch op.kind {
	case kFgetxattr, kGetxattr, kFlistxattr, kListxattr, kReadlinkat:
		op.buf, op.sizing = make([]byte, firstGuess), false
		if op.bigValue && op.kind != kReadlinkat {
			op.buf, op.sizing, op.n = nil, true, firstGuess
		}
	}
}

// ringOpcode reports the opcode for this op, and false when these arguments
// must go to the direct syscall.
func (op *Op) ringOpcode() (uint8, bool) {
	code := ringOpcodes[op.kind]
	if code == OpNop {
		return 0, false
	}
	switch op.kind {
	case kGetxattr, kSetxattr:
		// IORING_OP_[GS]ETXATTR follow symlinks; there is no l-variant.
		return code, !op.nofollow
	case kFadvise:
		// sqe->len is 32 bits (the 64-bit addr form is 6.7+ only); negative
		// values keep the kernel's own EINVAL.
		return code, op.off >= 0 && op.n >= 0 && op.n <= math.MaxUint32
	case kPread, kPwrite, kReadFull, kWriteFull:
		// In the SQE, offset -1 means "file position", not EINVAL.
		return code, op.off >= 0
	case kSplice:
		// Same: -1 means "no offset"; keep the direct call's EINVAL.
		return code, op.n >= 0 && (op.roff == nil || *op.roff >= 0) && (op.woff == nil || *op.woff >= 0)
	case kStatx:
		return code, op.st != nil
	case kOpenat2:
		return code, op.how != nil
	}
	return code, true
}

// pathKinds take a path even when it is "" (statx with AT_EMPTY_PATH): the
// kernel must get a pointer to a NUL, not NULL.
var pathKinds = [numKinds]bool{
	kGetxattr: true, kSetxattr: true, kStatx: true, kLinkat: true, kSymlinkat: true,
	kUnlinkat: true, kRenameat2: true, kMkdirat: true, kOpenat: true, kOpenat2: true,
	kFgetxattr: true, kFsetxattr: true, // the name
}

// ringArgs makes the NUL-terminated strings the SQE points at.
func (op *Op) ringArgs() error {
	if op.p1 != nil || op.p2 != nil || (op.s1 == "" && op.s2 == "" && !pathKinds[op.kind]) {
		return nil // done already, or no strings: the data path allocates nothing here
	}
	var err error
	if op.p1, err = unix.BytePtrFromString(op.s1); err != nil {
		return err
	}
	op.p2, err = unix.BytePtrFromString(op.s2)
	return err
}

func ptr(p *byte) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

func bufPtr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

// prep fills a zeroed SQE. Field meanings per opcode are from io_uring.h and
// the kernel's prep functions; several reuse fields in surprising ways.
func (op *Op) prep(s *sqe) {
	s.opcode = ringOpcodes[op.kind]
	s.fd = int32(op.fd)
	switch op.kind {
	case kFallocate:
		s.off = uint64(op.off)
		s.addr = uint64(op.n) // the length goes in addr...
		s.len = op.mode       // ...and the mode in len
	case kFadvise:
		s.off = uint64(op.off)
		s.len = uint32(op.n)
		s.opFlags = uint32(op.flags) // fadvise_advice
	case kFsync:
		s.opFlags = uint32(op.flags) // fsync_flags; off=len=0 means the whole file
	case kFgetxattr, kFsetxattr, kGetxattr, kSetxattr:
		s.addr = ptr(op.p2)         // name
		s.off = bufPtr(op.buf)      // addr2: value
		s.len = uint32(len(op.buf)) // size (0: ask for the size)
		if op.kind == kFsetxattr || op.kind == kSetxattr {
			s.opFlags = uint32(op.flags) // xattr_flags; must be 0 for the gets
		}
		if op.kind == kGetxattr || op.kind == kSetxattr {
			s.fd = 0
			s.addr3 = ptr(op.p1) // path
		}
	case kStatx:
		s.addr = ptr(op.p1)
		s.len = op.mode                                // mask
		s.off = uint64(uintptr(unsafe.Pointer(op.st))) // addr2: the statx buffer
		s.opFlags = uint32(op.flags)                   // statx_flags
	case kLinkat, kRenameat2:
		s.addr = ptr(op.p1)          // old path
		s.len = uint32(op.fd2)       // new dirfd travels in len
		s.off = ptr(op.p2)           // addr2: new path
		s.opFlags = uint32(op.flags) // hardlink_flags / rename_flags
	case kSymlinkat:
		s.addr = ptr(op.p1) // target
		s.off = ptr(op.p2)  // addr2: link path, relative to fd
	case kUnlinkat:
		s.addr = ptr(op.p1)
		s.opFlags = uint32(op.flags) // unlink_flags
	case kMkdirat:
		s.addr = ptr(op.p1)
		s.len = op.mode
	case kOpenat:
		s.addr = ptr(op.p1)
		s.len = op.mode
		s.opFlags = uint32(op.flags) // open_flags
	case kOpenat2:
		s.addr = ptr(op.p1)
		s.len = uint32(unsafe.Sizeof(*op.how))
		s.off = uint64(uintptr(unsafe.Pointer(op.how))) // the open_how struct
	case kClose:
	case kPread, kPwrite:
		s.addr = bufPtr(op.buf)
		s.len = uint32(min(len(op.buf), maxRW))
		s.off = uint64(op.off)
	case kReadFull, kWriteFull:
		rest := op.buf[op.done:]
		s.addr = bufPtr(rest)
		s.len = uint32(min(len(rest), maxRW))
		s.off = uint64(op.off + op.done)
	case kRead, kWrite:
		rest := op.buf[op.done:]
		s.addr = bufPtr(rest)
		s.len = uint32(min(len(rest), maxRW))
		s.off = math.MaxUint64 // -1: the file position, which the kernel advances
	case kSplice:
		s.fd = int32(op.fd2) // fd is the output
		s.spliceFdIn = int32(op.fd)
		s.addr = math.MaxUint64 // splice_off_in: -1 = no offset, use the pipe/file position
		if op.roff != nil {
			s.addr = uint64(*op.roff)
		}
		s.off = math.MaxUint64 // off: the output offset, same convention
		if op.woff != nil {
			s.off = uint64(*op.woff)
		}
		s.len = uint32(min(op.n, maxRW))
		s.opFlags = uint32(op.flags) // splice_flags
	}
}

// finishRing records a CQE result; true asks for another round.
func (op *Op) finishRing(res int32) bool {
	if res < 0 {
		return op.finish(0, unix.Errno(-res))
	}
	if op.kind == kSplice && res > 0 {
		// The direct call advances the caller's offsets; the SQE carried copies.
		if op.roff != nil {
			*op.roff += int64(res)
		}
		if op.woff != nil {
			*op.woff += int64(res)
		}
	}
	return op.finish(int64(res), nil)
}

// finish records a result, shared by both engines. It returns true when the
// op needs another round (a buffer that was too small).
func (op *Op) finish(r int64, err error) bool {
	switch op.kind {
	case kFgetxattr, kGetxattr, kFlistxattr, kListxattr:
		if op.sizing {
			op.sizing = false
			if err == nil && r == 0 {
				op.buf = op.buf[:0]
				break
			}
			if err == nil {
				// Grow at least 2x per round, so a value that keeps growing
				// ends at the 64 KiB cap, where the kernel says E2BIG, not ERANGE.
				op.buf = make([]byte, max(r, 2*op.n))
				return true
			}
		} else if err == unix.ERANGE {
			// ERANGE: the value is bigger than our buffer (or grew since the
			// size query): ask for the size, then fetch again.
			op.sizing, op.n, op.buf = true, int64(len(op.buf)), nil
			return true
		}
	case kReadlinkat:
		if err == nil && r >= int64(len(op.buf)) {
			// A full buffer may be a truncated target.
			op.buf = make([]byte, 2*len(op.buf))
			return true
		}
	case kReadFull, kWriteFull, kWrite:
		if err == nil && r > 0 && op.done+r < int64(len(op.buf)) {
			op.done += r // a short transfer: the rest in another round
			return true
		}
		if err != nil {
			op.res = op.done // what moved before the error
		} else {
			r += op.done
		}
	case kClose:
		if err == unix.EINTR {
			// Linux releases the fd even when close reports EINTR; retrying
			// could close an fd another goroutine just opened.
			err = nil
		}
	}
	op.err = err
	if err != nil {
		return false
	}
	op.res = r
	switch op.kind {
	case kFgetxattr, kGetxattr, kReadlinkat:
		op.value = op.buf[:r:r]
	case kFlistxattr, kListxattr:
		op.names = splitNames(op.buf[:r])
	}
	return false
}

func splitNames(b []byte) []string {
	var names []string
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if i > 0 {
			names = append(names, string(b[:i]))
		}
		if i < len(b) {
			i++
		}
		b = b[i:]
	}
	return names
}

// direct makes one attempt as a plain syscall.
func (op *Op) direct() (int64, error) {
	var n int
	var err error
	switch op.kind {
	case kFallocate:
		err = unix.Fallocate(op.fd, op.mode, op.off, op.n)
	case kFadvise:
		err = unix.Fadvise(op.fd, op.off, op.n, op.flags)
	case kFsync:
		if op.flags&fsyncDatasync != 0 {
			err = unix.Fdatasync(op.fd)
		} else {
			err = unix.Fsync(op.fd)
		}
	case kFgetxattr:
		n, err = unix.Fgetxattr(op.fd, op.s2, op.buf)
	case kGetxattr:
		if op.nofollow {
			n, err = unix.Lgetxattr(op.s1, op.s2, op.buf)
		} else {
			n, err = unix.Getxattr(op.s1, op.s2, op.buf)
		}
	case kFsetxattr:
		err = unix.Fsetxattr(op.fd, op.s2, op.buf, op.flags)
	case kSetxattr:
		if op.nofollow {
			err = unix.Lsetxattr(op.s1, op.s2, op.buf, op.flags)
		} else {
			err = unix.Setxattr(op.s1, op.s2, op.buf, op.flags)
		}
	case kFlistxattr:
		n, err = unix.Flistxattr(op.fd, op.buf)
	case kListxattr:
		if op.nofollow {
			n, err = unix.Llistxattr(op.s1, op.buf)
		} else {
			n, err = unix.Listxattr(op.s1, op.buf)
		}
	case kFremovexattr:
		err = unix.Fremovexattr(op.fd, op.s2)
	case kRemovexattr:
		if op.nofollow {
			err = unix.Lremovexattr(op.s1, op.s2)
		} else {
			err = unix.Removexattr(op.s1, op.s2)
		}
	case kStatx:
		if op.st == nil {
			return 0, unix.EFAULT
		}
		err = unix.Statx(op.fd, op.s1, op.flags, int(op.mode), op.st)
	case kLinkat:
		err = unix.Linkat(op.fd, op.s1, op.fd2, op.s2, op.flags)
	case kSymlinkat:
		err = unix.Symlinkat(op.s1, op.fd, op.s2)
	case kReadlinkat:
		n, err = unix.Readlinkat(op.fd, op.s1, op.buf)
	case kUnlinkat:
		err = unix.Unlinkat(op.fd, op.s1, op.flags)
	case kRenameat2:
		err = unix.Renameat2(op.fd, op.s1, op.fd2, op.s2, uint(op.flags))
	case kMkdirat:
		err = unix.Mkdirat(op.fd, op.s1, op.mode)
	case kOpenat:
		n, err = unix.Openat(op.fd, op.s1, op.flags, op.mode)
	case kOpenat2:
		if op.how == nil {
			return 0, unix.EFAULT
		}
		n, err = unix.Openat2(op.fd, op.s1, op.how)
	case kClose:
		err = unix.Close(op.fd)
	case kPread:
		n, err = unix.Pread(op.fd, op.buf, op.off)
	case kPwrite:
		n, err = unix.Pwrite(op.fd, op.buf, op.off)
	case kReadFull:
		n, err = unix.Pread(op.fd, op.buf[op.done:], op.off+op.done)
	case kWriteFull:
		n, err = unix.Pwrite(op.fd, op.buf[op.done:], op.off+op.done)
	case kRead:
		n, err = unix.Read(op.fd, op.buf)
	case kWrite:
		n, err = unix.Write(op.fd, op.buf[op.done:])
	case kSplice:
		// x/sys returns int on 32-bit platforms and int64 elsewhere.
		m, e := unix.Splice(op.fd, op.roff, op.fd2, op.woff, int(min(op.n, maxRW)), op.flags)
		return int64(m), e
	case kFchmod:
		err = unix.Fchmod(op.fd, op.mode)
	case kFchmodat:
		err = unix.Fchmodat(op.fd, op.s1, op.mode, op.flags)
	case kFchown:
		err = unix.Fchown(op.fd, op.uid, op.gid)
	case kFchownat:
		err = unix.Fchownat(op.fd, op.s1, op.uid, op.gid, op.flags)
	case kFutimens:
		err = utimensat(op.fd, nil, op.ts, 0)
	case kUtimensAt:
		var p *byte
		if p, err = unix.BytePtrFromString(op.s1); err == nil {
			err = utimensat(op.fd, p, op.ts, op.flags)
		}
	case kMknodat:
		err = unix.Mknodat(op.fd, op.s1, op.mode, int(op.dev))
	default:
		err = unix.EINVAL
	}
	return int64(n), err
}

// utimensat is the raw call: x/sys has no form taking a NULL path (futimens)
// or a nil times pointer (both "now").
func utimensat(dirfd int, path *byte, ts *[2]unix.Timespec, flags int) error {
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(dirfd), uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(ts)), uintptr(flags), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
