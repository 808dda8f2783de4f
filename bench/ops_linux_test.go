package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

// benchDir returns a directory on XFS (the filesystem FACTS.md measured),
// falling back to the temp dir's filesystem when XFS cannot be mounted.
func benchDir(b *testing.B) string {
	b.Helper()
	if os.Geteuid() != 0 && !testfs.Required() {
		return b.TempDir()
	}
	return testfs.Get(b, "xfs").TempDir(b)
}

func withEngine(b *testing.B, e extfs.Engine) {
	b.Helper()
	prev, err := extfs.SetEngine(e)
	if err != nil {
		testfs.SkipOrFail(b, fmt.Sprintf("engine %v: %v", e, err))
	}
	b.Cleanup(func() { extfs.SetEngine(prev) })
}

func createFile(b *testing.B, dir, name string, size int64) *extfs.File {
	b.Helper()
	f, err := extfs.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	if size > 0 {
		if err := f.OSFile().Truncate(size); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func fd(f *extfs.File) int { return int(f.OSFile().Fd()) }

// Single calls: extfs (auto engine) beside the direct x/sys call. Target:
// extfs within 1.10x of xsys.

func BenchmarkStatx(b *testing.B) {
	dir := benchDir(b)
	f := createFile(b, dir, "f", 4096)
	path := f.Name()
	b.Run("xsys", func(b *testing.B) {
		var st unix.Statx_t
		for b.Loop() {
			if err := unix.Statx(unix.AT_FDCWD, path, unix.AT_STATX_SYNC_AS_STAT, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("extfs", func(b *testing.B) {
		for b.Loop() {
			if _, err := extfs.Statx(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("extfs-ring", func(b *testing.B) {
		withEngine(b, extfs.EngineRing)
		for b.Loop() {
			if _, err := extfs.Statx(path); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// One cached 4 KiB read: File.ReadAt (auto: a non-blocking read of the
// page cache; ring: a ring round trip that completes inline) beside
// os.File.ReadAt and pread through RawConn.Control.
// Targets: auto within 1.10x of os; ring within 1.5x of the bare ring
// (sys/linux BenchmarkBare/read4k).
func BenchmarkReadAt(b *testing.B) {
	f := createFile(b, benchDir(b), "r", 1<<20)
	if _, err := f.OSFile().WriteAt(make([]byte, 1<<20), 0); err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 4096)
	b.Run("os", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.OSFile().ReadAt(p, 8192); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("xsys", func(b *testing.B) {
		rc, err := f.OSFile().SyscallConn()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			var rerr error
			rc.Control(func(fd uintptr) { _, rerr = unix.Pread(int(fd), p, 8192) })
			if rerr != nil {
				b.Fatal(rerr)
			}
		}
	})
	for _, e := range []extfs.Engine{extfs.EngineAuto, extfs.EngineRing} {
		b.Run("extfs-"+e.String(), func(b *testing.B) {
			withEngine(b, e)
			for b.Loop() {
				if _, err := f.ReadAt(p, 8192); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFadvise(b *testing.B) {
	f := createFile(b, benchDir(b), "f", 1<<20)
	b.Run("xsys", func(b *testing.B) {
		for b.Loop() {
			if err := unix.Fadvise(fd(f), 0, 1<<20, unix.FADV_SEQUENTIAL); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("extfs", func(b *testing.B) {
		for b.Loop() {
			if err := f.Fadvise(0, 1<<20, extfs.AdviceSequential); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFallocate(b *testing.B) {
	f := createFile(b, benchDir(b), "f", 0)
	// Allocate then punch the same 64 KiB, so every iteration does real work
	// and the file does not grow.
	b.Run("xsys", func(b *testing.B) {
		for b.Loop() {
			if err := unix.Fallocate(fd(f), unix.FALLOC_FL_KEEP_SIZE, 0, 64<<10); err != nil {
				b.Fatal(err)
			}
			if err := unix.Fallocate(fd(f), unix.FALLOC_FL_KEEP_SIZE|unix.FALLOC_FL_PUNCH_HOLE, 0, 64<<10); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("extfs", func(b *testing.B) {
		for b.Loop() {
			if err := f.Fallocate(extfs.AllocKeepSize, 0, 64<<10); err != nil {
				b.Fatal(err)
			}
			if err := f.PunchHole(0, 64<<10); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkXattr(b *testing.B) {
	f := createFile(b, benchDir(b), "f", 0)
	val := []byte("0123456789abcdef0123456789abcdef")
	if err := unix.Fsetxattr(fd(f), "user.bench", val, 0); err != nil {
		b.Fatal(err)
	}
	b.Run("set/xsys", func(b *testing.B) {
		for b.Loop() {
			if err := unix.Fsetxattr(fd(f), "user.bench", val, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("set/extfs", func(b *testing.B) {
		for b.Loop() {
			if err := f.SetXattr("user.bench", val, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get/xsys", func(b *testing.B) {
		buf := make([]byte, 256)
		for b.Loop() {
			if _, err := unix.Fgetxattr(fd(f), "user.bench", buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	// pkg/xattr returns a new slice as extfs does: the same work for the
	// caller, where the bare x/sys call reads into a buffer it keeps.
	b.Run("get/pkg-xattr", func(b *testing.B) {
		for b.Loop() {
			if _, err := xattr.FGet(f.OSFile(), "user.bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get/extfs", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.GetXattr("user.bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLink(b *testing.B) {
	dir := benchDir(b)
	src := createFile(b, dir, "src", 0).Name()
	dst := filepath.Join(dir, "dst")
	b.Run("xsys", func(b *testing.B) {
		for b.Loop() {
			if err := unix.Link(src, dst); err != nil {
				b.Fatal(err)
			}
			unix.Unlink(dst)
		}
	})
	b.Run("extfs", func(b *testing.B) {
		for b.Loop() {
			if err := extfs.Link(src, dst); err != nil {
				b.Fatal(err)
			}
			unix.Unlink(dst)
		}
	})
}

// Batches of 256 operations: extfs.Batch beside a sequential loop of direct
// x/sys calls. Target: the batch at least 1.5x faster.

const batchN = 256

func BenchmarkBatch(b *testing.B) {
	dir := benchDir(b)
	files := make([]*extfs.File, batchN)
	for i := range files {
		files[i] = createFile(b, dir, "f"+strconv.Itoa(i), 4096)
	}
	val := []byte("some value")
	readBufs := make([][]byte, len(files))
	for i := range readBufs {
		readBufs[i] = make([]byte, 4096)
	}
	kinds := []struct {
		name  string
		xsys  func(i int) error
		batch func(bt *extfs.Batch, i int) (cleanup func())
		reset func(i int)
	}{
		{"statx",
			func(i int) error {
				var st unix.Statx_t
				return unix.Statx(unix.AT_FDCWD, files[i].Name(), unix.AT_STATX_SYNC_AS_STAT, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st)
			},
			func(bt *extfs.Batch, i int) func() { bt.Statx(files[i].Name()); return nil }, nil},
		{"fsetxattr",
			func(i int) error { return unix.Fsetxattr(fd(files[i]), "user.b", val, 0) },
			func(bt *extfs.Batch, i int) func() { bt.SetXattr(files[i], "user.b", val, 0); return nil }, nil},
		{"fgetxattr",
			func(i int) error { _, err := unix.Fgetxattr(fd(files[i]), "user.b", make([]byte, 64)); return err },
			func(bt *extfs.Batch, i int) func() { bt.GetXattr(files[i], "user.b"); return nil }, nil},
		{"fallocate",
			func(i int) error { return unix.Fallocate(fd(files[i]), unix.FALLOC_FL_KEEP_SIZE, 0, 256<<10) },
			func(bt *extfs.Batch, i int) func() {
				bt.Fallocate(files[i], extfs.AllocKeepSize, 0, 256<<10)
				return nil
			},
			func(i int) {
				unix.Fallocate(fd(files[i]), unix.FALLOC_FL_KEEP_SIZE|unix.FALLOC_FL_PUNCH_HOLE, 0, 256<<10)
			}},
		{"fadvise",
			func(i int) error { return unix.Fadvise(fd(files[i]), 0, 0, unix.FADV_WILLNEED) },
			func(bt *extfs.Batch, i int) func() { bt.Fadvise(files[i], 0, 0, extfs.AdviceWillNeed); return nil }, nil},
		{"readat",
			func(i int) error { _, err := unix.Pread(fd(files[i]), readBufs[i], 0); return err },
			func(bt *extfs.Batch, i int) func() { bt.ReadAt(files[i], readBufs[i], 0); return nil }, nil},
		{"openat",
			func(i int) error {
				fd, err := unix.Openat(unix.AT_FDCWD, files[i].Name(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err == nil {
					unix.Close(fd)
				}
				return err
			},
			func(bt *extfs.Batch, i int) func() {
				p := bt.OpenFile(files[i].Name(), os.O_RDONLY, 0)
				return func() {
					if f, err := p.Result(); err == nil {
						f.Close()
					}
				}
			}, nil},
	}
	for _, k := range kinds {
		// The fgetxattr case reads what fsetxattr wrote.
		for i := range files {
			unix.Fsetxattr(fd(files[i]), "user.b", val, 0)
		}
		reset := func(b *testing.B) {
			if k.reset != nil {
				b.StopTimer()
				for i := range files {
					k.reset(i)
				}
				b.StartTimer()
			}
		}
		b.Run(k.name+"/xsys-loop", func(b *testing.B) {
			for b.Loop() {
				for i := range files {
					if err := k.xsys(i); err != nil {
						b.Fatal(err)
					}
				}
				reset(b)
			}
		})
		// The ceiling for any batching without the ring: the same x/sys
		// calls split over GOMAXPROCS goroutines, with nothing else.
		b.Run(k.name+"/xsys-parallel", func(b *testing.B) {
			for b.Loop() {
				if err := parallel(len(files), runtime.GOMAXPROCS(0), k.xsys); err != nil {
					b.Fatal(err)
				}
				reset(b)
			}
		})
		for _, e := range []extfs.Engine{extfs.EngineAuto, extfs.EngineRing, extfs.EngineSyscall} {
			b.Run(k.name+"/extfs-batch-"+e.String(), func(b *testing.B) {
				withEngine(b, e)
				for b.Loop() {
					bt := extfs.NewBatch()
					var cleanups []func()
					for i := range files {
						if c := k.batch(bt, i); c != nil {
							cleanups = append(cleanups, c)
						}
					}
					if err := bt.Submit(context.Background()); err != nil {
						b.Fatal(err)
					}
					// StopTimer reads memory stats, a stop-the-world that would
					// be billed to the batch: only when there is something to do.
					if len(cleanups) > 0 {
						b.StopTimer()
						for _, c := range cleanups {
							c()
						}
						b.StartTimer()
					}
					reset(b)
				}
			})
		}
	}
}

// parallel runs fn(0..n-1) in k contiguous runs, one per goroutine (the
// caller takes the first), and returns the first error.
func parallel(n, k int, fn func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, k)
	chunk := (n + k - 1) / k
	run := func(w int) {
		for i := w * chunk; i < min((w+1)*chunk, n); i++ {
			if err := fn(i); err != nil && errs[w] == nil {
				errs[w] = err
			}
		}
	}
	for w := 1; w < k; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
	return errors.Join(errs...)
}

// Peak OS threads: 10,000 goroutines each doing fallocate+fsync on their own
// file (500 files, 20 goroutines each), with extfs beside direct x/sys calls.
// Target: extfs peak threads at most 10% of the baseline's.
//
// Each variant runs in a fresh child process (this test binary again, in the
// same mount namespace): the Go runtime never ends an idle thread, so in one
// process the second variant would start with the first one's peak (measured:
// extfs after xsys reported 249-397 threads, alone 42). Threads are counted
// from /proc/self/status, so io_uring's io-wq workers (iou-wrk-*) count too.
// Metrics: peak-threads (the whole process, at its peak), start-threads
// (before the goroutines start: runtime, test harness), and the peak numbers
// of iou-wrk-* threads and of the others (Go's threads).
func BenchmarkThreads10k(b *testing.B) {
	if v := os.Getenv(threadsChildEnv); v != "" {
		threads10kChild(b, v)
		return
	}
	const files = 500
	dir := benchDir(b)
	for i := range files {
		createFile(b, dir, "t"+strconv.Itoa(i), 0)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Skip(err)
	}
	peaks := map[string]float64{}
	for _, variant := range []string{"xsys", "xsys-limited", "extfs"} {
		b.Run(variant, func(b *testing.B) {
			var m threadStats
			var elapsed time.Duration
			for b.Loop() {
				s, d := runThreadsChild(b, exe, variant, dir)
				m.max(s)
				elapsed += d
			}
			// The child's workload time, not the process start-up around it.
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(float64(m.peak), "peak-threads")
			b.ReportMetric(float64(m.start), "start-threads")
			b.ReportMetric(float64(m.iouWrk), "iou-wrk")
			b.ReportMetric(float64(m.other), "go-threads")
			peaks[variant] = float64(m.peak)
		})
	}
	if peaks["xsys"] > 0 && peaks["extfs"] > 0 {
		b.Logf("peak threads extfs/xsys: %.0f/%.0f = %.1f%% (target <= 10%%)",
			peaks["extfs"], peaks["xsys"], 100*peaks["extfs"]/peaks["xsys"])
	}
}

// threadsChildEnv carries "variant:dir" to the child process.
const threadsChildEnv = "EXTFS_BENCH_THREADS10K"

// threadStats are one run's thread counts (or the maxima of several).
type threadStats struct {
	peak, start, iouWrk, other int64
}

func (s *threadStats) max(o threadStats) {
	s.peak, s.start = max(s.peak, o.peak), max(s.start, o.start)
	s.iouWrk, s.other = max(s.iouWrk, o.iouWrk), max(s.other, o.other)
}

// runThreadsChild runs one variant in a child process and parses its report.
func runThreadsChild(b *testing.B, exe, variant, dir string) (threadStats, time.Duration) {
	b.Helper()
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^BenchmarkThreads10k$", "-test.benchtime=1x")
	cmd.Env = append(os.Environ(), threadsChildEnv+"="+variant+":"+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s child: %v\n%s", variant, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		rest, ok := strings.CutPrefix(line, threadsChildEnv+" ")
		if !ok {
			continue
		}
		var s threadStats
		var ns int64
		if _, err := fmt.Sscanf(rest, "peak=%d start=%d iou-wrk=%d go=%d ns=%d", &s.peak, &s.start, &s.iouWrk, &s.other, &ns); err != nil {
			b.Fatalf("%s child: bad report %q: %v", variant, line, err)
		}
		return s, time.Duration(ns)
	}
	b.Fatalf("%s child: no report in\n%s", variant, out)
	return threadStats{}, 0
}

// threads10kChild is the workload, in the child process; it prints one
// report line for runThreadsChild.
func threads10kChild(b *testing.B, arg string) {
	const goroutines, files = 10000, 500
	variant, dir, _ := strings.Cut(arg, ":")
	var op func(f *extfs.File) error
	switch variant {
	case "xsys":
		op = func(f *extfs.File) error {
			if err := unix.Fallocate(fd(f), unix.FALLOC_FL_KEEP_SIZE, 0, 64<<10); err != nil {
				return err
			}
			return unix.Fsync(fd(f))
		}
	case "xsys-limited":
		// The bare mechanism at the thread budget: the same x/sys calls with
		// at most 12 of them in the kernel at once (a thread each), what any
		// engine within 16 threads can have in flight; file systems batch
		// concurrent fsyncs into one log write, so fewer in flight is slower.
		sem := make(chan struct{}, 12)
		op = func(f *extfs.File) error {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := unix.Fallocate(fd(f), unix.FALLOC_FL_KEEP_SIZE, 0, 64<<10); err != nil {
				return err
			}
			return unix.Fsync(fd(f))
		}
	case "extfs":
		op = func(f *extfs.File) error {
			if err := f.Fallocate(extfs.AllocKeepSize, 0, 64<<10); err != nil {
				return err
			}
			return f.Sync()
		}
	default:
		b.Fatalf("unknown variant %q", variant)
	}
	fs := make([]*extfs.File, files)
	for i := range fs {
		f, err := extfs.OpenFile(filepath.Join(dir, "t"+strconv.Itoa(i)), os.O_RDWR, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		fs[i] = f
		fd(f) // Fd puts the file in blocking mode; do it before the clock starts
	}
	debug.SetMaxThreads(30000) // the baseline may need more than the default 10,000
	start := threads()
	w := watchThreads()
	t0 := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Value
	for g := range goroutines {
		wg.Add(1)
		go func(f *extfs.File) {
			defer wg.Done()
			if err := op(f); err != nil {
				failed.Store(err)
			}
		}(fs[g%files])
	}
	wg.Wait()
	d := time.Since(t0)
	s := w.stop()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	s.start = start
	fmt.Printf("%s peak=%d start=%d iou-wrk=%d go=%d ns=%d\n", threadsChildEnv, s.peak, s.start, s.iouWrk, s.other, d.Nanoseconds())
}

type threadWatch struct {
	done, finished chan struct{}
	s              threadStats
}

// watchThreads samples the thread count every 200µs until stop. Whenever the
// count changes it also reads every thread's name, to tell io-wq workers
// (iou-wrk-*; and iou-sqp-* should SQPOLL ever be used) from Go's threads.
func watchThreads() *threadWatch {
	w := &threadWatch{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(w.finished)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		last := int64(-1)
		for {
			if n := threads(); n != last {
				last = n
				iou, other := threadKinds() // a moment later: may count more
				w.s.peak = max(w.s.peak, n, iou+other)
				w.s.iouWrk, w.s.other = max(w.s.iouWrk, iou), max(w.s.other, other)
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *threadWatch) stop() threadStats {
	close(w.done)
	<-w.finished
	return w.s
}

func threads() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// threadKinds counts this process's io_uring kernel threads and the rest.
func threadKinds() (iou, other int64) {
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		comm, err := os.ReadFile("/proc/self/task/" + t.Name() + "/comm")
		if err != nil {
			continue // exited meanwhile
		}
		if strings.HasPrefix(string(comm), "iou-") {
			iou++
		} else {
			other++
		}
	}
	return iou, other
}
