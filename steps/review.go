package steps

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 6, review: the plan compared with Azure as it is now, the changes it
// would make grouped by region and resource, and three actions: save the
// plan, export an equivalent Azure CLI script, confirm.
//
// Nothing here changes Azure. Carrying the plan out is the Apply step of a
// later version, so confirming saves the plan and says so; `backupready
// apply --plan FILE --dry-run` lists the same changes from that file.

// reviewAPI is what the review step calls in Azure: the reads of
// ReadLiveState.
type reviewAPI = liveAPI

// DefaultPlanPath is where Review saves the plan unless told otherwise.
const DefaultPlanPath = "backupready-plan.yaml"

// scriptName is the Azure CLI script written next to the plan.
const scriptName = "backupready-plan.sh"

type (
	liveReadMsg struct {
		gen  int
		live LiveState
		err  error
	}
)

// ---- decisions ----

// ReviewList is the change list as Review shows it: the changes grouped by
// region and resource, the VMs the plan leaves out apart, and counts.
type ReviewList struct {
	Groups       []RegionChanges
	Left         []Change // VMs left as they are (Skip), in planner order
	Counts       map[ChangeKind]int
	Irreversible int
}

// RegionChanges are the changes of one region; Region "" holds the
// subscription-wide ones (the provider registration).
type RegionChanges struct {
	Region    string
	Resources []ResourceChanges
}

// ResourceChanges are the changes of one resource.
type ResourceChanges struct {
	Kind    string // the action's prefix: provider, resourceGroup, vault, vm, …
	Target  string
	Name    string // what people call it: the id's last segment
	Changes []Change
}

// resourceKind is the kind of resource an action changes ("vault" for
// "vault.storageType"); later steps' actions follow the same scheme.
func resourceKind(action string) string {
	k, _, _ := strings.Cut(action, ".")
	return k
}

// GroupChanges groups the planner's changes for Review: subscription-wide
// changes first, then each region in planner order; in a region the
// provider, resource group, vault and redundancy come before the VMs. VMs the
// plan skips are listed apart, with their reasons.
func GroupChanges(cs []Change) ReviewList {
	l := ReviewList{Counts: map[ChangeKind]int{}}
	for _, k := range changeKinds {
		l.Counts[k] = 0
	}
	byRegion := map[string]int{}
	for _, c := range cs {
		l.Counts[c.Kind]++
		if c.Irreversible {
			l.Irreversible++
		}
		kind := resourceKind(c.Action)
		if kind == "vm" && c.Kind == Skip {
			l.Left = append(l.Left, c)
			continue
		}
		region := azure.NormalizeLocation(c.Region)
		if kind == "provider" {
			region = ""
		}
		gi, ok := byRegion[region]
		if !ok {
			gi = len(l.Groups)
			byRegion[region] = gi
			l.Groups = append(l.Groups, RegionChanges{Region: region})
		}
		g := &l.Groups[gi]
		ri := -1
		for i, r := range g.Resources {
			if strings.EqualFold(r.Target, c.Target) && r.Kind == kind {
				ri = i
			}
		}
		if ri < 0 {
			ri = len(g.Resources)
			g.Resources = append(g.Resources, ResourceChanges{Kind: kind, Target: c.Target, Name: ChangeSubject(c)})
		}
		g.Resources[ri].Changes = append(g.Resources[ri].Changes, c)
	}
	// Subscription-wide first; in each region, VMs after everything else.
	for i, g := range l.Groups {
		if g.Region == "" && i > 0 {
			copy(l.Groups[1:i+1], l.Groups[:i])
			l.Groups[0] = g
		}
	}
	for i := range l.Groups {
		rs := l.Groups[i].Resources
		var infra, vms []ResourceChanges
		for _, r := range rs {
			if r.Kind == "vm" {
				vms = append(vms, r)
			} else {
				infra = append(infra, r)
			}
		}
		l.Groups[i].Resources = append(infra, vms...)
	}
	return l
}

// reviewAct is one of Review's actions.
type reviewAct int

const (
	actSave    reviewAct = iota // write the plan file
	actExport                   // write the Azure CLI script
	actConfirm                  // accept the plan: save it (Apply carries it out, in a later version)
)

