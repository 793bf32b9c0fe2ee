package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The demo tenant's subscription and tenant IDs (azure/sim/demo.yaml).
var demoIDs = []string{
	"3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192",
	"7a9c2d4e-5b6f-4e1a-8c3d-2b4a6e8f0a1c",
	"72f0c8a1-4d3e-4b5a-9c6d-8e7f0a1b2c3d",
}

// shownIDs returns the demo IDs (or their first eight digits) s shows.
func shownIDs(s string) []string {
	s = strings.ToLower(s)
	var out []string
	for _, id := range demoIDs {
		if strings.Contains(s, id) || strings.Contains(s, id[:8]) {
			out = append(out, id)
		}
	}
	return out
}

// check --json --redact (and BACKUPREADY_REDACT): no subscription ID in the
// document, masks in "id" and "subscriptionId", the schema unchanged; the
// text report too. Without it the IDs are there.
func TestCheckRedact(t *testing.T) {
	_, plain, _ := runCLI(t, nil, false, "check", "--demo", "--json")
	if len(shownIDs(plain)) == 0 {
		t.Fatal("check --json shows subscription IDs without --redact (else this test proves nothing)")
	}
	want := decodeReport(t, plain)
	for name, run := range map[string]func() (int, string, string){
		"flag": func() (int, string, string) { return runCLI(t, nil, false, "check", "--demo", "--json", "--redact") },
		"env": func() (int, string, string) {
			return runCLI(t, map[string]string{"BACKUPREADY_REDACT": "true"}, false, "check", "--demo", "--json")
		},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run()
			if code != 1 {
				t.Fatalf("exit %d, want 1 (the demo has fixable VMs): %s", code, stderr)
			}
			if ids := shownIDs(stdout + stderr); len(ids) > 0 {
				t.Fatalf("check --json --redact shows %v:\n%s", ids, stdout)
			}
			r := decodeReport(t, stdout)
			if r.SchemaVersion != want.SchemaVersion || len(r.VMs) != len(want.VMs) {
				t.Fatalf("schema %d, %d VMs; want %d, %d", r.SchemaVersion, len(r.VMs), want.SchemaVersion, len(want.VMs))
			}
			masks := map[string]bool{}
			for i, vm := range r.VMs {
				masks[vm.SubscriptionID] = true
				if !strings.HasPrefix(vm.ID, "/subscriptions/"+vm.SubscriptionID+"/resourceGroups/") || vm.Name != want.VMs[i].Name {
					t.Errorf("VM %d: id %q, subscription %q, name %q", i, vm.ID, vm.SubscriptionID, vm.Name)
				}
			}
			if !masks["****-8192"] || !masks["****-0a1c"] || len(masks) != 2 {
				t.Errorf("each subscription keeps its own mask: %v", masks)
			}
		})
	}
	_, text, _ := runCLI(t, nil, false, "check", "--demo", "--redact", "--vm", "web-prod-01")
	if ids := shownIDs(text); len(ids) > 0 {
		t.Errorf("check --redact shows %v:\n%s", ids, text)
	}
}

// apply --redact: the output masks the IDs, the plan file keeps them.
func TestApplyRedactKeepsThePlan(t *testing.T) {
	body := newVaultPlan()
	plan := writePlan(t, body)
	for _, args := range [][]string{{"--json"}, {}} {
		code, stdout, stderr := runCLI(t, nil, false, append([]string{"apply", "--demo", "--redact", "--plan", plan, "--dry-run"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if ids := shownIDs(stdout + stderr); len(ids) > 0 {
			t.Errorf("apply %v --redact shows %v:\n%s", args, ids, stdout)
		}
		if len(args) > 0 && !json.Valid([]byte(stdout)) {
			t.Errorf("apply --dry-run --json --redact is not JSON:\n%s", stdout)
		}
	}
	if data, err := os.ReadFile(plan); err != nil || string(data) != body {
		t.Errorf("the plan file must keep its real IDs: %v\n%s", err, data)
	}
	// A plan Azure contradicts is explained with the VM's resource ID,
	// masked.
	unknown := "version: 1\nsubscription: " + demoSub + "\nvms: [" + demoVM("rg-x", "ghost") + "]\n" +
		"vault: {name: rsv-weu-new, resourceGroup: rg-b, location: westeurope, create: true}\n"
	code, _, stderr := runCLI(t, nil, false, "apply", "--demo", "--redact", "--plan", writePlan(t, unknown), "--dry-run")
	if code != 2 || !strings.Contains(stderr, "vms[0]") || len(shownIDs(stderr)) > 0 {
		t.Errorf("exit %d, the conflict explained without an ID: %s", code, stderr)
	}
}

// The accessible mode with --redact: the identity's tenant and the
// subscriptions are said with their masks.
func TestAccessibleRedact(t *testing.T) {
	_, plain, _ := runCLIInput(t, nil, false, "", "--demo", "--accessible")
	if len(shownIDs(plain)) == 0 {
		t.Fatalf("the accessible mode names the tenant without --redact (else this test proves nothing):\n%s", plain)
	}
	_, out, errOut := runCLIInput(t, nil, false, "", "--demo", "--accessible", "--redact")
	if ids := shownIDs(out + errOut); len(ids) > 0 {
		t.Errorf("--accessible --redact shows %v:\n%s", ids, out)
	}
	if !strings.Contains(out, "****-2c3d") {
		t.Errorf("the tenant's mask should be said:\n%s", out)
	}
}

// The accessible mode's directory choice with --redact: an identity in two
// directories hears both listed with their masks, not their IDs.
func TestAccessibleRedactDirectories(t *testing.T) {
	const contoso, fabrikam = "11111111-1111-4111-8111-aaaaaaaa1111", "22222222-2222-4222-8222-bbbbbbbb2222"
	scenario := filepath.Join(t.TempDir(), "two.yaml")
	body := "identity: {upn: ada@contoso.example, tenantId: " + contoso + "}\ntenants:\n" +
		"- {id: " + contoso + ", name: Contoso, defaultDomain: contoso.example}\n" +
		"- {id: " + fabrikam + ", name: Fabrikam, defaultDomain: fabrikam.example}\nsubscriptions:\n" +
		"- {id: 3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192, name: Contoso Production, tenantId: " + contoso + "}\n" +
		"- {id: 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a, name: Fabrikam Lab, tenantId: " + fabrikam + "}\n"
	if err := os.WriteFile(scenario, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, plain, _ := runCLIInput(t, nil, false, "", "--scenario", scenario, "--accessible")
	if !strings.Contains(plain, fabrikam) {
		t.Fatalf("the directories are listed with their IDs without --redact (else this test proves nothing):\n%s", plain)
	}
	_, out, errOut := runCLIInput(t, nil, false, "", "--scenario", scenario, "--accessible", "--redact")
	for _, id := range []string{contoso, fabrikam, contoso[:8], fabrikam[:8]} {
		if strings.Contains(out+errOut, id) {
			t.Errorf("--accessible --redact says %s:\n%s", id, out)
		}
	}
	if !strings.Contains(out, "Fabrikam") || !strings.Contains(out, "****-2222") {
		t.Errorf("the directories are listed by name, with their masks:\n%s", out)
	}
}
