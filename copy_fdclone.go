//go:build !linux && !darwin && !windows

package extfs

// Where clones are not made at all, CopyFile's temporary file is created
// empty and filled by copyOpenFile, and Probe's trial clone is sysClone.
// Linux, which clones into an open file (FICLONE) and may make the temporary
// file unnamed, has its own (copy_linux.go); so has macOS, whose
// clonefile(2) makes a new file by name (copy_darwin.go), and Windows, whose
// CopyFileExW does (copy_windows.go).

import "context"

// sysCloneTemp: nothing here; CopyFile creates the temporary file.
func sysCloneTemp(context.Context, *File, *Stat, string, *CopyOptions) (*File, string, CopyStats, bool, error) {
	return nil, "", CopyStats{}, false, nil
}

// sysProbeClone clones Probe's trial file a, holding data, to the empty
// trial file b.
func sysProbeClone(afd, bfd uintptr, _ string) error { return sysClone(bfd, afd) }
