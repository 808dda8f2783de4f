package extfs

// The seam between the portable package and each operating system.
//
// Every operation is found in two hops. The top-level file (fallocate.go,
// copy.go, dir.go, ...) holds the API, the argument checks, the docs and the
// portable algorithm; where it needs the operating system it calls a method
// of one of the interfaces below, through the package variables sysFile,
// sysCopy, sysDir and sysTree. Each OS implements an area in one adapter file
// (<area>_linux.go, <area>_darwin.go, <area>_windows.go, and <area>_other.go
// for systems without a backend) that only translates types around calls
// into sys/<goos>, where the mechanism lives. Every adapter file asserts
// that its type satisfies the interface, so the compiler checks the whole
// seam on every GOOS, and a reader sees it here at once.
//
// The variables have the concrete types, not the interfaces: calls are
// direct, and their arguments do not escape because of the seam.

// ---- File operations ------------------------------------------------------

// ---- Copies ---------------------------------------------------------------

// ---- Directories beneath a root --------------------------------------------

// ---- Tree copies -----------------------------------------------------------
