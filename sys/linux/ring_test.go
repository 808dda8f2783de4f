//go:build linux

package linux

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// requireRing skips when io_uring is unavailable, unless EXTFS_REQUIRE_IO_URING
// is set (CI on a kernel that has it must not skip silently).
func requireRing(t testing.TB) {
	t.Helper()
	if getRing() != nil {
		return
	}
	if os.Getenv("EXTFS_REQUIRE_IO_URING") != "" {
		t.Fatal("io_uring unavailable but EXTFS_REQUIRE_IO_URING is set")
	}
	t.Skip("io_uring unavailable")
}

// newTestRing makes a private ring, closed at cleanup.
func newTestRing(t testing.TB, entries uint32) *ring {
	t.Helper()
	requireRing(t)
	r, err := newRing(entries)
	if err != nil {
		t.Fatalf("newRing: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRingNop(t *testing.T) {
	r := newTestRing(t, 8)
	for i := 0; i < 3; i++ {
		res, err := r.do(nopOp{})
		if err != nil || res != 0 {
			t.Fatalf("nop = %d, %v; want 0, nil", res, err)
		}
	}
	if got := r.submitted.Load(); got != 3 {
		t.Errorf("submitted %d SQEs, want 3", got)
	}
}

func TestRingProbe(t *testing.T) {
	requireRing(t)
	for _, op := range []uint8{OpNop, OpFsync, OpStatx, OpOpenat, OpFallocate, OpFgetxattr, OpAsyncCancel} {
		if !RingSupports(op) {
			t.Errorf("RingSupports(%d) = false on Linux %s", op, kernelRelease())
		}
	}
	if RingSupports(255) {
		t.Error("RingSupports(255) = true")
	}
}

// TestRingOps: one entry per kind with an opcode, named, each agreeing with
// RingSupports and autoRing; with no ring nothing is supported.
func TestRingOps(t *testing.T) {
	for k := kind(1); k < numKinds; k++ {
		if kindNames[k] == "" {
			t.Errorf("kind %d has no name", k)
		}
	}
	check := func(t *testing.T, ring bool) {
		ops := RingOps()
		want := 0
		for k, code := range ringOpcodes {
			if code != OpNop && kind(k) != kReadFull && kind(k) != kWriteFull {
				want++
			}
		}
		if len(ops) != want {
			t.Errorf("%d entries, want %d (kinds with an opcode, less the pread/pwrite loops)", len(ops), want)
		}
		names := map[string]RingOp{}
		for _, op := range ops {
			if _, dup := names[op.Name]; op.Name == "" || dup {
				t.Errorf("name %q empty or repeated", op.Name)
			}
			names[op.Name] = op
			if op.Opcode == OpNop {
				t.Errorf("%s: opcode NOP", op.Name)
			}
			if op.Supported != RingSupports(op.Opcode) {
				t.Errorf("%s: Supported %v, RingSupports(%d) %v", op.Name, op.Supported, op.Opcode, RingSupports(op.Opcode))
			}
			if op.Supported && !ring {
				t.Errorf("%s: Supported with the ring off", op.Name)
			}
			if op.Batched && !op.Supported {
				t.Errorf("%s: Batched but not Supported", op.Name)
			}
		}
		for k := kind(1); k < numKinds; k++ {
			if ringOpcodes[k] == OpNop {
				continue
			}
			op, ok := names[kindNames[k]]
			if !ok || op.Opcode != ringOpcodes[k] {
				t.Errorf("kind %s: entry %+v (%v), want opcode %d", kindNames[k], op, ok, ringOpcodes[k])
			}
			if op.Batched != (autoRing[k] && op.Supported) {
				t.Errorf("%s: Batched %v, autoRing %v", op.Name, op.Batched, autoRing[k])
			}
		}
	}
	t.Run("ring", func(t *testing.T) {
		requireRing(t)
		check(t, true)
	})
	t.Run("noring", func(t *testing.T) {
		ringOff.Store(true)
		t.Cleanup(func() { ringOff.Store(false) })
		check(t, false)
	})
}

func kernelRelease() string {
	var u unix.Utsname
	unix.Uname(&u)
	return unix.ByteSliceToString(u.Release[:])
}

// 10,000 NOPs from 64 goroutines on a small ring: exercises the in-flight
// bound (slots) and concurrent submitters.
func TestRingManyNops(t *testing.T) {
	r := newTestRing(t, 16)
	const goroutines, total = 64, 10000
	var done atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < total; i += goroutines {
				if res, err := r.do(nopOp{}); err != nil || res != 0 {
					t.Errorf("nop = %d, %v", res, err)
					return
				}
				done.Add(1)
			}
		}(g)
	}
	wg.Wait()
	if done.Load() != total {
		t.Fatalf("%d NOPs completed, want %d", done.Load(), total)
	}
	left := 0
	for i := range r.slots {
		if r.slots[i].Load() != nil {
			left++
		}
	}
	if left != 0 || len(r.free) != cap(r.free) {
		t.Errorf("after all CQEs: %d in flight, %d slots held", left, cap(r.free)-len(r.free))
	}
}

