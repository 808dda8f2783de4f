//go:build linux

package linux

import (
	"context"
	"strconv"
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// Baselines side by side: "ring" (EngineRing), "workers" (EngineSyscall: the
// worker pool), "seq" (a plain loop of direct calls), "auto" (EngineAuto).

func withEngine(b *testing.B, e Engine) {
	b.Helper()
	prev := SetEngine(e)
	b.Cleanup(func() { SetEngine(prev) })
}

// batchFixture is 256 files for the Run benchmarks.
type batchFixture struct {
	dir   string
	dirfd int
	fds   []int
	names []string
}

const batchN = 256

func newBatchFixture(b *testing.B) *batchFixture {
	x := &batchFixture{dir: b.TempDir()}
	var err error
	if x.dirfd, err = unix.Open(x.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(x.dirfd) })
	for i := 0; i < batchN; i++ {
		name := "f" + strconv.Itoa(i)
		fd, err := unix.Openat(x.dirfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		unix.Pwrite(fd, make([]byte, 4096), 0)
		x.fds = append(x.fds, fd)
		x.names = append(x.names, name)
	}
	b.Cleanup(func() {
		for _, fd := range x.fds {
			unix.Close(fd)
		}
	})
	return x
}

// benchKinds builds one batch per kind; after() runs untimed after each iteration.
var benchKinds = []struct {
	name  string
	ops   func(x *batchFixture) []*Op
	after func(x *batchFixture, ops []*Op)
}{
	{"statx", func(x *batchFixture) []*Op {
		ops := make([]*Op, batchN)
		for i := range ops {
			ops[i] = StatxOp(x.dirfd, x.names[i], 0, unix.STATX_BASIC_STATS, new(unix.Statx_t))
		}
		return ops
	}, nil},
	{"fsetxattr", func(x *batchFixture) []*Op {
		ops := make([]*Op, batchN)
		for i := range ops {
			ops[i] = SetxattrOp(fsenum.XattrAt{Fd: x.fds[i]}, "user.bench", []byte("value"), 0)
		}
		return ops
	}, nil},
	{"fgetxattr", func(x *batchFixture) []*Op {
		for _, fd := range x.fds {
			unix.Fsetxattr(fd, "user.get", []byte("value"), 0)
		}
		ops := make([]*Op, batchN)
		for i := range ops {
			ops[i] = GetxattrOp(fsenum.XattrAt{Fd: x.fds[i]}, "user.get")
		}
		return ops
	}, nil},
	{"fallocate", func(x *batchFixture) []*Op {
		ops := make([]*Op, batchN)
		for i := range ops {
			ops[i] = FallocateOp(x.fds[i], 0, 0, 256<<10)
		}
		return ops
	}, func(x *batchFixture, _ []*Op) {
		for _, fd := range x.fds {
			unix.Ftruncate(fd, 4096)
		}
	}},
	{"openat", func(x *batchFixture) []*Op {
		ops := make([]*Op, batchN)
		for i := range ops {
			ops[i] = OpenatOp(x.dirfd, x.names[i], unix.O_RDONLY|unix.O_CLOEXEC, 0)
		}
		return ops
	}, func(x *batchFixture, ops []*Op) {
		for _, op := range ops {
			unix.Close(op.N())
		}
	}},
	{"pread", func(x *batchFixture) []*Op {
		ops := make([]*Op, batchN)
		for i := range ops {
			ops[i] = PreadOp(x.fds[i], make([]byte, 4096), 0)
		}
		return ops
	}, nil},
}

func BenchmarkRun256(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			x := newBatchFixture(b)
			ops := k.ops(x)
			modes := []string{"seq", "workers", "ring", "auto"}
			for _, mode := range modes {
				b.Run(mode, func(b *testing.B) {
					switch mode {
					case "seq", "workers":
						withEngine(b, EngineSyscall)
					case "ring":
						requireRing(b)
						withEngine(b, EngineRing)
					case "auto":
						withEngine(b, EngineAuto)
					}
					for b.Loop() {
						if mode == "seq" {
							for _, op := range ops {
								op.begin()
								op.runDirect()
							}
						} else if err := Run(context.Background(), ops); err != nil {
							b.Fatal(err)
						}
						if k.after != nil {
							b.StopTimer()
							k.after(x, ops)
							b.StartTimer()
						}
					}
					for _, op := range ops {
						if op.Err() != nil {
							b.Fatal(op.Err())
						}
					}
				})
			}
		})
	}
}

// BenchmarkWorkers tunes workerLimit: Run of 256 ops on N worker goroutines.
func BenchmarkWorkers(b *testing.B) {
	withEngine(b, EngineSyscall)
	for _, kn := range []string{"statx", "fsetxattr", "fallocate"} {
		for _, k := range benchKinds {
			if k.name != kn {
				continue
			}
			b.Run(k.name, func(b *testing.B) {
				x := newBatchFixture(b)
				ops := k.ops(x)
				for _, n := range []int{1, 2, 4, 8, 16} {
					b.Run(strconv.Itoa(n), func(b *testing.B) {
						prev := workerLimit
						workerLimit = func() int { return n }
						defer func() { workerLimit = prev }()
						for b.Loop() {
							Run(context.Background(), ops)
							if k.after != nil {
								b.StopTimer()
								k.after(x, ops)
								b.StartTimer()
							}
						}
					})
				}
			})
		}
	}
}
