package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/extfs/extfs"
)

// put stores the request body at name (see the package doc).
func (s *Server) put(w http.ResponseWriter, r *http.Request, name string) {
	n := r.ContentLength
	switch {
	case n < 0, n == 0 && r.Header.Get("Content-Length") == "":
		// Chunked, or no length at all (which HTTP/1.1 reads as an empty
		// body, most likely not what the client meant).
		http.Error(w, "PUT needs a Content-Length", http.StatusLengthRequired)
		return
	case n > s.opt.MaxUpload:
		// Before reading anything: a client that sent Expect: 100-continue
		// does not send the body at all.
		http.Error(w, fmt.Sprintf("body of %d bytes is over the limit of %d", n, s.opt.MaxUpload), http.StatusRequestEntityTooLarge)
		return
	}
	want, err := contentDigest(r.Header.Values("Content-Digest"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctype := r.Header.Get("Content-Type")
	if ctype != "" && !validContentType(ctype) {
		http.Error(w, "invalid Content-Type", http.StatusBadRequest)
		return
	}

	parent, base := path.Split(name)
	parent = path.Clean(parent) // "" → ".", "a/" → "a"
	if st, err := s.root.Statx(parent); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.Error(w, "parent directory does not exist", http.StatusConflict)
			return
		}
		s.fail(w, err)
		return
	} else if !st.Mode.IsDir() {
		http.Error(w, "parent is not a directory", http.StatusConflict)
		return
	}
	replaced := false
	if st, err := s.root.Lstatx(name); err == nil {
		if st.Mode.IsDir() {
			http.Error(w, "a directory is in the way", http.StatusConflict)
			return
		}
		replaced = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		s.fail(w, err)
		return
	}

	tmp := path.Join(parent, uploadTempName(base))
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		s.fail(w, err)
		return
	}
	committed := false
	defer func() {
		if f != nil {
			f.Close()
		}
		if !committed {
			if err := s.root.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.logf("removing %s: %v", tmp, err)
			}
		}
	}()

	if n > 0 {
		// Reserve the space first: the upload then fails here, at once,
		// rather than after most of the body, when the disk is full, and the
		// file gets few, large extents.
		if err := f.Fallocate(0, 0, n); err != nil && !errors.Is(err, extfs.ErrNotSupported) {
			if code := statusOf(err); code != http.StatusInternalServerError {
				s.fail(w, err)
				return
			}
			s.logf("preallocating %s: %v", tmp, err) // only an optimisation
		}
	}

	sum, got, err := copyHashed(f, r.Body, n)
	switch {
	case err != nil:
		if code := statusOf(err); code == http.StatusInsufficientStorage || code == http.StatusRequestEntityTooLarge {
			s.fail(w, err)
			return
		}
		// The client sent less than it announced (and closed), or the
		// connection broke: either way the body is not what was promised.
		http.Error(w, fmt.Sprintf("body shorter than Content-Length (%d of %d bytes): %v", got, n, err), http.StatusBadRequest)
		return
	case want != nil && !bytes.Equal(want, sum):
		http.Error(w, "body does not match Content-Digest", http.StatusBadRequest)
		return
	}

	etag := hex.EncodeToString(sum)
	source := "xattr"
	if err := s.setMeta(f, etag, ctype); err != nil {
		source = "computed"
		if errors.Is(err, extfs.ErrNotSupported) {
			s.noXattrOnce.Do(func() {
				s.logf("%s: no user extended attributes here; ETags are computed on first GET and kept in memory (%v)", s.root.Name(), err)
			})
		} else {
			s.logf("storing metadata of %s: %v", tmp, err)
		}
	}
	if s.opt.Fsync {
		if err := f.Sync(); err != nil {
			s.fail(w, err)
			return
		}
	}
	err = f.Close()
	f = nil
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.root.Rename(tmp, nil, name); err != nil {
		s.fail(w, err) // a directory that appeared at name meanwhile: 409
		return
	}
	committed = true
	if s.opt.Fsync {
		s.syncDir(parent)
	}

	h := w.Header()
	h.Set("Etag", `"`+etag+`"`)
	h.Set("X-Etag-Source", source)
	if replaced {
		w.WriteHeader(http.StatusNoContent)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
}

// copyHashed writes exactly n bytes of body to f and returns their SHA-256.
// A body that ends early is an error (io.ErrUnexpectedEOF); got says how many
// bytes came.
func copyHashed(f *extfs.File, body io.Reader, n int64) (sum []byte, got int64, err error) {
	h := sha256.New()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for got < n {
		k, rerr := body.Read(buf[:min(int64(len(buf)), n-got)])
		if k > 0 {
			if _, err := f.Write(buf[:k]); err != nil {
				return nil, got, err
			}
			h.Write(buf[:k])
			got += int64(k)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, got, rerr
		}
	}
	if got < n {
		return nil, got, io.ErrUnexpectedEOF
	}
	return h.Sum(nil), got, nil
}

// setMeta stores the hash, its stamp and the media type on the new file.
func (s *Server) setMeta(f *extfs.File, etag, ctype string) error {
	st, err := f.Statx() // after the last write: its mtime is final
	if err != nil {
		return err
	}
	if err := f.SetXattr(xattrSHA256, []byte(etag), 0); err != nil {
		return err
	}
	if err := f.SetXattr(xattrSHA256Stamp, []byte(stampOf(st)), 0); err != nil {
		return err
	}
	if ctype != "" {
		return f.SetXattr(xattrContentType, []byte(ctype), 0)
	}
	return nil
}

// syncDir makes a rename in dir durable. Not every OS can sync a directory
// (Windows cannot open one for that): there it is skipped.
func (s *Server) syncDir(dir string) {
	d, err := s.root.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// uploadTempName is the hidden name an upload to base is written under,
// in the same directory, until it is complete. GET, PUT and DELETE refuse
// such names (isUploadTemp), and listings hide them.
func uploadTempName(base string) string {
	const maxBase = 200 // the whole name must stay under NAME_MAX (255)
	if len(base) > maxBase {
		base = base[:maxBase]
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	return "." + base + ".upload-" + hex.EncodeToString(rnd[:]) + ".tmp"
}

// contentDigest returns the sha-256 member of Content-Digest headers (RFC
// 9530: sha-256=:<base64>:), or nil when there is none. Other algorithms
// are ignored, as the RFC allows.
func contentDigest(values []string) ([]byte, error) {
	for _, v := range values {
		for member := range strings.SplitSeq(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(member), "=")
			if !ok || !strings.EqualFold(k, "sha-256") {
				continue
			}
			b64, ok := strings.CutPrefix(val, ":")
			if ok {
				b64, ok = strings.CutSuffix(b64, ":")
			}
			sum, err := base64.StdEncoding.DecodeString(b64)
			if !ok || err != nil || len(sum) != sha256.Size {
				return nil, errors.New("malformed Content-Digest sha-256 value")
			}
			return sum, nil
		}
	}
	return nil, nil
}
