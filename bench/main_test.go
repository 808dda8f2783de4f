// Package bench holds the benchmarks that put every extfs path beside its
// baseline (a direct golang.org/x/sys call, io.Copy, cp) in the same run.
//
//	go test -run '^$' -bench . -count 5 ./bench | tee new.txt
//
// Benchmarks run on real filesystems mounted by internal/testfs (root
// needed for XFS and btrfs; others run on the temp dir's filesystem).
package bench

import (
	"os"
	"testing"

	"github.com/extfs/extfs/internal/testfs"
)

func TestMain(m *testing.M) { os.Exit(testfs.Main(m)) }
