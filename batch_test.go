//go:build linux

package extfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

// TestBatchMixed queues 256 operations of 19 kinds, each on its own
// fixture so that they are independent, submits them at once and checks every
// result and every effect independently (unix, os, pkg/xattr).
func TestBatchMixed(t *testing.T) {
	const n = 256
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		b := extfs.NewBatch()
		var checks []func(t *testing.T)
		name := func(kind string, i int) string { return join(dir, fmt.Sprintf("%s-%03d", kind, i)) }
		file := func(kind string, i int, data []byte) (*extfs.File, string) {
			p := name(kind, i)
			writeSynced(t, p, data)
			return openFile(t, p, os.O_RDWR), p
		}
		kinds := 19
		for i := 0; i < n; i++ {
			val := randBytes(1+(i*37)%700, uint64(i)) // some exceed the first 256-byte buffer guess
			switch i % kinds {
			case 0: // statx, lstatx, fstatx in turn
				data := randBytes(i+1, uint64(i))
				f, p := file("stat", i, data)
				link := p + ".l"
				noErr(t, "symlink", os.Symlink(p, link))
				var pend *extfs.Pending[*extfs.Stat]
				var want unix.Stat_t
				switch (i / kinds) % 3 {
				case 0:
					pend, want = b.Statx(link), stat(t, p)
				case 1:
					pend, want = b.Lstatx(link), lstat(t, link)
				case 2:
					pend, want = b.Fstatx(f), stat(t, p)
				}
				checks = append(checks, func(t *testing.T) {
					st, err := pend.Result()
					if err != nil {
						t.Errorf("statx %d: %v", i, err)
						return
					}
					if st.Ino != want.Ino || st.Size != want.Size || st.Nlink != uint64(want.Nlink) || uint32(st.Mode.Perm()) != want.Mode&0o777 {
						t.Errorf("statx %d: got ino %d size %d nlink %d mode %v, want ino %d size %d nlink %d mode %o",
							i, st.Ino, st.Size, st.Nlink, st.Mode, want.Ino, want.Size, want.Nlink, want.Mode)
					}
					if isLink := st.Mode&fs.ModeSymlink != 0; isLink != ((i/kinds)%3 == 1) {
						t.Errorf("statx %d: mode %v, symlink=%v", i, st.Mode, isLink)
					}
				})
			case 1: // fsetxattr
				f, p := file("setx", i, nil)
				pend := b.SetXattr(f, "user.batch", val, 0)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("SetXattr ", i), pend.Err())
					if got, err := xattr.Get(p, "user.batch"); err != nil || !bytes.Equal(got, val) {
						t.Errorf("SetXattr %d: pkg/xattr reads %d bytes (%v), want %d", i, len(got), err, len(val))
					}
				})
			case 2: // fgetxattr
				f, p := file("getx", i, nil)
				setXattrIndependently(t, p, "user.pre", val)
				pend := b.GetXattr(f, "user.pre")
				checks = append(checks, func(t *testing.T) {
					got, err := pend.Result()
					if err != nil || !bytes.Equal(got, val) {
						t.Errorf("GetXattr %d: %d bytes (%v), want %d", i, len(got), err, len(val))
					}
				})
			case 3: // fallocate
				f, p := file("falloc", i, nil)
				size := int64(64<<10) * int64(1+i%4)
				pend := b.Fallocate(f, 0, 0, size)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Fallocate ", i), pend.Err())
					if st := stat(t, p); st.Size != size || st.Blocks < size/512 {
						t.Errorf("Fallocate %d: size %d blocks %d, want %d and >= %d", i, st.Size, st.Blocks, size, size/512)
					}
				})
			case 4: // fadvise
				f, p := file("fadvise", i, val)
				pend := b.Fadvise(f, 0, 0, allAdvice[i%len(allAdvice)])
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Fadvise ", i), pend.Err())
					if got := readAll(t, p); !bytes.Equal(got, val) {
						t.Errorf("Fadvise %d changed the content", i)
					}
				})
			case 5: // link
				_, p := file("linksrc", i, val)
				dst := name("linkdst", i)
				pend := b.Link(p, dst)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Link ", i), pend.Err())
					s, d := stat(t, p), lstat(t, dst)
					if s.Ino != d.Ino || d.Nlink != 2 {
						t.Errorf("Link %d: ino %d vs %d, nlink %d", i, s.Ino, d.Ino, d.Nlink)
					}
				})
			case 6: // symlink
				target := fmt.Sprintf("target-%d-%s", i, strings.Repeat("x", i))
				l := name("symlink", i)
				pend := b.Symlink(target, l)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Symlink ", i), pend.Err())
					if got, err := os.Readlink(l); err != nil || got != target {
						t.Errorf("Symlink %d: os.Readlink = %q, %v; want %q", i, got, err, target)
					}
				})
			case 7: // readlink
				target := fmt.Sprintf("rl-%d-%s", i, strings.Repeat("y", 2*i)) // up to ~500 bytes
				l := name("readlink", i)
				noErr(t, "symlink", os.Symlink(target, l))
				pend := b.Readlink(l)
				checks = append(checks, func(t *testing.T) {
					got, err := pend.Result()
					if err != nil || got != target {
						t.Errorf("Readlink %d = %q, %v; want %q", i, got, err, target)
					}
				})
			case 8: // mkdir
				d := name("mkdir", i)
				pend := b.Mkdir(d, 0o700)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Mkdir ", i), pend.Err())
					if st := lstat(t, d); st.Mode != unix.S_IFDIR|0o700 {
						t.Errorf("Mkdir %d: mode %o", i, st.Mode)
					}
				})
			case 9: // remove: a file, or an empty directory
				r := name("remove", i)
				if (i/kinds)%2 == 0 {
					writeSynced(t, r, val)
				} else {
					noErr(t, "mkdir", os.Mkdir(r, 0o755))
				}
				pend := b.Remove(r)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Remove ", i), pend.Err())
					if _, err := os.Lstat(r); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("Remove %d: still there (%v)", i, err)
					}
				})
			case 10: // rename
				_, a := file("rename-a", i, val)
				ino := stat(t, a).Ino
				dst := name("rename-b", i)
				pend := b.Rename(a, dst)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Rename ", i), pend.Err())
					if _, err := os.Lstat(a); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("Rename %d: source still there (%v)", i, err)
					}
					if st := stat(t, dst); st.Ino != ino {
						t.Errorf("Rename %d: destination ino %d, want %d", i, st.Ino, ino)
					}
				})
			case 11: // openfile
				p := name("open", i)
				pend := b.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
				checks = append(checks, func(t *testing.T) {
					f, err := pend.Result()
					if err != nil || f == nil {
						t.Errorf("OpenFile %d: %v, %v", i, f, err)
						return
					}
					defer f.Close()
					if f.Name() != p {
						t.Errorf("OpenFile %d: Name %q, want %q", i, f.Name(), p)
					}
					if _, err := f.OSFile().Write(val); err != nil {
						t.Errorf("OpenFile %d: write: %v", i, err)
					}
					if got := readAll(t, p); !bytes.Equal(got, val) {
						t.Errorf("OpenFile %d: the file does not hold what was written through it", i)
					}
					if st := stat(t, p); st.Mode != unix.S_IFREG|0o600 {
						t.Errorf("OpenFile %d: mode %o", i, st.Mode)
					}
				})
			case 12: // chmod
				f, p := file("chmod", i, nil)
				mode := fs.FileMode(0o640)
				if i%2 == 0 {
					mode |= fs.ModeSetgid
				}
				pend := b.Chmod(f, mode)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Chmod ", i), pend.Err())
					want := uint32(unix.S_IFREG | 0o640)
					if i%2 == 0 {
						want |= unix.S_ISGID
					}
					if st := stat(t, p); st.Mode != want {
						t.Errorf("Chmod %d: mode %o, want %o", i, st.Mode, want)
					}
				})
			case 13: // settimes
				f, p := file("times", i, nil)
				at, mt := time.Unix(1_000_000_000+int64(i), int64(i)), time.Unix(1_100_000_000+int64(i), int64(2*i+1))
				pend := b.SetTimes(f, at, mt)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("SetTimes ", i), pend.Err())
					st := stat(t, p)
					if got := time.Unix(st.Atim.Unix()); !got.Equal(at) {
						t.Errorf("SetTimes %d: atime %v, want %v", i, got, at)
					}
					if got := time.Unix(st.Mtim.Unix()); !got.Equal(mt) {
						t.Errorf("SetTimes %d: mtime %v, want %v", i, got, mt)
					}
				})
			case 14: // sync
				f, p := file("sync", i, nil)
				if _, err := f.OSFile().Write(val); err != nil {
					t.Fatal(err)
				}
				pend := b.Sync(f)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("Sync ", i), pend.Err())
					if got := readAll(t, p); !bytes.Equal(got, val) {
						t.Errorf("Sync %d: content", i)
					}
				})
			case 15: // chown
				f, p := file("chown", i, nil)
				pend := b.Chown(f, 1000+i, 2000+i)
				checks = append(checks, func(t *testing.T) {
					if os.Geteuid() != 0 {
						wantErr(t, "Chown as non-root", pend.Err(), fs.ErrPermission)
						return
					}
					noErr(t, fmt.Sprint("Chown ", i), pend.Err())
					if st := stat(t, p); st.Uid != uint32(1000+i) || st.Gid != uint32(2000+i) {
						t.Errorf("Chown %d: %d:%d", i, st.Uid, st.Gid)
					}
				})
			case 16: // removexattr
				f, p := file("rmx", i, nil)
				setXattrIndependently(t, p, "user.gone", val)
				setXattrIndependently(t, p, "user.kept", val)
				pend := b.RemoveXattr(f, "user.gone")
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("RemoveXattr ", i), pend.Err())
					if _, err := xattr.Get(p, "user.gone"); !errors.Is(err, xattr.ENOATTR) {
						t.Errorf("RemoveXattr %d: user.gone: %v", i, err)
					}
					if got, err := xattr.Get(p, "user.kept"); err != nil || !bytes.Equal(got, val) {
						t.Errorf("RemoveXattr %d removed the wrong attribute (%v)", i, err)
					}
				})
			case 17: // listxattr
				f, p := file("listx", i, nil)
				want := map[string]bool{}
				for k := 0; k < 1+i%40; k++ { // up to 40 names: more than 256 bytes of list
					nm := fmt.Sprintf("user.attribute-%02d", k)
					setXattrIndependently(t, p, nm, []byte{byte(k)})
					want[nm] = true
				}
				pend := b.ListXattr(f)
				checks = append(checks, func(t *testing.T) {
					names, err := pend.Result()
					noErr(t, fmt.Sprint("ListXattr ", i), err)
					indep, _ := xattr.List(p)
					if !sameSet(names, indep) || len(userNames(names)) != len(want) {
						t.Errorf("ListXattr %d = %v; pkg/xattr lists %v", i, names, indep)
					}
				})
			case 18: // punch hole
				f, p := file("punch", i, randBytes(64<<10, uint64(i)))
				before := stat(t, p).Blocks
				pend := b.PunchHole(f, 16<<10, 32<<10)
				checks = append(checks, func(t *testing.T) {
					noErr(t, fmt.Sprint("PunchHole ", i), pend.Err())
					got := readAll(t, p)
					if len(got) != 64<<10 || !bytes.Equal(got[16<<10:48<<10], zeros(32<<10)) {
						t.Errorf("PunchHole %d: range not zero", i)
					}
					if st := stat(t, p); before-st.Blocks < (32<<10)/512 {
						t.Errorf("PunchHole %d: blocks %d -> %d", i, before, st.Blocks)
					}
				})
			}
		}
		if b.Len() != n {
			t.Fatalf("Len() = %d, want %d", b.Len(), n)
		}
		ringBefore := ringCompletions(t)
		if err := b.Submit(context.Background()); err != nil {
			t.Errorf("Submit: %v", err)
		}
		if d := ringCompletions(t) - ringBefore; extfs.CurrentEngine() == extfs.EngineRing && d < n/2 {
			t.Errorf("EngineRing: the batch posted only %d io_uring completions", d)
		} else if extfs.CurrentEngine() == extfs.EngineSyscall && d != 0 {
			t.Errorf("EngineSyscall: the batch posted %d io_uring completions", d)
		}
		for _, c := range checks {
			c(t)
		}
	})
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

