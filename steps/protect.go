package steps

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/google/renameio/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 8, protect (optional): the guide's next step. The user picks one of
// the vault's backup policies (or describes a new one), chooses whether to
// take a first backup now, and confirms a short review of its own; only then
// does anything change in Azure. The choices go into the plan's protect
// section, which is saved again, so that `backupready apply --plan FILE
// --yes` replays the preparation and the protection in one run; the run is
// recorded in the same journal as Apply's.
//
// Protect is optional: Next (tab) goes on to the Summary whenever nothing is
// running, protected or not.
//
// The decisions (which VMs need an Enhanced policy, what happens to each VM,
// schedules and retention in words, the new policy's form) are the pure
// functions at the top of this file; the screen model below only calls them.

// protectRunIDs is where the Protect step's run ids start, apart from the
// Apply step's (applyRunIDs): both steps see every run message.
const protectRunIDs = 8 << 20

type (
	// protectReadMsg: the plan's vault, its policies and the subscription's
	// VMs as Azure has them now.
	protectReadMsg struct {
		gen      int
		vault    *azure.Vault // nil: no such vault (yet)
		policies []azure.Policy
		vms      []azure.VM
		err      error
	}
	// protectLiveMsg: the plan with its protect section compared with Azure
	// (the short review's change list).
	protectLiveMsg struct {
		gen        int
		journal    *Journal // the journal beside the plan, when it exists already
		changes    []Change
		conflicts  PlanConflicts
		err        error
		journalErr error
	}
	// protectSavedMsg: the plan was saved again and the journal opened, so
	// the run may start.
	protectSavedMsg struct {
		gen     int
		path    string
		journal *Journal
		err     error
		jErr    error
	}
)

// ---- decisions ----

// EnhancedNeed says why a VM can be protected only by an Enhanced policy:
// "trusted-launch", "confidential", "disk" (with the disk's name and
// storage type), or "" when a Standard policy works too. It reads the same
// fields as the vm.security and vm.disks rules.
func EnhancedNeed(vm *azure.VM) (reason, disk, storage string) {
	switch strings.ToLower(vm.SecurityType) {
	case "trustedlaunch":
		return "trusted-launch", "", ""
	case "confidentialvm":
		return "confidential", "", ""
	}
	for _, d := range append([]azure.Disk{vm.OSDisk}, vm.DataDisks...) {
		if t := strings.ToLower(d.StorageType); strings.HasPrefix(t, "ultrassd") || strings.HasPrefix(t, "premiumv2") {
			return "disk", d.Name, d.StorageType
		}
	}
	return "", "", ""
}

// What protecting the plan's VMs does to each (ProtectVM.Kind).
const (
	VMProtect     = "protect"      // not protected: protection is turned on
	VMSame        = "same"         // protected here with the chosen policy already
	VMMove        = "move"         // protected here with another policy: moves to the chosen one
	VMMoveRefused = "move-refused" // protected here by an Enhanced policy: cannot move to a Standard one
	VMElsewhere   = "elsewhere"    // protected by another vault: left alone
	VMOtherRegion = "region"       // not in the vault's region: left alone
	VMOtherSub    = "subscription" // not in the vault's subscription: left alone
	VMMissing     = "missing"      // not found in Azure
)

// enhancedPolicy is the policy type some VMs need.
const enhancedPolicy = azure.PolicyEnhanced

// ProtectVM is what protecting does to one VM of the plan.
type ProtectVM struct {
	ID   string
	VM   *azure.VM // nil when Azure no longer has it
	Kind string
	// From is the VM's current policy (VMMove, VMMoveRefused); Vault the
	// vault protecting it elsewhere (VMElsewhere).
	From, Vault string
	// Irreversible: a move from a Standard to an Enhanced policy, which
	// cannot be undone.
	Irreversible bool
}

// Touched reports whether protecting changes or keeps this VM's protection
// (as opposed to leaving it alone).
func (v ProtectVM) Touched() bool {
	switch v.Kind {
	case VMProtect, VMSame, VMMove, VMMoveRefused:
		return true
	}
	return false
}

// PlanProtectVMs says, in the order of the plan, what protecting with the
// policy does to each of the plan's VMs, as the planner will decide it:
// vaultID is the vault's id; policyType is the chosen policy's type
// (Standard or Enhanced); types are the vault's policies' types by
// lower-cased name.
func PlanProtectVMs(p *Plan, vms map[string]*azure.VM, vaultID, policy, policyType string, types map[string]string) []ProtectVM {
	out := make([]ProtectVM, 0, len(p.VMs))
	region := azure.NormalizeLocation(p.Vault.Location)
	for _, id := range p.VMs {
		vm := vms[strings.ToLower(id)]
		v := ProtectVM{ID: id, VM: vm}
		switch {
		case vm == nil:
			v.Kind = VMMissing
		case vm.Protection != nil && !strings.EqualFold(cmp.Or(vm.Protection.VaultID, azure.VaultIDOf(vm.Protection.ItemID)), vaultID):
			v.Kind, v.Vault = VMElsewhere, lastSegment(cmp.Or(vm.Protection.VaultID, azure.VaultIDOf(vm.Protection.ItemID)))
		case vm.Protection != nil && strings.EqualFold(vm.Protection.PolicyName, policy):
			v.Kind = VMSame
		case vm.Protection != nil:
			v.From = vm.Protection.PolicyName
			from := types[strings.ToLower(v.From)]
			switch {
			case from == enhancedPolicy && policyType != enhancedPolicy:
				v.Kind = VMMoveRefused
			default:
				v.Kind = VMMove
				v.Irreversible = from != "" && from != enhancedPolicy && policyType == enhancedPolicy
			}
		case azure.NormalizeLocation(vm.Location) != region:
			v.Kind = VMOtherRegion
		case !strings.EqualFold(vm.SubscriptionID, p.Subscription):
			v.Kind = VMOtherSub
		default:
			v.Kind = VMProtect
		}
		out = append(out, v)
	}
	return out
}

// protectActions are the planner's actions the Protect step carries out.
func protectAction(action string) bool {
	switch action {
	case ActionPolicy, ActionProtect, ActionBackupNow:
		return true
	}
	return false
}

// ProtectionChanges keeps the changes of the protection phase: the backup
// policy, the VMs' protection and their first backups.
func ProtectionChanges(cs []Change) []Change {
	out := make([]Change, 0, len(cs))
	for _, c := range cs {
		if protectAction(c.Action) {
			out = append(out, c)
		}
	}
	return out
}

// PreparationPending counts the changes of the preparation (Apply's part)
// that are still to make: protecting before them would lock the vault's
// redundancy as it is.
func PreparationPending(cs []Change) int {
	n := 0
	for _, c := range cs {
		if !protectAction(c.Action) && (c.Kind == Create || c.Kind == Modify) {
			n++
		}
	}
	return n
}

// DefaultPolicyChoice is the policy the step starts with: the plan's, when
// the vault has it; else an Enhanced policy when a VM needs one; else
// DefaultPolicy; else the first.
func DefaultPolicyChoice(ps []azure.Policy, planned string, needEnhanced bool) int {
	if planned != "" {
		if i := slices.IndexFunc(ps, func(p azure.Policy) bool { return strings.EqualFold(p.Name, planned) }); i >= 0 {
			return i
		}
	}
	if needEnhanced {
		if i := slices.IndexFunc(ps, func(p azure.Policy) bool { return p.Type == enhancedPolicy }); i >= 0 {
			return i
		}
	}
	if i := slices.IndexFunc(ps, func(p azure.Policy) bool { return strings.EqualFold(p.Name, "DefaultPolicy") }); i >= 0 {
		return i
	}
	if len(ps) > 0 {
		return 0
	}
	return -1
}

// ScheduleText says when a policy runs, in words: "daily at 22:30 (UTC)",
// "weekly on Sunday, Wednesday at 23:00 (Tokyo Standard Time)", "every 4
// hours from 08:00 (UTC)".
func ScheduleText(tr *ui.Translator, p azure.Policy) string {
	zone := cmp.Or(p.TimeZone, "UTC")
	times := strings.Join(p.Times, ", ")
	if times == "" {
		times = "—"
	}
	switch p.Frequency {
	case azure.FrequencyDaily:
		return tr.T("protect.sched.daily", "Times", times, "Zone", zone)
	case azure.FrequencyWeekly:
		return tr.T("protect.sched.weekly", "Days", dayList(tr, p.Weekdays), "Times", times, "Zone", zone)
	case azure.FrequencyHourly:
		return tr.T("protect.sched.hourly", "N", p.HourlyInterval, "From", times, "Zone", zone)
	case "":
		return "—"
	}
	return p.Frequency
}

// dayList names weekdays in the user's language, in the order given.
func dayList(tr *ui.Translator, days []string) string {
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = dayName(tr, d)
	}
	return strings.Join(names, tr.T("protect.sep"))
}

func dayName(tr *ui.Translator, d string) string {
	c := canonicalOr(policyWeekdays, d, d)
	if contains(policyWeekdays, c) {
		return tr.T("protect.day." + c)
	}
	return d
}

