package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/backupready/backupready/azure"
)

const (
	nsgAPI     = "/subscriptions/" + demoProd + "/resourceGroups/rg-api-prod/providers/Microsoft.Network/networkSecurityGroups/nsg-api-restricted"
	nsgAppWEU  = "/subscriptions/" + demoProd + "/resourceGroups/rg-network-prod/providers/Microsoft.Network/networkSecurityGroups/nsg-app-weu"
	nicAPI     = "/subscriptions/" + demoProd + "/resourceGroups/rg-api-prod/providers/Microsoft.Network/networkInterfaces/api-01-nic"
	vmAPI      = "/subscriptions/" + demoProd + "/resourceGroups/rg-api-prod/providers/Microsoft.Compute/virtualMachines/api-01"
	nicBuild   = "/subscriptions/" + demoDev + "/resourceGroups/rg-build-dev/providers/Microsoft.Network/networkInterfaces/build-agent-01-nic"
	watcherWEU = "/subscriptions/" + demoProd + "/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope"
	watcherDev = "/subscriptions/" + demoDev + "/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope"
	storageIP  = "198.51.100.115" // in the simulated Storage.WestEurope
)

// watcherDoc is a Network Watcher as ARM returns it (the document to add to
// a scenario for a region that has one).
func watcherDoc(id, location string) json.RawMessage {
	_, _, name := splitID(id)
	b, _ := json.Marshal(map[string]any{
		"id": id, "name": name, "type": "Microsoft.Network/networkWatchers", "location": location,
		"etag":       `W/"5c1e2f3a-0000-4000-8000-00000000a001"`,
		"properties": map[string]string{"provisioningState": "Succeeded"},
	})
	return b
}

// netClock is a clock the test moves.
type netClock struct {
	mu sync.Mutex
	t  time.Time
}

func newNetClock() *netClock { return &netClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} }

