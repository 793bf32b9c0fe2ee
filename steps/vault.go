package steps

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 2, vault: which Recovery Services vault the chosen VMs are protected
// in, per region and subscription, an existing one or a new one.
//
// The decisions (grouping, defaults, names) are the pure functions at the top
// of this file; the screen model below only calls them. Nothing is created
// here: the choice goes into Session.Plan, and Review shows what it changes.

// vaultAPI is what the vault step calls in Azure.
type vaultAPI interface {
	ProviderState(ctx context.Context, subscriptionID, namespace string) (string, error)
	ResourceGroupExists(ctx context.Context, subscriptionID, group string) (bool, error)
	ResourceGroups(ctx context.Context, subscriptionID string) ([]azure.ResourceGroup, error)
	CheckVaultName(ctx context.Context, subscriptionID, group, location, name string) (available bool, reason, message string, err error)
	VaultByName(ctx context.Context, subscriptionID, group, name string) (*azure.Vault, error)
	StorageConfig(ctx context.Context, vaultID string) (azure.StorageConfig, error)
}

type (
	providerReadMsg struct {
		sub, state string
		err        error
	}
	storageReadMsg struct {
		id  string // lower-cased vault id
		cfg azure.StorageConfig
		err error
	}
	nameDebouncedMsg  struct{ gen int }
	groupDebouncedMsg struct{ gen int }
	nameCheckedMsg    struct {
		key string
		res nameCheck
	}
	groupCheckedMsg struct {
		key    string
		exists bool
		err    error
	}
	groupsListedMsg struct {
		sub    string // lower-cased
		groups []azure.ResourceGroup
		err    error
	}
)

// recoveryServices is the resource provider a vault needs.
const recoveryServices = "Microsoft.RecoveryServices"

// debounce is how long typing must pause before a name is checked in Azure.
const debounce = 400 * time.Millisecond

// ---- decisions ----

// VaultRegion is the VMs of one region and subscription: one vault protects
// them all, since a vault protects only VMs of its own region and
// subscription.
type VaultRegion struct {
	Subscription string
	Location     string        // normalised
	VMs          []*azure.VM   // included: not blocked, not protected elsewhere
	Vaults       []VaultOption // the Recovery Services vaults there, by name
}

// Key names the region and subscription.
func (r VaultRegion) Key() string { return strings.ToLower(r.Subscription) + "/" + r.Location }

// VMIDs are the ids of the included VMs, in inventory order.
func (r VaultRegion) VMIDs() []string {
	out := make([]string, len(r.VMs))
	for i, vm := range r.VMs {
		out[i] = vm.ID
	}
	return out
}

// VaultOption is an existing vault with what the inventory says about it.
type VaultOption struct {
	Vault     azure.Vault
	Protected int // VMs of the inventory protected in it
	Ours      int // of those, the region's included VMs
}

// LeftVM is a selected VM the plan leaves as it is, and why.
type LeftVM struct {
	VM     *azure.VM
	Reason string // "blocked" (preflight) or "elsewhere" (protected by a vault of another region or subscription)
	Vault  string // the protecting vault's name, for "elsewhere"
	Where  string // its region or subscription, for "elsewhere"
}

// GroupVaultRegions groups the selected VMs by subscription and region,
// most VMs first, with the vaults of each from the inventory. VMs preflight
// found blocked, and VMs protected by a vault of another region or
// subscription, are left out and returned apart.
func GroupVaultRegions(inv *azure.Inventory, selected []string, results []VMResult) ([]VaultRegion, []LeftVM) {
	if inv == nil {
		return nil, nil
	}
	want := make(map[string]bool, len(selected))
	for _, id := range selected {
		want[strings.ToLower(id)] = true
	}
	blocked := map[string]bool{}
	for _, r := range results {
		if r.VM != nil && r.Verdict == Blocked {
			blocked[strings.ToLower(r.VM.ID)] = true
		}
	}
	vaultByID := map[string]*azure.Vault{}
	protected := map[string]int{}
	for i := range inv.Vaults {
		vaultByID[strings.ToLower(inv.Vaults[i].ID)] = &inv.Vaults[i]
	}
	for i := range inv.VMs {
		if id := protectingVault(&inv.VMs[i]); id != "" {
			protected[id]++
		}
	}
	var left []LeftVM
	byKey := map[string]*VaultRegion{}
	var order []string
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		id := strings.ToLower(vm.ID)
		if !want[id] {
			continue
		}
		if blocked[id] {
			left = append(left, LeftVM{VM: vm, Reason: "blocked"})
			continue
		}
		loc := azure.NormalizeLocation(vm.Location)
		if vid := protectingVault(vm); vid != "" {
			v := vaultByID[vid]
			switch {
			case v != nil && !strings.EqualFold(v.SubscriptionID, vm.SubscriptionID):
				left = append(left, LeftVM{VM: vm, Reason: "elsewhere", Vault: v.Name, Where: v.SubscriptionID})
				continue
			case v != nil && azure.NormalizeLocation(v.Location) != loc:
				left = append(left, LeftVM{VM: vm, Reason: "elsewhere", Vault: v.Name, Where: v.Location})
				continue
			case v == nil:
				if sub := subscriptionOf(vid); sub != "" && !strings.EqualFold(sub, vm.SubscriptionID) {
					left = append(left, LeftVM{VM: vm, Reason: "elsewhere", Vault: lastSegment(vid), Where: sub})
					continue
				}
			}
		}
		k := strings.ToLower(vm.SubscriptionID) + "/" + loc
		r := byKey[k]
		if r == nil {
			r = &VaultRegion{Subscription: vm.SubscriptionID, Location: loc}
			byKey[k] = r
			order = append(order, k)
		}
		r.VMs = append(r.VMs, vm)
	}
	out := make([]VaultRegion, 0, len(order))
	for _, k := range order {
		r := byKey[k]
		ours := map[string]int{}
		for _, vm := range r.VMs {
			if id := protectingVault(vm); id != "" {
				ours[id]++
			}
		}
		for _, v := range inv.Vaults {
			if strings.EqualFold(v.SubscriptionID, r.Subscription) && azure.NormalizeLocation(v.Location) == r.Location {
				id := strings.ToLower(v.ID)
				r.Vaults = append(r.Vaults, VaultOption{Vault: v, Protected: protected[id], Ours: ours[id]})
			}
		}
		slices.SortStableFunc(r.Vaults, func(a, b VaultOption) int {
			return cmp.Compare(strings.ToLower(a.Vault.Name), strings.ToLower(b.Vault.Name))
		})
		out = append(out, *r)
	}
	slices.SortStableFunc(out, func(a, b VaultRegion) int {
		return cmp.Or(cmp.Compare(len(b.VMs), len(a.VMs)), cmp.Compare(a.Location, b.Location), cmp.Compare(a.Subscription, b.Subscription))
	})
	return out, left
}

// protectingVault is the lower-cased id of the vault protecting vm, or "".
func protectingVault(vm *azure.VM) string {
	if vm.Protection == nil {
		return ""
	}
	return strings.ToLower(cmp.Or(vm.Protection.VaultID, azure.VaultIDOf(vm.Protection.ItemID)))
}

func subscriptionOf(id string) string {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return parts[1]
	}
	return ""
}

// DefaultVault is the option a region starts with: the vault that already
// protects most of its VMs, else the first existing vault, else a new one
// (len(r.Vaults)).
func DefaultVault(r VaultRegion) int {
	best := -1
	for i, v := range r.Vaults {
		if v.Ours > 0 && (best < 0 || v.Ours > r.Vaults[best].Ours) {
			best = i
		}
	}
	if best >= 0 {
		return best
	}
	if len(r.Vaults) > 0 {
		return 0
	}
	return len(r.Vaults)
}

