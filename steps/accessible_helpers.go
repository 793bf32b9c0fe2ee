package steps

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Exported helpers for the accessible (line-by-line) mode of package
// access: the same decisions and texts the screens use, without a screen.

// NewSession starts the session the accessible mode fills step by step, as
// NewWizardSession does for the screens: ctx bounds every Azure call.
func NewSession(ctx context.Context, opts WizardOptions) *Session {
	return &Session{Cloud: opts.Cloud, Demo: opts.Demo, Preset: opts.Preset, Rules: opts.Rules, ctx: ctx, Log: NewTranscript(nil)}
}

// StepExplain is the text a step's screen shows under its title (Explain):
// the catalog key of step id ("scope", "vault", …).
func StepExplain(id string) string {
	switch id {
	case "vault", "redundancy", "network", "agent", "review", "protect":
		return id + ".why"
	}
	return "step." + id + ".why"
}

// PlanVMs are the plan's VMs in its subscription and region, as the
// inventory has them (what the Network and Agent steps judge).
func PlanVMs(sess *Session) []*azure.VM { return planVMs(sess.Plan, sess.Inventory) }

// NetVerdictText is a VM's backup path in words, as the Network step says it.
func NetVerdictText(tr *ui.Translator, d NetVerdict, region string) string {
	m := networkStep{c: &ui.Common{Tr: tr}, region: region}
	text := m.verdictText(d)
	if d.WA {
		text = ui.JoinSentences(text, tr.T("network.verdict.wa"))
	}
	return text
}

// AgentVerdictText is a VM's agent and extension in a sentence, as the
// Agent step says it.
func AgentVerdictText(tr *ui.Translator, d AgentVerdict) string {
	return agentStep{c: &ui.Common{Tr: tr}}.verdictText(d)
}

// AgentRecommend is the repair choice the Agent step recommends.
func AgentRecommend(diag []AgentVerdict) string {
	return agentStep{diag: diag}.recommend()
}

// PreparationChanges is the part of a confirmed change list the Apply step
// carries out (the policy and the VMs' protection are Protect's).
func PreparationChanges(cs []Change) []Change { return preparation(cs) }

// RecordRun records a finished run in the session, as the Apply and
// Protect steps do: in its runs, and a transcript line per change.
func RecordRun(sess *Session, tr *ui.Translator, phase string, cs []Change, o Outcome, started time.Time) {
	now := time.Now()
	sess.Runs = append(sess.Runs, RunRecord{Phase: phase, Changes: cs, Outcome: o, Started: started, Ended: now})
	for i, c := range cs {
		if !changing(c) || i >= len(o.States) {
			continue
		}
		e := ApplyEvent{Index: i, State: o.States[i], Err: o.Errs[i], Elapsed: o.Durations[i], Detail: o.Details[i], Percent: -1}
		switch e.State {
		case RunDone, RunFailed, RunSkipped, RunLeft:
			sess.Log.Add(phase, tr.T("log."+phase+".change", "Change", ChangeTitle(c, tr), "State", EventText(e, tr, now)))
		}
	}
}

// SummaryLines are the Summary step's contents as plain lines, verdicts in
// words rather than glyphs or colours: the heading and tally, what changed
// (with portal links), what was skipped and why, what is left to do.
func SummaryLines(sess *Session, tr *ui.Translator) []string {
	d := Summarize(sess)
	out := []string{summaryHeading(sess, tr)}
	if d.Ran {
		parts, _ := tallyParts(d.Counts, tr)
		out = append(out, strings.Join(parts, tr.T("access.sep")))
	}
	sub := ""
	if sess.Plan != nil {
		sub = sess.Plan.Subscription
	}
	line := func(v, text string) string {
		return tr.T("access.verdict", "Verdict", tr.T("verdict."+v), "Text", text)
	}
	if !d.Ran {
		out = append(out, tr.T("summary.norun"))
	} else {
		out = append(out, "", tr.T("summary.changed.heading", "Count", d.Counts.Changed))
		if len(d.Changed) == 0 {
			out = append(out, tr.T("summary.changed.none"))
		}
		for _, g := range d.Changed {
			label := tr.T("summary.group.prep")
			if g.VM != "" {
				label = tr.T("summary.group.vm", "VM", g.VM)
			}
			out = append(out, label)
			for _, e := range g.Entries {
				text := summaryTitle(e.Change, tr)
				if dt := doneDetail(e, tr); dt != "" {
					text += tr.T("access.sep") + dt
				}
				text += tr.T("access.sep") + summaryElapsed(e.DoneDuration, tr)
				out = append(out, "  "+line("ok", text))
				if l := entryLink(d.Cloud, sub, e.Change); l != "" && g.VM == "" {
					out = append(out, "    "+l)
				}
			}
			if g.VM != "" {
				if l := portalLink(d.Cloud, g.VMID); l != "" {
					out = append(out, "    "+l)
				}
			}
		}
	}
	if d.Ran || len(d.Skipped) > 0 {
		out = append(out, "", tr.T("summary.skipped.heading", "Count", len(d.Skipped)))
		if len(d.Skipped) == 0 {
			out = append(out, tr.T("summary.skipped.none"))
		}
		for _, e := range d.Skipped {
			out = append(out, "  "+line(skipVerdict(e), tr.T("summary.skipped.item", "Label", skipLabel(e.Change, tr), "Reason", skipReason(e, tr, sess.PlanPath))))
		}
	}
	todos := summaryTodoTexts(d.Todo, tr)
	out = append(out, "", tr.T("summary.todo.heading", "Count", len(todos)))
	if len(todos) == 0 {
		out = append(out, tr.T("summary.todo.none"))
	}
	for _, t := range todos {
		out = append(out, "  "+t.text)
		for _, l := range t.links {
			out = append(out, "    "+l)
		}
	}
	return out
}

