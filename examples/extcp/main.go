// Command extcp copies files and directory trees, like cp(1), with extfs:
// copy-on-write clones where the filesystem can make them, in-kernel copies
// (copy_file_range) where it cannot, holes kept, and every file moved into
// place only once complete.
//
//	extcp [OPTION]... SRC DST
//	extcp [OPTION]... SRC... DIRECTORY
//	extcp [OPTION]... -t DIRECTORY SRC...
//	extcp --demo
//
// The options are GNU cp's, with its meaning: -a, -r/-R, -p, -d, -L, -P,
// -n, -u, -l, -s, -v, --debug, -t, -T, --preserve, --no-preserve,
// --reflink, --sparse; and extcp's own: -j, --progress, --summary, --json,
// -q, --demo. Copying into an existing directory puts each SRC's base name
// inside it; several SRCs need a directory DST. A failed SRC, or entry of a
// tree, is reported on stderr as "extcp: PATH: REASON" and the rest is still
// copied; the exit status is then 1. The tests run cp and extcp on the same
// trees and compare.
//
// Where extcp differs from GNU cp:
//
//   - An existing destination file is replaced atomically (a new file renamed
//     over it), never rewritten in place; a symbolic link there is replaced,
//     not followed. Without -p the new file keeps the mode of the file it
//     replaces, as with cp.
//   - Inside a tree, -v names each entry as it is done, a directory once
//     complete (after what it holds), and a symbolic link or special file
//     that replaced one is not said to be "removed" first.
//   - With -L and hard links kept (-aL), a file reached both directly and
//     through a link to a directory holding it is copied twice where cp
//     makes the two names hard links (extfs.CopyTree links only files that
//     have several names).
//   - A FIFO or device SRC is made anew with -r (as cp -r does), and refused
//     without it (cp would read it).
//   - -a and -p preserve ownership only as root: elsewhere chown would fail
//     for files of other users, which cp ignores. --preserve=ownership insists.
//   - --debug says per file what put the data in place, as cp 9.2's does
//     (copy offload, reflink, sparse detection), inside trees too.
//   - A summary line ends a copy that took a second or more (--summary:
//     always or never; -q: never; --json: the statistics as JSON). Its rate
//     counts the bytes really copied: clones have none.
//
// With --demo, or no arguments at all, extcp builds a demo tree in a temporary
// directory, copies it with the best method the filesystem offers, verifies
// the copy and says what it did.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/examples/internal/cli"
	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// derefMode is whether symbolic links are followed: cp's default (SRC
// operands without -r, nothing with -r), -L (always), -P (never).
type derefMode int

const (
	derefDefault derefMode = iota
	derefAlways            // -L: for a tree, CopyOptions.Symlinks = SymlinkFollow
	derefNever             // -P
)

// makeMode is what a copied file is: a copy, a hard link (-l) or a
// symbolic link (-s) to its source.
type makeMode int

const (
	makeCopy makeMode = iota
	makeHardlink
	makeSymlink
)

// config is what the command line asks for.
type config struct {
	recursive bool      // -r: copy directories
	noDeref   bool      // a symbolic link SRC is copied as a link (-P, -r, -a; not -L)
	deref     derefMode // as given: -L, -P or neither
	links     bool      // keep hard links among the files copied
	// existing is what becomes of a destination entry that exists:
	// ExistingReplace (cp's default), ExistingSkip (-n) or ExistingUpdate
	// (-u, replaced if older than the source).
	existing    extfs.ExistingMode
	make        makeMode
	verbose     bool   // -v: say each file copied, on stdout
	debug       bool   // --debug: and how
	targetDir   string // -t
	noTargetDir bool   // -T
	opt         extfs.CopyOptions
	progress    string // "auto", "always" or "never"
	summary     string // "auto", "always" or "never"
	json        bool
	demo        bool
	jobs        int // -j: files copied at once; 0 chooses
}

