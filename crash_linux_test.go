//go:build linux

package extfs_test

import (
	"bufio"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// The child process of the crash tests: it copies $EXTFS_CRASH_SRC to
// $EXTFS_CRASH_DST (with Replace if $EXTFS_CRASH_REPLACE is 1), printing
// "start", then each progress count, then "done", and exits. It runs from
// init, before TestMain, so the test binary does nothing else.
func init() {
	if os.Getenv("EXTFS_CRASH_CHILD") != "1" {
		return
	}
	fmt.Println("start")
	existing := extfs.ExistingError
	if os.Getenv("EXTFS_CRASH_REPLACE") == "1" {
		existing = extfs.ExistingReplace
	}
	_, err := extfs.CopyFile(context.Background(), os.Getenv("EXTFS_CRASH_SRC"), os.Getenv("EXTFS_CRASH_DST"), &extfs.CopyOptions{
		Existing: existing,
		CoW:      extfs.CoWNever, // a clone on XFS would leave no moment to kill
		Progress: func(done, total int64) {
			fmt.Println(done)
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("done")
	os.Exit(0)
}

const crashSize = 256 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// writeCrashFile writes crashSize bytes of content seed to name and returns
// their checksum. Each MiB differs from every other, and from every MiB of
// another seed.
func writeCrashFile(t *testing.T, name string, seed uint64) uint32 {
	t.Helper()
	block := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(seed, 0))
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sum uint32
	for i := range crashSize >> 20 {
		copy(block, fmt.Sprintf("seed %d MiB %d\n", seed, i))
		if _, err := f.Write(block); err != nil {
			t.Fatal(err)
		}
		sum = crc32.Update(sum, crcTable, block)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return sum
}

func crashChecksum(t *testing.T, name string) (sum uint32, size int64) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := crc32.New(crcTable)
	n, err := io.Copy(h, f)
	if err != nil {
		t.Fatal(err)
	}
	return h.Sum32(), n
}

// crashCopy runs the child copying src to dst, and kills it with SIGKILL
// once it has reported at least at bytes copied (at 0: as soon as it starts).
// It reports whether the copy finished before the kill.
func crashCopy(t *testing.T, src, dst string, replace bool, at int64) (finished bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"EXTFS_CRASH_CHILD=1",
		"EXTFS_CRASH_SRC="+src,
		"EXTFS_CRASH_DST="+dst,
		"EXTFS_CRASH_REPLACE="+map[bool]string{true: "1", false: "0"}[replace],
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if line == "done" {
			break
		}
		var n int64
		if line != "start" {
			if n, err = strconv.ParseInt(line, 10, 64); err != nil {
				t.Errorf("child said %q", line)
				continue
			}
		}
		if n >= at || (at == 0 && line == "start") {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	if !killed {
		if err != nil {
			t.Fatalf("child: %v: %s", err, stderr.String())
		}
		return true
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && !ws.Signaled() {
		// It finished between its last report and the signal.
		if err != nil {
			t.Fatalf("child: %v: %s", err, stderr.String())
		}
		return true
	}
	return false
}

// crashDirs returns a directory for the sources, and dst's directory on
// fsys. The sources are on ext4: 1 GiB of XFS holds the old dst, the new one
// being copied and one source, but not a second one.
func crashDirs(t *testing.T, fsys *testfs.FS) (srcDir, dstDir string) {
	t.Helper()
	srcDir = testfs.Get(t, testfs.Ext4).TempDir(t)
	dstDir = fsys.TempDir(t)
	return srcDir, dstDir
}

// TestCopyFileReplaceSIGKILL kills a process 16 times while CopyFile with
// Replace copies 256 MiB over an existing file, at spread-out points of the
// copy; each time dst must be the old content or the new, whole, and dst's
// directory must hold nothing else: on ext4 and XFS the temporary file is
// unnamed (O_TMPFILE) until complete.
func TestCopyFileReplaceSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("copies 256 MiB 32 times")
	}
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		srcDir, dstDir := crashDirs(t, fsys)
		// Each round copies over dst whichever of a and b it does not hold.
		a, b := filepath.Join(srcDir, "a"), filepath.Join(srcDir, "b")
		sumA, sumB := writeCrashFile(t, a, 1), writeCrashFile(t, b, 2)
		dst := filepath.Join(dstDir, "dst")
		if _, err := extfs.CopyFile(context.Background(), a, dst, &extfs.CopyOptions{CoW: extfs.CoWNever}); err != nil {
			t.Fatal(err)
		}
		holds := sumA
		start := time.Now()
		finished := 0
		for k := range 16 {
			src, want := b, sumB
			if holds == sumB {
				src, want = a, sumA
			}
			at := int64(k) * crashSize / 16
			if crashCopy(t, src, dst, true, at) {
				finished++
			}
			sum, size := crashChecksum(t, dst)
			switch {
			case size == crashSize && sum == holds:
			case size == crashSize && sum == want:
				holds = want
			default:
				t.Fatalf("kill %d (at %d bytes): dst is neither the old nor the new content: %d bytes, crc %#x (old %#x, new %#x)",
					k, at, size, sum, holds, want)
			}
			if names := dirNames(t, dstDir); len(names) != 1 || names[0] != "dst" {
				t.Fatalf("kill %d (at %d bytes): dst's directory holds %q", k, at, names)
			}
		}
		t.Logf("16 kills in %v; %d copies finished first", time.Since(start).Round(time.Millisecond), finished)
		if finished > 4 {
			t.Errorf("%d of 16 copies finished before the kill: the kills did not land during the copy", finished)
		}
	}, testfs.Ext4, testfs.XFS)
}

// TestCopyFileSIGKILL kills a process while plain CopyFile (no Replace)
// copies 256 MiB to a new name: dst is then absent or complete, and nothing
// else is in its directory.
func TestCopyFileSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("copies 256 MiB 4 times")
	}
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		srcDir, dstDir := crashDirs(t, fsys)
		src := filepath.Join(srcDir, "src")
		want := writeCrashFile(t, src, 3)
		dst := filepath.Join(dstDir, "dst")
		for k := range 4 {
			at := int64(k) * crashSize / 4
			crashCopy(t, src, dst, false, at)
			names := dirNames(t, dstDir)
			switch {
			case len(names) == 0:
			case len(names) == 1 && names[0] == "dst":
				if sum, size := crashChecksum(t, dst); size != crashSize || sum != want {
					t.Fatalf("kill %d (at %d bytes): dst is incomplete: %d bytes, crc %#x (want %#x)", k, at, size, sum, want)
				}
				if err := os.Remove(dst); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("kill %d (at %d bytes): dst's directory holds %q", k, at, names)
			}
		}
	}, testfs.Ext4, testfs.XFS)
}
