package ui

import (
	"charm.land/bubbles/v2/key"
)

// KeyMap is every key binding of the wizard, with help text in the user's
// language. The navigation keys (Back, Next, Quit) are the shell's; the others
// are shared by the steps so that the same key means the same thing on every
// screen. It is a help.KeyMap: WithStep adds the current step's bindings.
type KeyMap struct {
	// Navigation, handled by the shell. Back and Next are keys that never
	// type, so they work while a text field has focus.
	Back, Next, Quit, Interrupt, More, Less key.Binding

	// Lists and tables.
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Toggle, All                           key.Binding

	// Text fields.
	Search, Done, Clear key.Binding

	// Actions.
	Load, Open, Close, Sort, Show, Retry, Refresh key.Binding

	// Asked when changes are in flight and the user quits.
	LeaveRunning, KeepWaiting key.Binding

	step []key.Binding
}

// NewKeyMap builds the key map with help text from the catalog.
func NewKeyMap(tr *Translator) KeyMap {
	b := func(keys []string, label, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, tr.T(desc)))
	}
	return KeyMap{
		Back:      b([]string{"shift+tab"}, "shift+tab", "key.back"),
		Next:      b([]string{"tab"}, "tab", "key.next"),
		Quit:      b([]string{"q"}, "q", "key.quit"),
		Interrupt: b([]string{"ctrl+c"}, "ctrl+c", "key.quit"),
		More:      b([]string{"?"}, "?", "key.more"),
		Less:      b([]string{"?"}, "?", "key.less"),

		Up:       b([]string{"up", "k"}, "↑/↓", "key.move"),
		Down:     b([]string{"down", "j"}, "↓", "key.move"),
		PageUp:   b([]string{"pgup"}, "pgup/pgdn", "key.page"),
		PageDown: b([]string{"pgdown"}, "pgdn", "key.page"),
		Home:     b([]string{"home"}, "home/end", "key.ends"),
		End:      b([]string{"end"}, "end", "key.ends"),
		Toggle:   b([]string{"space"}, "space", "key.toggle"),
		All:      b([]string{"a"}, "a", "key.all"),

		Search: b([]string{"/"}, "/", "key.search"),
		Done:   b([]string{"enter"}, "enter", "key.done"),
		Clear:  b([]string{"esc"}, "esc", "key.clear"),

		Load:    b([]string{"enter"}, "enter", "key.load"),
		Open:    b([]string{"enter"}, "enter", "key.open"),
		Close:   b([]string{"esc", "backspace"}, "esc", "key.close"),
		Sort:    b([]string{"s"}, "s", "key.sort"),
		Show:    b([]string{"f"}, "f", "key.show"),
		Retry:   b([]string{"r"}, "r", "key.retry"),
		Refresh: b([]string{"r"}, "r", "key.refresh"),

		LeaveRunning: b([]string{"l"}, "l", "key.leave-running"),
		KeepWaiting:  b([]string{"w", "esc"}, "w", "key.keep-waiting"),
	}
}

// WithStep returns the key map with a step's bindings in front of the
// navigation keys, as the help bar shows them.
func (k KeyMap) WithStep(bindings []key.Binding) KeyMap {
	k.step = bindings
	return k
}

// Nav is the navigation row of the help bar. capturing swaps q for ctrl+c,
// because q types into a focused field; more says whether the expanded view
// is open.
func (k KeyMap) Nav(capturing, more bool) []key.Binding {
	quit := k.Quit
	if capturing {
		quit = k.Interrupt
	}
	m := k.More
	if more {
		m = k.Less
	}
	return []key.Binding{k.Next, k.Back, m, quit}
}

// ShortHelp implements help.KeyMap: the step's keys, then navigation.
func (k KeyMap) ShortHelp() []key.Binding {
	out := make([]key.Binding, 0, len(k.step)+4)
	out = append(out, k.step...)
	return append(out, k.Nav(false, false)...)
}

// FullHelp implements help.KeyMap: the step's keys in columns of three, then
// a navigation column.
func (k KeyMap) FullHelp() [][]key.Binding {
	var cols [][]key.Binding
	for i := 0; i < len(k.step); i += 3 {
		cols = append(cols, k.step[i:min(i+3, len(k.step))])
	}
	return append(cols, []key.Binding{k.Next, k.Back, k.Quit})
}
