package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

const (
	simWebVM = "/subscriptions/" + simProd + "/resourceGroups/rg-web-prod/providers/Microsoft.Compute/virtualMachines/web-prod-01"
	simAPIVM = "/subscriptions/" + simProd + "/resourceGroups/rg-api-prod/providers/Microsoft.Compute/virtualMachines/api-01"
)

// applyEnv is a simulated tenant, the Azure layer over it with a request
// counter, and a journal in a temporary folder.
type applyEnv struct {
	cloud   *sim.Cloud
	api     *azure.Client
	count   *azure.RequestCounter
	journal string
}

func newApplyEnv(t *testing.T, sc *sim.Scenario, opts sim.Options) *applyEnv {
	t.Helper()
	if sc == nil {
		sc = sim.Demo()
		sc.Latency, sc.OperationTime = 0, 0
	}
	c, err := sim.New(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	env := &applyEnv{cloud: c, count: azure.NewRequestCounter(), journal: filepath.Join(t.TempDir(), "plan.yaml"+JournalSuffix)}
	o := c.ClientOptions()
	o.Retry.RetryDelay = time.Millisecond
	o.Retry.MaxRetryDelay = 5 * time.Millisecond
	o.PerRetryPolicies = append(o.PerRetryPolicies, env.count)
	if env.api, err = azure.New(c.Credential(), o); err != nil {
		t.Fatal(err)
	}
	return env
}

// newVaultPlan creates rsv-weu-new (and its group) with locally redundant
// storage for two westeurope VMs.
func newVaultPlan() *Plan {
	return &Plan{Version: 1, Cloud: CloudPublic, Subscription: simProd, VMs: []string{simWebVM, simAPIVM},
		Vault:      PlanVault{Name: "rsv-weu-new", ResourceGroup: "rg-backup-new", Location: "westeurope", Create: true},
		Redundancy: PlanRedundancy{StorageType: StorageLocal}}
}

// plan reads live state and plans, as apply does.
func (env *applyEnv) plan(t *testing.T, p *Plan, j *Journal) []Change {
	t.Helper()
	live, err := ReadLiveState(context.Background(), env.api, p)
	if err != nil {
		t.Fatal(err)
	}
	live.Journal = j
	cs, err := Changes(p, live)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// run applies a plan once, with a fresh journal handle, and returns the
// outcome and every event.
func (env *applyEnv) run(t *testing.T, ctx context.Context, p *Plan, decide func(int, Change, error) Decision) (Outcome, []Change, []ApplyEvent) {
	t.Helper()
	j, err := OpenJournal(env.journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	cs := env.plan(t, p, j)
	a := &Applier{API: env.api, Plan: p, Journal: j, PollEvery: time.Millisecond, RetryBase: time.Millisecond}
	if decide != nil {
		a.Decide = func(_ context.Context, i int, c Change, err error) Decision { return decide(i, c, err) }
	}
	var mu sync.Mutex
	var events []ApplyEvent
	out := a.Run(ctx, cs, func(e ApplyEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	return out, cs, events
}

func stateOf(cs []Change, out Outcome, action string) RunState {
	for i, c := range cs {
		if c.Action == action {
			return out.States[i]
		}
	}
	return ""
}

func journalStatesOf(t *testing.T, path, action string) []string {
	t.Helper()
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var out []string
	for _, e := range j.Entries() {
		if e.Action == action {
			out = append(out, e.State)
		}
	}
	return out
}

// A plan that creates a group and a vault with another redundancy is carried
// out in order, read back, and journaled; applying it again makes no write
// request at all.
func TestApplyPrepareThenIdempotent(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	p := newVaultPlan()
	out, cs, _ := env.run(t, context.Background(), p, nil)
	if out.Failed() || out.Interrupted || out.Stopped {
		t.Fatalf("outcome %+v errs %v", out.States, out.Errs)
	}
	for _, a := range []string{ActionResourceGroup, ActionVault, ActionStorageType} {
		if s := stateOf(cs, out, a); s != RunDone {
			t.Errorf("%s: %s, want done", a, s)
		}
	}
	ctx := context.Background()
	v, err := env.api.VaultByName(ctx, simProd, "rg-backup-new", "rsv-weu-new")
	if err != nil || v == nil || !v.Ready() {
		t.Fatalf("vault after apply: %+v %v", v, err)
	}
	sc, err := env.api.StorageConfig(ctx, v.ID)
	if err != nil || sc.Type != StorageLocal {
		t.Fatalf("storage after apply: %+v %v", sc, err)
	}
	if got := journalStatesOf(t, env.journal, ActionVault); strings.Join(got, ",") != "started,inProgress,done" {
		t.Errorf("journal of the vault: %v", got)
	}

	before := env.count.Writes()
	out, cs, _ = env.run(t, ctx, p, nil)
	if w := env.count.Writes() - before; w != 0 {
		t.Errorf("re-applying a finished plan made %d write requests, want 0", w)
	}
	for i, s := range out.States {
		if s != RunNoChange && s != RunSkipped {
			t.Errorf("second run: %s is %s", cs[i].Action, s)
		}
	}
}

// Throttling, a conflict and a server error on a write are waited out and
// tried again, visibly; the change then succeeds.
func TestApplyRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
		note  string
	}{
		{"throttled", sim.Fault{Match: `PUT .*/resourcegroups/rg-backup-new\?`, Status: 429, RetryAfter: 0, Times: 5}, "apply.note.throttled"},
		{"conflict", sim.Fault{Match: `PUT .*/vaults/rsv-weu-new\?`, Status: 409, Code: "AnotherOperationInProgress", Times: 1}, "apply.note.conflict"},
		{"server then ok", sim.Fault{Match: `PATCH .*/vaultstorageconfig`, Status: 500, Times: 5}, "apply.note.server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := sim.Demo()
			sc.Latency, sc.OperationTime = 0, 0
			f := tc.fault
			f.Match = "(?i)" + f.Match
			sc.Faults = []sim.Fault{f}
			env := newApplyEnv(t, sc, sim.Options{})
			out, _, events := env.run(t, context.Background(), newVaultPlan(), nil)
			if out.Failed() {
				t.Fatalf("failed: %v", out.Errs)
			}
			waited := false
			for _, e := range events {
				if e.State == RunWaiting && e.Note == tc.note {
					waited = true
				}
			}
			if !waited {
				t.Errorf("no %s waiting event", tc.note)
			}
		})
	}
}

// A refused write fails the change after retries: headless (no Decide) the
// preparation stops there, later changes are not started, the journal says
// failed with the error's code; with Decide, skip goes on and stop stops.
func TestApplyFailureStopsOrSkips(t *testing.T) {
	forbid := sim.Fault{Match: `(?i)PUT .*/resourcegroups/rg-backup-new\?`, Status: 403, Code: "AuthorizationFailed"}
	newEnv := func(t *testing.T) *applyEnv {
		sc := sim.Demo()
		sc.Latency, sc.OperationTime = 0, 0
		sc.Faults = []sim.Fault{forbid}
		return newApplyEnv(t, sc, sim.Options{})
	}
	t.Run("headless", func(t *testing.T) {
		env := newEnv(t)
		out, cs, _ := env.run(t, context.Background(), newVaultPlan(), nil)
		if !out.Failed() || !out.Stopped {
			t.Fatalf("want failed and stopped: %+v", out)
		}
		if s := stateOf(cs, out, ActionResourceGroup); s != RunFailed {
			t.Errorf("group: %s", s)
		}
		if s := stateOf(cs, out, ActionVault); s != RunSkipped {
			t.Errorf("vault after a failed group: %s, want skipped (not started)", s)
		}
		e, _ := azure.AsError(out.Errs[1])
		if e == nil || e.Kind != azure.KindForbidden {
			t.Errorf("error: %v", out.Errs[1])
		}
		j, _ := OpenJournal(env.journal)
		defer j.Close()
		last, _ := j.Last(ActionResourceGroup, cs[1].Target)
		if last.State != JournalFailed || last.Error == nil || last.Error.Code != "AuthorizationFailed" {
			t.Errorf("journal: %+v", last)
		}
		if v, _ := env.api.VaultByName(context.Background(), simProd, "rg-backup-new", "rsv-weu-new"); v != nil {
			t.Error("the vault was created after its group failed")
		}
	})
	t.Run("skip", func(t *testing.T) {
		env := newEnv(t)
		var asked []string
		out, cs, _ := env.run(t, context.Background(), newVaultPlan(), func(_ int, c Change, _ error) Decision {
			asked = append(asked, c.Action)
			return DecideSkip
		})
		if len(asked) == 0 || asked[0] != ActionResourceGroup || stateOf(cs, out, ActionResourceGroup) != RunSkipped {
			t.Fatalf("asked about %v, group %s", asked, stateOf(cs, out, ActionResourceGroup))
		}
		// skipping goes on: the vault's PUT then meets the missing group
		// (Azure's own 404), is asked about and skipped too
		if len(asked) < 2 || asked[1] != ActionVault || stateOf(cs, out, ActionVault) != RunSkipped {
			t.Errorf("after skipping the group: asked %v, vault %s", asked, stateOf(cs, out, ActionVault))
		}
		if out.Stopped {
			t.Error("skipping must not stop the run")
		}
	})
	t.Run("retry then stop", func(t *testing.T) {
		env := newEnv(t)
		var seen []Decision
		out, _, _ := env.run(t, context.Background(), newVaultPlan(), func(int, Change, error) Decision {
			d := DecideRetry
			if len(seen) == 1 {
				d = DecideStop
			}
			seen = append(seen, d)
			return d
		})
		if len(seen) != 2 || !out.Stopped || !out.Failed() {
			t.Fatalf("decisions %v outcome %+v", seen, out)
		}
	})
}

// An operation Azure accepted and then reports as Failed ends the change as
// failed with Azure's code; the next run tries the vault again.
func TestApplyLongRunningOperationFailed(t *testing.T) {
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, time.Hour
	sc.Faults = []sim.Fault{{Match: `(?i)GET .*/vaults/rsv-weu-new/operationStatus/`, FailOperation: true, Code: "VaultCreationFailed", Message: "Internal error while creating the vault.", Times: 1}}
	env := newApplyEnv(t, sc, sim.Options{})
	out, cs, _ := env.run(t, context.Background(), newVaultPlan(), nil)
	if s := stateOf(cs, out, ActionVault); s != RunFailed {
		t.Fatalf("vault: %s", s)
	}
	var err error
	for i, c := range cs {
		if c.Action == ActionVault {
			err = out.Errs[i]
		}
	}
	e, _ := azure.AsError(err)
	if e == nil || e.Kind != azure.KindOperation {
		t.Fatalf("error: %#v", err)
	}
	// the failed vault is planned again
	cs = env.plan(t, newVaultPlan(), nil)
	for _, c := range cs {
		if c.Action == ActionVault && (c.Kind != Create || c.Reason != "change.reason.vault-retry") {
			t.Errorf("failed vault planned as %s %s", c.Kind, c.Reason)
		}
	}
}

// Cancelling while a long-running operation runs leaves it running in
// Azure, recorded with its resume token; the next process resumes that
// operation (no second PUT) and finishes the plan.
func TestApplyInterruptedResumesAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ticking := false // once set, the clock moves a second each time it is read
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if ticking {
			now = now.Add(time.Second)
		}
		return now
	}
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, time.Minute
	env := newApplyEnv(t, sc, sim.Options{StatePath: state, Now: clock})
	env.journal = filepath.Join(dir, "plan.yaml"+JournalSuffix)

	ctx, cancel := context.WithCancel(context.Background())
	p := newVaultPlan()
	j, _ := OpenJournal(env.journal)
	cs := env.plan(t, p, j)
	a := &Applier{API: env.api, Plan: p, Journal: j, PollEvery: time.Millisecond, RetryBase: time.Millisecond}
	out := a.Run(ctx, cs, func(e ApplyEvent) {
		if cs[e.Index].Action == ActionVault && e.State == RunRunning && e.Note == "apply.note.creating" {
			cancel()
		}
	})
	j.Close()
	if !out.Interrupted || stateOf(cs, out, ActionVault) != RunLeft {
		t.Fatalf("interrupted run: %+v", out)
	}
	if s := stateOf(cs, out, ActionStorageType); s != RunSkipped {
		t.Errorf("redundancy after an interrupted vault: %s", s)
	}
	j, _ = OpenJournal(env.journal)
	last, _ := j.Last(ActionVault, PlanVaultID(p))
	j.Close()
	if last.State != JournalInProgress || last.ResumeToken == "" {
		t.Fatalf("journal after interruption: %+v", last)
	}

	// a new process: new simulator over the same state, new client; the
	// vault is still being created and finishes while the run waits
	mu.Lock()
	ticking = true
	mu.Unlock()
	sc2 := sim.Demo()
	sc2.Latency, sc2.OperationTime = 0, time.Minute
	env2 := newApplyEnv(t, sc2, sim.Options{StatePath: state, Now: clock})
	env2.journal = env.journal
	out2, cs2, _ := env2.run(t, context.Background(), p, nil)
	if out2.Failed() || out2.Interrupted {
		t.Fatalf("resumed run: %+v %v", out2.States, out2.Errs)
	}
	if n := env2.count.Count("PUT"); n != 0 {
		t.Errorf("resumed run sent %d PUTs; the vault's operation should have been resumed, not restarted", n)
	}
	if s := stateOf(cs2, out2, ActionVault); s != RunDone {
		t.Errorf("vault in the resumed run: %s (planned %v)", s, cs2)
	}
	if s := stateOf(cs2, out2, ActionStorageType); s != RunDone {
		t.Errorf("redundancy in the resumed run: %s", s)
	}
}

