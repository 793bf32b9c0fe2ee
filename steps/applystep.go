package steps

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 7, apply: carries out the change list the user confirmed in Review,
// in order, a line per change as it happens, and records every change in the
// journal beside the plan, so that an interrupted run resumes instead of
// starting again. After a failure it asks: retry, skip or stop. When the run
// ends it says what was done, explains every failure, and either points on
// to Protect or offers to run the plan again (Azure is read again first, so
// finished work is never repeated: the planner sees it as "no change").
//
// Only the preparation is carried out here; the backup policy and the VMs'
// protection are the Protect step's, which confirms them itself.

// applyRunIDs is where the Apply step's run ids start, apart from the
// Protect step's: both steps see every run message and tell theirs by id.
const applyRunIDs = 7 << 20

type (
	// applyPreparedMsg: the journal was opened for a run and, for a run
	// again, Azure read anew and the change list made again.
	applyPreparedMsg struct {
		gen        int
		journal    *Journal
		changes    []Change // the new list (a run again); nil: the confirmed list
		journalErr error
		readErr    error
		conflicts  PlanConflicts
	}
)

// applyPhase is where the Apply step stands.
type applyPhase int

const (
	applyIdle      applyPhase = iota // nothing confirmed yet: nothing runs
	applyPreparing                   // opening the journal (and reading Azure again)
	applyFailed                      // the journal could not be opened, or Azure not read
	applyRunning                     // the applier is carrying out the changes
	applyFinished                    // a run ended (with or without failures)
)

type applyKeys struct {
	rerun, retry, scroll key.Binding
}

// applyStep is the screen model of step 7.
type applyStep struct {
	c    *ui.Common
	sess *Session
	api  ApplyAPI
	run  RunOptions
	spin spinner.Model
	keys applyKeys
	w, h int

	phase   applyPhase
	rev     int  // the confirmation this step carries out (Session.ConfirmedRev)
	reread  bool // the run being prepared reads Azure again first
	gen     int  // tells the current preparation's answer from older ones
	runs    int  // runs started, for run ids
	journal *Journal
	changes []Change
	view    runView

	problems []Problem // why nothing runs (applyFailed)

	out     *Outcome // the last finished run
	outRev  int      // the confirmation it carried out
	nothing bool     // it had nothing to change
	offset  int      // scroll of the finished run
}

func newApplyStep(c *ui.Common, sess *Session, api ApplyAPI, run RunOptions) ui.Step {
	tr := c.Tr
	b := func(keys []string, label, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, tr.T(desc)))
	}
	return applyStep{
		c: c, sess: sess, api: api, run: run,
		spin: ui.NewSpinner(c.Extra),
		keys: applyKeys{
			rerun:  b([]string{"r"}, "r", "apply.key.rerun"),
			retry:  c.Keys.Retry,
			scroll: b([]string{"up", "down"}, "↑/↓", "apply.key.scroll"),
		},
	}
}

func (m applyStep) Title() string                  { return m.c.Tr.T("step.apply.title") }
func (m applyStep) Explain() string                { return m.c.Tr.T("step.apply.why") }
func (m applyStep) Init() tea.Cmd                  { return nil }
func (m applyStep) Deactivate() (ui.Step, tea.Cmd) { return m, nil }
func (m applyStep) Capturing() bool                { return false }
func (m applyStep) Back() (ui.Step, tea.Cmd, bool) { return m, nil, false }
func (m applyStep) Next() (ui.Step, tea.Cmd, bool) { return m, nil, false }

// InFlight reports changes running in Azure: the shell then asks before
// quitting and refuses Back.
func (m applyStep) InFlight() bool { return m.phase == applyRunning && m.view.Running() }

// Complete once a run of the confirmed plan has finished, even with
// failures: Protect and Summary then say what is missing.
func (m applyStep) Complete() bool {
	return m.out != nil && m.outRev == m.sess.ConfirmedRev && m.phase != applyRunning && m.phase != applyPreparing
}

// Hint says why Next is refused.
func (m applyStep) Hint() string {
	tr := m.c.Tr
	switch m.phase {
	case applyPreparing:
		return tr.T("apply.hint.preparing")
	case applyRunning:
		return tr.T("apply.hint.running")
	case applyFailed:
		return tr.T("apply.hint.failed", "Key", m.keys.retry.Help().Key)
	}
	return tr.T("apply.hint.unconfirmed", "Back", m.c.Keys.Back.Help().Key)
}

