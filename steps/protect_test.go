package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// ---- decisions ----

func TestEnhancedNeed(t *testing.T) {
	tests := []struct {
		name string
		vm   azure.VM
		want string
		disk string
	}{
		{name: "standard", vm: azure.VM{OSDisk: azure.Disk{Name: "os", StorageType: "Premium_LRS"}}},
		{name: "trusted launch", vm: azure.VM{SecurityType: "TrustedLaunch"}, want: "trusted-launch"},
		{name: "confidential, any case", vm: azure.VM{SecurityType: "confidentialvm"}, want: "confidential"},
		{name: "premium ssd v2 data disk", vm: azure.VM{DataDisks: []azure.Disk{{Name: "d0", StorageType: "Premium_LRS"}, {Name: "d1", StorageType: "PremiumV2_LRS"}}},
			want: "disk", disk: "d1"},
		{name: "ultra os disk", vm: azure.VM{OSDisk: azure.Disk{Name: "os", StorageType: "UltraSSD_LRS"}}, want: "disk", disk: "os"},
		{name: "security type Standard", vm: azure.VM{SecurityType: "Standard"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, disk, _ := EnhancedNeed(&tt.vm)
			if got != tt.want || disk != tt.disk {
				t.Errorf("EnhancedNeed = %q %q, want %q %q", got, disk, tt.want, tt.disk)
			}
		})
	}
}

func TestScheduleAndRetentionInWords(t *testing.T) {
	en := translator(t, "en")
	tests := []struct {
		name      string
		p         azure.Policy
		schedule  string
		retention string
	}{
		{"daily", azure.Policy{Frequency: "Daily", Times: []string{"22:30"}, TimeZone: "UTC", DailyDays: 30},
			"daily at 22:30 (UTC)", "daily points 30 days"},
		{"weekly", azure.Policy{Frequency: "Weekly", Times: []string{"23:00"}, Weekdays: []string{"Sunday", "wednesday"}, TimeZone: "Tokyo Standard Time",
			WeeklyWeeks: 12, MonthlyMonths: 60, YearlyYears: 10},
			"weekly on Sunday, Wednesday at 23:00 (Tokyo Standard Time)", "weekly 12 weeks · monthly 60 months · yearly 10 years"},
		{"hourly", azure.Policy{Frequency: "Hourly", Times: []string{"08:00"}, HourlyInterval: 4, DailyDays: 30, WeeklyWeeks: 12},
			"every 4 hours from 08:00 (UTC)", "daily points 30 days · weekly 12 weeks"},
		{"nothing known", azure.Policy{}, "—", "—"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScheduleText(en, tt.p); got != tt.schedule {
				t.Errorf("schedule %q, want %q", got, tt.schedule)
			}
			if got := RetentionText(en, tt.p); got != tt.retention {
				t.Errorf("retention %q, want %q", got, tt.retention)
			}
		})
	}
	weekly := tests[1].p
	if got := ScheduleText(translator(t, "zh"), weekly); got != "每周日、周三 23:00（Tokyo Standard Time）" {
		t.Errorf("zh weekly: %q", got)
	}
	if got := ScheduleText(translator(t, "ja"), weekly); got != "毎週 日曜日、水曜日 23:00 (Tokyo Standard Time)" {
		t.Errorf("ja weekly: %q", got)
	}
}

