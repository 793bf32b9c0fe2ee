//go:build unix

package guest

import (
	"io/fs"
	"os"
	"syscall"
)

// copyOwner gives f the owner and group of like, where the process may
// (root may; others keep their own, which is the same in practice).
func copyOwner(f *os.File, like fs.FileInfo) {
	if st, ok := like.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