// confirmed reports a plan confirmed in Review and saved, so that there is
// somewhere to keep the journal.
func (m applyStep) confirmed() bool {
	return m.sess.ConfirmedRev > 0 && m.sess.Plan != nil && m.sess.PlanPath != ""
}

// Activate starts the run of a new confirmation; a confirmation already
// carried out shows how its run ended.
func (m applyStep) Activate() (ui.Step, tea.Cmd) {
	if m.phase == applyRunning {
		return m, nil
	}
	if !m.confirmed() {
		m.phase = applyIdle
		return m, nil
	}
	if m.sess.ConfirmedRev <= m.rev {
		return m, nil
	}
	m.rev = m.sess.ConfirmedRev
	m.out, m.nothing, m.offset, m.problems = nil, false, 0, nil
	changes := preparation(m.sess.Confirmed)
	if !needsWork(changes) {
		return m.finishNothing(changes)
	}
	return m.prepare(false)
}

// prepare opens the journal (and for a run again reads Azure) in a Cmd.
func (m applyStep) prepare(reread bool) (ui.Step, tea.Cmd) {
	m.gen++
	m.phase, m.reread, m.problems = applyPreparing, reread, nil
	return m, tea.Batch(m.openJournal(m.gen, reread), m.spin.Tick)
}

// openJournal opens the journal beside the plan; for a run again it then
// reads Azure and makes the change list anew, with the journal at hand for
// what Azure cannot tell.
func (m applyStep) openJournal(gen int, reread bool) tea.Cmd {
	path := m.sess.PlanPath + JournalSuffix
	api, ctx, p := m.api, m.sess.Context(), m.sess.Plan
	return func() tea.Msg {
		j, err := OpenJournal(path)
		if err != nil {
			return applyPreparedMsg{gen: gen, journalErr: err}
		}
		msg := applyPreparedMsg{gen: gen, journal: j}
		if !reread {
			return msg
		}
		live, err := ReadLiveState(ctx, api, p)
		if err != nil {
			_ = j.Close()
			return applyPreparedMsg{gen: gen, readErr: err}
		}
		live.Journal = j
		cs, err := Changes(p, live)
		if err != nil {
			_ = j.Close()
			if !errors.As(err, &msg.conflicts) {
				return applyPreparedMsg{gen: gen, readErr: err}
			}
			return applyPreparedMsg{gen: gen, conflicts: msg.conflicts}
		}
		msg.changes = cs
		if msg.changes == nil {
			msg.changes = []Change{}
		}
		return msg
	}
}

// closeJournal closes a journal once its run has ended.
func closeJournal(j *Journal) tea.Cmd {
	if j == nil {
		return nil
	}
	return func() tea.Msg {
		_ = j.Close()
		return nil
	}
}

// preparation is the part of a change list this step carries out: the
// backup policy and the VMs' protection are confirmed and run by Protect.
func preparation(cs []Change) []Change {
	out := make([]Change, 0, len(cs))
	for _, c := range cs {
		switch c.Action {
		case ActionPolicy, ActionProtect, ActionBackupNow:
			continue
		}
		out = append(out, c)
	}
	return out
}

// needsWork reports a change list with something to create or modify.
func needsWork(cs []Change) bool { return pendingCount(cs) > 0 }

// notDone lists the changes to make that the run did not finish.
func notDone(cs []Change, o Outcome) []int {
	var out []int
	for i, c := range cs {
		if !changing(c) {
			continue
		}
		if i >= len(o.States) || (o.States[i] != RunDone && o.States[i] != RunNoChange) {
			out = append(out, i)
		}
	}
	return out
}

