package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extfs/extfs"
)

// env is a Server on a fresh root, reached over real HTTP on 127.0.0.1,
// next to a directory outside the root that nothing may touch.
type env struct {
	t       *testing.T
	root    string
	outside string
	srv     *Server
	ts      *httptest.Server

	mu     sync.Mutex
	advice []adviceCall
}

type adviceCall struct {
	off, n int64
	a      extfs.Advice
}

func newEnv(t *testing.T, opt Options) *env {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return newEnvAt(t, root, opt)
}

// newEnvAt is newEnv on an existing root directory.
func newEnvAt(t *testing.T, root string, opt Options) *env {
	t.Helper()
	e := &env{t: t, root: root, outside: filepath.Join(t.TempDir(), "outside")}
	if err := os.Mkdir(e.outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.outside, "sentinel"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := extfs.OpenDir(e.root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	e.srv = New(d, opt)
	e.srv.Logf = t.Logf
	e.srv.adviseHook = func(off, n int64, a extfs.Advice) {
		e.mu.Lock()
		e.advice = append(e.advice, adviceCall{off, n, a})
		e.mu.Unlock()
	}
	e.ts = httptest.NewServer(e.srv) // listens on 127.0.0.1
	t.Cleanup(e.ts.Close)
	t.Cleanup(e.checkOutside)
	return e
}

func testOptions() Options {
	o := defaultOptions()
	o.Fsync = false // speed; the sync path is the same code with two more calls
	return o
}

// checkOutside fails the test if anything outside the root changed.
func (e *env) checkOutside() {
	entries, err := os.ReadDir(e.outside)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "sentinel" {
		e.t.Errorf("outside the root: entries %v, want only the sentinel", entries)
	}
	if b, err := os.ReadFile(filepath.Join(e.outside, "sentinel")); err != nil || string(b) != "keep me" {
		e.t.Errorf("sentinel outside the root: %q, %v", b, err)
	}
}

func (e *env) takeAdvice() []adviceCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.advice
	e.advice = nil
	return a
}

// do sends a request with the Go client. hdr is name, value pairs.
func (e *env) do(method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, b
}

// raw writes a request as given, byte for byte, then reads the responses
// (as many as want). With halfClose the client closes its sending side
// after the request, as a client whose body ended early does.
func (e *env) raw(req string, halfClose bool, want int) []*http.Response {
	e.t.Helper()
	c, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		e.t.Fatal(err)
	}
	if halfClose {
		c.(*net.TCPConn).CloseWrite()
	}
	br := bufio.NewReader(c)
	var out []*http.Response
	for range want {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			e.t.Fatalf("reading response %d to %q: %v", len(out)+1, firstLine(req), err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		out = append(out, resp)
	}
	return out
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

func (e *env) rootEntries() []string {
	e.t.Helper()
	var names []string
	err := filepath.WalkDir(e.root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != e.root {
			rel, _ := filepath.Rel(e.root, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return names
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func wantStatus(t *testing.T, what string, resp *http.Response, code int) {
	t.Helper()
	if resp.StatusCode != code {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: status %d %q, want %d", what, resp.StatusCode, b, code)
	}
}

func TestPutGet(t *testing.T) {
	e := newEnv(t, testOptions())
	data := randBytes(300_000, 1)
	const ctype = "application/x-test; charset=binary"

	resp, _ := e.do("PUT", "/docs/a.bin", data)
	wantStatus(t, "PUT into a missing directory", resp, http.StatusConflict)
	if err := os.Mkdir(filepath.Join(e.root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}

	resp, _ = e.do("PUT", "/docs/a.bin", data, "Content-Type", ctype)
	wantStatus(t, "PUT", resp, http.StatusCreated)
	etag := `"` + sha(data) + `"`
	if got := resp.Header.Get("Etag"); got != etag {
		t.Errorf("PUT ETag %s, want %s", got, etag)
	}
	onDisk, err := os.ReadFile(filepath.Join(e.root, "docs/a.bin"))
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("file on disk differs from the upload (%d bytes, %v)", len(onDisk), err)
	}
	if resp.Header.Get("X-Etag-Source") == "xattr" {
		v, err := extfs.GetXattr(filepath.Join(e.root, "docs/a.bin"), xattrSHA256)
		if err != nil || string(v) != sha(data) {
			t.Errorf("xattr %s = %q, %v; want %s", xattrSHA256, v, err, sha(data))
		}
	} else {
		t.Logf("no user xattrs here (X-Etag-Source %q)", resp.Header.Get("X-Etag-Source"))
	}

	resp, body := e.do("GET", "/docs/a.bin", nil)
	wantStatus(t, "GET", resp, http.StatusOK)
	if !bytes.Equal(body, data) {
		t.Fatalf("GET returned %d bytes that differ from the %d uploaded", len(body), len(data))
	}
	if got := resp.Header.Get("Etag"); got != etag {
		t.Errorf("GET ETag %s, want %s", got, etag)
	}
	if resp.Header.Get("X-Etag-Source") == "xattr" {
		if got := resp.Header.Get("Content-Type"); got != ctype {
			t.Errorf("GET Content-Type %q, want %q (from the xattr)", got, ctype)
		}
	}

	// The server caches what the xattrs say; a change to them changes the
	// file's ctime, and so what is served. (The sleep is for kernels with
	// coarse timestamps, before Linux 6.13.)
	if resp.Header.Get("X-Etag-Source") == "xattr" {
		time.Sleep(20 * time.Millisecond)
		if err := extfs.SetXattr(filepath.Join(e.root, "docs/a.bin"), xattrContentType, []byte("text/x-changed"), 0); err != nil {
			t.Fatal(err)
		}
		resp, _ := e.do("HEAD", "/docs/a.bin", nil)
		if got := resp.Header.Get("Content-Type"); got != "text/x-changed" {
			t.Errorf("after setting the xattr: Content-Type %q, want text/x-changed", got)
		}
		extfs.SetXattr(filepath.Join(e.root, "docs/a.bin"), xattrContentType, []byte(ctype), 0)
	}

	// Ranges: a middle slice, a suffix, an open end.
	for _, rc := range []struct {
		hdr      string
		from, to int // data[from:to]
	}{
		{"bytes=1000-1999", 1000, 2000},
		{"bytes=-100", len(data) - 100, len(data)},
		{"bytes=299990-", 299990, len(data)},
	} {
		resp, body := e.do("GET", "/docs/a.bin", nil, "Range", rc.hdr)
		wantStatus(t, "GET "+rc.hdr, resp, http.StatusPartialContent)
		if !bytes.Equal(body, data[rc.from:rc.to]) {
			t.Errorf("Range %s: got %d bytes, not data[%d:%d]", rc.hdr, len(body), rc.from, rc.to)
		}
		want := fmt.Sprintf("bytes %d-%d/%d", rc.from, rc.to-1, len(data))
		if got := resp.Header.Get("Content-Range"); got != want {
			t.Errorf("Range %s: Content-Range %q, want %q", rc.hdr, got, want)
		}
	}
	resp, _ = e.do("GET", "/docs/a.bin", nil, "Range", "bytes=400000-")
	wantStatus(t, "unsatisfiable range", resp, http.StatusRequestedRangeNotSatisfiable)

	// Conditional requests against the ETag.
	resp, body = e.do("GET", "/docs/a.bin", nil, "If-None-Match", etag)
	wantStatus(t, "If-None-Match (same)", resp, http.StatusNotModified)
	if len(body) != 0 {
		t.Errorf("304 with a %d-byte body", len(body))
	}
	resp, _ = e.do("GET", "/docs/a.bin", nil, "If-None-Match", `"0000"`)
	wantStatus(t, "If-None-Match (other)", resp, http.StatusOK)
	resp, body = e.do("GET", "/docs/a.bin", nil, "Range", "bytes=0-9", "If-Range", etag)
	wantStatus(t, "If-Range (same)", resp, http.StatusPartialContent)
	resp, body = e.do("GET", "/docs/a.bin", nil, "Range", "bytes=0-9", "If-Range", `"0000"`)
	wantStatus(t, "If-Range (other)", resp, http.StatusOK)
	if len(body) != len(data) {
		t.Errorf("If-Range with another ETag sent %d bytes, want the whole %d", len(body), len(data))
	}

	// HEAD: headers, no body.
	resp, body = e.do("HEAD", "/docs/a.bin", nil)
	wantStatus(t, "HEAD", resp, http.StatusOK)
	if resp.ContentLength != int64(len(data)) || len(body) != 0 {
		t.Errorf("HEAD: Content-Length %d, body %d bytes", resp.ContentLength, len(body))
	}

	// Replacing: 204, new content and ETag, old one gone.
	data2 := []byte("second version\n")
	resp, _ = e.do("PUT", "/docs/a.bin", data2)
	wantStatus(t, "PUT over a file", resp, http.StatusNoContent)
	resp, body = e.do("GET", "/docs/a.bin", nil, "If-None-Match", etag)
	wantStatus(t, "GET after replace, old ETag", resp, http.StatusOK)
	if !bytes.Equal(body, data2) || resp.Header.Get("Etag") != `"`+sha(data2)+`"` {
		t.Errorf("after replace: body %q, ETag %s", body, resp.Header.Get("Etag"))
	}
	if got := resp.Header.Get("Content-Type"); got == ctype {
		t.Errorf("the replaced file kept the old Content-Type %q", got)
	}

	// Empty file.
	resp, _ = e.do("PUT", "/empty", []byte{})
	wantStatus(t, "PUT empty", resp, http.StatusCreated)
	resp, body = e.do("GET", "/empty", nil)
	wantStatus(t, "GET empty", resp, http.StatusOK)
	if len(body) != 0 || resp.Header.Get("Etag") != `"`+sha(nil)+`"` {
		t.Errorf("empty file: %d bytes, ETag %s", len(body), resp.Header.Get("Etag"))
	}

	if got, want := e.rootEntries(), []string{"docs", "docs/a.bin", "empty"}; !slices.Equal(got, want) {
		t.Errorf("root holds %q, want %q (no temporary files)", got, want)
	}
}

// TestETagWithoutXattr: files the server did not store, and files changed
// in place after it stored them, get an ETag computed from their content.
func TestETagWithoutXattr(t *testing.T) {
	e := newEnv(t, testOptions())
	data := []byte("placed here by hand\n")
	p := filepath.Join(e.root, "hand.txt")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second answer comes from the cache
		resp, body := e.do("GET", "/hand.txt", nil)
		wantStatus(t, "GET", resp, http.StatusOK)
		if !bytes.Equal(body, data) || resp.Header.Get("Etag") != `"`+sha(data)+`"` || resp.Header.Get("X-Etag-Source") != "computed" {
			t.Fatalf("GET: body %q, ETag %s, source %s", body, resp.Header.Get("Etag"), resp.Header.Get("X-Etag-Source"))
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type %q, want text/plain from the extension", ct)
		}
	}

	resp, _ := e.do("PUT", "/stored", []byte("v1"))
	wantStatus(t, "PUT", resp, http.StatusCreated)
	source := resp.Header.Get("X-Etag-Source")
	time.Sleep(20 * time.Millisecond) // past the coarse mtime tick
	f, err := os.OpenFile(filepath.Join(e.root, "stored"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("+appended")
	f.Close()
	resp, body := e.do("GET", "/stored", nil)
	if string(body) != "v1+appended" || resp.Header.Get("Etag") != `"`+sha(body)+`"` {
		t.Errorf("after an append behind the server's back (stored via %s): body %q, ETag %s, want %s",
			source, body, resp.Header.Get("Etag"), sha(body))
	}
	if got := resp.Header.Get("X-Etag-Source"); got != "computed" {
		t.Errorf("stale xattr used: X-Etag-Source %q", got)
	}
}

func TestPutBadLength(t *testing.T) {
	e := newEnv(t, testOptions())

	// Shorter than announced: the client sends 40 of 100 bytes and closes.
	resps := e.raw("PUT /short HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("x", 40), true, 1)
	wantStatus(t, "PUT with a short body", resps[0], http.StatusBadRequest)

	// Longer than announced, with a Content-Digest of everything sent: the
	// first 10 bytes do not match it.
	body := []byte("0123456789abcde")
	digest := sha256.Sum256(body)
	resps = e.raw("PUT /long HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nContent-Digest: sha-256=:"+
		base64.StdEncoding.EncodeToString(digest[:])+":\r\n\r\n"+string(body), true, 1)
	wantStatus(t, "PUT with a long body and a digest", resps[0], http.StatusBadRequest)

	// A digest that matches is accepted.
	ok := sha256.Sum256([]byte("fine"))
	resp, _ := e.do("PUT", "/digest-ok", []byte("fine"), "Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(ok[:])+":")
	wantStatus(t, "PUT with a matching digest", resp, http.StatusCreated)
	resp, _ = e.do("PUT", "/digest-bad", []byte("fine"), "Content-Digest", "sha-256=:nonsense:")
	wantStatus(t, "PUT with a malformed digest", resp, http.StatusBadRequest)

	// Longer than announced, without a digest: HTTP/1.1 cannot tell the
	// extra bytes from the next request on the connection. The upload is
	// the announced 10 bytes; the rest is answered as a bad request.
	resps = e.raw("PUT /long2 HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789GARBAGE\r\n\r\n", true, 2)
	wantStatus(t, "PUT (first 10 bytes)", resps[0], http.StatusCreated)
	wantStatus(t, "the bytes after the body", resps[1], http.StatusBadRequest)
	if b, err := os.ReadFile(filepath.Join(e.root, "long2")); err != nil || string(b) != "0123456789" {
		t.Errorf("long2 holds %q, %v; want the 10 announced bytes", b, err)
	}

	// No Content-Length: chunked.
	resps = e.raw("PUT /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false, 1)
	wantStatus(t, "chunked PUT", resps[0], http.StatusLengthRequired)
	resps = e.raw("PUT /nolength HTTP/1.1\r\nHost: t\r\n\r\n", false, 1)
	wantStatus(t, "PUT without Content-Length", resps[0], http.StatusLengthRequired)
	resps = e.raw("PUT /zero HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", false, 1)
	wantStatus(t, "PUT with Content-Length: 0", resps[0], http.StatusCreated)

	if got, want := e.rootEntries(), []string{"digest-ok", "long2", "zero"}; !slices.Equal(got, want) {
		t.Errorf("root holds %q, want %q: no file or temporary file for a failed upload", got, want)
	}
}

func TestPutLimits(t *testing.T) {
	o := testOptions()
	o.MaxUpload = 1024
	e := newEnv(t, o)
	resp, _ := e.do("PUT", "/big", make([]byte, 1025))
	wantStatus(t, "PUT over -max-upload", resp, http.StatusRequestEntityTooLarge)
	// With Expect: 100-continue the body is never sent.
	resps := e.raw("PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n", false, 1)
	wantStatus(t, "PUT over -max-upload, 100-continue", resps[0], http.StatusRequestEntityTooLarge)
	resp, _ = e.do("PUT", "/fits", make([]byte, 1024))
	wantStatus(t, "PUT at -max-upload", resp, http.StatusCreated)

	if err := os.Mkdir(filepath.Join(e.root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	resp, _ = e.do("PUT", "/dir", []byte("x"))
	wantStatus(t, "PUT onto a directory", resp, http.StatusConflict)
	resp, _ = e.do("PUT", "/dir/", []byte("x"))
	wantStatus(t, "PUT to a directory name", resp, http.StatusConflict)
	resp, _ = e.do("PUT", "/fits/x", []byte("x"))
	wantStatus(t, "PUT beneath a file", resp, http.StatusConflict)
	resp, _ = e.do("POST", "/fits", []byte("x"))
	wantStatus(t, "POST", resp, http.StatusMethodNotAllowed)

	if got, want := e.rootEntries(), []string{"dir", "fits"}; !slices.Equal(got, want) {
		t.Errorf("root holds %q, want %q", got, want)
	}
}

func TestEscapes(t *testing.T) {
	e := newEnv(t, testOptions())
	if err := os.WriteFile(filepath.Join(e.root, "inside"), []byte("in"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Links leading out: absolute to /etc and to the sentinel's directory,
	// and relative, climbing out. A link that stays inside is fine.
	links := map[string]string{
		"etc":    "/etc",
		"abs":    e.outside,
		"rel":    "../outside",
		"relf":   "../outside/sentinel",
		"inlink": "inside",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(e.root, name)); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	before := e.rootEntries()

	// Paths that are not plain: 400, before any file is looked at.
	for _, p := range []string{"/../outside/sentinel", "/%2e%2e/outside/sentinel", "/a/../../outside/sentinel", "//etc/passwd", "/./inside", "/x/%2E%2E/%2e%2e/outside/sentinel"} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			req := m + " " + p + " HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nbad"
			resp := e.raw(req, false, 1)[0]
			wantStatus(t, m+" "+p, resp, http.StatusBadRequest)
		}
	}
	// Links leading out: 403 from the Dir, which refuses to follow them.
	for _, p := range []string{"/etc/passwd", "/etc/hostname", "/abs/sentinel", "/rel/sentinel", "/relf"} {
		resp, body := e.do("GET", p, nil)
		wantStatus(t, "GET "+p, resp, http.StatusForbidden)
		if bytes.Contains(body, []byte("keep me")) || bytes.Contains(body, []byte("root:")) {
			t.Errorf("GET %s leaked %q", p, body)
		}
		if p != "/relf" {
			resp, _ = e.do("PUT", p, []byte("overwritten"))
			wantStatus(t, "PUT "+p, resp, http.StatusForbidden)
		}
	}
	for _, p := range []string{"/abs/new", "/rel/new", "/etc/extfs-fileserver-test"} {
		resp, _ := e.do("PUT", p, []byte("new"))
		wantStatus(t, "PUT "+p, resp, http.StatusForbidden)
		resp, _ = e.do("DELETE", p, nil)
		wantStatus(t, "DELETE "+p, resp, http.StatusForbidden)
	}
	resp, _ := e.do("DELETE", "/rel/sentinel", nil)
	wantStatus(t, "DELETE /rel/sentinel", resp, http.StatusForbidden)
	if _, err := os.Lstat("/etc/extfs-fileserver-test"); err == nil {
		t.Errorf("a PUT through the /etc link created /etc/extfs-fileserver-test")
		os.Remove("/etc/extfs-fileserver-test")
	}
	// A link inside the root is followed.
	resp, body := e.do("GET", "/inlink", nil)
	wantStatus(t, "GET /inlink", resp, http.StatusOK)
	if string(body) != "in" {
		t.Errorf("GET /inlink: %q", body)
	}
	if got := e.rootEntries(); !slices.Equal(got, before) {
		t.Errorf("root changed: %q, was %q", got, before)
	}
	// PUT onto a link replaces the link itself, not what it points to.
	resp, _ = e.do("PUT", "/relf", []byte("replaced"))
	wantStatus(t, "PUT /relf (the link)", resp, http.StatusNoContent)
	if fi, err := os.Lstat(filepath.Join(e.root, "relf")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("relf after PUT: %v, %v; want a regular file", fi, err)
	}
	// DELETE of the link itself removes the link, not what it points to.
	resp, _ = e.do("DELETE", "/abs", nil)
	wantStatus(t, "DELETE /abs (the link)", resp, http.StatusNoContent)
	if _, err := os.Lstat(filepath.Join(e.root, "abs")); !os.IsNotExist(err) {
		t.Errorf("the link abs is still there: %v", err)
	}
	// checkOutside (at cleanup) verifies the sentinel.
}

func TestDeleteAndList(t *testing.T) {
	e := newEnv(t, testOptions())
	for _, p := range []string{"/f", "/d/g"} {
		if p == "/d/g" {
			os.Mkdir(filepath.Join(e.root, "d"), 0o755)
		}
		resp, _ := e.do("PUT", p, []byte("x"))
		wantStatus(t, "PUT "+p, resp, http.StatusCreated)
	}
	// A leftover upload temporary file is neither listed nor served.
	tmp := uploadTempName("g")
	if err := os.WriteFile(filepath.Join(e.root, "d", tmp), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}

	resp, _ := e.do("GET", "/d", nil) // the client follows the redirect
	if resp.Request.URL.Path != "/d/" {
		t.Errorf("GET /d ended at %s, want a redirect to /d/", resp.Request.URL.Path)
	}
	resp, body := e.do("GET", "/d/", nil)
	wantStatus(t, "GET /d/", resp, http.StatusOK)
	if !bytes.Contains(body, []byte(`href="g"`)) || bytes.Contains(body, []byte("upload-")) {
		t.Errorf("listing of /d/: %s", body)
	}
	resp, _ = e.do("GET", "/d/"+tmp, nil)
	wantStatus(t, "GET of an upload temporary file", resp, http.StatusNotFound)
	resp, _ = e.do("GET", "/f/", nil)
	wantStatus(t, "GET /f/ (a file as a directory)", resp, http.StatusNotFound)

	resp, _ = e.do("DELETE", "/f", nil)
	wantStatus(t, "DELETE /f", resp, http.StatusNoContent)
	resp, _ = e.do("GET", "/f", nil)
	wantStatus(t, "GET after DELETE", resp, http.StatusNotFound)
	resp, _ = e.do("DELETE", "/f", nil)
	wantStatus(t, "DELETE again", resp, http.StatusNotFound)
	resp, _ = e.do("DELETE", "/d", nil)
	wantStatus(t, "DELETE a non-empty directory", resp, http.StatusConflict)
	resp, _ = e.do("DELETE", "/", nil)
	wantStatus(t, "DELETE /", resp, http.StatusForbidden)
	resp, _ = e.do("DELETE", "/nope/x", nil)
	wantStatus(t, "DELETE in a missing directory", resp, http.StatusNotFound)
}

func TestFIFO(t *testing.T) {
	e := newEnv(t, testOptions())
	if err := e.srv.root.Mkfifo("pipe", 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan *http.Response, 1)
	go func() { resp, _ := e.do("GET", "/pipe", nil); done <- resp }()
	select {
	case resp := <-done:
		wantStatus(t, "GET of a FIFO", resp, http.StatusForbidden)
	case <-time.After(5 * time.Second):
		t.Fatal("GET of a FIFO hangs")
	}
}

// TestAdvice checks which advice each kind of response gives.
func TestAdvice(t *testing.T) {
	o := testOptions()
	o.ReadaheadMin = 1 << 20
	o.DropBehind = 4 << 20
	e := newEnv(t, o)
	for name, size := range map[string]int{"small": 100 << 10, "mid": 3 << 20, "big": 5 << 20} {
		if err := os.WriteFile(filepath.Join(e.root, name), randBytes(size, uint64(size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.do("GET", "/small", nil) // compute and cache every ETag first
	e.do("GET", "/mid", nil)
	e.do("GET", "/big", nil)
	etag := func(name string) string {
		resp, _ := e.do("HEAD", "/"+name, nil)
		return resp.Header.Get("Etag")
	}
	midTag := etag("mid")
	e.takeAdvice()

	seq := adviceCall{0, 0, extfs.AdviceSequential}
	for _, tc := range []struct {
		what string
		path string
		hdr  []string
		want []adviceCall
	}{
		{"small file", "/small", nil, nil},
		{"mid file", "/mid", nil, []adviceCall{seq, {0, 2 << 20, extfs.AdviceWillNeed}}},
		{"mid file, range", "/mid", []string{"Range", "bytes=1048576-"}, []adviceCall{seq, {1 << 20, 2 << 20, extfs.AdviceWillNeed}}},
		{"mid file, short range", "/mid", []string{"Range", "bytes=0-1000"}, nil},
		{"mid file, 304", "/mid", []string{"If-None-Match", midTag}, nil},
		{"mid file, HEAD", "/mid", nil, nil},
		{"big file", "/big", nil, []adviceCall{
			{0, 0, extfs.AdviceNoReuse}, seq, {0, 2 << 20, extfs.AdviceWillNeed}, {0, 5 << 20, extfs.AdviceDontNeed},
		}},
		{"big file, range", "/big", []string{"Range", "bytes=4194304-4194403"}, []adviceCall{
			{0, 0, extfs.AdviceNoReuse}, {4 << 20, 100, extfs.AdviceDontNeed},
		}},
	} {
		method := "GET"
		if strings.HasSuffix(tc.what, "HEAD") {
			method = "HEAD"
		}
		e.do(method, tc.path, nil, tc.hdr...)
		if got := e.takeAdvice(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: advice %v, want %v", tc.what, got, tc.want)
		}
	}
}

func TestNameOf(t *testing.T) {
	for _, tc := range []struct {
		in    string
		name  string
		isDir bool
		bad   bool
	}{
		{"/", ".", true, false},
		{"/a", "a", false, false},
		{"/a/b/", "a/b", true, false},
		{"/a b/ü", "a b/ü", false, false},
		{"/..", "", false, true},
		{"/a/../b", "", false, true},
		{"/a//b", "", false, true},
		{"//etc", "", false, true},
		{"/./a", "", false, true},
		{"/a/.", "", false, true},
		{"a", "", false, true},
		{"/a\x00b", "", false, true},
		{"/...", "...", false, false}, // an ordinary name
	} {
		name, isDir, err := nameOf(tc.in)
		if (err != nil) != tc.bad || name != tc.name || isDir != tc.isDir {
			t.Errorf("nameOf(%q) = %q, %v, %v", tc.in, name, isDir, err)
		}
	}
}

// TestParseArgs: sizes with units, long flags with one dash or two, and
// help on stdout.
func TestParseArgs(t *testing.T) {
	cfg, err := parseArgs([]string{"-addr", "127.0.0.1:0", "--max-upload=64M", "-drop-behind", "0", "-fsync=false", "-v", "root"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:0" || cfg.opt.MaxUpload != 64<<20 || cfg.opt.DropBehind != 0 || cfg.opt.Fsync || !cfg.opt.AccessLog ||
		cfg.root != "root" || cfg.opt.ReadaheadMin != 8<<20 {
		t.Errorf("%+v", cfg)
	}
	for _, args := range [][]string{{"--max-upload=1X", "r"}, {"--bogus", "r"}, {}, {"a", "b"}} {
		var stdout, stderr strings.Builder
		if code := run(args, &stdout, &stderr); code != 2 || stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), "fileserver: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"-addr", ":1", "--help", "r"}} {
		var stdout, stderr strings.Builder
		if code := run(args, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "Usage: fileserver") || stderr.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}