// The journal survives a torn last line (a process killed while writing).
func TestJournalIgnoresTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml.journal")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(JournalEntry{Action: ActionVault, Target: "/x", State: JournalDone}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-11-23T09:00:00Z","action":"vm.prot`)
	f.Close()
	j, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(JournalEntry{Action: ActionProtect, Target: "/vm", State: JournalDone}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, _ = OpenJournal(path)
	defer j.Close()
	if len(j.Entries()) != 2 {
		t.Fatalf("entries %+v", j.Entries())
	}
	if last, ok := j.Last(ActionVault, "/X"); !ok || last.State != JournalDone {
		t.Errorf("lookup is case-insensitive on the target: %+v", last)
	}
}

// The write budget lets a burst through, then paces writes.
func TestWriteBudget(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBudget(2, 10, func() time.Time { return now })
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := b.take(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.take(ctx2); err == nil {
		t.Error("a third write within the same instant should wait for the refill")
	}
	now = now.Add(100 * time.Millisecond)
	if err := b.take(ctx); err != nil {
		t.Error(err)
	}
}

// protectPlan protects web-prod-01 and api-01 in the demo's existing vault.
func protectPlan(backupNow bool) *Plan {
	return &Plan{Version: 1, Cloud: CloudPublic, Subscription: simProd, VMs: []string{simWebVM, simAPIVM},
		Vault:      PlanVault{Name: "rsv-weu-prod", ResourceGroup: "rg-backup-prod", Location: "westeurope"},
		Redundancy: PlanRedundancy{Keep: true},
		Protect:    PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: backupNow, RetainDays: 30}}
}

