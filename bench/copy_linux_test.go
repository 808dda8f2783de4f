package bench

// Copy benchmarks: CopyFile and CopyTree beside what a program would do
// without extfs (io.Copy between two *os.File) and the tools (cp, rsync), in
// the same run, on the same filesystems.
//
//	go test -run '^$' -bench 'CopyFile|CopyTree|Sparse' -benchtime 3x -count 3 ./bench
//	go test -run '^$' -bench 'CopyTree(Update)?/.*/rounds' -benchtime 7x ./bench
//
// The sources stay in the page cache (written and fsynced once, before the
// timer): what is measured is the copy, not the disk the machine happens to
// have. Each destination is removed between iterations, outside the timer.
// The tools are run with exec, so their numbers include a fork and exec
// (about 1 ms here).
//
// Note (FACTS.md): on XFS and btrfs, io.Copy between two *os.File uses
// copy_file_range, which shares blocks there: io.Copy is then a clone too,
// not a physical copy.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// copyFS returns a directory on a new 4 GiB filesystem of kind, big
// enough for a 1 GiB source and its copies: a loop-mounted image for every
// kind, ext4 included (this machine's root ext4 is mounted with discard,
// which makes every delete-then-create cycle of a benchmark ~20x slower).
// Without root, ext4 is the temp dir's filesystem and the others skip.
func copyFS(b *testing.B, kind string) string {
	b.Helper()
	if os.Geteuid() != 0 {
		if kind == testfs.Ext4 {
			return testfs.Get(b, kind).TempDir(b)
		}
		testfs.SkipOrFail(b, "mounting "+kind+" needs root")
	}
	return testfs.Mount(b, kind, 4<<30).TempDir(b)
}

