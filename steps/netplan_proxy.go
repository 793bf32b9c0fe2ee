package steps

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
)

// Network mode proxy (AZURE.md §4.3, proxy path): the VMs reach Azure
// through an HTTP proxy. The plan opens the path end to end where Azure
// lets it:
//
//   - the VMs' side: every NSG on a VM's NIC or subnet that blocks TCP
//     <port> to the proxy's address gets an outbound Allow rule to it;
//   - the proxy's side, when the proxy is an Azure VM of the inventory: its
//     NSGs must let the VMs' subnets in on the port, and let the proxy out
//     to the Internet on 80 and 443 (two ports, not the range 80-443); its
//     host firewall, which ARM cannot see, is opened with Run Command;
//   - a proxy outside Azure (or out of reach) is someone else's: the plan
//     says what its owner must allow, with the VMs' subnets;
//   - inside the VMs, the guest configuration is pushed with Run Command.
//
// Only what is missing is planned; a finished Run Command is remembered by
// the journal with what it set, so a proxy that changes is pushed again.
// Authenticated proxies are refused by guest.NewProxy: the agent cannot
// sign in to a proxy.

// ActionGuestProxy pushes the proxy configuration into a VM with Run Command.
const ActionGuestProxy = "vm.guestProxy"

// ActionProxyFirewall opens the proxy VM's host firewall with Run Command.
// It is not a vm.* action: the applier runs it in the preparation chain,
// before the VMs' own changes.
const ActionProxyFirewall = "proxy.firewall"

// ActionProxyPath is the part of the proxy path backupready cannot change
// or judge (a proxy outside Azure, a host name it cannot place, an invalid
// proxy): always a Skip saying what to do.
const ActionProxyPath = "proxy.path"

// The names of the NSG rules of the proxy path.
const (
	ProxyOutboundRuleName = "AllowBackupProxyOutbound"         // VMs → proxy
	ProxyInboundRuleName  = "AllowBackupProxyInbound"          // proxy ← VMs
	ProxyInternetRuleName = "AllowBackupProxyInternetOutbound" // proxy → Internet
)

// Where a proxy is, as far as the inventory tells.
const (
	ProxyAtVM    = "vm"      // an Azure VM of the inventory holds its address
	ProxyOutside = "outside" // an address no VM of the inventory has
	ProxyUnknown = "unknown" // a host name no VM of the inventory has
)

// ProxyPath is where the plan's proxy is and the addresses it must let in.
type ProxyPath struct {
	Proxy  guest.Proxy
	Where  string
	Addr   netip.Addr // the proxy's address (not valid when Where is ProxyUnknown)
	VM     *azure.VM  // the proxy VM (Where is ProxyAtVM), as held by the inventory
	NIC    azure.NIC  // its NIC that holds Addr
	Subnet string     // the name of that NIC's subnet ("" unknown)
	// Sources are the plan VMs' subnet prefixes (their addresses where a
	// subnet is not known), of Addr's family, sorted; the proxy VM's own
	// are not among them.
	Sources []string
}

// LocateProxy places a validated proxy: an IP address is looked for among
// the inventory's NICs, a host name among its VMs' names (the name, or the
// host's first label). No name is looked up in DNS.
func LocateProxy(px guest.Proxy, inv *azure.Inventory, vms []*azure.VM) ProxyPath {
	path := ProxyPath{Proxy: px, Where: ProxyUnknown}
	if a, err := netip.ParseAddr(px.Host); err == nil {
		path.Addr, path.Where = a.Unmap(), ProxyOutside
	}
	if inv != nil {
		if path.Addr.IsValid() {
			path.VM, path.NIC = vmWithAddr(inv, path.Addr, vms)
		} else if vm := vmNamed(inv, px.Host); vm != nil {
			if nic, a, ok := primaryAddr(vm); ok {
				path.VM, path.NIC, path.Addr = vm, nic, a
			}
		}
		if path.VM != nil {
			path.Where = ProxyAtVM
			path.Subnet = subnetOfAddr(path.NIC, path.Addr)
		}
	}
	clients := vms
	if path.VM != nil {
		// the proxy VM, when the plan backs it up too, is not its own client
		clients = slices.DeleteFunc(slices.Clone(vms), func(vm *azure.VM) bool { return strings.EqualFold(vm.ID, path.VM.ID) })
	}
	path.Sources = vmSourcePrefixes(inv, clients, path.Addr)
	return path
}

