//go:build linux

package linux

import (
	"github.com/extfs/extfs/internal/batchop"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// BatchOp is the Op that runs the batched operation d. It returns the Op
// itself: a Batch holds its Ops by value, one slice per share, and the
// inlined constructors leave nothing on the heap but what the Op keeps
// (a Statx_t, a copy of the times).
func BatchOp(d *batchop.Desc) Op {
	const cwd = unix.AT_FDCWD
	fd := int(d.Fd)
	switch d.Kind {
	case batchop.Fadvise:
		return *FadviseOp(fd, d.Off, d.N, Advice(d.Flags))
	case batchop.Fallocate:
		return *FallocateOp(fd, AllocFlags(uint32(d.Flags)), d.Off, d.N)
	case batchop.Sync:
		return *FsyncOp(fd, false)
	case batchop.GetXattr:
		return *GetxattrOp(fsenum.XattrAt{Fd: fd}, d.Name)
	case batchop.SetXattr:
		return *SetxattrOp(fsenum.XattrAt{Fd: fd}, d.Name, d.Value, setxattrFlags(fsenum.XattrFlag(d.Flags)))
	case batchop.RemoveXattr:
		return *RemovexattrOp(fsenum.XattrAt{Fd: fd}, d.Name)
	case batchop.ListXattr:
		return *ListxattrOp(fsenum.XattrAt{Fd: fd})
	case batchop.Fstatx:
		return *FstatOp(fd)
	case batchop.Statx, batchop.Lstatx:
		return *StatatOp(cwd, d.Name, d.Kind == batchop.Statx)
	case batchop.SetTimes:
		return *FutimensOp(fd, Timespecs(d.Times[0], d.Times[1]))
	case batchop.Chmod:
		return *FchmodOp(fd, PermBits(d.Perm))
	case batchop.Chown:
		return *FchownOp(fd, d.Uid, d.Gid)
	case batchop.Link:
		return *LinkatOp(cwd, d.Name, cwd, d.Name2, 0)
	case batchop.Symlink:
		return *SymlinkatOp(d.Name, cwd, d.Name2)
	case batchop.Readlink:
		return *ReadlinkatOp(cwd, d.Name)
	case batchop.Mkdir:
		return *MkdiratOp(cwd, d.Name, PermBits(d.Perm))
	case batchop.Remove:
		return *UnlinkatOp(cwd, d.Name, UnlinkFlags(false))
	case batchop.Rename:
		return *Renameat2Op(cwd, d.Name, cwd, d.Name2, 0)
	case batchop.OpenFile:
		return *OpenatOp(cwd, d.Name, d.Flags|unix.O_CLOEXEC, PermBits(d.Perm))
	case batchop.ReadAt:
		return *ReadFullOp(fd, d.Value, d.Off)
	case batchop.WriteAt:
		return *WriteFullOp(fd, d.Value, d.Off)
	}
	return Op{bad: unix.EINVAL} // not a Kind
}
