// Package windows is the Windows mechanism behind package extfs: thin
// wrappers over the NT and Win32 calls extfs uses (NtCreateFile relative to a
// directory handle, NtSetInformationFile, file-system controls, CopyFileExW,
// overlapped I/O on a completion port), and the pure logic around them —
// name checks, the beneath-only walk, reparse-point data, FILETIME
// conversion, the block-cloning planner — which lives in untagged files so
// that it is tested on every system, not only under Windows or Wine.
//
// Errors are what the system said: a syscall.Errno (the Win32 error the
// NTSTATUS maps to), except where a status has a POSIX meaning package os
// also gives it (EISDIR, ENOTDIR), and UnsupportedError for what this system,
// file system or Wine cannot do. The package knows nothing of extfs's types.
package windows