func TestPolicyFormIssues(t *testing.T) {
	existing := []azure.Policy{{Name: "DefaultPolicy"}, {Name: "EnhancedPolicy", Type: "Enhanced"}}
	daily := PlanPolicy{Type: PolicyStandard, Frequency: FrequencyDaily, Time: "22:30", TimeZone: "UTC", RetentionDays: 30}
	weekly := PlanPolicy{Type: PolicyStandard, Frequency: FrequencyWeekly, Time: "23:00", TimeZone: "Tokyo Standard Time", Weekdays: []string{"Sunday"}, RetentionWeeks: 12}
	with := func(p PlanPolicy, f func(p *PlanPolicy)) PlanPolicy { f(&p); return p }
	tests := []struct {
		name            string
		policy          string
		retain, instant string
		p               PlanPolicy
		want            map[string]string // field → catalog key
	}{
		{name: "a good daily policy", policy: "Nightly", retain: "30", p: daily, want: map[string]string{}},
		{name: "a good weekly policy", policy: "Weekly-Tokyo", retain: "12", p: weekly, want: map[string]string{}},
		{name: "the name of an existing policy, other case", policy: "defaultpolicy", retain: "30", p: daily,
			want: map[string]string{"name": "protect.form.err.name-taken"}},
		{name: "a bad name and a bad time, each under its field", policy: "x", retain: "30", p: with(daily, func(p *PlanPolicy) { p.Time = "22:15" }),
			want: map[string]string{"name": "plan.err.policy-name.too-short", "time": "protect.form.err.time"}},
		{name: "no time", policy: "Nightly", retain: "30", p: with(daily, func(p *PlanPolicy) { p.Time = "" }),
			want: map[string]string{"time": "protect.form.err.time.required"}},
		{name: "retention out of range and not a number", policy: "Nightly", retain: "3", instant: "two", p: with(daily, func(p *PlanPolicy) { p.RetentionDays = 3 }),
			want: map[string]string{"retentionDays": "protect.form.err.retention-days.range", "instantRestoreDays": "protect.form.err.number"}},
		{name: "weekly without a day", policy: "Weekly-Tokyo", retain: "12", p: with(weekly, func(p *PlanPolicy) { p.Weekdays = nil }),
			want: map[string]string{"weekdays": "protect.form.err.weekdays.required"}},
		{name: "weekly standard keeps snapshots 5 days", policy: "Weekly-Tokyo", retain: "12", p: with(weekly, func(p *PlanPolicy) { p.InstantRestoreDays = 2 }),
			want: map[string]string{"instantRestoreDays": "protect.form.err.instant-restore.weekly-standard"}},
		{name: "enhanced snapshots longer than the daily points", policy: "Nightly", retain: "7",
			p:    with(daily, func(p *PlanPolicy) { p.Type, p.RetentionDays, p.InstantRestoreDays = PolicyEnhanced, 7, 10 }),
			want: map[string]string{"instantRestoreDays": "protect.form.err.instant-over-retention"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PolicyFormIssues(tt.policy, tt.retain, tt.instant, tt.p, existing)
			keys := map[string]string{}
			for f, is := range got {
				keys[f] = is.Key
			}
			if fmt.Sprint(keys) != fmt.Sprint(tt.want) {
				t.Errorf("issues %v, want %v", keys, tt.want)
			}
		})
	}
	// Every reason ValidatePlanPolicy gives has the form's own words.
	tr := translator(t, "en")
	for _, reason := range []string{"plan.err.policy.type", "plan.err.policy.frequency", "plan.err.policy.time.required", "plan.err.policy.time",
		"plan.err.policy.weekdays.required", "plan.err.policy.weekdays.daily", "plan.err.policy.weekdays.day", "plan.err.policy.weekdays.duplicate",
		"plan.err.policy.time-zone", "plan.err.policy.retention-days.required", "plan.err.policy.retention-days.weekly",
		"plan.err.policy.retention-days.range", "plan.err.policy.retention-weeks.required", "plan.err.policy.retention-weeks.daily",
		"plan.err.policy.retention-weeks.range", "plan.err.policy.instant-restore.range", "plan.err.policy.instant-restore.weekly-standard"} {
		if k := formReason(reason); tr.T(k) == k {
			t.Errorf("%s: no form text %s", reason, k)
		}
	}
}

