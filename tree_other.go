//go:build !linux && !darwin && !windows

package extfs

// CopyTree's stub adapter: the portable ways (treeFallback), where Dir works.

type treeSys struct{ treeFallback }

var _ treeOS = treeSys{}
