package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
)

func probe(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	t.Logf("extfs-probe %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return code, stdout.String(), stderr.String()
}

// TestJSON: the JSON parses and says what extfs.Probe and extfs.Supports
// say; two paths on one filesystem are probed once; the trials leave
// nothing behind.
func TestJSON(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := probe(t, "--json", dir, sub)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep report
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}

	if len(rep.Filesystems) != 1 {
		t.Fatalf("%d filesystems, want 1: %+v", len(rep.Filesystems), rep.Filesystems)
	}
	got := rep.Filesystems[0]
	if strings.Join(got.Paths, " ") != dir+" "+sub || got.Error != "" {
		t.Errorf("paths %q, error %q", got.Paths, got.Error)
	}
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Filesystem != caps.Filesystem || got.Clone != triOf(caps.Clone) || got.CloneBlockSize != caps.CloneBlockSize ||
		got.CopyFileRange != triOf(caps.CopyFileRange) {
		t.Errorf("report %+v, Probe %+v", got, caps)
	}
	for _, m := range fallocModes {
		if r := got.Fallocate[m.name]; r.OK != triOf(m.cap(caps)) || r.Source != "probe" {
			t.Errorf("fallocate %s: %+v, Probe says %v", m.name, r, m.cap(caps))
		}
	}
	// Probe's Xattr is user.* on a regular file: what the trial finds, where
	// Probe knows.
	if r := got.Xattr["user"]; caps.Xattr != extfs.Unknown && r.OK != triOf(caps.Xattr) {
		t.Errorf("xattr user: %+v, Probe says %v", r, caps.Xattr)
	}
	for _, ns := range xattrNamespaces {
		if _, ok := got.Xattr[ns]; !ok {
			t.Errorf("no answer for xattr %s", ns)
		}
	}

	if len(rep.Features) != len(extfs.Features()) {
		t.Errorf("%d features, extfs has %d", len(rep.Features), len(extfs.Features()))
	}
	for _, f := range extfs.Features() {
		if v, ok := rep.Features[f.String()]; !ok || v != extfs.Supports(f) {
			t.Errorf("feature %s: %v (%v), Supports says %v", f, v, ok, extfs.Supports(f))
		}
	}
	if rep.Engine != extfs.CurrentEngine().String() || rep.OS != runtime.GOOS {
		t.Errorf("engine %q, os %q", rep.Engine, rep.OS)
	}

	ops := extfs.RingOps()
	if rep.Ring.Available != extfs.Supports(extfs.FeatureRing) || len(rep.Ring.Ops) != len(ops) || rep.Ring.Ops == nil {
		t.Errorf("io_uring %+v, RingOps %+v", rep.Ring, ops)
	} else {
		for i, op := range ops {
			if rep.Ring.Ops[i] != ringOp(op) {
				t.Errorf("io_uring op %d: %+v, RingOps says %+v", i, rep.Ring.Ops[i], op)
			}
		}
	}

	for _, d := range []string{dir, sub} {
		if entries, err := os.ReadDir(d); err != nil || len(entries) > 1 {
			t.Errorf("%s: left behind: %v (%v)", d, entries, err)
		}
	}
}

func TestTable(t *testing.T) {
	dir := t.TempDir()
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := probe(t, dir)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		dir + "\n",
		"  filesystem  " + caps.Filesystem,
		"  clone (reflink)  " + caps.Clone.String(),
		"  xattr trusted.*  ",
		"  fallocate punch_hole  " + caps.PunchHole.String() + "\n",
		"  ring  " + yesNo(extfs.Supports(extfs.FeatureRing)) + "\n",
		"  engine  ",
		"io_uring: extfs.RingOps\n  available  " + yesNo(extfs.Supports(extfs.FeatureRing)) + "\n",
	} {
		if !strings.Contains(squeeze(stdout), squeeze(want)) {
			t.Errorf("no %q in the table", want)
		}
	}
	engine := extfs.CurrentEngine().String()
	for _, op := range extfs.RingOps() {
		want := fmt.Sprintf("  %s  %d  %s  %s\n", op.Name, op.Opcode, yesNo(op.Supported), ringUse(ringOp(op), engine))
		if !strings.Contains(squeeze(stdout), squeeze(want)) {
			t.Errorf("no %q in the table", want)
		}
	}
}

// TestRingUse: what the table says of each engine and operation.
func TestRingUse(t *testing.T) {
	auto, ring, syscall := extfs.EngineAuto.String(), extfs.EngineRing.String(), extfs.EngineSyscall.String()
	for _, tt := range []struct {
		op     ringOp
		engine string
		want   string
	}{
		{ringOp{Supported: true, Batched: true}, auto, "in batches"},
		{ringOp{Supported: true}, auto, "when crowded"},
		{ringOp{Supported: true}, ring, "always"},
		{ringOp{Supported: true, Batched: true}, syscall, "never"},
		{ringOp{}, ring, "never"},
		{ringOp{}, auto, "never"},
	} {
		if got := ringUse(tt.op, tt.engine); got != tt.want {
			t.Errorf("ringUse(%+v, %s) = %q, want %q", tt.op, tt.engine, got, tt.want)
		}
	}
}

