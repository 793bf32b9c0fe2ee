package ui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Step is one screen of the wizard. The Shell owns the layout (rail, help
// bar, explanation) and drives steps through this interface; a step draws
// only its body.
//
// Messages: every non-key message goes to every step, because a result may
// arrive after the user has moved on; key presses and pastes go only to the
// current step, after the shell has taken its own keys (ctrl+c, Back, Next,
// ?, and q when the step is not capturing text).
type Step interface {
	// Title is the step's name in the rail and the header.
	Title() string
	// Explain says why the step matters, for the explanation panel.
	Explain() string

	// Init runs once at program start (start reading what the step needs).
	Init() tea.Cmd
	// Activate runs each time the step becomes the current one (start or
	// refresh what it shows).
	Activate() (Step, tea.Cmd)
	// Deactivate runs when the user leaves the step (cancel work that only
	// matters while it is on screen).
	Deactivate() (Step, tea.Cmd)

	Update(tea.Msg) (Step, tea.Cmd)
	// View draws the body in exactly width×height cells (the shell fits it
	// again, so a line too long is cut, never wrapped).
	View(width, height int) string

	// Keys are the step's bindings, shown in the help bar.
	Keys() []key.Binding
	// Complete reports that the step is done: it is ticked in the rail and
	// Next may leave it.
	Complete() bool
	// Hint says what is missing when Next is refused ("" for a generic text).
	Hint() string
	// Capturing reports that a text field has focus, so q types instead of
	// quitting.
	Capturing() bool

	// Back and Next let a step with pages of its own move between them:
	// handled=false lets the shell move to the previous or next step.
	Back() (s Step, cmd tea.Cmd, handled bool)
	Next() (s Step, cmd tea.Cmd, handled bool)
}

// Placeholder is implemented by steps that are not built yet in this
// version; the rail marks them.
type Placeholder interface {
	NotBuilt() bool
}

// InFlight is implemented by steps that may have changes running in Azure.
// While one reports true, Ctrl+C and q ask first (DESIGN §4a): leave the
// changes running in Azure and quit (the next run picks them up), or keep
// waiting; and Back is refused on that step, so the plan cannot change under
// a run.
type InFlight interface {
	InFlight() bool
}

// BodySizeMsg tells the steps the size of the body area. The shell sends it
// after every resize or layout change, so that steps can keep their cursor
// in view while handling keys.
type BodySizeMsg struct{ Width, Height int }

// Minimum window size (DESIGN §4a): below it only the "make the window
// larger" screen is shown.
const (
	MinWidth  = 60
	MinHeight = 16
)

// Widths where the layout changes.
const (
	wideWidth    = 120 // explanation beside the body; narrower, it folds below
	compactWidth = 80  // below: the rail shows numbers only
)

// Common is what every screen shares: the translator, styles and key map.
// The shell replaces the styles when the terminal reports its background.
type Common struct {
	Tr     *Translator
	Styles Styles
	Extra  ExtraStyles
	Keys   KeyMap
}

// NewCommon builds the shared pieces for a translator, with dark styles until
// the terminal says otherwise.
func NewCommon(tr *Translator) *Common {
	return &Common{Tr: tr, Styles: NewStyles(true), Extra: NewExtraStyles(true), Keys: NewKeyMap(tr)}
}

// SetDark switches the styles to a dark or light background.
func (c *Common) SetDark(isDark bool) {
	c.Styles = NewStyles(isDark)
	c.Extra = NewExtraStyles(isDark)
}

// ShellOptions are the shell's settings.
type ShellOptions struct {
	// Badge is shown at the right of the header, e.g. that the session runs
	// against the simulated tenant; BadgeShort replaces it when the window is
	// narrow. Already translated; "" for none.
	Badge, BadgeShort string
}

// Shell is the program's only tea.Model: a step rail, the current step's
// body, the explanation panel and the help bar.
type Shell struct {
	c      *Common
	steps  []Step
	cur    int
	width  int
	height int
	more   bool   // expanded explanation and full help
	status string // a refused action's reason, until the next key
	help   help.Model
	badge  string
	// badgeShort replaces badge in narrow windows.
	badgeShort string
	// asking: changes are in flight and the user pressed Ctrl+C or q; the
	// footer asks whether to leave them running.
	asking bool
}

// NewShell builds the shell around steps (at least one).
func NewShell(c *Common, steps []Step, opts ShellOptions) *Shell {
	s := &Shell{c: c, steps: steps, help: help.New(), badge: opts.Badge, badgeShort: opts.BadgeShort}
	s.styleHelp()
	return s
}

// Current is the index of the step on screen.
func (s *Shell) Current() int { return s.cur }

// Step returns step i (for tests and for the program's final report).
func (s *Shell) Step(i int) Step { return s.steps[i] }

// Len is the number of steps.
func (s *Shell) Len() int { return len(s.steps) }

// Status is the message shown after a refused action ("" when none).
func (s *Shell) Status() string { return s.status }

func (s *Shell) styleHelp() {
	st := s.c.Styles
	s.help.Styles = help.Styles{
		Ellipsis:       st.App.Faint,
		ShortKey:       st.App.Key,
		ShortDesc:      st.App.KeyDesc,
		ShortSeparator: s.c.Extra.Rule,
		FullKey:        st.App.Key,
		FullDesc:       st.App.KeyDesc,
		FullSeparator:  s.c.Extra.Rule,
	}
}

// Init asks the terminal for its background colour and starts every step.
func (s *Shell) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	for _, st := range s.steps {
		cmds = append(cmds, st.Init())
	}
	st, cmd := s.steps[s.cur].Activate()
	s.steps[s.cur] = st
	return tea.Batch(append(cmds, cmd)...)
}

