package extfs

import (
	"context"
	"io/fs"
	"strconv"
)

// The options of CopyFile and CopyTree, and what they report.

// CoWMode says whether a copy may share blocks with its source (copy on
// write: a clone, or reflink).
type CoWMode int

const (
	// CoWAuto clones when the filesystem can, and otherwise copies with the
	// fastest mechanism that works.
	CoWAuto CoWMode = iota
	// CoWAlways clones, or fails with an error matching ErrNotSupported that
	// names the filesystem.
	CoWAlways
	// CoWNever makes a physical copy with blocks of its own, even where the
	// filesystem could share them (so that the copy does not depend on the
	// source's blocks, or to measure or preallocate real space).
	CoWNever
)

var cowNames = [...]string{"auto", "always", "never"}

func (m CoWMode) String() string {
	if m >= 0 && int(m) < len(cowNames) {
		return cowNames[m]
	}
	return "CoWMode(" + strconv.Itoa(int(m)) + ")"
}

// Preserve selects the metadata a copy takes from its source.
type Preserve uint

const (
	PreserveMode   Preserve = 1 << iota // permission bits, setuid, setgid, sticky
	PreserveTimes                       // access and modification times, to the nanosecond
	PreserveOwner                       // owner and group; needs root, or the same owner
	PreserveXattrs                      // extended attributes of every namespace the caller can read
	PreserveAll    = PreserveMode | PreserveTimes | PreserveOwner | PreserveXattrs
)

// Method is a way of putting a file's data at its destination.
type Method int

const (
	MethodClone         Method = iota // the destination shares the source's blocks (reflink; FICLONE)
	MethodCopyFileRange               // copy_file_range(2), Windows' CopyFileExW: copied by the system, or on the server
	MethodSplice                      // splice(2) through a pipe, in the kernel
	MethodReadWrite                   // read into memory and written back
	MethodHardlink                    // a hard link to a file already copied (CopyTree)
	MethodSkipped                     // left out: Skip, SymlinkSkip, or ExistingSkip with the destination there
	MethodUnchanged                   // ExistingUpdate: the destination is as new as the source, and kept
	MethodCreated                     // made anew with no data to move: a directory, link or special file, an empty file
	methodCount
)

var methodNames = [...]string{"clone", "copy_file_range", "splice", "read/write", "hardlink", "skipped", "unchanged", "created"}

