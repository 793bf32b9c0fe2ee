package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Palette: the only colour literals of the program. Each colour has a light
// and a dark variant picked by LightDark.
type palette struct {
	accent, accentDim, text, muted, faint, border, ok, info, warn, fixable, blocked color.Color
}

func newPalette(isDark bool) palette {
	ld := lipgloss.LightDark(isDark)
	return palette{
		accent:    ld(lipgloss.Color("#0A5FD6"), lipgloss.Color("#5FA8FF")),
		accentDim: ld(lipgloss.Color("#C8DBF7"), lipgloss.Color("#1E3A5F")),
		text:      ld(lipgloss.Color("#1B1B1B"), lipgloss.Color("#E8E8E8")),
		muted:     ld(lipgloss.Color("#5C5C5C"), lipgloss.Color("#A0A0A0")),
		faint:     ld(lipgloss.Color("#8A8A8A"), lipgloss.Color("#6A6A6A")),
		border:    ld(lipgloss.Color("#B8B8B8"), lipgloss.Color("#4A4A4A")),
		ok:        ld(lipgloss.Color("#1A7F37"), lipgloss.Color("#3FB950")),
		info:      ld(lipgloss.Color("#0A5FD6"), lipgloss.Color("#58A6FF")),
		warn:      ld(lipgloss.Color("#9A6700"), lipgloss.Color("#D29922")),
		fixable:   ld(lipgloss.Color("#8250DF"), lipgloss.Color("#BC8CFF")),
		blocked:   ld(lipgloss.Color("#CF222E"), lipgloss.Color("#F85149")),
	}
}

// Glyphs used across screens. They are single-cell characters that never
// depend on East Asian ambiguous width for meaning: every glyph is paired with
// a word, so colour and glyph never carry meaning alone.
const (
	GlyphDone    = "✓"
	GlyphCurrent = "›"
	GlyphTodo    = "·"
	GlyphCursor  = ">"
	GlyphChecked = "[x]"
	GlyphUnchk   = "[ ]"
)

// Styles are every lipgloss style of the program, grouped by screen area.
type Styles struct {
	IsDark bool

	App struct {
		Title, Subtitle, Text, Muted, Faint, Accent, Error, Key, KeyDesc lipgloss.Style
	}
	Rail struct {
		Box, Done, Current, Todo, NotBuilt lipgloss.Style
	}
	Body struct {
		Box, Heading lipgloss.Style
	}
	Explain struct {
		Box, Heading, Text lipgloss.Style
	}
	Table struct {
		Header, Cell, Selected, ID lipgloss.Style
	}
	// Verdict styles, keyed by verdict name ("ok", "info", "warn", "fixable", "blocked").
	Verdict map[string]lipgloss.Style
}

// NewStyles builds the styles for a light or dark terminal background.
func NewStyles(isDark bool) Styles {
	p := newPalette(isDark)
	var s Styles
	s.IsDark = isDark
	s.App.Title = lipgloss.NewStyle().Bold(true).Foreground(p.accent)
	s.App.Subtitle = lipgloss.NewStyle().Foreground(p.muted)
	s.App.Text = lipgloss.NewStyle().Foreground(p.text)
	s.App.Muted = lipgloss.NewStyle().Foreground(p.muted)
	s.App.Faint = lipgloss.NewStyle().Foreground(p.faint)
	s.App.Accent = lipgloss.NewStyle().Foreground(p.accent)
	s.App.Error = lipgloss.NewStyle().Foreground(p.blocked).Bold(true)
	s.App.Key = lipgloss.NewStyle().Foreground(p.accent).Bold(true)
	s.App.KeyDesc = lipgloss.NewStyle().Foreground(p.muted)

	s.Rail.Box = lipgloss.NewStyle().Border(lipgloss.NormalBorder(), false, true, false, false).BorderForeground(p.border).PaddingRight(1)
	s.Rail.Done = lipgloss.NewStyle().Foreground(p.ok)
	s.Rail.Current = lipgloss.NewStyle().Foreground(p.accent).Bold(true)
	s.Rail.Todo = lipgloss.NewStyle().Foreground(p.faint)
	s.Rail.NotBuilt = lipgloss.NewStyle().Foreground(p.faint).Italic(true)

	s.Body.Box = lipgloss.NewStyle().PaddingLeft(1)
	s.Body.Heading = lipgloss.NewStyle().Bold(true).Foreground(p.text)

	s.Explain.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(p.border).Padding(0, 1)
	s.Explain.Heading = lipgloss.NewStyle().Bold(true).Foreground(p.accent)
	s.Explain.Text = lipgloss.NewStyle().Foreground(p.muted)

	s.Table.Header = lipgloss.NewStyle().Bold(true).Foreground(p.text)
	s.Table.Cell = lipgloss.NewStyle().Foreground(p.text)
	s.Table.Selected = lipgloss.NewStyle().Background(p.accentDim).Foreground(p.text)
	s.Table.ID = lipgloss.NewStyle().Foreground(p.faint)

	s.Verdict = map[string]lipgloss.Style{
		"ok":      lipgloss.NewStyle().Foreground(p.ok),
		"info":    lipgloss.NewStyle().Foreground(p.info),
		"warn":    lipgloss.NewStyle().Foreground(p.warn),
		"fixable": lipgloss.NewStyle().Foreground(p.fixable).Bold(true),
		"blocked": lipgloss.NewStyle().Foreground(p.blocked).Bold(true),
	}
	return s
}

// VerdictGlyph is the one-cell mark shown before a verdict word.
func VerdictGlyph(v string) string {
	switch v {
	case "ok":
		return "✓"
	case "info":
		return "i"
	case "warn":
		return "!"
	case "fixable":
		return "~"
	case "blocked":
		return "✗"
	}
	return "?"
}
