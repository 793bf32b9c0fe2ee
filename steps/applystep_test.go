package steps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/ui"
)

// The Apply step runs against the simulated demo tenant (simClient): a new
// locally redundant vault in westeurope for Contoso Production, for two VMs
// there; tokyo-app-01 is in japaneast, so the plan leaves it out.

func simVM(rg, name string) string { return vmID(simProd, rg, name) }

func applyPlan() *Plan {
	return &Plan{
		Version:      PlanVersion,
		Cloud:        CloudPublic,
		Subscription: simProd,
		VMs:          []string{simVM("rg-web-prod", "web-prod-01"), simVM("rg-data-prod", "sql-data-01"), simVM("rg-apac-prod", "tokyo-app-01")},
		Vault:        PlanVault{Name: "rsv-weu-new", ResourceGroup: "rg-backup-new", Location: "westeurope", Create: true},
		Redundancy:   PlanRedundancy{StorageType: StorageLocal},
		Network:      PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto},
		Agent:        PlanAgent{Fix: AgentFixInstructions},
	}
}

// fixedNow is the clock of the goldens: elapsed times stay 0 s.
func fixedNow() time.Time { return time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC) }

var vaultPut = `PUT .*/vaults/rsv-weu-new\?`

// applySession is a session whose plan was confirmed in Review: the change
// list read from the simulator, the plan saved in a temporary folder.
func applySession(t *testing.T, api ApplyAPI, p *Plan) *Session {
	t.Helper()
	live, err := ReadLiveState(t.Context(), api, p)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Changes(p, live)
	if err != nil {
		t.Fatal(err)
	}
	return &Session{Cloud: CloudPublic, Demo: true, Plan: p, Confirmed: cs, ConfirmedRev: 1,
		PlanPath: filepath.Join(t.TempDir(), DefaultPlanPath), Log: NewTranscript(fixedNow), ctx: t.Context()}
}

func testRun(now func() time.Time) RunOptions {
	return RunOptions{PollEvery: time.Millisecond, RetryBase: time.Millisecond, Now: now}
}

// ---- the model, driven without a program ----

// stepDriver runs a step's commands the way the program does (each in a
// goroutine, their messages back one at a time), so that a run's question
// can be answered while its applier waits. Spinner ticks are dropped.
type stepDriver struct {
	t    *testing.T
	s    ui.Step
	msgs chan tea.Msg
	// seen is called after every message.
	seen func(applyStep)
}

func newDriver(t *testing.T, s ui.Step) *stepDriver {
	d := &stepDriver{t: t, s: s, msgs: make(chan tea.Msg, 4096)}
	s, _ = s.Update(ui.BodySizeMsg{Width: 100, Height: 30})
	d.s = s
	return d
}

func (d *stepDriver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { d.msgs <- cmd() }()
}

func (d *stepDriver) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil, spinner.TickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			d.exec(c)
		}
	default:
		s, cmd := d.s.Update(msg)
		d.s = s
		d.exec(cmd)
		if d.seen != nil {
			d.seen(s.(applyStep))
		}
	}
}

func (d *stepDriver) activate() {
	s, cmd := d.s.Activate()
	d.s = s
	d.exec(cmd)
}

func (d *stepDriver) press(code rune) {
	d.t.Helper()
	s, cmd := d.s.Update(tea.KeyPressMsg{Code: code, Text: string(code)})
	d.s = s
	d.exec(cmd)
}

func (d *stepDriver) until(what string, cond func(m applyStep) bool) applyStep {
	d.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		m := d.s.(applyStep)
		if cond(m) {
			return m
		}
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-deadline:
			d.t.Fatalf("waiting for %s; screen:\n%s", what, ansi.Strip(m.View(100, 30)))
		}
	}
}

func finished(m applyStep) bool { return m.phase == applyFinished }
func asking(m applyStep) bool   { return m.phase == applyRunning && m.view.Asking() }

