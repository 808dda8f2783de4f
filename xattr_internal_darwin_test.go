package extfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/extfs/extfs/sys/darwin"
)

// TestXattrErrNoAttrDarwin: macOS's ENOATTR is ErrNoAttr, named.
func TestXattrErrNoAttrDarwin(t *testing.T) {
	err := xattrErr("com.example.missing", darwin.ENOATTR)
	if !errors.Is(err, ErrNoAttr) || !errors.Is(err, darwin.ENOATTR) || !strings.Contains(err.Error(), "com.example.missing") {
		t.Errorf("xattrErr(ENOATTR) = %v; want ErrNoAttr and ENOATTR, naming the attribute", err)
	}
}
