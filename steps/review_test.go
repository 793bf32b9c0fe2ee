package steps

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// reviewPlan creates a locally redundant vault in eastasia for the Chinese
// subscription (its provider is not registered); test-tl-01 is in
// southeastasia, so the plan leaves it out.
func reviewPlan() *Plan {
	return &Plan{
		Version:      PlanVersion,
		Cloud:        CloudPublic,
		Subscription: subCN,
		VMs:          []string{vmID(subCN, "rg-财务系统", "fin-app-01"), vmID(subCN, "rg-财务系统", "fin-db-01"), vmID(subCN, "rg-test", "test-tl-01")},
		Vault:        PlanVault{Name: "rsv-eas-backup", ResourceGroup: "rg-备份", Location: "eastasia", Create: true},
		Redundancy:   PlanRedundancy{StorageType: StorageLocal},
		Network:      PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto},
		Agent:        PlanAgent{Fix: AgentFixInstructions},
	}
}

// ---- decisions ----

func TestGroupChanges(t *testing.T) {
	const rg = "/subscriptions/s/resourceGroups/rg"
	const vault = rg + "/providers/Microsoft.RecoveryServices/vaults/v"
	vm := func(name, region string, k ChangeKind) Change {
		return Change{Kind: k, Action: ActionVM, Target: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/" + name, Region: region}
	}
	tests := []struct {
		name    string
		in      []Change
		want    []string // region: resource names
		left    []string
		counts  map[ChangeKind]int
		irrever int
	}{
		{
			name: "new vault, a VM in another region left out",
			in: []Change{
				{Kind: Modify, Action: ActionRegisterProvider, Target: "Microsoft.RecoveryServices"},
				{Kind: Create, Action: ActionResourceGroup, Target: rg, Region: "eastasia"},
				{Kind: Create, Action: ActionVault, Target: vault, Region: "eastasia"},
				{Kind: Modify, Action: ActionStorageType, Target: vault, Region: "eastasia", From: "GeoRedundant", To: "LocallyRedundant"},
				vm("a", "eastasia", NoChange), vm("b", "southeastasia", Skip),
			},
			want:   []string{": Microsoft.RecoveryServices", "eastasia: rg v(2) a"},
			left:   []string{"b"},
			counts: map[ChangeKind]int{Create: 2, Modify: 2, NoChange: 1, Skip: 1},
		},
		{
			name: "VMs come after the vault, the provider first, whatever the input order",
			in: []Change{
				vm("a", "West Europe", NoChange),
				{Kind: Modify, Action: ActionCrossRegion, Target: vault, Region: "westeurope", From: "off", To: "on", Irreversible: true},
				{Kind: NoChange, Action: ActionRegisterProvider, Target: "Microsoft.RecoveryServices"},
			},
			want:    []string{": Microsoft.RecoveryServices", "westeurope: v a"},
			counts:  map[ChangeKind]int{Create: 0, Modify: 1, NoChange: 2, Skip: 0},
			irrever: 1,
		},
		{
			name:   "nothing",
			counts: map[ChangeKind]int{Create: 0, Modify: 0, NoChange: 0, Skip: 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := GroupChanges(tt.in)
			var got []string
			for _, g := range l.Groups {
				var names []string
				for _, r := range g.Resources {
					n := r.Name
					if len(r.Changes) > 1 {
						n += "(" + string(rune('0'+len(r.Changes))) + ")"
					}
					names = append(names, n)
				}
				got = append(got, g.Region+": "+strings.Join(names, " "))
			}
			var left []string
			for _, c := range l.Left {
				left = append(left, lastSegment(c.Target))
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(left, tt.left) {
				t.Errorf("groups %q left %q, want %q %q", got, left, tt.want, tt.left)
			}
			if !reflect.DeepEqual(l.Counts, tt.counts) || l.Irreversible != tt.irrever {
				t.Errorf("counts %v irreversible %d, want %v %d", l.Counts, l.Irreversible, tt.counts, tt.irrever)
			}
		})
	}
}

func TestPlanScript(t *testing.T) {
	vaultID := "/subscriptions/" + subCN + "/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-eas-finance"
	existing := &LiveVault{Vault: azure.Vault{ID: vaultID, Name: "rsv-eas-finance", ResourceGroup: "rg-backup", Location: "eastasia"}}
	vms := map[string]*azure.VM{}
	for _, vm := range stubFleet() {
		vms[strings.ToLower(vm.ID)] = &vm
	}
	tests := []struct {
		name    string
		plan    func(p *Plan)
		live    LiveState
		want    []string // lines the script has, in this order
		notWant []string
	}{
		{
			name: "new vault, provider not registered",
			live: LiveState{Provider: "NotRegistered", VMs: vms},
			want: []string{
				"#!/usr/bin/env bash",
				"set -euo pipefail",
				"subscription=" + subCN,
				`az provider register --namespace Microsoft.RecoveryServices --wait --subscription "$subscription"`,
				`az group create --name 'rg-备份' --location eastasia --subscription "$subscription"`,
				`az backup vault create --name rsv-eas-backup --resource-group 'rg-备份' --location eastasia --subscription "$subscription"`,
				`az backup vault backup-properties set --name rsv-eas-backup --resource-group 'rg-备份' --subscription "$subscription" --backup-storage-redundancy LocallyRedundant`,
			},
			notWant: []string{"cross-region-restore-flag", "Nothing to change"},
		},
		{
			name: "existing vault: geo with cross-region restore turned on",
			plan: func(p *Plan) {
				p.Vault = PlanVault{Name: "rsv-eas-finance", ResourceGroup: "rg-backup", Location: "eastasia"}
				p.Redundancy = PlanRedundancy{StorageType: StorageGeo, CrossRegionRestore: true}
			},
			live: LiveState{Provider: "Registered", ResourceGroupExists: true, VMs: vms,
				Vault: &LiveVault{Vault: existing.Vault, Storage: &azure.StorageConfig{Type: "LocallyRedundant", State: "Unlocked"}}},
			want: []string{
				"set -euo pipefail",
				`az backup vault backup-properties set --name rsv-eas-finance --resource-group rg-backup --subscription "$subscription" --backup-storage-redundancy GeoRedundant --cross-region-restore-flag true`,
			},
			notWant: []string{"az provider", "az group create", "az backup vault create"},
		},
		{
			name: "locked vault already as planned: nothing to run",
			plan: func(p *Plan) {
				p.Vault = PlanVault{Name: "rsv-eas-finance", ResourceGroup: "rg-backup", Location: "eastasia"}
				p.Redundancy = PlanRedundancy{StorageType: StorageGeo}
			},
			live: LiveState{Provider: "Registered", ResourceGroupExists: true, VMs: vms,
				Vault: &LiveVault{Vault: existing.Vault, Storage: &azure.StorageConfig{Type: "GeoRedundant", State: "Locked"}, ProtectedItems: 1}},
			want:    []string{"set -euo pipefail", "# Nothing to change: Azure already matches the plan."},
			notWant: []string{"\naz "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := reviewPlan()
			if tt.plan != nil {
				tt.plan(p)
			}
			cs, err := Changes(p, tt.live)
			if err != nil {
				t.Fatal(err)
			}
			got := PlanScript(p, cs, "backupready-plan.yaml")
			rest := got
			for _, l := range tt.want {
				i := strings.Index(rest, l+"\n")
				if i < 0 {
					t.Fatalf("missing (or out of order) %q in:\n%s", l, got)
				}
				rest = rest[i+len(l):]
			}
			for _, s := range tt.notWant {
				if strings.Contains(got, s) {
					t.Errorf("should not contain %q:\n%s", s, got)
				}
			}
			if !strings.HasPrefix(got, "#!/usr/bin/env bash\n# ") {
				t.Errorf("a script starts with a header comment:\n%s", got)
			}
		})
	}
}

func TestReviewGate(t *testing.T) {
	tests := []struct {
		name      string
		act       reviewAct
		missing   string
		read      loadState
		conflicts int
		want      string
	}{
		{"no plan: nothing", actSave, "vault", stateIdle, 0, "review.hint.missing"},
		{"save while reading", actSave, "", stateLoading, 0, ""},
		{"save with conflicts", actSave, "", stateReady, 2, ""},
		{"confirm while reading", actConfirm, "", stateLoading, 0, "review.hint.reading"},
		{"confirm after a failed read", actConfirm, "", stateFailed, 0, "review.hint.failed"},
		{"confirm with conflicts", actConfirm, "", stateReady, 1, "review.hint.conflicts"},
		{"export with conflicts", actExport, "", stateReady, 1, "review.hint.conflicts"},
		{"confirm", actConfirm, "", stateReady, 0, ""},
		{"export", actExport, "", stateReady, 0, ""},
	}
	for _, tt := range tests {
		if got := ReviewGate(tt.act, tt.missing, tt.read, tt.conflicts); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMissingStep(t *testing.T) {
	bad := reviewPlan()
	bad.Vault = PlanVault{}
	tests := []struct {
		name string
		sess Session
		want string
	}{
		{"nothing selected", Session{}, "scope"},
		{"selected, no plan", Session{Selected: []string{"x"}}, "vault"},
		{"plan without a vault", Session{Selected: []string{"x"}, Plan: bad}, "vault"},
		{"plan", Session{Plan: reviewPlan()}, ""},
	}
	for _, tt := range tests {
		if got := MissingStep(&tt.sess); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// ---- the model, driven without a program ----

func reviewModel(t *testing.T, api reviewAPI, p *Plan) (ui.Step, *Session, string) {
	t.Helper()
	sess := &Session{Cloud: CloudPublic, Plan: p}
	path := filepath.Join(t.TempDir(), "plan.yaml")
	m := newReviewStep(ui.NewCommon(translator(t, "en")), sess, api, path)
	s, _ := m.Update(ui.BodySizeMsg{Width: 60, Height: 20})
	s, cmd := s.Activate()
	return run(t, s, cmd), sess, path
}

func rpress(t *testing.T, s ui.Step, code rune) ui.Step {
	t.Helper()
	k := tea.KeyPressMsg{Code: code}
	if code != tea.KeyEnter {
		k.Text = string(code)
	}
	s, cmd := s.Update(k)
	return run(t, s, cmd)
}

// The saved file is the plan, and apply --dry-run's change list from it is
// the list Review shows.
func TestReviewSaveRoundTrip(t *testing.T) {
	api := &stubAPI{}
	s, sess, path := reviewModel(t, api, reviewPlan())
	m := s.(reviewStep)
	if m.read != stateReady || len(m.conflicts) > 0 || s.Complete() {
		t.Fatalf("read %v conflicts %v complete %v", m.read, m.conflicts, s.Complete())
	}
	s = rpress(t, s, 's')
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodePlan(data, path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, sess.Plan) {
		t.Errorf("the saved plan reads back as\n%+v\nwant\n%+v", p, sess.Plan)
	}
	live, err := ReadLiveState(t.Context(), api, p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Changes(p, live)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(reviewStep).changes; !reflect.DeepEqual(got, want) {
		t.Errorf("Review shows\n%+v\napply --dry-run would show\n%+v", got, want)
	}
	view := ansi.Strip(s.View(200, 80))
	for _, c := range want {
		if !strings.Contains(view, lastSegment(c.Target)) {
			t.Errorf("%s missing from the view:\n%s", c.Target, view)
		}
	}
	if !strings.Contains(view, "Plan saved to "+path) {
		t.Errorf("the path written should be shown:\n%s", view)
	}
}

// An existing file is replaced only after a second press of the same key.
func TestReviewReplaceNeedsSecondPress(t *testing.T) {
	s, _, path := reviewModel(t, &stubAPI{}, reviewPlan())
	if err := os.WriteFile(path, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = rpress(t, s, 's')
	if data, _ := os.ReadFile(path); string(data) != "mine\n" {
		t.Fatal("an existing file was replaced without asking")
	}
	if v := ansi.Strip(s.View(200, 40)); !strings.Contains(v, "Press s again") {
		t.Errorf("should ask to press s again:\n%s", v)
	}
	s = rpress(t, s, tea.KeyDown) // any other key keeps it
	s = rpress(t, s, 's')
	if data, _ := os.ReadFile(path); string(data) != "mine\n" {
		t.Fatal("another key should have cancelled the replacement")
	}
	s = rpress(t, s, 's')
	if data, _ := os.ReadFile(path); !strings.HasPrefix(string(data), "version: 1") {
		t.Errorf("the second s should replace the file: %q", data)
	}
	_ = s
}

// Confirm saves the plan, changes nothing in Azure, and says how to see the
// changes again; export writes the script next to the plan.
func TestReviewConfirmAndExport(t *testing.T) {
	s, _, path := reviewModel(t, &stubAPI{}, reviewPlan())
	s = rpress(t, s, 'e')
	script, err := os.ReadFile(filepath.Join(filepath.Dir(path), "backupready-plan.sh"))
	if err != nil || !strings.Contains(string(script), "az backup vault create --name rsv-eas-backup") {
		t.Fatalf("script: %v\n%s", err, script)
	}
	s = rpress(t, s, tea.KeyEnter)
	if !s.Complete() {
		t.Fatalf("confirm should complete the step: %q", s.Hint())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("confirm should save the plan: %v", err)
	}
	v := strings.Join(strings.Fields(ansi.Strip(s.View(300, 40))), " ")
	for _, want := range []string{"the Apply step carries it out", "backupready apply --plan " + path + " --yes"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
}

func TestReviewWithoutPlan(t *testing.T) {
	tr := translator(t, "en")
	s, _, _ := reviewModel(t, &stubAPI{}, nil)
	if s.Complete() || s.Hint() != tr.T("review.hint.missing", "Step", tr.T("step.scope.title")) {
		t.Errorf("no plan: complete %v, hint %q", s.Complete(), s.Hint())
	}
	if v := ansi.Strip(s.View(100, 20)); !strings.Contains(v, "complete the Sign-in & scope step first") {
		t.Errorf("should say which step to complete:\n%s", v)
	}
	s = rpress(t, s, tea.KeyEnter)
	if s.Complete() {
		t.Error("enter must not confirm without a plan")
	}
}

func TestReviewConflicts(t *testing.T) {
	p := reviewPlan()
	p.Vault.Create = false // no such vault, and not created
	s, _, path := reviewModel(t, &stubAPI{}, p)
	v := ansi.Strip(s.View(100, 40))
	if !strings.Contains(v, "(vault.name)") || !strings.Contains(v, "does not exist in the resource group") {
		t.Errorf("the conflict should name the field:\n%s", v)
	}
	s = rpress(t, s, tea.KeyEnter)
	if s.Complete() || s.Hint() != translator(t, "en").T("review.hint.conflicts") {
		t.Errorf("Next should be refused: %q", s.Hint())
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a refused confirm must not write")
	}
}

// failingAPI fails the provider read.
type failingAPI struct{ *stubAPI }

func (failingAPI) ProviderState(context.Context, string, string) (string, error) {
	return "", &azure.Error{Kind: azure.KindForbidden, Op: "provider-state", Status: 403, Code: "AuthorizationFailed"}
}

func TestReviewReadFailsThenRetries(t *testing.T) {
	s, _, _ := reviewModel(t, failingAPI{&stubAPI{}}, reviewPlan())
	if s.(reviewStep).read != stateFailed || !slicesHasKey(s.Keys(), "r") {
		t.Fatalf("a failed read should offer retry: %v", s.(reviewStep).read)
	}
	if v := ansi.Strip(s.View(80, 20)); !strings.Contains(v, "403") && !strings.Contains(v, "AuthorizationFailed") {
		t.Logf("view:\n%s", v)
	}
	s = rpress(t, s, 'r')
	if s.(reviewStep).read != stateFailed {
		t.Error("retry should read again (and fail again here)")
	}
}

func slicesHasKey(ks []key.Binding, k string) bool {
	for _, b := range ks {
		if b.Help().Key == k {
			return true
		}
	}
	return false
}

// ---- screens ----

// newReviewHarness runs a shell with the steps before Review done, Review
// on the given plan, and the later steps not built.
func newReviewHarness(t *testing.T, api WizardAPI, lang string, p *Plan, w, h int) *harness {
	t.Helper()
	sess := &Session{Cloud: CloudPublic, Demo: true, Plan: p}
	return newStepHarness(t, lang, "review", w, h, func(c *ui.Common) ui.Step {
		return newReviewStep(c, sess, api, filepath.Join(t.TempDir(), DefaultPlanPath))
	}, nil)
}

func TestReviewStep(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		hs := newReviewHarness(t, &stubAPI{}, lang, reviewPlan(), w, h)
		hs.waitFor("the change list", func(s snapshot) bool {
			return strings.Contains(s.view, tr.T("change.kind.skip")+" 1") && settled(s)
		})
		golden.RequireEqual(t, hs.final())
	})
}

// Scrolling reaches the end of the list at the smallest size.
func TestReviewScrolls(t *testing.T) {
	tr := translator(t, "ja")
	hs := newReviewHarness(t, &stubAPI{}, "ja", reviewPlan(), 80, 24)
	hs.waitText(tr.T("change.kind.skip") + " 1")
	hs.key(tea.KeyEnd)
	s := hs.waitText("test-tl-01")
	checkSize(t, s.view, 80, 24)
}
