package steps

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 3, redundancy: the storage redundancy of the plan's vault, and
// cross-region restore. Azure fixes the redundancy for good once the vault
// protects an item, so it is chosen here, before anything is protected.
//
// The decisions are the pure functions at the top of this file; the screen
// model only calls them. Nothing changes in Azure here: the choice goes into
// Session.Plan, and Review shows what it changes.

// redundancyAPI is what the redundancy step calls in Azure.
type redundancyAPI interface {
	StorageConfig(ctx context.Context, vaultID string) (azure.StorageConfig, error)
	Locations(ctx context.Context, subscriptionID string) ([]azure.Location, error)
}

type (
	redundancyReadMsg struct {
		key string // the vault the answer is about (vaultKey)
		cfg azure.StorageConfig
		err error
	}
	redundancyRegionsMsg struct {
		sub  string // the subscription whose regions these are
		locs []azure.Location
		err  error
	}
)

// ---- decisions ----

// VaultStorage is what is known of the plan's vault's storage.
type VaultStorage struct {
	New    bool   // the plan creates the vault: Azure's defaults apply
	Type   string // GeoRedundant, LocallyRedundant, ZoneRedundant, …
	Locked bool   // the vault protects items: the type can no longer change
	CRR    bool   // cross-region restore is on
}

// NewVaultStorage is a vault the plan creates: Azure makes it geo-redundant,
// unlocked, without cross-region restore.
func NewVaultStorage() VaultStorage { return VaultStorage{New: true, Type: StorageGeo} }

// StorageOf is an existing vault's storage as Azure reported it.
func StorageOf(cfg azure.StorageConfig) VaultStorage {
	return VaultStorage{Type: cfg.Type, Locked: cfg.Locked(), CRR: cfg.CrossRegionRestore}
}

// RedundancyOption is one redundancy the user may choose.
type RedundancyOption struct {
	Type     string // StorageGeo, StorageLocal, StorageZone
	Default  bool   // Azure's default for a new vault
	Current  bool   // the vault's setting today
	Disabled bool   // not offered: zone-redundant in a region without zones
}

// RedundancyOptions are the choices a vault's storage allows: none when it
// is locked (it is shown read-only), else geo-, locally and zone-redundant.
func RedundancyOptions(s VaultStorage) []RedundancyOption {
	return RedundancyOptionsIn(s, RegionFacts{})
}

// RegionFacts is what is known of the vault's region (Known=false when its
// regions could not be read: the step then speaks in general).
type RegionFacts struct {
	Known    bool
	Name     string // display name of the vault's region
	Paired   string // display name of its paired region, "" when none
	HasZones bool
}

// RedundancyOptionsIn are RedundancyOptions in a region: zone-redundancy is
// disabled where the region is known to have no availability zones (unless
// the vault has it already).
func RedundancyOptionsIn(s VaultStorage, r RegionFacts) []RedundancyOption {
	if s.Locked {
		return nil
	}
	out := make([]RedundancyOption, 0, len(planStorage))
	for _, t := range planStorage {
		o := RedundancyOption{Type: t, Default: t == StorageGeo, Current: strings.EqualFold(t, s.Type)}
		o.Disabled = t == StorageZone && r.Known && !r.HasZones && !o.Current
		out = append(out, o)
	}
	return out
}

// RegionFactsOf finds a region (by name or display name) among a
// subscription's regions.
func RegionFactsOf(locs []azure.Location, region string) RegionFacts {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	find := func(name string) (azure.Location, bool) {
		for _, l := range locs {
			if name != "" && (norm(l.Name) == norm(name) || norm(l.DisplayName) == norm(name)) {
				return l, true
			}
		}
		return azure.Location{}, false
	}
	l, ok := find(region)
	if !ok {
		return RegionFacts{}
	}
	display := func(l azure.Location) string {
		if l.DisplayName != "" {
			return l.DisplayName
		}
		return l.Name
	}
	f := RegionFacts{Known: true, Name: display(l), HasZones: l.HasZones}
	if l.PairedRegion != "" {
		f.Paired = l.PairedRegion
		if p, ok := find(l.PairedRegion); ok {
			f.Paired = display(p)
		}
	}
	return f
}