// RetentionText says how long a policy keeps its recovery points, in
// words: "daily points 30 days · weekly 12 weeks · monthly 60 months".
func RetentionText(tr *ui.Translator, p azure.Policy) string {
	var parts []string
	for _, r := range []struct {
		key string
		n   int
	}{{"protect.ret.daily", p.DailyDays}, {"protect.ret.weekly", p.WeeklyWeeks}, {"protect.ret.monthly", p.MonthlyMonths}, {"protect.ret.yearly", p.YearlyYears}} {
		if r.n > 0 {
			parts = append(parts, tr.T(r.key, "N", r.n))
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " · ")
}

// policyTypeWord is a policy type in the user's language.
func policyTypeWord(tr *ui.Translator, t string) string {
	switch t {
	case azure.PolicyStandard, azure.PolicyEnhanced:
		return tr.T("protect.type." + t)
	case "":
		return "—"
	}
	return t
}

// ---- the new policy's form ----

// Rows of the new policy's form.
const (
	rowName = iota
	rowType
	rowFreq
	rowTime
	rowDays
	rowZone
	rowRetention
	rowInstant
	rowUse
)

// policyForm is the new policy's form: text fields, pickers and the
// weekdays, validated as typed.
type policyForm struct {
	row                         int
	name, time, retain, instant ui.Field
	typ, freq, zone             int // into policyTypes, policyFrequencies, PolicyTimeZones
	days                        [7]bool
	day                         int // the weekday under the cursor (Monday first)
	edited                      bool
	lastInstantDefault          int // the instant restore days the form filled in itself
	lastRetainDaily, lastWeekly string
}

func newPolicyForm(name string, enhanced bool) policyForm {
	f := policyForm{}
	f.name.SetValue(name)
	f.time.SetValue("22:30")
	f.retain.SetValue("30")
	f.lastRetainDaily, f.lastWeekly = "30", "12"
	if enhanced {
		f.typ = 1
	}
	f.days[6] = true // Sunday
	f.day = 6
	f.fillInstant()
	return f
}

// rows are the form's rows: the weekdays only for a weekly policy.
func (f policyForm) rows() []int {
	out := []int{rowName, rowType, rowFreq, rowTime}
	if f.weekly() {
		out = append(out, rowDays)
	}
	return append(out, rowZone, rowRetention, rowInstant, rowUse)
}

func (f policyForm) weekly() bool { return policyFrequencies[f.freq] == FrequencyWeekly }

func (f policyForm) text(row int) bool {
	switch row {
	case rowName, rowTime, rowRetention, rowInstant:
		return true
	}
	return false
}

func (f *policyForm) field(row int) *ui.Field {
	switch row {
	case rowName:
		return &f.name
	case rowTime:
		return &f.time
	case rowRetention:
		return &f.retain
	case rowInstant:
		return &f.instant
	}
	return nil
}

// focus gives the keyboard to the text field under the cursor.
func (f *policyForm) focus() {
	for _, r := range []int{rowName, rowTime, rowRetention, rowInstant} {
		if r == f.row {
			f.field(r).Focus()
		} else {
			f.field(r).Blur()
		}
	}
}

func (f *policyForm) blur() {
	for _, r := range []int{rowName, rowTime, rowRetention, rowInstant} {
		f.field(r).Blur()
	}
}

// fillInstant puts the default instant restore days of the type and
// frequency into the field, unless the user typed another number.
func (f *policyForm) fillInstant() {
	def := PlanPolicy{Type: policyTypes[f.typ], Frequency: policyFrequencies[f.freq]}.Normalized().InstantRestoreDays
	if v := strings.TrimSpace(f.instant.Value()); v == "" || v == strconv.Itoa(f.lastInstantDefault) {
		f.instant.SetValue(strconv.Itoa(def))
	}
	f.lastInstantDefault = def
}

// switchFreq swaps the retention field between days and weeks, keeping
// what was typed for each.
func (f *policyForm) switchFreq(to int) {
	if to == f.freq {
		return
	}
	if f.weekly() {
		f.lastWeekly = f.retain.Value()
		f.retain.SetValue(f.lastRetainDaily)
	} else {
		f.lastRetainDaily = f.retain.Value()
		f.retain.SetValue(f.lastWeekly)
	}
	f.freq = to
	f.fillInstant()
}

// number reads a whole number; ok=false when the text is not one ("" is 0).
func number(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// policy is the form as a PlanPolicy (numbers that do not parse are 0).
func (f policyForm) policy() PlanPolicy {
	p := PlanPolicy{Type: policyTypes[f.typ], Frequency: policyFrequencies[f.freq], Time: strings.TrimSpace(f.time.Value()),
		TimeZone: PolicyTimeZones[f.zone]}
	if f.weekly() {
		for i, on := range f.days {
			if on {
				p.Weekdays = append(p.Weekdays, policyWeekdays[i])
			}
		}
		p.RetentionWeeks, _ = number(f.retain.Value())
	} else {
		p.RetentionDays, _ = number(f.retain.Value())
	}
	p.InstantRestoreDays, _ = number(f.instant.Value())
	return p.Normalized()
}

// FormIssue is why a field of the new policy's form is refused: a catalog
// key and its arguments.
type FormIssue struct {
	Key  string
	Args []any
}

// goodPolicy is a valid policy of the form's type and frequency, used to
// check one field at a time: every field but the one checked is replaced by
// a good value, so that each field shows its own reason.
func goodPolicy(p PlanPolicy) PlanPolicy {
	g := PlanPolicy{Type: p.Type, Frequency: p.Frequency, Time: "22:30", TimeZone: "UTC"}
	if p.Frequency == FrequencyWeekly {
		g.Weekdays, g.RetentionWeeks = []string{"Sunday"}, 12
	} else {
		g.RetentionDays = 30
	}
	return g.Normalized()
}

// formReason turns a ValidatePlanPolicy reason into the form's catalog key:
// the plan file's messages speak of YAML keys, the form's of its fields.
func formReason(reason string) string {
	return "protect.form.err." + strings.TrimPrefix(reason, "plan.err.policy.")
}

// PolicyFormIssues checks each field of a new policy as typed: the name
// (ValidatePolicyName, and no clash with the vault's policies, whatever the
// case), then every setting with ValidatePlanPolicy, one field at a time.
// The result is keyed by ValidatePlanPolicy's field names plus "name"; a
// field missing from it is fine.
func PolicyFormIssues(name, retain, instant string, p PlanPolicy, existing []azure.Policy) map[string]FormIssue {
	out := map[string]FormIssue{}
	if r := ValidatePolicyName(name); r != "" {
		out["name"] = FormIssue{Key: "plan.err.policy-name." + r, Args: []any{"Got", name}}
	} else if i := slices.IndexFunc(existing, func(x azure.Policy) bool { return strings.EqualFold(x.Name, name) }); i >= 0 {
		out["name"] = FormIssue{Key: "protect.form.err.name-taken", Args: []any{"Name", existing[i].Name}}
	}
	p = p.Normalized()
	good := goodPolicy(p)
	check := func(field string, q PlanPolicy) {
		if f, r := ValidatePlanPolicy(q); f == field && r != "" {
			out[field] = FormIssue{Key: formReason(r), Args: PlanPolicyArgs(q, f)}
		}
	}
	q := good
	q.Time = p.Time
	check("time", q)
	q = good
	q.Weekdays = p.Weekdays
	check("weekdays", q)
	q = good
	q.TimeZone = p.TimeZone
	check("timeZone", q)
	retField := "retentionDays"
	if p.Frequency == FrequencyWeekly {
		retField = "retentionWeeks"
	}
	if _, ok := number(retain); !ok {
		out[retField] = FormIssue{Key: "protect.form.err.number"}
	} else {
		q = good
		q.RetentionDays, q.RetentionWeeks = p.RetentionDays, p.RetentionWeeks
		check(retField, q)
	}
	if _, ok := number(instant); !ok {
		out["instantRestoreDays"] = FormIssue{Key: "protect.form.err.number"}
	} else {
		q = good
		q.InstantRestoreDays = p.InstantRestoreDays
		check("instantRestoreDays", q)
		// Azure refuses snapshots kept longer than the daily points.
		if _, bad := out["instantRestoreDays"]; !bad && p.Frequency == FrequencyDaily && out[retField].Key == "" &&
			p.RetentionDays > 0 && p.InstantRestoreDays > p.RetentionDays {
			out["instantRestoreDays"] = FormIssue{Key: "protect.form.err.instant-over-retention", Args: []any{"Days", p.RetentionDays, "Got", p.InstantRestoreDays}}
		}
	}
	// Whatever the one-at-a-time checks let through, the whole must pass.
	if len(out) == 0 {
		if f, r := ValidatePlanPolicy(p); r != "" {
			out[f] = FormIssue{Key: formReason(r), Args: PlanPolicyArgs(p, f)}
		}
	}
	return out
}

// issueField is the form row a ValidatePlanPolicy field is shown under.
func issueField(row int, weekly bool) string {
	switch row {
	case rowName:
		return "name"
	case rowType:
		return "type"
	case rowFreq:
		return "frequency"
	case rowTime:
		return "time"
	case rowDays:
		return "weekdays"
	case rowZone:
		return "timeZone"
	case rowRetention:
		if weekly {
			return "retentionWeeks"
		}
		return "retentionDays"
	case rowInstant:
		return "instantRestoreDays"
	}
	return ""
}

// suggestPolicyName is a name for a new policy that the vault does not
// have.
func suggestPolicyName(existing []azure.Policy) string {
	taken := func(n string) bool {
		return slices.ContainsFunc(existing, func(p azure.Policy) bool { return strings.EqualFold(p.Name, n) })
	}
	base := "VMPolicy"
	if !taken(base) {
		return base
	}
	for i := 2; ; i++ {
		if n := base + "-" + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}

// RetainIssue checks the days a first backup's recovery point is kept:
// "" when fine, else a catalog key (with Min and Max).
func RetainIssue(s string) string {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return "protect.opt.err.number"
	case n < MinRetainDays || n > MaxRetainDays:
		return "protect.opt.err.range"
	}
	return ""
}

// ---- screen ----

type protectPhase int

const (
	protectChoosing protectPhase = iota // reading Azure and making the choices
	protectRunning                      // the applier is turning protection on
	protectFinished                     // a run ended
)

type protectPage int

const (
	protPolicies protectPage = iota
	protForm
	protOptions
	protReview
)

type protectKeys struct {
	choose, create, field, change, day, use, back, toggle, review, confirm, scroll, again key.Binding
}

// protectStep is the screen model of step 8.
type protectStep struct {
	c    *ui.Common
	sess *Session
	api  ApplyAPI
	run  RunOptions
	w, h int
	spin spinner.Model
	keys protectKeys

	phase   protectPhase
	page    protectPage
	note    string // why the last action was refused, until the next key
	visited bool   // the step has been on screen

	// What Azure has, read on every activation.
	forKey   string // the plan's vault and VMs the reads and choices are about
	gen      int
	read     loadState
	readErr  error
	vault    *azure.Vault // nil: the plan's vault does not exist (yet)
	policies []azure.Policy
	vms      map[string]*azure.VM // the plan subscription's VMs, by lower-cased id

	// The choices.
	cursor    int    // policies page: over the policies, then "create"
	choice    string // the chosen existing policy ("" while creating or none)
	creating  bool   // a new policy (the form's) is chosen
	form      policyForm
	optRow    int // options page: 0 backup now, 1 retain days
	backupNow bool
	retain    ui.Field

	// The short review.
	prev      PlanProtect // the plan's protect section before the review set it
	rgen      int
	rstate    loadState
	rerr      error
	rjErr     error
	journal   *Journal
	changes   []Change // the protection phase's changes
	pending   int      // preparation changes still to make
	conflicts PlanConflicts
	offset    int
	saving    bool
	saveErr   error

	// The run.
	runs    int
	path    string // where the plan was saved
	view    runView
	runList []Change
	out     *Outcome
}

func newProtectStep(c *ui.Common, sess *Session, api ApplyAPI, run RunOptions) ui.Step {
	tr := c.Tr
	b := func(keys []string, label, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, tr.T(desc)))
	}
	m := protectStep{
		c: c, sess: sess, api: api, run: run,
		spin: ui.NewSpinner(c.Extra),
		keys: protectKeys{
			choose:  b([]string{"enter", "space"}, "enter", "protect.key.choose"),
			create:  b([]string{"enter", "space"}, "enter", "protect.key.create"),
			field:   b([]string{"enter"}, "enter/↑↓", "protect.key.field"),
			change:  b([]string{"left", "right"}, "←/→", "protect.key.change"),
			day:     b([]string{"space"}, "space", "protect.key.day"),
			use:     b([]string{"enter"}, "enter", "protect.key.use"),
			back:    b([]string{"esc"}, "esc", "protect.key.back"),
			toggle:  b([]string{"space"}, "space", "protect.key.toggle"),
			review:  b([]string{"enter"}, "enter", "protect.key.review"),
			confirm: b([]string{"enter"}, "enter", "protect.key.confirm"),
			scroll:  b([]string{"up", "down"}, "↑/↓", "protect.key.scroll"),
			again:   b([]string{"r"}, "r", "protect.key.again"),
		},
		backupNow: true,
	}
	m.retain.SetValue(strconv.Itoa(DefaultRetainDays))
	return m
}

