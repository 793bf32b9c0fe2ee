package steps

import (
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
	"github.com/backupready/backupready/ui"
)

// ProxyPathView is what the Network step's proxy page says about the path
// to the plan's proxy: where the proxy is, the NSG rules the planner adds
// on both sides (as proxyChanges plans them), and its firewall change.
type ProxyPathView struct {
	Path     ProxyPath
	Rules    []NSGRuleView
	Firewall *Change // the proxy VM's firewall change, nil when the proxy is not one
}

// ProxyPathViews plans the proxy path of the plan's proxy for the plan's
// VMs against the inventory (no journal, agents as read so far).
func ProxyPathViews(p *Plan, inv *azure.Inventory, vms []*azure.VM) (ProxyPathView, bool) {
	if p == nil || inv == nil || p.Network.Proxy == nil {
		return ProxyPathView{}, false
	}
	px := p.Network.Proxy
	gp, err := guest.NewProxy(px.Host, px.Port, px.NoProxy)
	if err != nil {
		return ProxyPathView{}, false
	}
	region := azure.NormalizeLocation(p.Vault.Location)
	var conflicts PlanConflicts
	cs := proxyPathChanges(p, LiveState{Inventory: inv}, vms, region, gp, &conflicts)
	v := ProxyPathView{Path: LocateProxy(gp, inv, vms), Rules: RuleViews(cs, inv)}
	for i := range cs {
		if cs[i].Action == ActionProxyFirewall {
			v.Firewall = &cs[i]
		}
	}
	return v, true
}

// proxyPathLines are the proxy page's lines about the path, then the
// heading of the guest part.
func (m networkStep) proxyPathLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	v, ok := ProxyPathViews(m.sess.Plan, m.sess.Inventory, m.vms)
	if !ok {
		return nil
	}
	path := v.Path
	port := path.Proxy.Port
	sources := strings.Join(path.Sources, ", ")
	out := []string{"", ui.Fit(st.Body.Heading.Render(tr.T("network.proxypath.heading")), w)}
	info := func(glyph, key string, args ...any) {
		out = append(out, glyphLines(st.Verdict[glyph], ui.VerdictGlyph(glyph), tr.T(key, args...), w, st.App.Text)...)
	}
	switch path.Where {
	case ProxyAtVM:
		info("info", "network.proxypath.where.vm", "VM", path.VM.Name, "Addr", path.Addr.String(), "Subnet", or(path.Subnet, "-"))
	case ProxyOutside:
		info("info", "network.proxypath.where.outside", "Addr", path.Addr.String())
	default:
		info("warn", "network.proxypath.where.unknown", "Host", path.Proxy.Host)
		info("warn", "network.proxypath.unknown", "Port", port, "Sources", sources)
	}
	if path.Where != ProxyUnknown {
		switch {
		case len(v.Rules) > 0:
			out = append(out, wrapStyled(tr.T("network.proxypath.rules"), w, st.App.Text)...)
			for _, r := range v.Rules {
				out = append(out, "")
				out = append(out, m.nsgLines(r, w)...)
			}
			out = append(out, "")
		case path.Where == ProxyAtVM:
			info("ok", "network.proxypath.norules.vm", "Port", port)
		default:
			info("ok", "network.proxypath.norules.outside", "Port", port)
		}
	}
	switch {
	case v.Firewall != nil:
		out = append(out, glyphLines(st.App.Accent, ui.GlyphCurrent, tr.T("network.proxypath.firewall", "VM", path.VM.Name, "Port", port, "Sources", sources), w, st.App.Text)...)
	case path.Where == ProxyOutside:
		info("warn", "network.proxypath.owner", "Port", port, "Sources", sources)
	}
	out = append(out, "", ui.Fit(st.Body.Heading.Render(tr.T("network.proxypath.guest.heading")), w))
	return out
}
