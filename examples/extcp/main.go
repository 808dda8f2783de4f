// Command extcp copies files and directory trees, like cp(1), with extfs:
// copy-on-write clones where the filesystem can make them, in-kernel copies
// (copy_file_range) where it cannot, holes kept, and every file moved into
// place only once complete.
//
//	extcp [-r] [-a] [--reflink=auto|always|never] [--sparse=auto|always|never]
//	      [--preserve=mode,timestamps,ownership,xattr|all] [--progress[=WHEN]]
//	      [--json] [-j N] SRC... DST
//	extcp --demo
//
// Flags and exit codes follow GNU cp where they overlap. Copying into an
// existing directory puts each SRC's base name inside it; several SRCs need a
// directory DST. A failed SRC is reported on stderr as "extcp: PATH: REASON"
// and the others are still copied; the exit status is then 1.
//
// Where extcp differs from GNU cp:
//
//   - An existing destination file is replaced atomically (a new file renamed
//     over it), never rewritten in place; a symbolic link there is replaced,
//     not followed.
//   - Inside a tree, the first error stops that tree's copy (extfs.CopyTree
//     does); the other SRCs are still copied.
//   - A FIFO or device SRC is made anew with -r (as cp -r does), and refused
//     without it (cp would read it).
//   - -a and -p preserve ownership only as root: elsewhere chown would fail
//     for files of other users, which cp ignores. --preserve=ownership insists.
//   - At the end extcp prints one summary line on stdout (-q: none; --json:
//     the statistics as JSON).
//
// With --demo, or no arguments at all, extcp builds a demo tree in a temporary
// directory, copies it with the best method the filesystem offers, verifies
// the copy and says what it did.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"

	"github.com/extfs/extfs"
	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the command line asks for.
type config struct {
	recursive bool // -r: copy directories
	noDeref   bool // -P (and -r, -a): a symbolic link SRC is copied as a link
	links     bool // keep hard links among the files copied
	opt       extfs.CopyOptions
	progress  string // "auto", "always" or "never"
	json      bool
	quiet     bool
	demo      bool
	jobs      int // -j: files copied at once; 0 chooses
}

const usageText = `Usage: extcp [OPTION]... SRC DST
  or:  extcp [OPTION]... SRC... DIRECTORY
  or:  extcp --demo
Copy SRC to DST, or several SRCs into DIRECTORY, cloning where the
filesystem can (copy on write) and copying in the kernel where it cannot.

  -a, --archive            same as -rP --preserve=all,links (ownership only as root)
  -r, -R, --recursive      copy directories recursively
  -P, --no-dereference     copy a symbolic link SRC as a link (the default with -r)
  -p                       same as --preserve=mode,ownership,timestamps
                           (ownership only as root)
      --preserve[=LIST]    keep the attributes in LIST (default mode,ownership,
                           timestamps): mode, ownership, timestamps, xattr,
                           context (an xattr), links, all
      --no-preserve=LIST   do not keep the attributes in LIST
      --reflink[=WHEN]     clone (share blocks): auto (the default: where the
                           filesystem can), always (or fail), never
      --sparse=WHEN        holes: auto (keep the source's), always (also turn
                           zero blocks into holes), never (write every byte)
  -j, --jobs=N             copy N files at once (0: choose)
      --progress[=WHEN]    progress bar on stderr: auto (when it is a terminal;
                           the default with --progress), always, never
      --json               print the statistics as JSON instead of the summary
  -q, --quiet              print no summary
      --demo               build, copy and verify a demo tree in a temporary
                           directory (also what extcp with no arguments does)
  -h, --help               show this help

Exit status: 0 if everything was copied, 1 otherwise.
`

// run is extcp: it copies as args say and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, operands, err := parseArgs(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(stdout, usageText)
		return 0
	case err != nil:
		return usageError(stderr, err.Error())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if cfg.demo || len(args) == 0 {
		if len(operands) > 0 {
			return usageError(stderr, "--demo takes no operands")
		}
		return runDemo(ctx, cfg, stdout, stderr)
	}
	switch len(operands) {
	case 0:
		return usageError(stderr, "missing file operand")
	case 1:
		return usageError(stderr, fmt.Sprintf("missing destination file operand after '%s'", operands[0]))
	}

	c := newCopier(cfg, stderr)
	res := c.copyAll(ctx, operands[:len(operands)-1], operands[len(operands)-1])
	if err := report(stdout, cfg, res); err != nil {
		fmt.Fprintf(stderr, "extcp: %v\n", err)
		return 1
	}
	if res.failed > 0 {
		return 1
	}
	return 0
}

// usageError reports a mistake on the command line, with the synopsis, and
// returns the exit status for it.
func usageError(stderr io.Writer, msg string) int {
	synopsis, _, _ := strings.Cut(usageText, "Copy SRC")
	fmt.Fprintf(stderr, "extcp: %s\n%sTry 'extcp --help' for more information.\n", msg, synopsis)
	return 1
}

