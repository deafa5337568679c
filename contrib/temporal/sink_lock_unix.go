//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package ghosttemporal

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive lock on dir (created if need be), held by one
// goroutine of one process at a time, until the returned function is called:
// what makes a file:// sink's record updates conditional.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ghosttemporal: locking %s: %w", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
