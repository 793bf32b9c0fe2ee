package steps

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// recordedIV reads an instance view recorded from Azure.
func recordedIV(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "azure", "testdata", "azure-real", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Response struct {
			Body json.RawMessage `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	return string(rec.Response.Body)
}

const (
	ivRunning = `{"code":"PowerState/running"}`
	ivStopped = `{"code":"PowerState/deallocated"}`
)

func ivDoc(power, agent, exts string) string {
	s := `{"statuses":[{"code":"ProvisioningState/succeeded"},` + power + `]`
	if agent != "" {
		s += `,"vmAgent":` + agent
	}
	if exts != "" {
		s += `,"extensions":` + exts
	}
	return s + "}"
}

func agentJSON(version, code, display, msg string) string {
	return `{"vmAgentVersion":"` + version + `","statuses":[{"code":"` + code + `","level":"Info","displayStatus":"` + display + `","message":"` + msg + `"}]}`
}

func snapJSON(name, code, level, msg string) string {
	return `[{"name":"` + name + `","type":"Microsoft.Azure.RecoveryServices.` + name + `","typeHandlerVersion":"1.0.9","statuses":[{"code":"` + code + `","level":"` + level + `","message":"` + msg + `"}]}]`
}

// Every instance-view shape, recorded ones included, judged by the agent
// rules and JudgeAgent.
func TestJudgeAgentShapes(t *testing.T) {
	readyWin := agentJSON("2.7.41491.1102", "ProvisioningState/succeeded", "Ready", "GuestAgent is running")
	readyLinux := agentJSON("2.12.0.2", "ProvisioningState/succeeded", "Ready", "Guest Agent is running")
	no, yes := false, true
	tests := []struct {
		name       string
		os         string
		iv         string // "" = no instance view read
		power      string // Resource Graph's power state
		allowExt   *bool
		provision  *bool
		jobs       []azure.RunningJob
		status     Verdict // agent.status
		agent, ext string
		fix        string
		remove     bool
		agentless  bool
	}{
		{name: "recorded ready", os: "Windows", iv: "example_vm_instanceview_windows_agent_ready.json",
			status: OK, agent: AgentReady, ext: ExtAbsent},
		{name: "recorded not ready", os: "Windows", iv: "vm_instanceview_windows_agent_not_ready.json",
			status: Fixable, agent: AgentNotReady, ext: ExtAbsent, fix: FixManual, agentless: true},
		{name: "windows old", os: "Windows", iv: ivDoc(ivRunning, agentJSON("2.6.1198.600", "ProvisioningState/succeeded", "Ready", "ok"), ""),
			status: OK, agent: AgentOld, ext: ExtAbsent, fix: FixRunCommand},
		{name: "windows at the floor", os: "Windows", iv: ivDoc(ivRunning, agentJSON("2.6.1198.718", "ProvisioningState/succeeded", "Ready", "ok"), ""),
			status: OK, agent: AgentReady, ext: ExtAbsent},
		{name: "linux old", os: "Linux", iv: ivDoc(ivRunning, agentJSON("2.2.45", "ProvisioningState/succeeded", "Ready", "ok"), ""),
			status: OK, agent: AgentOld, ext: ExtAbsent, fix: FixRunCommand},
		{name: "linux extensions off", os: "Linux", iv: ivDoc(ivRunning, agentJSON("2.12.0.2", "ProvisioningState/succeeded", "Ready", "Extension processing is disabled (Extensions.Enabled=n)"), ""),
			status: OK, agent: AgentGuestOff, ext: ExtAbsent, fix: FixRunCommand},
		{name: "extension operations off", os: "Linux", allowExt: &no, iv: ivDoc(ivRunning, readyLinux, ""),
			status: OK, agent: AgentNoExtOps, ext: ExtAbsent, fix: FixManual},
		{name: "not ready silent", os: "Linux", iv: ivDoc(ivRunning, `{"vmAgentVersion":"Unknown","statuses":[{"code":"","displayStatus":"Not Ready"}]}`, ""),
			status: Fixable, agent: AgentNotReady, ext: ExtAbsent, fix: FixManual, agentless: true},
		{name: "no agent at all", os: "Windows", iv: ivDoc(ivRunning, "", ""),
			status: Fixable, agent: AgentAbsent, ext: ExtAbsent, fix: FixManual, agentless: true},
		{name: "stopped", os: "Windows", iv: ivDoc(ivStopped, "", ""), power: "deallocated",
			status: Warn, agent: AgentStopped, ext: ExtAbsent},
		{name: "stopped never provisioned", os: "Windows", power: "deallocated", provision: &no,
			status: Fixable, agent: AgentAbsent, ext: ExtUnknown, fix: FixManual, agentless: true},
		{name: "not read", os: "Linux", power: "running", provision: &yes,
			status: Warn, agent: AgentUnknown, ext: ExtUnknown},
		{name: "snapshot healthy", os: "Windows", iv: ivDoc(ivRunning, readyWin, snapJSON("VMSnapshot", "ProvisioningState/succeeded", "Info", "")),
			status: OK, agent: AgentReady, ext: ExtHealthy},
		{name: "snapshot provisioning", os: "Windows", iv: ivDoc(ivRunning, readyWin, snapJSON("VMSnapshot", "ProvisioningState/transitioning", "Info", "")),
			status: OK, agent: AgentReady, ext: ExtProvisioning},
		{name: "snapshot failed", os: "Linux", iv: ivDoc(ivRunning, readyLinux, snapJSON("VMSnapshotLinux", "ProvisioningState/failed/-1", "Error", "Enable failed")),
			status: OK, agent: AgentReady, ext: ExtFailed, remove: true},
		{name: "snapshot stuck deleting", os: "Linux", iv: ivDoc(ivRunning, readyLinux, snapJSON("VMSnapshotLinux", "ProvisioningState/deleting", "Info", "")),
			status: OK, agent: AgentReady, ext: ExtStuck, remove: true},
		{name: "snapshot only as a handler", os: "Linux", iv: ivDoc(ivRunning,
			`{"vmAgentVersion":"2.12.0.2","statuses":[{"code":"ProvisioningState/succeeded","displayStatus":"Ready"}],"extensionHandlers":[{"type":"Microsoft.Azure.RecoveryServices.VMSnapshotLinux","typeHandlerVersion":"1.0.9","status":{"code":"ProvisioningState/failed/-1","level":"Error","message":"Enable failed"}}]}`, ""),
			status: OK, agent: AgentReady, ext: ExtFailed, remove: true},
		{name: "old and busy", os: "Windows", iv: ivDoc(ivRunning, agentJSON("2.6.1198.600", "ProvisioningState/succeeded", "Ready", "ok"), ""),
			jobs:   []azure.RunningJob{{Name: "j1", Operation: "Backup", Status: "InProgress"}},
			status: OK, agent: AgentOld, ext: ExtAbsent, fix: FixRunCommand},
		{name: "old, OS unknown", iv: ivDoc(ivRunning, agentJSON("1.0", "ProvisioningState/succeeded", "Ready", "ok"), ""),
			status: OK, agent: AgentReady, ext: ExtAbsent}, // no floor without an OS
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vm := &azure.VM{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", Name: "vm1", ResourceGroup: "rg",
				OSType: tt.os, PowerState: tt.power, HasOSProfile: true, AllowExtOps: tt.allowExt, ProvisionAgent: tt.provision}
			if tt.iv != "" {
				doc := tt.iv
				if strings.HasSuffix(doc, ".json") {
					doc = recordedIV(t, doc)
				}
				var iv armcompute.VirtualMachineInstanceView
				if err := json.Unmarshal([]byte(doc), &iv); err != nil {
					t.Fatal(err)
				}
				st := azure.AgentFromInstanceView(&iv)
				vm.Agent = &st
				vm.PowerState = st.PowerState
			}
			v := JudgeAgent(vm, tt.jobs, RuleConfig{})
			if v.Agent != tt.agent || v.Ext != tt.ext || v.Fix != tt.fix || v.RemoveExt != tt.remove || v.Agentless != tt.agentless {
				t.Errorf("got agent %s ext %s fix %q remove %v agentless %v; want %s %s %q %v %v",
					v.Agent, v.Ext, v.Fix, v.RemoveExt, v.Agentless, tt.agent, tt.ext, tt.fix, tt.remove, tt.agentless)
			}
			if len(v.Findings) != 4 || v.Findings[0].Rule != RuleAgentStatus || v.Findings[0].Verdict != tt.status {
				t.Errorf("findings %+v, want agent.status %s", v.Findings, tt.status)
			}
			if v.Busy() != (len(tt.jobs) > 0) {
				t.Errorf("busy %v", v.Busy())
			}
		})
	}
}

// The planner's agent changes: repairs with agent.fix runCommand, Skips
// with the commands otherwise, nothing while a backup job runs, and
// nothing at all for a VM that is fine.
func TestAgentChanges(t *testing.T) {
	mk := func(os, version, msg string, ext *azure.ExtensionState, allow *bool) *azure.VM {
		vm := &azure.VM{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", Name: "vm1", ResourceGroup: "rg",
			OSType: os, PowerState: "running", HasOSProfile: true, AllowExtOps: allow,
			Agent:      &azure.AgentState{Status: "Ready", Code: "ProvisioningState/succeeded", Version: version, Message: msg, PowerState: "running"},
			Protection: &azure.Protection{VaultID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"}}
		if ext != nil {
			vm.Agent.Extensions = []azure.ExtensionState{*ext}
		}
		return vm
	}
	failed := &azure.ExtensionState{Name: "VMSnapshot", Code: "ProvisioningState/failed/1", Level: "Error"}
	no := false
	notReady := mk("Windows", "Unknown", "", nil, nil)
	notReady.Agent.Status = "Not Ready"
	notReady.Agent.Message = "VM status blob is found but not yet populated."
	type want struct {
		action string
		kind   ChangeKind
		reason string
	}
	tests := []struct {
		name string
		vm   *azure.VM
		fix  string
		busy bool
		want []want
	}{
		{"fine", mk("Windows", "2.7.41491.1102", "", nil, nil), AgentFixRunCommand, false, nil},
		{"windows old", mk("Windows", "2.6.1198.600", "", nil, nil), AgentFixRunCommand, false,
			[]want{{ActionAgentUpdate, Create, "change.reason.agent-update-windows"}}},
		{"linux old", mk("Linux", "2.2.40", "", nil, nil), AgentFixRunCommand, false,
			[]want{{ActionAgentUpdate, Create, "change.reason.agent-update-linux"}}},
		{"linux extensions off", mk("Linux", "2.12.0.2", "Extensions.Enabled=n", nil, nil), AgentFixRunCommand, false,
			[]want{{ActionAgentUpdate, Create, "change.reason.agent-extensions-on"}}},
		{"old, instructions", mk("Linux", "2.2.40", "", nil, nil), AgentFixInstructions, false,
			[]want{{ActionAgentUpdate, Skip, "change.reason.agent-update-manual"}}},
		{"old and failed extension, busy", mk("Windows", "2.6.1198.600", "", failed, nil), AgentFixRunCommand, true,
			[]want{{ActionAgentUpdate, Skip, "change.reason.agent-busy"}, {ActionSnapshotExtRemove, Skip, "change.reason.agent-busy"}}},
		{"failed extension", mk("Windows", "2.7.41491.1102", "", failed, nil), AgentFixRunCommand, false,
			[]want{{ActionSnapshotExtRemove, Create, "change.reason.snapshot-remove"}}},
		{"failed extension, instructions", mk("Windows", "2.7.41491.1102", "", failed, nil), AgentFixInstructions, false,
			[]want{{ActionSnapshotExtRemove, Skip, "change.reason.snapshot-remove-manual"}}},
		{"not reporting", notReady, AgentFixRunCommand, false,
			[]want{{ActionAgentManual, Skip, "change.reason.agent-not-reporting"}}},
		{"extension operations off", mk("Linux", "2.12.0.2", "", nil, &no), AgentFixRunCommand, false,
			[]want{{ActionAgentManual, Skip, "change.reason.agent-extops"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plan{Agent: PlanAgent{Fix: tt.fix}}
			live := LiveState{}
			if tt.busy {
				live.AgentJobs = map[string][]azure.RunningJob{strings.ToLower(tt.vm.ID): {{Name: "job-1", Operation: "Backup"}}}
			}
			got := agentChanges(p, live, tt.vm, "westeurope")
			if len(got) != len(tt.want) {
				t.Fatalf("got %d changes %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				c := got[i]
				if c.Action != w.action || c.Kind != w.kind || c.Reason != w.reason || !strings.EqualFold(c.Target, tt.vm.ID) || !vmAction(c.Action) {
					t.Errorf("change %d: %s %s %s, want %s %s %s", i, c.Action, c.Kind, c.Reason, w.action, w.kind, w.reason)
				}
				if c.Kind == Skip && argString(c.Args, "Command") == "" {
					t.Errorf("change %d: a Skip without the command to run", i)
				}
				if _, _, ok := AgentChangeScript(c); ok != (c.Kind == Create && c.Action == ActionAgentUpdate) {
					t.Errorf("change %d: script %v", i, ok)
				}
			}
		})
	}
}

// The copyable commands hold nothing but the VM's names.
func TestAgentCommandsQuoteNames(t *testing.T) {
	vm := &azure.VM{Name: "vm1; rm -rf /", ResourceGroup: "rg$(x)"}
	for _, s := range []string{extOpsCommand(vm), extRemoveCommand(vm, "VMSnapshot`x`")} {
		if strings.ContainsAny(s, ";$`") {
			t.Errorf("unsafe command: %s", s)
		}
	}
}