// finishNothing ends a run with nothing to change at once: no journal is
// needed and nothing is sent to Azure.
func (m applyStep) finishNothing(cs []Change) (ui.Step, tea.Cmd) {
	o := Outcome{States: make([]RunState, len(cs)), Errs: make([]error, len(cs)), Details: make([]string, len(cs)), Durations: make([]time.Duration, len(cs))}
	for i, c := range cs {
		o.States[i] = RunNoChange
		if c.Kind == Skip {
			o.States[i] = RunSkipped
		}
	}
	now := m.run.now()
	m.changes = cs
	m.view = newRunView(m.c, 0, cs, m.run.Now)
	m.sess.Runs = append(m.sess.Runs, RunRecord{Phase: "apply", Changes: cs, Outcome: o, Started: now, Ended: now})
	m.sess.Log.Add("apply", m.c.Tr.T("log.apply.nothing"))
	m.phase, m.out, m.outRev, m.nothing, m.offset = applyFinished, &o, m.rev, true, 0
	return m, nil
}

// start begins the run once the journal is open.
func (m applyStep) start(msg applyPreparedMsg) (ui.Step, tea.Cmd) {
	cs := preparation(m.sess.Confirmed)
	if msg.changes != nil {
		cs = preparation(msg.changes)
	}
	if !needsWork(cs) {
		s, _ := m.finishNothing(cs)
		return s, closeJournal(msg.journal)
	}
	m.journal, m.changes = msg.journal, cs
	m.runs++
	m.view = newRunView(m.c, applyRunIDs+m.runs, cs, m.run.Now)
	var cmd tea.Cmd
	m.view, cmd = m.view.start(m.sess, "apply", m.run.applier(m.api, m.sess.Plan, msg.journal))
	m.phase, m.out, m.nothing, m.offset = applyRunning, nil, false, 0
	return m, cmd
}

// finish records the run that just ended: in the session's runs and
// transcript; then the journal is closed.
func (m applyStep) finish() (ui.Step, tea.Cmd) {
	tr := m.c.Tr
	o := m.view.record(m.sess, "apply")
	m.sess.Log.Add("apply", tr.T("log.apply.finished", "Counts", OutcomeCounts(tally(m.changes, o), tr)))
	j := m.journal
	m.journal = nil
	m.phase, m.out, m.outRev, m.offset = applyFinished, &o, m.rev, 0
	return m, closeJournal(j)
}

func (m applyStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.offset = m.clamp(m.offset)
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		if m.view.c == nil { // no run yet
			return m, nil
		}
		var cmd tea.Cmd
		m.view, cmd = m.view.Update(msg)
		return m, cmd
	case spinner.TickMsg:
		var a, b tea.Cmd
		m.spin, a = spin(m.spin, msg, m.phase == applyPreparing)
		if m.phase == applyRunning {
			m.view, b = m.view.Update(msg)
		}
		return m, tea.Batch(a, b)
	case applyPreparedMsg:
		if msg.gen != m.gen || m.phase != applyPreparing {
			return m, closeJournal(msg.journal) // an older preparation
		}
		switch {
		case msg.journalErr != nil:
			m.phase = applyFailed
			m.problems = []Problem{{What: "apply.journal.failed", Why: "apply.journal.failed.why", Next: "apply.journal.failed.next",
				Args: []any{"Path", m.sess.PlanPath + JournalSuffix, "Key", m.keys.retry.Help().Key}, Err: msg.journalErr}}
			return m, nil
		case msg.readErr != nil:
			m.phase = applyFailed
			m.problems = []Problem{Explain(msg.readErr)}
			return m, nil
		case len(msg.conflicts) > 0:
			m.phase = applyFailed
			m.problems = nil
			for _, c := range msg.conflicts {
				args := append([]any{"Field", c.Field, "Back", m.c.Keys.Back.Help().Key}, c.Args...)
				m.problems = append(m.problems, Problem{What: "apply.conflict", Why: c.Reason, Next: "apply.conflict.next", Args: args})
			}
			return m, nil
		}
		return m.start(msg)
	case runEventMsg, runDecideMsg, runDoneMsg:
		if m.phase != applyRunning {
			return m, nil
		}
		var cmd tea.Cmd
		m.view, cmd = m.view.Update(msg)
		if m.view.Outcome() != nil {
			s, done := m.finish()
			return s, tea.Batch(cmd, done)
		}
		return m, cmd
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m applyStep) key(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	switch m.phase {
	case applyRunning:
		// retry, skip or stop after a failure: the run view's own keys
		var cmd tea.Cmd
		m.view, cmd = m.view.Update(km)
		return m, cmd
	case applyFailed:
		if key.Matches(km, m.keys.retry) {
			return m.prepare(m.reread)
		}
	case applyFinished:
		if key.Matches(km, m.keys.rerun) && m.canRerun() {
			return m.prepare(true)
		}
		_, page, _ := m.scrolls(m.w, m.h)
		m.offset = m.clamp(scrollKey(m.c.Keys, km, m.offset, page))
	}
	return m, nil
}

