package windows

// Which Fadvise and Fallocate requests Windows can carry out. Pure: the
// tests run on every OS.

// Advice is an access-pattern hint; the values are those of extfs.Advice.
type Advice int

const (
	AdviceNormal Advice = iota
	AdviceSequential
	AdviceRandom
	AdviceWillNeed
	AdviceDontNeed
	AdviceNoReuse
)

// AdviceOK reports whether Windows takes advice a (see Fadvise): not
// AdviceWillNeed or AdviceDontNeed, as it has no call that reads a range of
// a file into the cache, or drops it from there.
func AdviceOK(a Advice) bool {
	switch a {
	case AdviceNormal, AdviceSequential, AdviceRandom, AdviceNoReuse:
		return true
	}
	return false
}

// AllocMode is a Fallocate mode; the values are those of extfs.AllocMode.
type AllocMode uint32

const (
	AllocKeepSize AllocMode = 1 << iota
	AllocPunchHole
	AllocZeroRange
)

// AllocModeOK reports whether Windows can carry out mode, one extfs accepts
// (see Fallocate): preallocate, punch a hole and zero a range, each with or
// without AllocKeepSize. Windows has no call to collapse, insert or unshare
// a range.
func AllocModeOK(mode AllocMode) bool {
	switch mode &^ AllocKeepSize {
	case 0, AllocPunchHole, AllocZeroRange:
		return true
	}
	return false
}
