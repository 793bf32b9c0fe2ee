package steps

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// The Network step's IP ranges mode: chosen, it reads the region's service
// tags (a tea.Cmd, with a spinner), then shows how many IPv4 and IPv6
// prefixes Storage.<Region> has and its change number, the churn and the
// NSG limits, and every blocking NSG before and after its ipRanges rules as
// the planner plans them (netplan_ipranges.go). Long prefix lists are
// summarised. The priority is chosen as in the service tags mode.

// iprRead is the service tags as the step read them for IP ranges.
type iprRead struct {
	state loadState
	key   string // the diagnosis they were read for (diagKey)
	gen   int
	set   *ServiceTagSet
}

// netTagsMsg is a service-tag read that finished.
type netTagsMsg struct {
	gen int
	set *ServiceTagSet
	err error // the read ended with its context
}

// modeAbout is the catalog key of a mode's trade-off.
func modeAbout(mode string) string {
	if mode == NetworkIPRanges {
		return "network.ipranges.about"
	}
	return "network.about." + mode
}

// modeTag is the catalog key of a mode's short tag in the choices.
func modeTag(mode string) string {
	if mode == NetworkIPRanges {
		return "network.ipranges.tag"
	}
	return "network.tag." + mode
}

// rulesMode is the mode of the rules page (service tags or IP ranges).
func (m networkStep) rulesMode() string {
	if m.mode() == NetworkIPRanges {
		return NetworkIPRanges
	}
	return NetworkServiceTags
}

// chooseIPRanges puts IP ranges into the plan, opens the rules page and
// reads the service tags, unless they were read for this diagnosis.
func (m networkStep) chooseIPRanges() (ui.Step, tea.Cmd) {
	m.setNetwork(PlanNetwork{Mode: NetworkIPRanges, NSGRulePriority: m.sess.Plan.Network.NSGRulePriority})
	m.committed = true
	m.page, m.off = netPageRules, 0
	m.sess.Log.Add("network", m.c.Tr.T("network.log.mode", "Mode", NetworkIPRanges))
	k := m.diagKey()
	if m.ipr.key == k && (m.ipr.state == stateLoading || (m.ipr.state == stateReady && m.ipr.set != nil && m.ipr.set.Err == nil)) {
		return m, nil
	}
	m.ipr = iprRead{state: stateLoading, key: k, gen: m.ipr.gen + 1}
	api, ctx, gen := m.api, m.sess.Context(), m.ipr.gen
	p := *m.sess.Plan
	read := func() tea.Msg {
		set, err := ReadServiceTags(ctx, api, &p)
		return netTagsMsg{gen: gen, set: set, err: err}
	}
	return m, tea.Batch(m.spin.Tick, read)
}

// tagsRead takes a finished service-tag read.
func (m networkStep) tagsRead(msg netTagsMsg) networkStep {
	if msg.gen != m.ipr.gen {
		return m
	}
	set := msg.set
	if set == nil {
		set = &ServiceTagSet{Tag: StorageTag(m.region), Err: msg.err}
	}
	m.ipr.state, m.ipr.set = stateReady, set
	tr := m.c.Tr
	if set.Err == nil {
		m.sess.Log.Add("network", tr.T("network.ipranges.log", "Tag", set.Tag, "V4", len(set.IPv4), "V6", len(set.IPv6), "Change", or(set.ChangeNumber, "-")))
	} else {
		what, _, _ := Explain(set.Err).Text(tr)
		m.sess.Log.Add("network", tr.T("network.ipranges.log.failed", "Error", what))
	}
	return m
}

func (m networkStep) tagsBusy() bool { return m.ipr.state == stateLoading }

// ipRangePlan is the planner's ipRanges changes for the plan's VMs over the
// tags read (nil before they are).
func (m networkStep) ipRangePlan() []Change {
	if m.sess.Plan == nil || m.ipr.state != stateReady || m.ipr.set == nil {
		return nil
	}
	q := *m.sess.Plan
	q.Network.Mode = NetworkIPRanges
	if q.Network.NSGRulePriority == "" {
		q.Network.NSGRulePriority = PriorityAuto
	}
	var conflicts PlanConflicts
	return networkChanges(&q, LiveState{Inventory: m.sess.Inventory, ServiceTags: m.ipr.set}, m.vms, m.region, &conflicts)
}

// ipRangeViews are the NSGs that get a new ipRanges rule, for the priority
// (CheckPriority): only new rules take the plan's priority.
func (m networkStep) ipRangeViews() []NSGRuleView {
	var creates []Change
	for _, c := range m.ipRangePlan() {
		if c.Action == ActionNSGRule && c.Kind == Create {
			creates = append(creates, c)
		}
	}
	return RuleViews(creates, m.sess.Inventory)
}

// IPRangeGroup is one NSG the IP ranges mode touches: its changes (one per
// family) and its outbound rules after them, in priority order.
type IPRangeGroup struct {
	NSG      *azure.NSG
	Changes  []Change
	Rules    []azure.SecurityRule
	Marks    map[string]ChangeKind // the rules the changes write or keep, by lower-cased name
	Blocking string
	VMs      string
}

