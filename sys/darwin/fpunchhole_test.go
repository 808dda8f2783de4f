package darwin

import (
	"testing"
	"unsafe"
)

// TestFpunchholeLayout checks Fpunchhole against fpunchhole_t: 24 bytes,
// fields at 0, 4, 8 and 16.
func TestFpunchholeLayout(t *testing.T) {
	var p Fpunchhole
	got := [...]uintptr{unsafe.Sizeof(p), unsafe.Offsetof(p.Flags), unsafe.Offsetof(p.Reserved), unsafe.Offsetof(p.Offset), unsafe.Offsetof(p.Length)}
	want := [...]uintptr{24, 0, 4, 8, 16}
	if got != want {
		t.Errorf("Fpunchhole size and offsets = %v; want %v", got, want)
	}
}
