package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// MaxFleetVMs bounds GenerateFleet.
const MaxFleetVMs = 50000

// fleetRegions are the regions a generated fleet may use (3 or 4 of them).
var fleetRegions = []string{"westeurope", "eastus", "japaneast", "northeurope", "southeastasia", "uksouth"}

var fleetApps = []string{"web", "api", "app", "data", "batch", "ci", "erp", "crm", "files", "analytics"}

type fleetImage struct {
	osType, publisher, offer, sku, osName, osVersion string
	gen                                              string
}

var (
	fleetLinux = []fleetImage{
		{"Linux", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "ubuntu", "22.04", "V2"},
		{"Linux", "Canonical", "ubuntu-24_04-lts", "server", "ubuntu", "24.04", "V2"},
		{"Linux", "Canonical", "0001-com-ubuntu-server-focal", "20_04-lts-gen2", "ubuntu", "20.04", "V2"},
		{"Linux", "RedHat", "RHEL", "9-lvm-gen2", "redhat", "9.5", "V2"},
		{"Linux", "SUSE", "sles-15-sp6", "gen2", "sles", "15.6", "V2"},
	}
	fleetWindows = []fleetImage{
		{"Windows", "MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition", "Windows Server 2022 Datacenter Azure Edition", "10.0.20348.3207", "V2"},
		{"Windows", "MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "Windows Server 2019 Datacenter", "10.0.17763.6893", "V1"},
		{"Windows", "MicrosoftWindowsServer", "WindowsServer", "2025-datacenter-azure-edition", "Windows Server 2025 Datacenter Azure Edition", "10.0.26100.3194", "V2"},
	}
	fleetUnsupported = fleetImage{"Windows", "", "", "", "Microsoft Windows Server 2008 Standard (32-bit)", "6.0.6002", "V1"}
	fleetSizes       = []string{"Standard_B2s", "Standard_D2s_v5", "Standard_D4s_v5", "Standard_D8s_v5", "Standard_E4ds_v5", "Standard_F4s_v2"}
)

// fleetGen builds one generated scenario.
type fleetGen struct {
	rng       *rand.Rand
	subs      []string
	short     []string
	resources []any
	items     []any
	// per subscription+region: network
	nets map[string]*fleetNet
}

type fleetNet struct {
	sub, region, rg string
	vnetID          string
	vnetIdx         int
	subnets         []map[string]any
	nsgs            []map[string]any
	vms             int // VMs placed so far
	vnet            map[string]any
}

// GenerateFleet writes a scenario of n VMs (JSON), deterministic for a seed:
// the same seed gives byte-identical output. The VMs spread over two
// subscriptions and 3–4 regions, ~80% running, mostly healthy with a
// realistic share of each readiness problem; NICs share VNets (one /24
// subnet per 200 VMs) and NSGs (one per 50 VMs, some denying outbound
// Internet); the production subscription has one vault per region and some
// VMs are protected. Latency is 50ms.
func GenerateFleet(n int, seed int64) ([]byte, error) {
	return GenerateFleetIn(n, 2, seed)
}

// MaxFleetSubscriptions bounds GenerateFleetIn's subscriptions.
const MaxFleetSubscriptions = 5000

// GenerateFleetIn is GenerateFleet over subs subscriptions (1 to
// MaxFleetSubscriptions): the production one (with the vaults and the
// protected VMs), the development one, then "Fabrikam Team 03" and on. With
// two subscriptions it writes exactly what GenerateFleet writes, 65% of the
// VMs in production; with any other count the VMs spread evenly.
func GenerateFleetIn(n, subs int, seed int64) ([]byte, error) {
	if n < 0 || n > MaxFleetVMs {
		return nil, fmt.Errorf("sim: a generated fleet has 0 to %d VMs, not %d", MaxFleetVMs, n)
	}
	if subs < 1 || subs > MaxFleetSubscriptions {
		return nil, fmt.Errorf("sim: a generated fleet has 1 to %d subscriptions, not %d", MaxFleetSubscriptions, subs)
	}
	g := &fleetGen{rng: rand.New(rand.NewPCG(uint64(seed), 0x6a09e667f3bcc909)), nets: map[string]*fleetNet{}}
	subNames := []string{"Fabrikam Production", "Fabrikam Development"}
	for i := range subs {
		g.subs = append(g.subs, g.uuid())
		switch i {
		case 0:
			g.short = append(g.short, "prod")
		case 1:
			g.short = append(g.short, "dev")
		default:
			g.short = append(g.short, fmt.Sprintf("team%02d", i+1))
			subNames = append(subNames, fmt.Sprintf("Fabrikam Team %02d", i+1))
		}
	}
	tenant := g.uuid()

	regions := append([]string(nil), fleetRegions...)
	g.rng.Shuffle(len(regions), func(i, j int) { regions[i], regions[j] = regions[j], regions[i] })
	regions = regions[:3+g.rng.IntN(2)]
	weights := make([]int, len(regions))
	for i := range weights {
		weights[i] = 10 - 2*i
	}

	vaults := map[string]string{} // region -> vault id (production subscription)
	for _, region := range regions {
		rg := "rg-backup-" + region
		id := armID(g.subs[0], rg, "Microsoft.RecoveryServices/vaults", "rsv-"+region+"-fleet")
		vaults[region] = id
		g.resources = append(g.resources, fleetVault(id, "rsv-"+region+"-fleet", region, tenant))
	}

	for i := 0; i < n; i++ {
		si := 0
		switch {
		case subs == 2:
			if g.rng.IntN(100) >= 65 {
				si = 1
			}
		case subs > 2:
			si = g.rng.IntN(subs)
		}
		region := regions[pickWeighted(g.rng, weights)]
		g.vm(i, si, region, vaults[region])
	}
	for _, key := range sortedKeys(g.nets) {
		net := g.nets[key]
		net.vnet["properties"].(map[string]any)["subnets"] = net.subnets
		g.resources = append(g.resources, net.vnet)
		for _, nsg := range net.nsgs {
			g.resources = append(g.resources, nsg)
		}
	}

	subList := make([]any, subs)
	for i := range subs {
		subList[i] = map[string]any{"id": g.subs[i], "name": subNames[i], "tenantId": tenant, "state": "Enabled"}
	}
	var buf bytes.Buffer
	buf.WriteString("{\n")
	head := []struct {
		k string
		v any
	}{
		{"description", fmt.Sprintf("Generated fleet: %d VMs, seed %d (backupready demo fleet).", n, seed)},
		{"tenants", []any{map[string]any{"id": tenant, "name": "Fabrikam Fleet", "defaultDomain": "fabrikam.example"}}},
		{"identity", map[string]any{"upn": "trainer@fabrikam.example", "name": "Fleet Trainer", "tenantId": tenant}},
		{"subscriptions", subList},
		{"latency", "50ms"},
	}
	for _, kv := range head {
		b, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, "  %q: %s,\n", kv.k, b)
	}
	writeList := func(k string, docs []any, last bool) error {
		fmt.Fprintf(&buf, "  %q: [", k)
		for i, d := range docs {
			b, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n    ")
			buf.Write(b)
		}
		if len(docs) > 0 {
			buf.WriteString("\n  ")
		}
		buf.WriteByte(']')
		if !last {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		return nil
	}
	if err := writeList("protectedItems", g.items, false); err != nil {
		return nil, err
	}
	if err := writeList("resources", g.resources, true); err != nil {
		return nil, err
	}
	buf.WriteString("}\n")
	return buf.Bytes(), nil
}

func pickWeighted(rng *rand.Rand, w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	r := rng.IntN(total)
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // insertion sort: few keys
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func (g *fleetGen) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	b = b&0x3fffffffffffffff | 0x8000000000000000
	a = a&^0xf000 | 0x4000
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// net returns the network of a subscription and region, adding a subnet and
// an NSG as VMs fill them.
func (g *fleetGen) net(si int, region string) (subnetID, nsgID string) {
	key := g.short[si] + "-" + region
	net := g.nets[key]
	if net == nil {
		idx := len(g.nets) + 1
		rg := "rg-network-" + key
		net = &fleetNet{sub: g.subs[si], region: region, rg: rg, vnetIdx: idx}
		net.vnetID = armID(g.subs[si], rg, "Microsoft.Network/virtualNetworks", "vnet-"+key)
		net.vnet = map[string]any{
			"name": "vnet-" + key, "id": net.vnetID, "type": "Microsoft.Network/virtualNetworks", "location": region,
			"etag": simETag, "tags": map[string]string{"env": g.short[si]},
			"properties": map[string]any{
				"provisioningState":    "Succeeded",
				"addressSpace":         map[string]any{"addressPrefixes": []string{fmt.Sprintf("10.%d.0.0/16", idx)}},
				"enableDdosProtection": false, "virtualNetworkPeerings": []any{},
			},
		}
		g.nets[key] = net
	}
	if net.vms%50 == 0 {
		name := fmt.Sprintf("nsg-%s-%03d", key, len(net.nsgs)+1)
		id := armID(net.sub, net.rg, "Microsoft.Network/networkSecurityGroups", name)
		rules := []any{}
		if g.rng.IntN(10) == 0 {
			rules = append(rules, fleetRule(id, "DenyInternetOutbound", 200, "Outbound", "Deny", "*", "Internet", "*"))
		}
		if g.rng.IntN(3) == 0 {
			rules = append(rules, fleetRule(id, "AllowHttpsInbound", 100, "Inbound", "Allow", "Internet", "*", "443"))
		}
		net.nsgs = append(net.nsgs, map[string]any{
			"name": name, "id": id, "type": "Microsoft.Network/networkSecurityGroups", "location": region, "etag": simETag,
			"tags":       map[string]string{"env": g.short[si]},
			"properties": map[string]any{"provisioningState": "Succeeded", "securityRules": rules},
		})
	}
	if net.vms%200 == 0 {
		n := len(net.subnets)
		name := fmt.Sprintf("snet-%03d", n+1)
		net.subnets = append(net.subnets, map[string]any{
			"name": name, "id": net.vnetID + "/subnets/" + name, "type": "Microsoft.Network/virtualNetworks/subnets", "etag": simETag,
			"properties": map[string]any{"provisioningState": "Succeeded", "addressPrefix": fmt.Sprintf("10.%d.%d.0/24", net.vnetIdx, n),
				"privateEndpointNetworkPolicies": "Disabled", "privateLinkServiceNetworkPolicies": "Enabled", "delegations": []any{}},
		})
	}
	net.vms++
	subnet := net.subnets[len(net.subnets)-1]
	nsg := net.nsgs[len(net.nsgs)-1]
	return subnet["id"].(string), nsg["id"].(string)
}

func fleetRule(nsgID, name string, prio int, dir, access, src, dst, port string) map[string]any {
	return map[string]any{
		"name": name, "id": nsgID + "/securityRules/" + name, "type": "Microsoft.Network/networkSecurityGroups/securityRules", "etag": simETag,
		"properties": map[string]any{"provisioningState": "Succeeded", "protocol": "*", "sourcePortRange": "*", "destinationPortRange": port,
			"sourceAddressPrefix": src, "destinationAddressPrefix": dst, "access": access, "priority": prio, "direction": dir,
			"sourcePortRanges": []string{}, "destinationPortRanges": []string{}, "sourceAddressPrefixes": []string{}, "destinationAddressPrefixes": []string{}},
	}
}

func fleetVault(id, name, region, tenant string) map[string]any {
	return map[string]any{
		"id": id, "name": name, "type": "Microsoft.RecoveryServices/vaults", "location": region, "etag": simETag,
		"sku":  map[string]string{"name": "RS0", "tier": "Standard"},
		"tags": map[string]string{"env": "prod"},
		"properties": map[string]any{
			"provisioningState": "Succeeded", "privateEndpointStateForBackup": "None", "privateEndpointStateForSiteRecovery": "None",
			"backupStorageVersion": "V2", "secureScore": "None", "bcdrSecurityLevel": "Poor", "publicNetworkAccess": "Enabled",
			"securitySettings": map[string]any{"softDeleteSettings": map[string]any{"softDeleteRetentionPeriodInDays": 14, "softDeleteState": "Enabled", "enhancedSecurityState": "Enabled"},
				"immutabilitySettings": map[string]any{"state": "Disabled"}, "multiUserAuthorization": "Disabled"},
			"restoreSettings": map[string]any{"crossSubscriptionRestoreSettings": map[string]any{"crossSubscriptionRestoreState": "Enabled"}},
		},
	}
}

func fleetStatus(code, display, level string) map[string]any {
	return map[string]any{"code": code, "level": level, "displayStatus": display}
}

// vm adds one VM with its NIC(s), and perhaps a protected item.
func (g *fleetGen) vm(i, si int, region, vaultID string) {
	r := g.rng
	app := fleetApps[r.IntN(len(fleetApps))]
	env := g.short[si]
	rg := fmt.Sprintf("rg-%s-%s-%s", app, env, region)
	name := fmt.Sprintf("vm-%s-%05d", app, i)
	sub := g.subs[si]
	id := armID(sub, rg, "Microsoft.Compute/virtualMachines", name)
	tags := map[string]string{"env": env, "app": app, "costCenter": fmt.Sprintf("CC-%03d", 100+r.IntN(40))}

	power := "running"
	switch p := r.IntN(100); {
	case p < 15:
		power = "deallocated"
	case p < 20:
		power = "stopped"
	}
	problem := r.IntN(100) // 0-3 no agent, 4-7 old agent, 8-9 many disks, 10 unmanaged, 11 unsupported OS,
	// 12-13 snapshot failed, 14-15 two NICs, 16 no instance view and no osProfile, 17-24 trusted launch
	img := fleetLinux[r.IntN(len(fleetLinux))]
	if r.IntN(100) < 45 {
		img = fleetWindows[r.IntN(len(fleetWindows))]
	}
	if problem == 11 {
		img = fleetUnsupported
	}
	size := fleetSizes[r.IntN(len(fleetSizes))]

	// NICs
	subnet, nsg := g.net(si, region)
	nicIDs := []string{g.nic(sub, rg, name+"-nic", region, subnet, nsg, id, true, tags)}
	if problem == 14 || problem == 15 {
		subnet2, _ := g.net(si, region)
		nicIDs = append(nicIDs, g.nic(sub, rg, name+"-nic2", region, subnet2, "", id, false, tags))
	}

	// disks
	osDisk := map[string]any{"name": name + "-osdisk", "osType": img.osType, "createOption": "FromImage", "caching": "ReadWrite",
		"managedDisk":  map[string]any{"storageAccountType": "Premium_LRS", "id": armID(sub, rg, "Microsoft.Compute/disks", name+"-osdisk")},
		"deleteOption": "Delete", "diskSizeGB": map[bool]int{true: 30, false: 127}[img.osType == "Linux"]}
	nData := r.IntN(4)
	unmanaged := false
	switch problem {
	case 8, 9:
		nData = 20 + r.IntN(5)
	case 10:
		nData, unmanaged = 17, true
	}
	data := []any{}
	for lun := 0; lun < nData; lun++ {
		dn := fmt.Sprintf("%s-data%02d", name, lun)
		d := map[string]any{"lun": lun, "name": dn, "createOption": "Empty", "caching": "ReadOnly", "diskSizeGB": 128 << r.IntN(4), "toBeDetached": false}
		if unmanaged {
			d["vhd"] = map[string]string{"uri": fmt.Sprintf("https://st%s%05d.blob.core.windows.net/vhds/%s.vhd", app, i, dn)}
		} else {
			d["managedDisk"] = map[string]any{"storageAccountType": []string{"Premium_LRS", "StandardSSD_LRS", "Standard_LRS"}[r.IntN(3)],
				"id": armID(sub, rg, "Microsoft.Compute/disks", dn)}
			d["deleteOption"] = "Detach"
		}
		data = append(data, d)
	}
	storage := map[string]any{"osDisk": osDisk, "dataDisks": data}
	if img.publisher != "" {
		storage["imageReference"] = map[string]string{"publisher": img.publisher, "offer": img.offer, "sku": img.sku, "version": "latest"}
	} else {
		storage["imageReference"] = map[string]string{"id": armID(sub, "rg-images", "Microsoft.Compute/galleries", "galLegacy", "images", "legacy-x86", "versions", "1.0.0")}
	}

	props := map[string]any{
		"vmId":            g.uuid(),
		"hardwareProfile": map[string]string{"vmSize": size},
		"storageProfile":  storage,
		"networkProfile": map[string]any{"networkInterfaces": func() []any {
			out := []any{}
			for k, nid := range nicIDs {
				out = append(out, map[string]any{"id": nid, "properties": map[string]bool{"primary": k == 0}})
			}
			return out
		}()},
		"provisioningState": "Succeeded",
		"timeCreated":       "2025-10-01T09:00:00.0000000+00:00",
	}
	if problem != 16 {
		op := map[string]any{"computerName": truncate(name, 15), "adminUsername": "azureuser", "allowExtensionOperations": true, "secrets": []any{}}
		if img.osType == "Linux" {
			op["linuxConfiguration"] = map[string]any{"disablePasswordAuthentication": true, "provisionVMAgent": true}
		} else {
			op["windowsConfiguration"] = map[string]any{"provisionVMAgent": true, "enableAutomaticUpdates": true}
		}
		props["osProfile"] = op
	}
	if problem >= 17 && problem <= 24 {
		props["securityProfile"] = map[string]any{"securityType": "TrustedLaunch", "uefiSettings": map[string]bool{"secureBootEnabled": true, "vTpmEnabled": true}}
	}

	// instance view
	if problem != 16 {
		iv := map[string]any{"hyperVGeneration": img.gen}
		statuses := []any{fleetStatus("ProvisioningState/succeeded", "Provisioning succeeded", "Info"), fleetStatus("PowerState/"+power, "VM "+power, "Info")}
		iv["statuses"] = statuses
		if power == "running" {
			version := "2.12.0.2"
			if img.osType == "Windows" {
				version = "2.7.41491.1102"
			}
			agent := map[string]any{"vmAgentVersion": version,
				"statuses": []any{map[string]any{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready", "message": "Guest Agent is running"}}}
			switch {
			case problem <= 3:
				agent = map[string]any{"vmAgentVersion": "Unknown",
					"statuses": []any{map[string]any{"code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready", "message": "VM status blob is found but not yet populated."}}}
			case problem <= 7:
				agent["vmAgentVersion"] = map[bool]string{true: "2.2.45", false: "2.6.1198.600"}[img.osType == "Linux"]
			}
			iv["vmAgent"] = agent
			if problem > 3 {
				iv["computerName"] = truncate(name, 15)
				iv["osName"], iv["osVersion"] = img.osName, img.osVersion
			}
			if problem == 12 || problem == 13 {
				ext := "VMSnapshot"
				if img.osType == "Linux" {
					ext = "VMSnapshotLinux"
				}
				iv["extensions"] = []any{map[string]any{"name": ext, "type": "Microsoft.Azure.RecoveryServices." + ext, "typeHandlerVersion": "1.0.9225.0",
					"statuses": []any{map[string]any{"code": "ProvisioningState/failed/-1", "level": "Error", "displayStatus": "Provisioning failed",
						"message": "Enable failed: ExtensionSnapshotFailedNoNetwork"}}}}
			}
		}
		props["instanceView"] = iv
	}
	g.resources = append(g.resources, map[string]any{"name": name, "id": id, "type": "Microsoft.Compute/virtualMachines", "location": region, "tags": tags, "properties": props})

	// protection: some production VMs in regions with a vault
	if vaultID != "" && si == 0 && r.IntN(100) < 15 {
		cont := "iaasvmcontainerv2;" + rg + ";" + name
		itemID := vaultID + "/backupFabrics/Azure/protectionContainers/IaasVMContainer;" + cont + "/protectedItems/VM;" + cont
		state, health, last := "Protected", "Passed", "Completed"
		if problem == 12 || problem == 13 {
			state, health, last = "ProtectionError", "ActionRequired", "Failed"
		}
		g.items = append(g.items, map[string]any{"id": itemID, "name": "VM;" + cont,
			"type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
			"properties": map[string]any{"friendlyName": name, "virtualMachineId": id, "sourceResourceId": id,
				"protectionStatus": map[bool]string{true: "Healthy", false: "Unhealthy"}[health == "Passed"], "protectionState": state,
				"healthStatus": health, "lastBackupStatus": last, "lastBackupTime": "2026-03-01T22:30:00Z",
				"protectedItemType": "Microsoft.Compute/virtualMachines", "backupManagementType": "AzureIaasVM", "workloadType": "VM",
				"containerName": cont, "policyId": vaultID + "/backupPolicies/DefaultPolicy", "policyName": "DefaultPolicy"}})
	}
}

func (g *fleetGen) nic(sub, rg, name, region, subnet, nsg, vmID string, primary bool, tags map[string]string) string {
	id := armID(sub, rg, "Microsoft.Network/networkInterfaces", name)
	props := map[string]any{
		"provisioningState": "Succeeded",
		"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "id": id + "/ipConfigurations/ipconfig1",
			"type": "Microsoft.Network/networkInterfaces/ipConfigurations",
			"properties": map[string]any{"provisioningState": "Succeeded", "privateIPAddress": g.ipIn(subnet), "privateIPAllocationMethod": "Dynamic",
				"subnet": map[string]string{"id": subnet}, "primary": true, "privateIPAddressVersion": "IPv4"}}},
		"primary": primary, "virtualMachine": map[string]string{"id": vmID}, "enableAcceleratedNetworking": true,
		"enableIPForwarding": false, "nicType": "Standard",
	}
	if nsg != "" {
		props["networkSecurityGroup"] = map[string]string{"id": nsg}
	}
	g.resources = append(g.resources, map[string]any{"name": name, "id": id, "type": "Microsoft.Network/networkInterfaces", "location": region,
		"tags": tags, "kind": "Regular", "properties": props})
	return id
}

// ipIn picks a private address in a subnet's /24 (from the subnet's name and
// the fleet's counter, so addresses do not repeat within a subnet).
func (g *fleetGen) ipIn(subnetID string) string {
	for _, net := range g.nets {
		if strings.HasPrefix(subnetID, net.vnetID+"/") {
			for n, s := range net.subnets {
				if s["id"] == subnetID {
					host := 4 + (net.vms-1)%200
					return fmt.Sprintf("10.%d.%d.%d", net.vnetIdx, n, host)
				}
			}
		}
	}
	return "10.0.0.4"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