// writeSource writes size bytes at path: data in [off, off+n) for every
// extent, holes elsewhere (one extent covering everything: a dense file),
// then fsyncs it. The pages stay cached.
func writeSource(b *testing.B, path string, size int64, extents [][2]int64) {
	b.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i*7 + i>>9)
	}
	for _, e := range extents {
		for off := e[0]; off < e[1]; off += int64(len(buf)) {
			buf[0]++ // no two blocks alike (dedup, compression)
			if _, err := f.WriteAt(buf[:min(int64(len(buf)), e[1]-off)], off); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
}

// runCopy times fn copying to dst, removing dst after each iteration and
// syncing the filesystem, outside the timer: each iteration starts from the
// same state, with no writeback or inode freeing of the last one left to
// run meanwhile.
func runCopy(b *testing.B, dst string, bytes int64, fn func() error) {
	b.Helper()
	clean := func() {
		if err := os.RemoveAll(dst); err != nil {
			b.Fatal(err)
		}
		if err := syncfs(filepath.Dir(dst)); err != nil {
			b.Fatal(err)
		}
	}
	clean()
	b.SetBytes(bytes)
	b.ResetTimer()
	for range b.N {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		clean()
		b.StartTimer()
	}
}

// A round is one variant of a rounds benchmark.
type round struct {
	name string
	fn   func() error
}

// runRounds runs each variant once per iteration, in turn, and reports
// the median time of each ("<name>-ms"), its median CPU time, user and
// system, all threads or the tool's processes ("<name>-cpu-ms"), and how
// many times faster than each the first is ("x-<name>"): a same-run comparison that a machine
// whose load changes over minutes (a shared 2-vCPU VM) does not tilt, as
// it tilts variants run one after the other. With dst set, dst is removed
// and the filesystem synced before each variant, outside the timer.
func runRounds(b *testing.B, dst string, rounds []round) {
	b.Helper()
	clean := func() {
		if dst == "" {
			return
		}
		if err := os.RemoveAll(dst); err != nil {
			b.Fatal(err)
		}
		if err := syncfs(filepath.Dir(dst)); err != nil {
			b.Fatal(err)
		}
	}
	times := make([][]float64, len(rounds))
	cpus := make([][]float64, len(rounds))
	b.ResetTimer()
	for range b.N {
		for i, r := range rounds {
			b.StopTimer()
			clean()
			b.StartTimer()
			cpu0 := cpuTime()
			start := time.Now()
			if err := r.fn(); err != nil {
				b.Fatal(err)
			}
			times[i] = append(times[i], float64(time.Since(start))/1e6)
			cpus[i] = append(cpus[i], float64(cpuTime()-cpu0)/1e6)
		}
	}
	b.StopTimer()
	clean()
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	first := median(times[0])
	for i, r := range rounds {
		m := median(times[i])
		b.ReportMetric(m, r.name+"-ms")
		b.ReportMetric(median(cpus[i]), r.name+"-cpu-ms")
		if i > 0 {
			b.ReportMetric(m/first, "x-"+r.name)
		}
	}
}

// cpuTime is the CPU time, user and system, this process and its waited-for
// children (the tools) have used.
func cpuTime() time.Duration {
	var self, children unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &self)
	unix.Getrusage(unix.RUSAGE_CHILDREN, &children)
	var t time.Duration
	for _, u := range []*unix.Rusage{&self, &children} {
		t += time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	return t
}

func syncfs(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

func ioCopy(src, dst string) error {
	s, err := os.Open(src)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(d, s); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

func tool(name string, args ...string) func() error {
	return func() error {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s %v: %v\n%s", name, args, err, out)
		}
		return nil
	}
}

func needTool(b *testing.B, name string) {
	b.Helper()
	if _, err := exec.LookPath(name); err != nil {
		b.Skipf("%s not installed (apt-get install %s)", name, name)
	}
}

// BenchmarkCopyFile copies a dense 1 GiB file. Targets: on XFS and btrfs
// CopyFile (a clone) within 2 ms; on ext4, which cannot clone, CopyFile at
// least 1.10x faster than io.Copy. extfs-never is CopyFile with CoWNever (a
// physical copy, by splice).
func BenchmarkCopyFile(b *testing.B) {
	const size = 1 << 30
	for _, kind := range []string{testfs.XFS, testfs.Btrfs, testfs.Ext4} {
		b.Run(kind, func(b *testing.B) {
			dir := copyFS(b, kind)
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			writeSource(b, src, size, [][2]int64{{0, size}})
			b.Run("extfs", func(b *testing.B) {
				runCopy(b, dst, size, func() error {
					_, err := extfs.CopyFile(context.Background(), src, dst, nil)
					return err
				})
			})
			b.Run("extfs-never", func(b *testing.B) {
				runCopy(b, dst, size, func() error {
					_, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever})
					return err
				})
			})
			b.Run("io.Copy", func(b *testing.B) {
				runCopy(b, dst, size, func() error { return ioCopy(src, dst) })
			})
			b.Run("cp-reflink-auto", func(b *testing.B) {
				runCopy(b, dst, size, tool("cp", "--reflink=auto", src, dst))
			})
			b.Run("cp-reflink-never", func(b *testing.B) {
				runCopy(b, dst, size, tool("cp", "--reflink=never", src, dst))
			})
		})
	}
}

// BenchmarkCopyFileSparse copies a 1 GiB file with 1% data (ten 1 MiB
// extents, 100 MiB apart). Target: CopyFile at least 10x faster than
// io.Copy. On ext4 neither can clone; on XFS CoWNever is also shown, the
// physical copy of the data only.
func BenchmarkCopyFileSparse(b *testing.B) {
	const size = 1 << 30
	var extents [][2]int64
	for i := range int64(10) {
		extents = append(extents, [2]int64{i * 100 << 20, i*100<<20 + 1<<20})
	}
	for _, kind := range []string{testfs.Ext4, testfs.XFS} {
		b.Run(kind, func(b *testing.B) {
			dir := copyFS(b, kind)
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			writeSource(b, src, size, extents)
			b.Run("extfs", func(b *testing.B) {
				runCopy(b, dst, size, func() error {
					_, err := extfs.CopyFile(context.Background(), src, dst, nil)
					return err
				})
			})
			if kind == testfs.XFS {
				b.Run("extfs-never", func(b *testing.B) {
					runCopy(b, dst, size, func() error {
						_, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever})
						return err
					})
				})
			}
			b.Run("io.Copy", func(b *testing.B) {
				runCopy(b, dst, size, func() error { return ioCopy(src, dst) })
			})
			b.Run("cp-sparse-always", func(b *testing.B) {
				runCopy(b, dst, size, tool("cp", "--sparse=always", src, dst))
			})
		})
	}
}