// canRerun reports a finished run that left something undone.
func (m applyStep) canRerun() bool {
	return m.out != nil && !m.nothing && m.outRev == m.sess.ConfirmedRev && len(notDone(m.changes, *m.out)) > 0
}

func (m applyStep) Keys() []key.Binding {
	switch m.phase {
	case applyRunning:
		return m.view.Keys()
	case applyFailed:
		return []key.Binding{m.keys.retry}
	case applyFinished:
		var out []key.Binding
		if m.canRerun() {
			out = append(out, m.keys.rerun)
		}
		if _, _, scrolling := m.scrolls(m.w, m.h); m.w > 0 && scrolling {
			out = append(out, m.keys.scroll)
		}
		return out
	}
	return nil
}

// ---- drawing ----

func (m applyStep) View(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	head := m.headLines(w)
	lines := head
	switch m.phase {
	case applyIdle:
		lines = append(lines, "")
		lines = append(lines, wrapStyled(tr.T("apply.unconfirmed"), w, st.App.Text)...)
		lines = append(lines, "")
		lines = append(lines, wrapStyled(tr.T("apply.unconfirmed.next", "Back", m.c.Keys.Back.Help().Key, "Confirm", "enter"), w, st.App.Muted)...)
	case applyPreparing:
		text := tr.T("apply.opening")
		if m.reread {
			text = tr.T("apply.reading")
		}
		lines = append(lines, "", m.spin.View()+" "+st.App.Text.Render(ui.Truncate(text, w-2)))
	case applyFailed:
		lines = append(lines, "")
		for i, p := range m.problems {
			if i > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, problemLines(m.c, p, w)...)
		}
		lines = append(lines, "", st.App.Muted.Render(ui.Truncate(tr.T("apply.retry", "Key", m.keys.retry.Help().Key), w)))
	case applyRunning:
		lines = append(lines, m.view.View(w, max(h-len(head), 1))...)
		// what quitting now means, where there is room for it
		note := wrapStyled(tr.T("apply.running.note", "Name", filepath.Base(m.sess.PlanPath+JournalSuffix)), w, st.App.Faint)
		if !m.view.Asking() && len(lines)+1+len(note) <= h {
			lines = append(append(lines, ""), note...)
		}
	case applyFinished:
		return m.finishedView(w, h)
	}
	return strings.Join(lines, "\n")
}

// headLines are the heading: what is being done, where.
func (m applyStep) headLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	title := tr.T("apply.heading")
	if p := m.sess.Plan; p != nil && m.phase != applyIdle {
		key := "apply.heading.running"
		if m.phase == applyFinished {
			key = "apply.heading.finished"
		}
		title = tr.T(key, "Vault", p.Vault.Name, "Region", azure.NormalizeLocation(p.Vault.Location))
	}
	return []string{st.Body.Heading.Render(ui.Truncate(title, w))}
}

// finishedView is the outcome: the tally, the changes, every failure
// explained, and what comes next. The middle part scrolls when it does
// not fit.
func (m applyStep) finishedView(w, h int) string {
	head, body, foot := m.finishedLayout(w, h)
	n := max(h-len(head)-len(foot), 1)
	if len(body) <= n {
		// what comes next right under the run, not at the bottom of a tall window
		return strings.Join(append(append(head, body...), foot...), "\n")
	}
	lines := append(head, scrolled(m.c, body, m.offset, n, w, "apply.position")...)
	return ui.Frame(strings.Join(lines, "\n"), w, max(h-len(foot), 0)) + "\n" + strings.Join(foot, "\n")
}

// minList is the fewest lines the finished run's list keeps when it
// scrolls (with its position line).
const minList = 5

