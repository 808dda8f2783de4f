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
	return sysSupports(f)
}