// Tree: 100 directories, each with 100 files of 4 KiB and one of 1 MiB.
const (
	treeDirs      = 100
	treeSmall     = 100
	treeSmallSize = 4 << 10
	treeBigSize   = 1 << 20
	treeBytes     = treeDirs * (treeSmall*treeSmallSize + treeBigSize)
)

// makeTree writes the benchmark tree at root, fsynced.
func makeTree(b *testing.B, root string) {
	b.Helper()
	small := make([]byte, treeSmallSize)
	big := make([]byte, treeBigSize)
	for i := range big {
		big[i] = byte(i*13 + i>>11)
	}
	for d := range treeDirs {
		dir := filepath.Join(root, fmt.Sprintf("d%03d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for i := range treeSmall {
			small[0], small[1] = byte(d), byte(i)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d", i)), small, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		big[0] = byte(d)
		if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if out, err := exec.Command("sync", "-f", root).CombinedOutput(); err != nil {
		b.Fatalf("sync: %v\n%s", err, out)
	}
}

// BenchmarkCopyTree copies the tree (10 000 × 4 KiB + 100 × 1 MiB in 100
// directories) with CopyTree (PreserveAll and Hardlinks: what cp -a keeps;
// rsync -a keeps less, no xattrs nor hard links) beside cp -a and rsync -a.
// Targets: CopyTree at least 1.5x faster than cp -a (1.0x on btrfs), 3x
// faster than rsync -a.
//
// rounds runs extfs, cp -a, rsync -a, syscalls-N and syscalls-osfile-N
// (the floor with each file in an *os.File) in turn, round after round, and reports each one's median and the ratios to extfs: the
// figures of bench/README.md, which a load that changes over minutes does
// not tilt (the sub-benchmarks beside it run one after the other).
//
// syscalls-1 and syscalls-N are the floor: a bare loop of the system calls
// a copy of the tree cannot do without (per file: open the source, statx,
// create the copy, clone or copy_file_range, flistxattr, utimensat, two
// closes; per directory: mkdirat, open, getdents, utimensat), with no
// checks, from one goroutine and from GOMAXPROCS goroutines. What the
// kernel itself costs per file, on this machine, in this run.
func BenchmarkCopyTree(b *testing.B) {
	for _, kind := range []string{testfs.XFS, testfs.Btrfs, testfs.Ext4} {
		b.Run(kind, func(b *testing.B) {
			dir := copyFS(b, kind)
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			makeTree(b, src)
			opt := &extfs.CopyOptions{Preserve: extfs.PreserveAll, Hardlinks: true}
			b.Run("extfs", func(b *testing.B) {
				runCopy(b, dst, treeBytes, func() error {
					_, err := extfs.CopyTree(context.Background(), src, dst, opt)
					return err
				})
			})
			b.Run("cp-a", func(b *testing.B) {
				runCopy(b, dst, treeBytes, tool("cp", "-a", src, dst))
			})
			b.Run("rsync-a", func(b *testing.B) {
				needTool(b, "rsync")
				runCopy(b, dst, treeBytes, tool("rsync", "-a", src+"/", dst+"/"))
			})
			b.Run("rounds", func(b *testing.B) {
				needTool(b, "rsync")
				runRounds(b, dst, []round{
					{"extfs", func() error {
						_, err := extfs.CopyTree(context.Background(), src, dst, opt)
						return err
					}},
					{"cp-a", tool("cp", "-a", src, dst)},
					{"rsync-a", tool("rsync", "-a", src+"/", dst+"/")},
					{fmt.Sprint("syscalls-", runtime.GOMAXPROCS(0)), func() error {
						return bareTreeCopy(src, dst, runtime.GOMAXPROCS(0), kind != testfs.Ext4, false)
					}},
					{fmt.Sprint("syscalls-osfile-", runtime.GOMAXPROCS(0)), func() error {
						return bareTreeCopy(src, dst, runtime.GOMAXPROCS(0), kind != testfs.Ext4, true)
					}},
				})
			})
			clone := kind != testfs.Ext4
			b.Run("syscalls-1", func(b *testing.B) {
				runCopy(b, dst, treeBytes, func() error { return bareTreeCopy(src, dst, 1, clone, false) })
			})
			b.Run(fmt.Sprint("syscalls-", runtime.GOMAXPROCS(0)), func(b *testing.B) {
				runCopy(b, dst, treeBytes, func() error { return bareTreeCopy(src, dst, runtime.GOMAXPROCS(0), clone, false) })
			})
		})
	}
}

// BenchmarkCopyTreeUpdate times a re-run onto an up-to-date copy, nothing
// changed: CopyTree with ExistingUpdate (as BenchmarkCopyTree otherwise)
// beside rsync -a, both no-ops there. The copy is made once, by CopyTree,
// before the timer. Target: CopyTree at least 2x faster than rsync -a.
//
// rounds runs extfs, rsync -a and syscalls-N in turn (see
// BenchmarkCopyTree). syscalls-N is the floor: two statx per entry (the source's and the
// copy's) and the reading of each source directory, from GOMAXPROCS
// goroutines.
func BenchmarkCopyTreeUpdate(b *testing.B) {
	for _, kind := range []string{testfs.XFS, testfs.Btrfs, testfs.Ext4} {
		b.Run(kind, func(b *testing.B) {
			dir := copyFS(b, kind)
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			makeTree(b, src)
			opt := &extfs.CopyOptions{Preserve: extfs.PreserveAll, Hardlinks: true}
			if _, err := extfs.CopyTree(context.Background(), src, dst, opt); err != nil {
				b.Fatal(err)
			}
			if err := syncfs(dir); err != nil {
				b.Fatal(err)
			}
			upd := *opt
			upd.Existing = extfs.ExistingUpdate
			noop := func(b *testing.B, fn func() error) {
				for range b.N {
					if err := fn(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.Run("extfs", func(b *testing.B) {
				noop(b, func() error {
					st, err := extfs.CopyTree(context.Background(), src, dst, &upd)
					if err == nil && st.Files != 0 {
						err = fmt.Errorf("a no-op copied %d files", st.Files)
					}
					return err
				})
			})
			b.Run("rsync-a", func(b *testing.B) {
				needTool(b, "rsync")
				noop(b, tool("rsync", "-a", src+"/", dst+"/"))
			})
			b.Run(fmt.Sprint("syscalls-", runtime.GOMAXPROCS(0)), func(b *testing.B) {
				noop(b, func() error { return bareTreeStat(src, dst, runtime.GOMAXPROCS(0)) })
			})
			b.Run("rounds", func(b *testing.B) {
				needTool(b, "rsync")
				runRounds(b, "", []round{
					{"extfs", func() error {
						_, err := extfs.CopyTree(context.Background(), src, dst, &upd)
						return err
					}},
					{"rsync-a", tool("rsync", "-a", src+"/", dst+"/")},
					{fmt.Sprint("syscalls-", runtime.GOMAXPROCS(0)), func() error {
						return bareTreeStat(src, dst, runtime.GOMAXPROCS(0))
					}},
				})
			})
		})
	}
}

// BenchmarkTreeWorkers times CopyTree of the same tree with 1 to 16
// workers, to choose the default (treeWorkers in copytree.go; figures in
// README.md). Its name does
// not match 'CopyTree': run it on its own.
func BenchmarkTreeWorkers(b *testing.B) {
	for _, kind := range []string{testfs.XFS, testfs.Ext4} {
		b.Run(kind, func(b *testing.B) {
			dir := copyFS(b, kind)
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			makeTree(b, src)
			for _, n := range []int{1, 2, 4, 6, 8, 16} {
				b.Run(fmt.Sprint("workers=", n), func(b *testing.B) {
					opt := &extfs.CopyOptions{Preserve: extfs.PreserveAll, Hardlinks: true, Workers: n}
					runCopy(b, dst, treeBytes, func() error {
						_, err := extfs.CopyTree(context.Background(), src, dst, opt)
						return err
					})
				})
			}
		})
	}
}
