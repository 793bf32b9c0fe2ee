package steps

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// The screen of step 5: each plan VM's agent and extension as JudgeAgent
// sees them, the choice between repairing and only being told (the plan's
// agent.fix), and what the plan then does per VM (agentChanges, the same
// function Review plans with). Nothing changes in Azure here.

type (
	agentReadMsg struct {
		gen    int
		agents map[string]*azure.VM // copies of the VMs read, by lower-cased id
		jobs   map[string][]azure.RunningJob
		err    error
	}
)

const (
	agentPageMain = iota
	agentPageDetails
)

// agentFixes are the choices, in the order shown.
var agentFixes = []string{AgentFixRunCommand, AgentFixInstructions}

type agentKeys struct{ choose, details key.Binding }

// agentStep is the screen model of step 5.
type agentStep struct {
	c    *ui.Common
	sess *Session
	api  agentLiveAPI // nil: the running jobs are not read
	w, h int
	spin spinner.Model
	keys agentKeys

	key     string
	gen     int
	loading bool
	readErr error
	region  string
	vms     []*azure.VM // copies of the plan VMs with their agents read
	jobs    map[string][]azure.RunningJob
	diag    []AgentVerdict

	page      int
	cursor    int
	committed bool
	off       int
}

func newAgentStep(c *ui.Common, sess *Session, api WizardAPI) agentStep {
	tr := c.Tr
	m := agentStep{c: c, sess: sess, spin: ui.NewSpinner(c.Extra),
		keys: agentKeys{
			choose:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("agent.key.choose"))),
			details: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", tr.T("agent.key.details"))),
		}}
	if a, ok := any(api).(agentLiveAPI); ok {
		m.api = a
	}
	return m
}

func (m agentStep) Title() string                  { return m.c.Tr.T("step.agent.title") }
func (m agentStep) Explain() string                { return m.c.Tr.T("agent.why") }
func (m agentStep) Init() tea.Cmd                  { return nil }
func (m agentStep) Capturing() bool                { return false }
func (m agentStep) Deactivate() (ui.Step, tea.Cmd) { return m, nil }
func (m agentStep) Next() (ui.Step, tea.Cmd, bool) { return m, nil, false }

// Back leaves the details page first.
func (m agentStep) Back() (ui.Step, tea.Cmd, bool) {
	if m.page == agentPageMain {
		return m, nil, false
	}
	m.page, m.off = agentPageMain, 0
	return m, nil, true
}

func (m agentStep) diagKey() string {
	p := m.sess.Plan
	if p == nil {
		return ""
	}
	return strconv.Itoa(m.sess.Revision) + "\n" + p.Subscription + "\n" + azure.NormalizeLocation(p.Vault.Location) + "\n" + strings.Join(p.VMs, "\n")
}

// Activate reads the agents not read yet and the running backup jobs when
// the plan's VMs or region changed.
func (m agentStep) Activate() (ui.Step, tea.Cmd) {
	p := m.sess.Plan
	if p == nil {
		m.key, m.vms, m.diag, m.committed = "", nil, nil, false
		return m, nil
	}
	k := m.diagKey()
	if k == m.key {
		return m, nil
	}
	m.key, m.gen = k, m.gen+1
	m.region = azure.NormalizeLocation(p.Vault.Location)
	m.vms = nil
	for _, vm := range planVMs(p, m.sess.Inventory) {
		cp := *vm
		m.vms = append(m.vms, &cp)
	}
	m.jobs, m.readErr, m.page, m.off = nil, nil, agentPageMain, 0
	m.committed = false
	m.judge()
	m.cursor = slices.Index(agentFixes, m.recommend())
	if m.api == nil || len(m.vms) == 0 {
		return m, nil
	}
	m.loading = true
	return m, tea.Batch(m.spin.Tick, m.read())
}

