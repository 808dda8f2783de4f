package windows

// Tests of the clone rules that need no system call (clonesafe.go): they
// run on every system, with fake clone calls and fake sources.

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestCloneLimit(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{syscall.Errno(347), true},
		{os.NewSyscallError("FSCTL_DUPLICATE_EXTENTS_TO_FILE", syscall.Errno(347)), true},
		{fmt.Errorf("clone: %w", syscall.Errno(347)), true},
		{syscall.Errno(50), false}, // ERROR_NOT_SUPPORTED
		{syscall.Errno(87), false}, // ERROR_INVALID_PARAMETER
		{&UnsupportedError{What: "block cloning", Err: syscall.Errno(50)}, false},
	} {
		if got := CloneLimit(tt.err); got != tt.want {
			t.Errorf("CloneLimit(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// fakeCalls records a plan's calls, and fails the chunk at failAt.
type fakeCalls struct {
	log    []string
	failAt int64 // a chunk's DstOff; -1: none
	err    error
}

func (f *fakeCalls) SetSize(n int64) error {
	f.log = append(f.log, fmt.Sprintf("size %d", n))
	return nil
}

func (f *fakeCalls) Duplicate(c CloneChunk) error {
	f.log = append(f.log, fmt.Sprintf("dup %d->%d+%d", c.SrcOff, c.DstOff, c.Len))
	if c.DstOff == f.failAt {
		return f.err
	}
	return nil
}

func TestRunPlan(t *testing.T) {
	const k4 = 4 << 10
	limit := syscall.Errno(347)
	for _, tt := range []struct {
		name                     string
		srcOff, dstOff, n        int64
		srcSize, dstSize, maxCh  int64
		failAt                   int64
		err                      error
		want                     []string
		wantLimit, wantNoWrapped bool
	}{
		{name: "whole file, tail rounded up and cut back", n: 10000, srcSize: 10000, maxCh: 2 * k4, failAt: -1,
			want: []string{"size 12288", "dup 0->0+8192", "dup 8192->8192+4096", "size 10000"}},
		{name: "inside the destination: no size calls", srcOff: k4, dstOff: 2 * k4, n: k4, srcSize: 4 * k4, dstSize: 4 * k4, failAt: -1,
			want: []string{"dup 4096->8192+4096"}},
		{name: "reference limit in the second chunk: size put back to what was cloned", n: 3 * k4, srcSize: 3 * k4, dstSize: 0, maxCh: k4,
			failAt: k4, err: limit, wantLimit: true,
			want: []string{"size 12288", "dup 0->0+4096", "dup 4096->4096+4096", "size 4096"}},
		{name: "reference limit in the first chunk of a growing range", dstOff: 2 * k4, n: k4, srcSize: k4, dstSize: k4, maxCh: k4,
			failAt: 2 * k4, err: limit, wantLimit: true,
			want: []string{"size 12288", "dup 0->8192+4096", "size 4096"}},
		{name: "unsupported is passed on as it is", n: k4, srcSize: k4, failAt: 0,
			err: &UnsupportedError{What: "block cloning", Err: syscall.Errno(50)}, wantNoWrapped: true,
			want: []string{"size 4096", "dup 0->0+4096", "size 0"}},
	} {
		plan, err := PlanClone(tt.srcOff, tt.dstOff, tt.n, tt.srcSize, tt.dstSize, k4, tt.maxCh)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		f := &fakeCalls{failAt: tt.failAt, err: tt.err}
		err = RunPlan(f, plan, tt.dstSize)
		if !reflect.DeepEqual(f.log, tt.want) {
			t.Errorf("%s: calls\n %q\nwant\n %q", tt.name, f.log, tt.want)
		}
		if (err != nil) != (tt.err != nil) || !errors.Is(err, tt.err) {
			t.Errorf("%s: RunPlan = %v, want %v", tt.name, err, tt.err)
		}
		if CloneLimit(err) != tt.wantLimit {
			t.Errorf("%s: CloneLimit(%v) = %v", tt.name, err, !tt.wantLimit)
		}
		var se *os.SyscallError
		if tt.err != nil && errors.As(err, &se) == tt.wantNoWrapped {
			t.Errorf("%s: %v: wrapped in an os.SyscallError: %v, want %v", tt.name, err, !tt.wantNoWrapped, tt.wantNoWrapped)
		}
	}
}

// fakeSource is a clone source whose writes, flushes and clones are
// recorded. dirty is true from a write to the next flush.
type fakeSource struct {
	key      FileKey
	writable bool
	flushErr error

	mu       sync.Mutex
	stamp    Stamp
	dirty    bool
	flushes  int
	clones   int
	badClone int // clones of a dirty source
	log      []string

	inFlight, maxInFlight atomic.Int32
}

func newFakeSource(id byte) *fakeSource {
	s := &fakeSource{key: FileKey{Volume: 7}, dirty: true}
	s.key.ID[0] = id
	return s
}

func (s *fakeSource) Key() (FileKey, error) { return s.key, nil }

func (s *fakeSource) State() (Stamp, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stamp, s.writable, nil
}

func (s *fakeSource) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "flush")
	if s.flushErr != nil {
		return s.flushErr
	}
	s.flushes++
	s.dirty = false
	return nil
}

// write changes the source as a write would: new times, dirty data.
func (s *fakeSource) write() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "write")
	s.stamp.WriteTime++
	s.stamp.ChangeTime++
	s.dirty = true
}

// clone is the clone call: it records its overlap with the source's other
// clones, and waits for wait, if not nil.
func (s *fakeSource) clone(wait func()) error {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	s.log = append(s.log, "clone")
	s.clones++
	if s.dirty {
		s.badClone++
	}
	s.mu.Unlock()
	if wait != nil {
		wait()
	}
	time.Sleep(50 * time.Microsecond) // widen the window in which an overlap would show
	return nil
}

