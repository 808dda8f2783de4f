package extfs

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// ErrContentDiffers is the error of Dedupe and DedupeRange when the two
// ranges do not hold the same bytes. Nothing is changed then.
var ErrContentDiffers = errors.New("extfs: contents differ")

// DedupeRange makes the n bytes of f at dstOff share the blocks of src at
// srcOff, if and only if both ranges hold the same bytes; the contents of
// both files never change. It returns the bytes now shared. Both files must
// be regular, on the same filesystem, and open for reading; f must also be
// open for writing unless the caller owns it.
//
// Offsets and n must be multiples of the filesystem block size, except that
// a range ending at the end of both files may end inside its last block. A
// range that goes past the end of src is cut there; one that goes past the
// end of f fails with ErrContentDiffers.
//
// When the ranges differ, the error matches ErrContentDiffers and the count
// says how many bytes before the differing request were shared (the kernel
// compares at most 16 MiB per request). Where the filesystem cannot share
// blocks (ext4, tmpfs, other systems than Linux) the error matches
// ErrNotSupported.
//
// # Linux notes
//
// FIDEDUPERANGE (ioctl_fideduperange(2)), on XFS with reflink and btrfs.
func (f *File) DedupeRange(src *File, srcOff, dstOff, n int64) (int64, error) {
	c := rangeCall{op: "fideduperange", what: "DedupeRange", src: src, dst: f, srcOff: srcOff, dstOff: dstOff, n: n, anyMode: true}
	var done int64
	err := c.run(func(sfd, dfd uintptr, si, di fileInfo) (err error) {
		if !si.regular || !di.regular {
			return errInvalid("dedupe: only regular files share blocks")
		}
		n = max(0, min(n, si.size-srcOff))
		if n == 0 {
			return nil
		}
		if dstOff+n > di.size {
			return ErrContentDiffers
		}
		if err := checkBlocks(dfd, srcOff, dstOff, n, si.size, di.size); err != nil {
			return err
		}
		done, err = dedupeLoop(nil, sfd, dfd, srcOff, dstOff, n)
		return err
	})
	return done, err
}

// dedupeLoop shares [srcOff, srcOff+n) of sfd with dfd at dstOff, one
// kernel request at a time, stopping when ctx is done.
func dedupeLoop(ctx context.Context, sfd, dfd uintptr, srcOff, dstOff, n int64) (int64, error) {
	var done int64
	for done < n {
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return done, err
			}
		}
		k, differs, err := sysCopy.dedupeRange(dfd, sfd, srcOff+done, dstOff+done, n-done)
		if differs {
			return done, ErrContentDiffers
		}
		if err != nil {
			return done, cloneError("fideduperange", sfd, dfd, err)
		}
		if k == 0 {
			// The kernel shares whole blocks only; alignment was checked,
			// so this means a filesystem that silently shares nothing.
			return done, ErrContentDiffers
		}
		done += k
	}
	return done, nil
}

// Dedupe makes the file dst share all the blocks of the file src, if the
// two hold the same bytes, and returns the bytes now shared. Files of
// different sizes or contents are refused with an error matching
// ErrContentDiffers, and neither is changed. Where the filesystem cannot
// share blocks the error matches ErrNotSupported. ctx may stop it between
// requests of 16 MiB; the blocks shared by then stay shared (the contents
// are the same either way).
//
// dst is opened read-only, which the kernel accepts from its owner (and
// from root); otherwise, where the caller may write dst, it is reopened for
// writing. Use it to re-share identical files, e.g. in a content-addressed
// store after copies made without cloning.
func Dedupe(ctx context.Context, src, dst string) (int64, error) {
	const op = "fideduperange"
	if ctx == nil {
		return 0, copyErr(op, src, dst, errInvalid("Dedupe: nil context"))
	}
	if err := checkPath("src", src); err != nil {
		return 0, copyErr(op, src, dst, err)
	}
	if err := checkPath("dst", dst); err != nil {
		return 0, copyErr(op, src, dst, err)
	}
	s, err := OpenFile(src, os.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	n, err := dedupeWith(ctx, s, dst, os.O_RDONLY)
	if errors.Is(err, syscall.EPERM) {
		// Not dst's owner: the kernel wants it open for writing.
		n, err = dedupeWith(ctx, s, dst, os.O_RDWR)
	}
	return n, err
}

func dedupeWith(ctx context.Context, s *File, dst string, flag int) (int64, error) {
	d, err := OpenFile(dst, flag, 0)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	c := rangeCall{op: "fideduperange", what: "Dedupe", src: s, dst: d, anyMode: true}
	var done int64
	err = c.run(func(sfd, dfd uintptr, si, di fileInfo) (err error) {
		if !si.regular || !di.regular {
			return errInvalid("dedupe: only regular files share blocks")
		}
		if si.size != di.size {
			return ErrContentDiffers
		}
		done, err = dedupeLoop(ctx, sfd, dfd, 0, 0, si.size)
		return err
	})
	return done, err
}
