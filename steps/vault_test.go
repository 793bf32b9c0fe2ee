package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// vaultStub is the stub tenant with more vaults: a long list in eastasia
// with Chinese resource groups, a VM protected there, and one protected by
// a vault of another region.
type vaultStub struct{ *stubAPI }

func newVaultStub() *vaultStub { return &vaultStub{&stubAPI{}} }

func vaultOf(sub, rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.RecoveryServices/vaults/" + name
}

func (s *vaultStub) Inventory(ctx context.Context, subs []string, progress func(azure.InventoryProgress)) (*azure.Inventory, error) {
	inv, err := s.stubAPI.Inventory(ctx, subs, progress)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range subs {
		want[id] = true
	}
	for _, v := range []azure.Vault{
		{Name: "rsv-eas-archive-2019", SubscriptionID: subCN, ResourceGroup: "rg-财务系统长期归档备份（上海数据中心・生产环境）", Location: "eastasia", Redundancy: "GeoRedundant", SoftDelete: "AlwaysON", Immutability: "Locked"},
		{Name: "rsv-eas-dev", SubscriptionID: subCN, ResourceGroup: "rg-研发测试", Location: "eastasia", Redundancy: "LocallyRedundant", SoftDelete: "Enabled", Immutability: "Disabled"},
		{Name: "rsv-eas-hr", SubscriptionID: subCN, ResourceGroup: "rg-人力资源系统", Location: "eastasia", Redundancy: "ZoneRedundant", SoftDelete: "Disabled", Immutability: "Unlocked"},
		{Name: "rsv-eas-ops-monitoring-and-logging", SubscriptionID: subCN, ResourceGroup: "rg-运维监控与日志平台", Location: "eastasia", Redundancy: "GeoRedundant", SoftDelete: "Enabled", Immutability: "Disabled"},
		{Name: "rsv-eas-sales", SubscriptionID: subCN, ResourceGroup: "rg-销售", Location: "eastasia", Redundancy: "GeoRedundant", SoftDelete: "Enabled", Immutability: "Disabled"},
		{Name: "rsv-neu-archive", SubscriptionID: subProd, ResourceGroup: "rg-backup", Location: "northeurope", Redundancy: "GeoRedundant", SoftDelete: "Enabled"},
	} {
		if want[v.SubscriptionID] {
			v.ID = vaultOf(v.SubscriptionID, v.ResourceGroup, v.Name)
			inv.Vaults = append(inv.Vaults, v)
		}
	}
	for i := range inv.Vaults {
		if inv.Vaults[i].Redundancy == "" {
			inv.Vaults[i].Redundancy, inv.Vaults[i].SoftDelete, inv.Vaults[i].Immutability = "GeoRedundant", "Enabled", "Disabled"
		}
	}
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		switch vm.Name {
		case "fin-app-01":
			id := vaultOf(subCN, "rg-backup", "rsv-eas-finance")
			vm.Protection = &azure.Protection{ItemID: id + "/backupFabrics/Azure/protectionContainers/c/protectedItems/vm;fin-app-01", VaultID: id, State: "Protected"}
		case "jump-01":
			id := vaultOf(subProd, "rg-backup", "rsv-neu-archive")
			vm.Protection = &azure.Protection{ItemID: id + "/backupFabrics/Azure/protectionContainers/c/protectedItems/vm;jump-01", VaultID: id, State: "Protected"}
		}
	}
	return inv, nil
}

func (s *vaultStub) vaultsOf(ctx context.Context, sub string) []azure.Vault {
	inv, _ := s.Inventory(ctx, []string{sub}, nil)
	return inv.Vaults
}

func (s *vaultStub) CheckVaultName(ctx context.Context, sub, group, location, name string) (bool, string, string, error) {
	for _, v := range s.vaultsOf(ctx, sub) {
		if strings.EqualFold(v.Name, name) {
			return false, "AlreadyExists", "Resource name already exists", nil
		}
	}
	return s.stubAPI.CheckVaultName(ctx, sub, group, location, name)
}

