package extfs

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// Capabilities are what a filesystem can do, as Probe found out by trying.
type Capabilities struct {
	Filesystem string // "xfs", "btrfs", "ext4", "tmpfs", ...; "0x<magic>" if unknown

	Clone         bool // files can share blocks: Clone, CloneRange, CoWAlways
	CopyFileRange bool // the kernel copies inside this filesystem (copy_file_range)
	Xattr         bool // user.* extended attributes on regular files
	PunchHole     bool // Fallocate AllocPunchHole
	ZeroRange     bool // Fallocate AllocZeroRange
	CollapseRange bool // Fallocate AllocCollapseRange
	InsertRange   bool // Fallocate AllocInsertRange

	// CloneBlockSize is the unit of CloneRange's offsets and lengths when
	// Clone is true, else 0.
	CloneBlockSize int64
}

// fsKey identifies a mounted filesystem for Probe's cache.
type fsKey struct{ dev, mnt uint64 }

var probeCache sync.Map // fsKey -> Capabilities

// Probe reports what the filesystem holding path (a directory, or a file,
// whose directory is used) can do. It finds out by trying each operation on
// two small temporary files it makes in that directory (hidden, removed
// before it returns), so the caller needs write permission there.
//
// Answers are cached per filesystem (device and mount) for the life of the
// process. An inconclusive probe (no permission to create the trial files, a
// read-only or full filesystem) returns an error, is not cached, and is
// tried again by the next call.
//
// # macOS notes
//
// Filesystem is statfs's f_fstypename ("apfs", "hfs", "msdos", "exfat",
// "smbfs", ...), and answers are cached per volume (f_fsid). Clone is found
// by cloning a trial file with fclonefileat(2), and means whole-file clones
// (Clone, CopyFile): CloneRange is never supported on macOS, although
// CloneBlockSize gives the block size. CopyFileRange is always false.
// PunchHole is F_PUNCHHOLE (APFS); ZeroRange, CollapseRange and
// InsertRange are always false.
//
// # Windows notes
//
// Filesystem is the volume's own name ("NTFS", "ReFS", "FAT32", "exFAT"),
// and answers are cached per volume serial number. Clone is true where a
// trial FSCTL_DUPLICATE_EXTENTS_TO_FILE works, which is only on volumes
// with FILE_SUPPORTS_BLOCK_REFCOUNTING (ReFS, Dev Drives); CloneBlockSize
// is then the cluster size. CopyFileRange, Xattr, CollapseRange and
// InsertRange are always false.
func Probe(path string) (Capabilities, error) {
	if path == "" {
		return Capabilities{}, &fs.PathError{Op: "probe", Path: path, Err: errInvalid("empty path")}
	}
	if err := checkPath("path", path); err != nil {
		return Capabilities{}, &fs.PathError{Op: "probe", Path: path, Err: err}
	}
	dir, err := probeDir(path)
	if err != nil {
		return Capabilities{}, err
	}
	key, err := sysCopy.fsKey(dir)
	if err != nil {
		return Capabilities{}, pathErr("statx", dir, err)
	}
	if c, ok := probeCache.Load(key); ok {
		return c.(Capabilities), nil
	}
	c, err := probeFS(dir)
	if err != nil {
		return Capabilities{}, err
	}
	probeCache.Store(key, c)
	return c, nil
}

// CloneSupported reports whether src (an existing regular file) can be
// cloned to dst (a file that may not exist yet): both on one filesystem,
// which can clone. It uses Probe, so the same permissions apply. A source
// that does not exist, or is not a regular file, is an error.
func CloneSupported(src, dst string) (bool, error) {
	if src == "" || dst == "" {
		return false, &fs.PathError{Op: "probe", Path: src, Err: errInvalid("empty path")}
	}
	if err := checkPaths("source", src, "destination", dst); err != nil {
		return false, &fs.PathError{Op: "probe", Path: src, Err: err}
	}
	switch fi, err := os.Stat(src); {
	case err != nil:
		return false, err
	case fi.IsDir():
		return false, &fs.PathError{Op: "clone", Path: src, Err: syscall.EISDIR}
	case !fi.Mode().IsRegular():
		return false, &fs.PathError{Op: "clone", Path: src, Err: errInvalid("not a regular file: %v", fi.Mode().Type())}
	}
	sdir, err := probeDir(src)
	if err != nil {
		return false, err
	}
	ddir, err := probeDir(dst)
	if err != nil {
		return false, err
	}
	sk, err := sysCopy.fsKey(sdir)
	if err != nil {
		return false, pathErr("statx", sdir, err)
	}
	dk, err := sysCopy.fsKey(ddir)
	if err != nil {
		return false, pathErr("statx", ddir, err)
	}
	dc, err := Probe(ddir)
	if err != nil || !dc.Clone {
		return false, err
	}
	if sk.dev == dk.dev {
		return true, nil
	}
	// Different device numbers can still be one filesystem (btrfs gives
	// each subvolume its own): only a trial tells.
	sc, err := Probe(sdir)
	if err != nil || !sc.Clone || sc.Filesystem != dc.Filesystem {
		return false, err
	}
	return trialClone(sdir, ddir)
}