// Protection and a first backup: both VMs protected, their jobs followed to
// the snapshot; no container refresh is needed (the names come from the VM
// ids), and a second run makes no write (the backup is in the journal).
func TestApplyProtectAndBackupNow(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	p := protectPlan(true)
	out, cs, _ := env.run(t, context.Background(), p, nil)
	if out.Failed() || out.Count(RunDone) != 4 {
		t.Fatalf("outcome %v %v", out.States, out.Errs)
	}
	ctx := context.Background()
	for _, vm := range []string{simWebVM, simAPIVM} {
		item, err := env.api.ProtectedItem(ctx, simVaultWEU, vm)
		if err != nil || item == nil || item.PolicyName != "DefaultPolicy" {
			t.Errorf("%s: protected item %+v %v", vm, item, err)
		}
	}
	if n := env.count.Count("POST"); n != 2+2 { // pre-validation and trigger per VM
		t.Errorf("%d POSTs, want 4 (no container refresh)", n)
	}
	for i, c := range cs {
		if c.Action == ActionBackupNow && out.Details[i] == "" {
			t.Errorf("backup of %s: no job id", c.Target)
		}
	}
	before := env.count.Writes()
	out, _, _ = env.run(t, ctx, p, nil)
	if w := env.count.Writes() - before; w != 0 || out.Count(RunDone) != 0 {
		t.Errorf("second run: %d writes, %d done", w, out.Count(RunDone))
	}
}

