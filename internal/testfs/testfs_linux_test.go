package testfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// smallSizes are the tiny filesystems TestMountENOSPC fills.
var smallSizes = map[string]int64{
	Tmpfs: 8 << 20,
	Ext4:  16 << 20,
	Btrfs: 64 << 20, // --mixed
	XFS:   MinSize(XFS),
}

// A tiny filesystem from Mount fills up: writes end in ENOSPC after roughly
// its size.
func TestMountENOSPC(t *testing.T) {
	for _, kind := range All {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			size := smallSizes[kind]
			fs := Mount(t, kind, size)
			if got, err := FsType(fs.Dir); err != nil || got != kind {
				t.Fatalf("FsType(%s) = %q, %v; want %q", fs.Dir, got, err, kind)
			}
			f, err := os.Create(filepath.Join(fs.Dir, "fill"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := bytes.Repeat([]byte{0xa5}, 1<<20) // not zeros: no fs may dedupe or compress them away
			var written int64
			for written <= 2*size {
				n, err := f.Write(buf)
				written += int64(n)
				if err != nil {
					if !errors.Is(err, syscall.ENOSPC) {
						t.Fatalf("write after %d bytes: %v, want ENOSPC", written, err)
					}
					break
				}
			}
			if written > size {
				t.Fatalf("wrote %d bytes to a %d-byte %s", written, size, kind)
			}
			if written < size/2 {
				t.Fatalf("ENOSPC after %d bytes of a %d-byte %s", written, size, kind)
			}
			t.Logf("ENOSPC after %d MiB of %d MiB", written>>20, size>>20)
		})
	}
}

// After Mount's cleanup, the mount point is gone from /proc/self/mountinfo,
// no loop device refers to the image, and image and mount point are removed.
func TestMountCleanup(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			var fs *FS
			t.Run("mount", func(t *testing.T) {
				fs = Mount(t, kind, max(MinSize(kind), 128<<20))
				if !mountinfoHas(t, fs.Dir) {
					t.Fatalf("%s not in /proc/self/mountinfo", fs.Dir)
				}
				if kind != Tmpfs && losetupJ(t, fs.image) == "" {
					t.Fatalf("losetup -j %s: no loop device", fs.image)
				}
				// Leave a file open until just before cleanup, and the
				// filesystem dirty.
				f, err := os.Create(filepath.Join(fs.Dir, "f"))
				if err != nil {
					t.Fatal(err)
				}
				f.Write(make([]byte, 1<<20))
				t.Cleanup(func() { f.Close() }) // runs before Mount's cleanup (LIFO)
			})
			if fs == nil {
				t.SkipNow() // "mount" skipped, and said why
			}
			if mountinfoHas(t, fs.Dir) {
				t.Errorf("%s still in /proc/self/mountinfo after cleanup", fs.Dir)
			}
			if fs.image != "" {
				if out := losetupJ(t, fs.image); out != "" {
					t.Errorf("loop device still attached after cleanup: %s", out)
				}
			}
			for _, p := range []string{fs.Dir, fs.image} {
				if _, err := os.Stat(p); p != "" && !os.IsNotExist(err) {
					t.Errorf("%s still exists after cleanup (%v)", p, err)
				}
			}
		})
	}
}

// mountinfoHas reports whether dir is a mount point, read independently of
// the code under test.
func mountinfoHas(t *testing.T, dir string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(" "+dir+" "))
}

func losetupJ(t *testing.T, image string) string {
	out, err := exec.Command("losetup", "-j", image).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup -j %s: %v: %s", image, err, out)
	}
	return strings.TrimSpace(string(out))
}

