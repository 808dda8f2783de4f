//go:build linux

package extfs_test

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"github.com/extfs/extfs/sys/linux"
)

// engines are the engines every operation is tested through: EngineAuto
// too, whose single calls take direct fast paths of their own
// (sys/linux/ops.go).
var engines = []extfs.Engine{extfs.EngineAuto, extfs.EngineRing, extfs.EngineSyscall}

// eachEngine runs fn as a subtest under each of engines,
// restoring the previous engine afterwards. The engine is process-wide, so
// tests that use eachEngine must not call t.Parallel.
//
// Where io_uring is unavailable the ring subtest is skipped with the reason,
// or fails under testfs.Required().
func eachEngine(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, e := range engines {
		t.Run(e.String(), func(t *testing.T) {
			useEngine(t, e)
			fn(t)
		})
	}
}

// eachEngineFS runs fn for every engine on every filesystem kind given (by
// default testfs.All): subtests are named engine/fs, e.g. "ring/xfs".
func eachEngineFS(t *testing.T, fn func(t *testing.T, fsys *testfs.FS), kinds ...string) {
	t.Helper()
	eachEngine(t, func(t *testing.T) { testfs.Each(t, fn, kinds...) })
}

// useEngine switches to e for the rest of the test.
func useEngine(t *testing.T, e extfs.Engine) {
	t.Helper()
	if e == extfs.EngineRing && !linux.RingAvailable() {
		skipNoRing(t, "the ring engine cannot be tested")
	}
	prev, err := extfs.SetEngine(e)
	if err != nil {
		t.Fatalf("SetEngine(%v): %v", e, err)
	}
	t.Cleanup(func() {
		if _, err := extfs.SetEngine(prev); err != nil {
			t.Errorf("restoring engine %v: %v", prev, err)
		}
	})
	if got := extfs.CurrentEngine(); got != e {
		t.Fatalf("after SetEngine(%v), CurrentEngine() = %v", e, got)
	}
}

// skipNoRing skips a test that needs io_uring where it is unavailable: it
// fails instead under EXTFS_REQUIRE_FS=1, unless EXTFS_NO_IO_URING=1 says
// io_uring was turned off on purpose (scripts/test.sh's io_uring-disabled
// runs).
func skipNoRing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("EXTFS_NO_IO_URING") == "1" {
		t.Skip("io_uring is disabled for this run (EXTFS_NO_IO_URING=1): " + what)
	}
	testfs.SkipOrFail(t, "io_uring is unavailable here ("+ringUnavailableReason()+"); "+what)
}

func ringUnavailableReason() string {
	b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled")
	switch {
	case err != nil:
		return "no /proc/sys/kernel/io_uring_disabled: " + err.Error()
	case strings.TrimSpace(string(b)) != "0":
		return "kernel.io_uring_disabled=" + strings.TrimSpace(string(b))
	}
	return "io_uring_setup failed: seccomp filter or sandbox?"
}

// ringCompletions returns the number of completions the process's io_uring
// rings have posted (CqTail in /proc/self/fdinfo), read from the kernel, not
// from extfs. The CQ tail is a free-running 32-bit counter; tests compare
// values taken around a handful of operations.
func ringCompletions(t testing.TB) uint32 {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var total uint32
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || target != "anon_inode:[io_uring]" {
			continue
		}
		f, err := os.Open("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "CqTail:"); ok {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
				if err != nil {
					t.Fatalf("fdinfo %s: %q: %v", e.Name(), sc.Text(), err)
				}
				total += uint32(n)
			}
		}
		f.Close()
	}
	return total
}

