package steps

import (
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// rtToday pins OS support lifecycles for the tests and goldens.
var rtToday = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

const (
	rtSub      = "00000000-0000-0000-0000-000000000001"
	rtOtherSub = "00000000-0000-0000-0000-000000000002"
	rtRegion   = "westeurope"
)

func rtPtr[T any](v T) *T { return &v }

func rtID(sub, rg, typ, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + typ + "/" + name
}

var (
	rtSubnetID = rtID(rtSub, "rg-net", "Microsoft.Network/virtualNetworks", "vnet-weu/subnets/default")
	rtNICID    = rtID(rtSub, "rg-app", "Microsoft.Network/networkInterfaces", "app-1-nic")
	rtVaultID  = rtID(rtSub, "rg-backup", "Microsoft.RecoveryServices/vaults", "rsv-weu")
)

// rtHealthyVM is a running, agent-ready Ubuntu 22.04 VM that every rule
// judges ok; each test case breaks one thing.
func rtHealthyVM() *azure.VM {
	return &azure.VM{
		ID:             rtID(rtSub, "rg-app", "Microsoft.Compute/virtualMachines", "app-1"),
		Name:           "app-1",
		SubscriptionID: rtSub,
		ResourceGroup:  "rg-app",
		Location:       rtRegion,
		Size:           "Standard_D2s_v5",
		OSType:         "Linux",
		Image:          azure.Image{Publisher: "Canonical", Offer: "0001-com-ubuntu-server-jammy", SKU: "22_04-lts-gen2", Version: "latest"},
		PowerState:     "running",
		Provisioning:   "Succeeded",
		OSDisk:         azure.Disk{Name: "app-1-os", Managed: true, StorageType: "StandardSSD_LRS", SizeGB: 30},
		DataDisks:      []azure.Disk{{Name: "app-1-data0", Managed: true, StorageType: "StandardSSD_LRS", SizeGB: 128}},
		HasOSProfile:   true,
		ProvisionAgent: rtPtr(true),
		NICIDs:         []string{rtNICID},
		NICs:           []azure.NIC{{ID: rtNICID, Primary: true, SubnetIDs: []string{rtSubnetID}, PrivateIPs: []string{"10.0.1.4"}}},
		Agent: &azure.AgentState{
			Status: "Ready", Code: "ProvisioningState/succeeded", Version: "2.9.1.1",
			OSName: "ubuntu", OSVersion: "22.04", PowerState: "running", Provision: "succeeded",
		},
	}
}

func rtHealthyInv() *azure.Inventory {
	return &azure.Inventory{
		NSGs:    map[string]*azure.NSG{},
		Subnets: map[string]*azure.Subnet{strings.ToLower(rtSubnetID): {ID: rtSubnetID}},
		Vaults: []azure.Vault{{ID: rtVaultID, Name: "rsv-weu", SubscriptionID: rtSub, ResourceGroup: "rg-backup",
			Location: rtRegion, ProvisioningState: "Succeeded"}},
	}
}

// rtDefaultRules are Azure's default outbound NSG rules.
func rtDefaultRules() []azure.SecurityRule {
	return []azure.SecurityRule{
		{Name: "AllowVnetOutBound", Priority: 65000, Direction: "Outbound", Access: "Allow", Protocol: "*", Sources: []string{"VirtualNetwork"}, Destinations: []string{"VirtualNetwork"}, DestPorts: []string{"*"}, Default: true},
		{Name: "AllowInternetOutBound", Priority: 65001, Direction: "Outbound", Access: "Allow", Protocol: "*", Sources: []string{"*"}, Destinations: []string{"Internet"}, DestPorts: []string{"*"}, Default: true},
		{Name: "DenyAllOutBound", Priority: 65500, Direction: "Outbound", Access: "Deny", Protocol: "*", Sources: []string{"*"}, Destinations: []string{"*"}, DestPorts: []string{"*"}, Default: true},
	}
}

func rtOutRule(name string, prio int32, access, proto, dest, ports string) azure.SecurityRule {
	return azure.SecurityRule{Name: name, Priority: prio, Direction: "Outbound", Access: access, Protocol: proto,
		Sources: []string{"*"}, Destinations: []string{dest}, DestPorts: []string{ports}}
}

// rtAddNSG puts an NSG with custom rules (plus the defaults) in inv and
// returns its id.
func rtAddNSG(inv *azure.Inventory, name string, rules ...azure.SecurityRule) string {
	id := rtID(rtSub, "rg-net", "Microsoft.Network/networkSecurityGroups", name)
	inv.NSGs[strings.ToLower(id)] = &azure.NSG{ID: id, Name: name, Location: rtRegion, Rules: append(rules, rtDefaultRules()...)}
	return id
}

type rtCase struct {
	name    string
	rule    string
	setup   func(vm *azure.VM, inv *azure.Inventory)
	nilInv  bool
	cfg     RuleConfig
	verdict Verdict
	key     string            // the case: Msg must be "rule.<rule>.<key>"
	args    map[string]string // optional: args that must have these values
}

var rtCases = []rtCase{
	// vm.deployment-model
	{name: "resource manager", rule: RuleDeploymentModel, verdict: OK, key: "ok"},
	{name: "classic", rule: RuleDeploymentModel, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Classic = true }, verdict: Blocked, key: "classic"},

	// vm.os
	{name: "ubuntu 22.04 from agent", rule: RuleOS, verdict: OK, key: "linux-ok", args: map[string]string{"OS": "Ubuntu 22.04"}},
	{name: "ubuntu from image only", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent = nil; vm.PowerState = "deallocated" },
		verdict: OK, key: "linux-ok", args: map[string]string{"OS": "Ubuntu 22.04"}},
	{name: "ubuntu 18.04 past support", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "Canonical", Offer: "UbuntuServer", SKU: "18.04-LTS"}
	}, verdict: Warn, key: "past-support", args: map[string]string{"OS": "Ubuntu 18.04", "Date": "2023-04-30"}},
	{name: "ubuntu interim release", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.OSVersion = "23.10" },
		verdict: Warn, key: "past-support", args: map[string]string{"OS": "Ubuntu 23.10", "Date": "2024-07-31"}},
	{name: "rhel 7 from agent", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.OSName, vm.Agent.OSVersion = "rhel", "7.9"
		vm.Image = azure.Image{Custom: true}
	}, verdict: Warn, key: "past-support", args: map[string]string{"OS": "Red Hat Enterprise Linux 7"}},
	{name: "rhel 8.10 sku", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "RedHat", Offer: "RHEL", SKU: "810-gen2"}
	}, verdict: OK, key: "linux-ok", args: map[string]string{"OS": "Red Hat Enterprise Linux 8"}},
	{name: "debian 11 ended a day ago", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "Debian", Offer: "debian-11", SKU: "11-gen2"}
	}, verdict: Warn, key: "past-support", args: map[string]string{"Date": "2026-08-31"}},
	{name: "debian 12", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.OSName, vm.Agent.OSVersion = "debian", "12.5"
	}, verdict: OK, key: "linux-ok", args: map[string]string{"OS": "Debian 12"}},
	{name: "sles 15", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "SUSE", Offer: "sles-15-sp5", SKU: "gen2"}
	}, verdict: OK, key: "linux-ok", args: map[string]string{"OS": "SUSE Linux Enterprise Server 15"}},
	{name: "opensuse", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "SUSE", Offer: "opensuse-leap-15-5", SKU: "gen2"}
	}, verdict: OK, key: "linux-ok", args: map[string]string{"OS": "openSUSE Leap 15"}},
	{name: "oracle linux 7", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "Oracle", Offer: "Oracle-Linux", SKU: "ol79-gen2"}
	}, verdict: Warn, key: "past-support", args: map[string]string{"OS": "Oracle Linux 7"}},
	{name: "coreos", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "CoreOS", Offer: "CoreOS", SKU: "Stable"}
	}, verdict: Blocked, key: "linux-unsupported"},
	{name: "byo linux", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.Image = azure.Image{Custom: true}
	}, verdict: Warn, key: "linux-byo"},
	{name: "byo linux named by agent", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.OSName, vm.Agent.OSVersion = "gentoo", "2.14"
		vm.Image = azure.Image{Custom: true}
	}, verdict: Warn, key: "linux-byo", args: map[string]string{"OS": "gentoo"}},
	{name: "32-bit linux", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.OSVersion = "22.04 i686" },
		verdict: Blocked, key: "bits32"},
	{name: "windows server 2022", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "Windows Server 2022 Datacenter Azure Edition", "10.0.20348")
	},
		verdict: OK, key: "windows-ok", args: map[string]string{"OS": "Windows Server 2022"}},
	{name: "windows server 2012 r2 from sku", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "", "")
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "MicrosoftWindowsServer", Offer: "WindowsServer", SKU: "2012-R2-Datacenter"}
	}, verdict: Warn, key: "past-support", args: map[string]string{"OS": "Windows Server 2012 R2", "Date": "2023-10-10"}},
	{name: "windows server 2008 r2", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) { rtWindows(vm, "Windows Server 2008 R2 Datacenter", "6.1.7601") },
		verdict: Warn, key: "past-support", args: map[string]string{"OS": "Windows Server 2008 R2"}},
	{name: "windows server 2003", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) { rtWindows(vm, "Windows Server 2003 Enterprise", "5.2") },
		verdict: Blocked, key: "windows-unsupported"},
	{name: "sql image on server 2019", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "", "")
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "MicrosoftSQLServer", Offer: "sql2019-ws2019", SKU: "enterprise"}
	}, verdict: OK, key: "windows-ok", args: map[string]string{"OS": "Windows Server 2019"}},
	{name: "windows 11", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "", "")
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "MicrosoftWindowsDesktop", Offer: "windows-11", SKU: "win11-23h2-ent"}
	}, verdict: OK, key: "windows-ok", args: map[string]string{"OS": "Windows 11"}},
	{name: "windows 11 reporting as 10", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) { rtWindows(vm, "Windows 10 Enterprise", "10.0.22631") },
		verdict: OK, key: "windows-ok", args: map[string]string{"OS": "Windows 11"}},
	{name: "windows 10 past support", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) { rtWindows(vm, "Windows 10 Enterprise", "10.0.19045") },
		verdict: Warn, key: "past-support", args: map[string]string{"OS": "Windows 10", "Date": "2025-10-14"}},
	{name: "windows 7", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "", "")
		vm.Agent = nil
		vm.Image = azure.Image{Publisher: "MicrosoftWindowsDesktop", Offer: "windows-7", SKU: "win7-enterprise"}
	}, verdict: Blocked, key: "windows-unsupported", args: map[string]string{"OS": "Windows 7"}},
	{name: "windows custom image stopped", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "", "")
		vm.Agent = nil
		vm.Image = azure.Image{Custom: true}
	}, verdict: Warn, key: "windows-unknown"},
	{name: "os type from image", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.OSType = ""
		vm.Agent = nil
	}, verdict: OK, key: "linux-ok"},
	{name: "os unknown", rule: RuleOS, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.OSType = ""
		vm.Agent = nil
		vm.Image = azure.Image{}
	}, verdict: Warn, key: "unknown"},

	// vm.disks
	{name: "two disks", rule: RuleDisks, verdict: OK, key: "ok"},
	{name: "premium", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.OSDisk.StorageType = "Premium_LRS" }, verdict: OK, key: "premium"},
	{name: "20 managed rtDisks over the guide", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.DataDisks = rtDisks(20, true) },
		verdict: Info, key: "over-guide-limit", args: map[string]string{"Count": "20", "Max": "32", "Old": "16"}},
	{name: "32 managed disks", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.DataDisks = rtDisks(32, true) }, verdict: Info, key: "over-guide-limit"},
	{name: "33 managed disks", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.DataDisks = rtDisks(33, true) }, verdict: Blocked, key: "managed-count"},
	{name: "16 unmanaged disks", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.OSDisk.Managed = false
		vm.DataDisks = rtDisks(16, false)
	}, verdict: OK, key: "ok"},
	{name: "17 unmanaged disks", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.OSDisk.Managed = false
		vm.DataDisks = rtDisks(17, false)
	}, verdict: Blocked, key: "unmanaged-count", args: map[string]string{"Count": "17", "Max": "16"}},
	{name: "disk over 32 TB", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.DataDisks[0].StorageType, vm.DataDisks[0].SizeGB = "UltraSSD_LRS", 65536
	}, verdict: Blocked, key: "too-large", args: map[string]string{"Disk": "app-1-data0"}},
	{name: "ephemeral os disk", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.EphemeralOS = true }, verdict: Blocked, key: "ephemeral"},
	{name: "premium v2", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.DataDisks[0].StorageType = "PremiumV2_LRS" },
		verdict: Warn, key: "enhanced-only", args: map[string]string{"Type": "PremiumV2_LRS"}},
	{name: "ultra", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.DataDisks[0].StorageType = "UltraSSD_LRS" }, verdict: Warn, key: "enhanced-only"},
	{name: "write accelerator", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.DataDisks[0].WriteAccelerator = true }, verdict: Info, key: "write-accelerator"},
	{name: "no storage profile", rule: RuleDisks, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.OSDisk = azure.Disk{}
		vm.DataDisks = nil
	}, verdict: Warn, key: "unknown"},

	// vm.power
	{name: "running", rule: RulePower, verdict: OK, key: "running"},
	{name: "deallocated", rule: RulePower, setup: rtStop("deallocated"), verdict: Warn, key: "deallocated"},
	{name: "stopped", rule: RulePower, setup: rtStop("stopped"), verdict: Warn, key: "stopped"},
	{name: "instance view wins", rule: RulePower, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.PowerState = "stopping" },
		verdict: Warn, key: "transitioning", args: map[string]string{"State": "stopping"}},
	{name: "power unknown", rule: RulePower, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.PowerState = ""
		vm.Agent = nil
	}, verdict: Warn, key: "unknown"},
	{name: "provisioning failed", rule: RulePower, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Provisioning = "Failed" }, verdict: Warn, key: "provisioning-failed"},

	// vm.security
	{name: "standard", rule: RuleSecurity, verdict: OK, key: "standard"},
	{name: "trusted launch", rule: RuleSecurity, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.SecurityType = "TrustedLaunch" }, verdict: Info, key: "trusted-launch"},
	{name: "confidential", rule: RuleSecurity, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.SecurityType = "ConfidentialVM" }, verdict: Warn, key: "confidential"},
	{name: "future type", rule: RuleSecurity, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.SecurityType = "QuantumVM" }, verdict: Warn, key: "unknown"},

	// vm.restore-network
	{name: "one nic", rule: RuleRestoreNetwork, verdict: OK, key: "simple"},
	{name: "two nics", rule: RuleRestoreNetwork, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.NICs = append(vm.NICs, azure.NIC{ID: rtNICID + "2", SubnetIDs: []string{rtSubnetID}})
	}, verdict: Info, key: "multi-nic", args: map[string]string{"Count": "2"}},
	{name: "load balancer", rule: RuleRestoreNetwork, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.NICs[0].LoadBalanced = true }, verdict: Info, key: "load-balancer"},
	{name: "two public ips", rule: RuleRestoreNetwork, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.NICs[0].PublicIPs = 2 }, verdict: Info, key: "public-ips"},
	{name: "no network profile", rule: RuleRestoreNetwork, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.NICs, vm.NICIDs = nil, nil
	}, verdict: Warn, key: "unknown"},
	{name: "dangling nic", rule: RuleRestoreNetwork, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.NICs = []azure.NIC{{ID: rtNICID, Missing: true}} },
		verdict: Warn, key: "unknown"},

	// agent.status
	{name: "ready", rule: RuleAgentStatus, verdict: OK, key: "ready"},
	{name: "not ready", rule: RuleAgentStatus, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.Status, vm.Agent.Code, vm.Agent.Message = "Not Ready", "ProvisioningState/Unavailable", "VM status blob is found but not yet populated."
	}, verdict: Fixable, key: "not-ready", args: map[string]string{"Detail": "VM status blob is found but not yet populated."}},
	{name: "not ready silent", rule: RuleAgentStatus, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.Status, vm.Agent.Code, vm.Agent.Message = "Not Ready", "", ""
	}, verdict: Fixable, key: "not-ready-silent"},
	{name: "not provisioned", rule: RuleAgentStatus, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.ProvisionAgent = rtPtr(false)
		vm.Agent = &azure.AgentState{PowerState: "running"}
	}, verdict: Fixable, key: "not-provisioned"},
	{name: "not provisioned and stopped", rule: RuleAgentStatus, setup: func(vm *azure.VM, inv *azure.Inventory) {
		rtStop("deallocated")(vm, inv)
		vm.ProvisionAgent = rtPtr(false)
	}, verdict: Fixable, key: "not-provisioned"},
	{name: "no agent section", rule: RuleAgentStatus, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent = &azure.AgentState{PowerState: "running"} },
		verdict: Fixable, key: "absent"},
	{name: "odd status", rule: RuleAgentStatus, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.Status = "Updating" }, verdict: Warn, key: "unexpected"},
	{name: "vm stopped", rule: RuleAgentStatus, setup: rtStop("deallocated"), verdict: Warn, key: "not-running"},
	{name: "instance view refused", rule: RuleAgentStatus, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent = nil
		vm.AgentErr = &azure.Error{Kind: azure.KindForbidden, Op: "instance-view", Status: 403, Code: "AuthorizationFailed"}
	}, verdict: Warn, key: "unreadable", args: map[string]string{"Reason": "AuthorizationFailed"}},
	{name: "not read", rule: RuleAgentStatus, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent = nil }, verdict: Warn, key: "not-read"},

	// agent.version
	{name: "linux current", rule: RuleAgentVersion, verdict: OK, key: "current", args: map[string]string{"Floor": DefaultLinuxAgentFloor}},
	{name: "linux old", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.Version = "2.2.45" },
		verdict: Fixable, key: "old", args: map[string]string{"Version": "2.2.45", "Floor": "2.2.53"}},
	{name: "linux equal", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.Version = "2.2.53.0" }, verdict: OK, key: "current"},
	{name: "windows old", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "Windows Server 2019 Datacenter", "10.0.17763")
		vm.Agent.Version = "2.6.1198.600"
	}, verdict: Fixable, key: "old", args: map[string]string{"Version": "2.6.1198.600", "Floor": "2.6.1198.718"}},
	{name: "windows default floor is the guide's", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "Windows Server 2019 Datacenter", "10.0.17763")
		vm.Agent.Version = "2.6.1198.718"
	}, verdict: OK, key: "current", args: map[string]string{"Floor": "2.6.1198.718"}},
	{name: "windows 2.7 current", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "Windows Server 2019 Datacenter", "10.0.17763")
		vm.Agent.Version = "2.7.41491.1010"
	}, verdict: OK, key: "current", args: map[string]string{"Floor": DefaultWindowsAgentFloor}},
	{name: "windows configured floor", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "Windows Server 2019 Datacenter", "10.0.17763")
		vm.Agent.Version = "2.7.41491.1010"
	}, cfg: RuleConfig{AgentFloor: map[string]string{"Windows": "2.7.41491.1102"}}, verdict: Fixable, key: "old", args: map[string]string{"Floor": "2.7.41491.1102"}},
	{name: "windows 2016 floor of the guide", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) {
		rtWindows(vm, "Windows Server 2019 Datacenter", "10.0.17763")
		vm.Agent.Version = "2.6.1198.718"
	}, cfg: RuleConfig{AgentFloor: map[string]string{"windows": "2.6.1198.718"}}, verdict: OK, key: "current"},
	{name: "configured floor", rule: RuleAgentVersion, cfg: RuleConfig{AgentFloor: map[string]string{"Linux": "2.10"}},
		verdict: Fixable, key: "old", args: map[string]string{"Floor": "2.10"}},
	{name: "version Unknown", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.Version = "Unknown" }, verdict: Warn, key: "unknown"},
	{name: "no agent", rule: RuleAgentVersion, setup: rtStop("stopped"), verdict: Warn, key: "unknown"},
	{name: "garbage version", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.Agent.Version = "n/a" }, verdict: Warn, key: "unparsable"},
	{name: "os type unknown", rule: RuleAgentVersion, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.OSType, vm.Image, vm.Agent.OSName = "", azure.Image{}, ""
	}, verdict: Warn, key: "no-floor"},

	// agent.extensions
	{name: "allowed", rule: RuleAgentExtensions, verdict: OK, key: "allowed"},
	{name: "allowed by default", rule: RuleAgentExtensions, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.AllowExtOps = nil }, verdict: OK, key: "allowed"},
	{name: "disallowed", rule: RuleAgentExtensions, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.AllowExtOps = rtPtr(false) },
		verdict: Fixable, key: "disallowed", args: map[string]string{"VM": "app-1", "ResourceGroup": "rg-app"}},
	{name: "guest disabled", rule: RuleAgentExtensions, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.Message = "Guest Agent is running; Extension processing is disabled (Extensions.Enabled=n)"
	}, verdict: Fixable, key: "guest-disabled"},
	{name: "specialized disk", rule: RuleAgentExtensions, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.HasOSProfile, vm.ProvisionAgent, vm.AllowExtOps = false, nil, nil
	}, verdict: Info, key: "specialized"},

	// extension.snapshot
	{name: "absent", rule: RuleSnapshotExt, verdict: OK, key: "absent"},
	{name: "healthy", rule: RuleSnapshotExt, setup: rtSnapshot("ProvisioningState/succeeded", "Info", ""), verdict: OK, key: "healthy", args: map[string]string{"Name": "VMSnapshotLinux"}},
	{name: "failed", rule: RuleSnapshotExt, setup: rtSnapshot("ProvisioningState/failed/0", "Error", "Enable failed"),
		verdict: Fixable, key: "failed", args: map[string]string{"Detail": "Enable failed"}},
	{name: "error level", rule: RuleSnapshotExt, setup: rtSnapshot("ProvisioningState/succeeded", "Error", ""), verdict: Fixable, key: "failed"},
	{name: "stuck deleting", rule: RuleSnapshotExt, setup: rtSnapshot("ProvisioningState/deleting", "Info", ""), verdict: Fixable, key: "stuck-deleting"},
	{name: "transitioning", rule: RuleSnapshotExt, setup: rtSnapshot("ProvisioningState/transitioning", "Info", ""),
		verdict: Info, key: "transitioning", args: map[string]string{"State": "transitioning"}},
	{name: "updating", rule: RuleSnapshotExt, setup: rtSnapshot("ProvisioningState/updating", "Info", ""),
		verdict: Info, key: "transitioning", args: map[string]string{"State": "updating"}},
	{name: "transitioning but failed", rule: RuleSnapshotExt, setup: rtSnapshot("ProvisioningState/transitioning", "Error", "Enable failed"),
		verdict: Fixable, key: "failed", args: map[string]string{"Detail": "Enable failed"}},
	{name: "odd state", rule: RuleSnapshotExt, setup: rtSnapshot("", "", ""), verdict: Warn, key: "unexpected"},
	{name: "found by type", rule: RuleSnapshotExt, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.Extensions = []azure.ExtensionState{{Type: "Microsoft.Azure.RecoveryServices.VMSnapshot", Code: "ProvisioningState/succeeded"}}
	}, verdict: OK, key: "healthy", args: map[string]string{"Name": "VMSnapshot"}},
	{name: "no instance view", rule: RuleSnapshotExt, setup: rtStop("deallocated"), verdict: Warn, key: "unknown"},

	// vault.region
	{name: "vault here", rule: RuleVaultRegion, verdict: OK, key: "found", args: map[string]string{"Vault": "rsv-weu", "Count": "1"}},
	{name: "two vaults here", rule: RuleVaultRegion, setup: func(_ *azure.VM, inv *azure.Inventory) {
		inv.Vaults = append(inv.Vaults, azure.Vault{ID: "x", Name: "a-rsv", SubscriptionID: rtSub, Location: "West Europe"})
	}, verdict: OK, key: "found", args: map[string]string{"Vault": "a-rsv", "Count": "2"}},
	{name: "vault elsewhere only", rule: RuleVaultRegion, setup: func(_ *azure.VM, inv *azure.Inventory) {
		inv.Vaults[0].Location = "northeurope"
		inv.Vaults = append(inv.Vaults, azure.Vault{Name: "other-sub", SubscriptionID: rtOtherSub, Location: rtRegion})
	}, verdict: Fixable, key: "none", args: map[string]string{"Location": rtRegion}},
	{name: "vault failed to provision", rule: RuleVaultRegion, setup: func(_ *azure.VM, inv *azure.Inventory) { inv.Vaults[0].ProvisioningState = "Failed" },
		verdict: Fixable, key: "none"},
	{name: "already protected", rule: RuleVaultRegion, setup: func(vm *azure.VM, inv *azure.Inventory) {
		inv.Vaults = nil
		vm.Protection = &azure.Protection{VaultID: rtVaultID, State: "Protected"}
	}, verdict: OK, key: "protected", args: map[string]string{"Vault": "rsv-weu"}},
	{name: "vaults not read", rule: RuleVaultRegion, nilInv: true, verdict: Warn, key: "unknown"},

	// backup.status
	{name: "not protected", rule: RuleBackupStatus, verdict: OK, key: "not-protected"},
	{name: "protected here", rule: RuleBackupStatus, setup: rtProtect("Protected", "Passed"), verdict: OK, key: "protected", args: map[string]string{"Vault": "rsv-weu"}},
	{name: "first backup pending", rule: RuleBackupStatus, setup: rtProtect("IRPending", ""), verdict: OK, key: "protected", args: map[string]string{"State": "IRPending"}},
	{name: "protection error", rule: RuleBackupStatus, setup: rtProtect("ProtectionError", ""), verdict: Warn, key: "failing", args: map[string]string{"State": "ProtectionError"}},
	{name: "action required", rule: RuleBackupStatus, setup: rtProtect("Protected", "ActionRequired"), verdict: Warn, key: "failing"},
	{name: "last backup failed", rule: RuleBackupStatus, setup: func(vm *azure.VM, inv *azure.Inventory) {
		rtProtect("Protected", "")(vm, inv)
		vm.Protection.LastBackupState = "Failed"
	}, verdict: Warn, key: "failing"},
	{name: "stopped", rule: RuleBackupStatus, setup: rtProtect("ProtectionStopped", ""), verdict: Info, key: "stopped"},
	{name: "other subscription", rule: RuleBackupStatus, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.Protection = &azure.Protection{VaultID: rtID(rtOtherSub, "rg", "Microsoft.RecoveryServices/vaults", "far"), State: "Protected"}
	}, verdict: Info, key: "elsewhere", args: map[string]string{"Vault": "far", "Where": rtOtherSub}},
	{name: "other region", rule: RuleBackupStatus, setup: func(vm *azure.VM, inv *azure.Inventory) {
		rtProtect("Protected", "")(vm, inv)
		inv.Vaults[0].Location = "northeurope"
	}, verdict: Info, key: "elsewhere", args: map[string]string{"Where": "northeurope"}},

	// network.outbound
	{name: "no nsg", rule: RuleNetworkOutbound, verdict: OK, key: "no-nsg"},
	{name: "default rules", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) { vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic") },
		verdict: OK, key: "allowed", args: map[string]string{"NSGs": "nsg-nic"}},
	{name: "nsg without default rules", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		id := rtAddNSG(inv, "nsg-nic")
		inv.NSG(id).Rules = nil
		vm.NICs[0].NSGID = id
	}, verdict: OK, key: "allowed"},
	{name: "deny internet", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic", rtOutRule("deny-internet", 100, "Deny", "*", "Internet", "*"))
	}, verdict: Warn, key: "denied", args: map[string]string{"Rule": "deny-internet", "Priority": "100", "NSG": "nsg-nic", "Region": rtRegion}},
	{name: "deny with write accelerator", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		vm.DataDisks[0].WriteAccelerator = true
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic", rtOutRule("deny-internet", 100, "Deny", "*", "Internet", "*"))
	}, verdict: Fixable, key: "denied-write-accelerator"},
	{name: "allow storage tag first", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic",
			rtOutRule("deny-all", 4000, "Deny", "*", "*", "*"),
			rtOutRule("allow-storage", 200, "Allow", "Tcp", "Storage.WestEurope", "443"))
	}, verdict: OK, key: "allowed"},
	{name: "storage tag of another region", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic",
			rtOutRule("allow-storage-eus", 200, "Allow", "Tcp", "Storage.EastUS", "443"),
			rtOutRule("deny-all", 4000, "Deny", "*", "*", "*"))
	}, verdict: Warn, key: "denied", args: map[string]string{"Rule": "deny-all"}},
	{name: "subnet nsg denies", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic")
		inv.Subnet(rtSubnetID).NSGID = rtAddNSG(inv, "nsg-subnet", rtOutRule("block-https", 300, "Deny", "Tcp", "0.0.0.0/0", "80-443"))
	}, verdict: Warn, key: "denied", args: map[string]string{"NSG": "nsg-subnet", "Rule": "block-https", "Priority": "300"}},
	{name: "deny of other ports ignored", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic",
			rtOutRule("deny-8443", 100, "Deny", "Tcp", "*", "8443"),
			rtOutRule("deny-udp", 110, "Deny", "Udp", "*", "*"),
			rtOutRule("deny-inbound", 120, "Deny", "*", "*", "*"))
		rules := inv.NSG(vm.NICs[0].NSGID).Rules
		rules[2].Direction = "Inbound"
	}, verdict: OK, key: "allowed"},
	{name: "deny for another source ignored", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		r := rtOutRule("deny-other-subnet", 100, "Deny", "*", "*", "*")
		r.Sources = []string{"10.9.0.0/16"}
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic", r)
	}, verdict: OK, key: "allowed"},
	{name: "deny for this vm's address", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		r := rtOutRule("deny-app", 100, "Deny", "*", "*", "*")
		r.Sources = []string{"10.0.1.4"}
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic", r)
	}, verdict: Warn, key: "denied"},
	{name: "nsg missing", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, _ *azure.Inventory) {
		vm.NICs[0].NSGID = rtID(rtSub, "rg-net", "Microsoft.Network/networkSecurityGroups", "gone")
	}, verdict: Warn, key: "nsg-unreadable", args: map[string]string{"Name": "gone"}},
	{name: "subnet nsg missing", rule: RuleNetworkOutbound, setup: func(_ *azure.VM, inv *azure.Inventory) {
		inv.Subnet(rtSubnetID).NSGID = rtID(rtSub, "rg-net", "Microsoft.Network/networkSecurityGroups", "gone")
	}, verdict: Warn, key: "nsg-unreadable"},
	{name: "subnet missing", rule: RuleNetworkOutbound, setup: func(_ *azure.VM, inv *azure.Inventory) { inv.Subnets = nil },
		verdict: Warn, key: "subnet-unreadable", args: map[string]string{"Name": "default"}},
	{name: "nic missing", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.NICs = []azure.NIC{{ID: rtNICID, Missing: true}} },
		verdict: Warn, key: "nic-unreadable", args: map[string]string{"Name": "app-1-nic"}},
	{name: "deny beats unreadable", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, inv *azure.Inventory) {
		vm.NICs[0].NSGID = rtAddNSG(inv, "nsg-nic", rtOutRule("deny-internet", 100, "Deny", "*", "Internet", "*"))
		vm.NICs = append(vm.NICs, azure.NIC{ID: rtNICID + "2", Missing: true})
	}, verdict: Warn, key: "denied"},
	{name: "private subnet", rule: RuleNetworkOutbound, setup: func(_ *azure.VM, inv *azure.Inventory) {
		inv.Subnet(rtSubnetID).DefaultOutboundAccess = rtPtr(false)
	}, verdict: Warn, key: "no-egress"},
	{name: "private subnet with nat gateway", rule: RuleNetworkOutbound, setup: func(_ *azure.VM, inv *azure.Inventory) {
		s := inv.Subnet(rtSubnetID)
		s.DefaultOutboundAccess, s.NATGatewayID = rtPtr(false), "/natGateways/ng"
	}, verdict: OK, key: "no-nsg"},
	{name: "network not read", rule: RuleNetworkOutbound, nilInv: true, verdict: Warn, key: "unknown"},
	{name: "no nics", rule: RuleNetworkOutbound, setup: func(vm *azure.VM, _ *azure.Inventory) { vm.NICs, vm.NICIDs = nil, nil },
		verdict: Warn, key: "unknown"},
}

