package steps

import (
	"cmp"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// SchemaVersion is the version of the `check --json` document (DESIGN §2a).
// Adding fields keeps it; renaming or removing one bumps it.
const SchemaVersion = 1

// DefaultWidth is the report width when the terminal's is not known.
const DefaultWidth = 80

// Report is the `check --json` document.
type Report struct {
	SchemaVersion int        `json:"schemaVersion"`
	VMs           []ReportVM `json:"vms"`
	Summary       Summary    `json:"summary"`
}

// ReportVM is one VM in scope with a finding for every rule.
type ReportVM struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	SubscriptionID string          `json:"subscriptionId"`
	ResourceGroup  string          `json:"resourceGroup"`
	Location       string          `json:"location"`
	OSType         string          `json:"osType"` // Windows, Linux, or "" when unknown
	Verdict        Verdict         `json:"verdict"`
	Findings       []ReportFinding `json:"findings"`
}

// ReportFinding is one rule's answer, rendered in the report's language.
type ReportFinding struct {
	Rule    string  `json:"rule"`
	Verdict Verdict `json:"verdict"`
	Message string  `json:"message"`
	Fix     string  `json:"fix"` // "" when nothing is needed
	Docs    string  `json:"docs"`
}

// Summary counts VMs by their verdict. All five keys are always present.
type Summary struct {
	OK      int `json:"ok"`
	Info    int `json:"info"`
	Warn    int `json:"warn"`
	Fixable int `json:"fixable"`
	Blocked int `json:"blocked"`
}

// Add counts one VM with verdict v.
func (s *Summary) Add(v Verdict) {
	switch v {
	case OK:
		s.OK++
	case Info:
		s.Info++
	case Warn:
		s.Warn++
	case Fixable:
		s.Fixable++
	case Blocked:
		s.Blocked++
	}
}

// Count returns the number of VMs with verdict v.
func (s Summary) Count(v Verdict) int {
	switch v {
	case OK:
		return s.OK
	case Info:
		return s.Info
	case Warn:
		return s.Warn
	case Fixable:
		return s.Fixable
	case Blocked:
		return s.Blocked
	}
	return 0
}

// Total is the number of VMs counted.
func (s Summary) Total() int { return s.OK + s.Info + s.Warn + s.Fixable + s.Blocked }

// verdictOf is r.Verdict, or the worst finding when r was not finalized.
func verdictOf(r VMResult) Verdict {
	if r.Verdict != "" {
		return r.Verdict
	}
	v := OK
	for _, f := range r.Findings {
		v = Worse(v, f.Verdict)
	}
	return v
}

// BuildReport turns scan results into the `check --json` document, with
// messages in the translator's language. vms is never null.
func BuildReport(results []VMResult, tr *ui.Translator) Report {
	rep := Report{SchemaVersion: SchemaVersion, VMs: make([]ReportVM, 0, len(results))}
	for _, r := range results {
		v := verdictOf(r)
		rv := ReportVM{Verdict: v, Findings: make([]ReportFinding, 0, len(r.Findings))}
		if vm := r.VM; vm != nil {
			rv.ID, rv.Name, rv.SubscriptionID = vm.ID, vm.Name, vm.SubscriptionID
			rv.ResourceGroup, rv.Location, rv.OSType = vm.ResourceGroup, vm.Location, osTypeOf(vm)
		}
		for _, f := range r.Findings {
			msg, fix := f.Text(tr)
			rv.Findings = append(rv.Findings, ReportFinding{Rule: f.Rule, Verdict: f.Verdict, Message: msg, Fix: fix, Docs: f.Docs})
		}
		rep.Summary.Add(v)
		rep.VMs = append(rep.VMs, rv)
	}
	return rep
}

// ExitCode is `check`'s exit code: ExitOK when no VM is fixable or blocked,
// ExitBlocking otherwise.
func ExitCode(results []VMResult) int {
	for _, r := range results {
		if verdictOf(r).Rank() >= Fixable.Rank() {
			return ExitBlocking
		}
	}
	return ExitOK
}

// Indents of the human report, in cells.
const (
	findingIndent = 4 // "    ! warn  vm.power"
	textIndent    = 6 // the finding's reason
	fixMark       = "→ "
)

