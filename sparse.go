package extfs

import (
	"os"
	"strconv"
)

// SparseMode says what a physical copy does with holes (ranges of a file
// that have no blocks and read as zeros). A clone has the source's holes
// whatever the mode, since it shares the source's layout: use CoWNever with
// SparseAlways or SparseNever to change it.
//
// On Windows only a file marked sparse has holes: a copy that may leave
// some (SparseAuto from a sparse source, SparseAlways) is marked so, and
// the data ranges come from FSCTL_QUERY_ALLOCATED_RANGES. Where that is
// missing (Wine 8, FAT) the whole source counts as data.
type SparseMode int

const (
	// SparseAuto keeps the source's holes: only its data ranges are copied
	// (found with SEEK_DATA/SEEK_HOLE), and the copy uses as many blocks as
	// the source.
	SparseAuto SparseMode = iota
	// SparseAlways also turns every all-zero filesystem block of the data
	// into a hole. It reads and writes the data itself to see the zeros.
	SparseAlways
	// SparseNever writes every byte, holes included, so that the copy has
	// all its blocks allocated.
	SparseNever
)

var sparseNames = [...]string{"auto", "always", "never"}

func (m SparseMode) String() string {
	if m >= 0 && int(m) < len(sparseNames) {
		return sparseNames[m]
	}
	return "SparseMode(" + strconv.Itoa(int(m)) + ")"
}

// copyData copies j.n bytes from j.src into j.dst, a new empty file, at the
// same offsets, with the mechanisms how allows, as sparse says. It moves
// neither file's offset.
func copyData(j *copyJob, how copyHow, sparse SparseMode, acct *copyAcct) error {
	src, dst, sfd, dfd, size, ctl := j.src, j.dst, j.sfd, j.dfd, j.n, j.ctl
	q := how.sys()
	if size == 0 {
		return nil
	}
	if sparse == SparseNever {
		w, err := copyFDs(&copyJob{src: src, dst: dst, sfd: sfd, dfd: dfd, n: size, ctl: ctl}, how, acct)
		if err == nil && w < size {
			// The source shrank while we copied. The copy fails after this
			// (checkSourceCopied: ErrSourceChanged, the temp file removed);
			// meanwhile the file keeps the size it was given.
			err = truncate(q, dfd, size)
		}
		return err
	}

	if sparse == SparseAlways {
		_, bs, err := q.fsInfo(dfd)
		if err != nil || bs <= 0 {
			bs = 4096
		}
		how = copyHow{zeroBlock: bs, portable: how.portable}
	}
	// Where only some files can have holes (Windows: sparse files), dst
	// becomes one if the copy may leave any.
	if err := q.sparseDest(dfd, sfd, sparse == SparseAlways); err != nil {
		return err
	}
	// Size the copy first: the holes, including one at the end, are then
	// there already, and no write extends the file, which keeps XFS from
	// preallocating past each data range (blocks the source does not have).
	if err := truncate(q, dfd, size); err != nil {
		return err
	}

	// SEEK_DATA moves the offset: put it back for the caller.
	defer q.saveOffset(sfd)()
	for off := int64(0); off < size; {
		data, hole, ok, err := q.seekData(sfd, off)
		if err != nil {
			if off == 0 {
				// No SEEK_DATA here (a kernel before 3.1, some FUSE
				// filesystems): all of the file is data.
				data, hole, ok = 0, size, true
			} else {
				return err
			}
		}
		if !ok || data >= size {
			data, hole = size, size
		}
		hole = min(hole, size)
		if data > off {
			acct.holes += data - off
			if err := ctl.add(data - off); err != nil {
				return err
			}
		}
		if data == size {
			break
		}
		w, err := copyFDs(&copyJob{src: src, dst: dst, sfd: sfd, dfd: dfd, srcOff: data, dstOff: data, n: hole - data, ctl: ctl}, how, acct)
		if err != nil {
			return err
		}
		if w < hole-data {
			break // the source shrank while we copied
		}
		off = hole
	}
	return nil
}

func truncate(q copyQueries, fd uintptr, size int64) error {
	if err := q.truncate(fd, size); err != nil {
		return os.NewSyscallError("ftruncate", err)
	}
	return nil
}