// ReviewGate decides whether an action may run now: "" when it may, else the
// catalog key of the reason. A plan without a valid vault can do nothing;
// saving is only writing the plan down, so it may run while Azure is being
// read, or when the plan conflicts with Azure (the user can then edit the
// file); the script and the confirmation rest on the change list, so they
// need it read and free of conflicts.
func ReviewGate(act reviewAct, missing string, read loadState, conflicts int) string {
	switch {
	case missing != "":
		return "review.hint.missing"
	case act == actSave:
		return ""
	case read == stateFailed:
		return "review.hint.failed"
	case read != stateReady:
		return "review.hint.reading"
	case conflicts > 0:
		return "review.hint.conflicts"
	}
	return ""
}

// MissingStep names the step to complete before there is anything to
// review: "scope" when no VM is selected, "vault" when the plan has no valid
// vault; "" when the plan can be reviewed.
func MissingStep(s *Session) string {
	p := s.Plan
	switch {
	case p == nil && len(s.Selected) == 0:
		return "scope"
	case p == nil, p.Subscription == "", len(p.VMs) == 0:
		return "vault"
	case ValidateVaultName(p.Vault.Name) != "", ValidateResourceGroup(p.Vault.ResourceGroup) != "", p.Vault.Location == "":
		return "vault"
	}
	return ""
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9._/:=@+-]+$`)

// shellQuote quotes s for a POSIX shell, only when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// PlanScript is an Azure CLI script making the same changes as the plan's
// Create and Modify changes, in the same order; changes that leave Azure as
// it is are not in it. planFile names the plan in the header.
func PlanScript(p *Plan, cs []Change, planFile string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/usr/bin/env bash")
	w("# Azure CLI commands equivalent to the backupready plan %s,", planFile)
	w("# written by backupready's Review step from Azure's state at that time.")
	w("# Read it before you run it. If Azure may have changed since, list the")
	w("# changes again first: backupready apply --plan %s --dry-run", shellQuote(planFile))
	if p.Cloud != "" && p.Cloud != CloudPublic {
		w("# The plan is for %s: az cloud set --name %s && az login", p.Cloud, p.Cloud)
	}
	w("set -euo pipefail")
	w("")
	w("subscription=%s", shellQuote(p.Subscription))
	rg, name := shellQuote(p.Vault.ResourceGroup), shellQuote(p.Vault.Name)
	loc := shellQuote(azure.NormalizeLocation(p.Vault.Location))
	var storage, crr string
	var later []Change // after the redundancy: network rules, then protection
	n := 0
	for _, c := range cs {
		if c.Kind != Create && c.Kind != Modify {
			continue
		}
		switch c.Action {
		case ActionRegisterProvider:
			w("")
			w("# Register the Microsoft.RecoveryServices resource provider.")
			w(`az provider register --namespace Microsoft.RecoveryServices --wait --subscription "$subscription"`)
			n++
		case ActionResourceGroup:
			w("")
			w("# Create the vault's resource group.")
			w(`az group create --name %s --location %s --subscription "$subscription"`, rg, loc)
			n++
		case ActionVault:
			w("")
			w("# Create the Recovery Services vault.")
			w(`az backup vault create --name %s --resource-group %s --location %s --subscription "$subscription"`, name, rg, loc)
			n++
		case ActionStorageType:
			storage = c.To
		case ActionCrossRegion:
			crr = map[bool]string{true: "true", false: "false"}[c.To == "on"]
		default: // network rules, scripts in VMs, policy, protection
			later = append(later, c)
		}
	}
	if storage != "" || crr != "" {
		w("")
		w("# Set the storage redundancy before anything is protected: it locks then.")
		line := fmt.Sprintf(`az backup vault backup-properties set --name %s --resource-group %s --subscription "$subscription"`, name, rg)
		if storage != "" {
			line += " --backup-storage-redundancy " + storage
		}
		if crr != "" {
			line += " --cross-region-restore-flag " + crr
		}
		w("%s", line)
		n++
	}
	scripts := map[string]string{} // script text → its shell variable
	for _, c := range later {
		switch c.Action {
		case ActionNSGRule:
			r := BackupRule(p.Vault.Location, 0)
			if c.Rule != nil {
				r = *c.Rule
			}
			nsg, _, _ := strings.Cut(c.Target, "/securityRules/")
			w("")
			w("# Rule %s on %s: %s %s TCP %s -> %s port %s.", r.Name, lastSegment(nsg), r.Direction, r.Access,
				strings.Join(r.Sources, ","), strings.Join(r.Destinations, ","), strings.Join(r.DestPorts, ","))
			w(`az network nsg rule create --ids %s --priority %s --direction %s --access %s --protocol Tcp --source-address-prefixes %s --destination-address-prefixes %s --destination-port-ranges %s`,
				shellQuote(c.Target), shellQuote(c.To), r.Direction, r.Access, shellWords(r.Sources), shellWords(r.Destinations), shellWords(r.DestPorts))
		case ActionPolicy:
			w("")
			w("# Create the backup policy %s: write its JSON first (az backup policy get-default-for-vm shows the shape).", p.Protect.Policy)
			w(`# az backup policy create --vault-name %s --resource-group %s --name %s --backup-management-type AzureIaasVM --policy policy.json`, name, rg, shellQuote(p.Protect.Policy))
		case ActionProtect:
			w("")
			w("# Turn on backup for %s.", lastSegment(c.Target))
			w(`az backup protection enable-for-vm --vault-name %s --resource-group %s --vm %s --policy-name %s`, name, rg, shellQuote(c.Target), shellQuote(p.Protect.Policy))
		case ActionBackupNow:
			w("")
			w("# Back up %s now, keeping the recovery point %d days.", lastSegment(c.Target), p.retainDays())
			w(`az backup protection backup-now --vault-name %s --resource-group %s --backup-management-type AzureIaasVM --container-name %s --item-name %s --retain-until "$(date -u -d '+%d days' +%%d-%%m-%%Y)"`,
				name, rg, shellQuote(azure.ContainerName(c.Target)), shellQuote(azure.ItemName(c.Target)), p.retainDays())
		default:
			lang, script, ok := ChangeScript(p, c)
			if !ok {
				w("")
				w("# %s %s: no Azure CLI equivalent here; backupready apply carries it out.", c.Action, lastSegment(c.Target))
				break
			}
			v, seen := scripts[script]
			if !seen {
				v = fmt.Sprintf("script_%d", len(scripts)+1)
				scripts[script] = v
				w("")
				w("# The %s script Run Command runs (as root or SYSTEM), exactly as Review showed it.", lang)
				w("%s=$(cat <<'BACKUPREADY_SCRIPT'", v)
				b.WriteString(strings.TrimRight(script, "\n") + "\n")
				w("BACKUPREADY_SCRIPT")
				w(")")
			}
			cmd := "RunShellScript"
			if lang == "powershell" {
				cmd = "RunPowerShellScript"
			}
			w("")
			w("# %s on %s.", c.Action, lastSegment(c.Target))
			w(`az vm run-command invoke --ids %s --command-id %s --scripts "$%s"`, shellQuote(c.Target), cmd, v)
		}
		n++
	}
	if n == 0 {
		w("")
		w("# Nothing to change: Azure already matches the plan.")
	}
	return b.String()
}