// A protect PUT refused because the vault has not discovered the VM makes
// one container refresh, then protects.
func TestApplyProtectRefreshesOnlyWhenNeeded(t *testing.T) {
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, 0
	sc.Faults = []sim.Fault{{Match: `(?i)PUT .*/protectedItems/`, Status: 404, Code: "BMSUserErrorNodeOrItemNotFound", Times: 1}}
	env := newApplyEnv(t, sc, sim.Options{})
	out, _, _ := env.run(t, context.Background(), protectPlan(false), nil)
	if out.Failed() || out.Count(RunDone) != 2 {
		t.Fatalf("outcome %v %v", out.States, out.Errs)
	}
	if n := env.count.Count("POST"); n != 2+1 {
		t.Errorf("%d POSTs, want 3: two pre-validations and one refresh", n)
	}
}

// A backup job that fails at the snapshot ends the change as failed with
// the job's error code (the demo's dev-snapfail-01 has no network).
func TestApplyBackupJobFailure(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	dev := "7a9c2d4e-5b6f-4e1a-8c3d-2b4a6e8f0a1c"
	p := &Plan{Version: 1, Cloud: CloudPublic, Subscription: dev,
		VMs:        []string{"/subscriptions/" + dev + "/resourceGroups/rg-dev-apps/providers/Microsoft.Compute/virtualMachines/dev-snapfail-01"},
		Vault:      PlanVault{Name: "rsv-weu-dev", ResourceGroup: "rg-backup-dev", Location: "westeurope"},
		Redundancy: PlanRedundancy{Keep: true},
		Protect:    PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: 7}}
	out, cs, _ := env.run(t, context.Background(), p, nil)
	var err error
	for i, c := range cs {
		if c.Action == ActionBackupNow {
			if out.States[i] != RunFailed {
				t.Fatalf("backup now: %s", out.States[i])
			}
			err = out.Errs[i]
		}
	}
	e, _ := azure.AsError(err)
	if e == nil || e.Kind != azure.KindOperation || e.Code != "ExtensionSnapshotFailedNoNetwork" {
		t.Fatalf("job failure: %#v", err)
	}
	// explained with the step that fixes it
	if p := Explain(err); p.Next != "fix.network" {
		t.Errorf("next step for a snapshot without network: %s", p.Next)
	}
}

