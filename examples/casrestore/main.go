// Command casrestore stores directory trees in a content-addressed store
// and restores them from it, with copy-on-write clones where the filesystem
// has them:
//
//	casrestore ingest [-j N] [-immutable PATTERN]... SRC STORE MANIFEST
//	casrestore restore [-mode clone|copy|hardlink-immutable] [-verify] [-sync=false] [-j N] MANIFEST STORE DST
//
// ingest walks SRC, stores each regular file in STORE under the SHA-256 of
// its content (STORE/ab/cdef…; identical files are stored once), cloning it
// there with extfs.CopyFile where STORE and SRC share a filesystem that can
// clone, and writes MANIFEST: a JSON list of every directory (mode), file
// (hash, size, mode, immutable flag) and symbolic link (target) of SRC.
// A file is flagged immutable when it has no write permission for anyone,
// when the kernel marks it immutable (chattr +i), or when its path matches
// an -immutable pattern (path.Match, slash-separated, relative to SRC).
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
// Every object's size is checked; -verify also hashes each object used,
// once. DST appears complete or not at all: the tree is built in a hidden
// directory next to it and renamed into place, and any failure (a missing or
// corrupt object) removes it and reports the path. With -sync (the default)
// the tree's data and directories are on disk before the rename, so that a
// crash cannot leave a complete-looking tree of empty files; ingest likewise
// syncs each new object before naming it by its hash.
// Ownership and times are not recorded: a restored tree belongs to whoever
// restores it, as from a package manager.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "casrestore:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage:
  casrestore ingest [-j N] [-immutable PATTERN]... SRC STORE MANIFEST
  casrestore restore [-mode clone|copy|hardlink-immutable] [-verify] [-sync=false] [-j N] MANIFEST STORE DST`

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "ingest":
		fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
		var o ingestOptions
		fs.IntVar(&o.Workers, "j", 0, "files stored at once (0: twice the CPUs, 4 to 64)")
		fs.Func("immutable", "flag files whose path matches `PATTERN` immutable (repeatable)", func(p string) error {
			o.Immutable = append(o.Immutable, p)
			return nil
		})
		if err := parse(fs, args[1:], 3); err != nil {
			return err
		}
		start := time.Now()
		st, err := ingest(ctx, fs.Arg(0), fs.Arg(1), fs.Arg(2), o)
		if err != nil {
			return err
		}
		fmt.Printf("ingested %d files (%s), %d directories, %d symlinks in %v: %d new objects (%s cloned, %s copied), %d deduplicated",
			st.Files, size(st.Bytes), st.Dirs, st.Symlinks, time.Since(start).Round(time.Millisecond),
			st.Objects, size(st.ClonedBytes), size(st.CopiedBytes), st.Deduped)
		if st.Skipped > 0 {
			fmt.Printf("; skipped %d FIFOs, sockets or devices", st.Skipped)
		}
		fmt.Println()
		return nil

	case "restore":
		fs := flag.NewFlagSet("restore", flag.ContinueOnError)
		var o restoreOptions
		fs.StringVar(&o.Mode, "mode", ModeClone, "how files are placed: clone, copy or hardlink-immutable")
		fs.BoolVar(&o.Verify, "verify", false, "hash every object used before placing it")
		fs.BoolVar(&o.Sync, "sync", true, "put the tree on disk (fdatasync, directories) before renaming it into place")
		fs.IntVar(&o.Workers, "j", 0, "files placed at once (0: twice the CPUs, 4 to 64)")
		if err := parse(fs, args[1:], 3); err != nil {
			return err
		}
		m, err := readManifest(fs.Arg(0))
		if err != nil {
			return err
		}
		start := time.Now()
		st, err := restore(ctx, m, fs.Arg(1), fs.Arg(2), o)
		if err != nil {
			return err
		}
		fmt.Printf("restored %d files (%s: %d cloned, %d copied, %d hard-linked), %d directories, %d symlinks in %v",
			st.Files, size(st.Bytes), st.Cloned, st.Copied, st.Hardlinked, st.Dirs, st.Symlinks, time.Since(start).Round(time.Millisecond))
		if o.Verify {
			fmt.Printf("; %d objects verified", st.VerifiedObjects)
		}
		fmt.Println()
		return nil
	}
	fmt.Fprintln(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func parse(fs *flag.FlagSet, args []string, nargs int) error {
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != nargs {
		fs.Usage()
		return fmt.Errorf("%s: want %d arguments, got %d (%s)", fs.Name(), nargs, fs.NArg(), strings.Join(fs.Args(), " "))
	}
	return nil
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
