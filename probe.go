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

	"github.com/extfs/extfs/internal/fscaps"
)

// Answer is what a probe knows of one capability: Yes, No, or Unknown when
// it could not be learned without trying.
type Answer uint8

const (
	Unknown Answer = iota // not learned: the filesystem does not say, and no rule for its kind does
	Yes
	No
)

var answerNames = [...]string{"unknown", "yes", "no"}

func (a Answer) String() string {
	if int(a) < len(answerNames) {
		return answerNames[a]
	}
	return "Answer(" + strconv.Itoa(int(a)) + ")"
}

// MarshalText returns the name String gives ("unknown", "yes", "no").
func (a Answer) MarshalText() ([]byte, error) {
	if int(a) >= len(answerNames) {
		return nil, errInvalid("unknown Answer %d", int(a))
	}
	return []byte(answerNames[a]), nil
}

// UnmarshalText parses a name MarshalText returns.
func (a *Answer) UnmarshalText(b []byte) error {
	if a == nil {
		return errInvalid("UnmarshalText into a nil *Answer")
	}
	for i, name := range answerNames {
		if string(b) == name {
			*a = Answer(i)
			return nil
		}
	}
	return errInvalid("unknown Answer %q", b)
}

// Capabilities are what a filesystem can do, as Probe read it or
// ProbeTrial tried it.
type Capabilities struct {
	Filesystem string // "xfs", "btrfs", "ext4", "tmpfs", "apfs", "NTFS", ...; "0x<magic>" if unknown

	Clone         Answer // files can share blocks: Clone, CloneRange, CoWAlways
	CopyFileRange Answer // the kernel copies inside this filesystem (copy_file_range)
	Xattr         Answer // user.* extended attributes on regular files

	// Fallocate's modes.
	Allocate      Answer // mode 0: preallocate, growing the file
	KeepSize      Answer // AllocKeepSize: preallocate past the end
	PunchHole     Answer // AllocPunchHole
	ZeroRange     Answer // AllocZeroRange
	CollapseRange Answer // AllocCollapseRange
	InsertRange   Answer // AllocInsertRange
	UnshareRange  Answer // AllocUnshareRange

	// CloneBlockSize is the unit of CloneRange's offsets and lengths when
	// Clone is Yes, else 0.
	CloneBlockSize int64
}

// ErrUnknown is returned (wrapped) by ProbePair when the method hangs on
// something only a trial would tell.
var ErrUnknown = errors.New("cannot be known without trying")

// fsKey identifies a mounted filesystem for Probe's cache.
type fsKey struct{ dev, mnt uint64 }

// probeEntry is what the cache holds for one filesystem: what was read, and
// ProbeTrial's answers once it has tried. Entries are not changed once
// stored.
type probeEntry struct {
	vol   fscaps.Volume
	trial *Capabilities
}

var probeCache sync.Map // fsKey -> *probeEntry

// Probe reports what the filesystem holding path (a directory, or a file,
// whose directory is used) can do, from what can be read: the filesystem's
// type, its feature flags, and what the system's driver for that type is
// known to do. It creates nothing and needs no write permission; what it
// cannot learn so is Unknown, never No. ProbeTrial finds out the rest by
// trying.
//
// Answers are cached per filesystem (device and mount) until ForgetProbes.
//
// # Linux notes
//
// Filesystem is named from statfs's f_type. Clone on XFS is the reflink
// flag of its geometry (XFS_IOC_FSGEOMETRY; Unknown where the caller may
// not open the directory); btrfs always clones. For xfs, btrfs, ext4 and
// tmpfs every answer is known from the kernel's drivers (ext4: for files
// with extents, mkfs.ext4's default); other filesystems answer Unknown.
//
// # macOS notes
//
// Filesystem is statfs's f_fstypename ("apfs", "hfs", "msdos", "smbfs",
// ...). Clone, Allocate and KeepSize come from the volume's capabilities
// (getattrlist VOL_CAP_INT_CLONE, VOL_CAP_INT_ALLOCATE), Xattr is Yes where
// the volume has native xattrs; PunchHole is Yes on APFS. Clone means
// whole-file clones (Clone, CopyFile): CloneRange is never supported on
// macOS, although CloneBlockSize gives the block size.
//
// # Windows notes
//
// Filesystem is the volume's own name ("NTFS", "ReFS", "FAT32", "exFAT").
// Clone is the volume flag FILE_SUPPORTS_BLOCK_REFCOUNTING (ReFS, Dev
// Drives; GetVolumeInformationByHandleW), and CloneBlockSize the cluster
// size; PunchHole is FILE_SUPPORTS_SPARSE_FILES.
func Probe(path string) (Capabilities, error) {
	_, _, e, err := probeLookup(path)
	if err != nil {
		return Capabilities{}, err
	}
	return capsOf(&e.vol), nil
}

