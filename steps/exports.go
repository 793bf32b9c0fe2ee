package steps

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// What the Summary step writes: a Markdown report of the session and its
// transcript. Both are in the user's language, name no identity (no user,
// tenant or object id) and never hold a token or a secret: the session has
// none, and the text is scrubbed of anything that looks like one anyway,
// because a transcript line may quote what Azure answered. With --redact
// both are for sharing: subscription and tenant IDs are masked in them too,
// portal links included (which then no longer open); the plan file and the
// script are not (see redact.go).

// Names of the files the Summary step writes next to the plan.
const (
	ReportName     = "backupready-report.md"
	TranscriptName = "backupready-transcript.txt"
)

// secretLike matches what must never reach a file: bearer tokens, JWTs
// (access and ID tokens start with eyJ), SAS signatures and secrets passed
// as query parameters.
var secretLike = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bbearer\s+[^\s"']+`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]*)*`),
	regexp.MustCompile(`(?i)\b(sig|client_secret|access_token|refresh_token|id_token|password)=[^&\s"']+`),
}

// redactSecrets replaces anything that looks like a token or a secret.
func redactSecrets(s string) string {
	for _, re := range secretLike {
		s = re.ReplaceAllString(s, "[redacted]")
	}
	return s
}

// ---- Markdown ----

// mdSpecial are the characters that would turn text into Markdown.
var mdSpecial = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `#`, `\#`, "\n", " ", "\r", " ")

// md escapes text for Markdown.
func md(s string) string { return mdSpecial.Replace(s) }

// mdURL makes a URL safe inside a Markdown link.
func mdURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(u)
}

// mdLink is a Markdown link, or the escaped text alone without a URL.
func mdLink(text, url string) string {
	if url == "" {
		return md(text)
	}
	return "[" + md(text) + "](" + mdURL(url) + ")"
}

// mdCode is an inline code span (for ids and paths).
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	return "`" + s + "`"
}

// linkify turns the URLs inside a translated sentence into Markdown links
// and escapes the rest.
var urlIn = regexp.MustCompile(`https?://[^\s)]+`)

func mdWithLinks(s string) string {
	var b strings.Builder
	last := 0
	for _, loc := range urlIn.FindAllStringIndex(s, -1) {
		b.WriteString(md(s[last:loc[0]]))
		u := strings.TrimRight(s[loc[0]:loc[1]], ".,;:。、")
		b.WriteString("<" + mdURL(u) + ">")
		last = loc[0] + len(u)
	}
	b.WriteString(md(s[last:]))
	return b.String()
}

// SummaryMarkdown is the session's report: a header (date, subscription,
// vault, region; no identity), what changed, what was skipped and why, what
// is left to do, and a table of every change with its state and duration.
func SummaryMarkdown(sess *Session, tr *ui.Translator, now time.Time) string {
	d := Summarize(sess)
	p := sess.Plan
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("# %s", md(tr.T("summary.md.title")))
	line("")
	line("%s", md(summaryHeading(sess, tr)))
	line("")
	field := func(label, value string) {
		line("- %s", tr.T("summary.md.field", "Label", "**"+md(tr.T(label))+"**", "Value", value))
	}
	field("summary.md.date", md(now.UTC().Format("2006-01-02 15:04")+" UTC"))
	field("summary.md.cloud", md(d.Cloud))
	if p != nil {
		field("summary.md.subscription", mdCode(p.Subscription))
		field("summary.md.vault", mdLink(p.Vault.Name, portalLink(d.Cloud, d.VaultID)))
		field("summary.md.group", md(p.Vault.ResourceGroup))
		field("summary.md.region", md(azure.NormalizeLocation(p.Vault.Location)))
	}
	if sess.PlanPath != "" {
		field("summary.md.plan", mdCode(sess.PlanPath))
	}
	if d.Ran {
		parts, _ := tallyParts(d.Counts, tr)
		field("summary.md.tally", md(strings.Join(parts, " · ")))
	}
	line("")

	sub := ""
	if p != nil {
		sub = p.Subscription
	}
	if !d.Ran {
		line("## %s", md(tr.T("summary.changed.heading", "Count", 0)))
		line("")
		line("%s", md(tr.T("summary.norun")))
		line("")
		line("%s", md(noRunNext(sess, tr, "shift+tab")))
		line("")
	} else {
		line("## %s", md(tr.T("summary.changed.heading", "Count", d.Counts.Changed)))
		line("")
		if len(d.Changed) == 0 {
			line("%s", md(tr.T("summary.changed.none")))
			line("")
		}
		for _, g := range d.Changed {
			label := tr.T("summary.group.prep")
			if g.VM != "" {
				label = tr.T("summary.group.vm", "VM", g.VM)
			}
			line("### %s", md(label))
			line("")
			for _, e := range g.Entries {
				text := mdLink(summaryTitle(e.Change, tr), entryLink(d.Cloud, sub, e.Change))
				if dt := doneDetail(e, tr); dt != "" {
					text += " · " + md(dt)
				}
				text += " · " + md(summaryElapsed(e.DoneDuration, tr))
				if e.Change.Action == ActionBackupNow {
					text += " · " + mdLink(tr.T("summary.md.jobs"), jobsLink(d.Cloud, d.VaultID))
				}
				line("- %s", text)
			}
			line("")
		}
	}

	if d.Ran || len(d.Skipped) > 0 {
		line("## %s", md(tr.T("summary.skipped.heading", "Count", len(d.Skipped))))
		line("")
		if len(d.Skipped) == 0 {
			line("%s", md(tr.T("summary.skipped.none")))
		}
		for _, e := range d.Skipped {
			label := mdLink(skipLabel(e.Change, tr), entryLink(d.Cloud, sub, e.Change))
			line("- %s", tr.T("summary.skipped.item", "Label", "**"+label+"**", "Reason", md(skipReason(e, tr, sess.PlanPath))))
		}
		line("")
	}

	todos := summaryTodoTexts(d.Todo, tr)
	line("## %s", md(tr.T("summary.todo.heading", "Count", len(todos))))
	line("")
	if len(todos) == 0 {
		line("%s", md(tr.T("summary.todo.none")))
	}
	for _, t := range todos {
		text := mdWithLinks(t.text)
		for _, l := range t.links {
			text += " " + mdWithLinks(l)
		}
		line("- %s", text)
	}
	line("")

	if d.Ran {
		line("## %s", md(tr.T("summary.md.table.heading")))
		line("")
		line("| %s | %s | %s | %s |", md(tr.T("summary.md.col.phase")), md(tr.T("summary.md.col.change")),
			md(tr.T("summary.md.col.state")), md(tr.T("summary.md.col.duration")))
		line("|---|---|---|---:|")
		for _, e := range d.Entries {
			state, dur := e.State, e.Duration
			if e.Done && state == RunNoChange {
				state, dur = RunDone, e.DoneDuration
			}
			elapsed := "–"
			if state == RunDone || state == RunFailed || state == RunLeft || dur > 0 {
				elapsed = summaryElapsed(dur, tr)
			}
			title := summaryTitle(e.Change, tr)
			line("| %s | %s | %s | %s |", md(tr.T("step."+e.Phase+".title")), mdLink(title, entryLink(d.Cloud, sub, e.Change)),
				md(tr.T("summary.state."+string(state))), md(elapsed))
		}
		line("")
	}
	return redactIDs(sess, tr, redactSecrets(b.String()))
}