// CanToggleCRR reports whether cross-region restore may be switched with
// the chosen redundancy: only with geo-redundancy, and never off once a
// protecting vault has it on.
func CanToggleCRR(s VaultStorage, choice string) bool {
	if s.Locked {
		return strings.EqualFold(s.Type, StorageGeo) && !s.CRR
	}
	return choice == StorageGeo
}

// RedundancyPlan is the plan's redundancy for a choice: Keep when it is what
// the vault has (for a new vault, Azure's default), else the type and
// cross-region restore to set. A locked vault keeps its type; cross-region
// restore goes only with geo-redundancy and stays on once a locked vault has
// it.
func RedundancyPlan(s VaultStorage, choice string, crr bool) PlanRedundancy {
	if s.Locked {
		choice = s.Type
		crr = crr || s.CRR
	}
	if !strings.EqualFold(choice, StorageGeo) {
		crr = false
	}
	if strings.EqualFold(choice, s.Type) && crr == s.CRR {
		return PlanRedundancy{Keep: true}
	}
	return PlanRedundancy{StorageType: choice, CrossRegionRestore: crr}
}

// What a plan makes permanent (RedundancyIrreversible).
const (
	IrreversibleStorage = "storage" // the type locks once the vault protects an item
	IrreversibleCRR     = "crr"     // cross-region restore cannot be turned off once protection starts
)

// RedundancyIrreversible lists what the plan's redundancy will make
// permanent that is not already: the storage type of a vault not yet
// locked, and cross-region restore turned on.
func RedundancyIrreversible(s VaultStorage, p PlanRedundancy) []string {
	var out []string
	if !s.Locked {
		out = append(out, IrreversibleStorage)
	}
	crr := s.CRR
	if !p.Keep {
		crr = p.CrossRegionRestore
	}
	if crr && !(s.Locked && s.CRR) {
		out = append(out, IrreversibleCRR)
	}
	return out
}

// ---- screen ----

type redundancyKeys struct {
	choose, toggle key.Binding
}

// redundancyStep is the screen model of step 3.
type redundancyStep struct {
	c    *ui.Common
	sess *Session
	api  redundancyAPI
	w, h int
	spin spinner.Model
	keys redundancyKeys

	vault  string      // vaultKey of the plan's vault the screen is about; "" for none
	read   storageRead // the existing vault's storage configuration
	cursor int         // over the options, then the cross-region restore row
	choice string      // the chosen type
	crr    bool

	regionsSub string           // the subscription whose regions are read or being read
	regions    []azure.Location // its regions; nil while unread or when the read failed
}

func newRedundancyStep(c *ui.Common, sess *Session, api redundancyAPI) redundancyStep {
	tr := c.Tr
	return redundancyStep{
		c: c, sess: sess, api: api,
		spin: ui.NewSpinner(c.Extra),
		keys: redundancyKeys{
			choose: key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("enter", tr.T("redundancy.key.choose"))),
			toggle: key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("space", tr.T("redundancy.key.toggle"))),
		},
	}
}

func (m redundancyStep) Title() string                  { return m.c.Tr.T("step.redundancy.title") }
func (m redundancyStep) Explain() string                { return m.c.Tr.T("redundancy.why") }
func (m redundancyStep) Init() tea.Cmd                  { return nil }
func (m redundancyStep) Deactivate() (ui.Step, tea.Cmd) { return m, nil }
func (m redundancyStep) Capturing() bool                { return false }
func (m redundancyStep) Back() (ui.Step, tea.Cmd, bool) { return m, nil, false }
func (m redundancyStep) Next() (ui.Step, tea.Cmd, bool) { return m, nil, false }

// planVault is the plan's vault, or nil when none is validly chosen.
func (m redundancyStep) planVault() *PlanVault {
	p := m.sess.Plan
	if p == nil || p.Subscription == "" || p.Vault.ResourceGroup == "" || ValidateVaultName(p.Vault.Name) != "" {
		return nil
	}
	return &p.Vault
}

