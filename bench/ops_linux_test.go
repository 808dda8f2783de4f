package bench

import (
	"context"
	"fmt"
	"os"
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
					b.StopTimer()
					for _, c := range cleanups {
						c()
					}
					b.StartTimer()
					reset(b)
				}
			})
		}
	}
}

// Peak OS threads: 10,000 goroutines each doing fallocate+fsync on their own
// file, with extfs beside direct x/sys calls. Target: extfs peak threads
// at most 10% of the baseline's. Threads are counted from /proc/self/status,
// so io_uring's io-wq workers count too.
func BenchmarkThreads10k(b *testing.B) {
	const goroutines, files = 10000, 500
	dir := benchDir(b)
	fs := make([]*extfs.File, files)
	for i := range fs {
		fs[i] = createFile(b, dir, "t"+strconv.Itoa(i), 0)
	}
	old := debug.SetMaxThreads(30000) // the baseline may need more than the default 10,000
	b.Cleanup(func() { debug.SetMaxThreads(old) })
	run := func(b *testing.B, op func(f *extfs.File) error) {
		var peak int64
		for b.Loop() {
			stop := watchThreads(&peak)
			var wg sync.WaitGroup
			var failed atomic.Value
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func(f *extfs.File) {
					defer wg.Done()
					if err := op(f); err != nil {
						failed.Store(err)
					}
				}(fs[g%files])
			}
			wg.Wait()
			stop()
			if err := failed.Load(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(peak), "peak-threads")
	}
	b.Run("xsys", func(b *testing.B) {
		run(b, func(f *extfs.File) error {
			if err := unix.Fallocate(fd(f), unix.FALLOC_FL_KEEP_SIZE, 0, 64<<10); err != nil {
				return err
			}
			return unix.Fsync(fd(f))
		})
	})
	b.Run("extfs", func(b *testing.B) {
		run(b, func(f *extfs.File) error {
			if err := f.Fallocate(extfs.AllocKeepSize, 0, 64<<10); err != nil {
				return err
			}
			return f.Sync()
		})
	})
}

// watchThreads samples the thread count every 200µs until stop is called.
func watchThreads(peak *int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			if n := threads(); n > atomic.LoadInt64(peak) {
				atomic.StoreInt64(peak, n)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func threads() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return int64(runtime.NumGoroutine())
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
