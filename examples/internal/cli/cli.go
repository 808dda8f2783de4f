// Package cli is what the example commands share on their command lines:
// one flag package (github.com/spf13/pflag, GNU style: --name, -n, -abc),
// one way to ask for help (-h, --help, or help alone: usage on stdout, exit
// status 0), and byte sizes written and read by one library
// (github.com/dustin/go-humanize).
package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"
)

// NewFlagSet returns an empty flag set for the command name that reports
// errors to its caller (pflag.ContinueOnError) and prints nothing itself:
// each command prints its own usage text.
func NewFlagSet(name string) *pflag.FlagSet {
	fl := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.SortFlags = false
	return fl
}

// Parse parses args with fl. It returns pflag.ErrHelp when they ask for
// help: -h or --help anywhere before "--", or "help" as the only argument.
//
// A long flag written with a single dash (-addr, -max-upload=1G), as
// commands parsing with package flag accepted, is read as its long form when
// fl defines it and it is no run of short flags: old scripts keep working.
func Parse(fl *pflag.FlagSet, args []string) error {
	if len(args) == 1 && args[0] == "help" {
		return pflag.ErrHelp
	}
	args = longForms(fl, args)
	if fl.Lookup("help") == nil {
		fl.BoolP("help", "h", false, "show this help")
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if h, _ := fl.GetBool("help"); h {
		return pflag.ErrHelp
	}
	return nil
}

// IsHelp reports whether err (from Parse) is a request for help.
func IsHelp(err error) bool { return errors.Is(err, pflag.ErrHelp) }

// longForms rewrites "-name" and "-name=value" to "--name..." where name,
// longer than one letter, is a long flag of fl that is not also a run of
// fl's short flags. Arguments after "--" are operands and stay.
func longForms(fl *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && fl.Lookup(name) != nil && !shorthands(fl, name) {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}

// shorthands reports whether every letter of s is a short flag of fl.
func shorthands(fl *pflag.FlagSet, s string) bool {
	for _, r := range s {
		if fl.ShorthandLookup(string(r)) == nil {
			return false
		}
	}
	return true
}

// FormatSize writes n bytes for people, in units of 1024: "0 B", "512 B",
// "1.5 KiB", "18 MiB".
func FormatSize(n int64) string {
	if n < 0 {
		return "-" + humanize.IBytes(uint64(-n))
	}
	return humanize.IBytes(uint64(n))
}

// ParseSize reads a byte count: a number with an optional unit. KiB, MiB,
// GiB, TiB (or Ki, Mi, ...) are powers of 1024 and kB, MB, GB, TB powers of
// 1000, as go-humanize reads them; a bare K, M, G, T, P or E is a power of
// 1024, as GNU tools (dd, truncate, sort -S) read it. Case does not matter.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t != "" && strings.ContainsRune("kKmMgGtTpPeE", rune(t[len(t)-1])) {
		t += "i"
	}
	n, err := humanize.ParseBytes(t)
	if err != nil || n > math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(n), nil
}

// SizeVar defines a flag --name (-short, unless short is "") holding a byte
// count read by ParseSize, stored in p; its default is p's value.
func SizeVar(fl *pflag.FlagSet, p *int64, name, short, usage string) {
	fl.VarP((*sizeValue)(p), name, short, usage)
}

type sizeValue int64

func (v *sizeValue) String() string { return FormatSize(int64(*v)) }
func (v *sizeValue) Type() string   { return "size" }

func (v *sizeValue) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*v = sizeValue(n)
	return nil
}
