package steps

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/backupready/backupready/ui"
)

const testSub = "11111111-2222-3333-4444-555555555555"

func testVM(name string) string {
	return "/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/" + name
}

// planHead is a valid plan of four lines; cases append to it from line 5.
var planHead = "version: 1\nsubscription: " + testSub + "\nvms: [" + testVM("web-1") + "]\n" +
	"vault: {name: rsv-weu, resourceGroup: rg-backup, location: westeurope}\n"

func TestDecodePlanValid(t *testing.T) {
	data, err := os.ReadFile("testdata/plans/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePlan(data, "valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sub := "00000000-0000-0000-0000-000000000000"
	vm := "/subscriptions/" + sub + "/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/"
	want := &Plan{
		Version: 1, Cloud: "AzureCloud", Subscription: sub,
		VMs:        []string{vm + "web-1", vm + "web-2"},
		Vault:      PlanVault{Name: "rsv-weu-backup", ResourceGroup: "rg-backup", Location: "westeurope", Create: true},
		Redundancy: PlanRedundancy{StorageType: "GeoRedundant", CrossRegionRestore: true},
		Network: PlanNetwork{Mode: "proxy", NSGRulePriority: "310",
			Proxy: &PlanProxy{Host: "10.0.0.5", Port: 3128, NoProxy: []string{"168.63.129.16", "169.254.169.254"}}},
		Agent:   PlanAgent{Fix: "runCommand"},
		Protect: PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: DefaultRetainDays},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestDecodePlanDefaults(t *testing.T) {
	for name, src := range map[string]string{
		"file":         mustRead(t, "testdata/plans/minimal.yaml"),
		"empty values": planHead + "redundancy:\nnetwork: {}\nagent: {}\nprotect: {}\ncloud:\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodePlan([]byte(src), "plan.yaml")
			if err != nil {
				t.Fatal(err)
			}
			want := &Plan{
				Version: 1, Cloud: "AzureCloud", Subscription: testSub, VMs: []string{testVM("web-1")},
				Vault:      PlanVault{Name: "rsv-weu", ResourceGroup: "rg-backup", Location: "westeurope"},
				Redundancy: PlanRedundancy{Keep: true},
				Network:    PlanNetwork{Mode: "none", NSGRulePriority: "auto"},
				Agent:      PlanAgent{Fix: "instructions"},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodePlanNormalises(t *testing.T) {
	src := "version: 1\ncloud: azurechinacloud\nsubscription: " + testSub + "\nvms:\n  - " + testVM("a") + "\n  - " + testVM("b") + "\n" +
		"vault:\n  name: rsv-cn\n  resourceGroup: 2024\n  location: China North 3\n" +
		"redundancy: {storageType: zoneredundant}\nnetwork: {mode: SERVICETAGS, nsgRulePriority: \"0200\"}\n"
	p, err := DecodePlan([]byte(src), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Cloud != "AzureChinaCloud" || p.Vault.ResourceGroup != "2024" || p.Vault.Location != "chinanorth3" ||
		p.Redundancy.StorageType != "ZoneRedundant" || p.Redundancy.Keep || p.Network.Mode != "serviceTags" ||
		p.Network.NSGRulePriority != "200" || len(p.VMs) != 2 {
		t.Fatalf("not normalised: %+v", p)
	}
}

func TestDecodePlanErrors(t *testing.T) {
	vm2 := testVM("web-2")
	cases := []struct {
		name, src string
		line, col int
		field     string
		reason    string
		args      map[string]any
	}{
		{"syntax", "version: 1\nvault: {name: x\n", 2, 8, "", "plan.err.syntax", nil},
		{"syntax tab", "version: 1\n\tvms: []\n", 2, 1, "", "plan.err.syntax", nil},
		{"empty", "", 1, 1, "", "plan.err.empty", nil},
		{"comments only", "# nothing\n", 1, 1, "", "plan.err.empty", nil},
		{"two documents", planHead + "---\nversion: 1\n", 5, 1, "", "plan.err.documents", nil},
		{"top not mapping", "- version: 1\n", 1, 1, "", "plan.err.type.mapping", nil},
		{"version missing", "subscription: " + testSub + "\n", 1, 1, "version", "plan.err.required", nil},
		{"version 2", "version: 2\nbogus: 1\n", 1, 10, "version", "plan.err.version", map[string]any{"Got": "2", "Want": "1"}},
		{"version string", "version: \"1\"\n", 1, 10, "version", "plan.err.version", map[string]any{"Got": "1"}},
		{"version float", "version: 1.0\n", 1, 10, "version", "plan.err.type.int", nil},
		{"version huge", "version: 99999999999999999999\n", 1, 10, "version", "plan.err.version", nil},
		{"unknown top key", planHead + "vaults: {}\n", 5, 1, "vaults", "plan.err.unknown-key.suggest", map[string]any{"Suggest": "vault"}},
		{"unknown key no hint", planHead + "colour: blue\n", 5, 1, "colour", "plan.err.unknown-key", nil},
		{"case of key", "Version: 1\n", 1, 1, "Version", "plan.err.unknown-key.suggest", map[string]any{"Suggest": "version"}},
		{"unknown nested key", planHead + "network:\n  mode: serviceTags\n  nsgPriority: 200\n", 7, 3, "network.nsgPriority", "plan.err.unknown-key.suggest", map[string]any{"Suggest": "nsgRulePriority"}},
		{"unknown key in proxy", planHead + "network:\n  mode: proxy\n  proxy: {host: p, port: 80, user: x}\n", 7, 30, "network.proxy.user", "plan.err.unknown-key", nil},
		{"duplicate key", planHead + "agent: {fix: runCommand}\nagent: {fix: runCommand}\n", 6, 1, "agent", "plan.err.duplicate-key", map[string]any{"First": 5}},
		{"alias", planHead + "cloud: &c AzureCloud\nprotect: {policy: *c}\n", 6, 19, "protect.policy", "plan.err.alias", nil},
		{"tag", planHead + "cloud: !!str AzureCloud\n", 5, 8, "cloud", "plan.err.tag", nil},
		{"cloud enum", planHead + "cloud: AzureGermanCloud\n", 5, 8, "cloud", "plan.err.enum", map[string]any{"Got": "AzureGermanCloud"}},
		{"subscription missing", "version: 1\nvms: []\n", 1, 1, "subscription", "plan.err.required", nil},
		{"subscription empty", "version: 1\nsubscription:\n", 2, 1, "subscription", "plan.err.required", nil},
		{"subscription not guid", "version: 1\nsubscription: contoso-prod\n", 2, 15, "subscription", "plan.err.subscription", nil},
		{"subscription list", "version: 1\nsubscription: [a]\n", 2, 15, "subscription", "plan.err.type.string", nil},
		{"vms not list", "version: 1\nsubscription: " + testSub + "\nvms: " + testVM("a") + "\n", 3, 6, "vms", "plan.err.type.list", nil},
		{"vms empty", "version: 1\nsubscription: " + testSub + "\nvms: []\n", 3, 6, "vms", "plan.err.vms.empty", nil},
		{"vm bad id", "version: 1\nsubscription: " + testSub + "\nvms:\n  - web-1\n", 4, 5, "vms[0]", "plan.err.vms.bad-arm", nil},
		{"vm is a disk", "version: 1\nsubscription: " + testSub + "\nvms:\n  - " + strings.Replace(testVM("d"), "virtualMachines", "disks", 1) + "\n", 4, 5, "vms[0]", "plan.err.vms.bad-arm", nil},
		{"vm other subscription", "version: 1\nsubscription: " + testSub + "\nvms:\n  - " + strings.Replace(testVM("a"), "1111", "9999", 1) + "\n", 4, 5, "vms[0]", "plan.err.vms.subscription", nil},
		{"vm duplicate", "version: 1\nsubscription: " + testSub + "\nvms:\n  - " + vm2 + "\n  - " + strings.ToUpper(vm2) + "\n", 5, 5, "vms[1]", "plan.err.vms.duplicate", map[string]any{"First": 4}},
		{"vault missing", "version: 1\nsubscription: " + testSub + "\nvms: [" + testVM("a") + "]\n", 1, 1, "vault", "plan.err.required", nil},
		{"vault scalar", "version: 1\nsubscription: " + testSub + "\nvms: [" + testVM("a") + "]\nvault: rsv\n", 4, 8, "vault", "plan.err.type.mapping", nil},
		{"vault name missing", "version: 1\nsubscription: " + testSub + "\nvms: [" + testVM("a") + "]\nvault: {resourceGroup: rg, location: westeurope}\n", 4, 1, "vault.name", "plan.err.required", nil},
		{"vault name underscore", mustRead(t, "testdata/plans/bad-vault-name.yaml"), 6, 9, "vault.name", "plan.err.vault-name.chars", map[string]any{"Got": "rsv_weu"}},
		{"vault name digit", strings.Replace(planHead, "rsv-weu", "1rsv", 1), 4, 15, "vault.name", "plan.err.vault-name.first-letter", nil},
		{"vault name short", strings.Replace(planHead, "rsv-weu", "r", 1), 4, 15, "vault.name", "plan.err.vault-name.too-short", nil},
		{"vault name empty", strings.Replace(planHead, "rsv-weu", `""`, 1), 4, 15, "vault.name", "plan.err.vault-name.empty", nil},
		{"vault name long", strings.Replace(planHead, "rsv-weu", "r"+strings.Repeat("x", 50), 1), 4, 15, "vault.name", "plan.err.vault-name.too-long", nil},
		{"vault name CJK", strings.Replace(planHead, "rsv-weu", "备份保管库", 1), 4, 15, "vault.name", "plan.err.vault-name.first-letter", nil},
		{"vault rg period", strings.Replace(planHead, "rg-backup", "rg.", 1), 4, 39, "vault.resourceGroup", "plan.err.resource-group.trailing-period", nil},
		{"vault rg chars", strings.Replace(planHead, "rg-backup", "rg/backup", 1), 4, 39, "vault.resourceGroup", "plan.err.resource-group.chars", nil},
		{"vault location", strings.Replace(planHead, "westeurope", "West-Europe!", 1), 4, 60, "vault.location", "plan.err.location", nil},
		{"vault create type", strings.Replace(planHead, "westeurope}", "westeurope, create: yes please}", 1), 4, 80, "vault.create", "plan.err.type.bool", nil},
		{"storage enum", planHead + "redundancy: {storageType: GRS}\n", 5, 27, "redundancy.storageType", "plan.err.enum", map[string]any{"Allowed": "GeoRedundant, LocallyRedundant, ZoneRedundant"}},
		{"storage missing", planHead + "redundancy: {crossRegionRestore: false}\n", 5, 1, "redundancy.storageType", "plan.err.required", nil},
		{"crr without geo", planHead + "redundancy: {storageType: LocallyRedundant, crossRegionRestore: true}\n", 5, 65, "redundancy.crossRegionRestore", "plan.err.redundancy.crr", nil},
		{"network mode", planHead + "network: {mode: vpn}\n", 5, 17, "network.mode", "plan.err.enum", nil},
		{"priority low", planHead + "network: {mode: serviceTags, nsgRulePriority: 99}\n", 5, 47, "network.nsgRulePriority", "plan.err.priority", map[string]any{"Got": "99"}},
		{"priority high", planHead + "network:\n  nsgRulePriority: 4097\n", 6, 20, "network.nsgRulePriority", "plan.err.priority", nil},
		{"priority word", planHead + "network:\n  nsgRulePriority: high\n", 6, 20, "network.nsgRulePriority", "plan.err.priority", nil},
		{"priority bool", planHead + "network:\n  nsgRulePriority: true\n", 6, 20, "network.nsgRulePriority", "plan.err.priority", nil},
		{"proxy missing", planHead + "network:\n  mode: proxy\n", 6, 9, "network.proxy", "plan.err.proxy.required", nil},
		{"proxy unused", planHead + "network:\n  mode: serviceTags\n  proxy: {host: p, port: 80}\n", 7, 3, "network.proxy", "plan.err.proxy.unused", map[string]any{"Mode": "serviceTags"}},
		{"proxy host url", planHead + "network:\n  mode: proxy\n  proxy: {host: \"http://p:3128\", port: 3128}\n", 7, 17, "network.proxy.host", "plan.err.proxy.host", nil},
		{"proxy port missing", planHead + "network:\n  mode: proxy\n  proxy: {host: p}\n", 7, 3, "network.proxy.port", "plan.err.required", nil},
		{"proxy port range", planHead + "network:\n  mode: proxy\n  proxy: {host: p, port: 70000}\n", 7, 26, "network.proxy.port", "plan.err.proxy.port", map[string]any{"Got": "70000"}},
		{"proxy port text", planHead + "network:\n  mode: proxy\n  proxy: {host: p, port: http}\n", 7, 26, "network.proxy.port", "plan.err.proxy.port", nil},
		{"no proxy entry", planHead + "network:\n  mode: proxy\n  proxy: {host: '::1', port: 1, noProxy: [.corp.example, 'a b']}\n", 7, 58, "network.proxy.noProxy[1]", "plan.err.proxy.no-proxy", map[string]any{"Got": "a b"}},
		{"agent enum", planHead + "agent: {fix: auto}\n", 5, 14, "agent.fix", "plan.err.enum", nil},
		{"agent scalar", planHead + "agent: runCommand\n", 5, 8, "agent", "plan.err.type.mapping", nil},
		{"policy needed", planHead + "protect: {enabled: true}\n", 5, 1, "protect.policy", "plan.err.protect.policy", nil},
		{"policy hyphen", planHead + "protect: {enabled: true, policy: Daily-}\n", 5, 34, "protect.policy", "plan.err.policy-name.trailing-hyphen", nil},
		{"policy short", planHead + "protect: {enabled: true, policy: ab}\n", 5, 34, "protect.policy", "plan.err.policy-name.too-short", nil},
		{"backupNow alone", planHead + "protect: {backupNow: true}\n", 5, 22, "protect.backupNow", "plan.err.protect.backup-now", nil},
		{"enabled type", planHead + "protect: {enabled: \"true\"}\n", 5, 20, "protect.enabled", "plan.err.type.bool", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := DecodePlan([]byte(c.src), "plan.yaml")
			if err == nil {
				t.Fatalf("no error, got %+v", p)
			}
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *PlanError: %T %v", err, err)
			}
			if pe.File != "plan.yaml" || pe.Reason != c.reason || pe.Field != c.field {
				t.Errorf("got file %q field %q reason %q, want field %q reason %q (%v)", pe.File, pe.Field, pe.Reason, c.field, c.reason, pe)
			}
			if c.line != 0 && (pe.Line != c.line || pe.Column != c.col) {
				t.Errorf("at %d:%d, want %d:%d (%v)", pe.Line, pe.Column, c.line, c.col, pe)
			}
			for k, v := range c.args {
				if got := pe.Arg(k); got != v {
					t.Errorf("arg %s = %#v, want %#v", k, got, v)
				}
			}
			checkErrorText(t, pe)
		})
	}
}

// checkErrorText renders the error in every language: the catalog has the
// key, every placeholder is filled, and no library text leaks outside Detail.
func checkErrorText(t *testing.T, pe *PlanError) {
	t.Helper()
	for _, lang := range ui.Languages {
		tr, err := ui.NewTranslator(lang)
		if err != nil {
			t.Fatal(err)
		}
		s := pe.Text(tr)
		if strings.Contains(s, pe.Reason) || strings.Contains(s, "<no value>") {
			t.Errorf("%s: %q", lang, s)
		}
		if !strings.HasPrefix(s, "plan.yaml:") {
			t.Errorf("%s: no position: %q", lang, s)
		}
	}
}

// Every reason DecodePlan can give has text in every language.
func TestPlanReasonsInCatalog(t *testing.T) {
	reasons := []string{"plan.err.syntax", "plan.err.empty", "plan.err.documents", "plan.err.alias", "plan.err.tag",
		"plan.err.unknown-key", "plan.err.unknown-key.suggest", "plan.err.duplicate-key", "plan.err.required",
		"plan.err.version", "plan.err.enum", "plan.err.subscription", "plan.err.vms.empty", "plan.err.vms.bad-arm",
		"plan.err.vms.subscription", "plan.err.vms.duplicate", "plan.err.location", "plan.err.redundancy.crr",
		"plan.err.priority", "plan.err.proxy.required", "plan.err.proxy.unused", "plan.err.proxy.host",
		"plan.err.proxy.port", "plan.err.proxy.no-proxy", "plan.err.protect.policy", "plan.err.protect.backup-now"}
	for _, k := range []string{"mapping", "string", "bool", "int", "list"} {
		reasons = append(reasons, "plan.err.type."+k)
	}
	for _, k := range []string{"empty", "too-short", "too-long", "first-letter", "chars"} {
		reasons = append(reasons, "plan.err.vault-name."+k, "plan.err.policy-name."+k)
	}
	reasons = append(reasons, "plan.err.policy-name.trailing-hyphen")
	for _, k := range []string{"empty", "too-long", "chars", "trailing-period"} {
		reasons = append(reasons, "plan.err.resource-group."+k)
	}
	for _, lang := range ui.Languages {
		tr, err := ui.NewTranslator(lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reasons {
			if tr.T(r) == r {
				t.Errorf("%s: no text for %s", lang, r)
			}
		}
	}
}

func TestDecodePlanSampleFiles(t *testing.T) {
	want := map[string]string{
		"valid.yaml": "", "minimal.yaml": "",
		"version2.yaml":       "plan.err.version",
		"bad-vault-name.yaml": "plan.err.vault-name.chars",
		"unknown-key.yaml":    "plan.err.unknown-key.suggest",
	}
	files, _ := filepath.Glob("testdata/plans/*.yaml")
	if len(files) != len(want) {
		t.Errorf("testdata/plans has %d files, the test knows %d", len(files), len(want))
	}
	for _, f := range files {
		_, err := DecodePlan([]byte(mustRead(t, f)), filepath.Base(f))
		reason := ""
		if err != nil {
			reason = err.(*PlanError).Reason
		}
		if reason != want[filepath.Base(f)] {
			t.Errorf("%s: reason %q, want %q (%v)", f, reason, want[filepath.Base(f)], err)
		}
	}
}

func TestPlanRoundTrip(t *testing.T) {
	for _, f := range []string{"testdata/plans/valid.yaml", "testdata/plans/minimal.yaml"} {
		p, err := DecodePlan([]byte(mustRead(t, f)), f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(out), "version: 1\n") {
			t.Errorf("version is not first:\n%s", out)
		}
		q, err := DecodePlan(out, "encoded")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("round trip changed the plan:\n%+v\n%+v\n%s", p, q, out)
		}
	}
	// Keep: the redundancy section is left out; all DESIGN §3 keys otherwise.
	p, _ := DecodePlan([]byte(mustRead(t, "testdata/plans/minimal.yaml")), "")
	out, _ := p.Encode()
	if strings.Contains(string(out), "redundancy") {
		t.Errorf("Keep should omit redundancy:\n%s", out)
	}
	for _, k := range []string{"cloud: AzureCloud", "network:", "mode: none", "nsgRulePriority: auto", "agent: {fix: instructions}", "protect: {enabled: false"} {
		if !strings.Contains(string(out), k) {
			t.Errorf("encoded plan lacks %q:\n%s", k, out)
		}
	}
}

func TestEncodeRefusesInvalidPlan(t *testing.T) {
	p := &Plan{Version: 1, Subscription: testSub, VMs: []string{testVM("a")},
		Vault: PlanVault{Name: "bad_name", ResourceGroup: "rg", Location: "westeurope"}}
	_, err := p.Encode()
	var pe *PlanError
	if !errors.As(err, &pe) || pe.Reason != "plan.err.vault-name.chars" {
		t.Fatalf("got %v", err)
	}
}

func TestValidateVaultName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"rsv-weu-backup", ""}, {"ab", ""}, {"a1", ""}, {"A-", ""}, {"Vault2024", ""},
		{"a" + strings.Repeat("b", 49), ""},
		{"a" + strings.Repeat("b", 50), "too-long"},
		{"", "empty"}, {"a", "too-short"}, {"保", "too-short"},
		{"1vault", "first-letter"}, {"-vault", "first-letter"}, {"_vault", "first-letter"},
		{"备份保管库", "first-letter"}, {"バックアップ", "first-letter"},
		{"rsv_weu", "chars"}, {"rsv.weu", "chars"}, {"rsv weu", "chars"}, {"a保管库", "chars"}, {"é-vault", "first-letter"},
		{"ab\xff", "chars"},
	} {
		if got := ValidateVaultName(c.in); got != c.want {
			t.Errorf("ValidateVaultName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestValidatePolicyName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"DefaultPolicy", ""}, {"EnhancedPolicy", ""}, {"abc", ""}, {"daily-30d", ""},
		{"a" + strings.Repeat("b", 149), ""},
		{"a" + strings.Repeat("b", 150), "too-long"},
		{"", "empty"}, {"ab", "too-short"}, {"策略", "too-short"},
		{"1policy", "first-letter"}, {"备份策略", "first-letter"},
		{"daily_policy", "chars"}, {"daily policy", "chars"}, {"policy-", "trailing-hyphen"},
	} {
		if got := ValidatePolicyName(c.in); got != c.want {
			t.Errorf("ValidatePolicyName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

var vaultNameOracle = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{1,49}$`)

func FuzzValidateVaultName(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "rsv-weu", "1a", "a_b", "保管库", strings.Repeat("a", 51), "a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ValidateVaultName(s)
		if (got == "") != vaultNameOracle.MatchString(s) {
			t.Fatalf("ValidateVaultName(%q) = %q, oracle says valid=%v", s, got, vaultNameOracle.MatchString(s))
		}
	})
}

func FuzzDecodePlan(f *testing.F) {
	files, _ := filepath.Glob("testdata/plans/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(planHead + "network:\n  mode: proxy\n  proxy: {host: '::1', port: 1, noProxy: ['*', .corp]}\n"))
	f.Add([]byte("version: 1\n&a b: *a\n"))
	f.Add([]byte(planHead + "protect:\n  enabled: true\n  policy: P-1\n  newPolicy: {frequency: Weekly, time: '22:30', weekdays: [Sunday], retentionWeeks: 4}\n  backupNow: true\n  retainDays: 9\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePlan(data, "fuzz.yaml")
		if err != nil {
			var pe *PlanError
			if !errors.As(err, &pe) || pe.Reason == "" || !strings.HasPrefix(pe.Reason, "plan.err.") {
				t.Fatalf("bad error %T %v", err, err)
			}
			return
		}
		requireRoundTrip(t, p)
	})
}

// requireRoundTrip fails the test unless p encodes to a file that decodes
// to the same plan.
func requireRoundTrip(t *testing.T, p *Plan) {
	t.Helper()
	out, err := p.Encode()
	if err != nil {
		t.Fatalf("decoded plan does not encode: %v\n%+v", err, p)
	}
	q, err := DecodePlan(out, "encoded")
	if err != nil {
		t.Fatalf("encoded plan does not decode: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip changed the plan:\n%+v\n%+v\n%s", p, q, out)
	}
}

func mustRead(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