// SummaryExport is the content and file name of one of the Summary step's
// exports: "plan", "report" or "transcript"; the path is beside the plan.
func SummaryExport(sess *Session, tr *ui.Translator, what string, now time.Time) (path string, data []byte, err error) {
	dir := exportDir(sess)
	switch what {
	case "plan":
		data, err = sess.Plan.Encode()
		path = sess.PlanPath
		if path == "" {
			path = filepath.Join(dir, DefaultPlanPath)
		}
	case "report":
		path, data = filepath.Join(dir, ReportName), []byte(SummaryMarkdown(sess, tr, now))
	default:
		path, data = filepath.Join(dir, TranscriptName), []byte(SessionTranscript(sess, tr))
	}
	return path, data, err
}

// VMPowerText is a VM's power state in words, as the Scope step says it.
func VMPowerText(tr *ui.Translator, vm *azure.VM) string { return powerText(tr, powerOf(vm)) }

// VMOSText is a VM's operating system as the Scope step says it.
func VMOSText(tr *ui.Translator, vm *azure.VM) string { return osText(tr, vm) }

// IPRangeChanges are the planner's ipRanges changes for the plan's VMs over
// the service tags read, as the Network step's IP ranges page plans them
// (the plan's priority, auto when unset).
func IPRangeChanges(p *Plan, inv *azure.Inventory, vms []*azure.VM, set *ServiceTagSet) []Change {
	if p == nil || set == nil {
		return nil
	}
	q := *p
	q.Network.Mode = NetworkIPRanges
	if q.Network.NSGRulePriority == "" {
		q.Network.NSGRulePriority = PriorityAuto
	}
	var conflicts PlanConflicts
	return networkChanges(&q, LiveState{Inventory: inv, ServiceTags: set}, vms, azure.NormalizeLocation(p.Vault.Location), &conflicts)
}

// IPRangeRuleViews are the NSGs that get a new ipRanges rule (only new
// rules take the plan's priority): what CheckPriority checks a typed
// priority against in the IP ranges mode.
func IPRangeRuleViews(changes []Change, inv *azure.Inventory) []NSGRuleView {
	var creates []Change
	for _, c := range changes {
		if c.Action == ActionNSGRule && c.Kind == Create {
			creates = append(creates, c)
		}
	}
	return RuleViews(creates, inv)
}

// RuleText is an NSG rule's access and destinations in words, the
// destinations summarised (the first, then how many more) with the ports.
func RuleText(tr *ui.Translator, r azure.SecurityRule) string {
	dests := strings.Replace(destSummary(tr, r.Destinations, r.DestPorts, 0), "  ", tr.T("access.sep"), 1)
	return accessWord(tr, r.Access) + tr.T("access.sep") + dests
}

// SuggestPolicyName is a name for a new policy the vault does not have, as
// the Protect step's form suggests it.
func SuggestPolicyName(existing []azure.Policy) string { return suggestPolicyName(existing) }

// PolicyTypes, PolicyFrequencies and PolicyWeekdays are a new policy's
// choices, in the Protect step's order.
func PolicyTypes() []string       { return append([]string(nil), policyTypes...) }
func PolicyFrequencies() []string { return append([]string(nil), policyFrequencies...) }
func PolicyWeekdays() []string    { return append([]string(nil), policyWeekdays...) }

// ScriptFileName is the name of the az script Review writes beside the plan.
const ScriptFileName = scriptName
