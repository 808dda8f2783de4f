package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
	"sync"

	"github.com/extfs/extfs"
)

// meta is what a GET says about a file besides its bytes.
type meta struct {
	etag        string // hex SHA-256, or "" for none
	etagSource  string // "xattr", "computed" or "none"
	contentType string // "" to let net/http guess
}

// meta returns what the file's xattrs say, or failing that what its content
// hashes to, from the cache when the file has not changed since it was last
// read (see metaCache).
func (s *Server) meta(f *extfs.File, st *extfs.Stat) meta {
	m, err := s.metas.get(st, func() (meta, error) { return s.readMeta(f, st) })
	if err != nil {
		s.logf("hashing %s: %v", f.Name(), err)
		return meta{etagSource: "none", contentType: m.contentType}
	}
	return m
}

// readMeta reads the file's stored hash and media type. A hash is trusted
// only if its stamp matches the file's size and modification time: a file
// changed in place since (an append, an editor writing in place) has a stale
// attribute, and is hashed again as if it had none.
func (s *Server) readMeta(f *extfs.File, st *extfs.Stat) (meta, error) {
	var m meta
	if v, err := f.GetXattr(xattrContentType); err == nil && validContentType(string(v)) {
		m.contentType = string(v)
	}
	if sum, err := f.GetXattr(xattrSHA256); err == nil && validHex(sum) {
		if stamp, err := f.GetXattr(xattrSHA256Stamp); err == nil && string(stamp) == stampOf(st) {
			m.etag, m.etagSource = string(sum), "xattr"
			return m, nil
		}
	}
	if st.Size > s.opt.ETagComputeMax {
		m.etagSource = "none"
		return m, nil
	}
	sum, err := hashFile(f, st)
	if err != nil {
		return m, err
	}
	m.etag, m.etagSource = sum, "computed"
	return m, nil
}

func stampOf(st *extfs.Stat) string {
	return strconv.FormatInt(st.Size, 10) + " " + strconv.FormatInt(st.Mtime.UnixNano(), 10)
}

func validHex(b []byte) bool {
	if len(b) != 2*sha256.Size {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validContentType accepts a media type with parameters, short and on one
// line: what a client may store and the server sends back as a header.
func validContentType(v string) bool {
	if v == "" || len(v) > 256 || strings.ContainsAny(v, "\r\n") {
		return false
	}
	_, _, err := mime.ParseMediaType(v)
	return err == nil
}

// metaCache keeps each file's meta by identity and version: device, inode,
// size, and modification and change times. Any write to the file changes
// mtime, and any change to its xattrs, mode or name changes ctime, so a hit
// is what reading the xattrs again would give — without the three getxattr
// calls, or the hash of a file that has none. It also makes concurrent first
// requests for a file read (or hash) it once.
//
// Two files match only if one replaced the other under the same inode
// number, with the same size and times to the nanosecond: with the
// fine-grained timestamps of Linux 6.13 (ext4, XFS, btrfs, tmpfs), not by
// accident.
type metaCache struct {
	mu sync.Mutex
	m  map[metaKey]*metaEntry
}

type metaKey struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

type metaEntry struct {
	done chan struct{}
	meta meta
	err  error
}

// metaCacheMax bounds the cache; past it, arbitrary entries are dropped
// (they are read again on their next request).
const metaCacheMax = 16384

func (c *metaCache) get(st *extfs.Stat, read func() (meta, error)) (meta, error) {
	k := metaKey{st.Dev, st.Ino, st.Size, st.Mtime.UnixNano(), st.Ctime.UnixNano()}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[metaKey]*metaEntry)
	}
	if e, ok := c.m[k]; ok {
		c.mu.Unlock()
		<-e.done
		return e.meta, e.err
	}
	for old := range c.m {
		if len(c.m) < metaCacheMax {
			break
		}
		delete(c.m, old)
	}
	e := &metaEntry{done: make(chan struct{})}
	c.m[k] = e
	c.mu.Unlock()

	e.meta, e.err = read()
	if e.err != nil {
		c.mu.Lock()
		delete(c.m, k) // try again next time
		c.mu.Unlock()
	}
	close(e.done)
	return e.meta, e.err
}

var errChanged = errors.New("file changed while being hashed")

// hashFile hashes f from offset 0 without moving its offset, and checks
// that the file did not change meanwhile.
func hashFile(f *extfs.File, st *extfs.Stat) (string, error) {
	h := sha256.New()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	n, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, st.Size+1), *bp)
	if err != nil {
		return "", err
	}
	after, err := f.Statx()
	if err != nil {
		return "", err
	}
	if n != st.Size || after.Size != st.Size || !after.Mtime.Equal(st.Mtime) {
		return "", errChanged
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// bufPool holds the buffers of uploads and hashing.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
