//go:build windows && 386

package windows

import "golang.org/x/sys/windows"

// progressRoutine is CopyFileExW's LPPROGRESS_ROUTINE on 386, where each
// LARGE_INTEGER passed by value takes two stack slots, low half first.
func progressRoutine(totalSizeLo, totalSizeHi, totalDoneLo, totalDoneHi, streamSizeLo, streamSizeHi,
	streamDoneLo, streamDoneHi, stream, reason, src, dst, data uintptr) uintptr {
	i64 := func(lo, hi uintptr) int64 { return int64(uint64(hi)<<32 | uint64(uint32(lo))) }
	return progress(data, &CopyProgress{
		TotalSize:  i64(totalSizeLo, totalSizeHi),
		TotalDone:  i64(totalDoneLo, totalDoneHi),
		StreamSize: i64(streamSizeLo, streamSizeHi),
		StreamDone: i64(streamDoneLo, streamDoneHi),
		Stream:     uint32(stream),
		Reason:     uint32(reason),
		Src:        windows.Handle(src),
		Dst:        windows.Handle(dst),
	})
}
