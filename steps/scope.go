package steps

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 0, sign-in and scope: who is signed in, which subscriptions, which VMs.
//
// The decisions (what a filter means, what is selected) are the pure
// functions at the top of this file; the screen model below only calls them,
// so that the same step can run as line-by-line prompts.

// scopeAPI is what the scope step calls in Azure.
type scopeAPI interface {
	Identity(ctx context.Context) (azure.Identity, error)
	Subscriptions(ctx context.Context) ([]azure.Subscription, error)
	Inventory(ctx context.Context, subscriptions []string, progress func(azure.InventoryProgress)) (*azure.Inventory, error)
}

type (
	identityReadMsg struct {
		id  azure.Identity
		err error
	}
	subscriptionsReadMsg struct {
		subs []azure.Subscription
		err  error
	}
	inventoryProgressMsg struct{ gen, done, total int }
	inventoryReadMsg     struct {
		gen int
		inv *azure.Inventory
		err error
	}
)

// ---- decisions ----

// EnabledSubscriptions keeps the subscriptions that can be used, sorted by
// name, and says how many others were hidden.
func EnabledSubscriptions(all []azure.Subscription) (enabled []azure.Subscription, hidden int) {
	for _, s := range all {
		if s.Enabled() {
			enabled = append(enabled, s)
		} else {
			hidden++
		}
	}
	slices.SortStableFunc(enabled, func(a, b azure.Subscription) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return enabled, hidden
}

// MatchSubscription reports whether every word of query is part of the
// subscription's name or id (case-insensitive).
func MatchSubscription(s azure.Subscription, query string) bool {
	hay := strings.ToLower(s.Name + " " + s.ID)
	for _, w := range strings.Fields(strings.ToLower(query)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// PresetSubscriptions resolves --subscription values (ids or display names,
// case-insensitive) against the enabled subscriptions. It returns the ids
// found and the values that matched none.
func PresetSubscriptions(enabled []azure.Subscription, preset []string) (ids, missing []string) {
	for _, p := range preset {
		found := false
		for _, s := range enabled {
			if strings.EqualFold(p, s.ID) || strings.EqualFold(p, s.Name) {
				if !slices.Contains(ids, s.ID) {
					ids = append(ids, s.ID)
				}
				found = true
			}
		}
		if !found {
			missing = append(missing, p)
		}
	}
	return ids, missing
}

// VMQuery is a parsed VM filter: "web rg:prod region:westeurope tag:env=prod".
// Words match the name; rg: and region: match part of the resource group or
// region; tag: uses ParseTag (a VM must carry every tag given). Several
// values of one qualifier are alternatives; different qualifiers all apply.
type VMQuery struct {
	Names   []string
	Groups  []string
	Regions []string
	Tags    []Tag
}

// QueryError says why a VM filter was refused.
type QueryError struct {
	Term      string // the offending term
	Qualifier string // "" for an unknown qualifier
	Reason    string // "unknown", or a TagError reason
}

// Error is for logs; the screen says it with queryErrorText.
func (e *QueryError) Error() string { return "filter " + strconv.Quote(e.Term) + ": " + e.Reason }

// ParseVMQuery reads a VM filter. Values may be quoted ("tag:owner=Ada L").
// A qualifier with no value yet ("rg:") is ignored, so that typing never
// shows an error half-way through a word. A term it cannot read is left out
// of the query and reported as the first error: the screen keeps filtering
// by the terms that are right while it says what is wrong.
func ParseVMQuery(s string) (VMQuery, error) {
	var q VMQuery
	var first error
	fail := func(e *QueryError) {
		if first == nil {
			first = e
		}
	}
	for _, term := range splitQuoted(s) {
		qual, val, ok := strings.Cut(term, ":")
		if !ok {
			q.Names = append(q.Names, strings.ToLower(term))
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(qual) {
		case "rg", "group", "resourcegroup":
			if val != "" {
				q.Groups = append(q.Groups, strings.ToLower(val))
			}
		case "region", "location", "loc":
			if val != "" {
				q.Regions = append(q.Regions, azure.NormalizeLocation(val))
			}
		case "tag":
			if val == "" {
				continue
			}
			t, err := ParseTag(val)
			if err != nil {
				reason := "bad-char"
				if te, ok := err.(*TagError); ok {
					reason = te.Reason
				}
				fail(&QueryError{Term: term, Qualifier: "tag", Reason: reason})
				continue
			}
			q.Tags = append(q.Tags, t)
		default:
			fail(&QueryError{Term: term, Reason: "unknown"})
		}
	}
	return q, first
}

// splitQuoted splits on spaces outside double quotes and drops the quotes.
func splitQuoted(s string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case (r == ' ' || r == '\t' || r == '\u3000') && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// Empty reports whether the query filters nothing.
func (q VMQuery) Empty() bool {
	return len(q.Names)+len(q.Groups)+len(q.Regions)+len(q.Tags) == 0
}

// Matches reports whether vm passes the filter.
func (q VMQuery) Matches(vm *azure.VM) bool {
	name := strings.ToLower(vm.Name)
	for _, n := range q.Names {
		if !strings.Contains(name, n) {
			return false
		}
	}
	if len(q.Groups) > 0 && !slices.ContainsFunc(q.Groups, func(g string) bool {
		return strings.Contains(strings.ToLower(vm.ResourceGroup), g)
	}) {
		return false
	}
	if len(q.Regions) > 0 && !slices.ContainsFunc(q.Regions, func(r string) bool {
		return strings.Contains(azure.NormalizeLocation(vm.Location), r)
	}) {
		return false
	}
	for _, t := range q.Tags {
		v, ok := lookupFold(vm.Tags, t.Key)
		if !ok || (t.Value != "" && !strings.EqualFold(v, t.Value)) {
			return false
		}
	}
	return true
}

// FilterVMs returns the indexes of the VMs that pass q.
func FilterVMs(vms []azure.VM, q VMQuery) []int {
	out := make([]int, 0, len(vms))
	for i := range vms {
		if q.Matches(&vms[i]) {
			out = append(out, i)
		}
	}
	return out
}

// ToggleAll selects every one of ids, or, when all of them are selected
// already, deselects them. Other selected items are kept. It returns a new set.
func ToggleAll(selected map[string]bool, ids []string) map[string]bool {
	out := make(map[string]bool, len(selected)+len(ids))
	for k, v := range selected {
		if v {
			out[k] = true
		}
	}
	all := len(ids) > 0
	for _, id := range ids {
		if !out[id] {
			all = false
			break
		}
	}
	for _, id := range ids {
		if all {
			delete(out, id)
		} else {
			out[id] = true
		}
	}
	return out
}

// toggle adds id to the set, or removes it when it is there.
func toggle(set map[string]bool, id string) {
	if set[id] {
		delete(set, id)
	} else {
		set[id] = true
	}
}

// RegionCount is how many selected VMs are in a region.
type RegionCount struct {
	Region string
	Count  int
}

// RegionCounts counts the selected VMs per region, most first. Vaults are
// per region, so this is how many vaults the next steps will need.
func RegionCounts(vms []azure.VM, selected map[string]bool) []RegionCount {
	counts := map[string]int{}
	for i := range vms {
		if selected[vms[i].ID] {
			counts[azure.NormalizeLocation(vms[i].Location)]++
		}
	}
	out := make([]RegionCount, 0, len(counts))
	for r, n := range counts {
		out = append(out, RegionCount{r, n})
	}
	slices.SortFunc(out, func(a, b RegionCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Region, b.Region))
	})
	return out
}

// PresetVMs is the selection the scope flags ask for: the VMs that match
// --resource-group, --location, --vm and --tag. It is empty when the preset
// names none of those.
func PresetVMs(vms []azure.VM, preset Scope) map[string]bool {
	out := map[string]bool{}
	if len(preset.ResourceGroups)+len(preset.Locations)+len(preset.VMs)+len(preset.Tags) == 0 {
		return out
	}
	for i := range vms {
		if preset.Matches(&vms[i]) {
			out[vms[i].ID] = true
		}
	}
	return out
}

// ---- screen ----

type loadState int

const (
	stateIdle loadState = iota
	stateLoading
	stateReady
	stateFailed
)

type scopePage int

const (
	pageSubscriptions scopePage = iota
	pageVMs
)

// scopeStep is the screen model of step 0.
type scopeStep struct {
	c    *ui.Common
	sess *Session
	api  scopeAPI
	w, h int
	spin spinner.Model
	page scopePage

	idState loadState
	idErr   error

	subsState loadState
	subsErr   error
	subs      []azure.Subscription // enabled, by name
	hidden    int
	missing   []string // --subscription values that matched nothing
	subSel    map[string]bool
	subList   filterList // over subs

	invState  loadState
	invErr    error
	invGen    int
	invFor    string // the subscriptions the inventory was read for
	invDone   int
	invTotal  int
	cancel    context.CancelFunc
	stream    progressStream
	vms       []azure.VM
	vmSel     map[string]bool
	vmList    filterList // over vms
	query     VMQuery
	queryErr  error
	vmWidths  [6]int // natural column widths
	presetted bool

	si signInState // the sign-in part (signin.go)
}

func newScopeStep(c *ui.Common, sess *Session, api scopeAPI) scopeStep {
	tr := c.Tr
	m := scopeStep{
		c: c, sess: sess, api: api,
		spin:    ui.NewSpinner(c.Extra),
		idState: stateLoading,
		subSel:  map[string]bool{},
		vmSel:   map[string]bool{},
	}
	m.subList.field = ui.Field{Prompt: "/ ", Placeholder: tr.T("scope.subs.search")}
	m.vmList.field = ui.Field{Prompt: "/ ", Placeholder: tr.T("scope.vms.filter")}
	return m
}

func (m scopeStep) Title() string   { return m.c.Tr.T("step.scope.title") }
func (m scopeStep) Explain() string { return m.c.Tr.T("step.scope.why") }

// Init starts signing in, or reading who is signed in.
func (m scopeStep) Init() tea.Cmd {
	if m.si.on() {
		// Init cannot keep a changed model: the sign-in's first command
		// reports back by message (signInStartMsg).
		return func() tea.Msg { return signInStartMsg{} }
	}
	return tea.Batch(m.spin.Tick, m.readIdentity())
}

// signInStartMsg starts the sign-in part from Update.
type signInStartMsg struct{}

func (m scopeStep) Activate() (ui.Step, tea.Cmd) { return m, nil }

func (m scopeStep) Deactivate() (ui.Step, tea.Cmd) { return m, nil }

func (m scopeStep) readIdentity() tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	return func() tea.Msg {
		id, err := api.Identity(ctx)
		return identityReadMsg{id: id, err: err}
	}
}

func (m scopeStep) readSubscriptions() tea.Cmd {
	api, ctx := m.api, m.sess.Context()
	return func() tea.Msg {
		subs, err := api.Subscriptions(ctx)
		return subscriptionsReadMsg{subs: subs, err: err}
	}
}

func (m scopeStep) readInventory(ctx context.Context, gen int, subs []string, ps progressStream) tea.Cmd {
	api := m.api
	return func() tea.Msg {
		defer ps.close()
		inv, err := api.Inventory(ctx, subs, func(p azure.InventoryProgress) {
			ps.send(inventoryProgressMsg{gen: gen, done: p.VMs, total: p.Total})
		})
		return inventoryReadMsg{gen: gen, inv: inv, err: err}
	}
}

func (m scopeStep) busy() bool {
	return m.si.busy() || (m.idState == stateLoading && !m.si.active()) || m.subsState == stateLoading || m.invState == stateLoading
}

func (m scopeStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	m.learnIDs(msg) // --redact: before any screen shows them
	if _, ok := msg.(signInStartMsg); ok {
		s, cmd := m.startSignIn()
		return s, cmd
	}
	if s, cmd, ok := m.signInUpdate(msg); ok {
		return s, cmd
	}
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.subList.to(m.subList.cursor, m.subRows())
		m.vmList.to(m.vmList.cursor, m.vmRows())
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spin(m.spin, msg, m.busy())
		return m, cmd
	case identityReadMsg:
		if msg.err != nil {
			m.idState, m.idErr = stateFailed, msg.err
			return m, nil
		}
		id := msg.id
		m.sess.Identity = &id
		m.idState, m.subsState = stateReady, stateLoading
		return m, m.readSubscriptions()
	case subscriptionsReadMsg:
		if msg.err != nil {
			m.subsState, m.subsErr = stateFailed, msg.err
			return m, nil
		}
		m.subsState = stateReady
		m.subs, m.hidden = EnabledSubscriptions(msg.subs)
		ids, missing := PresetSubscriptions(m.subs, m.sess.Preset.Subscriptions)
		m.missing = missing
		if len(m.subs) == 1 && len(m.sess.Preset.Subscriptions) == 0 {
			ids = []string{m.subs[0].ID}
		} else if len(m.sess.Preset.Subscriptions) == 0 {
			ids, _ = PresetSubscriptions(m.subs, m.rememberedSubscriptions())
		}
		m.subSel = map[string]bool{}
		for _, id := range ids {
			m.subSel[id] = true
		}
		m.refilterSubs()
		m.syncSubscriptions()
		if len(m.sess.Preset.Subscriptions) > 0 && len(missing) == 0 && len(m.sess.Subscriptions) > 0 && m.page == pageSubscriptions {
			// --subscription named them all: straight on to their VMs
			m.subList.field.Blur()
			m.page = pageVMs
			return m.startInventory(false)
		}
		return m, nil
	case inventoryProgressMsg:
		if msg.gen != m.invGen || m.invState != stateLoading {
			return m, nil
		}
		m.invDone, m.invTotal = msg.done, msg.total
		return m, m.stream.next()
	case inventoryReadMsg:
		if msg.gen != m.invGen {
			return m, nil
		}
		m.cancel = nil
		if msg.err != nil {
			m.invState, m.invErr = stateFailed, msg.err
			return m, nil
		}
		m.invState = stateReady
		m.setInventory(msg.inv)
		return m, nil
	case tea.KeyPressMsg, tea.PasteMsg:
		if m.page == pageVMs {
			return m.vmKey(msg)
		}
		return m.subKey(msg)
	}
	return m, nil
}

func (m *scopeStep) setInventory(inv *azure.Inventory) {
	if inv == nil {
		inv = &azure.Inventory{}
	}
	m.sess.Inventory = inv
	m.sess.Revision++
	m.vms = inv.VMs
	kept := map[string]bool{}
	for i := range m.vms {
		if m.vmSel[m.vms[i].ID] {
			kept[m.vms[i].ID] = true
		}
	}
	m.vmSel = kept
	if !m.presetted {
		m.presetted = true
		for id := range PresetVMs(m.vms, m.sess.Preset) {
			m.vmSel[id] = true
		}
	}
	tr := m.c.Tr
	m.vmWidths = [6]int{}
	for i := range m.vms {
		vm := &m.vms[i]
		for k, s := range []string{vm.Name, vm.ResourceGroup, vm.Location, osText(tr, vm), powerText(tr, vm.PowerState), m.subName(vm.SubscriptionID)} {
			m.vmWidths[k] = max(m.vmWidths[k], ui.Width(s))
		}
	}
	m.refilterVMs()
	m.syncSelection()
}

func (m scopeStep) subName(id string) string {
	for _, s := range m.subs {
		if strings.EqualFold(s.ID, id) {
			return s.Name
		}
	}
	return id
}

func (m *scopeStep) refilterSubs() {
	shown := m.subList.shown[:0]
	for i, s := range m.subs {
		if MatchSubscription(s, m.subList.field.Value()) {
			shown = append(shown, i)
		}
	}
	m.subList.show(shown, m.subRows())
}

func (m *scopeStep) refilterVMs() {
	m.query, m.queryErr = ParseVMQuery(m.vmList.field.Value())
	m.vmList.show(FilterVMs(m.vms, m.query), m.vmRows())
}

// syncSubscriptions records the chosen subscriptions in the session.
func (m *scopeStep) syncSubscriptions() {
	m.sess.Subscriptions = m.sess.Subscriptions[:0:0]
	for _, s := range m.subs {
		if m.subSel[s.ID] {
			m.sess.Subscriptions = append(m.sess.Subscriptions, s)
		}
	}
}

// syncSelection records the selected VMs in the session, in inventory order.
func (m *scopeStep) syncSelection() {
	sel := make([]string, 0, len(m.vmSel))
	for i := range m.vms {
		if m.vmSel[m.vms[i].ID] {
			sel = append(sel, m.vms[i].ID)
		}
	}
	m.sess.Selected = sel
}

func (m scopeStep) chosenKey() string { return strings.Join(m.sess.SubscriptionIDs(), ",") }

// startInventory reads the VMs of the chosen subscriptions, unless they were
// read already.
func (m scopeStep) startInventory(force bool) (scopeStep, tea.Cmd) {
	key := m.chosenKey()
	if !force && key == m.invFor && (m.invState == stateReady || m.invState == stateLoading) {
		return m, nil
	}
	if m.cancel != nil {
		m.cancel()
	}
	if key != m.invFor {
		m.vmList.cursor, m.vmList.offset = 0, 0
	}
	ctx, cancel := context.WithCancel(m.sess.Context())
	m.cancel = cancel
	m.invGen++
	m.invFor = key
	m.invState, m.invErr = stateLoading, nil
	m.invDone, m.invTotal = 0, 0
	m.stream = newProgressStream()
	return m, tea.Batch(m.spin.Tick, m.readInventory(ctx, m.invGen, m.sess.SubscriptionIDs(), m.stream), m.stream.next())
}

func (m scopeStep) subKey(msg tea.Msg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	if km, ok := msg.(tea.KeyPressMsg); ok && !m.subList.field.Focused() {
		switch {
		case m.idState == stateFailed && key.Matches(km, k.Retry) && m.si.on():
			m.idState, m.idErr = stateLoading, nil
			s, cmd := m.startSignIn()
			return s, cmd
		case m.idState == stateFailed && key.Matches(km, k.Retry):
			m.idState, m.idErr = stateLoading, nil
			return m, tea.Batch(m.spin.Tick, m.readIdentity())
		case m.subsState == stateFailed && key.Matches(km, k.Retry):
			m.subsState, m.subsErr = stateLoading, nil
			return m, tea.Batch(m.spin.Tick, m.readSubscriptions())
		case m.subsState != stateReady:
			return m, nil
		case key.Matches(km, k.Load):
			s, cmd, _ := m.Next()
			return s, cmd
		}
		if sel, ok := m.subList.choose(k, km, m.subSel, func(i int) string { return m.subs[i].ID }); ok {
			m.subSel = sel
			m.syncSubscriptions()
			return m, nil
		}
	}
	var refilter bool
	if m.subList, refilter = m.subList.update(k, msg, m.subRows()); refilter {
		m.refilterSubs()
	}
	return m, nil
}

func (m scopeStep) vmKey(msg tea.Msg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	if km, ok := msg.(tea.KeyPressMsg); ok && !m.vmList.field.Focused() {
		switch {
		case key.Matches(km, k.Refresh) && m.invState != stateLoading:
			return m.startInventory(true)
		case m.invState != stateReady:
			return m, nil
		}
		if sel, ok := m.vmList.choose(k, km, m.vmSel, func(i int) string { return m.vms[i].ID }); ok {
			m.vmSel = sel
			m.syncSelection()
			if key.Matches(km, k.Toggle) {
				// Moving on after a toggle makes selecting a run of rows quick.
				m.vmList.to(m.vmList.cursor+1, m.vmRows())
			}
			return m, nil
		}
	}
	var refilter bool
	if m.vmList, refilter = m.vmList.update(k, msg, m.vmRows()); refilter {
		m.refilterVMs()
	}
	return m, nil
}

// filterList is a list narrowed by a text field, as the subscriptions and
// the VMs are: the field, the rows that pass it (indexes into the full
// list) and the cursor and scroll offset over those rows. The step owns the
// items and what the text matches; the list owns the keys that search and
// move.
type filterList struct {
	field          ui.Field
	shown          []int
	cursor, offset int
}

// update handles the keys every filtered list shares, in a window of rows.
// While the field has focus, Done leaves it, Clear empties and leaves it, Up
// and Down still move the cursor, and other keys and pastes edit the text; a
// change puts the cursor back on the first row. Otherwise Search focuses the
// field, Clear empties it and other keys move the cursor. It reports whether
// the text changed, so that the step filters again.
func (l filterList) update(k ui.KeyMap, msg tea.Msg, rows int) (filterList, bool) {
	km, isKey := msg.(tea.KeyPressMsg)
	if !l.field.Focused() {
		switch {
		case !isKey:
		case key.Matches(km, k.Search):
			l.field.Focus()
		case key.Matches(km, k.Clear):
			l.field.SetValue("")
			return l, true
		default:
			l.to(move(k, km, l.cursor, len(l.shown), rows), rows)
		}
		return l, false
	}
	if isKey {
		switch {
		case key.Matches(km, k.Done):
			l.field.Blur()
			return l, false
		case key.Matches(km, k.Clear):
			l.field.SetValue("")
			l.field.Blur()
			return l, true
		case km.Code == tea.KeyUp || km.Code == tea.KeyDown:
			l.to(move(k, km, l.cursor, len(l.shown), rows), rows)
			return l, false
		}
	}
	var changed bool
	if l.field, changed = l.field.Update(msg); changed {
		l.cursor, l.offset = 0, 0
	}
	return l, changed
}

// show replaces the rows that pass the filter, keeping the cursor on one.
func (l *filterList) show(shown []int, rows int) {
	l.shown = shown
	l.to(l.cursor, rows)
}

// to puts the cursor on row cur, or the nearest row there is, and scrolls a
// window of rows to keep it in view.
func (l *filterList) to(cur, rows int) {
	l.cursor = max(0, min(cur, len(l.shown)-1))
	l.offset = ui.ScrollOffset(l.cursor, l.offset, rows, len(l.shown))
}

// choose applies Toggle to the row under the cursor, or All to every row
// shown, in the selection set, where id names the item at an index of the
// full list. It reports false for any other key.
func (l filterList) choose(k ui.KeyMap, km tea.KeyPressMsg, set map[string]bool, id func(i int) string) (map[string]bool, bool) {
	switch {
	case key.Matches(km, k.Toggle):
		if len(l.shown) > 0 {
			toggle(set, id(l.shown[l.cursor]))
		}
		return set, true
	case key.Matches(km, k.All):
		ids := make([]string, len(l.shown))
		for n, i := range l.shown {
			ids[n] = id(i)
		}
		return ToggleAll(set, ids), true
	}
	return set, false
}

// keys is the list's part of the help bar: the field's keys while it has
// focus, else the list's keys and the step's action.
func (l filterList) keys(k ui.KeyMap, action key.Binding) []key.Binding {
	if l.field.Focused() {
		return []key.Binding{k.Up, k.Done, k.Clear}
	}
	return []key.Binding{k.Up, k.Toggle, k.All, k.Search, action}
}

// move applies a cursor key to a list of n rows with a page of page rows:
// the scrolling keys move the cursor as they move a scrolled list, and it
// stays on the list (End goes to its last row).
func move(k ui.KeyMap, km tea.KeyPressMsg, cur, n, page int) int {
	if key.Matches(km, k.End) {
		cur = n - 1
	} else {
		cur = scrollKey(k, km, cur, page)
	}
	return max(0, min(cur, n-1))
}

// Back leaves the VM list for the subscriptions (and stops a read in flight).
func (m scopeStep) Back() (ui.Step, tea.Cmd, bool) {
	if m.si.active() {
		s, ok := m.signInBack()
		return s, nil, ok
	}
	if m.page != pageVMs {
		return m, nil, false
	}
	m.vmList.field.Blur()
	if m.invState == stateLoading && m.cancel != nil {
		m.cancel()
		m.cancel = nil
		m.invState = stateIdle
		m.invFor = ""
		m.invGen++
	}
	m.page = pageSubscriptions
	return m, nil, true
}

// Next goes from the subscriptions to their VMs; from the VM list it lets
// the shell move on (when a VM is selected).
func (m scopeStep) Next() (ui.Step, tea.Cmd, bool) {
	if m.page == pageVMs {
		m.vmList.field.Blur()
		return m, nil, false
	}
	if m.subsState != stateReady || len(m.sess.Subscriptions) == 0 {
		return m, nil, false
	}
	m.subList.field.Blur()
	m.page = pageVMs
	m, cmd := m.startInventory(false)
	return m, tea.Batch(cmd, m.rememberChoice()), true
}

func (m scopeStep) Complete() bool {
	return m.invState == stateReady && len(m.sess.Selected) > 0 && m.invFor == m.chosenKey()
}

func (m scopeStep) Hint() string {
	tr := m.c.Tr
	if m.si.active() {
		return m.signInHint()
	}
	switch {
	case m.idState == stateFailed || m.subsState == stateFailed || m.invState == stateFailed:
		return tr.T("scope.retry")
	case m.page == pageSubscriptions && m.subsState == stateReady && len(m.subs) > 0:
		return tr.T("scope.subs.need")
	case m.page == pageSubscriptions:
		return tr.T("scope.wait")
	case m.invState == stateLoading:
		return tr.T("scope.wait")
	case m.invState == stateReady && len(m.vms) > 0:
		return tr.T("scope.vms.need")
	}
	return tr.T("scope.vms.back")
}

func (m scopeStep) Capturing() bool {
	if m.page == pageVMs {
		return m.vmList.field.Focused()
	}
	return m.subList.field.Focused()
}

func (m scopeStep) Keys() []key.Binding {
	k := m.c.Keys
	if m.si.active() {
		return m.signInKeys()
	}
	if m.page == pageSubscriptions {
		switch {
		case m.idState == stateFailed || m.subsState == stateFailed:
			return []key.Binding{k.Retry}
		case m.subsState != stateReady:
			return nil
		}
		keys := m.subList.keys(k, k.Load)
		if len(m.si.tenants) > 1 && !m.subList.field.Focused() {
			keys = append(keys, tenantsKey(m.c.Tr))
		}
		return keys
	}
	switch {
	case m.invState == stateFailed:
		return []key.Binding{k.Retry}
	case m.invState != stateReady:
		return nil
	}
	return m.vmList.keys(k, k.Refresh)
}

// Lines above and below the lists.
const (
	subsChrome = 6 // identity (2), blank, heading, search, footer
	vmChrome   = 6 // heading, filter, hint, tags, summary, table header
)

func (m scopeStep) subRows() int { return max(m.h-subsChrome-1, 1) } // minus table header
func (m scopeStep) vmRows() int  { return max(m.h-vmChrome, 1) }

func (m scopeStep) View(w, h int) string {
	if m.si.active() {
		return m.signInView(w, h)
	}
	if m.page == pageVMs {
		return m.vmView(w, h)
	}
	return m.subsView(w, h)
}

func (m scopeStep) identityLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	switch m.idState {
	case stateLoading:
		return []string{m.spin.View() + " " + st.App.Text.Render(tr.T("scope.signin.loading"))}
	case stateFailed:
		return problemLines(m.c, Explain(m.idErr), w)
	}
	id := m.sess.Identity
	who := tr.T("scope.signin.user", "Name", id.Name)
	if id.Kind == "app" {
		who = tr.T("scope.signin.app", "Name", id.Name)
	}
	place := cloudName(tr, m.sess.Cloud)
	if t := m.currentTenant(); t != nil && len(m.si.tenants) > 1 {
		place += " · " + tr.T("signin.tenant.current", "Name", tenantName(*t))
	}
	where := tr.T("scope.signin.where", "Cloud", place, "Tenant", id.TenantID)
	return []string{
		st.App.Accent.Render(ui.GlyphDone) + " " + st.Body.Heading.Render(ui.Truncate(who, w-2)),
		"  " + st.App.Muted.Render(ui.Truncate(where, w-2)),
	}
}

