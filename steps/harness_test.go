package steps

import (
	"fmt"
	"slices"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/backupready/backupready/ui"
)

// The screen tests of one step run the wizard's shell with that step built
// and the others standing in for it: the steps before it done, so that the
// rail looks as after a real walk, and the rest not built.

// doneStep stands for a step already completed, so that a golden shows the
// rail as after a real walk.
type doneStep struct{ notBuiltStep }

func (doneStep) NotBuilt() bool                      { return false }
func (d doneStep) Activate() (ui.Step, tea.Cmd)      { return d, nil }
func (d doneStep) Deactivate() (ui.Step, tea.Cmd)    { return d, nil }
func (d doneStep) Update(tea.Msg) (ui.Step, tea.Cmd) { return d, nil }
func (d doneStep) Back() (ui.Step, tea.Cmd, bool)    { return d, nil, false }
func (d doneStep) Next() (ui.Step, tea.Cmd, bool)    { return d, nil, false }

// runShell runs shell in a test program of w×h cells without colours, so
// that screens compare as text. drop, when set, names the messages the
// program never gets (spinner ticks, so that a golden does not depend on
// timing).
func runShell(t *testing.T, shell *ui.Shell, w, h int, drop func(tea.Msg) bool) *harness {
	hs := &harness{t: t, w: w, h: h}
	filter := hs.filter
	if drop != nil {
		filter = func(m tea.Model, msg tea.Msg) tea.Msg {
			if drop(msg) {
				return nil
			}
			return hs.filter(m, msg)
		}
	}
	hs.tm = teatest.NewTestModel(t, shell,
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(
			tea.WithColorProfile(colorprofile.Ascii),
			tea.WithEnvironment([]string{"TERM=xterm-256color", "LANG=C.UTF-8"}),
			tea.WithFilter(filter),
		),
	)
	t.Cleanup(func() { _ = hs.tm.Quit() })
	return hs
}

// harnessAt runs the demo wizard's shell of steps (see runShell) and goes on
// to the step at index at, waiting until it is on screen.
func harnessAt(t *testing.T, c *ui.Common, steps []ui.Step, at, w, h int, drop func(tea.Msg) bool) *harness {
	t.Helper()
	shell := ui.NewShell(c, steps, ui.ShellOptions{Badge: c.Tr.T("shell.demo.badge"), BadgeShort: c.Tr.T("shell.demo.short")})
	hs := runShell(t, shell, w, h, drop)
	for range at {
		hs.next()
	}
	hs.waitFor(fmt.Sprintf("the %s step", stepIDs[at]), func(s snapshot) bool { return s.current == at })
	return hs
}

// newStepHarness runs the shell for a test of the step id, which build
// makes, in the language lang: the steps before it done, the later ones not
// built (see harnessAt).
func newStepHarness(t *testing.T, lang, id string, w, h int, build func(c *ui.Common) ui.Step, drop func(tea.Msg) bool) *harness {
	t.Helper()
	c := ui.NewCommon(translator(t, lang))
	at := slices.Index(stepIDs, id)
	var steps []ui.Step
	for i, sid := range stepIDs {
		switch {
		case i == at:
			steps = append(steps, build(c))
		case i < at:
			steps = append(steps, doneStep{newNotBuiltStep(c, sid)})
		default:
			steps = append(steps, newNotBuiltStep(c, sid))
		}
	}
	return harnessAt(t, c, steps, at, w, h, drop)
}
