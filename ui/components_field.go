package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Field is a one-line text field. It is a small value type rather than
// bubbles' textinput so that its rendering is exact in display cells (CJK
// included) and free of a blinking cursor, which keeps screens stable.
type Field struct {
	Prompt      string // shown before the text, e.g. "/ "
	Placeholder string // shown, dimmed, while the field is empty
	value       []rune
	pos         int
	focused     bool
}

// Value is the field's text.
func (f Field) Value() string { return string(f.value) }

// SetValue replaces the text and puts the caret at its end.
func (f *Field) SetValue(s string) {
	f.value = []rune(s)
	f.pos = len(f.value)
}

// Focused reports whether the field takes typed keys.
func (f Field) Focused() bool { return f.focused }

// Focus gives the field the keyboard.
func (f *Field) Focus() { f.focused = true }

// Blur takes the keyboard away.
func (f *Field) Blur() { f.focused = false }

// Update edits the text for a key press or a paste while the field has
// focus. It reports whether the text changed.
func (f Field) Update(msg tea.Msg) (Field, bool) {
	if !f.focused {
		return f, false
	}
	before := string(f.value)
	switch msg := msg.(type) {
	case tea.PasteMsg:
		f.insert(strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == '\t' {
				return ' '
			}
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, msg.Content))
	case tea.KeyPressMsg:
		switch msg.String() {
		case "left", "ctrl+b":
			f.pos = max(0, f.pos-1)
		case "right", "ctrl+f":
			f.pos = min(len(f.value), f.pos+1)
		case "home", "ctrl+a":
			f.pos = 0
		case "end", "ctrl+e":
			f.pos = len(f.value)
		case "backspace", "ctrl+h":
			if f.pos > 0 {
				f.value = append(f.value[:f.pos-1], f.value[f.pos:]...)
				f.pos--
			}
		case "delete", "ctrl+d":
			if f.pos < len(f.value) {
				f.value = append(f.value[:f.pos], f.value[f.pos+1:]...)
			}
		case "ctrl+u":
			f.value = append([]rune{}, f.value[f.pos:]...)
			f.pos = 0
		case "ctrl+k":
			f.value = f.value[:f.pos]
		case "ctrl+w", "alt+backspace":
			i := f.pos
			for i > 0 && f.value[i-1] == ' ' {
				i--
			}
			for i > 0 && f.value[i-1] != ' ' {
				i--
			}
			f.value = append(f.value[:i], f.value[f.pos:]...)
			f.pos = i
		default:
			if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
				f.insert(msg.Text)
			}
		}
	}
	return f, string(f.value) != before
}

func (f *Field) insert(s string) {
	rs := []rune(s)
	v := make([]rune, 0, len(f.value)+len(rs))
	v = append(v, f.value[:f.pos]...)
	v = append(v, rs...)
	v = append(v, f.value[f.pos:]...)
	f.value = v
	f.pos += len(rs)
}

// View draws the field exactly w cells wide. When the text is wider than the
// field, it scrolls so that the caret stays in view.
func (f Field) View(w int, x ExtraStyles) string {
	prompt := x.Prompt.Render(f.Prompt)
	if f.focused {
		prompt = x.PromptFocused.Render(f.Prompt)
	}
	room := w - ansi.StringWidth(f.Prompt)
	if room <= 0 {
		return Fit(prompt, w)
	}
	if len(f.value) == 0 {
		ph := f.Placeholder
		if f.focused {
			first, rest := " ", ""
			if ph != "" {
				rs := []rune(ph)
				first, rest = string(rs[0]), string(rs[1:])
			}
			return Fit(prompt+x.Caret.Render(first)+x.Placeholder.Render(Truncate(rest, room-ansi.StringWidth(first))), w)
		}
		return Fit(prompt+x.Placeholder.Render(Truncate(ph, room)), w)
	}
	before := string(f.value[:f.pos])
	at, after := " ", ""
	if f.pos < len(f.value) {
		at, after = string(f.value[f.pos]), string(f.value[f.pos+1:])
	}
	if !f.focused {
		return Fit(prompt+x.Input.Render(Truncate(string(f.value), room)), w)
	}
	// Keep the caret in view: drop cells from the left of the text.
	aw := ansi.StringWidth(at)
	for ansi.StringWidth(before)+aw > room && before != "" {
		_, size := utf8.DecodeRuneInString(before)
		before = before[size:]
	}
	line := prompt + x.Input.Render(before) + x.Caret.Render(at) + x.Input.Render(after)
	return Fit(line, w)
}
