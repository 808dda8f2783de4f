package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLine: help on stdout with exit status 0, however asked;
// mistakes on stderr with 2; and a round trip with flags in both forms.
func TestCommandLine(t *testing.T) {
	runArgs := func(args ...string) (int, string, string) {
		var stdout, stderr strings.Builder
		code := run(context.Background(), args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	for _, args := range [][]string{
		{"help"}, {"-h"}, {"--help"}, {"help", "restore"},
		{"ingest", "--help"}, {"restore", "-h"}, {"ingest", "help"},
	} {
		code, stdout, stderr := runArgs(args...)
		if code != 0 || !strings.HasPrefix(stdout, "Usage: casrestore ingest") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	for _, args := range [][]string{
		{}, {"bogus"}, {"help", "bogus"}, {"ingest", "a"}, {"restore", "--mode"}, {"ingest", "--bogus", "a", "b", "c"},
	} {
		code, stdout, stderr := runArgs(args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "casrestore: ") || !strings.HasSuffix(stderr, "Try 'casrestore --help' for more information.\n") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}

	dir := t.TempDir()
	src, store, manifest, dst := filepath.Join(dir, "src"), filepath.Join(dir, "store"), filepath.Join(dir, "m.json"), filepath.Join(dir, "dst")
	if err := os.MkdirAll(filepath.Join(src, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "d", "f"), []byte(strings.Repeat("x", 3000)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runArgs("ingest", "-j", "2", "-immutable", "d/*", src, store, manifest)
	if code != 0 || !strings.HasPrefix(stdout, "ingested 1 files (2.9 KiB), ") || !strings.HasSuffix(stdout, ", 0 deduplicated (0 B re-shared)\n") || stderr != "" {
		t.Fatalf("ingest: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = runArgs("ingest", "--reshare=false", src, store, manifest)
	if code != 0 || !strings.HasSuffix(stdout, ", 1 deduplicated (0 B re-shared)\n") || stderr != "" {
		t.Fatalf("ingest again, --reshare=false: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = runArgs("restore", "-mode", "copy", "--verify", "-sync=false", manifest, store, dst)
	if code != 0 || !strings.HasPrefix(stdout, "restored 1 files (2.9 KiB: ") || !strings.Contains(stdout, "1 objects verified") || stderr != "" {
		t.Fatalf("restore: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "d", "f")); err != nil || len(b) != 3000 {
		t.Errorf("restored: %d bytes, %v", len(b), err)
	}
}