func (s *vaultStub) VaultByName(ctx context.Context, sub, group, name string) (*azure.Vault, error) {
	for _, v := range s.vaultsOf(ctx, sub) {
		if strings.EqualFold(v.Name, name) && strings.EqualFold(v.ResourceGroup, group) {
			return &v, nil
		}
	}
	return nil, nil
}

// StorageConfig answers with the inventory's redundancy; a vault that
// protects a VM is locked, as in Azure.
func (s *vaultStub) StorageConfig(ctx context.Context, vaultID string) (azure.StorageConfig, error) {
	inv, _ := s.Inventory(ctx, []string{subscriptionOf(vaultID)}, nil)
	for _, v := range inv.Vaults {
		if strings.EqualFold(v.ID, vaultID) {
			cfg := azure.StorageConfig{Type: v.Redundancy, State: azure.StorageUnlocked}
			for _, vm := range inv.VMs {
				if vm.Protection != nil && strings.EqualFold(vm.Protection.VaultID, v.ID) {
					cfg.State = azure.StorageLocked
				}
			}
			return cfg, nil
		}
	}
	return s.stubAPI.StorageConfig(ctx, vaultID)
}

func (s *vaultStub) ResourceGroupExists(ctx context.Context, sub, group string) (bool, error) {
	for _, v := range s.vaultsOf(ctx, sub) {
		if strings.EqualFold(v.ResourceGroup, group) {
			return true, nil
		}
	}
	return s.stubAPI.ResourceGroupExists(ctx, sub, group)
}

