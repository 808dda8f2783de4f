package extfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// CopyFile copies the regular file src (a symbolic link is followed) to a
// new file dst, as opt says (nil means the defaults: see CopyOptions), and
// returns what it did.
//
// Nothing is lost on failure. The data goes to a temporary file in dst's
// directory (hidden, .<dst name>.extfs-<random>.tmp, or unnamed where the
// system allows), which is moved into place only when complete: over dst
// where opt.Existing replaces it, otherwise by a rename that fails if dst
// appeared meanwhile. A copy that fails or whose ctx is cancelled removes
// its temporary file and leaves an existing dst as it was. The new file has
// src's permission bits (less the umask, unless PreserveMode) and is owned
// by the caller (unless PreserveOwner).
//
// Where dst exists, opt.Existing decides: fs.ErrExist (the default),
// replace it, keep it (reported as MethodSkipped in ByMethod), or replace
// it only if src was modified later (else MethodUnchanged). A directory at
// dst is always refused, before anything is copied, with an *fs.PathError
// matching syscall.EISDIR.
//
// src must be a regular file. Anything else is refused with an error
// matching fs.ErrInvalid (syscall.EISDIR for a directory), also when it is
// put at src while CopyFile opens it (the open never waits, as a FIFO's
// would). A src whose size changes while it is copied fails the copy with
// an error matching ErrSourceChanged.
//
// # Linux notes
//
// Where the filesystem can clone (XFS made with reflink=1, btrfs), CoWAuto
// clones the whole file with FICLONE: the copy is instantaneous and takes no
// space until one side is written. Otherwise, and across filesystems, the
// data ranges of the source are copied with copy_file_range(2), falling
// back to splice(2), then to reading and writing. CoWNever never uses
// copy_file_range, which on XFS and btrfs shares blocks silently.
//
// Where the filesystem offers O_TMPFILE (ext4, XFS, btrfs, tmpfs), the
// temporary file is created without a name, so a process killed while
// copying leaves nothing behind. It is named only when complete, by
// linkat(2) of /proc/self/fd/N: straight to dst when it is not to replace
// it (failing, like the rename, if dst exists), else to a hidden temporary
// name that rename(2) then moves over dst (a kill between those two calls
// still leaves that name). Elsewhere, or without /proc, the temporary file
// has a name from the start.
//
// # macOS notes
//
// On APFS, CoWAuto and CoWAlways make the temporary file a clone of src
// with fclonefileat(2), then make it what a copy would be: flags cleared,
// extended attributes removed unless PreserveXattrs, permission bits and
// times as a copy's. A src the clone could not be made so for (flags only
// the superuser clears; without PreserveMode, bits wider than the umask)
// is copied instead, or with CoWAlways refused (ErrNotSupported, saying
// why). Otherwise (another volume, HFS+, FAT, network volumes) two
// goroutines copy the data ranges with pread and pwrite. The rename that
// must not replace dst is renameatx_np(2) RENAME_EXCL, else link and
// unlink, else, on volumes without hard links, a look and rename(2).
//
// # Windows notes
//
// On one volume with block cloning (ReFS, Dev Drives), CoWAuto and
// CoWAlways clone with FSCTL_DUPLICATE_EXTENTS_TO_FILE. Elsewhere
// CoWAlways fails with ErrNotSupported, and CoWAuto copies a src that is
// not sparse with CopyFileExW (MethodCopyFileRange), which also carries
// alternate data streams and attributes. CoWNever, a sparse src and
// SparseAlways copy the data ranges by reading and writing.
func CopyFile(ctx context.Context, src, dst string, opt *CopyOptions) (CopyStats, error) {
	fail := func(op string, err error) (CopyStats, error) {
		return CopyStats{}, copyErr(op, src, dst, err)
	}
	o, err := copyArgs(ctx, "CopyFile", src, dst, opt)
	if err != nil {
		return fail("copy", err)
	}

	sf, st, err := openSource(src)
	if err != nil {
		return fail("open", err)
	}
	defer sf.Close()
	// Fail now rather than after copying: the final rename checks again.
	var old *Stat // a regular file to replace, whose mode the copy keeps
	if fi, err := os.Lstat(dst); err == nil {
		if fi.Mode().IsRegular() {
			old = &Stat{Mode: fi.Mode()}
		}
		switch {
		case o.Existing == ExistingError:
			return fail("copy", fs.ErrExist)
		case fi.IsDir():
			return CopyStats{}, replaceDirErr(dst)
		case o.Existing == ExistingSkip:
			return keptStats(MethodSkipped), nil
		case o.Existing == ExistingUpdate && !fi.ModTime().Before(st.Mtime):
			return keptStats(MethodUnchanged), nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail("lstat", err)
	}

	// Where the system makes the copy whole by name (macOS: a clone;
	// Windows: CopyFileExW), the temporary file is that copy.
	var t copyTemp
	if !o.portable { // copyFallback.copyByName: nothing by name
		t, err = sysCopy.copyByName(&byNameReq{ctx: ctx, src: sf, st: st, dst: dst, o: &o})
	}
	if err != nil {
		return fail("clone", err)
	}
	tmp, tmpName, stats := t.f, t.name, t.stats
	if tmp == nil && !o.portable { // copyFallback.unnamedTemp: none
		tmp = sysCopy.unnamedTemp(dst, st)
	}
	if tmp == nil {
		if tmp, tmpName, err = createTemp(dst, st.Mode.Perm()); err != nil {
			return fail("open", err)
		}
	}
	if !t.done {
		stats, err = copyOpenFile(ctx, sf, tmp, st, &o, nil)
	} else {
		// Made by name, or cloned whole: the source must still be the size
		// it was copied at.
		err = checkSourceSize(sf, st)
	}
	// ExistingSkip: dst was not there; if it appears meanwhile, it stays.
	replace := o.Existing == ExistingReplace || o.Existing == ExistingUpdate
	if err == nil && replace {
		err = keptMode(tmp, old, &o)
	}
	switch {
	case err == nil && o.Sync:
		err = tmp.Sync()
	case err == nil && replace:
		// What replaces a good file must be on disk before the rename is.
		err = tmp.Datasync()
	}
	if err == nil {
		err = ctx.Err() // a cancellation during the last chunk or progress call
	}
	if err == nil && tmpName == "" {
		// An unnamed temporary file (Linux's O_TMPFILE) is given its name
		// through its descriptor, so while it is open.
		err = commitUnnamed(tmp, dst, replace)
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil && tmpName != "" {
		err = commitTemp(tmpName, dst, replace, o.portable)
	}
	if err != nil {
		err = copyErr("copy", src, dst, err)
		if tmpName == "" {
			return CopyStats{}, err // unnamed: gone with its descriptor
		}
		if rerr := os.Remove(tmpName); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return CopyStats{}, err
	}
	return stats, nil
}

// byNameReq asks sysCopy.copyByName for CopyFile's temporary file: a copy
// of src (whose Statx is st) next to dst, as o says.
type byNameReq struct {
	ctx context.Context
	src *File
	st  *Stat
	dst string
	o   *CopyOptions
}

// copyTemp is CopyFile's temporary file: f, named name ("" while it has no
// name). done: its data and metadata are in place already (stats says how).
type copyTemp struct {
	f     *File
	name  string
	stats CopyStats
	done  bool
}

// openSource opens the regular file name for copying. A look at the name
// first refuses what is plainly something else without opening it (opening
// a device can have effects of its own). What counts is the type of the
// open descriptor, since the name may have been replaced in between; the
// open itself cannot block (srcOpenFlags: O_NONBLOCK, where a FIFO would
// wait for a writer), and a file found regular is made blocking again, to
// be read like any other.
func openSource(name string) (*File, *Stat, error) {
	if fi, err := os.Stat(name); err != nil {
		return nil, nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, nil, notRegular(fi.Mode())
	}
	if testHookOpenSource != nil {
		testHookOpenSource(name)
	}
	f, err := OpenFile(name, srcOpenFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Statx()
	if err == nil && !st.Mode.IsRegular() { // replaced since the Stat
		err = notRegular(st.Mode)
	}
	if err == nil {
		err = f.control("fcntl", sysCopy.sourceBlocking)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// testHookOpenSource, if not nil, runs between openSource's look at the
// name and its open (export_copy_linux_test.go).
var testHookOpenSource func(name string)

// replaceDirErr is CopyFile's refusal to replace the directory dst, made
// before copying: the errno rename(2) gives for a file renamed over a
// directory (package os says EEXIST before asking).
func replaceDirErr(dst string) error {
	return &fs.PathError{Op: "rename", Path: dst, Err: syscall.EISDIR}
}

func notRegular(m fs.FileMode) error {
	if m.IsDir() {
		return syscall.EISDIR
	}
	return errInvalid("not a regular file (%v)", m.Type())
}

// copyOpenFile copies the data and the metadata o.Preserve names of src
// (whose Statx is st) into dst, a new, empty regular file open for reading
// and writing, and returns the statistics of this one file. It checks ctx
// between chunks and calls o.Progress. It is the part of CopyFile that
// CopyTree shares: creating dst, and moving it into place, are the caller's.
// h, if not nil, carries what the caller knows from the files before this
// one, and takes back what this one taught (see copyHints).
func copyOpenFile(ctx context.Context, src, dst *File, st *Stat, o *CopyOptions, h *copyHints) (CopyStats, error) {
	var acct copyAcct
	ctl := newCopyCtl(ctx, o.Progress, st.Size)
	err := withFDs(src, dst, func(sfd, dfd uintptr) error {
		return copyContents(&copyJob{src: src, dst: dst, sfd: sfd, dfd: dfd, n: st.Size, ctl: ctl}, st, o, &acct, h)
	})
	if err == nil {
		err = checkSourceCopied(src, st, &acct)
	}
	if err != nil {
		return CopyStats{}, err
	}
	var dt *Stat
	if h != nil {
		dt = h.dst
		if dt == nil && o.Preserve&(PreserveOwner|PreserveMode) != 0 {
			if dt, err = dst.Statx(); err != nil {
				return CopyStats{}, err
			}
			h.dst = dt
		}
	}
	if err := preserve(src, dst, st, o.Preserve, dt); err != nil {
		return CopyStats{}, err
	}
	ctl.finish()

	stats := CopyStats{
		Files:       1,
		Bytes:       st.Size,
		ClonedBytes: acct.by[MethodClone],
		CopiedBytes: acct.by[MethodCopyFileRange] + acct.by[MethodSplice] + acct.by[MethodReadWrite],
		HoleBytes:   acct.holes + acct.zeros,
	}
	if m, ok := acct.main(); ok {
		stats.countMethod(m)
	}
	return stats, nil
}

// ErrSourceChanged is returned (wrapped, with the sizes) by CopyFile, Clone
// and CopyTree when a source file's size changed while it was copied: it
// shrank, so that the copy would have been cut short or padded with zeros
// to the old size, or it grew past what was copied. That file's copy is
// then not made (an existing destination is left as it was); copying again
// copies the file as it is by then. A source written in place without
// changing its size is copied as its bytes were read.
var ErrSourceChanged = errors.New("source file changed while it was copied")

// checkSourceCopied checks, once the data is in place, that the copy is
// the source as it was read, end to end: every one of its st.Size bytes was
// cloned, copied or left a hole (a source that shrank ends the copy early),
// and the open source is still st.Size long (data ranges listed before it
// shrank read as holes past its new end; one that grew has more than was
// copied).
func checkSourceCopied(src *File, st *Stat, acct *copyAcct) error {
	done := acct.holes + acct.zeros
	for _, n := range acct.by {
		done += n
	}
	if done != st.Size {
		return &hintError{err: ErrSourceChanged, hint: fmt.Sprintf("%d bytes when opened, %d copied", st.Size, done)}
	}
	return checkSourceSize(src, st)
}

// checkSourceSize fails with ErrSourceChanged unless the open source still
// has the size st says.
func checkSourceSize(src *File, st *Stat) error {
	now, err := src.Statx()
	if err != nil {
		return err
	}
	if now.Size != st.Size {
		return &hintError{err: ErrSourceChanged, hint: fmt.Sprintf("%d bytes when opened, %d after the copy", st.Size, now.Size)}
	}
	return nil
}

// copyContents puts the st.Size bytes of src's data into dst as o.CoW and
// o.Sparse say.
func copyContents(j *copyJob, st *Stat, o *CopyOptions, acct *copyAcct, h *copyHints) error {
	size, sfd, dfd := st.Size, j.sfd, j.dfd
	how := copyHow{fileRange: true, splice: true}
	if o.CoW == CoWNever {
		how = physicalCopy
	}
	how.portable = o.portable
	q := how.sys()
	skipClone := h != nil && h.noClone && o.CoW == CoWAuto
	if cloneWanted(o.CoW, size) && !skipClone {
		err := q.clone(dfd, sfd)
		if err == nil {
			acct.by[MethodClone] += size
			return j.ctl.add(size)
		}
		if o.CoW == CoWAlways {
			return cloneError("ficlone", sfd, dfd, err)
		}
		if !errors.Is(err, ErrCloneLimit) && !q.cloneFallback(err) { // cloneFallback, asked of q
			return os.NewSyscallError("ficlone", err)
		}
		if h != nil && q.cloneNeverHere(err) {
			h.noClone = true
		}
	}
	sparse := o.Sparse
	if sparse == SparseAuto && size <= denseSmall && st.Blocks*512 >= size {
		// A small file whose blocks cover its size has no hole to keep
		// (cp decides the same way): copy it whole, without the round of
		// SEEK_DATA/SEEK_HOLE (five system calls, a fifth of the cost of
		// copying a 4 KiB file on ext4). Blocks past the end, or ext4's
		// block of xattrs, can make a small file with a hole look whole:
		// its copy then has those few KiB written as zeros, the same bytes.
		sparse = SparseNever
	}
	return copyData(j, how, sparse, acct)
}

// denseSmall is the largest file copyContents copies whole when its blocks
// cover its size.
const denseSmall = 64 << 10

// physicalCopy is how CoWNever copies: copy_file_range is out, since on XFS
// and btrfs it shares blocks. splice moves the data inside the kernel with
// one memory copy instead of two, and used less CPU than reading and
// writing for the same wall time (bench/README.md, "Copies").
var physicalCopy = copyHow{splice: true}

// copyHints is what CopyTree, copying many files between the same two
// directories, tells copyOpenFile so that it does not ask the kernel again
// for every file, and what copyOpenFile tells back. Both facts belong to
// one destination directory of one CopyTree call (see treeDir.hints).
type copyHints struct {
	// noClone: FICLONE from this source filesystem into this directory was
	// refused for a reason that holds for every file of the pair
	// (sysCopy.cloneNeverHere): CoWAuto goes straight to copying. In: skip the
	// clone; out: set when this file's clone was refused so.
	noClone bool
	// dst: dst as created (owner, group, mode), predicted from the files
	// made before it in the same directory, or nil. In: preserve compares
	// with it instead of calling statx; out: the statx copyOpenFile made.
	dst *Stat
}

// preserve copies the metadata p names from src (whose Statx is st) to dst.
// dt is dst as it is, if the caller knows it (nil: preserve asks statx when
// it needs it).
// The order matters: chown clears setuid bits and security.capability, so
// it comes first; setting a POSIX ACL rewrites the group permission bits,
// so chmod comes after the xattrs; every other change updates ctime only,
// so the times can come last.
func preserve(src, dst *File, st *Stat, p Preserve, dt *Stat) error {
	mode := st.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	// dst as it is, to leave out a chown or chmod that would change
	// nothing: each is a metadata transaction, a good part of the cost of
	// copying a small file (CopyTree).
	if dt == nil && p&(PreserveOwner|PreserveMode) != 0 {
		var err error
		if dt, err = dst.Statx(); err != nil {
			return err
		}
	}
	modeKnown := dt != nil // dt.Mode is still dst's mode
	if p&PreserveOwner != 0 && (dt.Uid != st.Uid || dt.Gid != st.Gid) {
		if err := dst.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
		modeKnown = false
	}
	if p&PreserveXattrs != 0 {
		n, err := copyXattrs(src, dst)
		if err != nil {
			return err
		}
		if n > 0 {
			modeKnown = false
		}
	}
	if p&PreserveMode != 0 && (!modeKnown || dt.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != mode) {
		if err := dst.Chmod(mode); err != nil {
			return err
		}
	}
	if p&PreserveTimes != 0 {
		if err := dst.SetTimes(st.Atime, st.Mtime); err != nil {
			return err
		}
	}
	return nil
}

// copyXattrs copies every extended attribute of src that the caller can
// read, and returns how many it set. A source filesystem without xattrs has
// none to copy; a destination that refuses one is an error naming it.
func copyXattrs(src, dst *File) (int, error) {
	names, err := src.ListXattr()
	if errors.Is(err, ErrNotSupported) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	set := 0
	for _, name := range names {
		v, err := src.GetXattr(name)
		if sysCopy.noXattr(err) {
			continue // removed since the listing
		}
		if err != nil {
			return set, err
		}
		if err := dst.SetXattr(name, v, 0); err != nil {
			return set, xattrCopyErr(name, err)
		}
		set++
	}
	return set, nil
}

// xattrCopyErr says why an attribute could not be copied when the namespace
// explains it better than the errno.
func xattrCopyErr(name string, err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return err
	}
	hint := ""
	switch {
	case strings.HasPrefix(name, "security."):
		hint = "copying " + name + ": security.* attributes need privileges (CAP_SYS_ADMIN, or CAP_SETFCAP for security.capability) and a destination filesystem and security module that accept them"
	case strings.HasPrefix(name, "system."):
		hint = "copying " + name + ": system.* attributes (POSIX ACLs) need ACL support on the destination filesystem"
	case strings.HasPrefix(name, "trusted."):
		hint = "copying " + name + ": trusted.* attributes need CAP_SYS_ADMIN"
	default:
		hint = "copying " + name
	}
	return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: &hintError{err: pe.Err, hint: hint}}
}