// DefaultVaultName suggests a name for a new vault in a region, one no
// vault of the inventory has (names are unique per subscription, whatever
// the case).
func DefaultVaultName(region string, vaults []azure.Vault) string {
	base := "rsv-backup-" + region
	if len(base) > 50 {
		base = strings.TrimRight(base[:50], "-")
	}
	if !nameInUse(base, vaults) {
		return base
	}
	for _, c := range VaultNameCandidates(base, 50) {
		if !nameInUse(c, vaults) {
			return c
		}
	}
	return base
}

func nameInUse(name string, vaults []azure.Vault) bool {
	return slices.ContainsFunc(vaults, func(v azure.Vault) bool { return strings.EqualFold(v.Name, name) })
}

// DefaultResourceGroup suggests the resource group of a new vault.
func DefaultResourceGroup(region string) string { return "rg-backup-" + region }

// VaultNameCandidates are the next n names to try after a taken one: name-2,
// name-3, … (or, when the name already ends in -N, N+1, N+2, …), each cut to
// the 50 characters a vault name may have.
func VaultNameCandidates(name string, n int) []string {
	base, start := name, 2
	if i := strings.LastIndexByte(name, '-'); i > 0 && i < len(name)-1 {
		if k, err := strconv.Atoi(name[i+1:]); err == nil && k >= 1 && k < 1000 && name[i+1] != '0' {
			base, start = name[:i], k+1
		}
	}
	out := make([]string, 0, n)
	for k := start; len(out) < n; k++ {
		suffix := "-" + strconv.Itoa(k)
		b := base
		if len(b)+len(suffix) > 50 {
			b = strings.TrimRight(b[:50-len(suffix)], "-")
		}
		out = append(out, b+suffix)
	}
	return out
}

// Name verdicts of ClassifyVaultName besides ValidateVaultName's reasons.
const (
	NameNeedsCheck     = ""                 // well-formed and unknown here: ask Azure
	NameExistsHere     = "exists-here"      // a vault of the region and subscription: use it
	NameExistsElsewere = "exists-elsewhere" // a vault of the subscription in another region
)

// ClassifyVaultName judges a typed name before Azure is asked: its form
// (ValidateVaultName), then the vaults of the inventory in the same
// subscription (names are unique there, case-insensitively). A vault of that
// name in the region is used, never created over.
func ClassifyVaultName(name, sub, region string, vaults []azure.Vault) (string, *azure.Vault) {
	if r := ValidateVaultName(name); r != "" {
		return r, nil
	}
	for i := range vaults {
		v := &vaults[i]
		if !strings.EqualFold(v.Name, name) || !strings.EqualFold(v.SubscriptionID, sub) {
			continue
		}
		if azure.NormalizeLocation(v.Location) == region {
			return NameExistsHere, v
		}
		return NameExistsElsewere, v
	}
	return NameNeedsCheck, nil
}

// ValidateResourceGroup checks a resource group name (1–90 letters, digits,
// and _ ( ) - ., not ending in a period). It returns "" or a reason: "empty",
// "too-long", "chars", "trailing-period".
func ValidateResourceGroup(name string) string { return validateResourceGroup(name) }

// WithVault returns the plan with the vault step's answer: the region's
// subscription and included VMs, and the vault. A nil plan starts with the
// defaults of DESIGN §3 (keep the redundancy, no network change, agent fixes
// as instructions).
func WithVault(p *Plan, cloud string, r VaultRegion, v PlanVault) *Plan {
	if p == nil {
		p = &Plan{
			Version:    PlanVersion,
			Cloud:      cmp.Or(cloud, CloudPublic),
			Redundancy: PlanRedundancy{Keep: true},
			Network:    PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto},
			Agent:      PlanAgent{Fix: AgentFixInstructions},
		}
	} else {
		cp := *p
		p = &cp
	}
	p.Subscription = r.Subscription
	p.VMs = r.VMIDs()
	p.Vault = v
	return p
}

// ---- screen ----

type vaultPage int

const (
	vaultPageRegions vaultPage = iota
	vaultPageVaults
	vaultPageCreate
)

// nameCheck is what Azure said about a name in a subscription.
type nameCheck struct {
	state      loadState
	available  bool
	existing   *azure.Vault // a vault of that name in the chosen resource group
	message    string       // Azure's text for a taken name
	suggestion string       // a free name, "" when none was found
	err        error
}

type groupCheck struct {
	state  loadState
	exists bool
	err    error
}

// groupList is a subscription's existing resource groups, offered under the
// group field.
type groupList struct {
	state  loadState
	groups []azure.ResourceGroup
	err    error
}

type storageRead struct {
	state loadState
	cfg   azure.StorageConfig
	err   error
}

type providerRead struct {
	state loadState
	value string
	err   error
}

// vaultChoice is what the user chose for one region.
type vaultChoice struct {
	option      int // index into the region's vaults; len(vaults) is "create"
	name, group string
}

type vaultKeys struct {
	choose, use, create, edit, nextField, done, suggest, pickGroup key.Binding
}

// vaultStep is the screen model of step 2.
type vaultStep struct {
	c    *ui.Common
	sess *Session
	api  vaultAPI
	w, h int
	spin spinner.Model
	keys vaultKeys
	page vaultPage

	forKey  string // selection and results the regions were grouped for
	regions []VaultRegion
	left    []LeftVM
	region  int // the region this plan covers
	rcursor int
	cursor  int // over the region's vaults, then "create"
	choices map[string]vaultChoice

	nameField, groupField ui.Field
	nameGen, groupGen     int
	// gcursor is the existing group under the cursor (-1: the typed text);
	// gfilter is what was typed into the group field, which filters them.
	gcursor int
	gfilter string

	providers map[string]providerRead // by subscription
	storage   map[string]storageRead  // by lower-cased vault id
	names     map[string]nameCheck    // by subscription/lower-cased name
	groups    map[string]groupCheck   // by subscription/lower-cased group
	rgLists   map[string]groupList    // by lower-cased subscription
}

func newVaultStep(c *ui.Common, sess *Session, api vaultAPI) vaultStep {
	tr := c.Tr
	b := func(keys []string, label, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, tr.T(desc)))
	}
	return vaultStep{
		c: c, sess: sess, api: api,
		spin: ui.NewSpinner(c.Extra),
		keys: vaultKeys{
			choose:    b([]string{"enter", "space"}, "enter", "vault.key.choose"),
			use:       b([]string{"enter", "space"}, "enter", "vault.key.use"),
			create:    b([]string{"enter", "space"}, "enter", "vault.key.create"),
			edit:      b([]string{"enter"}, "enter", "vault.key.edit"),
			nextField: b([]string{"enter"}, "enter/↑↓", "vault.key.nextfield"),
			done:      b([]string{"esc"}, "esc", "key.done"),
			suggest:   b([]string{"ctrl+s"}, "ctrl+s", "vault.key.suggest"),
			pickGroup: b([]string{"down"}, "↓/enter", "vault.key.pickgroup"),
		},
		choices:    map[string]vaultChoice{},
		providers:  map[string]providerRead{},
		storage:    map[string]storageRead{},
		names:      map[string]nameCheck{},
		groups:     map[string]groupCheck{},
		rgLists:    map[string]groupList{},
		gcursor:    -1,
		nameField:  ui.Field{Prompt: tr.T("vault.create.name") + "  "},
		groupField: ui.Field{Prompt: tr.T("vault.create.group") + "  "},
	}
}