const usageText = `Usage: extcp [OPTION]... [-T] SRC DST
  or:  extcp [OPTION]... SRC... DIRECTORY
  or:  extcp [OPTION]... -t DIRECTORY SRC...
  or:  extcp --demo
Copy SRC to DST, or several SRCs into DIRECTORY, cloning where the
filesystem can (copy on write) and copying in the kernel where it cannot.

  -a, --archive            same as -dR --preserve=all (ownership only as root)
  -r, -R, --recursive      copy directories recursively
  -d                       same as -P --preserve=links
  -L, --dereference        always follow symbolic links in SRC
  -P, --no-dereference     never follow symbolic links in SRC (the default
                           with -r)
  -n, --no-clobber         do not overwrite an existing file
  -u, --update             copy only when SRC is newer than the destination
                           file, or when that is missing
  -l, --link               hard link files instead of copying them
  -s, --symbolic-link      make symbolic links instead of copying
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
  -t, --target-directory=DIRECTORY  copy every SRC into DIRECTORY
  -T, --no-target-directory  treat DST as a normal file
  -v, --verbose            say what is being done
      --debug              say how each file was copied (clone, copy offload,
                           sparse detection); implies -v
  -j, --jobs=N             copy N files at once (0: choose)
      --progress[=WHEN]    progress bar on stderr: auto (when it is a terminal;
                           the default with --progress), always, never
      --summary[=WHEN]     a summary line at the end: auto (the default: when
                           the copy took a second or more), always (the
                           default with --summary), never
      --json               print the statistics as JSON instead of the summary
  -q, --quiet              same as --summary=never
      --demo               build, copy and verify a demo tree in a temporary
                           directory (also what extcp with no arguments does)
  -h, --help               show this help

Exit status: 0 if everything was copied, 1 otherwise.
`

