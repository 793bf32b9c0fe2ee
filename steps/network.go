package steps

import (
	"cmp"
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
	"github.com/backupready/backupready/ui"
)

// Step 4, network (AZURE.md §4): today's Azure moves VM backup snapshots
// over the platform, so most VMs need no outbound access; it matters for
// VMs with write-accelerated disks and as the fix of
// ExtensionSnapshotFailedNoNetwork. The step diagnoses first (each VM's
// backup path through its NIC and subnet NSGs, and on request the effective
// rules of running VMs), then offers the paths with their trade-off and puts
// the choice into Session.Plan. Nothing changes in Azure here: Review shows
// the changes the planner makes of the choice (networkChanges), and this
// step shows them computed by the same function.

// networkStepAPI is what the network step calls in Azure.
type networkStepAPI interface {
	BeginEffectiveRules(ctx context.Context, nicID, resumeToken string) (*azure.Operation, func() []azure.EffectiveNSG, error)
	ServiceTags(ctx context.Context, subscriptionID, location string) (changeNumber string, tags []azure.ServiceTag, err error)
}

// ---- decisions ----

// Backup path states of a VM (NetVerdict.State).
const (
	NetAllowed  = "allowed"  // every NSG on the path allows HTTPS to Storage
	NetBlocked  = "blocked"  // an NSG denies it
	NetNoEgress = "noegress" // a subnet without default outbound access, NAT gateway or route
	NetNoNSG    = "nonsg"    // no NSG: Azure's defaults allow
	NetUnknown  = "unknown"  // a NIC, subnet, NSG or route table could not be read
	NetForced   = "forced"   // forced tunnelling: a route sends it to an appliance or a gateway, which decides
	NetDropped  = "dropped"  // a route drops it (next hop None)
	NetManaged  = "managed"  // a Virtual Network Manager admin rule denies it: no NSG rule can open it
)

// NetVerdict is a VM's backup path (outbound TCP 443 to Storage.<region>)
// as its NIC and subnet NSGs decide it, naming the deciding rule.
type NetVerdict struct {
	VM       *azure.VM
	State    string
	Rule     string // the deciding rule (allowed, blocked)
	Priority int32
	NSG      string // the NSG of that rule; the unreadable item (unknown)
	Subnet   string // the subnet without egress (noegress)
	NSGIDs   []string
	WA       bool // write-accelerated disks: the VM needs outbound access
	// Path is the route of the backup path (BackupRoute): the one that
	// decides (forced, dropped, unknown route table) or adds to a block,
	// else the first subnet's.
	Path RoutePath
	// Managed: the deciding rule is a Virtual Network Manager admin rule
	// (association NetworkManager); backupready never edits it.
	Managed bool
}

// NetworkDiagnosis judges the backup path of each VM from the inventory's
// NSGs, subnets and route tables (evalNSG and BackupRoute, as the preflight
// rule network.outbound and the planner do).
func NetworkDiagnosis(vms []*azure.VM, inv *azure.Inventory, region string) []NetVerdict {
	out := make([]NetVerdict, 0, len(vms))
	for _, vm := range vms {
		out = append(out, diagnoseVM(vm, inv, region))
	}
	return out
}

func diagnoseVM(vm *azure.VM, inv *azure.Inventory, region string) NetVerdict {
	v := NetVerdict{VM: vm, WA: hasWriteAccelerator(vm)}
	var allowed, blocked *NetVerdict
	unknown, noEgress := "", ""
	var forced, dropped, unreadable, first *RoutePath
	if inv == nil || len(vm.NICs) == 0 {
		unknown = vm.Name
	}
	judge := func(id string, ips []netip.Addr) {
		if !slices.ContainsFunc(v.NSGIDs, func(s string) bool { return strings.EqualFold(s, id) }) {
			v.NSGIDs = append(v.NSGIDs, id)
		}
		n := inv.NSG(id)
		if n == nil {
			unknown = lastSegment(id)
			return
		}
		d := evalNSG(n, region, ips)
		x := &NetVerdict{Rule: d.rule, Priority: d.priority, NSG: n.Name}
		switch {
		case !d.allow && (blocked == nil || d.priority < blocked.Priority):
			blocked = x
		case d.allow && allowed == nil:
			allowed = x
		}
	}
	for _, nic := range vm.NICs {
		if inv == nil {
			break
		}
		if nic.Missing || len(nic.SubnetIDs) == 0 {
			unknown = lastSegment(nic.ID)
			continue
		}
		ips := nicAddrs(nic)
		if nic.NSGID != "" {
			judge(nic.NSGID, ips)
		}
		for _, sid := range nic.SubnetIDs {
			s := inv.Subnet(sid)
			if s == nil {
				unknown = lastSegment(sid)
				continue
			}
			if s.NSGID != "" {
				judge(s.NSGID, ips)
			}
			p := BackupRoute(inv, nic, s, region)
			if first == nil {
				first = &p
			}
			switch p.Kind {
			case PathNoEgress:
				noEgress = lastSegment(sid)
			case PathAppliance, PathGateway:
				if forced == nil {
					forced = &p
				}
			case PathDropped:
				if dropped == nil {
					dropped = &p
				}
			case PathUnreadable:
				unreadable = &p
				unknown = p.Table
			}
		}
	}
	route := dropped
	if route == nil {
		route = forced
	}
	if route == nil {
		route = first
	}
	if route != nil {
		v.Path = *route
	}
	switch {
	case blocked != nil:
		v.State, v.Rule, v.Priority, v.NSG = NetBlocked, blocked.Rule, blocked.Priority, blocked.NSG
	case dropped != nil:
		v.State = NetDropped
	case forced != nil:
		v.State = NetForced
	case unknown != "":
		if unreadable != nil && unknown == unreadable.Table {
			v.Path = *unreadable
		}
		v.State, v.NSG = NetUnknown, unknown
	case noEgress != "":
		v.State, v.Subnet = NetNoEgress, noEgress
	case allowed != nil:
		v.State, v.Rule, v.Priority, v.NSG = NetAllowed, allowed.Rule, allowed.Priority, allowed.NSG
	default:
		v.State = NetNoNSG
	}
	return v
}

