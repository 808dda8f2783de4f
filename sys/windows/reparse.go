package windows

import (
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf16"
)

// Reparse tags extfs understands (winnt.h).
const (
	TagMountPoint = 0xA0000003 // IO_REPARSE_TAG_MOUNT_POINT: a junction, or a volume mount point
	TagSymlink    = 0xA000000C // IO_REPARSE_TAG_SYMLINK
	TagAFUnix     = 0x80000023 // IO_REPARSE_TAG_AF_UNIX: a Unix domain socket
	TagDedup      = 0x80000013 // IO_REPARSE_TAG_DEDUP: a deduplicated regular file

	symlinkFlagRelative = 1 // SYMLINK_FLAG_RELATIVE
)

// IsNameSurrogate reports whether a reparse tag stands for another named
// entity (IsReparseTagNameSurrogate): symbolic links and junctions. Other
// reparse points (cloud files, deduplication, WOF compression) are the file
// itself, stored differently.
func IsNameSurrogate(tag uint32) bool { return tag&0x20000000 != 0 }

// A Link is what a symbolic link or a junction says.
type Link struct {
	// Target is the substitute name, the path the system follows: as
	// stored for a relative link, an NT path (`\??\C:\x`) otherwise.
	Target   string
	Relative bool // SYMLINK_FLAG_RELATIVE: Target is relative to the link's directory
	Junction bool // IO_REPARSE_TAG_MOUNT_POINT; never relative
}

// Readlink returns the target the way os.Readlink does: as stored for a
// relative link; an NT path turned back into a Win32 one otherwise
// (`\??\C:\x` is `C:\x`, `\??\UNC\srv\share` is `\\srv\share`, any other
// `\??\` path `\\?\...`).
func (l *Link) Readlink() string {
	if l.Relative {
		return l.Target
	}
	return Win32Path(l.Target)
}

// Win32Path turns an NT path from a reparse point into a Win32 path.
func Win32Path(s string) string {
	rest, ok := strings.CutPrefix(s, `\??\`)
	if !ok {
		return s
	}
	switch {
	case len(rest) >= 3 && rest[1] == ':' && isLetter(rest[0]) && rest[2] == '\\':
		return rest
	case len(rest) >= 4 && strings.EqualFold(rest[:4], `UNC\`):
		return `\\` + rest[4:]
	}
	return `\\?\` + rest
}

var errReparseData = errors.New("malformed reparse point data")

// ParseReparse decodes a REPARSE_DATA_BUFFER as FSCTL_GET_REPARSE_POINT
// returns it. It returns the tag and, for a symbolic link or a junction, the
// Link; for any other tag the Link is nil. Every offset is checked: the data
// comes from the disk.
func ParseReparse(b []byte) (tag uint32, link *Link, err error) {
	if len(b) < 8 {
		return 0, nil, errReparseData
	}
	tag = binary.LittleEndian.Uint32(b)
	dataLen := int(binary.LittleEndian.Uint16(b[4:]))
	if 8+dataLen > len(b) {
		return tag, nil, errReparseData
	}
	data := b[8 : 8+dataLen]
	var pathStart int
	switch tag {
	case TagSymlink:
		pathStart = 12 // four name offsets and lengths, then Flags
	case TagMountPoint:
		pathStart = 8 // four name offsets and lengths
	default:
		return tag, nil, nil
	}
	if len(data) < pathStart {
		return tag, nil, errReparseData
	}
	subOff := int(binary.LittleEndian.Uint16(data[0:]))
	subLen := int(binary.LittleEndian.Uint16(data[2:]))
	paths := data[pathStart:]
	if subOff%2 != 0 || subLen%2 != 0 || subOff+subLen > len(paths) {
		return tag, nil, errReparseData
	}
	l := &Link{Target: decodeUTF16(paths[subOff : subOff+subLen]), Junction: tag == TagMountPoint}
	if tag == TagSymlink {
		l.Relative = binary.LittleEndian.Uint32(data[8:])&symlinkFlagRelative != 0
	}
	return tag, l, nil
}

func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func encodeUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// SymlinkReparse encodes the REPARSE_DATA_BUFFER of a symbolic link to
// target (with backslashes), as CreateSymbolicLinkW would: a target without
// a volume (`x`, `..\x`, `\x`) is stored as given and marked relative; one
// with a volume (`C:\x`, `\\srv\share\x`) gets the NT form as its
// substitute name and keeps the given form as its print name.
func SymlinkReparse(target string) ([]byte, error) {
	sub, relative := target, true
	switch {
	case strings.HasPrefix(target, `\\?\`) || strings.HasPrefix(target, `\??\`):
		sub, relative = `\??\`+target[4:], false
	case strings.HasPrefix(target, `\\`):
		sub, relative = `\??\UNC\`+target[2:], false
	case len(target) >= 2 && target[1] == ':' && isLetter(target[0]):
		sub, relative = `\??\`+target, false
	}
	subB, printB := encodeUTF16(sub), encodeUTF16(target)
	dataLen := 12 + len(subB) + len(printB)
	if dataLen > 0xFFFF || 8+dataLen > 16*1024 { // MAXIMUM_REPARSE_DATA_BUFFER_SIZE
		return nil, errors.New("symbolic link target too long")
	}
	b := make([]byte, 8+dataLen)
	le := binary.LittleEndian
	le.PutUint32(b[0:], TagSymlink)
	le.PutUint16(b[4:], uint16(dataLen))
	le.PutUint16(b[8:], 0)                    // SubstituteNameOffset
	le.PutUint16(b[10:], uint16(len(subB)))   // SubstituteNameLength
	le.PutUint16(b[12:], uint16(len(subB)))   // PrintNameOffset
	le.PutUint16(b[14:], uint16(len(printB))) // PrintNameLength
	if relative {
		le.PutUint32(b[16:], symlinkFlagRelative)
	}
	copy(b[20:], subB)
	copy(b[20+len(subB):], printB)
	return b, nil
}
