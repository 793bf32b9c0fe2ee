package ui

import (
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// fakeStep is a step with a text field, pages and a body that is far too
// wide, so that the shell's clipping is tested too.
type fakeStep struct {
	title, why  string
	field       Field
	done        bool
	page        int
	placeholder bool
	got         []string
	activated   int
	left        int
}

func (f *fakeStep) Title() string   { return f.title }
func (f *fakeStep) Explain() string { return f.why }
func (f *fakeStep) Init() tea.Cmd   { return nil }
func (f *fakeStep) Activate() (Step, tea.Cmd) {
	f.activated++
	return f, nil
}
func (f *fakeStep) Deactivate() (Step, tea.Cmd) {
	f.left++
	return f, nil
}
func (f *fakeStep) Update(msg tea.Msg) (Step, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		f.got = append(f.got, k.String())
		f.field, _ = f.field.Update(k)
	}
	return f, nil
}
func (f *fakeStep) View(w, h int) string {
	var b strings.Builder
	for i := 0; i < h+5; i++ {
		fmt.Fprintf(&b, "%d 恢复服务保管库 Recovery Services vault %s\n", i, strings.Repeat("—", w))
	}
	return b.String()
}
func (f *fakeStep) Keys() []key.Binding { return []key.Binding{NewKeyMap(mustTr("en")).Toggle} }
func (f *fakeStep) Complete() bool      { return f.done }
func (f *fakeStep) Hint() string        { return "select something first" }
func (f *fakeStep) Capturing() bool     { return f.field.Focused() }
func (f *fakeStep) NotBuilt() bool      { return f.placeholder }
func (f *fakeStep) Back() (Step, tea.Cmd, bool) {
	if f.page > 0 {
		f.page--
		return f, nil, true
	}
	return f, nil, false
}
func (f *fakeStep) Next() (Step, tea.Cmd, bool) { return f, nil, false }

func mustTr(lang string) *Translator {
	tr, err := NewTranslator(lang)
	if err != nil {
		panic(err)
	}
	return tr
}

func newTestShell(lang string) (*Shell, []*fakeStep) {
	tr := mustTr(lang)
	titles := map[string][]string{
		"en": {"Sign-in & scope", "Preflight", "Vault"},
		"zh": {"登录和范围", "预检", "保管库"},
		"ja": {"サインインとスコープ", "事前チェック", "コンテナー"},
	}[lang]
	var fakes []*fakeStep
	var steps []Step
	for i, t := range titles {
		f := &fakeStep{title: t, why: strings.Repeat("为什么这一步很重要。Why this step matters. ", 6), placeholder: i == 2}
		fakes = append(fakes, f)
		steps = append(steps, f)
	}
	return NewShell(NewCommon(tr), steps, ShellOptions{Badge: tr.T("shell.demo.badge"), BadgeShort: tr.T("shell.demo.short")}), fakes
}

func send(s *Shell, msgs ...tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	for _, m := range msgs {
		_, cmd = s.Update(m)
	}
	return cmd
}

func keyPress(code rune, mod tea.KeyMod) tea.KeyPressMsg {
	k := tea.KeyPressMsg{Code: code, Mod: mod}
	if mod == 0 && code >= ' ' && code < 0x7f {
		k.Text = string(code)
	}
	return k
}

var (
	tab      = keyPress(tea.KeyTab, 0)
	shiftTab = keyPress(tea.KeyTab, tea.ModShift)
	ctrlC    = keyPress('c', tea.ModCtrl)
)

func assertFits(t *testing.T, s *Shell, w, h int) {
	t.Helper()
	out := s.View().Content
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Fatalf("%dx%d: line %d is %d cells: %q", w, h, i+1, lw, ansi.Strip(l))
		}
	}
}

