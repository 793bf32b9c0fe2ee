package steps

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 9, summary: what the session's runs changed in Azure (with a portal
// link for each resource), what was skipped and why, and what the user still
// has to do, all derived from the runs Apply and Protect recorded in the
// session. Nothing here reads or changes Azure; three keys write the plan, a
// Markdown report and the session transcript next to the plan.

// summaryAct is one of the summary's exports.
type summaryAct int

const (
	sumPlan       summaryAct = iota // the plan file
	sumReport                       // the Markdown report
	sumTranscript                   // the session transcript
)

// ---- decisions ----

// SummaryEntry is one change of the session's runs as it stands at the end:
// the last run that carried it wins, except that a later "no change" (a
// re-run finding it in place) keeps an earlier "done".
type SummaryEntry struct {
	Change      Change
	Phase       string // "apply" or "protect": the run it last appeared in
	State       RunState
	Err         error
	Detail      string
	Duration    time.Duration
	Interrupted bool // the run it ended in was interrupted
	// Done: some run carried it out; DoneDetail and DoneDuration are that
	// run's.
	Done         bool
	DoneDetail   string
	DoneDuration time.Duration
}

// SummaryGroup is a part of "what changed": the preparation (VM "") or one
// VM's protection.
type SummaryGroup struct {
	VM      string // the VM's name; "" for the preparation
	VMID    string
	Entries []SummaryEntry
}

// SummaryTodo is one thing the user still has to do: a catalog key with its
// arguments and the links that help. Change and Problem, when set, add their
// own arguments ("Title", "Reason", "Next" and the change's).
type SummaryTodo struct {
	Key     string
	Args    []any
	Links   []string
	Change  *Change
	Problem *Problem
}

// SessionSummary is what a session did in Azure, derived from its runs.
type SessionSummary struct {
	Ran     bool           // at least one run was recorded
	Entries []SummaryEntry // every change once, in the order the runs met them
	Changed []SummaryGroup // what some run carried out: preparation first, then per VM
	Skipped []SummaryEntry // what did not happen, and the plan's exclusions
	Todo    []SummaryTodo
	Counts  SummaryCounts
	Cloud   string
	VaultID string // "" without a plan
}

// SummaryCounts tally the session's runs.
type SummaryCounts struct {
	Changed, Skipped, Failed, Left int
}

// Documentation the user is sent to for the steps this version does not have.
const (
	docsPrepare         = "https://learn.microsoft.com/azure/backup/backup-azure-arm-vms-prepare"
	docsTroubleshootVMs = "https://learn.microsoft.com/azure/backup/backup-azure-vms-troubleshoot"
)

// portalBase is the Azure portal of a cloud.
func portalBase(cloud string) string {
	switch cloud {
	case CloudChina:
		return "https://portal.azure.cn"
	case CloudUSGov:
		return "https://portal.azure.us"
	}
	return "https://portal.azure.com"
}

// portalLink opens a resource id in the cloud's portal.
func portalLink(cloud, resourceID string) string {
	if resourceID == "" {
		return ""
	}
	if !strings.HasPrefix(resourceID, "/") {
		resourceID = "/" + resourceID
	}
	return portalBase(cloud) + "/#@/resource" + resourceID
}

// sessionCloud is the session's cloud: the one signed in to, else the plan's.
func sessionCloud(sess *Session) string {
	switch {
	case sess.Cloud != "":
		return sess.Cloud
	case sess.Plan != nil && sess.Plan.Cloud != "":
		return sess.Plan.Cloud
	}
	return CloudPublic
}

// vaultIDOf is the vault id inside a vault or policy id ("" when there is none).
func vaultIDOf(id string) string {
	lc := strings.ToLower(id)
	i := strings.Index(lc, "/providers/microsoft.recoveryservices/vaults/")
	if i < 0 {
		return ""
	}
	rest := id[i+len("/providers/microsoft.recoveryservices/vaults/"):]
	if j := strings.Index(rest, "/"); j >= 0 {
		rest = rest[:j]
	}
	return id[:i] + "/providers/Microsoft.RecoveryServices/vaults/" + rest
}