// rtFindingCall finds finding(RuleX, Verdict, "case" calls in rules.go.
var rtFindingCall = regexp.MustCompile(`finding\((Rule\w+), (\w+), "([^"]+)"`)

func rtReadSource(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}

func rtWindows(vm *azure.VM, name, version string) {
	vm.OSType = "Windows"
	vm.Image = azure.Image{Publisher: "MicrosoftWindowsServer", Offer: "WindowsServer", SKU: "2022-datacenter-azure-edition"}
	if vm.Agent != nil {
		vm.Agent.OSName, vm.Agent.OSVersion = name, version
	}
	vm.OSName, vm.OSVersion = name, version
}

func rtDisks(n int, managed bool) []azure.Disk {
	out := make([]azure.Disk, n)
	for i := range out {
		out[i] = azure.Disk{Name: fmt.Sprintf("data%d", i), Managed: managed, StorageType: "Standard_LRS", SizeGB: 64}
	}
	return out
}

func rtStop(state string) func(*azure.VM, *azure.Inventory) {
	return func(vm *azure.VM, _ *azure.Inventory) {
		vm.PowerState = state
		vm.Agent = nil
	}
}

func rtSnapshot(code, level, msg string) func(*azure.VM, *azure.Inventory) {
	return func(vm *azure.VM, _ *azure.Inventory) {
		vm.Agent.Extensions = []azure.ExtensionState{
			{Name: "MDE.Linux", Type: "Microsoft.Azure.AzureDefenderForServers.MDE.Linux", Code: "ProvisioningState/succeeded"},
			{Name: "VMSnapshotLinux", Type: "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", Version: "1.0.9225.0", Code: code, Level: level, Message: msg},
		}
	}
}