func cloudName(tr *ui.Translator, cloud string) string {
	switch cloud {
	case "", "AzureCloud", "AzurePublic":
		return tr.T("scope.cloud.AzureCloud")
	case "AzureChinaCloud":
		return tr.T("scope.cloud.AzureChinaCloud")
	case "AzureUSGovernment":
		return tr.T("scope.cloud.AzureUSGovernment")
	}
	return cloud
}

func (m scopeStep) subsView(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	lines := m.identityLines(w)
	if m.idState != stateReady {
		if m.idState == stateFailed {
			lines = append(lines, "", st.App.Muted.Render(tr.T("scope.retry")))
		}
		return strings.Join(lines, "\n")
	}
	lines = append(lines, "")
	switch m.subsState {
	case stateLoading:
		lines = append(lines, m.spin.View()+" "+tr.T("scope.subs.loading"))
		return strings.Join(lines, "\n")
	case stateFailed:
		lines = append(lines, problemLines(m.c, Explain(m.subsErr), w)...)
		lines = append(lines, "", st.App.Muted.Render(tr.T("scope.retry")))
		return strings.Join(lines, "\n")
	}
	head := st.Body.Heading.Render(tr.T("scope.subs.heading"))
	if m.hidden > 0 {
		head += st.App.Muted.Render(" · " + tr.T("scope.subs.hidden", "Count", m.hidden))
	}
	lines = append(lines, ui.Fit(head, w))
	if len(m.subs) == 0 {
		name := ""
		if m.sess.Identity != nil {
			name = m.sess.Identity.Name
		}
		for _, l := range ui.Wrap(tr.T("scope.subs.none", "Name", name), w) {
			lines = append(lines, st.App.Text.Render(l))
		}
		for _, l := range ui.Wrap(tr.T("scope.subs.none.next"), w) {
			lines = append(lines, st.App.Muted.Render(l))
		}
		return strings.Join(lines, "\n")
	}
	lines = append(lines, m.subList.field.View(w, x))
	var missing []string
	if len(m.missing) > 0 {
		missing = wrapStyled(tr.T("scope.subs.missing", "Names", strings.Join(m.missing, ", ")), w, st.App.Error)
	}
	rows := max(h-len(lines)-1-len(missing), 2)
	if len(m.subList.shown) == 0 {
		lines = append(lines, st.App.Muted.Render(ui.Truncate(tr.T("scope.subs.nomatch", "Query", m.subList.field.Value()), w)))
		for len(lines) < h-1 {
			lines = append(lines, "")
		}
	} else {
		nameW, idW := 0, 0
		for _, s := range m.subs {
			nameW = max(nameW, ui.Width(s.Name))
			idW = max(idW, ui.Width(tr.Redact(s.ID)))
		}
		t := ui.Table{
			Columns: []ui.Column{
				{Title: tr.T("scope.col.name"), Width: nameW, Priority: 100},
				{Title: tr.T("scope.col.ident"), Width: idW, Min: 8, Priority: 10, Flex: true},
			},
			Rows:      len(m.subList.shown),
			Cell:      func(r, c int) string { s := m.subs[m.subList.shown[r]]; return []string{s.Name, tr.Redact(s.ID)}[c] },
			Lead:      func(r int) string { return checkbox(m.subSel[m.subs[m.subList.shown[r]].ID]) },
			LeadWidth: 4,
			Style: func(r, c int) lipgloss.Style {
				if c == 1 {
					return st.Table.ID
				}
				return st.Table.Cell
			},
			Cursor:      m.subList.cursor,
			Offset:      ui.ScrollOffset(m.subList.cursor, m.subList.offset, rows-1, len(m.subList.shown)),
			HeaderStyle: st.Table.Header,
			CursorStyle: st.Table.Selected,
			MarkerStyle: x.Cursor,
		}
		lines = append(lines, ui.Lines(ui.Frame(t.Render(w, rows), w, rows))...)
	}
	foot := tr.T("scope.selected", "N", len(m.sess.Subscriptions), "Total", len(m.subs))
	if len(m.sess.Subscriptions) > 0 {
		foot += " · " + tr.T("scope.subs.enter")
	}
	lines = append(lines, missing...)
	lines = append(lines, ui.Fit(st.App.Muted.Render(foot), w))
	return strings.Join(lines, "\n")
}

