//go:build !linux && !darwin && !windows

package extfs

// No copy backend here: copyFallback's answers, ErrNotSupported.

import "os"

type copySys struct{ copyFallback }

var _ copyOS = copySys{}

// srcOpenFlags: no portable O_NONBLOCK here. A FIFO is refused by its name
// only, and one put there between that look and the open blocks the open.
const srcOpenFlags = os.O_RDONLY