// IPRangeGroups groups ipRanges changes by NSG, in the order they come.
func IPRangeGroups(changes []Change, inv *azure.Inventory) []IPRangeGroup {
	if inv == nil {
		return nil
	}
	var out []IPRangeGroup
	for _, c := range changes {
		if c.Action != ActionNSGRule {
			continue
		}
		id, name, _ := strings.Cut(c.Target, "/securityRules/")
		n := inv.NSG(id)
		if n == nil {
			continue
		}
		i := slices.IndexFunc(out, func(g IPRangeGroup) bool { return strings.EqualFold(g.NSG.ID, n.ID) })
		if i < 0 {
			g := IPRangeGroup{NSG: n, Marks: map[string]ChangeKind{}, Blocking: argString(c.Args, "Rule"), VMs: argString(c.Args, "VMs")}
			for _, r := range n.Rules {
				if strings.EqualFold(r.Direction, "Outbound") {
					g.Rules = append(g.Rules, r)
				}
			}
			out = append(out, g)
			i = len(out) - 1
		}
		g := &out[i]
		g.Changes = append(g.Changes, c)
		if c.Kind == Skip {
			continue
		}
		g.Marks[strings.ToLower(name)] = c.Kind
		if c.Rule != nil && (c.Kind == Create || c.Kind == Modify) {
			g.Rules = slices.DeleteFunc(g.Rules, func(r azure.SecurityRule) bool { return strings.EqualFold(r.Name, name) })
			g.Rules = append(g.Rules, *c.Rule)
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].Rules, func(a, b azure.SecurityRule) int { return cmp.Compare(a.Priority, b.Priority) })
	}
	return out
}

// ipRangesView is the rules page in the IP ranges mode.
func (m networkStep) ipRangesView(w, h int) []string {
	tr, st := m.c.Tr, m.c.Styles
	tag := StorageTag(m.region)
	out := []string{ui.Fit(st.Body.Heading.Render(tr.T("network.ipranges.heading", "Tag", tag)), w)}
	set := m.ipr.set
	if m.ipr.state != stateReady || set == nil {
		out = append(out, "", ui.Fit(m.spin.View()+" "+st.App.Muted.Render(tr.T("network.ipranges.reading", "Region", m.region)), w))
		return out
	}
	if set.Err != nil {
		out = append(out, "")
		out = append(out, problemLines(m.c, Explain(set.Err), w)...)
		out = append(out, "")
		return append(out, wrapStyled(tr.T("network.ipranges.failed", "Tag", tag), w, st.App.Text)...)
	}
	if set.Prefixes() == 0 {
		out = append(out, "")
		return append(out, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T("network.ipranges.notag", "Tag", tag, "List", or(set.ListChange, "-")), w, st.App.Text)...)
	}
	out = append(out, wrapStyled(tr.T("network.ipranges.counts", "Tag", set.Tag, "V4", len(set.IPv4), "V6", len(set.IPv6),
		"Change", or(set.ChangeNumber, "-"), "List", or(set.ListChange, "-")), w, st.App.Text)...)
	groups := IPRangeGroups(m.ipRangePlan(), m.sess.Inventory)
	if len(groups) == 0 {
		out = append(out, "")
		return append(out, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("network.ipranges.nothing"), w, st.App.Text)...)
	}
	views := m.views()
	if len(views) > 0 || m.prioEdit {
		out = append(out, m.prioLines(views, w)...)
	}
	var body []string
	body = append(body, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T("network.ipranges.churn", "Change", or(set.ChangeNumber, "-")), w, st.App.Text)...)
	for _, g := range groups {
		body = append(body, "")
		body = append(body, m.ipRangeGroupLines(g, w)...)
	}
	body = append(body, "")
	body = append(body, glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"),
		tr.T("network.ipranges.limits", "MaxRules", MaxNSGRules, "MaxDests", MaxNSGDestinations), w, st.App.Muted)...)
	body = append(body, "")
	body = append(body, wrapStyled(tr.T("network.rules.review"), w, st.App.Muted)...)
	room := max(h-len(out), 1)
	off := clampScroll(m.off, len(body), room)
	return append(out, scrolled(m.c, body, off, room, w, "network.pos")...)
}

// prioLines are the priority line, or its field while it is typed.
func (m networkStep) prioLines(views []NSGRuleView, w int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	if m.prioEdit {
		out := []string{m.prio.View(w, x)}
		if r, args := CheckPriority(views, m.prio.Value()); r != "" {
			return append(out, glyphLines(st.App.Error, ui.VerdictGlyph("blocked"), tr.T(r, args...), w, st.App.Error)...)
		}
		return append(out, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T("network.prio.ok"), w, st.App.Muted)...)
	}
	if pr := m.sess.Plan.Network.NSGRulePriority; pr != "" && pr != PriorityAuto {
		return wrapStyled(tr.T("network.prio.fixed", "Priority", pr), w, st.App.Muted)
	}
	return wrapStyled(tr.T("network.prio.auto"), w, st.App.Muted)
}