// EffectiveVerdict judges the backup path from a NIC's effective security
// rules: Virtual Network Manager admin rules first (a Deny decides and no
// NSG rule can open it: NetManaged; an AlwaysAllow decides), then every NSG
// applied to it must allow; the first deny names the rule.
func EffectiveVerdict(nsgs []azure.EffectiveNSG, region string, ips []netip.Addr) NetVerdict {
	if mv, ok, _ := managedVerdict(nsgs, region, ips); ok {
		return mv
	}
	v := NetVerdict{State: NetAllowed}
	set := false
	for _, e := range nsgs {
		if strings.EqualFold(e.Association, AssocNetworkManager) {
			continue // judged above
		}
		n := &azure.NSG{ID: e.NSGID, Name: lastSegment(e.NSGID)}
		if n.Name == "" {
			n.Name = e.Association
		}
		for _, r := range e.Rules {
			name := effectiveRuleName(r.Name)
			n.Rules = append(n.Rules, azure.SecurityRule{Name: name, Priority: r.Priority, Direction: r.Direction, Access: r.Access,
				Protocol: r.Protocol, Sources: r.Sources, Destinations: r.Destinations, DestPorts: r.DestPorts})
		}
		d := evalNSG(n, region, ips)
		switch {
		case !d.allow && v.State != NetBlocked:
			v = NetVerdict{State: NetBlocked, Rule: d.rule, Priority: d.priority, NSG: n.Name}
			set = true
		case d.allow && !set:
			v.Rule, v.Priority, v.NSG = d.rule, d.priority, n.Name
			set = true
		}
	}
	if !set {
		v.State = NetNoNSG
	}
	return v
}

// NetworkRecommend is the mode the step recommends: service tags when some
// VM's path is blocked, else none.
func NetworkRecommend(diag []NetVerdict) string {
	for _, d := range diag {
		if d.State == NetBlocked {
			return NetworkServiceTags
		}
	}
	return NetworkNone
}

// netModes are the choices, in the order shown.
var netModes = []string{NetworkServiceTags, NetworkProxy, NetworkNone, NetworkIPRanges}

// NSGRuleView is one NSG the service tags mode touches: its outbound rules
// in priority order with the new rule inserted (New marks it; Blocking marks
// the rule that blocks today), or the planner's reason when it adds nothing.
type NSGRuleView struct {
	NSG      *azure.NSG
	Change   Change
	Rules    []azure.SecurityRule // after, in priority order
	New      int                  // index of the new rule in Rules, -1 when none
	Blocking string               // the rule that blocks today
}

// ServiceTagViews are the NSGs the plan's service tags mode touches, as the
// planner (networkChanges) plans them for the plan's priority.
func ServiceTagViews(p *Plan, inv *azure.Inventory, vms []*azure.VM) []NSGRuleView {
	if p == nil || inv == nil {
		return nil
	}
	q := *p
	q.Network.Mode = NetworkServiceTags
	if q.Network.NSGRulePriority == "" {
		q.Network.NSGRulePriority = PriorityAuto
	}
	region := azure.NormalizeLocation(p.Vault.Location)
	var conflicts PlanConflicts
	return RuleViews(networkChanges(&q, LiveState{Inventory: inv}, vms, region, &conflicts), inv)
}

// RuleViews are the before/after views of the NSGs that changes add rules
// to (their ActionNSGRule changes, planned or skipped), one per change: the
// rules of the new rule's direction in priority order.
func RuleViews(changes []Change, inv *azure.Inventory) []NSGRuleView {
	var out []NSGRuleView
	for _, c := range changes {
		if c.Action != ActionNSGRule || inv == nil {
			continue
		}
		id, name, _ := strings.Cut(c.Target, "/securityRules/")
		n := inv.NSG(id)
		if n == nil {
			continue
		}
		dir := cmp.Or(argString(c.Args, "Direction"), "Outbound")
		v := NSGRuleView{NSG: n, Change: c, New: -1, Blocking: argString(c.Args, "Rule")}
		for _, r := range n.Rules {
			if strings.EqualFold(r.Direction, dir) {
				v.Rules = append(v.Rules, r)
			}
		}
		ours := (c.Kind == Create || c.Kind == Modify) && c.Rule != nil
		if ours {
			// a rewritten rule replaces the one of its name
			v.Rules = slices.DeleteFunc(v.Rules, func(r azure.SecurityRule) bool { return strings.EqualFold(r.Name, name) })
			v.Rules = append(v.Rules, *c.Rule)
		}
		slices.SortStableFunc(v.Rules, func(a, b azure.SecurityRule) int { return int(a.Priority) - int(b.Priority) })
		if ours {
			v.New = slices.IndexFunc(v.Rules, func(r azure.SecurityRule) bool { return strings.EqualFold(r.Name, name) })
		}
		out = append(out, v)
	}
	return out
}

// argString is the value after name in a catalog argument list.
func argString(args []any, name string) string {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == name {
			switch v := args[i+1].(type) {
			case string:
				return v
			case int:
				return strconv.Itoa(v)
			}
		}
	}
	return ""
}