func (m vaultStep) Title() string   { return m.c.Tr.T("step.vault.title") }
func (m vaultStep) Explain() string { return m.c.Tr.T("vault.why") }
func (m vaultStep) Init() tea.Cmd   { return nil }

func (m vaultStep) Deactivate() (ui.Step, tea.Cmd) {
	m.nameField.Blur()
	m.groupField.Blur()
	return m, nil
}

// Activate groups the selection by region (again, when preflight judged
// other VMs) and reads what the region on screen needs.
func (m vaultStep) Activate() (ui.Step, tea.Cmd) {
	k := m.sess.SelectionKey() + "\n" + strconv.Itoa(len(m.sess.Results))
	if k != m.forKey {
		m.forKey = k
		m.regions, m.left = GroupVaultRegions(m.sess.Inventory, m.sess.Selected, m.sess.Results)
		m.region, m.rcursor, m.cursor = 0, 0, 0
		m.page = vaultPageRegions
		if len(m.regions) == 1 {
			m.page = vaultPageVaults
		}
		if len(m.regions) > 0 {
			m.cursor = m.choice().option
		}
	}
	m.syncPlan()
	return m, m.readRegion()
}

// cur is the region this plan covers (nil when no VM is left to plan).
func (m vaultStep) cur() *VaultRegion {
	if m.region < 0 || m.region >= len(m.regions) {
		return nil
	}
	return &m.regions[m.region]
}

// choice is the current region's choice, with its defaults.
func (m vaultStep) choice() vaultChoice {
	r := m.cur()
	if r == nil {
		return vaultChoice{}
	}
	if c, ok := m.choices[r.Key()]; ok {
		return c
	}
	return vaultChoice{option: DefaultVault(*r), name: DefaultVaultName(r.Location, m.inventoryVaults()), group: DefaultResourceGroup(r.Location)}
}

func (m *vaultStep) setChoice(c vaultChoice) {
	if r := m.cur(); r != nil {
		m.choices[r.Key()] = c
	}
}

func (m vaultStep) inventoryVaults() []azure.Vault {
	if m.sess.Inventory == nil {
		return nil
	}
	return m.sess.Inventory.Vaults
}

func (m vaultStep) creating() bool {
	r := m.cur()
	return r != nil && m.choice().option == len(r.Vaults)
}

// readRegion starts the reads the region on screen needs and has not had:
// its subscription's provider registration and its vaults' storage lock.
func (m vaultStep) readRegion() tea.Cmd {
	r := m.cur()
	if r == nil || m.page == vaultPageRegions {
		return nil
	}
	var cmds []tea.Cmd
	if p, ok := m.providers[r.Subscription]; !ok || p.state == stateIdle {
		m.providers[r.Subscription] = providerRead{state: stateLoading}
		cmds = append(cmds, m.readProvider(r.Subscription))
	}
	for _, v := range r.Vaults {
		id := strings.ToLower(v.Vault.ID)
		if s, ok := m.storage[id]; !ok || s.state == stateIdle {
			m.storage[id] = storageRead{state: stateLoading}
			cmds = append(cmds, m.readStorage(id, v.Vault.ID))
		}
	}
	if m.creating() {
		cmds = append(cmds, m.checkNow()...)
		if cmd := m.listGroups(); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	return tea.Batch(append(cmds, m.spin.Tick)...)
}

func (m vaultStep) readProvider(sub string) tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	return func() tea.Msg {
		st, err := api.ProviderState(ctx, sub, recoveryServices)
		return providerReadMsg{sub: sub, state: st, err: err}
	}
}

func (m vaultStep) readStorage(key, id string) tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	return func() tea.Msg {
		cfg, err := api.StorageConfig(ctx, id)
		return storageReadMsg{id: key, cfg: cfg, err: err}
	}
}

// nameKey names a name check: the answer depends on the resource group too,
// where a taken name is looked up as an existing vault.
func nameKey(sub, name, group string) string {
	return strings.ToLower(sub) + "/" + strings.ToLower(name) + "/" + strings.ToLower(group)
}
func groupKey(sub, group string) string { return strings.ToLower(sub) + "/" + strings.ToLower(group) }

// checkName asks Azure whether name is free. Availability is per
// subscription, but the API wants an existing resource group: the group of
// one of the region's VMs is one. A taken name is looked up in the chosen
// group (an existing vault there is used, never created over); otherwise
// the next free name is looked for.
func (m vaultStep) checkName(r VaultRegion, name, group string) tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	sub, loc, anyGroup := r.Subscription, r.Location, r.VMs[0].ResourceGroup
	inventory := m.inventoryVaults()
	k := nameKey(sub, name, group)
	return func() tea.Msg {
		ok, _, msg, err := api.CheckVaultName(ctx, sub, anyGroup, loc, name)
		if err != nil {
			return nameCheckedMsg{key: k, res: nameCheck{state: stateFailed, err: err}}
		}
		if ok {
			return nameCheckedMsg{key: k, res: nameCheck{state: stateReady, available: true}}
		}
		res := nameCheck{state: stateReady, message: msg}
		if ValidateResourceGroup(group) == "" {
			v, err := api.VaultByName(ctx, sub, group, name)
			if err != nil {
				return nameCheckedMsg{key: k, res: nameCheck{state: stateFailed, err: err}}
			}
			res.existing = v
		}
		if res.existing == nil {
			for _, c := range VaultNameCandidates(name, 8) {
				if nameInUse(c, inventory) {
					continue
				}
				free, _, _, err := api.CheckVaultName(ctx, sub, anyGroup, loc, c)
				if err != nil {
					break // the name is still said to be taken, without a suggestion
				}
				if free {
					res.suggestion = c
					break
				}
			}
		}
		return nameCheckedMsg{key: k, res: res}
	}
}

// listGroups reads the subscription's resource groups, once.
func (m vaultStep) listGroups() tea.Cmd {
	r := m.cur()
	if r == nil {
		return nil
	}
	sub := strings.ToLower(r.Subscription)
	if l, ok := m.rgLists[sub]; ok && l.state != stateIdle {
		return nil
	}
	m.rgLists[sub] = groupList{state: stateLoading}
	api, ctx, id := m.api, m.sess.Context(), r.Subscription
	return func() tea.Msg {
		gs, err := api.ResourceGroups(ctx, id)
		return groupsListedMsg{sub: sub, groups: gs, err: err}
	}
}

// groupOptions are the existing groups offered under the group field: those
// whose name contains what was typed, the VMs' region first, then by name.
func (m vaultStep) groupOptions() []azure.ResourceGroup {
	r := m.cur()
	if r == nil {
		return nil
	}
	l := m.rgLists[strings.ToLower(r.Subscription)]
	if l.state != stateReady {
		return nil
	}
	f := strings.ToLower(strings.TrimSpace(m.gfilter))
	var out []azure.ResourceGroup
	for _, g := range l.groups {
		if f == "" || strings.Contains(strings.ToLower(g.Name), f) {
			out = append(out, g)
		}
	}
	here := func(g azure.ResourceGroup) int {
		if azure.NormalizeLocation(g.Location) == r.Location {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b azure.ResourceGroup) int {
		return cmp.Or(cmp.Compare(here(a), here(b)), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
	})
	return out
}

// listedGroup reports whether the subscription's group list holds group.
func (m vaultStep) listedGroup(sub, group string) bool {
	l := m.rgLists[strings.ToLower(sub)]
	return l.state == stateReady && slices.ContainsFunc(l.groups, func(g azure.ResourceGroup) bool { return strings.EqualFold(g.Name, group) })
}

func (m vaultStep) checkGroup(sub, group string) tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	k := groupKey(sub, group)
	return func() tea.Msg {
		ok, err := api.ResourceGroupExists(ctx, sub, group)
		return groupCheckedMsg{key: k, exists: ok, err: err}
	}
}

