package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/examples/internal/cli"
)

// The demo: build a tree with a bit of everything in a temporary directory,
// copy it as extcp -a does, check every byte and every piece of metadata
// of the copy, say what happened, and clean up.

// demoTree is what buildDemo made, for the report and the checks.
type demoTree struct {
	files, dirs, symlinks int
	bytes                 int64
	xattrs                int    // extended attributes set
	xattrNote             string // why there are none, if so
	symlinkNote           string // why there are no symbolic links, if so
	linkGroup             int    // names of the hard-linked file (0: none)
	linkNote              string
	sparse                string // the sparse file's path
	sparseSize            int64
	sparseBlocks          int64 // its allocated 512-byte blocks
}

// sparseSize is the size of the demo's sparse file; it holds data only in
// a few small ranges.
const demoSparseSize = 16 << 20

func runDemo(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	start := time.Now()
	dir, err := os.MkdirTemp("", "extcp-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "extcp: %v\n", err)
		return 1
	}
	code := demo(ctx, cfg, dir, stdout, stderr)
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(stderr, "extcp: cleaning up: %v\n", err)
		code = 1
	} else {
		fmt.Fprintf(stdout, "%-12s removed %s\n", "cleanup", dir)
	}
	verdict := "PASS"
	if code != 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(stdout, "%s (%s)\n", verdict, duration(time.Since(start)))
	return code
}

func demo(ctx context.Context, cfg config, dir string, stdout, stderr io.Writer) int {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(stdout, "%-12s %s\n", label, fmt.Sprintf(format, args...))
	}
	line("extcp demo", "in %s", dir)

	caps, probeErr := extfs.Probe(dir)
	if probeErr != nil {
		line("filesystem", "unknown: %v", probeErr)
	} else {
		line("filesystem", "%s: clone %s, copy_file_range %s, user xattrs %s, punch hole %s",
			caps.Filesystem, caps.Clone, caps.CopyFileRange, caps.Xattr, caps.PunchHole)
	}

	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	tree, err := buildDemo(src, caps.Xattr == extfs.Yes)
	if err != nil {
		fmt.Fprintf(stderr, "extcp: building the demo tree: %v\n", err)
		return 1
	}
	extras := []string{}
	if tree.linkGroup > 0 {
		extras = append(extras, fmt.Sprintf("1 hard-link group of %d", tree.linkGroup))
	}
	if tree.sparse != "" {
		extras = append(extras, fmt.Sprintf("1 sparse file (%s, %s allocated)", cli.FormatSize(tree.sparseSize), cli.FormatSize(tree.sparseBlocks*512)))
	}
	extras = append(extras, plural(int64(tree.xattrs), "xattr"))
	line("source", "%s (%s), %s, %s, %s", plural(int64(tree.files), "file"), cli.FormatSize(tree.bytes),
		plural(int64(tree.dirs), "dir"), plural(int64(tree.symlinks), "symlink"), strings.Join(extras, ", "))
	for _, note := range []string{tree.symlinkNote, tree.linkNote, tree.xattrNote} {
		if note != "" {
			line("", "%s", note)
		}
	}

	dcfg := config{recursive: true, noDeref: true, links: true, progress: cfg.progress, jobs: cfg.jobs}
	dcfg.opt = extfs.CopyOptions{CoW: cfg.opt.CoW, Sparse: cfg.opt.Sparse, Preserve: extfs.PreserveAll, Hardlinks: true, Workers: cfg.jobs}
	line("copy", "extcp -r --preserve=all --reflink=%v --sparse=%v src dst   (extfs.CopyTree: CoW%s, PreserveAll, Hardlinks)",
		dcfg.opt.CoW, dcfg.opt.Sparse, titled(dcfg.opt.CoW.String()))
	c := newCopier(dcfg, stdout, stderr)
	res := c.copyAll(ctx, []string{src}, dst)
	line("result", "%s", summary(res))
	if res.failed > 0 {
		return 1
	}
	for _, m := range mechanisms(caps, probeErr, cfg.opt.CoW, res.stats) {
		line("mechanisms", "%s", m)
	}

	v, problems := verifyCopy(src, dst, tree)
	if len(problems) > 0 {
		line("verify", "FAILED: %d problems", len(problems))
		for i, p := range problems {
			if i == 20 {
				fmt.Fprintf(stderr, "extcp: verify: ... and %d more\n", len(problems)-i)
				break
			}
			fmt.Fprintf(stderr, "extcp: verify: %s\n", p)
		}
		return 1
	}
	line("verify", "ok: %s", strings.Join(v, "; "))
	return 0
}

