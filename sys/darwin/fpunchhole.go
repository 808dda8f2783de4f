package darwin

// Fpunchhole is F_PUNCHHOLE's argument, fpunchhole_t of <sys/fcntl.h>,
// which x/sys/unix lacks:
//
//	typedef struct fpunchhole {
//		unsigned int fp_flags; /* unused */
//		unsigned int reserved; /* (to maintain 8-byte alignment) */
//		off_t fp_offset;       /* IN: start of the region */
//		off_t fp_length;       /* IN: size of the region */
//	} fpunchhole_t;
//
// 24 bytes, offsets 0, 4, 8 and 16 (fpunchhole_test.go checks them). The
// kernel fails with EINVAL when Flags or Reserved is not zero.
type Fpunchhole struct {
	Flags    uint32
	Reserved uint32
	Offset   int64
	Length   int64
}