func TestBatchPendingBeforeSubmit(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		writeSynced(t, join(dir, "f"), []byte("abc"))
		b := extfs.NewBatch()
		st := b.Statx(join(dir, "f"))
		mk := b.Mkdir(join(dir, "d"), 0o755)
		if v, err := st.Result(); err == nil || v != nil {
			t.Errorf("Result before Submit = %v, %v; want nil and an error", v, err)
		}
		if mk.Err() == nil {
			t.Error("Err before Submit = nil")
		}
		if _, err := os.Lstat(join(dir, "d")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("queuing Mkdir ran it")
		}
		noErr(t, "Submit", b.Submit(context.Background()))
		if v, err := st.Result(); err != nil || v == nil || v.Size != 3 {
			t.Errorf("Result after Submit = %v, %v", v, err)
		}
		noErr(t, "Mkdir", mk.Err())
	})
}

func TestBatchSubmitTwice(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		b := extfs.NewBatch()
		mk := b.Mkdir(join(dir, "d"), 0o755)
		noErr(t, "first Submit", b.Submit(context.Background()))
		noErr(t, "Mkdir", mk.Err())
		noErr(t, "rmdir", os.Remove(join(dir, "d")))
		if err := b.Submit(context.Background()); err == nil {
			t.Error("second Submit returned nil")
		}
		if _, err := os.Lstat(join(dir, "d")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("second Submit ran the Mkdir again")
		}
		if mk.Err() != nil {
			t.Errorf("second Submit changed the first result: %v", mk.Err())
		}
	})
}