// entryLink is the portal page of the resource a change touched: the
// subscription's resource providers, the resource group, the vault (for
// every vault setting and policy) or the VM.
func entryLink(cloud, subscription string, c Change) string {
	switch kind := resourceKind(c.Action); {
	case kind == "provider":
		if subscription == "" {
			return ""
		}
		return portalLink(cloud, "/subscriptions/"+subscription+"/resourceproviders")
	case kind == "vault":
		return portalLink(cloud, vaultIDOf(c.Target))
	case strings.HasPrefix(c.Target, "/subscriptions/"):
		return portalLink(cloud, c.Target)
	}
	return ""
}

// jobsLink is the vault's Backup jobs page.
func jobsLink(cloud, vaultID string) string {
	if vaultID == "" {
		return ""
	}
	return portalLink(cloud, vaultID+"/backupJobs")
}

// at is xs[i], or the zero value past the end: an outcome recorded by an
// older build may hold fewer entries than its changes.
func at[T any](xs []T, i int) T {
	var zero T
	if i < len(xs) {
		return xs[i]
	}
	return zero
}

// Summarize derives the summary of a session from its runs; it is pure.
func Summarize(sess *Session) SessionSummary {
	s := SessionSummary{Cloud: sessionCloud(sess)}
	if sess.Plan != nil {
		s.VaultID = PlanVaultID(sess.Plan)
	}
	index := map[string]int{}
	phases := map[string]bool{}
	for _, r := range sess.Runs {
		s.Ran = true
		phases[r.Phase] = true
		for i, c := range r.Changes {
			e := SummaryEntry{Change: c, Phase: r.Phase, State: at(r.Outcome.States, i), Err: at(r.Outcome.Errs, i),
				Detail: at(r.Outcome.Details, i), Duration: at(r.Outcome.Durations, i), Interrupted: r.Outcome.Interrupted}
			if e.State == "" {
				e.State = RunPending
			}
			if c.Kind == Skip {
				e.State = RunSkipped
			}
			k := c.Action + "\x00" + strings.ToLower(c.Target)
			j, seen := index[k]
			if !seen {
				j = len(s.Entries)
				index[k] = j
				s.Entries = append(s.Entries, SummaryEntry{})
			}
			prev := s.Entries[j]
			if seen && prev.Done && e.State == RunNoChange {
				continue
			}
			e.Done, e.DoneDetail, e.DoneDuration = prev.Done, prev.DoneDetail, prev.DoneDuration
			if e.State == RunDone {
				e.Done, e.DoneDetail, e.DoneDuration = true, e.Detail, e.Duration
			}
			s.Entries[j] = e
		}
	}

	// What changed: the preparation, then each VM in the order met.
	prep := SummaryGroup{}
	vmIndex := map[string]int{}
	var vms []SummaryGroup
	for _, e := range s.Entries {
		if !e.Done {
			continue
		}
		s.Counts.Changed++
		if !vmAction(e.Change.Action) {
			prep.Entries = append(prep.Entries, e)
			continue
		}
		k := strings.ToLower(e.Change.Target)
		j, ok := vmIndex[k]
		if !ok {
			j = len(vms)
			vmIndex[k] = j
			vms = append(vms, SummaryGroup{VM: lastSegment(e.Change.Target), VMID: e.Change.Target})
		}
		vms[j].Entries = append(vms[j].Entries, e)
	}
	if len(prep.Entries) > 0 {
		s.Changed = append(s.Changed, prep)
	}
	s.Changed = append(s.Changed, vms...)

	// What did not happen. Without a run, the plan's exclusions as Review
	// confirmed them.
	if !s.Ran {
		for _, c := range sess.Confirmed {
			if c.Kind == Skip {
				s.Entries = append(s.Entries, SummaryEntry{Change: c, State: RunSkipped})
			}
		}
	}
	var failed, notRun int
	for _, e := range s.Entries {
		switch e.State {
		case RunDone, RunNoChange:
			continue
		case RunFailed:
			s.Counts.Failed++
			failed++
		case RunLeft:
			s.Counts.Left++
		default: // skipped, and anything a run left unfinished
			s.Counts.Skipped++
			if e.Change.Kind != Skip {
				notRun++
			}
		}
		s.Skipped = append(s.Skipped, e)
	}
	s.Todo = summaryTodos(sess, s, phases, failed+notRun)
	return s
}

