// Command fileserver serves a directory over HTTP, with extfs doing the file
// work:
//
//	fileserver [--addr 127.0.0.1:8080] [--max-upload 1G] [flags] ROOT
//	fileserver --plain [--addr ...] ROOT   # net/http.FileServer, for comparison
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
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/examples/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `Usage: fileserver [OPTION]... ROOT
Serve the directory ROOT over HTTP (GET, HEAD, PUT, DELETE), with extfs
doing the file work.

      --addr=ADDRESS          listen on ADDRESS (default 127.0.0.1:8080)
      --plain                 serve with net/http.FileServer instead
                              (read-only; the benchmark's baseline)
      --max-upload=SIZE       largest PUT body (default 1.0 GiB)
      --readahead-min=SIZE    announce sequential reads for response bodies
                              of at least SIZE (default 8.0 MiB); 0: never
      --drop-behind=SIZE      drop files of at least SIZE from the page
                              cache after sending them (default 256 MiB);
                              0: never
      --etag-compute-max=SIZE hash files without a stored SHA-256 up to SIZE
                              for their ETag (default 1.0 GiB)
      --fsync[=false]         sync an upload and its directory before
                              answering (default true)
  -v                          log every request
      --readat                send bodies with extfs File.ReadAt calls
                              instead of sendfile (to measure extfs's reads)
  -h, --help                  show this help

SIZE is a number of bytes, with an optional unit: K, M, G, T (or KiB, MiB,
GiB, TiB) are powers of 1024, kB, MB, GB, TB powers of 1000. A long option
may also be written with one dash (-addr, -max-upload 1G).
`

// config is what the command line asks for.
type config struct {
	addr  string
	plain bool
	root  string
	opt   Options
}

// parseArgs parses the command line.
func parseArgs(args []string) (config, error) {
	cfg := config{opt: defaultOptions()}
	fl := cli.NewFlagSet("fileserver")
	fl.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "")
	fl.BoolVar(&cfg.plain, "plain", false, "")
	cli.SizeVar(fl, &cfg.opt.MaxUpload, "max-upload", "", "")
	cli.SizeVar(fl, &cfg.opt.ReadaheadMin, "readahead-min", "", "")
	cli.SizeVar(fl, &cfg.opt.DropBehind, "drop-behind", "", "")
	cli.SizeVar(fl, &cfg.opt.ETagComputeMax, "etag-compute-max", "", "")
	fl.BoolVar(&cfg.opt.Fsync, "fsync", cfg.opt.Fsync, "")
	fl.BoolVarP(&cfg.opt.AccessLog, "v", "v", false, "")
	fl.BoolVar(&cfg.opt.ReadAt, "readat", false, "")
	if err := cli.Parse(fl, args); err != nil {
		return cfg, err
	}
	if fl.NArg() != 1 {
		return cfg, fmt.Errorf("want one ROOT, got %d arguments", fl.NArg())
	}
	cfg.root = fl.Arg(0)
	return cfg, nil
}

// run is fileserver: it serves until interrupted and returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args)
	switch {
	case cli.IsHelp(err):
		fmt.Fprint(stdout, usageText)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "fileserver: %v\nTry 'fileserver --help' for more information.\n", err)
		return 2
	}
	logger := log.New(stderr, "fileserver: ", 0)

	var h http.Handler
	if cfg.plain {
		h = http.FileServer(http.Dir(cfg.root))
	} else {
		d, err := extfs.OpenDir(cfg.root)
		if err != nil {
			logger.Print(err)
			return 1
		}
		defer d.Close()
		s := New(d, cfg.opt)
		s.Logf = logger.Printf
		h = s
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		logger.Print(err)
		return 1
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No ReadTimeout or WriteTimeout: uploads and downloads of big files
		// take as long as they take.
	}
	mode := "extfs"
	if cfg.plain {
		mode = "net/http.FileServer"
	}
	logger.Printf("serving %s (%s) on http://%s/", cfg.root, mode, ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		logger.Print(err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		logger.Printf("shutdown: %v", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Print(err)
		return 1
	}
	return 0
}
