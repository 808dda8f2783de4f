package darwin

// Tests of the decisions a copy makes when it makes no clone (clone.go).

import (
	"strings"
	"syscall"
	"testing"
)

func TestNoCloneVerdict(t *testing.T) {
	const eio = syscall.Errno(5)
	for _, tt := range []struct {
		always bool
		err    error
		want   NoClone
	}{
		// extfs chose not to clone
		{false, nil, NoCloneCopy},
		{true, nil, NoCloneUnsupported},
		// the volume cannot
		{false, ENOTSUP, NoCloneCopy},
		{true, ENOTSUP, NoCloneUnsupported},
		{false, EXDEV, NoCloneCopy},
		{true, EXDEV, NoCloneUnsupported},
		{true, EOPNOTSUPP, NoCloneUnsupported},
		{true, EINVAL, NoCloneUnsupported},
		// EPERM, EACCES: copy under false, but a real error under CoWAlways
		{false, EPERM, NoCloneCopy},
		{true, EPERM, NoCloneFail},
		{false, EACCES, NoCloneCopy},
		{true, EACCES, NoCloneFail},
		// failures
		{false, eio, NoCloneFail},
		{true, eio, NoCloneFail},
		{false, ENOSPC, NoCloneFail},
		{false, EEXIST, NoCloneFail},
	} {
		if got := NoCloneVerdict(tt.always, tt.err); got != tt.want {
			t.Errorf("NoCloneVerdict(%v, %v) = %d; want %d", tt.always, tt.err, got, tt.want)
		}
	}
}

func TestCloneRefusal(t *testing.T) {
	for _, tt := range []struct {
		flags, mode, want uint32
		refused           string // a word of the reason, "" for none
	}{
		{0, S_IFREG | 0o644, 0o644, ""},
		{UF_IMMUTABLE, S_IFREG | 0o644, 0o644, ""}, // the owner's flag: cleared on the clone
		{UF_COMPRESSED, S_IFREG | 0o644, 0o644, ""},
		{SF_IMMUTABLE, S_IFREG | 0o644, 0o644, "immutable"},
		{SF_APPEND, S_IFREG | 0o644, 0o644, "immutable"},
		{SF_NOUNLINK, S_IFREG | 0o644, 0o644, "undeletable"},
		{0, S_IFREG | 0o664, 0o644, "0664"},
		{0, S_IFREG | 0o644, 0o600, "PreserveMode"},
		{0, S_IFREG | 0o4755, 0o755, ""},
	} {
		got := CloneRefusal(tt.flags, tt.mode, tt.want)
		if (got == "") != (tt.refused == "") || !strings.Contains(got, tt.refused) {
			t.Errorf("CloneRefusal(%#x, %#o, %#o) = %q; want one with %q", tt.flags, tt.mode, tt.want, got, tt.refused)
		}
	}
}

func TestCloneWhat(t *testing.T) {
	for _, tt := range []struct {
		err          error
		sname, dname string
		want         string
	}{
		{EXDEV, "apfs", "apfs", "different volumes"},
		{EXDEV, "apfs", "msdos", "(apfs) and the destination (msdos)"},
		{ENOTSUP, "apfs", "hfs", "on apfs and the destination on hfs"},
		{ENOTSUP, "hfs", "hfs", "the hfs filesystem cannot clone"},
		{ENOTSUP, "", "hfs", "clone"},
	} {
		if got := CloneWhat(tt.err, tt.sname, tt.dname); !strings.Contains(got, tt.want) {
			t.Errorf("CloneWhat(%v, %q, %q) = %q; want it to say %q", tt.err, tt.sname, tt.dname, got, tt.want)
		}
	}
}
