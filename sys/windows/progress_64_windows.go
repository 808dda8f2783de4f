//go:build windows && !386

package windows

import "golang.org/x/sys/windows"

// progressRoutine is CopyFileExW's LPPROGRESS_ROUTINE where a LARGE_INTEGER
// passed by value fits one register (amd64, arm64).
func progressRoutine(totalSize, totalDone, streamSize, streamDone, stream, reason, src, dst, data uintptr) uintptr {
	return progress(data, &CopyProgress{
		TotalSize:  int64(totalSize),
		TotalDone:  int64(totalDone),
		StreamSize: int64(streamSize),
		StreamDone: int64(streamDone),
		Stream:     uint32(stream),
		Reason:     uint32(reason),
		Src:        windows.Handle(src),
		Dst:        windows.Handle(dst),
	})
}
