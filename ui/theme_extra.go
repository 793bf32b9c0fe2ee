package ui

import "charm.land/lipgloss/v2"

// GlyphNotBuilt marks, in the step rail, a step that this version does not
// have yet.
const GlyphNotBuilt = "○"

// ExtraStyles are the shell's and the shared components' styles that Styles
// (theme.go) does not carry. They use the same palette, so light and dark
// terminals stay consistent.
type ExtraStyles struct {
	// Header is the top line; Badge marks a demo session so that nobody
	// mistakes the simulated tenant for a real one.
	Header, Counter, Badge lipgloss.Style
	// Rule draws the horizontal separators and the rail's border.
	Rule lipgloss.Style
	// Status is a one-line message after a refused action.
	Status lipgloss.Style
	// Field styles a text field: its prompt, text, placeholder, caret and an
	// error below it.
	Prompt, PromptFocused, Input, Placeholder, Caret, FieldError lipgloss.Style
	// Cursor marks the current row; Checked a selected box.
	Cursor, Checked lipgloss.Style
	// BarFull and BarEmpty draw a progress bar.
	BarFull, BarEmpty lipgloss.Style
	// Small is the "make the window larger" screen's heading.
	Small lipgloss.Style
	// Spinner colours the activity mark.
	Spinner lipgloss.Style
}

// NewExtraStyles builds the extra styles for a light or dark background.
func NewExtraStyles(isDark bool) ExtraStyles {
	p := newPalette(isDark)
	var x ExtraStyles
	x.Header = lipgloss.NewStyle().Bold(true).Foreground(p.accent)
	x.Counter = lipgloss.NewStyle().Foreground(p.muted)
	x.Badge = lipgloss.NewStyle().Bold(true).Foreground(p.warn)
	x.Rule = lipgloss.NewStyle().Foreground(p.border)
	x.Status = lipgloss.NewStyle().Foreground(p.warn).Bold(true)
	x.Prompt = lipgloss.NewStyle().Foreground(p.faint)
	x.PromptFocused = lipgloss.NewStyle().Foreground(p.accent).Bold(true)
	x.Input = lipgloss.NewStyle().Foreground(p.text)
	x.Placeholder = lipgloss.NewStyle().Foreground(p.faint)
	x.Caret = lipgloss.NewStyle().Reverse(true)
	x.FieldError = lipgloss.NewStyle().Foreground(p.blocked)
	x.Cursor = lipgloss.NewStyle().Foreground(p.accent).Bold(true)
	x.Checked = lipgloss.NewStyle().Foreground(p.accent)
	x.BarFull = lipgloss.NewStyle().Foreground(p.accent)
	x.BarEmpty = lipgloss.NewStyle().Foreground(p.border)
	x.Small = lipgloss.NewStyle().Bold(true).Foreground(p.warn)
	x.Spinner = lipgloss.NewStyle().Foreground(p.accent)
	return x
}
