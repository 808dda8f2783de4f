package extfs

// CopyTree's progress across the tree (CopyOptions.Progress).

// fileProgress returns the Progress of one file's copy: it adds what the
// file's copy reports to the tree's done.
func (t *treeCopy) fileProgress() func(done, total int64) {
	if t.progress == nil {
		return nil
	}
	var last int64
	return func(done, _ int64) {
		n := done - last
		last = done
		if n <= 0 {
			return
		}
		if d := t.done.Add(n); d-t.lastReport.Load() >= progressStep {
			t.report(false)
		}
	}
}

// report calls progress with done (never more than total, never less than
// before); final reports total.
func (t *treeCopy) report(final bool) {
	t.progressMu.Lock()
	defer t.progressMu.Unlock()
	if t.ctx.Err() != nil {
		return // stopping: no call after a cancel, even one made from Progress
	}
	done := min(t.done.Load(), t.total)
	if final {
		done = t.total
	}
	if done < t.reported || done == t.reported && (!final || t.reported == t.total) {
		return
	}
	t.reported = done
	t.lastReport.Store(done)
	t.progress(done, t.total)
}

func (t *treeCopy) finishProgress() {
	if t.progress != nil {
		t.report(true)
	}
}