// vmTodo maps the planner's reasons for leaving a VM out to what the user
// can do about it.
var vmTodo = map[string]string{
	"change.reason.vm-other-region":       "summary.todo.vm-other-region",
	"change.reason.vm-other-subscription": "summary.todo.vm-other-subscription",
	"change.reason.vm-elsewhere":          "summary.todo.vm-elsewhere",
}

// summaryTodos derives what is left to do, most urgent first: operations
// still running, failures, protection not on, VMs left out, checks this
// version cannot make, and a first backup still transferring.
func summaryTodos(sess *Session, s SessionSummary, phases map[string]bool, unfinished int) []SummaryTodo {
	var out []SummaryTodo
	path := sess.PlanPath
	if s.Counts.Left > 0 {
		key := "summary.todo.left"
		if path == "" {
			key = "summary.todo.left.nopath"
		}
		out = append(out, SummaryTodo{Key: key, Args: []any{"Count", s.Counts.Left, "Path", path}})
	}
	for _, e := range s.Skipped {
		if e.Err == nil || (e.State != RunFailed && e.State != RunSkipped) {
			continue
		}
		p := Explain(e.Err)
		c := e.Change
		var links []string
		if p.Docs != "" {
			links = append(links, p.Docs)
		}
		out = append(out, SummaryTodo{Key: "summary.todo.failed", Change: &c, Problem: &p, Links: links})
	}
	if unfinished > 0 && s.Counts.Left == 0 && path != "" {
		out = append(out, SummaryTodo{Key: "summary.todo.rerun", Args: []any{"Path", path}})
	}
	protectOn := false
	for _, e := range s.Entries {
		if e.Change.Action == ActionProtect && (e.Done || e.State == RunNoChange) {
			protectOn = true
		}
	}
	if p := sess.Plan; !protectOn && (p == nil || !p.Protect.Enabled || !phases["protect"]) {
		out = append(out, SummaryTodo{Key: "summary.todo.protect", Args: []any{"Step", "step.protect.title"}})
	}
	for _, e := range s.Skipped {
		c := e.Change
		if c.Kind != Skip {
			continue
		}
		key := "summary.todo.skip"
		if c.Action == ActionVM {
			key = "summary.todo.vm-left"
			if k, ok := vmTodo[c.Reason]; ok {
				key = k
			}
		}
		out = append(out, SummaryTodo{Key: key, Change: &c})
	}
	changedKind := func(kind string) bool {
		for _, e := range s.Entries {
			if e.Done && strings.HasPrefix(e.Change.Action, kind+".") {
				return true
			}
		}
		return false
	}
	if p := sess.Plan; !changedKind("nsg") && (p == nil || p.Network.Mode == "" || p.Network.Mode == NetworkNone) {
		out = append(out, SummaryTodo{Key: "summary.todo.network", Args: []any{"Step", "step.network.title"}, Links: []string{DocsLink(docsPrepare)}})
	}
	backups := 0
	for _, e := range s.Entries {
		if e.Change.Action == ActionBackupNow && e.Done {
			backups++
		}
	}
	if backups > 0 {
		out = append(out, SummaryTodo{Key: "summary.todo.first-backup", Args: []any{"Count", backups},
			Links: []string{jobsLink(s.Cloud, s.VaultID)}})
	}
	return out
}

