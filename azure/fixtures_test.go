package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fixtureDir holds real ARM responses recorded from live Azure (copied from
// the shared test data so that a fresh clone tests on its own; see its README).
const fixtureDir = "testdata/azure-real"

type fixture struct {
	Request struct {
		Method string `json:"method"`
		URI    string `json:"uri"`
	} `json:"request"`
	Response struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	} `json:"response"`
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	var f fixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return f
}

// replay answers every request with the next recorded response, and records
// what was asked.
type replay struct {
	t     testing.TB
	mu    sync.Mutex
	files []string
	seen  []string
}

func (r *replay) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, req.Method+" "+req.URL.Path)
	if len(r.files) == 0 {
		r.t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return nil, io.ErrUnexpectedEOF
	}
	f := loadFixture(r.t, r.files[0])
	if len(r.files) > 1 {
		r.files = r.files[1:]
	}
	return f.response(req), nil
}

// response is the recorded answer, given to req.
func (f fixture) response(req *http.Request) *http.Response {
	resp := &http.Response{StatusCode: f.Response.Status, Header: http.Header{}, Request: req}
	for k, v := range f.Response.Headers {
		resp.Header.Set(k, v)
	}
	body := []byte(f.Response.Body)
	if string(body) == "null" {
		body = nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// testClient builds a Client on a test transport, with fast retries.
func testClient(t testing.TB, tr policy.Transporter) *Client {
	t.Helper()
	opts := &arm.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: tr,
		Retry:     policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond},
	}, DisableRPRegistration: true}
	c, err := New(&azfake.TokenCredential{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientFor returns a Client whose every request is answered from files, in
// order (the last one repeats), with fast retries.
func clientFor(t testing.TB, files ...string) (*Client, *replay) {
	t.Helper()
	rp := &replay{t: t, files: files}
	return testClient(t, rp), rp
}

func TestRecordedSubscriptions(t *testing.T) {
	c, _ := clientFor(t, "subscriptions_list_trimmed.json")
	subs, err := c.Subscriptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 4 {
		t.Fatalf("want 4 subscriptions, got %d", len(subs))
	}
	if subs[0].ID != "00000000-0000-0000-0000-000000000000" || subs[0].Name != "Azure SDK Developer Playground" || !subs[0].Enabled() {
		t.Fatalf("first subscription read wrongly: %+v", subs[0])
	}
	for _, s := range subs {
		if s.TenantID == "" || s.State == "" {
			t.Errorf("subscription %s lacks tenant or state: %+v", s.ID, s)
		}
	}
}

func TestRecordedTenants(t *testing.T) {
	c, _ := clientFor(t, "tenants_list.json")
	ts, err := c.Tenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].ID != "72f988bf-86f1-41af-91ab-2d7cd011db47" {
		t.Fatalf("tenants: %+v", ts)
	}
}

func TestRecordedLocationsKeepPhysicalRegions(t *testing.T) {
	c, _ := clientFor(t, "locations_list_trimmed.json")
	locs, err := c.Locations(context.Background(), "00000000-0000-0000-0000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	f := loadFixture(t, "locations_list_trimmed.json")
	var body struct {
		Value []struct {
			Name                     string            `json:"name"`
			AvailabilityZoneMappings []json.RawMessage `json:"availabilityZoneMappings"`
			Metadata                 struct {
				RegionType   string `json:"regionType"`
				PairedRegion []struct {
					Name string `json:"name"`
				} `json:"pairedRegion"`
			} `json:"metadata"`
		} `json:"value"`
	}
	if err := json.Unmarshal(f.Response.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	zones := map[string]bool{}
	for _, v := range body.Value {
		if v.Metadata.RegionType == "Physical" {
			paired := ""
			if len(v.Metadata.PairedRegion) > 0 {
				paired = v.Metadata.PairedRegion[0].Name
			}
			want[v.Name] = paired
			zones[v.Name] = len(v.AvailabilityZoneMappings) > 0
		}
	}
	if len(want) == 0 || len(want) == len(body.Value) {
		t.Fatalf("fixture should mix physical and logical regions (%d of %d physical)", len(want), len(body.Value))
	}
	if len(locs) != len(want) {
		t.Fatalf("got %d regions, want the %d physical ones", len(locs), len(want))
	}
	for _, l := range locs {
		p, ok := want[l.Name]
		if !ok || p != l.PairedRegion || l.DisplayName == "" {
			t.Errorf("region %+v: want paired %q (physical %v)", l, p, ok)
		}
		if l.HasZones != zones[l.Name] {
			t.Errorf("region %s: HasZones %v, want %v", l.Name, l.HasZones, zones[l.Name])
		}
	}
	// The recording has regions with zones and a physical one without.
	has := map[string]bool{}
	for _, l := range locs {
		has[l.Name] = l.HasZones
	}
	if z, ok := has["westeurope"]; !ok || !z {
		t.Errorf("westeurope should have availability zones: %v", has)
	}
	if z, ok := has["brazilus"]; !ok || z {
		t.Errorf("brazilus should have no availability zones: %v", has)
	}
}

func TestRecordedInstanceViews(t *testing.T) {
	cases := []struct {
		file                         string
		status, version, power, code string
	}{
		{"vm_instanceview_windows_agent_not_ready.json", "Not Ready", "Unknown", "running", "ProvisioningState/Unavailable"},
		{"example_vm_instanceview_windows_agent_ready.json", "Ready", "2.7.41491.949", "running", "ProvisioningState/succeeded"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, _ := clientFor(t, tc.file)
			st, err := c.InstanceView(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm")
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != tc.status || st.Version != tc.version || st.PowerState != tc.power || st.Code != tc.code {
				t.Fatalf("got %+v", st)
			}
		})
	}
	// Ready instance view also names its OS.
	c, _ := clientFor(t, "example_vm_instanceview_windows_agent_ready.json")
	st, _ := c.InstanceView(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm")
	if !strings.Contains(st.OSName, "Windows Server 2016") {
		t.Fatalf("os name %q", st.OSName)
	}
}

func TestRecordedVMDocument(t *testing.T) {
	f := loadFixture(t, "vm_get_windows_datadisks_2025.json")
	vm, err := decodeVM(f.Response.Body)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Name       string `json:"name"`
		Properties struct {
			StorageProfile struct {
				DataDisks []json.RawMessage `json:"dataDisks"`
				OSDisk    struct {
					OSType string `json:"osType"`
				} `json:"osDisk"`
			} `json:"storageProfile"`
			NetworkProfile struct {
				NetworkInterfaces []json.RawMessage `json:"networkInterfaces"`
			} `json:"networkProfile"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(f.Response.Body, &raw); err != nil {
		t.Fatal(err)
	}
	if vm.Name != raw.Name || vm.OSType != raw.Properties.StorageProfile.OSDisk.OSType || vm.OSType == "" {
		t.Fatalf("name/os: %+v", vm)
	}
	if len(vm.DataDisks) != len(raw.Properties.StorageProfile.DataDisks) || len(vm.DataDisks) == 0 {
		t.Fatalf("data disks: got %d want %d", len(vm.DataDisks), len(raw.Properties.StorageProfile.DataDisks))
	}
	if len(vm.NICIDs) != len(raw.Properties.NetworkProfile.NetworkInterfaces) {
		t.Fatalf("nics: %v", vm.NICIDs)
	}
	// No join happened: every NIC the VM names is reported as not read.
	for _, n := range vm.NICs {
		if !n.Missing {
			t.Fatalf("nic %s should be marked missing", n.ID)
		}
	}
	if !vm.HasOSProfile {
		t.Fatal("os profile not seen")
	}
}

func TestRecordedResourceGraphPage(t *testing.T) {
	c, rp := clientFor(t, "resource_graph_resources_post_200.json")
	var ids []string
	err := c.query(context.Background(), "graph-vms", "q", []string{"sub"}, func(raw json.RawMessage) error {
		var r struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		ids = append(ids, r.ID)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || !strings.Contains(ids[0], "/Microsoft.Compute/disks/") {
		t.Fatalf("rows: %v", ids)
	}
	if len(rp.seen) != 1 || rp.seen[0] != "POST /providers/Microsoft.ResourceGraph/resources" {
		t.Fatalf("requests: %v", rp.seen)
	}
}

func TestRecordedNSG(t *testing.T) {
	c, _ := clientFor(t, "nsg_get_default_rules_only.json")
	n, err := c.NSG(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg")
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Rules) != 6 {
		t.Fatalf("want the six default rules, got %d", len(n.Rules))
	}
	var deny *SecurityRule
	for i, r := range n.Rules {
		if !r.Default {
			t.Errorf("rule %s should be a default rule", r.Name)
		}
		if r.Name == "DenyAllOutBound" {
			deny = &n.Rules[i]
		}
	}
	if deny == nil || deny.Priority != 65500 || deny.Access != "Deny" || deny.Direction != "Outbound" ||
		len(deny.Destinations) != 1 || deny.Destinations[0] != "*" || len(deny.DestPorts) != 1 {
		t.Fatalf("DenyAllOutBound read wrongly: %+v", deny)
	}
}

func TestRecordedVaults(t *testing.T) {
	c, _ := clientFor(t, "vault_get_go2025.json")
	v, err := c.Vault(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v")
	if err != nil {
		t.Fatal(err)
	}
	if v.Redundancy != "GeoRedundant" || v.SoftDelete != "Enabled" || v.ProvisioningState != "Succeeded" || v.Location == "" {
		t.Fatalf("vault: %+v", v)
	}
	c, _ = clientFor(t, "vaults_list_subscription_go2025.json")
	vs, err := c.Vaults(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("want 2 vaults, got %d", len(vs))
	}
}

func TestRecordedErrorsAreTyped(t *testing.T) {
	vaultID := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
	cases := []struct {
		name   string
		files  []string
		call   func(*Client) error
		kind   Kind
		code   string
		status int
	}{
		{"vault 404", []string{"error_vault_get_404.json"}, func(c *Client) error { _, err := c.Vault(context.Background(), vaultID); return err }, KindNotFound, "ResourceNotFound", 404},
		{"backup 404 with an empty body", []string{"error_backup_policy_get_404_empty_body.json"}, func(c *Client) error { _, err := c.BackupJob(context.Background(), vaultID, "j"); return err }, KindNotFound, "", 404},
		{"resource group 404", []string{"error_resource_group_get_404.json"}, func(c *Client) error { _, err := c.Vault(context.Background(), vaultID); return err }, KindNotFound, "ResourceGroupNotFound", 404},
		{"persistent 500", []string{"error_500_transient_RestApiInternalError.json"}, func(c *Client) error { _, err := c.Vault(context.Background(), vaultID); return err }, KindServer, "RestApiInternalError", 500},
		{"old-shape job body", []string{"backup_job_get_inprogress.json"}, func(c *Client) error { _, err := c.BackupJob(context.Background(), vaultID, "j"); return err }, KindBadResponse, "", 0},
		{"old-shape completed job", []string{"backup_job_get_backup_completed.json"}, func(c *Client) error { _, err := c.BackupJob(context.Background(), vaultID, "j"); return err }, KindBadResponse, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := clientFor(t, tc.files...)
			err := tc.call(c)
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("want *azure.Error, got %T %v", err, err)
			}
			if e.Kind != tc.kind || e.Code != tc.code || e.Status != tc.status {
				t.Fatalf("got kind %s code %q status %d, want %s %q %d", e.Kind, e.Code, e.Status, tc.kind, tc.code, tc.status)
			}
			if strings.Contains(e.Error(), "Authorization") || strings.Contains(e.Error(), "Bearer") {
				t.Fatalf("error text leaks auth data: %s", e.Error())
			}
		})
	}
}

// A transient 500 followed by success: azcore retries and the call succeeds.
func TestRecordedTransient500ThenSuccess(t *testing.T) {
	c, rp := clientFor(t, "error_500_transient_RestApiInternalError.json", "vault_get_go2025.json")
	if _, err := c.Vault(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"); err != nil {
		t.Fatalf("retry should have succeeded: %v", err)
	}
	if len(rp.seen) != 2 {
		t.Fatalf("want 2 requests (one retry), got %v", rp.seen)
	}
}

func TestRecordedNIC(t *testing.T) {
	c, _ := clientFor(t, "nic_get.json")
	n, err := c.NIC(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic")
	if err != nil {
		t.Fatal(err)
	}
	if n.ID != "Sanitized" || len(n.PrivateIPs) != 1 || n.PrivateIPs[0] != "10.0.0.4" || n.NSGID != "" || n.PublicIPs != 0 {
		t.Fatalf("nic read wrongly: %+v", n)
	}
	if len(n.SubnetIDs) != 1 || n.SubnetIDs[0] != "Sanitized" {
		t.Fatalf("subnet: %+v", n.SubnetIDs)
	}
}

// A VM-attached NIC from a subscription-wide list carries its NSG.
func TestRecordedNICListShapes(t *testing.T) {
	f := loadFixture(t, "nics_list_all_vm_attached_and_private_endpoint.json")
	var body struct {
		Value []struct {
			ID         string  `json:"id"`
			Properties nicJSON `json:"properties"`
		} `json:"value"`
	}
	if err := json.Unmarshal(f.Response.Body, &body); err != nil {
		t.Fatal(err)
	}
	withNSG := 0
	for _, v := range body.Value {
		v.Properties.ID = v.ID
		if n := v.Properties.nic(); n.NSGID != "" {
			withNSG++
		}
	}
	if len(body.Value) != 3 || withNSG != 1 {
		t.Fatalf("want 3 NICs, one with an NSG; got %d, %d", len(body.Value), withNSG)
	}
}