func (m protectStep) Title() string   { return m.c.Tr.T("step.protect.title") }
func (m protectStep) Explain() string { return m.c.Tr.T("protect.why") }
func (m protectStep) Init() tea.Cmd   { return nil }

// InFlight reports protection being turned on in Azure: the shell then asks
// before quitting and refuses Back.
func (m protectStep) InFlight() bool { return m.phase == protectRunning && m.view.Running() }

// Complete whenever nothing is running, once the step has been on screen:
// protecting is optional, and the Summary says what was (not) protected.
// (Before its first visit the rail shows it as still to do.)
func (m protectStep) Complete() bool { return m.visited && m.phase != protectRunning && !m.saving }

func (m protectStep) Hint() string {
	if m.saving {
		return m.c.Tr.T("protect.hint.saving")
	}
	return m.c.Tr.T("protect.hint.running")
}

// Capturing while a text field has focus: q then types.
func (m protectStep) Capturing() bool {
	if m.phase != protectChoosing || !m.vaultReady() {
		return false
	}
	switch m.page {
	case protForm:
		f := m.form
		return f.text(f.row) && f.field(f.row).Focused()
	case protOptions:
		return m.retain.Focused()
	}
	return false
}

// planKey names the plan's vault and VMs: choices about another vault or
// other VMs start over.
func planKey(p *Plan) string {
	if p == nil {
		return ""
	}
	return strings.ToLower(PlanVaultID(p) + "\n" + p.Vault.Location + "\n" + strings.Join(p.VMs, "\n"))
}

// ready reports a plan with a vault to protect in.
func (m protectStep) ready() bool { return MissingStep(m.sess) == "" }

// Activate reads the vault, its policies and the VMs again (state is read,
// never assumed); a run in progress or finished stays on screen.
func (m protectStep) Activate() (ui.Step, tea.Cmd) {
	m.note, m.visited = "", true
	if m.phase == protectRunning {
		return m, nil
	}
	k := planKey(m.sess.Plan)
	if !m.ready() {
		m.forKey, m.read = "", stateIdle
		m.phase, m.page = protectChoosing, protPolicies
		return m, nil
	}
	if m.phase == protectFinished && k == m.forKey {
		return m, nil
	}
	// The field that had focus when the step was left has it again.
	switch {
	case m.page == protForm:
		m.form.focus()
	case m.page == protOptions && m.optRow == 1:
		m.retain.Focus()
	}
	if k != m.forKey {
		m.forKey = k
		m.phase, m.page = protectChoosing, protPolicies
		m.choice, m.creating, m.cursor = "", false, 0
		m.vault, m.policies, m.vms = nil, nil, nil
		if p := m.sess.Plan.Protect; p.Enabled {
			m.choice, m.backupNow = p.Policy, p.BackupNow
			m.retain.SetValue(strconv.Itoa(m.sess.Plan.retainDays()))
		}
	}
	return m.startRead()
}

func (m protectStep) startRead() (ui.Step, tea.Cmd) {
	m.gen++
	m.read, m.readErr = stateLoading, nil
	return m, tea.Batch(m.readAzure(m.gen), m.spin.Tick)
}

// readAzure reads the plan's vault, its VM policies and the subscription's
// VMs with their protection.
func (m protectStep) readAzure(gen int) tea.Cmd {
	api, ctx, p := m.api, m.sess.Context(), *m.sess.Plan
	return func() tea.Msg {
		v, err := api.VaultByName(ctx, p.Subscription, p.Vault.ResourceGroup, p.Vault.Name)
		if err != nil {
			return protectReadMsg{gen: gen, err: err}
		}
		msg := protectReadMsg{gen: gen, vault: v}
		if v == nil || !v.Ready() {
			return msg
		}
		if msg.policies, err = api.Policies(ctx, PlanVaultID(&p)); err != nil {
			return protectReadMsg{gen: gen, err: err}
		}
		inv, err := api.Inventory(ctx, []string{p.Subscription}, nil)
		if err != nil {
			return protectReadMsg{gen: gen, err: err}
		}
		msg.vms = inv.VMs
		return msg
	}
}

// Deactivate leaves an unconfirmed review: the plan's protect section is
// what it was, and the journal is closed.
func (m protectStep) Deactivate() (ui.Step, tea.Cmd) {
	m.note = ""
	m.form.blur()
	m.retain.Blur()
	if m.phase == protectChoosing && m.page == protReview && !m.saving {
		return m.leaveReview()
	}
	return m, nil
}

// leaveReview goes back from the review to the options, undoing what the
// review put into the plan.
func (m protectStep) leaveReview() (ui.Step, tea.Cmd) {
	m.restorePlan()
	m.rgen++
	m.page = protOptions
	j := m.journal
	m.journal = nil
	return m, closeJournal(j)
}

func (m *protectStep) restorePlan() {
	if m.sess.Plan != nil {
		p := *m.sess.Plan
		p.Protect = m.prev
		m.sess.Plan = &p
	}
}

// vmList is what protecting with the current choice does to each VM.
func (m protectStep) vmList() []ProtectVM {
	if m.sess.Plan == nil || m.vault == nil {
		return nil
	}
	types := map[string]string{}
	for _, p := range m.policies {
		types[strings.ToLower(p.Name)] = p.Type
	}
	name, typ := m.chosen()
	return PlanProtectVMs(m.sess.Plan, m.vms, m.vault.ID, name, typ, types)
}

// chosen is the chosen policy's name and type ("" when none).
func (m protectStep) chosen() (string, string) {
	if m.creating {
		return strings.TrimSpace(m.form.name.Value()), policyTypes[m.form.typ]
	}
	for _, p := range m.policies {
		if strings.EqualFold(p.Name, m.choice) {
			return p.Name, p.Type
		}
	}
	return "", ""
}

// needs lists the plan's VMs that only an Enhanced policy can protect, with
// why, in words.
func (m protectStep) needs() []string {
	tr := m.c.Tr
	var out []string
	for _, v := range m.vmList() {
		if v.VM == nil || !v.Touched() {
			continue
		}
		switch r, disk, typ := EnhancedNeed(v.VM); r {
		case "trusted-launch", "confidential":
			out = append(out, tr.T("protect.need."+r, "VM", v.VM.Name))
		case "disk":
			out = append(out, tr.T("protect.need.disk", "VM", v.VM.Name, "Disk", disk, "Type", typ))
		}
	}
	return out
}

// suitable reports whether the plan's VMs can all be protected by a policy
// of that type.
func (m protectStep) suitable(typ string) bool { return typ == enhancedPolicy || len(m.needs()) == 0 }

func (m protectStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		var cmd tea.Cmd
		m.view, cmd = m.view.Update(msg)
		return m, cmd
	case spinner.TickMsg:
		var a, b tea.Cmd
		m.spin, a = spin(m.spin, msg, m.busy())
		if m.phase == protectRunning {
			m.view, b = m.view.Update(msg)
		}
		return m, tea.Batch(a, b)
	case protectReadMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		return m.read1(msg), nil
	case protectLiveMsg:
		if msg.gen != m.rgen || m.page != protReview || m.phase != protectChoosing {
			return m, closeJournal(msg.journal)
		}
		m.journal = msg.journal
		switch {
		case msg.journalErr != nil:
			m.rstate, m.rjErr = stateFailed, msg.journalErr
		case msg.err != nil:
			m.rstate, m.rerr = stateFailed, msg.err
		default:
			m.rstate = stateReady
			m.changes, m.conflicts, m.pending = ProtectionChanges(msg.changes), msg.conflicts, PreparationPending(msg.changes)
		}
		m.offset = m.clamp(m.offset)
		return m, nil
	case protectSavedMsg:
		if msg.gen != m.rgen || !m.saving {
			return m, closeJournal(msg.journal)
		}
		m.saving = false
		if msg.err != nil || msg.jErr != nil {
			m.saveErr = cmp.Or(msg.err, msg.jErr)
			return m, nil
		}
		return m.start(msg)
	case runEventMsg, runDecideMsg, runDoneMsg:
		if m.phase != protectRunning {
			return m, nil
		}
		var cmd tea.Cmd
		m.view, cmd = m.view.Update(msg)
		if m.view.Outcome() != nil {
			s, done := m.finish()
			return s, tea.Batch(cmd, done)
		}
		return m, cmd
	case tea.KeyPressMsg:
		m.note = ""
		return m.key(msg)
	case tea.PasteMsg:
		return m.edit(msg)
	}
	return m, nil
}

