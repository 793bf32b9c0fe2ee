package steps

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
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
	"usgovvirginia": "USGovVirginia", "usgovarizona": "USGovArizona",
}

// blockedNSG is an NSG that blocks the backup path of some of the plan's VMs.
type blockedNSG struct {
	nsg      *azure.NSG
	rule     string // the rule that blocks
	priority int32
	vms      []string
	probe    *Probe // a running VM behind it, to verify the rule afterwards
}

// networkChanges plans the network section for the VMs the plan protects.
func networkChanges(p *Plan, live LiveState, vms []*azure.VM, region string, conflicts *PlanConflicts) []Change {
	switch p.Network.Mode {
	case "", NetworkNone:
		return nil
	case NetworkProxy:
		return proxyChanges(p, live, vms, region)
	case NetworkIPRanges:
		return []Change{{Kind: Skip, Action: ActionNetworkMode, Target: p.Network.Mode, Region: region,
			Reason: "change.reason.network-mode-later", Args: []any{"Mode", p.Network.Mode}}}
	}
	if live.Inventory == nil {
		return nil
	}
	blocked := map[string]*blockedNSG{}
	var order []string
	for _, vm := range vms {
		for _, nic := range vm.NICs {
			ips := nicAddrs(nic)
			ids := append([]string{nic.NSGID}, subnetNSGs(live.Inventory, nic)...)
			for _, id := range ids {
				n := live.Inventory.NSG(id)
				if n == nil {
					continue
				}
				d := evalNSG(n, region, ips)
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
	tag := StorageTag(region)
	var out []Change
	for _, key := range order {
		b := blocked[key]
		c := Change{Action: ActionNSGRule, Target: b.nsg.ID + "/securityRules/" + BackupRuleName, Region: region, Probe: b.probe,
			Args: []any{"NSG", b.nsg.Name, "Rule", b.rule, "Priority", int(b.priority), "Tag", tag, "VMs", strings.Join(b.vms, ", "), "Count", len(b.vms)}}
		if existing := ruleNamed(b.nsg, BackupRuleName); existing != nil {
			// ours exists but does not win: the planner does not edit it
			// (another run, or a person, chose it); it says what to do
			c.Kind, c.Reason = Skip, "change.reason.nsg-rule-loses"
			c.Args = append(c.Args, "Have", int(existing.Priority))
			*conflicts = append(*conflicts, PlanConflict{Field: "network.nsgRulePriority", Reason: "conflict.nsg-rule-loses", Args: c.Args})
			out = append(out, c)
			continue
		}
		prio, reason := pickPriority(b.nsg, b.priority, p.Network.NSGRulePriority)
		if reason != "" {
			c.Kind, c.Reason = Skip, "change.reason.nsg-no-priority"
			*conflicts = append(*conflicts, PlanConflict{Field: "network.nsgRulePriority", Reason: reason, Args: c.Args})
			out = append(out, c)
			continue
		}
		c.Kind, c.Reason, c.To = Create, "change.reason.nsg-rule", strconv.Itoa(int(prio))
		c.Args = append(c.Args, "New", int(prio))
		out = append(out, c)
	}
	return out
}

// BackupRule is the rule added to an NSG at a priority.
func BackupRule(region string, priority int32) azure.SecurityRule {
	return azure.SecurityRule{Name: BackupRuleName, Priority: priority, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
		Sources: []string{"VirtualNetwork"}, Destinations: []string{StorageTag(region)}, DestPorts: []string{"443"}}
}

// pickPriority chooses the rule's priority: the plan's number when it wins
// over the blocking rule and is free among the NSG's outbound rules; with
// "auto", the highest free number below the blocking rule (at most
// backupRulePriorityCeiling), so that the NSG owner's own low numbers stay
// theirs. reason is a conflict's catalog key when there is none.
func pickPriority(n *azure.NSG, blocking int32, want string) (int32, string) {
	used := map[int32]bool{}
	for _, r := range n.Rules {
		if strings.EqualFold(r.Direction, "Outbound") && !r.Default {
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
		return int32(v), ""
	}
	top := min(blocking-1, backupRulePriorityCeiling)
	for p := top; p >= 100; p-- {
		if !used[p] {
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

// ActionGuestProxy pushes the proxy configuration into a VM with Run Command.
const ActionGuestProxy = "vm.guestProxy"

// proxyChanges plans network mode proxy. The guest part: every included VM
// that runs with a Ready agent gets the proxy script through Run Command
// (RunShellScript on Linux, RunPowerShellScript on Windows); the others are
// skipped with what to run on the VM by hand. A VM whose script ran (the
// journal says done) is not pushed again. The NSG rules of the proxy path
// are not in this version: one Skip says so.
func proxyChanges(p *Plan, live LiveState, vms []*azure.VM, region string) []Change {
	px := p.Network.Proxy
	if px == nil {
		px = &PlanProxy{}
	}
	hostPort := guest.Proxy{Host: px.Host, Port: px.Port}.HostPort()
	out := []Change{{Kind: Skip, Action: ActionNetworkMode, Target: p.Network.Mode, Region: region,
		Reason: "change.reason.network-proxy-nsg-later", Args: []any{"Mode", p.Network.Mode, "Proxy", hostPort}}}
	_, perr := guest.NewProxy(px.Host, px.Port, px.NoProxy)
	for _, vm := range vms {
		osType := guestOS(vm.OSType)
		c := Change{Action: ActionGuestProxy, Target: vm.ID, Region: region, To: hostPort,
			Args: []any{"VM", vm.Name, "Host", px.Host, "Port", px.Port, "OS", osType, "Proxy", hostPort}}
		ready := vm.Running() && vm.Agent != nil && strings.EqualFold(vm.Agent.Status, "Ready")
		last, ran := live.Journal.Last(ActionGuestProxy, vm.ID)
		switch {
		case perr != nil:
			c.Kind, c.Reason = Skip, "change.reason.guest-proxy-invalid"
		case ran && last.State == JournalDone:
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
		case osType == "Windows":
			c.Kind, c.Reason = Create, "change.reason.guest-proxy-windows"
		default:
			c.Kind, c.Reason = Create, "change.reason.guest-proxy"
		}
		out = append(out, c)
	}
	return out
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
// network mode is proxy: whether Run Command can reach a VM depends on it
// (ReadLiveState does not read agents). The states land in live.VMs.
func ReadGuestAgents(ctx context.Context, api guestAgentReader, p *Plan, live LiveState) error {
	if p.Network.Mode != NetworkProxy {
		return nil
	}
	var vms []azure.VM
	var targets []*azure.VM
	for _, id := range p.VMs {
		if vm := live.VMs[strings.ToLower(id)]; vm != nil && vm.Running() && vm.Agent == nil {
			vms = append(vms, *vm)
			targets = append(targets, vm)
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
