// Package fsenum defines the values of extfs's Advice and AllocMode, which
// extfs's constants take from here, for the system packages, which cannot
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