// CheckPriority validates a typed priority against the NSGs the plan
// touches: "" or auto is fine; a number must be 100-4096, win over each
// blocking rule and be free. It returns the catalog key and arguments of
// the reason when it is refused.
func CheckPriority(views []NSGRuleView, typed string) (string, []any) {
	t := strings.TrimSpace(typed)
	if t == "" || strings.EqualFold(t, PriorityAuto) {
		return "", nil
	}
	if v, err := strconv.Atoi(t); err != nil || v < 100 || v > 4096 {
		return "network.prio.range", nil
	}
	for _, v := range views {
		dir := cmp.Or(argString(v.Change.Args, "Direction"), "Outbound")
		blocking := int32(0)
		for _, r := range v.NSG.Rules {
			if strings.EqualFold(r.Name, v.Blocking) && strings.EqualFold(r.Direction, dir) {
				blocking = r.Priority
			}
		}
		if blocking == 0 {
			continue
		}
		if _, reason := pickPriority(v.NSG, dir, blocking, t); reason != "" {
			args := []any{"NSG", v.NSG.Name, "Rule", v.Blocking, "Priority", int(blocking)}
			switch reason {
			case "conflict.nsg-priority-loses":
				return "network.prio.loses", args
			case "conflict.nsg-priority-taken":
				return "network.prio.taken", args
			}
			return "network.prio.range", nil
		}
	}
	return "", nil
}

// ProxyInput validates the proxy fields as typed: the proxy, or the
// catalog key of what is wrong (network.proxy.err.<field>.<reason>).
func ProxyInput(host, port, noProxy string) (guest.Proxy, string) {
	p := 0
	if s := strings.TrimSpace(port); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1
		}
		p = n
	}
	var list []string
	if strings.TrimSpace(noProxy) != "" {
		list = []string{noProxy}
	}
	px, err := guest.NewProxy(host, p, list)
	if err != nil {
		if ie, ok := err.(*guest.InputError); ok {
			return guest.Proxy{}, "network.proxy.err." + ie.Field + "." + ie.Reason
		}
		return guest.Proxy{}, "network.proxy.err.host.invalid"
	}
	return px, ""
}

// LinuxProxyCommand is what the user runs on each Linux VM.
func LinuxProxyCommand(p guest.Proxy) string {
	s := "sudo backupready guest proxy --host " + p.Host + " --port " + strconv.Itoa(p.Port)
	if len(p.NoProxy) > 0 {
		s += " --no-proxy " + strings.Join(p.NoProxy, ",")
	}
	return s
}

// ProxyScriptName is the Windows script the step writes next to the plan.
const ProxyScriptName = "backupready-proxy.ps1"

// ---- screen ----

const (
	netPageMain = iota
	netPageRules
	netPageProxy
)

// effective rules read of one VM
type netEffRead struct {
	state   loadState
	verdict NetVerdict
	err     error
	admin   int // Virtual Network Manager admin rules among the effective rules

	route     RoutePath // the effective routes' path (routeRead)
	routeRead bool
	routeErr  error
}

type (
	netEffMsg struct {
		gen  int
		vm   string
		nsgs []azure.EffectiveNSG
		err  error

		routes     []azure.EffectiveRoute
		routesRead bool // the API read them (routeErr: and failed)
		routeErr   error
	}
	netAct int
)

type networkKeys struct {
	choose, effective, priority, edit, script, apply key.Binding
}

// networkStep is the screen model of step 4.
type networkStep struct {
	c    *ui.Common
	sess *Session
	api  networkStepAPI
	w, h int
	spin spinner.Model
	keys networkKeys
	// pollEvery is how often an effective rules read is polled.
	pollEvery time.Duration

	key    string // what the diagnosis is about (plan VMs, region, inventory)
	region string
	vms    []*azure.VM
	diag   []NetVerdict
	work   []WorkloadVerdict // database VMs' workload backup tags

	page      int
	cursor    int
	committed bool   // the user chose the plan's mode on this screen (or before)
	note      string // a catalog key said under the choices until the next key
	off       int    // scroll offset of the rules and proxy pages

	effGen int
	eff    map[string]netEffRead // by VM id

	prio      ui.Field
	prioEdit  bool
	fields    [3]ui.Field // host, port, no proxy
	focus     int         // the focused proxy field, -1 none
	script    *fileWrittenMsg[netAct]
	replacing bool

	ipr iprRead // the service tags read for IP ranges (network_ipranges.go)
}

func newNetworkStep(c *ui.Common, sess *Session, api networkStepAPI) networkStep {
	tr := c.Tr
	m := networkStep{
		c: c, sess: sess, api: api, spin: ui.NewSpinner(c.Extra), pollEvery: 2 * time.Second, focus: -1,
		keys: networkKeys{
			choose:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("network.key.choose"))),
			effective: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", tr.T("network.key.effective"))),
			priority:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", tr.T("network.key.priority"))),
			edit:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("network.key.edit"))),
			script:    key.NewBinding(key.WithKeys("w"), key.WithHelp("w", tr.T("network.key.script"))),
			apply:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("network.key.apply"))),
		},
	}
	m.prio.Prompt = tr.T("network.prio.prompt")
	m.prio.Placeholder = PriorityAuto
	for i, k := range []string{"network.proxy.host", "network.proxy.port", "network.proxy.noproxy"} {
		m.fields[i].Prompt = tr.T(k)
	}
	m.fields[2].Placeholder = tr.T("network.proxy.noproxy.hint")
	return m
}

func (m networkStep) Title() string   { return m.c.Tr.T("step.network.title") }
func (m networkStep) Explain() string { return m.c.Tr.T("network.why") }
func (m networkStep) Init() tea.Cmd   { return nil }
func (m networkStep) Capturing() bool { return m.prioEdit || m.focus >= 0 }
func (m networkStep) Next() (ui.Step, tea.Cmd, bool) {
	return m, nil, false
}

// Deactivate stops typing; what was typed stays.
func (m networkStep) Deactivate() (ui.Step, tea.Cmd) {
	m.prioEdit = false
	m.prio.Blur()
	m.blurFields()
	return m, nil
}

// Back leaves the rules or proxy page for the choices first.
func (m networkStep) Back() (ui.Step, tea.Cmd, bool) {
	if m.page == netPageMain {
		return m, nil, false
	}
	m.prioEdit = false
	m.prio.Blur()
	m.blurFields()
	m.page, m.off = netPageMain, 0
	return m, nil, true
}