// vmWithAddr is the VM whose NIC holds addr: the only one, or the only one
// in a virtual network of the plan's VMs (private addresses repeat across
// networks).
func vmWithAddr(inv *azure.Inventory, addr netip.Addr, vms []*azure.VM) (*azure.VM, azure.NIC) {
	type hit struct {
		vm  *azure.VM
		nic azure.NIC
	}
	var hits []hit
	for i := range inv.VMs {
		for _, nic := range inv.VMs[i].NICs {
			if slices.ContainsFunc(nicAddrs(nic), func(a netip.Addr) bool { return a.Unmap() == addr }) {
				hits = append(hits, hit{&inv.VMs[i], nic})
			}
		}
	}
	if len(hits) == 1 {
		return hits[0].vm, hits[0].nic
	}
	nets := map[string]bool{}
	for _, vm := range vms {
		for _, nic := range vm.NICs {
			for _, s := range nic.SubnetIDs {
				nets[vnetOf(s)] = true
			}
		}
	}
	var same []hit
	for _, h := range hits {
		if slices.ContainsFunc(h.nic.SubnetIDs, func(s string) bool { return nets[vnetOf(s)] }) {
			same = append(same, h)
		}
	}
	if len(same) == 1 {
		return same[0].vm, same[0].nic
	}
	return nil, azure.NIC{}
}

// vnetOf is the virtual network id of a subnet id, lower-cased.
func vnetOf(subnetID string) string {
	id, _, _ := strings.Cut(strings.ToLower(subnetID), "/subnets/")
	return id
}

// vmNamed is the only VM named host, or named host's first label.
func vmNamed(inv *azure.Inventory, host string) *azure.VM {
	label, _, _ := strings.Cut(strings.TrimSuffix(host, "."), ".")
	var found *azure.VM
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		if strings.EqualFold(vm.Name, host) || strings.EqualFold(vm.Name, label) {
			if found != nil {
				return nil
			}
			found = vm
		}
	}
	return found
}

// primaryAddr is the first private address of a VM's primary NIC (or of its
// first NIC with one).
func primaryAddr(vm *azure.VM) (azure.NIC, netip.Addr, bool) {
	nics := slices.Clone(vm.NICs)
	slices.SortStableFunc(nics, func(a, b azure.NIC) int {
		if a.Primary == b.Primary {
			return 0
		}
		if a.Primary {
			return -1
		}
		return 1
	})
	for _, nic := range nics {
		if ips := nicAddrs(nic); len(ips) > 0 {
			return nic, ips[0].Unmap(), true
		}
	}
	return azure.NIC{}, netip.Addr{}, false
}

// subnetOfAddr names the subnet of the NIC's IP configuration that holds addr.
func subnetOfAddr(nic azure.NIC, addr netip.Addr) string {
	for i, s := range nic.PrivateIPs {
		if a, err := netip.ParseAddr(s); err == nil && a.Unmap() == addr && i < len(nic.SubnetIDs) && len(nic.SubnetIDs) == len(nic.PrivateIPs) {
			return lastSegment(nic.SubnetIDs[i])
		}
	}
	if len(nic.SubnetIDs) > 0 {
		return lastSegment(nic.SubnetIDs[0])
	}
	return ""
}

