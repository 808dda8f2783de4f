package extfs

import (
	"io/fs"
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// The mapping of attributes and reparse tags to fs.FileMode, for the kinds
// of files Wine cannot make (it has no reparse points).
func TestWindowsFileMode(t *testing.T) {
	const (
		dir      = windows.FILE_ATTRIBUTE_DIRECTORY
		ro       = windows.FILE_ATTRIBUTE_READONLY
		reparse  = windows.FILE_ATTRIBUTE_REPARSE_POINT
		disk     = windows.FILE_TYPE_DISK
		cloudTag = 0x9000001A // IO_REPARSE_TAG_CLOUD_6: not a name surrogate
	)
	for _, tt := range []struct {
		name     string
		fileType uint32
		attrs    uint32
		tag      uint32
		want     fs.FileMode
	}{
		{"file", disk, windows.FILE_ATTRIBUTE_ARCHIVE, 0, 0o666},
		{"read-only file", disk, ro, 0, 0o444},
		{"directory", disk, dir, 0, fs.ModeDir | 0o777},
		{"read-only directory", disk, dir | ro, 0, fs.ModeDir | 0o555},
		{"file symlink", disk, reparse, winsys.TagSymlink, fs.ModeSymlink | 0o666},
		{"directory symlink", disk, dir | reparse, winsys.TagSymlink, fs.ModeSymlink | 0o666},
		{"junction", disk, dir | reparse, winsys.TagMountPoint, fs.ModeIrregular | 0o666},
		{"deduplicated file", disk, reparse, winsys.TagDedup, 0o666},
		{"cloud directory", disk, dir | reparse, cloudTag, fs.ModeDir | fs.ModeIrregular | 0o777},
		{"unix socket", disk, reparse, winsys.TagAFUnix, fs.ModeSocket | 0o666},
		{"pipe", windows.FILE_TYPE_PIPE, 0, 0, fs.ModeNamedPipe | 0o666},
		{"console", windows.FILE_TYPE_CHAR, 0, 0, fs.ModeDevice | fs.ModeCharDevice | 0o666},
	} {
		st := &winsys.FileStat{FileType: tt.fileType, Attributes: tt.attrs, ReparseTag: tt.tag}
		if got := winsys.FileMode(st); got != tt.want {
			t.Errorf("%s: mode %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWindowsStatOf(t *testing.T) {
	ws := &winsys.FileStat{
		FileType: windows.FILE_TYPE_DISK, Attributes: windows.FILE_ATTRIBUTE_COMPRESSED,
		Links: 3, VolumeSerial: 0xABCD, FileIndex: 1 << 40,
		CreationTime: 116444736000000000, LastWriteTime: 116444736000000001,
		Size: 10, AllocationSize: 4097, ClusterSize: 4096,
	}
	st, err := statOf(ws.Info(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dev != 0xABCD || st.Ino != 1<<40 || st.Nlink != 3 || st.Size != 10 || st.Blocks != 9 || st.Blksize != 4096 {
		t.Errorf("statOf(FileStat.Info()) = %+v", st)
	}
	if st.Btime.UnixNano() != 0 || st.Mtime.UnixNano() != 100 || !st.Atime.IsZero() {
		t.Errorf("times: Btime %v Mtime %v Atime %v; want the epoch, 100 ns after, zero", st.Btime, st.Mtime, st.Atime)
	}
	if st.Attributes != AttrCompressed || st.AttributesMask != AttrCompressed|AttrEncrypted {
		t.Errorf("Attributes %#x mask %#x", st.Attributes, st.AttributesMask)
	}
}

// fsenum.Advice and fsenum.AllocMode carry Advice's and AllocMode's values.
func TestWindowsAdviceAllocValues(t *testing.T) {
	for a, wa := range map[Advice]fsenum.Advice{
		AdviceNormal: fsenum.AdviceNormal, AdviceSequential: fsenum.AdviceSequential,
		AdviceRandom: fsenum.AdviceRandom, AdviceWillNeed: fsenum.AdviceWillNeed,
		AdviceDontNeed: fsenum.AdviceDontNeed, AdviceNoReuse: fsenum.AdviceNoReuse,
	} {
		if fsenum.Advice(a) != wa {
			t.Errorf("fsenum.Advice(%v) = %d; want %d", a, fsenum.Advice(a), wa)
		}
	}
	for m, wm := range map[AllocMode]fsenum.AllocMode{
		AllocKeepSize: fsenum.AllocKeepSize, AllocPunchHole: fsenum.AllocPunchHole, AllocZeroRange: fsenum.AllocZeroRange,
	} {
		if fsenum.AllocMode(m) != wm {
			t.Errorf("fsenum.AllocMode(%v) = %#x; want %#x", m, fsenum.AllocMode(m), wm)
		}
	}
}
