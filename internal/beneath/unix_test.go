//go:build linux || darwin

package beneath

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

var unixRules = UnixRules(40)

func TestUnixSplit(t *testing.T) {
	for _, c := range []struct {
		name    string
		parts   []string
		dirOnly bool
	}{
		{"a", []string{"a"}, false},
		{"a/b", []string{"a", "b"}, false},
		{"a//b/", []string{"a", "b"}, true},
		{"./a/./b", []string{"a", "b"}, false},
		{"a/.", []string{"a"}, true},
		{"a/..", []string{"a", ".."}, true},
		{".", nil, true},
		{"..", []string{".."}, true},
		{"../x", []string{"..", "x"}, false},
	} {
		parts, dirOnly := Split(&unixRules, c.name)
		if !slices.Equal(parts, c.parts) || dirOnly != c.dirOnly {
			t.Errorf("Split(%q) = %q, %v; want %q, %v", c.name, parts, dirOnly, c.parts, c.dirOnly)
		}
	}
}

func TestSplitLast(t *testing.T) {
	for _, c := range []struct {
		name, parent, base string
		slash              bool
	}{
		{"a", "", "a", false},
		{"a/", "", "a", true},
		{"a/b", "a/", "b", false},
		{"a//b//", "a//", "b", true},
		{"a/..", "a/", "..", false},
		{".", "", ".", false},
	} {
		parent, base, slash := SplitLast(c.name)
		if parent != c.parent || base != c.base || slash != c.slash {
			t.Errorf("SplitLast(%q) = %q, %q, %v; want %q, %q, %v", c.name, parent, base, slash, c.parent, c.base, c.slash)
		}
	}
}

// TestUnixFollow: a lookup follows at most MaxLinks links, as the kernel
// does, and refuses an absolute target before opening anything.
func TestUnixFollow(t *testing.T) {
	links := 0
	for range unixRules.MaxLinks {
		if err := unixRules.Follow(&Link{Target: "x"}, &links); err != nil {
			t.Fatalf("link %d: %v", links, err)
		}
	}
	if err := unixRules.Follow(&Link{Target: "x"}, &links); err != unix.ELOOP {
		t.Errorf("link %d: %v, want ELOOP", links, err)
	}
	links = 0
	if err := unixRules.Follow(&Link{Target: "/x"}, &links); err != ErrEscapes {
		t.Errorf("absolute target: %v, want ErrEscapes", err)
	}
	if err := unixRules.Follow(&Link{Target: ""}, &links); err != unix.ENOENT {
		t.Errorf("empty target: %v, want ENOENT", err)
	}
}
