package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const demoSub = "3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192"

func demoVM(group, name string) string {
	return "/subscriptions/" + demoSub + "/resourceGroups/" + group + "/providers/Microsoft.Compute/virtualMachines/" + name
}

func writePlan(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newVaultPlan() string {
	return "version: 1\nsubscription: " + demoSub + "\nvms:\n  - " + demoVM("rg-web-prod", "web-prod-01") +
		"\n  - " + demoVM("rg-apac-prod", "tokyo-app-01") +
		"\nvault: {name: rsv-weu-new, resourceGroup: rg-backup-weu, location: westeurope, create: true}\nredundancy: {storageType: LocallyRedundant}\n"
}

type changeReport struct {
	SchemaVersion int `json:"schemaVersion"`
	Changes       []struct {
		Kind, Action, Target, Region, From, To, Reason string
		Irreversible                                   bool
	} `json:"changes"`
	Summary map[string]int `json:"summary"`
}

func TestApplyDryRunListsChangesAndWritesNothing(t *testing.T) {
	plan := writePlan(t, newVaultPlan())
	trace := filepath.Join(t.TempDir(), "trace.tsv")
	code, stdout, stderr := runCLI(t, nil, false, "apply", "--demo", "--plan", plan, "--dry-run", "--json", "--trace", trace)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r changeReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	var got []string
	for _, c := range r.Changes {
		got = append(got, c.Kind+" "+c.Action)
	}
	want := "noChange provider.register|create resourceGroup.create|create vault.create|modify vault.storageType|skip vm.include|noChange vm.include"
	if strings.Join(got, "|") != want {
		t.Fatalf("changes:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if r.Summary["create"] != 2 || r.Summary["skip"] != 1 {
		t.Fatalf("summary %v", r.Summary)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if f[1] != "GET" && !(f[1] == "POST" && strings.Contains(f[2], "Microsoft.ResourceGraph")) {
			t.Fatalf("a dry run sent a write: %s", line)
		}
	}
}

func TestApplyRefusesPlansThatCannotWork(t *testing.T) {
	locked := "version: 1\nsubscription: " + demoSub + "\nvms: [" + demoVM("rg-crm-prod", "crm-eastus-01") + "]\n" +
		"vault: {name: rsv-eus-prod, resourceGroup: rg-backup-prod, location: eastus}\nredundancy: {storageType: LocallyRedundant}\n"
	unknown := "version: 1\nsubscription: " + demoSub + "\nvms: [" + demoVM("rg-x", "ghost") + "]\n" +
		"vault: {name: rsv-weu-new, resourceGroup: rg-b, location: westeurope, create: true}\n"
	cases := []struct {
		name, plan, want string
		args             []string
	}{
		{"locked redundancy", locked, "redundancy.storageType", nil},
		{"unknown VM id", unknown, "vms[0]", nil},
		{"unsupported version", "version: 2\n", "line 1", nil},
		{"bad vault name", strings.Replace(newVaultPlan(), "rsv-weu-new", "9vault", 1), "vault.name", nil},
		{"unknown key", newVaultPlan() + "extra: 1\n", "extra", nil},
		{"without --dry-run nothing is carried out yet", newVaultPlan(), "--dry-run", []string{"--no-dry-run"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"apply", "--demo", "--plan", writePlan(t, tc.plan), "--dry-run"}
			if tc.args != nil {
				args = args[:len(args)-1]
			}
			code, _, stderr := runCLI(t, nil, false, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q (want exit 2 mentioning %q)", code, stderr, tc.want)
			}
			if strings.Contains(stderr, "plan.err.") || strings.Contains(stderr, "conflict.") {
				t.Fatalf("a catalog key leaked: %q", stderr)
			}
		})
	}
}