// vaultFixture is the whole stub fleet, selected, with app-legacy blocked.
func vaultFixture(t *testing.T) (*azure.Inventory, []string, []VMResult) {
	t.Helper()
	inv, err := newVaultStub().Inventory(t.Context(), []string{subProd, subCN, subJP}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sel []string
	var results []VMResult
	for i := range inv.VMs {
		sel = append(sel, inv.VMs[i].ID)
		v := OK
		if inv.VMs[i].Name == "app-legacy" {
			v = Blocked
		}
		results = append(results, VMResult{VM: &inv.VMs[i], Verdict: v})
	}
	return inv, sel, results
}

// ---- decisions ----

func TestGroupVaultRegions(t *testing.T) {
	inv, sel, results := vaultFixture(t)
	regions, left := GroupVaultRegions(inv, sel, results)
	var got []string
	for _, r := range regions {
		got = append(got, r.Location)
	}
	want := []string{"westeurope", "eastasia", "japaneast", "japanwest", "northeurope", "southeastasia"}
	if !slices.Equal(got, want) {
		t.Errorf("regions %v, want %v (most VMs first)", got, want)
	}
	we := regions[0]
	if len(we.VMs) != 3 || len(we.Vaults) != 1 || we.Vaults[0].Vault.Name != "rsv-weu-prod" {
		t.Errorf("westeurope: %d VMs, vaults %v", len(we.VMs), we.Vaults)
	}
	ea := regions[1]
	if len(ea.Vaults) != 6 || ea.Vaults[0].Vault.Name != "rsv-eas-archive-2019" {
		t.Errorf("eastasia vaults: %v", ea.Vaults)
	}
	if ne := regions[4]; len(ne.VMs) != 1 || len(ne.Vaults) != 1 || ne.Vaults[0].Protected != 1 || ne.Vaults[0].Ours != 0 {
		t.Errorf("northeurope: %+v", ne)
	}
	reasons := map[string]string{}
	for _, l := range left {
		reasons[l.VM.Name] = l.Reason
	}
	if len(left) != 2 || reasons["app-legacy"] != "blocked" || reasons["jump-01"] != "elsewhere" {
		t.Errorf("left: %v", reasons)
	}
	if regs, left := GroupVaultRegions(nil, sel, results); regs != nil || left != nil {
		t.Error("no inventory should give nothing")
	}
}

func TestDefaultVault(t *testing.T) {
	inv, sel, results := vaultFixture(t)
	regions, _ := GroupVaultRegions(inv, sel, results)
	byLoc := map[string]VaultRegion{}
	for _, r := range regions {
		byLoc[r.Location] = r
	}
	tests := []struct {
		region string
		want   string
	}{
		{"eastasia", "rsv-eas-finance"}, // protects fin-app-01, though not first by name
		{"westeurope", "rsv-weu-prod"},  // the only vault
		{"japaneast", ""},               // none: create
	}
	for _, tt := range tests {
		r := byLoc[tt.region]
		i := DefaultVault(r)
		got := ""
		if i < len(r.Vaults) {
			got = r.Vaults[i].Vault.Name
		}
		if got != tt.want {
			t.Errorf("%s: default %q, want %q", tt.region, got, tt.want)
		}
	}
}

func TestVaultNameSuggestions(t *testing.T) {
	vaults := []azure.Vault{{Name: "RSV-backup-westeurope"}, {Name: "rsv-backup-westeurope-2"}}
	if got := DefaultVaultName("westeurope", vaults); got != "rsv-backup-westeurope-3" {
		t.Errorf("DefaultVaultName = %q", got)
	}
	if got := DefaultVaultName("japaneast", vaults); got != "rsv-backup-japaneast" {
		t.Errorf("DefaultVaultName = %q", got)
	}
	if got := DefaultResourceGroup("japaneast"); got != "rg-backup-japaneast" || ValidateResourceGroup(got) != "" {
		t.Errorf("DefaultResourceGroup = %q", got)
	}
	tests := []struct {
		name string
		want []string
	}{
		{"rsv", []string{"rsv-2", "rsv-3"}},
		{"rsv-7", []string{"rsv-8", "rsv-9"}},
		{"rsv-07", []string{"rsv-07-2", "rsv-07-3"}},
		{"rsv-", []string{"rsv--2", "rsv--3"}},
		{strings.Repeat("a", 50), []string{strings.Repeat("a", 48) + "-2", strings.Repeat("a", 48) + "-3"}},
		{strings.Repeat("a", 47) + "---", []string{strings.Repeat("a", 47) + "-2", strings.Repeat("a", 47) + "-3"}},
	}
	for _, tt := range tests {
		got := VaultNameCandidates(tt.name, 2)
		if !slices.Equal(got, tt.want) {
			t.Errorf("VaultNameCandidates(%q) = %v, want %v", tt.name, got, tt.want)
		}
		for _, c := range got {
			if ValidateVaultName(c) != "" && ValidateVaultName(tt.name) == "" {
				t.Errorf("candidate %q is not a valid name", c)
			}
		}
	}
}

func TestClassifyVaultName(t *testing.T) {
	vaults := []azure.Vault{
		{Name: "rsv-weu", SubscriptionID: subProd, Location: "West Europe", ResourceGroup: "rg-a"},
		{Name: "rsv-neu", SubscriptionID: subProd, Location: "northeurope"},
		{Name: "rsv-other", SubscriptionID: subCN, Location: "westeurope"},
	}
	tests := []struct{ name, want string }{
		{"", "empty"},
		{"a", "too-short"},
		{"9rsv", "first-letter"},
		{"rsv_weu", "chars"},
		{"rsv-天", "chars"},
		{strings.Repeat("a", 51), "too-long"},
		{"RSV-WEU", NameExistsHere},
		{"rsv-neu", NameExistsElsewere},
		{"rsv-other", NameNeedsCheck}, // another subscription: Azure decides
		{"rsv-new", NameNeedsCheck},
	}
	for _, tt := range tests {
		got, v := ClassifyVaultName(tt.name, subProd, "westeurope", vaults)
		if got != tt.want {
			t.Errorf("ClassifyVaultName(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if (got == NameExistsHere || got == NameExistsElsewere) != (v != nil) {
			t.Errorf("%q: vault %v with verdict %q", tt.name, v, got)
		}
	}
}

func TestValidateResourceGroupReasons(t *testing.T) {
	tests := []struct{ name, want string }{
		{"rg-backup", ""},
		{"rg-财务系统（上海）", "chars"}, // full-width parentheses are not ASCII ( )
		{"rg-财务系统(上海)", ""},
		{"rg.", "trailing-period"},
		{"", "empty"},
		{"rg backup", "chars"},
		{strings.Repeat("r", 90), ""},
		{strings.Repeat("r", 91), "too-long"},
	}
	for _, tt := range tests {
		if got := ValidateResourceGroup(tt.name); got != tt.want {
			t.Errorf("ValidateResourceGroup(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Every reason a validator gives has words in every language.
func TestVaultValidationMessages(t *testing.T) {
	for _, lang := range ui.Languages {
		tr := translator(t, lang)
		for _, r := range []string{"empty", "too-short", "too-long", "first-letter", "chars", NameExistsHere, NameExistsElsewere} {
			if k := "vault.name." + r; tr.T(k, "Name", "x", "Group", "g", "Where", "w", "Region", "r") == k {
				t.Errorf("%s: no text for %s", lang, k)
			}
		}
		for _, r := range []string{"empty", "too-long", "chars", "trailing-period"} {
			if k := "vault.group." + r; tr.T(k) == k {
				t.Errorf("%s: no text for %s", lang, k)
			}
		}
	}
}

func TestWithVault(t *testing.T) {
	inv, sel, results := vaultFixture(t)
	regions, _ := GroupVaultRegions(inv, sel, results)
	r := regions[1] // eastasia
	v := PlanVault{Name: "rsv-new", ResourceGroup: "rg-backup-eastasia", Location: "eastasia", Create: true}
	p := WithVault(nil, "", r, v)
	if p.Version != 1 || p.Cloud != CloudPublic || p.Subscription != subCN || !p.Redundancy.Keep ||
		p.Network.Mode != NetworkNone || p.Network.NSGRulePriority != PriorityAuto || p.Agent.Fix != AgentFixInstructions {
		t.Errorf("new plan: %+v", p)
	}
	if !slices.Equal(p.VMs, r.VMIDs()) || len(p.VMs) != 2 || p.Vault != v {
		t.Errorf("plan VMs %v vault %+v", p.VMs, p.Vault)
	}
	// The plan round-trips through its file format.
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodePlan(data, "plan.yaml"); err != nil {
		t.Fatalf("the plan does not decode: %v\n%s", err, data)
	}
	// An existing plan keeps its other sections.
	p.Agent.Fix = AgentFixRunCommand
	q := WithVault(p, "", regions[0], PlanVault{Name: "rsv-weu-prod", ResourceGroup: "rg-backup", Location: "westeurope"})
	if q.Agent.Fix != AgentFixRunCommand || q.Subscription != subProd || p.Subscription != subCN {
		t.Errorf("updating a plan: %+v (old %+v)", q, p)
	}
}

// ---- the model, driven without a program ----

// run executes cmd and feeds what it returns to the step, until nothing is
// left (the spinner's ticks are dropped).
func run(t *testing.T, s ui.Step, cmd tea.Cmd) ui.Step {
	t.Helper()
	if cmd == nil {
		return s
	}
	switch msg := cmd().(type) {
	case nil, spinner.TickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			s = run(t, s, c)
		}
	default:
		var next tea.Cmd
		s, next = s.Update(msg)
		s = run(t, s, next)
	}
	return s
}

func vaultModel(t *testing.T) (vaultStep, *Session) {
	inv, sel, results := vaultFixture(t)
	sess := &Session{Inventory: inv, Selected: sel, Results: results, Cloud: CloudPublic}
	c := ui.NewCommon(translator(t, "en"))
	m := newVaultStep(c, sess, newVaultStub())
	s, _ := m.Update(ui.BodySizeMsg{Width: 60, Height: 20})
	return s.(vaultStep), sess
}

func TestVaultStepFillsThePlan(t *testing.T) {
	m, sess := vaultModel(t)
	s, cmd := m.Activate()
	s = run(t, s, cmd)
	if s.Complete() {
		t.Fatal("complete before a region is chosen")
	}
	s, cmd, handled := s.Next() // westeurope: its vault is the default
	s = run(t, s, cmd)
	if !handled || !s.Complete() || sess.Plan == nil || sess.Plan.Vault.Name != "rsv-weu-prod" || sess.Plan.Vault.Create {
		t.Fatalf("westeurope should use rsv-weu-prod: %+v", sess.Plan)
	}
	// Create a new one: the suggested name is checked, then planned.
	s, cmd = s.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	s = run(t, s, cmd)
	s, cmd = s.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s = run(t, s, cmd)
	if !s.Capturing() || !s.Complete() {
		t.Fatalf("the form should be open, its default name checked: %q", s.Hint())
	}
	want := PlanVault{Name: "rsv-backup-westeurope", ResourceGroup: "rg-backup-westeurope", Location: "westeurope", Create: true}
	if sess.Plan.Vault != want || len(sess.Plan.VMs) != 3 || sess.Plan.Subscription != subProd {
		t.Errorf("plan %+v", sess.Plan)
	}
	// A bad name: not complete, Next refused with a hint, the plan has no vault.
	s, cmd = s.Update(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	s = run(t, s, cmd)
	if s.Complete() || sess.Plan.Vault != (PlanVault{}) || s.Hint() == "" {
		t.Errorf("an empty name must not be complete: %+v", sess.Plan.Vault)
	}
	// The name of the existing vault: used, not created over.
	s, cmd = s.Update(tea.PasteMsg{Content: "RSV-WEU-PROD"})
	s = run(t, s, cmd)
	if !s.Complete() || sess.Plan.Vault.Create || sess.Plan.Vault.Name != "rsv-weu-prod" || sess.Plan.Vault.ResourceGroup != "rg-backup" {
		t.Errorf("an existing vault's name should mean that vault: %+v", sess.Plan.Vault)
	}
}

// ---- screens ----

// toVaultStep walks the wizard to the vault step with every VM selected.
func toVaultStep(t *testing.T, hs *harness) {
	t.Helper()
	hs.waitText("Contoso Production")
	hs.key('a')
	hs.enter()
	hs.waitText("dev-box-01")
	hs.key('a')
	hs.next()
	hs.waitFor("preflight results", func(s snapshot) bool { return s.current == 1 && s.complete })
	hs.next()
	hs.waitFor("the vault step", func(s snapshot) bool { return s.current == 2 })
}

// settled reports a screen with no spinner: every read has answered.
func settled(s snapshot) bool {
	return !strings.ContainsFunc(s.view, func(r rune) bool { return r >= 0x2800 && r <= 0x28ff })
}

func TestVaultStep(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		hs := newHarness(t, newVaultStub(), demoOpts(t, lang), w, h)
		toVaultStep(t, hs)
		hs.down()
		hs.enter() // eastasia: six vaults, Chinese resource groups
		hs.waitFor("the eastasia vaults", func(s snapshot) bool {
			return strings.Contains(s.view, tr.T("vault.vaults.heading", "Region", "eastasia")) &&
				strings.Contains(s.view, "NotRegistered") && settled(s) && s.complete
		})
		golden.RequireEqual(t, hs.final())
	})
}

func TestVaultRegions(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		hs := newHarness(t, newVaultStub(), demoOpts(t, lang), w, h)
		toVaultStep(t, hs)
		hs.waitText(tr.T("vault.regions.heading"))
		golden.RequireEqual(t, hs.final())
	})
}

// toCreate opens the new-vault form for westeurope.
func toCreate(t *testing.T, hs *harness, tr *ui.Translator) {
	t.Helper()
	toVaultStep(t, hs)
	hs.enter() // westeurope
	hs.waitText(tr.T("vault.vaults.heading", "Region", "westeurope"))
	hs.down()
	hs.enter()
	hs.waitFor("the default name checked", func(s snapshot) bool {
		return s.capturing && s.complete && settled(s) && strings.Contains(s.view, "✓ rsv-backup-westeurope")
	})
}

func clearField(hs *harness) { hs.key('u', tea.ModCtrl) }

func TestVaultCreate(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		hs := newHarness(t, newVaultStub(), demoOpts(t, lang), w, h)
		toCreate(t, hs, tr)
		clearField(hs)
		hs.typ("rsv-taken")
		hs.waitFor("a suggestion", func(s snapshot) bool {
			return strings.Contains(s.view, "rsv-taken-3") && settled(s)
		})
		golden.RequireEqual(t, hs.final())
	})
}

