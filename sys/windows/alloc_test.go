package windows

import "testing"

func TestAdviceOK(t *testing.T) {
	for a, want := range map[Advice]bool{
		AdviceNormal: true, AdviceSequential: true, AdviceRandom: true, AdviceNoReuse: true,
		AdviceWillNeed: false, AdviceDontNeed: false, Advice(42): false,
	} {
		if got := AdviceOK(a); got != want {
			t.Errorf("AdviceOK(%d) = %v; want %v", a, got, want)
		}
	}
}

func TestAllocModeOK(t *testing.T) {
	const collapse, insert, unshare = AllocZeroRange << 1, AllocZeroRange << 2, AllocZeroRange << 3
	for mode, want := range map[AllocMode]bool{
		0: true, AllocKeepSize: true,
		AllocPunchHole | AllocKeepSize: true,
		AllocZeroRange:                 true, AllocZeroRange | AllocKeepSize: true,
		collapse: false, insert: false, unshare: false, unshare | AllocKeepSize: false,
	} {
		if got := AllocModeOK(mode); got != want {
			t.Errorf("AllocModeOK(%#x) = %v; want %v", mode, got, want)
		}
	}
}
