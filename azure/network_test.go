package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

const (
	recordedNSG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/Sanitized/providers/Microsoft.Network/networkSecurityGroups/networksec9YMwuK"
	testNIC     = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic1"
	testVM      = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
	testWatcher = "/subscriptions/s/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope"
)

// bodies wraps a transport and keeps the body of every request.
type bodies struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	mu   sync.Mutex
	sent []string
}

func (b *bodies) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	b.mu.Lock()
	b.sent = append(b.sent, string(body))
	b.mu.Unlock()
	return b.next.Do(req)
}

func jsonEqual(t *testing.T, got string, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("sent body %q: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("sent body\n%s\nwant\n%s", got, want)
	}
}

// The rule PUT sends the recorded body, follows the recorded 201 +
// Azure-AsyncOperation answer to its end, and the rule reads back as recorded.
func TestRecordedSecurityRulePut(t *testing.T) {
	rp := &replay{t: t, files: []string{"nsg_security_rule_put_201_async.json", "nsg_security_rule_put_poll_succeeded.json", "nsg_security_rule_get.json"}}
	tr := &bodies{next: rp}
	c := testClient(t, tr)
	ctx := context.Background()
	rule := SecurityRule{Name: "securityruQ78Hvh", Priority: 100, Direction: "Outbound", Access: "Deny", Protocol: "*",
		Sources: []string{"10.0.0.0/8"}, Destinations: []string{"11.0.0.0/8"}, DestPorts: []string{"8080"}}
	op, err := c.BeginPutSecurityRule(ctx, recordedNSG, rule, "")
	if err != nil {
		t.Fatal(err)
	}
	if op.Op() != "put-security-rule" || op.ResumeToken() == "" {
		t.Fatalf("operation %q token %q", op.Op(), op.ResumeToken())
	}
	jsonEqual(t, tr.sent[0], recordedRequest(t, "nsg_security_rule_put_201_async.json"))
	done, err := op.Poll(ctx)
	if !done || err != nil {
		t.Fatalf("poll: %v %v", done, err)
	}
	want := []string{
		"PUT " + recordedNSG + "/securityRules/securityruQ78Hvh",
		"GET /subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Network/locations/westus/operations/00000000-0000-0000-0000-000000000000",
		"GET " + recordedNSG + "/securityRules/securityruQ78Hvh",
	}
	if !slices.Equal(rp.seen, want) {
		t.Fatalf("requests\n%v\nwant\n%v", rp.seen, want)
	}

	c, _ = clientFor(t, "nsg_security_rule_get.json")
	got, err := c.SecurityRule(ctx, recordedNSG, "securityruQ78Hvh")
	if err != nil || got == nil {
		t.Fatalf("read back: %+v %v", got, err)
	}
	rule.SourcePorts = []string{"*"}
	if !reflect.DeepEqual(*got, rule) {
		t.Fatalf("read back\n%+v\nwant\n%+v", *got, rule)
	}
}

