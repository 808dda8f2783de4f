package extfs

// ForcePortableCopies makes CopyFile, CopyRange and CopyTree take the
// portable fallbacks (portableCopies: what FreeBSD, OpenBSD and NetBSD run)
// until restore is called. Not for parallel tests: calls read it as they
// start.
func ForcePortableCopies() (restore func()) {
	old := portableCopies
	portableCopies = true
	return func() { portableCopies = old }
}