func TestBatchEmpty(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		b := extfs.NewBatch()
		if b.Len() != 0 {
			t.Errorf("Len = %d", b.Len())
		}
		noErr(t, "Submit of an empty batch", b.Submit(context.Background()))
	})
}

// TestBatchClosedFile: a closed File fails only its own operations, with
// fs.ErrClosed; the others run.
func TestBatchClosedFile(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		open, po := newFile(t, dir, "open", nil)
		closed, pc := newFile(t, dir, "closed", nil)
		noErr(t, "close", closed.Close())

		b := extfs.NewBatch()
		c1 := b.SetXattr(closed, "user.a", []byte("v"), 0)
		o1 := b.SetXattr(open, "user.a", []byte("v"), 0)
		c2 := b.Fallocate(closed, 0, 0, 1<<20)
		o2 := b.Fallocate(open, 0, 0, 1<<20)
		c3 := b.Fstatx(closed)
		mk := b.Mkdir(join(dir, "d"), 0o755)
		c4 := b.Chmod(closed, 0o600)
		o3 := b.Chmod(open, 0o600)

		err := b.Submit(context.Background())
		wantErr(t, "Submit", err, fs.ErrClosed)
		for i, p := range []interface{ Err() error }{c1, c2, c3, c4} {
			wantPathErr(t, p.Err(), []string{"fsetxattr", "fallocate", "statx", "chmod"}[i], pc, fs.ErrClosed)
		}
		if st, _ := c3.Result(); st != nil {
			t.Errorf("Fstatx of a closed file returned %+v", st)
		}
		for _, p := range []interface{ Err() error }{o1, o2, o3, mk} {
			noErr(t, "op on an open file", p.Err())
		}
		if v, err := xattr.Get(po, "user.a"); err != nil || string(v) != "v" {
			t.Errorf("open file: user.a = %q, %v", v, err)
		}
		if st := stat(t, po); st.Size != 1<<20 || st.Mode&0o777 != 0o600 {
			t.Errorf("open file: size %d mode %o", st.Size, st.Mode)
		}
		if _, err := xattr.Get(pc, "user.a"); err == nil {
			t.Error("closed file got user.a")
		}
		if st := stat(t, pc); st.Size != 0 || st.Mode&0o777 != 0o644 {
			t.Errorf("closed file changed: size %d mode %o", st.Size, st.Mode)
		}
		if _, err := os.Stat(join(dir, "d")); err != nil {
			t.Errorf("Mkdir did not run: %v", err)
		}
	})
}