func TestPlanProtectVMs(t *testing.T) {
	const vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
	id := func(n string) string {
		return "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/" + n
	}
	vm := func(n, loc string, pr *azure.Protection) *azure.VM {
		return &azure.VM{ID: id(n), Name: n, SubscriptionID: "s", Location: loc, Protection: pr}
	}
	vms := map[string]*azure.VM{}
	for _, v := range []*azure.VM{
		vm("new", "westeurope", nil),
		vm("same", "westeurope", &azure.Protection{VaultID: vault, PolicyName: "Gold"}),
		vm("std", "westeurope", &azure.Protection{VaultID: vault, PolicyName: "DefaultPolicy"}),
		vm("enh", "westeurope", &azure.Protection{VaultID: vault, PolicyName: "EnhancedPolicy"}),
		vm("other", "westeurope", &azure.Protection{VaultID: vault + "-2", PolicyName: "DefaultPolicy"}),
		vm("east", "eastus", nil),
	} {
		vms[strings.ToLower(v.ID)] = v
	}
	p := &Plan{Subscription: "s", Vault: PlanVault{Location: "westeurope"},
		VMs: []string{id("new"), id("same"), id("std"), id("enh"), id("other"), id("east"), id("gone")}}
	types := map[string]string{"gold": "Enhanced", "defaultpolicy": "Standard", "enhancedpolicy": "Enhanced"}
	var got []string
	for _, v := range PlanProtectVMs(p, vms, vault, "Gold", "Enhanced", types) {
		got = append(got, fmt.Sprintf("%s:%s:%v", lastSegment(v.ID), v.Kind, v.Irreversible))
	}
	want := "new:protect:false same:same:false std:move:true enh:move:false other:elsewhere:false east:region:false gone:missing:false"
	if strings.Join(got, " ") != want {
		t.Errorf("with an Enhanced policy:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	for _, v := range PlanProtectVMs(p, vms, vault, "DefaultPolicy", "Standard", types) {
		if lastSegment(v.ID) == "enh" && v.Kind != VMMoveRefused {
			t.Errorf("Enhanced to Standard must be refused: %s", v.Kind)
		}
	}
}

func TestDefaultPolicyChoice(t *testing.T) {
	ps := []azure.Policy{{Name: "A", Type: "Standard"}, {Name: "DefaultPolicy", Type: "Standard"}, {Name: "EnhancedPolicy", Type: "Enhanced"}}
	for _, tt := range []struct {
		planned string
		enh     bool
		want    int
	}{{"", false, 1}, {"", true, 2}, {"a", true, 0}, {"missing", false, 1}} {
		if got := DefaultPolicyChoice(ps, tt.planned, tt.enh); got != tt.want {
			t.Errorf("DefaultPolicyChoice(%q, %v) = %d, want %d", tt.planned, tt.enh, got, tt.want)
		}
	}
	if DefaultPolicyChoice(nil, "", false) != -1 {
		t.Error("no policies: -1")
	}
}

// ---- the model, against the simulated demo tenant ----

// protClock is a test clock that moves only when told.
type protClock struct {
	mu sync.Mutex
	t  time.Time
}

func newProtClock() *protClock {
	return &protClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

func (c *protClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *protClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// protVMs are the demo VMs the protect tests plan: two westeurope VMs and
// crm-eastus-01, which vault rsv-eus-prod protects already (left alone).
var protVMs = []string{"web-prod-01", "gateway-01", "crm-eastus-01"}

// protPlan is a plan for the demo vault rsv-weu-prod, with the VMs' ids
// read from the simulator's inventory.
func protPlan(t testing.TB, api WizardAPI, names ...string) *Plan {
	t.Helper()
	inv, err := api.Inventory(t.Context(), []string{simProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{Version: PlanVersion, Cloud: CloudPublic, Subscription: simProd,
		Vault:      PlanVault{Name: "rsv-weu-prod", ResourceGroup: "rg-backup-prod", Location: "westeurope"},
		Redundancy: PlanRedundancy{Keep: true},
		Network:    PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto},
		Agent:      PlanAgent{Fix: AgentFixInstructions}}
	for _, n := range names {
		found := false
		for _, vm := range inv.VMs {
			if vm.Name == n {
				p.VMs, found = append(p.VMs, vm.ID), true
			}
		}
		if !found {
			t.Fatalf("the demo tenant has no VM %s", n)
		}
	}
	return p
}

// protDriver drives the step without a program: like bubbletea, it runs
// each command in a goroutine of its own and feeds the messages back one at
// a time; after each message it moves the clock by step, so that simulated
// operations progress as the run polls them.
type protDriver struct {
	t       *testing.T
	s       ui.Step
	clock   *protClock
	step    time.Duration
	msgs    chan tea.Msg
	pending int
}

// protectOn drives Protect, in English, on a fresh simulated demo tenant
// whose operations take opTime on a clock of its own, for a plan of the
// named VMs; the step is activated, so Azure has been read.
func protectOn(t *testing.T, opTime time.Duration, vms ...string) (*protDriver, *Session, *azure.Client) {
	t.Helper()
	clock := newProtClock()
	_, api := simClient(t, opTime, clock.Now, nil)
	sess := protSession(t, protPlan(t, api, vms...))
	d := newProtModel(t, "en", sess, api, clock)
	d.activate()
	return d, sess, api
}

func newProtModel(t *testing.T, lang string, sess *Session, api ApplyAPI, clock *protClock) *protDriver {
	t.Helper()
	run := RunOptions{PollEvery: time.Millisecond, RetryBase: time.Millisecond, Now: clock.Now}
	s := newProtectStep(ui.NewCommon(translator(t, lang)), sess, api, run)
	d := &protDriver{t: t, s: s, clock: clock, msgs: make(chan tea.Msg, 64)}
	d.msg(ui.BodySizeMsg{Width: 90, Height: 40})
	return d
}

func (d *protDriver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.pending++
	go func() { d.msgs <- cmd() }()
}

func (d *protDriver) msg(msg tea.Msg) {
	s, cmd := d.s.Update(msg)
	d.s = s
	d.exec(cmd)
}

func (d *protDriver) activate() {
	s, cmd := d.s.Activate()
	d.s = s
	d.exec(cmd)
	d.settle()
}

func (d *protDriver) key(k tea.KeyPressMsg) {
	d.msg(k)
	d.settle()
}

func (d *protDriver) typ(s string) {
	for _, r := range s {
		d.key(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// until handles messages until cond holds (cond nil: until no command is
// left running).
func (d *protDriver) until(what string, cond func(m protectStep) bool) protectStep {
	d.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if cond != nil && cond(d.s.(protectStep)) {
			return d.s.(protectStep)
		}
		if d.pending == 0 {
			if cond == nil {
				return d.s.(protectStep)
			}
			d.t.Fatalf("nothing left to run, still waiting for %s; screen:\n%s", what, d.view(90, 40))
		}
		select {
		case msg := <-d.msgs:
			d.pending--
			switch msg := msg.(type) {
			case nil, spinner.TickMsg:
			case tea.BatchMsg:
				for _, c := range msg {
					d.exec(c)
				}
			default:
				d.msg(msg)
				if d.step > 0 {
					d.clock.Advance(d.step)
				}
			}
		case <-timeout:
			d.t.Fatalf("waiting for %s; screen:\n%s", what, d.view(90, 40))
		}
	}
}

func (d *protDriver) settle() { d.until("", nil) }

func (d *protDriver) view(w, h int) string { return ansi.Strip(d.s.View(w, h)) }

var (
	protEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	protDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	protSpace = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	protEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	protRight = tea.KeyPressMsg{Code: tea.KeyRight}
	protBksp  = tea.KeyPressMsg{Code: tea.KeyBackspace}
)

// protSnapshotLine is a backup now line while its snapshot is taken.
var protSnapshotLine = regexp.MustCompile(`Back up now: \S+ +backup job: Take Snapshot · .* · \d+%`)

func protSession(t *testing.T, p *Plan) *Session {
	return &Session{Cloud: CloudPublic, Demo: true, Plan: p, PlanPath: filepath.Join(t.TempDir(), "plan.yaml"), Log: NewTranscript(nil)}
}

// The policy page lists the vault's VM policies with their schedules and
// retention in words, and recommends nothing special for standard VMs.
func TestProtectPolicyList(t *testing.T) {
	d, sess, _ := protectOn(t, 0, protVMs...)
	m := d.s.(protectStep)
	if m.read != stateReady || len(m.policies) < 2 {
		t.Fatalf("read %v, policies %+v", m.read, m.policies)
	}
	v := strings.Join(strings.Fields(d.view(200, 40)), " ")
	for _, want := range []string{"DefaultPolicy", "EnhancedPolicy", "daily at 22:30 (UTC)", "every 4 hours from 08:00 (UTC)",
		"daily points 30 days", "+ Create a new policy", "(•) DefaultPolicy"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, d.view(200, 40))
		}
	}
	if !d.s.Complete() {
		t.Error("Protect is optional: Next must go on while nothing runs")
	}
	if sess.Plan.Protect.Enabled {
		t.Error("choosing must not change the plan before the review")
	}
}

// Without the vault (Apply has not created it), the step says so and lets
// Next go on to the Summary.
func TestProtectWithoutVault(t *testing.T) {
	clock := newProtClock()
	_, api := simClient(t, 0, clock.Now, nil)
	p := protPlan(t, api, "web-prod-01")
	p.Vault = PlanVault{Name: "rsv-weu-later", ResourceGroup: "rg-backup-later", Location: "westeurope", Create: true}
	sess := protSession(t, p)
	tr := translator(t, "en")
	d := newProtModel(t, "en", sess, api, clock)
	d.activate()
	v := strings.Join(strings.Fields(d.view(100, 30)), " ")
	for _, want := range []string{"does not exist in the resource group rg-backup-later yet", "Protecting is optional"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	if !d.s.Complete() || len(d.s.Keys()) != 0 {
		t.Errorf("complete %v keys %v", d.s.Complete(), d.s.Keys())
	}
	d.key(protEnter)
	if d.s.(protectStep).page != protPolicies || sess.Plan.Protect.Enabled {
		t.Error("enter must do nothing without a vault")
	}
	_ = tr
}

// openProtForm walks from the policy list to the new policy's form.
func openProtForm(t *testing.T, d *protDriver) {
	t.Helper()
	m := d.s.(protectStep)
	for i := m.cursor; i < len(m.policies); i++ {
		d.key(protDown)
	}
	d.key(protEnter)
	if d.s.(protectStep).page != protForm || !d.s.Capturing() {
		t.Fatalf("enter on the last row should open the form with the name focused:\n%s", d.view(90, 40))
	}
}

// The new policy's form checks each field as it is typed and says why in
// words; a bad time is refused, a good one accepted, and the policy is
// created in the vault when the review is confirmed.
func TestProtectNewPolicyForm(t *testing.T) {
	d, sess, api := protectOn(t, 0, "web-prod-01")
	openProtForm(t, d)
	for range 20 {
		d.key(protBksp)
	}
	d.typ("DefaultPolicy")
	if v := d.view(120, 40); !strings.Contains(v, "The vault already has a policy named DefaultPolicy") {
		t.Errorf("a name of an existing policy must be refused:\n%s", v)
	}
	for range 20 {
		d.key(protBksp)
	}
	d.typ("Nightly-Tokyo")
	d.key(protEnter) // type
	d.key(protEnter) // frequency
	d.key(protRight) // weekly
	if !d.s.(protectStep).form.weekly() {
		t.Fatal("right on the frequency should make the policy weekly")
	}
	d.key(protEnter) // time
	for range 5 {
		d.key(protBksp)
	}
	d.typ("23:15")
	v := strings.Join(strings.Fields(d.view(120, 40)), " ")
	if !strings.Contains(v, `"23:15" is not a start time`) {
		t.Errorf("a time off the half hour must be refused, in words:\n%s", d.view(120, 40))
	}
	d.key(protEnter) // days
	d.key(protEnter) // zone
	d.key(protEnter) // retention
	d.key(protEnter) // instant
	d.key(protEnter) // use
	d.key(protEnter) // refused: the cursor goes back to the time
	m := d.s.(protectStep)
	if m.page != protForm || m.form.row != rowTime || !strings.Contains(d.view(120, 40), "Some fields are not valid yet") {
		t.Fatalf("use with a bad time must stay on the form at the time field; row %d:\n%s", m.form.row, d.view(120, 40))
	}
	d.key(protBksp)
	d.key(protBksp)
	d.typ("00")
	if v := d.view(120, 40); strings.Contains(v, "is not a start time") {
		t.Errorf("23:00 is a good time:\n%s", v)
	}
	d.key(protEnter) // days: Sunday is on; add Wednesday
	d.key(protRight)
	d.key(protRight)
	d.key(protRight)
	d.key(protSpace)
	d.key(protEnter) // zone: pick Tokyo Standard Time
	for d.s.(protectStep).form.zone != indexOf(PolicyTimeZones, "Tokyo Standard Time") {
		d.key(protRight)
	}
	for range 4 {
		d.key(protEnter)
	}
	if d.s.(protectStep).page != protOptions {
		t.Fatalf("a valid form should lead to the options:\n%s", d.view(120, 40))
	}
	d.key(protSpace) // no backup now
	d.key(protEnter)
	m = d.until("the review", func(m protectStep) bool { return m.rstate == stateReady })
	np := sess.Plan.Protect.NewPolicy
	if !sess.Plan.Protect.Enabled || sess.Plan.Protect.Policy != "Nightly-Tokyo" || np == nil || np.Frequency != FrequencyWeekly ||
		fmt.Sprint(np.Weekdays) != "[Wednesday Sunday]" || np.TimeZone != "Tokyo Standard Time" || np.Time != "23:00" || np.RetentionWeeks != 12 {
		t.Fatalf("the review should put the new policy into the plan: %+v %+v", sess.Plan.Protect, np)
	}
	if c := m.changes[0]; c.Action != ActionPolicy || c.Kind != Create {
		t.Errorf("first change: %+v", c)
	}
	d.step = time.Second
	d.key(protEnter)
	d.until("the run's end", func(m protectStep) bool { return m.phase == protectFinished })
	ps, err := api.Policies(t.Context(), simVaultWEU)
	if err != nil {
		t.Fatal(err)
	}
	var got *azure.Policy
	for i := range ps {
		if ps[i].Name == "Nightly-Tokyo" {
			got = &ps[i]
		}
	}
	if got == nil || ScheduleText(translator(t, "en"), *got) != "weekly on Wednesday, Sunday at 23:00 (Tokyo Standard Time)" || got.WeeklyWeeks != 12 {
		t.Errorf("the policy in the vault: %+v", got)
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// Confirming protects the VMs and takes a first backup, followed until its
// snapshot is taken as the clock moves; the plan file is saved again with
// its protect section, the run recorded in the session and the transcript.
func TestProtectRunFollowsTheBackup(t *testing.T) {
	d, sess, api := protectOn(t, time.Minute, protVMs...)
	d.key(protEnter) // DefaultPolicy
	m := d.s.(protectStep)
	if m.page != protOptions || !m.backupNow {
		t.Fatalf("enter on a policy should lead to the options, backup now on:\n%s", d.view(90, 40))
	}
	v := strings.Join(strings.Fields(d.view(120, 40)), " ")
	for _, want := range []string{"web-prod-01 turn on backup with DefaultPolicy, back up now", "crm-eastus-01 protected elsewhere (vault rsv-eus-prod): left alone"} {
		if !strings.Contains(v, want) {
			t.Errorf("options: missing %q:\n%s", want, d.view(120, 40))
		}
	}
	d.key(protDown) // retain days
	d.key(protBksp)
	d.key(protBksp)
	d.typ("0")
	if !strings.Contains(d.view(120, 40), "Keep it 1 to 99 days") {
		t.Errorf("0 days must be refused:\n%s", d.view(120, 40))
	}
	d.key(protEnter)
	if d.s.(protectStep).page != protOptions {
		t.Fatal("the review must not open with a bad retention")
	}
	d.key(protBksp)
	d.typ("14")
	d.key(protEnter)
	m = d.until("the review", func(m protectStep) bool { return m.rstate == stateReady })
	if _, err := os.Stat(sess.PlanPath); err == nil {
		t.Fatal("nothing is written before the confirm")
	}
	if g := m.confirmGate(); g != "" {
		t.Fatalf("the review should be confirmable: %s\n%s", g, d.view(120, 40))
	}
	for _, id := range sess.Plan.VMs[:2] {
		if it, err := api.ProtectedItem(t.Context(), simVaultWEU, id); err != nil || it != nil {
			t.Fatalf("nothing may be protected before the confirm: %v %v", it, err)
		}
	}
	d.step = 2 * time.Second
	d.msg(protEnter)
	// The run shows each VM's phases (the vault discovers VMs only when it
	// does not know them yet), then the backup job's snapshot phase with
	// its percent while it runs.
	var phases []string
	d.until("the snapshot phase", func(m protectStep) bool {
		v := ansi.Strip(m.View(120, 40))
		for _, p := range []string{"asking Azure Backup whether the VM can be protected", "turning on protection"} {
			if strings.Contains(v, p) && !slices.Contains(phases, p) {
				phases = append(phases, p)
			}
		}
		return m.phase == protectRunning && protSnapshotLine.MatchString(v)
	})
	if len(phases) != 2 {
		t.Errorf("phases seen: %q", phases)
	}
	if !d.s.(protectStep).InFlight() || d.s.Complete() {
		t.Error("while the run goes on the shell must ask before quitting and refuse Next")
	}
	m = d.until("the run's end", func(m protectStep) bool { return m.phase == protectFinished })
	o := *m.out
	if o.Failed() || o.Interrupted {
		t.Fatalf("outcome %v %v\n%s", o.States, o.Errs, d.view(120, 60))
	}
	for i, c := range m.runList {
		if (c.Action == ActionProtect || c.Action == ActionBackupNow) && o.States[i] != RunDone {
			t.Errorf("%s %s: %s", c.Action, lastSegment(c.Target), o.States[i])
		}
	}
	for _, id := range sess.Plan.VMs[:2] {
		it, err := api.ProtectedItem(t.Context(), simVaultWEU, id)
		if err != nil || it == nil || it.PolicyName != "DefaultPolicy" {
			t.Errorf("%s: protected item %+v %v", lastSegment(id), it, err)
		}
	}
	// The snapshot is done: the job goes on transferring to the vault.
	for i, c := range m.runList {
		if c.Action != ActionBackupNow {
			continue
		}
		job, err := api.BackupJob(t.Context(), simVaultWEU, o.Details[i])
		if err != nil || !strings.EqualFold(job.Status, "InProgress") {
			t.Errorf("%s: the job should still be transferring: %+v %v", lastSegment(c.Target), job, err)
		}
	}
	v = strings.Join(strings.Fields(d.view(120, 60)), " ")
	for _, want := range []string{"4 done", "copies to the vault go on in Azure for hours", "backupready apply --plan " + sess.PlanPath + " --yes"} {
		if !strings.Contains(v, want) {
			t.Errorf("finished: missing %q:\n%s", want, d.view(120, 60))
		}
	}
	data, err := os.ReadFile(sess.PlanPath)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := DecodePlan(data, sess.PlanPath)
	if err != nil {
		t.Fatal(err)
	}
	if pr := saved.Protect; !pr.Enabled || pr.Policy != "DefaultPolicy" || !pr.BackupNow || pr.RetainDays != 14 {
		t.Errorf("saved plan's protect section: %+v", pr)
	}
	if len(sess.Runs) != 1 || sess.Runs[0].Phase != "protect" || len(sess.Runs[0].Changes) != len(m.runList) {
		t.Errorf("runs: %+v", sess.Runs)
	}
	var log []string
	for _, l := range sess.Log.Lines() {
		if l.Step == "protect" {
			log = append(log, l.Text)
		}
	}
	if len(log) < 4 || !strings.HasPrefix(log[0], "Protect confirmed: policy DefaultPolicy") || !strings.HasPrefix(log[len(log)-1], "Protect finished: 4 done") {
		t.Errorf("transcript:\n%s", strings.Join(log, "\n"))
	}
	j, err := OpenJournal(sess.PlanPath + JournalSuffix)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if last, ok := j.Last(ActionBackupNow, sess.Plan.VMs[0]); !ok || last.State != JournalDone {
		t.Errorf("journal: %+v", last)
	}
	// Protecting again: the planner sees the VMs protected and the first
	// backups taken (from the journal): nothing left to do.
	d.key(tea.KeyPressMsg{Code: 'r', Text: "r"})
	d.until("the policies read again", func(m protectStep) bool { return m.read == stateReady && m.phase == protectChoosing })
	d.key(protEnter)
	d.key(protEnter)
	m = d.until("the review again", func(m protectStep) bool { return m.rstate == stateReady })
	if g := m.confirmGate(); g != "protect.gate.nothing" {
		t.Errorf("a second protect should have nothing to do, gate %q:\n%s", g, d.view(120, 40))
	}
}

// Back leaves the review without changing the plan: the plan's protect
// section is what it was before.
func TestProtectBackUndoesTheReview(t *testing.T) {
	d, sess, _ := protectOn(t, 0, protVMs...)
	d.key(protEnter)
	d.key(protEnter)
	d.until("the review", func(m protectStep) bool { return m.rstate == stateReady })
	if !sess.Plan.Protect.Enabled {
		t.Fatal("the review shows the plan with its protect section")
	}
	s, _, handled := d.s.Back()
	d.s = s
	d.settle()
	if !handled || d.s.(protectStep).page != protOptions || sess.Plan.Protect.Enabled {
		t.Errorf("back from the review: handled %v page %v protect %+v", handled, d.s.(protectStep).page, sess.Plan.Protect)
	}
	d.key(protEnter)
	d.until("the review", func(m protectStep) bool { return m.rstate == stateReady })
	s, _ = d.s.Deactivate()
	d.s = s
	d.settle()
	if sess.Plan.Protect.Enabled {
		t.Error("leaving the step unconfirmed must leave the plan as it was")
	}
}

// ---- screens ----

// newProtectHarness runs a shell with the steps before Protect done,
// Protect on the given session, and the Summary not built.
func newProtectHarness(t *testing.T, api ApplyAPI, lang string, sess *Session, run RunOptions, w, h int) *harness {
	t.Helper()
	return newStepHarness(t, lang, "protect", w, h, func(c *ui.Common) ui.Step { return newProtectStep(c, sess, api, run) }, nil)
}

// fixedRun is the run settings of the goldens: a clock that never moves
// (operations of the simulator finish at once) and fast polls.
func fixedRun(clock *protClock) RunOptions {
	return RunOptions{PollEvery: time.Millisecond, RetryBase: time.Millisecond, Now: clock.Now}
}

func TestProtectPolicies(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		clock := newProtClock()
		_, api := simClient(t, 0, clock.Now, nil)
		sess := protSession(t, protPlan(t, api, protVMs...))
		hs := newProtectHarness(t, api, lang, sess, fixedRun(clock), w, h)
		hs.waitFor("the policies", func(s snapshot) bool { return strings.Contains(s.view, "EnhancedPolicy") && settled(s) })
		golden.RequireEqual(t, hs.final())
	})
}

// The review and the finished run show the plan's path: their goldens run
// in a directory of their own with a relative path, one at a time
// (t.Chdir), and are compared back in the package's directory.
func protectInTemp(t *testing.T, f func(t *testing.T, lang string, w, h int) string) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			for _, lang := range ui.Languages {
				t.Run(lang, func(t *testing.T) {
					t.Chdir(t.TempDir())
					out := f(t, lang, sz.w, sz.h)
					t.Chdir(wd)
					golden.RequireEqual(t, out)
				})
			}
		})
	}
}

// toProtectReview runs Protect on the demo plan, saved as plan.yaml in the
// working directory, and goes on to its review with the policy and the
// options the step offers first.
func toProtectReview(t *testing.T, lang string, w, h int) (*harness, *ui.Translator) {
	t.Helper()
	tr := translator(t, lang)
	clock := newProtClock()
	_, api := simClient(t, 0, clock.Now, nil)
	sess := protSession(t, protPlan(t, api, protVMs...))
	sess.PlanPath = "plan.yaml"
	hs := newProtectHarness(t, api, lang, sess, fixedRun(clock), w, h)
	hs.waitFor("the policies", func(s snapshot) bool { return strings.Contains(s.view, "EnhancedPolicy") && settled(s) })
	hs.enter()
	hs.waitText(tr.T("protect.options.heading", "Policy", "DefaultPolicy"))
	hs.enter()
	hs.waitFor("the review", func(s snapshot) bool {
		return strings.Contains(s.view, tr.T("change.kind.create")+" 4") && settled(s)
	})
	return hs, tr
}

func TestProtectReview(t *testing.T) {
	protectInTemp(t, func(t *testing.T, lang string, w, h int) string {
		hs, _ := toProtectReview(t, lang, w, h)
		return hs.final()
	})
}

func TestProtectRun(t *testing.T) {
	protectInTemp(t, func(t *testing.T, lang string, w, h int) string {
		hs, tr := toProtectReview(t, lang, w, h)
		hs.enter()
		hs.waitFor("the finished run", func(s snapshot) bool {
			return strings.Contains(s.view, tr.T("protect.heading.finished", "Vault", "rsv-weu-prod")) && s.complete
		})
		return hs.final()
	})
}

// Every page keeps inside the window down to 60×16, in Japanese.
func TestProtectSmallWindows(t *testing.T) {
	t.Chdir(t.TempDir())
	clock := newProtClock()
	_, api := simClient(t, 0, clock.Now, nil)
	sess := protSession(t, protPlan(t, api, protVMs...))
	sess.PlanPath = "plan.yaml"
	hs := newProtectHarness(t, api, "ja", sess, fixedRun(clock), 60, 16)
	check := func(what string) {
		for _, sz := range []struct{ w, h int }{{60, 16}, {61, 17}, {80, 24}, {120, 40}, {60, 16}} {
			hs.resize(sz.w, sz.h)
			s := hs.waitFor(what, func(s snapshot) bool { return len(strings.Split(s.view, "\n")) == sz.h && settled(s) })
			checkSize(t, s.view, sz.w, sz.h)
		}
	}
	hs.waitFor("the policies", func(s snapshot) bool { return strings.Contains(s.view, "EnhancedPolicy") && settled(s) })
	check("the policies")
	hs.key(tea.KeyEnd)
	hs.enter()
	hs.waitFor("the form", func(s snapshot) bool { return s.capturing })
	check("the form")
	hs.esc()
	hs.key(tea.KeyHome)
	hs.enter()
	check("the options")
	hs.enter()
	check("the review")
	hs.enter()
	hs.waitFor("the run's end", func(s snapshot) bool { return strings.Contains(s.view, "rsv-weu-prod") && s.complete && settled(s) })
	check("the finished run")
}

// tlAPI is the simulated tenant with web-prod-01 made a Trusted Launch VM:
// it can be protected only by an Enhanced policy.
type tlAPI struct{ *azure.Client }

func (a tlAPI) Inventory(ctx context.Context, subs []string, progress func(azure.InventoryProgress)) (*azure.Inventory, error) {
	inv, err := a.Client.Inventory(ctx, subs, progress)
	if inv != nil {
		for i := range inv.VMs {
			if inv.VMs[i].Name == "web-prod-01" {
				inv.VMs[i].SecurityType = "TrustedLaunch"
			}
		}
	}
	return inv, err
}

// A Trusted Launch VM in the plan: Enhanced is recommended and chosen
// first, Standard policies are marked unsuitable (and refused) with why,
// and the one-way move to Enhanced is said.
func TestProtectRecommendsEnhanced(t *testing.T) {
	clock := newProtClock()
	_, cl := simClient(t, 0, clock.Now, nil)
	api := tlAPI{cl}
	sess := protSession(t, protPlan(t, api, protVMs...))
	d := newProtModel(t, "en", sess, api, clock)
	d.activate()
	m := d.s.(protectStep)
	if m.choice != "EnhancedPolicy" {
		t.Errorf("the Enhanced policy should be chosen first, got %q", m.choice)
	}
	v := strings.Join(strings.Fields(d.view(200, 40)), " ")
	for _, want := range []string{"An Enhanced policy is needed: web-prod-01 (Trusted Launch).", "✗ Standard",
		"Enhanced is one way: a VM moved from a Standard to an Enhanced policy can never move back"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, d.view(200, 40))
		}
	}
	d.key(tea.KeyPressMsg{Code: tea.KeyUp})
	v = strings.Join(strings.Fields(d.view(200, 40)), " ")
	if !strings.Contains(v, "Not for these VMs: only an Enhanced policy can protect web-prod-01 (Trusted Launch).") {
		t.Errorf("DefaultPolicy should say why it does not fit:\n%s", d.view(200, 40))
	}
	d.key(protEnter)
	if m := d.s.(protectStep); m.page != protPolicies || m.choice != "EnhancedPolicy" {
		t.Errorf("a Standard policy must be refused: page %v choice %q", m.page, m.choice)
	}
	if v := strings.Join(strings.Fields(d.view(200, 40)), " "); !strings.Contains(v, "DefaultPolicy is a Standard policy, and some of the plan's VMs") {
		t.Errorf("the refusal should say why:\n%s", d.view(200, 40))
	}
	// A new policy starts as Enhanced.
	d.key(protDown)
	d.key(protDown)
	d.key(protEnter)
	if f := d.s.(protectStep).form; policyTypes[f.typ] != PolicyEnhanced {
		t.Errorf("the new policy should start Enhanced: %s", policyTypes[f.typ])
	}
}

