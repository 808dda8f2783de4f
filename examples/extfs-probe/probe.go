package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/extfs/extfs"
)

// fsReport is what extfs-probe found out about one filesystem.
type fsReport struct {
	Paths []string `json:"paths"`           // the PATH arguments on this filesystem
	Error string   `json:"error,omitempty"` // why the path could not be probed at all

	// ProbeError is why extfs.Probe (or, with --trial, extfs.ProbeTrial)
	// could not answer at all: every answer of its is then unknown.
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

// tri is extfs's Answer, an answer that may be unknown, as JSON has it:
// true, false or null; "yes", "no" or "unknown" for people.
type tri extfs.Answer

const (
	unknown = tri(extfs.Unknown)
	yes     = tri(extfs.Yes)
	no      = tri(extfs.No)
)

// triOf is extfs's Answer as a tri.
func triOf(a extfs.Answer) tri { return tri(a) }

func (t tri) String() string { return extfs.Answer(t).String() }

func (t tri) MarshalJSON() ([]byte, error) {
	switch t {
	case yes:
		return []byte("true"), nil
	case no:
		return []byte("false"), nil
	}
	return []byte("null"), nil
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
	Source string `json:"source,omitempty"` // "probe" (extfs.Probe, read), "trial" (tried: extfs.ProbeTrial, or here)
}

// xattrNamespaces are the namespaces tried, in the order shown.
var xattrNamespaces = []string{"user", "trusted", "security"}

// fallocModes are the Fallocate modes shown, in order, with extfs's
// answer for each.
var fallocModes = []struct {
	name string
	cap  func(extfs.Capabilities) extfs.Answer
}{
	{"allocate", func(c extfs.Capabilities) extfs.Answer { return c.Allocate }},
	{"keep_size", func(c extfs.Capabilities) extfs.Answer { return c.KeepSize }},
	{"punch_hole", func(c extfs.Capabilities) extfs.Answer { return c.PunchHole }},
	{"zero_range", func(c extfs.Capabilities) extfs.Answer { return c.ZeroRange }},
	{"collapse_range", func(c extfs.Capabilities) extfs.Answer { return c.CollapseRange }},
	{"insert_range", func(c extfs.Capabilities) extfs.Answer { return c.InsertRange }},
	{"unshare_range", func(c extfs.Capabilities) extfs.Answer { return c.UnshareRange }},
}

// probeCaps and trialCaps are extfs.Probe and extfs.ProbeTrial; tests
// replace them.
var probeCaps, trialCaps = extfs.Probe, extfs.ProbeTrial

// probeFS reports on the filesystem holding dir: extfs.Probe's answers
// (read; unknown where it cannot say), or with trial extfs.ProbeTrial's
// (tried), and the xattr namespaces tried on a temporary file of its own.
func probeFS(dir string, trial bool) fsReport {
	r := fsReport{Paths: []string{dir}}
	probe, source := probeCaps, "probe"
	if trial {
		probe, source = trialCaps, "trial"
	}
	caps, err := probe(dir)
	probed := err == nil
	if probed {
		r.Filesystem, r.Clone, r.CloneBlockSize, r.CopyFileRange = caps.Filesystem, triOf(caps.Clone), caps.CloneBlockSize, triOf(caps.CopyFileRange)
	} else {
		r.ProbeError = reason(err)
	}

	r.Xattr = make(map[string]result)
	r.Fallocate = make(map[string]result)
	for _, m := range fallocModes {
		if probed {
			r.Fallocate[m.name] = result{OK: triOf(m.cap(caps)), Source: source}
		} else {
			r.Fallocate[m.name] = result{Error: r.ProbeError, Source: source}
		}
	}
	f, err := trialFile(dir)
	if err != nil {
		// Nothing can be tried here either: every trial's answer is unknown.
		why := reason(err)
		for _, ns := range xattrNamespaces {
			r.Xattr[ns] = result{Error: why, Source: "trial"}
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
	return r
}

// trialFile makes a hidden, empty temporary file in dir.
func trialFile(dir string) (*extfs.File, error) {
	of, err := os.CreateTemp(dir, ".extfs-probe-*.tmp")
	if err != nil {
		return nil, err
	}
	return extfs.NewFile(of), nil
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
