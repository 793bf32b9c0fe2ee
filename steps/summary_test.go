package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// ---- sessions built by hand ----

const (
	sumSub     = "5d7c1e2a-0b4f-4c3e-8a6d-2f1e0c9b8a71"
	sumGroup   = "/subscriptions/" + sumSub + "/resourceGroups/rg-backup"
	sumVault   = sumGroup + "/providers/Microsoft.RecoveryServices/vaults/rsv-weu-backup"
	sumPath    = "/srv/backupready/backupready-plan.yaml"
	sumJobWeb  = "7f3e2a10-5c4b-4d8e-9f1a-0b2c3d4e5f60"
	sumJobDB   = "0c9d8e7f-6a5b-4c3d-2e1f-a0b1c2d3e4f5"
	sumPortal  = "https://portal.azure.com/#@/resource"
	sumForbid  = "Azure denied access while creating the Recovery Services vault."
	sumTimeFmt = "2006-01-02T15:04:05Z"
)

func sumVM(rg, name string) string {
	return "/subscriptions/" + sumSub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/virtualMachines/" + name
}

var (
	sumWeb  = sumVM("rg-web", "web-1")
	sumDB   = sumVM("rg-data", "db-1")
	sumSEA  = sumVM("rg-test", "test-sea-01")
	sumOldA = sumVM("rg-legacy", "old-app")
)

func summaryPlan() *Plan {
	return &Plan{
		Version: PlanVersion, Cloud: CloudPublic, Subscription: sumSub,
		VMs:        []string{sumWeb, sumDB, sumSEA, sumOldA},
		Vault:      PlanVault{Name: "rsv-weu-backup", ResourceGroup: "rg-backup", Location: "westeurope", Create: true},
		Redundancy: PlanRedundancy{StorageType: StorageLocal},
		Network:    PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto},
		Agent:      PlanAgent{Fix: AgentFixInstructions},
		Protect:    PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: 30},
	}
}

var sumT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// result is one change of a run with how it ended.
type result struct {
	c      Change
	state  RunState
	d      time.Duration
	detail string
	err    error
}

func runOf(phase string, start, end time.Duration, rs ...result) RunRecord {
	r := RunRecord{Phase: phase, Started: sumT0.Add(start), Ended: sumT0.Add(end)}
	for _, x := range rs {
		r.Changes = append(r.Changes, x.c)
		r.Outcome.States = append(r.Outcome.States, x.state)
		r.Outcome.Errs = append(r.Outcome.Errs, x.err)
		r.Outcome.Details = append(r.Outcome.Details, x.detail)
		r.Outcome.Durations = append(r.Outcome.Durations, x.d)
	}
	return r
}

func prepResults() []result {
	return []result{
		{Change{Kind: Modify, Action: ActionRegisterProvider, Target: "Microsoft.RecoveryServices", From: "NotRegistered", To: "Registered",
			Reason: "change.reason.provider-register"}, RunDone, 12 * time.Second, "Registered", nil},
		{Change{Kind: Create, Action: ActionResourceGroup, Target: sumGroup, Region: "westeurope", Reason: "change.reason.group-create"},
			RunDone, 3 * time.Second, "westeurope", nil},
		{Change{Kind: Create, Action: ActionVault, Target: sumVault, Region: "westeurope", Reason: "change.reason.vault-create",
			Args: []any{"Vault", "rsv-weu-backup"}}, RunDone, 65 * time.Second, sumVault, nil},
		{Change{Kind: Modify, Action: ActionStorageType, Target: sumVault, Region: "westeurope", From: "GeoRedundant", To: "LocallyRedundant",
			Reason: "change.reason.storage-set", Irreversible: true}, RunDone, 2 * time.Second, "LocallyRedundant", nil},
	}
}

func vmInclude(id string, k ChangeKind, reason string, args ...any) result {
	name := lastSegment(id)
	state := RunNoChange
	if k == Skip {
		state = RunSkipped
	}
	return result{c: Change{Kind: k, Action: ActionVM, Target: id, Region: "westeurope", Reason: reason,
		Args: append([]any{"VM", name, "Region", "westeurope", "Want", "westeurope"}, args...)}, state: state}
}