// Text is the to-do in the translator's language. A "Step" argument is a
// step title's catalog key and is translated first.
func (t SummaryTodo) Text(tr *ui.Translator) string {
	args := append([]any(nil), t.Args...)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i+1].(string); ok && args[i] == "Step" {
			args[i+1] = tr.T(k)
		}
	}
	if c := t.Change; c != nil {
		args = append(args, c.Args...)
		args = append(args, "Title", summaryTitle(*c, tr), "Reason", tr.T(c.Reason, c.Args...))
		if _, ok := argOf(c.Args, "VM"); !ok {
			args = append(args, "VM", lastSegment(c.Target))
		}
	}
	if t.Problem != nil {
		_, _, next := t.Problem.Text(tr)
		args = append(args, "Next", next)
	}
	return tr.T(t.Key, args...)
}

func argOf(args []any, name string) (any, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == name {
			return args[i+1], true
		}
	}
	return nil, false
}

// summaryTitle names a change (ChangeTitle).
func summaryTitle(c Change, tr *ui.Translator) string { return ChangeTitle(c, tr) }

// doneDetail says what a finished change set, where that says more than
// its title: the redundancy, Cross Region Restore, the policy, the job.
func doneDetail(e SummaryEntry, tr *ui.Translator) string {
	d := e.DoneDetail
	switch e.Change.Action {
	case ActionStorageType, ActionCrossRegion:
		to := d
		if to == "" {
			to = e.Change.To
		}
		if to == "" {
			return ""
		}
		return tr.T("changes.fromto", "From", orDash(e.Change.From), "To", to)
	case ActionProtect:
		if d == "" {
			d = e.Change.To
		}
		if d != "" {
			return tr.T("summary.detail.policy", "Policy", d)
		}
	case ActionBackupNow:
		if d != "" {
			return tr.T("summary.detail.job", "Job", d)
		}
	}
	return ""
}

// summaryElapsed writes how long a change took: "8 s", "2 min 05 s".
func summaryElapsed(d time.Duration, tr *ui.Translator) string {
	s := int(d.Round(time.Second).Seconds())
	if s < 60 {
		return tr.T("summary.seconds", "N", s)
	}
	return tr.T("summary.minutes", "M", s/60, "S", fmt.Sprintf("%02d", s%60))
}

// skipReason says why a change did not happen (or has not finished).
func skipReason(e SummaryEntry, tr *ui.Translator, planPath string) string {
	c := e.Change
	switch {
	case c.Kind == Skip:
		return tr.T(c.Reason, c.Args...)
	case e.State == RunFailed:
		what, _, _ := Explain(e.Err).Text(tr)
		return tr.T("summary.skipped.failed", "What", what)
	case e.State == RunLeft && planPath != "":
		return tr.T("summary.skipped.left", "Path", planPath)
	case e.State == RunLeft:
		return tr.T("summary.skipped.left.nopath")
	case e.Err != nil:
		what, _, _ := Explain(e.Err).Text(tr)
		return tr.T("summary.skipped.after-failure", "What", what)
	case e.Interrupted:
		return tr.T("summary.skipped.interrupted")
	}
	return tr.T("summary.skipped.not-run")
}

// skipLabel names what was skipped: a VM the plan left out by its name,
// anything else by its title.
func skipLabel(c Change, tr *ui.Translator) string {
	if c.Action == ActionVM {
		return lastSegment(c.Target)
	}
	return summaryTitle(c, tr)
}

// skipVerdict is the verdict style and glyph of a skipped entry.
func skipVerdict(e SummaryEntry) string {
	switch e.State {
	case RunFailed:
		return "blocked"
	case RunLeft:
		return "info"
	}
	return "warn"
}

// summaryHeading is the heading of the summary and of the report.
func summaryHeading(sess *Session, tr *ui.Translator) string {
	if p := sess.Plan; p != nil && p.Vault.Name != "" {
		return tr.T("summary.heading.vault", "Vault", p.Vault.Name, "Region", azure.NormalizeLocation(p.Vault.Location))
	}
	return tr.T("summary.heading")
}

