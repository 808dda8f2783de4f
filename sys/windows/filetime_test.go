package windows

import (
	"testing"
	"time"
)

func TestFiletime(t *testing.T) {
	const unixEpoch = 116444736000000000 // 1970-01-01 in FILETIME ticks
	if ft, ok := FiletimeFromTime(time.Unix(0, 0)); !ok || ft != unixEpoch {
		t.Errorf("FiletimeFromTime(Unix 0) = %d, %v; want %d, true", ft, ok, int64(unixEpoch))
	}
	if got := TimeFromFiletime(unixEpoch); !got.Equal(time.Unix(0, 0)) {
		t.Errorf("TimeFromFiletime(%d) = %v, want the Unix epoch", int64(unixEpoch), got)
	}
	// Nanoseconds below 100 ns are dropped, never rounded up.
	in := time.Date(2020, 1, 2, 3, 4, 5, 123456789, time.UTC)
	ft, ok := FiletimeFromTime(in)
	if !ok {
		t.Fatalf("FiletimeFromTime(%v) not ok", in)
	}
	if want := in.Truncate(100 * time.Nanosecond); !TimeFromFiletime(ft).Equal(want) {
		t.Errorf("round trip of %v = %v, want %v", in, TimeFromFiletime(ft), want)
	}
	// Before 1970, after 2262 (where UnixNano overflows): still exact.
	for _, tm := range []time.Time{
		time.Date(1601, 1, 1, 0, 0, 0, 100, time.UTC),
		time.Date(1900, 6, 1, 12, 0, 0, 999999900, time.UTC),
		time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(30000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		ft, ok := FiletimeFromTime(tm)
		if !ok || !TimeFromFiletime(ft).Equal(tm) {
			t.Errorf("round trip of %v: ft %d ok %v -> %v", tm, ft, ok, TimeFromFiletime(ft))
		}
	}
	// What SetFileTime cannot take: 0 means "unchanged"; before 1601;
	// beyond the int64 range of ticks.
	for _, tm := range []time.Time{
		time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1601, 1, 1, 0, 0, 0, 99, time.UTC),
		time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(40000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(1<<62, 0),
	} {
		if ft, ok := FiletimeFromTime(tm); ok {
			t.Errorf("FiletimeFromTime(%v) = %d, true; want false", tm, ft)
		}
	}
	if !TimeFromFiletime(0).IsZero() {
		t.Errorf("TimeFromFiletime(0) = %v, want the zero Time", TimeFromFiletime(0))
	}
}