func (c *netClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *netClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// netCloud is the demo with a Network Watcher in westeurope in both
// subscriptions (the dev one is the test's own), an operation time and a clock; its client does not wait
// for a 429's Retry-After.
func netCloud(t *testing.T, opTime time.Duration, opts Options) (*Cloud, *azure.Client, *netClock) {
	t.Helper()
	clock := newNetClock()
	if opts.Now == nil {
		opts.Now = clock.now
	}
	sc := Demo()
	sc.Latency = 0
	sc.OperationTime = opTime
	for _, id := range []string{watcherWEU, watcherDev} {
		if !slices.ContainsFunc(sc.Resources, func(doc json.RawMessage) bool { return strings.Contains(string(doc), `"`+id+`"`) }) {
			sc.Resources = append(sc.Resources, watcherDoc(id, "westeurope")) // the demo may list it already
		}
	}
	c, err := New(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := sdkOptions(c)
	cl, err := azure.New(c.Credential(), o)
	if err != nil {
		t.Fatal(err)
	}
	return c, cl, clock
}

var backupRule = azure.SecurityRule{Name: "allow-azure-backup", Priority: 150, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
	Sources: []string{"VirtualNetwork"}, Destinations: []string{"Storage.WestEurope"}, DestPorts: []string{"443"},
	Description: "Azure Backup: Storage in the region on 443"}

func ruleNamed(rules []azure.SecurityRule, name string) *azure.SecurityRule {
	for i := range rules {
		if rules[i].Name == name {
			return &rules[i]
		}
	}
	return nil
}

func pollDone(t *testing.T, op *azure.Operation) error {
	t.Helper()
	done, err := op.Poll(context.Background())
	if !done {
		t.Fatalf("operation %s not done (err %v)", op.Op(), err)
	}
	return err
}

func pollRunning(t *testing.T, op *azure.Operation) {
	t.Helper()
	if done, err := op.Poll(context.Background()); done || err != nil {
		t.Fatalf("operation %s: done %v err %v, want running", op.Op(), done, err)
	}
}

// A rule PUT takes the operation time; then the NSG (GET and Resource
// Graph) shows the rule; a PUT of the same name updates it.
func TestSimRulePutShowsInNSG(t *testing.T) {
	_, cl, clock := netCloud(t, 10*time.Second, Options{})
	ctx := context.Background()
	op, err := cl.BeginPutSecurityRule(ctx, nsgAPI, backupRule, "")
	if err != nil {
		t.Fatal(err)
	}
	pollRunning(t, op)
	n, err := cl.NSG(ctx, nsgAPI)
	if err != nil || ruleNamed(n.Rules, backupRule.Name) != nil {
		t.Fatalf("rule in the NSG before the write finished: %v", err)
	}
	if r, err := cl.SecurityRule(ctx, nsgAPI, backupRule.Name); err != nil || r == nil || r.Priority != 150 {
		t.Fatalf("a rule being written reads as Updating, not absent: %+v %v", r, err)
	}
	clock.advance(11 * time.Second)
	if err := pollDone(t, op); err != nil {
		t.Fatal(err)
	}
	n, err = cl.NSG(ctx, nsgAPI)
	if err != nil {
		t.Fatal(err)
	}
	got := ruleNamed(n.Rules, backupRule.Name)
	if got == nil || got.Priority != 150 || got.Access != "Allow" || got.Direction != "Outbound" || got.Protocol != "Tcp" ||
		!slices.Equal(got.Destinations, []string{"Storage.WestEurope"}) || !slices.Equal(got.DestPorts, []string{"443"}) || got.Default {
		t.Fatalf("rule in the NSG: %+v", got)
	}
	r, err := cl.SecurityRule(ctx, nsgAPI, backupRule.Name)
	if err != nil || r == nil || r.Description != backupRule.Description || !slices.Equal(r.SourcePorts, []string{"*"}) ||
		!slices.Equal(r.Sources, []string{"VirtualNetwork"}) {
		t.Fatalf("read back: %+v %v", r, err)
	}
	if r, err := cl.SecurityRule(ctx, nsgAPI, "no-such-rule"); r != nil || err != nil {
		t.Fatalf("absent rule: %+v %v", r, err)
	}

	inv, err := cl.Inventory(ctx, []string{demoProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := inv.NSG(nsgAPI); g == nil || ruleNamed(g.Rules, backupRule.Name) == nil {
		t.Fatalf("Resource Graph does not show the rule: %+v", g)
	}

	upd := backupRule
	upd.Priority, upd.DestPorts = 160, []string{"443", "80"}
	op, err = cl.BeginPutSecurityRule(ctx, nsgAPI, upd, "")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(11 * time.Second)
	if err := pollDone(t, op); err != nil {
		t.Fatal(err)
	}
	n, _ = cl.NSG(ctx, nsgAPI)
	count := 0
	for _, r := range n.Rules {
		if r.Name == backupRule.Name {
			count++
			if r.Priority != 160 || !slices.Equal(r.DestPorts, []string{"443", "80"}) {
				t.Fatalf("updated rule: %+v", r)
			}
		}
	}
	if count != 1 {
		t.Fatalf("the update must replace the rule, found %d", count)
	}
}

// A priority another rule of the same direction uses is refused, naming it;
// the same priority in the other direction is fine.
func TestSimRulePriorityConflict(t *testing.T) {
	_, cl, _ := netCloud(t, 0, Options{})
	ctx := context.Background()
	clash := backupRule
	clash.Priority = 200 // DenyInternetOutbound
	_, err := cl.BeginPutSecurityRule(ctx, nsgAPI, clash, "")
	e, ok := azure.AsError(err)
	if !ok || e.Kind != azure.KindInvalid || e.Status != http.StatusBadRequest || e.Code != codeRuleConflict || e.Op != "put-security-rule" ||
		!strings.Contains(e.Message, "DenyInternetOutbound") {
		t.Fatalf("conflict: %v", err)
	}
	inbound := clash
	inbound.Direction, inbound.Sources, inbound.Destinations = "Inbound", []string{"Internet"}, []string{"*"}
	op, err := cl.BeginPutSecurityRule(ctx, nsgAPI, inbound, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := pollDone(t, op); err != nil {
		t.Fatal(err)
	}
}

// The simulator judges what the azure layer lets through as Azure does.
func TestSimRuleValidation(t *testing.T) {
	c, _, _ := netCloud(t, 0, Options{})
	opts, _ := sdkOptions(c)
	sdk, err := armnetwork.NewSecurityRulesClient(demoProd, c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	good := func() armnetwork.SecurityRule {
		return armnetwork.SecurityRule{Properties: &armnetwork.SecurityRulePropertiesFormat{
			Access: to.Ptr(armnetwork.SecurityRuleAccessAllow), Direction: to.Ptr(armnetwork.SecurityRuleDirectionOutbound),
			Priority: to.Ptr[int32](300), Protocol: to.Ptr(armnetwork.SecurityRuleProtocolTCP),
			SourceAddressPrefix: to.Ptr("*"), SourcePortRange: to.Ptr("*"),
			DestinationAddressPrefix: to.Ptr("Storage.WestEurope"), DestinationPortRange: to.Ptr("443")}}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name, rule, code string
		change           func(p *armnetwork.SecurityRulePropertiesFormat)
	}{
		{"ok", "ok-1", "", func(*armnetwork.SecurityRulePropertiesFormat) {}},
		{"tags and CIDRs", "ok-2", "", func(p *armnetwork.SecurityRulePropertiesFormat) {
			p.DestinationAddressPrefix = nil
			p.DestinationAddressPrefixes = to.SliceOfPtrs("Storage", "AzureBackup", "AzureActiveDirectory", "Internet", "VirtualNetwork", "20.0.0.0/8", "2001:db8::/32", "storage.eastus")
			p.DestinationPortRange, p.DestinationPortRanges = nil, to.SliceOfPtrs("80-443", "8443")
		}},
		{"name", "-bad", codeBadResourceName, func(*armnetwork.SecurityRulePropertiesFormat) {}},
		{"name end", "bad.", codeBadResourceName, func(*armnetwork.SecurityRulePropertiesFormat) {}},
		{"priority", "p", codeRuleBadPriority, func(p *armnetwork.SecurityRulePropertiesFormat) { p.Priority = to.Ptr[int32](4097) }},
		{"priority low", "p", codeRuleBadPriority, func(p *armnetwork.SecurityRulePropertiesFormat) { p.Priority = to.Ptr[int32](99) }},
		{"direction", "d", codeRuleBadDirection, func(p *armnetwork.SecurityRulePropertiesFormat) {
			p.Direction = to.Ptr(armnetwork.SecurityRuleDirection("Up"))
		}},
		{"access", "a", codeRuleBadAccess, func(p *armnetwork.SecurityRulePropertiesFormat) {
			p.Access = to.Ptr(armnetwork.SecurityRuleAccess("Maybe"))
		}},
		{"protocol", "pr", codeRuleBadProtocol, func(p *armnetwork.SecurityRulePropertiesFormat) {
			p.Protocol = to.Ptr(armnetwork.SecurityRuleProtocol("Sctp"))
		}},
		{"port", "po", codeRuleBadPort, func(p *armnetwork.SecurityRulePropertiesFormat) { p.DestinationPortRange = to.Ptr("443-80") }},
		{"port text", "po", codeRuleBadPort, func(p *armnetwork.SecurityRulePropertiesFormat) { p.DestinationPortRange = to.Ptr("https") }},
		{"no port", "po", codeRuleBadPort, func(p *armnetwork.SecurityRulePropertiesFormat) { p.DestinationPortRange = nil }},
		{"tag", "t", codeRuleBadPrefix, func(p *armnetwork.SecurityRulePropertiesFormat) { p.DestinationAddressPrefix = to.Ptr("Storage.Mars") }},
		{"cidr", "t", codeRuleBadPrefix, func(p *armnetwork.SecurityRulePropertiesFormat) { p.DestinationAddressPrefix = to.Ptr("10.0.0.0/33") }},
		{"both forms", "b", codeRuleBothForms, func(p *armnetwork.SecurityRulePropertiesFormat) {
			p.DestinationAddressPrefixes = to.SliceOfPtrs("Internet")
		}},
	} {
		r := good()
		r.Properties.Priority = to.Ptr[int32](300 + int32(len(tc.name)))
		tc.change(r.Properties)
		p, err := sdk.BeginCreateOrUpdate(ctx, "rg-api-prod", "nsg-api-restricted", tc.rule, r, nil)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			for !p.Done() {
				if _, err := p.Poll(ctx); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
			}
			if _, err := p.Result(ctx); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.ErrorCode != tc.code {
			t.Errorf("%s: want 400 %s, got %v", tc.name, tc.code, err)
		}
	}
	if _, err := sdk.BeginCreateOrUpdate(ctx, "rg-api-prod", "nsg-missing", "r", good(), nil); err == nil {
		t.Error("a rule in a missing NSG must be refused")
	}
}

// A write while another write on the same NSG runs is 429
// RetryableErrorDueToAnotherOperation with a Retry-After; another NSG is not
// locked; once the first write is done the second goes through.
func TestSimRuleWriteWhileAnotherRuns(t *testing.T) {
	_, cl, clock := netCloud(t, 10*time.Second, Options{})
	ctx := context.Background()
	first, err := cl.BeginPutSecurityRule(ctx, nsgAPI, backupRule, "")
	if err != nil {
		t.Fatal(err)
	}
	second := backupRule
	second.Name, second.Priority = "allow-aad", 151
	second.Destinations = []string{"AzureActiveDirectory"}
	_, err = cl.BeginPutSecurityRule(ctx, nsgAPI, second, "")
	e, ok := azure.AsError(err)
	if !ok || e.Kind != azure.KindThrottled || e.Status != http.StatusTooManyRequests || e.Code != codeAnotherOperation || e.RetryAfter != 10*time.Second {
		t.Fatalf("second write: %v (%+v)", err, e)
	}
	other, err := cl.BeginPutSecurityRule(ctx, nsgAppWEU, backupRule, "")
	if err != nil {
		t.Fatalf("another NSG is not locked: %v", err)
	}
	clock.advance(4 * time.Second)
	if _, err = cl.BeginPutSecurityRule(ctx, nsgAPI, second, ""); err == nil {
		t.Fatal("still locked")
	} else if e, _ := azure.AsError(err); e.RetryAfter != 6*time.Second {
		t.Fatalf("Retry-After should be what is left: %v", e.RetryAfter)
	}
	clock.advance(7 * time.Second)
	for _, op := range []*azure.Operation{first, other} {
		if err := pollDone(t, op); err != nil {
			t.Fatal(err)
		}
	}
	op, err := cl.BeginPutSecurityRule(ctx, nsgAPI, second, "")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(11 * time.Second)
	if err := pollDone(t, op); err != nil {
		t.Fatal(err)
	}
	n, _ := cl.NSG(ctx, nsgAPI)
	if ruleNamed(n.Rules, "allow-aad") == nil || ruleNamed(n.Rules, backupRule.Name) == nil {
		t.Fatalf("rules: %+v", n.Rules)
	}
}

// A rule PUT's resume token works in another process (a new Cloud over the
// same --sim-state file), and the rule lands in the persisted NSG.
func TestSimRulePutResumes(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	clock := newNetClock()
	_, cl, _ := netCloud(t, 10*time.Second, Options{StatePath: state, Now: clock.now})
	ctx := context.Background()
	op, err := cl.BeginPutSecurityRule(ctx, nsgAPI, backupRule, "")
	if err != nil {
		t.Fatal(err)
	}
	pollRunning(t, op)
	token := op.ResumeToken()
	if token == "" {
		t.Fatal("no resume token")
	}

	_, cl2, _ := netCloud(t, 10*time.Second, Options{StatePath: state, Now: clock.now})
	op2, err := cl2.BeginPutSecurityRule(ctx, nsgAPI, azure.SecurityRule{}, token)
	if err != nil {
		t.Fatal(err)
	}
	pollRunning(t, op2)
	if _, err := cl2.BeginPutSecurityRule(ctx, nsgAPI, azure.SecurityRule{Name: "x", Priority: 170, Direction: "Outbound", Access: "Deny",
		Protocol: "*", Destinations: []string{"*"}, DestPorts: []string{"*"}}, ""); err == nil {
		t.Fatal("the NSG stays locked across processes")
	}
	clock.advance(11 * time.Second)
	if err := pollDone(t, op2); err != nil {
		t.Fatal(err)
	}
	_, cl3, _ := netCloud(t, 10*time.Second, Options{StatePath: state, Now: clock.now})
	n, err := cl3.NSG(ctx, nsgAPI)
	if err != nil || ruleNamed(n.Rules, backupRule.Name) == nil {
		t.Fatalf("persisted NSG: %v", err)
	}
}

// Effective rules of a running VM's NIC: its NIC's NSG and its subnet's,
// each with custom and default rules, prefixes and ports as Azure writes
// them, service tags expanded. A VM that does not run is refused.
func TestSimEffectiveRules(t *testing.T) {
	_, cl, clock := netCloud(t, 5*time.Second, Options{})
	ctx := context.Background()
	put, err := cl.BeginPutSecurityRule(ctx, nsgAPI, backupRule, "")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(6 * time.Second)
	if err := pollDone(t, put); err != nil {
		t.Fatal(err)
	}

	op, result, err := cl.BeginEffectiveRules(ctx, nicAPI, "")
	if err != nil {
		t.Fatal(err)
	}
	pollRunning(t, op)
	if result() != nil {
		t.Fatal("result while running")
	}
	clock.advance(6 * time.Second)
	if err := pollDone(t, op); err != nil {
		t.Fatal(err)
	}
	groups := result()
	if len(groups) != 2 || !strings.EqualFold(groups[0].NSGID, nsgAPI) || groups[0].Association != "NetworkInterface" ||
		!strings.EqualFold(groups[1].NSGID, nsgAppWEU) || groups[1].Association != "Subnet" {
		t.Fatalf("groups: %+v", groups)
	}
	find := func(g azure.EffectiveNSG, name string) *azure.EffectiveRule {
		for i := range g.Rules {
			if g.Rules[i].Name == name {
				return &g.Rules[i]
			}
		}
		t.Fatalf("no rule %s in %s: %+v", name, g.NSGID, g.Rules)
		return nil
	}
	deny := find(groups[0], "securityRules/DenyInternetOutbound")
	if deny.Access != "Deny" || deny.Priority != 200 || deny.Protocol != "All" || !slices.Equal(deny.Destinations, []string{"Internet"}) ||
		!slices.Equal(deny.DestPorts, []string{"0-65535"}) || !slices.Equal(deny.Sources, []string{"0.0.0.0/0"}) || len(deny.ExpandedDestinations) == 0 {
		t.Fatalf("deny rule: %+v", deny)
	}
	allow := find(groups[0], "securityRules/"+backupRule.Name)
	if allow.Protocol != "Tcp" || !slices.Equal(allow.DestPorts, []string{"443-443"}) ||
		!slices.Equal(allow.ExpandedDestinations, storagePrefixes("westeurope")) {
		t.Fatalf("allow rule: %+v", allow)
	}
	vnet := find(groups[1], "defaultSecurityRules/AllowVnetOutBound")
	if !slices.Equal(vnet.ExpandedDestinations, []string{"10.10.0.0/16", "168.63.129.16/32"}) || vnet.Priority != 65000 {
		t.Fatalf("vnet rule: %+v", vnet)
	}
	if len(groups[1].Rules) != 6 {
		t.Fatalf("subnet NSG: want its six default rules, got %+v", groups[1].Rules)
	}
	for i := 1; i < len(groups[0].Rules); i++ {
		a, b := groups[0].Rules[i-1], groups[0].Rules[i]
		if a.Direction == b.Direction && a.Priority > b.Priority {
			t.Fatalf("rules out of priority order: %+v", groups[0].Rules)
		}
	}

	_, _, err = cl.BeginEffectiveRules(ctx, nicBuild, "")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindInvalid || e.Status != http.StatusBadRequest || e.Code != codeVMNotRunning ||
		!strings.Contains(e.Message, "running") {
		t.Fatalf("stopped VM: %v", err)
	}
	_, _, err = cl.BeginEffectiveRules(ctx, strings.Replace(nicAPI, "api-01-nic", "nope", 1), "")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindNotFound {
		t.Fatalf("missing NIC: %v", err)
	}
}

// The region's service tags, answered from Microsoft's recorded example
// (regional tags renamed to the region) plus the simulated backup tags.
func TestSimServiceTags(t *testing.T) {
	_, cl, _ := netCloud(t, 0, Options{})
	ctx := context.Background()
	cn, tags, err := cl.ServiceTags(ctx, demoProd, "westeurope")
	if err != nil {
		t.Fatal(err)
	}
	if cn != "63" {
		t.Errorf("change number %q", cn)
	}
	by := map[string]azure.ServiceTag{}
	for _, tg := range tags {
		by[tg.Name] = tg
		if tg.Region != "" && tg.Region != "westeurope" {
			t.Errorf("tag of another region: %+v", tg)
		}
	}
	st := by["Storage.WestEurope"]
	// dozens of IPv4 prefixes and about a dozen IPv6 ones (servicetags.go)
	if st.Region != "westeurope" || st.SystemService != "AzureStorage" || !slices.Contains(st.IPv4, "198.51.100.112/28") ||
		!slices.Contains(st.IPv6, "2001:db8:100:7::/64") || len(st.IPv4) < 24 || len(st.IPv4) > 60 || len(st.IPv6) < 6 || len(st.IPv6) > 20 || st.ChangeNumber == "" {
		t.Errorf("Storage.WestEurope: %+v", st)
	}
	for _, name := range []string{"Storage", "AzureBackup", "AzureBackup.WestEurope", "AzureActiveDirectory", "AzureCloud", "AzureCloud.westeurope",
		"ApiManagement", "ApiManagement.WestEurope", "AppService", "ServiceBus", "ServiceBus.WestEurope"} {
		if _, ok := by[name]; !ok {
			t.Errorf("no tag %s in %v", name, tags)
		}
	}
	if am := by["ApiManagement.WestEurope"]; !slices.Equal(am.IPv4, []string{"20.36.106.68/31", "20.36.107.176/28"}) {
		t.Errorf("renamed recorded tag: %+v", am)
	}
	_, tags, err = cl.ServiceTags(ctx, demoProd, "japaneast")
	if err != nil || !slices.ContainsFunc(tags, func(tg azure.ServiceTag) bool { return tg.Name == "Storage.JapanEast" }) {
		t.Errorf("japaneast: %v %v", tags, err)
	}
	if _, _, err := cl.ServiceTags(ctx, demoProd, "atlantis"); err == nil {
		t.Error("an unknown region must be refused")
	}
}

// recordedTags is the recorded example, value for value.
func TestSimServiceTagsMatchRecording(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "azure-real", "example_service_tags_list.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Response struct {
			Body struct {
				ChangeNumber string `json:"changeNumber"`
				Values       []struct {
					Name       string `json:"name"`
					Properties struct {
						ChangeNumber    string   `json:"changeNumber"`
						Region          string   `json:"region"`
						SystemService   string   `json:"systemService"`
						AddressPrefixes []string `json:"addressPrefixes"`
					} `json:"properties"`
				} `json:"values"`
			} `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.Response.Body.ChangeNumber != recordedChangeNumber || len(f.Response.Body.Values) != len(recordedTags) {
		t.Fatalf("recording has %d tags, change number %s", len(f.Response.Body.Values), f.Response.Body.ChangeNumber)
	}
	for i, v := range f.Response.Body.Values {
		got := recordedTags[i]
		p := v.Properties
		if got.Name != v.Name || got.Region != p.Region || got.System != p.SystemService || got.Change != p.ChangeNumber || !slices.Equal(got.Prefixes, p.AddressPrefixes) {
			t.Errorf("tag %d: %+v, recorded %+v", i, got, v)
		}
	}
}

// The region's Network Watcher, and IP flow verify naming the deciding rule:
// api-01's NIC NSG denies outbound Internet (DenyInternetOutbound) until an
// allow rule for Storage.WestEurope on 443 wins over it.
func TestSimNetworkWatcherAndIPFlowVerify(t *testing.T) {
	_, cl, _ := netCloud(t, 0, Options{})
	ctx := context.Background()
	w, err := cl.NetworkWatcher(ctx, demoProd, "West Europe")
	if err != nil || !strings.EqualFold(w, watcherWEU) {
		t.Fatalf("watcher: %q %v", w, err)
	}
	if w, err := cl.NetworkWatcher(ctx, demoProd, "eastus"); err != nil || w != "" {
		t.Fatalf("eastus has none: %q %v", w, err)
	}
	flow := func(remoteIP, port string) (string, string) {
		t.Helper()
		access, rule, err := cl.VerifyIPFlow(ctx, watcherWEU, azure.FlowCheck{VMID: vmAPI, LocalIP: "10.10.5.4", RemoteIP: remoteIP, RemotePort: port})
		if err != nil {
			t.Fatal(err)
		}
		return access, rule
	}
	if a, r := flow(storageIP, "443"); a != "Deny" || r != "securityRules/DenyInternetOutbound" {
		t.Fatalf("before the rule: %s %s", a, r)
	}
	if a, r := flow("10.10.1.4", "443"); a != "Allow" || r != "defaultSecurityRules/AllowVnetOutBound" {
		t.Fatalf("inside the VNet: %s %s", a, r)
	}
	op, err := cl.BeginPutSecurityRule(ctx, nsgAPI, backupRule, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := pollDone(t, op); err != nil {
		t.Fatal(err)
	}
	if a, r := flow(storageIP, "443"); a != "Allow" || r != "securityRules/"+backupRule.Name {
		t.Fatalf("after the rule: %s %s", a, r)
	}
	if a, r := flow(storageIP, "80"); a != "Deny" || r != "securityRules/DenyInternetOutbound" {
		t.Fatalf("port 80: %s %s", a, r)
	}
	// inbound from the Internet meets the subnet NSG's default deny first
	access, rule, err := cl.VerifyIPFlow(ctx, watcherWEU, azure.FlowCheck{VMID: vmAPI, Direction: "Inbound", LocalIP: "10.10.5.4", LocalPort: "22",
		RemoteIP: "203.0.113.9", RemotePort: "50000"})
	if err != nil || access != "Deny" || rule != "defaultSecurityRules/DenyAllInBound" {
		t.Fatalf("inbound: %s %s %v", access, rule, err)
	}
	// a VM that does not run, a local address the VM does not have
	_, _, err = cl.VerifyIPFlow(ctx, watcherDev, azure.FlowCheck{VMID: vmBuild, LocalIP: "10.50.1.5", RemoteIP: storageIP, RemotePort: "443"})
	if e, ok := azure.AsError(err); !ok || e.Code != codeVMNotRunning || e.Op != "verify-ip-flow" {
		t.Fatalf("stopped VM: %v", err)
	}
	_, _, err = cl.VerifyIPFlow(ctx, watcherWEU, azure.FlowCheck{VMID: vmAPI, LocalIP: "10.10.9.9", RemoteIP: storageIP, RemotePort: "443"})
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindInvalid {
		t.Fatalf("wrong local address: %v", err)
	}
}

// IP flow verify is a long-running operation: VerifyIPFlow waits for it and
// honours its context.
func TestSimIPFlowVerifyHonoursContext(t *testing.T) {
	_, cl, _ := netCloud(t, time.Hour, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := cl.VerifyIPFlow(ctx, watcherWEU, azure.FlowCheck{VMID: vmAPI, LocalIP: "10.10.5.4", RemoteIP: storageIP, RemotePort: "443"})
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindTimeout {
		t.Fatalf("want a timeout, got %v", err)
	}
}