// read is the Cmd that reads the agents and jobs.
func (m agentStep) read() tea.Cmd {
	api, ctx, gen, p := m.api, m.sess.Context(), m.gen, *m.sess.Plan
	live := LiveState{VMs: map[string]*azure.VM{}}
	for _, vm := range m.vms {
		cp := *vm
		live.VMs[strings.ToLower(vm.ID)] = &cp
	}
	return func() tea.Msg {
		err := ReadAgentLive(ctx, api, &p, &live)
		return agentReadMsg{gen: gen, agents: live.VMs, jobs: live.AgentJobs, err: err}
	}
}

// judge computes the verdicts from the VMs and jobs known.
func (m *agentStep) judge() {
	m.diag = m.diag[:0:0]
	for _, vm := range m.vms {
		m.diag = append(m.diag, JudgeAgent(vm, m.jobs[strings.ToLower(vm.ID)], m.sess.Rules))
	}
}

// recommend is the repair choice recommended: repair when anything needs it.
func (m agentStep) recommend() string {
	for _, d := range m.diag {
		if d.Fix == FixRunCommand || d.RemoveExt {
			return AgentFixRunCommand
		}
	}
	return AgentFixInstructions
}

func (m agentStep) needsWork() bool {
	return slices.ContainsFunc(m.diag, func(d AgentVerdict) bool { return d.NeedsWork() })
}

// fix is the plan's agent.fix.
func (m agentStep) fix() string {
	if m.sess.Plan == nil || m.sess.Plan.Agent.Fix == "" {
		return AgentFixInstructions
	}
	return m.sess.Plan.Agent.Fix
}

// changes are what the planner makes of the plan for these VMs.
func (m agentStep) changes(fix string) []Change {
	if m.sess.Plan == nil {
		return nil
	}
	p := *m.sess.Plan
	p.Agent.Fix = fix
	live := LiveState{AgentJobs: m.jobs, AgentFloor: m.sess.Rules.AgentFloor}
	var out []Change
	for _, vm := range m.vms {
		out = append(out, agentChanges(&p, live, vm, m.region)...)
	}
	return out
}

func (m agentStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spin(m.spin, msg, m.loading)
		return m, cmd
	case agentReadMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loading, m.readErr = false, msg.err
		for i, vm := range m.vms {
			if r := msg.agents[strings.ToLower(vm.ID)]; r != nil {
				m.vms[i] = r
			}
		}
		m.jobs = msg.jobs
		m.judge()
		if !m.committed {
			m.cursor = slices.Index(agentFixes, m.recommend())
		}
	case tea.KeyPressMsg:
		if m.sess.Plan == nil {
			return m, nil
		}
		return m.keyPress(msg)
	}
	return m, nil
}

func (m agentStep) keyPress(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	if m.page == agentPageDetails {
		if key.Matches(km, k.Close) || key.Matches(km, m.keys.details) {
			m.page, m.off = agentPageMain, 0
			return m, nil
		}
		m.off = max(0, scrollKey(k, km, m.off, max(m.h-2, 1)))
		return m, nil
	}
	switch {
	case key.Matches(km, m.keys.details):
		m.page, m.off = agentPageDetails, 0
		return m, nil
	case key.Matches(km, m.keys.choose):
		fix := agentFixes[m.cursor]
		p := *m.sess.Plan
		p.Agent.Fix = fix
		m.sess.Plan = &p
		m.committed = true
		m.sess.Log.Add("agent", m.c.Tr.T("agent.log.fix", "Fix", fix))
		return m, nil
	}
	m.cursor = move(k, km, m.cursor, len(agentFixes), len(agentFixes))
	return m, nil
}

func (m agentStep) Complete() bool {
	if m.sess.Plan == nil || m.key != m.diagKey() || m.loading {
		return false
	}
	return m.committed || !m.needsWork()
}

func (m agentStep) Hint() string {
	switch {
	case m.sess.Plan == nil:
		return m.c.Tr.T("agent.hint.vault")
	case !m.Complete():
		return m.c.Tr.T("agent.hint.choose")
	}
	return ""
}

func (m agentStep) Keys() []key.Binding {
	k := m.c.Keys
	switch {
	case m.sess.Plan == nil:
		return nil
	case m.page == agentPageDetails:
		return []key.Binding{k.Up, k.Close}
	}
	return []key.Binding{k.Up, m.keys.choose, m.keys.details}
}