func (m *networkStep) blurFields() {
	for i := range m.fields {
		m.fields[i].Blur()
	}
	m.focus = -1
}

// diagKey names what the diagnosis is about.
func (m networkStep) diagKey() string {
	p := m.sess.Plan
	if p == nil {
		return ""
	}
	return strconv.Itoa(m.sess.Revision) + "\n" + p.Subscription + "\n" + azure.NormalizeLocation(p.Vault.Location) + "\n" + strings.Join(p.VMs, "\n")
}

// planVMs are the plan's VMs in its subscription and region, as the
// inventory has them.
func planVMs(p *Plan, inv *azure.Inventory) []*azure.VM {
	if p == nil || inv == nil {
		return nil
	}
	region := azure.NormalizeLocation(p.Vault.Location)
	var out []*azure.VM
	for _, id := range p.VMs {
		for i := range inv.VMs {
			vm := &inv.VMs[i]
			if strings.EqualFold(vm.ID, id) && strings.EqualFold(vm.SubscriptionID, p.Subscription) && azure.NormalizeLocation(vm.Location) == region {
				out = append(out, vm)
			}
		}
	}
	return out
}

// Activate diagnoses again when the plan's VMs or region changed.
func (m networkStep) Activate() (ui.Step, tea.Cmd) {
	k := m.diagKey()
	p := m.sess.Plan
	if p == nil {
		m.key, m.diag, m.vms, m.committed = "", nil, nil, false
		return m, nil
	}
	if k != m.key {
		m.key = k
		m.region = azure.NormalizeLocation(p.Vault.Location)
		m.vms = planVMs(p, m.sess.Inventory)
		m.diag = NetworkDiagnosis(m.vms, m.sess.Inventory, m.region)
		m.work = WorkloadDiagnosis(m.vms, m.sess.Inventory, m.region)
		m.eff, m.effGen = nil, m.effGen+1
		m.page, m.off, m.note = netPageMain, 0, ""
		m.committed = p.Network.Mode != "" && p.Network.Mode != NetworkNone
		m.cursor = slices.Index(netModes, m.recommend())
		if m.committed {
			m.cursor = max(0, slices.Index(netModes, p.Network.Mode))
		}
		if px := p.Network.Proxy; px != nil {
			m.fields[0].SetValue(px.Host)
			m.fields[1].SetValue(strconv.Itoa(px.Port))
			m.fields[2].SetValue(strings.Join(px.NoProxy, ","))
		}
		if pr := p.Network.NSGRulePriority; pr != "" && pr != PriorityAuto {
			m.prio.SetValue(pr)
		}
	}
	if m.committed && p.Network.Mode == NetworkNone && netModes[m.cursor] != NetworkNone {
		// another step rebuilt the plan: the choice is to be made again
		m.committed = false
	}
	return m, nil
}

func (m networkStep) recommend() string { return NetworkRecommend(m.diag) }

func (m networkStep) anyBlocked() bool { return m.recommend() == NetworkServiceTags }

// mode is the plan's network mode.
func (m networkStep) mode() string {
	if m.sess.Plan == nil || m.sess.Plan.Network.Mode == "" {
		return NetworkNone
	}
	return m.sess.Plan.Network.Mode
}

// setNetwork writes the network section into the session's plan.
func (m networkStep) setNetwork(n PlanNetwork) {
	if m.sess.Plan == nil {
		return
	}
	if n.NSGRulePriority == "" {
		n.NSGRulePriority = PriorityAuto
	}
	p := *m.sess.Plan
	p.Network = n
	m.sess.Plan = &p
}

func (m networkStep) views() []NSGRuleView {
	if m.mode() == NetworkIPRanges {
		return m.ipRangeViews()
	}
	return ServiceTagViews(m.sess.Plan, m.sess.Inventory, m.vms)
}

func (m networkStep) effBusy() bool {
	for _, e := range m.eff {
		if e.state == stateLoading {
			return true
		}
	}
	return false
}

// effTargets are the running VMs whose effective rules are read: one per
// set of NSGs, at most three.
func (m networkStep) effTargets() []*azure.VM {
	var out []*azure.VM
	seen := map[string]bool{}
	for _, d := range m.diag {
		if !d.VM.Running() || len(d.VM.NICs) == 0 {
			continue
		}
		ids := slices.Clone(d.NSGIDs)
		for i := range ids {
			ids[i] = strings.ToLower(ids[i])
		}
		slices.Sort(ids)
		k := strings.Join(ids, "\n")
		if seen[k] || len(out) == 3 {
			continue
		}
		seen[k] = true
		out = append(out, d.VM)
	}
	return out
}

func (m networkStep) readEffective() (ui.Step, tea.Cmd) {
	targets := m.effTargets()
	if len(targets) == 0 || m.effBusy() {
		return m, nil
	}
	m.effGen++
	m.eff = map[string]netEffRead{}
	cmds := []tea.Cmd{m.spin.Tick}
	api, ctx, every, gen := m.api, m.sess.Context(), m.pollEvery, m.effGen
	for _, vm := range targets {
		m.eff[vm.ID] = netEffRead{state: stateLoading}
		nic := vm.NICs[0]
		for _, n := range vm.NICs {
			if n.Primary {
				nic = n
			}
		}
		id, nicID := vm.ID, nic.ID
		cmds = append(cmds, func() tea.Msg {
			wait := func(op *azure.Operation) error { return op.Wait(ctx, every, nil) }
			op, res, err := api.BeginEffectiveRules(ctx, nicID, "")
			if err == nil {
				err = wait(op)
			}
			if err != nil {
				return netEffMsg{gen: gen, vm: id, err: err}
			}
			routes, read, rerr := effRouteRead(ctx, api, nicID, wait)
			return netEffMsg{gen: gen, vm: id, nsgs: res(), routes: routes, routesRead: read, routeErr: rerr}
		})
	}
	m.sess.Log.Add("network", m.c.Tr.T("network.log.effective", "Count", len(targets)))
	return m, tea.Batch(cmds...)
}