// agentEnv is the demo on a test clock, operations taking 10 s.
type agentEnv struct {
	api   *azure.Client
	clock *testClock
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newAgentEnv is the demo; tag, when set, tags erp-legacy-01 for the
// simulator (backupready-sim: runcommand-timeout).
func newAgentEnv(t *testing.T, tag string) *agentEnv {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, 10*time.Second
	if tag != "" {
		for i, doc := range sc.Resources {
			if strings.Contains(string(doc), `"`+simERPVM+`"`) {
				var m map[string]any
				if err := json.Unmarshal(doc, &m); err != nil {
					t.Fatal(err)
				}
				m["tags"] = map[string]string{"backupready-sim": tag}
				sc.Resources[i], _ = json.Marshal(m)
			}
		}
	}
	c, err := sim.New(sc, sim.Options{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	api, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return &agentEnv{api: api, clock: clock}
}

// run plans p against the simulator and carries it out, the simulated time
// moving on by poll each time the applier sleeps.
func (e *agentEnv) run(t *testing.T, p *Plan, j *Journal, maxWait time.Duration) ([]Change, Outcome) {
	t.Helper()
	ctx := context.Background()
	live, err := ReadLiveState(ctx, e.api, p)
	if err != nil {
		t.Fatal(err)
	}
	live.Journal = j
	cs, err := Changes(p, live)
	if err != nil {
		t.Fatal(err)
	}
	a := &Applier{API: e.api, Plan: p, Journal: j, PollEvery: time.Millisecond, RetryBase: time.Millisecond, MaxWait: maxWait,
		Now: e.clock.now}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the simulated clock runs 5 s per real millisecond
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				e.clock.advance(5 * time.Second)
			}
		}
	}()
	out := a.Run(ctx, cs, nil)
	close(stop)
	<-done
	return cs, out
}