func rtProtect(state, health string) func(*azure.VM, *azure.Inventory) {
	return func(vm *azure.VM, _ *azure.Inventory) {
		vm.Protection = &azure.Protection{ItemID: rtVaultID + "/backupFabrics/Azure/protectionContainers/c/protectedItems/i",
			VaultID: rtVaultID, State: state, HealthStatus: health, PolicyName: "DefaultPolicy"}
	}
}

func rtArgs(args []any) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		m[fmt.Sprint(args[i])] = fmt.Sprint(args[i+1])
	}
	return m
}

func rtTranslators(t testing.TB) map[string]*ui.Translator {
	t.Helper()
	out := map[string]*ui.Translator{}
	for _, l := range ui.Languages {
		tr, err := ui.NewTranslator(l)
		if err != nil {
			t.Fatal(err)
		}
		out[l] = tr
	}
	return out
}

// rtCheckText fails when a finding's text is missing from a catalog or a
// template refers to an argument the rule did not pass.
func rtCheckText(t *testing.T, f Finding, trs map[string]*ui.Translator) {
	t.Helper()
	for lang, tr := range trs {
		msg, fix := f.Text(tr)
		if msg == f.Msg || msg == "" {
			t.Errorf("%s: %s has no text", lang, f.Msg)
		}
		if f.Verdict != OK && (fix == f.Fix || fix == "") {
			t.Errorf("%s: %s has no fix text", lang, f.Fix)
		}
		for _, s := range []string{msg, fix} {
			if strings.Contains(s, "<no value>") || strings.Contains(s, "{{") {
				t.Errorf("%s: %s: unfilled template: %q", lang, f.Msg, s)
			}
		}
	}
}

