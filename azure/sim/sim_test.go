package sim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservices"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/backupready/backupready/azure"
)

const (
	demoProd = "3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192"
	demoDev  = "7a9c2d4e-5b6f-4e1a-8c3d-2b4a6e8f0a1c"
)

// newDemo returns the demo cloud without latency, and an azure client on it.
func newDemo(t testing.TB) (*Cloud, *azure.Client) {
	t.Helper()
	sc := Demo()
	sc.Latency = 0
	c, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return c, cl
}

func vmByName(inv *azure.Inventory, name string) *azure.VM {
	for i := range inv.VMs {
		if inv.VMs[i].Name == name {
			return &inv.VMs[i]
		}
	}
	return nil
}

func TestDemoSubscriptionsIdentityLocations(t *testing.T) {
	_, cl := newDemo(t)
	ctx := context.Background()

	subs, err := cl.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 {
		t.Fatalf("want 2 subscriptions, got %+v", subs)
	}
	names := map[string]string{}
	for _, s := range subs {
		names[s.ID] = s.Name
		if !s.Enabled() || s.TenantID == "" {
			t.Errorf("subscription %+v: want Enabled with a tenant", s)
		}
	}
	if names[demoProd] != "Contoso Production" {
		t.Errorf("production subscription name %q", names[demoProd])
	}
	if names[demoDev] != "Contoso 研发测试 (开发)" {
		t.Errorf("Chinese subscription name not intact: %q", names[demoDev])
	}

	id, err := cl.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.Name != "trainer@contoso.example" || id.Kind != "user" || id.TenantID == "" || id.ObjectID == "" {
		t.Errorf("identity %+v", id)
	}
	tenants, err := cl.Tenants(ctx)
	if err != nil || len(tenants) != 1 || tenants[0].Name != "Contoso" || tenants[0].ID != id.TenantID {
		t.Errorf("tenants %+v, %v (identity tenant %s)", tenants, err, id.TenantID)
	}

	locs, err := cl.Locations(ctx, demoProd)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]azure.Location{}
	for _, l := range locs {
		byName[l.Name] = l
		if l.RegionType != "Physical" {
			t.Errorf("azure.Locations should keep only physical regions, got %+v", l)
		}
	}
	for name, want := range map[string]azure.Location{
		"westeurope":    {Name: "westeurope", DisplayName: "West Europe", RegionType: "Physical", PairedRegion: "northeurope", HasZones: true},
		"eastus":        {Name: "eastus", DisplayName: "East US", RegionType: "Physical", PairedRegion: "westus", HasZones: true},
		"japaneast":     {Name: "japaneast", DisplayName: "Japan East", RegionType: "Physical", PairedRegion: "japanwest", HasZones: true},
		"eastasia":      {Name: "eastasia", DisplayName: "East Asia", RegionType: "Physical", PairedRegion: "southeastasia", HasZones: true},
		"westcentralus": {Name: "westcentralus", DisplayName: "West Central US", RegionType: "Physical", PairedRegion: "westus2"},
	} {
		if byName[name] != want {
			t.Errorf("location %s = %+v, want %+v", name, byName[name], want)
		}
	}
	if _, ok := byName["europe"]; ok {
		t.Error("the logical region 'europe' should have been filtered out as Logical")
	}

	st, err := cl.ProviderState(ctx, demoProd, "Microsoft.RecoveryServices")
	if err != nil || st != "Registered" {
		t.Errorf("provider state %q, %v", st, err)
	}
}

