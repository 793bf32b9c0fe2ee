package steps

import (
	"cmp"
	"context"
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
)

// Step 5, the VM agent and the backup extension (AZURE.md §5): each VM's
// agent and snapshot extension judged from its instance view by the agent
// rules, what repairs them (planned, reviewed and applied like every other
// change), and the instructions where nothing can be repaired from here.

// Agent states of a VM (AgentVerdict.Agent).
const (
	AgentReady    = "ready"    // Ready, current, extensions allowed
	AgentOld      = "old"      // Ready, older than the floor
	AgentGuestOff = "guestoff" // Ready, but the guest's Extensions.Enabled=n
	AgentNoExtOps = "noextops" // the VM model forbids extensions (allowExtensionOperations false)
	AgentNotReady = "notready" // Not Ready: not reporting
	AgentAbsent   = "absent"   // no agent reported at all (or not provisioned)
	AgentStopped  = "stopped"  // the VM does not run: the agent cannot report
	AgentUnknown  = "unknown"  // the instance view could not be read
)

// Snapshot extension states (AgentVerdict.Ext).
const (
	ExtAbsent       = "absent"       // not installed: the first backup installs it
	ExtHealthy      = "healthy"      // provisioning succeeded
	ExtProvisioning = "provisioning" // transitioning, creating, updating: a backup may be taking its snapshot
	ExtFailed       = "failed"
	ExtStuck        = "stuck" // stuck in deletion
	ExtUnknown      = "unknown"
)

// Repairs (AgentVerdict.Fix).
const (
	FixNone       = ""
	FixRunCommand = "runCommand"   // a script run with Run Command updates the agent
	FixManual     = "instructions" // only by hand: the commands are shown
)

// Change actions of the agent step: carried out per VM (the "vm." prefix).
const (
	ActionAgentUpdate       = "vm.agentUpdate"
	ActionSnapshotExtRemove = "vm.snapshotExtRemove"
	ActionAgentManual       = "vm.agentManual" // always a Skip: what the user does by hand
)

// AgentVerdict is a VM's agent and backup extension, judged by the agent
// rules (Findings: agent.status, agent.version, agent.extensions,
// extension.snapshot, as Evaluate reports them).
type AgentVerdict struct {
	VM       *azure.VM
	OS       string // Linux, Windows, "" unknown
	Agent    string // Agent*
	Version  string // as reported ("" when none)
	Floor    string
	Detail   string // the agent's status message (Not Ready)
	Ext      string // Ext*
	ExtName  string // VMSnapshot or VMSnapshotLinux ("" when absent)
	ExtMsg   string
	Jobs     []azure.RunningJob // backup jobs running for the VM: nothing is touched meanwhile
	Findings []Finding
	// Fix is how the agent is repaired; RemoveExt says that the snapshot
	// extension is to be uninstalled (the next backup installs it again);
	// Agentless says that agentless crash-consistent backup is the way to
	// back the VM up without its agent.
	Fix       string
	RemoveExt bool
	Agentless bool
}

// Busy reports whether a backup job runs for the VM.
func (v AgentVerdict) Busy() bool { return len(v.Jobs) > 0 }

// NeedsWork reports whether the VM needs a repair or the user's hands.
func (v AgentVerdict) NeedsWork() bool { return v.Fix != FixNone || v.RemoveExt }

// agentRules are the rules that judge the agent and the extension.
var agentRules = []string{RuleAgentStatus, RuleAgentVersion, RuleAgentExtensions, RuleSnapshotExt}

// AgentFindings runs the agent rules on a VM.
func AgentFindings(vm *azure.VM, cfg RuleConfig) []Finding {
	in := &ruleInput{vm: vm, inv: &azure.Inventory{}, cfg: cfg}
	var out []Finding
	for _, r := range ruleTable {
		for _, id := range agentRules {
			if r.id == id {
				f := r.run(in)
				f.Rule = id
				out = append(out, f)
			}
		}
	}
	return out
}