// TestSourcesFlush: a source is flushed before its first clone, not again
// while unchanged, and again after a write; a source cloned through a
// handle open for writing is flushed every time; a failed flush is not
// remembered and does not stop the clone.
func TestSourcesFlush(t *testing.T) {
	var s Sources
	s.Max = 16
	src := newFakeSource(1)
	clone := func() {
		t.Helper()
		if err := s.Clone(src, func() error { return src.clone(nil) }); err != nil {
			t.Fatal(err)
		}
	}
	clone()
	clone()
	clone()
	src.write()
	clone()
	clone()
	want := []string{"flush", "clone", "clone", "clone", "write", "flush", "clone", "clone"}
	if !reflect.DeepEqual(src.log, want) {
		t.Errorf("log %q, want %q", src.log, want)
	}

	w := newFakeSource(2)
	w.writable = true
	for range 3 {
		if err := s.Clone(w, func() error { return w.clone(nil) }); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"flush", "clone", "flush", "clone", "flush", "clone"}; !reflect.DeepEqual(w.log, want) {
		t.Errorf("writable handle: log %q, want %q", w.log, want)
	}

	ro := newFakeSource(3)
	ro.flushErr = syscall.Errno(5) // ERROR_ACCESS_DENIED: a read-only file
	for range 2 {
		if err := s.Clone(ro, func() error { return ro.clone(nil) }); err != nil {
			t.Fatalf("a failed flush stopped the clone: %v", err)
		}
	}
	if want := []string{"flush", "clone", "flush", "clone"}; !reflect.DeepEqual(ro.log, want) {
		t.Errorf("failing flush: log %q, want %q", ro.log, want)
	}

	// The zero Sources remembers nothing: every clone flushes.
	var zero Sources
	z := newFakeSource(4)
	for range 2 {
		zero.Clone(z, func() error { return z.clone(nil) })
	}
	if z.flushes != 2 {
		t.Errorf("zero Sources: %d flushes for 2 clones, want 2", z.flushes)
	}

	// The clone's error is returned; a Key error stops before any call.
	boom := errors.New("boom")
	if err := s.Clone(src, func() error { return boom }); err != boom {
		t.Errorf("Clone = %v, want the clone's error", err)
	}
}

// TestSourcesBounded: past Max sources, a record is forgotten, which costs
// a flush more, never a missed one.
func TestSourcesBounded(t *testing.T) {
	s := Sources{Max: 3}
	var srcs []*fakeSource
	for i := range 10 {
		src := newFakeSource(byte(i))
		srcs = append(srcs, src)
		s.Clone(src, func() error { return src.clone(nil) })
	}
	if n := len(s.flushed); n > 3 {
		t.Errorf("%d flush records kept, want at most 3", n)
	}
	if n := len(s.busy); n != 0 {
		t.Errorf("%d source locks left after the clones, want 0", n)
	}
	for _, src := range srcs {
		src.write()
		s.Clone(src, func() error { return src.clone(nil) })
		if src.badClone != 0 || src.flushes != 2 {
			t.Errorf("source %d: %d flushes, %d clones of unflushed data", src.key.ID[0], src.flushes, src.badClone)
		}
	}
}

// TestSourcesConcurrent: many goroutines clone a few sources, which are
// written between rounds. Clones of one source never overlap; clones of
// different sources do run at the same time (each round's first clones wait
// until every source has one running, which a global lock would deadlock);
// each round flushes each source once, before its first clone.
func TestSourcesConcurrent(t *testing.T) {
	const (
		sources    = 4
		goroutines = 32
		rounds     = 20
	)
	s := Sources{Max: 64}
	srcs := make([]*fakeSource, sources)
	for i := range srcs {
		srcs[i] = newFakeSource(byte(i))
	}
	for round := range rounds {
		for _, src := range srcs {
			if round > 0 {
				src.write()
			}
		}
		// Every source has a clone running before the first one ends.
		var started sync.WaitGroup
		started.Add(sources)
		var once [sources]sync.Once
		allStarted := make(chan struct{})
		go func() { started.Wait(); close(allStarted) }()
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				i := g % sources
				src := srcs[i]
				errs <- s.Clone(src, func() error {
					return src.clone(func() {
						once[i].Do(func() {
							started.Done()
							select {
							case <-allStarted:
							case <-time.After(10 * time.Second):
								t.Error("clones of different sources did not run at the same time")
							}
						})
					})
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if t.Failed() {
			return
		}
	}
	for i, src := range srcs {
		if m := src.maxInFlight.Load(); m != 1 {
			t.Errorf("source %d: %d clones at once, want 1", i, m)
		}
		if src.badClone != 0 {
			t.Errorf("source %d: %d clones of unflushed data", i, src.badClone)
		}
		if src.flushes != rounds {
			t.Errorf("source %d: %d flushes in %d rounds, want one a round", i, src.flushes, rounds)
		}
		if src.clones != rounds*goroutines/sources {
			t.Errorf("source %d: %d clones, want %d", i, src.clones, rounds*goroutines/sources)
		}
		// Each write is followed by a flush before any clone.
		for j, e := range src.log {
			if e == "write" && (j+1 >= len(src.log) || src.log[j+1] != "flush") {
				t.Errorf("source %d: %q follows a write (log %q)", i, src.log[j+1], src.log)
				break
			}
		}
	}
	if len(s.busy) != 0 {
		t.Errorf("%d source locks left after the clones, want 0", len(s.busy))
	}
}