// TestBatchNilFile: a nil *File is refused with fs.ErrInvalid; it must not be
// taken for a path operation and run on descriptor 0.
func TestBatchNilFile(t *testing.T) {
	// Should the bug come back, it must hit a scratch file, not the test's
	// stdin (often /dev/null, which a Chmod would break for the whole system).
	decoy := join(t.TempDir(), "decoy")
	writeSynced(t, decoy, []byte("decoy"))
	noErr(t, "chmod", os.Chmod(decoy, 0o644))
	saved, err := unix.Dup(0)
	noErr(t, "dup stdin", err)
	df, err := os.OpenFile(decoy, os.O_RDWR, 0)
	noErr(t, "open decoy", err)
	noErr(t, "dup3 decoy onto 0", unix.Dup3(int(df.Fd()), 0, 0))
	df.Close()
	t.Cleanup(func() {
		unix.Dup3(saved, 0, 0)
		unix.Close(saved)
	})
	before := stat(t, decoy)

	eachEngine(t, func(t *testing.T) {
		var nilFile *extfs.File
		b := extfs.NewBatch()
		type pend interface{ Err() error }
		stx := b.Fstatx(nilFile)
		ops := []pend{
			stx,
			b.Fadvise(nilFile, 0, 0, extfs.AdviceNormal),
			b.Fallocate(nilFile, 0, 0, 4096),
			b.PunchHole(nilFile, 0, 4096),
			b.Sync(nilFile),
			b.GetXattr(nilFile, "user.a"),
			b.SetXattr(nilFile, "user.a", nil, 0),
			b.RemoveXattr(nilFile, "user.a"),
			b.ListXattr(nilFile),
			b.SetTimes(nilFile, time.Unix(1, 0), time.Time{}),
			b.Chmod(nilFile, 0o600),
			b.Chown(nilFile, -1, -1),
		}
		var err error
		mustPanicFree(t, "Submit", func() { err = b.Submit(context.Background()) })
		wantErr(t, "Submit", err, fs.ErrInvalid)
		for i, p := range ops {
			wantErr(t, fmt.Sprint("op ", i, " on a nil File"), p.Err(), fs.ErrInvalid)
		}
		if st, _ := stx.Result(); st != nil {
			t.Errorf("Fstatx(nil) described a file: mode %v ino %d (descriptor 0?)", st.Mode, st.Ino)
		}
		after := stat(t, decoy)
		if after.Mode != before.Mode || after.Size != before.Size || after.Atim != before.Atim || after.Mtim != before.Mtim {
			t.Errorf("ops on a nil File changed descriptor 0's file: mode %o size %d", after.Mode, after.Size)
		}
		if names, _ := xattr.List(decoy); len(userNames(names)) != 0 {
			t.Errorf("ops on a nil File set xattrs %v on descriptor 0's file", names)
		}
	})
}