// findingCase is the case of a finding ("ready" of rule.agent.status.ready).
func findingCase(fs []Finding, rule string) string {
	for _, f := range fs {
		if f.Rule == rule {
			return strings.TrimPrefix(f.Msg, "rule."+rule+".")
		}
	}
	return ""
}

// JudgeAgent judges a VM's agent and snapshot extension. It is pure: the
// VM's instance view (vm.Agent) and the backup jobs running for it are
// read before.
func JudgeAgent(vm *azure.VM, jobs []azure.RunningJob, cfg RuleConfig) AgentVerdict {
	v := AgentVerdict{VM: vm, OS: osTypeOf(vm), Jobs: jobs, Floor: cfg.agentFloor(osTypeOf(vm))}
	v.Findings = AgentFindings(vm, cfg)
	if a := vm.Agent; a != nil {
		v.Version = strings.TrimSpace(a.Version)
		v.Detail = cmp.Or(strings.TrimSpace(a.Message), a.Code)
	}
	status := findingCase(v.Findings, RuleAgentStatus)
	version := findingCase(v.Findings, RuleAgentVersion)
	ext := findingCase(v.Findings, RuleAgentExtensions)
	switch status {
	case "ready":
		switch {
		case ext == "disallowed":
			v.Agent, v.Fix = AgentNoExtOps, FixManual
		case ext == "guest-disabled":
			v.Agent, v.Fix = AgentGuestOff, FixRunCommand
		case version == "old":
			v.Agent, v.Fix = AgentOld, FixRunCommand
		default:
			v.Agent = AgentReady
		}
		if v.Fix == FixRunCommand && v.OS == "" {
			v.Fix = FixManual
		}
	case "not-ready", "not-ready-silent":
		v.Agent, v.Fix, v.Agentless = AgentNotReady, FixManual, true
	case "absent", "not-provisioned":
		v.Agent, v.Fix, v.Agentless = AgentAbsent, FixManual, true
	case "not-running":
		v.Agent = AgentStopped
	default:
		v.Agent = AgentUnknown
		if p := powerOf(vm); p != "" && p != "running" {
			v.Agent = AgentStopped
		}
	}
	if v.Agent == AgentStopped && isFalse(vm.ProvisionAgent) {
		v.Agent, v.Fix, v.Agentless = AgentAbsent, FixManual, true
	}
	if vm.Agent != nil {
		if e := snapshotExtension(vm.Agent); e != nil {
			v.ExtName, v.ExtMsg = cmp.Or(e.Name, lastSegment(strings.ReplaceAll(e.Type, ".", "/"))), strings.TrimSpace(e.Message)
		}
	}
	switch findingCase(v.Findings, RuleSnapshotExt) {
	case "absent":
		v.Ext = ExtAbsent
	case "healthy":
		v.Ext = ExtHealthy
	case "transitioning":
		v.Ext = ExtProvisioning
	case "failed":
		v.Ext, v.RemoveExt = ExtFailed, true
	case "stuck-deleting":
		v.Ext, v.RemoveExt = ExtStuck, true
	default:
		v.Ext = ExtUnknown
	}
	return v
}

// AgentUpdateScript is the script a vm.agentUpdate change runs on its VM:
// POSIX sh on Linux, PowerShell on Windows.
func AgentUpdateScript(osType string) (lang, script string, err error) {
	switch guestOS(osType) {
	case "Linux":
		s, err := guest.LinuxAgentScript(0)
		return "sh", s, err
	case "Windows":
		s, err := guest.WindowsAgentScript("", 0)
		return "powershell", s, err
	}
	return "", "", &azure.Error{Kind: azure.KindInvalid, Op: "run-command", Code: azure.CodeUnknownOSType, Message: osType}
}