func TestRules(t *testing.T) {
	trs := rtTranslators(t)
	seen := map[string]bool{}
	for _, tc := range rtCases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			vm, inv := rtHealthyVM(), rtHealthyInv()
			if tc.setup != nil {
				tc.setup(vm, inv)
			}
			if tc.nilInv {
				inv = nil
			}
			cfg := tc.cfg
			cfg.Today = rtToday
			fs := Evaluate(vm, inv, cfg)
			i := slices.Index(Rules, tc.rule)
			if i < 0 {
				t.Fatalf("unknown rule %q", tc.rule)
			}
			f := fs[i]
			wantKey := "rule." + tc.rule + "." + tc.key
			if f.Rule != tc.rule || f.Verdict != tc.verdict || f.Msg != wantKey {
				t.Fatalf("got %s %s %s, want %s %s %s (args %v)", f.Rule, f.Verdict, f.Msg, tc.rule, tc.verdict, wantKey, f.Args)
			}
			if tc.verdict == OK && f.Fix != "" {
				t.Errorf("ok finding has a fix %q", f.Fix)
			}
			if tc.verdict != OK && f.Fix != wantKey+".fix" {
				t.Errorf("fix key = %q", f.Fix)
			}
			if !strings.HasPrefix(f.Docs, "https://learn.microsoft.com/") {
				t.Errorf("docs = %q", f.Docs)
			}
			got := rtArgs(f.Args)
			for k, v := range tc.args {
				if got[k] != v {
					t.Errorf("arg %s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
			rtCheckText(t, f, trs)
		})
		seen[tc.rule+" "+string(tc.verdict)] = true
	}
	// Every rule is tested for ok, and for every verdict it can give.
	can := map[string][]Verdict{
		RuleDeploymentModel: {OK, Blocked},
		RuleOS:              {OK, Warn, Blocked},
		RuleDisks:           {OK, Info, Warn, Blocked},
		RulePower:           {OK, Warn},
		RuleSecurity:        {OK, Info, Warn},
		RuleRestoreNetwork:  {OK, Info, Warn},
		RuleAgentStatus:     {OK, Warn, Fixable},
		RuleAgentVersion:    {OK, Warn, Fixable},
		RuleAgentExtensions: {OK, Info, Fixable},
		RuleSnapshotExt:     {OK, Warn, Fixable},
		RuleVaultRegion:     {OK, Warn, Fixable},
		RuleBackupStatus:    {OK, Info, Warn},
		RuleNetworkOutbound: {OK, Warn, Fixable},
	}
	for _, id := range Rules {
		vs, ok := can[id]
		if !ok {
			t.Errorf("rule %s has no expected verdicts", id)
		}
		for _, v := range vs {
			if !seen[id+" "+string(v)] {
				t.Errorf("no test case gives %s %s", id, v)
			}
		}
	}
}

