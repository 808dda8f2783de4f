module github.com/extfs/extfs/examples

go 1.26.0

replace github.com/extfs/extfs => ../