// mechanisms says, in words, how the data got to the copy.
func mechanisms(caps extfs.Capabilities, probeErr error, cow extfs.CoWMode, st extfs.CopyStats) []string {
	var out []string
	var parts []string
	for _, m := range []extfs.Method{extfs.MethodClone, extfs.MethodCopyFileRange, extfs.MethodSplice, extfs.MethodReadWrite, extfs.MethodHardlink} {
		if n := st.ByMethod[m]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", plural(n, "file"), methodWords[m]))
		}
	}
	if len(parts) > 0 {
		out = append(out, strings.Join(parts, ", "))
	}
	switch {
	case probeErr != nil:
	case caps.Clone == extfs.Yes && st.ByMethod[extfs.MethodClone] > 0:
		out = append(out, fmt.Sprintf("%s clones: the copies share the source's blocks (copy on write), made in an instant, taking no space until written", caps.Filesystem))
	case caps.Clone == extfs.Yes && cow == extfs.CoWNever:
		out = append(out, fmt.Sprintf("%s could clone, but --reflink=never asked for copies with blocks of their own", caps.Filesystem))
	case caps.Clone == extfs.No:
		out = append(out, fmt.Sprintf("no clones: %s cannot share blocks between files (no reflink), so every byte of data was copied; on XFS (reflink=1) or btrfs this copy would be clones", caps.Filesystem))
	}
	if st.HoleBytes > 0 {
		out = append(out, fmt.Sprintf("%s of holes were kept as holes, not written", cli.FormatSize(st.HoleBytes)))
	}
	return out
}

var methodWords = map[extfs.Method]string{
	extfs.MethodClone:         "cloned (FICLONE / clonefile / block cloning)",
	extfs.MethodCopyFileRange: "copied in the kernel (copy_file_range)",
	extfs.MethodSplice:        "spliced through a pipe (splice)",
	extfs.MethodReadWrite:     "read and written",
	extfs.MethodHardlink:      "hard-linked to a file already copied",
}