func TestDemoInventoryAndAgents(t *testing.T) {
	_, cl := newDemo(t)
	ctx := context.Background()
	inv, err := cl.Inventory(ctx, []string{demoProd, demoDev}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"api-01", "app-noagent-01", "build-agent-01", "crm-eastus-01", "dev-snapfail-01", "dev-tl-01", "erp-legacy-01",
		"fileserver-old-01", "gateway-01", "legacy-w2003-01", "sql-data-01", "tokyo-app-01", "web-prod-01"}
	var got []string
	for _, vm := range inv.VMs {
		got = append(got, vm.Name)
		if len(vm.NICs) == 0 {
			t.Errorf("%s: no NIC joined", vm.Name)
		}
		for _, n := range vm.NICs {
			if n.Missing {
				t.Errorf("%s: NIC %s not joined", vm.Name, n.ID)
			}
			for _, s := range n.SubnetIDs {
				if inv.Subnet(s) == nil {
					t.Errorf("%s: subnet %s not in inventory", vm.Name, s)
				}
			}
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("VMs = %v\nwant %v", got, want)
	}
	// rows come ordered by id, case-insensitively
	for i := 1; i < len(inv.VMs); i++ {
		if strings.ToLower(inv.VMs[i-1].ID) >= strings.ToLower(inv.VMs[i].ID) {
			t.Errorf("VMs not ordered by id: %s then %s", inv.VMs[i-1].ID, inv.VMs[i].ID)
		}
	}

	web := vmByName(inv, "web-prod-01")
	if web.Location != "westeurope" || web.OSType != "Linux" || web.PowerState != "running" || web.OSName != "ubuntu" || web.OSVersion != "22.04" ||
		web.Size != "Standard_D2s_v5" || web.Tags["env"] != "prod" || web.Protection != nil || !web.HasOSProfile {
		t.Errorf("web-prod-01 = %+v", web)
	}
	if web.NICs[0].PrivateIPs[0] != "10.10.1.4" || inv.Subnet(web.NICs[0].SubnetIDs[0]).NSGID == "" || !slices.Equal(inv.Subnet(web.NICs[0].SubnetIDs[0]).AddressPrefixes, []string{"10.10.1.0/24"}) {
		t.Errorf("web-prod-01 NIC %+v", web.NICs[0])
	}
	if vm := vmByName(inv, "sql-data-01"); len(vm.DataDisks) != 20 || !vm.DataDisks[0].Managed {
		t.Errorf("sql-data-01 disks: %d", len(vm.DataDisks))
	}
	if vm := vmByName(inv, "fileserver-old-01"); len(vm.DataDisks) != 17 || vm.DataDisks[0].Managed || vm.OSDisk.Managed {
		t.Errorf("fileserver-old-01 disks: %d %+v", len(vm.DataDisks), vm.OSDisk)
	}
	if vm := vmByName(inv, "app-noagent-01"); vm.HasOSProfile {
		t.Error("app-noagent-01 should have no osProfile")
	}
	if vm := vmByName(inv, "build-agent-01"); vm.PowerState != "deallocated" {
		t.Errorf("build-agent-01 power %q", vm.PowerState)
	}
	if vm := vmByName(inv, "dev-tl-01"); vm.SecurityType != "TrustedLaunch" {
		t.Errorf("dev-tl-01 security %q", vm.SecurityType)
	}
	if vm := vmByName(inv, "legacy-w2003-01"); !strings.Contains(vm.OSName, "2003") || !vm.Image.Custom {
		t.Errorf("legacy-w2003-01 = %q %+v", vm.OSName, vm.Image)
	}
	gw := vmByName(inv, "gateway-01")
	if len(gw.NICs) != 2 || gw.NICs[0].PublicIPs+gw.NICs[1].PublicIPs != 1 {
		t.Errorf("gateway-01 NICs %+v", gw.NICs)
	}
	api := vmByName(inv, "api-01")
	nsg := inv.NSG(api.NICs[0].NSGID)
	if nsg == nil {
		t.Fatalf("api-01 NIC NSG %q not in inventory", api.NICs[0].NSGID)
	}
	var deny, defaults int
	for _, r := range nsg.Rules {
		if r.Name == "DenyInternetOutbound" && r.Priority == 200 && r.Direction == "Outbound" && r.Access == "Deny" &&
			slices.Equal(r.Destinations, []string{"Internet"}) && !r.Default {
			deny++
		}
		if r.Default {
			defaults++
		}
	}
	if deny != 1 || defaults != 6 {
		t.Errorf("nsg-api-restricted rules: deny=%d defaults=%d %+v", deny, defaults, nsg.Rules)
	}
	for _, n := range inv.NSGs {
		d := 0
		for _, r := range n.Rules {
			if r.Default {
				d++
			}
		}
		if d != 6 {
			t.Errorf("NSG %s has %d default rules", n.Name, d)
		}
	}

	crm := vmByName(inv, "crm-eastus-01")
	if crm.Protection == nil || crm.Protection.State != "Protected" || !strings.HasSuffix(crm.Protection.VaultID, "/vaults/rsv-eus-prod") ||
		crm.Protection.PolicyName != "DefaultPolicy" {
		t.Errorf("crm-eastus-01 protection %+v", crm.Protection)
	}
	if p := vmByName(inv, "dev-snapfail-01").Protection; p == nil || p.State != "ProtectionError" {
		t.Errorf("dev-snapfail-01 protection %+v", p)
	}

	vaults := map[string]azure.Vault{}
	for _, v := range inv.Vaults {
		vaults[v.Name] = v
	}
	if len(vaults) != 3 || vaults["rsv-eus-prod"].Location != "eastus" || vaults["rsv-weu-prod"].Redundancy != "GeoRedundant" ||
		vaults["rsv-weu-dev"].Redundancy != "LocallyRedundant" || vaults["rsv-eus-prod"].SoftDelete != "Enabled" {
		t.Errorf("vaults %+v", vaults)
	}
	if len(inv.VaultsIn(demoProd, "japaneast")) != 0 || len(inv.VaultsIn(demoProd, "westeurope")) != 1 {
		t.Error("vault placement: want none in japaneast, one in westeurope")
	}

	// agents
	var progress atomic.Int64
	if err := cl.ReadAgents(ctx, inv.VMs, 4, func(done, total int) { progress.Store(int64(total)) }); err != nil {
		t.Fatal(err)
	}
	if progress := progress.Load(); progress != 12 {
		t.Errorf("ReadAgents read %d VMs, want the 12 running ones", progress)
	}
	for _, vm := range inv.VMs {
		if vm.AgentErr != nil {
			t.Errorf("%s: %v", vm.Name, vm.AgentErr)
		}
	}
	if a := vmByName(inv, "web-prod-01").Agent; a == nil || a.Status != "Ready" || a.Version != "2.12.0.2" || a.PowerState != "running" {
		t.Errorf("web-prod-01 agent %+v", a)
	}
	if a := vmByName(inv, "app-noagent-01").Agent; a == nil || a.Status != "Not Ready" || a.Version != "Unknown" ||
		a.Code != "ProvisioningState/Unavailable" || !strings.Contains(a.Message, "not yet populated") {
		t.Errorf("app-noagent-01 agent %+v", a)
	}
	if a := vmByName(inv, "erp-legacy-01").Agent; a == nil || a.Version != "2.6.1198.600" || a.Status != "Ready" {
		t.Errorf("erp-legacy-01 agent %+v", a)
	}
	if a := vmByName(inv, "build-agent-01").Agent; a != nil {
		t.Errorf("stopped VM's agent was read: %+v", a)
	}
	a := vmByName(inv, "dev-snapfail-01").Agent
	if a == nil || len(a.Extensions) != 1 || a.Extensions[0].Type != "Microsoft.Azure.RecoveryServices.VMSnapshotLinux" || a.Extensions[0].Level != "Error" {
		t.Errorf("dev-snapfail-01 extensions %+v", a)
	}
}

// sdk returns ARM client options with quick retries, and a counter on them.
func sdkOptions(c *Cloud) (*arm.ClientOptions, *azure.RequestCounter) {
	opts := c.ClientOptions()
	opts.Retry.RetryDelay = time.Millisecond
	opts.Retry.MaxRetryDelay = 5 * time.Millisecond
	counter := azure.NewRequestCounter()
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, counter)
	return opts, counter
}