func styleLines(lines []string, st lipgloss.Style) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = st.Render(l)
	}
	return out
}

func checkbox(on bool) string {
	if on {
		return ui.GlyphChecked
	}
	return ui.GlyphUnchk
}

func (m scopeStep) vmView(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	subs := len(m.sess.Subscriptions)
	head := st.Body.Heading.Render(tr.T("scope.vms.heading"))
	if m.invState == stateReady {
		head += st.App.Muted.Render(" · " + tr.T("scope.count.vms", "Count", len(m.vms)) + " · " + tr.T("scope.count.subs", "Count", subs))
	}
	lines := []string{ui.Fit(head, w)}
	switch m.invState {
	case stateLoading, stateIdle:
		lines = append(lines, "")
		if m.invTotal == 0 {
			lines = append(lines, m.spin.View()+" "+st.App.Text.Render(tr.T("scope.vms.loading.start")))
		} else {
			lines = append(lines, m.spin.View()+" "+st.App.Text.Render(tr.T("scope.vms.loading", "Done", m.invDone, "Total", m.invTotal)),
				"  "+ui.Bar(m.invDone, m.invTotal, min(w-2, 40), x))
		}
		return strings.Join(lines, "\n")
	case stateFailed:
		lines = append(lines, "")
		lines = append(lines, problemLines(m.c, Explain(m.invErr), w)...)
		lines = append(lines, "", st.App.Muted.Render(tr.T("scope.retry")))
		return strings.Join(lines, "\n")
	}
	if len(m.vms) == 0 {
		lines = append(lines, "")
		for _, l := range ui.Wrap(tr.T("scope.vms.none"), w) {
			lines = append(lines, st.App.Text.Render(l))
		}
		for _, l := range ui.Wrap(tr.T("scope.vms.back"), w) {
			lines = append(lines, st.App.Muted.Render(l))
		}
		return strings.Join(lines, "\n")
	}
	lines = append(lines, m.vmList.field.View(w, x))
	switch {
	case m.queryErr != nil:
		lines = append(lines, styleLines(ui.WrapLines(queryErrorText(tr, m.queryErr), w, 2), st.App.Error)...)
	case m.query.Empty():
		lines = append(lines, st.App.Faint.Render(ui.Truncate(tr.T("scope.vms.example"), w)))
	default:
		lines = append(lines, st.App.Muted.Render(ui.Truncate(tr.T("scope.vms.shown", "Shown", len(m.vmList.shown), "Total", len(m.vms)), w)))
	}
	// Below the table: the row under the cursor, with what does not fit in
	// its columns, then the selection and how it spreads over regions.
	var footer []string
	if len(m.vmList.shown) > 0 {
		vm := &m.vms[m.vmList.shown[m.vmList.cursor]]
		parts := []string{vm.Name}
		if len(m.sess.Subscriptions) > 1 {
			parts = append(parts, m.subName(vm.SubscriptionID))
		}
		parts = append(parts, tagsText(tr, vm.Tags))
		footer = append(footer, st.App.Faint.Render(ui.Truncate(strings.Join(parts, " · "), w)))
	} else {
		footer = append(footer, "")
	}
	sel := tr.T("scope.selected", "N", len(m.sess.Selected), "Total", len(m.vms))
	if rc := RegionCounts(m.vms, m.vmSel); len(rc) > 0 {
		parts := make([]string, len(rc))
		for i, r := range rc {
			parts[i] = r.Region + " " + strconv.Itoa(r.Count)
		}
		sel += " · " + tr.T("scope.vms.byregion", "List", strings.Join(parts, ", "))
	}
	footer = append(footer, styleLines(ui.WrapLines(sel, w, 2), st.App.Text)...)
	rows := max(h-len(lines)-len(footer), 2)
	if len(m.vmList.shown) == 0 {
		lines = append(lines, st.App.Muted.Render(ui.Truncate(tr.T("scope.vms.nomatch"), w)))
		for i := 1; i < rows; i++ {
			lines = append(lines, "")
		}
	} else {
		lines = append(lines, ui.Lines(ui.Frame(m.vmTable(w, rows).Render(w, rows), w, rows))...)
	}
	return strings.Join(append(lines, footer...), "\n")
}

