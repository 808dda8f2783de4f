module github.com/extfs/extfs

go 1.24

require (
	github.com/pkg/xattr v0.4.12 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