func (m networkStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spin(m.spin, msg, m.effBusy() || m.tagsBusy())
		return m, cmd
	case netTagsMsg:
		return m.tagsRead(msg), nil
	case netEffMsg:
		if msg.gen != m.effGen || m.eff == nil {
			return m, nil
		}
		m.eff[msg.vm] = m.effDone(msg)
		return m, nil
	case fileWrittenMsg[netAct]:
		m.script = &msg
		m.replacing = msg.exists
		if msg.err == nil && !msg.exists {
			m.sess.Log.Add("network", m.c.Tr.T("network.log.script", "Path", msg.path))
		}
		return m, nil
	case tea.KeyPressMsg, tea.PasteMsg:
		if m.sess.Plan == nil {
			return m, nil
		}
		switch m.page {
		case netPageRules:
			return m.rulesKey(msg)
		case netPageProxy:
			return m.proxyKey(msg)
		}
		if km, ok := msg.(tea.KeyPressMsg); ok {
			return m.mainKey(km)
		}
	}
	return m, nil
}

func (m networkStep) mainKey(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	m.note = ""
	if key.Matches(km, m.keys.effective) {
		return m.readEffective()
	}
	if key.Matches(km, m.keys.choose) {
		switch mode := netModes[m.cursor]; mode {
		case NetworkIPRanges:
			return m.chooseIPRanges()
		case NetworkNone:
			m.setNetwork(PlanNetwork{Mode: NetworkNone, NSGRulePriority: m.sess.Plan.Network.NSGRulePriority})
			m.committed = true
			m.sess.Log.Add("network", m.c.Tr.T("network.log.mode", "Mode", mode))
		case NetworkServiceTags:
			m.setNetwork(PlanNetwork{Mode: NetworkServiceTags, NSGRulePriority: m.sess.Plan.Network.NSGRulePriority})
			m.committed = true
			m.page, m.off = netPageRules, 0
			m.sess.Log.Add("network", m.c.Tr.T("network.log.mode", "Mode", mode))
		case NetworkProxy:
			m.page, m.off = netPageProxy, 0
			if m.mode() != NetworkProxy {
				m.focus = 0
				m.fields[0].Focus()
			}
		}
		return m, nil
	}
	m.cursor = move(m.c.Keys, km, m.cursor, len(netModes), len(netModes))
	return m, nil
}

func (m networkStep) rulesKey(msg tea.Msg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	km, isKey := msg.(tea.KeyPressMsg)
	if m.prioEdit {
		switch {
		case isKey && key.Matches(km, k.Clear):
			m.prioEdit = false
			m.prio.Blur()
			m.prio.SetValue(strings.TrimPrefix(m.sess.Plan.Network.NSGRulePriority, PriorityAuto))
			return m, nil
		case isKey && key.Matches(km, k.Done):
			if r, _ := CheckPriority(m.views(), m.prio.Value()); r != "" {
				return m, nil
			}
			v := strings.TrimSpace(m.prio.Value())
			if v == "" || strings.EqualFold(v, PriorityAuto) {
				v = PriorityAuto
				m.prio.SetValue("")
			}
			m.setNetwork(PlanNetwork{Mode: m.rulesMode(), NSGRulePriority: v})
			m.prioEdit = false
			m.prio.Blur()
			m.sess.Log.Add("network", m.c.Tr.T("network.log.priority", "Priority", v))
			return m, nil
		}
		m.prio, _ = m.prio.Update(msg)
		return m, nil
	}
	if !isKey {
		return m, nil
	}
	switch {
	case key.Matches(km, m.keys.priority) && len(m.views()) > 0:
		m.prioEdit = true
		m.prio.Focus()
		return m, nil
	case key.Matches(km, k.Close):
		m.page, m.off = netPageMain, 0
		return m, nil
	}
	m.off = scrollKey(k, km, m.off, max(m.h-2, 1))
	m.off = max(0, m.off)
	return m, nil
}

func (m networkStep) proxyKey(msg tea.Msg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	km, isKey := msg.(tea.KeyPressMsg)
	if m.focus >= 0 {
		switch {
		case isKey && key.Matches(km, k.Clear):
			m.blurFields()
			return m, nil
		case isKey && (km.String() == "up" || km.String() == "down"):
			m.fields[m.focus].Blur()
			if km.String() == "up" {
				m.focus = (m.focus + 2) % 3
			} else {
				m.focus = (m.focus + 1) % 3
			}
			m.fields[m.focus].Focus()
			return m, nil
		case isKey && key.Matches(km, k.Done):
			px, bad := ProxyInput(m.fields[0].Value(), m.fields[1].Value(), m.fields[2].Value())
			if bad != "" {
				return m, nil
			}
			m.setNetwork(PlanNetwork{Mode: NetworkProxy, NSGRulePriority: m.sess.Plan.Network.NSGRulePriority,
				Proxy: &PlanProxy{Host: px.Host, Port: px.Port, NoProxy: px.NoProxy}})
			m.committed = true
			m.blurFields()
			m.script, m.replacing = nil, false
			m.sess.Log.Add("network", m.c.Tr.T("network.log.proxy", "Proxy", px.HostPort()))
			return m, nil
		}
		m.fields[m.focus], _ = m.fields[m.focus].Update(msg)
		return m, nil
	}
	if !isKey {
		return m, nil
	}
	switch {
	case key.Matches(km, m.keys.edit):
		m.focus = 0
		m.fields[0].Focus()
		return m, nil
	case key.Matches(km, m.keys.script) && m.mode() == NetworkProxy && m.windowsVMs() != "":
		px := m.sess.Plan.Network.Proxy
		data := guest.WindowsProxyScript(px.Host, px.Port, px.NoProxy)
		return m, writeFile(netAct(0), m.scriptPath(), []byte(data), 0o644, m.replacing)
	case key.Matches(km, k.Close):
		m.page, m.off = netPageMain, 0
		return m, nil
	}
	m.off = max(0, scrollKey(k, km, m.off, max(m.h-2, 1)))
	return m, nil
}

