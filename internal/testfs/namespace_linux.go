//go:build linux

package testfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
)

const (
	// envNamespaceChild marks the test process that Main started in a private
	// mount namespace. Processes that the tests start inherit it and run in
	// that namespace directly.
	envNamespaceChild = "EXTFS_TESTFS_IN_NAMESPACE"
	// envNoNamespace=1 makes Main run the tests in its own process.
	envNoNamespace = "EXTFS_TESTFS_NO_NAMESPACE"
)

func inNamespaceChild() bool { return os.Getenv(envNamespaceChild) == "1" }

// runInNamespace runs this test binary again, with the same arguments, in a
// new mount namespace, and returns its exit code; ok is false when the tests
// are to run in this process instead (not root, already the child, turned
// off, or the namespace could not be made).
//
// The mounts the tests make then live only in that namespace. When its last
// process exits — however it exits — the kernel unmounts them, and the loop
// devices, set to autoclear by mount -o loop, detach. The child is killed if
// this process dies (Pdeathsig), and this process forwards the signals go test
// and a terminal send. Afterwards it removes the child's work directory if
// the child could not.
func runInNamespace() (code int, ok bool) {
	if inNamespaceChild() || os.Geteuid() != 0 {
		return 0, false
	}
	if v, _ := strconv.ParseBool(os.Getenv(envNoNamespace)); v {
		return 0, false
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testfs: running the tests in this process (no private mount namespace): %v\n", err)
		return 0, false
	}
	sweepStale()

	cmd := &exec.Cmd{
		Path:   exe,
		Args:   os.Args,
		Env:    append(os.Environ(), envNamespaceChild+"=1"),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		SysProcAttr: &syscall.SysProcAttr{
			// os/exec also makes / recursively private in the child, so no
			// mount propagates back to the host.
			Unshareflags: syscall.CLONE_NEWNS,
			// Sent when the thread that started the child exits: stay on it.
			Pdeathsig: syscall.SIGKILL,
		},
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "testfs: running the tests in this process (no private mount namespace): %v\n", err)
		return 0, false
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	signal.Stop(sigs)
	close(done)

	// The namespace is gone with the child; if it did not get to clean up, its
	// images and directories are still here.
	sweepStale()

	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "testfs: the test process died of signal %d (%v)\n", ws.Signal(), ws.Signal())
			return 128 + int(ws.Signal()), true
		}
		return exit.ExitCode(), true
	default:
		fmt.Fprintf(os.Stderr, "testfs: waiting for the test process: %v\n", err)
		return 1, true
	}
}
