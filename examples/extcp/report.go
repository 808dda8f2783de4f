package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/extfs/extfs"
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
	BytesPerSecond float64                `json:"bytes_per_second"`
	Errors         int                    `json:"errors"` // operands, or entries of a tree, that failed
}

func toJSON(r result) jsonStats {
	s := r.stats
	j := jsonStats{
		Files: s.Files, Dirs: s.Dirs, Symlinks: s.Symlinks,
		Bytes: s.Bytes, ClonedBytes: s.ClonedBytes, CopiedBytes: s.CopiedBytes, HoleBytes: s.HoleBytes,
		ByMethod:       s.ByMethod,
		ElapsedSeconds: r.elapsed.Seconds(),
		BytesPerSecond: rate(s.Bytes, r.elapsed),
		Errors:         r.failed,
	}
	if j.ByMethod == nil {
		j.ByMethod = map[extfs.Method]int64{} // {}, not null
	}
	return j
}

// report prints the summary line, or the JSON, or nothing (-q).
func report(w io.Writer, cfg config, r result) error {
	var err error
	switch {
	case cfg.json:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(toJSON(r))
	case !cfg.quiet:
		_, err = fmt.Fprintln(w, summary(r))
	}
	return err
}

// summary is the one line saying what a run did, e.g.
//
//	312 files, 24 dirs, 4 symlinks: 18.3 MiB (0 B cloned, 2.3 MiB copied, 16.0 MiB holes) in 52 ms, 352.1 MiB/s; copy_file_range 309, hardlink 2
func summary(r result) string {
	s := r.stats
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %s: %s (%s cloned, %s copied, %s holes) in %s, %s/s",
		plural(s.Files, "file"), plural(s.Dirs, "dir"), plural(s.Symlinks, "symlink"),
		size(s.Bytes), size(s.ClonedBytes), size(s.CopiedBytes), size(s.HoleBytes),
		duration(r.elapsed), size(int64(rate(s.Bytes, r.elapsed))))
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

// size formats n bytes with a binary unit: "0 B", "512 B", "18.3 MiB".
func size(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}

func duration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
