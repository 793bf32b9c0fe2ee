package steps

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/backupready/backupready/azure"
)

// Network changes (AZURE.md §4): with network.mode serviceTags, every NSG
// (on a VM's NIC or subnet) that blocks outbound HTTPS to Azure Storage in
// the vault's region gets one outbound Allow rule for the Storage.<Region>
// service tag on TCP 443, shared by all the VMs behind it, at a priority
// that wins over the rule that blocks. Existing rules are never edited
// (rules owned by Azure Policy or Virtual Network Manager included): the
// plan only adds its own.

// ActionNSGRule adds backupready's outbound rule to an NSG.
const ActionNSGRule = "nsg.rule"

// ActionNetworkMode stands for the part of a network mode this version does
// not carry out (always a Skip saying so).
const ActionNetworkMode = "network.mode"

// BackupRuleName is the name of the rule backupready adds.
const BackupRuleName = "AllowAzureBackupStorageOutbound"

// backupRulePriorityCeiling is where an automatic priority starts looking
// (downwards) when nothing blocks below it: high enough to leave the low
// numbers to the NSG's owners.
const backupRulePriorityCeiling = 4000

// StorageTag is the regional service tag of Azure Storage ("Storage.WestEurope").
func StorageTag(region string) string {
	r := azure.NormalizeLocation(region)
	if name, ok := regionTagNames[r]; ok {
		return "Storage." + name
	}
	if r == "" {
		return "Storage"
	}
	// service tags spell the region in camel case; ARM compares them
	// case-insensitively, so the lower-case name is accepted too
	return "Storage." + r
}

// regionTagNames spell the common regions as Azure's service tags do.
var regionTagNames = map[string]string{
	"westeurope": "WestEurope", "northeurope": "NorthEurope", "eastus": "EastUS", "eastus2": "EastUS2",
	"westus": "WestUS", "westus2": "WestUS2", "westus3": "WestUS3", "centralus": "CentralUS",
	"southcentralus": "SouthCentralUS", "northcentralus": "NorthCentralUS", "uksouth": "UKSouth", "ukwest": "UKWest",
	"francecentral": "FranceCentral", "germanywestcentral": "GermanyWestCentral", "swedencentral": "SwedenCentral",
	"switzerlandnorth": "SwitzerlandNorth", "norwayeast": "NorwayEast", "japaneast": "JapanEast", "japanwest": "JapanWest",
	"eastasia": "EastAsia", "southeastasia": "SoutheastAsia", "australiaeast": "AustraliaEast",
	"koreacentral": "KoreaCentral", "centralindia": "CentralIndia", "canadacentral": "CanadaCentral",
	"brazilsouth": "BrazilSouth", "chinaeast2": "ChinaEast2", "chinanorth2": "ChinaNorth2", "chinanorth3": "ChinaNorth3",
	"usgovvirginia": "USGovVirginia", "usgovarizona": "USGovArizona", "usgovtexas": "USGovTexas", "usdodeast": "USDoDEast",
	"usdodcentral": "USDoDCentral", "chinaeast": "ChinaEast", "chinanorth": "ChinaNorth", "chinaeast3": "ChinaEast3",
}

// blockedNSG is an NSG that blocks a path some of the plan's VMs need.
type blockedNSG struct {
	nsg      *azure.NSG
	rule     string // the rule that blocks
	priority int32
	vms      []string
	probe    *Probe  // a running VM behind it, to verify the rule afterwards
	picked   []int32 // priorities the plan already gives new rules here
}

// networkChanges plans the network section for the VMs the plan protects.
func networkChanges(p *Plan, live LiveState, vms []*azure.VM, region string, conflicts *PlanConflicts) []Change {
	switch p.Network.Mode {
	case "", NetworkNone:
		return nil
	case NetworkProxy:
		return proxyChanges(p, live, vms, region, conflicts)
	case NetworkIPRanges:
		return ipRangeChanges(p, live, vms, region, conflicts)
	}
	if live.Inventory == nil {
		return nil
	}
	blocked := scanBlocking(live.Inventory, vms, func(_ *azure.VM, n *azure.NSG, ips []netip.Addr) nsgVerdict {
		return evalNSG(n, region, ips)
	})
	var out []Change
	for _, b := range blocked {
		out = append(out, ruleChange(p, b, BackupRule(region, 0), region, "change.reason.nsg-rule", conflicts))
	}
	return out
}

// scanBlocking judges every NSG on the VMs' NICs and subnets with judge
// and returns those that block some VM, in id order, each with the VMs it
// blocks and the lowest-priority rule that does.
func scanBlocking(inv *azure.Inventory, vms []*azure.VM, judge func(vm *azure.VM, n *azure.NSG, ips []netip.Addr) nsgVerdict) []*blockedNSG {
	if inv == nil {
		return nil
	}
	blocked := map[string]*blockedNSG{}
	var order []string
	for _, vm := range vms {
		for _, nic := range vm.NICs {
			ips := nicAddrs(nic)
			for _, n := range nicNSGs(inv, nic) {
				d := judge(vm, n, ips)
				if d.allow {
					continue
				}
				key := strings.ToLower(n.ID)
				b := blocked[key]
				if b == nil {
					b = &blockedNSG{nsg: n, rule: d.rule, priority: d.priority}
					blocked[key] = b
					order = append(order, key)
				}
				if d.priority < b.priority {
					b.rule, b.priority = d.rule, d.priority
				}
				if !slices.Contains(b.vms, vm.Name) {
					b.vms = append(b.vms, vm.Name)
				}
				if b.probe == nil && vm.Running() && len(ips) > 0 {
					b.probe = &Probe{VMID: vm.ID, IP: ips[0].String()}
				}
			}
		}
	}
	slices.Sort(order)
	out := make([]*blockedNSG, 0, len(order))
	for _, k := range order {
		out = append(out, blocked[k])
	}
	return out
}