// ProbeTrial reports what the filesystem holding path can do by trying
// each operation of Capabilities on two small temporary files in that
// directory (hidden, removed before it returns), so the caller needs write
// permission there. Its answers are Yes or No; Filesystem is Probe's.
//
// Answers are cached with Probe's. A trial that proves nothing (no
// permission to create the files, a read-only or full filesystem) returns
// an error, is not cached, and is tried again by the next call: Probe
// answers without writing.
func ProbeTrial(path string) (Capabilities, error) {
	dir, key, e, err := probeLookup(path)
	if err != nil {
		return Capabilities{}, err
	}
	if e.trial != nil {
		return *e.trial, nil
	}
	c, err := probeFS(dir, capsOf(&e.vol).Filesystem)
	if err != nil {
		return Capabilities{}, err
	}
	probeCache.Store(key, &probeEntry{vol: e.vol, trial: &c})
	return c, nil
}

// ProbePair reports which method CopyFile, with the default CoW (CoWAuto),
// would use to copy the regular file src to dst (a file that need not exist
// yet; a directory means a new file in it) now: MethodClone,
// MethodCopyFileRange, MethodSplice or MethodReadWrite. It creates nothing:
// it answers from Probe's answers for the two filesystems (read and cached
// per filesystem, as Probe does) and the system's rules for a pair of them
// (the same filesystem, or two). ProbePair(src, dst) == MethodClone is the
// question of Windows' CopyOnWriteLinkSupportedBetweenPaths.
//
// Where the answer hangs on something Probe could not learn (a filesystem
// whose clone support is Unknown), ProbePair returns the method CopyFile
// falls back to if that fails, with an error matching ErrUnknown.
//
// The answer is for a file with data (an empty one is only created); on
// Windows, for one that is not sparse (a sparse file is copied by reading
// and writing). Clones can still be refused for one file (btrfs: nodatacow
// on one side), and copies fall back for one call: CopyStats says what was
// done.
func ProbePair(src, dst string) (Method, error) {
	if src == "" || dst == "" {
		return 0, &fs.PathError{Op: "probe", Path: src, Err: errInvalid("empty path")}
	}
	if err := checkPaths("source", src, "destination", dst); err != nil {
		return 0, &fs.PathError{Op: "probe", Path: src, Err: err}
	}
	switch fi, err := os.Stat(src); {
	case err != nil:
		return 0, err
	case fi.IsDir():
		return 0, &fs.PathError{Op: "probe", Path: src, Err: syscall.EISDIR}
	case !fi.Mode().IsRegular():
		return 0, &fs.PathError{Op: "probe", Path: src, Err: errInvalid("not a regular file: %v", fi.Mode().Type())}
	}
	_, _, se, err := probeLookup(src)
	if err != nil {
		return 0, err
	}
	_, _, de, err := probeLookup(dst)
	if err != nil {
		return 0, err
	}
	m, known := sysProbe.pairMethod(&se.vol, &de.vol)
	method := pairMethods[m]
	if !known {
		hint := "CopyFile tries first what " + de.vol.Filesystem + " may do, else uses " + method.String()
		return method, &fs.PathError{Op: "probe", Path: dst, Err: &hintError{err: ErrUnknown, hint: hint}}
	}
	return method, nil
}

var pairMethods = [...]Method{
	fscaps.Clone: MethodClone, fscaps.CopyRange: MethodCopyFileRange,
	fscaps.Splice: MethodSplice, fscaps.ReadWrite: MethodReadWrite,
}

// ForgetProbes drops every answer Probe, ProbeTrial and ProbePair cached,
// so that the next call asks again: after a filesystem was remounted with
// other options, or to see what ProbeTrial finds now.
func ForgetProbes() { probeCache.Clear() }

// probeLookup returns the directory path means, its filesystem's key, and
// the cache entry, read now if there was none.
func probeLookup(path string) (dir string, key fsKey, e *probeEntry, err error) {
	if path == "" {
		return "", key, nil, &fs.PathError{Op: "probe", Path: path, Err: errInvalid("empty path")}
	}
	if err := checkPath("path", path); err != nil {
		return "", key, nil, &fs.PathError{Op: "probe", Path: path, Err: err}
	}
	if dir, err = probeDir(path); err != nil {
		return "", key, nil, err
	}
	if key, err = sysCopy.fsKey(dir); err != nil {
		return "", key, nil, pathErr("statx", dir, err)
	}
	if v, ok := probeCache.Load(key); ok {
		return dir, key, v.(*probeEntry), nil
	}
	vol, err := sysProbe.volume(dir)
	if err != nil {
		return "", key, nil, &fs.PathError{Op: "probe", Path: dir, Err: err}
	}
	v, _ := probeCache.LoadOrStore(key, &probeEntry{vol: vol})
	return dir, key, v.(*probeEntry), nil
}

