package extfs

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunEach(t *testing.T) {
	for _, tt := range []struct{ n int }{{0}, {1}, {3}, {50}, {1000}} {
		calls := make([]atomic.Int32, tt.n)
		var active, peak atomic.Int32
		runEach(context.Background(), tt.n, func(i int) {
			a := active.Add(1)
			for {
				p := peak.Load()
				if a <= p || peak.CompareAndSwap(p, a) {
					break
				}
			}
			calls[i].Add(1)
			time.Sleep(10 * time.Microsecond)
			active.Add(-1)
		}, func(i int, err error) {
			t.Errorf("n %d: skip(%d, %v) without a cancelled context", tt.n, i, err)
		})
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Errorf("n %d: op %d ran %d times", tt.n, i, c)
			}
		}
		if p := int(peak.Load()); p > batchWorkers(tt.n) {
			t.Errorf("n %d: %d ran at once, more than %d workers", tt.n, p, batchWorkers(tt.n))
		}
	}
}

func TestRunEachCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var skipped atomic.Int32
	runEach(ctx, 10, func(i int) { t.Errorf("do(%d) after the context was cancelled", i) },
		func(i int, err error) {
			if err != context.Canceled {
				t.Errorf("skip(%d, %v); want context.Canceled", i, err)
			}
			skipped.Add(1)
		})
	if s := skipped.Load(); s != 10 {
		t.Errorf("%d of 10 skipped", s)
	}

	// Cancelled halfway: every op is either done or skipped, once.
	const n = 200
	ctx, cancel = context.WithCancel(context.Background())
	var mu sync.Mutex
	seen := make(map[int]string, n)
	runEach(ctx, n, func(i int) {
		if i == n/2 {
			cancel()
		}
		mu.Lock()
		seen[i] += "do"
		mu.Unlock()
	}, func(i int, err error) {
		mu.Lock()
		seen[i] += "skip"
		mu.Unlock()
	})
	cancel()
	for i := range n {
		if s := seen[i]; s != "do" && s != "skip" {
			t.Errorf("op %d: %q; want exactly one do or skip", i, s)
		}
	}
}
