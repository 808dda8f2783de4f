package extfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
)

// The read/write pipeline: the portable way to copy, used where the kernel
// cannot copy for us (and, on macOS, for every copy that is not a clone).
// A reader goroutine fills buffers with positioned reads (pread) while the
// calling goroutine writes the previous ones with positioned writes (pwrite),
// so that reading and writing overlap and neither file offset moves.

// Two 1 MiB buffers: double buffering. More or larger buffers were no
// faster, and hold more memory per copy (bench/README.md, "Copies").
const (
	pipeBufSize = 1 << 20
	pipeBufs    = 2
)

var pipeBufPool = sync.Pool{New: func() any {
	b := make([]byte, pipeBufSize)
	return &b
}}

// pipeChunk is one buffer on its way from the reader to the writer.
type pipeChunk struct {
	buf *[]byte
	n   int
	err error // the read's error, io.EOF at the end of the source
}

// pipelineCopy copies j (up to j.n bytes from j.src at j.srcOff to j.dst at
// j.dstOff) and returns how many bytes it copied (fewer only at the end of
// the source). With zeroBlock > 0, blocks of that size (aligned in dst) that
// are all zero are not written but counted in zeros: the destination must
// then read as zeros there already (a new file, or a hole). j.ctl, if not
// nil, is told about each buffer written and may stop the copy.
func pipelineCopy(j *copyJob, zeroBlock int64) (written, zeros int64, err error) {
	src, dst, srcOff, dstOff, n, ctl := j.src.f, j.dst.f, j.srcOff, j.dstOff, j.n, j.ctl
	if n <= 0 {
		return 0, 0, nil
	}
	var zero []byte
	if zeroBlock > 0 {
		if zeroBlock > pipeBufSize || pipeBufSize%zeroBlock != 0 {
			zeroBlock = 4096 // a block size no buffer divides: use the page size
		}
		zero = make([]byte, zeroBlock)
	}
	w := &pipeWriter{dst: dst, off: dstOff, zero: zero, ctl: ctl}

	if n <= pipeBufSize {
		// One buffer: nothing to overlap.
		bp := pipeBufPool.Get().(*[]byte)
		defer pipeBufPool.Put(bp)
		k, rerr := src.ReadAt((*bp)[:n], srcOff)
		if k > 0 {
			err = w.write((*bp)[:k])
		}
		if err == nil && rerr != nil && rerr != io.EOF {
			err = readErr(rerr)
		}
		return w.written, w.zeros, err
	}

	nbuf := int(min(int64(pipeBufs), (n+pipeBufSize-1)/pipeBufSize))
	free := make(chan *[]byte, nbuf)
	full := make(chan pipeChunk, nbuf)
	stop := make(chan struct{})
	for range nbuf {
		free <- pipeBufPool.Get().(*[]byte)
	}

	go func() {
		defer close(full)
		off, remain := srcOff, n
		for remain > 0 {
			var bp *[]byte
			select {
			case bp = <-free:
			case <-stop:
				return
			}
			select {
			case <-stop: // the writer failed while we waited: do not read on
				free <- bp
				return
			default:
			}
			k, err := src.ReadAt((*bp)[:min(remain, int64(len(*bp)))], off)
			off += int64(k)
			remain -= int64(k)
			// Never blocks: there are only nbuf buffers and full holds nbuf.
			full <- pipeChunk{buf: bp, n: k, err: err}
			if err != nil {
				return
			}
		}
	}()

	stopped := false
	for c := range full {
		if err == nil && c.n > 0 {
			err = w.write((*c.buf)[:c.n])
		}
		if err == nil && c.err != nil && c.err != io.EOF {
			err = readErr(c.err)
		}
		if err != nil && !stopped {
			close(stop) // the reader stops; drain what it already read
			stopped = true
		}
		free <- c.buf // never blocks, as above
	}
	close(free)
	for bp := range free {
		pipeBufPool.Put(bp)
	}
	return w.written, w.zeros, err
}

// pipeWriter writes consecutive buffers at off, leaving zero blocks unwritten.
type pipeWriter struct {
	dst     *os.File
	off     int64
	zero    []byte // nil: write everything
	ctl     *copyCtl
	written int64 // bytes done, including zero bytes not written
	zeros   int64
}

func (w *pipeWriter) write(p []byte) error {
	n := int64(len(p))
	if w.zero == nil {
		if err := w.writeAt(p, w.off); err != nil {
			return err
		}
	} else if err := w.writeSparse(p); err != nil {
		return err
	}
	w.off += n
	w.written += n
	return w.ctl.add(n)
}

// writeSparse writes p at w.off, skipping every whole block of zeros.
func (w *pipeWriter) writeSparse(p []byte) error {
	bs := int64(len(w.zero))
	start := int64(-1) // start in p of the run of data not yet written
	flush := func(end int64) error {
		if start < 0 {
			return nil
		}
		err := w.writeAt(p[start:end], w.off+start)
		start = -1
		return err
	}
	for i := int64(0); i < int64(len(p)); {
		// The block of dst holding w.off+i ends at the next multiple of bs.
		end := min(int64(len(p)), i+bs-(w.off+i)%bs)
		if end-i == bs && bytes.Equal(p[i:end], w.zero) {
			if err := flush(i); err != nil {
				return err
			}
			w.zeros += bs
		} else if start < 0 {
			start = i
		}
		i = end
	}
	return flush(int64(len(p)))
}

func (w *pipeWriter) writeAt(p []byte, off int64) error {
	if _, err := w.dst.WriteAt(p, off); err != nil {
		return syscallErrorOf("pwrite", err)
	}
	return nil
}

func readErr(err error) error { return syscallErrorOf("pread", err) }

// syscallErrorOf turns the *fs.PathError of an *os.File method into an
// *os.SyscallError naming the system call, for copyErr to rewrap with both
// paths.
func syscallErrorOf(call string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return os.NewSyscallError(call, err)
}
