//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package ghosttemporal

import "errors"

// lockDir is not available here: file:// sinks need flock(2).
func lockDir(string) (func(), error) {
	return nil, errors.New("ghosttemporal: file:// sinks need flock(2), which this system lacks; use an object store")
}