// shellWords quotes each value as one shell word, space-separated.
func shellWords(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = shellQuote(v)
	}
	return strings.Join(q, " ")
}

// ---- screen ----

type reviewKeys struct {
	scroll, save, export, confirm, scripts key.Binding
}

// reviewStep is the screen model of step 6.
type reviewStep struct {
	c    *ui.Common
	sess *Session
	api  reviewAPI
	path string // where the plan is saved; the script goes next to it
	w, h int
	spin spinner.Model
	keys reviewKeys

	missing   string // the step to complete first, or ""
	planKey   string // the plan the change list is about
	gen       int
	read      loadState
	err       error
	changes   []Change
	conflicts PlanConflicts
	list      ReviewList
	offset    int
	scripts   []ScriptGroup // the scripts the plan runs inside VMs
	showing   bool          // the scripts are shown instead of the changes
	listOff   int           // the change list's offset while the scripts are shown

	pending   *reviewAct // waiting for the same key again to replace an existing file
	writing   bool
	confirmed bool
	note      string // what the last action did, shown under the list
	noteStyle string // its verdict style: ok, warn; "" muted
	noteErr   error
	lastAct   reviewAct // the action the note is about
	written   map[reviewAct]string
}

func newReviewStep(c *ui.Common, sess *Session, api reviewAPI, path string) reviewStep {
	tr := c.Tr
	b := func(keys []string, label, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, tr.T(desc)))
	}
	if path == "" {
		path = DefaultPlanPath
	}
	return reviewStep{
		c: c, sess: sess, api: api, path: path,
		spin: ui.NewSpinner(c.Extra),
		keys: reviewKeys{
			scroll:  b([]string{"up", "down"}, "↑/↓", "review.key.scroll"),
			save:    b([]string{"s"}, "s", "review.key.save"),
			export:  b([]string{"e"}, "e", "review.key.export"),
			confirm: b([]string{"enter"}, "enter", "review.key.confirm"),
			scripts: b([]string{"v"}, "v", "review.key.scripts"),
		},
		written: map[reviewAct]string{},
	}
}

