package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/testfs"
)

// Size of the benchmark's tree.
const (
	benchFiles = 1000
	benchBytes = 500_000_000
)

// BenchmarkRestoreXFS restores a tree of 1,000 files and 500 MB from a store
// on XFS (reflink=1, loop-mounted for the benchmark: root only), by clones
// and by copies, side by side, without and with restore's own syncing
// (-sync). Besides ns/op it reports the median restore time (ms-median) and
// the median time of the syncfs(2) that follows it (sync-ms-median): without
// -sync, that is when a copy's data actually reaches the disk.
// Run it with a fixed count, e.g.
//
//	go test -run '^$' -bench RestoreXFS -benchtime 5x ./casrestore
//
// The store's objects are clones of the source files (ingest on the same
// filesystem); the page cache holds them, as on a machine that restores
// environments often.
func BenchmarkRestoreXFS(b *testing.B) {
	fsys := testfs.Mount(b, testfs.XFS, 3<<30)
	base := fsys.TempDir(b)
	src := filepath.Join(base, "src")
	sizes := benchSizes(benchFiles, benchBytes)
	buf := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{42})
	for i, n := range sizes {
		dir := filepath.Join(src, fmt.Sprintf("d%02d", i%25))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%04d", i)))
		if err != nil {
			b.Fatal(err)
		}
		for left := n; left > 0; {
			k := min(left, int64(len(buf)))
			rng.Read(buf[:k])
			if _, err := f.Write(buf[:k]); err != nil {
				b.Fatal(err)
			}
			left -= k
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	store, manifest := filepath.Join(base, "store"), filepath.Join(base, "manifest.json")
	ist, err := ingest(context.Background(), src, store, manifest, ingestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	m, err := readManifest(manifest)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("tree: %d files, %d bytes; ingest cloned %d bytes", ist.Files, ist.Bytes, ist.ClonedBytes)

	for _, bc := range []struct {
		mode string
		sync bool
	}{{ModeClone, false}, {ModeCopy, false}, {ModeClone, true}, {ModeCopy, true}} {
		mode := bc.mode
		name := mode
		if bc.sync {
			name += "-sync"
		}
		b.Run(name, func(b *testing.B) {
			var restores, syncs []time.Duration
			for i := range b.N {
				dst := filepath.Join(base, fmt.Sprintf("out-%s-%d", name, i))
				start := time.Now()
				st, err := restore(context.Background(), m, store, dst, restoreOptions{Mode: mode, Sync: bc.sync})
				if err != nil {
					b.Fatal(err)
				}
				restored := time.Now()
				syncFS(b, base)
				restores = append(restores, restored.Sub(start))
				syncs = append(syncs, time.Since(restored))

				b.StopTimer()
				if want := int64(len(sizes)); (mode == ModeClone && st.Cloned != want) || (mode == ModeCopy && st.Copied != want) {
					b.Fatalf("%s restore: %+v", mode, st)
				}
				if err := removeTree(dst); err != nil {
					b.Fatal(err)
				}
				syncFS(b, base)
				b.StartTimer()
			}
			b.ReportMetric(ms(median(restores)), "ms-median")
			b.ReportMetric(ms(median(syncs)), "sync-ms-median")
			b.ReportMetric(float64(benchBytes)/1e6, "MB")
		})
	}
}

// benchSizes returns n file sizes, log-uniform from 1 KiB to 4 MiB (many
// small files, a few large ones, as in a software environment), scaled to
// add up to total.
func benchSizes(n int, total int64) []int64 {
	rng := rand.New(rand.NewPCG(1, 2))
	raw := make([]float64, n)
	var sum float64
	for i := range raw {
		raw[i] = math.Exp(math.Log(1<<10) + rng.Float64()*(math.Log(4<<20)-math.Log(1<<10)))
		sum += raw[i]
	}
	sizes := make([]int64, n)
	var got int64
	for i := range raw {
		sizes[i] = max(1, int64(raw[i]*float64(total)/sum))
		got += sizes[i]
	}
	sizes[n-1] += total - got
	return sizes
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