// capsOf turns what was read into Capabilities; what this system never
// does (Supports) is No whatever the filesystem.
func capsOf(v *fscaps.Volume) Capabilities {
	gate := func(f Feature, a fscaps.Answer) Answer {
		if !sysFile.supports(f) {
			return No
		}
		return Answer(a)
	}
	c := Capabilities{
		Filesystem:    v.Filesystem,
		Clone:         Answer(v.Clone),
		CopyFileRange: Answer(v.CopyRange),
		Xattr:         gate(FeatureXattr, v.Xattr),
		Allocate:      gate(FeatureFallocate, v.Allocate),
		KeepSize:      gate(FeatureFallocate, v.KeepSize),
		PunchHole:     gate(FeatureFallocatePunchHole, v.PunchHole),
		ZeroRange:     gate(FeatureFallocateZeroRange, v.ZeroRange),
		CollapseRange: gate(FeatureFallocateCollapseRange, v.CollapseRange),
		InsertRange:   gate(FeatureFallocateInsertRange, v.InsertRange),
		UnshareRange:  gate(FeatureFallocateUnshareRange, v.UnshareRange),
	}
	if c.Clone == Yes {
		c.CloneBlockSize = v.BlockSize
	}
	return c
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

// probeFS tries every operation of Capabilities in dir, on the filesystem
// named name.
func probeFS(dir, name string) (Capabilities, error) {
	c := Capabilities{Filesystem: name}
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
		_, bs, err = sysCopy.fsInfo(fd)
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
			c.Clone, c.CloneBlockSize = Yes, bs
		case sysCopy.cloneFallback(err):
			c.Clone = No
		default:
			return inconclusive("ficlone", b.name, err)
		}
		var acct copyAcct
		j := &copyJob{src: a.f, dst: b.f, sfd: afd, dfd: bfd, dstOff: 4 * bs, n: bs}
		if _, _, err := sysCopy.offload(j, copyHow{fileRange: true}, &acct); err != nil {
			return inconclusive("copy_file_range", b.name, err)
		}
		c.CopyFileRange = answerOf(acct.by[MethodCopyFileRange] > 0)
		return nil
	})
	if err != nil {
		return c, err
	}

	if c.Xattr, err = probeResult(a.f.SetXattr("user.extfs.probe", []byte("1"), 0)); err != nil {
		return c, inconclusive("fsetxattr", a.name, err)
	}
	// In this order the file is 4 blocks long for the modes that need data
	// (the unshare works on the clone's shared blocks, where there are
	// any), and then grows.
	trials := []struct {
		ans  *Answer
		mode AllocMode
		off  int64
	}{
		{&c.UnshareRange, AllocUnshareRange, 0},
		{&c.PunchHole, AllocPunchHole | AllocKeepSize, bs},
		{&c.ZeroRange, AllocZeroRange, 2 * bs},
		{&c.CollapseRange, AllocCollapseRange, 0},
		{&c.InsertRange, AllocInsertRange, 0},
		{&c.Allocate, 0, 4 * bs},
		{&c.KeepSize, AllocKeepSize, 6 * bs},
	}
	for _, t := range trials {
		if *t.ans, err = probeResult(a.f.Fallocate(t.mode, t.off, bs)); err != nil {
			return c, inconclusive("fallocate", a.name, err)
		}
	}
	return c, nil
}

func answerOf(b bool) Answer { return Answer(fscaps.Of(b)) }

// probeResult turns a trial's error into a conclusive Yes or No, or returns
// it when it proves nothing.
func probeResult(err error) (Answer, error) {
	switch {
	case err == nil:
		return Yes, nil
	case errors.Is(err, ErrNotSupported):
		return No, nil
	case errors.Is(err, syscall.EINVAL):
		// The mode exists but this filesystem refuses it for a plain file
		// (e.g. collapse or insert where the block size is not what statfs
		// reports): not usable, as far as a caller can tell.
		return No, nil
	}
	return Unknown, err
}

func inconclusive(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: path, Err: &hintError{err: err, hint: "probing the filesystem"}}
}

// probeFile is a trial file of ProbeTrial.
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