// FICLONE works where the filesystem shares extents (XFS with reflink=1,
// btrfs) and fails with EOPNOTSUPP where it cannot: proof that each kind is
// the filesystem it claims to be.
func TestReflink(t *testing.T) {
	want := map[string]error{
		XFS:          nil,
		Btrfs:        nil,
		XFSNoReflink: unix.EOPNOTSUPP,
		Ext4:         unix.EOPNOTSUPP,
		Tmpfs:        unix.EOPNOTSUPP,
	}
	Each(t, func(t *testing.T, fs *FS) {
		dir := fs.TempDir(t)
		data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
		src := filepath.Join(dir, "src")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		d, err := os.Create(filepath.Join(dir, "dst"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()

		err = unix.IoctlFileClone(int(d.Fd()), int(s.Fd()))
		if !errors.Is(err, want[fs.Kind]) || (err == nil) != (want[fs.Kind] == nil) {
			t.Fatalf("FICLONE on %s: %v, want %v", fs.Kind, err, want[fs.Kind])
		}
		if err != nil {
			return
		}
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("clone has %d bytes (%v), want the %d written", len(got), err, len(data))
		}
	}, Kinds...)
}

func TestBlocks(t *testing.T) {
	fs := Get(t, Ext4)
	dir := fs.TempDir(t)
	sparse := filepath.Join(dir, "sparse")
	if err := os.WriteFile(sparse, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, 1<<20); err != nil {
		t.Fatal(err)
	}
	if b := Blocks(t, sparse); b != 0 {
		t.Errorf("1 MiB hole: Blocks = %d, want 0", b)
	}
	full := filepath.Join(dir, "full")
	if err := os.WriteFile(full, bytes.Repeat([]byte{1}, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if b := Blocks(t, full); b < 2048 {
		t.Errorf("1 MiB written: Blocks = %d, want >= 2048", b)
	}
}

func TestFsType(t *testing.T) {
	for path, want := range map[string]string{"/proc": "proc", "/sys": "sysfs"} {
		if got, err := FsType(path); err != nil || got != want {
			t.Errorf("FsType(%s) = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := FsType("/does/not/exist"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("FsType of a missing path: %v, want ErrNotExist", err)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/a/b`:          "/a/b",
		`/a\040b`:       "/a b",
		`/a\134b\011c`:  "/a\\b\tc",
		`/trailing\04`:  `/trailing\04`,
		`/not\999octal`: `/not\999octal`,
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

// As a normal user, kinds that need mounting skip, saying why; ext4 on
// os.TempDir still works. With EXTFS_REQUIRE_FS=1 those skips are failures.
func TestNonRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("already not root: TestKinds itself shows the skips")
	}
	exe := copyExecutable(t)
	run := func(require string) (string, error) {
		cmd := exec.Command(exe, "-test.run=^TestKinds$", "-test.v", "-test.count=1")
		cmd.Dir = filepath.Dir(exe)
		cmd.Env = append(childEnv(), "TMPDIR="+filepath.Dir(exe), EnvRequire+"="+require)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run("")
	if err != nil {
		t.Fatalf("as uid 65534: %v\n%s", err, out)
	}
	for _, kind := range []string{Tmpfs, XFS, Btrfs, XFSNoReflink} {
		reason := "testfs: " + kind + " unavailable: mounting needs root (running as uid 65534)\n"
		if !strings.Contains(out, reason) || !strings.Contains(out, "--- SKIP: TestKinds/"+kind+" ") {
			t.Errorf("as uid 65534, no skip of %s with the reason %q:\n%s", kind, reason, out)
		}
	}
	if typ, _ := FsType(os.TempDir()); typ == Ext4 && !strings.Contains(out, "--- PASS: TestKinds/ext4 ") {
		t.Errorf("as uid 65534, ext4 on os.TempDir did not pass:\n%s", out)
	}

	out, err = run("1")
	if err == nil || !strings.Contains(out, "--- FAIL: TestKinds/xfs ") || !strings.Contains(out, "failing, not skipping: "+EnvRequire+"=1") {
		t.Errorf("as uid 65534 with %s=1: %v, want a failure of TestKinds/xfs:\n%s", EnvRequire, err, out)
	}
}

// copyExecutable copies the test binary where uid 65534 may run it: go test's
// own directory is root's alone. The directory is world-writable (sticky), to
// serve as TMPDIR too.
func copyExecutable(t *testing.T) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "testfs-nonroot-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(dir); d != filepath.Dir(d); d = filepath.Dir(d) {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm()&0o001 == 0 {
			t.Skipf("%s is not searchable by other users: cannot test as uid 65534", d)
		}
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	exe := filepath.Join(dir, "testfs.test")
	out, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return exe
}

// childEnv is the environment for a fresh run of the test binary: not the
// namespace child, no require flag.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envNamespaceChild+"=") && !strings.HasPrefix(kv, EnvRequire+"=") &&
			!strings.HasPrefix(kv, envNoNamespace+"=") && !strings.HasPrefix(kv, envHelper+"=") {
			env = append(env, kv)
		}
	}
	return env
}

const envHelper = "EXTFS_TESTFS_HELPER"

// TestHelperCrash is run by TestCrash in a child process: it mounts
// filesystems and dies of a panic in another goroutine, where no cleanup runs.
func TestHelperCrash(t *testing.T) {
	if os.Getenv(envHelper) != "crash" {
		t.Skip("helper process for TestCrash")
	}
	Get(t, XFS)
	Get(t, Btrfs)
	Mount(t, Tmpfs, 1<<20)
	Mount(t, XFSNoReflink, MinSize(XFSNoReflink))
	dir, _ := workdir()
	fmt.Printf("WORKDIR=%s\n", dir)
	done := make(chan bool)
	go func() { panic("testfs: crashing on purpose") }()
	<-done
}

// A test process that dies leaves no mount, loop device or file behind:
// with the namespace, the kernel and Main's parent process clean up at once;
// without it, the next test binary's sweep does.
func TestCrash(t *testing.T) {
	if os.Geteuid() != 0 {
		SkipOrFail(t, "TestCrash needs root")
	}
	for _, ns := range []bool{true, false} {
		t.Run(fmt.Sprintf("namespace=%v", ns), func(t *testing.T) {
			self, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			// A TMPDIR of its own, so that no other test binary sweeps the
			// helper's work directory before we look at it.
			tmp := t.TempDir()
			cmd := exec.Command(self, "-test.run=^TestHelperCrash$", "-test.v")
			cmd.Env = append(childEnv(), envHelper+"=crash", "TMPDIR="+tmp)
			if !ns {
				cmd.Env = append(cmd.Env, envNoNamespace+"=1")
			}
			start := time.Now()
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || !bytes.Contains(out, []byte("panic: testfs: crashing on purpose")) {
				t.Fatalf("helper: %v, want a panic:\n%s", err, out)
			}
			m := regexp.MustCompile(`(?m)^WORKDIR=(.+)$`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("helper printed no WORKDIR:\n%s", out)
			}
			dir := string(m[1])
			t.Cleanup(func() { cleanDir(dir) }) // before t.TempDir's RemoveAll, should the test fail
			t.Logf("helper crashed after %v; its work directory was %s", time.Since(start).Round(time.Millisecond), dir)

			if !ns {
				// Its mounts are in our namespace, its loop devices attached,
				// its lock released: what the next test binary's Main finds.
				if mps := mountPoints(dir); len(mps) != 4 {
					t.Fatalf("without a namespace, expected the helper's 4 mounts to be left; found %v", mps)
				}
				if devs := loopsBacking(dir); len(devs) != 3 {
					t.Fatalf("without a namespace, expected the helper's 3 loop devices to be left; found %v", devs)
				}
				sweepStaleIn(tmp)
			}
			if mps := mountPoints(dir); len(mps) > 0 {
				t.Errorf("mounts left: %v", mps)
			}
			if devs := loopsBacking(dir); len(devs) > 0 {
				t.Errorf("loop devices left: %v", devs)
			}
			if out, _ := exec.Command("losetup", "-a").CombinedOutput(); bytes.Contains(out, []byte(dir)) {
				t.Errorf("losetup -a still lists the helper's images:\n%s", out)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s still exists (%v)", dir, err)
			}
		})
	}
}

// sweepStale leaves the work directories of live processes alone: its own
// here, locked through another open file.
func TestSweepSparesLive(t *testing.T) {
	Get(t, Ext4) // makes the work directory
	dir, err := workdir()
	if err != nil {
		t.Fatal(err)
	}
	sweepStale()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("sweepStale removed the live work directory: %v", err)
	}
}

// When Main made a namespace, the mounts of the tests are visible in it only:
// not to Main's parent process, which stayed in the host's namespace.
func TestNamespace(t *testing.T) {
	if !inNamespaceChild() {
		t.Skip("not running in a private mount namespace")
	}
	fs := Get(t, Tmpfs)
	parent := fmt.Sprintf("/proc/%d/", os.Getppid())
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.Readlink(parent + "ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	if self == host {
		t.Fatalf("mount namespace %s is the parent's", self)
	}
	f, err := os.Open(parent + "mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), " "+fs.Dir+" ") {
			t.Errorf("the parent sees our mount: %s", sc.Text())
		}
	}
	if !mountinfoHas(t, fs.Dir) {
		t.Errorf("%s not in our own mountinfo", fs.Dir)
	}
}
