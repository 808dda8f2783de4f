//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
		calls, after := misuseCases(t)
		for _, c := range calls {
			var err error
			mustPanicFree(t, c.name, func() { err = c.call() })
			if c.want == nil {
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			}
			wantErr(t, c.name, err, c.want)
			if c.want != extfs.ErrNotSupported && errors.Is(err, extfs.ErrNotSupported) {
				t.Errorf("%s: misuse reported as not supported: %v", c.name, err)
			}
		}
		after()
	})
}

// misuseCase is one row of TestMisuse.
type misuseCase struct {
	fn   string // the exported function or method called: "Name" or "Type.Method"
	name string
	want error // nil for a call with no error to return: it must only not panic
	call func() error
}

// misuseCases returns TestMisuse's table, on files in a new directory, and
// a check, to run after the calls, that they changed nothing.
func misuseCases(t *testing.T) ([]misuseCase, func()) {
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
	ctx := context.Background()
	var nilDir *extfs.Dir
	d, err := extfs.OpenDir(dir)
	noErr(t, "OpenDir", err)
	t.Cleanup(func() { d.Close() })
	closedDir, err := extfs.OpenDir(dir)
	noErr(t, "OpenDir", err)
	noErr(t, "close Dir", closedDir.Close())
	absent := join(dir, "absent")
	epoch := time.Unix(1, 0)
	// noPanic is a row for a call with no error to return; fail reports
	// a wrong result.
	noPanic := func(call func(fail func(format string, args ...any))) func() error {
		return func() error {
			var err error
			call(func(format string, args ...any) { err = fmt.Errorf(format, args...) })
			return err
		}
	}
	// nonEmpty fails a String method that returns "".
	nonEmpty := func(s string) func() error {
		return func() error {
			if s == "" {
				return errors.New("empty String")
			}
			return nil
		}
	}

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
	calls := []misuseCase{
		// Nil receivers.
		{"File.Statx", "nil File Statx", inv, func() error { return ignore(nilFile.Statx()) }},
		{"File.SetTimes", "nil File SetTimes", inv, func() error { return nilFile.SetTimes(time.Unix(1, 0), time.Time{}) }},
		{"File.Chmod", "nil File Chmod", inv, func() error { return nilFile.Chmod(0o600) }},
		{"File.Chown", "nil File Chown", inv, func() error { return nilFile.Chown(-1, -1) }},
		{"File.Fallocate", "nil File Fallocate", inv, func() error { return nilFile.Fallocate(0, 0, 4096) }},
		{"File.PunchHole", "nil File PunchHole", inv, func() error { return nilFile.PunchHole(0, 4096) }},
		{"File.ZeroRange", "nil File ZeroRange", inv, func() error { return nilFile.ZeroRange(0, 4096) }},
		{"File.GetXattr", "nil File GetXattr", inv, func() error { return ignore(nilFile.GetXattr("user.a")) }},
		{"File.SetXattr", "nil File SetXattr", inv, func() error { return nilFile.SetXattr("user.a", v, 0) }},
		{"File.ListXattr", "nil File ListXattr", inv, func() error { return ignore(nilFile.ListXattr()) }},
		{"File.RemoveXattr", "nil File RemoveXattr", inv, func() error { return nilFile.RemoveXattr("user.a") }},
		{"Batch.Submit", "nil Batch Submit", inv, func() error { return nilBatch.Submit(context.Background()) }},
		{"Batch.Len", "nil Batch Len", inv, func() error {
			if n := nilBatch.Len(); n != 0 {
				t.Errorf("nil Batch: Len %d", n)
			}
			return inv
		}},
		{"Batch.Statx", "nil Batch Statx", inv, onNil(func(b *extfs.Batch) pend { return b.Statx(path) })},
		{"Batch.Fallocate", "nil Batch Fallocate", inv, onNil(func(b *extfs.Batch) pend { return b.Fallocate(f, 0, 0, 4096) })},
		{"Batch.WriteAt", "nil Batch WriteAt", inv, onNil(func(b *extfs.Batch) pend { return b.WriteAt(f, v, 0) })},
		{"Batch.Mkdir", "nil Batch Mkdir", inv, onNil(func(b *extfs.Batch) pend { return b.Mkdir(name, 0o755) })},
		{"Batch.OpenFile", "nil Batch OpenFile", inv, onNil(func(b *extfs.Batch) pend {
			return b.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
		})},
		{"Pending.Result", "nil Pending Result", inv, func() error { return ignore(nilPending.Result()) }},
		{"Pending.Err", "nil Pending Err", inv, func() error { return nilPending.Err() }},
		{"Batch.Fstatx", "nil File in Batch", inv, batched(func(b *extfs.Batch) pend { return b.Fstatx(nilFile) })},

		// A nil context.
		{"Batch.Submit", "Submit(nil)", inv, func() error {
			b := extfs.NewBatch()
			b.Mkdir(name, 0o755)
			return b.Submit(nilCtx)
		}},
		{"Batch.Submit", "empty Batch Submit(nil)", inv, func() error { return extfs.NewBatch().Submit(nilCtx) }},

		// Negative and overflowing offsets.
		{"File.Fallocate", "Fallocate negative offset", inv, func() error { return f.Fallocate(0, -1, 4096) }},
		{"File.Fallocate", "Fallocate overflow", inv, func() error { return f.Fallocate(0, math.MaxInt64, 1) }},
		{"File.PunchHole", "PunchHole negative length", inv, func() error { return f.PunchHole(0, -1) }},
		{"File.ZeroRange", "ZeroRange MinInt64", inv, func() error { return f.ZeroRange(math.MinInt64, 1) }},
		{"Batch.Fallocate", "Batch Fallocate overflow", inv, batched(func(b *extfs.Batch) pend { return b.Fallocate(f, 0, 1, math.MaxInt64) })},
		{"Batch.Fadvise", "Batch Fadvise negative", inv, batched(func(b *extfs.Batch) pend { return b.Fadvise(f, -1, 0, extfs.AdviceNormal) })},
		{"Batch.ReadAt", "Batch ReadAt negative", inv, batched(func(b *extfs.Batch) pend { return b.ReadAt(f, make([]byte, 1), -1) })},
		{"Batch.WriteAt", "Batch WriteAt overflow", inv, batched(func(b *extfs.Batch) pend { return b.WriteAt(f, v, math.MaxInt64) })},

		// Closed files.
		{"File.Statx", "closed Statx", closedErr, func() error { return ignore(closed.Statx()) }},
		{"File.Chmod", "closed Chmod", closedErr, func() error { return closed.Chmod(0o600) }},
		{"File.Fallocate", "closed Fallocate", closedErr, func() error { return closed.Fallocate(0, 0, 4096) }},
		{"File.SetXattr", "closed SetXattr", closedErr, func() error { return closed.SetXattr("user.a", v, 0) }},
		{"File.ListXattr", "closed ListXattr", closedErr, func() error { return ignore(closed.ListXattr()) }},
		{"Batch.Fstatx", "closed Batch Fstatx", closedErr, batched(func(b *extfs.Batch) pend { return b.Fstatx(closed) })},
		{"Batch.WriteAt", "closed Batch WriteAt", closedErr, batched(func(b *extfs.Batch) pend { return b.WriteAt(closed, v, 0) })},

		// NUL bytes.
		{"Statx", "Statx NUL", inv, func() error { return ignore(extfs.Statx(nul)) }},
		{"Lstatx", "Lstatx NUL", inv, func() error { return ignore(extfs.Lstatx(nul)) }},
		{"SetXattr", "SetXattr NUL path", inv, func() error { return extfs.SetXattr(nul, "user.a", v, 0) }},
		{"LGetXattr", "LGetXattr NUL path", inv, func() error { return ignore(extfs.LGetXattr(nul, "user.a")) }},
		{"ListXattr", "ListXattr NUL path", inv, func() error { return ignore(extfs.ListXattr(nul)) }},
		{"RemoveXattr", "RemoveXattr NUL path", inv, func() error { return extfs.RemoveXattr(nul, "user.a") }},
		{"SetXattr", "SetXattr NUL name", inv, func() error { return extfs.SetXattr(path, "user.a\x00", v, 0) }},
		{"File.GetXattr", "File.GetXattr NUL name", inv, func() error { return ignore(f.GetXattr("user.\x00a")) }},
		{"Link", "Link NUL old", inv, func() error { return extfs.Link(nul, name) }},
		{"Link", "Link NUL new", inv, func() error { return extfs.Link(path, name+"\x00") }},
		{"Symlink", "Symlink NUL target", inv, func() error { return extfs.Symlink("f\x00", name) }},
		{"Symlink", "Symlink NUL name", inv, func() error { return extfs.Symlink("f", name+"\x00") }},
		{"Readlink", "Readlink NUL", inv, func() error { return ignore(extfs.Readlink(nul)) }},
		{"Batch.Statx", "Batch Statx NUL", inv, batched(func(b *extfs.Batch) pend { return b.Statx(nul) })},
		{"Batch.Lstatx", "Batch Lstatx NUL", inv, batched(func(b *extfs.Batch) pend { return b.Lstatx(nul) })},
		{"Batch.Link", "Batch Link NUL", inv, batched(func(b *extfs.Batch) pend { return b.Link(path, name+"\x00") })},
		{"Batch.Symlink", "Batch Symlink NUL", inv, batched(func(b *extfs.Batch) pend { return b.Symlink("f\x00", name) })},
		{"Batch.Readlink", "Batch Readlink NUL", inv, batched(func(b *extfs.Batch) pend { return b.Readlink(nul) })},
		{"Batch.Mkdir", "Batch Mkdir NUL", inv, batched(func(b *extfs.Batch) pend { return b.Mkdir(name+"\x00", 0o755) })},
		{"Batch.Remove", "Batch Remove NUL", inv, batched(func(b *extfs.Batch) pend { return b.Remove(nul) })},
		{"Batch.Rename", "Batch Rename NUL", inv, batched(func(b *extfs.Batch) pend { return b.Rename(nul, name) })},
		{"Batch.OpenFile", "Batch OpenFile NUL", inv, batched(func(b *extfs.Batch) pend {
			return b.OpenFile(name+"\x00", os.O_CREATE|os.O_RDWR, 0o644)
		})},
		{"Batch.SetXattr", "Batch SetXattr NUL name", inv, batched(func(b *extfs.Batch) pend { return b.SetXattr(f, "user.\x00", v, 0) })},

		// Empty names.
		{"SetXattr", "SetXattr empty name", inv, func() error { return extfs.SetXattr(path, "", v, 0) }},
		{"File.RemoveXattr", "File.RemoveXattr empty name", inv, func() error { return f.RemoveXattr("") }},
		{"Symlink", "Symlink empty target", inv, func() error { return extfs.Symlink("", name) }},
		{"Batch.Symlink", "Batch Symlink empty target", inv, batched(func(b *extfs.Batch) pend { return b.Symlink("", name) })},
		{"Batch.GetXattr", "Batch GetXattr empty name", inv, batched(func(b *extfs.Batch) pend { return b.GetXattr(f, "") })},
		{"Statx", "Statx empty path", missing, func() error { return ignore(extfs.Statx("")) }},
		{"Batch.Statx", "Batch Statx empty path", missing, batched(func(b *extfs.Batch) pend { return b.Statx("") })},
		{"Link", "Link empty old", missing, func() error { return extfs.Link("", name) }},
		{"Readlink", "Readlink empty", missing, func() error { return ignore(extfs.Readlink("")) }},

		// Every other exported function, on what a careless caller passes.
		{"Clone", "Clone missing src", missing, func() error { return extfs.Clone(absent, name) }},
		{"ProbePair", "ProbePair missing src", missing, func() error { return ignore(extfs.ProbePair(absent, name)) }},
		{"ProbePair", "ProbePair empty src", inv, func() error { return ignore(extfs.ProbePair("", name)) }},
		{"CopyFile", "CopyFile nil context", inv, func() error { return ignore(extfs.CopyFile(nilCtx, path, name, nil)) }},
		{"CopyTree", "CopyTree nil context", inv, func() error { return ignore(extfs.CopyTree(nilCtx, dir, name, nil)) }},
		{"CopyTree", "CopyTree NUL dst, nil options", inv, func() error { return ignore(extfs.CopyTree(ctx, dir, name+"\x00", nil)) }},
		{"CopyTree", "CopyTree NUL src", inv, func() error { return ignore(extfs.CopyTree(ctx, nul, name, nil)) }},
		{"Create", "Create empty", missing, func() error { return ignore(extfs.Create("")) }},
		{"Open", "Open empty", missing, func() error { return ignore(extfs.Open("")) }},
		{"OpenFile", "OpenFile empty", missing, func() error { return ignore(extfs.OpenFile("", os.O_CREATE|os.O_RDWR, 0o644)) }},
		{"OpenDir", "OpenDir NUL", inv, func() error { return ignore(extfs.OpenDir(nul)) }},
		{"OpenDir", "OpenDir empty", inv, func() error { return ignore(extfs.OpenDir("")) }},
		{"OpenDirRoot", "OpenDirRoot nil", inv, func() error { return ignore(extfs.OpenDirRoot(nil)) }},
		{"GetXattr", "GetXattr NUL path", inv, func() error { return ignore(extfs.GetXattr(nul, "user.a")) }},
		{"GetXattr", "GetXattr empty name", inv, func() error { return ignore(extfs.GetXattr(path, "")) }},
		{"LListXattr", "LListXattr NUL path", inv, func() error { return ignore(extfs.LListXattr(nul)) }},
		{"LRemoveXattr", "LRemoveXattr NUL path", inv, func() error { return extfs.LRemoveXattr(nul, "user.a") }},
		{"LRemoveXattr", "LRemoveXattr empty name", inv, func() error { return extfs.LRemoveXattr(path, "") }},
		{"LSetXattr", "LSetXattr NUL path", inv, func() error { return extfs.LSetXattr(nul, "user.a", v, 0) }},
		{"LSetXattr", "LSetXattr empty name", inv, func() error { return extfs.LSetXattr(path, "", v, 0) }},
		{"Probe", "Probe empty", inv, func() error { return ignore(extfs.Probe("")) }},
		{"Probe", "Probe NUL", inv, func() error { return ignore(extfs.Probe(nul)) }},
		{"ProbeTrial", "ProbeTrial empty", inv, func() error { return ignore(extfs.ProbeTrial("")) }},
		{"Clone", "Clone NUL src", inv, func() error { return extfs.Clone(nul, name) }},
		{"Dedupe", "Dedupe nil ctx", inv, func() error { return ignore(extfs.Dedupe(nilCtx, path, path)) }},
		{"Dedupe", "Dedupe NUL src", inv, func() error { return ignore(extfs.Dedupe(ctx, nul, path)) }},
		{"Dedupe", "Dedupe NUL dst", inv, func() error { return ignore(extfs.Dedupe(ctx, path, name+"\x00")) }},
		{"Dedupe", "Dedupe missing src", missing, func() error { return ignore(extfs.Dedupe(ctx, absent, path)) }},
		{"Clone", "Clone NUL dst", inv, func() error { return extfs.Clone(path, name+"\x00") }},
		{"CopyFile", "CopyFile NUL src", inv, func() error { return ignore(extfs.CopyFile(ctx, nul, name, &extfs.CopyOptions{})) }},
		{"CopyFile", "CopyFile NUL dst, nil options", inv, func() error { return ignore(extfs.CopyFile(ctx, path, name+"\x00", nil)) }},
		{"Method.UnmarshalText", "nil *Method UnmarshalText", inv, func() error { return (*extfs.Method)(nil).UnmarshalText([]byte("clone")) }},
		{"CopyStats.Add", "nil CopyStats Add", nil, func() error {
			(*extfs.CopyStats)(nil).Add(&extfs.CopyStats{Files: 1})
			(&extfs.CopyStats{}).Add(nil)
			return nil
		}},
		{"ProbePair", "ProbePair NUL src", inv, func() error { return ignore(extfs.ProbePair(nul, name)) }},
		{"Open", "Open NUL", inv, func() error { return ignore(extfs.Open(nul)) }},
		{"Create", "Create NUL", inv, func() error { return ignore(extfs.Create(name + "\x00")) }},
		{"OpenFile", "OpenFile NUL", inv, func() error { return ignore(extfs.OpenFile(name+"\x00", os.O_CREATE|os.O_RDWR, 0o644)) }},
		{"SetEngine", "SetEngine unknown", inv, func() error {
			before := extfs.CurrentEngine()
			_, err := extfs.SetEngine(extfs.Engine(99))
			if after := extfs.CurrentEngine(); after != before {
				t.Errorf("SetEngine(99) changed the engine from %v to %v", before, after)
			}
			return err
		}},
		{"CurrentEngine", "CurrentEngine", nil, nonEmpty(extfs.CurrentEngine().String())},
		{"Supports", "Supports unknown feature", nil, noPanic(func(fail func(string, ...any)) {
			for _, ft := range []extfs.Feature{0, -1, 1 << 30} {
				if extfs.Supports(ft) {
					fail("Supports(%d) = true", int(ft))
				}
			}
		})},
		{"Features", "Features", nil, noPanic(func(fail func(string, ...any)) {
			// Every constant, supported here or not: each has a name, and
			// Supports answers for it.
			for _, ft := range extfs.Features() {
				if strings.HasPrefix(ft.String(), "Feature(") {
					fail("Features lists %v, which has no name", ft)
				}
				extfs.Supports(ft)
			}
		})},
		{"RingOps", "RingOps", nil, noPanic(func(func(string, ...any)) { extfs.RingOps() })},
		{"NewFile", "NewFile(nil)", inv, func() error { return ignore(extfs.NewFile(nil).Statx()) }},
		{"NewBatch", "NewBatch Len", nil, noPanic(func(fail func(string, ...any)) {
			if n := extfs.NewBatch().Len(); n != 0 {
				fail("new Batch: Len %d", n)
			}
		})},

		// Methods of the value types, on values no constant names.
		{"Advice.String", "Advice(-1).String", nil, nonEmpty(extfs.Advice(-1).String())},
		{"AllocMode.String", "AllocMode(1<<31).String", nil, nonEmpty(extfs.AllocMode(1 << 31).String())},
		{"CoWMode.String", "CoWMode(-1).String", nil, nonEmpty(extfs.CoWMode(-1).String())},
		{"ExistingMode.String", "ExistingMode(-1).String", nil, nonEmpty(extfs.ExistingMode(-1).String())},
		{"SymlinkMode.String", "SymlinkMode(9).String", nil, nonEmpty(extfs.SymlinkMode(9).String())},
		{"CopyFile", "CopyFile unknown ExistingMode", inv, func() error { return ignore(extfs.CopyFile(ctx, path, name, &extfs.CopyOptions{Existing: 9})) }},
		{"CopyTree", "CopyTree unknown SymlinkMode", inv, func() error { return ignore(extfs.CopyTree(ctx, dir, name, &extfs.CopyOptions{Symlinks: -1})) }},
		{"Engine.String", "Engine(-1).String", nil, nonEmpty(extfs.Engine(-1).String())},
		{"Feature.String", "Feature(-1).String", nil, nonEmpty(extfs.Feature(-1).String())},
		{"Method.String", "Method(-1).String", nil, nonEmpty(extfs.Method(-1).String())},
		{"SparseMode.String", "SparseMode(-1).String", nil, nonEmpty(extfs.SparseMode(-1).String())},
		{"Method.MarshalText", "Method(-1).MarshalText", inv, func() error { return ignore(extfs.Method(-1).MarshalText()) }},
		{"Method.UnmarshalText", "UnmarshalText unknown name", inv, func() error {
			var m extfs.Method
			return m.UnmarshalText([]byte("bogus"))
		}},
		{"Method.UnmarshalText", "UnmarshalText nil", inv, func() error {
			var m extfs.Method
			return m.UnmarshalText(nil)
		}},
		{"Answer.String", "Answer(200).String", nil, nonEmpty(extfs.Answer(200).String())},
		{"Answer.MarshalText", "Answer(200).MarshalText", inv, func() error { return ignore(extfs.Answer(200).MarshalText()) }},
		{"Answer.UnmarshalText", "Answer UnmarshalText unknown name", inv, func() error {
			var a extfs.Answer
			return a.UnmarshalText([]byte("maybe"))
		}},
		{"Answer.UnmarshalText", "nil *Answer UnmarshalText", inv, func() error { return (*extfs.Answer)(nil).UnmarshalText([]byte("yes")) }},
		{"ForgetProbes", "ForgetProbes twice", nil, noPanic(func(fail func(string, ...any)) {
			extfs.ForgetProbes()
			extfs.ForgetProbes()
		})},
		{"CopyStats.Add", "CopyStats.Add zero values", nil, noPanic(func(fail func(string, ...any)) {
			var s extfs.CopyStats
			s.Add(&extfs.CopyStats{})
			if s.Files != 0 || s.Bytes != 0 {
				fail("zero Add gave %+v", s)
			}
		})},

		// File methods not above.
		{"File.Close", "nil File Close", inv, func() error { return nilFile.Close() }},
		{"File.Name", "nil File Name", nil, noPanic(func(fail func(string, ...any)) {
			if n := nilFile.Name(); n != "" {
				fail("nil File: Name %q", n)
			}
		})},
		{"File.OSFile", "nil File OSFile", nil, noPanic(func(fail func(string, ...any)) {
			if nilFile.OSFile() != nil {
				fail("nil File: OSFile not nil")
			}
		})},
		{"File.Read", "nil File Read", inv, func() error { return ignore(nilFile.Read(make([]byte, 1))) }},
		{"File.ReadAt", "nil File ReadAt", inv, func() error { return ignore(nilFile.ReadAt(make([]byte, 1), 0)) }},
		{"File.Write", "nil File Write", inv, func() error { return ignore(nilFile.Write(v)) }},
		{"File.WriteAt", "nil File WriteAt", inv, func() error { return ignore(nilFile.WriteAt(v, 0)) }},
		{"File.Seek", "nil File Seek", inv, func() error { return ignore(nilFile.Seek(0, 0)) }},
		{"File.Sync", "nil File Sync", inv, func() error { return nilFile.Sync() }},
		{"File.Datasync", "nil File Datasync", inv, func() error { return nilFile.Datasync() }},
		{"File.Fadvise", "nil File Fadvise", inv, func() error { return nilFile.Fadvise(0, 0, extfs.AdviceNormal) }},
		{"File.CopyRange", "nil File CopyRange", inv, func() error { return ignore(nilFile.CopyRange(f, 0, 0, 1)) }},
		{"File.CloneRange", "nil File CloneRange", inv, func() error { return nilFile.CloneRange(f, 0, 0, 4096) }},
		{"File.DedupeRange", "nil File DedupeRange", inv, func() error { return ignore(nilFile.DedupeRange(f, 0, 0, 4096)) }},
		{"File.DedupeRange", "DedupeRange nil src", inv, func() error { return ignore(f.DedupeRange(nil, 0, 0, 4096)) }},
		{"File.DedupeRange", "DedupeRange negative length", inv, func() error { return ignore(f.DedupeRange(f, 0, 0, -1)) }},
		{"File.DedupeRange", "closed DedupeRange", closedErr, func() error { return ignore(closed.DedupeRange(f, 0, 0, 4096)) }},
		{"File.ReadFrom", "nil File ReadFrom", inv, func() error { return ignore(nilFile.ReadFrom(strings.NewReader("x"))) }},
		{"File.WriteTo", "nil File WriteTo", inv, func() error { return ignore(nilFile.WriteTo(io.Discard)) }},
		{"File.CopyRange", "CopyRange nil dst", inv, func() error { return ignore(f.CopyRange(nil, 0, 0, 1)) }},
		{"File.CloneRange", "CloneRange nil dst", inv, func() error { return f.CloneRange(nil, 0, 0, 4096) }},
		{"File.Close", "closed Close", closedErr, func() error { return closed.Close() }},
		{"File.Read", "closed Read", closedErr, func() error { return ignore(closed.Read(make([]byte, 1))) }},
		{"File.ReadAt", "closed ReadAt", closedErr, func() error { return ignore(closed.ReadAt(make([]byte, 1), 0)) }},
		{"File.ReadAt", "ReadAt negative offset", inv, func() error { return ignore(f.ReadAt(make([]byte, 1), -1)) }},
		{"File.WriteAt", "WriteAt negative offset", inv, func() error { return ignore(f.WriteAt(v, -1)) }},
		{"File.Seek", "Seek unknown whence", inv, func() error { return ignore(f.Seek(0, 7)) }},
		{"File.Seek", "Seek before the start", inv, func() error { return ignore(f.Seek(-1, io.SeekStart)) }},
		{"File.Write", "closed Write", closedErr, func() error { return ignore(closed.Write(v)) }},
		{"File.WriteAt", "closed WriteAt", closedErr, func() error { return ignore(closed.WriteAt(v, 0)) }},
		{"File.Seek", "closed Seek", closedErr, func() error { return ignore(closed.Seek(0, 0)) }},
		{"File.Sync", "closed Sync", closedErr, func() error { return closed.Sync() }},
		{"File.Datasync", "closed Datasync", closedErr, func() error { return closed.Datasync() }},
		{"File.Fadvise", "closed Fadvise", closedErr, func() error { return closed.Fadvise(0, 0, extfs.AdviceNormal) }},
		{"File.CopyRange", "closed CopyRange src", closedErr, func() error { return ignore(closed.CopyRange(f, 0, 0, 1)) }},
		{"File.CopyRange", "closed CopyRange dst", closedErr, func() error { return ignore(f.CopyRange(closed, 0, 0, 1)) }},
		{"File.CloneRange", "closed CloneRange src", closedErr, func() error { return closed.CloneRange(f, 0, 0, 4096) }},
		{"File.ReadFrom", "closed ReadFrom", closedErr, func() error { return ignore(closed.ReadFrom(strings.NewReader("x"))) }},
		{"File.WriteTo", "closed WriteTo", closedErr, func() error { return ignore(closed.WriteTo(io.Discard)) }},
		{"File.Chown", "closed Chown", closedErr, func() error { return closed.Chown(-1, -1) }},
		{"File.SetTimes", "closed SetTimes", closedErr, func() error { return closed.SetTimes(epoch, epoch) }},
		{"File.PunchHole", "closed PunchHole", closedErr, func() error { return closed.PunchHole(0, 4096) }},
		{"File.ZeroRange", "closed ZeroRange", closedErr, func() error { return closed.ZeroRange(0, 4096) }},
		{"File.GetXattr", "closed GetXattr", closedErr, func() error { return ignore(closed.GetXattr("user.a")) }},
		{"File.RemoveXattr", "closed RemoveXattr", closedErr, func() error { return closed.RemoveXattr("user.a") }},
		{"File.Fadvise", "Fadvise negative", inv, func() error { return f.Fadvise(-1, 0, extfs.AdviceNormal) }},
		{"File.Fadvise", "Fadvise unknown advice", inv, func() error { return f.Fadvise(0, 0, extfs.Advice(99)) }},
		{"File.CopyRange", "CopyRange negative src offset", inv, func() error { return ignore(f.CopyRange(f, -1, 0, 1)) }},
		{"File.CopyRange", "CopyRange overflow", inv, func() error { return ignore(f.CopyRange(f, 0, math.MaxInt64, 2)) }},
		{"File.CloneRange", "CloneRange negative length", inv, func() error { return f.CloneRange(f, 0, 4096, -1) }},
		{"File.Fallocate", "Fallocate unknown mode", inv, func() error { return f.Fallocate(extfs.AllocMode(1<<31), 0, 4096) }},
		{"File.Chmod", "Chmod bits other than permissions", inv, func() error { return f.Chmod(fs.ModeDir | 0o600) }},

		// Batch methods not above.
		{"Batch.Chmod", "nil Batch Chmod", inv, onNil(func(b *extfs.Batch) pend { return b.Chmod(f, 0o600) })},
		{"Batch.Chown", "nil Batch Chown", inv, onNil(func(b *extfs.Batch) pend { return b.Chown(f, -1, -1) })},
		{"Batch.Fadvise", "nil Batch Fadvise", inv, onNil(func(b *extfs.Batch) pend { return b.Fadvise(f, 0, 0, extfs.AdviceNormal) })},
		{"Batch.Fstatx", "nil Batch Fstatx", inv, onNil(func(b *extfs.Batch) pend { return b.Fstatx(f) })},
		{"Batch.GetXattr", "nil Batch GetXattr", inv, onNil(func(b *extfs.Batch) pend { return b.GetXattr(f, "user.a") })},
		{"Batch.Link", "nil Batch Link", inv, onNil(func(b *extfs.Batch) pend { return b.Link(path, name) })},
		{"Batch.ListXattr", "nil Batch ListXattr", inv, onNil(func(b *extfs.Batch) pend { return b.ListXattr(f) })},
		{"Batch.Lstatx", "nil Batch Lstatx", inv, onNil(func(b *extfs.Batch) pend { return b.Lstatx(path) })},
		{"Batch.PunchHole", "nil Batch PunchHole", inv, onNil(func(b *extfs.Batch) pend { return b.PunchHole(f, 0, 4096) })},
		{"Batch.ReadAt", "nil Batch ReadAt", inv, onNil(func(b *extfs.Batch) pend { return b.ReadAt(f, make([]byte, 1), 0) })},
		{"Batch.Readlink", "nil Batch Readlink", inv, onNil(func(b *extfs.Batch) pend { return b.Readlink(path) })},
		{"Batch.Remove", "nil Batch Remove", inv, onNil(func(b *extfs.Batch) pend { return b.Remove(path) })},
		{"Batch.RemoveXattr", "nil Batch RemoveXattr", inv, onNil(func(b *extfs.Batch) pend { return b.RemoveXattr(f, "user.a") })},
		{"Batch.Rename", "nil Batch Rename", inv, onNil(func(b *extfs.Batch) pend { return b.Rename(path, name) })},
		{"Batch.SetTimes", "nil Batch SetTimes", inv, onNil(func(b *extfs.Batch) pend { return b.SetTimes(f, epoch, epoch) })},
		{"Batch.SetXattr", "nil Batch SetXattr", inv, onNil(func(b *extfs.Batch) pend { return b.SetXattr(f, "user.a", v, 0) })},
		{"Batch.Symlink", "nil Batch Symlink", inv, onNil(func(b *extfs.Batch) pend { return b.Symlink("f", name) })},
		{"Batch.Sync", "nil Batch Sync", inv, onNil(func(b *extfs.Batch) pend { return b.Sync(f) })},
		{"Batch.Chmod", "Batch Chmod nil File", inv, batched(func(b *extfs.Batch) pend { return b.Chmod(nilFile, 0o600) })},
		{"Batch.Chmod", "Batch Chmod bits other than permissions", inv, batched(func(b *extfs.Batch) pend { return b.Chmod(f, fs.ModeDir|0o600) })},
		{"Batch.Chown", "Batch Chown closed File", closedErr, batched(func(b *extfs.Batch) pend { return b.Chown(closed, -1, -1) })},
		{"Batch.Sync", "Batch Sync closed File", closedErr, batched(func(b *extfs.Batch) pend { return b.Sync(closed) })},
		{"Batch.Sync", "Batch Sync nil File", inv, batched(func(b *extfs.Batch) pend { return b.Sync(nilFile) })},
		{"Batch.SetTimes", "Batch SetTimes nil File", inv, batched(func(b *extfs.Batch) pend { return b.SetTimes(nilFile, epoch, epoch) })},
		{"Batch.ListXattr", "Batch ListXattr closed File", closedErr, batched(func(b *extfs.Batch) pend { return b.ListXattr(closed) })},
		{"Batch.RemoveXattr", "Batch RemoveXattr empty name", inv, batched(func(b *extfs.Batch) pend { return b.RemoveXattr(f, "") })},
		{"Batch.PunchHole", "Batch PunchHole negative", inv, batched(func(b *extfs.Batch) pend { return b.PunchHole(f, -1, 4096) })},
		{"Batch.ReadAt", "Batch ReadAt nil File", inv, batched(func(b *extfs.Batch) pend { return b.ReadAt(nilFile, make([]byte, 1), 0) })},
		{"Batch.Submit", "Submit twice", extfs.ErrBatchSubmitted, func() error {
			b := extfs.NewBatch()
			noErr(t, "Submit", b.Submit(ctx))
			return b.Submit(ctx)
		}},
		{"Pending.Result", "Result before Submit", extfs.ErrNotSubmitted, func() error {
			return ignore(extfs.NewBatch().Statx(path).Result())
		}},
		{"Pending.Err", "Err before Submit", extfs.ErrNotSubmitted, func() error { return extfs.NewBatch().Statx(path).Err() }},

		// Dir methods.
		{"Dir.Chmod", "nil Dir Chmod", inv, func() error { return nilDir.Chmod("f", 0o600) }},
		{"Dir.Close", "nil Dir Close", inv, func() error { return nilDir.Close() }},
		{"Dir.LSetTimes", "nil Dir LSetTimes", inv, func() error { return nilDir.LSetTimes("f", epoch, epoch) }},
		{"Dir.Lchown", "nil Dir Lchown", inv, func() error { return nilDir.Lchown("f", -1, -1) }},
		{"Dir.Link", "nil Dir Link", inv, func() error { return nilDir.Link("f", nil, "new") }},
		{"Dir.Lstatx", "nil Dir Lstatx", inv, func() error { return ignore(nilDir.Lstatx("f")) }},
		{"Dir.Mkdir", "nil Dir Mkdir", inv, func() error { return nilDir.Mkdir("new", 0o755) }},
		{"Dir.Mkfifo", "nil Dir Mkfifo", inv, func() error { return nilDir.Mkfifo("new", 0o644) }},
		{"Dir.Mknod", "nil Dir Mknod", inv, func() error { return nilDir.Mknod("new", fs.ModeNamedPipe|0o644, 0) }},
		{"Dir.Name", "nil Dir Name", nil, noPanic(func(fail func(string, ...any)) {
			if n := nilDir.Name(); n != "" {
				fail("nil Dir: Name %q", n)
			}
		})},
		{"Dir.OpenDir", "nil Dir OpenDir", inv, func() error { return ignore(nilDir.OpenDir(".")) }},
		{"Dir.OpenFile", "nil Dir OpenFile", inv, func() error { return ignore(nilDir.OpenFile("f", os.O_RDONLY, 0)) }},
		{"Dir.Readlink", "nil Dir Readlink", inv, func() error { return ignore(nilDir.Readlink("f")) }},
		{"Dir.Remove", "nil Dir Remove", inv, func() error { return nilDir.Remove("f") }},
		{"Dir.Rename", "nil Dir Rename", inv, func() error { return nilDir.Rename("f", nil, "new") }},
		{"Dir.SetTimes", "nil Dir SetTimes", inv, func() error { return nilDir.SetTimes("f", epoch, epoch) }},
		{"Dir.Statx", "nil Dir Statx", inv, func() error { return ignore(nilDir.Statx("f")) }},
		{"Dir.Symlink", "nil Dir Symlink", inv, func() error { return nilDir.Symlink("f", "new") }},
		{"Dir.Stat", "nil Dir Stat", inv, func() error { return ignore(nilDir.Stat("f")) }},
		{"Dir.Lstat", "nil Dir Lstat", inv, func() error { return ignore(nilDir.Lstat("f")) }},
		{"Dir.ReadDir", "nil Dir ReadDir", inv, func() error { return ignore(nilDir.ReadDir(".")) }},
		{"Dir.ReadFile", "nil Dir ReadFile", inv, func() error { return ignore(nilDir.ReadFile("f")) }},
		{"Dir.WriteFile", "nil Dir WriteFile", inv, func() error { return nilDir.WriteFile("f", nil, 0o644) }},
		{"Dir.MkdirAll", "nil Dir MkdirAll", inv, func() error { return nilDir.MkdirAll("a/b", 0o755) }},
		{"Dir.RemoveAll", "nil Dir RemoveAll", inv, func() error { return nilDir.RemoveAll("a") }},
		{"Dir.FS", "nil Dir FS Open", inv, func() error { return ignore(nilDir.FS().Open("f")) }},
		{"Dir.ReadFile", "closed Dir ReadFile", closedErr, func() error { return ignore(closedDir.ReadFile("f")) }},
		{"Dir.WriteFile", "closed Dir WriteFile", closedErr, func() error { return closedDir.WriteFile("f", nil, 0o644) }},
		{"Dir.RemoveAll", "closed Dir RemoveAll", closedErr, func() error { return closedDir.RemoveAll("a") }},
		{"Dir.MkdirAll", "closed Dir MkdirAll", closedErr, func() error { return closedDir.MkdirAll("a/b", 0o755) }},
		{"Dir.Close", "closed Dir Close", closedErr, func() error { return closedDir.Close() }},
		{"Dir.Statx", "closed Dir Statx", closedErr, func() error { return ignore(closedDir.Statx("f")) }},
		{"Dir.Mkdir", "closed Dir Mkdir", closedErr, func() error { return closedDir.Mkdir("new", 0o755) }},
		{"Dir.OpenFile", "closed Dir OpenFile", closedErr, func() error { return ignore(closedDir.OpenFile("new", os.O_CREATE|os.O_RDWR, 0o644)) }},
		{"Dir.Rename", "Rename into closed Dir", closedErr, func() error { return d.Rename("f", closedDir, "new") }},
		{"Dir.Link", "Link into closed Dir", closedErr, func() error { return d.Link("f", closedDir, "new") }},
		{"Dir.Chmod", "Dir Chmod NUL", inv, func() error { return d.Chmod("f\x00", 0o600) }},
		{"Dir.Chmod", "Dir Chmod bits other than permissions", inv, func() error { return d.Chmod("f", fs.ModeDir|0o600) }},
		{"Dir.LSetTimes", "Dir LSetTimes NUL", inv, func() error { return d.LSetTimes("f\x00", epoch, epoch) }},
		{"Dir.Lchown", "Dir Lchown NUL", inv, func() error { return d.Lchown("f\x00", -1, -1) }},
		{"Dir.Link", "Dir Link NUL", inv, func() error { return d.Link("f", nil, "new\x00") }},
		{"Dir.Lstatx", "Dir Lstatx NUL", inv, func() error { return ignore(d.Lstatx("f\x00")) }},
		{"Dir.Mkdir", "Dir Mkdir NUL", inv, func() error { return d.Mkdir("new\x00", 0o755) }},
		{"Dir.Mkdir", "Dir Mkdir empty", inv, func() error { return d.Mkdir("", 0o755) }},
		{"Dir.Mkfifo", "Dir Mkfifo NUL", inv, func() error { return d.Mkfifo("new\x00", 0o644) }},
		{"Dir.Mknod", "Dir Mknod NUL", inv, func() error { return d.Mknod("new\x00", fs.ModeNamedPipe|0o644, 0) }},
		{"Dir.OpenDir", "Dir OpenDir NUL", inv, func() error { return ignore(d.OpenDir("x\x00")) }},
		{"Dir.OpenFile", "Dir OpenFile NUL", inv, func() error { return ignore(d.OpenFile("new\x00", os.O_CREATE|os.O_RDWR, 0o644)) }},
		{"Dir.Readlink", "Dir Readlink NUL", inv, func() error { return ignore(d.Readlink("f\x00")) }},
		{"Dir.Remove", "Dir Remove NUL", inv, func() error { return d.Remove("f\x00") }},
		{"Dir.Remove", "Dir Remove empty", inv, func() error { return d.Remove("") }},
		{"Dir.Rename", "Dir Rename NUL", inv, func() error { return d.Rename("f\x00", nil, "new") }},
		{"Dir.SetTimes", "Dir SetTimes NUL", inv, func() error { return d.SetTimes("f\x00", epoch, epoch) }},
		{"Dir.Statx", "Dir Statx NUL", inv, func() error { return ignore(d.Statx("f\x00")) }},
		{"Dir.Symlink", "Dir Symlink NUL name", inv, func() error { return d.Symlink("f", "new\x00") }},
		{"Dir.Symlink", "Dir Symlink empty target", inv, func() error { return d.Symlink("", "new") }},

		// What tmpfs cannot do.
		{"File.Fallocate", "Fallocate collapse on tmpfs", unsupported, func() error { return f.Fallocate(extfs.AllocCollapseRange, 0, 4096) }},
		{"Batch.Fallocate", "Batch Fallocate insert on tmpfs", unsupported, batched(func(b *extfs.Batch) pend {
			return b.Fallocate(f, extfs.AllocInsertRange, 0, 4096)
		})},
	}
	return calls, func() {
		if got := readAll(t, path); string(got) != string(data) {
			t.Errorf("misuse changed the file: %q", got)
		}
		if names, _ := xattr.List(path); len(userNames(names)) != 0 {
			t.Errorf("misuse set xattrs %v", names)
		}
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("misuse created %s (%v)", name, err)
		}
	}
}

