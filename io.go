package main

import (
	"io"
	"os"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
)

// ioStreams are the process's standard streams and environment, replaceable
// in tests (gh's iostreams).
type ioStreams struct {
	in       io.Reader
	out, err io.Writer
	getenv   func(string) string
	environ  func() []string
	// ttyIn/ttyOut/ttyErr override terminal detection (tests).
	ttyIn, ttyOut, ttyErr *bool
}

func newIO() *ioStreams {
	return &ioStreams{in: os.Stdin, out: os.Stdout, err: os.Stderr, getenv: os.Getenv, environ: os.Environ}
}

func isTTY(v any, override *bool) bool {
	if override != nil {
		return *override
	}
	f, ok := v.(term.File)
	return ok && term.IsTerminal(f.Fd())
}

func (s *ioStreams) stdinTTY() bool  { return isTTY(s.in, s.ttyIn) }
func (s *ioStreams) stdoutTTY() bool { return isTTY(s.out, s.ttyOut) }
func (s *ioStreams) stderrTTY() bool { return isTTY(s.err, s.ttyErr) }

// width is the terminal width of stdout, or 80 when it is not a terminal.
func (s *ioStreams) width() int {
	if f, ok := s.out.(term.File); ok && s.stdoutTTY() {
		if w, _, err := term.GetSize(f.Fd()); err == nil && w >= 40 {
			return min(w, 120)
		}
	}
	return 80
}

// colorWriter downsamples styled output to what w supports; NO_COLOR and
// --no-color remove colour, a file or pipe gets plain text.
func (s *ioStreams) colorWriter(w io.Writer, tty, noColor bool) *colorprofile.Writer {
	cw := colorprofile.NewWriter(w, s.environ())
	switch {
	case !tty:
		cw.Profile = colorprofile.NoTTY
	case noColor || s.getenv("NO_COLOR") != "":
		cw.Profile = colorprofile.Ascii
	}
	return cw
}