func TestSetEngine(t *testing.T) {
	orig := extfs.CurrentEngine()
	t.Cleanup(func() { extfs.SetEngine(orig) })

	for _, e := range []extfs.Engine{extfs.EngineSyscall, extfs.EngineAuto, extfs.EngineRing, extfs.EngineSyscall} {
		before := extfs.CurrentEngine()
		prev, err := extfs.SetEngine(e)
		if e == extfs.EngineRing && !linux.RingAvailable() {
			wantErr(t, "SetEngine(ring) without io_uring", err, extfs.ErrNotSupported, errors.ErrUnsupported)
			if got := extfs.CurrentEngine(); got != before {
				t.Errorf("failed SetEngine(ring) changed the engine from %v to %v", before, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SetEngine(%v): %v", e, err)
		}
		if prev != before {
			t.Errorf("SetEngine(%v) returned previous %v, want %v", e, prev, before)
		}
		if got := extfs.CurrentEngine(); got != e {
			t.Errorf("after SetEngine(%v), CurrentEngine() = %v", e, got)
		}
		if got := linux.CurrentEngine(); int(got) != int(e) || got.String() != e.String() {
			t.Errorf("after SetEngine(%v), sys/linux engine is %v", e, got)
		}
	}

	before := extfs.CurrentEngine()
	for _, bad := range []extfs.Engine{-1, 3, 42} {
		prev, err := extfs.SetEngine(bad)
		wantErr(t, "SetEngine("+bad.String()+")", err, fs.ErrInvalid)
		if prev != before || extfs.CurrentEngine() != before {
			t.Errorf("SetEngine(%v) changed the engine: prev %v, now %v, was %v", bad, prev, extfs.CurrentEngine(), before)
		}
	}
	if s := extfs.Engine(42).String(); s != "Engine(42)" {
		t.Errorf("Engine(42).String() = %q", s)
	}
}

func TestSupports(t *testing.T) {
	if got, want := extfs.Supports(extfs.FeatureRing), linux.RingAvailable(); got != want {
		t.Errorf("Supports(FeatureRing) = %v, linux.RingAvailable() = %v", got, want)
	}
	if !extfs.Supports(extfs.FeatureRing) {
		skipNoRing(t, "the feature list is checked where io_uring works")
	}
	all := extfs.Features()
	if len(all) == 0 {
		t.Fatal("Features() is empty")
	}
	names := map[string]extfs.Feature{}
	for i, f := range all {
		if int(f) != i+1 {
			t.Errorf("Features()[%d] = %d, want %d (every constant, in order)", i, int(f), i+1)
		}
		name := f.String()
		if name == "" || strings.HasPrefix(name, "Feature(") {
			t.Errorf("feature %d has no name (%q)", int(f), name)
		}
		if other, dup := names[name]; dup {
			t.Errorf("features %d and %d share the name %q", int(other), int(f), name)
		}
		names[name] = f
	}
	for _, bad := range []extfs.Feature{0, -1, extfs.Feature(len(all) + 1)} {
		if extfs.Supports(bad) {
			t.Errorf("Supports(%d) = true for a value that is not a feature", int(bad))
		}
		if !strings.HasPrefix(bad.String(), "Feature(") {
			t.Errorf("Feature(%d).String() = %q", int(bad), bad.String())
		}
	}
	// Linux 6.18 has every one of these; the filesystem may still refuse an op.
	for _, f := range all {
		if !extfs.Supports(f) {
			t.Errorf("Supports(%v) = false on Linux 6.18", f)
		}
	}
}

// TestRingOps: extfs.RingOps is linux.RingOps, and says nothing is
// supported where the ring is not.
func TestRingOps(t *testing.T) {
	ops, lops := extfs.RingOps(), linux.RingOps()
	if len(ops) == 0 || len(ops) != len(lops) {
		t.Fatalf("RingOps: %d entries, linux.RingOps %d", len(ops), len(lops))
	}
	ring := extfs.Supports(extfs.FeatureRing)
	for i, op := range ops {
		if op != extfs.RingOp(lops[i]) {
			t.Errorf("RingOps()[%d] = %+v, linux.RingOps %+v", i, op, lops[i])
		}
		if op.Supported && !ring {
			t.Errorf("%s: Supported, but Supports(FeatureRing) is false", op.Name)
		}
	}
}

// TestEngineRouting checks, from the kernel's own completion counter, that
// EngineRing really runs ring-capable operations on io_uring and that
// EngineSyscall never touches the ring.
func TestEngineRouting(t *testing.T) {
	fsys := testfs.Get(t, testfs.Ext4)
	type op struct {
		name   string
		onRing bool // io_uring has an opcode for it (see sys/linux doc: Limits)
		run    func(t *testing.T, dir string, f *extfs.File) error
	}
	ops := []op{
		{"fallocate", true, func(t *testing.T, dir string, f *extfs.File) error { return f.Fallocate(0, 0, 8192) }},
		{"fadvise", true, func(t *testing.T, dir string, f *extfs.File) error { return f.Fadvise(0, 0, extfs.AdviceWillNeed) }},
		{"fsync", true, func(t *testing.T, dir string, f *extfs.File) error { return f.Sync() }},
		{"fsetxattr", true, func(t *testing.T, dir string, f *extfs.File) error { return f.SetXattr("user.r", []byte("v"), 0) }},
		{"fgetxattr", true, func(t *testing.T, dir string, f *extfs.File) error {
			v, err := f.GetXattr("user.pre")
			if err == nil && string(v) != "pre" {
				t.Errorf("GetXattr = %q, want %q", v, "pre")
			}
			return err
		}},
		{"setxattr", true, func(t *testing.T, dir string, f *extfs.File) error {
			return extfs.SetXattr(f.Name(), "user.p", []byte("v"), 0)
		}},
		{"getxattr", true, func(t *testing.T, dir string, f *extfs.File) error {
			_, err := extfs.GetXattr(f.Name(), "user.pre")
			return err
		}},
		{"statx", true, func(t *testing.T, dir string, f *extfs.File) error { _, err := extfs.Statx(f.Name()); return err }},
		{"fstatx", true, func(t *testing.T, dir string, f *extfs.File) error { _, err := f.Statx(); return err }},
		{"link", true, func(t *testing.T, dir string, f *extfs.File) error { return extfs.Link(f.Name(), join(dir, "hard")) }},
		{"symlink", true, func(t *testing.T, dir string, f *extfs.File) error { return extfs.Symlink("x", join(dir, "sym")) }},
		{"batch mkdir+rename+open+remove", true, func(t *testing.T, dir string, f *extfs.File) error {
			os.WriteFile(join(dir, "old"), nil, 0o644)
			os.WriteFile(join(dir, "gone"), nil, 0o644)
			b := extfs.NewBatch()
			b.Mkdir(join(dir, "d"), 0o755)
			b.Rename(join(dir, "old"), join(dir, "new"))
			b.Remove(join(dir, "gone"))
			o := b.OpenFile(join(dir, "created"), os.O_CREATE|os.O_WRONLY, 0o644)
			err := b.Submit(context.Background())
			if nf, _ := o.Result(); nf != nil {
				nf.Close()
			}
			return err
		}},
		{"flistxattr", false, func(t *testing.T, dir string, f *extfs.File) error { _, err := f.ListXattr(); return err }},
		{"fremovexattr", false, func(t *testing.T, dir string, f *extfs.File) error { return f.RemoveXattr("user.pre") }},
		{"readlink", false, func(t *testing.T, dir string, f *extfs.File) error {
			os.Symlink("t", join(dir, "l"))
			_, err := extfs.Readlink(join(dir, "l"))
			return err
		}},
		{"chmod", false, func(t *testing.T, dir string, f *extfs.File) error { return f.Chmod(0o600) }},
		{"chown", false, func(t *testing.T, dir string, f *extfs.File) error { return f.Chown(-1, -1) }},
		{"settimes", false, func(t *testing.T, dir string, f *extfs.File) error {
			return f.SetTimes(time.Unix(1, 0), time.Unix(2, 0))
		}},
	}
	eachEngine(t, func(t *testing.T) {
		ring := extfs.CurrentEngine() == extfs.EngineRing
		for _, o := range ops {
			t.Run(o.name, func(t *testing.T) {
				dir := fsys.TempDir(t)
				f := openFile(t, join(dir, "f"), os.O_RDWR|os.O_CREATE)
				noErr(t, "set user.pre", os.WriteFile(join(dir, "f"), []byte("data"), 0o644))
				setXattrIndependently(t, join(dir, "f"), "user.pre", []byte("pre"))

				before := ringCompletions(t)
				if err := o.run(t, dir, f); err != nil {
					t.Fatalf("%s: %v", o.name, err)
				}
				delta := ringCompletions(t) - before
				switch {
				case ring && o.onRing && delta == 0:
					t.Errorf("EngineRing: %s posted no io_uring completion: it did not run on the ring", o.name)
				case ring && !o.onRing && delta != 0:
					t.Errorf("EngineRing: %s has no io_uring opcode, yet the ring posted %d completions", o.name, delta)
				case !ring && delta != 0:
					t.Errorf("EngineSyscall: %s posted %d io_uring completions; the ring must not be used", o.name, delta)
				}
			})
		}
	})
}