// ---- drawing ----

func (m agentStep) View(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	if m.sess.Plan == nil {
		lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("agent.none.heading"), w)), ""}
		lines = append(lines, wrapStyled(tr.T("agent.none.body"), w, st.App.Text)...)
		return strings.Join(lines, "\n")
	}
	var lines []string
	if m.page == agentPageDetails {
		lines = m.detailsView(w, h)
	} else {
		lines = m.mainView(w, h)
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// verdictGlyph is a VM's verdict glyph: ok, info (stopped, busy), warn
// (to fix by hand), fixable (a repair is planned when chosen).
func verdictGlyph(d AgentVerdict) string {
	switch {
	case d.Busy():
		return "info"
	case d.Fix == FixManual:
		return "warn"
	case d.Fix == FixRunCommand || d.RemoveExt:
		return "fixable"
	case d.Agent == AgentStopped || d.Agent == AgentUnknown || d.Ext == ExtProvisioning:
		return "info"
	}
	return "ok"
}

// verdictText is a VM's agent and extension in a sentence.
func (m agentStep) verdictText(d AgentVerdict) string {
	tr := m.c.Tr
	t := tr.T("agent.state."+d.Agent, "Version", or(d.Version, "?"), "Floor", or(d.Floor, "?"), "Detail", or(d.Detail, "-"))
	if d.Agent != AgentStopped && d.Agent != AgentUnknown {
		t += " · " + tr.T("agent.ext."+d.Ext, "Name", d.ExtName, "Detail", or(d.ExtMsg, "-"))
	}
	if d.Busy() {
		t += " · " + tr.T("agent.busy", "Jobs", jobNames(d.Jobs))
	}
	return t
}

func (m agentStep) mainView(w, h int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := []string{ui.Fit(st.Body.Heading.Render(tr.T("agent.heading", "Count", len(m.vms), "Region", m.region)), w)}
	var tail []string
	switch {
	case m.loading:
		tail = append(tail, ui.Fit(m.spin.View()+" "+st.App.Muted.Render(tr.T("agent.reading")), w))
	case m.readErr != nil:
		what, _, _ := Explain(m.readErr).Text(tr)
		tail = append(tail, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T("agent.read.failed", "Error", what), w, st.App.Text)...)
	}
	tail = append(tail, "")
	if m.needsWork() {
		tail = append(tail, m.choiceLines(w)...)
		cs := m.changes(agentFixes[m.cursor])
		up, rm, manual := 0, 0, map[string]bool{}
		for _, c := range cs {
			switch {
			case c.Kind == Create && c.Action == ActionAgentUpdate:
				up++
			case c.Kind == Create && c.Action == ActionSnapshotExtRemove:
				rm++
			case c.Kind == Skip:
				manual[c.Target] = true
			}
		}
		tail = append(tail, "")
		tail = append(tail, wrapStyled(tr.T("agent.plan.summary", "Update", up, "Remove", rm, "Manual", len(manual)), w, st.App.Text)...)
		about := tr.T("agent.about." + agentFixes[m.cursor])
		if slices.ContainsFunc(m.diag, func(d AgentVerdict) bool { return d.Agentless }) {
			about = ui.JoinSentences(about, tr.T("agent.agentless"))
		}
		if room := h - len(out) - len(tail) - 3; room > 0 {
			tail = append(tail, styleLines(ui.WrapLines(about, w, room), st.App.Muted)...)
		}
	} else if len(m.vms) > 0 {
		tail = append(tail, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("agent.plan.nothing"), w, st.App.Text)...)
	}
	room := max(h-len(out)-len(tail), 2)
	verdicts := m.verdictLines(w, false, len(m.diag))
	if len(verdicts) > room {
		verdicts = m.verdictLines(w, true, len(m.diag))
	}
	if len(verdicts) > room {
		n := max(room-1, 1)
		verdicts = append(m.verdictLines(w, true, n)[:n], st.App.Faint.Render(ui.Truncate(tr.T("agent.more", "Count", len(m.diag)-n), w)))
	}
	out = append(out, verdicts...)
	return append(out, tail...)
}