// nameVerdict is the current name's verdict from what is known here.
func (m vaultStep) nameVerdict() (string, *azure.Vault) {
	r := m.cur()
	if r == nil {
		return "empty", nil
	}
	return ClassifyVaultName(m.choice().name, r.Subscription, r.Location, m.inventoryVaults())
}

// checkNow starts the checks the typed name and group still need, at once.
func (m vaultStep) checkNow() []tea.Cmd {
	r := m.cur()
	if r == nil || len(r.VMs) == 0 {
		return nil
	}
	c := m.choice()
	var cmds []tea.Cmd
	if v, _ := m.nameVerdict(); v == NameNeedsCheck {
		k := nameKey(r.Subscription, c.name, c.group)
		if n, ok := m.names[k]; !ok || n.state == stateIdle {
			m.names[k] = nameCheck{state: stateLoading}
			cmds = append(cmds, m.checkName(*r, c.name, c.group))
		}
	}
	if ValidateResourceGroup(c.group) == "" {
		k := groupKey(r.Subscription, c.group)
		if g, ok := m.groups[k]; !ok || g.state == stateIdle {
			if m.listedGroup(r.Subscription, c.group) {
				m.groups[k] = groupCheck{state: stateReady, exists: true}
			} else {
				m.groups[k] = groupCheck{state: stateLoading}
				cmds = append(cmds, m.checkGroup(r.Subscription, c.group))
			}
		}
	}
	return cmds
}

func (m vaultStep) busy() bool {
	for _, p := range m.providers {
		if p.state == stateLoading {
			return true
		}
	}
	for _, s := range m.storage {
		if s.state == stateLoading {
			return true
		}
	}
	for _, l := range m.rgLists {
		if l.state == stateLoading {
			return true
		}
	}
	if r := m.cur(); r != nil && m.creating() {
		c := m.choice()
		if m.names[nameKey(r.Subscription, c.name, c.group)].state == stateLoading || m.groups[groupKey(r.Subscription, c.group)].state == stateLoading {
			return true
		}
	}
	return false
}

func (m vaultStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spin(m.spin, msg, m.busy())
		return m, cmd
	case providerReadMsg:
		if msg.err != nil {
			m.providers[msg.sub] = providerRead{state: stateFailed, err: msg.err}
		} else {
			m.providers[msg.sub] = providerRead{state: stateReady, value: msg.state}
		}
		return m, nil
	case storageReadMsg:
		if msg.err != nil {
			m.storage[msg.id] = storageRead{state: stateFailed, err: msg.err}
		} else {
			m.storage[msg.id] = storageRead{state: stateReady, cfg: msg.cfg}
		}
		return m, nil
	case nameDebouncedMsg:
		if msg.gen != m.nameGen {
			return m, nil
		}
		return m, tea.Batch(append(m.checkNow(), m.spin.Tick)...)
	case groupDebouncedMsg:
		if msg.gen != m.groupGen {
			return m, nil
		}
		return m, tea.Batch(append(m.checkNow(), m.spin.Tick)...)
	case nameCheckedMsg:
		m.names[msg.key] = msg.res
		m.syncPlan()
		return m, nil
	case groupsListedMsg:
		if msg.err != nil {
			m.rgLists[msg.sub] = groupList{state: stateFailed, err: msg.err}
		} else {
			m.rgLists[msg.sub] = groupList{state: stateReady, groups: msg.groups}
		}
		return m, nil
	case groupCheckedMsg:
		if msg.err != nil {
			m.groups[msg.key] = groupCheck{state: stateFailed, err: msg.err}
		} else {
			m.groups[msg.key] = groupCheck{state: stateReady, exists: msg.exists}
		}
		return m, nil
	case tea.KeyPressMsg, tea.PasteMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m vaultStep) key(msg tea.Msg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	km, isKey := msg.(tea.KeyPressMsg)
	if m.page == vaultPageCreate {
		return m.createKey(msg)
	}
	if !isKey || len(m.regions) == 0 {
		return m, nil
	}
	if key.Matches(km, k.Retry) && m.failed() {
		return m.retry()
	}
	if m.page == vaultPageRegions {
		if key.Matches(km, m.keys.choose) {
			s, cmd, _ := m.Next()
			return s, cmd
		}
		m.rcursor = move(k, km, m.rcursor, len(m.regions), m.h)
		return m, nil
	}
	r := m.cur()
	if key.Matches(km, m.keys.use) {
		c := m.choice()
		c.option = m.cursor
		m.setChoice(c)
		m.syncPlan()
		if m.cursor == len(r.Vaults) {
			return m.openCreate()
		}
		return m, nil
	}
	m.cursor = move(k, km, m.cursor, len(r.Vaults)+1, m.h)
	return m, nil
}