func TestVaultBadNameShowsReason(t *testing.T) {
	tr := translator(t, "en")
	hs := newHarness(t, newVaultStub(), demoOpts(t, "en"), 80, 24)
	toCreate(t, hs, tr)
	clearField(hs)
	hs.typ("9lives")
	hs.waitText(firstWords(tr.T("vault.name.first-letter")))
	clearField(hs)
	hs.typ("rsv_1")
	s := hs.waitText(firstWords(tr.T("vault.name.chars")))
	if s.complete {
		t.Error("a bad name must not complete the step")
	}
	hs.next()
	if s = hs.now(); s.current != 2 || s.status != tr.T("vault.hint.name") {
		t.Errorf("Next should be refused with a hint; step %d, status %q", s.current, s.status)
	}
}

func TestVaultTakenNameSuggests(t *testing.T) {
	tr := translator(t, "en")
	hs := newHarness(t, newVaultStub(), demoOpts(t, "en"), 80, 24)
	toCreate(t, hs, tr)
	clearField(hs)
	hs.typ("rsv-taken")
	s := hs.waitText("› rsv-taken-3")
	if s.complete || !strings.Contains(s.view, "✗ rsv-taken is already used") {
		t.Errorf("a taken name should say so and not complete the step:\n%s", s.view)
	}
	hs.key('s', tea.ModCtrl)
	hs.waitFor("the suggestion used and checked", func(s snapshot) bool {
		return s.complete && strings.Contains(s.view, "✓ rsv-taken-3")
	})
	checkSize(t, s.view, 80, 24)
}