// Every size, every language, both help states: the screen is exactly the
// window, and nothing is cut in the middle of a character.
func TestShellFitsEverySize(t *testing.T) {
	for _, lang := range Languages {
		s, _ := newTestShell(lang)
		for _, more := range []bool{false, true} {
			s.more = more
			for w := 20; w <= 170; w += 3 {
				for _, h := range []int{5, 10, 15, 16, 17, 24, 40} {
					send(s, tea.WindowSizeMsg{Width: w, Height: h})
					assertFits(t, s, w, h)
				}
			}
		}
	}
}

// Ambiguous-width characters (box drawing, …, ›) take two cells in East Asian
// terminals set up with RUNEWIDTH_EASTASIAN; x/ansi reads it at start-up, so
// the check runs in a child process.
func TestShellFitsEastAsianAmbiguousWidth(t *testing.T) {
	if os.Getenv("BACKUPREADY_EA_CHILD") == "1" {
		if ansi.StringWidth("─") != 2 {
			t.Fatal("the child should measure ambiguous characters as wide")
		}
		TestShellFitsEverySize(t)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestShellFitsEastAsianAmbiguousWidth$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BACKUPREADY_EA_CHILD=1", "RUNEWIDTH_EASTASIAN=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestShellTooSmallRecovers(t *testing.T) {
	s, _ := newTestShell("ja")
	send(s, tea.WindowSizeMsg{Width: 40, Height: 10})
	out := ansi.Strip(s.View().Content)
	if !strings.Contains(out, "40×10") || !strings.Contains(out, "60×16") {
		t.Errorf("the small screen should give both sizes:\n%s", out)
	}
	assertFits(t, s, 40, 10)
	send(s, tea.WindowSizeMsg{Width: 60, Height: 16})
	out = ansi.Strip(s.View().Content)
	if strings.Contains(out, "40×10") || !strings.Contains(out, "サインインとスコープ") {
		t.Errorf("the wizard should be back at 60×16:\n%s", out)
	}
}

func TestShellNavigation(t *testing.T) {
	s, fakes := newTestShell("en")
	s.Init()
	send(s, tea.WindowSizeMsg{Width: 100, Height: 30})
	if fakes[0].activated != 1 {
		t.Fatal("the first step should be activated at start")
	}

	// Next refused: the step's hint is shown until the next key.
	send(s, tab)
	if s.Current() != 0 || s.Status() != "select something first" {
		t.Fatalf("refused Next: step %d status %q", s.Current(), s.Status())
	}
	if !strings.Contains(ansi.Strip(s.View().Content), "select something first") {
		t.Error("the hint should be on screen")
	}
	send(s, keyPress('x', 0))
	if s.Status() != "" {
		t.Error("the hint should go away with the next key")
	}

	fakes[0].done = true
	send(s, tab)
	if s.Current() != 1 || fakes[0].left != 1 || fakes[1].activated != 1 {
		t.Fatalf("Next: step %d, left %d, activated %d", s.Current(), fakes[0].left, fakes[1].activated)
	}
	// Back with an inner page goes back a page, then a step.
	fakes[1].page = 1
	send(s, shiftTab)
	if s.Current() != 1 || fakes[1].page != 0 {
		t.Fatal("Back should first leave the step's own page")
	}
	send(s, shiftTab)
	if s.Current() != 0 {
		t.Fatal("Back should go to the previous step")
	}

	// Back while a field is focused, and q types there.
	send(s, tab)
	fakes[1].field.Focus()
	send(s, keyPress('q', 0), keyPress('?', 0))
	if fakes[1].field.Value() != "q?" || s.more {
		t.Fatalf("q and ? should type into a focused field, got %q", fakes[1].field.Value())
	}
	if !strings.Contains(ansi.Strip(s.View().Content), "ctrl+c quit") {
		t.Error("help should offer ctrl+c while typing")
	}
	send(s, shiftTab)
	if s.Current() != 0 {
		t.Fatal("Back must work while a field has focus")
	}
	if cmd := send(s, keyPress('q', 0)); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("q should quit when nothing is typed into")
	}
	if cmd := send(s, ctrlC); cmd == nil {
		t.Fatal("ctrl+c")
	} else if _, ok := cmd().(tea.InterruptMsg); !ok {
		t.Fatalf("ctrl+c should interrupt, got %T", cmd())
	}

	// The last step refuses Next and says why.
	fakes[1].done = true
	fakes[1].field.Blur()
	send(s, tab, tab)
	if s.Current() != 2 {
		t.Fatalf("step %d", s.Current())
	}
	fakes[2].done = true
	send(s, tab)
	if s.Current() != 2 || s.Status() != mustTr("en").T("shell.next.last") {
		t.Fatalf("Next on the last step: %d %q", s.Current(), s.Status())
	}
}

func TestShellRail(t *testing.T) {
	s, fakes := newTestShell("en")
	fakes[0].done = true
	send(s, tea.WindowSizeMsg{Width: 100, Height: 24}, tab)
	out := ansi.Strip(s.View().Content)
	for _, want := range []string{GlyphDone + "  1 Sign-in & scope", GlyphCurrent + "  2 Preflight", GlyphNotBuilt + "  3 Vault", GlyphNotBuilt + " not built yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("rail should show %q:\n%s", want, out)
		}
	}
	send(s, tea.WindowSizeMsg{Width: 70, Height: 24})
	out = ansi.Strip(s.View().Content)
	if strings.Contains(out, "Sign-in") || !strings.Contains(out, GlyphCurrent+"  2 │") {
		t.Errorf("at 60-79 columns the rail shows numbers only:\n%s", out)
	}
}