// tallyParts are the counts as phrases, with their verdict styles; changed
// and failed always, the others when there are any.
func tallyParts(c SummaryCounts, tr *ui.Translator) (parts, styles []string) {
	add := func(key string, n int, style string, always bool) {
		if n > 0 || always {
			parts = append(parts, tr.T(key, "N", n))
			styles = append(styles, style)
		}
	}
	add("summary.count.changed", c.Changed, "ok", true)
	add("summary.count.skipped", c.Skipped, "warn", false)
	add("summary.count.failed", c.Failed, "blocked", true)
	add("summary.count.left", c.Left, "info", false)
	return parts, styles
}

// noRunNext says what the user can do when nothing ran: start, confirm, or
// apply the confirmed plan.
func noRunNext(sess *Session, tr *ui.Translator, back string) string {
	switch {
	case sess.Plan == nil || MissingStep(sess) != "":
		step := MissingStep(sess)
		if step == "" {
			step = "scope"
		}
		return tr.T("summary.norun.noplan", "Step", tr.T("step."+step+".title"), "Back", back)
	case sess.ConfirmedRev == 0 || sess.PlanPath == "":
		return tr.T("summary.norun.unconfirmed", "Back", back, "Review", tr.T("step.review.title"), "Apply", tr.T("step.apply.title"))
	}
	return tr.T("summary.norun.confirmed", "Path", sess.PlanPath, "Back", back, "Apply", tr.T("step.apply.title"))
}

// exportDir is where the exports go: beside the plan, else the current
// directory.
func exportDir(sess *Session) string {
	if sess.PlanPath == "" {
		return "."
	}
	return filepath.Dir(sess.PlanPath)
}

// ---- the step ----

type summaryStep struct {
	c    *ui.Common
	sess *Session
	keys struct{ scroll, plan, report, transcript key.Binding }
	now  func() time.Time

	data      SessionSummary
	visited   bool
	w, h      int
	offset    int
	writing   bool
	pending   *summaryAct // waiting for the same key again to replace an existing file
	note      string
	noteStyle string // "ok", "warn" or "" muted
	noteErr   error
}

func newSummaryStep(c *ui.Common, sess *Session) ui.Step {
	tr := c.Tr
	b := func(keys []string, label, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, tr.T(desc)))
	}
	m := summaryStep{c: c, sess: sess, now: time.Now}
	m.keys.scroll = b([]string{"up", "down"}, "↑/↓", "summary.key.scroll")
	m.keys.plan = b([]string{"p"}, "p", "summary.key.plan")
	m.keys.report = b([]string{"m"}, "m", "summary.key.report")
	m.keys.transcript = b([]string{"t"}, "t", "summary.key.transcript")
	m.data = Summarize(sess)
	return m
}

func (m summaryStep) Title() string                  { return m.c.Tr.T("step.summary.title") }
func (m summaryStep) Explain() string                { return m.c.Tr.T("step.summary.why") }
func (m summaryStep) Init() tea.Cmd                  { return nil }
func (m summaryStep) Deactivate() (ui.Step, tea.Cmd) { m.pending = nil; return m, nil }
func (m summaryStep) Capturing() bool                { return false }
func (m summaryStep) Back() (ui.Step, tea.Cmd, bool) { return m, nil, false }
func (m summaryStep) Next() (ui.Step, tea.Cmd, bool) { return m, nil, false }

// Complete: the summary is the last step and has nothing to finish; it is
// complete once shown, so that the rail does not tick it before the user
// has got there.
func (m summaryStep) Complete() bool { return m.visited }
func (m summaryStep) Hint() string   { return "" }

// Activate derives the summary again from the runs recorded so far.
func (m summaryStep) Activate() (ui.Step, tea.Cmd) {
	m.data = Summarize(m.sess)
	m.visited = true
	m.pending = nil
	m.offset = m.clamp(m.offset)
	return m, nil
}

