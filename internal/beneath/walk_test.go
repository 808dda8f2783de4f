package beneath_test

// The walk, on a fake tree, with Windows' rules: both separators, drives,
// junctions (the richest rules; Linux and macOS take a subset).

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	. "github.com/extfs/extfs/internal/beneath"
	winsys "github.com/extfs/extfs/sys/windows"
)

// fakeFS is a tree for Walk: paths are slash-separated, relative to the root
// ("" is the root). A directory is "dir", a file "file", and a link is its
// Link.
type Handle = uintptr

var rules = winsys.Rules

type fakeFS struct {
	t       *testing.T
	nodes   map[string]any // "dir", "file" or *Link
	handles map[Handle]string
	next    Handle
}

func newFakeFS(t *testing.T, nodes map[string]any) *fakeFS {
	nodes[""] = "dir"
	return &fakeFS{t: t, nodes: nodes, handles: map[Handle]string{1: ""}, next: 2}
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

var errNotFound = errors.New("not found")
var errNotDir = errors.New("not a directory")

func (f *fakeFS) OpenDir(dir Handle, name string) (Handle, *Link, error) {
	p, ok := f.handles[dir]
	if !ok {
		f.t.Fatalf("OpenDir on handle %d, which is not open", dir)
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `\/`) {
		f.t.Fatalf("OpenDir(%q): Walk must pass single components", name)
	}
	switch n := f.nodes[join(p, name)].(type) {
	case nil:
		return 0, nil, errNotFound
	case *Link:
		return 0, n, nil
	case string:
		if n != "dir" {
			return 0, nil, errNotDir
		}
	}
	h := f.next
	f.next++
	f.handles[h] = join(p, name)
	return h, nil, nil
}

func (f *fakeFS) Close(h Handle) {
	if _, ok := f.handles[h]; !ok || h == 1 {
		f.t.Fatalf("Close(%d): not a handle Walk opened", h)
	}
	delete(f.handles, h)
}

// walk resolves name and returns the path of the final entry; follow makes
// the last step follow a link there, as Statx does.
func (f *fakeFS) walk(name string, follow bool) (string, bool, error) {
	var got string
	var gotDirOnly bool
	err := Walk(&rules, Opener[Handle](f), 1, name, func(dir Handle, base string, dirOnly bool) (*Link, error) {
		p := join(f.handles[dir], base)
		if base == "" {
			p = f.handles[dir]
		}
		if l, ok := f.nodes[p].(*Link); ok && (follow || dirOnly) {
			return l, nil
		}
		got, gotDirOnly = p, dirOnly
		return nil, nil
	})
	if len(f.handles) != 1 {
		f.t.Errorf("Walk(%q) left handles open: %v", name, f.handles)
	}
	return got, gotDirOnly, err
}

func rel(target string) *Link { return &Link{Target: target} }

func TestWalk(t *testing.T) {
	fs := newFakeFS(t, map[string]any{
		"a":           "dir",
		"a/b":         "dir",
		"a/b/f":       "file",
		"a/l":         rel(`b\f`),                                 // a relative link within
		"a/up":        rel(`..`),                                  // up, still inside
		"top":         rel(`a/b`),                                 // forward slashes work too
		"esc":         rel(`..\..\x`),                             // climbs above the root
		"abs":         &Link{Target: `\??\C:\Windows`, Abs: true}, // no relative flag
		"rooted":      rel(`\Windows`),                            // relative flag, but rooted on the drive
		"drive":       rel(`C:x`),                                 // relative flag, but drive-relative
		"junc":        &Link{Target: `\??\C:\x`, Abs: true},
		"loop1":       rel("loop2"),
		"loop2":       rel("loop1"),
		"empty":       rel(""),
		"dirlink":     rel(`a\b\`),         // a trailing separator in the target
		"a/b/back":    rel(`..\..\a`),      // back into the tree, staying beneath
		"a/b/escback": rel(`..\..\..\r\a`), // out and back in: refused
		"f":           "file",
	})
	for _, tt := range []struct {
		name    string
		follow  bool
		want    string
		dirOnly bool
		err     error
	}{
		{name: "a/b/f", want: "a/b/f"},
		{name: `a\b\f`, want: "a/b/f"},
		{name: `a\.\b/./f`, want: "a/b/f"},
		{name: "a/../a/b/f", want: "a/b/f"},
		{name: "a/b/..", want: "a", dirOnly: true},
		{name: ".", want: "", dirOnly: true},
		{name: "a/", want: "a", dirOnly: true},
		{name: "a/l", want: "a/l"},                 // not followed at the end
		{name: "a/l", follow: true, want: "a/b/f"}, // followed
		{name: "top/f", want: "a/b/f"},             // followed on the way
		{name: "a/up/a/b/f", want: "a/b/f"},        // ".." in a link
		{name: "top/../b/f", want: "a/b/f"},        // ".." is physical: the parent of a/b
		{name: "dirlink", follow: true, want: "a/b", dirOnly: true},
		{name: "a/b/back/b/f", want: "a/b/f"},
		{name: "nope/x", err: errNotFound},
		{name: "f/x", err: errNotDir},
		{name: "..", err: ErrEscapes},
		{name: `..\x`, err: ErrEscapes},
		{name: "../x", err: ErrEscapes},
		{name: `a\..\..\x`, err: ErrEscapes},
		{name: "a/b/../../../a", err: ErrEscapes},
		{name: `C:\x`, err: ErrEscapes},
		{name: "C:x", err: ErrEscapes},
		{name: `\x`, err: ErrEscapes},
		{name: "/x", err: ErrEscapes},
		{name: `\\?\C:\`, err: ErrEscapes},
		{name: `\\server\share\x`, err: ErrEscapes},
		{name: "esc", follow: true, err: ErrEscapes},
		{name: "esc/x", err: ErrEscapes},
		{name: "abs/x", err: ErrEscapes},
		{name: "rooted/x", err: ErrEscapes},
		{name: "drive/x", err: ErrEscapes},
		{name: "junc/x", err: ErrEscapes},
		{name: "junc", follow: true, err: ErrEscapes},
		{name: "a/b/escback/x", err: ErrEscapes},
		{name: "loop1/x", err: syscall.ELOOP},
		{name: "empty/x", err: syscall.ENOENT},
		{name: "esc", want: "esc"}, // a link not followed is only a name
		{name: "junc", want: "junc"},
	} {
		got, dirOnly, err := fs.walk(tt.name, tt.follow)
		switch {
		case tt.err != nil:
			if !errors.Is(err, tt.err) {
				t.Errorf("Walk(%q, follow=%v) = %q, %v; want error %v", tt.name, tt.follow, got, err, tt.err)
			}
		case err != nil || got != tt.want || dirOnly != tt.dirOnly:
			t.Errorf("Walk(%q, follow=%v) = %q dirOnly=%v, %v; want %q dirOnly=%v", tt.name, tt.follow, got, dirOnly, err, tt.want, tt.dirOnly)
		}
	}
}

func TestWalkMaxLinks(t *testing.T) {
	nodes := map[string]any{"end": "dir"}
	// l1 -> l2 -> ... -> lN -> end, N = MaxLinks+1. From l2, MaxLinks links
	// are followed; from l1, one more is too many.
	for i := 1; i <= winsys.MaxLinks; i++ {
		nodes["l"+itoa(i)] = rel("l" + itoa(i+1))
	}
	nodes["l"+itoa(winsys.MaxLinks+1)] = rel("end")
	fs := newFakeFS(t, nodes)
	if got, _, err := fs.walk("l2/x", false); err != nil || got != "end/x" {
		t.Errorf("a chain of %d links: %q, %v", winsys.MaxLinks, got, err)
	}
	if _, _, err := fs.walk("l1/x", false); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("a chain of %d links: %v, want ELOOP", winsys.MaxLinks+1, err)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// A Last that fails stops the walk with its error, and every handle is closed.
func TestWalkLastError(t *testing.T) {
	fs := newFakeFS(t, map[string]any{"a": "dir", "a/b": "dir"})
	boom := errors.New("boom")
	err := Walk(&rules, Opener[Handle](fs), 1, "a/b/c", func(Handle, string, bool) (*Link, error) { return nil, boom })
	if err != boom {
		t.Errorf("Walk = %v, want %v", err, boom)
	}
	if len(fs.handles) != 1 {
		t.Errorf("handles left open: %v", fs.handles)
	}
}