const (
	simERPVM      = "/subscriptions/" + simProd + "/resourceGroups/rg-erp-prod/providers/Microsoft.Compute/virtualMachines/erp-legacy-01"
	simNoAgentVM  = "/subscriptions/" + simProd + "/resourceGroups/rg-app-prod/providers/Microsoft.Compute/virtualMachines/app-noagent-01"
	simDevSub     = "7a9c2d4e-5b6f-4e1a-8c3d-2b4a6e8f0a1c"
	simSnapFailVM = "/subscriptions/" + simDevSub + "/resourceGroups/rg-dev-apps/providers/Microsoft.Compute/virtualMachines/dev-snapfail-01"
)

func findChange(cs []Change, action, target string) int {
	for i, c := range cs {
		if c.Action == action && strings.EqualFold(c.Target, target) {
			return i
		}
	}
	return -1
}

func agentPlan(sub, vaultGroup, vault string, vms ...string) *Plan {
	return &Plan{Version: 1, Cloud: CloudPublic, Subscription: sub, VMs: vms,
		Vault:      PlanVault{Name: vault, ResourceGroup: vaultGroup, Location: "westeurope"},
		Redundancy: PlanRedundancy{Keep: true}, Network: PlanNetwork{Mode: NetworkNone},
		Agent: PlanAgent{Fix: AgentFixRunCommand}}
}

