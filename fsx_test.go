//go:build linux

package extfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// TestFsx is a randomized model test in the manner of xfstests' fsx: a file
// takes thousands of random operations — WriteAt, Truncate, Fallocate in
// every mode, PunchHole, ZeroRange, CopyRange, CloneRange, CopyFile — and
// after each one its bytes and size must equal an in-memory model of what
// the operation promises. An operation the filesystem refuses (an error
// matching ErrNotSupported, or fs.ErrInvalid for an alignment it requires)
// must change nothing.
//
// Two seeds are fixed, so CI runs the same sequences every time, and a
// third is new on every run; EXTFS_FSX_SEED runs just the one given and
// EXTFS_FSX_OPS makes runs longer. A failure prints its seed and the last
// operations.
func TestFsx(t *testing.T) {
	// Two fixed seeds, and one new each run; a failure prints its seed.
	seeds := []uint64{1, 2, rand.Uint64() % 1e9}
	if v := os.Getenv("EXTFS_FSX_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("EXTFS_FSX_SEED: %v", err)
		}
		seeds = []uint64{s}
	}
	ops := 600
	if v := os.Getenv("EXTFS_FSX_OPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("EXTFS_FSX_OPS: %v", err)
		}
		ops = n
	}
	if testing.Short() {
		ops = 100
	}
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		for _, seed := range seeds {
			t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
				runFsx(t, fsys.TempDir(t), seed, ops)
			})
		}
	})
}

const fsxMax = 256 << 10 // the model file stays within this size

type fsx struct {
	t      *testing.T
	r      *rand.Rand
	dir    string
	a, b   *extfs.File // a: the file under test; b: a source for copies and clones
	model  []byte      // what a must hold
	bdata  []byte      // what b holds (never changes)
	bsize  int64       // filesystem block size
	log    []string
	seed   uint64
	counts map[string]int
}

func runFsx(t *testing.T, dir string, seed uint64, ops int) {
	x := &fsx{t: t, r: rand.New(rand.NewPCG(seed, seed^0xf5f5)), dir: dir, seed: seed, counts: map[string]int{}}
	x.bsize = fsBlockSize(t, dir)
	x.bdata = randBytes(fsxMax, seed+1000)
	writeSynced(t, join(dir, "b"), x.bdata)
	x.b = openFile(t, join(dir, "b"), os.O_RDONLY)
	defer x.b.Close()
	x.a = openFile(t, join(dir, "a"), os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	defer func() { x.a.Close() }()
	for i := range ops {
		x.step(i)
		x.check(i)
	}
	t.Logf("seed %d: %v", seed, x.counts)
}

// span returns a random (off, n), n ≥ 1, with off+n within fsxMax.
func (x *fsx) span() (int64, int64) {
	off := x.r.Int64N(fsxMax)
	n := 1 + x.r.Int64N(min(fsxMax-off, 64<<10))
	return off, n
}

// aligned returns a random block-aligned (off, n) within fsxMax.
func (x *fsx) aligned() (int64, int64) {
	blocks := int64(fsxMax) / x.bsize
	off := x.r.Int64N(blocks)
	n := 1 + x.r.Int64N(min(blocks-off, 8))
	return off * x.bsize, n * x.bsize
}

func (x *fsx) size() int64 { return int64(len(x.model)) }

// grow extends the model with zeros to at least n bytes.
func (x *fsx) grow(n int64) {
	if n > x.size() {
		x.model = append(x.model, make([]byte, n-x.size())...)
	}
}

func (x *fsx) zero(off, end int64) {
	end = min(end, x.size())
	if off < end {
		clear(x.model[off:end])
	}
}

// refused reports whether err is a refusal the filesystem may make for
// this operation (the model then stays as it was); any other error fails.
func (x *fsx) refused(i int, what string, err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, extfs.ErrNotSupported) || errors.Is(err, fs.ErrInvalid) {
		name, _, _ := strings.Cut(what, "(")
		x.counts[name+" refused"]++
		return true
	}
	x.fail(i, "%s: %v", what, err)
	return true
}

// wantInvalid checks an operation the model says is invalid: it must fail
// (EINVAL, or ErrNotSupported where the filesystem has no such mode).
func (x *fsx) wantInvalid(i int, what string, err error) {
	if err == nil {
		x.fail(i, "%s succeeded on a file of %d bytes", what, x.size())
	}
	if !errors.Is(err, syscall.EINVAL) && !errors.Is(err, extfs.ErrNotSupported) {
		x.fail(i, "%s: %v, want EINVAL", what, err)
	}
	x.counts["invalid refused"]++
}