// openCreate shows the new vault's form with the name field focused.
func (m vaultStep) openCreate() (ui.Step, tea.Cmd) {
	c := m.choice()
	m.page = vaultPageCreate
	m.nameField.SetValue(c.name)
	m.groupField.SetValue(c.group)
	m.groupField.Blur()
	m.nameField.Focus()
	m.gcursor, m.gfilter = -1, ""
	m.syncPlan()
	cmds := m.checkNow()
	if cmd := m.listGroups(); cmd != nil {
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(append(cmds, m.spin.Tick)...)
}

func (m vaultStep) createKey(msg tea.Msg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	km, isKey := msg.(tea.KeyPressMsg)
	focused := m.nameField.Focused() || m.groupField.Focused()
	if isKey && !focused {
		switch {
		case key.Matches(km, k.Retry) && m.failed():
			return m.retry()
		case key.Matches(km, m.keys.edit), key.Matches(km, k.Down), key.Matches(km, k.Up):
			m.nameField.Focus()
		}
		return m, nil
	}
	if isKey {
		switch {
		case key.Matches(km, m.keys.done):
			m.nameField.Blur()
			m.groupField.Blur()
			return m, nil
		case key.Matches(km, m.keys.suggest):
			if s := m.suggestion(); s != "" {
				m.nameField.SetValue(s)
				return m.edited(true, false)
			}
			return m, nil
		case km.Code == tea.KeyEnter && m.groupField.Focused():
			if opts := m.groupOptions(); m.gcursor >= 0 && m.gcursor < len(opts) {
				return m.pickGroup(opts[m.gcursor].Name)
			}
			m.groupField.Blur()
			return m, nil
		case km.Code == tea.KeyDown && m.groupField.Focused() && len(m.groupOptions()) > 0:
			m.gcursor = min(m.gcursor+1, len(m.groupOptions())-1)
			return m, nil
		case km.Code == tea.KeyUp && m.groupField.Focused() && m.gcursor >= 0:
			m.gcursor--
			return m, nil
		case km.Code == tea.KeyEnter || km.Code == tea.KeyDown || km.Code == tea.KeyUp:
			if m.nameField.Focused() {
				m.nameField.Blur()
				m.groupField.Focus()
			} else {
				m.groupField.Blur()
				m.nameField.Focus()
			}
			return m, nil
		}
	}
	var changed bool
	if m.nameField.Focused() {
		m.nameField, changed = m.nameField.Update(msg)
		return m.edited(changed, false)
	}
	m.groupField, changed = m.groupField.Update(msg)
	if changed {
		m.gcursor, m.gfilter = -1, m.groupField.Value()
	}
	return m.edited(false, changed)
}

// pickGroup fills the group field with an existing group and leaves it.
func (m vaultStep) pickGroup(name string) (ui.Step, tea.Cmd) {
	m.groupField.SetValue(name)
	m.groupField.Blur()
	m.gcursor, m.gfilter = -1, ""
	return m.edited(false, true)
}

// edited records the fields' text and schedules the Azure checks once
// typing pauses.
func (m vaultStep) edited(name, group bool) (ui.Step, tea.Cmd) {
	if !name && !group {
		return m, nil
	}
	c := m.choice()
	c.name, c.group = strings.TrimSpace(m.nameField.Value()), strings.TrimSpace(m.groupField.Value())
	m.setChoice(c)
	m.syncPlan()
	var cmds []tea.Cmd
	if name {
		m.nameGen++
		gen := m.nameGen
		cmds = append(cmds, tea.Tick(debounce, func(time.Time) tea.Msg { return nameDebouncedMsg{gen: gen} }))
	}
	if group {
		m.groupGen++
		gen := m.groupGen
		// A name that was taken may be an existing vault in the new group.
		cmds = append(cmds, tea.Tick(debounce, func(time.Time) tea.Msg { return groupDebouncedMsg{gen: gen} }))
	}
	return m, tea.Batch(cmds...)
}

// pending reports that the name or group was typed and not yet checked.
func (m vaultStep) pending() (name, group bool) {
	r := m.cur()
	if r == nil {
		return false, false
	}
	c := m.choice()
	if v, _ := m.nameVerdict(); v == NameNeedsCheck {
		n, ok := m.names[nameKey(r.Subscription, c.name, c.group)]
		name = !ok || n.state == stateLoading
	}
	if ValidateResourceGroup(c.group) == "" {
		g, ok := m.groups[groupKey(r.Subscription, c.group)]
		group = !ok || g.state == stateLoading
	}
	return name, group
}

func (m vaultStep) suggestion() string {
	r := m.cur()
	if r == nil {
		return ""
	}
	c := m.choice()
	v, _ := m.nameVerdict()
	if v == NameExistsElsewere {
		return DefaultVaultName(r.Location, m.inventoryVaults())
	}
	n := m.names[nameKey(r.Subscription, c.name, c.group)]
	if v == NameNeedsCheck && n.state == stateReady && !n.available && n.existing == nil {
		return n.suggestion
	}
	return ""
}

// failed reports a failed read on the page on screen, which r retries.
func (m vaultStep) failed() bool {
	r := m.cur()
	if r == nil {
		return false
	}
	if m.providers[r.Subscription].state == stateFailed {
		return true
	}
	if m.page == vaultPageCreate {
		c := m.choice()
		return m.names[nameKey(r.Subscription, c.name, c.group)].state == stateFailed || m.groups[groupKey(r.Subscription, c.group)].state == stateFailed
	}
	for _, v := range r.Vaults {
		if m.storage[strings.ToLower(v.Vault.ID)].state == stateFailed {
			return true
		}
	}
	return false
}

func (m vaultStep) retry() (ui.Step, tea.Cmd) {
	r := m.cur()
	if m.providers[r.Subscription].state == stateFailed {
		m.providers[r.Subscription] = providerRead{}
	}
	for _, v := range r.Vaults {
		id := strings.ToLower(v.Vault.ID)
		if m.storage[id].state == stateFailed {
			m.storage[id] = storageRead{}
		}
	}
	c := m.choice()
	if k := nameKey(r.Subscription, c.name, c.group); m.names[k].state == stateFailed {
		delete(m.names, k)
	}
	if k := groupKey(r.Subscription, c.group); m.groups[k].state == stateFailed {
		delete(m.groups, k)
	}
	if k := strings.ToLower(r.Subscription); m.rgLists[k].state == stateFailed {
		delete(m.rgLists, k)
	}
	return m, m.readRegion()
}

// answer is the vault the plan uses, when the choice is complete.
func (m vaultStep) answer() (PlanVault, bool) {
	r := m.cur()
	if r == nil || len(r.VMs) == 0 {
		return PlanVault{}, false
	}
	c := m.choice()
	if c.option < len(r.Vaults) {
		v := r.Vaults[c.option].Vault
		return PlanVault{Name: v.Name, ResourceGroup: v.ResourceGroup, Location: r.Location}, true
	}
	verdict, existing := m.nameVerdict()
	switch verdict {
	case NameExistsHere:
		return PlanVault{Name: existing.Name, ResourceGroup: existing.ResourceGroup, Location: r.Location}, true
	case NameNeedsCheck:
	default:
		return PlanVault{}, false
	}
	if ValidateResourceGroup(c.group) != "" {
		return PlanVault{}, false
	}
	n := m.names[nameKey(r.Subscription, c.name, c.group)]
	switch {
	case n.state != stateReady:
		return PlanVault{}, false
	case n.available:
		return PlanVault{Name: c.name, ResourceGroup: c.group, Location: r.Location, Create: true}, true
	case n.existing != nil && azure.NormalizeLocation(n.existing.Location) == r.Location:
		return PlanVault{Name: n.existing.Name, ResourceGroup: n.existing.ResourceGroup, Location: r.Location}, true
	}
	return PlanVault{}, false
}

// syncPlan writes the answer into the session's plan, or clears the plan's
// vault while there is no valid answer.
func (m vaultStep) syncPlan() {
	v, ok := m.answer()
	if !ok {
		if m.sess.Plan != nil {
			p := *m.sess.Plan
			p.Vault = PlanVault{}
			m.sess.Plan = &p
		}
		return
	}
	m.sess.Plan = WithVault(m.sess.Plan, m.sess.Cloud, *m.cur(), v)
}

// Back leaves the form for the vault list, and the list for the regions.
func (m vaultStep) Back() (ui.Step, tea.Cmd, bool) {
	switch {
	case m.page == vaultPageCreate:
		m.nameField.Blur()
		m.groupField.Blur()
		m.page = vaultPageVaults
		return m, nil, true
	case m.page == vaultPageVaults && len(m.regions) > 1:
		m.page = vaultPageRegions
		m.rcursor = m.region
		return m, nil, true
	}
	return m, nil, false
}

// Next goes from the regions to the chosen region's vaults, and to the form
// when a new vault is chosen and not yet named; otherwise the shell moves on.
func (m vaultStep) Next() (ui.Step, tea.Cmd, bool) {
	switch m.page {
	case vaultPageRegions:
		if len(m.regions) == 0 {
			return m, nil, false
		}
		m.region = m.rcursor
		m.page = vaultPageVaults
		m.cursor = m.choice().option
		m.syncPlan()
		return m, m.readRegion(), true
	case vaultPageVaults:
		if _, ok := m.answer(); !ok && m.creating() {
			s, cmd := m.openCreate()
			return s, cmd, true
		}
	case vaultPageCreate:
		m.nameField.Blur()
		m.groupField.Blur()
	}
	return m, nil, false
}

func (m vaultStep) Complete() bool {
	_, ok := m.answer()
	return ok && m.page != vaultPageRegions
}

func (m vaultStep) Hint() string {
	tr := m.c.Tr
	r := m.cur()
	switch {
	case r == nil:
		return tr.T("vault.hint.none")
	case m.page == vaultPageRegions:
		return tr.T("vault.hint.region")
	case !m.creating():
		return tr.T("vault.hint.choose")
	}
	verdict, _ := m.nameVerdict()
	c := m.choice()
	name, group := m.pending()
	n := m.names[nameKey(r.Subscription, c.name, c.group)]
	switch {
	case verdict != NameNeedsCheck && verdict != NameExistsHere:
		return tr.T("vault.hint.name")
	case ValidateResourceGroup(c.group) != "" && verdict != NameExistsHere:
		return tr.T("vault.hint.group")
	case name || group:
		return tr.T("vault.hint.wait")
	case n.state == stateFailed:
		return tr.T("scope.retry")
	}
	return tr.T("vault.hint.name")
}

func (m vaultStep) Capturing() bool {
	return m.page == vaultPageCreate && (m.nameField.Focused() || m.groupField.Focused())
}

func (m vaultStep) Keys() []key.Binding {
	k := m.c.Keys
	if len(m.regions) == 0 {
		return nil
	}
	var out []key.Binding
	switch m.page {
	case vaultPageRegions:
		return []key.Binding{k.Up, m.keys.choose}
	case vaultPageVaults:
		act := m.keys.use
		if m.cursor == len(m.cur().Vaults) {
			act = m.keys.create
		}
		out = []key.Binding{k.Up, act}
	case vaultPageCreate:
		if m.Capturing() {
			out = []key.Binding{m.keys.nextField, m.keys.done}
			if m.groupField.Focused() && len(m.groupOptions()) > 0 {
				out = []key.Binding{m.keys.pickGroup, m.keys.done}
			}
			if m.suggestion() != "" {
				out = append(out, m.keys.suggest)
			}
		} else {
			out = []key.Binding{m.keys.edit}
		}
	}
	if m.failed() {
		out = append(out, k.Retry)
	}
	return out
}

// ---- drawing ----

func (m vaultStep) View(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	if len(m.regions) == 0 {
		lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("vault.none.heading"), w)), ""}
		lines = append(lines, wrapStyled(tr.T("vault.none.body"), w, st.App.Text)...)
		lines = append(lines, "")
		lines = append(lines, m.leftLines(w, h-len(lines), "")...)
		return strings.Join(lines, "\n")
	}
	switch m.page {
	case vaultPageRegions:
		return m.regionsView(w, h)
	case vaultPageCreate:
		return m.createView(w, h)
	}
	return m.vaultsView(w, h)
}