// An old Windows agent is updated by Run Command; the run waits until the
// agent reports Ready again with a version at the floor, and the same plan
// then plans nothing for it. The VM whose agent does not report gets
// instructions only.
func TestApplyAgentUpdate(t *testing.T) {
	e := newAgentEnv(t, "")
	p := agentPlan(simProd, "rg-backup-prod", "rsv-weu-prod", simERPVM, simNoAgentVM)
	j, _ := OpenJournal(filepath.Join(t.TempDir(), "plan.yaml"))
	cs, out := e.run(t, p, j, 0)
	i := findChange(cs, ActionAgentUpdate, simERPVM)
	if i < 0 || cs[i].Kind != Create {
		t.Fatalf("changes %+v", cs)
	}
	if out.States[i] != RunDone || !strings.Contains(out.Details[i], "Ready "+sim.SimLatestWindowsAgent) {
		t.Fatalf("update: %s %q %v", out.States[i], out.Details[i], out.Errs[i])
	}
	if k := findChange(cs, ActionAgentManual, simNoAgentVM); k < 0 || cs[k].Kind != Skip || cs[k].Reason != "change.reason.agent-not-reporting" {
		t.Errorf("no instructions for the silent agent: %+v", cs)
	}
	st, err := e.api.InstanceView(context.Background(), simERPVM)
	if err != nil || st.Status != "Ready" || st.Version != sim.SimLatestWindowsAgent {
		t.Fatalf("after: %+v %v", st, err)
	}
	cs, _ = e.run(t, p, j, 0)
	if k := findChange(cs, ActionAgentUpdate, simERPVM); k >= 0 {
		t.Errorf("planned again: %+v", cs[k])
	}
}