// finishedLayout splits the finished run into a fixed head (heading,
// tally), a middle part that scrolls, and a fixed foot saying what comes
// next. In a small window the longer advice moves from the foot to the end
// of the middle part, so that the list keeps some room.
func (m applyStep) finishedLayout(w, h int) (head, body, foot []string) {
	head, body = m.finishedHead(w), m.listLines(w)
	summary, advice := m.footLines(w)
	foot = append([]string{""}, summary...)
	full := append(append([]string(nil), foot...), advice...)
	if room := h - len(head) - len(full); len(body) <= room || room >= minList {
		return head, body, full
	}
	if len(advice) > 0 {
		body = append(append(body, ""), advice...)
	}
	return head, body, foot
}

// finishedHead is the heading and the tally.
func (m applyStep) finishedHead(w int) []string {
	head := m.headLines(w)
	if m.out == nil || m.nothing {
		return head
	}
	style := m.c.Styles.Verdict[outcomeStyle(m.changes, *m.out)]
	return append(head, style.Render(ui.Truncate(OutcomeCounts(tally(m.changes, *m.out), m.c.Tr), w)))
}

// tally is the outcome as the tally counts it: the VMs the plan leaves out
// were never to be changed, so they are not "skipped" by the run (the run
// view folds them into its "no change" line).
func tally(cs []Change, o Outcome) Outcome {
	t := Outcome{Stopped: o.Stopped, Interrupted: o.Interrupted}
	for i, s := range o.States {
		if i < len(cs) && cs[i].Kind == Skip && s == RunSkipped {
			continue
		}
		t.States = append(t.States, s)
	}
	return t
}

// scrolls reports a finished run too long for the body, and how many of
// its lines are shown at once.
func (m applyStep) scrolls(w, h int) (total, visible int, scrolling bool) {
	head, body, foot := m.finishedLayout(w, h)
	visible = h - len(head) - len(foot)
	return len(body), max(visible-1, 1), len(body) > visible
}

// clamp keeps the scroll offset inside the finished run's lines.
func (m applyStep) clamp(off int) int {
	if m.w <= 0 || m.phase != applyFinished {
		return max(off, 0)
	}
	total, visible, scrolling := m.scrolls(m.w, m.h)
	if !scrolling {
		return 0
	}
	return max(0, min(off, total-visible))
}

// listLines are the finished run's changes, its failures explained, and
// where the journal is.
func (m applyStep) listLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	if m.out == nil {
		return nil
	}
	if m.nothing {
		out := []string{""}
		out = append(out, wrapStyled(ui.GlyphDone+" "+tr.T("apply.nothing"), w, st.Verdict["ok"])...)
		if n := len(m.changes); n > 0 {
			out = append(out, st.App.Muted.Render(ui.Truncate("= "+tr.T("run.unchanged", "Count", n), w)))
		}
		return out
	}
	out := []string{""}
	out = append(out, m.view.View(w, 1<<16)...)
	o := *m.out
	out = append(out, failureLines(m.c, m.changes, o, w, false)...)
	if n := o.Count(RunLeft); n > 0 {
		out = append(out, "")
		out = append(out, wrapStyled(tr.T("apply.left", "Count", n, "Key", m.keys.rerun.Help().Key), w, st.Verdict["warn"])...)
	}
	if m.sess.PlanPath != "" {
		out = append(out, "")
		// the base name: Review has shown the plan's folder
		out = append(out, wrapStyled(tr.T("apply.journal.kept", "Name", filepath.Base(m.sess.PlanPath+JournalSuffix)), w, st.App.Faint)...)
	}
	return out
}

// footLines say what comes next: a summary, and the advice that goes
// with it.
func (m applyStep) footLines(w int) (summary, advice []string) {
	tr, st := m.c.Tr, m.c.Styles
	if m.out == nil {
		return nil, nil
	}
	next := m.c.Keys.Next.Help().Key
	missing := notDone(m.changes, *m.out)
	if m.nothing || len(missing) == 0 {
		return wrapStyled(tr.T("apply.next.protect", "Next", next), w, st.App.Accent), nil
	}
	text := tr.T("apply.notdone", "Count", len(missing))
	if m.out.Stopped {
		text = tr.T("apply.stopped", "Count", len(missing))
	}
	return wrapStyled(text, w, st.Verdict["warn"]),
		wrapStyled(tr.T("apply.notdone.next", "Key", m.keys.rerun.Help().Key, "Next", next), w, st.App.Muted)
}