// ruleChange is the change that adds rule to a blocking NSG at a priority
// that wins over the rule that blocks (the plan's number, or the highest
// free one): a Create with reason, or a Skip with a plan conflict when the
// NSG already has a rule of that name that loses (the planner never edits
// an existing rule) or no priority fits. The catalog arguments are NSG,
// Rule, Priority (the blocking rule), Tag (the rule's destination), VMs,
// Count and New (the priority chosen).
func ruleChange(p *Plan, b *blockedNSG, rule azure.SecurityRule, region, reason string, conflicts *PlanConflicts) Change {
	c := Change{Action: ActionNSGRule, Target: b.nsg.ID + "/securityRules/" + rule.Name, Region: region, Probe: b.probe,
		Args: []any{"NSG", b.nsg.Name, "Rule", b.rule, "Priority", int(b.priority), "Tag", strings.Join(rule.Destinations, ", "),
			"VMs", strings.Join(b.vms, ", "), "Count", len(b.vms), "Name", rule.Name, "Direction", rule.Direction}}
	if existing := ruleNamed(b.nsg, rule.Name); existing != nil {
		// ours exists but does not win: the planner does not edit it
		// (another run, or a person, chose it); it says what to do
		c.Kind, c.Reason = Skip, "change.reason.nsg-rule-loses"
		c.Args = append(c.Args, "Have", int(existing.Priority))
		*conflicts = append(*conflicts, PlanConflict{Field: "network.nsgRulePriority", Reason: "conflict.nsg-rule-loses", Args: c.Args})
		return c
	}
	prio, why := pickPriority(b.nsg, rule.Direction, b.priority, p.Network.NSGRulePriority, b.picked...)
	if why != "" {
		c.Kind, c.Reason = Skip, "change.reason.nsg-no-priority"
		*conflicts = append(*conflicts, PlanConflict{Field: "network.nsgRulePriority", Reason: why, Args: c.Args})
		return c
	}
	b.picked = append(b.picked, prio)
	rule.Priority = prio
	c.Kind, c.Reason, c.To, c.Rule = Create, reason, strconv.Itoa(int(prio)), &rule
	c.Args = append(c.Args, "New", int(prio))
	return c
}

// BackupRule is the rule added to an NSG at a priority.
func BackupRule(region string, priority int32) azure.SecurityRule {
	return azure.SecurityRule{Name: BackupRuleName, Priority: priority, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
		Sources: []string{"VirtualNetwork"}, Destinations: []string{StorageTag(region)}, DestPorts: []string{"443"}}
}

// pickPriority chooses a new rule's priority among the NSG's rules of
// direction: the plan's number when it wins over the blocking rule and is
// free; with "auto", the highest free number below the blocking rule (at
// most backupRulePriorityCeiling), so that the NSG owner's own low numbers
// stay theirs. taken are priorities already given to other new rules. reason
// is a conflict's catalog key when there is none. With a number, a second
// rule on the same NSG (taken) takes the next free number above it that
// still wins.
func pickPriority(n *azure.NSG, direction string, blocking int32, want string, taken ...int32) (int32, string) {
	used := map[int32]bool{}
	for _, r := range n.Rules {
		if strings.EqualFold(r.Direction, direction) && !r.Default {
			used[r.Priority] = true
		}
	}
	if want != "" && want != PriorityAuto {
		v, err := strconv.Atoi(want)
		switch {
		case err != nil || v < 100 || v > 4096:
			return 0, "conflict.nsg-priority-range"
		case int32(v) >= blocking:
			return 0, "conflict.nsg-priority-loses"
		case used[int32(v)]:
			return 0, "conflict.nsg-priority-taken"
		}
		for p := int32(v); p < blocking && p <= 4096; p++ {
			if !used[p] && !slices.Contains(taken, p) {
				return p, ""
			}
		}
		return 0, "conflict.nsg-priority-taken"
	}
	top := min(blocking-1, backupRulePriorityCeiling)
	for p := top; p >= 100; p-- {
		if !used[p] && !slices.Contains(taken, p) {
			return p, ""
		}
	}
	return 0, "conflict.nsg-no-priority"
}

func ruleNamed(n *azure.NSG, name string) *azure.SecurityRule {
	for i := range n.Rules {
		if strings.EqualFold(n.Rules[i].Name, name) {
			return &n.Rules[i]
		}
	}
	return nil
}

// nicAddrs are a NIC's private addresses.
func nicAddrs(nic azure.NIC) []netip.Addr {
	var ips []netip.Addr
	for _, s := range nic.PrivateIPs {
		if a, err := netip.ParseAddr(s); err == nil {
			ips = append(ips, a)
		}
	}
	return ips
}

// nicNSGs are the NSGs the inventory knows that filter a NIC's traffic:
// its own, then its subnets'.
func nicNSGs(inv *azure.Inventory, nic azure.NIC) []*azure.NSG {
	var out []*azure.NSG
	for _, id := range append([]string{nic.NSGID}, subnetNSGs(inv, nic)...) {
		if n := inv.NSG(id); n != nil {
			out = append(out, n)
		}
	}
	return out
}

// subnetNSGs are the NSGs of a NIC's subnets.
func subnetNSGs(inv *azure.Inventory, nic azure.NIC) []string {
	var out []string
	for _, sid := range nic.SubnetIDs {
		if s := inv.Subnet(sid); s != nil && s.NSGID != "" {
			out = append(out, s.NSGID)
		}
	}
	return out
}