// A VM whose Run Command never ends: the run gives up after its wait with a
// timeout, and nothing else of that VM runs.
func TestApplyAgentRunCommandTimesOut(t *testing.T) {
	e := newAgentEnv(t, "runcommand-timeout")
	p := agentPlan(simProd, "rg-backup-prod", "rsv-weu-prod", simERPVM)
	cs, out := e.run(t, p, nil, 5*time.Minute)
	i := findChange(cs, ActionAgentUpdate, simERPVM)
	if i < 0 || out.States[i] != RunFailed {
		t.Fatalf("states %v %v", out.States, out.Errs)
	}
	if ae, ok := azure.AsError(out.Errs[i]); !ok || ae.Kind != azure.KindTimeout {
		t.Errorf("error %v, want a timeout", out.Errs[i])
	}
}

// The failed snapshot extension is uninstalled; the instance view no longer
// shows it and the plan then plans nothing for it.
func TestApplySnapshotExtensionRemoval(t *testing.T) {
	e := newAgentEnv(t, "")
	p := agentPlan(simDevSub, "rg-backup-dev", "rsv-weu-dev", simSnapFailVM)
	cs, out := e.run(t, p, nil, 0)
	i := findChange(cs, ActionSnapshotExtRemove, simSnapFailVM)
	if i < 0 || out.States[i] != RunDone {
		t.Fatalf("changes %+v states %v errs %v", cs, out.States, out.Errs)
	}
	cs, _ = e.run(t, p, nil, 0)
	if k := findChange(cs, ActionSnapshotExtRemove, simSnapFailVM); k >= 0 {
		t.Errorf("planned again: %+v", cs[k])
	}
}

// The applier checks the backup jobs again right before a repair: a job
// that started after planning stops it.
func TestApplyAgentRefusesWhileBackupRuns(t *testing.T) {
	e := newAgentEnv(t, "")
	p := agentPlan(simDevSub, "rg-backup-dev", "rsv-weu-dev", simSnapFailVM)
	ctx := context.Background()
	live, err := ReadLiveState(ctx, e.api, p)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Changes(p, live)
	if err != nil {
		t.Fatal(err)
	}
	vault := "/subscriptions/" + simDevSub + "/resourceGroups/rg-backup-dev/providers/Microsoft.RecoveryServices/vaults/rsv-weu-dev"
	if _, err := e.api.TriggerBackup(ctx, vault, simSnapFailVM, e.clock.now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(time.Second)
	a := &Applier{API: e.api, Plan: p, PollEvery: time.Millisecond, RetryBase: time.Millisecond, Now: e.clock.now}
	out := a.Run(ctx, cs, nil)
	i := findChange(cs, ActionSnapshotExtRemove, simSnapFailVM)
	ae, ok := azure.AsError(out.Errs[i])
	if i < 0 || out.States[i] != RunFailed || !ok || ae.Code != CodeAgentBackupRunning {
		t.Fatalf("state %v err %v", out.States, out.Errs)
	}
	// and planning now skips it
	live, _ = ReadLiveState(ctx, e.api, p)
	cs, _ = Changes(p, live)
	if k := findChange(cs, ActionSnapshotExtRemove, simSnapFailVM); k < 0 || cs[k].Kind != Skip || cs[k].Reason != "change.reason.agent-busy" {
		t.Errorf("while the job runs: %+v", cs)
	}
}