// scriptPath is where the Windows proxy script goes: next to the plan.
func (m networkStep) scriptPath() string {
	p := m.sess.PlanPath
	if p == "" {
		p = DefaultPlanPath
	}
	return filepath.Join(filepath.Dir(p), ProxyScriptName)
}

// linuxVMs and windowsVMs name the plan's VMs by OS ("" for none).
func (m networkStep) linuxVMs() string {
	return m.vmsOf(func(os string) bool { return os != "Windows" })
}
func (m networkStep) windowsVMs() string {
	return m.vmsOf(func(os string) bool { return os == "Windows" })
}

func (m networkStep) vmsOf(f func(os string) bool) string {
	var names []string
	for _, vm := range m.vms {
		if f(osTypeOf(vm)) {
			names = append(names, vm.Name)
		}
	}
	return strings.Join(names, ", ")
}

func (m networkStep) Complete() bool {
	if m.sess.Plan == nil || m.key != m.diagKey() {
		// not diagnosed for this plan yet: the step has not been seen
		return false
	}
	if m.committed {
		return true
	}
	return !m.anyBlocked() && m.mode() == NetworkNone
}

func (m networkStep) Hint() string {
	tr := m.c.Tr
	switch {
	case m.sess.Plan == nil:
		return tr.T("network.hint.vault")
	case m.page == netPageProxy && !m.committed:
		return tr.T("network.hint.proxy")
	case !m.Complete():
		return tr.T("network.hint.choose")
	}
	return ""
}

func (m networkStep) Keys() []key.Binding {
	k := m.c.Keys
	if m.sess.Plan == nil {
		return nil
	}
	switch m.page {
	case netPageRules:
		if m.prioEdit {
			return []key.Binding{k.Done, k.Clear}
		}
		if len(m.views()) > 0 {
			return []key.Binding{m.keys.priority, k.Up, k.Close}
		}
		return []key.Binding{k.Close}
	case netPageProxy:
		if m.focus >= 0 {
			return []key.Binding{k.Up, m.keys.apply, k.Clear}
		}
		out := []key.Binding{m.keys.edit}
		if m.mode() == NetworkProxy && m.windowsVMs() != "" {
			out = append(out, m.keys.script)
		}
		return append(out, k.Up, k.Close)
	}
	out := []key.Binding{k.Up, m.keys.choose}
	if len(m.effTargets()) > 0 && !m.effBusy() {
		out = append(out, m.keys.effective)
	}
	return out
}

// ---- drawing ----