// TestBatchErrorOrder: Submit returns the first error in the order the
// operations were added, whether validation or the kernel found it.
func TestBatchErrorOrder(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		f, _ := newFile(t, dir, "f", nil)

		b := extfs.NewBatch()
		ok0 := b.Mkdir(join(dir, "a"), 0o755)
		bad1 := b.Fallocate(f, 0, -1, 10)
		enoent2 := b.Readlink(join(dir, "missing"))
		bad3 := b.SetXattr(f, "", nil, 0)
		ok4 := b.Mkdir(join(dir, "b"), 0o755)
		err := b.Submit(context.Background())
		wantErr(t, "Submit", err, fs.ErrInvalid)
		if err == nil || bad1.Err() == nil || err.Error() != bad1.Err().Error() {
			t.Errorf("Submit = %v, want the 2nd op's error %v", err, bad1.Err())
		}
		noErr(t, "op 0", ok0.Err())
		noErr(t, "op 4", ok4.Err())
		wantErr(t, "op 1", bad1.Err(), fs.ErrInvalid)
		wantPathErr(t, enoent2.Err(), "readlink", join(dir, "missing"), fs.ErrNotExist)
		wantErr(t, "op 3", bad3.Err(), fs.ErrInvalid)
		if !strings.Contains(bad3.Err().Error(), "empty xattr name") {
			t.Errorf("op 3 error %q", bad3.Err())
		}

		// A kernel error before a validation error comes first.
		b = extfs.NewBatch()
		e0 := b.Readlink(join(dir, "missing"))
		b.Fadvise(f, 0, 0, extfs.Advice(99))
		err = b.Submit(context.Background())
		wantErr(t, "Submit", err, fs.ErrNotExist)
		if err == nil || e0.Err() == nil || err.Error() != e0.Err().Error() {
			t.Errorf("Submit = %v, want the first op's error %v", err, e0.Err())
		}
	})
}