func (m reviewStep) Title() string                  { return m.c.Tr.T("step.review.title") }
func (m reviewStep) Explain() string                { return m.c.Tr.T("review.why") }
func (m reviewStep) Init() tea.Cmd                  { return nil }
func (m reviewStep) Deactivate() (ui.Step, tea.Cmd) { m.pending = nil; return m, nil }
func (m reviewStep) Capturing() bool                { return false }
func (m reviewStep) Back() (ui.Step, tea.Cmd, bool) { return m, nil, false }
func (m reviewStep) Next() (ui.Step, tea.Cmd, bool) { return m, nil, false }

// Complete once the plan is confirmed: nothing goes on towards Apply
// without it.
func (m reviewStep) Complete() bool { return m.confirmed && m.gate(actConfirm) == "" }

func (m reviewStep) Hint() string {
	tr := m.c.Tr
	if g := m.gate(actConfirm); g != "" {
		return m.gateText(g)
	}
	return tr.T("review.hint.confirm")
}

func (m reviewStep) gate(act reviewAct) string {
	return ReviewGate(act, m.missing, m.read, len(m.conflicts))
}

func (m reviewStep) gateText(g string) string {
	return m.c.Tr.T(g, "Step", m.c.Tr.T("step."+m.missing+".title"))
}

// planIdentity names the plan's content, so that a changed plan is read
// and confirmed again.
func planIdentity(p *Plan) string {
	if p == nil {
		return ""
	}
	if data, err := p.Encode(); err == nil {
		return string(data)
	}
	return fmt.Sprintf("%+v", *p)
}

// Activate reads Azure again for the plan as it is now: state is read, never
// assumed.
func (m reviewStep) Activate() (ui.Step, tea.Cmd) {
	m.pending = nil
	m.missing = MissingStep(m.sess)
	if m.missing != "" {
		m.read, m.changes, m.conflicts, m.list = stateIdle, nil, nil, ReviewList{}
		m.confirmed = false
		return m, nil
	}
	if k := planIdentity(m.sess.Plan); k != m.planKey {
		m.planKey = k
		m.confirmed = false
		m.note, m.noteErr = "", nil
		m.offset = 0
	}
	return m, m.startRead()
}

func (m *reviewStep) startRead() tea.Cmd {
	m.gen++
	m.read, m.err = stateLoading, nil
	return tea.Batch(m.readLive(m.gen), m.spin.Tick)
}

// readLive reads what the planner needs for the plan.
func (m reviewStep) readLive(gen int) tea.Cmd {
	api, ctx, p := m.api, m.sess.Context(), m.sess.Plan
	return func() tea.Msg {
		live, err := ReadLiveState(ctx, api, p)
		return liveReadMsg{gen: gen, live: live, err: err}
	}
}

func (m reviewStep) scriptPath() string { return filepath.Join(filepath.Dir(m.path), scriptName) }