// run is extcp: it copies as args say and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, operands, err := parseArgs(args)
	switch {
	case cli.IsHelp(err):
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
	var srcs []string
	var dst string
	switch {
	case cfg.targetDir != "":
		if len(operands) == 0 {
			return usageError(stderr, "missing file operand")
		}
		srcs, dst = operands, cfg.targetDir
	case len(operands) == 0:
		return usageError(stderr, "missing file operand")
	case len(operands) == 1:
		return usageError(stderr, fmt.Sprintf("missing destination file operand after '%s'", operands[0]))
	case cfg.noTargetDir && len(operands) > 2:
		return usageError(stderr, fmt.Sprintf("extra operand '%s'", operands[2]))
	default:
		srcs, dst = operands[:len(operands)-1], operands[len(operands)-1]
	}

	c := newCopier(cfg, stdout, stderr)
	res := c.copyAll(ctx, srcs, dst)
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

// setTo is a flag without a value that sets *p to v: several flags share
// one variable, and the last one given wins, as in cp (-L and -P, say).
type setTo[T any] struct {
	p *T
	v T
}

func (f setTo[T]) String() string { return "" }
func (f setTo[T]) Type() string   { return "bool" }
func (f setTo[T]) Set(string) error {
	*f.p = f.v
	return nil
}

// parseArgs parses the command line into a config and the operands.
func parseArgs(args []string) (config, []string, error) {
	var (
		cfg                               = config{existing: extfs.ExistingReplace}
		archive, recursiveR, keepP, dashD bool
		preserveList, noPreserve, update  string
		reflink, sparse                   string
		quiet                             bool
	)
	fl := cli.NewFlagSet("extcp")
	fl.BoolVarP(&archive, "archive", "a", false, "")
	fl.BoolVarP(&cfg.recursive, "recursive", "r", false, "")
	fl.BoolVarP(&recursiveR, "R", "R", false, "")
	fl.BoolVarP(&dashD, "d", "d", false, "")
	for _, f := range []struct {
		name, short string
		v           pflag.Value
	}{
		{"dereference", "L", setTo[derefMode]{&cfg.deref, derefAlways}},
		{"no-dereference", "P", setTo[derefMode]{&cfg.deref, derefNever}},
		{"no-clobber", "n", setTo[extfs.ExistingMode]{&cfg.existing, extfs.ExistingSkip}},
		{"link", "l", setTo[makeMode]{&cfg.make, makeHardlink}},
		{"symbolic-link", "s", setTo[makeMode]{&cfg.make, makeSymlink}},
	} {
		fl.VarPF(f.v, f.name, f.short, "").NoOptDefVal = "true"
	}
	fl.StringVarP(&update, "update", "u", "", "")
	fl.Lookup("update").NoOptDefVal = "older"
	fl.BoolVarP(&keepP, "p", "p", false, "")
	fl.StringVar(&preserveList, "preserve", "", "")
	fl.Lookup("preserve").NoOptDefVal = "mode,ownership,timestamps"
	fl.StringVar(&noPreserve, "no-preserve", "", "")
	fl.StringVar(&reflink, "reflink", "auto", "")
	fl.Lookup("reflink").NoOptDefVal = "always"
	fl.StringVar(&sparse, "sparse", "auto", "")
	fl.StringVarP(&cfg.targetDir, "target-directory", "t", "", "")
	fl.BoolVarP(&cfg.noTargetDir, "no-target-directory", "T", false, "")
	fl.BoolVarP(&cfg.verbose, "verbose", "v", false, "")
	fl.BoolVar(&cfg.debug, "debug", false, "")
	fl.IntVarP(&cfg.jobs, "jobs", "j", 0, "")
	fl.StringVar(&cfg.progress, "progress", "never", "")
	fl.Lookup("progress").NoOptDefVal = "auto"
	fl.StringVar(&cfg.summary, "summary", "auto", "")
	fl.Lookup("summary").NoOptDefVal = "always"
	fl.BoolVar(&cfg.json, "json", false, "")
	fl.BoolVarP(&quiet, "quiet", "q", false, "")
	fl.BoolVar(&cfg.demo, "demo", false, "")
	if err := cli.Parse(fl, args); err != nil {
		return cfg, nil, err
	}

	var err error
	if cfg.opt.CoW, err = parseCoW(reflink); err != nil {
		return cfg, nil, err
	}
	if cfg.opt.Sparse, err = parseSparse(sparse); err != nil {
		return cfg, nil, err
	}
	for _, f := range []struct{ name, value string }{{"progress", cfg.progress}, {"summary", cfg.summary}} {
		switch f.value {
		case "auto", "always", "never":
		default:
			return cfg, nil, fmt.Errorf("invalid argument '%s' for '--%s' (valid: auto, always, never)", f.value, f.name)
		}
	}
	if quiet {
		cfg.summary = "never"
	}
	if fl.Changed("update") {
		switch update {
		case "older":
			if cfg.existing != extfs.ExistingSkip { // -n wins, as in cp
				cfg.existing = extfs.ExistingUpdate
			}
		case "none":
			cfg.existing = extfs.ExistingSkip
		case "all":
		default:
			return cfg, nil, fmt.Errorf("invalid argument '%s' for '--update' (valid: all, none, older)", update)
		}
	}
	if cfg.jobs < 0 {
		return cfg, nil, fmt.Errorf("invalid number of jobs: %d", cfg.jobs)
	}
	if cfg.targetDir != "" && cfg.noTargetDir {
		return cfg, nil, fmt.Errorf("cannot combine --target-directory (-t) and --no-target-directory (-T)")
	}
	cfg.verbose = cfg.verbose || cfg.debug
	cfg.opt.Workers = cfg.jobs

	// Ownership asked for by -a or -p is kept only where chown can succeed
	// for any file: as root (GNU cp tries, and ignores the failures).
	asRoot := os.Geteuid() == 0
	if archive {
		cfg.recursive, cfg.links = true, true
		if !fl.Changed("dereference") {
			cfg.deref = derefNever
		}
		cfg.opt.Preserve |= extfs.PreserveMode | extfs.PreserveTimes | extfs.PreserveXattrs
		if asRoot {
			cfg.opt.Preserve |= extfs.PreserveOwner
		}
	}
	if dashD {
		cfg.links = true
		if !fl.Changed("dereference") {
			cfg.deref = derefNever
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
	// cp follows symbolic links unless -P, or -r without -L (but -rl
	// follows them: links to what they lead to).
	cfg.noDeref = cfg.deref == derefNever || (cfg.deref == derefDefault && cfg.recursive && cfg.make != makeHardlink)
	if cfg.deref == derefAlways {
		cfg.opt.Symlinks = extfs.SymlinkFollow // links inside a tree too
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
