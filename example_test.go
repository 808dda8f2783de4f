package extfs_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/extfs/extfs"
)

// Reserve space for a file that will be written later, so that the writes
// cannot fail for lack of space.
func ExampleFile_Fallocate() {
	f, err := extfs.Create(filepath.Join(os.TempDir(), "video.tmp"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	// 1 GiB, without changing the file's size: it stays empty until written.
	err = f.Fallocate(extfs.AllocKeepSize, 0, 1<<30)
	if errors.Is(err, extfs.ErrNotSupported) {
		log.Printf("no preallocation here, writing anyway: %v", err)
	} else if err != nil {
		log.Fatal(err)
	}
}

// Free the space of a range that is no longer needed, such as the consumed
// head of a log file. The size stays; the range reads as zeros.
func ExampleFile_PunchHole() {
	f, err := extfs.OpenFile("/var/tmp/app.log", os.O_RDWR, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	if err := f.PunchHole(0, 64<<20); errors.Is(err, extfs.ErrNotSupported) {
		fmt.Println("this filesystem cannot punch holes")
	} else if err != nil {
		log.Fatal(err)
	}
}

// Tag a file with an extended attribute, creating it only if it is not set.
func ExampleFile_SetXattr() {
	f, err := extfs.Open("report.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	// Setting an xattr does not need the file open for writing.
	err = f.SetXattr("user.checksum.sha256", []byte("9f86d081884c7d65..."), extfs.XattrCreate)
	if errors.Is(err, fs.ErrExist) {
		fmt.Println("already tagged")
	} else if err != nil {
		log.Fatal(err)
	}

	v, err := f.GetXattr("user.checksum.sha256")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", v)
}

// Stat many files and read an attribute of an open one in one round trip.
func ExampleBatch() {
	f, err := extfs.Open("data.bin")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	b := extfs.NewBatch()
	var stats []*extfs.Pending[*extfs.Stat]
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		stats = append(stats, b.Statx(name))
	}
	owner := b.GetXattr(f, "user.owner")
	advice := b.Fadvise(f, 0, 0, extfs.AdviceWillNeed)

	// Submit returns the first error; each Pending holds its own.
	if err := b.Submit(context.Background()); err != nil {
		log.Print(err)
	}
	for _, p := range stats {
		if st, err := p.Result(); err == nil {
			fmt.Println(st.Size, st.Mtime)
		}
	}
	if v, err := owner.Result(); err == nil {
		fmt.Printf("owner %s\n", v)
	}
	if err := advice.Err(); err != nil {
		log.Print(err)
	}
}