// act starts an action's write, once its gate lets it.
func (m reviewStep) act(act reviewAct) (ui.Step, tea.Cmd) {
	if g := m.gate(act); g != "" {
		m.pending = nil
		m.note, m.noteStyle, m.noteErr = m.gateText(g), "", nil
		return m, nil
	}
	replace := m.pending != nil && *m.pending == act
	m.pending = nil
	m.note, m.noteStyle, m.noteErr = "", "", nil
	switch act {
	case actExport:
		data := PlanScript(m.sess.Plan, m.changes, filepath.Base(m.path))
		m.writing = true
		return m, writeFile(act, m.scriptPath(), []byte(data), 0o755, replace)
	default:
		data, err := m.sess.Plan.Encode()
		if err != nil {
			m.noteErr = err
			return m, nil
		}
		m.writing = true
		return m, writeFile(act, m.path, data, 0o644, replace)
	}
}

func (m reviewStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.offset = m.clamp(m.offset)
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spin(m.spin, msg, m.read == stateLoading)
		return m, cmd
	case liveReadMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.err != nil {
			m.read, m.err = stateFailed, msg.err
			return m, nil
		}
		m.read = stateReady
		cs, err := Changes(m.sess.Plan, msg.live)
		m.changes, m.conflicts = cs, nil
		if err != nil && !errors.As(err, &m.conflicts) {
			m.read, m.err = stateFailed, err
		}
		m.list = GroupChanges(cs)
		m.scripts = PlanScripts(m.sess.Plan, cs)
		if len(m.scripts) == 0 {
			m.showing = false
		}
		m.offset = m.clamp(m.offset)
		return m, nil
	case fileWrittenMsg[reviewAct]:
		m.writing = false
		switch {
		case msg.exists:
			act := msg.act
			m.pending = &act
			m.note = m.c.Tr.T("review.exists", "Path", msg.path, "Key", m.actKey(act))
		case msg.err != nil:
			m.noteErr = msg.err
			m.note = m.c.Tr.T("review.write.failed", "Path", msg.path)
		default:
			m.written[msg.act] = msg.path
			m.noteStyle, m.lastAct = "ok", msg.act
			m.note = m.c.Tr.T(map[reviewAct]string{actSave: "review.saved", actExport: "review.exported", actConfirm: "review.confirmed"}[msg.act],
				"Path", msg.path)
			m.note += realIDsNote(m.c.Tr) // --redact: these files are not
			if msg.act == actConfirm {
				m.confirmed = true
				m.sess.PlanPath = msg.path
				m.sess.Confirmed = append([]Change(nil), m.changes...)
				m.sess.ConfirmedRev++
				m.sess.Log.Add("review", m.c.Tr.T("log.review.confirmed", "Path", msg.path, "Count", m.list.Counts[Create]+m.list.Counts[Modify]))
			}
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m reviewStep) actKey(act reviewAct) string {
	return map[reviewAct]key.Binding{actSave: m.keys.save, actExport: m.keys.export, actConfirm: m.keys.confirm}[act].Help().Key
}

func (m reviewStep) key(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	switch {
	case m.writing:
		return m, nil
	case key.Matches(km, k.Retry) && m.read == stateFailed:
		m.pending = nil
		return m, m.startRead()
	case key.Matches(km, m.keys.save):
		return m.act(actSave)
	case key.Matches(km, m.keys.export):
		return m.act(actExport)
	case key.Matches(km, m.keys.confirm):
		return m.act(actConfirm)
	case key.Matches(km, m.keys.scripts) && len(m.scripts) > 0 && m.read == stateReady:
		m.pending = nil
		m.showing = !m.showing
		if m.showing {
			m.listOff, m.offset = m.offset, 0
		} else {
			m.offset = m.clamp(m.listOff)
		}
		return m, nil
	}
	m.pending = nil
	m.offset = m.clamp(scrollKey(k, km, m.offset, m.listHeight()))
	return m, nil
}

func (m reviewStep) Keys() []key.Binding {
	if m.missing != "" {
		return nil
	}
	out := []key.Binding{m.keys.scroll, m.keys.save}
	if m.gate(actExport) == "" {
		out = append(out, m.keys.export, m.keys.confirm)
	}
	if len(m.scripts) > 0 && m.read == stateReady {
		out = append(out, m.keys.scripts)
	}
	if m.read == stateFailed {
		out = append(out, m.c.Keys.Retry)
	}
	return out
}

// ---- drawing ----

// listHeight is how many lines the scrolled list gets.
func (m reviewStep) listHeight() int { return m.h - len(m.headLines(m.w)) - len(m.footLines(m.w)) }

// clamp keeps the scroll offset inside the list.
func (m reviewStep) clamp(off int) int {
	if m.w <= 0 {
		return max(off, 0)
	}
	return clampScroll(off, len(m.bodyLines(m.w)), m.listHeight())
}

// bodyLines are the scrolled lines: the changes, or the scripts.
func (m reviewStep) bodyLines(w int) []string {
	if m.showing {
		return m.scriptLines(w)
	}
	return m.listLines(w)
}

func (m reviewStep) View(w, h int) string {
	m.w, m.h = w, h
	tr, st := m.c.Tr, m.c.Styles
	if m.missing != "" {
		step := tr.T("step." + m.missing + ".title")
		lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("review.heading"), w)), ""}
		lines = append(lines, wrapStyled(tr.T("review.missing", "Step", step), w, st.App.Text)...)
		lines = append(lines, "")
		lines = append(lines, wrapStyled(tr.T("review.missing.next", "Step", step, "Back", m.c.Keys.Back.Help().Key), w, st.App.Muted)...)
		return strings.Join(lines, "\n")
	}
	head, foot := m.headLines(w), m.footLines(w)
	lines := head
	switch m.read {
	case stateLoading, stateIdle:
		lines = append(lines, m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("review.reading"), w-2)))
	case stateFailed:
		lines = append(lines, problemLines(m.c, Explain(m.err), w)...)
		lines = append(lines, "", st.App.Muted.Render(ui.Truncate(tr.T("scope.retry"), w)))
	default:
		lines = append(lines, scrolled(m.c, m.bodyLines(w), m.offset, max(h-len(head)-len(foot), 1), w, "review.position")...)
	}
	return ui.Frame(strings.Join(lines, "\n"), w, h-len(foot)) + "\n" + strings.Join(foot, "\n")
}

