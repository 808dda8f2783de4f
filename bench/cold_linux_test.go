package bench

// Cold-cache benchmarks: the data path with the page cache dropped first
// (`sync; echo 3 > /proc/sys/vm/drop_caches`, root only), many goroutines
// at once, and the OS threads that costs.
//
//	go test -run '^$' -bench 'ColdRead|ColdWrite' -benchtime 1x ./bench
//	go test -run '^$' -bench BatchColdRead -benchtime 20x ./bench
//
// Every variant runs in a process of its own (this test binary again, with
// EXTFS_BENCH_COLD naming the variant; TestColdChild is the entry point),
// because a Go process never gives OS threads back: a variant run after
// another would inherit its threads. The child prints one JSON line; the
// parent reports it with ReportMetric. ns/op is the child's timed region
// only (not process start-up, not the cache drop).
//
// Metrics: GB/s (reads) or MB/s (writes) of the timed region; peak-threads,
// the largest "Threads:" of /proc/self/status sampled every millisecond and
// at the end, which counts io_uring's io-wq workers (iou-wrk-*) too; iou-wrk,
// how many of those were io-wq workers (counted by name, at most every 20 ms
// and at the end, so a lower bound).
//
// The files live in $EXTFS_BENCH_DIR, by default $TMPDIR/extfs-bench-cold
// (the root ext4 here, on the virtio disk), and are made once and reused:
// read/r0000 … read/r1999 (256 KiB each; bench/fio-cold.sh reads the same
// set) and write/w000 … write/w511 (256 KiB each, overwritten in place).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

const (
	coldDirEnv   = "EXTFS_BENCH_DIR"
	coldChildEnv = "EXTFS_BENCH_COLD" // "kind variant iterations dir", for the child
	coldReport   = "extfs-bench-cold: "

	coldFiles      = 2000 // read set
	coldFileSize   = 256 << 10
	coldChunk      = 64 << 10 // every ReadAt and WriteAt
	coldReaders    = 512      // goroutines
	coldWriters    = 512      // goroutines
	coldWriteFiles = 512      // write set
	coldWriteRound = 4        // times each 64 KiB block of the write set is written in a pass
	coldBatchSize  = 256      // reads in one Batch, one per file
)

// coldVariants are the read and write variants: the baseline first.
var coldVariants = []string{"os", "extfs", "extfs-ring"}

// BenchmarkColdRead: 512 goroutines take files of the read set from a shared
// counter and read each whole, in 64 KiB ReadAt calls, from a cold cache.
func BenchmarkColdRead(b *testing.B) {
	dir := coldFixture(b)
	for _, v := range coldVariants {
		b.Run(v, func(b *testing.B) { coldPasses(b, "read", v, dir) })
	}
}

// BenchmarkColdWrite: 512 goroutines take (file, 64 KiB block) pairs of the
// write set from a shared counter, overwrite the block and datasync the file,
// until every block of the set was written 4 times (512 MiB): the baseline with os.File.WriteAt and unix.Fdatasync through
// RawConn.Control, extfs with File.WriteAt and File.Datasync.
func BenchmarkColdWrite(b *testing.B) {
	dir := coldFixture(b)
	for _, v := range coldVariants {
		b.Run(v, func(b *testing.B) { coldPasses(b, "write", v, dir) })
	}
}

// BenchmarkBatchColdRead: one 64 KiB read from each of 256 files, from a
// cold cache, as one extfs Batch beside a loop of os.File.ReadAt. The cache
// is dropped before every iteration, outside the timed region.
func BenchmarkBatchColdRead(b *testing.B) {
	dir := coldFixture(b)
	for _, v := range []string{"extfs", "loop-os"} {
		b.Run(v, func(b *testing.B) {
			r := runColdChild(b, "batch", v, b.N, dir)
			b.ReportMetric(float64(r.Nanos)/float64(b.N), "ns/op")
			b.ReportMetric(float64(r.Bytes)/float64(r.Nanos)*1e3, "MB/s")
			b.ReportMetric(float64(r.PeakThreads), "peak-threads")
			b.ReportMetric(float64(r.IouWrk), "iou-wrk")
		})
	}
}

