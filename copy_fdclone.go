//go:build !darwin && !windows

package extfs

// Where a clone is made into an open file (Linux's FICLONE) or not at all,
// CopyFile's temporary file is created empty and filled by copyOpenFile,
// and Probe's trial clone is sysClone. macOS, whose clonefile(2) makes a
// new file by name, has its own (copy_darwin.go), and so has Windows, whose
// CopyFileExW does (copy_windows.go).

import "context"

// sysCloneTemp: nothing here; CopyFile creates the temporary file.
func sysCloneTemp(context.Context, *File, *Stat, string, *CopyOptions) (*File, string, CopyStats, bool, error) {
	return nil, "", CopyStats{}, false, nil
}

// sysProbeClone clones Probe's trial file a, holding data, to the empty
// trial file b.
func sysProbeClone(afd, bfd uintptr, _ string) error { return sysClone(bfd, afd) }
