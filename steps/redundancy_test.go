package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// ---- decisions ----

func TestRedundancyOptions(t *testing.T) {
	tests := []struct {
		name    string
		s       VaultStorage
		want    []string
		current string
	}{
		{"new vault", NewVaultStorage(), []string{StorageGeo, StorageLocal, StorageZone}, StorageGeo},
		{"unlocked local", VaultStorage{Type: StorageLocal}, []string{StorageGeo, StorageLocal, StorageZone}, StorageLocal},
		{"locked", VaultStorage{Type: StorageGeo, Locked: true}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			current := ""
			for _, o := range RedundancyOptions(tt.s) {
				got = append(got, o.Type)
				if o.Current {
					current = o.Type
				}
				if o.Default != (o.Type == StorageGeo) {
					t.Errorf("%s: default %v", o.Type, o.Default)
				}
			}
			if !slices.Equal(got, tt.want) || current != tt.current {
				t.Errorf("options %v current %q, want %v %q", got, current, tt.want, tt.current)
			}
		})
	}
}

func TestCanToggleCRR(t *testing.T) {
	tests := []struct {
		name   string
		s      VaultStorage
		choice string
		want   bool
	}{
		{"new, geo", NewVaultStorage(), StorageGeo, true},
		{"new, local", NewVaultStorage(), StorageLocal, false},
		{"new, zone", NewVaultStorage(), StorageZone, false},
		{"unlocked with crr on may turn it off", VaultStorage{Type: StorageGeo, CRR: true}, StorageGeo, true},
		{"locked geo may turn it on", VaultStorage{Type: StorageGeo, Locked: true}, StorageGeo, true},
		{"locked geo with crr stays on", VaultStorage{Type: StorageGeo, Locked: true, CRR: true}, StorageGeo, false},
		{"locked local", VaultStorage{Type: StorageLocal, Locked: true}, StorageLocal, false},
	}
	for _, tt := range tests {
		if got := CanToggleCRR(tt.s, tt.choice); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRedundancyPlan(t *testing.T) {
	keep := PlanRedundancy{Keep: true}
	tests := []struct {
		name   string
		s      VaultStorage
		choice string
		crr    bool
		want   PlanRedundancy
	}{
		{"new vault, default", NewVaultStorage(), StorageGeo, false, keep},
		{"new vault, LRS", NewVaultStorage(), StorageLocal, false, PlanRedundancy{StorageType: StorageLocal}},
		{"new vault, GRS with CRR", NewVaultStorage(), StorageGeo, true, PlanRedundancy{StorageType: StorageGeo, CrossRegionRestore: true}},
		{"CRR dropped without geo", NewVaultStorage(), StorageZone, true, PlanRedundancy{StorageType: StorageZone}},
		{"existing, same", VaultStorage{Type: StorageLocal}, StorageLocal, false, keep},
		{"existing, to geo", VaultStorage{Type: StorageLocal}, StorageGeo, false, PlanRedundancy{StorageType: StorageGeo}},
		{"unlocked, CRR off", VaultStorage{Type: StorageGeo, CRR: true}, StorageGeo, false, PlanRedundancy{StorageType: StorageGeo}},
		{"locked keeps its type", VaultStorage{Type: StorageGeo, Locked: true}, StorageLocal, false, keep},
		{"locked geo, CRR on", VaultStorage{Type: StorageGeo, Locked: true}, StorageGeo, true, PlanRedundancy{StorageType: StorageGeo, CrossRegionRestore: true}},
		{"locked CRR stays on", VaultStorage{Type: StorageGeo, Locked: true, CRR: true}, StorageGeo, false, keep},
	}
	for _, tt := range tests {
		if got := RedundancyPlan(tt.s, tt.choice, tt.crr); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestRedundancyIrreversible(t *testing.T) {
	tests := []struct {
		name string
		s    VaultStorage
		p    PlanRedundancy
		want []string
	}{
		{"new vault", NewVaultStorage(), PlanRedundancy{Keep: true}, []string{IrreversibleStorage}},
		{"new vault with CRR", NewVaultStorage(), PlanRedundancy{StorageType: StorageGeo, CrossRegionRestore: true}, []string{IrreversibleStorage, IrreversibleCRR}},
		{"unlocked keeps CRR on", VaultStorage{Type: StorageGeo, CRR: true}, PlanRedundancy{Keep: true}, []string{IrreversibleStorage, IrreversibleCRR}},
		{"locked", VaultStorage{Type: StorageGeo, Locked: true}, PlanRedundancy{Keep: true}, nil},
		{"locked, CRR turned on", VaultStorage{Type: StorageGeo, Locked: true}, PlanRedundancy{StorageType: StorageGeo, CrossRegionRestore: true}, []string{IrreversibleCRR}},
		{"locked, CRR already on", VaultStorage{Type: StorageGeo, Locked: true, CRR: true}, PlanRedundancy{Keep: true}, nil},
	}
	for _, tt := range tests {
		if got := RedundancyIrreversible(tt.s, tt.p); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Every text the step builds from data has words in every language.
func TestRedundancyTexts(t *testing.T) {
	for _, lang := range ui.Languages {
		tr := translator(t, lang)
		var keys []string
		for _, typ := range planStorage {
			keys = append(keys, "redundancy.name."+typ, "redundancy.word."+typ, "redundancy.cost."+typ, "redundancy.about."+typ)
		}
		for _, k := range []string{IrreversibleStorage, IrreversibleCRR} {
			keys = append(keys, "redundancy.irrev."+k)
		}
		keys = append(keys, "redundancy.crr.pairedname", "redundancy.region.paired", "redundancy.region.zones", "redundancy.region.nozones", "redundancy.zrs.unavailable", "redundancy.join")
		for _, k := range keys {
			if tr.T(k) == k {
				t.Errorf("%s: no text for %s", lang, k)
			}
		}
	}
}

// ---- the model, driven without a program ----

// storageStub answers StorageConfig with cfg, or err.
type storageStub struct {
	cfg      azure.StorageConfig
	err      error
	calls    int
	locErr   error
	locCalls int
}

func (s *storageStub) StorageConfig(ctx context.Context, vaultID string) (azure.StorageConfig, error) {
	s.calls++
	return s.cfg, s.err
}

// Locations answers the stub's regions, or locErr.
func (s *storageStub) Locations(ctx context.Context, subscriptionID string) ([]azure.Location, error) {
	s.locCalls++
	if s.locErr != nil {
		return nil, s.locErr
	}
	return slices.Clone(stubLocations), nil
}

func redundancyModel(t *testing.T, v PlanVault, api redundancyAPI) (ui.Step, *Session) {
	t.Helper()
	sess := &Session{Cloud: CloudPublic}
	if v.Name != "" {
		sess.Plan = &Plan{Version: PlanVersion, Subscription: subProd, Vault: v, Redundancy: PlanRedundancy{Keep: true}}
	}
	m := newRedundancyStep(ui.NewCommon(translator(t, "en")), sess, api)
	s, _ := m.Update(ui.BodySizeMsg{Width: 56, Height: 17})
	s, cmd := s.Activate()
	return run(t, s, cmd), sess
}

func press(t *testing.T, s ui.Step, k tea.KeyPressMsg) ui.Step {
	t.Helper()
	s, cmd := s.Update(k)
	return run(t, s, cmd)
}

var (
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keySpace = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
)

func TestRedundancyChooseLRS(t *testing.T) {
	s, sess := redundancyModel(t, PlanVault{Name: "rsv-new", ResourceGroup: "rg-b", Location: "westeurope", Create: true}, &storageStub{})
	if !s.Complete() || !sess.Plan.Redundancy.Keep {
		t.Fatalf("a new vault keeps Azure's default: %+v", sess.Plan.Redundancy)
	}
	s = press(t, s, keyDown)
	s = press(t, s, keyEnter)
	if want := (PlanRedundancy{StorageType: StorageLocal}); sess.Plan.Redundancy != want {
		t.Errorf("plan %+v, want %+v", sess.Plan.Redundancy, want)
	}
	// Cross-region restore cannot be turned on with LRS.
	s = press(t, s, keyDown)
	s = press(t, s, keyDown)
	s = press(t, s, keySpace)
	if sess.Plan.Redundancy.CrossRegionRestore {
		t.Error("cross-region restore must stay off without geo-redundancy")
	}
	if strings.Contains(keysHelp(s), "toggle") {
		t.Error("the toggle key should not be offered without geo-redundancy")
	}
	// Back to geo: the toggle works, and turning it on is flagged.
	for range 3 {
		s = press(t, s, tea.KeyPressMsg{Code: tea.KeyUp})
	}
	s = press(t, s, keyEnter)
	s = press(t, s, tea.KeyPressMsg{Code: tea.KeyEnd})
	s = press(t, s, keySpace)
	if want := (PlanRedundancy{StorageType: StorageGeo, CrossRegionRestore: true}); sess.Plan.Redundancy != want {
		t.Errorf("plan %+v, want %+v", sess.Plan.Redundancy, want)
	}
	if v := ansi.Strip(s.View(56, 17)); !strings.Contains(v, "cannot be turned") {
		t.Errorf("turning cross-region restore on should be flagged:\n%s", v)
	}
	// Choosing another redundancy turns it off again.
	s = press(t, s, tea.KeyPressMsg{Code: tea.KeyHome})
	s = press(t, s, keyDown)
	s = press(t, s, keyDown)
	_ = press(t, s, keyEnter)
	if want := (PlanRedundancy{StorageType: StorageZone}); sess.Plan.Redundancy != want {
		t.Errorf("plan %+v, want %+v", sess.Plan.Redundancy, want)
	}
}

func keysHelp(s ui.Step) string {
	var out []string
	for _, k := range s.Keys() {
		out = append(out, k.Help().Desc)
	}
	return strings.Join(out, " ")
}

func TestRedundancyLockedIsReadOnly(t *testing.T) {
	api := &storageStub{cfg: azure.StorageConfig{Type: StorageLocal, State: azure.StorageLocked}}
	s, sess := redundancyModel(t, PlanVault{Name: "rsv-weu-prod", ResourceGroup: "rg-backup", Location: "westeurope"}, api)
	if !s.Complete() || api.calls != 1 {
		t.Fatalf("complete %v after %d reads", s.Complete(), api.calls)
	}
	for _, k := range []tea.KeyPressMsg{keyDown, keyEnter, keySpace, {Code: tea.KeyUp}, keyEnter} {
		s = press(t, s, k)
	}
	if !sess.Plan.Redundancy.Keep {
		t.Errorf("a locked vault keeps its redundancy: %+v", sess.Plan.Redundancy)
	}
	v := ansi.Strip(s.View(56, 17))
	for _, want := range []string{"Locked: locally redundant", "new vault", "stop protection"} {
		if !strings.Contains(v, want) {
			t.Errorf("the locked view should say %q:\n%s", want, v)
		}
	}
}

func TestRedundancyNeedsAVault(t *testing.T) {
	for _, v := range []PlanVault{{}, {Name: "9bad", ResourceGroup: "rg"}} {
		api := &storageStub{}
		s, _ := redundancyModel(t, v, api)
		if s.Complete() || s.Hint() == "" || api.calls != 0 {
			t.Errorf("%+v: no vault must refuse Next with a hint (complete %v, hint %q, %d reads)", v, s.Complete(), s.Hint(), api.calls)
		}
		if view := ansi.Strip(s.View(56, 17)); !strings.Contains(view, "Choose a vault first") {
			t.Errorf("the view should say a vault is needed:\n%s", view)
		}
	}
}

func TestRedundancyReadFailsThenRetries(t *testing.T) {
	api := &storageStub{err: &azure.Error{Kind: azure.KindForbidden, Op: "get-storage-config", Status: 403, Code: "AuthorizationFailed"}}
	s, sess := redundancyModel(t, PlanVault{Name: "rsv-x", ResourceGroup: "rg", Location: "westeurope"}, api)
	if s.Complete() || s.Hint() == "" {
		t.Fatal("a failed read must not complete the step")
	}
	if v := ansi.Strip(s.View(56, 17)); !strings.Contains(v, "✗") {
		t.Errorf("the failure should be explained:\n%s", v)
	}
	api.err, api.cfg = nil, azure.StorageConfig{Type: StorageZone, State: azure.StorageUnlocked}
	s = press(t, s, tea.KeyPressMsg{Code: 'r', Text: "r"})
	if !s.Complete() || api.calls != 2 || !sess.Plan.Redundancy.Keep {
		t.Errorf("retry: complete %v, %d reads, plan %+v", s.Complete(), api.calls, sess.Plan.Redundancy)
	}
}

// ---- screens ----

// toRedundancyNew walks to the redundancy step with a new vault for
// westeurope.
func toRedundancyNew(t *testing.T, hs *harness, tr *ui.Translator) {
	t.Helper()
	toCreate(t, hs, tr)
	hs.next()
	hs.waitFor("the redundancy step", func(s snapshot) bool { return s.current == 3 && s.complete && settled(s) })
}

func TestRedundancyStep(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		hs := newHarness(t, newVaultStub(), demoOpts(t, lang), w, h)
		toRedundancyNew(t, hs, tr)
		hs.waitText(tr.T("redundancy.heading", "Vault", "rsv-backup-westeurope"))
		hs.waitText(tr.T("redundancy.crr.pairedname", "Paired", "North Europe"))
		golden.RequireEqual(t, hs.final())
	})
}

func TestRedundancyLocked(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		// The plain stub's rsv-weu-prod is locked: it protects items.
		hs := newHarness(t, &stubAPI{}, demoOpts(t, lang), w, h)
		toVaultStep(t, hs)
		hs.enter() // westeurope
		hs.waitFor("the vault chosen", func(s snapshot) bool { return s.current == 2 && s.complete })
		hs.next()
		hs.waitFor("the locked vault", func(s snapshot) bool {
			return s.current == 3 && s.complete && settled(s) && strings.Contains(s.view, tr.T("redundancy.heading", "Vault", "rsv-weu-prod")) &&
				strings.Contains(s.view, tr.T("redundancy.crr.pairedname", "Paired", "North Europe"))
		})
		golden.RequireEqual(t, hs.final())
	})
}

func TestRedundancyBack(t *testing.T) {
	tr := translator(t, "en")
	hs := newHarness(t, newVaultStub(), demoOpts(t, "en"), 80, 24)
	toRedundancyNew(t, hs, tr)
	hs.down()
	hs.enter()
	hs.back()
	s := hs.waitFor("the vault step", func(s snapshot) bool { return s.current == 2 })
	checkSize(t, s.view, 80, 24)
	hs.next()
	s = hs.waitFor("the redundancy step again", func(s snapshot) bool { return s.current == 3 })
	if !strings.Contains(s.view, "(•) "+tr.T("redundancy.name.LocallyRedundant")) {
		t.Errorf("the choice should survive Back and Next:\n%s", s.view)
	}
}

func TestRedundancyZRSNotOfferedWithoutZones(t *testing.T) {
	api := &storageStub{}
	s, sess := redundancyModel(t, PlanVault{Name: "rsv-wcus", ResourceGroup: "rg-b", Location: "westcentralus", Create: true}, api)
	if api.locCalls != 1 {
		t.Fatalf("the regions should be read once, got %d", api.locCalls)
	}
	// Down twice to zone-redundant: it is shown, greyed, and cannot be chosen.
	s = press(t, s, keyDown)
	s = press(t, s, keyDown)
	s = press(t, s, keyEnter)
	if !sess.Plan.Redundancy.Keep {
		t.Errorf("zone-redundancy must not be chosen where the region has no zones: %+v", sess.Plan.Redundancy)
	}
	if strings.Contains(keysHelp(s), "choose") {
		t.Error("the choose key should not be offered on a disabled option")
	}
	v := ansi.Strip(s.View(56, 17))
	for _, want := range []string{"not offered (no zones)", "West Central US has no availability zones"} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
			t.Errorf("the view should say %q:\n%s", want, v)
		}
	}
	// Geo-redundancy names the paired region.
	s = press(t, s, tea.KeyPressMsg{Code: tea.KeyHome})
	if v := ansi.Strip(s.View(56, 17)); !strings.Contains(strings.Join(strings.Fields(v), " "), "Paired region: West US 2") {
		t.Errorf("geo-redundancy should name the paired region:\n%s", v)
	}
	// The same region facts, decided purely.
	f := RegionFactsOf(stubLocations, "West Central US")
	if want := (RegionFacts{Known: true, Name: "West Central US", Paired: "West US 2"}); f != want {
		t.Errorf("facts %+v, want %+v", f, want)
	}
	if o := RedundancyOptionsIn(NewVaultStorage(), f); !o[2].Disabled || o[0].Disabled || o[1].Disabled {
		t.Errorf("only ZRS should be disabled: %+v", o)
	}
	if o := RedundancyOptionsIn(NewVaultStorage(), RegionFactsOf(stubLocations, "westeurope")); o[2].Disabled {
		t.Errorf("westeurope has zones: %+v", o)
	}
}

func TestRedundancyRegionsReadFailsQuietly(t *testing.T) {
	api := &storageStub{locErr: &azure.Error{Kind: azure.KindForbidden, Op: "list-locations", Status: 403, Code: "AuthorizationFailed"}}
	s, sess := redundancyModel(t, PlanVault{Name: "rsv-new", ResourceGroup: "rg-b", Location: "westeurope", Create: true}, api)
	if !s.Complete() || s.Hint() != "" {
		t.Fatalf("a failed regions read must not hold the step (hint %q)", s.Hint())
	}
	v := ansi.Strip(s.View(56, 17))
	if strings.Contains(v, "✗") || strings.Contains(v, "Paired region:") {
		t.Errorf("a failed regions read should leave the general text:\n%s", v)
	}
	// ZRS stays offered when the zones are unknown.
	s = press(t, s, keyDown)
	s = press(t, s, keyDown)
	_ = press(t, s, keyEnter)
	if want := (PlanRedundancy{StorageType: StorageZone}); sess.Plan.Redundancy != want {
		t.Errorf("plan %+v, want %+v", sess.Plan.Redundancy, want)
	}
}