// AgentChangeScript is ChangeScript for the agent step's changes.
func AgentChangeScript(c Change) (lang, script string, ok bool) {
	if c.Action != ActionAgentUpdate || (c.Kind != Create && c.Kind != Modify) {
		return "", "", false
	}
	os, _ := argNamed(c.Args, "OS").(string)
	lang, s, err := AgentUpdateScript(os)
	if err != nil {
		return "", "", false
	}
	return lang, s, true
}

// Manual commands shown in instructions (copyable; no value of the user's
// is inserted but the VM's own names, which Azure restricts to letters,
// digits, '-', '_' and '.').
const (
	windowsAgentManual = "Download " + guest.WindowsAgentMSI + " on the VM and run it as an administrator (msiexec /i WindowsAzureVmAgent.msi /quiet), then check that the service WindowsAzureGuestAgent runs"
)

// linuxAgentManual is how to install or update the Linux agent by hand.
func linuxAgentManual() string { return strings.Join(guest.LinuxAgentCommands(), "; ") }

// agentManualCommand is the by-hand repair of a VM's agent.
func agentManualCommand(os string) string {
	switch os {
	case "Windows":
		return windowsAgentManual
	case "Linux":
		return linuxAgentManual()
	}
	return linuxAgentManual() + " | Windows: " + windowsAgentManual
}

// extOpsCommand turns extension operations on in the VM model.
func extOpsCommand(vm *azure.VM) string {
	return "az vm update --resource-group " + safeName(vm.ResourceGroup) + " --name " + safeName(vm.Name) + " --set osProfile.allowExtensionOperations=true"
}

// extRemoveCommand uninstalls the snapshot extension by hand.
func extRemoveCommand(vm *azure.VM, ext string) string {
	return "az vm extension delete --resource-group " + safeName(vm.ResourceGroup) + " --vm-name " + safeName(vm.Name) + " --name " + safeName(ext)
}

// safeName keeps the characters Azure allows in resource names, so that a
// copied command cannot do anything else.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '(', r == ')':
			return r
		}
		return -1
	}, s)
}

// jobNames lists running jobs for a message.
func jobNames(jobs []azure.RunningJob) string {
	var out []string
	for _, j := range jobs {
		out = append(out, cmp.Or(j.Operation, "Backup")+" "+j.Name)
	}
	return strings.Join(out, ", ")
}