// Every case a rule can answer has its text in every catalog.
func TestRuleKeysInCatalogs(t *testing.T) {
	keys, err := ui.CatalogKeys()
	if err != nil {
		t.Fatal(err)
	}
	src, err := rtReadSource("rules.go")
	if err != nil {
		t.Fatal(err)
	}
	// Cases named literally in finding(Rule…, verdict, "case", …) calls, plus
	// the family-prefixed ones of vm.os.
	cases := map[string][]string{RuleOS: {"windows-ok", "linux-ok", "windows-unsupported", "linux-unsupported"}}
	ids := map[string]string{
		"RuleDeploymentModel": RuleDeploymentModel, "RuleOS": RuleOS, "RuleDisks": RuleDisks, "RulePower": RulePower,
		"RuleSecurity": RuleSecurity, "RuleRestoreNetwork": RuleRestoreNetwork, "RuleAgentStatus": RuleAgentStatus,
		"RuleAgentVersion": RuleAgentVersion, "RuleAgentExtensions": RuleAgentExtensions, "RuleSnapshotExt": RuleSnapshotExt,
		"RuleVaultRegion": RuleVaultRegion, "RuleBackupStatus": RuleBackupStatus, "RuleNetworkOutbound": RuleNetworkOutbound,
	}
	for _, m := range rtFindingCall.FindAllStringSubmatch(src, -1) {
		id, ok := ids[m[1]]
		if !ok {
			t.Fatalf("unknown rule constant %s", m[1])
		}
		cases[id] = append(cases[id], m[3])
		if m[2] != "OK" {
			cases[id] = append(cases[id], m[3]+".fix")
		}
	}
	cases[RuleOS] = append(cases[RuleOS], "windows-unsupported.fix", "linux-unsupported.fix")
	cases[RulePower] = append(cases[RulePower], "stopped", "stopped.fix", "deallocated", "deallocated.fix")
	n := 0
	for id, cs := range cases {
		for _, c := range cs {
			key := "rule." + id + "." + c
			n++
			for _, l := range ui.Languages {
				if !slices.Contains(keys[l], key) {
					t.Errorf("%s: missing %s", l, key)
				}
			}
		}
	}
	if n < 60 {
		t.Fatalf("found only %d keys in rules.go; is the pattern stale?", n)
	}
}

