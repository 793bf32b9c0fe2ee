package steps

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Session is what the wizard's steps learn and decide, shared between them:
// the scope step fills the identity, subscriptions, inventory and selection;
// preflight adds the verdicts. It is changed only in a step's Update, never
// inside a tea.Cmd.
type Session struct {
	Cloud  string // AzureCloud, AzureChinaCloud, AzureUSGovernment
	Demo   bool
	Preset Scope
	Rules  RuleConfig

	Identity      *azure.Identity
	Subscriptions []azure.Subscription // the chosen ones
	Inventory     *azure.Inventory     // the fleet of the chosen subscriptions
	Selected      []string             // ids of the selected VMs, in inventory order
	Results       []VMResult           // preflight's verdicts for Selected
	// Plan is what the steps decide (DESIGN §3); the vault, redundancy and
	// later steps fill their sections, Review saves it.
	Plan *Plan
	// Revision counts inventory reads: verdicts about an older read are stale
	// even when the same VMs are selected.
	Revision int

	// PlanPath is where Review saved the plan (absolute); the journal is
	// beside it ("" until saved).
	PlanPath string
	// Confirmed is the change list Review showed when the user confirmed
	// the plan: what Apply carries out (nil until confirmed). ConfirmedRev
	// counts confirmations, so Apply can tell a new confirmation from the
	// one it already carried out.
	Confirmed    []Change
	ConfirmedRev int
	// Runs are what Apply and Protect carried out, oldest first.
	Runs []RunRecord
	// Log is the session transcript (Summary exports it).
	Log *Transcript

	ctx context.Context // parent of every Azure call; see WizardOptions.Context
}

// RunRecord is one run of the applier in the wizard.
type RunRecord struct {
	Phase   string // "apply" or "protect"
	Changes []Change
	Outcome Outcome
	Started time.Time
	Ended   time.Time
}

// Transcript is what happened in a session, in the user's language, line by
// line: what was read, decided and changed. It never holds a token or a
// secret (the wizard never has one to write).
type Transcript struct {
	mu    sync.Mutex
	lines []TranscriptLine
	now   func() time.Time
}

// TranscriptLine is one line of the transcript.
type TranscriptLine struct {
	Time time.Time
	Step string // the step's catalog id: scope, vault, apply, …
	Text string
}

// NewTranscript starts an empty transcript.
func NewTranscript(now func() time.Time) *Transcript {
	if now == nil {
		now = time.Now
	}
	return &Transcript{now: now}
}

// Add appends a line.
func (t *Transcript) Add(step, text string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, TranscriptLine{Time: t.now(), Step: step, Text: text})
}

// Lines returns a copy of every line.
func (t *Transcript) Lines() []TranscriptLine {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TranscriptLine(nil), t.lines...)
}

// Context is the parent context of the steps' Azure calls.
func (s *Session) Context() context.Context {
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// SubscriptionIDs are the ids of the chosen subscriptions.
func (s *Session) SubscriptionIDs() []string {
	ids := make([]string, len(s.Subscriptions))
	for i, sub := range s.Subscriptions {
		ids[i] = sub.ID
	}
	return ids
}

// SelectedVMs returns copies of the selected VMs, so that a scan can fill in
// their agents without touching the inventory the screen shows.
func (s *Session) SelectedVMs() []azure.VM {
	if s.Inventory == nil || len(s.Selected) == 0 {
		return nil
	}
	want := make(map[string]bool, len(s.Selected))
	for _, id := range s.Selected {
		want[id] = true
	}
	out := make([]azure.VM, 0, len(s.Selected))
	for _, vm := range s.Inventory.VMs {
		if want[vm.ID] {
			vm.Agent, vm.AgentErr = nil, nil
			out = append(out, vm)
		}
	}
	return out
}

// SelectionKey identifies the current selection, so that a step can tell
// whether what it computed is still about the same VMs.
func (s *Session) SelectionKey() string {
	if len(s.Selected) == 0 {
		return ""
	}
	return strconv.Itoa(s.Revision) + "\n" + strings.Join(s.Selected, "\n")
}

// progressStream carries a long read's progress from its goroutine to the
// program. Progress is sent without ever blocking the reader: a report not
// yet shown is replaced by the newer one.
type progressStream struct {
	ch     chan tea.Msg
	mu     *sync.Mutex
	closed *bool
}

func newProgressStream() progressStream {
	return progressStream{ch: make(chan tea.Msg, 1), mu: &sync.Mutex{}, closed: new(bool)}
}

// send reports progress; it drops an older report still waiting.
func (p progressStream) send(msg tea.Msg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if *p.closed {
		return
	}
	select {
	case p.ch <- msg:
	default:
		select {
		case <-p.ch:
		default:
		}
		p.ch <- msg
	}
}

// close ends the stream; the listener then returns nil.
func (p progressStream) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !*p.closed {
		*p.closed = true
		close(p.ch)
	}
}

