// Package fsenum defines the values of extfs's Advice, AllocMode and
// XattrFlag, which extfs's constants take from here, and the XattrAt that
// names a file for an xattr call, for the system packages, which cannot
// import extfs.
package fsenum

// Advice is an access-pattern hint: extfs.Advice.
type Advice int

const (
	AdviceNormal Advice = iota
	AdviceSequential
	AdviceRandom
	AdviceWillNeed
	AdviceDontNeed
	AdviceNoReuse
)

// AllocMode is a set of Fallocate mode bits: extfs.AllocMode.
type AllocMode uint32

const (
	AllocKeepSize AllocMode = 1 << iota
	AllocPunchHole
	AllocZeroRange
	AllocCollapseRange
	AllocInsertRange
	AllocUnshareRange
)

// XattrFlag is a set of setxattr flags: extfs.XattrFlag.
type XattrFlag int

const (
	XattrCreate XattrFlag = 1 << iota
	XattrReplace
)

// XattrAt names a file for an xattr call: by descriptor (Path == ""), or by
// path, following a final symbolic link unless NoFollow.
type XattrAt struct {
	Fd       int
	Path     string
	NoFollow bool
}