// vaultKey names the plan's vault, new or existing.
func (m redundancyStep) vaultKey() string {
	v := m.planVault()
	if v == nil {
		return ""
	}
	k := strings.ToLower(m.sess.Plan.Subscription + "/" + v.ResourceGroup + "/" + v.Name)
	if v.Create {
		k += "/new"
	}
	return k
}

// vaultID is the existing vault's resource id: the inventory's, else built
// from the plan.
func (m redundancyStep) vaultID() string {
	v, sub := m.planVault(), m.sess.Plan.Subscription
	if m.sess.Inventory != nil {
		for _, iv := range m.sess.Inventory.Vaults {
			if strings.EqualFold(iv.SubscriptionID, sub) && strings.EqualFold(iv.ResourceGroup, v.ResourceGroup) && strings.EqualFold(iv.Name, v.Name) {
				return iv.ID
			}
		}
	}
	return "/subscriptions/" + sub + "/resourceGroups/" + v.ResourceGroup + "/providers/Microsoft.RecoveryServices/vaults/" + v.Name
}

// storage is what is known of the vault's storage (ok=false while unread).
func (m redundancyStep) storage() (VaultStorage, bool) {
	v := m.planVault()
	switch {
	case v == nil:
		return VaultStorage{}, false
	case v.Create:
		return NewVaultStorage(), true
	case m.read.state == stateReady:
		return StorageOf(m.read.cfg), true
	}
	return VaultStorage{}, false
}

// Activate starts over when the plan's vault changed, reading an existing
// vault's storage configuration.
func (m redundancyStep) Activate() (ui.Step, tea.Cmd) {
	var regions tea.Cmd
	if p := m.sess.Plan; p != nil && p.Subscription != "" && !strings.EqualFold(p.Subscription, m.regionsSub) {
		m.regionsSub, m.regions = p.Subscription, nil
		regions = m.readRegions(p.Subscription)
	}
	s, cmd := m.activate()
	return s, tea.Batch(cmd, regions)
}

func (m redundancyStep) activate() (ui.Step, tea.Cmd) {
	k := m.vaultKey()
	if k == m.vault && k != "" {
		m.syncPlan()
		return m, nil
	}
	m.vault, m.read, m.cursor = k, storageRead{}, 0
	if s, ok := m.storage(); ok {
		m.reset(s)
		return m, nil
	}
	if k == "" {
		return m, nil
	}
	return m.startRead()
}

func (m redundancyStep) startRead() (ui.Step, tea.Cmd) {
	m.read = storageRead{state: stateLoading}
	return m, tea.Batch(m.readStorage(m.vault, m.vaultID()), m.spin.Tick)
}

// reset starts the choice from what the vault has, and plans to keep it.
func (m *redundancyStep) reset(s VaultStorage) {
	m.choice, m.crr = s.Type, s.CRR
	m.cursor = 0
	for i, o := range RedundancyOptions(s) {
		if o.Current {
			m.cursor = i
		}
	}
	m.syncPlan()
}

func (m redundancyStep) readStorage(k, id string) tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	return func() tea.Msg {
		cfg, err := api.StorageConfig(ctx, id)
		return redundancyReadMsg{key: k, cfg: cfg, err: err}
	}
}

// readRegions reads a subscription's regions, once, for the paired region
// and zone support of the vault's region.
func (m redundancyStep) readRegions(sub string) tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	return func() tea.Msg {
		locs, err := api.Locations(ctx, sub)
		return redundancyRegionsMsg{sub: sub, locs: locs, err: err}
	}
}

// region is what is known of the plan's vault's region.
func (m redundancyStep) region() RegionFacts {
	v := m.planVault()
	if v == nil || m.regions == nil || !strings.EqualFold(m.sess.Plan.Subscription, m.regionsSub) {
		return RegionFacts{}
	}
	return RegionFactsOf(m.regions, v.Location)
}

// options are the redundancies offered in the vault's region.
func (m redundancyStep) options(s VaultStorage) []RedundancyOption {
	return RedundancyOptionsIn(s, m.region())
}