// TestBatchCancelledBefore: with a context already cancelled, nothing runs:
// every valid op reports context.Canceled and no effect happens; invalid ops
// keep their validation error.
func TestBatchCancelledBefore(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		f, p := newFile(t, dir, "f", []byte("data"))
		writeSynced(t, join(dir, "gone"), nil)
		writeSynced(t, join(dir, "old"), nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		b := extfs.NewBatch()
		type pend interface{ Err() error }
		open := b.OpenFile(join(dir, "new"), os.O_CREATE|os.O_RDWR, 0o644)
		ops := []pend{
			b.Mkdir(join(dir, "d"), 0o755),
			b.SetXattr(f, "user.a", []byte("v"), 0),
			b.Fallocate(f, 0, 0, 1<<20),
			b.Link(p, join(dir, "hard")),
			b.Symlink("t", join(dir, "sym")),
			b.Remove(join(dir, "gone")),
			b.Rename(join(dir, "old"), join(dir, "renamed")),
			b.Chmod(f, 0o600),
			b.SetTimes(f, time.Unix(1, 0), time.Unix(1, 0)),
			b.Fstatx(f),
			open,
		}
		bad := b.Fallocate(f, 0, -1, 1)
		err := b.Submit(ctx)
		wantErr(t, "Submit", err, context.Canceled)
		for i, o := range ops {
			wantErr(t, fmt.Sprint("op ", i), o.Err(), context.Canceled)
		}
		wantErr(t, "invalid op", bad.Err(), fs.ErrInvalid)
		if nf, _ := open.Result(); nf != nil {
			nf.Close()
			t.Error("cancelled OpenFile returned a File")
		}
		for _, gone := range []string{"d", "hard", "sym", "renamed", "new"} {
			if _, err := os.Lstat(join(dir, gone)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("cancelled batch created %s", gone)
			}
		}
		for _, kept := range []string{"gone", "old"} {
			if _, err := os.Lstat(join(dir, kept)); err != nil {
				t.Errorf("cancelled batch removed %s: %v", kept, err)
			}
		}
		st := stat(t, p)
		if st.Size != 4 || st.Mode&0o777 != 0o644 || st.Mtim.Sec == 1 {
			t.Errorf("cancelled batch changed the file: size %d mode %o mtime %d", st.Size, st.Mode, st.Mtim.Sec)
		}
		if _, err := xattr.Get(p, "user.a"); err == nil {
			t.Error("cancelled batch set user.a")
		}
	})
}

// TestBatchCancelledDuring cancels a batch while it is blocked: its first
// operations open FIFOs for reading, which block until a writer appears (with
// O_CREAT, io_uring too runs them blocking, on its workers). More of them
// than there are workers keep the rest of the batch queued. After the cancel,
// writers release the FIFOs. Every op must then report either success with
// its effect done, or context.Canceled with no effect.
func TestBatchCancelledDuring(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		nFIFO := 2*max(runtime.NumCPU(), runtime.GOMAXPROCS(0)) + 4
		const nDirs = 64
		b := extfs.NewBatch()
		var fifos []*extfs.Pending[*extfs.File]
		for i := 0; i < nFIFO; i++ {
			p := join(dir, fmt.Sprint("fifo-", i))
			noErr(t, "mkfifo", unix.Mkfifo(p, 0o644))
			fifos = append(fifos, b.OpenFile(p, os.O_RDONLY|os.O_CREATE, 0o644))
		}
		var dirs []*extfs.Pending[struct{}]
		for i := 0; i < nDirs; i++ {
			dirs = append(dirs, b.Mkdir(join(dir, fmt.Sprint("d-", i)), 0o755))
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- b.Submit(ctx) }()
		select {
		case err := <-done:
			t.Fatalf("Submit returned %v while every FIFO open must block", err)
		case <-time.After(100 * time.Millisecond):
		}
		cancel()
		// Give the ring's ASYNC_CANCEL time to reach the blocked opens first.
		time.Sleep(100 * time.Millisecond)
		// Writers release the FIFO opens that are still blocked (O_RDWR never blocks).
		var writers []*os.File
		for i := 0; i < nFIFO; i++ {
			w, err := os.OpenFile(join(dir, fmt.Sprint("fifo-", i)), os.O_RDWR, 0)
			noErr(t, "open FIFO writer", err)
			writers = append(writers, w)
		}
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Submit did not return 10 s after the cancel and the writers")
		}
		for _, w := range writers {
			w.Close()
		}

		cancelled := 0
		for i, p := range fifos {
			f, ferr := p.Result()
			switch {
			case ferr == nil && f != nil:
				f.Close()
			case errors.Is(ferr, context.Canceled) && f == nil:
				cancelled++
			default:
				t.Errorf("FIFO open %d: %v, %v; want a File or context.Canceled", i, f, ferr)
			}
		}
		for i, p := range dirs {
			_, serr := os.Lstat(join(dir, fmt.Sprint("d-", i)))
			switch derr := p.Err(); {
			case derr == nil:
				if serr != nil {
					t.Errorf("Mkdir %d reported success, but: %v", i, serr)
				}
			case errors.Is(derr, context.Canceled):
				cancelled++
				if serr == nil {
					t.Errorf("Mkdir %d reported %v, but the directory exists", i, derr)
				}
			default:
				t.Errorf("Mkdir %d: %v", i, derr)
			}
		}
		if cancelled == 0 {
			t.Errorf("no operation reported context.Canceled")
		} else {
			wantErr(t, "Submit", err, context.Canceled)
		}
		t.Logf("%d of %d operations cancelled", cancelled, nFIFO+nDirs)
	})
}

