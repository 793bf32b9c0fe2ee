package steps

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/ui"
)

// The run view shows an applier run inside a step (Apply and Protect): a
// line per change (a spinner and the elapsed time while it runs, then
// "Done (12 s)" or the failure), an overall progress bar, and after a
// failure the question: retry, skip or stop.
//
// The applier runs in a goroutine started by a tea.Cmd; its events come
// back through a buffered channel, read one at a time by tea.Cmds, so no
// event is lost and Update never waits.

type (
	runEventMsg struct {
		id int
		e  ApplyEvent
	}
	runDoneMsg struct {
		id  int
		out Outcome
	}
	runDecideMsg struct {
		id    int
		index int
		err   error
	}
)

// runner connects a running applier to the program.
type runner struct {
	events chan tea.Msg
	decide chan Decision
	cancel context.CancelFunc
}

// startRun returns a runner and the command that starts the applier (in a
// goroutine of its own) and delivers its first event. Run ids tell the
// events of one run from those of an earlier one.
func startRun(ctx context.Context, id int, a *Applier, changes []Change) (*runner, tea.Cmd) {
	rctx, cancel := context.WithCancel(ctx)
	r := &runner{events: make(chan tea.Msg, 256), decide: make(chan Decision), cancel: cancel}
	a.Decide = func(ctx context.Context, index int, _ Change, err error) Decision {
		r.events <- runDecideMsg{id: id, index: index, err: err}
		select {
		case d := <-r.decide:
			return d
		case <-ctx.Done():
			return DecideStop
		}
	}
	start := func() tea.Msg {
		go func() {
			out := a.Run(rctx, changes, func(e ApplyEvent) { r.events <- runEventMsg{id: id, e: e} })
			r.events <- runDoneMsg{id: id, out: out}
			close(r.events)
			cancel()
		}()
		return (<-r.events)
	}
	return r, start
}

// next waits for the runner's next message.
func (r *runner) next() tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-r.events
		if !ok {
			return nil
		}
		return msg
	}
}

// answer sends the user's decision after a failure.
func (r *runner) answer(d Decision) tea.Cmd {
	return func() tea.Msg {
		r.decide <- d
		return nil
	}
}

// runView is the on-screen state of one run.
type runView struct {
	c       *ui.Common
	id      int
	changes []Change
	last    []ApplyEvent
	at      []time.Time // when each last event arrived
	spin    spinner.Model
	r       *runner
	out     *Outcome
	asking  *runDecideMsg
	offset  int
	now     func() time.Time
	started time.Time
	keys    struct{ retry, skip, stop key.Binding }
}

func newRunView(c *ui.Common, id int, changes []Change, now func() time.Time) runView {
	if now == nil {
		now = time.Now
	}
	v := runView{c: c, id: id, changes: changes, last: make([]ApplyEvent, len(changes)), at: make([]time.Time, len(changes)),
		spin: ui.NewSpinner(c.Extra), now: now}
	for i := range v.last {
		v.last[i] = ApplyEvent{Index: i, State: RunPending, Percent: -1}
	}
	b := func(k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(k), key.WithHelp(k, c.Tr.T(desc)))
	}
	v.keys.retry, v.keys.skip, v.keys.stop = b("r", "run.key.retry"), b("s", "run.key.skip"), b("x", "run.key.stop")
	return v
}

// start begins the run of the step of that phase ("apply" or "protect"):
// the applier carries out the view's changes, and the session's transcript
// says how many and where their journal is (log.<phase>.started).
func (v runView) start(sess *Session, phase string, a *Applier) (runView, tea.Cmd) {
	r, cmd := startRun(sess.Context(), v.id, a, v.changes)
	v.r, v.started = r, v.now()
	sess.Log.Add(phase, v.c.Tr.T("log."+phase+".started", "Count", pendingCount(v.changes), "Path", a.Journal.Path()))
	return v, tea.Batch(cmd, v.spin.Tick)
}

// Running reports a run started and not finished.
func (v runView) Running() bool { return v.r != nil && v.out == nil }

// Outcome is the finished run's outcome (nil while running).
func (v runView) Outcome() *Outcome { return v.out }