func (m protectStep) busy() bool {
	return m.read == stateLoading || (m.page == protReview && m.rstate == stateLoading) || m.saving
}

// read1 takes what Azure said: the vault, its policies and the VMs; the
// choice starts at the plan's policy or the recommended one.
func (m protectStep) read1(msg protectReadMsg) protectStep {
	if msg.err != nil {
		m.read, m.readErr = stateFailed, msg.err
		return m
	}
	m.read = stateReady
	m.vault = msg.vault
	if m.vault == nil || !m.vault.Ready() {
		m.page = protPolicies
		return m
	}
	m.policies = msg.policies
	slices.SortStableFunc(m.policies, func(a, b azure.Policy) int {
		return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	m.vms = make(map[string]*azure.VM, len(msg.vms))
	for i := range msg.vms {
		m.vms[strings.ToLower(msg.vms[i].ID)] = &msg.vms[i]
	}
	if !m.creating {
		if i := slices.IndexFunc(m.policies, func(p azure.Policy) bool { return strings.EqualFold(p.Name, m.choice) }); i < 0 {
			i = DefaultPolicyChoice(m.policies, "", len(m.needs()) > 0)
			m.choice = ""
			if i >= 0 {
				m.choice = m.policies[i].Name
			}
		}
		m.cursor = max(0, slices.IndexFunc(m.policies, func(p azure.Policy) bool { return strings.EqualFold(p.Name, m.choice) }))
	} else {
		m.cursor = len(m.policies)
	}
	return m
}

// vaultReady reports that the plan's vault exists and can protect (as last
// read: while Azure is read again on a later visit, the choices stay usable).
func (m protectStep) vaultReady() bool {
	return m.read != stateFailed && m.read != stateIdle && m.vault != nil && m.vault.Ready()
}

func (m protectStep) key(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	switch m.phase {
	case protectRunning:
		var cmd tea.Cmd
		m.view, cmd = m.view.Update(km)
		return m, cmd
	case protectFinished:
		switch {
		case key.Matches(km, m.keys.again):
			m.phase, m.page, m.out = protectChoosing, protPolicies, nil
			return m.startRead()
		default:
			m.offset = m.scroll(km, m.offset)
		}
		return m, nil
	}
	if !m.ready() {
		return m, nil
	}
	if m.read == stateFailed {
		if key.Matches(km, k.Retry) {
			return m.startRead()
		}
		return m, nil
	}
	if !m.vaultReady() {
		return m, nil
	}
	switch m.page {
	case protForm:
		return m.formKey(km)
	case protOptions:
		return m.optionsKey(km)
	case protReview:
		return m.reviewKey(km)
	}
	return m.policiesKey(km)
}

func (m protectStep) policiesKey(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	if key.Matches(km, m.keys.choose) {
		if m.cursor == len(m.policies) {
			return m.openForm()
		}
		p := m.policies[m.cursor]
		if !m.suitable(p.Type) {
			m.note = m.c.Tr.T("protect.note.unsuitable", "Policy", p.Name)
			return m, nil
		}
		m.choice, m.creating = p.Name, false
		m.page, m.optRow = protOptions, 0
		return m, nil
	}
	m.cursor = move(m.c.Keys, km, m.cursor, len(m.policies)+1, m.h)
	return m, nil
}

// openForm shows the new policy's form, kept from an earlier visit.
func (m protectStep) openForm() (ui.Step, tea.Cmd) {
	if !m.form.edited {
		m.form = newPolicyForm(suggestPolicyName(m.policies), len(m.needs()) > 0)
		m.form.edited = true
	}
	m.page = protForm
	m.form.row = rowName
	m.form.focus()
	return m, nil
}

// formIssues are the form's fields refused, by ValidatePlanPolicy's names.
func (m protectStep) formIssues() map[string]FormIssue {
	f := m.form
	return PolicyFormIssues(strings.TrimSpace(f.name.Value()), f.retain.Value(), f.instant.Value(), f.policy(), m.policies)
}

func (m protectStep) formKey(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	f := &m.form
	rows := f.rows()
	at := max(0, slices.Index(rows, f.row))
	moveTo := func(i int) {
		f.row = rows[max(0, min(i, len(rows)-1))]
		f.focus()
	}
	switch {
	case key.Matches(km, m.keys.back):
		f.blur()
		m.page = protPolicies
		return m, nil
	case km.Code == tea.KeyUp:
		moveTo(at - 1)
		return m, nil
	case km.Code == tea.KeyDown:
		moveTo(at + 1)
		return m, nil
	case km.Code == tea.KeyEnter && f.row == rowUse:
		return m.useForm()
	case km.Code == tea.KeyEnter:
		moveTo(at + 1)
		return m, nil
	}
	switch f.row {
	case rowType:
		if d := pickDelta(km); d != 0 {
			f.typ = (f.typ + d + len(policyTypes)) % len(policyTypes)
			f.fillInstant()
		}
		return m, nil
	case rowFreq:
		if d := pickDelta(km); d != 0 {
			f.switchFreq((f.freq + d + len(policyFrequencies)) % len(policyFrequencies))
		}
		return m, nil
	case rowZone:
		if d := pickDelta(km); d != 0 {
			f.zone = (f.zone + d + len(PolicyTimeZones)) % len(PolicyTimeZones)
		}
		return m, nil
	case rowDays:
		switch km.Code {
		case tea.KeyLeft:
			f.day = (f.day + 6) % 7
		case tea.KeyRight:
			f.day = (f.day + 1) % 7
		case tea.KeySpace:
			f.days[f.day] = !f.days[f.day]
		}
		return m, nil
	case rowUse:
		return m, nil
	}
	return m.edit(km)
}

// pickDelta is the step a picker moves for a key: left -1, right or space +1.
func pickDelta(km tea.KeyPressMsg) int {
	switch km.Code {
	case tea.KeyLeft:
		return -1
	case tea.KeyRight, tea.KeySpace:
		return 1
	}
	return 0
}

// edit types into the focused text field.
func (m protectStep) edit(msg tea.Msg) (ui.Step, tea.Cmd) {
	if m.phase != protectChoosing {
		return m, nil
	}
	switch {
	case m.page == protForm && m.form.text(m.form.row):
		f := m.form.field(m.form.row)
		*f, _ = f.Update(msg)
	case m.page == protOptions && m.retain.Focused():
		m.retain, _ = m.retain.Update(msg)
	}
	return m, nil
}

// useForm chooses the new policy when every field is valid; otherwise the
// cursor goes to the first field refused.
func (m protectStep) useForm() (ui.Step, tea.Cmd) {
	issues := m.formIssues()
	for _, r := range m.form.rows() {
		if _, bad := issues[issueField(r, m.form.weekly())]; bad {
			m.form.row = r
			m.form.focus()
			m.note = m.c.Tr.T("protect.note.form")
			return m, nil
		}
	}
	if !m.suitable(policyTypes[m.form.typ]) {
		m.form.row = rowType
		m.form.focus()
		m.note = m.c.Tr.T("protect.note.form-standard")
		return m, nil
	}
	m.form.blur()
	m.creating, m.choice = true, ""
	m.page, m.optRow = protOptions, 0
	return m, nil
}

func (m protectStep) optionsKey(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	rows := 1
	if m.backupNow {
		rows = 2
	}
	setRow := func(r int) {
		m.optRow = max(0, min(r, rows-1))
		if m.optRow == 1 {
			m.retain.Focus()
		} else {
			m.retain.Blur()
		}
	}
	switch {
	case key.Matches(km, m.keys.back):
		s, cmd, _ := m.Back()
		return s, cmd
	case km.Code == tea.KeyUp || (!m.retain.Focused() && key.Matches(km, m.c.Keys.Up)):
		setRow(m.optRow - 1)
		return m, nil
	case km.Code == tea.KeyDown || (!m.retain.Focused() && key.Matches(km, m.c.Keys.Down)):
		setRow(m.optRow + 1)
		return m, nil
	case km.Code == tea.KeyEnter:
		return m.openReview()
	case m.optRow == 0 && key.Matches(km, m.keys.toggle):
		m.backupNow = !m.backupNow
		return m, nil
	}
	return m.edit(km)
}

// answer is the protect section the choices make (ok=false while a choice
// is missing or refused).
func (m protectStep) answer() (PlanProtect, bool) {
	name, typ := m.chosen()
	if name == "" || !m.suitable(typ) {
		return PlanProtect{}, false
	}
	pr := PlanProtect{Enabled: true, Policy: name, BackupNow: m.backupNow}
	if m.creating {
		if len(m.formIssues()) > 0 {
			return PlanProtect{}, false
		}
		np := m.form.policy()
		pr.NewPolicy = &np
	}
	if m.backupNow {
		if RetainIssue(m.retain.Value()) != "" {
			return PlanProtect{}, false
		}
		pr.RetainDays, _ = strconv.Atoi(strings.TrimSpace(m.retain.Value()))
	}
	return pr, true
}

// openReview puts the choices into the plan and compares it with Azure in
// a Cmd: the journal beside the plan (when there is one) answers what Azure
// cannot tell, whether the first backup was taken already.
func (m protectStep) openReview() (ui.Step, tea.Cmd) {
	pr, ok := m.answer()
	if !ok {
		if m.backupNow && RetainIssue(m.retain.Value()) != "" {
			m.note = m.c.Tr.T("protect.note.retain")
		}
		return m, nil
	}
	m.retain.Blur()
	m.prev = m.sess.Plan.Protect
	p := *m.sess.Plan
	p.Protect = pr
	m.sess.Plan = &p
	m.page = protReview
	m.rgen++
	m.rstate, m.rerr, m.rjErr, m.saveErr = stateLoading, nil, nil, nil
	m.changes, m.conflicts, m.pending, m.offset = nil, nil, 0, 0
	return m, tea.Batch(m.readLive(m.rgen, &p, m.planPath()), m.spin.Tick)
}

// planPath is where the plan is saved: where Review saved it, else the
// default file.
func (m protectStep) planPath() string { return cmp.Or(m.sess.PlanPath, DefaultPlanPath) }

func (m protectStep) readLive(gen int, p *Plan, path string) tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	return func() tea.Msg {
		var j *Journal
		if _, err := os.Stat(path + JournalSuffix); err == nil {
			if j, err = OpenJournal(path + JournalSuffix); err != nil {
				return protectLiveMsg{gen: gen, journalErr: err}
			}
		}
		live, err := ReadLiveState(ctx, api, p)
		if err != nil {
			_ = j.Close()
			return protectLiveMsg{gen: gen, err: err}
		}
		live.Journal = j
		cs, err := Changes(p, live)
		msg := protectLiveMsg{gen: gen, journal: j, changes: cs}
		if err != nil && !errors.As(err, &msg.conflicts) {
			_ = j.Close()
			return protectLiveMsg{gen: gen, err: err}
		}
		return msg
	}
}

// confirmGate is why the review cannot be confirmed now ("" when it can).
func (m protectStep) confirmGate() string {
	switch {
	case m.saving:
		return "protect.hint.saving"
	case m.rstate == stateLoading:
		return "protect.gate.reading"
	case m.rstate == stateFailed:
		return "protect.gate.failed"
	case len(m.conflicts) > 0:
		return "protect.gate.conflicts"
	case m.pending > 0:
		return "protect.gate.pending"
	case !needsWork(m.changes):
		return "protect.gate.nothing"
	}
	return ""
}

// gateText says a confirm gate in words.
func (m protectStep) gateText(g string) string {
	return m.c.Tr.T(g, "Back", m.c.Keys.Back.Help().Key, "Esc", m.keys.back.Help().Key, "Retry", m.c.Keys.Retry.Help().Key)
}

func (m protectStep) reviewKey(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	switch {
	case m.saving:
		return m, nil
	case key.Matches(km, m.keys.back):
		s, cmd, _ := m.Back()
		return s, cmd
	case key.Matches(km, m.c.Keys.Retry) && m.rstate == stateFailed:
		p := m.sess.Plan
		m.rgen++
		m.rstate, m.rerr, m.rjErr = stateLoading, nil, nil
		return m, tea.Batch(m.readLive(m.rgen, p, m.planPath()), m.spin.Tick)
	case key.Matches(km, m.keys.confirm):
		if g := m.confirmGate(); g != "" {
			m.note = m.gateText(g)
			return m, nil
		}
		m.saving, m.saveErr = true, nil
		return m, tea.Batch(m.save(m.rgen), m.spin.Tick)
	}
	m.offset = m.scroll(km, m.offset)
	return m, nil
}

// save writes the plan with its protect section beside where Review saved
// it (so `apply --plan FILE --yes` does both phases), and opens the journal
// there if the review did not find one.
func (m protectStep) save(gen int) tea.Cmd {
	p, path, j := m.sess.Plan, m.planPath(), m.journal
	fresh := m.sess.PlanPath == ""
	return func() tea.Msg {
		if fresh {
			if abs, err := filepath.Abs(path); err == nil {
				path = abs
			}
		}
		data, err := p.Encode()
		if err == nil {
			err = renameio.WriteFile(path, data, 0o644)
		}
		if err != nil {
			return protectSavedMsg{gen: gen, path: path, journal: j, err: err}
		}
		if j == nil {
			if j, err = OpenJournal(path + JournalSuffix); err != nil {
				return protectSavedMsg{gen: gen, path: path, jErr: err}
			}
		}
		return protectSavedMsg{gen: gen, path: path, journal: j}
	}
}

// start begins the run once the plan is saved and the journal open.
func (m protectStep) start(msg protectSavedMsg) (ui.Step, tea.Cmd) {
	m.journal, m.path = msg.journal, msg.path
	m.sess.PlanPath = msg.path
	m.sess.Log.Add("protect", m.c.Tr.T("log.protect.confirmed", "Policy", m.sess.Plan.Protect.Policy, "Path", msg.path))
	m.runs++
	m.runList = m.changes
	m.view = newRunView(m.c, protectRunIDs+m.runs, m.runList, m.run.Now)
	var cmd tea.Cmd
	m.view, cmd = m.view.start(m.sess, "protect", m.run.applier(m.api, m.sess.Plan, msg.journal))
	m.phase, m.out, m.offset = protectRunning, nil, 0
	return m, cmd
}

// finish records the run that just ended, in the session's runs and
// transcript, and closes the journal.
func (m protectStep) finish() (ui.Step, tea.Cmd) {
	tr := m.c.Tr
	o := m.view.record(m.sess, "protect")
	m.sess.Log.Add("protect", tr.T("log.protect.finished", "Counts", OutcomeCounts(o, tr)))
	j := m.journal
	m.journal = nil
	m.phase, m.out, m.offset = protectFinished, &o, 0
	return m, closeJournal(j)
}

// Back leaves the step's pages one at a time: review → options → form or
// policies; on the policies page the shell goes to the previous step.
func (m protectStep) Back() (ui.Step, tea.Cmd, bool) {
	m.note = ""
	if m.phase != protectChoosing || !m.vaultReady() {
		return m, nil, false
	}
	switch m.page {
	case protReview:
		if m.saving {
			return m, nil, true
		}
		s, cmd := m.leaveReview()
		return s, cmd, true
	case protOptions:
		m.retain.Blur()
		if m.creating {
			m.page = protForm
			m.form.row = rowUse
			m.form.focus()
		} else {
			m.page = protPolicies
		}
		return m, nil, true
	case protForm:
		m.form.blur()
		m.page = protPolicies
		return m, nil, true
	}
	return m, nil, false
}

// Next is the shell's: it goes on to the Summary (protecting is optional).
func (m protectStep) Next() (ui.Step, tea.Cmd, bool) { return m, nil, false }

func (m protectStep) Keys() []key.Binding {
	k := m.c.Keys
	switch m.phase {
	case protectRunning:
		return m.view.Keys()
	case protectFinished:
		out := []key.Binding{m.keys.again}
		if m.w > 0 && len(m.finishedLines(m.w)) > m.listHeight() {
			out = append(out, m.keys.scroll)
		}
		return out
	}
	if !m.ready() {
		return nil
	}
	if m.read == stateFailed {
		return []key.Binding{k.Retry}
	}
	if !m.vaultReady() {
		return nil
	}
	switch m.page {
	case protForm:
		switch m.form.row {
		case rowType, rowFreq, rowZone:
			return []key.Binding{k.Up, m.keys.change, m.keys.back}
		case rowDays:
			return []key.Binding{k.Up, m.keys.change, m.keys.day, m.keys.back}
		case rowUse:
			return []key.Binding{k.Up, m.keys.use, m.keys.back}
		}
		return []key.Binding{m.keys.field, m.keys.back}
	case protOptions:
		if m.optRow == 0 {
			return []key.Binding{k.Up, m.keys.toggle, m.keys.review, m.keys.back}
		}
		return []key.Binding{m.keys.field, m.keys.review, m.keys.back}
	case protReview:
		out := []key.Binding{m.keys.scroll}
		if m.confirmGate() == "" {
			out = append(out, m.keys.confirm)
		}
		if m.rstate == stateFailed {
			out = append(out, k.Retry)
		}
		return append(out, m.keys.back)
	}
	act := m.keys.choose
	if m.cursor == len(m.policies) {
		act = m.keys.create
	}
	return []key.Binding{k.Up, act}
}

// scroll moves a scrolled list for a key.
func (m protectStep) scroll(km tea.KeyPressMsg, off int) int {
	return m.clamp(scrollKey(m.c.Keys, km, off, m.listHeight()))
}

// ---- drawing ----

func (m protectStep) View(w, h int) string {
	m.w, m.h = w, h
	tr, st := m.c.Tr, m.c.Styles
	if !m.ready() {
		step := tr.T("step." + cmp.Or(MissingStep(m.sess), "vault") + ".title")
		lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("protect.heading"), w)), ""}
		lines = append(lines, wrapStyled(tr.T("protect.noplan", "Step", step), w, st.App.Text)...)
		lines = append(lines, "")
		lines = append(lines, wrapStyled(tr.T("protect.optional", "Next", m.c.Keys.Next.Help().Key), w, st.App.Muted)...)
		return strings.Join(lines, "\n")
	}
	switch m.phase {
	case protectRunning:
		head := m.headLines(w, tr.T("protect.heading.running", "Vault", m.sess.Plan.Vault.Name))
		// A failed backup job names the step that fixes it under the
		// question (jobcodes.go).
		var fixIn []string
		if m.view.asking != nil {
			fixIn = jobStepLines(m.c, Explain(m.view.asking.err), w)
		}
		lines := append(head, m.view.View(w, max(h-len(head)-len(fixIn), 1))...)
		return strings.Join(append(lines, fixIn...), "\n")
	case protectFinished:
		return m.finishedView(w, h)
	}
	switch {
	case m.read == stateLoading && m.vault == nil:
		lines := m.headLines(w, tr.T("protect.heading"))
		lines = append(lines, "", m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("protect.reading"), w-2)))
		return strings.Join(lines, "\n")
	case m.read == stateFailed:
		lines := m.headLines(w, tr.T("protect.heading"))
		lines = append(lines, "")
		lines = append(lines, problemLines(m.c, Explain(m.readErr), w)...)
		lines = append(lines, "", st.App.Muted.Render(ui.Truncate(tr.T("scope.retry"), w)))
		return strings.Join(lines, "\n")
	case !m.vaultReady():
		return m.noVaultView(w)
	}
	var body []string
	switch m.page {
	case protForm:
		body = m.formLines(w, h)
	case protOptions:
		body = m.optionsLines(w, h)
	case protReview:
		return m.reviewView(w, h)
	default:
		body = m.policiesLines(w, h)
	}
	if m.note != "" {
		note := wrapStyled(m.note, w, st.Verdict["warn"])
		body = append(ui.Lines(ui.Frame(strings.Join(body, "\n"), w, max(h-len(note), 0))), note...)
	}
	return strings.Join(body, "\n")
}

