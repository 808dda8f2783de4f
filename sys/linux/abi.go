//go:build linux

package linux

import "unsafe"

// Kernel ABI of io_uring, from include/uapi/linux/io_uring.h. Only what this
// package uses is declared.

// Opcodes (enum io_uring_op). Values are fixed by the kernel ABI.
const (
	OpNop         uint8 = 0
	OpFsync       uint8 = 3
	opPollAdd     uint8 = 6 // the reaper's wakeup; not an Op kind
	OpAsyncCancel uint8 = 14
	OpFallocate   uint8 = 17
	OpOpenat      uint8 = 18
	OpClose       uint8 = 19
	OpStatx       uint8 = 21
	OpRead        uint8 = 22
	OpWrite       uint8 = 23
	OpFadvise     uint8 = 24
	OpOpenat2     uint8 = 28
	OpSplice      uint8 = 30
	OpRenameat    uint8 = 35
	OpUnlinkat    uint8 = 36
	OpMkdirat     uint8 = 37
	OpSymlinkat   uint8 = 38
	OpLinkat      uint8 = 39
	OpFsetxattr   uint8 = 41
	OpSetxattr    uint8 = 42
	OpFgetxattr   uint8 = 43
	OpGetxattr    uint8 = 44
)

const (
	setupClamp     = 1 << 4 // IORING_SETUP_CLAMP: clamp entries instead of EINVAL
	setupCQSize    = 1 << 3 // IORING_SETUP_CQSIZE: cq_entries sizes the CQ
	setupSubmitAll = 1 << 7 // IORING_SETUP_SUBMIT_ALL (5.18): go on past an SQE that fails

	featSingleMmap = 1 << 0  // IORING_FEAT_SINGLE_MMAP: SQ and CQ rings share one mapping
	featNoDrop     = 1 << 1  // IORING_FEAT_NODROP
	featMinTimeout = 1 << 15 // IORING_FEAT_MIN_TIMEOUT (6.12)

	enterGetEvents = 1 << 0 // IORING_ENTER_GETEVENTS

	cqEventfdDisabled = 1 << 0 // IORING_CQ_EVENTFD_DISABLED, in the CQ ring's flags
	sqCQOverflow      = 1 << 1 // IORING_SQ_CQ_OVERFLOW, in the SQ ring's flags

	offSQRing = 0          // IORING_OFF_SQ_RING
	offCQRing = 0x8000000  // IORING_OFF_CQ_RING
	offSQEs   = 0x10000000 // IORING_OFF_SQES

	registerEventfd        = 4  // IORING_REGISTER_EVENTFD
	registerProbe          = 8  // IORING_REGISTER_PROBE
	registerIOWQMaxWorkers = 19 // IORING_REGISTER_IOWQ_MAX_WORKERS

	probeOpSupported = 1 << 0 // IO_URING_OP_SUPPORTED

	fsyncDatasync = 1 << 0 // IORING_FSYNC_DATASYNC
)

// sqe is struct io_uring_sqe (64 bytes). Field names follow the first member
// of each kernel union; the per-op meaning is spelled out where it is filled.
type sqe struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64 // off | addr2
	addr        uint64 // addr | splice_off_in
	len         uint32
	opFlags     uint32 // rw_flags | fsync_flags | open_flags | statx_flags | ...
	userData    uint64
	bufIndex    uint16
	personality uint16
	spliceFdIn  int32 // splice_fd_in | file_index
	addr3       uint64
	_           uint64
}

// cqe is struct io_uring_cqe (16 bytes; no CQE32).
type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// params is struct io_uring_params.
type params struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  sqringOffsets
	cqOff                                                                  cqringOffsets
}

// probeHdr is struct io_uring_probe without its flexible ops array; each
// struct io_uring_probe_op that follows is 8 bytes: op, resv, flags(u16), resv2(u32).
type probeHdr struct {
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
}

// The kernel ABI sizes; a wrong layout fails the build.
var (
	_ [64 - unsafe.Sizeof(sqe{})]byte
	_ [unsafe.Sizeof(sqe{}) - 64]byte
	_ [16 - unsafe.Sizeof(cqe{})]byte
	_ [unsafe.Sizeof(cqe{}) - 16]byte
	_ [120 - unsafe.Sizeof(params{})]byte
	_ [unsafe.Sizeof(params{}) - 120]byte
	_ [16 - unsafe.Sizeof(probeHdr{})]byte
)