func TestVaultBackWhileFieldFocusedAndInvalid(t *testing.T) {
	tr := translator(t, "en")
	hs := newHarness(t, newVaultStub(), demoOpts(t, "en"), 80, 24)
	toCreate(t, hs, tr)
	clearField(hs)
	hs.typ("-x")
	s := hs.waitText(firstWords(tr.T("vault.name.first-letter")))
	if !s.capturing {
		t.Fatal("the name field should have focus")
	}
	hs.back()
	s = hs.waitText(tr.T("vault.vaults.heading", "Region", "westeurope"))
	if s.current != 2 || s.capturing {
		t.Errorf("Back should leave the form for the vault list: step %d, capturing %v", s.current, s.capturing)
	}
	hs.back()
	hs.waitText(tr.T("vault.regions.heading"))
	hs.back()
	hs.waitFor("preflight", func(s snapshot) bool { return s.current == 1 })
}

func TestVaultQTypesIntoTheField(t *testing.T) {
	tr := translator(t, "en")
	hs := newHarness(t, newVaultStub(), demoOpts(t, "en"), 80, 24)
	toCreate(t, hs, tr)
	clearField(hs)
	hs.typ("qq")
	s := hs.waitText("qq")
	if !s.capturing || s.current != 2 {
		t.Fatalf("q should type into the field:\n%s", s.view)
	}
	hs.esc()
	hs.waitFor("the field left", func(s snapshot) bool { return !s.capturing })
	hs.key('q')
	hs.tm.WaitFinished(t)
}