func (m vaultStep) subName(id string) string {
	for _, s := range m.sess.Subscriptions {
		if strings.EqualFold(s.ID, id) {
			return s.Name
		}
	}
	return id
}

func radio(on bool) string {
	if on {
		return "(•)"
	}
	return "( )"
}

// regionsView asks which region and subscription this plan covers.
func (m vaultStep) regionsView(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	lines := []string{ui.Fit(st.Body.Heading.Render(tr.T("vault.regions.heading"))+
		st.App.Muted.Render(" · "+tr.T("vault.regions.count", "Count", len(m.regions))), w)}
	lines = append(lines, wrapStyled(tr.T("vault.regions.body"), w, st.App.Text)...)
	var widths [3]int
	for _, r := range m.regions {
		widths[0] = max(widths[0], ui.Width(r.Location))
		widths[1] = max(widths[1], ui.Width(m.subName(r.Subscription)))
	}
	vmsCol, vaultsCol := tr.T("vault.col.vms"), tr.T("vault.col.vaults")
	t := ui.Table{
		Columns: []ui.Column{
			{Title: tr.T("scope.col.region"), Width: widths[0], Priority: 100},
			{Title: vmsCol, Width: ui.Width(vmsCol), Priority: 90, Right: true},
			{Title: vaultsCol, Width: ui.Width(vaultsCol), Priority: 50, Right: true},
			{Title: tr.T("scope.col.subscription"), Width: widths[1], Min: 10, Priority: 60, Flex: true},
		},
		Rows: len(m.regions),
		Cell: func(row, col int) string {
			r := m.regions[row]
			switch col {
			case 0:
				return r.Location
			case 1:
				return strconv.Itoa(len(r.VMs))
			case 2:
				return strconv.Itoa(len(r.Vaults))
			}
			return m.subName(r.Subscription)
		},
		Style: func(row, col int) lipgloss.Style {
			if col == 3 {
				return st.Table.ID
			}
			return st.Table.Cell
		},
		Lead:        func(row int) string { return radio(row == m.region) },
		LeadWidth:   4,
		Cursor:      m.rcursor,
		HeaderStyle: st.Table.Header,
		CursorStyle: st.Table.Selected,
		MarkerStyle: x.Cursor,
	}
	foot := wrapStyled(tr.T("vault.regions.own"), w, st.App.Muted)
	left := m.leftLines(w, max(h-len(lines)-len(foot)-4, 0), "")
	rows := max(h-len(lines)-len(foot)-len(left)-1, 2)
	rows = min(rows, len(m.regions)+1)
	t.Offset = ui.ScrollOffset(m.rcursor, 0, rows-1, len(m.regions))
	lines = append(lines, "")
	lines = append(lines, ui.Lines(ui.Frame(t.Render(w, rows), w, rows))...)
	lines = append(lines, foot...)
	lines = append(lines, left...)
	return strings.Join(lines, "\n")
}

// leftLines lists the VMs the plan leaves as they are (of one region, or
// all when region is ""), in at most n lines.
func (m vaultStep) leftLines(w, n int, regionKey string) []string {
	tr, st := m.c.Tr, m.c.Styles
	var items []string
	for _, l := range m.left {
		if regionKey != "" && strings.ToLower(l.VM.SubscriptionID)+"/"+azure.NormalizeLocation(l.VM.Location) != regionKey {
			continue
		}
		if l.Reason == "blocked" {
			items = append(items, tr.T("vault.left.blocked", "VM", l.VM.Name))
		} else {
			items = append(items, tr.T("vault.left.elsewhere", "VM", l.VM.Name, "Vault", l.Vault, "Where", m.subName(l.Where)))
		}
	}
	if len(items) == 0 || n <= 0 {
		return nil
	}
	out := []string{ui.Fit(st.App.Muted.Render(tr.T("vault.left.heading", "Count", len(items))), w)}
	for i, it := range items {
		if len(out) >= n {
			break
		}
		if len(out) == n-1 && i < len(items)-1 {
			out = append(out, st.App.Faint.Render(ui.Truncate("  "+tr.T("vault.left.more", "Count", len(items)-i), w)))
			break
		}
		out = append(out, st.App.Faint.Render(ui.Truncate("  "+it, w)))
	}
	return out
}

// regionLine says which region and subscription the plan covers, and the
// VMs in it.
func (m vaultStep) regionLines(w int, heading string) []string {
	tr, st := m.c.Tr, m.c.Styles
	r := m.cur()
	head := st.Body.Heading.Render(heading) + st.App.Muted.Render(" · "+tr.T("vault.region.vms", "Count", len(r.VMs)))
	names := make([]string, len(r.VMs))
	for i, vm := range r.VMs {
		names[i] = vm.Name
	}
	return []string{
		ui.Fit(head, w),
		st.App.Faint.Render(ui.Truncate(m.subName(r.Subscription)+" · "+strings.Join(names, ", "), w)),
	}
}