// probeDir returns path if it is a directory, else its parent directory.
func probeDir(path string) (string, error) {
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return path, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return "", err
	} else if !fi.IsDir() {
		return "", &fs.PathError{Op: "probe", Path: dir, Err: syscall.ENOTDIR}
	}
	return dir, nil
}

// probeFS tries every operation of Capabilities in dir.
func probeFS(dir string) (Capabilities, error) {
	var c Capabilities
	a, err := probeTemp(dir)
	if err != nil {
		return c, err
	}
	defer a.remove()
	b, err := probeTemp(dir)
	if err != nil {
		return c, err
	}
	defer b.remove()

	var bs int64
	err = a.f.control("fstatfs", func(fd uintptr) (err error) {
		c.Filesystem, bs, err = sysCopy.fsInfo(fd)
		return err
	})
	if err != nil {
		return c, err
	}
	if bs <= 0 || bs > 1<<20 {
		bs = 4096
	}
	// Four blocks of data: enough to punch, zero, collapse and insert one.
	data := make([]byte, 4*bs)
	for i := range data {
		data[i] = byte(i%251 + 1)
	}
	if _, err := a.f.WriteAt(data, 0); err != nil {
		return c, inconclusive("write", a.name, err)
	}

	err = withFDs(a.f, b.f, func(afd, bfd uintptr) error {
		switch err := sysCopy.probeClone(afd, bfd, b.name); {
		case err == nil:
			c.Clone, c.CloneBlockSize = true, bs
		case sysCopy.cloneFallback(err):
		default:
			return inconclusive("ficlone", b.name, err)
		}
		var acct copyAcct
		j := &copyJob{src: a.f, dst: b.f, sfd: afd, dfd: bfd, dstOff: 4 * bs, n: bs}
		if _, _, err := sysCopy.offload(j, copyHow{fileRange: true}, &acct); err != nil {
			return inconclusive("copy_file_range", b.name, err)
		}
		c.CopyFileRange = acct.by[MethodCopyFileRange] > 0
		return nil
	})
	if err != nil {
		return c, err
	}

	if c.Xattr, err = probeResult(a.f.SetXattr("user.extfs.probe", []byte("1"), 0)); err != nil {
		return c, inconclusive("fsetxattr", a.name, err)
	}
	trials := []struct {
		cap  *bool
		mode AllocMode
		off  int64
	}{
		{&c.PunchHole, AllocPunchHole | AllocKeepSize, bs},
		{&c.ZeroRange, AllocZeroRange, 2 * bs},
		{&c.CollapseRange, AllocCollapseRange, 0},
		{&c.InsertRange, AllocInsertRange, 0},
	}
	for _, t := range trials {
		if *t.cap, err = probeResult(a.f.Fallocate(t.mode, t.off, bs)); err != nil {
			return c, inconclusive("fallocate", a.name, err)
		}
	}
	return c, nil
}

// probeResult turns a trial's error into a conclusive yes or no, or returns
// it when it proves nothing.
func probeResult(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotSupported):
		return false, nil
	case errors.Is(err, syscall.EINVAL):
		// The mode exists but this filesystem refuses it for a plain file
		// (e.g. collapse or insert where the block size is not what statfs
		// reports): not usable, as far as a caller can tell.
		return false, nil
	}
	return false, err
}

func inconclusive(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: path, Err: &hintError{err: err, hint: "probing the filesystem"}}
}

// probeFile is a trial file of Probe.
type probeFile struct {
	f    *File
	name string
}

func probeTemp(dir string) (*probeFile, error) {
	for range 100 {
		name := filepath.Join(dir, ".extfs-probe-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, inconclusive("open", name, err)
		}
		return &probeFile{f: f, name: name}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: dir, Err: fs.ErrExist}
}

func (p *probeFile) remove() {
	p.f.Close()
	os.Remove(p.name)
}

// trialClone clones a trial file from sdir to ddir.
func trialClone(sdir, ddir string) (bool, error) {
	a, err := probeTemp(sdir)
	if err != nil {
		return false, err
	}
	defer a.remove()
	if _, err := a.f.WriteAt([]byte("extfs"), 0); err != nil {
		return false, inconclusive("write", a.name, err)
	}
	b, err := probeTemp(ddir)
	if err != nil {
		return false, err
	}
	defer b.remove()
	var ok bool
	err = withFDs(a.f, b.f, func(afd, bfd uintptr) error {
		switch err := sysCopy.probeClone(afd, bfd, b.name); {
		case err == nil:
			ok = true
		case sysCopy.cloneFallback(err):
		default:
			return inconclusive("ficlone", b.name, err)
		}
		return nil
	})
	return ok, err
}
