package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/extfs/extfs"
)

// fsReport is what extfs-probe found out about one filesystem.
type fsReport struct {
	Paths []string `json:"paths"`           // the PATH arguments on this filesystem
	Error string   `json:"error,omitempty"` // why the path could not be probed at all

	// ProbeError is why extfs.Probe could not decide (a read-only or full
	// filesystem, no permission to make its trial files): what it answers
	// is then unknown.
	ProbeError string `json:"probe_error,omitempty"`

	Filesystem     string `json:"filesystem,omitempty"`
	Clone          tri    `json:"clone"`
	CloneBlockSize int64  `json:"clone_block_size,omitempty"`
	CopyFileRange  tri    `json:"copy_file_range"`

	// Xattr says, per namespace (user, trusted, security), whether an
	// attribute could be set and removed on a regular file.
	Xattr map[string]result `json:"xattr,omitempty"`
	// Fallocate says, per mode, whether the filesystem does it.
	Fallocate map[string]result `json:"fallocate,omitempty"`
}

// tri is an answer that may be unknown: JSON true, false or null; "yes",
// "no" or "unknown" for people.
type tri int8

const (
	unknown tri = iota
	no
	yes
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

func (t tri) String() string { return [...]string{"unknown", "no", "yes"}[t] }

func (t tri) MarshalJSON() ([]byte, error) {
	return []byte([...]string{"null", "false", "true"}[t]), nil
}

func (t *tri) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*t = unknown
	case "false":
		*t = no
	case "true":
		*t = yes
	default:
		return fmt.Errorf("not true, false or null: %s", b)
	}
	return nil
}

// result is one answer: yes, no or unknown, why, and where it comes from.
type result struct {
	OK     tri    `json:"ok"`               // null: could not be found out
	Error  string `json:"error,omitempty"`  // why it is unknown
	Source string `json:"source,omitempty"` // "probe" (extfs.Probe) or "trial" (tried here)
}

// xattrNamespaces are the namespaces tried, in the order shown.
var xattrNamespaces = []string{"user", "trusted", "security"}

// fallocModes are the Fallocate modes shown, in order. extfs.Probe reports
// four; the others are tried here.
var fallocModes = []struct {
	name string
	mode extfs.AllocMode
	cap  func(extfs.Capabilities) bool // nil: not in Capabilities, tried here
}{
	{"allocate", 0, nil},
	{"keep_size", extfs.AllocKeepSize, nil},
	{"punch_hole", extfs.AllocPunchHole, func(c extfs.Capabilities) bool { return c.PunchHole }},
	{"zero_range", extfs.AllocZeroRange, func(c extfs.Capabilities) bool { return c.ZeroRange }},
	{"collapse_range", extfs.AllocCollapseRange, func(c extfs.Capabilities) bool { return c.CollapseRange }},
	{"insert_range", extfs.AllocInsertRange, func(c extfs.Capabilities) bool { return c.InsertRange }},
	{"unshare_range", extfs.AllocUnshareRange, nil},
}

// probeCaps is extfs.Probe; tests replace it.
var probeCaps = extfs.Probe

// probeFS reports on the filesystem holding dir: extfs.Probe, and trials on
// a temporary file of its own for what Probe does not say. Where Probe
// cannot decide, its answers are unknown, and the trials are still made.
func probeFS(dir string) fsReport {
	r := fsReport{Paths: []string{dir}}
	caps, err := probeCaps(dir)
	probed := err == nil
	if probed {
		r.Filesystem, r.Clone, r.CloneBlockSize, r.CopyFileRange = caps.Filesystem, triOf(caps.Clone), caps.CloneBlockSize, triOf(caps.CopyFileRange)
	} else {
		r.ProbeError = reason(err)
	}

	r.Xattr = make(map[string]result)
	r.Fallocate = make(map[string]result)
	for _, m := range fallocModes {
		switch {
		case m.cap == nil:
		case probed:
			r.Fallocate[m.name] = result{OK: triOf(m.cap(caps)), Source: "probe"}
		default:
			r.Fallocate[m.name] = result{Error: r.ProbeError, Source: "probe"}
		}
	}
	f, err := trialFile(dir)
	if err != nil {
		// Nothing can be tried here either: every trial's answer is unknown.
		why := reason(err)
		for _, ns := range xattrNamespaces {
			r.Xattr[ns] = result{Error: why, Source: "trial"}
		}
		for _, m := range fallocModes {
			if m.cap == nil {
				r.Fallocate[m.name] = result{Error: why, Source: "trial"}
			}
		}
		return r
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()

	for _, ns := range xattrNamespaces {
		name := ns + ".extfs-probe"
		err := f.SetXattr(name, []byte("1"), 0)
		if err == nil {
			err = f.RemoveXattr(name)
		}
		r.Xattr[ns] = answer(err, "trial")
	}

	bs := int64(4096)
	if st, err := f.Statx(); err == nil && st.Blksize > 0 && st.Blksize <= 1<<20 {
		bs = st.Blksize
	}
	size := int64(trialSize)
	for _, m := range fallocModes {
		if m.cap != nil {
			continue
		}
		off := int64(0)
		if m.mode&extfs.AllocKeepSize != 0 {
			off = size // past the end: only keep-size allocates there without growing the file
		}
		r.Fallocate[m.name] = answer(f.Fallocate(m.mode, off, bs), "trial")
	}
	return r
}

// trialSize is the size of the trial file: four blocks of 4 KiB.
const trialSize = 4 << 12

// trialFile makes a hidden temporary file in dir with four blocks of data.
func trialFile(dir string) (*extfs.File, error) {
	of, err := os.CreateTemp(dir, ".extfs-probe-*.tmp")
	if err != nil {
		return nil, err
	}
	f := extfs.NewFile(of)
	if _, err := f.Write([]byte(strings.Repeat("extfs-probe\n", trialSize/12+1))[:trialSize]); err != nil {
		f.Close()
		os.Remove(of.Name())
		return nil, err
	}
	return f, nil
}

// answer turns a trial's error into a result: not supported is a no;
// anything else (permission denied, say) proves nothing, and the answer is
// unknown, with the reason.
func answer(err error, source string) result {
	switch {
	case err == nil:
		return result{OK: yes, Source: source}
	case errors.Is(err, extfs.ErrNotSupported):
		return result{OK: no, Source: source}
	}
	return result{OK: unknown, Source: source, Error: reason(err)}
}

// reason is err without the path of the trial file, which is gone.
func reason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// fsKey says which filesystem holds path: paths with one key are probed
// once.
func fsKey(path string) (uint64, error) {
	st, err := extfs.Statx(path)
	if err != nil {
		return 0, err
	}
	if !st.Mode.IsDir() {
		st, err = extfs.Statx(filepath.Dir(path))
		if err != nil {
			return 0, err
		}
	}
	return st.Dev, nil
}