// next waits for the next progress report (nil once the stream is closed).
func (p progressStream) next() tea.Cmd {
	if p.ch == nil {
		return nil
	}
	return func() tea.Msg {
		msg, ok := <-p.ch
		if !ok {
			return nil
		}
		return msg
	}
}

// spin advances a step's spinner while the step is busy; once it is not, the
// tick is dropped and the spinner stops.
func spin(s spinner.Model, tick spinner.TickMsg, busy bool) (spinner.Model, tea.Cmd) {
	if !busy {
		return s, nil
	}
	return s.Update(tick)
}

// problemLines renders a Problem for a step body: what happened (marked), why,
// what to do next, and the raw error dimmed last.
func problemLines(c *ui.Common, p Problem, w int) []string {
	st := c.Styles
	what, why, next := p.Text(c.Tr)
	var out []string
	for i, l := range ui.Wrap(what, w-2) {
		if i == 0 {
			out = append(out, st.App.Error.Render(ui.VerdictGlyph("blocked")+" "+l))
			continue
		}
		out = append(out, st.App.Error.Render("  "+l))
	}
	for _, l := range ui.Wrap(why, w-2) {
		out = append(out, "  "+st.App.Text.Render(l))
	}
	for i, l := range ui.Wrap(next, w-2) {
		g := "  "
		if i == 0 {
			g = st.App.Accent.Render(ui.GlyphCurrent) + " "
		}
		out = append(out, g+st.App.Text.Render(l))
	}
	if p.Docs != "" {
		// wrapped (after a '/'), never cut: the link must stay copyable
		for _, l := range ui.Wrap(p.Docs, max(w-2, 8)) {
			out = append(out, "  "+st.App.Muted.Render(l))
		}
	}
	if p.Err != nil && !bareKind(p.Err) {
		for _, l := range ui.WrapLines(c.Tr.Redact(p.Err.Error()), w-2, 2) {
			out = append(out, "  "+st.App.Faint.Render(l))
		}
	}
	return out
}

// errorNoteLines renders a step's note about an action that failed, every
// line marked in the error style, with the raw error dimmed under it (two
// lines at most): Review and Summary say so when a file was not written.
func errorNoteLines(c *ui.Common, note string, err error, w int) []string {
	st := c.Styles
	var out []string
	for _, l := range ui.Wrap(note, w-2) {
		out = append(out, st.App.Error.Render(ui.VerdictGlyph("blocked")+" "+l))
	}
	for _, l := range ui.WrapLines(c.Tr.Redact(err.Error()), w-2, 2) {
		out = append(out, "  "+st.App.Faint.Render(l))
	}
	return out
}

// bareKind reports an Azure error that carries nothing but its kind: its
// text ("sign-in: signIn") would add nothing to the explanation above it.
func bareKind(err error) bool {
	e, ok := azure.AsError(err)
	return ok && e.Status == 0 && e.Code == "" && e.Message == "" && e.Err == nil
}
