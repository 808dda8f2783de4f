//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"github.com/pkg/xattr"
)

// TestMisuse calls the Batch, Pending, Stat, xattr, Fallocate, Chmod, Chown
// and link calls with what a careless caller passes: nil receivers, a nil
// context, negative and overflowing offsets, closed files, NUL bytes and
// empty names. Each must return an error of the class the table says, on
// every engine, and none may panic or touch the files.
//
// An empty path is the one exception to fs.ErrInvalid: as in package os it
// names no file, fs.ErrNotExist (ENOENT from the kernel).
func TestMisuse(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := testfs.Get(t, testfs.Tmpfs).TempDir(t)
		data := []byte("data")
		f, path := newFile(t, dir, "f", data)
		closed, _ := newFile(t, dir, "closed", nil)
		noErr(t, "close", closed.Close())
		var (
			nilFile    *extfs.File
			nilBatch   *extfs.Batch
			nilPending *extfs.Pending[*extfs.Stat]
			nilCtx     context.Context
		)
		nul := join(dir, "f\x00x")
		name := join(dir, "new")
		v := []byte("v")

		type pend interface{ Err() error }
		// batched queues one op on a new Batch, submits it and returns the
		// op's error, after checking that Submit returned the same.
		batched := func(queue func(b *extfs.Batch) pend) func() error {
			return func() error {
				b := extfs.NewBatch()
				p := queue(b)
				err := b.Submit(context.Background())
				if perr := p.Err(); (err == nil) != (perr == nil) || err != nil && err.Error() != perr.Error() {
					t.Errorf("Submit returned %v, the op %v", err, perr)
				}
				return p.Err()
			}
		}
		// onNil queues one op on a nil Batch.
		onNil := func(queue func(b *extfs.Batch) pend) func() error {
			return func() error { return queue(nilBatch).Err() }
		}
		ignore := func(_ any, err error) error { return err }

		inv, closedErr, unsupported, missing := fs.ErrInvalid, fs.ErrClosed, extfs.ErrNotSupported, fs.ErrNotExist
		calls := []struct {
			name string
			want error
			call func() error
		}{
			// Nil receivers.
			{"nil File Statx", inv, func() error { return ignore(nilFile.Statx()) }},
			{"nil File SetTimes", inv, func() error { return nilFile.SetTimes(time.Unix(1, 0), time.Time{}) }},
			{"nil File Chmod", inv, func() error { return nilFile.Chmod(0o600) }},
			{"nil File Chown", inv, func() error { return nilFile.Chown(-1, -1) }},
			{"nil File Fallocate", inv, func() error { return nilFile.Fallocate(0, 0, 4096) }},
			{"nil File PunchHole", inv, func() error { return nilFile.PunchHole(0, 4096) }},
			{"nil File ZeroRange", inv, func() error { return nilFile.ZeroRange(0, 4096) }},
			{"nil File GetXattr", inv, func() error { return ignore(nilFile.GetXattr("user.a")) }},
			{"nil File SetXattr", inv, func() error { return nilFile.SetXattr("user.a", v, 0) }},
			{"nil File ListXattr", inv, func() error { return ignore(nilFile.ListXattr()) }},
			{"nil File RemoveXattr", inv, func() error { return nilFile.RemoveXattr("user.a") }},
			{"nil Batch Submit", inv, func() error { return nilBatch.Submit(context.Background()) }},
			{"nil Batch Len", inv, func() error {
				if n := nilBatch.Len(); n != 0 {
					t.Errorf("nil Batch: Len %d", n)
				}
				return inv
			}},
			{"nil Batch Statx", inv, onNil(func(b *extfs.Batch) pend { return b.Statx(path) })},
			{"nil Batch Fallocate", inv, onNil(func(b *extfs.Batch) pend { return b.Fallocate(f, 0, 0, 4096) })},
			{"nil Batch WriteAt", inv, onNil(func(b *extfs.Batch) pend { return b.WriteAt(f, v, 0) })},
			{"nil Batch Mkdir", inv, onNil(func(b *extfs.Batch) pend { return b.Mkdir(name, 0o755) })},
			{"nil Batch OpenFile", inv, onNil(func(b *extfs.Batch) pend {
				return b.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
			})},
			{"nil Pending Result", inv, func() error { return ignore(nilPending.Result()) }},
			{"nil Pending Err", inv, func() error { return nilPending.Err() }},
			{"nil File in Batch", inv, batched(func(b *extfs.Batch) pend { return b.Fstatx(nilFile) })},

			// A nil context.
			{"Submit(nil)", inv, func() error {
				b := extfs.NewBatch()
				b.Mkdir(name, 0o755)
				return b.Submit(nilCtx)
			}},
			{"empty Batch Submit(nil)", inv, func() error { return extfs.NewBatch().Submit(nilCtx) }},

			// Negative and overflowing offsets.
			{"Fallocate negative offset", inv, func() error { return f.Fallocate(0, -1, 4096) }},
			{"Fallocate overflow", inv, func() error { return f.Fallocate(0, math.MaxInt64, 1) }},
			{"PunchHole negative length", inv, func() error { return f.PunchHole(0, -1) }},
			{"ZeroRange MinInt64", inv, func() error { return f.ZeroRange(math.MinInt64, 1) }},
			{"Batch Fallocate overflow", inv, batched(func(b *extfs.Batch) pend { return b.Fallocate(f, 0, 1, math.MaxInt64) })},
			{"Batch Fadvise negative", inv, batched(func(b *extfs.Batch) pend { return b.Fadvise(f, -1, 0, extfs.AdviceNormal) })},
			{"Batch ReadAt negative", inv, batched(func(b *extfs.Batch) pend { return b.ReadAt(f, make([]byte, 1), -1) })},
			{"Batch WriteAt overflow", inv, batched(func(b *extfs.Batch) pend { return b.WriteAt(f, v, math.MaxInt64) })},

			// Closed files.
			{"closed Statx", closedErr, func() error { return ignore(closed.Statx()) }},
			{"closed Chmod", closedErr, func() error { return closed.Chmod(0o600) }},
			{"closed Fallocate", closedErr, func() error { return closed.Fallocate(0, 0, 4096) }},
			{"closed SetXattr", closedErr, func() error { return closed.SetXattr("user.a", v, 0) }},
			{"closed ListXattr", closedErr, func() error { return ignore(closed.ListXattr()) }},
			{"closed Batch Fstatx", closedErr, batched(func(b *extfs.Batch) pend { return b.Fstatx(closed) })},
			{"closed Batch WriteAt", closedErr, batched(func(b *extfs.Batch) pend { return b.WriteAt(closed, v, 0) })},

			// NUL bytes.
			{"Statx NUL", inv, func() error { return ignore(extfs.Statx(nul)) }},
			{"Lstatx NUL", inv, func() error { return ignore(extfs.Lstatx(nul)) }},
			{"SetXattr NUL path", inv, func() error { return extfs.SetXattr(nul, "user.a", v, 0) }},
			{"LGetXattr NUL path", inv, func() error { return ignore(extfs.LGetXattr(nul, "user.a")) }},
			{"ListXattr NUL path", inv, func() error { return ignore(extfs.ListXattr(nul)) }},
			{"RemoveXattr NUL path", inv, func() error { return extfs.RemoveXattr(nul, "user.a") }},
			{"SetXattr NUL name", inv, func() error { return extfs.SetXattr(path, "user.a\x00", v, 0) }},
			{"File.GetXattr NUL name", inv, func() error { return ignore(f.GetXattr("user.\x00a")) }},
			{"Link NUL old", inv, func() error { return extfs.Link(nul, name) }},
			{"Link NUL new", inv, func() error { return extfs.Link(path, name+"\x00") }},
			{"Symlink NUL target", inv, func() error { return extfs.Symlink("f\x00", name) }},
			{"Symlink NUL name", inv, func() error { return extfs.Symlink("f", name+"\x00") }},
			{"Readlink NUL", inv, func() error { return ignore(extfs.Readlink(nul)) }},
			{"Batch Statx NUL", inv, batched(func(b *extfs.Batch) pend { return b.Statx(nul) })},
			{"Batch Lstatx NUL", inv, batched(func(b *extfs.Batch) pend { return b.Lstatx(nul) })},
			{"Batch Link NUL", inv, batched(func(b *extfs.Batch) pend { return b.Link(path, name+"\x00") })},
			{"Batch Symlink NUL", inv, batched(func(b *extfs.Batch) pend { return b.Symlink("f\x00", name) })},
			{"Batch Readlink NUL", inv, batched(func(b *extfs.Batch) pend { return b.Readlink(nul) })},
			{"Batch Mkdir NUL", inv, batched(func(b *extfs.Batch) pend { return b.Mkdir(name+"\x00", 0o755) })},
			{"Batch Remove NUL", inv, batched(func(b *extfs.Batch) pend { return b.Remove(nul) })},
			{"Batch Rename NUL", inv, batched(func(b *extfs.Batch) pend { return b.Rename(nul, name) })},
			{"Batch OpenFile NUL", inv, batched(func(b *extfs.Batch) pend {
				return b.OpenFile(name+"\x00", os.O_CREATE|os.O_RDWR, 0o644)
			})},
			{"Batch SetXattr NUL name", inv, batched(func(b *extfs.Batch) pend { return b.SetXattr(f, "user.\x00", v, 0) })},

			// Empty names.
			{"SetXattr empty name", inv, func() error { return extfs.SetXattr(path, "", v, 0) }},
			{"File.RemoveXattr empty name", inv, func() error { return f.RemoveXattr("") }},
			{"Symlink empty target", inv, func() error { return extfs.Symlink("", name) }},
			{"Batch Symlink empty target", inv, batched(func(b *extfs.Batch) pend { return b.Symlink("", name) })},
			{"Batch GetXattr empty name", inv, batched(func(b *extfs.Batch) pend { return b.GetXattr(f, "") })},
			{"Statx empty path", missing, func() error { return ignore(extfs.Statx("")) }},
			{"Batch Statx empty path", missing, batched(func(b *extfs.Batch) pend { return b.Statx("") })},
			{"Link empty old", missing, func() error { return extfs.Link("", name) }},
			{"Readlink empty", missing, func() error { return ignore(extfs.Readlink("")) }},

			// What tmpfs cannot do.
			{"Fallocate collapse on tmpfs", unsupported, func() error { return f.Fallocate(extfs.AllocCollapseRange, 0, 4096) }},
			{"Batch Fallocate insert on tmpfs", unsupported, batched(func(b *extfs.Batch) pend {
				return b.Fallocate(f, extfs.AllocInsertRange, 0, 4096)
			})},
		}
		for _, c := range calls {
			var err error
			mustPanicFree(t, c.name, func() { err = c.call() })
			wantErr(t, c.name, err, c.want)
			if c.want != unsupported && errors.Is(err, extfs.ErrNotSupported) {
				t.Errorf("%s: misuse reported as not supported: %v", c.name, err)
			}
		}

		if got := readAll(t, path); string(got) != string(data) {
			t.Errorf("misuse changed the file: %q", got)
		}
		if names, _ := xattr.List(path); len(userNames(names)) != 0 {
			t.Errorf("misuse set xattrs %v", names)
		}
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("misuse created %s (%v)", name, err)
		}
	})
}
