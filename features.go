package extfs

import "fmt"

// Feature names an operation or mechanism whose presence Supports reports.
type Feature int

const (
	FeatureRing                   Feature = iota + 1 // io_uring engine (Linux)
	FeatureStatx                                     // statx with birth time where the filesystem has it
	FeatureOpenat2                                   // kernel-enforced beneath-only resolution for Dir
	FeatureFadvise                                   // Fadvise
	FeatureFallocate                                 // Fallocate with mode 0 (preallocate)
	FeatureFallocatePunchHole                        // AllocPunchHole
	FeatureFallocateZeroRange                        // AllocZeroRange
	FeatureFallocateCollapseRange                    // AllocCollapseRange
	FeatureFallocateInsertRange                      // AllocInsertRange
	FeatureFallocateUnshareRange                     // AllocUnshareRange
	FeatureXattr                                     // extended attributes
	FeatureLink                                      // hard links
	FeatureSymlink                                   // symbolic links
	FeatureChown                                     // Chown
	FeatureMknod                                     // Dir.Mknod and Dir.Mkfifo
	featureEnd
)

var featureNames = [...]string{
	FeatureRing: "ring", FeatureStatx: "statx", FeatureOpenat2: "openat2",
	FeatureFadvise: "fadvise", FeatureFallocate: "fallocate",
	FeatureFallocatePunchHole: "fallocate-punch-hole", FeatureFallocateZeroRange: "fallocate-zero-range",
	FeatureFallocateCollapseRange: "fallocate-collapse-range", FeatureFallocateInsertRange: "fallocate-insert-range",
	FeatureFallocateUnshareRange: "fallocate-unshare-range", FeatureXattr: "xattr", FeatureLink: "link",
	FeatureSymlink: "symlink", FeatureChown: "chown", FeatureMknod: "mknod",
}

func (f Feature) String() string {
	if f > 0 && f < featureEnd {
		return featureNames[f]
	}
	return fmt.Sprintf("Feature(%d)", int(f))
}

// Features lists every Feature constant, for tools that print them all.
func Features() []Feature {
	fs := make([]Feature, 0, featureEnd-1)
	for f := Feature(1); f < featureEnd; f++ {
		fs = append(fs, f)
	}
	return fs
}

// Supports reports whether this OS and kernel offer f. It is probed once.
// A filesystem may still refuse an offered operation (btrfs has no collapse
// range, tmpfs no reflinks): the operation then returns an error matching
// ErrNotSupported.
func Supports(f Feature) bool {
	if f <= 0 || f >= featureEnd {
		return false
	}
	return sysFile.supports(f)
}

// RingOp is an operation of the engine that has an io_uring opcode, as
// RingOps reports it.
type RingOp struct {
	Name      string // the system call it stands for: "openat", "statx", "fallocate", "pread"
	Opcode    uint8  // its io_uring opcode (IORING_OP_*)
	Supported bool   // this kernel's ring offers Opcode (false when FeatureRing is)
	// Batched says that EngineAuto runs this operation on the ring when a
	// Batch has it: io_uring was measured faster there than worker
	// goroutines. It implies Supported. Under EngineAuto, other operations,
	// and single calls, go to the ring only while many goroutines are
	// already blocked in system calls; EngineRing sends every Supported
	// operation there, EngineSyscall none.
	Batched bool
}

// RingOps lists the operations of the engine (package sys/linux) that have
// an io_uring opcode, in a fixed order, with whether this kernel offers each
// and whether the engine uses it. The operations not listed always run as
// direct system calls. Reads and writes of a File, and CopyFile's splice,
// do not go through the engine: "pread", "pwrite" and "splice" concern
// programs that use sys/linux directly.
//
// # Linux notes
//
// The first call sets up the ring, as Supports(FeatureRing) does. Where the
// ring cannot be set up (an old kernel, io_uring_disabled, seccomp) every
// entry is there, not Supported.
//
// # Other systems
//
// There is no io_uring: RingOps returns nil.
func RingOps() []RingOp { return sysFile.ringOps() }