// agentChanges plan a VM's agent and extension repairs: with the plan's
// agent.fix runCommand, an old or misconfigured agent of a running VM with
// a Ready agent is updated by a script run with Run Command and a failed or
// stuck snapshot extension is uninstalled; otherwise (and always for an
// agent that does not report) the change is a Skip with the commands to
// run by hand. Nothing is planned while a backup job runs for the VM. A VM
// whose agent and extension are fine gets no change, so that a plan that
// was carried out plans nothing the second time.
func agentChanges(p *Plan, live LiveState, vm *azure.VM, region string) []Change {
	var jobs []azure.RunningJob
	if live.AgentJobs != nil {
		jobs = live.AgentJobs[strings.ToLower(vm.ID)]
	}
	v := JudgeAgent(vm, jobs, RuleConfig{AgentFloor: live.AgentFloor})
	if !v.NeedsWork() {
		return nil
	}
	repair := p.Agent.Fix == AgentFixRunCommand
	vault := ""
	if vm.Protection != nil {
		vault = vm.Protection.VaultID
	}
	base := []any{"VM", vm.Name, "OS", v.OS, "Version", or(v.Version, "-"), "Floor", or(v.Floor, "-"), "Vault", vault}
	var out []Change
	switch v.Fix {
	case FixRunCommand:
		c := Change{Action: ActionAgentUpdate, Target: vm.ID, Region: region, From: v.Version, To: v.Floor,
			Args: append(append([]any{}, base...), "Command", agentManualCommand(v.OS))}
		switch {
		case v.Busy():
			c.Kind, c.Reason = Skip, "change.reason.agent-busy"
			c.Args = append(c.Args, "Jobs", jobNames(v.Jobs))
		case !repair:
			c.Kind, c.Reason = Skip, "change.reason.agent-update-manual"
		case v.Agent == AgentGuestOff:
			c.Kind, c.Reason = Create, "change.reason.agent-extensions-on"
		case v.OS == "Windows":
			c.Kind, c.Reason = Create, "change.reason.agent-update-windows"
		default:
			c.Kind, c.Reason = Create, "change.reason.agent-update-linux"
		}
		out = append(out, c)
	case FixManual:
		c := Change{Kind: Skip, Action: ActionAgentManual, Target: vm.ID, Region: region, Args: append([]any{}, base...)}
		switch v.Agent {
		case AgentNoExtOps:
			c.Reason = "change.reason.agent-extops"
			c.Args = append(c.Args, "Command", extOpsCommand(vm))
		case AgentOld, AgentGuestOff: // OS unknown: no script is chosen
			c.Reason = "change.reason.agent-update-os-unknown"
			c.Args = append(c.Args, "Command", agentManualCommand(""))
		default:
			c.Reason = "change.reason.agent-not-reporting"
			c.Args = append(c.Args, "Detail", or(v.Detail, "-"), "Command", agentManualCommand(v.OS))
		}
		out = append(out, c)
	}
	if v.RemoveExt {
		c := Change{Action: ActionSnapshotExtRemove, Target: vm.ID, Region: region, From: v.Ext, To: ExtAbsent,
			Args: append(append([]any{}, base...), "Extension", v.ExtName, "State", v.Ext, "Command", extRemoveCommand(vm, v.ExtName))}
		switch {
		case v.Busy():
			c.Kind, c.Reason = Skip, "change.reason.agent-busy"
			c.Args = append(c.Args, "Jobs", jobNames(v.Jobs))
		case !repair:
			c.Kind, c.Reason = Skip, "change.reason.snapshot-remove-manual"
		default:
			c.Kind, c.Reason = Create, "change.reason.snapshot-remove"
		}
		out = append(out, c)
	}
	return out
}

// agentLiveAPI is what reading the agent part of the live state calls.
type agentLiveAPI interface {
	ReadAgents(ctx context.Context, vms []azure.VM, concurrency int, progress func(done, total int)) error
	RunningBackupJobs(ctx context.Context, vaultID string) ([]azure.RunningJob, error)
}

// ReadAgentLive reads what agentChanges needs: the instance view of every
// running plan VM not read yet, and the backup jobs running in the vaults
// that protect plan VMs (live.AgentJobs, by lower-cased VM id).
func ReadAgentLive(ctx context.Context, api agentLiveAPI, p *Plan, live *LiveState) error {
	var vms []azure.VM
	var targets []*azure.VM
	vaults := map[string]bool{}
	var order []string
	for _, id := range p.VMs {
		vm := live.VMs[strings.ToLower(id)]
		if vm == nil {
			continue
		}
		if vm.Running() && vm.Agent == nil {
			vms = append(vms, *vm)
			targets = append(targets, vm)
		}
		if pr := vm.Protection; pr != nil && pr.VaultID != "" && !vaults[strings.ToLower(pr.VaultID)] {
			vaults[strings.ToLower(pr.VaultID)] = true
			order = append(order, pr.VaultID)
		}
	}
	if len(vms) > 0 {
		if err := api.ReadAgents(ctx, vms, 0, nil); err != nil {
			return err
		}
		for k, vm := range targets {
			vm.Agent, vm.AgentErr = vms[k].Agent, vms[k].AgentErr
		}
	}
	live.AgentJobs = map[string][]azure.RunningJob{}
	for _, vault := range order {
		jobs, err := api.RunningBackupJobs(ctx, vault)
		if err != nil {
			return err
		}
		for _, id := range p.VMs {
			if mine := azure.JobsFor(jobs, id); len(mine) > 0 {
				live.AgentJobs[strings.ToLower(id)] = append(live.AgentJobs[strings.ToLower(id)], mine...)
			}
		}
	}
	return nil
}