// Errors of the path operations of a batch name both paths.
func TestBatchLinkErrors(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()
		writeSynced(t, join(dir, "a"), nil)
		writeSynced(t, join(dir, "b"), nil)
		b := extfs.NewBatch()
		l := b.Link(join(dir, "a"), join(dir, "b"))
		s := b.Symlink("x", join(dir, "a"))
		r := b.Rename(join(dir, "missing"), join(dir, "c"))
		b.Submit(context.Background())
		for _, c := range []struct {
			p        interface{ Err() error }
			op, o, n string
			target   error
		}{
			{l, "link", join(dir, "a"), join(dir, "b"), fs.ErrExist},
			{s, "symlink", "x", join(dir, "a"), fs.ErrExist},
			{r, "rename", join(dir, "missing"), join(dir, "c"), fs.ErrNotExist},
		} {
			err := c.p.Err()
			wantErr(t, c.op, err, c.target)
			var le *os.LinkError
			if !errors.As(err, &le) || le.Op != c.op || le.Old != c.o || le.New != c.n {
				t.Errorf("%s: %#v, want *os.LinkError{%s %s %s}", c.op, err, c.op, c.o, c.n)
			}
		}
		_ = syscall.EEXIST
	})
}

// TestBatchLargeSplit: a batch big enough to be shared among several
// goroutines keeps every op's own result and returns the first error in the
// order the ops were added, wherever the shares are cut.
func TestBatchLargeSplit(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		f, _ := newFile(t, dir, "f", nil)
		const n = 200
		b := extfs.NewBatch()
		sets := make([]*extfs.Pending[struct{}], n)
		stats := make([]*extfs.Pending[*extfs.Stat], n)
		for i := range n {
			name := fmt.Sprintf("user.k%03d", i)
			if i == 150 {
				name = "" // a validation error late in the batch
			}
			sets[i] = b.SetXattr(f, name, []byte(fmt.Sprint(i)), 0)
			path := join(dir, "f")
			if i == 120 {
				path = join(dir, "missing") // a kernel error before it
			}
			stats[i] = b.Statx(path)
		}
		err := b.Submit(context.Background())
		wantPathErr(t, err, "statx", join(dir, "missing"), fs.ErrNotExist)
		for i := range n {
			switch i {
			case 150:
				wantErr(t, "SetXattr 150", sets[i].Err(), fs.ErrInvalid)
			default:
				noErr(t, fmt.Sprint("SetXattr ", i), sets[i].Err())
			}
			st, serr := stats[i].Result()
			switch {
			case i == 120:
				wantErr(t, "Statx 120", serr, fs.ErrNotExist)
			case serr != nil:
				t.Errorf("Statx %d: %v", i, serr)
			case !st.Mode.IsRegular():
				t.Errorf("Statx %d: mode %v", i, st.Mode)
			}
		}
		for i := range n {
			if i == 150 {
				continue
			}
			v, err := xattr.Get(join(dir, "f"), fmt.Sprintf("user.k%03d", i))
			if err != nil || string(v) != fmt.Sprint(i) {
				t.Errorf("user.k%03d = %q, %v; want %q", i, v, err, fmt.Sprint(i))
			}
		}
	}, testfs.XFS)
}