// ---- transcript ----

// transcriptLine is one line of the transcript file before it is sorted.
type transcriptLine struct {
	t    time.Time
	step string
	text string
}

// SessionTranscript is the session's transcript: one line per line of the
// session log, "2026-11-23T09:00:00Z [step] text", in the order written,
// then each run's outcome in the same form: its start, every change's end
// state (with what was set and Azure's error code), its tally.
func SessionTranscript(sess *Session, tr *ui.Translator) string {
	var lines []transcriptLine
	for _, l := range sess.Log.Lines() {
		lines = append(lines, transcriptLine{l.Time, l.Step, l.Text})
	}
	for _, r := range sess.Runs {
		phase := tr.T("step." + r.Phase + ".title")
		lines = append(lines, transcriptLine{r.Started, r.Phase, tr.T("summary.tx.start", "Phase", phase, "Count", len(r.Changes))})
		for i, c := range r.Changes {
			e := SummaryEntry{Change: c, Phase: r.Phase, State: at(r.Outcome.States, i), Err: at(r.Outcome.Errs, i),
				Detail: at(r.Outcome.Details, i), Duration: at(r.Outcome.Durations, i), Interrupted: r.Outcome.Interrupted}
			if c.Kind == Skip {
				e.State = RunSkipped
			}
			lines = append(lines, transcriptLine{r.Ended, r.Phase, "  " + txChange(e, tr, sess.PlanPath)})
		}
		lines = append(lines, transcriptLine{r.Ended, r.Phase, tr.T("summary.tx.end", "Phase", phase, "Counts", OutcomeCounts(r.Outcome, tr))})
	}
	var b strings.Builder
	for _, l := range lines {
		text := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				return ' '
			}
			return r
		}, l.text)), " ")
		if strings.HasPrefix(l.text, "  ") {
			text = "  " + text
		}
		fmt.Fprintf(&b, "%s [%s] %s\n", l.t.UTC().Format(time.RFC3339), l.step, text)
	}
	return redactIDs(sess, tr, redactSecrets(b.String()))
}

// txChange is a change's end state in one transcript line: its title, the
// state as the run showed it, what was set, and Azure's error code.
func txChange(e SummaryEntry, tr *ui.Translator, planPath string) string {
	title := summaryTitle(e.Change, tr)
	var state string
	switch e.State {
	case RunDone, RunNoChange, RunFailed, RunPending:
		state = EventText(ApplyEvent{State: e.State, Elapsed: e.Duration, Err: e.Err, Percent: -1}, tr, time.Time{})
	default:
		state = skipReason(e, tr, planPath)
	}
	text := tr.T("summary.tx.change", "Title", title, "State", state)
	if e.Detail != "" && e.State == RunDone {
		text += " · " + e.Detail
	}
	if ae, ok := azure.AsError(e.Err); ok && ae.Code != "" {
		text += " (" + ae.Code + ")"
	}
	return text
}
