package cli

import (
	"slices"
	"testing"
)

func TestParseHelp(t *testing.T) {
	for _, tt := range []struct {
		args []string
		help bool
	}{
		{[]string{"-h"}, true},
		{[]string{"--help"}, true},
		{[]string{"help"}, true},
		{[]string{"-v", "--help", "x"}, true},
		{[]string{"help", "x"}, false}, // an operand named help
		{[]string{"--", "-h"}, false},
		{[]string{"x"}, false},
	} {
		fl := NewFlagSet("t")
		fl.BoolP("verbose", "v", false, "")
		err := Parse(fl, tt.args)
		if IsHelp(err) != tt.help || (err != nil && !IsHelp(err)) {
			t.Errorf("%q: %v, want help %v", tt.args, err, tt.help)
		}
	}
}

func TestParseLongForms(t *testing.T) {
	fl := NewFlagSet("t")
	addr := fl.String("addr", "", "")
	sync := fl.Bool("sync", true, "")
	a := fl.BoolP("all", "a", false, "")
	d := fl.BoolP("dry", "d", false, "")
	var max int64
	SizeVar(fl, &max, "max-upload", "", "")
	if err := Parse(fl, []string{"-addr", "x:1", "-sync=false", "-max-upload=2K", "-ad", "--", "-addr"}); err != nil {
		t.Fatal(err)
	}
	if *addr != "x:1" || *sync || max != 2048 || !*a || !*d || !slices.Equal(fl.Args(), []string{"-addr"}) {
		t.Errorf("addr %q sync %v max %d a %v d %v args %q", *addr, *sync, max, *a, *d, fl.Args())
	}
}

func TestSizes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"512", 512}, {"1K", 1 << 10}, {"1k", 1 << 10}, {"64M", 64 << 20}, {"1G", 1 << 30},
		{"2T", 2 << 40}, {"1KiB", 1024}, {"1 MiB", 1 << 20}, {"1Gi", 1 << 30}, {"1kB", 1000}, {"1MB", 1e6},
		{"1.5K", 1536},
	} {
		if got, err := ParseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "K", "-1", "1X", "16E", "1 zebibyte"} {
		if n, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, n)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 5: "5 B", 1536: "1.5 KiB", 18 << 20: "18 MiB", 1 << 30: "1.0 GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
	}
}