// Asking reports a failure waiting for the user's decision.
func (v runView) Asking() bool { return v.asking != nil }

// Keys are the decision keys while asking.
func (v runView) Keys() []key.Binding {
	if v.asking != nil {
		return []key.Binding{v.keys.retry, v.keys.skip, v.keys.stop}
	}
	return nil
}

// Leave cancels the run: operations in flight stay running in Azure.
func (v runView) Leave() {
	if v.r != nil {
		v.r.cancel()
	}
}

func (v runView) Update(msg tea.Msg) (runView, tea.Cmd) {
	if v.c == nil {
		return v, nil // no run yet: nothing to show or update
	}
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		v.spin.Style = v.c.Extra.Spinner
	case spinner.TickMsg:
		var cmd tea.Cmd
		v.spin, cmd = spin(v.spin, msg, v.Running())
		return v, cmd
	case runEventMsg:
		if msg.id != v.id || v.r == nil {
			return v, nil
		}
		if msg.e.Index >= 0 && msg.e.Index < len(v.last) {
			v.last[msg.e.Index], v.at[msg.e.Index] = msg.e, v.now()
		}
		return v, v.r.next()
	case runDecideMsg:
		if msg.id != v.id || v.r == nil {
			return v, nil
		}
		m := msg
		v.asking = &m
		return v, v.r.next()
	case runDoneMsg:
		if msg.id != v.id || v.r == nil {
			return v, nil
		}
		out := msg.out
		v.out, v.asking = &out, nil
		return v, nil
	case tea.KeyPressMsg:
		if v.asking == nil {
			return v, nil
		}
		var d Decision
		switch {
		case key.Matches(msg, v.keys.retry):
			d = DecideRetry
		case key.Matches(msg, v.keys.skip):
			d = DecideSkip
		case key.Matches(msg, v.keys.stop):
			d = DecideStop
		default:
			return v, nil
		}
		v.asking = nil
		return v, v.r.answer(d)
	}
	return v, nil
}

// counts tallies the changes by where they stand now.
func (v runView) counts() (finished, total int) {
	for i, e := range v.last {
		if v.changes[i].Kind == NoChange || v.changes[i].Kind == Skip {
			continue
		}
		total++
		if e.State.Finished() {
			finished++
		}
	}
	return finished, total
}

// View draws the run in w×h: the progress line, one line per change (the
// unchanged parts of the plan folded into one line), and the failure with
// its question when one waits for the user.
func (v runView) View(w, h int) []string {
	tr, st := v.c.Tr, v.c.Styles
	now := v.now()
	done, total := v.counts()
	label := tr.T("run.progress", "Done", done, "Total", total)
	barW := max(0, min(40, w-ui.Width(label)-2))
	lines := []string{ui.Bar(done, total, barW, v.c.Extra) + "  " + ui.Truncate(label, w-barW-2)}
	var body []string
	unchanged := 0
	failedAt := -1
	for i, c := range v.changes {
		if c.Kind == NoChange {
			unchanged++
			continue
		}
		e := v.last[i]
		if e.State == RunRunning {
			e.Elapsed += now.Sub(v.at[i])
		}
		glyph, style := runGlyph(e.State)
		if e.State == RunRunning && v.out == nil {
			glyph = v.spin.View()
		}
		title := ChangeTitle(c, tr)
		state := ChangeText(c, e, tr, now)
		titleW := min(ui.Width(title), max(w/2, w-ui.Width(state)-4))
		line := glyph + " " + ui.Fit(ui.Truncate(title, titleW), titleW) + "  " + ui.Truncate(state, max(0, w-titleW-4))
		if style != "" {
			line = st.Verdict[style].Render(ui.Truncate(line, w))
		}
		body = append(body, ui.Truncate(line, w))
		if v.asking != nil && v.asking.index == i {
			failedAt = len(body)
		}
	}
	if unchanged > 0 {
		body = append(body, st.App.Muted.Render(ui.Truncate("= "+tr.T("run.unchanged", "Count", unchanged), w)))
	}
	var tail []string
	if v.asking != nil {
		question := wrapStyled(tr.T("run.ask", "Retry", v.keys.retry.Help().Key, "Skip", v.keys.skip.Help().Key, "Stop", v.keys.stop.Help().Key), w, st.App.Accent)
		problem := problemLines(v.c, Explain(v.asking.err), w)
		// the question always shows; the explanation gives way in a small window
		room := h - len(lines) - 1 - len(question) - 1
		if room < len(problem) {
			problem = problem[:max(0, room)]
		}
		tail = append(tail, "")
		tail = append(tail, problem...)
		tail = append(tail, question...)
	}
	room := h - len(lines) - len(tail)
	if room < len(body) && room > 0 {
		// keep the failed change (or the newest running ones) in view
		start := max(0, len(body)-room)
		if failedAt > 0 {
			start = min(max(0, failedAt-room/2), len(body)-room)
		}
		body = body[start : start+room]
	}
	lines = append(lines, body...)
	lines = append(lines, tail...)
	if len(lines) > h {
		lines = lines[:h]
	}
	return lines
}

