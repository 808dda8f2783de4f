package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/extfs/extfs"
)

// BenchmarkServe measures the handlers alone, without a network (wrk and
// bench.sh measure the servers): one GET of a 1 KiB file, by the extfs
// handler (file uploaded with PUT, so its ETag comes from an xattr) and by
// net/http.FileServer over the same directory.
func BenchmarkServe(b *testing.B) {
	root := b.TempDir()
	d, err := extfs.OpenDir(root)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	o := defaultOptions()
	o.Fsync = false
	s := New(d, o)
	put := httptest.NewRequest("PUT", "/f", io.NopCloser(io.LimitReader(zeros{}, 1024)))
	put.ContentLength = 1024
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, put)
	if rec.Code != http.StatusCreated {
		b.Fatalf("PUT: %d", rec.Code)
	}
	if err := os.WriteFile(filepath.Join(root, "g"), make([]byte, 1024), 0o644); err != nil {
		b.Fatal(err)
	}

	for _, bc := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"extfs", s, "/f"},
		{"extfs-computed-etag", s, "/g"}, // no xattr: the hash cached in memory
		{"nethttp", http.FileServer(http.Dir(root)), "/f"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", bc.path, nil)
			for b.Loop() {
				w := discardWriter{h: make(http.Header)}
				bc.h.ServeHTTP(&w, req)
				if w.code != http.StatusOK {
					b.Fatalf("GET %s: %d", bc.path, w.code)
				}
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// discardWriter is a ResponseWriter that keeps the status and drops the
// body, so the benchmark measures the handler, not a recorder's buffer.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
