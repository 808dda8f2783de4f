// Command fileserver serves a directory over HTTP, with extfs doing the file
// work:
//
//	fileserver [-addr 127.0.0.1:8080] [-max-upload 1G] [flags] ROOT
//	fileserver -plain [-addr ...] ROOT   # net/http.FileServer, for comparison
//
// GET and HEAD serve files (Range requests, conditional requests) and list
// directories; PUT uploads a file atomically; DELETE removes one. Every name
// is resolved beneath ROOT by an extfs.Dir: "..", absolute names and symbolic
// links leading out of ROOT are refused, never followed.
//
// # Reading
//
// Files are sent with sendfile(2) where the OS has it (http.ServeContent on
// the *os.File). A response body of at least -readahead-min bytes (8 MiB) is
// announced to the kernel first: AdviceSequential for the file (Linux doubles
// its read-ahead window) and AdviceWillNeed for the first 2 MiB of the range
// sent, so the disk starts on it before sendfile asks. (On a cached file
// WILLNEED costs about 20 µs per MiB, noise for such bodies but not for
// small ones.) Files of at least -drop-behind bytes (256 MiB; 0 turns it
// off) are read with AdviceNoReuse, and the range sent is dropped from the
// page cache (AdviceDontNeed) when the last concurrent response from that
// file ends: a big file streamed once should not push the small, hot files
// out of the cache. Smaller files stay cached, since serving them again is
// likely and cheap to keep.
//
// With -readat, bodies are read with extfs File.ReadAt instead (32 KiB at a
// time, net/http's copy buffer) and copied to the socket: slower than
// sendfile, but the path to measure extfs's reads with (bench.sh COLD=1).
//
// The ETag is the SHA-256 of the content, stored at upload in the extended
// attribute user.extfs.sha256 (with user.extfs.sha256-stamp, the size and
// modification time it belongs to, so that a file changed in place by
// someone else is not served with a stale ETag), and Content-Type comes from
// user.extfs.content-type. Where there is no usable attribute — a file not
// uploaded through the server, or a filesystem without user xattrs — the
// hash is computed on the first GET (files up to -etag-compute-max); the
// X-Etag-Source response header says which ("xattr", "computed" or "none").
// What the xattrs say, or the computed hash, is kept in memory for as long
// as the file's size, mtime and ctime stay the same (any change to its data
// or xattrs changes them), so a GET of an unchanged file reads no xattr.
//
// # Writing
//
// PUT needs a Content-Length (411 without one; 413 above -max-upload). The
// body goes to a hidden temporary file next to the target, preallocated with
// Fallocate, hashed as it is written, given its xattrs, synced (-fsync) and
// renamed over the target: readers see the old file or the new one, never
// a part. A body shorter than Content-Length, or one that does not match a
// Content-Digest: sha-256=:…: header (RFC 9530), is a 400 and leaves
// nothing behind. PUT answers 201 (new) or 204 (replaced), 409 when the
// target is a directory or its parent does not exist.
//
// Bodies longer than Content-Length cannot be told apart in HTTP/1.1: the
// extra bytes are the next request on the connection (which the server then
// answers 400). A client that wants the server to check what it received
// sends Content-Digest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/extfs/extfs"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("fileserver: ")
	o := defaultOptions()
	var (
		addr  = flag.String("addr", "127.0.0.1:8080", "listen `address`")
		plain = flag.Bool("plain", false, "serve with net/http.FileServer instead (read-only; the benchmark's baseline)")
	)
	flag.Var((*sizeFlag)(&o.MaxUpload), "max-upload", "largest PUT body, in `bytes` (suffixes K, M, G, T: powers of 1024)")
	flag.Var((*sizeFlag)(&o.ReadaheadMin), "readahead-min", "announce sequential reads for response bodies of at least this many `bytes`; 0: never")
	flag.Var((*sizeFlag)(&o.DropBehind), "drop-behind", "drop files of at least this many `bytes` from the page cache after sending them; 0: never")
	flag.Var((*sizeFlag)(&o.ETagComputeMax), "etag-compute-max", "hash files without a stored SHA-256 up to this many `bytes` for their ETag")
	flag.BoolVar(&o.Fsync, "fsync", o.Fsync, "sync an upload and its directory before answering")
	flag.BoolVar(&o.AccessLog, "v", false, "log every request")
	flag.BoolVar(&o.ReadAt, "readat", false, "send bodies with extfs File.ReadAt calls instead of sendfile (to measure extfs's read path)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: fileserver [flags] ROOT\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	root := flag.Arg(0)

	var h http.Handler
	if *plain {
		h = http.FileServer(http.Dir(root))
	} else {
		d, err := extfs.OpenDir(root)
		if err != nil {
			log.Fatal(err)
		}
		defer d.Close()
		s := New(d, o)
		s.Logf = log.Printf
		h = s
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No ReadTimeout or WriteTimeout: uploads and downloads of big files
		// take as long as they take.
	}
	mode := "extfs"
	if *plain {
		mode = "net/http.FileServer"
	}
	log.Printf("serving %s (%s) on http://%s/", root, mode, ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Printf("shutdown: %v", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
	}
}

// sizeFlag is a byte count with an optional K, M, G or T suffix (powers of
// 1024).
type sizeFlag int64

func (s *sizeFlag) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

func parseSize(v string) (int64, error) {
	shift := 0
	switch strings.ToUpper(v[len(v)-min(len(v), 1):]) {
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	case "T":
		shift = 40
	}
	if shift > 0 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<63-1)>>shift {
		return 0, fmt.Errorf("invalid size %q", v)
	}
	return n << shift, nil
}