func (x *fsx) step(i int) {
	var what string
	switch k := x.r.IntN(11); k {
	case 0, 1, 2:
		off, n := x.span()
		p := randBytes(int(n), x.r.Uint64())
		what = fmt.Sprintf("WriteAt(%d, %d)", off, n)
		if got, err := x.a.WriteAt(p, off); err != nil || got != int(n) {
			x.fail(i, "%s = %d, %v", what, got, err)
		}
		x.grow(off + n)
		copy(x.model[off:], p)
	case 3:
		size := x.r.Int64N(fsxMax)
		what = fmt.Sprintf("Truncate(%d)", size)
		if err := x.a.OSFile().Truncate(size); err != nil {
			x.fail(i, "%s: %v", what, err)
		}
		if size < x.size() {
			x.model = x.model[:size]
		}
		x.grow(size)
	case 4:
		off, n := x.span()
		keep := x.r.IntN(2) == 0
		mode := extfs.AllocMode(0)
		if keep {
			mode = extfs.AllocKeepSize
		}
		what = fmt.Sprintf("Fallocate(%v, %d, %d)", mode, off, n)
		if !x.refused(i, what, x.a.Fallocate(mode, off, n)) && !keep {
			x.grow(off + n)
		}
	case 5:
		off, n := x.span()
		what = fmt.Sprintf("PunchHole(%d, %d)", off, n)
		if !x.refused(i, what, x.a.PunchHole(off, n)) {
			x.zero(off, off+n)
		}
	case 6:
		off, n := x.span()
		what = fmt.Sprintf("ZeroRange(%d, %d)", off, n)
		if !x.refused(i, what, x.a.ZeroRange(off, n)) {
			x.zero(off, off+n)
			x.grow(off + n)
		}
	case 7:
		off, n := x.aligned()
		if x.r.IntN(2) == 0 {
			what = fmt.Sprintf("Collapse(%d, %d)", off, n)
			err := x.a.Fallocate(extfs.AllocCollapseRange, off, n)
			if off+n >= x.size() {
				// The range must end before EOF: the kernel refuses the rest.
				x.wantInvalid(i, what, err)
			} else if !x.refused(i, what, err) {
				x.model = append(x.model[:off], x.model[off+n:]...)
			}
		} else {
			what = fmt.Sprintf("Insert(%d, %d)", off, n)
			if x.size()+n > fsxMax*2 {
				return
			}
			err := x.a.Fallocate(extfs.AllocInsertRange, off, n)
			if off >= x.size() {
				x.wantInvalid(i, what, err) // the offset must be inside the file
			} else if !x.refused(i, what, err) {
				x.model = append(x.model[:off], append(make([]byte, n), x.model[off:]...)...)
			}
		}
	case 8:
		src, dst := x.span()
		n := 1 + x.r.Int64N(64<<10)
		dst = min(dst, fsxMax-n)
		what = fmt.Sprintf("CopyRange(b@%d -> a@%d, %d)", src, dst, n)
		got, err := x.b.CopyRange(x.a, src, dst, n)
		if err != nil {
			x.fail(i, "%s: %v", what, err)
		}
		want := min(n, int64(len(x.bdata))-src)
		if got != want {
			x.fail(i, "%s copied %d, want %d", what, got, want)
		}
		x.grow(dst + got)
		copy(x.model[dst:], x.bdata[src:src+got])
	case 9:
		src, n := x.aligned()
		dst, _ := x.aligned()
		n = min(n, fsxMax-dst)
		what = fmt.Sprintf("CloneRange(b@%d -> a@%d, %d)", src, dst, n)
		if !x.refused(i, what, x.b.CloneRange(x.a, src, dst, n)) {
			x.grow(dst + n)
			copy(x.model[dst:], x.bdata[src:src+n])
		}
	case 10:
		// CopyFile over a, then go on with the new file.
		what = "CopyFile(b -> a, Replace)"
		if _, err := extfs.CopyFile(context.Background(), join(x.dir, "b"), join(x.dir, "a"), &extfs.CopyOptions{Existing: extfs.ExistingReplace}); err != nil {
			x.fail(i, "%s: %v", what, err)
		}
		x.a.Close()
		x.a = openFile(x.t, join(x.dir, "a"), os.O_RDWR)
		x.model = bytes.Clone(x.bdata)
	}
	name, _, _ := strings.Cut(what, "(")
	x.counts[name]++
	x.log = append(x.log, what)
}

func (x *fsx) check(i int) {
	got, err := os.ReadFile(join(x.dir, "a"))
	if err != nil {
		x.fail(i, "reading back: %v", err)
	}
	if !bytes.Equal(got, x.model) {
		at := 0
		for at < min(len(got), len(x.model)) && got[at] == x.model[at] {
			at++
		}
		x.fail(i, "file differs from the model: %d bytes, model %d; first difference at %d", len(got), len(x.model), at)
	}
}

func (x *fsx) fail(i int, format string, args ...any) {
	x.t.Helper()
	tail := x.log[max(0, len(x.log)-8):]
	x.t.Fatalf("seed %d, op %d: %s\nlast operations: %q\n(rerun: EXTFS_FSX_SEED=%d go test -run TestFsx)",
		x.seed, i, fmt.Sprintf(format, args...), tail, x.seed)
}