// TestBatchNilMisuse: a nil context, a nil *Batch and a nil *Pending are
// refused with errors matching fs.ErrInvalid, never with a panic.
func TestBatchNilMisuse(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		dir := t.TempDir()

		// Submit(nil) runs nothing and leaves the batch to be submitted.
		b := extfs.NewBatch()
		mk := b.Mkdir(join(dir, "d"), 0o755)
		var err error
		mustPanicFree(t, "Submit(nil)", func() { err = b.Submit(nil) }) //nolint:staticcheck // the misuse under test
		wantErr(t, "Submit(nil)", err, fs.ErrInvalid)
		if _, err := os.Lstat(join(dir, "d")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("Submit(nil) ran the Mkdir")
		}
		noErr(t, "Submit after Submit(nil)", b.Submit(context.Background()))
		noErr(t, "Mkdir", mk.Err())

		// Every method of a nil *Batch returns a Pending holding the error.
		var nb *extfs.Batch
		f, path := newFile(t, dir, "f", []byte("data"))
		type pend interface{ Err() error }
		var ops []pend
		mustPanicFree(t, "methods of a nil Batch", func() {
			ops = []pend{
				nb.Fadvise(f, 0, 0, extfs.AdviceNormal),
				nb.Fallocate(f, 0, 0, 4096),
				nb.PunchHole(f, 0, 4096),
				nb.Sync(f),
				nb.ReadAt(f, make([]byte, 4), 0),
				nb.WriteAt(f, []byte("x"), 0),
				nb.GetXattr(f, "user.a"),
				nb.SetXattr(f, "user.a", []byte("v"), 0),
				nb.RemoveXattr(f, "user.a"),
				nb.ListXattr(f),
				nb.Fstatx(f),
				nb.Statx(path),
				nb.Lstatx(path),
				nb.SetTimes(f, time.Unix(1, 0), time.Time{}),
				nb.Chmod(f, 0o600),
				nb.Chown(f, -1, -1),
				nb.Link(path, join(dir, "l")),
				nb.Symlink("f", join(dir, "s")),
				nb.Readlink(path),
				nb.Mkdir(join(dir, "m"), 0o755),
				nb.Remove(path),
				nb.Rename(path, join(dir, "r")),
				nb.OpenFile(join(dir, "o"), os.O_CREATE|os.O_RDWR, 0o644),
			}
		})
		for i, p := range ops {
			var err error
			mustPanicFree(t, fmt.Sprint("Err of nil-Batch op ", i), func() { err = p.Err() })
			wantErr(t, fmt.Sprint("nil-Batch op ", i), err, fs.ErrInvalid)
		}
		mustPanicFree(t, "Len and Submit of a nil Batch", func() {
			if n := nb.Len(); n != 0 {
				t.Errorf("nil Batch: Len = %d", n)
			}
			wantErr(t, "nil Batch: Submit", nb.Submit(context.Background()), fs.ErrInvalid)
		})
		for _, name := range []string{"l", "s", "m", "r", "o"} {
			if _, err := os.Lstat(join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("an op of a nil Batch created %s", name)
			}
		}
		if got := readAll(t, path); string(got) != "data" {
			t.Errorf("an op of a nil Batch changed the file: %q", got)
		}

		// A nil *Pending.
		var np *extfs.Pending[int]
		mustPanicFree(t, "nil Pending", func() {
			v, err := np.Result()
			if v != 0 {
				t.Errorf("nil Pending: Result value %d", v)
			}
			wantErr(t, "nil Pending: Result", err, fs.ErrInvalid)
			wantErr(t, "nil Pending: Err", np.Err(), fs.ErrInvalid)
		})
	})
}

// TestBatchStateErrors: Submit twice and Result before Submit are errors
// callers can test for, each with its own sentinel and fs.ErrInvalid.
func TestBatchStateErrors(t *testing.T) {
	dir := t.TempDir()
	b := extfs.NewBatch()
	mk := b.Mkdir(join(dir, "d"), 0o755)
	err := mk.Err()
	wantErr(t, "Err before Submit", err, extfs.ErrNotSubmitted, fs.ErrInvalid)
	if errors.Is(err, extfs.ErrBatchSubmitted) {
		t.Errorf("Err before Submit %q matches ErrBatchSubmitted", err)
	}
	if _, err := mk.Result(); !errors.Is(err, extfs.ErrNotSubmitted) {
		t.Errorf("Result before Submit: %v, want ErrNotSubmitted", err)
	}
	noErr(t, "Submit", b.Submit(context.Background()))
	err = b.Submit(context.Background())
	wantErr(t, "second Submit", err, extfs.ErrBatchSubmitted, fs.ErrInvalid)
	if errors.Is(err, extfs.ErrNotSubmitted) {
		t.Errorf("second Submit %q matches ErrNotSubmitted", err)
	}
	for _, e := range []error{extfs.ErrBatchSubmitted, extfs.ErrNotSubmitted} {
		if !strings.Contains(e.Error(), "batch") || !strings.Contains(e.Error(), "submitted") {
			t.Errorf("message %q does not say what happened", e)
		}
	}
}