// RenderHuman writes a readable report for a terminal: per VM, worst first
// (blocked, fixable, warn, info, ok) and then by name, a header line
// (verdict glyph and word, name, resource group, region), then its findings
// that are not ok, each with its reason and a "→ fix" line; VMs that are ok
// take one line. A summary ends it. Every line fits width cells (CJK counts
// two); colour comes from st and never carries meaning alone, so plain
// styles (--no-color) read the same.
func RenderHuman(w io.Writer, results []VMResult, tr *ui.Translator, st ui.Styles, width int) error {
	width = clampWidth(width)
	p := &printer{w: w, width: width}
	var sum Summary
	for _, r := range results {
		sum.Add(verdictOf(r))
	}
	if len(results) == 0 {
		p.wrapped("", tr.T("report.empty"), st.App.Text)
		return p.err
	}
	p.wrapped("", tr.T("report.title", "Count", len(results)), st.App.Title)
	p.line("")

	cell := verdictCells(tr)
	prevBlock := false
	for i, r := range worstFirst(results) {
		v := verdictOf(r)
		block := v != OK
		if i > 0 && (block || prevBlock) {
			p.line("")
		}
		prevBlock = block
		p.vmHeader(r, v, cell, tr, st)
		for _, f := range r.Findings {
			if f.Verdict == OK {
				continue
			}
			p.finding(f, tr, st)
		}
	}
	p.line("")
	p.summary(sum, tr, st)
	return p.err
}

// worstFirst returns the results ordered for a reader: worst verdict first,
// then by name (case-insensitive), then by id. results is not changed; the
// JSON report keeps the scan's order.
func worstFirst(results []VMResult) []VMResult {
	out := slices.Clone(results)
	key := func(r VMResult) (string, string) {
		if r.VM == nil {
			return "", ""
		}
		return strings.ToLower(r.VM.Name), r.VM.ID
	}
	slices.SortStableFunc(out, func(a, b VMResult) int {
		na, ia := key(a)
		nb, ib := key(b)
		return cmp.Or(cmp.Compare(verdictOf(b).Rank(), verdictOf(a).Rank()), cmp.Compare(na, nb), cmp.Compare(ia, ib))
	})
	return out
}

// clampWidth gives the default to a zero width and keeps room for the indents.
func clampWidth(width int) int {
	if width <= 0 {
		return DefaultWidth
	}
	return max(width, 24)
}

// verdictCells renders "glyph word" for every verdict, padded to one width.
func verdictCells(tr *ui.Translator) map[Verdict]string {
	out := make(map[Verdict]string, len(Verdicts))
	wmax := 0
	for _, v := range Verdicts {
		out[v] = ui.VerdictGlyph(string(v)) + " " + tr.T("verdict."+string(v))
		wmax = max(wmax, ansi.StringWidth(out[v]))
	}
	for v, s := range out {
		out[v] = s + strings.Repeat(" ", wmax-ansi.StringWidth(s))
	}
	return out
}

// printer writes lines and keeps the first write error.
type printer struct {
	w     io.Writer
	width int
	err   error
}

func (p *printer) line(s string) {
	if p.err != nil {
		return
	}
	_, p.err = io.WriteString(p.w, strings.TrimRight(s, " ")+"\n")
}

// wrap wraps text for the room left after indent cells (two at least).
func (p *printer) wrap(text string, indent int) []string {
	return ui.Wrap(text, max(p.width-indent, 2))
}

// styler is the one method of lipgloss.Style the printer needs.
type styler interface{ Render(...string) string }

// wrapped writes text wrapped to the width after prefix, continuation lines
// indented by the prefix's width; style applies to the text only.
func (p *printer) wrapped(prefix, text string, style styler) {
	pw := ansi.StringWidth(prefix)
	for i, l := range p.wrap(text, pw) {
		if i > 0 {
			prefix = strings.Repeat(" ", pw)
		}
		p.line(prefix + style.Render(l))
	}
}

