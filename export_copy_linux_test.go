//go:build linux

package extfs

// OpenSourceHookP points at the hook CopyFile (and Clone) run between the
// look at the source's name and its open; a test may set it, to change the
// source there, and must reset it to nil before it returns.
var OpenSourceHookP = &testHookOpenSource