// parseArgs parses the command line into a config and the operands.
func parseArgs(args []string) (config, []string, error) {
	var (
		cfg                        config
		archive, recursiveR, keepP bool
		preserveList, noPreserve   string
		reflink, sparse            string
		help                       bool
	)
	fl := pflag.NewFlagSet("extcp", pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.SortFlags = false
	fl.BoolVarP(&archive, "archive", "a", false, "")
	fl.BoolVarP(&cfg.recursive, "recursive", "r", false, "")
	fl.BoolVarP(&recursiveR, "R", "R", false, "")
	fl.BoolVarP(&cfg.noDeref, "no-dereference", "P", false, "")
	fl.BoolVarP(&keepP, "p", "p", false, "")
	fl.StringVar(&preserveList, "preserve", "", "")
	fl.Lookup("preserve").NoOptDefVal = "mode,ownership,timestamps"
	fl.StringVar(&noPreserve, "no-preserve", "", "")
	fl.StringVar(&reflink, "reflink", "auto", "")
	fl.Lookup("reflink").NoOptDefVal = "always"
	fl.StringVar(&sparse, "sparse", "auto", "")
	fl.IntVarP(&cfg.jobs, "jobs", "j", 0, "")
	fl.StringVar(&cfg.progress, "progress", "never", "")
	fl.Lookup("progress").NoOptDefVal = "auto"
	fl.BoolVar(&cfg.json, "json", false, "")
	fl.BoolVarP(&cfg.quiet, "quiet", "q", false, "")
	fl.BoolVar(&cfg.demo, "demo", false, "")
	fl.BoolVarP(&help, "help", "h", false, "")
	if err := fl.Parse(args); err != nil {
		return cfg, nil, err
	}
	if help {
		return cfg, nil, pflag.ErrHelp
	}

	var err error
	if cfg.opt.CoW, err = parseCoW(reflink); err != nil {
		return cfg, nil, err
	}
	if cfg.opt.Sparse, err = parseSparse(sparse); err != nil {
		return cfg, nil, err
	}
	switch cfg.progress {
	case "auto", "always", "never":
	default:
		return cfg, nil, fmt.Errorf("invalid argument '%s' for '--progress' (valid: auto, always, never)", cfg.progress)
	}
	if cfg.jobs < 0 {
		return cfg, nil, fmt.Errorf("invalid number of jobs: %d", cfg.jobs)
	}
	cfg.opt.Workers = cfg.jobs

	// Ownership asked for by -a or -p is kept only where chown can succeed
	// for any file: as root (GNU cp tries, and ignores the failures).
	asRoot := os.Geteuid() == 0
	if archive {
		cfg.recursive, cfg.noDeref, cfg.links = true, true, true
		cfg.opt.Preserve |= extfs.PreserveMode | extfs.PreserveTimes | extfs.PreserveXattrs
		if asRoot {
			cfg.opt.Preserve |= extfs.PreserveOwner
		}
	}
	if keepP {
		cfg.opt.Preserve |= extfs.PreserveMode | extfs.PreserveTimes
		if asRoot {
			cfg.opt.Preserve |= extfs.PreserveOwner
		}
	}
	if recursiveR {
		cfg.recursive = true
	}
	if cfg.recursive {
		cfg.noDeref = true // cp -r copies symbolic links as links
	}
	if fl.Changed("preserve") {
		p, links, err := parsePreserve("--preserve", preserveList)
		if err != nil {
			return cfg, nil, err
		}
		cfg.opt.Preserve |= p
		cfg.links = cfg.links || links
	}
	if fl.Changed("no-preserve") {
		p, links, err := parsePreserve("--no-preserve", noPreserve)
		if err != nil {
			return cfg, nil, err
		}
		cfg.opt.Preserve &^= p
		cfg.links = cfg.links && !links
	}
	cfg.opt.Hardlinks = cfg.links
	return cfg, fl.Args(), nil
}

func parseCoW(s string) (extfs.CoWMode, error) {
	for _, m := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWAlways, extfs.CoWNever} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("invalid argument '%s' for '--reflink' (valid: auto, always, never)", s)
}

func parseSparse(s string) (extfs.SparseMode, error) {
	for _, m := range []extfs.SparseMode{extfs.SparseAuto, extfs.SparseAlways, extfs.SparseNever} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("invalid argument '%s' for '--sparse' (valid: auto, always, never)", s)
}

// parsePreserve parses a --preserve list: the metadata it names, and
// whether it names links.
func parsePreserve(flag, list string) (p extfs.Preserve, links bool, err error) {
	for _, name := range strings.Split(list, ",") {
		switch name {
		case "mode":
			p |= extfs.PreserveMode
		case "ownership":
			p |= extfs.PreserveOwner
		case "timestamps":
			p |= extfs.PreserveTimes
		case "xattr", "context": // an SELinux context is the xattr security.selinux
			p |= extfs.PreserveXattrs
		case "links":
			links = true
		case "all":
			p, links = extfs.PreserveAll, true
		default:
			return 0, false, fmt.Errorf("invalid argument '%s' for '%s' (valid: mode, ownership, timestamps, xattr, context, links, all)", name, flag)
		}
	}
	return p, links, nil
}

// defaultJobs is how many SRC files are copied at once when -j does not
// say: a few, so that a slow file (a network filesystem, a cold disk) does
// not hold up the others; trees choose their own (extfs.CopyTree).
func defaultJobs() int { return min(max(runtime.GOMAXPROCS(0), 2), 4) }