func newApplyModel(t *testing.T, lang string, sess *Session, api ApplyAPI, now func() time.Time) *stepDriver {
	t.Helper()
	return newDriver(t, newApplyStep(ui.NewCommon(translator(t, lang)), sess, api, testRun(now)))
}

func journalStates(t *testing.T, path string) map[string][]string {
	t.Helper()
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	out := map[string][]string{}
	for _, e := range j.Entries() {
		out[e.Action] = append(out[e.Action], e.State)
	}
	return out
}

func viewText(s ui.Step, w, h int) string { return ansi.Strip(s.View(w, h)) }

// Before Review is confirmed nothing runs, and the step says how to confirm.
func TestApplyUnconfirmed(t *testing.T) {
	_, api := simClient(t, 0, nil, nil)
	sess := &Session{Plan: applyPlan(), Log: NewTranscript(nil)}
	d := newApplyModel(t, "en", sess, api, nil)
	d.activate()
	m := d.s.(applyStep)
	if m.phase != applyIdle || m.Complete() || m.InFlight() {
		t.Fatalf("phase %v complete %v", m.phase, m.Complete())
	}
	v := strings.Join(strings.Fields(viewText(m, 200, 20)), " ")
	for _, want := range []string{"confirmed in the Review step", "Press shift+tab to go back to Review, then enter"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	// the terminal's background colour may arrive before any run
	if _, cmd := m.Update(tea.BackgroundColorMsg{}); cmd != nil {
		t.Error("a colour change starts nothing")
	}
	if h := m.Hint(); !strings.Contains(h, "Review") {
		t.Errorf("hint %q", h)
	}
	if v, _ := api.VaultByName(t.Context(), simProd, "rg-backup-new", "rsv-weu-new"); v != nil {
		t.Error("nothing may change in Azure before the plan is confirmed")
	}
}

// A confirmed plan is carried out: every change done, the vault exists in
// the simulator, the journal records it, the session keeps the run.
func TestApplyRunsThePlan(t *testing.T) {
	tr := translator(t, "en")
	_, api := simClient(t, 0, nil, nil)
	sess := applySession(t, api, applyPlan())
	d := newApplyModel(t, "en", sess, api, nil)
	var inFlight bool
	d.seen = func(m applyStep) { inFlight = inFlight || m.InFlight() }
	d.activate()
	m := d.until("the run to finish", finished)
	if !inFlight {
		t.Error("the step should report changes in flight while running")
	}
	if !m.Complete() || m.InFlight() || m.canRerun() {
		t.Errorf("complete %v in flight %v rerun %v", m.Complete(), m.InFlight(), m.canRerun())
	}
	work := 0
	for i, c := range m.changes {
		if c.Kind == Create || c.Kind == Modify {
			work++
			if s := m.out.States[i]; s != RunDone {
				t.Errorf("%s %s: %s, want done (%v)", c.Action, c.Target, s, m.out.Errs[i])
			}
		}
	}
	if work != 3 {
		t.Errorf("%d changes to make, want 3 (group, vault, redundancy): %+v", work, m.changes)
	}
	v, err := api.VaultByName(t.Context(), simProd, "rg-backup-new", "rsv-weu-new")
	if err != nil || v == nil || !v.Ready() {
		t.Fatalf("vault after the run: %+v %v", v, err)
	}
	if sc, err := api.StorageConfig(t.Context(), v.ID); err != nil || sc.Type != azure.StorageLocallyRedundant {
		t.Errorf("storage after the run: %+v %v", sc, err)
	}
	states := journalStates(t, sess.PlanPath+JournalSuffix)
	for _, a := range []string{ActionResourceGroup, ActionVault, ActionStorageType} {
		if !slices.Contains(states[a], JournalDone) {
			t.Errorf("journal %s: %v, want a done record", a, states[a])
		}
	}
	if !slices.Contains(states[ActionVault], JournalInProgress) {
		t.Errorf("journal vault.create: %v, want the operation's resume token recorded", states[ActionVault])
	}
	if len(sess.Runs) != 1 || sess.Runs[0].Phase != "apply" || sess.Runs[0].Outcome.Count(RunDone) != 3 || sess.Runs[0].Ended.Before(sess.Runs[0].Started) {
		t.Errorf("runs %+v", sess.Runs)
	}
	var log []string
	for _, l := range sess.Log.Lines() {
		if l.Step == "apply" {
			log = append(log, l.Text)
		}
	}
	if len(log) != 5 || !strings.Contains(log[2], ChangeTitle(m.changes[2], tr)) || !strings.Contains(log[4], tr.T("apply.count.done", "N", 3)) {
		t.Errorf("transcript %q", log)
	}
	v2 := strings.Join(strings.Fields(viewText(m, 100, 30)), " ")
	for _, want := range []string{"3 done", "Next: Protect turns on backup for the VMs", "Done (", "backupready-plan.yaml.journal"} {
		if !strings.Contains(v2, want) {
			t.Errorf("missing %q:\n%s", want, v2)
		}
	}
	// The same confirmation is not carried out twice.
	d.activate()
	if m := d.s.(applyStep); m.phase != applyFinished || m.runs != 1 {
		t.Errorf("coming back ran again: phase %v runs %d", m.phase, m.runs)
	}
}

// A conflict (another operation on the vault) is waited out visibly, then
// the change goes through.
func TestApplyWaitsOutConflict(t *testing.T) {
	tr := translator(t, "en")
	_, api := simClient(t, 0, nil, []sim.Fault{{Match: vaultPut, Status: 409, Times: 1}})
	sess := applySession(t, api, applyPlan())
	d := newApplyModel(t, "en", sess, api, nil)
	waiting := strings.SplitN(tr.T("apply.note.conflict"), ":", 2)[0]
	var sawWaiting bool
	d.seen = func(m applyStep) {
		if m.phase == applyRunning && strings.Contains(viewText(m, 200, 30), waiting) {
			sawWaiting = true
		}
	}
	d.activate()
	m := d.until("the run to finish", finished)
	if !sawWaiting {
		t.Errorf("no line said it was waiting (%q)", waiting)
	}
	if m.out.Failed() || m.out.Count(RunDone) != 3 {
		t.Errorf("outcome %+v", m.out.States)
	}
	if v, _ := api.VaultByName(t.Context(), simProd, "rg-backup-new", "rsv-weu-new"); v == nil {
		t.Error("the vault should exist after the conflict cleared")
	}
}

// A refusal that does not go away asks: retry, skip or stop. Retry fails
// again, s skips the vault (and the redundancy, which needs it, fails and
// asks), x stops; the outcome explains the failure and offers a run again.
func TestApplyFailureAsks(t *testing.T) {
	tr := translator(t, "en")
	_, api := simClient(t, 0, nil, []sim.Fault{{Match: vaultPut, Status: 403, Code: "AuthorizationFailed"}})
	sess := applySession(t, api, applyPlan())
	d := newApplyModel(t, "en", sess, api, nil)
	d.activate()
	m := d.until("the question", asking)
	if !m.InFlight() || m.Complete() || m.Hint() != tr.T("apply.hint.running") {
		t.Errorf("asking: in flight %v complete %v hint %q", m.InFlight(), m.Complete(), m.Hint())
	}
	v := strings.Join(strings.Fields(viewText(m, 200, 40)), " ")
	for _, want := range []string{"Azure denied access while creating the Recovery Services vault", "Press r to try this change again, s to skip it"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	if keys := m.Keys(); !slicesHasKey(keys, "r") || !slicesHasKey(keys, "s") || !slicesHasKey(keys, "x") {
		t.Errorf("keys while asking: %v", keys)
	}
	vaultAt := slices.IndexFunc(m.changes, func(c Change) bool { return c.Action == ActionVault })
	storageAt := slices.IndexFunc(m.changes, func(c Change) bool { return c.Action == ActionStorageType })

	d.press('r')
	d.until("the question again", func(m applyStep) bool {
		return asking(m) && m.view.asking.index == vaultAt && m.view.last[vaultAt].State == RunFailed
	})
	d.press('s')
	d.until("the redundancy to ask", func(m applyStep) bool { return asking(m) && m.view.asking.index == storageAt })
	d.press('x')
	m = d.until("the run to end", finished)

	want := map[int]RunState{vaultAt: RunSkipped, storageAt: RunFailed}
	for i, s := range want {
		if m.out.States[i] != s {
			t.Errorf("%s: %s, want %s", m.changes[i].Action, m.out.States[i], s)
		}
	}
	if !m.out.Stopped || !m.Complete() || !m.canRerun() || !slicesHasKey(m.Keys(), "r") {
		t.Errorf("stopped %v complete %v rerun %v keys %v", m.out.Stopped, m.Complete(), m.canRerun(), m.Keys())
	}
	states := journalStates(t, sess.PlanPath+JournalSuffix)
	if !slices.Contains(states[ActionVault], JournalFailed) || !slices.Contains(states[ActionVault], JournalSkipped) {
		t.Errorf("journal vault.create: %v", states[ActionVault])
	}
	v = strings.Join(strings.Fields(viewText(m, 120, 60)), " ")
	for _, want := range []string{"1 failed", "1 skipped", "The run was stopped: 2 change(s) of the plan were not made", "Press r to run the plan again", "skipped (your choice)"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	if v, _ := api.VaultByName(t.Context(), simProd, "rg-backup-new", "rsv-weu-new"); v != nil {
		t.Error("the vault must not exist")
	}
}

// A run again after a failure reads Azure anew and does only what is left:
// the resource group made by the first run is not made again.
func TestApplyRunAgain(t *testing.T) {
	_, api := simClient(t, 0, nil, []sim.Fault{{Match: vaultPut, Status: 403, Code: "AuthorizationFailed", Times: 1}})
	sess := applySession(t, api, applyPlan())
	d := newApplyModel(t, "en", sess, api, nil)
	d.activate()
	d.until("the question", asking)
	d.press('x')
	m := d.until("the first run to end", finished)
	if !m.canRerun() {
		t.Fatal("a failed run should offer to run again")
	}
	d.press('r')
	if m := d.s.(applyStep); m.phase != applyPreparing || m.Complete() {
		t.Errorf("r should read Azure again first: phase %v", m.phase)
	}
	m = d.until("the second run to end", func(m applyStep) bool { return finished(m) && m.runs == 2 })
	if m.out.Failed() || len(notDone(m.changes, *m.out)) > 0 || m.canRerun() {
		t.Errorf("second run: %v", m.out.States)
	}
	for i, c := range m.changes {
		if c.Action == ActionResourceGroup && (c.Kind != NoChange || m.out.States[i] != RunNoChange) {
			t.Errorf("the resource group was made again: %+v %s", c, m.out.States[i])
		}
	}
	if len(sess.Runs) != 2 {
		t.Errorf("runs: %d, want 2", len(sess.Runs))
	}
	if v, _ := api.VaultByName(t.Context(), simProd, "rg-backup-new", "rsv-weu-new"); v == nil {
		t.Error("the vault should exist after the second run")
	}
}

// A plan Azure already matches finishes at once, sends nothing and writes
// no journal.
func TestApplyNothingToChange(t *testing.T) {
	_, api := simClient(t, 0, nil, nil)
	p := applyPlan()
	p.Vault = PlanVault{Name: "rsv-weu-prod", ResourceGroup: "rg-backup-prod", Location: "westeurope"}
	p.Redundancy = PlanRedundancy{StorageType: StorageGeo}
	sess := applySession(t, api, p)
	d := newApplyModel(t, "ja", sess, api, nil)
	d.activate()
	m := d.s.(applyStep)
	if !finished(m) || !m.nothing || !m.Complete() || m.canRerun() {
		t.Fatalf("phase %v nothing %v complete %v", m.phase, m.nothing, m.Complete())
	}
	tr := translator(t, "ja")
	if v := viewText(m, 100, 30); !strings.Contains(v, tr.T("apply.nothing")) {
		t.Errorf("should say there is nothing to change:\n%s", v)
	}
	if _, err := os.Stat(sess.PlanPath + JournalSuffix); err == nil {
		t.Error("nothing to change needs no journal")
	}
	if len(sess.Runs) != 1 {
		t.Errorf("runs: %d", len(sess.Runs))
	}
}

// A journal that cannot be opened is a problem: nothing runs.
func TestApplyJournalUnusable(t *testing.T) {
	_, api := simClient(t, 0, nil, nil)
	sess := applySession(t, api, applyPlan())
	sess.PlanPath = filepath.Join(t.TempDir(), "missing", "plan.yaml")
	d := newApplyModel(t, "en", sess, api, nil)
	d.activate()
	m := d.until("the problem", func(m applyStep) bool { return m.phase == applyFailed })
	v := strings.Join(strings.Fields(viewText(m, 200, 30)), " ")
	for _, want := range []string{"could not be opened", "nothing is changed in Azure without that record", "Press r to try again"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	if m.Complete() || !slicesHasKey(m.Keys(), "r") {
		t.Errorf("complete %v keys %v", m.Complete(), m.Keys())
	}
	if v, _ := api.VaultByName(t.Context(), simProd, "rg-backup-new", "rsv-weu-new"); v != nil {
		t.Error("nothing may run without a journal")
	}
	if err := os.MkdirAll(filepath.Dir(sess.PlanPath), 0o755); err != nil {
		t.Fatal(err)
	}
	d.press('r')
	d.until("the run after the folder was made", finished)
}

// A new confirmation in Review is carried out when the step is shown again.
func TestApplyNewConfirmation(t *testing.T) {
	_, api := simClient(t, 0, nil, nil)
	sess := applySession(t, api, applyPlan())
	d := newApplyModel(t, "en", sess, api, nil)
	d.activate()
	d.until("the run to finish", finished)
	live, err := ReadLiveState(t.Context(), api, sess.Plan)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Confirmed, err = Changes(sess.Plan, live); err != nil {
		t.Fatal(err)
	}
	sess.ConfirmedRev++
	if d.s.Complete() {
		t.Error("a run of an older confirmation does not complete the step")
	}
	d.activate()
	m := d.s.(applyStep)
	if !m.nothing || !m.Complete() || len(sess.Runs) != 2 {
		t.Errorf("the new confirmation: nothing %v complete %v runs %d", m.nothing, m.Complete(), len(sess.Runs))
	}
}

// Only the preparation runs here: Protect carries out its own changes.
func TestApplyLeavesProtectionToProtect(t *testing.T) {
	in := []Change{{Kind: Create, Action: ActionVault}, {Kind: Create, Action: ActionPolicy}, {Kind: NoChange, Action: ActionVM},
		{Kind: Create, Action: ActionProtect}, {Kind: Create, Action: ActionBackupNow}}
	got := preparation(in)
	if len(got) != 2 || got[0].Action != ActionVault || got[1].Action != ActionVM {
		t.Errorf("preparation: %+v", got)
	}
}

// ---- screens ----

// applyHarness runs a shell with the steps before Apply done, Apply on
// sess, and the later steps not built. Spinner ticks are dropped, so the
// spinner shows one frame and the goldens do not depend on timing.
func newApplyHarness(t *testing.T, api ApplyAPI, lang string, sess *Session, now func() time.Time, w, h int) *harness {
	t.Helper()
	build := func(c *ui.Common) ui.Step { return newApplyStep(c, sess, api, testRun(now)) }
	return newStepHarness(t, lang, "apply", w, h, build, func(msg tea.Msg) bool {
		_, tick := msg.(spinner.TickMsg)
		return tick
	})
}

// Running: the resource group done, the vault being created (operations
// take an hour on a clock that stands still), the redundancy waiting.
// Next and Back are refused while the changes run.
func TestApplyRunning(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		_, api := simClient(t, time.Hour, fixedNow, nil)
		sess := applySession(t, api, applyPlan())
		hs := newApplyHarness(t, api, lang, sess, fixedNow, w, h)
		hs.waitText(tr.T("apply.note.creating"))
		hs.next()
		s := hs.waitFor("Next refused", func(s snapshot) bool { return s.status != "" })
		if s.current != 7 || s.status != tr.T("apply.hint.running") {
			t.Errorf("Next while running: step %d status %q", s.current, s.status)
		}
		hs.back()
		s = hs.waitFor("Back refused", func(s snapshot) bool { return s.status == tr.T("shell.back.inflight") })
		if s.current != 7 {
			t.Errorf("Back while running left the step")
		}
		hs.key(tea.KeyDown) // clears the status line for the golden
		hs.waitFor("the status cleared", func(s snapshot) bool { return s.status == "" })
		golden.RequireEqual(t, hs.final())
	})
}

// Failed: Azure refuses the vault; the run asks retry, skip or stop.
func TestApplyFailed(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		_, api := simClient(t, 0, fixedNow, []sim.Fault{{Match: vaultPut, Status: 403, Code: "AuthorizationFailed"}})
		sess := applySession(t, api, applyPlan())
		hs := newApplyHarness(t, api, lang, sess, fixedNow, w, h)
		s := hs.waitFor("the question", func(s snapshot) bool {
			return strings.Contains(strings.Join(strings.Fields(s.view), ""), strings.Join(strings.Fields(tr.T("run.key.skip")), ""))
		})
		checkSize(t, s.view, w, h)
		golden.RequireEqual(t, hs.final())
	})
}