// Update routes messages: the shell's own keys first, then keys to the
// current step, everything else to every step.
func (s *Shell) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.width, s.height = msg.Width, msg.Height
		return s, s.resized()
	case tea.BackgroundColorMsg:
		s.c.SetDark(msg.IsDark())
		s.styleHelp()
		return s, s.broadcast(msg)
	case tea.KeyPressMsg:
		return s, s.key(msg)
	case tea.PasteMsg:
		return s, s.toCurrent(msg)
	case tea.KeyReleaseMsg, tea.MouseMsg:
		return s, nil
	}
	return s, s.broadcast(msg)
}

func (s *Shell) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.c.Keys
	if s.asking {
		switch {
		case key.Matches(msg, k.Interrupt), key.Matches(msg, k.LeaveRunning):
			return tea.Interrupt
		case key.Matches(msg, k.KeepWaiting):
			s.asking = false
			return s.resized()
		}
		return nil
	}
	capturing := s.steps[s.cur].Capturing()
	if key.Matches(msg, k.Interrupt) || (!capturing && key.Matches(msg, k.Quit)) {
		if s.inFlight() {
			s.asking = true
			return s.resized()
		}
		if key.Matches(msg, k.Interrupt) {
			return tea.Interrupt
		}
	}
	if s.tooSmall() {
		// Nothing on screen to act on; quitting still works.
		if key.Matches(msg, k.Quit) && !capturing {
			return tea.Quit
		}
		return nil
	}
	s.status = ""
	switch {
	case key.Matches(msg, k.Back):
		if f, ok := s.steps[s.cur].(InFlight); ok && f.InFlight() {
			s.status = s.c.Tr.T("shell.back.inflight")
			return nil
		}
		st, cmd, handled := s.steps[s.cur].Back()
		s.steps[s.cur] = st
		if handled || s.cur == 0 {
			return cmd
		}
		return tea.Batch(cmd, s.goTo(s.cur-1))
	case key.Matches(msg, k.Next):
		st, cmd, handled := s.steps[s.cur].Next()
		s.steps[s.cur] = st
		if handled {
			return cmd
		}
		if !st.Complete() {
			s.status = st.Hint()
			if s.status == "" {
				s.status = s.c.Tr.T("shell.next.refused")
			}
			return cmd
		}
		if s.cur == len(s.steps)-1 {
			s.status = s.c.Tr.T("shell.next.last")
			return cmd
		}
		return tea.Batch(cmd, s.goTo(s.cur+1))
	case !capturing && key.Matches(msg, k.Quit):
		return tea.Quit
	case !capturing && key.Matches(msg, k.More):
		s.more = !s.more
		return s.resized()
	}
	return s.toCurrent(msg)
}