// providerLine says whether the subscription can hold a vault yet.
func (m vaultStep) providerLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	r := m.cur()
	p := m.providers[r.Subscription]
	switch p.state {
	case stateLoading, stateIdle:
		return []string{m.spin.View() + " " + st.App.Muted.Render(ui.Truncate(tr.T("vault.provider.loading"), w-2))}
	case stateFailed:
		return problemLines(m.c, Explain(p.err), w)
	}
	switch p.value {
	case "Registered":
		return []string{st.Verdict["ok"].Render(ui.GlyphDone) + " " + st.App.Muted.Render(ui.Truncate(tr.T("vault.provider.registered"), w-2))}
	case "Registering":
		return glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"), tr.T("vault.provider.registering"), w, st.App.Text)
	}
	return glyphLines(st.Verdict["fixable"], ui.VerdictGlyph("fixable"), tr.T("vault.provider.register", "State", cmp.Or(p.value, "NotRegistered")), w, st.App.Text)
}

// glyphLines wraps text after a one-cell mark, indenting the lines after.
func glyphLines(gs lipgloss.Style, glyph, text string, w int, ts lipgloss.Style) []string {
	var out []string
	for i, l := range ui.Wrap(text, w-2) {
		g := "  "
		if i == 0 {
			g = gs.Render(glyph) + " "
		}
		out = append(out, g+ts.Render(l))
	}
	return out
}

func (m vaultStep) redundancyText(v azure.Vault) string {
	tr := m.c.Tr
	typ := v.Redundancy
	if s := m.storage[strings.ToLower(v.ID)]; s.state == stateReady && s.cfg.Type != "" {
		typ = s.cfg.Type
	}
	switch typ {
	case azure.StorageGeoRedundant, azure.StorageLocallyRedundant, azure.StorageZoneRedundant:
		return tr.T("vault.red." + typ)
	case "":
		return "—"
	}
	return typ
}

func (m vaultStep) lockText(v azure.Vault) string {
	tr := m.c.Tr
	s := m.storage[strings.ToLower(v.ID)]
	switch {
	case s.state == stateLoading || s.state == stateIdle:
		return m.spin.View()
	case s.state == stateFailed:
		return tr.T("vault.lock.unknown")
	case s.cfg.Locked():
		return tr.T("vault.lock.locked")
	}
	return tr.T("vault.lock.unlocked")
}

func stateWord(tr *ui.Translator, value string) string {
	switch strings.ToLower(value) {
	case "enabled":
		return tr.T("vault.state.on")
	case "disabled":
		return tr.T("vault.state.off")
	case "alwayson":
		return tr.T("vault.state.always")
	case "unlocked":
		return tr.T("vault.lock.unlocked")
	case "locked":
		return tr.T("vault.lock.locked")
	case "":
		return "—"
	}
	return value
}

func (m vaultStep) vaultsView(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	r := m.cur()
	c := m.choice()
	top := m.regionLines(w, tr.T("vault.vaults.heading", "Region", r.Location))
	top = append(top, m.providerLines(w)...)
	createLabel := "+ " + tr.T("vault.create.row")
	cols := []struct {
		title string
		prio  int
		right bool
		cell  func(v VaultOption) string
	}{
		{tr.T("scope.col.name"), 100, false, func(v VaultOption) string { return v.Vault.Name }},
		{tr.T("vault.col.redundancy"), 80, false, func(v VaultOption) string { return m.redundancyText(v.Vault) }},
		{tr.T("vault.col.lock"), 70, false, func(v VaultOption) string { return m.lockText(v.Vault) }},
		{tr.T("vault.col.items"), 60, true, func(v VaultOption) string { return strconv.Itoa(v.Protected) }},
		{tr.T("scope.col.group"), 50, false, func(v VaultOption) string { return v.Vault.ResourceGroup }},
		{tr.T("vault.col.softdelete"), 30, false, func(v VaultOption) string { return stateWord(tr, v.Vault.SoftDelete) }},
		{tr.T("vault.col.immutability"), 20, false, func(v VaultOption) string { return stateWord(tr, v.Vault.Immutability) }},
	}
	columns := make([]ui.Column, len(cols))
	for i, col := range cols {
		wd := ui.Width(col.title)
		for _, v := range r.Vaults {
			wd = max(wd, ui.Width(col.cell(v)))
		}
		columns[i] = ui.Column{Title: col.title, Width: wd, Priority: col.prio, Right: col.right}
	}
	columns[0].Width = max(columns[0].Width, ui.Width(createLabel))
	columns[0].Min = min(columns[0].Width, 16)
	columns[4].Min, columns[4].Flex = min(columns[4].Width, 10), true
	t := ui.Table{
		Columns: columns,
		Rows:    len(r.Vaults) + 1,
		Cell: func(row, col int) string {
			if row == len(r.Vaults) {
				if col == 0 {
					return createLabel
				}
				return ""
			}
			return cols[col].cell(r.Vaults[row])
		},
		Style: func(row, col int) lipgloss.Style {
			if row == len(r.Vaults) {
				return st.App.Accent
			}
			if col == 4 {
				return st.Table.ID
			}
			return st.Table.Cell
		},
		Lead:        func(row int) string { return radio(row == c.option) },
		LeadWidth:   4,
		Cursor:      m.cursor,
		HeaderStyle: st.Table.Header,
		CursorStyle: st.Table.Selected,
		MarkerStyle: x.Cursor,
	}
	detail := m.detailLines(w)
	left := m.leftLines(w, 3, r.Key())
	var others []string
	if len(m.regions) > 1 {
		others = wrapStyled(tr.T("vault.regions.others", "Count", len(m.regions)-1), w, st.App.Muted)
	}
	bottom := append(append(detail, left...), others...)
	rows := max(h-len(top)-len(bottom)-1, 3)
	if need := len(r.Vaults) + 2; rows > need {
		rows = need
	}
	t.Offset = ui.ScrollOffset(m.cursor, 0, rows-1, t.Rows)
	lines := append(top, "")
	lines = append(lines, ui.Lines(ui.Frame(t.Render(w, rows), w, rows))...)
	// Room left at the bottom shows as space between the table and the notes.
	lines = append(lines, bottom...)
	return strings.Join(lines, "\n")
}

// detailLines describe the row under the cursor in words: everything the
// columns may have had to leave out.
func (m vaultStep) detailLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	r := m.cur()
	if m.cursor == len(r.Vaults) {
		return wrapStyled(tr.T("vault.create.detail", "Region", r.Location), w, st.App.Muted)
	}
	v := r.Vaults[m.cursor]
	s := m.storage[strings.ToLower(v.Vault.ID)]
	var lock string
	switch {
	case s.state == stateFailed:
		out := wrapStyled(tr.T("vault.detail.head", "Vault", v.Vault.Name, "Group", v.Vault.ResourceGroup, "Count", v.Protected), w, st.App.Muted)
		return append(out, problemLines(m.c, Explain(s.err), w)...)
	case s.state != stateReady:
		lock = tr.T("vault.detail.reading")
	case s.cfg.Locked():
		lock = tr.T("vault.detail.locked", "Redundancy", m.redundancyText(v.Vault))
	default:
		lock = tr.T("vault.detail.unlocked", "Redundancy", m.redundancyText(v.Vault))
	}
	// Chinese and Japanese put no space between sentences.
	sep := " "
	if tr.Lang() == "zh" || tr.Lang() == "ja" {
		sep = ""
	}
	text := strings.Join([]string{
		tr.T("vault.detail.head", "Vault", v.Vault.Name, "Group", v.Vault.ResourceGroup, "Count", v.Protected), lock,
		tr.T("vault.detail.safety", "Soft", stateWord(tr, v.Vault.SoftDelete), "Immutable", stateWord(tr, v.Vault.Immutability)),
	}, sep)
	return styleLines(ui.WrapLines(text, w, 3), st.App.Muted)
}

