package darwin

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
)

func TestCheckXattrName(t *testing.T) {
	ok := []string{
		"user.comment",
		"com.apple.FinderInfo",
		"com.apple.metadata:kMDItemWhereFroms",
		"nodot", // no namespaces on macOS
		strings.Repeat("n", XATTR_MAXNAMELEN),
		"ünïcödé",
	}
	for _, name := range ok {
		if msg := CheckXattrName(name); msg != "" {
			t.Errorf("CheckXattrName(%q) = %q; want it allowed", name, msg)
		}
	}
	bad := []string{
		strings.Repeat("n", XATTR_MAXNAMELEN+1),
		"bad\xff",
	}
	for _, name := range bad {
		if msg := CheckXattrName(name); msg == "" {
			t.Errorf("CheckXattrName(%q) = \"\"; want it refused", name)
		}
	}
}

func TestXattrFlags(t *testing.T) {
	for f, want := range map[fsenum.XattrFlag]int{
		0:                   0,
		fsenum.XattrCreate:  XATTR_CREATE,
		fsenum.XattrReplace: XATTR_REPLACE,
	} {
		if got := xattrFlags(f); got != want {
			t.Errorf("xattrFlags(%d) = %#x; want %#x", f, got, want)
		}
	}
}

func TestFsetxattrCheck(t *testing.T) {
	tests := []struct {
		exists bool
		flags  int
		want   error
	}{
		{false, 0, nil},
		{true, 0, nil},
		{false, XATTR_CREATE, nil},
		{true, XATTR_CREATE, EEXIST},
		{false, XATTR_REPLACE, ENOATTR},
		{true, XATTR_REPLACE, nil},
	}
	for _, tt := range tests {
		if got := FsetxattrCheck(tt.exists, tt.flags); got != tt.want {
			t.Errorf("FsetxattrCheck(exists %v, %#x) = %v; want %v", tt.exists, tt.flags, got, tt.want)
		}
	}
}

// attr is a fake attribute for ReadSized: its value changes as the script
// says, one entry per call of size or read.
type attr struct {
	values [][]byte // the value at each call; the last one stays
	calls  int
	err    []error // an error per call, if any
}

func (a *attr) now() ([]byte, error) {
	i := min(a.calls, len(a.values)-1)
	var err error
	if a.calls < len(a.err) {
		err = a.err[a.calls]
	}
	a.calls++
	return a.values[i], err
}

func (a *attr) size() (int, error) {
	v, err := a.now()
	return len(v), err
}

// read truncates to the buffer without an error, as macOS may.
func (a *attr) read(b []byte) (int, error) {
	v, err := a.now()
	if err != nil {
		return 0, err
	}
	return copy(b, v), nil
}

func TestReadSized(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 100)
	tests := []struct {
		name  string
		a     attr
		want  []byte
		err   error
		calls int
	}{
		{"stable", attr{values: [][]byte{[]byte("value")}}, []byte("value"), nil, 2},
		{"empty", attr{values: [][]byte{{}}}, []byte{}, nil, 2},
		{"grows after the size", attr{values: [][]byte{[]byte("ab"), long}}, long, nil, 4},
		{"ERANGE once", attr{values: [][]byte{long}, err: []error{nil, ERANGE}}, long, nil, 4},
		{"size fails", attr{values: [][]byte{long}, err: []error{ENOATTR}}, nil, ENOATTR, 1},
		{"read fails", attr{values: [][]byte{long}, err: []error{nil, ENOATTR}}, nil, ENOATTR, 2},
		{"keeps growing", attr{values: growing(2 * maxSizedTries)}, nil, ERANGE, 2 * maxSizedTries},
	}
	for _, tt := range tests {
		got, err := ReadSized(tt.a.size, tt.a.read)
		if !bytes.Equal(got, tt.want) || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("%s: ReadSized = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
		if err == nil && got == nil {
			t.Errorf("%s: ReadSized = nil, nil; want a non-nil value", tt.name)
		}
		if tt.a.calls != tt.calls {
			t.Errorf("%s: %d calls; want %d", tt.name, tt.a.calls, tt.calls)
		}
	}
}

// growing returns n values, each longer than the one before.
func growing(n int) [][]byte {
	v := make([][]byte, n)
	for i := range v {
		v[i] = bytes.Repeat([]byte("y"), i+1)
	}
	return v
}

func TestSplitNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a\x00", []string{"a"}},
		{"user.a\x00com.apple.b\x00", []string{"user.a", "com.apple.b"}},
		{"a\x00\x00b\x00", []string{"a", "b"}},
		{"a\x00b", []string{"a", "b"}}, // a last name without its NUL
	}
	for _, tt := range tests {
		if got := SplitNames([]byte(tt.in)); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("SplitNames(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
