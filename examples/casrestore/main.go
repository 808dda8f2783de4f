// Command casrestore stores directory trees in a content-addressed store
// and restores them from it, with copy-on-write clones where the filesystem
// has them:
//
//	casrestore ingest [-j N] [--immutable PATTERN]... [--reshare=false] SRC STORE MANIFEST
//	casrestore restore [--mode clone|copy|hardlink-immutable] [--verify] [--sync=false] [-j N] MANIFEST STORE DST
//	casrestore help
//
// ingest walks SRC, stores each regular file in STORE under the SHA-256 of
// its content (STORE/ab/cdef…; identical files are stored once), cloning it
// there with extfs.CopyFile where STORE and SRC share a filesystem that can
// clone, and writes MANIFEST. A file whose content STORE has already is
// made to share the blocks of that object (extfs.Dedupe: re-shared), where
// the filesystem can (XFS with reflink, btrfs; elsewhere nothing is shared,
// and that is no error), so that identical files of SRC take the space of
// one; --reshare=false leaves them as they are. MANIFEST is a JSON list of
// every directory (mode), file (hash, size, mode, immutable flag) and
// symbolic link (target) of SRC.
// A file is flagged immutable when it has no write permission for anyone,
// when the kernel marks it immutable (chattr +i), or when its path matches
// an --immutable pattern (path.Match, slash-separated, relative to SRC).
//
// restore builds the tree of MANIFEST at DST, several files at once (-j):
//
//   - clone (the default): each file is a clone of its object — no data is
//     copied and no space used, on XFS (reflink=1), btrfs, APFS, ReFS —
//     or a copy where the filesystem cannot clone or STORE is elsewhere;
//   - copy: each file is a physical copy with blocks of its own;
//   - hardlink-immutable: files flagged immutable are hard links to their
//     object (when the object has their mode: 0444, or 0555 for
//     executables), the others clones. They are the store's objects: never
//     write to them.
//
// Every object's size is checked; --verify also hashes each object used,
// once. DST appears complete or not at all: the tree is built in a hidden
// directory next to it and renamed into place, and any failure (a missing or
// corrupt object) removes it and reports the path. With --sync (the default)
// the tree's data and directories are on disk before the rename, so that a
// crash cannot leave a complete-looking tree of empty files; ingest likewise
// syncs each new object before naming it by its hash.
// Ownership and times are not recorded: a restored tree belongs to whoever
// restores it, as from a package manager.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/extfs/extfs/examples/internal/cli"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usageText = `Usage: casrestore ingest [-j N] [--immutable PATTERN]... [--reshare=false]
                         SRC STORE MANIFEST
  or:  casrestore restore [--mode clone|copy|hardlink-immutable] [--verify]
                          [--sync=false] [-j N] MANIFEST STORE DST
  or:  casrestore help [COMMAND]
Store the directory tree SRC in the content-addressed STORE and describe it
in MANIFEST (ingest), or build the tree of MANIFEST at DST from STORE
(restore), with copy-on-write clones where the filesystem has them.

ingest:
  -j, --jobs=N              files stored at once (0: twice the CPUs, 4 to 64)
      --immutable=PATTERN   flag files whose path (slash-separated, relative
                            to SRC) matches PATTERN immutable; repeatable
      --reshare[=false]     make files whose content STORE has share its
                            blocks, where the filesystem can (XFS, btrfs)
                            (default true)

restore:
      --mode=MODE           how files are placed: clone (the default), copy,
                            or hardlink-immutable
      --verify              hash every object used before placing it
      --sync[=false]        put the tree on disk (fdatasync, directories)
                            before renaming it into place (default true)
  -j, --jobs=N              files placed at once (0: twice the CPUs, 4 to 64)

  -h, --help                show this help