func (m vaultStep) createView(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	r := m.cur()
	lines := m.regionLines(w, tr.T("vault.create.heading", "Region", r.Location))
	lines = append(lines, "")
	// The two prompts are padded to one width, so that the fields line up.
	pw := max(ui.Width(tr.T("vault.create.name")), ui.Width(tr.T("vault.create.group")), ui.Width(tr.T("vault.create.location")))
	pad := func(s string) string { return s + strings.Repeat(" ", pw-ui.Width(s)) + "  " }
	nf, gf := m.nameField, m.groupField
	nf.Prompt, gf.Prompt = pad(tr.T("vault.create.name")), pad(tr.T("vault.create.group"))
	indent := strings.Repeat(" ", pw+2)
	sub := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = indent + l
		}
		return out
	}
	lines = append(lines, nf.View(w, x))
	lines = append(lines, sub(m.nameStatus(w-pw-2))...)
	lines = append(lines, gf.View(w, x))
	lines = append(lines, sub(m.groupStatus(w-pw-2))...)
	tail := []string{ui.Fit(st.App.Muted.Render(pad(tr.T("vault.create.location")))+st.App.Text.Render(r.Location)+
		st.App.Faint.Render(" · "+tr.T("vault.create.fixed")), w), ""}
	tail = append(tail, m.providerLines(w)...)
	lines = append(lines, sub(m.groupListLines(w-pw-2, h-len(lines)-len(tail)))...)
	lines = append(lines, tail...)
	return strings.Join(lines, "\n")
}

// groupListLines offer the subscription's existing resource groups, with
// their regions, in at most n lines.
func (m vaultStep) groupListLines(w, n int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	r := m.cur()
	if n <= 0 || w <= 0 {
		return nil
	}
	if v, _ := m.nameVerdict(); v == NameExistsHere {
		return nil
	}
	l := m.rgLists[strings.ToLower(r.Subscription)]
	switch l.state {
	case stateLoading, stateIdle:
		return []string{m.spin.View() + " " + st.App.Faint.Render(ui.Truncate(tr.T("vault.groups.loading"), w-2))}
	case stateFailed:
		return []string{st.App.Faint.Render(ui.Truncate(tr.T("vault.groups.failed"), w))}
	}
	opts := m.groupOptions()
	if len(opts) == 0 {
		if len(l.groups) == 0 {
			return nil
		}
		return []string{st.App.Faint.Render(ui.Truncate(tr.T("vault.groups.nomatch", "Count", len(l.groups)), w))}
	}
	out := []string{st.App.Faint.Render(ui.Truncate(tr.T("vault.groups.heading", "Count", len(opts)), w))}
	rows := min(len(opts), n-1, 6)
	if rows <= 0 {
		return out
	}
	off := ui.ScrollOffset(max(m.gcursor, 0), 0, rows, len(opts))
	c := m.choice()
	for i := off; i < off+rows && i < len(opts); i++ {
		g := opts[i]
		lead := "  "
		name := st.App.Text
		if strings.EqualFold(g.Name, c.group) {
			lead, name = st.Verdict["ok"].Render(ui.GlyphDone)+" ", st.App.Accent
		}
		if m.groupField.Focused() && i == m.gcursor {
			lead = x.Cursor.Render(ui.GlyphCurrent) + " "
		}
		loc := " · " + g.Location
		nw := max(w-2-ui.Width(loc), min(ui.Width(g.Name), w-2))
		nm := ui.Truncate(g.Name, nw)
		out = append(out, lead+name.Render(nm)+st.App.Faint.Render(ui.Truncate(loc, max(w-2-ui.Width(nm), 0))))
	}
	return out
}

// nameStatus says what is known about the typed name.
func (m vaultStep) nameStatus(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	r := m.cur()
	c := m.choice()
	bad := func(text string) []string {
		return glyphLines(st.Verdict["blocked"], ui.VerdictGlyph("blocked"), text, w, st.App.Error)
	}
	good := func(text string) []string {
		return glyphLines(st.Verdict["ok"], ui.GlyphDone, text, w, st.App.Text)
	}
	suggest := func(s string) []string {
		if s == "" {
			return nil
		}
		return glyphLines(st.App.Accent, ui.GlyphCurrent, tr.T("vault.name.suggest", "Name", s, "Key", m.keys.suggest.Help().Key), w, st.App.Text)
	}
	verdict, existing := m.nameVerdict()
	switch verdict {
	case NameExistsHere:
		return good(tr.T("vault.name.exists-here", "Name", existing.Name, "Group", existing.ResourceGroup))
	case NameExistsElsewere:
		return append(bad(tr.T("vault.name.exists-elsewhere", "Name", existing.Name, "Where", existing.Location, "Region", r.Location)), suggest(m.suggestion())...)
	case NameNeedsCheck:
	default:
		return bad(tr.T("vault.name."+verdict, "Name", c.name))
	}
	n, ok := m.names[nameKey(r.Subscription, c.name, c.group)]
	switch {
	case !ok || n.state == stateLoading || n.state == stateIdle:
		return []string{m.spin.View() + " " + st.App.Muted.Render(ui.Truncate(tr.T("vault.name.checking"), w-2))}
	case n.state == stateFailed:
		return problemLines(m.c, Explain(n.err), w)
	case n.available:
		return good(tr.T("vault.name.free", "Name", c.name))
	case n.existing != nil && azure.NormalizeLocation(n.existing.Location) == r.Location:
		return good(tr.T("vault.name.exists-here", "Name", n.existing.Name, "Group", n.existing.ResourceGroup))
	case n.existing != nil:
		return bad(tr.T("vault.name.exists-elsewhere", "Name", n.existing.Name, "Where", n.existing.Location, "Region", r.Location))
	}
	out := bad(tr.T("vault.name.taken", "Name", c.name))
	if n.suggestion == "" {
		return append(out, glyphLines(st.App.Accent, ui.GlyphCurrent, tr.T("vault.name.nosuggest"), w, st.App.Text)...)
	}
	return append(out, suggest(n.suggestion)...)
}

// groupStatus says whether the resource group exists, or why its name is
// refused.
func (m vaultStep) groupStatus(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	r := m.cur()
	c := m.choice()
	if v, existing := m.nameVerdict(); v == NameExistsHere {
		return glyphLines(st.App.Faint, ui.GlyphTodo, tr.T("vault.group.unused", "Group", existing.ResourceGroup), w, st.App.Muted)
	}
	if reason := ValidateResourceGroup(c.group); reason != "" {
		return glyphLines(st.Verdict["blocked"], ui.VerdictGlyph("blocked"), tr.T("vault.group."+reason), w, st.App.Error)
	}
	g, ok := m.groups[groupKey(r.Subscription, c.group)]
	switch {
	case !ok || g.state == stateLoading || g.state == stateIdle:
		return []string{m.spin.View() + " " + st.App.Muted.Render(ui.Truncate(tr.T("vault.group.checking"), w-2))}
	case g.state == stateFailed:
		return problemLines(m.c, Explain(g.err), w)
	case g.exists:
		return glyphLines(st.Verdict["ok"], ui.GlyphDone, tr.T("vault.group.exists"), w, st.App.Text)
	}
	return glyphLines(st.Verdict["fixable"], ui.VerdictGlyph("fixable"), tr.T("vault.group.create", "Region", r.Location), w, st.App.Text)
}
