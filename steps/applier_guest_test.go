package steps

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// proxyPlan uses the existing westeurope vault and network mode proxy for
// every westeurope VM of the production subscription.
func proxyPlan(t *testing.T, env *applyEnv) *Plan {
	t.Helper()
	inv, err := env.api.Inventory(context.Background(), []string{simProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{Version: 1, Cloud: CloudPublic, Subscription: simProd,
		Vault:      PlanVault{Name: "rsv-weu-prod", ResourceGroup: "rg-backup-prod", Location: "westeurope"},
		Redundancy: PlanRedundancy{Keep: true},
		Network:    PlanNetwork{Mode: NetworkProxy, Proxy: &PlanProxy{Host: "10.0.0.5", Port: 3128}}}
	for _, vm := range inv.VMs {
		if vm.Location == "westeurope" {
			p.VMs = append(p.VMs, vm.ID)
		}
	}
	return p
}

// planProxy reads live state with the agents, as apply does in proxy mode.
func (env *applyEnv) planProxy(t *testing.T, p *Plan, j *Journal) ([]Change, LiveState) {
	t.Helper()
	ctx := context.Background()
	live, err := ReadLiveState(ctx, env.api, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := ReadGuestAgents(ctx, env.api, p, live); err != nil {
		t.Fatal(err)
	}
	live.Journal = j
	cs, err := Changes(p, live)
	if err != nil {
		t.Fatal(err)
	}
	return cs, live
}

// runProxy plans and applies once with a fresh journal handle.
func (env *applyEnv) runProxy(t *testing.T, p *Plan, api ApplyAPI) (Outcome, []Change) {
	t.Helper()
	j, err := OpenJournal(env.journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	cs, _ := env.planProxy(t, p, j)
	a := &Applier{API: api, Plan: p, Journal: j, PollEvery: time.Millisecond, RetryBase: time.Millisecond}
	var mu sync.Mutex
	notes := map[string]bool{}
	out := a.Run(context.Background(), cs, func(e ApplyEvent) {
		mu.Lock()
		notes[e.Note] = true
		mu.Unlock()
	})
	for _, c := range cs {
		if c.Action == ActionGuestProxy && c.Kind == Create && !notes["apply.note.guest-script"] {
			t.Error("no event says the proxy script runs")
		}
	}
	return out, cs
}

func guestChanges(cs []Change) map[string]int {
	out := map[string]int{}
	for i, c := range cs {
		if c.Action == ActionGuestProxy {
			out[strings.ToLower(c.Target)] = i
		}
	}
	return out
}

// Proxy mode plans the script for running VMs whose agent is Ready and the
// manual command for the others; apply runs it with Run Command and ends
// done with the script's output; a second run plans no change.
func TestApplyGuestProxy(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	p := proxyPlan(t, env)
	cs, live := env.planProxy(t, p, nil)
	nsgSkip := false
	var pushed, manual int
	for _, c := range cs {
		if c.Action == ActionProxyPath && c.Kind == Skip && c.Reason == "change.reason.proxy-path-outside" {
			nsgSkip = true
		}
		if c.Action != ActionGuestProxy {
			continue
		}
		vm := live.VMs[strings.ToLower(c.Target)]
		ready := vm.Running() && vm.Agent != nil && vm.Agent.Status == "Ready"
		os, _ := argNamed(c.Args, "OS").(string)
		switch {
		case ready && c.Kind != Create:
			t.Errorf("%s runs with a Ready agent but is planned %s (%s)", vm.Name, c.Kind, c.Reason)
		case ready:
			pushed++
			want := map[string]string{"Linux": "change.reason.guest-proxy", "Windows": "change.reason.guest-proxy-windows"}[os]
			if c.Reason != want {
				t.Errorf("%s (%s): reason %s", vm.Name, os, c.Reason)
			}
			script, err := GuestProxyScript(p, os)
			if err != nil || !strings.Contains(script, "10.0.0.5") {
				t.Errorf("%s: script %v", vm.Name, err)
			}
		case c.Kind != Skip:
			t.Errorf("%s (power %q, agent %+v) is planned %s", vm.Name, vm.PowerState, vm.Agent, c.Kind)
		default:
			manual++
			cmd, _ := argNamed(c.Args, "Command").(string)
			if os == "Linux" && cmd != "sudo backupready guest proxy --host 10.0.0.5 --port 3128" {
				t.Errorf("%s: manual command %q", vm.Name, cmd)
			}
			if os == "Windows" && !strings.Contains(cmd, `netsh winhttp set proxy proxy-server="10.0.0.5:3128" bypass-list="168.63.129.16;169.254.169.254"`) {
				t.Errorf("%s: manual command %q", vm.Name, cmd)
			}
		}
	}
	if !nsgSkip {
		t.Error("the plan should say what the owner of a proxy outside Azure must allow")
	}
	t.Logf("%d VMs pushed, %d manual", pushed, manual)
	if pushed == 0 || manual == 0 {
		t.Fatalf("the demo should have VMs of both kinds: %d pushed, %d manual", pushed, manual)
	}

	out, cs := env.runProxy(t, p, env.api)
	if out.Failed() || out.Count(RunDone) != pushed {
		t.Fatalf("outcome %v %v", out.States, out.Errs)
	}
	for _, i := range guestChanges(cs) {
		if cs[i].Kind != Create {
			continue
		}
		if out.States[i] != RunDone || !strings.Contains(out.Details[i], "/etc/waagent.conf") && !strings.Contains(out.Details[i], "WinHTTP") {
			t.Errorf("%s: %s, detail %q", cs[i].Target, out.States[i], out.Details[i])
		}
		t.Logf("%s (%v): %q", cs[i].Target[strings.LastIndexByte(cs[i].Target, 47)+1:], argNamed(cs[i].Args, "OS"), out.Details[i])
		if len(out.Details[i]) > guestDetailMax+8 {
			t.Errorf("detail not trimmed: %d bytes", len(out.Details[i]))
		}
	}
	if got := journalStatesOf(t, env.journal, ActionGuestProxy); len(got) != 3*pushed {
		t.Errorf("journal %v, want started, inProgress, done per VM", got)
	}

	before := env.count.Writes()
	out, cs = env.runProxy(t, p, env.api)
	if w := env.count.Writes() - before; w != 0 || out.Count(RunDone) != 0 {
		t.Errorf("second run: %d writes, %d done", w, out.Count(RunDone))
	}
	noChange := 0
	for _, i := range guestChanges(cs) {
		if cs[i].Kind == NoChange && cs[i].Reason == "change.reason.guest-proxy-done" {
			noChange++
		}
	}
	if noChange != pushed {
		t.Errorf("second plan: %d VMs with no change, want %d", noChange, pushed)
	}
}

// failingScript runs, through the simulator's Run Command, a script that
// writes to stderr and exits 3 instead of the proxy script.
type failingScript struct{ *azure.Client }

func (f failingScript) BeginRunCommand(ctx context.Context, vmID, osType, script, token string) (*azure.Operation, func() azure.RunResult, error) {
	if token == "" {
		script = "echo editing /etc/waagent.conf\necho /etc/waagent.conf is read-only >&2\nexit 3"
	}
	return f.Client.BeginRunCommand(ctx, vmID, osType, script, token)
}

// A script that fails ends the change failed with its stderr; the journal
// records the failure, so the next plan pushes again.
func TestApplyGuestProxyScriptFails(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	p := proxyPlan(t, env)
	out, cs := env.runProxy(t, p, failingScript{env.api})
	failed := 0
	for _, i := range guestChanges(cs) {
		if cs[i].Kind != Create {
			continue
		}
		failed++
		e, ok := azure.AsError(out.Errs[i])
		if out.States[i] != RunFailed || !ok || e.Kind != azure.KindOperation || e.Op != "run-command" || e.Code != "GuestScriptFailed" ||
			e.Message != "/etc/waagent.conf is read-only" {
			t.Errorf("%s: %s %v", cs[i].Target, out.States[i], out.Errs[i])
		}
	}
	if failed == 0 {
		t.Fatal("nothing was pushed")
	}
	j, err := OpenJournal(env.journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	cs, _ = env.planProxy(t, p, j)
	for _, i := range guestChanges(cs) {
		if cs[i].Kind == NoChange {
			t.Errorf("%s: a failed script is planned as done", cs[i].Target)
		}
	}
}

func TestTrimOutput(t *testing.T) {
	long := strings.Repeat("línea de salida\n", 100)
	got := trimOutput(long)
	if len(got) > guestDetailMax+8 || !strings.HasSuffix(got, " …") || strings.Contains(got, "\ufffd") {
		t.Errorf("trimOutput: %d bytes %q", len(got), got)
	}
	if got := trimOutput("  ok\r\n\n/etc/environment: unchanged\n"); got != "ok; /etc/environment: unchanged" {
		t.Errorf("trimOutput = %q", got)
	}
}