func (m summaryStep) Keys() []key.Binding {
	out := []key.Binding{m.keys.scroll}
	if m.sess.Plan != nil {
		out = append(out, m.keys.plan)
	}
	return append(out, m.keys.report, m.keys.transcript)
}

func (m summaryStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.offset = m.clamp(m.offset)
	case fileWrittenMsg[summaryAct]:
		m.writing = false
		tr := m.c.Tr
		switch {
		case msg.exists:
			act := msg.act
			m.pending = &act
			m.note, m.noteStyle, m.noteErr = tr.T("summary.exists", "Path", msg.path, "Key", m.actKey(act)), "warn", nil
		case msg.err != nil:
			m.note, m.noteStyle, m.noteErr = tr.T("summary.write.failed", "Path", msg.path), "", msg.err
		default:
			m.note, m.noteStyle, m.noteErr = tr.T(map[summaryAct]string{sumPlan: "summary.saved.plan", sumReport: "summary.saved.report",
				sumTranscript: "summary.saved.transcript"}[msg.act], "Path", msg.path), "ok", nil
			if msg.act == sumPlan {
				m.note += realIDsNote(tr) // --redact: the plan is not
			}
			m.sess.Log.Add("summary", m.note)
		}
		m.offset = m.clamp(m.offset)
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m summaryStep) actKey(act summaryAct) string {
	return map[summaryAct]key.Binding{sumPlan: m.keys.plan, sumReport: m.keys.report, sumTranscript: m.keys.transcript}[act].Help().Key
}

func (m summaryStep) key(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	if m.writing {
		return m, nil
	}
	switch {
	case key.Matches(km, m.keys.plan):
		return m.act(sumPlan)
	case key.Matches(km, m.keys.report):
		return m.act(sumReport)
	case key.Matches(km, m.keys.transcript):
		return m.act(sumTranscript)
	}
	m.pending = nil
	m.offset = m.clamp(scrollKey(m.c.Keys, km, m.offset, m.listHeight()))
	return m, nil
}

// act builds an export's content (here, where the session may be read) and
// starts writing it; a second press of the same key replaces an existing
// file.
func (m summaryStep) act(act summaryAct) (ui.Step, tea.Cmd) {
	replace := m.pending != nil && *m.pending == act
	m.pending = nil
	m.note, m.noteStyle, m.noteErr = "", "", nil
	dir := exportDir(m.sess)
	var path string
	var data []byte
	switch act {
	case sumPlan:
		if m.sess.Plan == nil {
			m.note, m.noteStyle = m.c.Tr.T("summary.noplan"), "warn"
			return m, nil
		}
		b, err := m.sess.Plan.Encode()
		if err != nil {
			m.note, m.noteErr = m.c.Tr.T("summary.write.failed", "Path", DefaultPlanPath), err
			return m, nil
		}
		path, data = m.sess.PlanPath, b
		if path == "" {
			path = filepath.Join(dir, DefaultPlanPath)
		}
	case sumReport:
		path, data = filepath.Join(dir, ReportName), []byte(SummaryMarkdown(m.sess, m.c.Tr, m.now()))
	default:
		path, data = filepath.Join(dir, TranscriptName), []byte(SessionTranscript(m.sess, m.c.Tr))
	}
	m.writing = true
	return m, writeFile(act, path, data, 0o644, replace)
}

// ---- drawing ----

// listHeight is how many lines the scrolled part gets.
func (m summaryStep) listHeight() int {
	return m.h - len(m.headLines(m.w)) - len(m.footLines(m.w, m.h))
}

// clamp keeps the scroll offset inside the body.
func (m summaryStep) clamp(off int) int {
	if m.w <= 0 {
		return max(off, 0)
	}
	return clampScroll(off, len(m.bodyLines(m.w)), m.listHeight())
}