func TestDemoDirectSDKReads(t *testing.T) {
	c, _ := newDemo(t)
	ctx := context.Background()
	opts, _ := sdkOptions(c)
	cred := c.Credential()
	vms, _ := armcompute.NewVirtualMachinesClient(demoProd, cred, opts)

	// VM GET: no instance view unless expanded
	vm, err := vms.Get(ctx, "rg-web-prod", "web-prod-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	if vm.Properties == nil || vm.Properties.InstanceView != nil || *vm.Name != "web-prod-01" || string(*vm.Properties.HardwareProfile.VMSize) != "Standard_D2s_v5" {
		t.Errorf("VM GET: %+v", vm.Properties)
	}
	vm, err = vms.Get(ctx, "RG-WEB-PROD", "WEB-PROD-01", &armcompute.VirtualMachinesClientGetOptions{Expand: to.Ptr(armcompute.InstanceViewTypesInstanceView)})
	if err != nil {
		t.Fatal(err)
	}
	if iv := vm.Properties.InstanceView; iv == nil || iv.VMAgent == nil || *iv.VMAgent.VMAgentVersion != "2.12.0.2" {
		t.Errorf("VM GET $expand=instanceView: %+v", vm.Properties.InstanceView)
	}
	// deallocated: statuses but no agent
	iv, err := vms.InstanceView(ctx, "rg-build-dev", "build-agent-01", nil)
	if err == nil {
		t.Fatal("build-agent-01 is in the dev subscription; the prod client must not find it")
	}
	devVMs, _ := armcompute.NewVirtualMachinesClient(demoDev, cred, opts)
	iv, err = devVMs.InstanceView(ctx, "rg-build-dev", "build-agent-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	if iv.VMAgent != nil || azure.AgentFromInstanceView(&iv.VirtualMachineInstanceView).PowerState != "deallocated" {
		t.Errorf("deallocated instance view %+v", iv.VirtualMachineInstanceView)
	}

	// missing VM: ARM's 404 envelope, message included
	_, err = vms.Get(ctx, "rg-web-prod", "nope", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.ErrorCode != "ResourceNotFound" {
		t.Fatalf("missing VM: %v", err)
	}
	e := azure.Classify("get-vm", err).(*azure.Error)
	if e.Kind != azure.KindNotFound || !strings.Contains(e.Message, "Microsoft.Compute/virtualMachines/nope") {
		t.Errorf("missing VM classified %+v", e)
	}
	// unknown resource group and subscription
	_, err = vms.Get(ctx, "rg-nope", "web-prod-01", nil)
	if !errors.As(err, &re) || re.ErrorCode != "ResourceGroupNotFound" {
		t.Errorf("unknown resource group: %v", err)
	}
	ghost, _ := armcompute.NewVirtualMachinesClient("00000000-0000-0000-0000-00000000dead", cred, opts)
	_, err = ghost.Get(ctx, "rg-web-prod", "web-prod-01", nil)
	if !errors.As(err, &re) || re.ErrorCode != "SubscriptionNotFound" {
		t.Errorf("unknown subscription: %v", err)
	}

	// network
	nsgs, _ := armnetwork.NewSecurityGroupsClient(demoProd, cred, opts)
	nsg, err := nsgs.Get(ctx, "rg-api-prod", "nsg-api-restricted", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(nsg.Properties.DefaultSecurityRules) != 6 || len(nsg.Properties.SecurityRules) != 2 ||
		*nsg.Properties.DefaultSecurityRules[0].ID != *nsg.ID+"/defaultSecurityRules/AllowVnetInBound" {
		t.Errorf("NSG GET: %d default, %d custom rules", len(nsg.Properties.DefaultSecurityRules), len(nsg.Properties.SecurityRules))
	}
	nics, _ := armnetwork.NewInterfacesClient(demoProd, cred, opts)
	nic, err := nics.Get(ctx, "rg-edge-prod", "gateway-01-nic-wan", nil)
	if err != nil || nic.Properties.IPConfigurations[0].Properties.PublicIPAddress == nil || nic.Properties.NetworkSecurityGroup == nil {
		t.Errorf("NIC GET: %v", err)
	}
	subnets, _ := armnetwork.NewSubnetsClient(demoProd, cred, opts)
	sn, err := subnets.Get(ctx, "rg-network-prod", "vnet-prod-weu", "snet-web", nil)
	if err != nil || *sn.Properties.AddressPrefix != "10.10.1.0/24" {
		t.Errorf("subnet GET: %v", err)
	}

	// vaults
	vaults, _ := armrecoveryservices.NewVaultsClient(demoProd, cred, opts)
	v, err := vaults.Get(ctx, "rg-backup-prod", "rsv-eus-prod", nil)
	if err != nil || *v.Location != "eastus" || *v.Properties.ProvisioningState != "Succeeded" ||
		*v.Properties.RedundancySettings.StandardTierStorageRedundancy != armrecoveryservices.StandardTierStorageRedundancyGeoRedundant {
		t.Errorf("vault GET: %+v %v", v, err)
	}
	var listed []string
	for p := vaults.NewListBySubscriptionIDPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			listed = append(listed, *v.Name)
		}
	}
	if !slices.Equal(listed, []string{"rsv-eus-prod", "rsv-weu-prod"}) {
		t.Errorf("vaults by subscription %v", listed)
	}
	listed = nil
	for p := vaults.NewListByResourceGroupPager("rg-backup-prod", nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			listed = append(listed, *v.Name)
		}
	}
	if len(listed) != 2 {
		t.Errorf("vaults by resource group %v", listed)
	}
	_, err = vaults.Get(ctx, "rg-backup-prod", "rsv-nope", nil)
	if !errors.As(err, &re) || re.StatusCode != 404 {
		t.Errorf("missing vault: %v", err)
	}
	rs, _ := armrecoveryservices.NewClient(demoProd, cred, opts)
	avail, err := rs.CheckNameAvailability(ctx, "rg-backup-prod", "eastus", armrecoveryservices.CheckNameAvailabilityParameters{
		Name: to.Ptr("RSV-EUS-PROD"), Type: to.Ptr("Microsoft.RecoveryServices/Vaults")}, nil)
	if err != nil || *avail.NameAvailable || *avail.Reason != "AlreadyExists" {
		t.Errorf("name check: %+v %v", avail, err)
	}

	// backup storage config: the locked vault
	cfgs, _ := armrecoveryservicesbackup.NewBackupResourceStorageConfigsNonCRRClient(demoProd, cred, opts)
	cfg, err := cfgs.Get(ctx, "rsv-eus-prod", "rg-backup-prod", nil)
	if err != nil || *cfg.Properties.StorageTypeState != armrecoveryservicesbackup.StorageTypeStateLocked ||
		*cfg.Properties.StorageType != armrecoveryservicesbackup.StorageTypeGeoRedundant {
		t.Errorf("storage config: %+v %v", cfg, err)
	}
	cfg, err = cfgs.Get(ctx, "rsv-weu-prod", "rg-backup-prod", nil)
	if err != nil || *cfg.Properties.StorageTypeState != armrecoveryservicesbackup.StorageTypeStateUnlocked {
		t.Errorf("storage config: %+v %v", cfg, err)
	}

	// providers and resource groups
	prov, _ := armresources.NewProvidersClient(demoProd, cred, opts)
	p, err := prov.Get(ctx, "Microsoft.RecoveryServices", nil)
	if err != nil || *p.RegistrationState != "Registered" || *p.ResourceTypes[0].ResourceType != "vaults" || !slices.ContainsFunc(p.ResourceTypes[0].Locations, func(s *string) bool { return *s == "Japan East" }) {
		t.Errorf("provider: %+v %v", p, err)
	}
	rgs, _ := armresources.NewResourceGroupsClient(demoProd, cred, opts)
	rg, err := rgs.Get(ctx, "rg-backup-prod", nil)
	if err != nil || *rg.Name != "rg-backup-prod" {
		t.Errorf("resource group: %v", err)
	}
}

