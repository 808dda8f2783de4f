package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/examples/internal/cli"
)

// jsonStats is what --json prints: extfs.CopyStats (its methods by name:
// extfs.Method is a text marshaler), and the time taken.
type jsonStats struct {
	Files          int64                  `json:"files"`
	Dirs           int64                  `json:"dirs"`
	Symlinks       int64                  `json:"symlinks"`
	Bytes          int64                  `json:"bytes"`
	ClonedBytes    int64                  `json:"cloned_bytes"`
	CopiedBytes    int64                  `json:"copied_bytes"`
	HoleBytes      int64                  `json:"hole_bytes"`
	ByMethod       map[extfs.Method]int64 `json:"by_method"` // files by method, e.g. "clone": 3
	ElapsedSeconds float64                `json:"elapsed_seconds"`
	BytesPerSecond float64                `json:"bytes_per_second"` // of CopiedBytes: clones and holes move no data
	Errors         int                    `json:"errors"`           // operands, or entries of a tree, that failed
}

func toJSON(r result) jsonStats {
	s := r.stats
	j := jsonStats{
		Files: s.Files, Dirs: s.Dirs, Symlinks: s.Symlinks,
		Bytes: s.Bytes, ClonedBytes: s.ClonedBytes, CopiedBytes: s.CopiedBytes, HoleBytes: s.HoleBytes,
		ByMethod:       s.ByMethod,
		ElapsedSeconds: r.elapsed.Seconds(),
		BytesPerSecond: rate(s.CopiedBytes, r.elapsed),
		Errors:         r.failed,
	}
	if j.ByMethod == nil {
		j.ByMethod = map[extfs.Method]int64{} // {}, not null
	}
	return j
}

// summaryAfter is how long a copy takes before its summary line is worth
// printing unasked (--summary=auto): a tiny copy says nothing, as cp.
const summaryAfter = time.Second

// report prints the summary line, or the JSON, or nothing (as --summary
// says, and -q).
func report(w io.Writer, cfg config, r result) error {
	var err error
	switch {
	case cfg.json:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(toJSON(r))
	case cfg.summary == "always" || cfg.summary == "auto" && r.elapsed >= summaryAfter:
		_, err = fmt.Fprintln(w, summary(r))
	}
	return err
}

// summary is the one line saying what a run did, e.g.
//
//	312 files, 24 dirs, 4 symlinks: 18 MiB (0 B cloned, 2.3 MiB copied, 16 MiB holes) in 52 ms, 44 MiB/s; copy_file_range 309, hardlink 2
//
// The rate is that of the bytes copied: a clone, or a hole, moves no data,
// and a run with nothing copied has no rate.
func summary(r result) string {
	s := r.stats
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %s: %s (%s cloned, %s copied, %s holes) in %s",
		plural(s.Files, "file"), plural(s.Dirs, "dir"), plural(s.Symlinks, "symlink"),
		cli.FormatSize(s.Bytes), cli.FormatSize(s.ClonedBytes), cli.FormatSize(s.CopiedBytes), cli.FormatSize(s.HoleBytes),
		duration(r.elapsed))
	if s.CopiedBytes > 0 && r.elapsed > 0 {
		fmt.Fprintf(&b, ", %s/s", cli.FormatSize(int64(rate(s.CopiedBytes, r.elapsed))))
	}
	if m := methods(s.ByMethod); m != "" {
		b.WriteString("; " + m)
	}
	if r.failed > 0 {
		b.WriteString("; " + plural(int64(r.failed), "error"))
	}
	return b.String()
}

// methods lists the files by method, e.g. "clone 12, copy_file_range 3",
// in the order of the Method constants.
func methods(by map[extfs.Method]int64) string {
	ms := make([]extfs.Method, 0, len(by))
	for m := range by {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%v %d", m, by[m])
	}
	return strings.Join(parts, ", ")
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func duration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