// ipRangeGroupLines draw one NSG: its name and VMs, what the plan does to
// each rule, then its outbound rules after the change, the new ones marked
// +, the rewritten ~, the one that blocks !; long destination lists
// summarised.
func (m networkStep) ipRangeGroupLines(g IPRangeGroup, w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	out := []string{ui.Fit(st.Table.Cell.Bold(true).Render(g.NSG.Name)+st.App.Muted.Render(" · "+g.VMs), w)}
	creates := 0
	for _, c := range g.Changes {
		switch c.Kind {
		case Create:
			creates++
		case NoChange:
			out = append(out, glyphLines(st.Verdict["ok"], ui.VerdictGlyph("ok"), tr.T(c.Reason, c.Args...), w, st.App.Text)...)
		default:
			out = append(out, glyphLines(st.Verdict["warn"], ui.VerdictGlyph("warn"), tr.T(c.Reason, c.Args...), w, st.App.Text)...)
		}
	}
	if creates > 0 {
		c := g.Changes[slices.IndexFunc(g.Changes, func(c Change) bool { return c.Kind == Create })]
		out = append(out, wrapStyled(tr.T("network.ipranges.change", "Rule", g.Blocking, "Priority", argString(c.Args, "Priority"), "Count", creates), w, st.App.Text)...)
	}
	pw, nw, aw := 0, 0, 0
	tw := max(ui.Width(tr.T("network.rules.new")), ui.Width(tr.T("network.rules.blocks")), ui.Width(tr.T("network.ipranges.changed")),
		ui.Width(tr.T("network.ipranges.current")))
	for _, r := range g.Rules {
		pw = max(pw, len(strconv.Itoa(int(r.Priority))))
		nw = max(nw, ui.Width(r.Name))
		aw = max(aw, ui.Width(accessWord(tr, r.Access)))
	}
	// one line per rule when each rule's first destination, how many more
	// and its ports fit, else the access and destinations on a second line
	rest := w - (2 + pw + 2 + nw + 2 + aw + 2 + 2 + tw)
	wide := true
	// else the second line goes under the names, or less indented when
	// that keeps every list whole
	indent := 2 + pw + 2
	for _, r := range g.Rules {
		short := ui.Width(destSummary(tr, r.Destinations, r.DestPorts, 0))
		wide = wide && short <= rest
		if short > w-indent-aw-2 {
			indent = min(indent, 4)
		}
	}
	for _, r := range g.Rules {
		mark, ms, rs := "  ", st.App.Muted, st.App.Text
		tag, ts := "", st.App.Muted
		switch kind, ours := g.Marks[strings.ToLower(r.Name)]; {
		case ours && kind == Create:
			mark, ms, rs = "+ ", st.Verdict["ok"], st.Verdict["ok"]
			tag, ts = tr.T("network.rules.new"), st.Verdict["ok"]
		case ours && kind == Modify:
			mark, ms, rs = "~ ", st.Verdict["warn"], st.Verdict["warn"]
			tag, ts = tr.T("network.ipranges.changed"), st.Verdict["warn"]
		case ours:
			tag = tr.T("network.ipranges.current")
		case strings.EqualFold(r.Name, g.Blocking):
			mark, ms = "! ", st.Verdict["warn"]
			tag, ts = tr.T("network.rules.blocks"), st.Verdict["warn"]
		}
		p := strconv.Itoa(int(r.Priority))
		p = strings.Repeat(" ", pw-len(p)) + p
		access := pad(accessWord(tr, r.Access), aw)
		if wide {
			dests := pad(destSummary(tr, r.Destinations, r.DestPorts, rest), rest)
			out = append(out, ruleRow(mark, p+"  "+pad(r.Name, nw)+"  "+access+"  "+dests, tag, ms, rs, ts, w))
			continue
		}
		out = append(out, ruleRow(mark, p+"  "+r.Name, tag, ms, rs, ts, w))
		out = append(out, ui.Fit(strings.Repeat(" ", indent)+st.App.Muted.Render(access+"  "+destSummary(tr, r.Destinations, r.DestPorts, w-indent-aw-2)), w))
	}
	return out
}

// destSummary is a rule's destinations and ports within width cells: as
// many of the first three destinations as fit, then how many more; the
// ports are kept where anything of the list fits. Width 0 asks for the
// shortest form (one destination).
func destSummary(tr *ui.Translator, dests, ports []string, width int) string {
	port := tr.T("network.ipranges.port", "Ports", strings.Join(ports, ","))
	if len(dests) == 0 {
		return ui.Truncate(port, max(width, 1))
	}
	list := func(k int) string {
		s := strings.Join(dests[:k], ", ")
		if k < len(dests) {
			s = tr.T("network.ipranges.more", "List", s, "Count", len(dests)-k)
		}
		return s
	}
	if width <= 0 {
		return list(1) + "  " + port
	}
	for k := min(3, len(dests)); k >= 1; k-- {
		if s := list(k) + "  " + port; ui.Width(s) <= width {
			return s
		}
	}
	if room := width - ui.Width(port) - 2; room >= 8 {
		return ui.Truncate(list(1), room) + "  " + port
	}
	return ui.Truncate(list(1)+"  "+port, max(width, 1))
}
