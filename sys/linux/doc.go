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
// ring wins (see autoRing in run.go) and when many goroutines are already
// blocked in this package, so that thousands of concurrent fsyncs do not pin
// thousands of OS threads.
//
// If io_uring cannot be set up (old kernel, io_uring_disabled=2, seccomp,
// gVisor), everything silently uses direct syscalls.
//
// # The ring
//
// One ring (ring.go) is shared by all goroutines: submitters fill SQEs under
// a mutex, and one reaper goroutine reads the CQ and wakes each waiter,
// matched by a sequence number in user_data. Everything the kernel reads or
// writes is referenced from the in-flight request until its CQE is reaped.
// Requests in flight are bounded by the CQ size, so the CQ cannot overflow.
//
// Limits: Flistxattr, Listxattr, the removexattr, readlink, chmod, chown,
// utimens and mknod calls and all nofollow (l*) xattr calls have no io_uring
// opcode and always run as direct syscalls.
package linux
