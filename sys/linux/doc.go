//go:build linux

// Package linux runs file operations on Linux, either as direct syscalls
// (golang.org/x/sys/unix) or on a process-wide io_uring ring of its own,
// without cgo.
//
// Every error is the raw syscall.Errno (or a context error from Run); callers
// wrap it. File descriptors are plain ints that the caller keeps open for the
// duration of the call.
//
// # Engines
//
// SetEngine (initially from EXTFS_ENGINE) picks the engine: EngineSyscall
// makes direct syscalls only; EngineRing uses the ring for every op it
// supports; EngineAuto (the default) makes direct syscalls — one blocking
// call is several times cheaper that way — except where measurement says the
// ring wins (see autoRing in run.go) and when 2*GOMAXPROCS goroutines are
// already in this package's direct calls (see admit in engine.go), so that
// thousands of concurrent fsyncs do not pin thousands of OS threads.
//
// If io_uring cannot be set up (old kernel, io_uring_disabled=2, seccomp,
// gVisor), everything silently uses direct syscalls.
//
// # The ring
//
// One ring (ring.go) is shared by all goroutines. Submitters queue requests
// and wake one reaper goroutine (locked to its thread, woken through an
// eventfd it polls on the ring); it alone calls io_uring_enter, to submit and
// to wait, reads the CQ and wakes each waiter, matched by a sequence number
// in user_data. io-wq worker pools are per submitting thread, so one
// submitter means one pool of NumCPU workers for the whole process. The
// price: a ring op pays one more cross-thread wakeup (on this 2 vCPU VM a
// NOP round trip went from 2 µs to ~50 µs, a ring statx from ~22 µs to
// ~80 µs); EngineAuto's single calls do not use the ring unless crowded.
// Everything the kernel reads or writes is referenced from the in-flight
// request until its CQE is reaped.
// Requests in flight are bounded by the CQ size, so the CQ cannot overflow.
//
// Limits: Flistxattr, Listxattr, the removexattr, readlink, chmod, chown,
// utimens and mknod calls and all nofollow (l*) xattr calls have no io_uring
// opcode and always run as direct syscalls. RingOps lists the ops that have
// one, whether the kernel's ring supports each, and which EngineAuto batches.
package linux