// headLines are the heading and the counts per kind.
func (m reviewStep) headLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	p := m.sess.Plan
	title := tr.T("review.heading")
	if p != nil {
		title = tr.T("review.heading.vault", "Vault", p.Vault.Name, "Region", azure.NormalizeLocation(p.Vault.Location))
	}
	out := []string{ui.Fit(st.Body.Heading.Render(ui.Truncate(title, w)), w)}
	if m.read == stateReady {
		out = append(out, kindCounts(m.c, m.list.Counts, w))
	}
	return out
}

// footLines say what the last action did, or what the actions do.
func (m reviewStep) footLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := []string{""}
	switch {
	case m.showing && m.note == "" && m.noteErr == nil:
		out = append(out, wrapStyled(tr.T("review.scripts.foot", "Key", m.keys.scripts.Help().Key), w, st.App.Muted)...)
	case m.noteErr != nil:
		out = append(out, errorNoteLines(m.c, m.note, m.noteErr, w)...)
	case m.pending != nil:
		out = append(out, wrapStyled(m.note, w, st.Verdict["warn"])...)
	case m.note != "" && m.noteStyle == "ok":
		out = append(out, wrapStyled(m.note, w, st.Verdict["ok"])...)
		if m.lastAct == actConfirm {
			out = append(out, wrapStyled(tr.T("review.confirmed.next", "Path", m.written[actConfirm]), w, st.App.Muted)...)
		}
	case m.note != "":
		out = append(out, wrapStyled(m.note, w, st.App.Muted)...)
	default:
		out = append(out, wrapStyled(tr.T("review.nothing"), w, st.App.Muted)...)
	}
	return out
}

var kindStyle = map[ChangeKind]string{Create: "ok", Modify: "fixable", NoChange: "info", Skip: "warn"}