// coldPasses runs b.N passes of kind, each in a new child process after a
// cache drop, and reports their sums and peaks.
func coldPasses(b *testing.B, kind, variant, dir string) {
	var sum coldResult
	for b.Loop() {
		r := runColdChild(b, kind, variant, 1, dir)
		sum.Bytes += r.Bytes
		sum.Nanos += r.Nanos
		sum.PeakThreads = max(sum.PeakThreads, r.PeakThreads)
		sum.IouWrk = max(sum.IouWrk, r.IouWrk)
	}
	b.ReportMetric(float64(sum.Nanos)/float64(b.N), "ns/op")
	if kind == "read" {
		b.ReportMetric(float64(sum.Bytes)/float64(sum.Nanos), "GB/s")
	} else {
		b.ReportMetric(float64(sum.Bytes)/float64(sum.Nanos)*1e3, "MB/s")
	}
	b.ReportMetric(float64(sum.PeakThreads), "peak-threads")
	b.ReportMetric(float64(sum.IouWrk), "iou-wrk")
}

// coldResult is a child's report.
type coldResult struct {
	Bytes        int64  `json:"bytes"`         // read or written in the timed region
	Nanos        int64  `json:"ns"`            // length of the timed region
	PeakThreads  int64  `json:"peak_threads"`  // the process's, io-wq workers included
	StartThreads int64  `json:"start_threads"` // before the workload
	IouWrk       int64  `json:"iou_wrk"`       // io-wq workers seen at most at once
	Engine       string `json:"engine"`
	Skip         string `json:"skip,omitempty"`
}

// coldFixture returns the benchmark directory with its file sets, making
// what is missing. It skips without root: only root can drop the cache.
func coldFixture(b *testing.B) string {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("cold-cache benchmarks drop the page cache (echo 3 > /proc/sys/vm/drop_caches): run them as root")
	}
	dir := os.Getenv(coldDirEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "extfs-bench-cold")
	}
	made := coldFileSet(b, filepath.Join(dir, "read"), "r%04d", coldFiles)
	made += coldFileSet(b, filepath.Join(dir, "write"), "w%03d", coldWriteFiles)
	fsType, _ := testfs.FsType(dir)
	b.Logf("cold file sets in %s (%s); made %d files this run", dir, fsType, made)
	return dir
}

// coldFileSet makes dir/format(i) for i < n, 256 KiB of random bytes each,
// unless it is there already with that size, fully allocated. It returns how
// many files it wrote.
func coldFileSet(b *testing.B, dir, format string, n int) int {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{'e', 'x', 't', 'f', 's'})
	buf := make([]byte, coldFileSize)
	made := 0
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf(format, i))
		var st unix.Stat_t
		if err := unix.Stat(name, &st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG &&
			st.Size == coldFileSize && st.Blocks*512 >= coldFileSize {
			continue
		}
		rng.Read(buf)
		if err := os.WriteFile(name, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		made++
	}
	return made
}

// dropCaches writes dirty pages back and then drops the clean ones, with
// the dentries and inodes: without the sync, files just written stay cached.
func dropCaches() error {
	unix.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0)
}

// runColdChild drops the cache (kinds read and write; batch drops before
// each of its iterations itself), runs one variant in a child process and
// returns its report. The child's engine comes from EXTFS_ENGINE: "ring"
// for extfs-ring, unset (auto) otherwise.
func runColdChild(b *testing.B, kind, variant string, iterations int, dir string) coldResult {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EXTFS_ENGINE=") && !strings.HasPrefix(kv, coldChildEnv+"=") {
			env = append(env, kv)
		}
	}
	if variant == "extfs-ring" {
		env = append(env, "EXTFS_ENGINE=ring")
	}
	env = append(env, fmt.Sprintf("%s=%s %s %d %s", coldChildEnv, kind, variant, iterations, dir))
	cmd := exec.Command(exe, "-test.run=^TestColdChild$", "-test.count=1")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if kind != "batch" {
		if err := dropCaches(); err != nil {
			b.Fatalf("dropping the page cache: %v", err)
		}
	}
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s/%s child: %v\n%s%s", kind, variant, err, out, stderr.Bytes())
	}
	for line := range strings.Lines(string(out)) {
		rest, ok := strings.CutPrefix(line, coldReport)
		if !ok {
			continue
		}
		var r coldResult
		if err := json.Unmarshal([]byte(rest), &r); err != nil {
			b.Fatalf("%s/%s child: bad report %q: %v", kind, variant, line, err)
		}
		if r.Skip != "" {
			testfs.SkipOrFail(b, r.Skip)
		}
		return r
	}
	b.Fatalf("%s/%s child: no report in\n%s%s", kind, variant, out, stderr.Bytes())
	return coldResult{}
}

