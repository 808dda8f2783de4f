package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/extfs/extfs"
)

// fsReport is what extfs-probe found out about one filesystem.
type fsReport struct {
	Paths []string `json:"paths"`           // the PATH arguments on this filesystem
	Error string   `json:"error,omitempty"` // why the probe failed, if it did

	Filesystem     string `json:"filesystem,omitempty"`
	Clone          bool   `json:"clone"`
	CloneBlockSize int64  `json:"clone_block_size,omitempty"`
	CopyFileRange  bool   `json:"copy_file_range"`

	// Xattr says, per namespace (user, trusted, security), whether an
	// attribute could be set and removed on a regular file.
	Xattr map[string]result `json:"xattr,omitempty"`
	// Fallocate says, per mode, whether the filesystem does it.
	Fallocate map[string]result `json:"fallocate,omitempty"`
}

// result is one answer: yes or no, why not, and where it comes from.
type result struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`  // the error of a trial that failed
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

// probeFS reports on the filesystem holding dir: extfs.Probe, and trials on
// a temporary file of its own for what Probe does not say.
func probeFS(dir string) fsReport {
	r := fsReport{Paths: []string{dir}}
	caps, err := extfs.Probe(dir)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Filesystem, r.Clone, r.CloneBlockSize, r.CopyFileRange = caps.Filesystem, caps.Clone, caps.CloneBlockSize, caps.CopyFileRange

	f, err := trialFile(dir)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()

	r.Xattr = make(map[string]result)
	for _, ns := range xattrNamespaces {
		name := ns + ".extfs-probe"
		err := f.SetXattr(name, []byte("1"), 0)
		if err == nil {
			err = f.RemoveXattr(name)
		}
		r.Xattr[ns] = answer(err, "trial")
	}

	r.Fallocate = make(map[string]result)
	st, err := f.Statx()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	bs := st.Blksize
	if bs <= 0 || bs > 1<<20 {
		bs = 4096
	}
	for _, m := range fallocModes {
		if m.cap != nil {
			r.Fallocate[m.name] = result{OK: m.cap(caps), Source: "probe"}
			continue
		}
		off := int64(0)
		if m.mode&extfs.AllocKeepSize != 0 {
			off = st.Size // past the end: only keep-size allocates there without growing the file
		}
		r.Fallocate[m.name] = answer(f.Fallocate(m.mode, off, bs), "trial")
	}
	return r
}

// trialFile makes a hidden temporary file in dir with four blocks of data.
func trialFile(dir string) (*extfs.File, error) {
	of, err := os.CreateTemp(dir, ".extfs-probe-*.tmp")
	if err != nil {
		return nil, err
	}
	f := extfs.NewFile(of)
	if _, err := f.Write([]byte(strings.Repeat("extfs-probe\n", 4<<12/12+1))[:4<<12]); err != nil {
		f.Close()
		os.Remove(of.Name())
		return nil, err
	}
	return f, nil
}

// answer turns a trial's error into a result: not supported is a plain no,
// anything else (permission denied, say) a no with its reason.
func answer(err error, source string) result {
	switch {
	case err == nil:
		return result{OK: true, Source: source}
	case errors.Is(err, extfs.ErrNotSupported):
		return result{Source: source}
	}
	return result{Source: source, Error: reason(err)}
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