func protectResults(id string, protect, backup RunState, job string, d time.Duration) []result {
	name := lastSegment(id)
	return []result{
		{Change{Kind: Create, Action: ActionProtect, Target: id, Region: "westeurope", To: "DefaultPolicy", Reason: "change.reason.protect",
			Args: []any{"VM", name, "Policy", "DefaultPolicy"}}, protect, 40 * time.Second, "DefaultPolicy", nil},
		{Change{Kind: Create, Action: ActionBackupNow, Target: id, Region: "westeurope", Reason: "change.reason.backup-now",
			Args: []any{"VM", name, "Days", 30}}, backup, d, job, nil},
	}
}

func sumLog() *Transcript {
	n := 0
	log := NewTranscript(func() time.Time { n++; return sumT0.Add(time.Duration(n-10) * time.Minute) })
	log.Add("scope", "Signed in; subscription Contoso Prod ("+sumSub+"), 4 VMs selected.")
	log.Add("preflight", "4 VMs checked: 2 ok, 1 warn, 1 blocked.")
	log.Add("vault", "New vault rsv-weu-backup in rg-backup (westeurope).")
	log.Add("review", "Plan confirmed (6 change(s)), saved to "+sumPath+".")
	return log
}

// doneSession: everything the plan asked for was carried out.
func doneSession() *Session {
	p := summaryPlan()
	p.VMs = []string{sumWeb, sumDB}
	apply := append(prepResults(), vmInclude(sumWeb, NoChange, "change.reason.vm-ready"), vmInclude(sumDB, NoChange, "change.reason.vm-ready"))
	prot := []result{{Change{Kind: NoChange, Action: ActionPolicy, Target: sumVault + "/backupPolicies/DefaultPolicy", Region: "westeurope",
		Reason: "change.reason.policy-with-vault", Args: []any{"Policy", "DefaultPolicy"}}, RunNoChange, 0, "", nil}}
	prot = append(prot, protectResults(sumWeb, RunDone, RunDone, sumJobWeb, 130*time.Second)...)
	prot = append(prot, protectResults(sumDB, RunDone, RunDone, sumJobDB, 125*time.Second)...)
	return &Session{Cloud: CloudPublic, Plan: p, PlanPath: sumPath, ConfirmedRev: 1, Log: sumLog(),
		Runs: []RunRecord{runOf("apply", 0, 90*time.Second, apply...), runOf("protect", 3*time.Minute, 7*time.Minute, prot...)}}
}

var sumForbidden = &azure.Error{Kind: azure.KindForbidden, Op: "create-vault", Status: 403, Code: "AuthorizationFailed"}

// failedSession: the vault could not be created (no permission), so the
// redundancy was not set; two VMs were left out by the plan; nothing was
// protected.
func failedSession() *Session {
	rs := prepResults()
	rs[2].state, rs[2].err, rs[2].detail, rs[2].d = RunFailed, sumForbidden, "", 4*time.Second
	rs[3].state, rs[3].detail, rs[3].d = RunSkipped, "", 0
	rs = append(rs,
		vmInclude(sumWeb, NoChange, "change.reason.vm-ready"),
		vmInclude(sumSEA, Skip, "change.reason.vm-other-region", "Region", "southeastasia"),
		vmInclude(sumOldA, Skip, "change.reason.vm-elsewhere", "Vault", "rsv-legacy"))
	run := runOf("apply", 0, 25*time.Second, rs...)
	run.Outcome.Stopped = true
	p := summaryPlan()
	p.VMs = []string{sumWeb, sumSEA, sumOldA}
	return &Session{Cloud: CloudPublic, Plan: p, PlanPath: sumPath, ConfirmedRev: 1, Log: sumLog(), Runs: []RunRecord{run}}
}

// leftSession: the preparation is done; web-1's first backup was still
// running when the run was interrupted, and db-1's backup was not started.
func leftSession() *Session {
	s := doneSession()
	prot := protectResults(sumWeb, RunDone, RunLeft, sumJobWeb, 50*time.Second)
	prot = append(prot, protectResults(sumDB, RunDone, RunSkipped, "", 0)...)
	run := runOf("protect", 3*time.Minute, 5*time.Minute, prot...)
	run.Outcome.Interrupted = true
	s.Runs[1] = run
	return s
}

// ---- decisions ----

