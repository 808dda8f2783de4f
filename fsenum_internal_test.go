package extfs

import (
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
)

// TestFsenumValues: the system packages' copy of Advice and AllocMode has
// extfs's values.
func TestFsenumValues(t *testing.T) {
	for a, f := range map[Advice]fsenum.Advice{
		AdviceNormal: fsenum.AdviceNormal, AdviceSequential: fsenum.AdviceSequential,
		AdviceRandom: fsenum.AdviceRandom, AdviceWillNeed: fsenum.AdviceWillNeed,
		AdviceDontNeed: fsenum.AdviceDontNeed, AdviceNoReuse: fsenum.AdviceNoReuse,
	} {
		if int(a) != int(f) {
			t.Errorf("Advice %v is %d, fsenum has %d", a, a, f)
		}
	}
	for m, f := range map[AllocMode]fsenum.AllocMode{
		AllocKeepSize: fsenum.AllocKeepSize, AllocPunchHole: fsenum.AllocPunchHole,
		AllocZeroRange: fsenum.AllocZeroRange, AllocCollapseRange: fsenum.AllocCollapseRange,
		AllocInsertRange: fsenum.AllocInsertRange, AllocUnshareRange: fsenum.AllocUnshareRange,
	} {
		if uint32(m) != uint32(f) {
			t.Errorf("AllocMode %v is %#x, fsenum has %#x", m, uint32(m), uint32(f))
		}
	}
}
