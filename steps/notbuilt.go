package steps

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/ui"
)

// notBuiltStep stands for a step of DESIGN §2 that this version does not
// have yet. It says so plainly and does nothing: no reads, no changes, no
// pretend results. Next goes on, Back goes back.
type notBuiltStep struct {
	c  *ui.Common
	id string // catalog name: vault, redundancy, network, …
}

func newNotBuiltStep(c *ui.Common, id string) notBuiltStep { return notBuiltStep{c: c, id: id} }

func (m notBuiltStep) Title() string                     { return m.c.Tr.T("step." + m.id + ".title") }
func (m notBuiltStep) Explain() string                   { return m.c.Tr.T("step." + m.id + ".why") }
func (m notBuiltStep) Init() tea.Cmd                     { return nil }
func (m notBuiltStep) Activate() (ui.Step, tea.Cmd)      { return m, nil }
func (m notBuiltStep) Deactivate() (ui.Step, tea.Cmd)    { return m, nil }
func (m notBuiltStep) Update(tea.Msg) (ui.Step, tea.Cmd) { return m, nil }
func (m notBuiltStep) Keys() []key.Binding               { return nil }
func (m notBuiltStep) Complete() bool                    { return true }
func (m notBuiltStep) Hint() string                      { return "" }
func (m notBuiltStep) Capturing() bool                   { return false }
func (m notBuiltStep) Back() (ui.Step, tea.Cmd, bool)    { return m, nil, false }
func (m notBuiltStep) Next() (ui.Step, tea.Cmd, bool)    { return m, nil, false }
func (m notBuiltStep) NotBuilt() bool                    { return true }

func (m notBuiltStep) View(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	k := m.c.Keys
	lines := []string{
		st.Body.Heading.Render(ui.Truncate(m.Title(), w)),
		"",
		st.Rail.NotBuilt.Render(ui.GlyphNotBuilt + " " + ui.Truncate(tr.T("notbuilt.heading"), w-2)),
	}
	lines = append(lines, wrapStyled(tr.T("notbuilt.body"), w, st.App.Text)...)
	lines = append(lines, "")
	lines = append(lines, wrapStyled(tr.T("notbuilt.keys", "Next", k.Next.Help().Key, "Back", k.Back.Help().Key), w, st.App.Muted)...)
	return strings.Join(lines, "\n")
}