func TestSummarize(t *testing.T) {
	retried := failedSession()
	again := runOf("apply", 10*time.Minute, 12*time.Minute, prepResults()...)
	for i := range again.Outcome.States[:2] {
		again.Outcome.States[i] = RunNoChange // done by the first run
	}
	retried.Runs = append(retried.Runs, again)

	tests := []struct {
		name    string
		sess    *Session
		counts  SummaryCounts
		groups  []string // "" for the preparation, else the VM, with the number of changes
		skipped []string // state: name
		todo    []string // keys
	}{
		{
			name: "everything done", sess: doneSession(),
			counts: SummaryCounts{Changed: 8},
			groups: []string{":4", "web-1:2", "db-1:2"},
			todo:   []string{"summary.todo.network", "summary.todo.first-backup"},
		},
		{
			name: "a failure and VMs left out", sess: failedSession(),
			counts:  SummaryCounts{Changed: 2, Skipped: 3, Failed: 1},
			groups:  []string{":2"},
			skipped: []string{"failed:rsv-weu-backup", "skipped:rsv-weu-backup", "skipped:test-sea-01", "skipped:old-app"},
			todo: []string{"summary.todo.failed", "summary.todo.rerun", "summary.todo.protect", "summary.todo.vm-other-region",
				"summary.todo.vm-elsewhere", "summary.todo.network"},
		},
		{
			name: "left running after an interruption", sess: leftSession(),
			counts:  SummaryCounts{Changed: 6, Skipped: 1, Left: 1},
			groups:  []string{":4", "web-1:1", "db-1:1"},
			skipped: []string{"left:web-1", "skipped:db-1"},
			todo:    []string{"summary.todo.left", "summary.todo.network"},
		},
		{
			name: "a second run finished what the first did not; no change keeps done", sess: retried,
			counts:  SummaryCounts{Changed: 4, Skipped: 2},
			groups:  []string{":4"},
			skipped: []string{"skipped:test-sea-01", "skipped:old-app"},
			todo: []string{"summary.todo.protect", "summary.todo.vm-other-region", "summary.todo.vm-elsewhere",
				"summary.todo.network"},
		},
		{
			name: "nothing ran", sess: &Session{Plan: summaryPlan()},
			todo: []string{"summary.todo.protect", "summary.todo.network"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize(tt.sess)
			if s.Counts != tt.counts {
				t.Errorf("counts %+v, want %+v", s.Counts, tt.counts)
			}
			var groups, skipped, todo []string
			for _, g := range s.Changed {
				groups = append(groups, fmt.Sprintf("%s:%d", g.VM, len(g.Entries)))
			}
			for _, e := range s.Skipped {
				skipped = append(skipped, string(e.State)+":"+lastSegment(e.Change.Target))
			}
			for _, x := range s.Todo {
				todo = append(todo, x.Key)
			}
			if fmt.Sprint(groups) != fmt.Sprint(tt.groups) || fmt.Sprint(skipped) != fmt.Sprint(tt.skipped) || fmt.Sprint(todo) != fmt.Sprint(tt.todo) {
				t.Errorf("groups %q skipped %q todo %q\nwant   %q %q %q", groups, skipped, todo, tt.groups, tt.skipped, tt.todo)
			}
		})
	}
}

func TestSummaryPortalLinks(t *testing.T) {
	for cloud, base := range map[string]string{CloudPublic: "https://portal.azure.com", CloudChina: "https://portal.azure.cn",
		CloudUSGov: "https://portal.azure.us", "": "https://portal.azure.com"} {
		if got, want := portalLink(cloud, sumVault), base+"/#@/resource"+sumVault; got != want {
			t.Errorf("%q: %s, want %s", cloud, got, want)
		}
	}
	for _, tt := range []struct {
		c    Change
		want string
	}{
		{Change{Action: ActionRegisterProvider, Target: "Microsoft.RecoveryServices"}, sumPortal + "/subscriptions/" + sumSub + "/resourceproviders"},
		{Change{Action: ActionResourceGroup, Target: sumGroup}, sumPortal + sumGroup},
		{Change{Action: ActionVault, Target: sumVault}, sumPortal + sumVault},
		{Change{Action: ActionCrossRegion, Target: sumVault}, sumPortal + sumVault},
		{Change{Action: ActionPolicy, Target: sumVault + "/backupPolicies/Daily"}, sumPortal + sumVault},
		{Change{Action: ActionProtect, Target: sumWeb}, sumPortal + sumWeb},
	} {
		if got := entryLink(CloudPublic, sumSub, tt.c); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.c.Action, got, tt.want)
		}
	}
	if got := jobsLink(CloudChina, sumVault); got != "https://portal.azure.cn/#@/resource"+sumVault+"/backupJobs" {
		t.Errorf("jobs link %s", got)
	}
}