// headLines is the page's heading with the vault's region.
func (m protectStep) headLines(w int, title string) []string {
	st := m.c.Styles
	region := ""
	if p := m.sess.Plan; p != nil {
		region = " · " + azure.NormalizeLocation(p.Vault.Location)
	}
	return []string{ui.Fit(st.Body.Heading.Render(ui.Truncate(title, w))+st.App.Muted.Render(ui.Truncate(region, max(w-ui.Width(title), 0))), w)}
}

// noVaultView says that the vault is not there yet and that protecting is
// optional.
func (m protectStep) noVaultView(w int) string {
	tr, st := m.c.Tr, m.c.Styles
	p := m.sess.Plan
	lines := m.headLines(w, tr.T("protect.heading.vault", "Vault", p.Vault.Name))
	lines = append(lines, "")
	text := tr.T("protect.novault", "Vault", p.Vault.Name, "Group", p.Vault.ResourceGroup)
	if m.vault != nil {
		text = tr.T("protect.notready", "Vault", p.Vault.Name, "State", m.vault.ProvisioningState)
	}
	lines = append(lines, glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"), text, w, st.App.Text)...)
	lines = append(lines, "")
	lines = append(lines, wrapStyled(tr.T("protect.novault.next", "Back", m.c.Keys.Back.Help().Key), w, st.App.Text)...)
	lines = append(lines, "")
	lines = append(lines, wrapStyled(tr.T("protect.optional", "Next", m.c.Keys.Next.Help().Key), w, st.App.Muted)...)
	return strings.Join(lines, "\n")
}

// policiesLines are the vault's policies in a table, the recommendation,
// and the row under the cursor in words.
func (m protectStep) policiesLines(w, h int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	p := m.sess.Plan
	lines := m.headLines(w, tr.T("protect.heading.vault", "Vault", p.Vault.Name))
	touched := 0
	for _, v := range m.vmList() {
		if v.Touched() {
			touched++
		}
	}
	if h >= 14 { // a short window keeps its lines for the policies
		lines = append(lines, wrapStyled(tr.T("protect.policies.intro", "Count", touched), w, st.App.Muted)...)
	}
	needs := m.needs()
	if len(needs) > 0 {
		lines = append(lines, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"),
			tr.T("protect.recommend.enhanced", "Count", len(needs), "VMs", strings.Join(needs, tr.T("protect.sep"))), w, st.App.Text)...)
	}
	name, _ := m.chosen()
	type col struct {
		title string
		prio  int
		right bool
		cell  func(p azure.Policy) string
	}
	cols := []col{
		{tr.T("protect.col.name"), 100, false, func(p azure.Policy) string { return p.Name }},
		{tr.T("protect.col.type"), 90, false, func(p azure.Policy) string {
			if !m.suitable(p.Type) {
				return ui.VerdictGlyph("blocked") + " " + policyTypeWord(tr, p.Type)
			}
			return policyTypeWord(tr, p.Type)
		}},
		{tr.T("protect.col.schedule"), 80, false, func(p azure.Policy) string { return ScheduleText(tr, p) }},
		{tr.T("protect.col.vms"), 50, true, func(p azure.Policy) string { return strconv.Itoa(p.ProtectedItems) }},
		{tr.T("protect.col.instant"), 45, true, func(p azure.Policy) string { return tr.T("protect.days", "N", p.InstantRestoreDays) }},
		{tr.T("protect.col.retention"), 40, false, func(p azure.Policy) string { return RetentionText(tr, p) }},
	}
	columns := make([]ui.Column, len(cols))
	for i, c := range cols {
		wd := ui.Width(c.title)
		for _, pol := range m.policies {
			wd = max(wd, ui.Width(c.cell(pol)))
		}
		columns[i] = ui.Column{Title: c.title, Width: wd, Priority: c.prio, Right: c.right}
	}
	// The schedule says most: it keeps all the width the name and the type
	// leave (up to its own), and the other columns come only after it.
	const lead, gap = 2 + 4, 2
	columns[0].Min = min(columns[0].Width, 14)
	columns[2].Min = max(min(columns[2].Width, w-lead-columns[0].Min-columns[1].Width-2*gap), min(columns[2].Width, 12))
	columns[2].Flex = true
	createRow := len(m.policies)
	t := ui.Table{
		Columns: columns,
		Rows:    len(m.policies),
		Cell:    func(row, c int) string { return cols[c].cell(m.policies[row]) },
		Style: func(row, c int) lipgloss.Style {
			switch {
			case c == 1 && !m.suitable(m.policies[row].Type):
				return st.Verdict["blocked"]
			case c >= 2:
				return st.App.Muted
			}
			return st.Table.Cell
		},
		Lead: func(row int) string {
			return radio(!m.creating && strings.EqualFold(m.policies[row].Name, name))
		},
		LeadWidth:   4,
		Cursor:      m.cursor,
		HeaderStyle: st.Table.Header,
		CursorStyle: st.Table.Selected,
		MarkerStyle: x.Cursor,
	}
	if m.cursor == createRow {
		t.Cursor = -1
	}
	// The last row creates a policy: drawn apart from the table, so that
	// its label is not cut to the name column.
	create := "  " + radio(m.creating) + " " + st.App.Accent.Render(ui.Truncate("+ "+tr.T("protect.create.row"), max(w-6, 1)))
	if m.cursor == createRow {
		create = x.Cursor.Inherit(st.Table.Selected).Render(ui.GlyphCursor+" ") + st.Table.Selected.Render(radio(m.creating)+" ") +
			st.App.Accent.Inherit(st.Table.Selected).Render(ui.Truncate("+ "+tr.T("protect.create.row"), max(w-6, 1)))
	}
	rows := min(max(h-len(lines)-6, 2), len(m.policies)+1)
	t.Offset = ui.ScrollOffset(min(m.cursor, len(m.policies)-1), 0, rows-1, t.Rows)
	lines = append(lines, "")
	lines = append(lines, ui.Lines(ui.Frame(t.Render(w, rows), w, rows))...)
	lines = append(lines, ui.Fit(create, w), "")
	return append(lines, m.policyDetail(w, max(h-len(lines), 2))...)
}

