// Command extfs-probe reports what filesystems, the kernel and the OS offer
// to extfs: per filesystem, clones, copy_file_range, the extended attribute
// namespaces a process can use, and each fallocate mode; then every
// extfs.Feature, the engine, and io_uring: whether it is available, which
// operations this kernel's ring offers, and which of them the engine sends
// there (extfs.RingOps).
//
//	extfs-probe [--json] [--trial] [PATH...]
//
// PATH defaults to the current directory and the temporary directory; paths
// on one filesystem are probed once. The answers are extfs.Probe's, which
// reads them without writing, and are unknown where it cannot say; with
// --trial they are extfs.ProbeTrial's, which tries each operation. The xattr
// namespaces are tried on a small hidden file (removed at once). The exit
// status is 1 if a probe failed.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/examples/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `Usage: extfs-probe [--json] [--trial] [PATH...]
Report what the filesystems holding PATHs (default: the current directory and
the temporary directory), the kernel and the OS offer to extfs, and which
io_uring operations the engine uses.

      --json   print the report as JSON
      --trial  try each operation on small hidden files (extfs.ProbeTrial),
               which needs write permission; without it, the answers are
               read without writing (extfs.Probe)
  -h, --help   show this help

An answer is yes, no, or unknown where extfs-probe could not find out: what
the filesystem does not say of itself (without --trial), or a trial that
failed for another reason (with the reason). In JSON, unknown is null. Exit status: 0 if every filesystem was probed, 1 if one
could not be (unknown answers from a failed extfs.Probe, or a PATH that
cannot be examined), 2 for a mistake on the command line.
`

// report is the whole answer; --json prints it as it is.
type report struct {
	OS          string          `json:"os"`
	Arch        string          `json:"arch"`
	Engine      string          `json:"engine"`   // extfs.CurrentEngine
	Features    map[string]bool `json:"features"` // extfs.Supports, per extfs.Feature
	Ring        ringReport      `json:"io_uring"`
	Filesystems []fsReport      `json:"filesystems"`
}

// ringReport is io_uring's availability and its operations.
type ringReport struct {
	Available bool     `json:"available"` // extfs.Supports(extfs.FeatureRing)
	Ops       []ringOp `json:"ops"`       // extfs.RingOps; empty where there is no io_uring
}

// ringOp is an extfs.RingOp, with JSON names.
type ringOp struct {
	Name      string `json:"name"`
	Opcode    uint8  `json:"opcode"`
	Supported bool   `json:"supported"` // the kernel's ring offers it
	Batched   bool   `json:"batched"`   // EngineAuto runs a Batch of it on the ring
}

func run(args []string, stdout, stderr io.Writer) int {
	var asJSON, trial bool
	fl := cli.NewFlagSet("extfs-probe")
	fl.BoolVar(&asJSON, "json", false, "")
	fl.BoolVar(&trial, "trial", false, "")
	switch err := cli.Parse(fl, args); {
	case cli.IsHelp(err):
		fmt.Fprint(stdout, usageText)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "extfs-probe: %v\n%s", err, usageText)
		return 2
	}
	paths := fl.Args()
	if len(paths) == 0 {
		paths = []string{".", os.TempDir()}
	}

	rep := report{
		OS: runtime.GOOS, Arch: runtime.GOARCH,
		Engine:   extfs.CurrentEngine().String(),
		Features: make(map[string]bool),
	}
	for _, f := range extfs.Features() {
		rep.Features[f.String()] = extfs.Supports(f)
	}
	rep.Ring = ringReport{Available: extfs.Supports(extfs.FeatureRing), Ops: []ringOp{}}
	for _, op := range extfs.RingOps() {
		rep.Ring.Ops = append(rep.Ring.Ops, ringOp(op))
	}
	failed := false
	byKey := make(map[uint64]int) // filesystem → index in rep.Filesystems
	for _, p := range paths {
		key, err := fsKey(p)
		if err != nil {
			rep.Filesystems = append(rep.Filesystems, fsReport{Paths: []string{p}, Error: err.Error()})
			failed = true
			continue
		}
		if i, ok := byKey[key]; ok {
			rep.Filesystems[i].Paths = append(rep.Filesystems[i].Paths, p)
			continue
		}
		dir := p
		if st, err := extfs.Statx(p); err == nil && !st.Mode.IsDir() {
			dir = filepath.Dir(p)
		}
		r := probeFS(dir, trial)
		r.Paths[0] = p
		if r.Error != "" || r.ProbeError != "" {
			failed = true
		}
		byKey[key] = len(rep.Filesystems)
		rep.Filesystems = append(rep.Filesystems, r)
	}

	var err error
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = printTable(stdout, &rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "extfs-probe: %v\n", err)
		return 1
	}
	if failed {
		for _, r := range rep.Filesystems {
			switch {
			case r.Error != "":
				fmt.Fprintf(stderr, "extfs-probe: %s: %s\n", r.Paths[0], r.Error)
			case r.ProbeError != "":
				fmt.Fprintf(stderr, "extfs-probe: %s: could not probe (%s): some answers are unknown\n", r.Paths[0], r.ProbeError)
			}
		}
		return 1
	}
	return 0
}

// printTable prints rep for people: a table per filesystem, then the
// kernel's and OS's features, then io_uring's operations.
func printTable(w io.Writer, rep *report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rep.Filesystems {
		fmt.Fprintf(tw, "%s\n", strings.Join(r.Paths, ", "))
		if r.Error != "" {
			fmt.Fprintf(tw, "  error\t%s\n\n", r.Error)
			continue
		}
		fs := r.Filesystem
		if fs == "" {
			fs = "unknown"
		}
		fmt.Fprintf(tw, "  filesystem\t%s\n", fs)
		clone := probed(r.Clone, r.ProbeError)
		if r.Clone == yes {
			clone += fmt.Sprintf(" (block size %s)", cli.FormatSize(r.CloneBlockSize))
		}
		fmt.Fprintf(tw, "  clone (reflink)\t%s\n", clone)
		fmt.Fprintf(tw, "  copy_file_range\t%s\n", probed(r.CopyFileRange, r.ProbeError))
		for _, ns := range xattrNamespaces {
			fmt.Fprintf(tw, "  xattr %s.*\t%s\n", ns, r.Xattr[ns])
		}
		for _, m := range fallocModes {
			fmt.Fprintf(tw, "  fallocate %s\t%s\n", m.name, r.Fallocate[m.name])
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "(tried: on temporary files; the rest: read by extfs.Probe)\n\n")
	fmt.Fprintf(tw, "kernel and OS (%s/%s): extfs.Supports\n", rep.OS, rep.Arch)
	for _, f := range extfs.Features() {
		fmt.Fprintf(tw, "  %s\t%s\n", f, yesNo(rep.Features[f.String()]))
	}
	fmt.Fprintf(tw, "  engine\t%s\n", rep.Engine)
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "io_uring: extfs.RingOps\n")
	fmt.Fprintf(tw, "  available\t%s\n", yesNo(rep.Ring.Available))
	if len(rep.Ring.Ops) > 0 {
		fmt.Fprintf(tw, "  operation\topcode\tkernel\tengine %s\n", rep.Engine)
		for _, op := range rep.Ring.Ops {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", op.Name, op.Opcode, yesNo(op.Supported), ringUse(op, rep.Engine))
		}
	}
	return tw.Flush()
}

// ringUse says when the engine named engine runs op on the ring.
func ringUse(op ringOp, engine string) string {
	switch {
	case !op.Supported || engine == extfs.EngineSyscall.String():
		return "never"
	case engine == extfs.EngineRing.String():
		return "always"
	case op.Batched:
		return "in batches" // and when crowded
	}
	return "when crowded" // many goroutines already in system calls
}

// probed is an answer of extfs.Probe for people: unknown says why.
func probed(t tri, probeErr string) string {
	if t == unknown && probeErr != "" {
		return "unknown: " + probeErr
	}
	return t.String()
}

func (r result) String() string {
	s := r.OK.String()
	if r.Error != "" {
		s += ": " + r.Error
	}
	if r.Source == "trial" {
		s += "  (tried)"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
