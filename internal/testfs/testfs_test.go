package testfs

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// Each kind can be had, is what statfs says it is, and TempDir is on it.
func TestKinds(t *testing.T) {
	Each(t, func(t *testing.T, fs *FS) {
		if fs.Kind != filepath.Base(t.Name()) {
			t.Errorf("Kind = %q, want %q", fs.Kind, filepath.Base(t.Name()))
		}
		want := fs.Kind
		if want == XFSNoReflink {
			want = XFS
		}
		for _, dir := range []string{fs.Dir, fs.TempDir(t)} {
			got, err := FsType(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("FsType(%s) = %q, want %q", dir, got, want)
			}
		}

		dir := fs.TempDir(t)
		name := filepath.Join(dir, "f")
		data := bytes.Repeat([]byte("extfs"), 1000)
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
	}, Kinds...)
}

// TempDir gives a fresh directory each time and removes it afterwards.
func TestTempDir(t *testing.T) {
	fs := Get(t, Ext4)
	var a, b string
	t.Run("sub", func(t *testing.T) {
		a, b = fs.TempDir(t), fs.TempDir(t)
		if a == b {
			t.Fatalf("TempDir twice gave %s", a)
		}
		if err := os.WriteFile(filepath.Join(a, "x"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	for _, dir := range []string{a, b} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s still there after the test (%v)", dir, err)
		}
	}
}

// Get makes one filesystem per kind, even when called concurrently.
func TestGetShared(t *testing.T) {
	for _, kind := range []string{Ext4, XFS} {
		t.Run(kind, func(t *testing.T) {
			first := Get(t, kind)
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if fs := Get(t, kind); fs != first {
						t.Errorf("Get(%q) gave %p, then %p", kind, first, fs)
					}
				}()
			}
			wg.Wait()
		})
	}
}

func TestRequired(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "true": true, "no": false, "junk": false} {
		t.Setenv(EnvRequire, v)
		if got := Required(); got != want {
			t.Errorf("%s=%q: Required() = %v, want %v", EnvRequire, v, got, want)
		}
	}
}

func TestTempPattern(t *testing.T) {
	for name, want := range map[string]string{
		"TestX":         "TestX-*",
		"TestX/sub/a:b": "TestX_sub_a_b-*",
	} {
		if got := tempPattern(name); got != want {
			t.Errorf("tempPattern(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestMinSize(t *testing.T) {
	for _, kind := range Kinds {
		if MinSize(kind) <= 0 {
			t.Errorf("MinSize(%q) = %d", kind, MinSize(kind))
		}
	}
	if MinSize("zfs") != 0 {
		t.Errorf("MinSize of an unknown kind = %d, want 0", MinSize("zfs"))
	}
}