// vmSourcePrefixes are the address prefixes of the VMs' subnets (a VM's own
// addresses where its subnet's are not known), of like's family when it is
// valid, without duplicates, in address order.
func vmSourcePrefixes(inv *azure.Inventory, vms []*azure.VM, like netip.Addr) []string {
	seen := map[netip.Prefix]bool{}
	var out []netip.Prefix
	add := func(p netip.Prefix) {
		p = p.Masked()
		if like.IsValid() && p.Addr().Is4() != like.Is4() {
			return
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, vm := range vms {
		for _, nic := range vm.NICs {
			known := false
			for _, sid := range nic.SubnetIDs {
				if inv == nil {
					break
				}
				if s := inv.Subnet(sid); s != nil {
					for _, x := range s.AddressPrefixes {
						if p, err := netip.ParsePrefix(x); err == nil {
							add(p)
							known = true
						}
					}
				}
			}
			if !known {
				for _, a := range nicAddrs(nic) {
					add(netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
	})
	s := make([]string, len(out))
	for i, p := range out {
		s[i] = p.String()
	}
	return s
}

// hostPrefix is an address as a one-address prefix ("10.0.0.5/32").
func hostPrefix(a netip.Addr) string { return netip.PrefixFrom(a, a.BitLen()).String() }

// proxyChanges plans network mode proxy: the NSG rules of the path (the
// VMs' side, then the proxy's), what backupready cannot do about the path,
// the proxy's host firewall, then the guest configuration of every VM. The
// NSG rules and the firewall come first: the applier runs them in order
// before the VMs' own changes.
func proxyChanges(p *Plan, live LiveState, vms []*azure.VM, region string, conflicts *PlanConflicts) []Change {
	px := p.Network.Proxy
	if px == nil {
		px = &PlanProxy{}
	}
	hostPort := guest.Proxy{Host: px.Host, Port: px.Port}.HostPort()
	gp, perr := guest.NewProxy(px.Host, px.Port, px.NoProxy)
	var out []Change
	switch {
	case perr != nil:
		out = append(out, Change{Kind: Skip, Action: ActionProxyPath, Target: hostPort, Region: region,
			Reason: "change.reason.proxy-path-invalid", Args: []any{"Proxy", hostPort}})
	case len(vms) > 0 && live.Inventory != nil:
		out = append(out, proxyPathChanges(p, live, vms, region, gp, conflicts)...)
	}
	want := hostPort
	if perr == nil {
		want = guestProxyWant(gp)
	}
	for _, vm := range vms {
		osType := guestOS(vm.OSType)
		c := Change{Action: ActionGuestProxy, Target: vm.ID, Region: region, To: want,
			Args: []any{"VM", vm.Name, "Host", px.Host, "Port", px.Port, "OS", osType, "Proxy", want}}
		ready := agentReady(vm)
		last, ran := live.Journal.Last(ActionGuestProxy, vm.ID)
		done := ran && last.State == JournalDone
		switch {
		case perr != nil:
			c.Kind, c.Reason = Skip, "change.reason.guest-proxy-invalid"
		case done && (last.To == want || last.To == ""):
			// a journal of an older version did not say what it pushed:
			// taken as this proxy
			c.Kind, c.Reason = NoChange, "change.reason.guest-proxy-done"
			c.Args = append(c.Args, "When", last.Time.Format("2006-01-02 15:04 MST"))
		case osType == "":
			c.Kind, c.Reason = Skip, "change.reason.guest-proxy-os-unknown"
			c.Args = append(c.Args, "Command", linuxProxyCommand(px), "WinCommand", windowsProxyCommand(px))
		case !ready && osType == "Windows":
			c.Kind, c.Reason = Skip, "change.reason.guest-proxy-manual-windows"
			c.Args = append(c.Args, "Command", windowsProxyCommand(px), "Power", guestPower(vm), "Agent", guestAgent(vm))
		case !ready:
			c.Kind, c.Reason = Skip, "change.reason.guest-proxy-manual"
			c.Args = append(c.Args, "Command", linuxProxyCommand(px), "Power", guestPower(vm), "Agent", guestAgent(vm))
		case done:
			c.Kind, c.Reason, c.From = Modify, "change.reason.guest-proxy-again", last.To
			c.Args = append(c.Args, "Was", last.To, "When", last.Time.Format("2006-01-02 15:04 MST"))
		case osType == "Windows":
			c.Kind, c.Reason = Create, "change.reason.guest-proxy-windows"
		default:
			c.Kind, c.Reason = Create, "change.reason.guest-proxy"
		}
		out = append(out, c)
	}
	return out
}

// guestProxyWant is what a guest push sets, as the journal remembers it:
// host:port, and the no-proxy entries the plan adds to Azure's two.
func guestProxyWant(p guest.Proxy) string {
	s := p.HostPort()
	if len(p.NoProxy) > 0 {
		s += " no_proxy " + strings.Join(p.NoProxy, ",")
	}
	return s
}

// agentReady reports whether Run Command can reach a VM: it runs and its
// agent reports Ready.
func agentReady(vm *azure.VM) bool {
	return vm.Running() && vm.Agent != nil && strings.EqualFold(vm.Agent.Status, "Ready")
}

// proxyPathChanges are the NSG rules and the firewall of the path to a
// valid proxy.
func proxyPathChanges(p *Plan, live LiveState, vms []*azure.VM, region string, gp guest.Proxy, conflicts *PlanConflicts) []Change {
	inv := live.Inventory
	path := LocateProxy(gp, inv, vms)
	hostPort := gp.HostPort()
	sources := strings.Join(path.Sources, ", ")
	if path.Where == ProxyUnknown {
		return []Change{{Kind: Skip, Action: ActionProxyPath, Target: hostPort, Region: region, Reason: "change.reason.proxy-path-unknown",
			Args: []any{"Proxy", hostPort, "Host", gp.Host, "Port", gp.Port, "Sources", sources}}}
	}
	port := gp.Port
	addr := path.Addr
	picked := map[string][]int32{}
	var out []Change

	// the VMs' side: out to the proxy
	behind := map[string][]*azure.VM{} // NSG id → the plan VMs it filters
	for _, vm := range vms {
		for _, nic := range vm.NICs {
			for _, id := range append([]string{nic.NSGID}, subnetNSGs(inv, nic)...) {
				if k := strings.ToLower(id); k != "" && !slices.Contains(behind[k], vm) {
					behind[k] = append(behind[k], vm)
				}
			}
		}
	}
	blocked := scanBlocking(inv, vms, func(vm *azure.VM, n *azure.NSG, ips []netip.Addr) nsgVerdict {
		if path.VM != nil && strings.EqualFold(vm.ID, path.VM.ID) {
			return nsgVerdict{allow: true} // a VM reaches itself without its NSGs
		}
		return evalFlow(n, toAddrFlow(addr, port, ips))
	})
	for _, b := range blocked {
		src := vmSourcePrefixes(inv, behind[strings.ToLower(b.nsg.ID)], addr)
		if len(src) == 0 {
			src = []string{"VirtualNetwork"}
		}
		rule := azure.SecurityRule{Name: ProxyOutboundRuleName, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
			Sources: src, Destinations: []string{hostPrefix(addr)}, DestPorts: []string{strconv.Itoa(port)},
			Description: "backupready: the backed-up VMs reach their HTTP proxy"}
		if b.probe != nil {
			pr := *b.probe
			pr.Direction, pr.RemoteIP, pr.RemotePort = "Outbound", addr.String(), strconv.Itoa(port)
			b.probe = &pr
		}
		out = append(out, proxyRuleChange(p, b, rule, region, "change.reason.proxy-vm-rule", true, picked, conflicts,
			"Proxy", hostPort, "Port", port, "Sources", strings.Join(src, ", ")))
	}

	if path.Where == ProxyOutside {
		return append(out, Change{Kind: Skip, Action: ActionProxyPath, Target: hostPort, Region: region, Reason: "change.reason.proxy-path-outside",
			Args: []any{"Proxy", hostPort, "Host", gp.Host, "Port", port, "Sources", sources, "Region", region}})
	}

	// the proxy's side: in from the VMs, out to the Internet
	proxy := path.VM
	local := []netip.Addr{addr}
	var vmIPs []struct {
		name string
		ip   netip.Addr
	}
	for _, vm := range vms {
		if strings.EqualFold(vm.ID, proxy.ID) {
			continue
		}
		for _, nic := range vm.NICs {
			for _, a := range nicAddrs(nic) {
				if a.Unmap().Is4() == addr.Is4() {
					vmIPs = append(vmIPs, struct {
						name string
						ip   netip.Addr
					}{vm.Name, a.Unmap()})
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, n := range nicNSGs(inv, path.NIC) {
		if seen[strings.ToLower(n.ID)] {
			continue
		}
		seen[strings.ToLower(n.ID)] = true
		// in: every plan VM address on the port
		in := &blockedNSG{nsg: n, priority: 1 << 30}
		var remote netip.Addr
		for _, x := range vmIPs {
			d := evalFlow(n, fromAddrFlow(x.ip, port, local))
			if d.allow {
				continue
			}
			if d.priority < in.priority {
				in.rule, in.priority = d.rule, d.priority
			}
			if !slices.Contains(in.vms, x.name) {
				in.vms = append(in.vms, x.name)
			}
			if !remote.IsValid() {
				remote = x.ip
			}
		}
		if len(in.vms) > 0 {
			if proxy.Running() {
				in.probe = &Probe{VMID: proxy.ID, IP: addr.String(), Direction: "Inbound", RemoteIP: remote.String(), RemotePort: strconv.Itoa(port)}
			}
			src := path.Sources
			if len(src) == 0 {
				src = []string{"VirtualNetwork"}
			}
			rule := azure.SecurityRule{Name: ProxyInboundRuleName, Direction: "Inbound", Access: "Allow", Protocol: "Tcp",
				Sources: src, Destinations: []string{hostPrefix(addr)}, DestPorts: []string{strconv.Itoa(port)},
				Description: "backupready: the backed-up VMs reach this HTTP proxy"}
			out = append(out, proxyRuleChange(p, in, rule, region, "change.reason.proxy-in-rule", true, picked, conflicts,
				"Proxy", hostPort, "Port", port, "Sources", strings.Join(src, ", "), "ProxyVM", proxy.Name))
		}
		// out: the Internet on 80 and 443
		o := &blockedNSG{nsg: n, priority: 1 << 30}
		for _, web := range []int{80, 443} {
			if d := evalFlow(n, internetFlow(web, local)); !d.allow && d.priority < o.priority {
				o.rule, o.priority = d.rule, d.priority
			}
		}
		if o.rule != "" {
			o.vms = []string{proxy.Name}
			if proxy.Running() {
				// no remote address: the applier asks with one of Azure
				// Storage's (an Internet address the backups need)
				o.probe = &Probe{VMID: proxy.ID, IP: addr.String(), Direction: "Outbound", RemotePort: "443"}
			}
			rule := azure.SecurityRule{Name: ProxyInternetRuleName, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
				Sources: []string{hostPrefix(addr)}, Destinations: []string{"Internet"}, DestPorts: []string{"80", "443"},
				Description: "backupready: the HTTP proxy reaches Azure on 80 and 443"}
			out = append(out, proxyRuleChange(p, o, rule, region, "change.reason.proxy-out-rule", false, picked, conflicts,
				"Proxy", hostPort, "Port", port, "Sources", hostPrefix(addr), "ProxyVM", proxy.Name))
		}
	}
	return append(out, proxyFirewallChange(live, path, region))
}

// proxyRuleChange is the change that adds rule to a blocking NSG (see
// ruleChange), with the proxy path's own wording. A rule of that name that
// backupready added for another proxy, port or other VMs is rewritten in
// place (Modify), keeping its priority when it still wins; a rule whose
// sources are the VMs' keeps the sources it had (the plan adds, never takes
// away). picked are the priorities given so far, by NSG.
func proxyRuleChange(p *Plan, b *blockedNSG, rule azure.SecurityRule, region, reason string, keepSources bool,
	picked map[string][]int32, conflicts *PlanConflicts, extra ...any) Change {
	key := strings.ToLower(b.nsg.ID)
	b.picked = picked[key]
	defer func() { picked[key] = b.picked }()
	old := ruleNamed(b.nsg, rule.Name)
	if old == nil || sameRule(*old, rule) {
		n := len(*conflicts)
		c := ruleChange(p, b, rule, region, reason, conflicts)
		if c.Reason == "change.reason.nsg-rule-loses" {
			c.Reason = "change.reason.proxy-rule-loses"
			for i := n; i < len(*conflicts); i++ {
				if (*conflicts)[i].Reason == "conflict.nsg-rule-loses" {
					(*conflicts)[i].Reason = "conflict.proxy-rule-loses"
				}
			}
		}
		c.Args = append(c.Args, extra...)
		return c
	}
	if keepSources {
		for _, s := range old.Sources {
			if !containsFold(rule.Sources, s) {
				rule.Sources = append(rule.Sources, s)
			}
		}
	}
	c := Change{Action: ActionNSGRule, Target: b.nsg.ID + "/securityRules/" + rule.Name, Region: region, Probe: b.probe,
		From: strconv.Itoa(int(old.Priority)),
		Args: []any{"NSG", b.nsg.Name, "Rule", b.rule, "Priority", int(b.priority), "Tag", strings.Join(rule.Destinations, ", "),
			"VMs", strings.Join(b.vms, ", "), "Count", len(b.vms), "Name", rule.Name, "Direction", rule.Direction,
			"Was", ruleSummary(*old), "Now", ruleSummary(rule)}}
	c.Args = append(c.Args, extra...)
	prio := old.Priority
	if prio >= b.priority {
		np, why := pickPriority(b.nsg, rule.Direction, b.priority, p.Network.NSGRulePriority, b.picked...)
		if why != "" {
			c.Kind, c.Reason = Skip, "change.reason.nsg-no-priority"
			*conflicts = append(*conflicts, PlanConflict{Field: "network.nsgRulePriority", Reason: why, Args: c.Args})
			return c
		}
		prio = np
	}
	b.picked = append(b.picked, prio)
	rule.Priority = prio
	c.Kind, c.Reason, c.To, c.Rule = Modify, "change.reason.proxy-rule-rewrite", strconv.Itoa(int(prio)), &rule
	c.Args = append(c.Args, "New", int(prio))
	return c
}

// sameRule reports whether two rules let the same traffic through
// (priority, name and description aside).
func sameRule(a, b azure.SecurityRule) bool {
	set := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for _, v := range x {
			if !containsFold(y, v) {
				return false
			}
		}
		return true
	}
	return strings.EqualFold(a.Direction, b.Direction) && strings.EqualFold(a.Access, b.Access) && strings.EqualFold(a.Protocol, b.Protocol) &&
		set(a.Sources, b.Sources) && set(a.Destinations, b.Destinations) && set(a.DestPorts, b.DestPorts)
}

// ruleSummary is what a rule lets through, in one language-neutral phrase:
// "Tcp 10.10.1.0/24 -> 10.0.0.5/32:3128".
func ruleSummary(r azure.SecurityRule) string {
	return r.Protocol + " " + strings.Join(r.Sources, ",") + " -> " + strings.Join(r.Destinations, ",") + ":" + strings.Join(r.DestPorts, ",")
}

// proxyFirewallWant is what a firewall change opens, as the journal
// remembers it: "tcp/3128 10.10.1.0/24,10.10.5.0/24".
func proxyFirewallWant(port int, sources []string) string {
	return "tcp/" + strconv.Itoa(port) + " " + strings.Join(sources, ",")
}

// proxyFirewallChange opens the proxy VM's host firewall with Run Command
// when it runs with a Ready agent; otherwise it says what to run on it. A
// run the journal remembers for the same port and subnets is not repeated.
func proxyFirewallChange(live LiveState, path ProxyPath, region string) Change {
	vm, port := path.VM, path.Proxy.Port
	osType := guestOS(vm.OSType)
	want := proxyFirewallWant(port, path.Sources)
	c := Change{Action: ActionProxyFirewall, Target: vm.ID, Region: region, To: want,
		Args: []any{"VM", vm.Name, "Port", port, "Sources", strings.Join(path.Sources, ", "), "OS", osType, "Proxy", path.Proxy.HostPort()}}
	cmds, err := guest.ManualFirewallCommands(port, path.Sources)
	if err != nil {
		// no subnet of the VMs is known: nothing to open (LocateProxy
		// always finds the VMs' addresses, so this is an empty plan)
		c.Kind, c.Reason = Skip, "change.reason.proxy-firewall-nothing"
		return c
	}
	last, ran := live.Journal.Last(ActionProxyFirewall, vm.ID)
	done := ran && last.State == JournalDone
	switch ready := agentReady(vm); {
	case done && (last.To == want || last.To == ""):
		c.Kind, c.Reason = NoChange, "change.reason.proxy-firewall-done"
		c.Args = append(c.Args, "When", last.Time.Format("2006-01-02 15:04 MST"))
	case osType == "":
		c.Kind, c.Reason = Skip, "change.reason.proxy-firewall-os-unknown"
		c.Args = append(c.Args, "Firewalld", cmds.Firewalld, "Ufw", cmds.Ufw, "Nft", cmds.Nft, "Command", cmds.Windows)
	case !ready && osType == "Windows":
		c.Kind, c.Reason = Skip, "change.reason.proxy-firewall-manual-windows"
		c.Args = append(c.Args, "Command", cmds.Windows, "Power", guestPower(vm), "Agent", guestAgent(vm))
	case !ready:
		c.Kind, c.Reason = Skip, "change.reason.proxy-firewall-manual"
		c.Args = append(c.Args, "Firewalld", cmds.Firewalld, "Ufw", cmds.Ufw, "Nft", cmds.Nft, "Power", guestPower(vm), "Agent", guestAgent(vm))
	case done:
		c.Kind, c.Reason, c.From = Modify, "change.reason.proxy-firewall-again", last.To
		c.Args = append(c.Args, "Was", last.To, "When", last.Time.Format("2006-01-02 15:04 MST"))
	case osType == "Windows":
		c.Kind, c.Reason = Create, "change.reason.proxy-firewall-windows"
	default:
		c.Kind, c.Reason = Create, "change.reason.proxy-firewall"
	}
	return c
}

// ProxyFirewallScript is the script a proxy.firewall change runs on the
// proxy VM (the one the wizard shows before it runs), from the change's
// port and subnets: POSIX sh for Linux, PowerShell for Windows.
func ProxyFirewallScript(c Change) (string, error) {
	port, _ := argNamed(c.Args, "Port").(int)
	list, _ := argNamed(c.Args, "Sources").(string)
	var sources []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			sources = append(sources, s)
		}
	}
	osType, _ := argNamed(c.Args, "OS").(string)
	switch guestOS(osType) {
	case "Linux":
		return guest.LinuxFirewallScript(port, sources)
	case "Windows":
		return guest.WindowsFirewallScript(port, sources)
	}
	return "", &azure.Error{Kind: azure.KindInvalid, Op: "run-command", Code: azure.CodeUnknownOSType, Message: osType}
}

// guestOS is "Linux", "Windows" or "" (unknown).
func guestOS(osType string) string {
	switch {
	case strings.EqualFold(osType, "Linux"):
		return "Linux"
	case strings.EqualFold(osType, "Windows"):
		return "Windows"
	}
	return ""
}

// guestPower and guestAgent are the VM's power state and agent status as Azure
// reports them ("-" when unknown or not read).
func guestPower(vm *azure.VM) string { return or(vm.PowerState, "-") }

func guestAgent(vm *azure.VM) string {
	if vm.Agent == nil {
		return "-"
	}
	return or(vm.Agent.Status, "-")
}

// linuxProxyCommand is what to run on a Linux VM by hand.
func linuxProxyCommand(px *PlanProxy) string {
	cmd := "sudo backupready guest proxy --host " + px.Host + " --port " + strconv.Itoa(px.Port)
	if len(px.NoProxy) > 0 {
		cmd += " --no-proxy " + strings.Join(px.NoProxy, ",")
	}
	return cmd
}

// windowsProxyCommand is the heart of the Windows script, to run by hand in
// an elevated PowerShell.
func windowsProxyCommand(px *PlanProxy) string {
	p := guest.Proxy{Host: px.Host, Port: px.Port, NoProxy: px.NoProxy}
	return `netsh winhttp set proxy proxy-server="` + p.HostPort() + `" bypass-list="` + guest.WinHTTPBypassList(px.NoProxy) + `"`
}

// GuestProxyScript is the script a vm.guestProxy change runs on its VM (the
// one the wizard shows before it runs): POSIX sh for Linux, PowerShell for
// Windows.
func GuestProxyScript(p *Plan, osType string) (string, error) {
	px := p.Network.Proxy
	if px == nil {
		return "", &guest.InputError{Field: "host", Reason: "missing"}
	}
	if _, err := guest.NewProxy(px.Host, px.Port, px.NoProxy); err != nil {
		return "", err
	}
	switch guestOS(osType) {
	case "Linux":
		return guest.LinuxProxyScript(px.Host, px.Port, px.NoProxy)
	case "Windows":
		return guest.WindowsProxyScript(px.Host, px.Port, px.NoProxy), nil
	}
	return "", &azure.Error{Kind: azure.KindInvalid, Op: "run-command", Code: azure.CodeUnknownOSType, Message: osType}
}

// guestAgentReader reads VM agents' instance views.
type guestAgentReader interface {
	ReadAgents(ctx context.Context, vms []azure.VM, concurrency int, progress func(done, total int)) error
}

// ReadGuestAgents reads the agent of every running plan VM when the plan's
// network mode is proxy, and of the proxy VM when the proxy is one: whether
// Run Command can reach a VM depends on it (ReadLiveState does not read
// agents otherwise). The states land in live.VMs (the inventory's VMs).
func ReadGuestAgents(ctx context.Context, api guestAgentReader, p *Plan, live LiveState) error {
	if p.Network.Mode != NetworkProxy {
		return nil
	}
	var vms []azure.VM
	var targets, planVMs []*azure.VM
	add := func(vm *azure.VM) {
		if vm != nil && vm.Running() && vm.Agent == nil && !slices.Contains(targets, vm) {
			vms = append(vms, *vm)
			targets = append(targets, vm)
		}
	}
	for _, id := range p.VMs {
		if vm := live.VMs[strings.ToLower(id)]; vm != nil {
			planVMs = append(planVMs, vm)
			add(vm)
		}
	}
	if px := p.Network.Proxy; px != nil && live.Inventory != nil {
		if gp, err := guest.NewProxy(px.Host, px.Port, px.NoProxy); err == nil {
			add(LocateProxy(gp, live.Inventory, planVMs).VM)
		}
	}
	if len(vms) == 0 {
		return nil
	}
	if err := api.ReadAgents(ctx, vms, 0, nil); err != nil {
		return err
	}
	for k, vm := range targets {
		vm.Agent, vm.AgentErr = vms[k].Agent, vms[k].AgentErr
	}
	return nil
}