func (m summaryStep) View(w, h int) string {
	m.w, m.h = w, h
	head, foot := m.headLines(w), m.footLines(w, h)
	lines := append(head, scrolled(m.c, m.bodyLines(w), m.offset, max(h-len(head)-len(foot), 1), w, "summary.position")...)
	if len(foot) == 0 {
		return ui.Frame(strings.Join(lines, "\n"), w, h)
	}
	top := ui.Frame(strings.Join(lines, "\n"), w, max(h-len(foot), 0))
	return ui.Frame(top+"\n"+strings.Join(foot, "\n"), w, h)
}

// headLines are the heading and the tally.
func (m summaryStep) headLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := []string{st.Body.Heading.Render(ui.Truncate(summaryHeading(m.sess, tr), w))}
	if !m.data.Ran {
		return out
	}
	// The tally, its phrases kept whole: a narrow body puts them on more
	// lines rather than cut one.
	parts, styles := tallyParts(m.data.Counts, tr)
	sep := " · "
	line, lineW := "", 0
	for i, p := range parts {
		p = ui.Truncate(p, w)
		pw := ui.Width(p)
		if lineW > 0 && lineW+ui.Width(sep)+pw > w {
			out = append(out, line)
			line, lineW = "", 0
		}
		if lineW > 0 {
			line += st.App.Muted.Render(sep)
			lineW += ui.Width(sep)
		}
		line += st.Verdict[styles[i]].Render(p)
		lineW += pw
	}
	return append(out, line)
}

// footLines say what the last export did, or where exports go when there
// is room for it (the help bar names the keys anyway).
func (m summaryStep) footLines(w, h int) []string {
	st := m.c.Styles
	switch {
	case m.noteErr != nil:
		return append([]string{""}, errorNoteLines(m.c, m.note, m.noteErr, w)...)
	case m.note != "" && m.noteStyle == "ok":
		return append([]string{""}, wrapStyled(m.note, w, st.Verdict["ok"])...)
	case m.note != "" && m.noteStyle == "warn":
		return append([]string{""}, wrapStyled(m.note, w, st.Verdict["warn"])...)
	case m.note != "":
		return append([]string{""}, wrapStyled(m.note, w, st.App.Muted)...)
	case h >= 20:
		tr := m.c.Tr
		where := tr.T("summary.where.cwd")
		if m.sess.PlanPath != "" {
			where = exportDir(m.sess)
		}
		out := append([]string{""}, wrapStyled(tr.T("summary.foot"), w, st.App.Muted)...)
		return append(out, wrapStyled(where, w, st.App.Text)...)
	}
	return nil
}

// indented renders prefix then text wrapped to w, continuation lines under
// the text; prefixW is the prefix's width in cells.
func indented(prefix string, prefixW int, text string, w int, style lipgloss.Style) []string {
	var out []string
	pad := strings.Repeat(" ", prefixW)
	for i, l := range ui.Wrap(text, max(w-prefixW, 8)) {
		if i == 0 {
			out = append(out, prefix+style.Render(l))
			continue
		}
		out = append(out, pad+style.Render(l))
	}
	if len(out) == 0 {
		out = append(out, prefix)
	}
	return out
}