func titled(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// demoEpoch is the modification time of the demo's entries, plus a few
// seconds and nanoseconds each: a copy that keeps times only to the second,
// or not at all, shows.
var demoEpoch = time.Date(2021, 3, 14, 15, 9, 26, 535897932, time.UTC)

// buildDemo makes the demo tree at root: a few hundred files of varied
// sizes and modes, a sparse file, extended attributes (if xattrs says the
// filesystem has them), symbolic links and a group of hard links, where the
// system allows them.
func buildDemo(root string, xattrs bool) (*demoTree, error) {
	t := &demoTree{}
	dirs := []string{".", "docs", "docs/notes", "src", "src/pkg/a", "src/pkg/b", "data", "data/blobs", "empty", "private"}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
		t.dirs++
	}
	if err := os.Chmod(filepath.Join(root, "private"), 0o700); err != nil {
		return nil, err
	}

	rng := rand.NewChaCha8([32]byte{'e', 'x', 't', 'c', 'p'})
	pick := rand.New(rng)
	var buf []byte
	mtime := func(i int) time.Time { return demoEpoch.Add(time.Duration(i)*time.Second + time.Duration(i)*1001) }
	for i := range 300 {
		var n int
		switch {
		case i%60 == 0:
			n = 1<<20 + pick.IntN(2<<20) // a few of 1-3 MiB
		case i%10 == 0:
			n = 64<<10 + pick.IntN(192<<10) // some of 64-256 KiB
		case i%23 == 0:
			n = 0
		default:
			n = pick.IntN(8 << 10)
		}
		buf = slices.Grow(buf[:0], n)[:n]
		rng.Read(buf)
		mode := fs.FileMode(0o644)
		switch {
		case i%7 == 0:
			mode = 0o755
		case i%11 == 0:
			mode = 0o600
		}
		name := filepath.Join(root, dirs[i%len(dirs)], fmt.Sprintf("file%03d.dat", i))
		if err := os.WriteFile(name, buf, mode); err != nil {
			return nil, err
		}
		if err := os.Chmod(name, mode); err != nil { // less the umask no more
			return nil, err
		}
		if err := os.Chtimes(name, mtime(i), mtime(i)); err != nil {
			return nil, err
		}
		t.files++
		t.bytes += int64(n)
	}

	if err := t.makeSparse(filepath.Join(root, "data", "sparse.img")); err != nil {
		return nil, err
	}

	if xattrs {
		for i, name := range []string{"docs/file001.dat", "src/file003.dat", "data/sparse.img", "docs"} {
			if err := extfs.SetXattr(filepath.Join(root, name), fmt.Sprintf("user.demo.n%d", i), []byte(fmt.Sprint("value ", i, " of ", name)), 0); err != nil {
				return nil, err
			}
			t.xattrs++
		}
		if err := extfs.SetXattr(filepath.Join(root, "src/file003.dat"), "user.demo.empty", nil, 0); err != nil {
			return nil, err
		}
		t.xattrs++
	} else {
		t.xattrNote = "no extended attributes: the filesystem refuses user.* attributes"
	}

	links := [][2]string{
		{"docs/file010.dat", "link-to-file"},   // relative, to a file
		{"../src", "docs/up"},                  // relative, to a directory
		{"does/not/exist", "dangling"},         // dangling
		{filepath.Join(root, "src"), "abs"},    // absolute: copied as is, so it leads back into src
		{"../../data/sparse.img", "src/pkg/s"}, // across the tree
	}
	for _, l := range links {
		if err := extfs.Symlink(l[0], filepath.Join(root, l[1])); err != nil {
			if t.symlinks == 0 && (errors.Is(err, extfs.ErrNotSupported) || errors.Is(err, fs.ErrPermission)) {
				t.symlinkNote = fmt.Sprintf("no symbolic links: %v", err)
				break
			}
			return nil, err
		}
		t.symlinks++
	}

	blob := filepath.Join(root, "data/blobs/blob")
	if err := os.WriteFile(blob, []byte(strings.Repeat("hard-linked content\n", 1000)), 0o644); err != nil {
		return nil, err
	}
	t.files++
	t.bytes += 20000
	t.linkGroup = 1
	for _, name := range []string{"src/pkg/a/blob-link", "docs/blob-link"} {
		if err := extfs.Link(blob, filepath.Join(root, name)); err != nil {
			if errors.Is(err, extfs.ErrNotSupported) || errors.Is(err, fs.ErrPermission) {
				t.linkNote = fmt.Sprintf("no hard links: %v", err)
				t.linkGroup = 0
				break
			}
			return nil, err
		}
		t.linkGroup++
		t.files++
	}

	// Directory times last: making entries changed them.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(filepath.Join(root, dirs[i]), mtime(1000+i), mtime(1000+i)); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// makeSparse makes a 16 MiB file with data in three small ranges and holes
// between them, where the filesystem keeps holes.
func (t *demoTree) makeSparse(name string) error {
	f, err := extfs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	data := bytes.Repeat([]byte("sparse data "), 64<<10/12+1)[:64<<10]
	for _, off := range []int64{0, 8 << 20, demoSparseSize - 4096} {
		n := int64(len(data))
		if off+n > demoSparseSize {
			n = demoSparseSize - off
		}
		if _, err := f.WriteAt(data[:n], off); err != nil {
			return err
		}
	}
	// Holes already where nothing was written, on Linux and macOS; Windows
	// makes a file sparse only when asked (PunchHole does).
	for _, gap := range [][2]int64{{64 << 10, 8<<20 - 64<<10}, {8<<20 + 64<<10, demoSparseSize - 4096 - (8<<20 + 64<<10)}} {
		if err := f.PunchHole(gap[0], gap[1]); err != nil && !errors.Is(err, extfs.ErrNotSupported) {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	st, err := f.Statx()
	if err != nil {
		return err
	}
	if err := os.Chtimes(name, demoEpoch, demoEpoch); err != nil {
		return err
	}
	t.files++
	t.bytes += st.Size
	if st.Blocks*512 < st.Size {
		t.sparse, t.sparseSize, t.sparseBlocks = name, st.Size, st.Blocks
	}
	return nil
}

// verifyCopy compares the tree at dst with the one at src, entry by entry:
// the same names and types, sha256 of every file, link targets, hard-link
// groups, permission bits, modification times, owners, extended attributes,
// and the sparse file's allocation. It returns what it checked, and the
// differences.
func verifyCopy(src, dst string, tree *demoTree) (checked, problems []string) {
	var (
		files, links, xattrs, dirs int
		groups                     = map[fileID]map[fileID]bool{} // source inode → destination inodes
		nlink                      = map[fileID]uint64{}
		seen                       = map[string]bool{}
	)
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	err := filepath.WalkDir(src, func(sp string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, sp)
		seen[rel] = true
		dp := filepath.Join(dst, rel)
		ss, err := extfs.Lstatx(sp)
		if err != nil {
			return err
		}
		ds, err := extfs.Lstatx(dp)
		if err != nil {
			bad("%s: missing in the copy: %v", rel, err)
			return nil
		}
		if ss.Mode.Type() != ds.Mode.Type() {
			bad("%s: %v in the source, %v in the copy", rel, ss.Mode.Type(), ds.Mode.Type())
			return nil
		}
		if ss.Mode&fs.ModeSymlink == 0 && ss.Mode != ds.Mode {
			bad("%s: mode %v, copy %v", rel, ss.Mode, ds.Mode)
		}
		if !ss.Mtime.Equal(ds.Mtime) && (ss.Mode&fs.ModeSymlink == 0 || runtime.GOOS != "windows") {
			bad("%s: modified %v, copy %v", rel, ss.Mtime, ds.Mtime)
		}
		if ss.Uid != ds.Uid || ss.Gid != ds.Gid {
			bad("%s: owner %d:%d, copy %d:%d", rel, ss.Uid, ss.Gid, ds.Uid, ds.Gid)
		}
		switch {
		case ss.Mode.IsDir():
			dirs++
		case ss.Mode&fs.ModeSymlink != 0:
			st, serr := extfs.Readlink(sp)
			dt, derr := extfs.Readlink(dp)
			if serr != nil || derr != nil || st != dt {
				bad("%s: link to %q, copy to %q (%v, %v)", rel, st, dt, serr, derr)
			}
			links++
		case ss.Mode.IsRegular():
			sh, serr := sha256File(sp)
			dh, derr := sha256File(dp)
			if serr != nil || derr != nil || sh != dh || ss.Size != ds.Size {
				bad("%s: contents differ (%d bytes, copy %d; %v, %v)", rel, ss.Size, ds.Size, serr, derr)
			}
			files++
			if ss.Nlink > 1 {
				sid := fileID{ss.Dev, ss.Ino}
				if groups[sid] == nil {
					groups[sid] = map[fileID]bool{}
				}
				groups[sid][fileID{ds.Dev, ds.Ino}] = true
				nlink[sid] = ss.Nlink
				if ds.Nlink != ss.Nlink {
					bad("%s: %d links, copy %d", rel, ss.Nlink, ds.Nlink)
				}
			}
			if sp == tree.sparse {
				// A clone shares the source's blocks, a copy that kept
				// the holes has as few as the source; a little more is
				// preallocation (XFS), a lot more is holes filled.
				if ds.Blocks*512 >= ds.Size || ds.Blocks > ss.Blocks+2048 {
					bad("%s: %d blocks allocated in the source, %d in the copy: holes filled", rel, ss.Blocks, ds.Blocks)
				}
			}
		}
		n, err := compareXattrs(sp, dp)
		if err != nil {
			bad("%s: %v", rel, err)
		}
		xattrs += n
		return nil
	})
	if err != nil {
		bad("walking the source: %v", err)
	}
	// Nothing more in the copy: no temporary files left behind.
	filepath.WalkDir(dst, func(dp string, _ fs.DirEntry, err error) error {
		if err == nil {
			if rel, _ := filepath.Rel(dst, dp); !seen[rel] {
				bad("%s: in the copy, not in the source", rel)
			}
		}
		return nil
	})

	for sid, dids := range groups {
		if len(dids) != 1 {
			bad("hard links of inode %d: %d files in the copy, not 1", sid.ino, len(dids))
		}
	}
	checked = append(checked, fmt.Sprintf("%d files identical (sha256)", files))
	if len(groups) > 0 {
		n := uint64(0)
		for _, l := range nlink {
			n += l
		}
		checked = append(checked, fmt.Sprintf("%s kept (%d names)", plural(int64(len(groups)), "hard-link group"), n))
	}
	checked = append(checked, fmt.Sprintf("%d symlink targets", links))
	checked = append(checked, fmt.Sprintf("%d xattrs", xattrs))
	checked = append(checked, fmt.Sprintf("modes, owners and mtimes (to the ns) of %d entries", files+links+dirs))
	if tree.sparse != "" {
		if ds, err := extfs.Lstatx(filepath.Join(dst, must(filepath.Rel(src, tree.sparse)))); err == nil {
			checked = append(checked, fmt.Sprintf("sparse file: %s allocated of %s, source %s",
				cli.FormatSize(ds.Blocks*512), cli.FormatSize(ds.Size), cli.FormatSize(tree.sparseBlocks*512)))
		}
	} else {
		checked = append(checked, "no sparse file: the filesystem keeps no holes")
	}
	if tree.xattrs > 0 && xattrs < tree.xattrs {
		bad("%d xattrs set in the source, %d compared", tree.xattrs, xattrs)
	}
	return checked, problems
}

func must[T any](v T, _ error) T { return v }

// compareXattrs checks that dp has every extended attribute of sp, with the
// same value, and returns how many it compared.
func compareXattrs(sp, dp string) (int, error) {
	names, err := extfs.LListXattr(sp)
	if errors.Is(err, extfs.ErrNotSupported) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, name := range names {
		sv, err := extfs.LGetXattr(sp, name)
		if err != nil {
			return 0, err
		}
		dv, err := extfs.LGetXattr(dp, name)
		if err != nil {
			return 0, fmt.Errorf("xattr %s: %w", name, err)
		}
		if !bytes.Equal(sv, dv) {
			return 0, fmt.Errorf("xattr %s: %q, copy %q", name, sv, dv)
		}
	}
	return len(names), nil
}

func sha256File(name string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
