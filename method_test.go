package extfs_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"testing"

	"github.com/extfs/extfs"
)

// TestMethodJSON: CopyStats.ByMethod marshals with the methods' names as
// keys, and those names unmarshal back to the methods.
func TestMethodJSON(t *testing.T) {
	in := extfs.CopyStats{Files: 7, ByMethod: map[extfs.Method]int64{
		extfs.MethodClone: 3, extfs.MethodCopyFileRange: 1, extfs.MethodSplice: 1,
		extfs.MethodReadWrite: 1, extfs.MethodHardlink: 1,
	}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"Files":7,"Dirs":0,"Symlinks":0,"Bytes":0,"ClonedBytes":0,"CopiedBytes":0,"HoleBytes":0,` +
		`"ByMethod":{"clone":3,"copy_file_range":1,"hardlink":1,"read/write":1,"splice":1}}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s\nwant %s", b, want)
	}
	var out extfs.CopyStats
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Files != in.Files || !maps.Equal(out.ByMethod, in.ByMethod) {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}

	for m := range extfs.MethodHardlink + 1 {
		text, err := m.MarshalText()
		if err != nil || string(text) != m.String() {
			t.Errorf("%v.MarshalText() = %q, %v; want %q", m, text, err, m.String())
		}
	}
	if _, err := extfs.Method(42).MarshalText(); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Method(42).MarshalText(): %v, want fs.ErrInvalid", err)
	}
	if _, err := json.Marshal(map[extfs.Method]int{extfs.Method(42): 1}); err == nil {
		t.Error("marshal Method(42): no error")
	}
	var m extfs.Method
	if err := m.UnmarshalText([]byte("Method(42)")); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf(`UnmarshalText("Method(42)"): %v, want fs.ErrInvalid`, err)
	}
	if err := json.Unmarshal([]byte(`{"ByMethod":{"teleport":1}}`), &out); err == nil {
		t.Error(`unmarshal {"teleport":1}: no error`)
	}
}
