// Package examples holds runnable programs built on extfs: extcp, a cp for
// people who copy a lot; extfs-probe, which reports what a filesystem and
// kernel offer; fileserver, an HTTP file server; and casrestore, which
// restores trees from a content-addressed store with copy-on-write clones.
//
// It is a module of its own so that its dependencies never reach users of
// extfs.
package examples