// TestColdChild is the child process of the cold benchmarks; in a plain test
// run (no EXTFS_BENCH_COLD) it does nothing.
func TestColdChild(t *testing.T) {
	arg := os.Getenv(coldChildEnv)
	if arg == "" {
		return
	}
	f := strings.SplitN(arg, " ", 4) // the directory may hold spaces
	if len(f) != 4 {
		t.Fatalf("%s=%q: want \"kind variant iterations dir\"", coldChildEnv, arg)
	}
	kind, variant, dir := f[0], f[1], f[3]
	iterations, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatalf("%s=%q: %v", coldChildEnv, arg, err)
	}
	r := coldResult{Engine: extfs.CurrentEngine().String()}
	want := extfs.EngineAuto
	if variant == "extfs-ring" {
		want = extfs.EngineRing
	}
	switch {
	case want == extfs.EngineRing && !extfs.Supports(extfs.FeatureRing):
		r.Skip = "io_uring is not available here"
	case extfs.CurrentEngine() != want:
		t.Fatalf("engine %v, want %v (EXTFS_ENGINE=%q)", extfs.CurrentEngine(), want, os.Getenv("EXTFS_ENGINE"))
	}
	if r.Skip == "" {
		switch kind {
		case "read":
			err = coldRead(t, &r, variant, dir)
		case "write":
			err = coldWrite(t, &r, variant, dir)
		case "batch":
			err = coldBatchRead(t, &r, variant, dir, iterations)
		default:
			err = fmt.Errorf("unknown kind %q", kind)
		}
		if err != nil {
			t.Fatalf("%s/%s: %v", kind, variant, err)
		}
	}
	line, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s%s\n", coldReport, line)
}

// coldOpen opens dir/format(i) for i < n as *os.File (variant "os" and
// "loop-os") or *extfs.File (the others); exactly one of the slices is set.
func coldOpen(t *testing.T, variant, dir, format string, n, flag int) (osf []*os.File, xf []*extfs.File) {
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf(format, i))
		if strings.HasSuffix(variant, "os") {
			f, err := os.OpenFile(name, flag, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			osf = append(osf, f)
		} else {
			f, err := extfs.OpenFile(name, flag, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			xf = append(xf, f)
		}
	}
	return osf, xf
}

