//go:build linux

package linux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// Every op kind in one Run, under each engine (and auto), checked with
// direct x/sys calls.
func TestRunAllOps(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) { runAllOps(t, x) })
	t.Run("auto", func(t *testing.T) {
		prev := SetEngine(EngineAuto)
		defer SetEngine(prev)
		x := &fx{mode: "auto", dir: t.TempDir()}
		x.dirfd, _ = unix.Open(x.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		defer unix.Close(x.dirfd)
		x.file = filepath.Join(x.dir, "file")
		x.fd, _ = unix.Open(x.file, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
		defer unix.Close(x.fd)
		runAllOps(t, x)
	})
}

func runAllOps(t *testing.T, x *fx) {
	// Setup with direct calls.
	content := []byte("0123456789abcdef")
	unix.Pwrite(x.fd, content, 0)
	unix.Fsetxattr(x.fd, "user.get", []byte("gotten"), 0)
	big := bytes.Repeat([]byte("x"), 3000)
	unix.Fsetxattr(x.fd, "user.big", big, 0)
	unix.Fsetxattr(x.fd, "user.rm", []byte("1"), 0)
	os.Symlink("file", filepath.Join(x.dir, "sym"))
	os.WriteFile(filepath.Join(x.dir, "old"), nil, 0o644)
	os.WriteFile(filepath.Join(x.dir, "gone"), nil, 0o644)
	os.WriteFile(filepath.Join(x.dir, "attrs"), nil, 0o644)
	other, _ := unix.Open(filepath.Join(x.dir, "other"), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	times, _ := unix.Open(filepath.Join(x.dir, "times"), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	defer unix.Close(times)
	toClose, _ := unix.Open(x.file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	var p [2]int
	unix.Pipe2(p[:], unix.O_CLOEXEC)
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	unix.Write(p[1], []byte("pipe"))

	var stName, stEmpty unix.Statx_t
	rbuf := make([]byte, 6)
	woff := int64(0)
	ts := [2]unix.Timespec{{Sec: 111}, {Sec: 222}}
	ops := map[string]*Op{
		"fallocate":   FallocateOp(other, 0, 0, 1<<20),
		"fadvise":     FadviseOp(x.fd, 0, 0, unix.FADV_WILLNEED),
		"fsync":       FsyncOp(x.fd, true),
		"fgetxattr":   GetxattrOp(fsenum.XattrAt{Fd: x.fd}, "user.get"),
		"getxattr":    GetxattrOp(fsenum.XattrAt{Path: x.file}, "user.big"),
		"lgetxattr":   GetxattrOp(fsenum.XattrAt{Path: x.file, NoFollow: true}, "user.get"),
		"fsetxattr":   SetxattrOp(fsenum.XattrAt{Fd: x.fd}, "user.set", []byte("set"), 0),
		"setxattr":    SetxattrOp(fsenum.XattrAt{Path: x.file}, "user.set2", []byte("set2"), 0),
		"flistxattr":  ListxattrOp(fsenum.XattrAt{Fd: x.fd}),
		"listxattr":   ListxattrOp(fsenum.XattrAt{Path: x.file, NoFollow: true}),
		"fremovexatt": RemovexattrOp(fsenum.XattrAt{Fd: x.fd}, "user.rm"),
		"removexattr": RemovexattrOp(fsenum.XattrAt{Path: x.file}, "user.none"), // fails: ENODATA
		"statx":       StatxOp(x.dirfd, "file", 0, unix.STATX_BASIC_STATS, &stName),
		"statxEmpty":  StatxOp(x.fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &stEmpty),
		"linkat":      LinkatOp(x.dirfd, "file", x.dirfd, "hard", 0),
		"symlinkat":   SymlinkatOp("target", x.dirfd, "newsym"),
		"readlinkat":  ReadlinkatOp(x.dirfd, "sym"),
		"unlinkat":    UnlinkatOp(x.dirfd, "gone", 0),
		"renameat2":   Renameat2Op(x.dirfd, "old", x.dirfd, "new", 0),
		"mkdirat":     MkdiratOp(x.dirfd, "dir", 0o755),
		"openat":      OpenatOp(x.dirfd, "file", unix.O_RDONLY|unix.O_CLOEXEC, 0),
		"openat2":     Openat2Op(x.dirfd, "file", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC}),
		"close":       CloseOp(toClose),
		"pread":       PreadOp(x.fd, rbuf, 4),
		"pwrite":      PwriteOp(other, []byte("written"), 1<<20),
		"splice":      SpliceOp(p[0], nil, other, &woff, 4, 0),
		"fchmod":      FchmodOp(other, 0o600),
		"fchmodat":    FchmodatOp(x.dirfd, "attrs", 0o604, 0),
		"fchown":      FchownOp(other, 7, 8),
		"fchownat":    FchownatOp(x.dirfd, "attrs", 9, 10, 0),
		"futimens":    FutimensOp(times, &ts),
		"utimensat":   UtimensAtOp(x.dirfd, "attrs", &ts, 0),
		"mknodat":     MknodatOp(x.dirfd, "fifo", unix.S_IFIFO|0o644, 0),
		"missing":     StatxOp(x.dirfd, "missing", 0, unix.STATX_BASIC_STATS, new(unix.Statx_t)),
	}
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	// Slice order decides Run's error: put the two failing ops in known places.
	order := []*Op{nil}
	for _, n := range names {
		if n != "missing" && n != "removexattr" {
			order = append(order, ops[n])
		}
	}
	order = append(order, ops["missing"], ops["removexattr"])
	var before uint64
	if x.shared != nil {
		before = x.shared.submitted.Load()
	}
	err := Run(context.Background(), order)
	if err != unix.ENOENT {
		t.Errorf("Run = %v, want ENOENT (the first failing op in slice order)", err)
	}
	if x.mode == "ring" && x.shared.submitted.Load()-before < 20 {
		t.Errorf("ring engine submitted only %d SQEs", x.shared.submitted.Load()-before)
	}
	if x.mode == "syscall" && x.shared != nil && x.shared.submitted.Load() != before {
		t.Error("syscall engine used the ring")
	}
	for _, n := range names {
		switch n {
		case "missing":
			wantErrno(t, n, ops[n].Err(), unix.ENOENT)
		case "removexattr":
			wantErrno(t, n, ops[n].Err(), unix.ENODATA)
		default:
			if err := ops[n].Err(); err != nil {
				t.Errorf("%s: %v", n, err)
			}
		}
	}
	if t.Failed() {
		return
	}
	st := fstat(t, x.fd)
	for _, s := range []*unix.Statx_t{&stName, &stEmpty} {
		if s.Ino != st.Ino || int64(s.Size) != st.Size {
			t.Errorf("statx ino %d size %d, fstat ino %d size %d", s.Ino, s.Size, st.Ino, st.Size)
		}
	}
	if v := ops["fgetxattr"].Value(); string(v) != "gotten" {
		t.Errorf("fgetxattr value %q", v)
	}
	if v := ops["getxattr"].Value(); !bytes.Equal(v, big) {
		t.Errorf("getxattr value: %d bytes", len(v))
	}
	if v := ops["lgetxattr"].Value(); string(v) != "gotten" {
		t.Errorf("lgetxattr value %q", v)
	}
	for name, want := range map[string]string{"user.set": "set", "user.set2": "set2"} {
		buf := make([]byte, 16)
		if n, err := unix.Getxattr(x.file, name, buf); err != nil || string(buf[:n]) != want {
			t.Errorf("%s = %q, %v", name, buf[:max(n, 0)], err)
		}
	}
	if _, err := unix.Getxattr(x.file, "user.rm", nil); err != unix.ENODATA {
		t.Errorf("user.rm after fremovexattr: %v", err)
	}
	for _, n := range []string{"flistxattr", "listxattr"} {
		if names := ops[n].Names(); !containsAll(names, "user.get", "user.big") {
			t.Errorf("%s = %q", n, names)
		}
	}
	if st.Nlink != 2 {
		t.Errorf("nlink %d after linkat", st.Nlink)
	}
	if got, _ := os.Readlink(filepath.Join(x.dir, "newsym")); got != "target" {
		t.Errorf("newsym -> %q", got)
	}
	if v := string(ops["readlinkat"].Value()); v != "file" {
		t.Errorf("readlinkat = %q", v)
	}
	if _, err := os.Lstat(filepath.Join(x.dir, "gone")); !os.IsNotExist(err) {
		t.Errorf("gone: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(x.dir, "new")); err != nil {
		t.Errorf("renamed: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(x.dir, "dir")); err != nil || !fi.IsDir() {
		t.Errorf("mkdirat: %v", err)
	}
	for _, n := range []string{"openat", "openat2"} {
		fd := ops[n].N()
		buf := make([]byte, 4)
		if k, err := unix.Read(fd, buf); err != nil || k != 4 || string(buf) != "0123" {
			t.Errorf("%s fd %d: read %d %q %v", n, fd, k, buf, err)
		}
		unix.Close(fd)
	}
	if _, err := unix.FcntlInt(uintptr(toClose), unix.F_GETFD, 0); err != unix.EBADF {
		t.Errorf("fd still open after CloseOp: %v", err)
	}
	if ops["pread"].N() != 6 || string(rbuf) != "456789" {
		t.Errorf("pread %d %q", ops["pread"].N(), rbuf)
	}
	ost := fstat(t, other)
	if ops["pwrite"].N() != 7 || ost.Size != 1<<20+7 {
		t.Errorf("pwrite n=%d, size %d", ops["pwrite"].N(), ost.Size)
	}
	if ost.Blocks*512 < 1<<20 {
		t.Errorf("fallocate: %d blocks", ost.Blocks)
	}
	sb := make([]byte, 4)
	unix.Pread(other, sb, 0)
	if ops["splice"].N() != 4 || string(sb) != "pipe" || woff != 4 {
		t.Errorf("splice n=%d data %q woff %d", ops["splice"].N(), sb, woff)
	}
	if ost.Mode&0o777 != 0o600 || ost.Uid != 7 || ost.Gid != 8 {
		t.Errorf("other: mode %o owner %d:%d", ost.Mode&0o777, ost.Uid, ost.Gid)
	}
	if tst := fstat(t, times); tst.Atim.Sec != 111 || tst.Mtim.Sec != 222 {
		t.Errorf("futimens: atime %d mtime %d", tst.Atim.Sec, tst.Mtim.Sec)
	}
	var nst unix.Stat_t
	unix.Stat(filepath.Join(x.dir, "attrs"), &nst)
	if nst.Uid != 9 || nst.Mtim.Sec != 222 || nst.Mode&0o777 != 0o604 {
		t.Errorf("attrs: uid %d mtime %d mode %o", nst.Uid, nst.Mtim.Sec, nst.Mode&0o777)
	}
	if fi, err := os.Lstat(filepath.Join(x.dir, "fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("mknodat fifo: %v %v", fi, err)
	}
	unix.Close(other)
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, s := range list {
			found = found || s == w
		}
		if !found {
			return false
		}
	}
	return true
}

// Reusing an Op runs it again with fresh results.
func TestRunReuse(t *testing.T) {
	engines(t, func(t *testing.T, x *fx) {
		unix.Fsetxattr(x.fd, "user.a", bytes.Repeat([]byte("a"), 1000), 0)
		op := GetxattrOp(fsenum.XattrAt{Fd: x.fd}, "user.a")
		if err := Run(context.Background(), []*Op{op}); err != nil {
			t.Fatal(err)
		}
		first := op.Value()
		unix.Fsetxattr(x.fd, "user.a", []byte("b"), 0)
		if err := Run(context.Background(), []*Op{op}); err != nil {
			t.Fatal(err)
		}
		if len(first) != 1000 || first[0] != 'a' || string(op.Value()) != "b" {
			t.Errorf("first %d bytes %q..., second %q", len(first), first[:1], op.Value())
		}
		if err := Run(context.Background(), nil); err != nil {
			t.Errorf("empty Run: %v", err)
		}
	})
}

// A cancelled context: ops stuck on the ring (reads of empty pipes) are
// cancelled and report ctx.Err(); ops that completed report success.
func TestRunCancelInFlight(t *testing.T) {
	requireRing(t)
	prev := SetEngine(EngineRing)
	defer SetEngine(prev)
	fdsBefore := countFDs(t)
	dir := t.TempDir()
	var ops, reads []*Op
	var pipes [][2]int
	for i := 0; i < 8; i++ {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		pipes = append(pipes, p)
		op := PreadOp(p[0], make([]byte, 8), 0)
		reads = append(reads, op)
		ops = append(ops, op)
	}
	var sts [8]unix.Statx_t
	for i := range sts {
		ops = append(ops, StatxOp(unix.AT_FDCWD, dir, 0, unix.STATX_BASIC_STATS, &sts[i]))
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := Run(ctx, ops)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %v after cancel", d)
	}
	for i, op := range reads {
		if !errors.Is(op.Err(), context.Canceled) {
			t.Errorf("read %d: %v, want context.Canceled", i, op.Err())
		}
	}
	for i, op := range ops[8:] {
		if op.Err() != nil || sts[i].Ino == 0 {
			t.Errorf("statx %d: %v (ino %d)", i, op.Err(), sts[i].Ino)
		}
	}
	// The cancelled reads must really be gone: data written now stays in the pipe.
	for _, p := range pipes {
		unix.Write(p[1], []byte("late"))
		buf := make([]byte, 8)
		if n, err := unix.Read(p[0], buf); n != 4 || err != nil {
			t.Errorf("pipe after cancel: read %d, %v", n, err)
		}
		unix.Close(p[0])
		unix.Close(p[1])
	}
	if n := countFDs(t); n != fdsBefore {
		t.Errorf("fds: %d before, %d after", fdsBefore, n)
	}
}

// Ops not yet started when ctx is done report ctx.Err() and have no effect;
// none reports nil without having run.
func TestRunCancelBeforeStart(t *testing.T) {
	for _, e := range []Engine{EngineSyscall, EngineRing, EngineAuto} {
		t.Run(e.String(), func(t *testing.T) {
			prev := SetEngine(e)
			defer SetEngine(prev)
			dir := t.TempDir()
			mk := func() []*Op {
				var ops []*Op
				for i := 0; i < 300; i++ {
					ops = append(ops, MkdiratOp(unix.AT_FDCWD, filepath.Join(dir, strconv.Itoa(i)), 0o755))
				}
				return ops
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			ops := mk()
			if err := Run(ctx, ops); !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v", err)
			}
			for i, op := range ops {
				if !errors.Is(op.Err(), context.Canceled) {
					t.Errorf("op %d: %v", i, op.Err())
				}
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("%d dirs created by a cancelled Run", len(ents))
			}
			// Cancel while running: every op either ran (nil, dir exists) or
			// reports an error (and the dir does not exist).
			ctx, cancel = context.WithCancel(context.Background())
			ops = mk()
			go func() {
				time.Sleep(200 * time.Microsecond)
				cancel()
			}()
			Run(ctx, ops)
			for i, op := range ops {
				_, statErr := os.Stat(filepath.Join(dir, strconv.Itoa(i)))
				if (op.Err() == nil) != (statErr == nil) {
					t.Errorf("op %d: err %v but stat %v", i, op.Err(), statErr)
				}
				if op.Err() != nil && !errors.Is(op.Err(), context.Canceled) {
					t.Errorf("op %d: %v", i, op.Err())
				}
			}
		})
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// 1000 goroutines mixing single calls and Runs on the shared ring.
func TestRingConcurrentMix(t *testing.T) {
	requireRing(t)
	prev := SetEngine(EngineRing)
	defer SetEngine(prev)
	getRing() // the shared ring's reaper is not a leak
	dir := t.TempDir()
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	fds, gs := countFDs(t), runtime.NumGoroutine()
	var wg sync.WaitGroup
	for g := 0; g < 1000; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			if err := mixOnce(dirfd, g); err != nil {
				t.Errorf("goroutine %d: %v", g, err)
			}
		}(g)
	}
	wg.Wait()
	if n := countFDs(t); n != fds {
		t.Errorf("fds: %d before, %d after", fds, n)
	}
	waitGoroutines(t, gs)
}

func mixOnce(dirfd, g int) error {
	name := "f" + strconv.Itoa(g)
	fd, err := Openat(dirfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("openat: %w", err)
	}
	defer Close(fd)
	payload := []byte(strings.Repeat(name, 10))
	if n, err := Pwrite(fd, payload, 0); err != nil || n != len(payload) {
		return fmt.Errorf("pwrite %d: %v", n, err)
	}
	var st unix.Statx_t
	got := make([]byte, len(payload))
	ops := []*Op{
		FallocateOp(fd, unix.FALLOC_FL_KEEP_SIZE, 0, 64<<10),
		SetxattrOp(fsenum.XattrAt{Fd: fd}, "user.g", []byte(name), 0),
		StatxOp(fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &st),
		PreadOp(fd, got, 0),
		FsyncOp(fd, true),
	}
	if err := Run(context.Background(), ops); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if int(st.Size) != len(payload) || !bytes.Equal(got, payload) {
		return fmt.Errorf("statx size %d, pread %q", st.Size, got)
	}
	if v, err := Getxattr(fsenum.XattrAt{Fd: fd}, "user.g"); err != nil || string(v) != name {
		return fmt.Errorf("fgetxattr %q %v", v, err)
	}
	return Unlinkat(dirfd, name, 0)
}

// EngineAuto under heavy concurrency: once many goroutines are blocked in
// direct calls, ring-capable ops go to the ring instead of pinning more
// threads; EngineSyscall never uses the ring. Durations and threads are
// logged only.
func TestAutoCrowdedUsesRing(t *testing.T) {
	requireRing(t)
	for _, e := range []Engine{EngineSyscall, EngineAuto} {
		t.Run(e.String(), func(t *testing.T) {
			prev := SetEngine(e)
			defer SetEngine(prev)
			r := getRing()
			dir := t.TempDir()
			const n = 2000
			fds := make([]int, n)
			for i := range fds {
				fd, err := unix.Open(filepath.Join(dir, strconv.Itoa(i)), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				fds[i] = fd
				defer unix.Close(fd)
			}
			before := r.submitted.Load()
			threadsBefore := threads(t)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(fd int) {
					defer wg.Done()
					<-start
					if err := Fallocate(fd, 0, 0, 64<<10); err != nil {
						t.Error(err)
					}
					if _, err := Pwrite(fd, make([]byte, 4096), 0); err != nil {
						t.Error(err)
					}
					if err := Fsync(fd, false); err != nil {
						t.Error(err)
					}
				}(fds[i])
			}
			peak := 0
			stop, sampled := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(sampled)
				for {
					select {
					case <-stop:
						return
					default:
					}
					peak = max(peak, threads(t))
					time.Sleep(time.Millisecond)
				}
			}()
			t0 := time.Now()
			close(start)
			wg.Wait()
			d := time.Since(t0)
			close(stop)
			<-sampled
			used := r.submitted.Load() - before
			t.Logf("%v: %v; threads %d before, peak %d; %d of %d ops on the ring", e, d, threadsBefore, peak, used, 3*n)
			// What the engine chose, not what it cost: threads are the
			// process's (earlier tests' too, Go keeps them), and are
			// measured per process in bench's BenchmarkThreads10k.
			switch {
			case e == EngineSyscall && used != 0:
				t.Errorf("syscall engine: %d ops on the ring; want none", used)
			case e == EngineAuto && used == 0:
				t.Errorf("auto engine, %d goroutines in fallocate, pwrite and fsync: no op on the ring", n)
			}
		})
	}
}

// The dispatch rule itself: with many goroutines blocked in direct calls,
// a ring-capable op goes to the ring; one without an opcode stays direct.
func TestAutoDispatch(t *testing.T) {
	requireRing(t)
	prev := SetEngine(EngineAuto)
	defer SetEngine(prev)
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	r := getRing()
	x := &fx{mode: "ring", shared: r}
	// Quiet: direct.
	n := r.submitted.Load()
	if err := Fsync(fd, false); err != nil || r.submitted.Load() != n {
		t.Errorf("quiet auto: err %v, ring used %v", err, r.submitted.Load() != n)
	}
	blocked.Add(1000) // as if 1000 goroutines sat in direct calls
	defer blocked.Add(-1000)
	x.onRing(t, true, func() {
		if err := Fsync(fd, false); err != nil {
			t.Error(err)
		}
	})
	x.onRing(t, false, func() {
		if err := Fchmod(fd, 0o600); err != nil {
			t.Error(err)
		}
	})
	// EngineSyscall never uses the ring, however crowded.
	SetEngine(EngineSyscall)
	x.onRing(t, false, func() {
		if err := Fsync(fd, false); err != nil {
			t.Error(err)
		}
	})
}

func threads(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func TestEngineParse(t *testing.T) {
	for s, want := range map[string]Engine{"": EngineAuto, "auto": EngineAuto, "ring": EngineRing, "syscall": EngineSyscall} {
		if e, err := ParseEngine(s); e != want || err != nil {
			t.Errorf("ParseEngine(%q) = %v, %v", s, e, err)
		}
		if s != "" && want.String() != s {
			t.Errorf("%v.String() = %q", want, want.String())
		}
	}
	if _, err := ParseEngine("uring"); err == nil {
		t.Error("ParseEngine(uring) succeeded")
	}
	prev := SetEngine(EngineSyscall)
	if CurrentEngine() != EngineSyscall || SetEngine(prev) != EngineSyscall {
		t.Error("SetEngine/CurrentEngine disagree")
	}
	if SetEngine(Engine(42)); CurrentEngine() != EngineAuto {
		t.Error("invalid engine not mapped to auto")
	}
	SetEngine(prev)
}

// The env var is read at init; check it in a child process.
func TestEngineEnv(t *testing.T) {
	if v := os.Getenv("EXTFS_ENGINE_CHILD"); v != "" {
		want, _ := ParseEngine(v)
		if v == "bogus" || (want == EngineRing && !RingAvailable()) {
			want = EngineAuto // an unusable ring is reported as what runs
		}
		wantErr := v == "bogus" || (v == "ring" && !RingAvailable())
		if CurrentEngine() != want || (EngineEnvError() != nil) != wantErr {
			fmt.Printf("engine %v err %v\n", CurrentEngine(), EngineEnvError())
			os.Exit(1)
		}
		os.Exit(0)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	for _, v := range []string{"ring", "syscall", "bogus"} {
		var attr os.ProcAttr
		// The child must see this value, not one this process was given:
		// with a key twice in the environment, the first one counts.
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "EXTFS_ENGINE=") {
				env = append(env, kv)
			}
		}
		attr.Env = append(env, "EXTFS_ENGINE_CHILD="+v, "EXTFS_ENGINE="+v)
		attr.Files = []*os.File{nil, os.Stdout, os.Stderr}
		p, err := os.StartProcess(exe, []string{exe, "-test.run=^TestEngineEnv$"}, &attr)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := p.Wait(); !st.Success() {
			t.Errorf("EXTFS_ENGINE=%s: child failed", v)
		}
	}
}

// TestSplitRunHere: Split keeps a batch whole for the ring and shares it
// among at most workerLimit goroutines otherwise; RunHere runs every op and
// returns the first error in slice order.
func TestSplitRunHere(t *testing.T) {
	requireRing(t)
	prev := SetEngine(EngineRing)
	if got := Split(1000); got != 1 {
		t.Errorf("EngineRing: Split(1000) = %d, want 1", got)
	}
	SetEngine(EngineSyscall)
	t.Cleanup(func() { SetEngine(prev) })
	for _, c := range []struct{ n, want int }{{0, 1}, {1, 1}, {minRun, 1}, {minRun + 1, min(2, workerLimit())}, {1000, workerLimit()}} {
		if got := Split(c.n); got != c.want {
			t.Errorf("EngineSyscall: Split(%d) = %d, want %d", c.n, got, c.want)
		}
	}

	dir := t.TempDir()
	ops := []*Op{
		MkdiratOp(unix.AT_FDCWD, dir+"/a", 0o755),
		nil,
		StatxOp(unix.AT_FDCWD, dir+"/missing", 0, unix.STATX_BASIC_STATS, new(unix.Statx_t)),
		MkdiratOp(unix.AT_FDCWD, dir+"/a", 0o755), // exists by now: ops run in order here
		MkdiratOp(unix.AT_FDCWD, dir+"/b", 0o755),
	}
	if err := RunHere(context.Background(), ops); err != unix.ENOENT {
		t.Errorf("RunHere = %v, want ENOENT (the first error in order)", err)
	}
	for i, want := range []error{nil, nil, unix.ENOENT, unix.EEXIST, nil} {
		if got := ops[i].Err(); got != want {
			t.Errorf("op %d: %v, want %v", i, got, want)
		}
	}
	for _, name := range []string{"a", "b"} {
		if fi, err := os.Stat(dir + "/" + name); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", name, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	op := MkdiratOp(unix.AT_FDCWD, dir+"/c", 0o755)
	if err := RunHere(ctx, []*Op{op}); err != context.Canceled {
		t.Errorf("RunHere with a cancelled ctx = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(dir + "/c"); !os.IsNotExist(err) {
		t.Errorf("c was made under a cancelled ctx: %v", err)
	}
}

// A ring asked for where none can be set up is reported as what runs
// (auto), so that saving and restoring the engine always works.
func TestEngineRingUnavailable(t *testing.T) {
	prev := SetEngine(EngineRing)
	defer SetEngine(prev)
	ringOff.Store(true)
	defer ringOff.Store(false)
	if got := CurrentEngine(); got != EngineAuto {
		t.Errorf("ring unavailable: CurrentEngine() = %v, want auto", got)
	}
	saved := CurrentEngine()
	SetEngine(EngineSyscall)
	SetEngine(saved)
	if got := CurrentEngine(); got != EngineAuto {
		t.Errorf("after restoring %v: CurrentEngine() = %v", saved, got)
	}
}
