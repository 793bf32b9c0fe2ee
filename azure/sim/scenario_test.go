package sim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
)

func TestScenarioErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name, file, data string
		line             int
		msg              string
	}{
		{"unknown top-level key", "s.yaml", "subscriptions: []\nlatency: 10ms\nfaultz: []\n", 3, `unknown key "faultz"`},
		{"bad duration", "s.yaml", "subscriptions: []\nlatency: fast\n", 2, "bad duration"},
		{"duration as number", "s.yaml", "latency: 50\n", 1, "Go duration"},
		{"bad regex", "s.yaml", "faults:\n  - status: 500\n    match: \"GET (\"\n", 3, "bad regular expression"},
		{"bad status", "s.yaml", "faults:\n  - match: x\n    status: 200\n", 3, "between 400 and 599"},
		{"missing status", "s.yaml", "faults:\n  - match: x\n", 2, "needs status"},
		{"fault unknown key", "s.yaml", "faults:\n  - match: x\n    status: 500\n    tmes: 1\n", 4, `unknown key "tmes"`},
		{"bad retryAfter", "s.yaml", "faults:\n  - {match: x, status: 429, retryAfter: soon}\n", 2, "retryAfter"},
		{"resource without id", "s.yaml", "subscriptions: []\nresources:\n  - type: Microsoft.Compute/virtualMachines\n    name: a\n", 3, "has no id"},
		{"resource without type", "s.yaml", "resources:\n  - id: /subscriptions/x/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/a\n", 2, "has no type"},
		{"resource id not ARM", "s.yaml", "resources:\n  - {id: vm-1, type: Microsoft.Compute/virtualMachines}\n", 2, "not an ARM resource id"},
		{"duplicate resource", "s.yaml", "resources:\n  - {id: /subscriptions/x/a, type: T}\n  - {id: /SUBSCRIPTIONS/x/A, type: T}\n", 3, "listed twice"},
		{"bad subscription state", "s.yaml", "subscriptions:\n  - id: abc\n    state: Sleeping\n", 3, "subscription state"},
		{"subscription without id", "s.yaml", "subscriptions:\n  - name: x\n", 2, "needs an id"},
		{"YAML syntax", "s.yaml", "subscriptions: [\n  {id: a\n", 0, "YAML"},
		{"not an object", "s.yaml", "- a\n- b\n", 1, "must be an object"},
		{"JSON syntax", "s.json", "{\n  \"subscriptions\": [],\n  \"latency\": \"1s\",,\n}\n", 3, "JSON syntax"},
		{"JSON unknown key", "s.json", "{\n  \"subscriptions\": [],\n  \"latencyy\": \"1s\"\n}\n", 3, `unknown key "latencyy"`},
		{"JSON bad regex", "s.json", "{\"faults\": [\n {\"match\": \"[\", \"status\": 500}\n]}\n", 2, "bad regular expression"},
		{"JSON resource without type", "x", "{\"resources\": [\n  {\"id\": \"/subscriptions/a/b\"},\n  {\"id\": \"/subscriptions/a/c\"}\n]}", 2, "has no type"},
		{"empty", "s.yaml", "  \n", 1, "empty"},
		{"storage config", "s.yaml", "storageConfigs:\n  - {vault: /subscriptions/a/resourceGroups/b/providers/Microsoft.RecoveryServices/vaults/v, storageType: Cloudy}\n", 2, "storageType"},
		{"merge key", "s.yaml", "base: &b {a: 1}\nidentity:\n  <<: *b\n", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := LoadScenario([]byte(tc.data), tc.file)
			if err == nil {
				t.Fatalf("loaded: %+v", sc)
			}
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("want *ScenarioError, got %T %v", err, err)
			}
			if se.File != tc.file || se.Line <= 0 || se.Column <= 0 {
				t.Errorf("position %+v", se)
			}
			if tc.line > 0 && se.Line != tc.line {
				t.Errorf("line %d, want %d: %v", se.Line, tc.line, se)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("message %q lacks %q", se.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), tc.file+":") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestLoadScenarioFormats(t *testing.T) {
	yml := `# a small scenario
subscriptions:
  - {id: 11111111-1111-1111-1111-111111111111, name: "Prod ☁", state: disabled}
latency: 50ms
faults:
  - {match: "PUT .*/vaults/[^/]+\\?", status: 409, code: Conflict, times: 1}
  - {match: "GET .*virtualMachines.*", status: 429, retryAfter: 1s, every: 5}
resources:
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a
    type: Microsoft.Compute/virtualMachines
    properties: {timeCreated: 2025-11-13T07:00:04+00:00, count: 0x10, ratio: 1.5e3, flag: true, nothing: null, tag: !!str 42}
`
	sc, err := LoadScenario([]byte(yml), "")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Latency != 50*time.Millisecond || len(sc.Faults) != 2 || sc.Faults[1].RetryAfter != time.Second || sc.Faults[1].Every != 5 ||
		sc.Faults[0].Times != 1 || sc.Faults[0].Code != "Conflict" {
		t.Errorf("scenario %+v", sc)
	}
	if sc.Subscriptions[0].State != "Disabled" || sc.Subscriptions[0].Name != "Prod ☁" {
		t.Errorf("subscription %+v", sc.Subscriptions[0])
	}
	doc := string(sc.Resources[0])
	for _, want := range []string{`"timeCreated":"2025-11-13T07:00:04+00:00"`, `"flag":true`, `"nothing":null`, `"tag":"42"`, `"ratio":1500`} {
		if !strings.Contains(doc, want) {
			t.Errorf("resource JSON %s lacks %s", doc, want)
		}
	}
	// the same as JSON, chosen by content
	js := `{"subscriptions": [{"id": "11111111-1111-1111-1111-111111111111", "name": "P"}], "latency": "0",
	        "resources": [{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a",
	                       "type": "Microsoft.Compute/virtualMachines", "properties": {"n": 12345678901234567890}}]}`
	sc, err = LoadScenario([]byte(js), "scenario.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sc.Resources[0]), "12345678901234567890") {
		t.Errorf("big number not kept verbatim: %s", sc.Resources[0])
	}
	// BOM and CRLF
	if _, err := LoadScenario([]byte("\xef\xbb\xbfsubscriptions: []\r\nlatency: 1ms\r\n"), "bom.yaml"); err != nil {
		t.Errorf("BOM/CRLF: %v", err)
	}
}

const dangling = `
subscriptions:
  - {id: 11111111-1111-1111-1111-111111111111, name: Visible}
  - {id: 33333333-3333-3333-3333-333333333333, name: Old, state: Disabled}
resources:
  # no properties at all
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/bare
    type: Microsoft.Compute/virtualMachines
    location: West Europe
  # names a NIC that does not exist; no instance view, no osProfile, no storageProfile
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/ghostnic
    type: Microsoft.Compute/virtualMachines
    location: westeurope
    properties:
      networkProfile: {networkInterfaces: [{id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/missing}]}
  # a NIC naming a missing NSG and a missing subnet
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/orphan
    type: Microsoft.Network/networkInterfaces
    properties:
      virtualMachine: {id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/withnic}
      networkSecurityGroup: {id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/gone}
      ipConfigurations: [{properties: {subnet: {id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/gone}}}]
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/withnic
    type: Microsoft.Compute/virtualMachines
    properties:
      networkProfile: {networkInterfaces: [{id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/orphan}]}
      instanceView: {vmAgent: {statuses: []}}
  # stopped, with an instance view still naming its agent: the agent is not reported
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/stopped
    type: Microsoft.Compute/virtualMachines
    properties:
      instanceView:
        vmAgent: {vmAgentVersion: 2.12.0.2, statuses: [{code: ProvisioningState/succeeded, displayStatus: Ready}]}
        statuses: [{code: PowerState/stopped}]
  # an NSG without rules: gets the six defaults
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/plain
    type: Microsoft.Network/networkSecurityGroups
  # a subscription nobody listed: invisible
  - id: /subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/hidden
    type: Microsoft.Compute/virtualMachines
  - id: /subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/inDisabled
    type: Microsoft.Compute/virtualMachines
`

func TestDanglingReferencesAndMissingFields(t *testing.T) {
	sc, err := LoadScenario([]byte(dangling), "dangling.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := azure.New(c.Credential(), c.ClientOptions())
	ctx := context.Background()

	subs, err := cl.Subscriptions(ctx)
	if err != nil || len(subs) != 2 || subs[1].State != "Disabled" || subs[1].Enabled() {
		t.Fatalf("subscriptions %+v %v", subs, err)
	}
	inv, err := cl.Inventory(ctx, []string{"11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VMs) != 4 {
		t.Fatalf("%d VMs (the unknown subscription's VM must stay invisible)", len(inv.VMs))
	}
	if vm := vmByName(inv, "bare"); vm == nil || vm.Location != "westeurope" || vm.PowerState != "" || vm.HasOSProfile || len(vm.NICs) != 0 {
		t.Errorf("bare = %+v", vm)
	}
	if vm := vmByName(inv, "ghostnic"); len(vm.NICs) != 1 || !vm.NICs[0].Missing {
		t.Errorf("ghostnic NICs %+v", vm.NICs)
	}
	if vm := vmByName(inv, "withnic"); len(vm.NICs) != 1 || vm.NICs[0].Missing || inv.NSG(vm.NICs[0].NSGID) != nil || inv.Subnet(vm.NICs[0].SubnetIDs[0]) != nil {
		t.Errorf("withnic NICs %+v", vm.NICs)
	}
	if n := inv.NSG("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/plain"); n == nil || len(n.Rules) != 6 {
		t.Errorf("plain NSG %+v", n)
	}
	if err := cl.ReadAgents(ctx, inv.VMs, 2, nil); err != nil {
		t.Fatal(err)
	}
	for _, vm := range inv.VMs {
		switch vm.Name {
		case "stopped":
			if vm.PowerState != "stopped" || vm.Agent != nil {
				t.Errorf("stopped VM read: %+v", vm.Agent)
			}
		default:
			// No instance view in the document: the power state is unknown,
			// not assumed running, so the agent is not read (the rules say
			// "unknown" rather than inventing a missing agent).
			if vm.PowerState != "" || vm.Agent != nil || vm.AgentErr != nil {
				t.Errorf("%s: power %q agent %+v err %v", vm.Name, vm.PowerState, vm.Agent, vm.AgentErr)
			}
		}
	}
	// a stopped VM's instance view keeps its statuses but drops the agent
	st, err := cl.InstanceView(ctx, "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/stopped")
	if err != nil || st.PowerState != "stopped" || st.Status != "" || st.Version != "" || st.Provision != "succeeded" {
		t.Errorf("stopped VM instance view %+v %v", st, err)
	}
	// the disabled subscription's resources are still readable
	inv, err = cl.Inventory(ctx, []string{"33333333-3333-3333-3333-333333333333"}, nil)
	if err != nil || len(inv.VMs) != 1 {
		t.Errorf("disabled subscription inventory %v %v", inv, err)
	}
	// reading a resource of the unknown subscription fails like ARM
	_, err = cl.InstanceView(ctx, "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/hidden")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindNotFound || e.Code != "SubscriptionNotFound" {
		t.Errorf("hidden VM: %v", err)
	}
}

func TestScenarioInCode(t *testing.T) {
	sc := &Scenario{
		Subscriptions: []Subscription{{ID: "44444444-4444-4444-4444-444444444444", Name: "Code", Providers: map[string]string{"Microsoft.RecoveryServices": "NotRegistered"}}},
		Identity:      Identity{Type: "app", Name: "ci-bot", AppID: "a3c4e5f6-0718-4293-a4b5-c6d7e8f90a1b"},
		Resources:     []json.RawMessage{[]byte(`{"id":"/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/x","type":"Microsoft.Compute/virtualMachines"}`)},
	}
	c, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := azure.New(c.Credential(), c.ClientOptions())
	id, err := cl.Identity(context.Background())
	if err != nil || id.Kind != "app" || id.Name != "a3c4e5f6-0718-4293-a4b5-c6d7e8f90a1b" {
		t.Errorf("app identity %+v %v", id, err)
	}
	st, err := cl.ProviderState(context.Background(), "44444444-4444-4444-4444-444444444444", "microsoft.recoveryservices")
	if err != nil || st != "NotRegistered" {
		t.Errorf("provider %q %v", st, err)
	}
	sc.Resources = append(sc.Resources, []byte(`{"type":"x"}`))
	if _, err := New(sc, Options{}); err == nil {
		t.Error("a resource without id was accepted")
	}
}

func FuzzLoadScenario(f *testing.F) {
	f.Add(DemoYAML(), "demo.yaml")
	small, _ := GenerateFleet(3, 1)
	f.Add(small, "fleet.json")
	f.Add([]byte(dangling), "dangling.yaml")
	for _, s := range []string{
		"", "{", "[]", "null", "subscriptions: [", "latency: 5 parsecs", "faults: [{match: '(', status: 500}]",
		"resources: [{id: 1, type: 2}]", "a: &a [*a]", "x: *nope", "? [a]\n: b", "{\"resources\": [{\"id\": \"/subscriptions/a\", \"type\": \"t\"}], \"resources\": []}",
		"\xef\xbb\xbf{}", "latency: .inf", "resources:\n  - id: /subscriptions/a/b\n    type: t\n    properties: {n: .nan}",
		"resources:\n  - id: /subscriptions/x/y\n    type: t\n    a: &l1 [a, a, a, a, a, a, a, a, a, a]\n    b: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]\n    c: &l3 [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\n    d: &l4 [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]\n    e: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]\n    f: &l6 [*l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5]\n    g: &l7 [*l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6]\n    h: [*l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7]\n",
		strings.Repeat("[", 5000), "--- a\n--- b\n", "!!binary aGVsbG8=", "description: |\n  text\n",
	} {
		f.Add([]byte(s), "fuzz.yaml")
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		sc, err := LoadScenario(data, name)
		if err != nil {
			var se *ScenarioError
			if !errors.As(err, &se) || se.Line < 1 || se.Column < 1 {
				t.Fatalf("error %v is not a positioned *ScenarioError", err)
			}
			return
		}
		if sc == nil {
			t.Fatal("nil scenario without error")
		}
		sc.Latency, sc.Faults = 0, nil
		if c, err := New(sc, Options{}); err == nil {
			c.mu.RLock()
			c.graphTable(graphVMs)
			c.graphTable(graphNetwork)
			c.graphTable(graphVaults)
			c.mu.RUnlock()
		}
	})
}
