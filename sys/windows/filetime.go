package windows

import (
	"fmt"
	"math"
	"time"
)

// A FILETIME counts 100-nanosecond intervals since 1601-01-01 UTC.
const (
	epochDelta  = 11644473600 // seconds from 1601-01-01 to 1970-01-01
	ticksPerSec = 10_000_000
)

// TimeFromFiletime converts a FILETIME to a time.Time. 0, which file systems
// report for a time they do not keep, is the zero Time.
func TimeFromFiletime(ft int64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	sec, ticks := ft/ticksPerSec, ft%ticksPerSec
	if ticks < 0 {
		sec, ticks = sec-1, ticks+ticksPerSec
	}
	return time.Unix(sec-epochDelta, ticks*100)
}

// FiletimeFromTime converts t to a FILETIME, dropping the nanoseconds below
// 100 ns. ok is false for a time a FILETIME cannot hold for SetFileTime:
// before or at 1601-01-01 00:00:00 (0 means "leave unchanged") or after
// year 30828.
func FiletimeFromTime(t time.Time) (ft int64, ok bool) {
	sec := t.Unix() + epochDelta
	if t.Unix() > math.MaxInt64-epochDelta || sec < 0 || sec > math.MaxInt64/ticksPerSec-1 {
		return 0, false
	}
	ft = sec*ticksPerSec + int64(t.Nanosecond())/100
	return ft, ft > 0
}

// Filetimes converts the access and write times of a SetTimes call; a zero
// Time is 0, "leave unchanged". A time out of range is an InvalidError.
func Filetimes(atime, mtime time.Time) (a, m int64, err error) {
	conv := func(t time.Time) (int64, error) {
		if t.IsZero() {
			return 0, nil
		}
		ft, ok := FiletimeFromTime(t)
		if !ok {
			return 0, &InvalidError{fmt.Sprintf("time %v is outside what Windows can store (after 1601-01-01, before 30828)", t)}
		}
		return ft, nil
	}
	if a, err = conv(atime); err == nil {
		m, err = conv(mtime)
	}
	return a, m, err
}
