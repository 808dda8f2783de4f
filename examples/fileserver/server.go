package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"

	"github.com/extfs/extfs"
)

// Extended attributes the server keeps on the files it stores.
const (
	xattrSHA256      = "user.extfs.sha256"       // lowercase hex SHA-256 of the content
	xattrSHA256Stamp = "user.extfs.sha256-stamp" // "<size> <mtime in Unix ns>" the hash belongs to
	xattrContentType = "user.extfs.content-type" // media type given at upload
)

// Options tune a Server. See the package doc for what each threshold does.
type Options struct {
	MaxUpload      int64 // largest PUT body
	ReadaheadMin   int64 // bodies this large get Sequential + WillNeed; 0: never
	DropBehind     int64 // files this large get NoReuse, then DontNeed; 0: never
	ETagComputeMax int64 // largest file hashed for its ETag when no xattr has it
	Fsync          bool  // sync uploads (file, then directory) before answering
	AccessLog      bool
	ReadAt         bool // send bodies with File.ReadAt instead of sendfile
}

func defaultOptions() Options {
	return Options{
		MaxUpload:      1 << 30,
		ReadaheadMin:   8 << 20,
		DropBehind:     256 << 20,
		ETagComputeMax: 1 << 30,
		Fsync:          true,
	}
}

// willNeedChunk is how much of a long response is asked for at once
// (AdviceWillNeed): enough for sendfile to start on without waiting for the
// read-ahead window (128 KiB by default) to grow.
//
// WILLNEED is not free when the range is cached already: the kernel looks up
// every page, about 20 µs per MiB here (2 vCPUs, Linux 6.18). That is why
// advice waits for bodies of ReadaheadMin (8 MiB), which take a millisecond
// or more to send even from the cache.
const willNeedChunk = 2 << 20

// Server serves the files beneath a Dir. It is an http.Handler.
type Server struct {
	root *extfs.Dir
	opt  Options

	// Logf, if not nil, receives errors (and requests, with AccessLog).
	Logf func(format string, args ...any)

	metas   metaCache
	streams streamCounts

	noXattrOnce sync.Once

	adviseHook func(off, n int64, a extfs.Advice) // tests: sees every Fadvise
}

// New returns a Server for the files beneath root. The caller keeps root
// open while the Server is in use.
func New(root *extfs.Dir, opt Options) *Server {
	return &Server{root: root, opt: opt}
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opt.AccessLog {
		s.logf("%s %s", r.Method, r.URL.Path)
	}
	name, isDir, err := nameOf(r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if isUploadTemp(name) {
		// In-flight uploads are nobody's business, and not a target.
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.get(w, r, name, isDir)
	case http.MethodPut:
		if isDir {
			http.Error(w, "PUT needs a file name, not a directory", http.StatusConflict)
			return
		}
		s.put(w, r, name)
	case http.MethodDelete:
		s.delete(w, name)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// nameOf turns a URL path into a name beneath the root: "/" is ".",
// "/a/b/" is "a/b" (isDir: the client asked for a directory). It refuses
// what is not a plain path — "." and ".." components, empty ones ("a//b"),
// NUL bytes, a backslash on Windows — with an error for a 400. That check is
// for clear answers; what keeps requests inside the root is the Dir, which
// refuses any name leading out (a symbolic link, an absolute name) by itself.
func nameOf(urlPath string) (name string, isDir bool, err error) {
	if !strings.HasPrefix(urlPath, "/") {
		return "", false, errors.New("path must start with /")
	}
	p := urlPath[1:]
	if p == "" {
		return ".", true, nil
	}
	if strings.HasSuffix(p, "/") {
		isDir = true
		p = p[:len(p)-1]
	}
	if strings.IndexByte(p, 0) >= 0 || (os.PathSeparator == '\\' && strings.IndexByte(p, '\\') >= 0) {
		return "", false, errors.New("invalid character in path")
	}
	for elem := range strings.SplitSeq(p, "/") {
		switch elem {
		case "":
			return "", false, errors.New("empty path component")
		case ".", "..":
			return "", false, fmt.Errorf("%q path component", elem)
		}
	}
	return p, isDir, nil
}

// uploadTempRE matches the names of the temporary files of uploads (see
// uploadTempName).
var uploadTempRE = regexp.MustCompile(`^\..*\.upload-[0-9a-f]{16}\.tmp$`)

func isUploadTemp(name string) bool {
	base := name[strings.LastIndexByte(name, '/')+1:]
	// Every request asks: the regexp only for names that might match.
	return strings.HasSuffix(base, ".tmp") && strings.Contains(base, ".upload-") && uploadTempRE.MatchString(base)
}

// statusOf maps an error from the Dir to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return http.StatusNotFound
	case errors.Is(err, extfs.ErrEscapes), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ELOOP):
		return http.StatusForbidden
	case errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, fs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, fs.ErrExist):
		return http.StatusConflict
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return http.StatusInsufficientStorage
	case errors.Is(err, syscall.EFBIG):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// fail answers with err's status. The message says what went wrong without
// the root's path; server errors are logged in full.
func (s *Server) fail(w http.ResponseWriter, err error) {
	code := statusOf(err)
	msg := http.StatusText(code)
	var pe *fs.PathError
	switch {
	case code == http.StatusInternalServerError:
		s.logf("%v", err)
	case errors.As(err, &pe):
		// Names relative to the root: the client has no business knowing
		// where the root is.
		msg = pe.Op + " " + strings.TrimPrefix(pe.Path, s.root.Name()+"/") + ": " + pe.Err.Error()
	}
	http.Error(w, msg, code)
}

func (s *Server) delete(w http.ResponseWriter, name string) {
	if name == "." {
		http.Error(w, "the root cannot be deleted", http.StatusForbidden)
		return
	}
	// A symbolic link is removed itself, never its target; a directory only
	// when empty (409 otherwise).
	if err := s.root.Remove(name); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