func TestShellExplanation(t *testing.T) {
	s, _ := newTestShell("zh")
	tr := mustTr("zh")
	send(s, tea.WindowSizeMsg{Width: 120, Height: 30})
	if out := ansi.Strip(s.View().Content); !strings.Contains(out, "╭─ "+tr.T("shell.explain.heading")) {
		t.Errorf("at 100 columns and more the explanation is a panel beside the body:\n%s", out)
	}
	send(s, tea.WindowSizeMsg{Width: 90, Height: 30})
	out := ansi.Strip(s.View().Content)
	if !strings.Contains(out, tr.T("shell.explain.lead")) || strings.Contains(out, "╭─") {
		t.Errorf("below 100 columns it is one line:\n%s", out)
	}
	send(s, keyPress('?', 0))
	out = ansi.Strip(s.View().Content)
	if !strings.Contains(out, "╭─ "+tr.T("shell.explain.heading")) || !strings.Contains(out, tr.T("key.less")) {
		t.Errorf("? opens it below the body:\n%s", out)
	}
}

func TestShellBackgroundColor(t *testing.T) {
	s, _ := newTestShell("en")
	if cmd := s.Init(); cmd == nil {
		t.Fatal("Init should ask for the background colour")
	}
	send(s, tea.BackgroundColorMsg{Color: color.White})
	if s.c.Styles.IsDark {
		t.Error("a white background should switch to light styles")
	}
	send(s, tea.BackgroundColorMsg{Color: color.Black})
	if !s.c.Styles.IsDark {
		t.Error("a black background should switch to dark styles")
	}
}

func TestShellView(t *testing.T) {
	s, _ := newTestShell("ja")
	send(s, tea.WindowSizeMsg{Width: 80, Height: 24})
	v := s.View()
	if !v.AltScreen || !strings.Contains(v.WindowTitle, "サインインとスコープ") {
		t.Errorf("AltScreen %v, title %q", v.AltScreen, v.WindowTitle)
	}
}