// ---- the model ----

func summaryModel(t *testing.T, lang string, sess *Session) summaryStep {
	t.Helper()
	m := newSummaryStep(ui.NewCommon(translator(t, lang)), sess).(summaryStep)
	m.now = func() time.Time { return sumT0.Add(10 * time.Minute) }
	s, _ := m.Activate()
	s, _ = s.Update(ui.BodySizeMsg{Width: 100, Height: 30})
	return s.(summaryStep)
}

// flat is the whole body at a width where nothing is cut, its lines joined
// and its wrapping undone, so that sentences and links can be searched.
func flat(m summaryStep) string {
	var b strings.Builder
	for _, l := range append(m.headLines(400), m.bodyLines(400)...) {
		b.WriteString(ansi.Strip(l) + "\n")
	}
	return b.String()
}

func wantAll(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

func TestSummaryStepSections(t *testing.T) {
	t.Run("everything done", func(t *testing.T) {
		m := summaryModel(t, "en", doneSession())
		v := flat(m)
		wantAll(t, v,
			"Summary: vault rsv-weu-backup in westeurope", "8 changed · 0 failed",
			"What changed in Azure (8)", "Preparation",
			"✓ Register the resource provider Microsoft.RecoveryServices · 12 s",
			sumPortal+"/subscriptions/"+sumSub+"/resourceproviders",
			"✓ Resource group for the vault rg-backup · 3 s", sumPortal+sumGroup+"\n",
			"✓ Recovery Services vault rsv-weu-backup · 1 min 05 s",
			"✓ Storage redundancy rsv-weu-backup · GeoRedundant → LocallyRedundant · 2 s", sumPortal+sumVault+"\n",
			"Protection of web-1", "✓ Turn on backup for web-1 · policy DefaultPolicy · 40 s",
			"✓ Back up now: web-1 · job "+sumJobWeb+" · 2 min 10 s", sumPortal+sumWeb+"\n",
			"Backup jobs: "+sumPortal+sumVault+"/backupJobs",
			"Protection of db-1", "job "+sumJobDB,
			"Skipped, and why (0)", "Nothing was skipped.",
			"What you still have to do (2)",
			"The plan leaves the network as it is", "https://learn.microsoft.com/azure/backup/backup-azure-arm-vms-prepare",
			"the transfer to the vault can take hours; follow them in the portal's Backup jobs",
		)
		// the vault's three changes share one link, after the last of them
		if n := strings.Count(v, sumPortal+sumVault+"\n"); n != 1 {
			t.Errorf("the vault link appears %d times, want once:\n%s", n, v)
		}
		if strings.Contains(v, "Backup is not turned on") {
			t.Error("protection is on: no to-do for it")
		}
	})
	t.Run("with failures", func(t *testing.T) {
		v := flat(summaryModel(t, "en", failedSession()))
		wantAll(t, v,
			"2 changed · 3 skipped · 1 failed", "What changed in Azure (2)",
			"Skipped, and why (4)",
			"✗ Recovery Services vault rsv-weu-backup: failed: "+sumForbid,
			"! Storage redundancy rsv-weu-backup: not started: a change it depends on did not finish.",
			"! test-sea-01: test-sea-01 is in southeastasia, but the vault is in westeurope",
			"! old-app: old-app is already protected in vault rsv-legacy",
			"Recovery Services vault rsv-weu-backup: Ask an owner of the subscription to grant you the Contributor (resource group) role",
			"https://learn.microsoft.com/azure/backup/backup-rbac-rs-vault",
			"Then run backupready apply --plan "+sumPath+" --yes",
			"Backup is not turned on yet: turn it on in the Protect step or with protect.enabled in the plan.",
			"test-sea-01 was left out because it is in southeastasia: prepare a vault in southeastasia",
			"old-app is already protected in the vault rsv-legacy",
		)
		if strings.Contains(v, "Protection of") {
			t.Error("nothing was protected")
		}
	})
	t.Run("left running", func(t *testing.T) {
		v := flat(summaryModel(t, "en", leftSession()))
		wantAll(t, v,
			"1 still running in Azure",
			"i Back up now: web-1: still running in Azure; run backupready apply --plan "+sumPath+" --yes to pick it up.",
			"! Back up now: db-1: not started: the run was interrupted.",
			"1 operation still runs in Azure: run backupready apply --plan "+sumPath+" --yes to wait for it and carry on",
		)
		if strings.Contains(v, "first backup is running") {
			t.Error("no first backup finished its snapshot: no to-do for its transfer")
		}
	})
	t.Run("China cloud", func(t *testing.T) {
		s := doneSession()
		s.Cloud = CloudChina
		wantAll(t, flat(summaryModel(t, "en", s)), "https://portal.azure.cn/#@/resource"+sumWeb)
	})
}

// The summary is ticked in the rail once shown, not before; q quits (the
// shell's key: the summary never captures it).
func TestSummaryCompleteOnceShown(t *testing.T) {
	s := newSummaryStep(ui.NewCommon(translator(t, "en")), doneSession())
	if s.Complete() {
		t.Error("not shown yet: not complete")
	}
	s, _ = s.Activate()
	if !s.Complete() || s.Capturing() || s.Hint() != "" {
		t.Errorf("shown: complete %v, capturing %v, hint %q", s.Complete(), s.Capturing(), s.Hint())
	}
	hs := newSummaryHarness(t, "en", doneSession(), 80, 24)
	hs.next()
	if st := hs.now(); st.current != len(stepIDs)-1 || !st.complete || st.status != translator(t, "en").T("shell.next.last") {
		t.Errorf("Next on the summary should stay and say it is the last step: %+v", st.status)
	}
	hs.key('q')
	hs.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestSummaryBeforeAnyRun(t *testing.T) {
	confirmed := &Session{Plan: summaryPlan(), PlanPath: sumPath, ConfirmedRev: 1, Log: sumLog(),
		Confirmed: []Change{vmInclude(sumSEA, Skip, "change.reason.vm-other-region", "Region", "southeastasia").c}}
	for _, tt := range []struct {
		name string
		sess *Session
		want []string
	}{
		{"no plan", &Session{}, []string{"There is no plan yet. Go back (shift+tab) to the Sign-in & scope step"}},
		{"plan not confirmed", &Session{Plan: summaryPlan()}, []string{"The plan is not confirmed yet. Go back (shift+tab) to the Review step"}},
		{"plan confirmed", confirmed, []string{"The plan is confirmed and saved at " + sumPath,
			"backupready apply --plan " + sumPath + " --yes", "Skipped, and why (1)", "test-sea-01 was left out"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := summaryModel(t, "en", tt.sess)
			v := flat(m)
			wantAll(t, v, append([]string{"Nothing was changed in Azure: no plan was carried out in this session.",
				"What you still have to do", "Backup is not turned on yet"}, tt.want...)...)
			if strings.Contains(v, "What changed in Azure") || strings.Contains(v, "changed ·") {
				t.Errorf("nothing ran: no list of changes, no tally:\n%s", v)
			}
			if !m.Complete() || m.Capturing() {
				t.Error("the summary is always complete and never captures q")
			}
		})
	}
}

// ---- exports ----

func TestSummaryMarkdown(t *testing.T) {
	s := failedSession()
	s.Identity = &azure.Identity{}
	md := SummaryMarkdown(s, translator(t, "en"), sumT0.Add(10*time.Minute))
	wantAll(t, md,
		"# backupready report\n",
		"- **Date**: 2026-11-23 09:10 UTC\n",
		"- **Subscription**: `"+sumSub+"`\n",
		"- **Vault**: [rsv-weu-backup]("+sumPortal+sumVault+")\n",
		"- **Region**: westeurope\n",
		"- **Plan file**: `"+sumPath+"`\n",
		"## What changed in Azure (2)\n",
		"### Preparation\n",
		"- [Register the resource provider Microsoft.RecoveryServices]("+sumPortal+"/subscriptions/"+sumSub+"/resourceproviders) · 12 s\n",
		"## Skipped, and why (4)\n",
		"- **[Recovery Services vault rsv-weu-backup]("+sumPortal+sumVault+")**: failed: "+sumForbid+"\n",
		"- **[test-sea-01]("+sumPortal+sumSEA+")**: test-sea-01 is in southeastasia",
		"## What you still have to do (6)\n",
		"- Backup is not turned on yet",
		"<https://learn.microsoft.com/azure/backup/backup-azure-arm-vms-prepare>",
		"## Every change\n",
		"| Step | Change | State | Duration |\n|---|---|---|---:|\n",
		"| Apply | [Resource group for the vault rg-backup]("+sumPortal+sumGroup+") | done | 3 s |\n",
		"| Apply | [Recovery Services vault rsv-weu-backup]("+sumPortal+sumVault+") | failed | 4 s |\n",
		"| Apply | [Storage redundancy rsv-weu-backup]("+sumPortal+sumVault+") | skipped | – |\n",
		"| Apply | [Virtual machine old-app]("+sumPortal+sumOldA+") | skipped | – |\n",
	)
	if strings.Contains(md, "\\-") || strings.Contains(md, "rg\\-") {
		t.Error("hyphens need no escaping")
	}

	done := SummaryMarkdown(doneSession(), translator(t, "en"), sumT0)
	wantAll(t, done,
		"### Protection of web-1\n",
		"- [Back up now: web-1]("+sumPortal+sumWeb+") · job "+sumJobWeb+" · 2 min 10 s · [Backup jobs]("+sumPortal+sumVault+"/backupJobs)\n",
		"| Protect | [Turn on backup for db-1]("+sumPortal+sumDB+") | done | 40 s |\n",
	)

	// headings in the user's language
	zh := SummaryMarkdown(failedSession(), translator(t, "zh"), sumT0)
	wantAll(t, zh, "# backupready 报告\n", "## Azure 中的更改（2）\n", "## 跳过的内容及原因（4）\n", "| 步骤 | 更改 | 状态 | 耗时 |")
	ja := SummaryMarkdown(failedSession(), translator(t, "ja"), sumT0)
	wantAll(t, ja, "# backupready レポート\n", "## Azure で変更した内容 (2)\n", "## 残っている作業 (6)\n")

	// Markdown in names is escaped, not interpreted
	p := summaryPlan()
	p.Vault.ResourceGroup = "rg_*prod*|[x]"
	e := SummaryMarkdown(&Session{Plan: p}, translator(t, "en"), sumT0)
	wantAll(t, e, `- **Resource group**: rg\_\*prod\*\|\[x\]`+"\n")
}

var transcriptLineRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[[a-z]+\] \S.*$`)

func TestSessionTranscript(t *testing.T) {
	tx := SessionTranscript(failedSession(), translator(t, "en"))
	lines := strings.Split(strings.TrimSuffix(tx, "\n"), "\n")
	for _, l := range lines {
		if !transcriptLineRe.MatchString(l) && !regexp.MustCompile(`^\S+Z \[[a-z]+\]   \S`).MatchString(l) {
			t.Errorf("not a transcript line: %q", l)
		}
	}
	want := []string{
		"2026-11-23T08:51:00Z [scope] Signed in; subscription Contoso Prod (" + sumSub + "), 4 VMs selected.",
		"2026-11-23T08:54:00Z [review] Plan confirmed (6 change(s)), saved to " + sumPath + ".",
		"2026-11-23T09:00:00Z [apply] Apply: run started with 7 change(s)",
		"2026-11-23T09:00:25Z [apply]   Register the resource provider Microsoft.RecoveryServices: Done (12 s) · Registered",
		"2026-11-23T09:00:25Z [apply]   Recovery Services vault rsv-weu-backup: Failed: " + sumForbid + " (AuthorizationFailed)",
		"2026-11-23T09:00:25Z [apply]   Storage redundancy rsv-weu-backup: not started: a change it depends on did not finish.",
		"2026-11-23T09:00:25Z [apply]   Virtual machine test-sea-01: test-sea-01 is in southeastasia, but the vault is in westeurope: it needs a vault in its own region.",
		"2026-11-23T09:00:25Z [apply] Apply: run ended: 2 done · 1 no change · 1 failed · 3 skipped",
	}
	rest := tx
	for _, w := range want {
		i := strings.Index(rest, w+"\n")
		if i < 0 {
			t.Fatalf("missing (or out of order) %q in:\n%s", w, tx)
		}
		rest = rest[i+len(w):]
	}
	if _, err := time.Parse(sumTimeFmt, lines[0][:20]); err != nil {
		t.Error(err)
	}
}

// typicalSession holds what a real session holds: ids, names, paths, the
// log of every step, an Azure error with ARM's message.
func typicalSession(dir string) *Session {
	s := failedSession()
	s.PlanPath = filepath.Join(dir, "backupready-plan.yaml")
	s.Identity = &azure.Identity{}
	s.Runs[0].Outcome.Errs[2] = &azure.Error{Kind: azure.KindForbidden, Op: "create-vault", Status: 403, Code: "AuthorizationFailed",
		Message: "The client does not have authorization to perform action 'Microsoft.RecoveryServices/vaults/write' over scope '" + sumVault + "'."}
	s.Log.Add("apply", "Run stopped: 1 failed.")
	return s
}

func spress(t *testing.T, s ui.Step, code rune) ui.Step {
	t.Helper()
	k := tea.KeyPressMsg{Code: code}
	if code < tea.KeyExtended {
		k.Text = string(code)
	}
	s, cmd := s.Update(k)
	return run(t, s, cmd)
}

func TestSummaryExportsHoldNoSecrets(t *testing.T) {
	dir := t.TempDir()
	sess := typicalSession(dir)
	var s ui.Step = summaryModel(t, "en", sess)
	files := map[rune]string{'p': "backupready-plan.yaml", 'm': ReportName, 't': TranscriptName}
	for _, k := range []rune{'p', 'm', 't'} {
		s = spress(t, s, k)
		s = spress(t, s, k) // the second press finds the file and asks before replacing it
		data, err := os.ReadFile(filepath.Join(dir, files[k]))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"Bearer", "eyJ", "sig="} {
			if strings.Contains(string(data), bad) {
				t.Errorf("%s holds %q:\n%s", files[k], bad, data)
			}
		}
	}
	// And should a line ever quote a token or a SAS URL, it is scrubbed.
	sess.Log.Add("apply", "GET https://x.blob.core.windows.net/c?sv=2022-11-02&sig=AbC%2Bd%3D failed; Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln")
	s = spress(t, s, 't')
	s = spress(t, s, 't')
	data, _ := os.ReadFile(filepath.Join(dir, TranscriptName))
	for _, bad := range []string{"Bearer", "eyJ", "sig=", "AbC%2Bd"} {
		if strings.Contains(string(data), bad) {
			t.Errorf("the transcript holds %q:\n%s", bad, data)
		}
	}
	if !strings.Contains(string(data), "[redacted]") {
		t.Errorf("the secret should be replaced:\n%s", data)
	}
	_ = s
}

func TestSummaryExportReplaceAndPath(t *testing.T) {
	dir := t.TempDir()
	sess := doneSession()
	sess.PlanPath = filepath.Join(dir, "plans", "mine.yaml")
	if err := os.MkdirAll(filepath.Dir(sess.PlanPath), 0o755); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "plans", ReportName)
	var s ui.Step = summaryModel(t, "en", sess)
	s = spress(t, s, 'm')
	data, err := os.ReadFile(report)
	if err != nil || !strings.HasPrefix(string(data), "# backupready report\n") {
		t.Fatalf("report next to the plan: %v %q", err, data)
	}
	wantAll(t, ansi.Strip(s.View(300, 30)), "Report written to "+report+".")

	if err := os.WriteFile(report, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = spress(t, s, 'm')
	if d, _ := os.ReadFile(report); string(d) != "mine\n" {
		t.Fatal("an existing file was replaced without asking")
	}
	wantAll(t, ansi.Strip(s.View(300, 30)), report+" exists. Press m again to replace it")
	s = spress(t, s, tea.KeyDown) // any other key keeps it
	s = spress(t, s, 'm')
	if d, _ := os.ReadFile(report); string(d) != "mine\n" {
		t.Fatal("another key should have cancelled the replacement")
	}
	s = spress(t, s, 'm')
	if d, _ := os.ReadFile(report); !strings.HasPrefix(string(d), "# backupready report") {
		t.Errorf("the second m should replace the file: %q", d)
	}
	lines := sess.Log.Lines()
	if last := lines[len(lines)-1]; last.Step != "summary" || !strings.Contains(last.Text, report) {
		t.Errorf("the export should be in the transcript: %+v", last)
	}

	// Without a plan path, the current directory.
	cwd := t.TempDir()
	t.Chdir(cwd)
	s = summaryModel(t, "en", &Session{Plan: summaryPlan()})
	s = spress(t, s, 't')
	s = spress(t, s, 'p')
	for _, f := range []string{TranscriptName, DefaultPlanPath} {
		if _, err := os.Stat(filepath.Join(cwd, f)); err != nil {
			t.Errorf("%s in the current directory: %v", f, err)
		}
	}
	abs, _ := filepath.Abs(DefaultPlanPath)
	wantAll(t, ansi.Strip(s.View(300, 30)), "Plan written to "+abs+".")

	// No plan: p says so and writes nothing.
	s = summaryModel(t, "en", &Session{})
	if slicesHasKey(s.Keys(), "p") {
		t.Error("no plan: p is not offered")
	}
	s = spress(t, s, 'p')
	wantAll(t, ansi.Strip(s.View(300, 30)), "There is no plan to write yet.")
}

// ---- screens ----

// newSummaryHarness runs a shell with the Summary on sess and the steps
// before it done, except Network and Agent & extension, which are not built.
func newSummaryHarness(t *testing.T, lang string, sess *Session, w, h int) *harness {
	t.Helper()
	c := ui.NewCommon(translator(t, lang))
	var steps []ui.Step
	for _, id := range stepIDs {
		switch id {
		case "summary":
			steps = append(steps, newSummaryStep(c, sess))
		case "network", "agent":
			steps = append(steps, newNotBuiltStep(c, id))
		default:
			steps = append(steps, doneStep{newNotBuiltStep(c, id)})
		}
	}
	return harnessAt(t, c, steps, len(stepIDs)-1, w, h, nil)
}

// summaryGoldens compares the Summary of the session that session makes
// with the test's goldens, at every size and in every language.
func summaryGoldens(t *testing.T, session func() *Session) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		hs := newSummaryHarness(t, lang, session(), w, h)
		hs.waitText(tr.T("summary.group.prep"))
		golden.RequireEqual(t, hs.final())
	})
}

func TestSummaryStepDone(t *testing.T) { summaryGoldens(t, doneSession) }

func TestSummaryStepFailures(t *testing.T) { summaryGoldens(t, failedSession) }

// Scrolling keeps every line inside the body, at every size down to the
// smallest window, in every language; End reaches the last line.
func TestSummaryScrolls(t *testing.T) {
	keys := []rune{tea.KeyDown, tea.KeyDown, tea.KeyPgDown, tea.KeyPgDown, tea.KeyUp, tea.KeyEnd, tea.KeyPgUp, tea.KeyHome, tea.KeyEnd}
	for _, lang := range ui.Languages {
		for _, sess := range []func() *Session{doneSession, failedSession, leftSession} {
			// body sizes of 60×16, 80×24 and 120×40 windows
			for _, sz := range []struct{ w, h int }{{53, 10}, {58, 18}, {67, 35}} {
				var s ui.Step = summaryModel(t, lang, sess())
				s, _ = s.Update(ui.BodySizeMsg{Width: sz.w, Height: sz.h})
				m := s.(summaryStep)
				for _, l := range append(m.headLines(sz.w), m.bodyLines(sz.w)...) {
					if lw := ui.Width(l); lw > sz.w {
						t.Errorf("%s %dx%d: a line is %d cells wide: %q", lang, sz.w, sz.h, lw, ansi.Strip(l))
					}
				}
				last := ansi.Strip(m.bodyLines(sz.w)[len(m.bodyLines(sz.w))-1])
				for _, k := range keys {
					s = spress(t, s, k)
					v := s.View(sz.w, sz.h)
					checkSize(t, v, sz.w, sz.h)
				}
				if v := ansi.Strip(s.View(sz.w, sz.h)); !strings.Contains(v, strings.TrimSpace(last)) {
					t.Errorf("%s %dx%d: End should show the last line %q:\n%s", lang, sz.w, sz.h, last, v)
				}
			}
		}
	}
}

// The whole screen holds at the smallest window with CJK text, scrolled to
// the end.
func TestSummarySmallWindow(t *testing.T) {
	for _, lang := range []string{"zh", "ja"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			tr := translator(t, lang)
			hs := newSummaryHarness(t, lang, failedSession(), 60, 16)
			hs.waitText(tr.T("step.summary.title"))
			hs.key(tea.KeyEnd)
			s := hs.waitText("vms-prepare")
			checkSize(t, s.view, 60, 16)
			hs.key(tea.KeyHome)
			s = hs.waitText(tr.T("summary.changed.heading", "Count", 2))
			checkSize(t, s.view, 60, 16)
		})
	}
}
