package windows

import (
	"io/fs"
	"os"
	"testing"

	"golang.org/x/sys/windows"
)

// os.OpenFile flags as NtCreateFile arguments, as package os maps them.
func TestOpenFlags(t *testing.T) {
	for _, tt := range []struct {
		flag                               int
		perm                               fs.FileMode
		access, disposition, options, attr uint32
	}{
		{os.O_RDONLY, 0, windows.FILE_GENERIC_READ, windows.FILE_OPEN, 0, windows.FILE_ATTRIBUTE_NORMAL},
		{os.O_WRONLY | os.O_CREATE, 0o644, windows.FILE_GENERIC_WRITE, windows.FILE_OPEN_IF, windows.FILE_NON_DIRECTORY_FILE, windows.FILE_ATTRIBUTE_NORMAL},
		{os.O_RDWR | os.O_CREATE | os.O_EXCL, 0o444, windows.FILE_GENERIC_READ | windows.FILE_GENERIC_WRITE, windows.FILE_CREATE,
			windows.FILE_NON_DIRECTORY_FILE | windows.FILE_OPEN_REPARSE_POINT, windows.FILE_ATTRIBUTE_READONLY},
		{os.O_WRONLY | os.O_APPEND, 0, windows.FILE_GENERIC_WRITE &^ windows.FILE_WRITE_DATA, windows.FILE_OPEN, windows.FILE_NON_DIRECTORY_FILE, windows.FILE_ATTRIBUTE_NORMAL},
		{os.O_WRONLY | os.O_APPEND | os.O_TRUNC, 0, windows.FILE_GENERIC_WRITE, windows.FILE_OPEN, windows.FILE_NON_DIRECTORY_FILE, windows.FILE_ATTRIBUTE_NORMAL},
		{os.O_RDWR | os.O_SYNC, 0, windows.FILE_GENERIC_READ | windows.FILE_GENERIC_WRITE, windows.FILE_OPEN,
			windows.FILE_NON_DIRECTORY_FILE | windows.FILE_WRITE_THROUGH, windows.FILE_ATTRIBUTE_NORMAL},
	} {
		a, unknown := OpenFlags(tt.flag, tt.perm&0o200 == 0)
		if unknown != 0 || a != (OpenArgs{tt.access, tt.disposition, tt.options, tt.attr}) {
			t.Errorf("OpenFlags(%#x, %v) = %+v, unknown %#x; want %#x, %d, %#x, %#x",
				tt.flag, tt.perm, a, unknown, tt.access, tt.disposition, tt.options, tt.attr)
		}
	}
}
