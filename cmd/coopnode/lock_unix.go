//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/coopnode/coopnode/node"
)

// lockFile is held (flock) by the node running on a data folder.
const lockFile = "run.lock"

// lockData takes the data folder's run lock, or says that a node already
// runs on it: a second "coopnode run" on one folder would otherwise fail
// deep in the store with "resource temporarily unavailable". The kernel
// drops the lock when the process ends, even by kill -9.
func lockData(dir string) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			where := ""
			if b, err := os.ReadFile(filepath.Join(dir, apiFile)); err == nil {
				where = fmt.Sprintf(" (its API is http://%s)", strings.TrimSpace(string(b)))
			}
			return nil, cliErrorf(node.ErrAlreadyRunning, "a node is already running on %s%s: stop it first, or give another -data folder", dir, where)
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}
