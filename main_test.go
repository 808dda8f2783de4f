package extfs_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// TestMain runs the tests through testfs.Main (real filesystems, unmounted at
// the end) and then fails the run if the tests leaked file descriptors or
// goroutines.
//
// The baseline is taken after the process-wide io_uring ring exists: the ring
// (one descriptor, one reaper goroutine) is made once, on first use, and
// lives as long as the process; it is not a leak.
func TestMain(m *testing.M) {
	// Made once per process and kept: the shared io_uring ring (a descriptor
	// and a reaper goroutine) and the Go runtime's poller (epoll + eventfd).
	extfs.Supports(extfs.FeatureRing)
	if f, err := os.Open(os.Args[0]); err == nil {
		f.Close()
	}
	before := snapshotResources()
	code := testfs.Main(m)
	if leaks := waitNoLeaks(before, 5*time.Second); leaks != "" {
		fmt.Fprintf(os.Stderr, "FAIL: resources leaked by the tests:\n%s", leaks)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

type resources struct {
	fds        map[string]string // fd number -> what it refers to
	goroutines map[string]string // goroutine id -> its stack
}

func snapshotResources() resources {
	r := resources{fds: map[string]string{}, goroutines: map[string]string{}}
	dir := "/proc/self/fd"
	if runtime.GOOS != "linux" {
		dir = "/dev/fd"
	}
	ents, err := os.ReadDir(dir)
	if err == nil {
		for _, e := range ents {
			target, err := os.Readlink(dir + "/" + e.Name())
			if err != nil {
				continue // the descriptor of the directory listing itself, closed by now
			}
			r.fds[e.Name()] = target
		}
	}
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		s := string(g)
		var id string
		if rest, ok := strings.CutPrefix(s, "goroutine "); ok {
			id, _, _ = strings.Cut(rest, " ")
		}
		if _, err := strconv.Atoi(id); err == nil {
			r.goroutines[id] = s
		}
	}
	return r
}

// leaks describes what now has and before had not; "" if nothing.
func leaks(before, now resources) string {
	var out []string
	for fd, target := range now.fds {
		if old, ok := before.fds[fd]; ok && old == target {
			continue
		}
		if strings.HasPrefix(target, "/proc/") && strings.HasSuffix(target, "/fd") {
			continue // the listing of /proc/self/fd
		}
		out = append(out, fmt.Sprintf("  fd %s -> %s\n", fd, target))
	}
	for id, stack := range now.goroutines {
		if _, ok := before.goroutines[id]; ok {
			continue
		}
		// os/signal's dispatcher starts once, on the first signal.Notify, and
		// never exits (testfs forwards signals to its namespace child).
		if strings.Contains(stack, "os/signal.signal_recv") || strings.Contains(stack, "os/signal.loop") {
			continue
		}
		out = append(out, "  goroutine "+strings.ReplaceAll(stack, "\n", "\n    ")+"\n")
	}
	sort.Strings(out)
	return strings.Join(out, "")
}

// waitNoLeaks polls until nothing leaked or wait has passed: goroutines that
// the tests' cleanups stopped may take a moment to return.
func waitNoLeaks(before resources, wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		l := leaks(before, snapshotResources())
		if l == "" || time.Now().After(deadline) {
			return l
		}
		time.Sleep(50 * time.Millisecond)
	}
}