// TestMisuseCoversEveryExported fails when an exported function or method
// of the package (as built here) has no row in TestMisuse's table, or a row
// names one that does not exist.
func TestMisuseCoversEveryExported(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	noErr(t, "ImportDir", err)
	exported := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range pkg.GoFiles {
		file, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, parser.SkipObjectResolution)
		noErr(t, "parse "+name, err)
		for _, decl := range file.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() {
				continue
			}
			if fd.Recv == nil {
				exported[fd.Name.Name] = true
				continue
			}
			typ := fd.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			switch g := typ.(type) {
			case *ast.IndexExpr:
				typ = g.X
			case *ast.IndexListExpr:
				typ = g.X
			}
			if id, ok := typ.(*ast.Ident); ok && id.IsExported() {
				exported[id.Name+"."+fd.Name.Name] = true
			}
		}
	}
	if len(exported) == 0 {
		t.Fatal("found no exported functions")
	}
	calls, _ := misuseCases(t)
	covered := map[string]bool{}
	for _, c := range calls {
		covered[c.fn] = true
	}
	var missingRows, stale []string
	for fn := range exported {
		if !covered[fn] {
			missingRows = append(missingRows, fn)
		}
	}
	for fn := range covered {
		if !exported[fn] {
			stale = append(stale, fn)
		}
	}
	sort.Strings(missingRows)
	sort.Strings(stale)
	if len(missingRows) > 0 {
		t.Errorf("no TestMisuse row calls %s", strings.Join(missingRows, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("TestMisuse rows name %s, which the package does not export", strings.Join(stale, ", "))
	}
	t.Logf("%d exported functions and methods, each with a row", len(exported))
}