// firstWords is the start of a message, which a narrow field never wraps.
func firstWords(s string) string { return "✗ " + strings.Join(strings.Fields(s)[:3], " ") }

// ResourceGroups adds the groups of the extra vaults.
func (s *vaultStub) ResourceGroups(ctx context.Context, sub string) ([]azure.ResourceGroup, error) {
	return stubGroups(sub, stubFleet(), s.vaultsOf(ctx, sub)), nil
}

// toForm drives the model to westeurope's new-vault form.
func toForm(t *testing.T, m vaultStep) ui.Step {
	t.Helper()
	s, cmd := m.Activate()
	s = run(t, s, cmd)
	s, cmd, _ = s.Next() // westeurope
	s = run(t, s, cmd)
	for _, k := range []rune{tea.KeyDown, tea.KeyEnter} {
		s, cmd = s.Update(tea.KeyPressMsg{Code: k})
		s = run(t, s, cmd)
	}
	if !s.Capturing() {
		t.Fatal("the form should be open")
	}
	return s
}

func TestVaultPicksExistingGroup(t *testing.T) {
	m, sess := vaultModel(t)
	s := toForm(t, m)
	opts := s.(vaultStep).groupOptions()
	if len(opts) < 2 || opts[0].Name != "rg-backup" || opts[len(opts)-1].Location == "westeurope" {
		t.Fatalf("the VMs' region should come first: %+v", opts)
	}
	if v := ansi.Strip(s.View(60, 20)); !strings.Contains(v, "rg-backup · westeurope") {
		t.Errorf("the groups should be listed with their regions:\n%s", v)
	}
	// ↓ to the group field, ↓ to the first group, enter picks it.
	var cmd tea.Cmd
	for _, k := range []rune{tea.KeyDown, tea.KeyDown, tea.KeyEnter} {
		s, cmd = s.Update(tea.KeyPressMsg{Code: k})
		s = run(t, s, cmd)
	}
	want := PlanVault{Name: "rsv-backup-westeurope", ResourceGroup: "rg-backup", Location: "westeurope", Create: true}
	if !s.Complete() || sess.Plan == nil || sess.Plan.Vault != want {
		t.Fatalf("the picked group should be the plan's: %+v", sess.Plan)
	}
	if v := ansi.Strip(s.View(60, 20)); !strings.Contains(v, "✓ "+translator(t, "en").T("vault.group.exists")) {
		t.Errorf("a picked group exists:\n%s", v)
	}
	// Typing filters the list; a new valid name still means "create it".
	s, cmd = s.Update(tea.KeyPressMsg{Code: tea.KeyEnter}) // edit
	s = run(t, s, cmd)
	s, cmd = s.Update(tea.KeyPressMsg{Code: tea.KeyDown}) // the group field
	s = run(t, s, cmd)
	s, cmd = s.Update(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	s = run(t, s, cmd)
	s, cmd = s.Update(tea.PasteMsg{Content: "batch"})
	s = run(t, s, cmd)
	if opts := s.(vaultStep).groupOptions(); len(opts) != 1 || opts[0].Name != "rg-batch" {
		t.Errorf("typing should filter the groups: %+v", opts)
	}
	if sess.Plan.Vault.ResourceGroup != "batch" || !sess.Plan.Vault.Create {
		t.Errorf("a new group name should be planned: %+v", sess.Plan.Vault)
	}
}

// brokenGroups cannot list the resource groups.
type brokenGroups struct{ *vaultStub }

func (brokenGroups) ResourceGroups(ctx context.Context, sub string) ([]azure.ResourceGroup, error) {
	return nil, &azure.Error{Kind: azure.KindForbidden, Op: "list-resource-groups", Status: 403, Code: "AuthorizationFailed"}
}

func TestVaultGroupListFailureKeepsTyping(t *testing.T) {
	inv, sel, results := vaultFixture(t)
	sess := &Session{Inventory: inv, Selected: sel, Results: results, Cloud: CloudPublic}
	c := ui.NewCommon(translator(t, "en"))
	m := newVaultStep(c, sess, brokenGroups{newVaultStub()})
	s := toForm(t, m)
	v := ansi.Strip(s.View(60, 20))
	if !strings.Contains(v, "Could not list the resource groups") {
		t.Errorf("a failed list should say so:\n%s", v)
	}
	if !s.Complete() || sess.Plan.Vault.ResourceGroup != "rg-backup-westeurope" {
		t.Errorf("the typed group should still plan: %+v", sess.Plan.Vault)
	}
}