// readOp reads from fd into its own buffer (a pipe: completes when written).
type readOp struct {
	fd  int
	buf []byte
}

func (o *readOp) prep(s *sqe) {
	s.opcode = OpRead
	s.fd = int32(o.fd)
	s.addr = bufPtr(o.buf)
	s.len = uint32(len(o.buf))
}

// Completions arrive in another order than submission; each must reach its
// own request.
func TestRingOutOfOrder(t *testing.T) {
	r := newTestRing(t, 8)
	const n = 4
	var pipes [n][2]int
	for i := range pipes {
		if err := unix.Pipe2(pipes[i][:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(pipes[i][0])
		defer unix.Close(pipes[i][1])
	}
	done := make(chan *request, n+1)
	reqs := make([]*request, n+1)
	for i := 0; i < n; i++ {
		reqs[i] = &request{src: &readOp{fd: pipes[i][0], buf: make([]byte, 16)}, done: done}
	}
	reqs[n] = &request{src: nopOp{}, done: done}
	if k, err := r.submit(reqs, nil); k != n+1 || err != nil {
		t.Fatalf("submit = %d, %v", k, err)
	}
	if first := <-done; first != reqs[n] {
		t.Fatalf("first completion is not the NOP")
	}
	// Write in reverse order, i+1 bytes to pipe i.
	for i := n - 1; i >= 0; i-- {
		msg := make([]byte, i+1)
		for j := range msg {
			msg[j] = byte('a' + i)
		}
		unix.Write(pipes[i][1], msg)
		rq := <-done
		if rq != reqs[i] {
			t.Fatalf("completion for pipe %d delivered to another request", i)
		}
		ro := rq.src.(*readOp)
		if int(rq.res) != i+1 || string(ro.buf[:rq.res]) != string(msg) {
			t.Errorf("pipe %d: res %d, data %q; want %d, %q", i, rq.res, ro.buf[:max(rq.res, 0)], i+1, msg)
		}
	}
}

// The reaper and submitters must survive signals (Go's preemption SIGURG),
// GC and scheduling churn while they wait.
func TestRingEINTR(t *testing.T) {
	r := newTestRing(t, 32)
	stop := make(chan struct{})
	var spin sync.WaitGroup
	for i := 0; i < 2; i++ { // CPU-bound goroutines force async preemption signals
		spin.Add(1)
		go func() {
			defer spin.Done()
			x := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				for j := 0; j < 1e6; j++ {
					x += j
				}
				runtime.Gosched()
			}
		}()
	}
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	deadline := time.Now().Add(500 * time.Millisecond)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var st unix.Statx_t
			for i := 0; time.Now().Before(deadline); i++ {
				if i%50 == 0 {
					runtime.GC()
				}
				op := StatxOp(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &st)
				op.begin()
				if !op.runRing(r) || op.err != nil {
					t.Errorf("statx on ring: ran=%v err=%v", op.err == nil, op.err)
					return
				}
				runtime.Gosched()
			}
		}(g)
	}
	// Also idle periods: the reaper waits alone while signals arrive.
	time.Sleep(100 * time.Millisecond)
	wg.Wait()
	close(stop)
	spin.Wait()
	if res, err := r.do(nopOp{}); err != nil || res != 0 {
		t.Fatalf("nop after churn = %d, %v", res, err)
	}
}

func TestRingClose(t *testing.T) {
	requireRing(t)
	before := runtime.NumGoroutine()
	r, err := newRing(8)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				r.do(nopOp{})
			}
		}()
	}
	wg.Wait()
	fd := r.fd
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.do(nopOp{}); err != errRingClosed {
		t.Errorf("do after Close: %v, want errRingClosed", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
		t.Errorf("ring fd still open after Close (fcntl: %v)", err)
	}
	waitGoroutines(t, before)
}

// waitGoroutines fails if the goroutine count does not come back to want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if runtime.NumGoroutine() <= want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
}

