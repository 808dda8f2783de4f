package extfs

// CopyTree's Windows adapter: the portable ways (treeFallback); copyOpenFile clones
// into the open file where the volume has block cloning.

type treeSys struct{ treeFallback }

var _ treeOS = treeSys{}