// kindCounts is how many changes there are of each kind, on one line cut to
// w, each kind in its style.
func kindCounts(c *ui.Common, counts map[ChangeKind]int, w int) string {
	tr, st := c.Tr, c.Styles
	var parts []string
	for _, k := range changeKinds {
		parts = append(parts, st.Verdict[kindStyle[k]].Render(changeGlyph(k)+" "+tr.T("change.kind."+string(k)))+" "+fmt.Sprint(counts[k]))
	}
	return ui.Truncate(strings.Join(parts, st.App.Muted.Render(" · ")), w)
}

// changeList renders changes as the review lists show them (Review's, and
// Protect's own): the kind in a column as wide as the longest kind's word
// in the user's language, what the change does wrapped beside it, and its
// reason dimmed under that.
type changeList struct {
	c     *ui.Common
	wordW int
}

func newChangeList(c *ui.Common) changeList {
	l := changeList{c: c}
	for _, k := range changeKinds {
		l.wordW = max(l.wordW, ui.Width(c.Tr.T("change.kind."+string(k))))
	}
	return l
}

// lines renders one change indented by indent: what it does (text, marked
// when it cannot be undone) and, with why, the reason for it.
func (l changeList) lines(ch Change, indent int, text string, why bool, w int) []string {
	tr, st := l.c.Tr, l.c.Styles
	word := tr.T("change.kind." + string(ch.Kind))
	cell := changeGlyph(ch.Kind) + " " + word + strings.Repeat(" ", l.wordW-ui.Width(word)) + "  "
	cw := ui.Width(cell)
	if ch.Irreversible {
		text += "  " + tr.T("changes.irreversible")
	}
	out := hang(strings.Repeat(" ", indent)+st.Verdict[kindStyle[ch.Kind]].Render(cell), indent+cw, text, w)
	if why {
		for _, line := range ui.Wrap(tr.T(ch.Reason, ch.Args...), max(w-indent-cw, 8)) {
			out = append(out, strings.Repeat(" ", indent+cw)+st.App.Faint.Render(line))
		}
	}
	return out
}

// hang renders prefix then text wrapped to w, continuation lines indented
// under the text.
func hang(prefix string, prefixW int, text string, w int) []string {
	var out []string
	for i, l := range ui.Wrap(text, max(w-prefixW, 8)) {
		if i == 0 {
			out = append(out, prefix+l)
			continue
		}
		out = append(out, strings.Repeat(" ", prefixW)+l)
	}
	if len(out) == 0 {
		out = append(out, prefix)
	}
	return out
}

// listLines is the scrolled part: conflicts, the changes by region and
// resource, the VMs left out, and what cannot be undone.
func (m reviewStep) listLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	var out []string
	if len(m.conflicts) > 0 {
		out = append(out, "")
		for _, c := range m.conflicts {
			args := append([]any{"Field", c.Field}, c.Args...)
			out = append(out, problemLines(m.c, Problem{What: "review.conflict", Why: c.Reason, Next: "review.conflict.next", Args: args}, w)...)
		}
	}
	list := newChangeList(m.c)
	change := func(c Change, indent int, what string) {
		text := what
		switch {
		case c.Kind == NoChange && c.To != "":
			text += "  " + c.To
		case c.From != "" || c.To != "":
			text += "  " + tr.T("changes.fromto", "From", orDash(c.From), "To", orDash(c.To))
		}
		// Why a change is made, and why a VM is left out; a creation says
		// enough by itself, and "no change" needs no reason.
		out = append(out, list.lines(c, indent, text, c.Kind == Modify || c.Kind == Skip, w)...)
	}
	for _, g := range m.list.Groups {
		out = append(out, "")
		region := g.Region
		if region == "" {
			region = tr.T("review.region.subscription")
		}
		out = append(out, st.App.Accent.Render(ui.Truncate(region, w)))
		vmHead := false
		for _, r := range g.Resources {
			if r.Kind == "vm" {
				if !vmHead {
					vmHead = true
					n := 0
					for _, x := range g.Resources {
						if x.Kind == "vm" {
							n++
						}
					}
					out = append(out, "  "+st.Body.Heading.Render(ui.Truncate(tr.T("review.vms", "Count", n), w-2)))
				}
				for _, c := range r.Changes {
					change(c, 4, r.Name)
				}
				continue
			}
			label := tr.T("review.resource." + r.Kind)
			if strings.HasPrefix(label, "review.resource.") {
				label = ""
			} else {
				label = st.App.Muted.Render(" · " + label)
			}
			out = append(out, ui.Truncate("  "+st.Body.Heading.Render(r.Name)+label, w))
			for _, c := range r.Changes {
				change(c, 4, tr.T("change.action."+c.Action))
			}
		}
	}
	if len(m.list.Left) > 0 {
		out = append(out, "", st.Verdict["warn"].Render(ui.Truncate(tr.T("review.left", "Count", len(m.list.Left)), w)))
		for _, c := range m.list.Left {
			change(c, 2, lastSegment(c.Target))
		}
	}
	if n := len(m.scripts); n > 0 {
		out = append(out, "")
		out = append(out, wrapStyled(tr.T("review.scripts.note", "Count", n, "Key", m.keys.scripts.Help().Key), w, st.App.Muted)...)
	}
	if m.list.Irreversible > 0 {
		out = append(out, "")
		for i, l := range ui.Wrap(tr.T("review.irreversible", "Mark", tr.T("changes.irreversible")), w-2) {
			g := "  "
			if i == 0 {
				g = st.Verdict["warn"].Render("!") + " "
			}
			out = append(out, g+st.App.Text.Render(l))
		}
	}
	return out
}