func (m agentStep) verdictLines(w int, compact bool, n int) []string {
	tr, st := m.c.Tr, m.c.Styles
	if len(m.diag) == 0 {
		return wrapStyled(tr.T("agent.novms"), w, st.App.Muted)
	}
	nw := 0
	for _, d := range m.diag {
		nw = max(nw, ui.Width(d.VM.Name))
	}
	nw = min(nw, max(w/3, 8))
	// glyph, space, name, two spaces: the text starts at nw+4
	pad := strings.Repeat(" ", nw+4)
	var out []string
	for _, d := range m.diag[:min(n, len(m.diag))] {
		g := verdictGlyph(d)
		name := ui.Truncate(d.VM.Name, nw)
		name += strings.Repeat(" ", nw-ui.Width(name))
		text := m.verdictText(d)
		wrapped := ui.Wrap(text, max(w-nw-4, 10))
		if compact {
			wrapped = []string{ui.Truncate(text, max(w-nw-4, 10))}
		}
		for i, l := range wrapped {
			if i == 0 {
				out = append(out, ui.Fit(st.Verdict[g].Render(ui.VerdictGlyph(g))+" "+st.Table.Cell.Render(name)+"  "+st.App.Text.Render(l), w))
				continue
			}
			out = append(out, ui.Fit(pad+st.App.Text.Render(l), w))
		}
	}
	return out
}

func (m agentStep) choiceLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	rows := make([]choiceRow, len(agentFixes))
	for i, f := range agentFixes {
		tag, ts := tr.T("agent.tag."+f), st.App.Muted
		if f == m.recommend() {
			tag, ts = tr.T("agent.tag.recommended")+" · "+tag, st.App.Accent
		}
		rows[i] = choiceRow{name: tr.T("agent.choice." + f), on: m.committed && f == m.fix(), tag: tag, tagStyle: ts}
	}
	return choiceLines(m.c, rows, m.cursor, w)
}

// detailsView is what the plan does for each VM under the cursor's choice:
// the change's reason (with the commands of a by-hand repair) and the
// script a Run Command repair runs, as Review will show it.
func (m agentStep) detailsView(w, h int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := []string{ui.Fit(st.Body.Heading.Render(tr.T("agent.details.heading")), w)}
	var body []string
	cs := m.changes(agentFixes[m.cursor])
	if len(cs) == 0 {
		body = append(body, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("agent.plan.nothing"), w, st.App.Text)...)
	}
	scripts := map[string]bool{}
	for _, c := range cs {
		g := "warn"
		if c.Kind == Create {
			g = "fixable"
		}
		body = append(body, "")
		head := tr.T("change.action."+c.Action) + " " + argString(c.Args, "VM")
		body = append(body, ui.Fit(st.Verdict[g].Render(ui.VerdictGlyph(g))+" "+st.Table.Cell.Bold(true).Render(ui.Truncate(head, w-2)), w))
		body = append(body, wrapStyled(tr.T(c.Reason, c.Args...), w, st.App.Text)...)
		if lang, script, ok := AgentChangeScript(c); ok {
			body = append(body, wrapStyled(tr.T("agent.details.script", "Lang", lang, "VM", argString(c.Args, "VM")), w, st.App.Muted)...)
			if scripts[script] {
				continue
			}
			scripts[script] = true
			gutter := st.App.Faint.Render("│ ")
			for _, l := range strings.Split(strings.TrimRight(script, "\n"), "\n") {
				for _, piece := range codePieces(strings.ReplaceAll(l, "\t", "    "), max(w-2, 8)) {
					body = append(body, gutter+st.App.Text.Render(piece))
				}
			}
		}
	}
	room := max(h-len(out), 1)
	off := clampScroll(m.off, len(body), room)
	return append(out, scrolled(m.c, body, off, room, w, "agent.pos")...)
}