func (m networkStep) View(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	if m.sess.Plan == nil {
		lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("network.none.heading"), w)), ""}
		lines = append(lines, wrapStyled(tr.T("network.none.body"), w, st.App.Text)...)
		return strings.Join(lines, "\n")
	}
	var lines []string
	switch m.page {
	case netPageRules:
		lines = m.rulesView(w, h)
	case netPageProxy:
		lines = m.proxyView(w, h)
	default:
		lines = m.mainView(w, h)
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// mainView: the heading, the verdicts, the choices and the trade-off of
// the choice under the cursor; the note on today's requirement when room.
func (m networkStep) mainView(w, h int) []string {
	tr, st := m.c.Tr, m.c.Styles
	head := ui.Fit(st.Body.Heading.Render(tr.T("network.heading", "Count", len(m.vms), "Region", m.region)), w)
	choices := m.choiceLines(w)
	var detail []string
	if m.note != "" {
		detail = glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"), tr.T(m.note), w, st.App.Text)
	}
	rec := m.recommendLines(w)
	// the verdicts: wrapped when they fit, else one line per VM, else the
	// first VMs and how many more
	fixed := 1 + 1 + len(rec) + len(choices) + 1 + len(detail)
	room := max(h-fixed-1, 2)
	verdicts := m.verdictLines(w, false, len(m.diag))
	if len(verdicts) > room {
		verdicts = m.verdictLines(w, true, len(m.diag))
	}
	if len(verdicts) > room {
		n := room - 1
		for n > 1 && len(m.verdictLines(w, true, n)) > room-1 {
			n--
		}
		verdicts = m.verdictLines(w, true, n)
		more := tr.T("network.more", "Count", len(m.diag)-n)
		verdicts = append(verdicts, st.App.Faint.Render(ui.Truncate(more, w)))
	}
	out := []string{head}
	note := wrapStyled(tr.T("network.note"), w, st.App.Muted)
	used := 1 + len(verdicts) + 1 + len(rec) + len(choices) + 1 + len(detail)
	if used+len(note) <= h-2 {
		out = append(out, note...)
	}
	out = append(out, verdicts...)
	if wl := m.workloadLines(w); len(wl) > 0 && len(out)+len(wl)+1+len(rec)+len(choices)+1+len(detail) <= h-1 {
		out = append(out, wl...)
	}
	out = append(out, "")
	out = append(out, rec...)
	out = append(out, choices...)
	if len(detail) == 0 {
		if room := h - len(out) - 1; room > 0 {
			detail = styleLines(ui.WrapLines(tr.T(modeAbout(netModes[m.cursor])), w, room), st.App.Text)
		}
	}
	if len(detail) > 0 {
		out = append(out, "")
		out = append(out, detail...)
	}
	return out
}

// verdictLines are one entry per VM: the verdict with the deciding rule, and
// the effective rules' answer when read.
func (m networkStep) verdictLines(w int, compact bool, n int) []string {
	tr, st := m.c.Tr, m.c.Styles
	if len(m.diag) == 0 {
		return wrapStyled(tr.T("network.novms"), w, st.App.Muted)
	}
	nw := 0
	for _, d := range m.diag {
		nw = max(nw, ui.Width(d.VM.Name))
	}
	nw = min(nw, max(w/3, 8))
	var out []string
	for _, d := range m.diag[:min(n, len(m.diag))] {
		g := map[string]string{NetAllowed: "ok", NetNoNSG: "ok", NetBlocked: "warn", NetNoEgress: "warn", NetUnknown: "info",
			NetForced: "warn", NetDropped: "warn", NetManaged: "warn"}[d.State]
		text := m.verdictText(d)
		if d.WA {
			text = ui.JoinSentences(text, tr.T("network.verdict.wa"))
		}
		name := ui.Truncate(d.VM.Name, nw)
		name += strings.Repeat(" ", nw-ui.Width(name))
		// glyph, space, name, two spaces: the text starts at nw+4
		pad := strings.Repeat(" ", nw+4)
		tw := max(w-nw-4, 10)
		wrapped := ui.Wrap(text, tw)
		if compact {
			wrapped = []string{ui.Truncate(text, tw)}
		}
		for i, l := range wrapped {
			if i == 0 {
				out = append(out, ui.Fit(st.Verdict[g].Render(ui.VerdictGlyph(g))+" "+st.Table.Cell.Render(name)+"  "+st.App.Text.Render(l), w))
				continue
			}
			out = append(out, ui.Fit(pad+st.App.Text.Render(l), w))
		}
		if e, ok := m.eff[d.VM.ID]; ok {
			type effLine = struct {
				text string
				bad  bool
			}
			var lines []effLine
			switch e.state {
			case stateLoading:
				lines = []effLine{{m.spin.View() + " " + tr.T("network.eff.reading"), false}}
			case stateFailed:
				what, _, _ := Explain(e.err).Text(tr)
				lines = []effLine{{tr.T("network.eff.failed", "Error", what), true}}
			default:
				lines = m.effLines(d, e)
			}
			for _, el := range lines {
				s := st.App.Muted
				if el.bad {
					s = st.App.Error
				}
				wl := ui.Wrap(el.text, tw)
				if compact {
					wl = []string{ui.Truncate(el.text, tw)}
				}
				for _, l := range wl {
					out = append(out, ui.Fit(pad+s.Render(l), w))
				}
			}
		}
	}
	return out
}

// recommendLines say what the step recommends and why.
func (m networkStep) recommendLines(w int) []string {
	st := m.c.Styles
	k := "network.recommend.none"
	if m.anyBlocked() {
		k = "network.recommend.tags"
	}
	return glyphLines(st.App.Accent, ui.GlyphCurrent, m.c.Tr.T(k), w, st.App.Text)
}

// choiceLines are the modes, the plan's marked, the recommended tagged.
func (m networkStep) choiceLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	rows := make([]choiceRow, len(netModes))
	for i, mode := range netModes {
		tag, ts := tr.T(modeTag(mode)), st.App.Muted
		if mode == m.recommend() {
			tag, ts = tr.T("network.tag.recommended"), st.App.Accent
		}
		on := mode == m.mode() && (m.committed || !m.anyBlocked())
		rows[i] = choiceRow{name: tr.T("network.mode." + mode), on: on, tag: tag, tagStyle: ts}
	}
	return choiceLines(m.c, rows, m.cursor, w)
}

// rulesView is the service tags mode: the priority, then every NSG the plan
// touches with its outbound rules after the change.
func (m networkStep) rulesView(w, h int) []string {
	if m.mode() == NetworkIPRanges {
		return m.ipRangesView(w, h)
	}
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	views := m.views()
	out := []string{ui.Fit(st.Body.Heading.Render(tr.T("network.rules.heading", "Tag", StorageTag(m.region))), w)}
	if len(views) == 0 {
		out = append(out, "")
		out = append(out, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("network.rules.nothing"), w, st.App.Text)...)
		return out
	}
	// the priority line, or its field
	auto := m.sess.Plan.Network.NSGRulePriority
	if m.prioEdit {
		out = append(out, m.prio.View(w, x))
		if r, args := CheckPriority(views, m.prio.Value()); r != "" {
			out = append(out, glyphLines(st.App.Error, ui.VerdictGlyph("blocked"), tr.T(r, args...), w, st.App.Error)...)
		} else {
			out = append(out, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("network.prio.ok"), w, st.App.Muted)...)
		}
	} else if auto == "" || auto == PriorityAuto {
		out = append(out, wrapStyled(tr.T("network.prio.auto"), w, st.App.Muted)...)
	} else {
		out = append(out, wrapStyled(tr.T("network.prio.fixed", "Priority", auto), w, st.App.Muted)...)
	}
	var body []string
	for _, v := range views {
		body = append(body, "")
		body = append(body, m.nsgLines(v, w)...)
	}
	body = append(body, "")
	body = append(body, wrapStyled(tr.T("network.rules.review"), w, st.App.Muted)...)
	room := max(h-len(out), 1)
	off := clampScroll(m.off, len(body), room)
	return append(out, scrolled(m.c, body, off, room, w, "network.pos")...)
}

