// Package steps holds the wizard's steps: each step's decisions (pure
// functions: rules, validators, plan contributions) and its screen model. Steps
// reach Azure only through the azure package, and only inside tea.Cmds.
package steps

import (
	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Verdict is the outcome of a readiness rule for one VM.
type Verdict string

// The verdicts, from best to worst.
const (
	OK      Verdict = "ok"
	Info    Verdict = "info"
	Warn    Verdict = "warn"
	Fixable Verdict = "fixable" // the wizard can fix it
	Blocked Verdict = "blocked" // it cannot; the message says what the user must do
)

// Verdicts lists every verdict from best to worst.
var Verdicts = []Verdict{OK, Info, Warn, Fixable, Blocked}

// Rank orders verdicts: a VM's verdict is its worst finding.
func (v Verdict) Rank() int {
	for i, x := range Verdicts {
		if x == v {
			return i
		}
	}
	return 0
}

// Worse returns the worse of two verdicts.
func Worse(a, b Verdict) Verdict {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// Finding is one rule's answer for one VM. Text is carried as catalog keys and
// arguments so that the same finding renders in any language.
type Finding struct {
	Rule    string  // stable rule id, e.g. "agent.status"
	Verdict Verdict //
	Msg     string  // catalog key of the one-line reason
	Fix     string  // catalog key of what to do ("" when nothing is needed)
	Args    []any   // key/value pairs for both messages
	Docs    string  // learn.microsoft.com link
}

// VMResult is a VM in scope with its findings, in rule order.
type VMResult struct {
	VM       *azure.VM
	Findings []Finding
	Verdict  Verdict
}

// Finalize sets r.Verdict to the worst of r.Findings.
func (r *VMResult) Finalize() {
	r.Verdict = OK
	for _, f := range r.Findings {
		r.Verdict = Worse(r.Verdict, f.Verdict)
	}
}

// Text renders the finding's reason and fix in the translator's language.
func (f Finding) Text(tr *ui.Translator) (msg, fix string) {
	msg = tr.T(f.Msg, f.Args...)
	if f.Fix != "" {
		fix = tr.T(f.Fix, f.Args...)
	}
	return msg, fix
}