// policyDetail says everything about the row under the cursor: schedule,
// retention, snapshots, the VMs it cannot protect, and that Standard to
// Enhanced is one way.
func (m protectStep) policyDetail(w, h int) []string {
	tr, st := m.c.Tr, m.c.Styles
	if m.cursor >= len(m.policies) {
		out := wrapStyled(tr.T("protect.create.detail"), w, st.App.Muted)
		if len(m.needs()) > 0 {
			out = append(out, glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"), tr.T("protect.create.enhanced"), w, st.App.Text)...)
		}
		return out
	}
	p := m.policies[m.cursor]
	var note []string
	switch {
	case !m.suitable(p.Type):
		note = glyphLines(st.Verdict["blocked"], ui.VerdictGlyph("blocked"),
			tr.T("protect.unsuitable", "VMs", strings.Join(m.needs(), tr.T("protect.sep"))), w, st.App.Text)
	case p.Type == enhancedPolicy:
		note = glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T("protect.oneway"), w, st.App.Text)
	}
	text := tr.T("protect.detail", "Policy", p.Name, "Type", policyTypeWord(tr, p.Type), "Schedule", ScheduleText(tr, p),
		"Retention", RetentionText(tr, p), "Instant", p.InstantRestoreDays, "Count", p.ProtectedItems)
	return append(styleLines(ui.WrapLines(text, w, max(h-len(note), 2)), st.App.Muted), note...)
}

