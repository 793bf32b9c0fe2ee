package azure

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unique"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"golang.org/x/sync/errgroup"
)

// InventoryProgress reports how far a fleet read has come.
type InventoryProgress struct {
	VMs   int // VM rows read so far
	Total int // total VM rows Resource Graph reported (0 until known)
}

// Inventory reads the VMs, networks and vaults of the given subscriptions from
// Resource Graph: ⌈VMs/1000⌉ + 2 requests, whatever the fleet size.
func (c *Client) Inventory(ctx context.Context, subscriptions []string, progress func(InventoryProgress)) (*Inventory, error) {
	inv := &Inventory{NSGs: map[string]*NSG{}, Subnets: map[string]*Subnet{}, RouteTables: map[string]*RouteTable{}}
	if len(subscriptions) == 0 {
		return inv, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return c.query(gctx, "graph-vms", QueryVMs, subscriptions, func(raw json.RawMessage) error {
			vm, err := decodeVM(raw)
			if err != nil {
				// One odd document (an old api-version shape, a hand-edited
				// export) must not sink the whole fleet: keep what identifies
				// the VM; the rules then answer "could not be read".
				if vm, err = decodeVMIdentity(raw); err != nil {
					return err
				}
			}
			inv.VMs = append(inv.VMs, vm)
			return nil
		}, func(read, total int) {
			if progress != nil {
				progress(InventoryProgress{VMs: read, Total: total})
			}
		})
	})
	var nsgs []*NSG
	var subnets []*Subnet
	var tables []*RouteTable
	g.Go(func() error {
		return c.query(gctx, "graph-network", QueryNetwork, subscriptions, func(raw json.RawMessage) error {
			d, err := decodeNetwork(raw)
			if err != nil {
				return err
			}
			if d.nsg != nil {
				nsgs = append(nsgs, d.nsg)
			}
			if d.routes != nil {
				tables = append(tables, d.routes)
			}
			subnets = append(subnets, d.subnets...)
			return nil
		}, nil)
	})
	g.Go(func() error {
		return c.query(gctx, "graph-vaults", QueryVaults, subscriptions, func(raw json.RawMessage) error {
			v, err := decodeVault(raw)
			if err != nil {
				return err
			}
			inv.Vaults = append(inv.Vaults, v)
			return nil
		}, nil)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, n := range nsgs {
		inv.NSGs[strings.ToLower(n.ID)] = n
	}
	for _, s := range subnets {
		inv.Subnets[strings.ToLower(s.ID)] = s
	}
	for _, t := range tables {
		inv.RouteTables[strings.ToLower(t.ID)] = t
	}
	return inv, nil
}

// graphBatch is how many subscriptions one Resource Graph request names.
// Azure CLI's `az graph query` sends at most 1,000 per request; Microsoft's
// throttling guidance recommends fewer than 300 per group (a bigger group
// costs more quota per query, never more queries), so a fleet of 1,000
// subscriptions costs 4 query series rather than 1,000.
const graphBatch = 300

// query runs one Resource Graph query over all pages, handing each row to
// fn, in batches of graphBatch subscriptions. progress gets the rows read
// and the rows known so far (the batches still to run are not yet counted).
func (c *Client) query(ctx context.Context, op, q string, subscriptions []string, fn func(json.RawMessage) error, progress func(read, total int)) error {
	read := 0
	for start := 0; start < len(subscriptions); start += graphBatch {
		batch := subscriptions[start:min(start+graphBatch, len(subscriptions))]
		before := read
		err := c.queryBatch(ctx, op, q, batch, fn, func(n, total int) {
			read = before + n
			if progress != nil {
				progress(read, before+total)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// queryBatch runs one query over the subscriptions of one batch, all pages.
func (c *Client) queryBatch(ctx context.Context, op, q string, subscriptions []string, fn func(json.RawMessage) error, progress func(read, total int)) error {
	subs := make([]*string, len(subscriptions))
	for i := range subscriptions {
		subs[i] = &subscriptions[i]
	}
	req := armresourcegraph.QueryRequest{
		Query:         to.Ptr(q),
		Subscriptions: subs,
		Options: &armresourcegraph.QueryRequestOptions{
			ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray),
			Top:          to.Ptr(c.pageSize),
		},
	}
	read := 0
	for {
		var page graphPage
		resp, err := c.graph.Resources(context.WithValue(ctx, graphPageKey{}, &page), req, nil)
		if err != nil {
			return Classify(op, err)
		}
		for i, row := range page.Rows {
			if err := fn(row); err != nil {
				return &Error{Kind: KindBadResponse, Op: op, Message: err.Error(), Err: err}
			}
			page.Rows[i] = nil
		}
		read += len(page.Rows)
		total := read
		if page.TotalRecords != nil {
			total = int(*page.TotalRecords)
		}
		progress(read, total)
		if resp.SkipToken == nil || *resp.SkipToken == "" {
			if page.Truncated != nil && strings.EqualFold(*page.Truncated, "true") {
				// Rows were left out and no token leads to them: a report
				// that silently missed VMs would be worse than none.
				return &Error{Kind: KindBadResponse, Op: op, Code: "ResultTruncated", Message: "Resource Graph truncated the result"}
			}
			return nil
		}
		req.Options.SkipToken = resp.SkipToken
	}
}

// idRef is ARM's {"id": "..."} sub-resource reference.
type idRef struct {
	ID string `json:"id"`
}

func refID(r *idRef) string {
	if r == nil {
		return ""
	}
	return r.ID
}

type diskJSON struct {
	Name        string `json:"name"`
	OSType      string `json:"osType"`
	DiskSizeGB  int32  `json:"diskSizeGB"`
	ManagedDisk *struct {
		ID                 string `json:"id"`
		StorageAccountType string `json:"storageAccountType"`
	} `json:"managedDisk"`
	Vhd *struct {
		URI string `json:"uri"`
	} `json:"vhd"`
	DiffDiskSettings *struct {
		Option string `json:"option"`
	} `json:"diffDiskSettings"`
	WriteAcceleratorEnabled bool `json:"writeAcceleratorEnabled"`
}

func (d diskJSON) disk() Disk {
	out := Disk{Name: d.Name, SizeGB: d.DiskSizeGB, WriteAccelerator: d.WriteAcceleratorEnabled}
	if d.ManagedDisk != nil {
		out.Managed = true
		out.StorageType = intern(d.ManagedDisk.StorageAccountType)
	}
	if d.Vhd != nil && d.ManagedDisk == nil {
		out.Managed = false
	} else if d.Vhd == nil {
		out.Managed = true
	}
	return out
}

type instanceViewLite struct {
	PowerState *struct {
		Code string `json:"code"`
	} `json:"powerState"`
	OSName           string `json:"osName"`
	OSVersion        string `json:"osVersion"`
	HyperVGeneration string `json:"hyperVGeneration"`
}

// vmIdentity is what names a VM in a row.
type vmIdentity struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	SubscriptionID string `json:"subscriptionId"`
	ResourceGroup  string `json:"resourceGroup"`
	Location       string `json:"location"`
}

func (r vmIdentity) vm() VM {
	return VM{ID: r.ID, Name: r.Name, SubscriptionID: intern(r.SubscriptionID), ResourceGroup: intern(r.ResourceGroup),
		Location: intern(NormalizeLocation(r.Location)), Classic: strings.EqualFold(r.Type, "microsoft.classiccompute/virtualmachines")}
}

type vmRow struct {
	vmIdentity
	Tags       map[string]string `json:"tags"`
	Properties struct {
		ProvisioningState string `json:"provisioningState"`
		HardwareProfile   *struct {
			VMSize string `json:"vmSize"`
		} `json:"hardwareProfile"`
		StorageProfile *struct {
			ImageReference *struct {
				ID        string `json:"id"`
				Publisher string `json:"publisher"`
				Offer     string `json:"offer"`
				SKU       string `json:"sku"`
				Version   string `json:"version"`
			} `json:"imageReference"`
			OSDisk    *diskJSON  `json:"osDisk"`
			DataDisks []diskJSON `json:"dataDisks"`
		} `json:"storageProfile"`
		OSProfile *struct {
			AllowExtensionOperations *bool `json:"allowExtensionOperations"`
			WindowsConfiguration     *struct {
				ProvisionVMAgent *bool `json:"provisionVMAgent"`
			} `json:"windowsConfiguration"`
			LinuxConfiguration *struct {
				ProvisionVMAgent *bool `json:"provisionVMAgent"`
			} `json:"linuxConfiguration"`
		} `json:"osProfile"`
		SecurityProfile *struct {
			SecurityType string `json:"securityType"`
		} `json:"securityProfile"`
		NetworkProfile *struct {
			NetworkInterfaces []idRef `json:"networkInterfaces"`
		} `json:"networkProfile"`
		Extended *struct {
			InstanceView *instanceViewLite `json:"instanceView"`
		} `json:"extended"`
	} `json:"properties"`
	NICs       json.RawMessage `json:"nics"`
	Protection json.RawMessage `json:"protection"`
}

type nicJSON struct {
	ID                   string `json:"id"`
	Primary              *bool  `json:"primary"`
	NetworkSecurityGroup *idRef `json:"networkSecurityGroup"`
	IPConfigurations     []struct {
		Properties struct {
			Subnet                          *idRef  `json:"subnet"`
			PrivateIPAddress                string  `json:"privateIPAddress"`
			PublicIPAddress                 *idRef  `json:"publicIPAddress"`
			LoadBalancerBackendAddressPools []idRef `json:"loadBalancerBackendAddressPools"`
		} `json:"properties"`
	} `json:"ipConfigurations"`
}

// decodeVM reads one QueryVMs row. Missing optional parts leave zero values.
func decodeVM(raw json.RawMessage) (VM, error) {
	var r vmRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return VM{}, err
	}
	vm := r.vm()
	vm.Tags = internTags(r.Tags)
	vm.Provisioning = intern(r.Properties.ProvisioningState)
	p := r.Properties
	if p.HardwareProfile != nil {
		vm.Size = intern(p.HardwareProfile.VMSize)
	}
	if sp := p.StorageProfile; sp != nil {
		if ir := sp.ImageReference; ir != nil {
			vm.Image = Image{Publisher: intern(ir.Publisher), Offer: intern(ir.Offer), SKU: intern(ir.SKU), Version: intern(ir.Version), Custom: ir.ID != "" && ir.Publisher == ""}
		}
		if od := sp.OSDisk; od != nil {
			vm.OSType = intern(od.OSType)
			vm.OSDisk = od.disk()
			vm.EphemeralOS = od.DiffDiskSettings != nil && strings.EqualFold(od.DiffDiskSettings.Option, "Local")
		}
		if len(sp.DataDisks) > 0 {
			vm.DataDisks = make([]Disk, len(sp.DataDisks))
			for i, d := range sp.DataDisks {
				vm.DataDisks[i] = d.disk()
			}
		}
	}
	if op := p.OSProfile; op != nil {
		vm.HasOSProfile = true
		vm.AllowExtOps = op.AllowExtensionOperations
		if op.WindowsConfiguration != nil {
			vm.ProvisionAgent = op.WindowsConfiguration.ProvisionVMAgent
		}
		if op.LinuxConfiguration != nil {
			vm.ProvisionAgent = op.LinuxConfiguration.ProvisionVMAgent
		}
	}
	if p.SecurityProfile != nil {
		vm.SecurityType = intern(p.SecurityProfile.SecurityType)
	}
	if p.NetworkProfile != nil {
		for _, n := range p.NetworkProfile.NetworkInterfaces {
			if n.ID != "" {
				vm.NICIDs = append(vm.NICIDs, intern(n.ID))
			}
		}
	}
	if p.Extended != nil && p.Extended.InstanceView != nil {
		iv := p.Extended.InstanceView
		if iv.PowerState != nil {
			vm.PowerState = intern(strings.TrimPrefix(strings.ToLower(iv.PowerState.Code), "powerstate/"))
		}
		vm.OSName, vm.OSVersion = intern(iv.OSName), intern(iv.OSVersion)
	}
	// Unmatched left-outer joins come back as null, "" or {}: anything that is
	// not the expected shape means "none".
	var nics []nicJSON
	if json.Unmarshal(r.NICs, &nics) == nil {
		for _, n := range nics {
			vm.NICs = append(vm.NICs, n.nic())
		}
	}
	var prots []protectionJSON
	if json.Unmarshal(r.Protection, &prots) != nil {
		// An older query shape: one item rather than a list.
		var one protectionJSON
		if json.Unmarshal(r.Protection, &one) == nil {
			prots = []protectionJSON{one}
		}
	}
	if best := mostActive(prots); best != nil {
		vm.Protection = &Protection{
			ItemID: best.ID, VaultID: intern(VaultIDOf(best.ID)), State: intern(best.ProtectionState), Status: intern(best.ProtectionStatus),
			PolicyName: intern(best.PolicyName), HealthStatus: intern(best.HealthStatus), LastBackupState: intern(best.LastBackupStatus),
		}
		if d := best.problem(); d != nil {
			vm.Protection.ErrorCode, vm.Protection.ErrorNumber, vm.Protection.ErrorMessage = d.code(), d.Code, d.Message
		}
	}
	markMissingNICs(&vm)
	return vm, nil
}

type protectionJSON struct {
	ID               string `json:"id"`
	ProtectionState  string `json:"protectionState"`
	ProtectionStatus string `json:"protectionStatus"`
	PolicyName       string `json:"policyName"`
	HealthStatus     string `json:"healthStatus"`
	LastBackupStatus string `json:"lastBackupStatus"`
	// HealthDetails is read leniently: a shape it does not expect (not a
	// list, a code that is not a number) is no detail rather than a VM that
	// cannot be read.
	HealthDetails json.RawMessage `json:"healthDetails"`
}

// healthDetail is one of a protected item's healthDetails (the v5 model's
// AzureIaaSVMHealthDetails): an int32 code and a title that holds the
// textual code ("IaasVmHealthGreenDefault" when all is well, recorded).
type healthDetail struct {
	Code    int32  `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// problem returns the item's first health detail that is not the green
// default, nil when there is none.
func (p *protectionJSON) problem() *healthDetail {
	var list []json.RawMessage
	if json.Unmarshal(p.HealthDetails, &list) != nil {
		return nil
	}
	for _, raw := range list {
		var d healthDetail
		if json.Unmarshal(raw, &d) != nil {
			// a code that is not an int32: keep the title and message
			var loose struct{ Title, Message string }
			if json.Unmarshal(raw, &loose) != nil {
				continue
			}
			d = healthDetail{Title: loose.Title, Message: loose.Message}
		}
		if strings.Contains(strings.ToLower(d.Title), "healthgreen") || (d.Title == "" && d.Code == 0) {
			continue
		}
		return &d
	}
	return nil
}

// code is the detail's textual code: its title when the title is one word
// (a code, not a sentence), "" otherwise.
func (d *healthDetail) code() string {
	t := strings.TrimSpace(d.Title)
	if t == "" || strings.ContainsAny(t, " \t") {
		return ""
	}
	return intern(t)
}

// protectionRank orders protection states: the item that protects the VM
// now wins over a stopped or soft-deleted one left in another vault.
var protectionRank = map[string]int{
	"protected": 5, "irpending": 4, "protectionerror": 3, "protectionpaused": 2, "protectionstopped": 1,
}

// mostActive picks the protected item that says how the VM is protected
// today; ties keep the first (the list is ordered by the query).
func mostActive(items []protectionJSON) *protectionJSON {
	var best *protectionJSON
	for i := range items {
		it := &items[i]
		if it.ID == "" {
			continue
		}
		if best == nil || protectionRank[strings.ToLower(it.ProtectionState)] > protectionRank[strings.ToLower(best.ProtectionState)] {
			best = it
		}
	}
	return best
}

// decodeVMIdentity reads only what names a VM, for a row whose properties
// could not be read.
func decodeVMIdentity(raw json.RawMessage) (VM, error) {
	var r vmIdentity
	if err := json.Unmarshal(raw, &r); err != nil {
		return VM{}, err
	}
	if r.ID == "" {
		return VM{}, errors.New("a VM row without an id")
	}
	return r.vm(), nil
}

func (n nicJSON) nic() NIC {
	out := NIC{ID: intern(n.ID), NSGID: intern(refID(n.NetworkSecurityGroup)), Primary: n.Primary != nil && *n.Primary}
	for _, ip := range n.IPConfigurations {
		if s := refID(ip.Properties.Subnet); s != "" {
			out.SubnetIDs = append(out.SubnetIDs, intern(s))
		}
		if ip.Properties.PrivateIPAddress != "" {
			out.PrivateIPs = append(out.PrivateIPs, ip.Properties.PrivateIPAddress)
		}
		if ip.Properties.PublicIPAddress != nil {
			out.PublicIPs++
		}
		if len(ip.Properties.LoadBalancerBackendAddressPools) > 0 {
			out.LoadBalanced = true
		}
	}
	return out
}

// markMissingNICs adds a Missing entry for every NIC the VM names that the
// join did not return (a dangling reference, or a NIC the identity cannot read).
func markMissingNICs(vm *VM) {
	for _, id := range vm.NICIDs {
		found := false
		for _, n := range vm.NICs {
			if strings.EqualFold(n.ID, id) {
				found = true
				break
			}
		}
		if !found {
			vm.NICs = append(vm.NICs, NIC{ID: id, Missing: true})
		}
	}
}

// VaultIDOf cuts a vault's id out of the id of one of its child resources.
func VaultIDOf(childID string) string {
	lower := strings.ToLower(childID)
	const marker = "/providers/microsoft.recoveryservices/vaults/"
	i := strings.Index(lower, marker)
	if i < 0 {
		return ""
	}
	rest := childID[i+len(marker):]
	if j := strings.Index(rest, "/"); j >= 0 {
		rest = rest[:j]
	}
	return childID[:i+len(marker)] + rest
}

type ruleJSON struct {
	Name       string `json:"name"`
	Properties struct {
		Priority                   int32    `json:"priority"`
		Direction                  string   `json:"direction"`
		Access                     string   `json:"access"`
		Protocol                   string   `json:"protocol"`
		SourceAddressPrefix        string   `json:"sourceAddressPrefix"`
		SourceAddressPrefixes      []string `json:"sourceAddressPrefixes"`
		DestinationAddressPrefix   string   `json:"destinationAddressPrefix"`
		DestinationAddressPrefixes []string `json:"destinationAddressPrefixes"`
		DestinationPortRange       string   `json:"destinationPortRange"`
		DestinationPortRanges      []string `json:"destinationPortRanges"`
		SourcePortRange            string   `json:"sourcePortRange"`
		SourcePortRanges           []string `json:"sourcePortRanges"`
		Description                string   `json:"description"`
	} `json:"properties"`
}

func (r ruleJSON) rule(isDefault bool) SecurityRule {
	p := r.Properties
	return SecurityRule{
		Name: r.Name, Priority: p.Priority, Direction: p.Direction, Access: p.Access, Protocol: p.Protocol,
		Sources:      plural(p.SourceAddressPrefix, p.SourceAddressPrefixes),
		Destinations: plural(p.DestinationAddressPrefix, p.DestinationAddressPrefixes),
		DestPorts:    plural(p.DestinationPortRange, p.DestinationPortRanges),
		SourcePorts:  plural(p.SourcePortRange, p.SourcePortRanges),
		Description:  p.Description,
		Default:      isDefault,
	}
}

// plural merges ARM's singular and plural forms of a rule field.
func plural(one string, many []string) []string {
	if one != "" {
		return append([]string{one}, many...)
	}
	return many
}

type networkRow struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Location   string `json:"location"`
	Properties struct {
		SecurityRules        []ruleJSON `json:"securityRules"`
		DefaultSecurityRules []ruleJSON `json:"defaultSecurityRules"`
		Subnets              []struct {
			ID         string `json:"id"`
			Properties struct {
				AddressPrefix         string   `json:"addressPrefix"`
				AddressPrefixes       []string `json:"addressPrefixes"`
				NetworkSecurityGroup  *idRef   `json:"networkSecurityGroup"`
				RouteTable            *idRef   `json:"routeTable"`
				NatGateway            *idRef   `json:"natGateway"`
				DefaultOutboundAccess *bool    `json:"defaultOutboundAccess"`
				ServiceEndpoints      []struct {
					Service   string   `json:"service"`
					Locations []string `json:"locations"`
				} `json:"serviceEndpoints"`
			} `json:"properties"`
		} `json:"subnets"`
	} `json:"properties"`
}

// networkDoc is one QueryNetwork row decoded: an NSG, a VNet's subnets or a
// route table.
type networkDoc struct {
	nsg     *NSG
	subnets []*Subnet
	routes  *RouteTable
}

// routeTableRow is a route table row. Every field is optional: a route
// without properties keeps its name, and the judgement skips it.
type routeTableRow struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Location   string `json:"location"`
	Properties struct {
		DisableBgpRoutePropagation *bool `json:"disableBgpRoutePropagation"`
		Routes                     []struct {
			Name       string `json:"name"`
			Properties struct {
				AddressPrefix    string `json:"addressPrefix"`
				NextHopType      string `json:"nextHopType"`
				NextHopIPAddress string `json:"nextHopIpAddress"`
			} `json:"properties"`
		} `json:"routes"`
	} `json:"properties"`
}

// decodeRouteTable reads a route table row; nil when it cannot be read (the
// subnets naming it then say "could not be read").
func decodeRouteTable(raw json.RawMessage) *RouteTable {
	var r routeTableRow
	if err := json.Unmarshal(raw, &r); err != nil || r.ID == "" {
		return nil
	}
	t := &RouteTable{ID: r.ID, Name: r.Name, Location: NormalizeLocation(r.Location)}
	if t.Name == "" {
		t.Name = r.ID[strings.LastIndexByte(r.ID, '/')+1:]
	}
	if b := r.Properties.DisableBgpRoutePropagation; b != nil {
		t.DisableBgpRoutePropagation = *b
	}
	for _, rt := range r.Properties.Routes {
		p := rt.Properties
		t.Routes = append(t.Routes, Route{Name: rt.Name, AddressPrefix: strings.TrimSpace(p.AddressPrefix),
			NextHopType: intern(p.NextHopType), NextHopIP: p.NextHopIPAddress})
	}
	return t
}

// decodeNetwork reads one QueryNetwork row: an NSG, a VNet's subnets or a
// route table.
func decodeNetwork(raw json.RawMessage) (networkDoc, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return networkDoc{}, err
	}
	if strings.EqualFold(head.Type, "microsoft.network/routetables") {
		return networkDoc{routes: decodeRouteTable(raw)}, nil
	}
	var r networkRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return networkDoc{}, err
	}
	if strings.EqualFold(r.Type, "microsoft.network/virtualnetworks") {
		var out []*Subnet
		for _, s := range r.Properties.Subnets {
			prefixes := s.Properties.AddressPrefixes
			if s.Properties.AddressPrefix != "" && !slices.Contains(prefixes, s.Properties.AddressPrefix) {
				prefixes = append([]string{s.Properties.AddressPrefix}, prefixes...)
			}
			sn := &Subnet{
				ID: s.ID, AddressPrefixes: prefixes, NSGID: refID(s.Properties.NetworkSecurityGroup), RouteTableID: refID(s.Properties.RouteTable),
				NATGatewayID: refID(s.Properties.NatGateway), DefaultOutboundAccess: s.Properties.DefaultOutboundAccess,
			}
			for _, se := range s.Properties.ServiceEndpoints {
				if se.Service == "" {
					continue
				}
				e := ServiceEndpoint{Service: intern(se.Service)}
				for _, l := range se.Locations {
					e.Locations = append(e.Locations, intern(NormalizeLocation(l)))
				}
				sn.ServiceEndpoints = append(sn.ServiceEndpoints, e)
			}
			out = append(out, sn)
		}
		return networkDoc{subnets: out}, nil
	}
	return networkDoc{nsg: nsgFrom(r.ID, r.Name, r.Location, r.Properties.SecurityRules, r.Properties.DefaultSecurityRules)}, nil
}

func nsgFrom(id, name, location string, rules, defaults []ruleJSON) *NSG {
	n := &NSG{ID: id, Name: name, Location: NormalizeLocation(location)}
	for _, r := range rules {
		n.Rules = append(n.Rules, r.rule(false))
	}
	for _, r := range defaults {
		n.Rules = append(n.Rules, r.rule(true))
	}
	return n
}

type vaultRow struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	SubscriptionID string `json:"subscriptionId"`
	ResourceGroup  string `json:"resourceGroup"`
	Location       string `json:"location"`
	Properties     struct {
		ProvisioningState  string `json:"provisioningState"`
		RedundancySettings *struct {
			StandardTierStorageRedundancy string `json:"standardTierStorageRedundancy"`
			CrossRegionRestore            string `json:"crossRegionRestore"`
		} `json:"redundancySettings"`
		SecuritySettings *struct {
			SoftDeleteSettings *struct {
				SoftDeleteState string `json:"softDeleteState"`
			} `json:"softDeleteSettings"`
			ImmutabilitySettings *struct {
				State string `json:"state"`
			} `json:"immutabilitySettings"`
		} `json:"securitySettings"`
	} `json:"properties"`
}

func decodeVault(raw json.RawMessage) (Vault, error) {
	var r vaultRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return Vault{}, err
	}
	v := Vault{ID: r.ID, Name: r.Name, SubscriptionID: r.SubscriptionID, ResourceGroup: r.ResourceGroup,
		Location: NormalizeLocation(r.Location), ProvisioningState: r.Properties.ProvisioningState}
	if v.SubscriptionID == "" || v.ResourceGroup == "" {
		v.SubscriptionID, v.ResourceGroup = subAndGroup(r.ID)
	}
	if rs := r.Properties.RedundancySettings; rs != nil {
		v.Redundancy, v.CrossRegion = rs.StandardTierStorageRedundancy, rs.CrossRegionRestore
	}
	if ss := r.Properties.SecuritySettings; ss != nil {
		if ss.SoftDeleteSettings != nil {
			v.SoftDelete = ss.SoftDeleteSettings.SoftDeleteState
		}
		if ss.ImmutabilitySettings != nil {
			v.Immutability = ss.ImmutabilitySettings.State
		}
	}
	return v, nil
}

// subAndGroup reads the subscription id and resource group out of an ARM id.
func subAndGroup(id string) (sub, rg string) {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		switch strings.ToLower(parts[i]) {
		case "subscriptions":
			if sub == "" {
				sub = parts[i+1]
			}
		case "resourcegroups":
			if rg == "" {
				rg = parts[i+1]
			}
		}
	}
	return sub, rg
}

// intern returns the canonical copy of s. A fleet repeats the same
// subscription, group, region, subnet and NSG ids thousands of times; sharing
// them keeps the inventory small.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

func internTags(tags map[string]string) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[intern(k)] = intern(v)
	}
	return out
}
