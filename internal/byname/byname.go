// Package byname describes a clone made by name, for systems whose clone
// call creates a new file and cannot fill an open one (macOS's clonefile):
// what extfs asks of such a clone (Req) and why none was made (Error). The
// request is built and the answer reported by extfs's portable clonename.go;
// the clone is made by the system package (sys/darwin's CloneAsNew).
package byname

import "time"

// Req asks for a clone that passes for the new file a copy would have made.
type Req struct {
	Src   int    // the source, open for reading
	Dirfd int    // the directory the clone is made in, or AT_FDCWD
	Dir   string // joined before the clone's temporary name (with AT_FDCWD, a path)
	Base  string // the copy's name, which TempName turns into the clone's
	// TempName makes a fresh temporary name for Base; a taken one is
	// tried again with another.
	TempName func(base string) string
	Always   bool // the copy must be a clone (CoWAlways); else "no clone" means "copy"

	// What the copy is to be like. Its permission bits are Want, or with
	// KeepMode the source's Mode (st_mode's 07777 bits); its owner Uid and
	// Gid with KeepOwner, else the caller; its extended attributes the
	// source's with KeepXattrs, else none (but those the system keeps);
	// its access and modification times Atime and Mtime with KeepTimes,
	// else now; its birth time now.
	Want         uint32
	KeepMode     bool
	Mode         uint32
	KeepOwner    bool
	Uid, Gid     uint32
	KeepXattrs   bool
	KeepTimes    bool
	Atime, Mtime time.Time
}

// Error is why no clone was made: a call that failed (Op, Err) on the
// source (Name "") or on the clone Name (relative to Dirfd), or a refusal
// of the request itself (Op "clone", Err nil). Why, when set, says why no
// clone is possible, for a copy that must be a clone: the caller reports
// the error as "not supported". Cleanup is the failure to remove the
// unfinished clone Name again, if it failed.
type Error struct {
	Op, Name string
	Err      error
	Why      string
	Cleanup  error
}

func (e *Error) Error() string {
	msg := e.Op
	if e.Name != "" {
		msg += " " + e.Name
	}
	switch {
	case e.Err != nil:
		msg += ": " + e.Err.Error()
	case e.Why != "":
		msg += ": " + e.Why
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }
