package steps

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/backupready/backupready/ui"
)

// Text of a run for people and for scripts, shared by the Apply and Protect
// steps and headless `apply`: what each change is, where it stands, and the
// outcome.

// ChangeTitle names a change: what it does, to which resource.
func ChangeTitle(c Change, tr *ui.Translator) string {
	return tr.T("change.action."+c.Action) + " " + ChangeSubject(c)
}

// ChangeSubject is what people call the resource a change is about: the
// id's last segment, except a rule added to an NSG, which is named by its
// NSG.
func ChangeSubject(c Change) string {
	if c.Action == ActionNSGRule {
		nsg, _, _ := strings.Cut(c.Target, "/securityRules/")
		return lastSegment(nsg)
	}
	return lastSegment(c.Target)
}

// FormatElapsed writes a duration the way the run shows it: "8 s", "2 min 05 s".
func FormatElapsed(d time.Duration, tr *ui.Translator) string {
	s := int(d.Round(time.Second).Seconds())
	if s < 60 {
		return tr.T("apply.seconds", "N", s)
	}
	return tr.T("apply.minutes", "M", s/60, "S", fmt.Sprintf("%02d", s%60))
}

// EventText says where a change stands after an event, in one phrase:
// "Done (12 s)", "Waiting 30 s: Azure is throttling requests", "Failed: …".
func EventText(e ApplyEvent, tr *ui.Translator, now time.Time) string {
	el := FormatElapsed(e.Elapsed, tr)
	switch e.State {
	case RunDone:
		return tr.T("apply.state.done", "Elapsed", el)
	case RunNoChange:
		return tr.T("apply.state.noChange")
	case RunSkipped:
		if e.Note != "" {
			return tr.T(e.Note)
		}
		return tr.T("apply.state.skipped")
	case RunLeft:
		return tr.T("apply.state.left")
	case RunFailed:
		what, _, _ := Explain(e.Err).Text(tr)
		return tr.T("apply.state.failed", "What", what)
	case RunWaiting:
		left := max(0, int(e.Until.Sub(now).Round(time.Second).Seconds()))
		args := append([]any{"Left", left}, e.Args...)
		return tr.T(e.Note, args...)
	case RunPending:
		return tr.T("apply.state.pending")
	}
	text := tr.T("apply.state.running", "Elapsed", el)
	if e.Note != "" {
		text = tr.T(e.Note, e.Args...) + " · " + el
	}
	if e.Percent >= 0 && e.Percent < 100 && e.State == RunRunning && e.Note == "apply.note.job" {
		text += fmt.Sprintf(" · %d%%", e.Percent)
	}
	return text
}

// ChangeText is EventText for a change: a change the plan leaves out
// (Skip) says why instead of "skipped".
func ChangeText(c Change, e ApplyEvent, tr *ui.Translator, now time.Time) string {
	if c.Kind == Skip && e.State == RunSkipped && e.Note == "" {
		return tr.T(c.Reason, c.Args...)
	}
	return EventText(e, tr, now)
}

// ApplyEventRecord is one event of `apply --json`: one JSON object per line.
type ApplyEventRecord struct {
	Time    string        `json:"time"`
	Index   int           `json:"index"`
	Action  string        `json:"action"`
	Target  string        `json:"target"`
	State   RunState      `json:"state"`
	Message string        `json:"message"`
	Attempt int           `json:"attempt,omitempty"`
	Seconds float64       `json:"seconds"`
	Percent *int          `json:"percent,omitempty"`
	Detail  string        `json:"detail,omitempty"`
	Error   *JournalError `json:"error,omitempty"`
}

// EventRecord turns an event into its JSON record.
func EventRecord(c Change, e ApplyEvent, tr *ui.Translator, now time.Time) ApplyEventRecord {
	r := ApplyEventRecord{Time: now.UTC().Format(time.RFC3339), Index: e.Index, Action: c.Action, Target: c.Target, State: e.State,
		Message: ChangeText(c, e, tr, now), Attempt: e.Attempt, Seconds: e.Elapsed.Round(time.Millisecond).Seconds(), Detail: e.Detail}
	if e.Percent >= 0 {
		p := e.Percent
		r.Percent = &p
	}
	if e.State == RunFailed || e.State == RunWaiting {
		r.Error = journalErrorOf(e.Err)
	}
	return r
}

// OutcomeCounts is the one-line tally of a run: "3 done · 2 no change · …".
func OutcomeCounts(o Outcome, tr *ui.Translator) string {
	var parts []string
	for _, s := range []RunState{RunDone, RunNoChange, RunFailed, RunSkipped, RunLeft} {
		if n := o.Count(s); n > 0 || s == RunDone || s == RunFailed {
			parts = append(parts, tr.T("apply.count."+string(s), "N", n))
		}
	}
	return strings.Join(parts, " · ")
}

// RenderOutcome writes the end of a headless run: the tally, every failure
// explained, what was left running, and where the journal is.
func RenderOutcome(w io.Writer, changes []Change, o Outcome, journal string, tr *ui.Translator, st ui.Styles, width int) error {
	width = max(width, 40)
	var err error
	put := func(s string) {
		if err == nil {
			_, err = fmt.Fprintln(w, s)
		}
	}
	put("")
	put(ui.Truncate(OutcomeCounts(o, tr), width))
	for i, s := range o.States {
		if s != RunFailed || o.Errs[i] == nil {
			continue
		}
		put("")
		put(st.Verdict["blocked"].Render(ui.Truncate(ui.VerdictGlyph("blocked")+" "+ChangeTitle(changes[i], tr), width)))
		what, why, next := Explain(o.Errs[i]).Text(tr)
		for _, t := range []string{what, why, next} {
			for _, l := range ui.Wrap(t, width-2) {
				put("  " + l)
			}
		}
	}
	if o.Count(RunLeft) > 0 {
		put("")
		for _, l := range ui.Wrap(tr.T("apply.left.explain", "Count", o.Count(RunLeft)), width) {
			put(l)
		}
	}
	if journal != "" {
		put("")
		for _, l := range ui.Wrap(tr.T("apply.journal", "Path", journal), width) {
			put(st.App.Muted.Render(l))
		}
	}
	return err
}