func TestEvaluate(t *testing.T) {
	want := []string{"vm.deployment-model", "vm.os", "vm.disks", "vm.power", "vm.security", "vm.restore-network",
		"agent.status", "agent.version", "agent.extensions", "extension.snapshot", "vault.region", "backup.status", "network.outbound"}
	if !slices.Equal(Rules, want) {
		t.Fatalf("Rules = %v, want the DESIGN §2a order %v", Rules, want)
	}
	cfg := RuleConfig{Today: rtToday}
	tests := []struct {
		name string
		vm   *azure.VM
		inv  *azure.Inventory
		want Verdict
	}{
		{"healthy", rtHealthyVM(), rtHealthyInv(), OK},
		{"nil vm and inventory", nil, nil, Warn},
		{"empty vm", &azure.VM{}, &azure.Inventory{}, Warn},
		{"old api shape", &azure.VM{ID: "/x", Name: "old", NICIDs: []string{"/nic"}}, &azure.Inventory{}, Warn},
		{"blocked beats fixable", func() *azure.VM {
			vm := rtHealthyVM()
			vm.Classic = true
			vm.Agent.Version = "1.0"
			return vm
		}(), rtHealthyInv(), Blocked},
		{"fixable beats warn", func() *azure.VM {
			vm := rtHealthyVM()
			vm.Agent.Version = "2.0"
			vm.SecurityType = "ConfidentialVM"
			return vm
		}(), rtHealthyInv(), Fixable},
		{"info", func() *azure.VM {
			vm := rtHealthyVM()
			vm.SecurityType = "TrustedLaunch"
			return vm
		}(), rtHealthyInv(), Info},
	}
	trs := rtTranslators(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := Evaluate(tc.vm, tc.inv, cfg)
			if len(fs) != len(Rules) {
				t.Fatalf("%d findings, want %d", len(fs), len(Rules))
			}
			worst := OK
			for i, f := range fs {
				if f.Rule != Rules[i] {
					t.Errorf("finding %d is %s, want %s", i, f.Rule, Rules[i])
				}
				if f.Msg == "" || f.Docs == "" {
					t.Errorf("%s: empty message key or docs", f.Rule)
				}
				worst = Worse(worst, f.Verdict)
				rtCheckText(t, f, trs)
			}
			r := VMResult{VM: tc.vm, Findings: fs}
			r.Finalize()
			if r.Verdict != worst || r.Verdict != tc.want {
				t.Fatalf("VM verdict %s (worst finding %s), want %s", r.Verdict, worst, tc.want)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"2.2.53", "2.2.53", 0, true},
		{"2.2.53.0", "2.2.53", 0, true},
		{"2.2.45", "2.2.53", -1, true},
		{"2.10.0", "2.9.9", 1, true},
		{"2.7.41491.1102", "2.7.41491.1101", 1, true},
		{"2.6.1198.718", "2.7.41491.1102", -1, true},
		{"WALinuxAgent-2.2.53", "2.2.53", 0, true},
		{"v2.3", "2.2.99", 1, true},
		{"2.2.53 (Goal State Agent)", "2.2.53", 0, true},
		{"2.2.053", "2.2.53", 0, true},
		{"99999999999999999999999.1", "99999999999999999999998.9", 1, true},
		{"Unknown", "2.2.53", 0, false},
		{"", "1", 0, false},
		{"2..3", "2.0.3", 0, false},
	}
	for _, tc := range tests {
		got, ok := compareVersions(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("compareVersions(%q, %q) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPortAndPrefixMatchers(t *testing.T) {
	ports := map[string]bool{"*": true, "443": true, "80-443": true, "443-443": true, " 443 ": true, "0-65535": true, "80,443": true,
		"444": false, "1-442": false, "443-80": false, "": false, "abc": false, "-443": false, "443-": false, "70000": false}
	for spec, want := range ports {
		if got := portMatches(spec, 443); got != want {
			t.Errorf("portMatches(%q, 443) = %v", spec, got)
		}
	}
	dests := map[string]bool{"*": true, "Internet": true, "Storage": true, "Storage.WestEurope": true, "storage.westeurope": true,
		"AzureCloud": true, "AzureCloud.WestEurope": true, "0.0.0.0/0": true, "::/0": true,
		"Storage.EastUS": false, "VirtualNetwork": false, "10.0.0.0/8": false, "20.0.0.0/8": false, "AzureBackup": false, "": false}
	for p, want := range dests {
		if got := destMatches(p, rtRegion); got != want {
			t.Errorf("destMatches(%q) = %v", p, got)
		}
	}
	ips := []netip.Addr{netip.MustParseAddr("10.0.1.4")}
	srcs := map[string]bool{"*": true, "VirtualNetwork": true, "10.0.0.0/16": true, "10.0.1.4": true, "10.0.1.4/32": true,
		"10.9.0.0/16": false, "AzureLoadBalancer": false, "Internet": false}
	for p, want := range srcs {
		if got := sourceMatches(p, ips); got != want {
			t.Errorf("sourceMatches(%q) = %v", p, got)
		}
	}
	if !sourceMatches("192.168.0.0/24", nil) {
		t.Error("a prefix should match when the VM's addresses are unknown")
	}
}

func TestMajorVersion(t *testing.T) {
	for in, want := range map[string]int{"8.6": 8, "8_6": 8, "86-gen2": 8, "810-gen2": 8, "ol79": 7, "sles-15-sp5": 15,
		"debian-12": 12, "10": 10, "9-lvm-gen2": 9, "7.9.2009": 7, "cbl-mariner-2": 2, "106": 10} {
		if got, ok := majorVersion(in); !ok || got != want {
			t.Errorf("majorVersion(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	if _, ok := majorVersion("gen2x"); !ok {
		t.Log("gen2x reads as 2: acceptable")
	}
	if _, ok := majorVersion("lvm"); ok {
		t.Error("no digits must not parse")
	}
}

func rtBigCompare(a, b []string) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		x, y := new(big.Int), new(big.Int)
		if i < len(a) {
			x.SetString(a[i], 10)
		}
		if i < len(b) {
			y.SetString(b[i], 10)
		}
		if c := x.Cmp(y); c != 0 {
			return c
		}
	}
	return 0
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range [][2]string{{"2.2.53", "2.2.45"}, {"2.7.41491.1102", "2.6.1198.718"}, {"Unknown", "1"}, {"01.2", "1.2.0"}, {"1..2", "v3"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c, ok := compareVersions(a, b)
		r, okr := compareVersions(b, a)
		if ok != okr {
			t.Fatalf("ok differs by order: %v %v", ok, okr)
		}
		if !ok {
			return
		}
		if c != -r {
			t.Fatalf("not antisymmetric: %d %d", c, r)
		}
		if self, _ := compareVersions(a, a); self != 0 {
			t.Fatalf("%q != itself", a)
		}
		pa, _ := versionParts(a)
		pb, _ := versionParts(b)
		if want := rtBigCompare(pa, pb); want != c {
			t.Fatalf("compareVersions(%q, %q) = %d, numerically %d", a, b, c, want)
		}
	})
}

func FuzzPortMatches(f *testing.F) {
	f.Add("80-443", uint16(443), uint16(80), uint16(443))
	f.Add("*", uint16(1), uint16(0), uint16(0))
	f.Add("443,8443", uint16(8443), uint16(444), uint16(8000))
	f.Fuzz(func(t *testing.T, spec string, port, lo, hi uint16) {
		_ = portMatches(spec, int(port)) // never panics
		r := fmt.Sprintf("%d-%d", lo, hi)
		if got, want := portMatches(r, int(port)), lo <= port && port <= hi; got != want {
			t.Fatalf("portMatches(%q, %d) = %v", r, port, got)
		}
		if got := portMatches(fmt.Sprint(lo), int(port)); got != (lo == port) {
			t.Fatalf("portMatches(%d, %d) = %v", lo, port, got)
		}
		if !portMatches(spec+",*", int(port)) {
			t.Fatalf("a list with * must match")
		}
	})
}

func FuzzPrefixMatchers(f *testing.F) {
	f.Add("Storage.WestEurope", "westeurope", "10.0.1.4")
	f.Add("0.0.0.0/0", "eastus", "::1")
	f.Add("10.0.0.0/8", "", "10.1.2.3")
	f.Add("Internet", "westeurope", "")
	f.Fuzz(func(t *testing.T, prefix, region, ip string) {
		var ips []netip.Addr
		if a, err := netip.ParseAddr(ip); err == nil {
			ips = append(ips, a)
		}
		_ = destMatches(prefix, region)
		_ = sourceMatches(prefix, ips)
		if region != "" && strings.TrimSpace(region) == region && !strings.ContainsAny(region, " ") {
			if !destMatches("Storage."+region, region) {
				t.Fatalf("Storage.%s must match region %q", region, region)
			}
		}
		if pf, err := netip.ParsePrefix(prefix); err == nil && len(ips) == 1 && pf.Contains(ips[0]) {
			if !sourceMatches(prefix, ips) {
				t.Fatalf("source %s must hold %s", prefix, ip)
			}
		}
	})
}