func (m scopeStep) vmTable(w, rows int) ui.Table {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	cols := []ui.Column{
		{Title: tr.T("scope.col.name"), Width: m.vmWidths[0], Min: min(m.vmWidths[0], 12), Priority: 100},
		{Title: tr.T("scope.col.group"), Width: m.vmWidths[1], Min: min(m.vmWidths[1], 10), Priority: 60},
		{Title: tr.T("scope.col.region"), Width: m.vmWidths[2], Priority: 80},
		{Title: tr.T("scope.col.os"), Width: m.vmWidths[3], Priority: 50},
		{Title: tr.T("scope.col.power"), Width: m.vmWidths[4], Min: min(m.vmWidths[4], 8), Priority: 40},
	}
	if len(m.sess.Subscriptions) > 1 {
		cols = append(cols, ui.Column{Title: tr.T("scope.col.subscription"), Width: m.vmWidths[5], Min: 10, Priority: 30, Flex: true})
	} else {
		cols[1].Flex = true
	}
	return ui.Table{
		Columns: cols,
		Rows:    len(m.vmList.shown),
		Cell: func(r, c int) string {
			vm := &m.vms[m.vmList.shown[r]]
			switch c {
			case 0:
				return vm.Name
			case 1:
				return vm.ResourceGroup
			case 2:
				return vm.Location
			case 3:
				return osText(tr, vm)
			case 4:
				return powerText(tr, vm.PowerState)
			}
			return m.subName(vm.SubscriptionID)
		},
		Style: func(r, c int) lipgloss.Style {
			if c == 4 && m.vms[m.vmList.shown[r]].PowerState != "running" {
				return st.App.Muted
			}
			if c == 5 {
				return st.Table.ID
			}
			return st.Table.Cell
		},
		Lead:        func(r int) string { return checkbox(m.vmSel[m.vms[m.vmList.shown[r]].ID]) + " " },
		LeadWidth:   4,
		Cursor:      m.vmList.cursor,
		Offset:      ui.ScrollOffset(m.vmList.cursor, m.vmList.offset, rows-1, len(m.vmList.shown)),
		HeaderStyle: st.Table.Header,
		CursorStyle: st.Table.Selected,
		MarkerStyle: x.Cursor,
	}
}

func osText(tr *ui.Translator, vm *azure.VM) string {
	if vm.OSType == "" {
		return tr.T("scope.unknown")
	}
	return vm.OSType
}

func powerText(tr *ui.Translator, p string) string {
	switch p {
	case "running", "stopped", "deallocated", "starting", "stopping", "deallocating":
		return tr.T("scope.power." + p)
	case "":
		return tr.T("scope.unknown")
	}
	return p
}

func tagsText(tr *ui.Translator, tags map[string]string) string {
	if len(tags) == 0 {
		return tr.T("scope.vms.notags")
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return tr.T("scope.vms.tags", "Tags", strings.Join(parts, ", "))
}

func queryErrorText(tr *ui.Translator, err error) string {
	qe, ok := err.(*QueryError)
	if !ok {
		return tr.T("scope.filter.bad.unknown", "Term", err.Error())
	}
	switch qe.Reason {
	case "no-key", "empty":
		return tr.T("scope.filter.bad.nokey", "Term", qe.Term)
	case "bad-char":
		return tr.T("scope.filter.bad.badchar", "Term", qe.Term)
	}
	return tr.T("scope.filter.bad.unknown", "Term", qe.Term)
}