// With one SQ entry every op reuses SQE slot 0. Ops whose prep rejects
// nonzero fields (fsync: addr; fallocate: rw_flags) must not see the last op's.
func TestRingSQEZeroed(t *testing.T) {
	r := newTestRing(t, 1)
	if r.sqEntries != 1 {
		t.Fatalf("sqEntries = %d, want 1", r.sqEntries)
	}
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	var st unix.Statx_t
	ops := []*Op{
		FallocateOp(fd, unix.FALLOC_FL_KEEP_SIZE|unix.FALLOC_FL_PUNCH_HOLE, 4096, 1<<20), // sets addr, len, off
		FsyncOp(fd, true), // kernel: EINVAL if addr != 0
		StatxOp(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_ALL, &st), // sets statx_flags
		FallocateOp(fd, 0, 0, 8192), // kernel: EINVAL if rw_flags != 0
		SetxattrOp(fsenum.XattrAt{Fd: fd}, "user.z", []byte("v"), 0),
		FsyncOp(fd, false),
	}
	for i, op := range ops {
		op.begin()
		if !op.runRing(r) {
			t.Fatalf("op %d did not run on the ring", i)
		}
		if op.err != nil {
			t.Errorf("op %d (kind %d): %v", i, op.kind, op.err)
		}
	}
	if st.Ino == 0 {
		t.Error("statx did not fill the buffer")
	}
	var fst unix.Stat_t
	unix.Fstat(fd, &fst)
	if fst.Size != 8192 {
		t.Errorf("size after fallocate = %d, want 8192", fst.Size)
	}
}

func TestSQELayout(t *testing.T) {
	var s sqe
	for _, c := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"fd", unsafe.Offsetof(s.fd), 4},
		{"off", unsafe.Offsetof(s.off), 8},
		{"addr", unsafe.Offsetof(s.addr), 16},
		{"len", unsafe.Offsetof(s.len), 24},
		{"op_flags", unsafe.Offsetof(s.opFlags), 28},
		{"user_data", unsafe.Offsetof(s.userData), 32},
		{"splice_fd_in", unsafe.Offsetof(s.spliceFdIn), 44},
		{"addr3", unsafe.Offsetof(s.addr3), 48},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s = %d, want %d", c.name, c.got, c.want)
		}
	}
	var p params
	if off := unsafe.Offsetof(p.sqOff); off != 40 {
		t.Errorf("offset of sq_off = %d, want 40", off)
	}
}

// Every slot busy and CQEs posted as fast as NOPs go: the CQ must never be
// full when a CQE comes (the kernel would keep it, and all later ones, on
// its overflow list, waking nobody), and every request must complete.
func TestRingFullCQ(t *testing.T) {
	r := newTestRing(t, 2) // the smallest CQ the kernel makes: many goroutines fill it
	var ops atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 96 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if res, err := r.do(nopOp{}); err != nil || res != 0 {
					t.Errorf("nop = %d, %v", res, err)
					return
				}
				ops.Add(1)
			}
		}()
	}
	last := int64(-1)
	for range 8 {
		time.Sleep(100 * time.Millisecond)
		n := ops.Load()
		if n == last {
			t.Errorf("no completion for 100 ms after %d NOPs (CQ head %d, tail %d)", n, atomic.LoadUint32(r.cqHead), atomic.LoadUint32(r.cqTail))
			r.enter(0, 0, enterGetEvents) // move the kernel's overflow list in, so the test can end
			break
		}
		last = n
	}
	close(stop)
	wg.Wait()
}

// Close cancels what only a cancel can end (a read of an empty pipe)
// instead of waiting for it for ever; the request learns it was cancelled.
func TestRingCloseCancels(t *testing.T) {
	requireRing(t)
	r, err := newRing(4)
	if err != nil {
		t.Fatal(err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	rq := &request{src: &readOp{fd: p[0], buf: make([]byte, 1)}, done: make(chan *request, 1)}
	if _, err := r.submit([]*request{rq}, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		unix.Write(p[1], []byte{1})
		<-done
		t.Fatal("Close waited for a read of an empty pipe")
	}
	if got := <-rq.done; -got.res != int32(unix.ECANCELED) && -got.res != int32(unix.EINTR) {
		t.Errorf("cancelled read: res %d, want -ECANCELED", got.res)
	}
}

// With every ordinary slot held by reads of empty pipes, a cancel still
// finds a slot of its own.
func TestRingCancelWhenFull(t *testing.T) {
	r := newTestRing(t, 2)
	n := cap(r.free)
	pipes := make([][2]int, n)
	done := make(chan *request, n)
	reqs := make([]*request, n)
	for i := range pipes {
		if err := unix.Pipe2(pipes[i][:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(pipes[i][0])
		defer unix.Close(pipes[i][1])
		reqs[i] = &request{src: &readOp{fd: pipes[i][0], buf: make([]byte, 1)}, done: done}
	}
	if k, err := r.submit(reqs, nil); k != n || err != nil {
		t.Fatalf("submit = %d, %v", k, err)
	}
	cancelled := make(chan struct{})
	go func() { r.cancel(reqs); close(cancelled) }()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		for i := range pipes {
			unix.Write(pipes[i][1], []byte{1})
		}
		t.Fatal("cancel found no slot with every ordinary slot in use")
	}
	for range n {
		<-done
	}
}
