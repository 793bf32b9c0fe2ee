package steps

import (
	"context"
	"strconv"
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
)

// ActionGuestProxy pushes the proxy configuration into a VM with Run Command.
const ActionGuestProxy = "vm.guestProxy"

// proxyChanges plans network mode proxy. The guest part: every included VM
// that runs with a Ready agent gets the proxy script through Run Command
// (RunShellScript on Linux, RunPowerShellScript on Windows); the others are
// skipped with what to run on the VM by hand. A VM whose script ran (the
// journal says done) is not pushed again. The NSG rules of the proxy path
// are not in this version: one Skip says so.
func proxyChanges(p *Plan, live LiveState, vms []*azure.VM, region string, _ *PlanConflicts) []Change {
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