// A failed backup asks what to do (retry, skip or stop, forwarded to the
// run view); the finished run explains the failure.
func TestProtectFailureAsks(t *testing.T) {
	d, sess, _ := protectOn(t, 0, "app-noagent-01")
	d.key(protEnter)
	d.key(protEnter)
	d.until("the review", func(m protectStep) bool { return m.rstate == stateReady })
	d.msg(protEnter)
	m := d.until("the question", func(m protectStep) bool { return m.view.Asking() })
	if !slicesHasKey(m.Keys(), "r") || !slicesHasKey(m.Keys(), "s") || !slicesHasKey(m.Keys(), "x") || !m.InFlight() {
		t.Fatalf("keys while asking: %v", m.Keys())
	}
	if v := strings.Join(strings.Fields(d.view(120, 40)), " "); !strings.Contains(v, "Press r to try this change again") {
		t.Errorf("the question should be on screen:\n%s", d.view(120, 40))
	}
	d.msg(tea.KeyPressMsg{Code: 's', Text: "s"})
	m = d.until("the run's end", func(m protectStep) bool { return m.phase == protectFinished })
	if m.out.Count(RunSkipped) == 0 {
		t.Errorf("the failed change should be skipped: %v", m.out.States)
	}
	if len(sess.Runs) != 1 || sess.Runs[0].Phase != "protect" {
		t.Errorf("runs: %+v", sess.Runs)
	}
	var what string
	for _, e := range m.out.Errs {
		if e != nil {
			what, _, _ = Explain(e).Text(translator(t, "en"))
		}
	}
	v := strings.Join(strings.Fields(d.view(100, 60)), " ")
	if what == "" || !strings.Contains(v, strings.Join(strings.Fields(what), " ")) || !strings.Contains(v, "1 change was not made") {
		t.Errorf("the finished run should explain the failure (%s):\n%s", what, d.view(100, 60))
	}
}