func (m Method) String() string {
	if m >= 0 && m < methodCount {
		return methodNames[m]
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// MarshalText returns the name String gives, so that a ByMethod map
// marshals to JSON as {"clone": 3}. An unknown Method is an error.
func (m Method) MarshalText() ([]byte, error) {
	if m < 0 || m >= methodCount {
		return nil, errInvalid("unknown Method %d", int(m))
	}
	return []byte(methodNames[m]), nil
}

// UnmarshalText parses a name MarshalText returns.
func (m *Method) UnmarshalText(b []byte) error {
	if m == nil {
		return errInvalid("UnmarshalText into a nil *Method")
	}
	for i, name := range methodNames {
		if string(b) == name {
			*m = Method(i)
			return nil
		}
	}
	return errInvalid("unknown Method %q", b)
}

// CopyOptions adjust CopyFile (and CopyTree). The zero value (or a nil
// *CopyOptions) clones when possible, keeps holes, preserves nothing and
// refuses to overwrite.
type CopyOptions struct {
	CoW      CoWMode
	Sparse   SparseMode
	Preserve Preserve

	// Existing says what happens where the destination exists; the zero
	// value, ExistingError, refuses (fs.ErrExist). It is the one way to ask
	// for replacing: see ExistingReplace.
	Existing ExistingMode

	// Sync makes every file and directory the copy creates durable (fsync)
	// before it gets its name, so that after a crash a name of the copy
	// holds the whole entry or is absent. Without Sync only what replaces an
	// existing entry is synced first (its data, fdatasync).
	Sync bool

	// Progress, if not nil, is called from the goroutine that copies, at
	// least every 64 MiB and once at the end with done == total (the
	// source's size; holes count as done). done never decreases. Cancel the
	// copy's context from Progress to stop it.
	Progress func(done, total int64)

	// The rest are for CopyTree only.

	Hardlinks bool // recreate hard links among the copied files
	Workers   int  // files copied at once; 0 chooses; at most 256

	// Symlinks says what becomes of a symbolic link inside the tree; the
	// zero value, SymlinkCopy, recreates it as it is.
	Symlinks SymlinkMode

	// Skip, if not nil, is asked about every entry below the source's root
	// (rel is its path from there, slash-separated; d its directory entry,
	// whose Info is an lstat): true leaves the entry out, and for a
	// directory its whole subtree, whose entries are then never asked about.
	// An error from Skip is an error of that entry (see OnError). Calls come
	// one at a time, from the walking goroutines.
	Skip func(rel string, d fs.DirEntry) (bool, error)

	// OnError, if not nil, is called for each entry that fails, with its
	// path from the source's root and the error. Returning nil records the
	// error and goes on with the rest of the tree: the entry (for a
	// directory, what it could not hold) is left out, and CopyTree returns
	// the recorded errors, joined, once it has copied everything else.
	// Returning an error stops the copy as the first error does without
	// OnError, and CopyTree returns that error. Calls come one at a time.
	OnError func(rel string, err error) error

	// OnEntry, if not nil, is called as each entry below the source's root
	// is done (a directory once it has its name and metadata), one call at
	// a time, with what was done. With OnError, failed entries are reported
	// too, with Err set.
	OnEntry func(CopyEntry)

	// portable is portableCopies as the call started (copy_fallback.go).
	portable bool
}

// ExistingMode says what a copy does where its destination exists.
type ExistingMode int

const (
	// ExistingError refuses to overwrite: CopyFile, and CopyTree before it
	// copies anything, fail with an error matching fs.ErrExist.
	ExistingError ExistingMode = iota
	// ExistingReplace replaces the destination atomically: the copy is
	// written to a temporary file beside it, its data synced, and renamed
	// over it, so that a reader sees the old file or the new one, never a
	// part. A symbolic link there is replaced, not followed. Without
	// PreserveMode, a regular file replaced keeps its permission bits, as
	// cp leaves them. CopyTree merges into an existing directory tree and
	// replaces entries one by one; a directory is never replaced by a
	// non-directory (EISDIR).
	ExistingReplace
	// ExistingSkip keeps what exists and copies the rest (cp -n): an
	// existing destination is left as it is and reported as MethodSkipped.
	ExistingSkip
	// ExistingUpdate replaces a destination only where the source was
	// modified later (cp -u, by modification time), as ExistingReplace
	// does, and keeps the others, reported as MethodUnchanged.
	ExistingUpdate
)

var existingNames = [...]string{"error", "replace", "skip", "update"}

func (m ExistingMode) String() string {
	if m >= 0 && int(m) < len(existingNames) {
		return existingNames[m]
	}
	return "ExistingMode(" + strconv.Itoa(int(m)) + ")"
}

// SymlinkMode says what CopyTree does with a symbolic link inside the tree.
type SymlinkMode int

const (
	// SymlinkCopy recreates the link with the same target, byte for byte.
	SymlinkCopy SymlinkMode = iota
	// SymlinkFollow copies what the link points to, wherever that is (cp
	// -L): a file's contents, a directory's tree. A link that leads back
	// into a directory it is inside of (a loop) is an error of that entry,
	// matching syscall.ELOOP; a dangling link is an error too.
	SymlinkFollow
	// SymlinkSkip leaves symbolic links out, reported as MethodSkipped.
	SymlinkSkip
)

var symlinkNames = [...]string{"copy", "follow", "skip"}

func (m SymlinkMode) String() string {
	if m >= 0 && int(m) < len(symlinkNames) {
		return symlinkNames[m]
	}
	return "SymlinkMode(" + strconv.Itoa(int(m)) + ")"
}

// CopyEntry is what CopyTree did with one entry, for CopyOptions.OnEntry.
type CopyEntry struct {
	Rel string // the entry's path from the source's root, slash-separated

	// Method says what put the entry in place: for a regular file, the
	// mechanism that moved most of its data, MethodHardlink for a link to
	// a file copied already, MethodCreated for an empty file; MethodCreated
	// for directories, symbolic links and special files; MethodSkipped or
	// MethodUnchanged for what the options left as it was. On Linux,
	// MethodCopyFileRange may have shared blocks rather than copied them
	// (XFS, btrfs), as a clone does.
	Method Method

	Bytes int64 // the regular file's size; 0 for other entries
	Err   error // with OnError: why the entry failed; nil otherwise
}

func (o *CopyOptions) check() error {
	switch {
	case o.CoW < CoWAuto || o.CoW > CoWNever:
		return errInvalid("unknown CoWMode %d", int(o.CoW))
	case o.Sparse < SparseAuto || o.Sparse > SparseNever:
		return errInvalid("unknown SparseMode %d", int(o.Sparse))
	case o.Preserve&^PreserveAll != 0:
		return errInvalid("unknown Preserve bits %#x", uint(o.Preserve&^PreserveAll))
	case o.Existing < ExistingError || o.Existing > ExistingUpdate:
		return errInvalid("unknown ExistingMode %d", int(o.Existing))
	case o.Symlinks < SymlinkCopy || o.Symlinks > SymlinkSkip:
		return errInvalid("unknown SymlinkMode %d", int(o.Symlinks))
	case o.Workers < 0:
		return errInvalid("negative Workers %d", o.Workers)
	}
	return nil
}

// replacing reports whether the copy may write over an existing
// destination (it merges into an existing directory tree).
func (o *CopyOptions) replacing() bool { return o.Existing != ExistingError }

// CopyStats says what a copy did.
type CopyStats struct {
	Files, Dirs, Symlinks int64

	// Bytes is the total size of the regular files copied. It is
	// ClonedBytes + CopiedBytes + HoleBytes.
	Bytes int64
	// ClonedBytes is the size of the files cloned whole: their data shares
	// the source's blocks (a clone carries the source's holes along).
	ClonedBytes int64
	// CopiedBytes were written to the destination, by any mechanism but
	// cloning (copy_file_range counts here, although on XFS and btrfs it
	// may share blocks instead of writing them).
	CopiedBytes int64
	// HoleBytes were not written: holes of the source (SparseAuto,
	// SparseAlways) and all-zero blocks (SparseAlways).
	HoleBytes int64

	// ByMethod counts the files by the method that put their data in
	// place (the one that moved most of it). Empty files, and files that
	// are all hole, are counted under no method.
	ByMethod map[Method]int64
}

// Add adds s to c, counts and ByMethod alike: what a tool running several
// copies (CopyFile per file, say) needs for one total. A nil s adds
// nothing; a nil c is left alone (there is nowhere to add to).
func (c *CopyStats) Add(s *CopyStats) {
	if c == nil || s == nil {
		return
	}
	c.Files += s.Files
	c.Dirs += s.Dirs
	c.Symlinks += s.Symlinks
	c.Bytes += s.Bytes
	c.ClonedBytes += s.ClonedBytes
	c.CopiedBytes += s.CopiedBytes
	c.HoleBytes += s.HoleBytes
	for m, n := range s.ByMethod {
		if c.ByMethod == nil {
			c.ByMethod = make(map[Method]int64)
		}
		c.ByMethod[m] += n
	}
}

func (s *CopyStats) countMethod(m Method) {
	if s.ByMethod == nil {
		s.ByMethod = make(map[Method]int64)
	}
	s.ByMethod[m]++
}

// keptStats is what a copy that left its destination as it was reports.
func keptStats(m Method) CopyStats { return CopyStats{ByMethod: map[Method]int64{m: 1}} }

// copyArgs checks what CopyFile and CopyTree (fn) are given, and returns
// the options to copy with: a copy of opt's, or the defaults.
func copyArgs(ctx context.Context, fn, src, dst string, opt *CopyOptions) (CopyOptions, error) {
	var o CopyOptions
	if opt != nil {
		o = *opt
	}
	o.portable = portableCopies
	if ctx == nil {
		return o, errInvalid("%s: nil context", fn)
	}
	if err := checkPaths("source", src, "destination", dst); err != nil {
		return o, err
	}
	if err := o.check(); err != nil {
		return o, err
	}
	return o, ctx.Err()
}
