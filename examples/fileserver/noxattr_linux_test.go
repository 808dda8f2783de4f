package main

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// TestNoXattrFilesystem serves a root on ramfs, which has no extended
// attributes at all: uploads work, the server says once that it computes
// ETags, and GET computes them.
func TestNoXattrFilesystem(t *testing.T) {
	mnt := testfs.Ramfs(t)
	if err := extfs.SetXattr(mnt, "user.probe", []byte("x"), 0); err == nil {
		t.Fatalf("ramfs took a user xattr: this test needs a filesystem without them")
	}

	e := newEnvAt(t, mnt, testOptions())
	var mu sync.Mutex
	var logs []string
	e.srv.Logf = func(format string, args ...any) {
		mu.Lock()
		logs = append(logs, format)
		mu.Unlock()
	}
	data := []byte("no xattrs on ramfs\n")
	for _, p := range []string{"/a.txt", "/b.txt"} {
		resp, _ := e.do("PUT", p, data, "Content-Type", "text/x-test")
		wantStatus(t, "PUT "+p, resp, http.StatusCreated)
		if resp.Header.Get("Etag") != `"`+sha(data)+`"` || resp.Header.Get("X-Etag-Source") != "computed" {
			t.Errorf("PUT %s: ETag %s, X-Etag-Source %q", p, resp.Header.Get("Etag"), resp.Header.Get("X-Etag-Source"))
		}
		resp, body := e.do("GET", p, nil)
		wantStatus(t, "GET "+p, resp, http.StatusOK)
		if !bytes.Equal(body, data) || resp.Header.Get("Etag") != `"`+sha(data)+`"` || resp.Header.Get("X-Etag-Source") != "computed" {
			t.Errorf("GET %s: %q, ETag %s, X-Etag-Source %q", p, body, resp.Header.Get("Etag"), resp.Header.Get("X-Etag-Source"))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, l := range logs {
		if strings.Contains(l, "no user extended attributes") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("said %d times that xattrs are missing, want once: %q", n, logs)
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 2 {
		t.Errorf("ramfs root holds %v, want a.txt and b.txt", entries)
	}
}
