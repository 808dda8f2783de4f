package windows

import (
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
)

func TestAdviceOK(t *testing.T) {
	for a, want := range map[fsenum.Advice]bool{
		fsenum.AdviceNormal: true, fsenum.AdviceSequential: true, fsenum.AdviceRandom: true, fsenum.AdviceNoReuse: true,
		fsenum.AdviceWillNeed: false, fsenum.AdviceDontNeed: false, fsenum.Advice(42): false,
	} {
		if got := AdviceOK(a); got != want {
			t.Errorf("AdviceOK(%d) = %v; want %v", a, got, want)
		}
	}
}

func TestAllocModeOK(t *testing.T) {
	const collapse, insert, unshare = fsenum.AllocZeroRange << 1, fsenum.AllocZeroRange << 2, fsenum.AllocZeroRange << 3
	for mode, want := range map[fsenum.AllocMode]bool{
		0: true, fsenum.AllocKeepSize: true,
		fsenum.AllocPunchHole | fsenum.AllocKeepSize: true,
		fsenum.AllocZeroRange:                        true, fsenum.AllocZeroRange | fsenum.AllocKeepSize: true,
		collapse: false, insert: false, unshare: false, unshare | fsenum.AllocKeepSize: false,
	} {
		if got := AllocModeOK(mode); got != want {
			t.Errorf("AllocModeOK(%#x) = %v; want %v", mode, got, want)
		}
	}
}