// bodyLines is the scrolled part: what changed, what was skipped, what is
// left to do (or, before any run, that nothing changed and what to do).
func (m summaryStep) bodyLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	d := m.data
	var out []string
	heading := func(text string) {
		out = append(out, "", st.Body.Heading.Render(ui.Truncate(text, w)))
	}
	// link shows a URL in full (wrapped after its slashes, so it can be
	// copied) and makes every piece of it a terminal hyperlink to the whole.
	link := func(indent int, text, url string) {
		if url == "" {
			return
		}
		// --redact: the link's target is masked too (the terminal may
		// show it); a masked link no longer opens the resource.
		text, url = tr.Redact(text), tr.Redact(url)
		pad := strings.Repeat(" ", indent)
		for _, l := range ui.Wrap(text, max(w-indent, 8)) {
			out = append(out, pad+ansi.SetHyperlink(url)+st.App.Faint.Render(l)+ansi.ResetHyperlink())
		}
	}
	mark := func(indent int, verdict, text string) {
		g := ui.VerdictGlyph(verdict)
		prefix := strings.Repeat(" ", indent) + st.Verdict[verdict].Render(g) + " "
		out = append(out, indented(prefix, indent+ui.Width(g)+1, text, w, st.App.Text)...)
	}
	sub := ""
	if m.sess.Plan != nil {
		sub = m.sess.Plan.Subscription
	}

	if !d.Ran {
		out = append(out, "")
		out = append(out, wrapStyled(tr.T("summary.norun"), w, st.Verdict["warn"])...)
		out = append(out, wrapStyled(noRunNext(m.sess, tr, m.c.Keys.Back.Help().Key), w, st.App.Text)...)
	} else {
		heading(tr.T("summary.changed.heading", "Count", d.Counts.Changed))
		if len(d.Changed) == 0 {
			out = append(out, indented("  ", 2, tr.T("summary.changed.none"), w, st.App.Muted)...)
		}
		for _, g := range d.Changed {
			label := tr.T("summary.group.prep")
			if g.VM != "" {
				label = tr.T("summary.group.vm", "VM", g.VM)
			}
			out = append(out, "  "+st.App.Accent.Render(ui.Truncate(label, w-2)))
			backups := false
			for i, e := range g.Entries {
				text := summaryTitle(e.Change, tr)
				if dt := doneDetail(e, tr); dt != "" {
					text += " · " + dt
				}
				text += " · " + summaryElapsed(e.DoneDuration, tr)
				mark(4, "ok", text)
				backups = backups || e.Change.Action == ActionBackupNow
				if g.VM != "" {
					continue
				}
				// one link per resource, after its last change
				l := entryLink(d.Cloud, sub, e.Change)
				if i == len(g.Entries)-1 || entryLink(d.Cloud, sub, g.Entries[i+1].Change) != l {
					link(6, l, l)
				}
			}
			if g.VM != "" {
				vm := portalLink(d.Cloud, g.VMID)
				link(6, vm, vm)
				if jobs := jobsLink(d.Cloud, d.VaultID); backups && jobs != "" {
					link(6, tr.T("summary.link.jobs", "URL", jobs), jobs)
				}
			}
		}
	}

	if d.Ran || len(d.Skipped) > 0 {
		heading(tr.T("summary.skipped.heading", "Count", len(d.Skipped)))
		if len(d.Skipped) == 0 {
			out = append(out, indented("  ", 2, tr.T("summary.skipped.none"), w, st.App.Muted)...)
		}
		for _, e := range d.Skipped {
			mark(2, skipVerdict(e), tr.T("summary.skipped.item", "Label", skipLabel(e.Change, tr), "Reason", skipReason(e, tr, m.sess.PlanPath)))
		}
	}

	todos := summaryTodoTexts(d.Todo, tr)
	heading(tr.T("summary.todo.heading", "Count", len(todos)))
	if len(todos) == 0 {
		out = append(out, indented("  ", 2, tr.T("summary.todo.none"), w, st.App.Muted)...)
	}
	for _, t := range todos {
		prefix := "  " + st.App.Accent.Render(ui.GlyphCurrent) + " "
		out = append(out, indented(prefix, 2+ui.Width(ui.GlyphCurrent)+1, t.text, w, st.App.Text)...)
		for _, l := range t.links {
			link(4, l, l)
		}
	}
	return out
}

// todoText is a to-do rendered in the user's language.
type todoText struct {
	text  string
	links []string
}

// summaryTodoTexts renders the to-dos, once each: the same advice for
// several failures is given once.
func summaryTodoTexts(todos []SummaryTodo, tr *ui.Translator) []todoText {
	var out []todoText
	seen := map[string]bool{}
	for _, t := range todos {
		text := t.Text(tr)
		if seen[text] {
			continue
		}
		seen[text] = true
		var links []string
		for _, l := range t.Links {
			if l != "" {
				links = append(links, l)
			}
		}
		out = append(out, todoText{text: text, links: links})
	}
	return out
}
