package steps

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
	"github.com/google/renameio/v2"
)

// The files the steps write on a key press (Review's plan and script,
// Summary's exports) are written the same way: in a Cmd, atomically, and
// never over an existing file unless the user pressed the same key again.

// fileWrittenMsg says how a step's write ended. A is the step's own kind of
// action, so that a step takes the answers to its writes only (every step
// sees a broadcast message).
type fileWrittenMsg[A any] struct {
	act    A
	path   string // absolute where it could be made so
	exists bool   // not written: the file exists and replacing was not confirmed
	err    error
}

// writeFile writes data to path atomically (renameio), so that a reader
// never sees half a file; an existing file is replaced only when replace is
// set, and otherwise reported as existing.
func writeFile[A any](act A, path string, data []byte, mode fs.FileMode, replace bool) tea.Cmd {
	return func() tea.Msg {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if !replace {
			if _, err := os.Stat(path); err == nil {
				return fileWrittenMsg[A]{act: act, path: path, exists: true}
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fileWrittenMsg[A]{act: act, path: path, err: err}
			}
		}
		if err := renameio.WriteFile(path, data, mode); err != nil {
			return fileWrittenMsg[A]{act: act, path: path, err: err}
		}
		return fileWrittenMsg[A]{act: act, path: path}
	}
}
