package main

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/extfs/extfs"
)

func (s *Server) get(w http.ResponseWriter, r *http.Request, name string, wantDir bool) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer. It changes
	// nothing for regular files.
	f, err := s.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		s.fail(w, err)
		return
	}
	defer f.Close()
	st, err := f.Statx()
	if err != nil {
		s.fail(w, err)
		return
	}
	switch {
	case st.Mode.IsDir():
		if !wantDir && name != "." {
			// As net/http.FileServer: relative links in the listing need
			// the trailing slash.
			u := *r.URL
			u.Path += "/"
			http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
			return
		}
		s.list(w, r, f)
		return
	case wantDir:
		http.NotFound(w, r)
		return
	case !st.Mode.IsRegular():
		http.Error(w, "not a regular file", http.StatusForbidden)
		return
	}

	m := s.meta(f, st)
	h := w.Header()
	h.Set("X-Etag-Source", m.etagSource)
	if m.etag != "" {
		h.Set("Etag", `"`+m.etag+`"`)
	}
	if m.contentType != "" {
		h.Set("Content-Type", m.contentType)
	} // else ServeContent guesses from the name, then sniffs

	aw := &advisingWriter{ResponseWriter: w, s: s, f: f, key: fileKey{st.Dev, st.Ino}, size: st.Size, head: r.Method == http.MethodHead}
	defer func() { // also when the client goes away (http.ErrAbortHandler)
		if aw.dropping && s.streams.end(aw.key) {
			// The last stream of this file is done: give its pages back.
			// While other streams run, the pages are theirs to use.
			s.fadvise(f, aw.off, aw.sent, extfs.AdviceDontNeed)
		}
	}()
	// The body goes out with sendfile from the *os.File; with -readat, in
	// File.ReadAt calls (net/http's 32 KiB copy buffer), to measure extfs's
	// read path (bench.sh COLD=1).
	var content io.ReadSeeker = f.OSFile()
	if s.opt.ReadAt {
		content = io.NewSectionReader(f, 0, st.Size)
	}
	http.ServeContent(aw, r, path.Base(name), st.Mtime, content)
}

// advisingWriter gives advice at the moment http.ServeContent commits to a
// body: in WriteHeader, when the headers say which range it sends.
// Conditional requests answered 304 or 412, and HEAD, read nothing and get
// no advice. It passes ReadFrom through so that the body still goes out with
// sendfile.
type advisingWriter struct {
	http.ResponseWriter
	s    *Server
	f    *extfs.File
	key  fileKey
	size int64
	head bool

	wrote     bool
	off, sent int64 // the range of the file this response sends
	dropping  bool  // counted in s.streams: drop the range after sending it
}

func (w *advisingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.advise(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *advisingWriter) advise(code int) {
	if w.head {
		return
	}
	h := w.Header()
	switch code {
	case http.StatusOK:
		w.off, w.sent = 0, w.size
	case http.StatusPartialContent:
		// A single range has a Content-Range; several (multipart) do not,
		// and are small and scattered: no advice.
		off, n, ok := parseContentRange(h.Get("Content-Range"))
		if !ok {
			return
		}
		w.off, w.sent = off, n
	default:
		return
	}
	if w.s.opt.DropBehind > 0 && w.size >= w.s.opt.DropBehind && w.sent > 0 {
		w.dropping = true
		w.s.streams.begin(w.key)
		// NoReuse: the pages read for this file are not promoted to the
		// active list (Linux 6.3+), so one big stream does not age the rest
		// of the cache.
		w.s.fadvise(w.f, 0, 0, extfs.AdviceNoReuse)
	}
	if w.s.opt.ReadaheadMin <= 0 || w.sent < w.s.opt.ReadaheadMin {
		return
	}
	w.s.fadvise(w.f, 0, 0, extfs.AdviceSequential)
	w.s.fadvise(w.f, w.off, min(w.sent, willNeedChunk), extfs.AdviceWillNeed)
}

// fadvise gives advice, which is a hint: an error (ErrNotSupported on
// Windows and macOS for some advice) changes nothing for the response.
func (s *Server) fadvise(f *extfs.File, off, n int64, a extfs.Advice) {
	if s.adviseHook != nil {
		s.adviseHook(off, n, a)
	}
	_ = f.Fadvise(off, n, a)
}

func (w *advisingWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *advisingWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *advisingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// parseContentRange reads "bytes first-last/size".
func parseContentRange(v string) (off, n int64, ok bool) {
	v, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	v, _, _ = strings.Cut(v, "/")
	a, b, found := strings.Cut(v, "-")
	if !found {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return 0, 0, false
	}
	return first, last - first + 1, true
}

type fileKey struct{ dev, ino uint64 }

// streamCounts counts the responses in flight per file, so that a file is
// dropped from the cache only by the last of its concurrent readers.
type streamCounts struct {
	mu sync.Mutex
	n  map[fileKey]int
}

func (c *streamCounts) begin(k fileKey) {
	c.mu.Lock()
	if c.n == nil {
		c.n = make(map[fileKey]int)
	}
	c.n[k]++
	c.mu.Unlock()
}

// end reports whether k has no stream left.
func (c *streamCounts) end(k fileKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[k]--
	if c.n[k] > 0 {
		return false
	}
	delete(c.n, k)
	return true
}

// list writes an HTML listing of the directory f, without the temporary
// files of uploads.
func (s *Server) list(w http.ResponseWriter, r *http.Request, f *extfs.File) {
	entries, err := f.OSFile().ReadDir(-1)
	if err != nil && !errors.Is(err, io.EOF) {
		s.fail(w, err)
		return
	}
	slices.SortFunc(entries, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	fmt.Fprintf(w, "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n")
	for _, e := range entries {
		n := e.Name()
		if isUploadTemp(n) {
			continue
		}
		if e.IsDir() {
			n += "/"
		}
		u := url.URL{Path: n}
		fmt.Fprintf(w, "<a href=\"%s\">%s</a>\n", html.EscapeString(u.String()), html.EscapeString(n))
	}
	fmt.Fprintf(w, "</pre>\n")
}