func (p *printer) vmHeader(r VMResult, v Verdict, cell map[Verdict]string, tr *ui.Translator, st ui.Styles) {
	name, where := "?", ""
	if vm := r.VM; vm != nil {
		name = vm.Name
		where = strings.Trim(vm.ResourceGroup+" · "+vm.Location, " ·")
	}
	prefix := st.Verdict[string(v)].Render(cell[v]) + "  "
	pw := ansi.StringWidth(prefix)
	// The name and the place wrap as one text after the verdict column.
	text := name
	if where != "" {
		text += " · " + where
	}
	indent := ""
	for i, l := range p.wrap(text, pw) {
		lead := prefix
		if i > 0 {
			lead = indent
		} else {
			indent = strings.Repeat(" ", pw)
		}
		if i == 0 && strings.HasPrefix(l, name) {
			l = st.Body.Heading.Render(name) + st.App.Muted.Render(l[len(name):])
		} else {
			l = st.App.Muted.Render(l)
		}
		p.line(lead + l)
	}
}

func (p *printer) finding(f Finding, tr *ui.Translator, st ui.Styles) {
	msg, fix := f.Text(tr)
	head := strings.Repeat(" ", findingIndent) + st.Verdict[string(f.Verdict)].Render(ui.VerdictGlyph(string(f.Verdict))+" "+tr.T("verdict."+string(f.Verdict))) + "  "
	p.wrapped(head, f.Rule, st.App.Faint)
	p.wrapped(strings.Repeat(" ", textIndent), msg, st.App.Text)
	if fix != "" {
		p.wrapped(strings.Repeat(" ", textIndent)+st.App.Accent.Render(fixMark), fix, st.App.Text)
	}
}

func (p *printer) summary(sum Summary, tr *ui.Translator, st ui.Styles) {
	parts := make([]string, 0, len(Verdicts))
	for _, v := range Verdicts {
		parts = append(parts, tr.T("report.count", "N", sum.Count(v), "Verdict", tr.T("verdict."+string(v))))
	}
	text := tr.T("report.summary", "Count", sum.Total(), "Parts", strings.Join(parts, " · "))
	p.wrapped("", text, st.Body.Heading)
	if sum.Fixable > 0 {
		p.wrapped("", tr.T("report.hint.fixable"), st.App.Muted)
	}
	if sum.Blocked > 0 {
		p.wrapped("", tr.T("report.hint.blocked"), st.App.Muted)
	}
	p.wrapped("", tr.T("report.hint.json"), st.App.Muted)
}

// RenderProblem writes a failure for a person, on stderr: what happened, why,
// what to do next, the documentation link, and the raw error dimmed last.
// Every line fits width cells.
func RenderProblem(w io.Writer, p Problem, tr *ui.Translator, st ui.Styles, width int) error {
	pr := &printer{w: w, width: clampWidth(width)}
	what, why, next := p.Text(tr)
	pr.wrapped(st.App.Error.Render(ui.VerdictGlyph(string(Blocked))+" "+tr.T("report.problem.error")+":")+" ", what, st.App.Text)

	type row struct {
		label, text string
		style       styler
	}
	rows := []row{
		{tr.T("report.problem.why"), why, st.App.Text},
		{tr.T("report.problem.next"), next, st.App.Text},
	}
	if p.Docs != "" {
		rows = append(rows, row{tr.T("report.problem.docs"), p.Docs, st.App.Accent})
	}
	if d := problemDetail(p); d != "" {
		rows = append(rows, row{tr.T("report.problem.detail"), d, st.App.Faint})
	}
	lw := 0
	for _, r := range rows {
		lw = max(lw, ansi.StringWidth(r.label))
	}
	for _, r := range rows {
		label := "  " + r.label + ":" + strings.Repeat(" ", lw-ansi.StringWidth(r.label)+1)
		if ansi.StringWidth(label) > pr.width/2 {
			label = "  " + r.label + ": "
		}
		pr.wrapped(st.App.Muted.Render(label), r.text, r.style)
	}
	return pr.err
}

// problemDetail is the raw error text worth showing: none for problems made
// from input errors (their text is a catalog key), nor when it only repeats,
// nor for sign-in failures (their text, "sign-in: signIn (HTTP 403)", says
// less than the explanation above it).
func problemDetail(p Problem) string {
	if p.Err == nil || p.What == "err.signIn.what" {
		return ""
	}
	var pe *Problem
	if errors.As(p.Err, &pe) {
		return ""
	}
	if e, ok := azure.AsError(p.Err); ok && e.Kind == azure.KindSignIn {
		return ""
	}
	return strings.Join(strings.Fields(p.Err.Error()), " ")
}
