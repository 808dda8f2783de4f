package extfs

import (
	"fmt"
	"os"
	"sync/atomic"
)

// Engine selects how operations reach the kernel.
type Engine int

const (
	// EngineAuto uses direct system calls while few goroutines are blocked
	// in this package's calls, and io_uring (Linux) beyond that, and for a
	// Batch's reads that must wait for the disk.
	EngineAuto Engine = iota
	// EngineRing runs every operation io_uring offers on the ring (Linux).
	EngineRing
	// EngineSyscall runs every operation as a direct system call.
	EngineSyscall
)

var engineNames = [...]string{"auto", "ring", "syscall"}

func (e Engine) String() string {
	if e >= 0 && int(e) < len(engineNames) {
		return engineNames[e]
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// SetEngine sets the engine for the whole process and returns the previous
// one. The initial engine comes from the EXTFS_ENGINE environment variable
// (auto, ring or syscall). Selecting EngineRing where io_uring is not
// available returns an error matching ErrNotSupported and changes nothing.
func SetEngine(e Engine) (prev Engine, err error) {
	if e < EngineAuto || e > EngineSyscall {
		return CurrentEngine(), errInvalid("unknown engine %d", int(e))
	}
	if e == EngineRing && !Supports(FeatureRing) {
		return CurrentEngine(), notSupportedErr("io_uring engine")
	}
	return sysFile.setEngine(e), nil
}

// CurrentEngine returns the engine in use.
func CurrentEngine() Engine { return sysFile.engine() }

// noRing is the engine switch of a system without io_uring, for its
// fileSys to embed: EngineAuto and EngineSyscall both make direct calls
// (a Batch runs on worker goroutines), and EngineRing is refused before it
// gets here (Supports(FeatureRing) is false).
type noRing struct{}

var noRingEngine atomic.Int32

func init() {
	if os.Getenv("EXTFS_ENGINE") == "syscall" {
		noRingEngine.Store(int32(EngineSyscall))
	}
}

func (noRing) engine() Engine            { return Engine(noRingEngine.Load()) }
func (noRing) setEngine(e Engine) Engine { return Engine(noRingEngine.Swap(int32(e))) }
func (noRing) ringOps() []RingOp         { return nil }