// Done: every change made, Protect next.
func TestApplyDone(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		_, api := simClient(t, 0, fixedNow, nil)
		sess := applySession(t, api, applyPlan())
		hs := newApplyHarness(t, api, lang, sess, fixedNow, w, h)
		hs.waitFor("the outcome", func(s snapshot) bool { return s.complete && strings.Contains(s.view, tr.T("apply.count.done", "N", 3)) })
		golden.RequireEqual(t, hs.final())
	})
}

// The stopped run's outcome, with the failure explained, fits every size
// from the shell's minimum up, in Japanese.
func TestApplyOutcomeFits(t *testing.T) {
	_, api := simClient(t, 0, fixedNow, []sim.Fault{{Match: vaultPut, Status: 403, Code: "AuthorizationFailed"}})
	sess := applySession(t, api, applyPlan())
	hs := newApplyHarness(t, api, "ja", sess, fixedNow, 80, 24)
	tr := translator(t, "ja")
	hs.waitFor("the question", func(s snapshot) bool { return strings.Contains(s.view, tr.T("run.key.stop")) })
	for _, sz := range []struct{ w, h int }{{60, 16}, {61, 17}, {79, 20}, {100, 16}, {140, 50}} {
		hs.resize(sz.w, sz.h)
		s := hs.waitFor("resize", func(s snapshot) bool { return len(strings.Split(s.view, "\n")) == sz.h })
		checkSize(t, s.view, sz.w, sz.h)
	}
	hs.key('x')
	hs.waitFor("the outcome", func(s snapshot) bool { return s.complete })
	for _, sz := range []struct{ w, h int }{{60, 16}, {61, 17}, {79, 20}, {100, 16}, {140, 50}} {
		hs.resize(sz.w, sz.h)
		s := hs.waitFor("resize", func(s snapshot) bool { return len(strings.Split(s.view, "\n")) == sz.h })
		checkSize(t, s.view, sz.w, sz.h)
		if !strings.Contains(s.view, "r ") {
			t.Errorf("%dx%d: the run again key should be in the help bar:\n%s", sz.w, sz.h, s.view)
		}
	}
	hs.key(tea.KeyEnd)
	s := hs.waitFor("scrolled", func(s snapshot) bool { return strings.Contains(s.view, "backupready-plan.yaml.journal") })
	checkSize(t, s.view, 140, 50)
}