// recordedRequest is the body of a fixture's recorded request.
func recordedRequest(t *testing.T, name string) json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Request struct {
			Body json.RawMessage `json:"body"`
		} `json:"request"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	return raw.Request.Body
}

// Several values go in the plural fields, one in the singular (never both),
// and no sources mean "*" (AZURE.md §4.3's verified body).
func TestSecurityRuleBody(t *testing.T) {
	b, err := json.Marshal(ruleModel(SecurityRule{Name: "allow-backup", Priority: 200, Direction: "outbound", Access: "allow", Protocol: "tcp",
		Destinations: []string{"AzureBackup"}, DestPorts: []string{"443"}, Sources: []string{"VirtualNetwork"}}))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, string(b), json.RawMessage(`{"properties":{"access":"Allow","destinationAddressPrefix":"AzureBackup","destinationPortRange":"443","direction":"Outbound","priority":200,"protocol":"Tcp","sourceAddressPrefix":"VirtualNetwork","sourcePortRange":"*"}}`))

	b, _ = json.Marshal(ruleModel(SecurityRule{Name: "proxy", Priority: 210, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
		Description: "to the proxy", Sources: []string{"10.1.0.0/24", "10.2.0.0/24"}, Destinations: []string{"Internet"}, DestPorts: []string{"80", "443"}}))
	jsonEqual(t, string(b), json.RawMessage(`{"properties":{"access":"Allow","description":"to the proxy","destinationAddressPrefix":"Internet","destinationPortRanges":["80","443"],"direction":"Outbound","priority":210,"protocol":"Tcp","sourceAddressPrefixes":["10.1.0.0/24","10.2.0.0/24"],"sourcePortRange":"*"}}`))
}

func TestValidateSecurityRule(t *testing.T) {
	ok := SecurityRule{Name: "Allow-Backup_443", Priority: 100, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
		Destinations: []string{"Storage.WestEurope"}, DestPorts: []string{"443"}}
	if r := ValidateSecurityRule(ok); r != "" {
		t.Fatalf("valid rule refused: %s", r)
	}
	for _, tc := range []struct {
		reason string
		change func(*SecurityRule)
	}{
		{"name", func(r *SecurityRule) { r.Name = "" }},
		{"name", func(r *SecurityRule) { r.Name = "-starts-with-hyphen" }},
		{"name", func(r *SecurityRule) { r.Name = "ends-with-dot." }},
		{"name", func(r *SecurityRule) { r.Name = "has space" }},
		{"name", func(r *SecurityRule) { r.Name = strings.Repeat("a", 81) }},
		{"priority", func(r *SecurityRule) { r.Priority = 99 }},
		{"priority", func(r *SecurityRule) { r.Priority = 4097 }},
		{"direction", func(r *SecurityRule) { r.Direction = "Sideways" }},
		{"access", func(r *SecurityRule) { r.Access = "Maybe" }},
		{"protocol", func(r *SecurityRule) { r.Protocol = "Sctp" }},
		{"destinations", func(r *SecurityRule) { r.Destinations = nil }},
		{"destinations", func(r *SecurityRule) { r.Destinations = []string{" "} }},
		{"sources", func(r *SecurityRule) { r.Sources = []string{""} }},
		{"ports", func(r *SecurityRule) { r.DestPorts = nil }},
		{"ports", func(r *SecurityRule) { r.DestPorts = []string{"443-80"} }},
		{"ports", func(r *SecurityRule) { r.DestPorts = []string{"65536"} }},
		{"ports", func(r *SecurityRule) { r.SourcePorts = []string{"any"} }},
		{"description", func(r *SecurityRule) { r.Description = strings.Repeat("é", 141) }},
	} {
		r := ok
		tc.change(&r)
		if got := ValidateSecurityRule(r); got != tc.reason {
			t.Errorf("%+v: reason %q, want %q", r, got, tc.reason)
		}
	}
	for _, name := range []string{"a", "A1", "x_", "allow.backup-443_", strings.Repeat("z", 80)} {
		if !ValidRuleName(name) {
			t.Errorf("%q should be a valid name", name)
		}
	}
	for spec, want := range map[string]bool{"*": true, "0": true, "443": true, "80-443": true, "0-65535": true,
		"": false, "-1": false, "80-": false, "+80": false, "1-2-3": false, "a": false} {
		if ValidPortSpec(spec) != want {
			t.Errorf("port spec %q: want %v", spec, want)
		}
	}
	// the client refuses before asking Azure
	c, rp := clientFor(t)
	bad := ok
	bad.Priority = 5000
	_, err := c.BeginPutSecurityRule(context.Background(), recordedNSG, bad, "")
	if e, isErr := AsError(err); !isErr || e.Kind != KindInvalid || e.Code != CodeInvalidSecurityRule || e.Message != "priority" || len(rp.seen) != 0 {
		t.Fatalf("invalid rule: %v (requests %v)", err, rp.seen)
	}
}

// A rule's description and source ports are read; a default rule document
// (the recorded list) reads the same way.
func TestRecordedDefaultRuleDetails(t *testing.T) {
	var list struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(loadFixture(t, "nsg_default_security_rules_list.json").Response.Body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Value) != 6 {
		t.Fatalf("want six default rules, got %d", len(list.Value))
	}
	var doc any
	_ = json.Unmarshal(list.Value[0], &doc)
	r, err := ruleFrom("get-security-rule", doc)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "AllowVnetInBound" || r.Description != "Allow inbound traffic from all VMs in VNET" || !slices.Equal(r.SourcePorts, []string{"*"}) ||
		r.Priority != 65000 || !slices.Equal(r.Sources, []string{"VirtualNetwork"}) {
		t.Fatalf("rule %+v", r)
	}
}

// Microsoft's example service tag list: the list's change number, the tags
// of the region and those of every region; other regions' tags left out.
func TestRecordedServiceTags(t *testing.T) {
	c, rp := clientFor(t, "example_service_tags_list.json")
	cn, tags, err := c.ServiceTags(context.Background(), "subId", "westcentralus")
	if err != nil {
		t.Fatal(err)
	}
	if cn != "63" {
		t.Errorf("change number %q", cn)
	}
	var names []string
	for _, tg := range tags {
		names = append(names, tg.Name)
		if tg.Region != "" || len(tg.IPv6) != 0 || len(tg.IPv4) == 0 || tg.ChangeNumber == "" || tg.SystemService == "" {
			t.Errorf("tag %+v", tg)
		}
	}
	if !slices.Equal(names, []string{"ApiManagement", "AppService", "ServiceBus"}) {
		t.Errorf("tags of westcentralus: %v", names)
	}
	if rp.seen[0] != "GET /subscriptions/subId/providers/Microsoft.Network/locations/westcentralus/serviceTags" {
		t.Errorf("request %v", rp.seen)
	}
	c, _ = clientFor(t, "example_service_tags_list.json")
	_, tags, _ = c.ServiceTags(context.Background(), "subId", "East US 2")
	var sb *ServiceTag
	for i := range tags {
		if tags[i].Name == "ServiceBus.EastUS2" {
			sb = &tags[i]
		}
	}
	if len(tags) != 4 || sb == nil || sb.Region != "eastus2" || !slices.Equal(sb.IPv4, []string{"13.68.110.36/32", "40.70.146.64/29"}) {
		t.Errorf("tags of eastus2: %+v", tags)
	}
}

// netScript answers requests in order from a list, checking each is the one
// expected.
type netScript struct {
	t     *testing.T
	mu    sync.Mutex
	steps []netAnswer
	seen  []string
	sent  []string
}

type netAnswer struct {
	method, path string // path: the request path must end with it
	status       int
	header       map[string]string
	body         string
	repeat       bool // netAnswer every further request with this one
}

func (s *netScript) Do(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	s.seen = append(s.seen, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
	s.sent = append(s.sent, string(body))
	if len(s.steps) == 0 {
		s.t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return nil, io.ErrUnexpectedEOF
	}
	a := s.steps[0]
	if !a.repeat {
		s.steps = s.steps[1:]
	}
	if req.Method != a.method || !strings.HasSuffix(req.URL.Path, a.path) {
		s.t.Errorf("request %s %s, want %s …%s", req.Method, req.URL.Path, a.method, a.path)
	}
	resp := &http.Response{StatusCode: a.status, Header: http.Header{}, Request: req, Body: io.NopCloser(strings.NewReader(a.body))}
	for k, v := range a.header {
		resp.Header.Set(k, v)
	}
	if a.body != "" {
		resp.Header.Set("Content-Type", "application/json")
	}
	return resp, nil
}

const (
	netStatusURL = "https://management.azure.com/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operations/op1?api-version=2025-01-01"
	netResultURL = "https://management.azure.com/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operationResults/op1?api-version=2025-01-01"
)

var asyncHeaders = map[string]string{"Azure-AsyncOperation": netStatusURL, "Location": netResultURL, "Retry-After": "1"}

// effectiveBody is an effective NSG list in the REST spec's shape, with the
// tagMap as an object (as answers in the wild carry it; the SDK model wants
// a string) and the rule names, port ranges and 0.0.0.0/0 of Azure's answers.
const effectiveBody = `{"value":[
 {"networkSecurityGroup":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-nic"},
  "association":{"networkInterface":{"id":"` + testNIC + `"}},
  "effectiveSecurityRules":[
   {"name":"securityRules/DenyInternetOutbound","protocol":"All","sourcePortRange":"0-65535","destinationPortRange":"0-65535",
    "sourceAddressPrefix":"0.0.0.0/0","destinationAddressPrefix":"Internet","sourceAddressPrefixes":["0.0.0.0/0"],
    "destinationAddressPrefixes":["Internet"],"expandedDestinationAddressPrefix":["1.0.0.0/8","2.0.0.0/7"],
    "access":"Deny","priority":200,"direction":"Outbound"},
   {"name":"defaultSecurityRules/DenyAllOutBound","protocol":"All","sourcePortRange":"0-65535","destinationPortRange":"0-65535",
    "sourceAddressPrefix":"0.0.0.0/0","destinationAddressPrefix":"0.0.0.0/0","expandedSourceAddressPrefix":null,
    "expandedDestinationAddressPrefix":null,"access":"Deny","priority":65500,"direction":"Outbound"}],
  "tagMap":{"Internet":["1.0.0.0/8","2.0.0.0/7"]}},
 {"networkSecurityGroup":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-subnet"},
  "association":{"subnet":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s1"}},
  "effectiveSecurityRules":[
   {"name":"securityRules/allow-backup","protocol":"Tcp","sourcePortRange":"0-65535","destinationPortRange":"443-443",
    "sourceAddressPrefix":"VirtualNetwork","destinationAddressPrefixes":["Storage.WestEurope","AzureBackup"],
    "expandedDestinationAddressPrefix":["20.38.108.0/23","2603:1020:200::/46"],"access":"Allow","priority":150,"direction":"Outbound"}]}
]}`

func TestEffectiveRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []netAnswer
		seen  int
	}{
		{"long-running", []netAnswer{
			{method: "POST", path: "/networkInterfaces/nic1/effectiveNetworkSecurityGroups", status: 202, header: asyncHeaders},
			{method: "GET", path: "/operations/op1", status: 200, body: `{"status":"InProgress"}`},
			{method: "GET", path: "/operations/op1", status: 200, body: `{"status":"Succeeded"}`},
			{method: "GET", path: "/operationResults/op1", status: 200, body: effectiveBody},
		}, 4},
		{"answered at once", []netAnswer{
			{method: "POST", path: "/networkInterfaces/nic1/effectiveNetworkSecurityGroups", status: 200, body: effectiveBody},
		}, 1},
		{"tagMap as the spec's string", []netAnswer{
			{method: "POST", path: "/networkInterfaces/nic1/effectiveNetworkSecurityGroups", status: 200,
				body: strings.Replace(effectiveBody, `{"Internet":["1.0.0.0/8","2.0.0.0/7"]}`, `"{\"Internet\":[]}"`, 1)},
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &netScript{t: t, steps: tc.steps}
			c := testClient(t, s)
			ctx := context.Background()
			op, result, err := c.BeginEffectiveRules(ctx, testNIC, "")
			if err != nil {
				t.Fatal(err)
			}
			if tc.seen > 1 && result() != nil {
				t.Fatal("result before the operation is done")
			}
			for i := 0; ; i++ {
				done, err := op.Poll(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if done {
					break
				}
				if i > 5 {
					t.Fatal("never done")
				}
			}
			if len(s.seen) != tc.seen {
				t.Fatalf("requests %v", s.seen)
			}
			got := result()
			if len(got) != 2 || got[0].Association != "NetworkInterface" || got[1].Association != "Subnet" ||
				!strings.HasSuffix(got[0].NSGID, "/nsg-nic") || !strings.HasSuffix(got[1].NSGID, "/nsg-subnet") {
				t.Fatalf("groups %+v", got)
			}
			deny := got[0].Rules[0]
			want := EffectiveRule{Name: "securityRules/DenyInternetOutbound", Direction: "Outbound", Access: "Deny", Protocol: "All", Priority: 200,
				Sources: []string{"0.0.0.0/0"}, Destinations: []string{"Internet"}, DestPorts: []string{"0-65535"},
				ExpandedDestinations: []string{"1.0.0.0/8", "2.0.0.0/7"}}
			if !reflect.DeepEqual(deny, want) {
				t.Fatalf("rule\n%+v\nwant\n%+v", deny, want)
			}
			allow := got[1].Rules[0]
			if !slices.Equal(allow.Destinations, []string{"Storage.WestEurope", "AzureBackup"}) || !slices.Equal(allow.DestPorts, []string{"443-443"}) ||
				len(allow.ExpandedDestinations) != 2 || got[0].Rules[1].ExpandedDestinations != nil {
				t.Fatalf("rule %+v / %+v", allow, got[0].Rules[1])
			}
		})
	}
	// Azure's refusal (a VM that does not run) is typed
	s := &netScript{t: t, steps: []netAnswer{{method: "POST", path: "/effectiveNetworkSecurityGroups", status: 400,
		body: `{"error":{"code":"VirtualMachineNotRunning","message":"not running"}}`}}}
	_, _, err := testClient(t, s).BeginEffectiveRules(context.Background(), testNIC, "")
	if e, ok := AsError(err); !ok || e.Kind != KindInvalid || e.Op != "list-effective-rules" || e.Code != "VirtualMachineNotRunning" {
		t.Fatalf("refusal: %v", err)
	}
	// a failed operation is operationFailed
	s = &netScript{t: t, steps: []netAnswer{
		{method: "POST", path: "/effectiveNetworkSecurityGroups", status: 202, header: asyncHeaders},
		{method: "GET", path: "/operations/op1", status: 200, body: `{"status":"Failed","error":{"code":"InternalServerError","message":"boom"}}`},
	}}
	op, _, err := testClient(t, s).BeginEffectiveRules(context.Background(), testNIC, "")
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op.Poll(context.Background()); !done {
		t.Fatal("not done")
	} else if e, ok := AsError(err); !ok || e.Kind != KindOperation || e.Code != "InternalServerError" {
		t.Fatalf("failed operation: %v", err)
	}
}

func TestVerifyIPFlow(t *testing.T) {
	old := flowPollEvery
	flowPollEvery = time.Millisecond
	defer func() { flowPollEvery = old }()
	s := &netScript{t: t, steps: []netAnswer{
		{method: "POST", path: "/networkWatchers/NetworkWatcher_westeurope/ipFlowVerify", status: 202, header: asyncHeaders},
		{method: "GET", path: "/operations/op1", status: 200, body: `{"status":"InProgress"}`},
		{method: "GET", path: "/operations/op1", status: 200, body: `{"status":"Succeeded"}`},
		{method: "GET", path: "/operationResults/op1", status: 200, body: `{"access":"Deny","ruleName":"securityRules/DenyInternetOutbound"}`},
	}}
	c := testClient(t, s)
	access, rule, err := c.VerifyIPFlow(context.Background(), testWatcher, FlowCheck{VMID: testVM, LocalIP: "10.10.5.4", RemoteIP: "198.51.100.7", RemotePort: "443"})
	if err != nil || access != "Deny" || rule != "securityRules/DenyInternetOutbound" {
		t.Fatalf("got %q %q %v", access, rule, err)
	}
	jsonEqual(t, s.sent[0], json.RawMessage(`{"direction":"Outbound","protocol":"TCP","localIPAddress":"10.10.5.4","localPort":"*",
		"remoteIPAddress":"198.51.100.7","remotePort":"443","targetResourceId":"`+testVM+`"}`))

	// ctx ends while Azure still works on it
	s = &netScript{t: t, steps: []netAnswer{
		{method: "POST", path: "/ipFlowVerify", status: 202, header: asyncHeaders},
		{method: "GET", path: "/operations/op1", status: 200, body: `{"status":"InProgress"}`, repeat: true},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err = testClient(t, s).VerifyIPFlow(ctx, testWatcher, FlowCheck{VMID: testVM, Direction: "outbound", Protocol: "tcp", LocalIP: "10.0.0.4", RemoteIP: "1.2.3.4", RemotePort: "443"})
	if e, ok := AsError(err); !ok || e.Kind != KindTimeout || e.Op != "verify-ip-flow" {
		t.Fatalf("deadline: %v", err)
	}
	_, _, err = c.VerifyIPFlow(context.Background(), testWatcher, FlowCheck{VMID: testVM, LocalIP: "10.0.0.4", RemoteIP: "1.2.3.4", RemotePort: "443", Protocol: "ICMP"})
	if e, ok := AsError(err); !ok || e.Code != CodeInvalidFlowCheck {
		t.Fatalf("bad protocol: %v", err)
	}
}

func TestNetworkWatcher(t *testing.T) {
	list := `{"value":[
	 {"id":"/subscriptions/s/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_eastus","location":"eastus","name":"NetworkWatcher_eastus","type":"Microsoft.Network/networkWatchers","properties":{"provisioningState":"Succeeded"}},
	 {"id":"` + testWatcher + `","location":"westeurope","name":"NetworkWatcher_westeurope","type":"Microsoft.Network/networkWatchers","properties":{"provisioningState":"Succeeded"}}]}`
	for loc, want := range map[string]string{"West Europe": testWatcher, "japaneast": ""} {
		s := &netScript{t: t, steps: []netAnswer{{method: "GET", path: "/subscriptions/s/providers/Microsoft.Network/networkWatchers", status: 200, body: list}}}
		got, err := testClient(t, s).NetworkWatcher(context.Background(), "s", loc)
		if err != nil || got != want {
			t.Errorf("%s: %q %v", loc, got, err)
		}
	}
}

func TestRunCommand(t *testing.T) {
	computeStatus := "https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/rc1?api-version=2025-04-01"
	hdr := map[string]string{"Azure-AsyncOperation": computeStatus, "Location": computeStatus + "&monitor=true"}
	linux := `{"value":[{"code":"ProvisioningState/succeeded","level":"Info","displayStatus":"Provisioning succeeded",
		"message":"Enable succeeded: \n[stdout]\nhello\nworld\n\n[stderr]\nwarning: x\n"}]}`
	s := &netScript{t: t, steps: []netAnswer{
		{method: "POST", path: "/virtualMachines/vm1/runCommand", status: 202, header: hdr},
		{method: "GET", path: "/operations/rc1", status: 200, body: `{"status":"Succeeded","name":"rc1"}`},
		{method: "GET", path: "/operations/rc1", status: 200, body: linux},
	}}
	c := testClient(t, s)
	ctx := context.Background()
	op, result, err := c.BeginRunCommand(ctx, testVM, "Linux", "echo hello\r\necho world", "")
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op.Poll(ctx); !done || err != nil {
		t.Fatalf("poll %v %v", done, err)
	}
	if !strings.Contains(s.seen[2], "monitor=true") {
		t.Fatalf("result not read from Location: %v", s.seen)
	}
	jsonEqual(t, s.sent[0], json.RawMessage(`{"commandId":"RunShellScript","script":["echo hello","echo world"]}`))
	if got := result(); got != (RunResult{Stdout: "hello\nworld\n", Stderr: "warning: x\n", Succeeded: true, Code: "ProvisioningState/succeeded"}) {
		t.Fatalf("result %+v", got)
	}

	if _, _, err := c.BeginRunCommand(ctx, testVM, "Plan9", "echo", ""); err == nil {
		t.Fatal("unknown OS type accepted")
	} else if e, _ := AsError(err); e.Code != CodeUnknownOSType {
		t.Fatalf("unknown OS: %v", err)
	}
}

func TestRunResultShapes(t *testing.T) {
	st := func(code, msg string) *armcompute.InstanceViewStatus {
		return &armcompute.InstanceViewStatus{Code: to.Ptr(code), Message: to.Ptr(msg)}
	}
	for _, tc := range []struct {
		name string
		in   []*armcompute.InstanceViewStatus
		want RunResult
	}{
		{"windows", []*armcompute.InstanceViewStatus{st("ComponentStatus/StdOut/succeeded", "C:\\> ok\n"), st("ComponentStatus/StdErr/succeeded", "")},
			RunResult{Stdout: "C:\\> ok\n", Succeeded: true, Code: "ComponentStatus/StdOut/succeeded"}},
		{"windows failed", []*armcompute.InstanceViewStatus{st("ComponentStatus/StdOut/succeeded", ""), st("ComponentStatus/StdErr/failed", "denied\n")},
			RunResult{Stderr: "denied\n", Succeeded: false, Code: "ComponentStatus/StdErr/failed"}},
		{"linux failed", []*armcompute.InstanceViewStatus{st("ProvisioningState/failed/1", "Enable failed: failed to execute command: command terminated with exit status=1\n[stdout]\n\n[stderr]\nboom\n")},
			RunResult{Stderr: "boom\n", Succeeded: false, Code: "ProvisioningState/failed/1"}},
		{"linux failed, succeeded code", []*armcompute.InstanceViewStatus{st("ProvisioningState/succeeded", "Enable failed: x\n[stdout]\nout\n[stderr]\n")},
			RunResult{Stdout: "out", Succeeded: false, Code: "ProvisioningState/succeeded"}},
		{"all three", []*armcompute.InstanceViewStatus{st("ProvisioningState/succeeded", "Enable succeeded"), st("ComponentStatus/StdOut/succeeded", "o"), st("ComponentStatus/StdErr/succeeded", "e"), nil},
			RunResult{Stdout: "o", Stderr: "e", Succeeded: true, Code: "ProvisioningState/succeeded"}},
	} {
		if got := runResultOf(tc.in); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
