package unixmode

import (
	"io/fs"
	"testing"
)

func TestFileMode(t *testing.T) {
	for _, tt := range []struct {
		m    uint32
		want fs.FileMode
	}{
		{S_IFREG | 0o644, 0o644},
		{S_IFDIR | 0o755, fs.ModeDir | 0o755},
		{S_IFLNK | 0o777, fs.ModeSymlink | 0o777},
		{S_IFIFO | 0o600, fs.ModeNamedPipe | 0o600},
		{S_IFSOCK | 0o600, fs.ModeSocket | 0o600},
		{S_IFCHR | 0o620, fs.ModeDevice | fs.ModeCharDevice | 0o620},
		{S_IFBLK | 0o660, fs.ModeDevice | 0o660},
		{S_IFREG | S_ISUID | S_ISGID | S_ISVTX | 0o755, fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o755},
	} {
		if got := FileMode(tt.m); got != tt.want {
			t.Errorf("FileMode(%#o) = %v, want %v", tt.m, got, tt.want)
		}
		if got, want := PermBits(tt.want), tt.m&^S_IFMT; got != want {
			t.Errorf("PermBits(%v) = %#o, want %#o", tt.want, got, want)
		}
	}
}

func TestPermBits(t *testing.T) {
	for _, m := range []fs.FileMode{0, 0o644, 0o777, fs.ModeSetuid | 0o4755&0o777, fs.ModeSetgid | fs.ModeSticky | 0o700} {
		bits := PermBits(m)
		if bits&^0o7777 != 0 {
			t.Errorf("PermBits(%v) = %#o: has type bits", m, bits)
		}
		if got := FileMode(S_IFREG | bits); got != m {
			t.Errorf("FileMode(S_IFREG|PermBits(%v)) = %v", m, got)
		}
	}
}