// syncPlan writes the choice into the session's plan.
func (m redundancyStep) syncPlan() {
	s, ok := m.storage()
	if !ok || m.sess.Plan == nil {
		return
	}
	p := *m.sess.Plan
	p.Redundancy = RedundancyPlan(s, m.choice, m.crr)
	m.sess.Plan = &p
}

// rows is the number of cursor rows: the options, then cross-region restore.
func (m redundancyStep) rows(s VaultStorage) int { return len(m.options(s)) + 1 }

func (m redundancyStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spin(m.spin, msg, m.read.state == stateLoading)
		return m, cmd
	case redundancyReadMsg:
		if msg.key != m.vault {
			return m, nil
		}
		if msg.err != nil {
			m.read = storageRead{state: stateFailed, err: msg.err}
			return m, nil
		}
		m.read = storageRead{state: stateReady, cfg: msg.cfg}
		m.reset(StorageOf(msg.cfg))
		return m, nil
	case redundancyRegionsMsg:
		if !strings.EqualFold(msg.sub, m.regionsSub) {
			return m, nil
		}
		if msg.err != nil || msg.locs == nil {
			// No error screen: the step speaks of regions in general.
			m.regions = nil
			return m, nil
		}
		m.regions = msg.locs
		// A choice the region does not offer falls back to the vault's own.
		if s, ok := m.storage(); ok {
			for _, o := range m.options(s) {
				if o.Disabled && o.Type == m.choice {
					m.choice = s.Type
					if m.choice != StorageGeo {
						m.crr = false
					}
					m.syncPlan()
				}
			}
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m redundancyStep) key(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	if key.Matches(km, k.Retry) && m.read.state == stateFailed {
		return m.startRead()
	}
	s, ok := m.storage()
	if !ok {
		return m, nil
	}
	opts := m.options(s)
	if key.Matches(km, m.keys.choose) {
		if m.cursor < len(opts) {
			if opts[m.cursor].Disabled {
				return m, nil
			}
			m.choice = opts[m.cursor].Type
			if m.choice != StorageGeo {
				m.crr = false
			}
		} else if CanToggleCRR(s, m.choice) {
			m.crr = !m.crr
		}
		m.syncPlan()
		return m, nil
	}
	m.cursor = move(k, km, m.cursor, m.rows(s), m.h)
	return m, nil
}

func (m redundancyStep) Complete() bool {
	_, ok := m.storage()
	return ok
}

func (m redundancyStep) Hint() string {
	tr := m.c.Tr
	switch {
	case m.planVault() == nil:
		return tr.T("redundancy.hint.vault")
	case m.read.state == stateFailed:
		return tr.T("scope.retry")
	case !m.Complete():
		return tr.T("redundancy.hint.wait")
	}
	return ""
}

func (m redundancyStep) Keys() []key.Binding {
	k := m.c.Keys
	if m.read.state == stateFailed {
		return []key.Binding{k.Retry}
	}
	s, ok := m.storage()
	if !ok {
		return nil
	}
	opts := m.options(s)
	switch {
	case m.cursor < len(opts) && opts[m.cursor].Disabled:
		return []key.Binding{k.Up}
	case m.cursor < len(opts):
		return []key.Binding{k.Up, m.keys.choose}
	case CanToggleCRR(s, m.choice):
		return []key.Binding{k.Up, m.keys.toggle}
	}
	return []key.Binding{k.Up}
}

// ---- drawing ----

func (m redundancyStep) View(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	v := m.planVault()
	if v == nil {
		lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("redundancy.none.heading"), w)), ""}
		lines = append(lines, wrapStyled(tr.T("redundancy.none.body"), w, st.App.Text)...)
		return strings.Join(lines, "\n")
	}
	kind := tr.T("redundancy.kind.existing")
	if v.Create {
		kind = tr.T("redundancy.kind.new")
	}
	lines := []string{ui.Fit(st.Body.Heading.Render(tr.T("redundancy.heading", "Vault", v.Name))+
		st.App.Muted.Render(" · "+kind+" · "+v.Location), w)}
	switch m.read.state {
	case stateFailed:
		lines = append(lines, "")
		return strings.Join(append(lines, problemLines(m.c, Explain(m.read.err), w)...), "\n")
	}
	s, ok := m.storage()
	if !ok {
		lines = append(lines, m.spin.View()+" "+st.App.Muted.Render(ui.Truncate(tr.T("redundancy.reading"), w-2)))
		return strings.Join(lines, "\n")
	}
	if s.Locked {
		return strings.Join(append(lines, m.lockedLines(s, w, h-len(lines))...), "\n")
	}
	if v.Create {
		lines = append(lines, wrapStyled(tr.T("redundancy.status.new"), w, st.App.Muted)...)
	} else {
		lines = append(lines, wrapStyled(tr.T("redundancy.status.unlocked", "Redundancy", typeWord(tr, s.Type)), w, st.App.Muted)...)
	}
	lines = append(lines, "")
	lines = append(lines, m.optionLines(s, w)...)
	lines = append(lines, m.crrLine(s, len(m.options(s)), w))
	warn := m.irreversibleLines(s, w)
	room := h - len(lines) - len(warn) - 2
	if room > 0 {
		lines = append(lines, "")
		lines = append(lines, styleLines(ui.WrapLines(m.detail(s), w, room), st.App.Text)...)
	}
	lines = append(lines, "")
	lines = append(lines, warn...)
	return strings.Join(lines, "\n")
}

