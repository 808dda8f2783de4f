package windows

import "github.com/extfs/extfs/internal/fsenum"

// Which Fadvise and Fallocate requests Windows can carry out. Pure: the
// tests run on every OS.

// AdviceOK reports whether Windows takes advice a (see Fadvise): not
// fsenum.AdviceWillNeed or fsenum.AdviceDontNeed, as it has no call that reads a range of
// a file into the cache, or drops it from there.
func AdviceOK(a fsenum.Advice) bool {
	switch a {
	case fsenum.AdviceNormal, fsenum.AdviceSequential, fsenum.AdviceRandom, fsenum.AdviceNoReuse:
		return true
	}
	return false
}

// AllocModeOK reports whether Windows can carry out mode, one extfs accepts
// (see Fallocate): preallocate, punch a hole and zero a range, each with or
// without fsenum.AllocKeepSize. Windows has no call to collapse, insert or unshare
// a range.
func AllocModeOK(mode fsenum.AllocMode) bool {
	switch mode &^ fsenum.AllocKeepSize {
	case 0, fsenum.AllocPunchHole, fsenum.AllocZeroRange:
		return true
	}
	return false
}
