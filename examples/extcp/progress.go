package main

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// A meter draws one progress bar (bytes, rate, time left) for a whole run,
// fed by the CopyOptions.Progress of every copy. A disabled meter (the
// default, or --progress=auto when stderr is not a terminal) does nothing.
type meter struct {
	mu *sync.Mutex // the copier's: guards the fields below and writes to w
	w  io.Writer
	on bool

	bar     *progressbar.ProgressBar // made at the first report with something to show
	planned int64                    // total bytes of the run, if known in advance
	known   bool                     // planned was set
	done    int64                    // bytes done, all copies together
	total   int64                    // the bar's total
}

// newMeter returns a meter drawing on w as the --progress value when says.
// mu guards it and w.
func newMeter(when string, w io.Writer, mu *sync.Mutex) *meter {
	on := false
	switch when {
	case "always":
		on = true
	case "auto":
		f, ok := w.(*os.File)
		on = ok && term.IsTerminal(int(f.Fd()))
	}
	return &meter{mu: mu, w: w, on: on}
}

func (m *meter) enabled() bool { return m.on }

// plan sets the total of the run, when it copies several operands: each
// copy only knows its own.
func (m *meter) plan(total int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.planned, m.known = total, true
}

// op returns the Progress function of one copy (nil when the meter is off).
// Calls to it may come from several copies at once.
func (m *meter) op() func(done, total int64) {
	if !m.on {
		return nil
	}
	var last, lastTotal int64
	return func(done, total int64) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.done += done - last
		last = done
		if !m.known {
			// One copy at a time, each knowing its total: the bar's total
			// is what the copies so far have announced.
			m.total += total - lastTotal
			lastTotal = total
		} else {
			m.total = m.planned
		}
		m.show()
	}
}

// show draws the bar. m.mu is held.
func (m *meter) show() {
	if m.total < m.done {
		m.total = m.done // the files grew since they were counted
	}
	if m.total <= 0 {
		return
	}
	if m.bar == nil {
		width := progressbar.OptionSetWidth(30) // not a terminal, or one that does not say its size
		if f, ok := m.w.(*os.File); ok {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil && w >= 60 {
				width = progressbar.OptionFullWidth()
			}
		}
		m.bar = progressbar.NewOptions64(m.total,
			progressbar.OptionSetWriter(m.w),
			progressbar.OptionShowBytes(true), // rate
			progressbar.OptionShowCount(),     // bytes done of total
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(true), // elapsed and time left
			width,
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(), // the summary line takes its place
			progressbar.OptionSetRenderBlankState(true),
		)
	} else if m.bar.GetMax64() != m.total {
		m.bar.ChangeMax64(m.total)
	}
	m.bar.Set64(m.done)
}

// clear takes the bar off the screen, so that a message can be written; it
// comes back at the next report. m.mu is held.
func (m *meter) clear() {
	if m.bar != nil && !m.bar.IsFinished() {
		m.bar.Clear()
	}
}

// finish fills the bar and takes it off the screen, for the summary.
func (m *meter) finish() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bar != nil && !m.bar.IsFinished() {
		m.bar.Clear()
		m.bar.Exit()
	}
}