// nsgLines draw one NSG: its name and VMs, what changes, and its outbound
// rules in priority order, the new one marked +, the blocking one !.
func (m networkStep) nsgLines(v NSGRuleView, w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	vms := argString(v.Change.Args, "VMs")
	out := []string{ui.Fit(st.Table.Cell.Bold(true).Render(v.NSG.Name)+st.App.Muted.Render(" · "+vms), w)}
	switch v.Change.Kind {
	case Create:
		out = append(out, wrapStyled(tr.T("network.rules.change", "Rule", v.Blocking, "Priority", argString(v.Change.Args, "Priority"), "New", v.Change.To), w, st.App.Text)...)
	case Modify:
		// what is rewritten and why, then the rules as they will be
		out = append(out, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T(v.Change.Reason, v.Change.Args...), w, st.App.Text)...)
	default:
		return append(out, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T(v.Change.Reason, v.Change.Args...), w, st.App.Text)...)
	}
	newTag, newMark, newStyle := tr.T("network.rules.new"), "+ ", st.Verdict["ok"]
	if v.Change.Kind == Modify {
		newTag, newMark, newStyle = tr.T("network.ipranges.changed"), "~ ", st.Verdict["warn"]
	}
	pw, nw, aw, dw, tw := 0, 0, 0, 0, max(ui.Width(newTag), ui.Width(tr.T("network.rules.blocks")))
	dests := make([]string, len(v.Rules))
	for i, r := range v.Rules {
		pw = max(pw, len(strconv.Itoa(int(r.Priority))))
		nw = max(nw, ui.Width(r.Name))
		aw = max(aw, ui.Width(accessWord(tr, r.Access)))
		dests[i] = strings.Join(r.Destinations, ",") + ":" + strings.Join(r.DestPorts, ",")
		dw = max(dw, ui.Width(dests[i]))
	}
	// one line per rule when it fits, else the access and destination on a
	// second line
	wide := 2+pw+2+nw+2+aw+2+dw+2+tw <= w
	for i, r := range v.Rules {
		mark, ms, rs := "  ", st.App.Muted, st.App.Text
		tag, ts := "", st.App.Muted
		switch {
		case i == v.New:
			mark, ms, rs = newMark, newStyle, newStyle
			tag, ts = newTag, newStyle
		case strings.EqualFold(r.Name, v.Blocking):
			mark, ms = "! ", st.Verdict["warn"]
			tag, ts = tr.T("network.rules.blocks"), st.Verdict["warn"]
		}
		p := strconv.Itoa(int(r.Priority))
		p = strings.Repeat(" ", pw-len(p)) + p
		access := pad(accessWord(tr, r.Access), aw)
		if wide {
			row := p + "  " + pad(r.Name, nw) + "  " + access + "  " + pad(dests[i], dw)
			out = append(out, ruleRow(mark, row, tag, ms, rs, ts, w))
			continue
		}
		out = append(out, ruleRow(mark, p+"  "+r.Name, tag, ms, rs, ts, w))
		out = append(out, ui.Fit(strings.Repeat(" ", 2+pw+2)+st.App.Muted.Render(access+"  "+dests[i]), w))
	}
	return out
}

// ruleRow is a line of an NSG rule table: the mark in ms, the rule's text
// in rs, then its tag, if any, in ts; fitted to w.
func ruleRow(mark, text, tag string, ms, rs, ts lipgloss.Style, w int) string {
	line := ms.Render(mark) + rs.Render(text)
	if tag != "" {
		line += ts.Render("  " + tag)
	}
	return ui.Fit(line, w)
}

// pad fills s with spaces to n cells.
func pad(s string, n int) string { return s + strings.Repeat(" ", max(n-ui.Width(s), 0)) }

func accessWord(tr *ui.Translator, a string) string {
	if strings.EqualFold(a, "Allow") {
		return tr.T("network.access.allow")
	}
	return tr.T("network.access.deny")
}

// proxyView is the proxy mode: the fields, validated as typed, then the
// path to the proxy (proxyPathLines) and the guest configuration.
func (m networkStep) proxyView(w, h int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	out := []string{ui.Fit(st.Body.Heading.Render(tr.T("network.proxy.heading")), w)}
	for i := range m.fields {
		out = append(out, m.fields[i].View(w, x))
	}
	_, bad := ProxyInput(m.fields[0].Value(), m.fields[1].Value(), m.fields[2].Value())
	var body []string
	switch {
	case bad != "" && (m.focus >= 0 || m.fields[0].Value() != ""):
		body = append(body, glyphLines(st.App.Error, ui.VerdictGlyph("blocked"), tr.T(bad), w, st.App.Error)...)
	case m.focus >= 0:
		body = append(body, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("network.proxy.valid"), w, st.App.Muted)...)
	}
	body = append(body, wrapStyled(tr.T("network.proxy.noauth"), w, st.App.Muted)...)
	if m.mode() == NetworkProxy && m.focus < 0 && m.sess.Plan.Network.Proxy != nil {
		px := m.sess.Plan.Network.Proxy
		gp := guest.Proxy{Host: px.Host, Port: px.Port, NoProxy: px.NoProxy}
		body = append(body, m.proxyPathLines(w)...)
		body = append(body, wrapStyled(tr.T("network.proxypath.guest"), w, st.App.Text)...)
		if names := m.linuxVMs(); names != "" {
			body = append(body, glyphLines(st.App.Accent, ui.GlyphCurrent, tr.T("network.proxy.linux", "VMs", names), w, st.App.Text)...)
			for _, l := range ui.Wrap(LinuxProxyCommand(gp), w-4) {
				body = append(body, "    "+st.App.Accent.Render(l))
			}
		}
		if names := m.windowsVMs(); names != "" {
			body = append(body, glyphLines(st.App.Accent, ui.GlyphCurrent, tr.T("network.proxy.windows", "VMs", names, "Path", m.scriptPath()), w, st.App.Text)...)
			if s := m.script; s != nil {
				switch {
				case s.err != nil:
					body = append(body, errorNoteLines(m.c, tr.T("network.script.failed"), s.err, w)...)
				case s.exists:
					body = append(body, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T("network.script.exists", "Path", s.path), w, st.App.Text)...)
				default:
					body = append(body, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("network.script.written", "Path", s.path), w, st.App.Text)...)
				}
			}
		}
	}
	room := max(h-len(out)-1, 1)
	off := clampScroll(m.off, len(body), room)
	out = append(out, "")
	return append(out, scrolled(m.c, body, off, room, w, "network.pos")...)
}