// squeeze turns runs of spaces into one, so that the table's alignment
// does not matter.
func squeeze(s string) string {
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return s
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	code, stdout, stderr := probe(t, "--json", dir, missing)
	if code != 1 || !strings.Contains(stderr, "extfs-probe: "+missing+": ") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Filesystems) != 2 || rep.Filesystems[0].Error != "" || rep.Filesystems[1].Error == "" {
		t.Errorf("%+v", rep.Filesystems)
	}

	if code, _, stderr := probe(t, "--bogus"); code != 2 || !strings.Contains(stderr, "Usage: extfs-probe") {
		t.Errorf("bad flag: exit %d, stderr %q", code, stderr)
	}
	for _, help := range []string{"-h", "--help", "help"} {
		if code, stdout, stderr := probe(t, help); code != 0 || !strings.HasPrefix(stdout, "Usage: extfs-probe") || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", help, code, stdout, stderr)
		}
	}
}

// TestUnknown: what extfs.Probe could not decide is unknown, never no, in
// the table and in JSON (null); the trials are still made; the exit status
// says the probe failed.
func TestUnknown(t *testing.T) {
	defer func(f func(string) (extfs.Capabilities, error)) { probeCaps = f }(probeCaps)
	probeCaps = func(dir string) (extfs.Capabilities, error) {
		return extfs.Capabilities{}, &os.PathError{Op: "open", Path: dir, Err: syscall.EROFS}
	}
	dir := t.TempDir()
	code, stdout, stderr := probe(t, "--json", dir)
	if code != 1 || stderr != "extfs-probe: "+dir+": could not probe (open: read-only file system): some answers are unknown\n" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{`"clone": null`, `"copy_file_range": null`, `"probe_error": "open: read-only file system"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %s in the JSON", want)
		}
	}
	var rep report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	got := rep.Filesystems[0]
	if got.Clone != unknown || got.CopyFileRange != unknown || got.Fallocate["punch_hole"].OK != unknown ||
		got.Fallocate["punch_hole"].Error == "" || got.Fallocate["allocate"].OK != unknown || got.Xattr["user"].Source != "trial" {
		t.Errorf("%+v", got)
	}

	_, stdout, _ = probe(t, dir)
	for _, want := range []string{
		"  filesystem  unknown\n",
		"  clone (reflink)  unknown: open: read-only file system\n",
		"  copy_file_range  unknown: open: read-only file system\n",
		"  fallocate punch_hole  unknown: open: read-only file system\n",
	} {
		if !strings.Contains(squeeze(stdout), squeeze(want)) {
			t.Errorf("no %q in the table", want)
		}
	}
}

// TestProbeUnknown: what extfs.Probe reads as Unknown (a filesystem that
// does not say) is printed as unknown, and is no failure.
func TestProbeUnknown(t *testing.T) {
	defer func(f func(string) (extfs.Capabilities, error)) { probeCaps = f }(probeCaps)
	probeCaps = func(string) (extfs.Capabilities, error) {
		return extfs.Capabilities{Filesystem: "nfs", Allocate: extfs.Yes, UnshareRange: extfs.No}, nil
	}
	dir := t.TempDir()
	code, stdout, stderr := probe(t, dir)
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"  filesystem  nfs\n", "  clone (reflink)  unknown\n", "  copy_file_range  unknown\n",
		"  fallocate allocate  yes\n", "  fallocate punch_hole  unknown\n", "  fallocate unshare_range  no\n",
	} {
		if !strings.Contains(squeeze(stdout), squeeze(want)) {
			t.Errorf("no %q in the table", want)
		}
	}
}

// TestTrial: --trial reports extfs.ProbeTrial's answers, all tried, and
// leaves nothing behind.
func TestTrial(t *testing.T) {
	dir := t.TempDir()
	code, stdout, _ := probe(t, "--json", "--trial", dir)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rep report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	caps, err := extfs.ProbeTrial(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Filesystems[0]
	if got.Clone != triOf(caps.Clone) || got.Clone == unknown {
		t.Errorf("clone %v, ProbeTrial says %v", got.Clone, caps.Clone)
	}
	for _, m := range fallocModes {
		if r := got.Fallocate[m.name]; r.OK != triOf(m.cap(caps)) || r.Source != "trial" {
			t.Errorf("fallocate %s: %+v, ProbeTrial says %v", m.name, r, m.cap(caps))
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("left behind: %v (%v)", entries, err)
	}
}

// TestAnswer: a trial that fails for another reason than "not supported"
// proves nothing.
func TestAnswer(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want tri
	}{
		{nil, yes},
		{&os.PathError{Op: "fallocate", Path: "x", Err: extfs.ErrNotSupported}, no},
		{&os.PathError{Op: "setxattr", Path: "x", Err: syscall.EPERM}, unknown},
	} {
		if r := answer(tt.err, "trial"); r.OK != tt.want || (tt.want == unknown) != (r.Error != "") {
			t.Errorf("answer(%v) = %+v, want %v", tt.err, r, tt.want)
		}
	}
}