// formLines are the new policy's fields, each with its reason when
// refused, kept around the cursor when they do not fit.
func (m protectStep) formLines(w, h int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	f := m.form
	head := m.headLines(w, tr.T("protect.form.heading", "Vault", m.sess.Plan.Vault.Name))
	issues := m.formIssues()
	labels := map[int]string{
		rowName: tr.T("protect.form.name"), rowType: tr.T("protect.form.type"), rowFreq: tr.T("protect.form.frequency"),
		rowTime: tr.T("protect.form.time"), rowDays: tr.T("protect.form.days"), rowZone: tr.T("protect.form.zone"),
		rowInstant: tr.T("protect.form.instant"),
	}
	if f.weekly() {
		labels[rowRetention] = tr.T("protect.form.retention.weeks")
	} else {
		labels[rowRetention] = tr.T("protect.form.retention.days")
	}
	lw := 0
	for _, l := range labels {
		lw = max(lw, ui.Width(l))
	}
	lw = min(lw, max(w/2, 8))
	pad := func(s string) string {
		s = ui.Truncate(s, lw)
		return s + strings.Repeat(" ", lw-ui.Width(s)) + "  "
	}
	indent := strings.Repeat(" ", lw+4)
	var body []string
	curLine := 0
	for _, r := range f.rows() {
		marker := "  "
		if r == f.row {
			marker = x.Cursor.Render(ui.GlyphCurrent) + " "
			curLine = len(body)
		}
		vw := max(w-2-lw-2, 4)
		var line string
		switch r {
		case rowUse:
			label := "[ " + tr.T("protect.form.use") + " ]"
			ls := st.App.Accent
			if r == f.row {
				ls = st.Table.Selected
			}
			body = append(body, "", marker+ls.Render(ui.Truncate(label, w-2)))
			if r == f.row {
				curLine = len(body) - 1
			}
			continue
		case rowName, rowTime, rowRetention, rowInstant:
			fld := *f.field(r)
			fld.Prompt = pad(labels[r])
			line = marker + fld.View(w-2, x)
			suffix := ""
			switch r {
			case rowRetention:
				if f.weekly() {
					suffix = tr.T("protect.form.weeks.range", "Min", minRetentionWeeks, "Max", maxRetentionWeeks)
				} else {
					suffix = tr.T("protect.form.days.range", "Min", minRetentionDays, "Max", maxRetentionDays)
				}
			case rowInstant:
				lo, hi := instantRestoreRange(policyTypes[f.typ], policyFrequencies[f.freq])
				suffix = tr.T("protect.form.days.range", "Min", lo, "Max", hi)
				if lo == hi {
					suffix = tr.T("protect.form.days.fixed", "N", lo)
				}
			case rowTime:
				suffix = tr.T("protect.form.time.hint")
			}
			if suffix != "" {
				// The hint goes after the text, where the field leaves room.
				used := 2 + lw + 2 + max(ui.Width(fld.Value())+1, 6)
				if used+2+ui.Width(suffix) <= w {
					line = marker + ui.Fit(fld.View(used-2, x), used-2) + "  " + st.App.Faint.Render(suffix)
				}
			}
		case rowType:
			line = marker + st.App.Muted.Render(pad(labels[r])) + m.picker(policyTypeWord(tr, policyTypes[f.typ]), r == f.row, vw)
		case rowFreq:
			line = marker + st.App.Muted.Render(pad(labels[r])) + m.picker(tr.T("protect.freq."+policyFrequencies[f.freq]), r == f.row, vw)
		case rowZone:
			line = marker + st.App.Muted.Render(pad(labels[r])) + m.picker(PolicyTimeZones[f.zone], r == f.row, vw)
		case rowDays:
			line = marker + st.App.Muted.Render(pad(labels[r])) + m.daysCells(r == f.row, vw)
		}
		body = append(body, ui.Fit(line, w))
		if is, bad := issues[issueField(r, f.weekly())]; bad {
			for _, l := range ui.Wrap(tr.T(is.Key, is.Args...), max(w-lw-6, 8)) {
				body = append(body, indent+st.Verdict["blocked"].Render(l))
			}
		}
	}
	room := max(h-len(head)-1, 1)
	if len(body) > room {
		off := max(0, min(curLine-room/2, len(body)-room))
		body = body[off : off+room]
	}
	return append(append(head, ""), body...)
}

// picker shows a choice between arrows: "< Standard >".
func (m protectStep) picker(value string, focused bool, w int) string {
	st := m.c.Styles
	text := "< " + ui.Truncate(value, max(w-4, 1)) + " >"
	if focused {
		return st.Table.Selected.Render(text)
	}
	return st.App.Text.Render(text)
}

// daysCells are the seven weekdays, the chosen ones in brackets ("[Su]")
// and the one under the cursor highlighted.
func (m protectStep) daysCells(focused bool, w int) string {
	tr, st := m.c.Tr, m.c.Styles
	var b strings.Builder
	used := 0
	for i, d := range policyWeekdays {
		name := tr.T("protect.dayshort." + d)
		cell := " " + name + " "
		if m.form.days[i] {
			cell = "[" + name + "]"
		}
		if used+ui.Width(cell) > w {
			break
		}
		s := st.App.Muted
		if m.form.days[i] {
			s = st.App.Accent
		}
		if focused && i == m.form.day {
			s = st.Table.Selected
		}
		b.WriteString(s.Render(cell))
		used += ui.Width(cell)
	}
	return b.String()
}

// optionsLines are backup now with its retention, and what happens to each
// VM of the plan.
func (m protectStep) optionsLines(w, h int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	name, typ := m.chosen()
	lines := m.headLines(w, tr.T("protect.options.heading", "Policy", name))
	if m.creating {
		lines = append(lines, st.App.Muted.Render(ui.Truncate(tr.T("protect.options.new", "Type", policyTypeWord(tr, typ)), w)))
	}
	lines = append(lines, "")
	marker := func(row int) string {
		if row == m.optRow {
			return x.Cursor.Render(ui.GlyphCurrent) + " "
		}
		return "  "
	}
	label := checkbox(m.backupNow) + " " + tr.T("protect.opt.backupnow")
	ls := st.Table.Cell
	if m.optRow == 0 {
		ls = st.Table.Selected
	}
	lines = append(lines, ui.Fit(marker(0)+ls.Render(ui.Truncate(label, w-2)), w))
	// Text under the box lines up with its label.
	under := func(text string, style lipgloss.Style) []string {
		var out []string
		for _, l := range ui.Wrap(text, max(w-6, 8)) {
			out = append(out, "      "+style.Render(l))
		}
		return out
	}
	if m.backupNow {
		fld := m.retain
		fld.Prompt = "    " + tr.T("protect.opt.retain") + "  "
		rw := min(w-2, ui.Width(fld.Prompt)+4)
		line := marker(1) + ui.Fit(fld.View(rw, x), rw) + st.App.Faint.Render(ui.Truncate(" "+tr.T("protect.opt.retain.unit", "Min", MinRetainDays, "Max", MaxRetainDays), max(w-2-rw, 0)))
		lines = append(lines, ui.Fit(line, w))
		if r := RetainIssue(m.retain.Value()); r != "" {
			lines = append(lines, under(tr.T(r, "Min", MinRetainDays, "Max", MaxRetainDays), st.Verdict["blocked"])...)
		}
		if h >= 14 { // a short window keeps its lines for the VMs
			lines = append(lines, under(tr.T("protect.opt.backupnow.about"), st.App.Faint)...)
		}
	} else {
		lines = append(lines, under(tr.T("protect.opt.scheduled"), st.App.Faint)...)
	}
	lines = append(lines, "")
	vms := m.vmList()
	lines = append(lines, st.Body.Heading.Render(ui.Truncate(tr.T("protect.vms.heading", "Count", len(vms)), w)))
	nw := 0
	for _, v := range vms {
		nw = max(nw, ui.Width(m.vmName(v)))
	}
	nw = min(nw, max(w/3, 8))
	tw := max(w-2-nw-2, 8)
	var rows []string
	for i, v := range vms {
		text, style := m.vmText(v, name, typ)
		n := ui.Truncate(m.vmName(v), nw)
		var vl []string
		for k, l := range ui.Wrap(text, tw) {
			lead := strings.Repeat(" ", nw+4)
			if k == 0 {
				lead = "  " + st.Table.Cell.Render(n+strings.Repeat(" ", nw-ui.Width(n))) + "  "
			}
			vl = append(vl, lead+st.Verdict[style].Render(l))
		}
		if room := h - len(lines) - len(rows); len(vl) > room || (len(vl) == room && i < len(vms)-1) {
			rows = append(rows, st.App.Faint.Render(ui.Truncate("  "+tr.T("protect.vms.more", "Count", len(vms)-i), w)))
			break
		}
		rows = append(rows, vl...)
	}
	return append(lines, rows...)
}

func (m protectStep) vmName(v ProtectVM) string {
	if v.VM != nil {
		return v.VM.Name
	}
	return lastSegment(v.ID)
}

// vmText says what protecting does to a VM, with the verdict style.
func (m protectStep) vmText(v ProtectVM, policy, typ string) (string, string) {
	tr := m.c.Tr
	now := ""
	if m.backupNow {
		now = tr.T("protect.vm.andnow")
	}
	switch v.Kind {
	case VMProtect:
		return tr.T("protect.vm.protect", "Policy", policy) + now, "ok"
	case VMSame:
		return tr.T("protect.vm.same") + now, "info"
	case VMMove:
		text := tr.T("protect.vm.move", "From", v.From, "Policy", policy) + now
		if v.Irreversible {
			text += " " + tr.T("changes.irreversible")
		}
		return text, "fixable"
	case VMMoveRefused:
		return tr.T("protect.vm.move-refused", "From", v.From), "blocked"
	case VMElsewhere:
		return tr.T("protect.vm.elsewhere", "Vault", v.Vault), "warn"
	case VMOtherRegion:
		return tr.T("protect.vm.region", "Region", v.VM.Location), "warn"
	case VMOtherSub:
		return tr.T("protect.vm.subscription"), "warn"
	}
	return tr.T("protect.vm.missing"), "warn"
}

// ---- the review ----

// reviewHead is the review's heading and the counts per kind.
func (m protectStep) reviewHead(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := m.headLines(w, tr.T("protect.review.heading", "Vault", m.sess.Plan.Vault.Name))
	pr := m.sess.Plan.Protect
	what := tr.T("protect.review.what", "Policy", pr.Policy)
	if pr.BackupNow {
		what = tr.T("protect.review.what.now", "Policy", pr.Policy, "Days", m.sess.Plan.retainDays())
	}
	out = append(out, wrapStyled(what, w, st.App.Muted)...)
	if m.rstate == stateReady {
		counts := map[ChangeKind]int{}
		for _, c := range m.changes {
			counts[c.Kind]++
		}
		out = append(out, kindCounts(m.c, counts, w))
	}
	return out
}

// reviewFoot says what enter does, or why it cannot.
func (m protectStep) reviewFoot(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := []string{""}
	switch {
	case m.saveErr != nil:
		out = append(out, problemLines(m.c, Problem{What: "protect.save.failed", Why: "protect.save.failed.why", Next: "protect.save.failed.next",
			Args: []any{"Path", m.planPath(), "Key", m.keys.confirm.Help().Key}, Err: m.saveErr}, w)...)
	case m.saving:
		out = append(out, m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("protect.saving"), w-2)))
	case m.note != "":
		out = append(out, wrapStyled(m.note, w, st.Verdict["warn"])...)
	case m.rstate == stateReady && m.confirmGate() == "":
		out = append(out, wrapStyled(tr.T("protect.review.confirm", "Key", m.keys.confirm.Help().Key, "Path", m.planPath()), w, st.App.Accent)...)
	case m.rstate == stateReady:
		out = append(out, wrapStyled(m.gateText(m.confirmGate()), w, st.Verdict["warn"])...)
	}
	return out
}

