//go:build windows

package windows

// A whole-file copy by CopyFileExW into a temporary file next to the
// destination, with the rules of when it is used and when it gives way to a
// copy by the caller.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
)

var (
	// CopyFileCall is CopyFile as CopyTemp calls it; tests wrap it to see
	// it called, or replace it to make it fail.
	CopyFileCall = CopyFile

	// UseCopyFileEx reports whether CopyTemp may use CopyFileExW. Wine 8's
	// CopyFileExW never calls its progress routine, so that a copy there
	// could neither be cancelled nor report progress: under Wine the caller
	// copies by itself. Tests replace it to run CopyTemp under Wine too.
	UseCopyFileEx = func() bool { return WineVersion() == "" }
)

// TempCopy asks CopyTemp for a copy of Src named like Dst.
type TempCopy struct {
	Src      windows.Handle // the source, open: its attributes and volume decide
	SrcName  string         // its name, which CopyFileExW opens again
	Size     int64          // its size: the progress counts no more
	Dst      string         // the copy's final name; the temporary one is next to it
	TempName func(base string) string
	// KeepTimes keeps the source's last write time, which CopyFileExW
	// copies; otherwise the copy is written now, as one made by reading
	// and writing would be.
	KeepTimes bool
	// Step is called with the bytes of each chunk copied (of the main
	// stream); an error from it cancels the copy and is returned.
	Step func(int64) error
}

// CopyTemp makes a copy of c.Src with CopyFileExW under a new temporary name
// next to c.Dst (TempName of Dst's base), and returns it opened for reading
// and writing, and its name. handled is false, and nothing was made, where
// CopyFileExW does not fit (see copyFileExFits) or could not copy this file
// before it copied anything (see copyFileExFallback): the caller copies
// instead.
//
// CopyFileExW creates the file (COPY_FILE_FAIL_IF_EXISTS: never an existing
// one; a name taken is tried again with another), and also copies the
// source's alternate data streams and attributes (read-only, hidden, ...).
// On an error, cancellation by Step included (PROGRESS_CANCEL: the system
// deletes the file), no file is left.
func CopyTemp(c *TempCopy) (h windows.Handle, name string, handled bool, err error) {
	dir, base := filepath.Split(c.Dst)
	if base == "" || base == "." || base == ".." || !UseCopyFileEx() || !copyFileExFits(c.Src, c.Dst) {
		return 0, "", false, nil // a bad name: the caller's createTemp says what is wrong
	}
	var copied int64
	var stop error
	progress := func(p *CopyProgress) bool {
		if p.Stream != 1 {
			return true // an alternate data stream: not part of the size
		}
		if d := min(p.StreamDone, c.Size) - copied; d > 0 {
			copied += d
			if err := c.Step(d); err != nil {
				stop = err
				return false
			}
		}
		return true
	}
	for range 1000 {
		name = filepath.Join(dir, c.TempName(base))
		err = CopyFileCall(c.SrcName, name, CopyFileFailIfExists, progress)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil && stop == nil && copied == 0 && copyFileExFallback(err) {
		os.Remove(name)
		return 0, "", false, nil
	}
	if err != nil {
		if stop != nil {
			err = stop // cancelled
		}
		err = os.NewSyscallError("CopyFileExW", err)
	} else if h, err = openCopied(name); err == nil && !c.KeepTimes {
		if err = SetTimes(h, time.Time{}, time.Now()); err != nil {
			windows.CloseHandle(h)
		}
	}
	if err != nil {
		if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return 0, "", true, err
	}
	return h, name, true, nil
}

// copyFileExFallback reports whether err from CopyFileExW, before it
// copied anything, means that it cannot copy this file where the caller
// can.
func copyFileExFallback(err error) bool {
	var ue *UnsupportedError
	return errors.As(err, &ue) || // no CopyFileExW
		// CopyFileExW opens src again, with its own sharing mode, which a
		// process holding it open may refuse; the caller's handle was
		// opened already.
		errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_NOT_SUPPORTED) ||
		errors.Is(err, windows.ERROR_INVALID_FUNCTION)
}

// copyFileExFits reports whether CopyFileExW fits the source src and the
// destination dst. It does not where src is sparse (holes are the caller's
// to keep), nor where src and dst's directory are on one volume that
// clones blocks (the caller clones there, and says so; Windows 11 24H2's
// CopyFileExW may clone, but promises nothing). When it cannot tell, it
// says no: the caller's copy then finds out, or fails with the error that
// says why.
func copyFileExFits(src windows.Handle, dst string) bool {
	attrs, err := Attributes(src)
	if err != nil || attrs&windows.FILE_ATTRIBUTE_SPARSE_FILE != 0 {
		return false
	}
	sv, err := VolumeOf(src)
	if err != nil {
		return false
	}
	if !CanClone(&sv) {
		return true
	}
	serial, err := PathVolumeSerial(filepath.Dir(dst))
	return err == nil && serial != sv.Serial
}

// openCopied opens the file CopyFileExW made at name for reading and
// writing. A read-only file (from a read-only source) grants no writable
// handle: its attribute is lifted while one is opened, and put back
// through it.
func openCopied(name string) (windows.Handle, error) {
	ah, err := OpenPath(name, windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES, true)
	if err != nil {
		return 0, err
	}
	defer windows.CloseHandle(ah)
	attrs, err := Attributes(ah)
	if err != nil {
		return 0, err
	}
	readonly := attrs&windows.FILE_ATTRIBUTE_READONLY != 0
	if readonly {
		if err := SetReadOnly(ah, false); err != nil {
			return 0, err
		}
	}
	h, err := OpenPath(name, windows.GENERIC_READ|windows.GENERIC_WRITE, true)
	if err == nil && readonly {
		err = SetReadOnly(h, true)
	}
	if err != nil {
		if h != windows.InvalidHandle && h != 0 {
			windows.CloseHandle(h)
		}
		return 0, err
	}
	return h, nil
}