A long option may also be written with one dash (-mode copy, -sync=false).
Exit status: 0 on success, 1 on failure, 2 for a mistake on the command line.
`

// run is casrestore: it does what args say and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "missing command")
	}
	switch cmd := args[0]; cmd {
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] != "ingest" && args[1] != "restore" {
			return usageError(stderr, fmt.Sprintf("unknown command %q", args[1]))
		}
		fmt.Fprint(stdout, usageText)
		return 0

	case "ingest":
		var o ingestOptions
		fl := cli.NewFlagSet("ingest")
		fl.IntVarP(&o.Workers, "jobs", "j", 0, "")
		fl.StringArrayVar(&o.Immutable, "immutable", nil, "")
		reshare := fl.Bool("reshare", true, "")
		operands, code, ok := parse(fl, args[1:], 3, stdout, stderr)
		if !ok {
			return code
		}
		o.NoReshare = !*reshare
		start := time.Now()
		st, err := ingest(ctx, operands[0], operands[1], operands[2], o)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "ingested %d files (%s), %d directories, %d symlinks in %v: %d new objects (%s cloned, %s copied), %d deduplicated (%s re-shared)",
			st.Files, cli.FormatSize(st.Bytes), st.Dirs, st.Symlinks, time.Since(start).Round(time.Millisecond),
			st.Objects, cli.FormatSize(st.ClonedBytes), cli.FormatSize(st.CopiedBytes), st.Deduped, cli.FormatSize(st.SharedBytes))
		if st.Skipped > 0 {
			fmt.Fprintf(stdout, "; skipped %d FIFOs, sockets or devices", st.Skipped)
		}
		fmt.Fprintln(stdout)
		return 0

	case "restore":
		var o restoreOptions
		fl := cli.NewFlagSet("restore")
		fl.StringVar(&o.Mode, "mode", ModeClone, "")
		fl.BoolVar(&o.Verify, "verify", false, "")
		fl.BoolVar(&o.Sync, "sync", true, "")
		fl.IntVarP(&o.Workers, "jobs", "j", 0, "")
		operands, code, ok := parse(fl, args[1:], 3, stdout, stderr)
		if !ok {
			return code
		}
		m, err := readManifest(operands[0])
		if err != nil {
			return fail(stderr, err)
		}
		start := time.Now()
		st, err := restore(ctx, m, operands[1], operands[2], o)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "restored %d files (%s: %d cloned, %d copied, %d hard-linked), %d directories, %d symlinks in %v",
			st.Files, cli.FormatSize(st.Bytes), st.Cloned, st.Copied, st.Hardlinked, st.Dirs, st.Symlinks, time.Since(start).Round(time.Millisecond))
		if o.Verify {
			fmt.Fprintf(stdout, "; %d objects verified", st.VerifiedObjects)
		}
		fmt.Fprintln(stdout)
		return 0
	}
	return usageError(stderr, fmt.Sprintf("unknown command %q", args[0]))
}

// parse parses the arguments of a command, which takes nargs operands.
// When it returns !ok, the command is over, with exit status code: help was
// printed, or a mistake reported.
func parse(fl *pflag.FlagSet, args []string, nargs int, stdout, stderr io.Writer) (operands []string, code int, ok bool) {
	switch err := cli.Parse(fl, args); {
	case cli.IsHelp(err):
		fmt.Fprint(stdout, usageText)
		return nil, 0, false
	case err != nil:
		return nil, usageError(stderr, fl.Name()+": "+err.Error()), false
	case fl.NArg() != nargs:
		return nil, usageError(stderr, fmt.Sprintf("%s: want %d arguments, got %d (%s)", fl.Name(), nargs, fl.NArg(), strings.Join(fl.Args(), " "))), false
	}
	return fl.Args(), 0, true
}

// usageError reports a mistake on the command line and returns the exit
// status for it.
func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "casrestore: %s\nTry 'casrestore --help' for more information.\n", msg)
	return 2
}

// fail reports err and returns the exit status for it.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "casrestore:", err)
	return 1
}
