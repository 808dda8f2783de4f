//go:build linux

package extfs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"github.com/pkg/xattr"
)

// TestConcurrency runs 1000 goroutines mixing operations on 8 shared Files on
// XFS, under each engine: EngineAuto (which moves to the ring when many
// goroutines are blocked), EngineRing, and EngineSyscall (the ring forced
// off). Every goroutine checks its own results, and afterwards every effect is
// checked independently. Run it with -race; TestMain checks for leaked
// goroutines and descriptors.
func TestConcurrency(t *testing.T) {
	for _, e := range []extfs.Engine{extfs.EngineAuto, extfs.EngineRing, extfs.EngineSyscall} {
		t.Run(e.String(), func(t *testing.T) {
			useEngine(t, e)
			concurrentMix(t, testfs.Get(t, testfs.XFS))
		})
	}
}

func concurrentMix(t *testing.T, fsys *testfs.FS) {
	const (
		goroutines = 1000
		shared     = 8
		region     = 8192 // each goroutine owns [g/shared*region, +4096) of its file
	)
	dir := fsys.TempDir(t)
	files := make([]*extfs.File, shared)
	paths := make([]string, shared)
	inos := make([]uint64, shared)
	for i := range files {
		files[i], paths[i] = newFile(t, dir, fmt.Sprint("shared-", i), nil)
		noErr(t, "truncate", files[i].OSFile().Truncate(goroutines/shared*region))
		inos[i] = fstat(t, files[i]).Ino
	}
	value := func(g int) []byte {
		return []byte(fmt.Sprintf("value of goroutine %d %s", g, bytes.Repeat([]byte{'v'}, g%300)))
	}
	target := func(g int) string { return fmt.Sprintf("target-%d", g) }
	kept := func(g int) bool { return g%3 != 0 } // the others punch their block out again

	before := ringCompletions(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := g % shared
			f := files[s]
			name := fmt.Sprintf("user.g%d", g)
			off := int64(g/shared) * region
			fail := func(what string, err error) { t.Errorf("goroutine %d: %s: %v", g, what, err) }

			if err := f.SetXattr(name, value(g), extfs.XattrCreate); err != nil {
				fail("SetXattr", err)
			}
			if v, err := f.GetXattr(name); err != nil || !bytes.Equal(v, value(g)) {
				fail("GetXattr", fmt.Errorf("%q, %v", v, err))
			}
			if err := f.Fallocate(0, off, 4096); err != nil {
				fail("Fallocate", err)
			}
			if err := f.Fadvise(off, 4096, extfs.AdviceWillNeed); err != nil {
				fail("Fadvise", err)
			}
			if !kept(g) {
				if err := f.PunchHole(off, 4096); err != nil {
					fail("PunchHole", err)
				}
			}
			if st, err := f.Statx(); err != nil || st.Ino != inos[s] {
				fail("Statx", err)
			}
			if err := extfs.Link(paths[s], join(dir, fmt.Sprint("link-", g))); err != nil {
				fail("Link", err)
			}
			sym := join(dir, fmt.Sprint("sym-", g))
			if err := extfs.Symlink(target(g), sym); err != nil {
				fail("Symlink", err)
			}
			if got, err := extfs.Readlink(sym); err != nil || got != target(g) {
				fail("Readlink", fmt.Errorf("%q, %v", got, err))
			}
			if st, err := extfs.Lstatx(sym); err != nil || st.Size != int64(len(target(g))) {
				fail("Lstatx", err)
			}
			if g%10 == 0 {
				b := extfs.NewBatch()
				st := b.Fstatx(f)
				v := b.GetXattr(f, name)
				mk := b.Mkdir(join(dir, fmt.Sprint("dir-", g)), 0o755)
				if err := b.Submit(context.Background()); err != nil {
					fail("Batch", err)
				}
				if s, err := st.Result(); err != nil || s.Ino != inos[g%shared] {
					fail("Batch Fstatx", err)
				}
				if got, err := v.Result(); err != nil || !bytes.Equal(got, value(g)) {
					fail("Batch GetXattr", err)
				}
				if err := mk.Err(); err != nil {
					fail("Batch Mkdir", err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	delta := ringCompletions(t) - before
	switch extfs.CurrentEngine() {
	case extfs.EngineRing:
		if delta < goroutines*5 {
			t.Errorf("EngineRing: only %d io_uring completions for %d goroutines", delta, goroutines)
		}
	case extfs.EngineSyscall:
		if delta != 0 {
			t.Errorf("EngineSyscall: %d io_uring completions", delta)
		}
	default:
		t.Logf("EngineAuto: %d io_uring completions", delta)
	}
	if t.Failed() {
		return
	}

	// Every effect, checked without extfs.
	perFile := goroutines / shared
	for s, p := range paths {
		names, err := xattr.List(p)
		noErr(t, "pkg/xattr List", err)
		if n := len(userNames(names)); n != perFile {
			t.Errorf("%s has %d user xattrs, want %d", p, n, perFile)
		}
		st := stat(t, p)
		if st.Nlink != uint64(1+perFile) {
			t.Errorf("%s: nlink %d, want %d", p, st.Nlink, 1+perFile)
		}
		keptBlocks := 0
		for g := s; g < goroutines; g += shared {
			if kept(g) {
				keptBlocks++
			}
		}
		// FIEMAP, not st_blocks: XFS counts the xattr blocks in st_blocks.
		if got, _ := extentBytes(t, p); got != int64(keptBlocks*4096) {
			t.Errorf("%s: %d bytes allocated, want %d (%d kept 4 KiB blocks)", p, got, keptBlocks*4096, keptBlocks)
		}
	}
	for g := 0; g < goroutines; g++ {
		s := g % shared
		if v, err := xattr.Get(paths[s], fmt.Sprintf("user.g%d", g)); err != nil || !bytes.Equal(v, value(g)) {
			t.Errorf("goroutine %d: pkg/xattr reads %q, %v", g, v, err)
		}
		if st := lstat(t, join(dir, fmt.Sprint("link-", g))); st.Ino != inos[s] {
			t.Errorf("link-%d: ino %d, want %d", g, st.Ino, inos[s])
		}
		if got, err := os.Readlink(join(dir, fmt.Sprint("sym-", g))); err != nil || got != target(g) {
			t.Errorf("sym-%d: %q, %v", g, got, err)
		}
		if g%10 == 0 {
			if st := lstat(t, join(dir, fmt.Sprint("dir-", g))); st.Mode&0o170000 != 0o040000 {
				t.Errorf("dir-%d: mode %o", g, st.Mode)
			}
		}
	}
}
