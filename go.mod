module github.com/extfs/extfs

go 1.26.0

require golang.org/x/sys v0.49.0

require github.com/pkg/xattr v0.4.12