func TestGraphUnsupportedQueryAndBadToken(t *testing.T) {
	c, _ := newDemo(t)
	opts, _ := sdkOptions(c)
	g, _ := armresourcegraph.NewClient(c.Credential(), opts)
	ctx := context.Background()
	_, err := g.Resources(ctx, armresourcegraph.QueryRequest{Query: to.Ptr("Resources | take 5")}, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.ErrorCode != "BadRequest" {
		t.Fatalf("unsupported query: %v", err)
	}
	if e := azure.Classify("graph", err).(*azure.Error); e.Kind != azure.KindInvalid || !strings.Contains(e.Message, "support") {
		t.Errorf("unsupported query classified %+v", e)
	}
	_, err = g.Resources(ctx, armresourcegraph.QueryRequest{Query: to.Ptr(azure.QueryVMs),
		Options: &armresourcegraph.QueryRequestOptions{SkipToken: to.Ptr("bogus")}}, nil)
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest {
		t.Errorf("bad skip token: %v", err)
	}
	// paging by hand: Top 5 over 13 VMs, only visible subscriptions
	req := armresourcegraph.QueryRequest{Query: to.Ptr(azure.QueryVMs), Subscriptions: []*string{to.Ptr(demoProd), to.Ptr(demoDev), to.Ptr("99999999-9999-9999-9999-999999999999")},
		Options: &armresourcegraph.QueryRequestOptions{Top: to.Ptr[int32](5), ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray)}}
	var pages, rows int
	for {
		resp, err := g.Resources(ctx, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		rows += int(*resp.Count)
		if *resp.TotalRecords != 13 || *resp.ResultTruncated != armresourcegraph.ResultTruncatedFalse {
			t.Errorf("page %d: total %d truncated %s", pages, *resp.TotalRecords, *resp.ResultTruncated)
		}
		if resp.SkipToken == nil {
			break
		}
		req.Options.SkipToken = resp.SkipToken
	}
	if pages != 3 || rows != 13 {
		t.Errorf("pages %d rows %d, want 3 and 13", pages, rows)
	}
	// only the dev subscription
	resp, err := g.Resources(ctx, armresourcegraph.QueryRequest{Query: to.Ptr(azure.QueryVaults), Subscriptions: []*string{to.Ptr(demoDev)}}, nil)
	if err != nil || *resp.TotalRecords != 1 {
		t.Errorf("vaults of dev: %v %v", resp.TotalRecords, err)
	}
}

func TestUnknownPathIsARM404(t *testing.T) {
	c, _ := newDemo(t)
	req, _ := http.NewRequest(http.MethodGet, "https://management.azure.com/subscriptions/"+demoProd+"/providers/Microsoft.Nope/things?api-version=2020-01-01", nil)
	resp, err := c.Transport().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 {
		t.Errorf("status %d", resp.StatusCode)
	}
	re := runtimeError(resp)
	if re.ErrorCode != "ResourceNotFound" {
		t.Errorf("code %q", re.ErrorCode)
	}
}

func runtimeError(resp *http.Response) *azcore.ResponseError {
	var re *azcore.ResponseError
	errors.As(runtime.NewResponseError(resp), &re)
	return re
}