// Every kind of write the applier sends meets throttling, a conflict and a
// server error once each: the run waits them out and still finishes, the
// journal records every change done, and Azure ends as the plan says.
func TestApplyEveryWriteSurvivesTransientFaults(t *testing.T) {
	writes := []struct{ name, match string }{
		{"provider registration", `POST .*/providers/Microsoft\.RecoveryServices/register\?`},
		{"resource group", `PUT .*/resourcegroups/rg-backup-new\?`},
		{"vault", `PUT .*/vaults/rsv-weu-new\?`},
		{"storage config", `PATCH .*/vaultstorageconfig\?`},
		{"policy", `PUT .*/backupPolicies/Daily-30\?`},
		{"pre-validation", `POST .*/backupPreValidateProtection\?`},
		{"protected item", `PUT .*/protectedItems/`},
		{"backup now", `POST .*/protectedItems/[^/]+/backup\?`},
	}
	faults := []struct {
		status int
		code   string
	}{{429, ""}, {409, "AnotherOperationInProgress"}, {500, ""}}
	for _, w := range writes {
		for _, f := range faults {
			t.Run(fmt.Sprintf("%s %d", w.name, f.status), func(t *testing.T) {
				sc := sim.Demo()
				sc.Latency, sc.OperationTime = 0, 0
				sc.Subscriptions[0].Providers = map[string]string{"Microsoft.RecoveryServices": "NotRegistered"}
				// azcore retries 429 and 500 itself (3 times): fire more often
				// than that so the applier's own wait is exercised
				sc.Faults = []sim.Fault{{Match: "(?i)" + w.match, Status: f.status, Code: f.code, Times: 5}}
				env := newApplyEnv(t, sc, sim.Options{})
				p := newVaultPlan()
				p.VMs = []string{simWebVM}
				p.Protect = PlanProtect{Enabled: true, Policy: "Daily-30", BackupNow: true, RetainDays: 7,
					NewPolicy: &PlanPolicy{Type: PolicyStandard, Frequency: FrequencyDaily, Time: "22:30", TimeZone: "UTC", RetentionDays: 30, InstantRestoreDays: 2}}
				out, cs, events := env.run(t, context.Background(), p, nil)
				if out.Failed() || out.Stopped {
					t.Fatalf("outcome %v %v", out.States, out.Errs)
				}
				waited := 0
				for _, e := range events {
					if e.State == RunWaiting {
						waited++
					}
				}
				if waited == 0 {
					t.Error("the fault was not waited out visibly")
				}
				j, _ := OpenJournal(env.journal)
				defer j.Close()
				for i, c := range cs {
					if c.Kind != Create && c.Kind != Modify {
						continue
					}
					if last, _ := j.Last(c.Action, c.Target); last.State != JournalDone || out.States[i] != RunDone {
						t.Errorf("%s: journal %q, state %s", c.Action, last.State, out.States[i])
					}
				}
				item, err := env.api.ProtectedItem(context.Background(), PlanVaultID(p), simWebVM)
				if err != nil || item == nil || item.PolicyName != "Daily-30" {
					t.Errorf("protected item after the run: %+v %v", item, err)
				}
			})
		}
	}
}

