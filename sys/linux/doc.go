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
// call is several times cheaper that way — except when 2*GOMAXPROCS
// goroutines are already in this package's direct calls (see admit in
// engine.go), so that thousands of concurrent fsyncs or cold reads do not
// pin thousands of OS threads, and for the reads of a Run that must wait for
// the disk, which go to the ring together.
//
// If io_uring cannot be set up (old kernel, io_uring_disabled=2, seccomp,
// gVisor), everything silently uses direct syscalls.
//
// # The ring
//
// One ring (ring.go) is shared by all goroutines. A goroutine writes its
// own SQEs and calls io_uring_enter to submit them, without waiting; what
// completed during that call is reaped at once, so an inline op (a cached
// read, an open) never parks. Later completions signal an eventfd that a
// reaper goroutine watches through the runtime's network poller, and each
// waiter is woken by a channel send, matched by a slot and generation in
// user_data. The eventfd is switched off while nothing waits. io-wq worker
// pools are per submitting thread; iowqMaxWorkers bounds each of them.
// Everything the kernel reads or writes is referenced from the request in
// its slot until its CQE is reaped. Requests in flight are bounded by the CQ
// size (a free slot is the right to submit), so the CQ cannot overflow.
//
// Limits: the listxattr, removexattr, readlink, chmod, chown, utimens and
// mknod calls and all nofollow (l*) xattr calls have no io_uring opcode and
// always run as direct syscalls. RingOps lists the ops that have
// one, whether the kernel's ring supports each, and which EngineAuto batches.
package linux