func coldRead(t *testing.T, r *coldResult, variant, dir string) error {
	osf, xf := coldOpen(t, variant, filepath.Join(dir, "read"), "r%04d", coldFiles, os.O_RDONLY)
	readAt := func(i int, p []byte, off int64) (int, error) { return xf[i].ReadAt(p, off) }
	if osf != nil {
		readAt = func(i int, p []byte, off int64) (int, error) { return osf[i].ReadAt(p, off) }
	}
	bufs := make([][]byte, coldReaders)
	for g := range bufs {
		bufs[g] = make([]byte, coldChunk)
	}
	var next, total atomic.Int64
	var failed atomic.Pointer[error]
	w := watchColdThreads(r)
	t0 := time.Now()
	var wg sync.WaitGroup
	for _, buf := range bufs {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= coldFiles {
					return
				}
				for off := int64(0); off < coldFileSize; off += coldChunk {
					n, err := readAt(i, buf, off)
					total.Add(int64(n))
					if err != nil {
						failed.Store(&err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	r.Nanos = time.Since(t0).Nanoseconds()
	w.stop()
	r.Bytes = total.Load()
	if err := failed.Load(); err != nil {
		return *err
	}
	if r.Bytes != coldFiles*coldFileSize {
		return fmt.Errorf("read %d bytes, want %d", r.Bytes, coldFiles*coldFileSize)
	}
	return nil
}

func coldWrite(t *testing.T, r *coldResult, variant, dir string) error {
	osf, xf := coldOpen(t, variant, filepath.Join(dir, "write"), "w%03d", coldWriteFiles, os.O_WRONLY)
	var op func(i int, p []byte, off int64) error
	if osf != nil {
		rcs := make([]syscall.RawConn, len(osf))
		for i, f := range osf {
			rc, err := f.SyscallConn()
			if err != nil {
				return err
			}
			rcs[i] = rc
		}
		op = func(i int, p []byte, off int64) error {
			if _, err := osf[i].WriteAt(p, off); err != nil {
				return err
			}
			var serr error
			if err := rcs[i].Control(func(fd uintptr) { serr = unix.Fdatasync(int(fd)) }); err != nil {
				return err
			}
			return serr
		}
	} else {
		op = func(i int, p []byte, off int64) error {
			if _, err := xf[i].WriteAt(p, off); err != nil {
				return err
			}
			return xf[i].Datasync()
		}
	}
	bufs := make([][]byte, coldWriters)
	for g := range bufs {
		bufs[g] = bytes.Repeat([]byte{byte(g) | 1}, coldChunk)
	}
	const blocks = coldFileSize / coldChunk
	const items = coldWriteFiles * blocks * coldWriteRound
	var next, total atomic.Int64
	var failed atomic.Pointer[error]
	w := watchColdThreads(r)
	t0 := time.Now()
	var wg sync.WaitGroup
	for _, buf := range bufs {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= items {
					return
				}
				file, block := i%coldWriteFiles, i/coldWriteFiles%blocks
				if err := op(file, buf, int64(block)*coldChunk); err != nil {
					failed.Store(&err)
					return
				}
				total.Add(coldChunk)
			}
		})
	}
	wg.Wait()
	r.Nanos = time.Since(t0).Nanoseconds()
	w.stop()
	r.Bytes = total.Load()
	if err := failed.Load(); err != nil {
		return *err
	}
	return nil
}

func coldBatchRead(t *testing.T, r *coldResult, variant, dir string, iterations int) error {
	osf, xf := coldOpen(t, variant, filepath.Join(dir, "read"), "r%04d", coldBatchSize, os.O_RDONLY)
	bufs := make([][]byte, coldBatchSize)
	for i := range bufs {
		bufs[i] = make([]byte, coldChunk)
	}
	// Not all at offset 0, so the reads are not all alike on disk.
	off := func(i int) int64 { return int64(i%(coldFileSize/coldChunk)) * coldChunk }
	ps := make([]*extfs.Pending[int], coldBatchSize)
	ctx := context.Background()
	w := watchColdThreads(r)
	defer w.stop()
	for range iterations {
		if err := dropCaches(); err != nil {
			return fmt.Errorf("dropping the page cache: %w", err)
		}
		t0 := time.Now()
		if osf != nil {
			for i, f := range osf {
				if n, err := f.ReadAt(bufs[i], off(i)); err != nil || n != coldChunk {
					return fmt.Errorf("ReadAt %s: %d bytes, %v", f.Name(), n, err)
				}
			}
		} else {
			bt := extfs.NewBatch()
			for i, f := range xf {
				ps[i] = bt.ReadAt(f, bufs[i], off(i))
			}
			if err := bt.Submit(ctx); err != nil {
				return err
			}
			for i, p := range ps {
				if n, err := p.Result(); err != nil || n != coldChunk {
					return fmt.Errorf("Batch.ReadAt %s: %d bytes, %v", xf[i].Name(), n, err)
				}
			}
		}
		r.Nanos += time.Since(t0).Nanoseconds()
		r.Bytes += coldBatchSize * coldChunk
	}
	return nil
}

// coldWatch samples the process's thread count into a coldResult.
type coldWatch struct {
	r              *coldResult
	done, finished chan struct{}
}

// watchColdThreads records the thread count now as r.StartThreads and then
// samples it every millisecond, until stop, into r.PeakThreads. When the
// count reaches a new peak, at most every 20 ms (and at stop), it also counts
// the io-wq workers among the threads, by name, into r.IouWrk.
func watchColdThreads(r *coldResult) *coldWatch {
	w := &coldWatch{r: r, done: make(chan struct{}), finished: make(chan struct{})}
	status, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 8192)
	count := func() int64 {
		n, err := unix.Pread(int(status.Fd()), buf, 0)
		if err != nil {
			panic(err)
		}
		_, v, ok := bytes.Cut(buf[:n], []byte("\nThreads:"))
		if !ok {
			panic("no Threads: in /proc/self/status")
		}
		v, _, _ = bytes.Cut(v, []byte("\n"))
		var c int64
		fmt.Sscan(string(bytes.TrimSpace(v)), &c)
		return c
	}
	r.StartThreads = count()
	r.PeakThreads = r.StartThreads
	go func() {
		defer close(w.finished)
		defer status.Close()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var lastScan time.Time
		scanned := int64(0)
		for stop := false; ; {
			select {
			case <-w.done:
				stop = true
			case <-t.C:
			}
			n := count()
			r.PeakThreads = max(r.PeakThreads, n)
			if stop || (n > scanned && time.Since(lastScan) >= 20*time.Millisecond) {
				r.IouWrk = max(r.IouWrk, iouWorkers())
				lastScan, scanned = time.Now(), n
			}
			if stop {
				return
			}
		}
	}()
	return w
}

func (w *coldWatch) stop() {
	select {
	case <-w.done:
		return // stopped already
	default:
	}
	close(w.done)
	<-w.finished
}

// iouWorkers counts this process's threads named iou-wrk-* (io-wq workers).
func iouWorkers() int64 {
	tasks, _ := os.ReadDir("/proc/self/task")
	var n int64
	for _, t := range tasks {
		comm, err := os.ReadFile("/proc/self/task/" + t.Name() + "/comm")
		if err == nil && strings.HasPrefix(string(comm), "iou-wrk") {
			n++
		}
	}
	return n
}
