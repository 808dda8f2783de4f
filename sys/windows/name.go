package windows

import "github.com/extfs/extfs/internal/beneath"

// Handle is a Windows HANDLE. It has the representation of
// golang.org/x/sys/windows.Handle, but is declared here so that the walk
// can be tested on any system.
type Handle = uintptr

// IsSep reports whether c separates path components on Windows.
func IsSep(c byte) bool { return c == '\\' || c == '/' }

// IsAbs reports whether name is not relative to a directory handle in the
// Win32 sense: rooted (`\x`, `/x`), with a drive (`C:x`, `C:\x`), UNC
// (`\\server\share`), a device or NT path (`\\?\`, `\\.\`, `\??\`). Such a
// name given to a Dir escapes it.
func IsAbs(name string) bool {
	switch {
	case name == "":
		return false
	case IsSep(name[0]):
		return true // rooted, UNC, \\?\, \\.\, \??\
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return true // C:, C:x, C:\x
	}
	return false
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// MaxLinks bounds the symbolic links and junctions one lookup follows. It is
// the limit of Windows' own lookups (63 reparse points per name: the I/O
// manager gives up with STATUS_REPARSE_POINT_NOT_RESOLVED after that).
const MaxLinks = 63

// Rules are Windows' path rules for the walk of internal/beneath.
var Rules = beneath.Rules{IsSep: IsSep, IsAbs: IsAbs, MaxLinks: MaxLinks}