// reviewLines are the conflicts and the changes: the policy, then each VM's
// protection and first backup, with their reasons.
func (m protectStep) reviewLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	var out []string
	for _, c := range m.conflicts {
		out = append(out, "")
		args := append([]any{"Field", c.Field}, c.Args...)
		args = append(args, "Esc", m.keys.back.Help().Key)
		out = append(out, problemLines(m.c, Problem{What: "review.conflict", Why: c.Reason, Next: "protect.conflict.next", Args: args}, w)...)
	}
	if m.pending > 0 {
		out = append(out, "")
		out = append(out, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T("protect.review.pending", "Count", m.pending, "Back", m.c.Keys.Back.Help().Key), w, st.App.Text)...)
	}
	list := newChangeList(m.c)
	change := func(c Change, indent int, what string) {
		text := what
		if c.From != "" && c.To != "" && c.From != c.To {
			text += "  " + tr.T("changes.fromto", "From", c.From, "To", c.To)
		}
		out = append(out, list.lines(c, indent, text, true, w)...)
	}
	var vmOrder []string
	byVM := map[string][]Change{}
	for _, c := range m.changes {
		if c.Action == ActionPolicy {
			out = append(out, "")
			change(c, 0, ChangeTitle(c, tr))
			continue
		}
		k := strings.ToLower(c.Target)
		if _, ok := byVM[k]; !ok {
			vmOrder = append(vmOrder, k)
		}
		byVM[k] = append(byVM[k], c)
	}
	if len(vmOrder) > 0 {
		out = append(out, "", st.Body.Heading.Render(ui.Truncate(tr.T("review.vms", "Count", len(vmOrder)), w)))
	}
	for _, k := range vmOrder {
		cs := byVM[k]
		out = append(out, "  "+st.Table.Cell.Render(ui.Truncate(lastSegment(cs[0].Target), w-2)))
		for _, c := range cs {
			change(c, 4, vmChangeText(tr, c, m.sess.Plan))
		}
	}
	var left []ProtectVM
	for _, v := range m.vmList() {
		if !v.Touched() {
			left = append(left, v)
		}
	}
	if len(left) > 0 {
		out = append(out, "", st.Verdict["warn"].Render(ui.Truncate(tr.T("protect.review.left", "Count", len(left)), w)))
		for _, v := range left {
			text, _ := m.vmText(v, "", "")
			out = append(out, "  "+st.Table.Cell.Render(ui.Truncate(m.vmName(v), w-2)))
			for _, l := range ui.Wrap(text, max(w-4, 8)) {
				out = append(out, "    "+st.App.Faint.Render(l))
			}
		}
	}
	return out
}

// vmChangeText says what a VM's change does, under the VM's name.
func vmChangeText(tr *ui.Translator, c Change, p *Plan) string {
	switch {
	case c.Action == ActionProtect && c.Kind == Modify:
		return tr.T("protect.change.move", "Policy", p.Protect.Policy)
	case c.Action == ActionProtect && c.Kind == NoChange:
		return tr.T("protect.change.same", "Policy", p.Protect.Policy)
	case c.Action == ActionProtect:
		return tr.T("protect.change.protect", "Policy", p.Protect.Policy)
	case c.Action == ActionBackupNow && c.Kind == NoChange:
		return tr.T("protect.change.taken")
	case c.Action == ActionBackupNow:
		return tr.T("protect.change.backupNow", "Days", p.retainDays())
	}
	return tr.T("change.action." + c.Action)
}

func (m protectStep) reviewView(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	head, foot := m.reviewHead(w), m.reviewFoot(w)
	lines := head
	switch m.rstate {
	case stateLoading, stateIdle:
		lines = append(lines, "", m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("protect.review.reading"), w-2)))
	case stateFailed:
		lines = append(lines, "")
		if m.rjErr != nil {
			lines = append(lines, problemLines(m.c, Problem{What: "apply.journal.failed", Why: "apply.journal.failed.why", Next: "apply.journal.failed.next",
				Args: []any{"Path", m.planPath() + JournalSuffix, "Key", m.c.Keys.Retry.Help().Key}, Err: m.rjErr}, w)...)
		} else {
			lines = append(lines, problemLines(m.c, Explain(m.rerr), w)...)
			lines = append(lines, "", st.App.Muted.Render(ui.Truncate(tr.T("scope.retry"), w)))
		}
	default:
		lines = append(lines, scrolled(m.c, m.reviewLines(w), m.offset, max(h-len(head)-len(foot), 1), w, "protect.position")...)
	}
	return ui.Frame(strings.Join(lines, "\n"), w, max(h-len(foot), 0)) + "\n" + strings.Join(foot, "\n")
}

// listHeight is how many lines the scrolled part of the page gets.
func (m protectStep) listHeight() int {
	switch {
	case m.phase == protectFinished:
		return m.h - len(m.finishedHead(m.w)) - len(m.finishedFoot(m.w))
	case m.page == protReview:
		return m.h - len(m.reviewHead(m.w)) - len(m.reviewFoot(m.w))
	}
	return m.h
}

// clamp keeps a scroll offset inside the scrolled part.
func (m protectStep) clamp(off int) int {
	if m.w <= 0 {
		return max(off, 0)
	}
	var total int
	switch {
	case m.phase == protectFinished:
		total = len(m.finishedLines(m.w))
	case m.page == protReview && m.rstate == stateReady:
		total = len(m.reviewLines(m.w))
	default:
		return 0
	}
	return clampScroll(off, total, m.listHeight())
}

// ---- the finished run ----

func (m protectStep) finishedHead(w int) []string {
	tr := m.c.Tr
	head := m.headLines(w, tr.T("protect.heading.finished", "Vault", m.sess.Plan.Vault.Name))
	if m.out == nil {
		return head
	}
	style := m.c.Styles.Verdict[outcomeStyle(m.runList, *m.out)]
	return append(head, style.Render(ui.Truncate(OutcomeCounts(*m.out, tr), w)))
}

// finishedLines are the run's changes, every failure explained, and what
// goes on in Azure after the run.
func (m protectStep) finishedLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	if m.out == nil {
		return nil
	}
	o := *m.out
	out := []string{""}
	out = append(out, m.view.View(w, 1<<16)...)
	// A failure the user skipped is explained as well as one that stopped
	// the run; a failed backup job names the step that fixes it.
	out = append(out, m.failedJobLines(o, w)...)
	backups := 0
	for i, c := range m.runList {
		if c.Action == ActionBackupNow && i < len(o.States) && o.States[i] == RunDone {
			backups++
		}
	}
	if backups > 0 {
		out = append(out, "")
		out = append(out, glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"), tr.T("protect.transfer", "Count", backups), w, st.App.Text)...)
	}
	if n := o.Count(RunLeft); n > 0 {
		out = append(out, "")
		out = append(out, wrapStyled(tr.T("protect.left", "Count", n, "Key", m.keys.again.Help().Key), w, st.Verdict["warn"])...)
	}
	out = append(out, "")
	out = append(out, wrapStyled(tr.T("protect.saved", "Path", m.path), w, st.App.Faint)...)
	return out
}

// failedJobLines are failureLines (skipped failures included), each failed
// change followed by the step that fixes it when its error is a backup
// job's code the table knows (jobcodes.go).
func (m protectStep) failedJobLines(o Outcome, w int) []string {
	var out []string
	for i, s := range o.States {
		if (s != RunFailed && s != RunSkipped) || i >= len(m.runList) || o.Errs[i] == nil {
			continue
		}
		p := Explain(o.Errs[i])
		out = append(out, "", m.c.Styles.App.Error.Render(ui.Truncate(ChangeTitle(m.runList[i], m.c.Tr), w)))
		if jobStepLine(m.c.Tr, p) == "" {
			out = append(out, problemLines(m.c, p, w)...)
			continue
		}
		// A job error: what, why and the fix, then the step that makes it,
		// then the troubleshooting page whole (its anchor makes it long,
		// so it wraps rather than being cut) and Azure's own words.
		head := p
		head.Docs, head.Err = "", nil
		out = append(out, problemLines(m.c, head, w)...)
		out = append(out, jobStepLines(m.c, p, w)...)
		for _, l := range ui.Wrap(p.Docs, max(w-2, 8)) {
			out = append(out, "  "+m.c.Styles.App.Muted.Render(l))
		}
		if p.Err != nil && !bareKind(p.Err) {
			for _, l := range ui.WrapLines(m.c.Tr.Redact(p.Err.Error()), w-2, 2) {
				out = append(out, "  "+m.c.Styles.App.Faint.Render(l))
			}
		}
	}
	return out
}

// finishedFoot says what comes next.
func (m protectStep) finishedFoot(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	if m.out == nil {
		return nil
	}
	next := m.c.Keys.Next.Help().Key
	out := []string{""}
	if missing := notDone(m.runList, *m.out); len(missing) > 0 {
		out = append(out, wrapStyled(tr.T("protect.notdone", "Count", len(missing), "Key", m.keys.again.Help().Key, "Next", next), w, st.Verdict["warn"])...)
		return out
	}
	return append(out, wrapStyled(tr.T("protect.next.summary", "Next", next), w, st.App.Accent)...)
}

func (m protectStep) finishedView(w, h int) string {
	head, foot := m.finishedHead(w), m.finishedFoot(w)
	lines := append(head, scrolled(m.c, m.finishedLines(w), m.offset, max(h-len(head)-len(foot), 1), w, "protect.position")...)
	return ui.Frame(strings.Join(lines, "\n"), w, max(h-len(foot), 0)) + "\n" + strings.Join(foot, "\n")
}