// optionLines are the three redundancies, the chosen one marked, with their
// relative cost and which is Azure's default.
func (m redundancyStep) optionLines(s VaultStorage, w int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	opts := m.options(s)
	nw, cw := 0, 0
	for _, o := range opts {
		nw = max(nw, ui.Width(typeName(tr, o.Type)))
		cw = max(cw, ui.Width(tr.T("redundancy.cost."+o.Type)))
	}
	var out []string
	for i, o := range opts {
		marker := "  "
		if i == m.cursor {
			marker = x.Cursor.Render(ui.GlyphCursor) + " "
		}
		name, cost := typeName(tr, o.Type), tr.T("redundancy.cost."+o.Type)
		row := radio(o.Type == m.choice) + " " + name + strings.Repeat(" ", nw-ui.Width(name)) + "  "
		var tags []string
		if o.Default {
			tags = append(tags, tr.T("redundancy.tag.default"))
		}
		if o.Current && !s.New {
			tags = append(tags, tr.T("redundancy.tag.current"))
		}
		if o.Disabled {
			row := radio(false) + " " + name + strings.Repeat(" ", nw-ui.Width(name)) + "  "
			out = append(out, ui.Fit(marker+st.App.Faint.Render(row+tr.T("redundancy.zrs.unavailable")), w))
			continue
		}
		text := st.Table.Cell.Render(row) + st.App.Muted.Render(cost+strings.Repeat(" ", cw-ui.Width(cost)))
		if len(tags) > 0 {
			text += st.App.Accent.Render("  " + strings.Join(tags, "/"))
		}
		if i == m.cursor {
			text = st.Table.Selected.Render(row) + st.App.Muted.Render(cost+strings.Repeat(" ", cw-ui.Width(cost)))
			if len(tags) > 0 {
				text += st.App.Accent.Render("  " + strings.Join(tags, "/"))
			}
		}
		out = append(out, ui.Fit(marker+text, w))
	}
	return out
}

// crrLine is the cross-region restore toggle, greyed when it cannot change.
func (m redundancyStep) crrLine(s VaultStorage, row, w int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	marker := "  "
	if m.cursor == row {
		marker = x.Cursor.Render(ui.GlyphCursor) + " "
	}
	on := m.crr
	if s.Locked {
		on = m.crr || s.CRR
	}
	label := checkbox(on) + " " + tr.T("redundancy.crr.label")
	switch {
	case CanToggleCRR(s, m.choice):
		ls := st.Table.Cell
		if m.cursor == row {
			ls = st.Table.Selected
		}
		return ui.Fit(marker+ls.Render(label)+st.App.Muted.Render(" · "+m.pairedText()), w)
	case s.Locked && s.CRR:
		return ui.Fit(marker+st.App.Faint.Render(label+" · "+tr.T("redundancy.crr.stays")), w)
	}
	return ui.Fit(marker+st.App.Faint.Render(label+" · "+tr.T("redundancy.crr.geoonly")), w)
}

