package steps

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/backupready/backupready/azure"
)

// agentRepairAPI is what repairing an agent or an extension calls in Azure.
type agentRepairAPI interface {
	BeginRunCommand(ctx context.Context, vmID, osType, script string, resumeToken string) (*azure.Operation, func() azure.RunResult, error)
	BeginDeleteExtension(ctx context.Context, vmID, name, resumeToken string) (*azure.Operation, error)
	InstanceView(ctx context.Context, vmID string) (azure.AgentState, error)
	RunningBackupJobs(ctx context.Context, vaultID string) ([]azure.RunningJob, error)
}

// agentReadyTimeout bounds the wait for a repaired agent to report Ready
// (the applier's MaxWait when shorter).
const agentReadyTimeout = 15 * time.Minute

// Error codes of the agent repairs (catalog: err.agent.<code>).
const (
	CodeAgentBackupRunning = "AgentBackupJobRunning"
	CodeAgentScriptFailed  = "AgentScriptFailed"
	CodeAgentNotReady      = "AgentNotReadyAfterRepair"
	CodeAgentStillOld      = "AgentStillNeedsRepair"
	CodeExtensionStillBad  = "SnapshotExtensionStillThere"
)

// repairAgent carries out vm.agentUpdate and vm.snapshotExtRemove: never
// while a backup job runs for the VM (checked again right before), resumed
// from the journal after an interruption, and followed until the VM's
// instance view shows the repair (the agent Ready again, its rules passing;
// the extension gone).
func (a *Applier) repairAgent(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	api, ok := a.API.(agentRepairAPI)
	if !ok {
		return "", &azure.Error{Kind: azure.KindInvalid, Op: "run-command", Code: "RunCommandUnavailable"}
	}
	resume := ""
	if last, ok := a.Journal.Last(c.Action, c.Target); ok && last.State == JournalInProgress {
		resume = last.ResumeToken
	}
	if resume == "" {
		if vault := argString(c.Args, "Vault"); vault != "" {
			jobs, err := api.RunningBackupJobs(ctx, vault)
			if err != nil {
				return "", err
			}
			if mine := azure.JobsFor(jobs, c.Target); len(mine) > 0 {
				return "", &azure.Error{Kind: azure.KindConflict, Op: "agent-repair", Code: CodeAgentBackupRunning, Message: jobNames(mine)}
			}
		}
	}
	if c.Action == ActionSnapshotExtRemove {
		return a.removeSnapshotExt(ctx, i, c, start, api, resume)
	}
	osType := argString(c.Args, "OS")
	var (
		op     *azure.Operation
		result func() azure.RunResult
	)
	if resume != "" {
		if o, r, err := api.BeginRunCommand(ctx, c.Target, osType, "", resume); err == nil {
			op, result = o, r
		}
	}
	if op == nil {
		_, script, err := AgentUpdateScript(osType)
		if err != nil {
			return "", err
		}
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		if op, result, err = api.BeginRunCommand(ctx, c.Target, osType, script, ""); err != nil {
			return "", err
		}
	}
	if err := a.follow(ctx, i, c, start, op, "agent.note.script"); err != nil {
		return "", err
	}
	res := result()
	out := redactSecrets(trimOutput(res.Stdout))
	if !res.Succeeded {
		msg := cmp.Or(trimOutput(res.Stderr), out)
		return out, &azure.Error{Kind: azure.KindOperation, Op: "agent-repair", Code: CodeAgentScriptFailed, Message: redactSecrets(msg)}
	}
	vm := &azure.VM{ID: c.Target, Name: argString(c.Args, "VM"), OSType: osType, PowerState: "running", HasOSProfile: true}
	st, err := a.waitAgentReady(ctx, i, c, start, api, func(st azure.AgentState) bool {
		vm.Agent = &st
		v := JudgeAgent(vm, nil, RuleConfig{AgentFloor: map[string]string{osType: argString(c.Args, "Floor")}})
		return v.Agent == AgentReady
	})
	if err != nil {
		return out, err
	}
	// the VM's rules again, on what the agent now reports
	vm.Agent = &st
	if v := JudgeAgent(vm, nil, RuleConfig{AgentFloor: map[string]string{osType: argString(c.Args, "Floor")}}); v.Agent != AgentReady {
		return out, &azure.Error{Kind: azure.KindOperation, Op: "agent-repair", Code: CodeAgentStillOld, Message: v.Agent + " " + st.Version}
	}
	detail := strings.TrimSpace(out + "; Ready " + st.Version)
	return detail, a.recordDone(c, start, detail)
}

// waitAgentReady asks the VM's instance view every poll until accept
// agrees, showing how long it has waited and what the agent says; it gives
// up after agentReadyTimeout (or MaxWait when shorter).
func (a *Applier) waitAgentReady(ctx context.Context, i int, c Change, start time.Time, api agentRepairAPI, accept func(azure.AgentState) bool) (azure.AgentState, error) {
	timeout := min(a.maxWait(), agentReadyTimeout)
	began := a.now()
	var last azure.AgentState
	failures := 0
	for {
		st, err := api.InstanceView(ctx, c.Target)
		if ctx.Err() != nil {
			return last, ctx.Err()
		}
		switch {
		case err != nil:
			if failures++; failures > 3 {
				return last, err
			}
		default:
			failures = 0
			last = st
			if accept(st) {
				return st, nil
			}
		}
		waited := a.now().Sub(began)
		if waited >= timeout {
			return last, &azure.Error{Kind: azure.KindTimeout, Op: "agent-repair", Code: CodeAgentNotReady,
				Message: strings.TrimSpace(cmp.Or(last.Status, "-") + " " + last.Version)}
		}
		a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "agent.note.wait",
			Args:    []any{"Seconds", int(waited.Seconds()), "Max", int(timeout.Seconds()), "Status", cmp.Or(last.Status, "-")},
			Elapsed: a.now().Sub(start), Percent: min(99, int(100*waited/max(timeout, 1)))})
		if err := azure.Sleep(ctx, a.pollEvery()); err != nil {
			return last, err
		}
	}
}

// removeSnapshotExt uninstalls the snapshot extension and reads the
// instance view back.
func (a *Applier) removeSnapshotExt(ctx context.Context, i int, c Change, start time.Time, api agentRepairAPI, resume string) (string, error) {
	name := argString(c.Args, "Extension")
	var op *azure.Operation
	if resume != "" {
		if o, err := api.BeginDeleteExtension(ctx, c.Target, name, resume); err == nil {
			op = o
		}
	}
	if op == nil {
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		var err error
		if op, err = api.BeginDeleteExtension(ctx, c.Target, name, ""); err != nil {
			return "", err
		}
	}
	if err := a.follow(ctx, i, c, start, op, "agent.note.ext-remove"); err != nil {
		return "", err
	}
	st, err := api.InstanceView(ctx, c.Target)
	if err != nil {
		return "", err
	}
	for _, e := range st.Extensions {
		if strings.EqualFold(e.Name, name) {
			return "", &azure.Error{Kind: azure.KindOperation, Op: "delete-extension", Code: CodeExtensionStillBad, Message: name + " " + e.Code}
		}
	}
	detail := name + " removed"
	return detail, a.recordDone(c, start, detail)
}
