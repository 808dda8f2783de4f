package main

import (
	"os"
	"testing"

	"github.com/extfs/extfs/internal/testfs"
)

// As root, testfs.Main runs the tests in a private mount namespace, so the
// filesystems they mount go away with the test process whatever happens.
func TestMain(m *testing.M) { os.Exit(testfs.Main(m)) }
