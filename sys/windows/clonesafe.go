package windows

// The rules of block cloning that need no system call, kept untagged so
// that tests on every system check them: carrying out a ClonePlan
// (RunPlan), the reference limit (CloneLimit), and the ReFS workaround
// (Sources: clones serialised per source file, a source flushed first).

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// MaxClonesPerFile is how many times ReFS lets one cluster be shared
// (Microsoft's "Block cloning on ReFS", restrictions and remarks).
const MaxClonesPerFile = 8175

// errBlockTooManyReferences is ERROR_BLOCK_TOO_MANY_REFERENCES, a
// syscall.Errno on Windows as on the systems that test the rule.
const errBlockTooManyReferences = syscall.Errno(347)

// CloneLimit reports whether err is a clone refused because a cluster of
// the source is already shared MaxClonesPerFile times
// (ERROR_BLOCK_TOO_MANY_REFERENCES). That source cannot be cloned again;
// a copy of it can (a cache re-seeds), and CloneFallback lets a caller
// copy instead.
func CloneLimit(err error) bool { return errors.Is(err, errBlockTooManyReferences) }

// CloneCalls are the calls that carry out a ClonePlan on one destination:
// its end of file set, one chunk cloned (FSCTL_DUPLICATE_EXTENTS_TO_FILE).
type CloneCalls interface {
	SetSize(size int64) error
	Duplicate(c CloneChunk) error
}

// RunPlan carries out plan: the destination grown to the rounded end of
// the range, the chunks cloned in order, the true size set. On a failure
// the destination's size (dstSize before) is put back, or, when chunks
// were cloned, set to the end of what was cloned, if that is further.
func RunPlan(c CloneCalls, plan ClonePlan, dstSize int64) error {
	if plan.GrowTo > 0 {
		if err := c.SetSize(plan.GrowTo); err != nil {
			return err
		}
	}
	for i, ch := range plan.Chunks {
		if err := c.Duplicate(ch); err != nil {
			if plan.GrowTo > 0 {
				keep := dstSize // nothing cloned: not even the gap before the range
				if i > 0 {
					keep = min(plan.Size, max(dstSize, ch.DstOff))
				}
				c.SetSize(keep)
			}
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				err = os.NewSyscallError("FSCTL_DUPLICATE_EXTENTS_TO_FILE", err)
			}
			return err
		}
	}
	if plan.GrowTo > 0 && plan.GrowTo != plan.Size {
		return c.SetSize(plan.Size)
	}
	return nil
}

// The ReFS workaround. Microsoft documents (CopyOnWrite's README, its
// issue 12) that parallel clones of one recently written source can come
// out all zeros, and two cures, each enough alone: flush the source first,
// or clone each source file one call at a time. Sources does both, within
// this process:
//
//   - clones of one source file (FileKey: volume and file ID, which names
//     and hard links do not change) run one at a time; clones of different
//     files run in parallel;
//   - before a clone the source is flushed unless this process flushed it
//     before and it has not changed since: its Stamp (size, last write and
//     change times) is the one recorded at that flush, and the handle
//     cloned from is not open for writing (whose writes NTFS and ReFS may
//     show in the times only when it is closed). So a source is flushed
//     once per process, and again after each write the system records.
//
// A flush that fails (a read-only file cannot be opened for writing) is
// not recorded and does not stop the clone: the serialisation remains.
// Writes of other processes, which may clone in parallel too, are theirs
// to flush.

// FileKey identifies a file: the serial number of its volume and its file
// ID (128 bits on ReFS, FILE_ID_INFO).
type FileKey struct {
	Volume uint64
	ID     [16]byte
}

// Stamp is what the system records of a file that its writes change.
type Stamp struct{ Size, WriteTime, ChangeTime int64 }

// CloneSource is the source of a clone, as Sources sees it.
type CloneSource interface {
	Key() (FileKey, error)
	// State gives the source's Stamp now, and whether the handle cloned
	// from is open for writing.
	State() (st Stamp, writable bool, err error)
	// Flush writes the source's cached data to the disk.
	Flush() error
}

// Sources applies the ReFS workaround (see above). Its zero value
// records no flush: every clone flushes first.
type Sources struct {
	Max int // the most flush records kept; past it one is forgotten (a flush more, later)

	mu      sync.Mutex
	busy    map[FileKey]*sourceLock // the sources being cloned, or waited for
	flushed map[FileKey]Stamp       // the sources flushed, as they were then
}

type sourceLock struct {
	sync.Mutex
	refs int // holders and waiters; guarded by Sources.mu
}

// Clone runs clone, which clones from src, under src's lock, after
// flushing src if it needs it.
func (s *Sources) Clone(src CloneSource, clone func() error) error {
	key, err := src.Key()
	if err != nil {
		return err
	}
	l := s.lock(key)
	defer s.unlock(key, l)
	st, writable, err := src.State()
	if err != nil || writable || !s.isFlushed(key, st) {
		if src.Flush() == nil && err == nil && !writable {
			s.recordFlushed(key, st)
		}
	}
	return clone()
}

func (s *Sources) lock(key FileKey) *sourceLock {
	s.mu.Lock()
	if s.busy == nil {
		s.busy = make(map[FileKey]*sourceLock)
	}
	l := s.busy[key]
	if l == nil {
		l = new(sourceLock)
		s.busy[key] = l
	}
	l.refs++
	s.mu.Unlock()
	l.Lock()
	return l
}

func (s *Sources) unlock(key FileKey, l *sourceLock) {
	l.Unlock()
	s.mu.Lock()
	if l.refs--; l.refs == 0 {
		delete(s.busy, key)
	}
	s.mu.Unlock()
}

func (s *Sources) isFlushed(key FileKey, st Stamp) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.flushed[key]
	return ok && old == st
}

func (s *Sources) recordFlushed(key FileKey, st Stamp) {
	if s.Max <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushed == nil {
		s.flushed = make(map[FileKey]Stamp)
	}
	if _, ok := s.flushed[key]; !ok && len(s.flushed) >= s.Max {
		for k := range s.flushed {
			delete(s.flushed, k) // any one: forgetting costs one flush
			break
		}
	}
	s.flushed[key] = st
}