// inFlight reports whether any step has changes running in Azure.
func (s *Shell) inFlight() bool {
	for _, st := range s.steps {
		if f, ok := st.(InFlight); ok && f.InFlight() {
			return true
		}
	}
	return false
}

// Asking reports that the shell is asking whether to leave changes running.
func (s *Shell) Asking() bool { return s.asking }

func (s *Shell) goTo(i int) tea.Cmd {
	old, leave := s.steps[s.cur].Deactivate()
	s.steps[s.cur] = old
	s.cur = i
	st, enter := s.steps[s.cur].Activate()
	s.steps[s.cur] = st
	return tea.Batch(leave, enter, s.resized())
}

func (s *Shell) toCurrent(msg tea.Msg) tea.Cmd {
	st, cmd := s.steps[s.cur].Update(msg)
	s.steps[s.cur] = st
	return cmd
}

func (s *Shell) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i, st := range s.steps {
		ns, cmd := st.Update(msg)
		s.steps[i] = ns
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// resized tells the steps their body size after a layout change.
func (s *Shell) resized() tea.Cmd {
	if s.tooSmall() {
		return nil
	}
	l := s.layout()
	return s.broadcast(BodySizeMsg{Width: l.bodyW, Height: l.bodyH})
}

func (s *Shell) tooSmall() bool { return s.width < MinWidth || s.height < MinHeight }

// layout is where everything goes for the current size.
type layout struct {
	railW, railText int // rail width with its border; width of its text
	compact         bool
	sideW           int // explanation beside the body (0: below it)
	bodyW, bodyH    int
	mainH           int
	explainH        int // explanation lines below the body
	footer          []string
}

func (s *Shell) layout() layout {
	var l layout
	w := s.width
	l.footer = s.footer()
	if s.more && s.height-3-len(l.footer) < len(s.steps) {
		// No room for the full help without hiding steps: keep two lines.
		l.footer = s.shortFooter()
	}
	l.mainH = s.height - 3 - len(l.footer)
	l.compact = w < compactWidth
	if l.compact {
		l.railText = 4
	} else {
		limit := 22
		if w >= wideWidth {
			limit = 26
		}
		for _, st := range s.steps {
			l.railText = max(l.railText, 5+Width(st.Title())) // "✓ 10 Title"
		}
		l.railText = min(l.railText, limit)
	}
	l.railW = l.railText + 3 // " │ "
	l.bodyW = w - l.railW
	l.bodyH = l.mainH
	if w >= wideWidth {
		l.sideW = min(max(w/4, 26), 40)
		l.bodyW -= l.sideW + 1
		return l
	}
	if s.more {
		need := len(Wrap(s.steps[s.cur].Explain(), l.bodyW-4)) + 2
		l.explainH = min(need, l.mainH/2)
	} else {
		l.explainH = 1
	}
	l.bodyH = l.mainH - l.explainH
	return l
}

// View draws the whole screen, exactly width×height cells.
func (s *Shell) View() tea.View {
	// With --redact, the whole frame is masked once more: the steps mask IDs
	// before layout, this catches any a step drew raw (widths kept).
	v := tea.NewView(s.c.Tr.Redactor().Screen(s.render()))
	v.AltScreen = true
	v.WindowTitle = s.c.Tr.T("shell.window.title", "Step", s.steps[s.cur].Title())
	return v
}

func (s *Shell) render() string {
	if s.width <= 0 || s.height <= 0 {
		return ""
	}
	if s.tooSmall() {
		return s.smallView()
	}
	l := s.layout()
	st, x := s.c.Styles, s.c.Extra
	var out []string
	out = append(out, s.header(), Rule(s.width, x.Rule))

	rail := s.rail(l)
	body := Lines(Frame(s.steps[s.cur].View(l.bodyW, l.bodyH), l.bodyW, l.bodyH))
	var side, below []string
	if l.sideW > 0 {
		text := Wrap(s.steps[s.cur].Explain(), l.sideW-4)
		ph := min(len(text)+2, l.mainH)
		side = Lines(Panel(s.c.Tr.T("shell.explain.heading"), text, l.sideW, ph, x.Rule, st.Explain.Heading))
		for len(side) < l.mainH {
			side = append(side, Fit("", l.sideW))
		}
	} else {
		below = s.explainBelow(l)
	}
	border := x.Rule.Render("│")
	for i := 0; i < l.mainH; i++ {
		line := Fit(rail[i], l.railText) + " " + border + " "
		switch {
		case i < l.bodyH:
			line += body[i]
		default:
			line += Fit(below[i-l.bodyH], l.bodyW)
		}
		if l.sideW > 0 {
			line += " " + side[i]
		}
		out = append(out, Fit(line, s.width))
	}
	out = append(out, Rule(s.width, x.Rule))
	for _, f := range l.footer {
		out = append(out, Fit(" "+f, s.width))
	}
	return Frame(strings.Join(out, "\n"), s.width, s.height)
}

func (s *Shell) header() string {
	x := s.c.Extra
	title := s.c.Tr.T("app.name")
	counter := s.c.Tr.T("shell.step.counter", "N", s.cur+1, "Total", len(s.steps), "Title", s.steps[s.cur].Title())
	left := " " + x.Header.Render(title) + "  " + x.Counter.Render(counter)
	// The whole counter with the whole badge; else the short badge; else the
	// short badge and a cut counter; the badge goes last, for a trainer must
	// always see that this is the simulated tenant.
	right := ""
	switch lw := Width(left); {
	case s.badge != "" && lw+Width(s.badge)+1 <= s.width:
		right = s.badge
	case s.badgeShort != "" && lw+Width(s.badgeShort)+1 <= s.width:
		right = s.badgeShort
	case s.badgeShort != "" && s.width-Width(s.badgeShort)-1 >= Width(" "+title)+12:
		right = s.badgeShort
	}
	if right != "" {
		right = x.Badge.Render(right) + " "
	}
	return Fit(left, s.width-Width(right)) + right
}

func (s *Shell) rail(l layout) []string {
	st := s.c.Styles
	lines := make([]string, l.mainH)
	for i, step := range s.steps {
		if i >= l.mainH {
			break
		}
		notBuilt := false
		if p, ok := step.(Placeholder); ok {
			notBuilt = p.NotBuilt()
		}
		glyph, gst, tst := GlyphTodo, st.Rail.Todo, st.Rail.Todo
		switch {
		case i == s.cur:
			glyph, gst, tst = GlyphCurrent, st.Rail.Current, st.Rail.Current
		case notBuilt:
			glyph, gst, tst = GlyphNotBuilt, st.Rail.NotBuilt, st.Rail.NotBuilt
		case step.Complete():
			glyph, gst, tst = GlyphDone, st.Rail.Done, st.App.Text
		}
		num := FitRight(strconv.Itoa(i+1), 2)
		if l.compact {
			lines[i] = Fit(gst.Render(glyph)+" "+tst.Render(num), l.railText)
			continue
		}
		text := Truncate(num+" "+step.Title(), l.railText-2)
		lines[i] = Fit(gst.Render(glyph)+" "+tst.Render(text), l.railText)
	}
	// the legend only while some step is a placeholder
	anyNotBuilt := false
	for _, step := range s.steps {
		if p, ok := step.(Placeholder); ok && p.NotBuilt() {
			anyNotBuilt = true
		}
	}
	if anyNotBuilt && !l.compact && len(s.steps)+2 < l.mainH {
		legend := Wrap(s.c.Tr.T("shell.rail.notbuilt"), l.railText-2)
		for k, t := range legend {
			i := len(s.steps) + 1 + k
			if i >= l.mainH {
				break
			}
			g := "  "
			if k == 0 {
				g = GlyphNotBuilt + " "
			}
			lines[i] = st.Rail.NotBuilt.Render(g + t)
		}
	}
	return lines
}

func (s *Shell) explainBelow(l layout) []string {
	st, x := s.c.Styles, s.c.Extra
	heading := s.c.Tr.T("shell.explain.heading")
	text := s.steps[s.cur].Explain()
	if l.explainH <= 1 {
		lead := s.c.Tr.T("shell.explain.lead")
		line := st.Explain.Heading.Render(lead) + st.Explain.Text.Render(Truncate(text, max(l.bodyW-Width(lead), 1)))
		return []string{Fit(line, l.bodyW)}
	}
	return Lines(Panel(heading, Wrap(text, l.bodyW-4), l.bodyW, l.explainH, x.Rule, st.Explain.Heading))
}

func (s *Shell) footer() []string {
	k := s.c.Keys
	step := s.steps[s.cur]
	h := s.help // a copy: drawing never changes the model
	h.SetWidth(max(s.width-2, 1))
	nav := k.Nav(step.Capturing(), s.more)
	if s.more && !s.asking {
		full := k.WithStep(step.Keys()).FullHelp()
		full[len(full)-1] = nav
		return Lines(h.FullHelpView(full))
	}
	return s.shortFooter()
}

// shortFooter is the two-line help bar: the step's keys (or the reason an
// action was refused), then navigation.
func (s *Shell) shortFooter() []string {
	k := s.c.Keys
	step := s.steps[s.cur]
	h := s.help
	h.SetWidth(max(s.width-2, 1))
	nav := k.Nav(step.Capturing(), s.more)
	first := h.ShortHelpView(step.Keys())
	if s.status != "" {
		first = s.c.Extra.Status.Render(s.status)
	}
	if s.asking {
		first = s.c.Extra.Status.Render(Truncate(s.c.Tr.T("shell.inflight.ask"), max(s.width-2, 1)))
		nav = []key.Binding{k.LeaveRunning, k.KeepWaiting}
	}
	return []string{first, h.ShortHelpView(nav)}
}

// smallView is the only screen below MinWidth×MinHeight: what is wrong, the
// sizes, and how to get out. It fits down to 40×10 and keeps working below.
func (s *Shell) smallView() string {
	tr, x, st := s.c.Tr, s.c.Extra, s.c.Styles
	w := max(s.width-4, 1)
	var lines []string
	lines = append(lines, x.Small.Render(Truncate(tr.T("shell.small.heading"), w)), "")
	for _, l := range Wrap(tr.T("shell.small.body", "MinW", MinWidth, "MinH", MinHeight, "W", s.width, "H", s.height), w) {
		lines = append(lines, st.App.Text.Render(l))
	}
	lines = append(lines, "")
	for _, l := range Wrap(tr.T("shell.small.next"), w) {
		lines = append(lines, st.App.Muted.Render(l))
	}
	if len(lines) > s.height {
		// Drop the blank lines first, then whatever does not fit.
		var dense []string
		for _, l := range lines {
			if l != "" {
				dense = append(dense, l)
			}
		}
		lines = dense
	}
	top := max((s.height-len(lines))/2, 0)
	out := make([]string, 0, s.height)
	for i := 0; i < top; i++ {
		out = append(out, "")
	}
	for _, l := range lines {
		out = append(out, "  "+l)
	}
	return Frame(strings.Join(out, "\n"), s.width, s.height)
}
