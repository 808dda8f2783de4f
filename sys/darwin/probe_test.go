package darwin

import (
	"encoding/binary"
	"testing"

	"github.com/extfs/extfs/internal/fscaps"
)

// volCapsReply builds getattrlist's reply for interfaces word caps, valid.
func volCapsReply(caps, valid uint32) []byte {
	b := make([]byte, 36)
	binary.LittleEndian.PutUint32(b, 36)
	binary.LittleEndian.PutUint32(b[4+4*volCapInterfaces:], caps)
	binary.LittleEndian.PutUint32(b[20+4*volCapInterfaces:], valid)
	return b
}

// TestProbeCaps: what the volume vouches for is Yes or No; what it does not
// is Unknown; what macOS never does is No.
func TestProbeCaps(t *testing.T) {
	all := uint32(VolCapIntClone | VolCapIntAllocate | VolCapIntExtendedAttr)
	for _, c := range []struct {
		name        string
		caps, valid uint32
		clone, xatt fscaps.Answer
		punch       fscaps.Answer
	}{
		{"apfs", all, all, fscaps.Yes, fscaps.Yes, fscaps.Yes},
		{"hfs", VolCapIntExtendedAttr | VolCapIntAllocate, all, fscaps.No, fscaps.Yes, fscaps.No},
		{"msdos", 0, all, fscaps.No, fscaps.Unknown, fscaps.Unknown}, // xattrs in AppleDouble files
		{"smbfs", 0, 0, fscaps.Unknown, fscaps.Unknown, fscaps.Unknown},
	} {
		vc, ok := ParseVolCaps(volCapsReply(c.caps, c.valid))
		if !ok {
			t.Fatalf("%s: reply not parsed", c.name)
		}
		got := ProbeCaps(c.name, 4096, vc)
		if got.Clone != c.clone || got.Xattr != c.xatt || got.PunchHole != c.punch || got.Filesystem != c.name {
			t.Errorf("%s: %+v", c.name, got)
		}
		if got.CopyRange != fscaps.No || got.ZeroRange != fscaps.No || got.UnshareRange != fscaps.No {
			t.Errorf("%s: claims what macOS lacks: %+v", c.name, got)
		}
	}
	if _, ok := ParseVolCaps(make([]byte, 8)); ok {
		t.Error("a short reply was parsed")
	}
}

func TestPairMethod(t *testing.T) {
	apfs := &fscaps.Volume{FS: 1, Caps: fscaps.Caps{Clone: fscaps.Yes}}
	apfs2 := &fscaps.Volume{FS: 2, Caps: fscaps.Caps{Clone: fscaps.Yes}}
	smb := &fscaps.Volume{FS: 3}
	for _, c := range []struct {
		src, dst *fscaps.Volume
		want     fscaps.Method
		known    bool
	}{
		{apfs, apfs, fscaps.Clone, true},
		{apfs, apfs2, fscaps.ReadWrite, true},
		{smb, smb, fscaps.ReadWrite, false},
		{apfs, smb, fscaps.ReadWrite, true},
	} {
		if m, known := PairMethod(c.src, c.dst); m != c.want || known != c.known {
			t.Errorf("PairMethod(%d, %d) = %v, %v; want %v, %v", c.src.FS, c.dst.FS, m, known, c.want, c.known)
		}
	}
}