func TestKeyMapHelpIsTranslated(t *testing.T) {
	for _, lang := range Languages {
		tr := mustTr(lang)
		k := NewKeyMap(tr)
		for _, b := range append(k.ShortHelp(), k.Up, k.Toggle, k.All, k.Search, k.Open, k.Close, k.Sort, k.Show, k.Retry, k.Refresh, k.Load, k.Done, k.Clear, k.PageUp, k.Home) {
			if d := b.Help().Desc; d == "" || strings.HasPrefix(d, "key.") {
				t.Errorf("%s: binding %v has no translated help (%q)", lang, b.Keys(), d)
			}
		}
		if len(k.WithStep([]key.Binding{k.Toggle}).FullHelp()) != 2 {
			t.Errorf("%s: full help columns", lang)
		}
	}
}

// busyStep is a step with changes running in Azure.
type busyStep struct {
	*fakeStep
	busy bool
}

func (b *busyStep) InFlight() bool { return b.busy }

// The fake's methods return the fake itself; these keep the wrapper.
func (b *busyStep) Activate() (Step, tea.Cmd)   { b.fakeStep.Activate(); return b, nil }
func (b *busyStep) Deactivate() (Step, tea.Cmd) { b.fakeStep.Deactivate(); return b, nil }
func (b *busyStep) Update(msg tea.Msg) (Step, tea.Cmd) {
	b.fakeStep.Update(msg)
	return b, nil
}
func (b *busyStep) Back() (Step, tea.Cmd, bool) { _, cmd, h := b.fakeStep.Back(); return b, cmd, h }
func (b *busyStep) Next() (Step, tea.Cmd, bool) { return b, nil, false }

// With changes in flight, Ctrl+C and q ask first: w keeps waiting, l (or a
// second Ctrl+C) quits; Back is refused on the busy step. Once nothing is
// in flight, Ctrl+C quits at once again.
func TestShellAsksBeforeLeavingChangesRunning(t *testing.T) {
	for _, lang := range Languages {
		tr := mustTr(lang)
		busy := &busyStep{fakeStep: &fakeStep{title: "Apply", done: true}, busy: true}
		s := NewShell(NewCommon(tr), []Step{&fakeStep{title: "Review", done: true}, busy}, ShellOptions{})
		s.Init()
		send(s, tea.WindowSizeMsg{Width: 80, Height: 24}, tab)
		if s.Current() != 1 {
			t.Fatal("setup")
		}
		if cmd := send(s, ctrlC); cmd != nil {
			if _, quit := cmd().(tea.InterruptMsg); quit {
				t.Fatalf("%s: ctrl+c quit with changes in flight", lang)
			}
		}
		if !s.Asking() || !strings.Contains(strings.Join(strings.Fields(ansi.Strip(s.View().Content)), ""), strings.Join(strings.Fields(tr.T("key.leave-running")), "")) {
			t.Fatalf("%s: no question on screen:\n%s", lang, ansi.Strip(s.View().Content))
		}
		assertFits(t, s, 80, 24)
		send(s, keyPress('w', 0))
		if s.Asking() {
			t.Fatalf("%s: w should keep waiting", lang)
		}
		send(s, keyPress('q', 0))
		if !s.Asking() {
			t.Fatalf("%s: q should ask too", lang)
		}
		if cmd := send(s, keyPress('l', 0)); cmd == nil {
			t.Fatalf("%s: l should quit", lang)
		} else if _, ok := cmd().(tea.InterruptMsg); !ok {
			t.Fatalf("%s: l should interrupt, got %T", lang, cmd())
		}
		s.asking = false
		send(s, shiftTab)
		if s.Current() != 1 || s.Status() != tr.T("shell.back.inflight") {
			t.Fatalf("%s: Back with changes in flight: step %d status %q", lang, s.Current(), s.Status())
		}
		busy.busy = false
		if cmd := send(s, ctrlC); cmd == nil {
			t.Fatal("ctrl+c")
		} else if _, ok := cmd().(tea.InterruptMsg); !ok {
			t.Fatalf("%s: ctrl+c should quit once nothing is in flight", lang)
		}
	}
}