// pairedText is where cross-region restore restores: the paired region by
// name when known.
func (m redundancyStep) pairedText() string {
	if r := m.region(); r.Paired != "" {
		return m.c.Tr.T("redundancy.crr.pairedname", "Paired", r.Paired)
	}
	return m.c.Tr.T("redundancy.crr.paired")
}

// detail explains the row under the cursor, naming the region's paired
// region and zone support when they are known.
func (m redundancyStep) detail(s VaultStorage) string {
	opts := m.options(s)
	if m.cursor < len(opts) {
		return m.withRegion(m.c.Tr.T("redundancy.about."+opts[m.cursor].Type), opts[m.cursor].Type)
	}
	return m.withRegion(m.c.Tr.T("redundancy.about.crr"), StorageGeo)
}

// withRegion adds to an explanation the region's sentence for a redundancy.
func (m redundancyStep) withRegion(text, typ string) string {
	if note := m.regionNote(typ); note != "" {
		return m.c.Tr.T("redundancy.join", "A", text, "B", note)
	}
	return text
}

// regionNote is the sentence about the vault's region that goes with a
// redundancy's explanation: its paired region for geo-redundancy and
// cross-region restore, its zones for zone-redundancy; "" when unknown.
func (m redundancyStep) regionNote(typ string) string {
	tr, r := m.c.Tr, m.region()
	switch {
	case !r.Known:
		return ""
	case typ == StorageGeo && r.Paired != "":
		return tr.T("redundancy.region.paired", "Region", r.Name, "Paired", r.Paired)
	case typ == StorageZone && r.HasZones:
		return tr.T("redundancy.region.zones", "Region", r.Name)
	case typ == StorageZone:
		return tr.T("redundancy.region.nozones", "Region", r.Name)
	}
	return ""
}

// irreversibleLines flag what the current choice makes permanent.
func (m redundancyStep) irreversibleLines(s VaultStorage, w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	var out []string
	for _, k := range RedundancyIrreversible(s, RedundancyPlan(s, m.choice, m.crr)) {
		out = append(out, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T("redundancy.irrev."+k), w, st.App.Text)...)
	}
	return out
}

// lockedLines show a locked vault's redundancy read-only, why it is locked
// and the two ways out; cross-region restore may still be turned on.
func (m redundancyStep) lockedLines(s VaultStorage, w, h int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"), tr.T("redundancy.locked.status", "Redundancy", typeWord(tr, s.Type)), w, st.App.Text)
	out = append(out, wrapStyled(tr.T("redundancy.locked.why"), w, st.App.Muted)...)
	out = append(out, "")
	out = append(out, wrapStyled(tr.T("redundancy.locked.out"), w, st.App.Text)...)
	for _, k := range []string{"redundancy.locked.new", "redundancy.locked.stop"} {
		out = append(out, glyphLines(st.App.Accent, ui.GlyphCurrent, tr.T(k), w, st.App.Text)...)
	}
	out = append(out, "")
	out = append(out, m.crrLine(s, 0, w))
	if CanToggleCRR(s, m.choice) {
		if room := h - len(out) - 1; room > 0 {
			out = append(out, styleLines(ui.WrapLines(m.withRegion(tr.T("redundancy.about.crr"), StorageGeo), w, room), st.App.Muted)...)
		}
		out = append(out, m.irreversibleLines(s, w)...)
	}
	return out
}

// typeName is a redundancy's name for the option list.
func typeName(tr *ui.Translator, t string) string {
	switch t {
	case StorageGeo, StorageLocal, StorageZone:
		return tr.T("redundancy.name." + t)
	}
	return t
}

// typeWord is a redundancy in running text; an unknown type as Azure says it.
func typeWord(tr *ui.Translator, t string) string {
	switch t {
	case StorageGeo, StorageLocal, StorageZone:
		return tr.T("redundancy.word." + t)
	case "":
		return "—"
	}
	return t
}