// runGlyph is the mark and style of a change's state.
func runGlyph(s RunState) (string, string) {
	switch s {
	case RunDone:
		return ui.GlyphDone, "ok"
	case RunFailed:
		return ui.VerdictGlyph("blocked"), "blocked"
	case RunWaiting:
		return "…", "warn"
	case RunSkipped:
		return "-", "info"
	case RunLeft:
		return "↻", "warn"
	case RunNoChange:
		return "=", ""
	case RunPending:
		return ui.GlyphTodo, ""
	}
	return ui.GlyphCurrent, ""
}

// changing reports a change that alters Azure (create or modify).
func changing(c Change) bool { return c.Kind == Create || c.Kind == Modify }

// PendingCount counts the changes that alter Azure.
func PendingCount(cs []Change) int { return pendingCount(cs) }

// pendingCount counts the changes that alter Azure.
func pendingCount(cs []Change) int {
	n := 0
	for _, c := range cs {
		if changing(c) {
			n++
		}
	}
	return n
}

// record adds the finished run to the session: its record, and a
// transcript line ("log.<phase>.change") for every change that was carried
// out, failed, skipped or left running. It returns the run's outcome.
func (v runView) record(sess *Session, phase string) Outcome {
	o := *v.out
	tr := v.c.Tr
	now := v.now()
	sess.Runs = append(sess.Runs, RunRecord{Phase: phase, Changes: v.changes, Outcome: o, Started: v.started, Ended: now})
	for i, c := range v.changes {
		if !changing(c) || i >= len(o.States) {
			continue
		}
		e := ApplyEvent{Index: i, State: o.States[i], Err: o.Errs[i], Elapsed: o.Durations[i], Detail: o.Details[i], Percent: -1}
		if i < len(v.last) && v.last[i].State == o.States[i] {
			e = v.last[i]
		}
		switch e.State {
		case RunDone, RunFailed, RunSkipped, RunLeft:
			sess.Log.Add(phase, tr.T("log."+phase+".change", "Change", ChangeTitle(c, tr), "State", EventText(e, tr, now)))
		}
	}
	return o
}

// now is the time on the runs' clock.
func (o RunOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// outcomeStyle is the style of a finished run's tally: blocked after a
// failure, warn while changes are left undone or running in Azure, ok once
// everything is done.
func outcomeStyle(cs []Change, o Outcome) string {
	switch {
	case o.Failed():
		return "blocked"
	case len(notDone(cs, o)) > 0 || o.Count(RunLeft) > 0:
		return "warn"
	}
	return "ok"
}

// failureLines explains the failures of a finished run of cs, each under its
// change's title; with skipped, also the failures the user chose to skip.
func failureLines(c *ui.Common, cs []Change, o Outcome, w int, skipped bool) []string {
	var out []string
	for i, s := range o.States {
		if (s != RunFailed && (!skipped || s != RunSkipped)) || i >= len(cs) || o.Errs[i] == nil {
			continue
		}
		out = append(out, "", c.Styles.App.Error.Render(ui.Truncate(ChangeTitle(cs[i], c.Tr), w)))
		out = append(out, problemLines(c, Explain(o.Errs[i]), w)...)
	}
	return out
}