// Enabling protection that Azure accepts and then fails ends that VM's
// change as failed (its backup is not started), the journal says so, and
// the other VM is protected.
func TestApplyProtectOperationFailed(t *testing.T) {
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, time.Hour
	sc.Faults = []sim.Fault{{Match: `(?i)GET .*web-prod-01/operationsStatus/`, FailOperation: true, Code: "UserErrorVmNotInDesirableState", Message: "The VM is not in a state that allows backup.", Times: 1}}
	env := newApplyEnv(t, sc, sim.Options{})
	// operations take an hour, so the other VM stays in flight: the run is
	// cancelled once web-prod-01 has failed
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j, _ := OpenJournal(env.journal)
	defer j.Close()
	p := protectPlan(true)
	cs := env.plan(t, p, j)
	a := &Applier{API: env.api, Plan: p, Journal: j, PollEvery: time.Millisecond, RetryBase: time.Millisecond}
	out := a.Run(ctx, cs, func(e ApplyEvent) {
		if e.State == RunFailed {
			cancel()
		}
	})
	var failed, backup RunState
	for i, c := range cs {
		if c.Target == simWebVM && c.Action == ActionProtect {
			failed = out.States[i]
			if e, _ := azure.AsError(out.Errs[i]); e == nil || e.Kind != azure.KindOperation || e.Code != "UserErrorVmNotInDesirableState" {
				t.Errorf("error: %#v", out.Errs[i])
			} else if Explain(e).Next != "fix.vm-state" {
				t.Errorf("explained with %s", Explain(e).Next)
			}
		}
		if c.Target == simWebVM && c.Action == ActionBackupNow {
			backup = out.States[i]
		}
	}
	if failed != RunFailed || backup != RunSkipped {
		t.Fatalf("protect %s, backup %s", failed, backup)
	}
	if last, _ := j.Last(ActionProtect, simWebVM); last.State != JournalFailed || last.Error == nil || last.Error.Code != "UserErrorVmNotInDesirableState" {
		t.Errorf("journal: %+v", last)
	}
	if last, ok := j.Last(ActionBackupNow, simWebVM); ok {
		t.Errorf("the backup of a VM whose protection failed was started: %+v", last)
	}
}
