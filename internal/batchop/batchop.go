// Package batchop describes one operation of an extfs Batch in plain
// types. Batch (batch.go) makes a Desc for each operation it queues; each
// system turns it into what runs it: sys/linux into an Op for its engine
// (linux.BatchOp), the others into the operation's single call (the root's
// funcOps).
package batchop

import (
	"io/fs"
	"os"
	"time"
)

// Kind is the operation: the Batch method of the same name, with the
// fields of Desc it uses. The zero Kind is no operation.
type Kind uint8

const (
	Fadvise     Kind = iota + 1 // Fd, Off, N, Flags (an extfs.Advice)
	Fallocate                   // Fd, Off, N, Flags (an extfs.AllocMode)
	Sync                        // Fd (fsync, not fdatasync)
	GetXattr                    // Fd, Name
	SetXattr                    // Fd, Name, Value, Flags (extfs.XattrFlag bits)
	RemoveXattr                 // Fd, Name
	ListXattr                   // Fd
	Fstatx                      // Fd
	Statx                       // Name, following a final symbolic link
	Lstatx                      // Name, not following it
	SetTimes                    // Fd, Times (a zero time: leave it)
	Chmod                       // Fd, Perm
	Chown                       // Fd, Uid, Gid (-1: leave it)
	Link                        // Name (the existing file), Name2 (the new name)
	Symlink                     // Name (the target), Name2 (the link)
	Readlink                    // Name
	Mkdir                       // Name, Perm
	Remove                      // Name; not a directory (EISDIR: Batch.Remove tries again)
	Rename                      // Name (old), Name2 (new)
	OpenFile                    // Name, Flags (os.OpenFile's), Perm; the result is the descriptor
	ReadAt                      // Fd and File, Value (the buffer), Off; short only at the end of the file
	WriteAt                     // Fd and File, Value (the data), Off
)

// Desc is one batched operation. Names are paths, resolved as the
// package-level functions resolve them (relative to the working
// directory). Flags, Perm and the times are in extfs's (and package os's)
// values; each system converts them.
type Desc struct {
	Kind Kind
	Perm fs.FileMode
	// Fd is the open file's descriptor (its HANDLE on Windows), and File
	// the file, for systems that call its methods. Submit fills both in
	// while it holds the descriptor.
	Fd          uintptr
	File        *os.File
	Name, Name2 string
	Off, N      int64
	Value       []byte
	Flags       int
	Uid, Gid    int
	// Times are the access and modification times, behind a pointer: the
	// one operation that sets them should not make every Desc 48 bytes
	// larger.
	Times *[2]time.Time
}