// ScriptGroup is one script the plan runs inside VMs with Run Command, and
// the VMs it runs on (VMs of one OS with the same settings share a script).
type ScriptGroup struct {
	Action string // the change action that runs it
	Lang   string // "sh" or "powershell"
	Script string
	VMs    []string // names
}

// PlanScripts are the distinct scripts the changes run inside VMs, in the
// order of their first change: what Review shows before anything runs.
func PlanScripts(p *Plan, changes []Change) []ScriptGroup {
	var out []ScriptGroup
	for _, c := range changes {
		lang, script, ok := ChangeScript(p, c)
		if !ok {
			continue
		}
		name := argString(c.Args, "VM")
		if name == "" {
			name = lastSegment(c.Target)
		}
		i := slices.IndexFunc(out, func(g ScriptGroup) bool { return g.Action == c.Action && g.Script == script })
		if i < 0 {
			out = append(out, ScriptGroup{Action: c.Action, Lang: lang, Script: script})
			i = len(out) - 1
		}
		if !slices.Contains(out[i].VMs, name) {
			out[i].VMs = append(out[i].VMs, name)
		}
	}
	return out
}

// scriptLines show each script the plan runs inside VMs, exactly as it will
// run: a heading naming what it does and where, then its lines in a gutter,
// long lines cut into pieces of the width (never reflowed: it is code).
func (m reviewStep) scriptLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	var out []string
	for _, g := range m.scripts {
		out = append(out, "")
		head := tr.T("review.scripts.heading", "What", tr.T("change.action."+g.Action), "Lang", g.Lang, "Count", len(g.VMs))
		out = append(out, wrapStyled(head, w, st.Body.Heading)...)
		out = append(out, wrapStyled(tr.T("review.scripts.vms", "VMs", strings.Join(g.VMs, ", ")), w, st.App.Muted)...)
		gutter := st.App.Faint.Render("│ ")
		for _, l := range strings.Split(strings.TrimRight(g.Script, "\n"), "\n") {
			l = strings.ReplaceAll(strings.TrimRight(l, "\r"), "\t", "    ")
			for _, piece := range codePieces(l, max(w-2, 8)) {
				out = append(out, gutter+st.App.Text.Render(piece))
			}
		}
	}
	return out
}

// codePieces cuts a line of code into pieces at most w cells wide.
func codePieces(l string, w int) []string {
	if l == "" {
		return []string{""}
	}
	var out []string
	for l != "" {
		piece := cutWidth(l, w)
		out = append(out, piece)
		l = l[len(piece):]
	}
	return out
}

// cutWidth is the longest prefix of s at most w cells wide (at least one
// character).
func cutWidth(s string, w int) string {
	width := 0
	for i, r := range s {
		rw := ui.Width(string(r))
		if width+rw > w && i > 0 {
			return s[:i]
		}
		width += rw
	}
	return s
}
