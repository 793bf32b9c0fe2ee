package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// ---- a fixed fleet, so that screens do not depend on the simulator ----

const (
	subProd = "11111111-1111-4111-8111-111111111111"
	subCN   = "22222222-2222-4222-8222-222222222222"
	subJP   = "33333333-3333-4333-8333-333333333333"
	subOld  = "44444444-4444-4444-8444-444444444444"
)

// longOwner is a long CJK tag value: it must be cut by display width.
const longOwner = "山田太郎（インフラストラクチャ運用チーム・東京第二データセンター担当、夜間休日の連絡先は運用センター）"

type stubAPI struct {
	identityErr error
	subsErr     error
	invErr      error
	agentsErr   error
	// gate, when set, holds ReadAgents until it is closed (to test cancelling).
	gate chan struct{}

	mu       sync.Mutex
	invCalls int
}

func (s *stubAPI) Identity(ctx context.Context) (azure.Identity, error) {
	if s.identityErr != nil {
		return azure.Identity{}, s.identityErr
	}
	return azure.Identity{Name: "ada@contoso.com", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", Kind: "user"}, nil
}

func (s *stubAPI) Subscriptions(ctx context.Context) ([]azure.Subscription, error) {
	if s.subsErr != nil {
		return nil, s.subsErr
	}
	return []azure.Subscription{
		{ID: subProd, Name: "Contoso Production", State: "Enabled"},
		{ID: subCN, Name: "研发测试订阅（上海）", State: "Enabled"},
		{ID: subJP, Name: "開発サブスクリプション", State: "Enabled"},
		{ID: subOld, Name: "Legacy Classic", State: "Disabled"},
	}, nil
}

func vmID(sub, rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/virtualMachines/" + name
}

func disks(n int, managed bool) []azure.Disk {
	out := make([]azure.Disk, n)
	for i := range out {
		out[i] = azure.Disk{Name: fmt.Sprintf("data%02d", i), Managed: managed, StorageType: "Standard_LRS", SizeGB: 128}
	}
	return out
}

func stubFleet() []azure.VM {
	yes := true
	vm := func(sub, rg, name, loc, os, power string) azure.VM {
		return azure.VM{
			ID: vmID(sub, rg, name), Name: name, SubscriptionID: sub, ResourceGroup: rg, Location: loc,
			OSType: os, PowerState: power, Provisioning: "Succeeded", Size: "Standard_D2s_v5",
			OSDisk:       azure.Disk{Name: name + "-os", Managed: true, StorageType: "Premium_LRS", SizeGB: 128},
			HasOSProfile: true, ProvisionAgent: &yes, AllowExtOps: &yes,
			Tags: map[string]string{"env": "prod"},
		}
	}
	named := func(v azure.VM) azure.VM {
		switch v.OSType {
		case "Linux":
			v.OSName, v.OSVersion = "Ubuntu", "24.04"
			v.Image = azure.Image{Publisher: "Canonical", Offer: "ubuntu-24_04-lts", SKU: "server", Version: "latest"}
		case "Windows":
			v.OSName, v.OSVersion = "Windows Server 2022 Datacenter", "10.0.20348"
			v.Image = azure.Image{Publisher: "MicrosoftWindowsServer", Offer: "WindowsServer", SKU: "2022-datacenter-azure-edition", Version: "latest"}
		}
		return v
	}
	vms := []azure.VM{
		vm(subProd, "rg-web-prod", "web-01", "westeurope", "Linux", "running"),
		vm(subProd, "rg-web-prod", "web-02", "westeurope", "Linux", "running"),
		vm(subProd, "rg-data-prod", "sql-01", "westeurope", "Windows", "running"),
		vm(subProd, "rg-app", "app-legacy", "northeurope", "Windows", "running"),
		vm(subProd, "rg-batch", "batch-01", "northeurope", "Linux", "deallocated"),
		vm(subProd, "rg-shared", "jump-01", "westeurope", "Windows", "stopped"),
		vm(subCN, "rg-财务系统", "fin-app-01", "eastasia", "Windows", "running"),
		vm(subCN, "rg-财务系统", "fin-db-01", "eastasia", "Linux", "running"),
		vm(subCN, "rg-test", "test-tl-01", "southeastasia", "Linux", "running"),
		vm(subJP, "rg-開発", "dev-box-01", "japaneast", "Windows", "running"),
		vm(subJP, "rg-開発", "dev-ci-01", "japaneast", "Linux", "running"),
		vm(subJP, "rg-shared-jp", "nva-01", "japanwest", "", ""),
	}
	for i := range vms {
		vms[i] = named(vms[i])
		nic := "/subscriptions/" + vms[i].SubscriptionID + "/resourceGroups/" + vms[i].ResourceGroup + "/providers/Microsoft.Network/networkInterfaces/" + vms[i].Name + "-nic"
		vms[i].NICIDs = []string{nic}
		vms[i].NICs = []azure.NIC{{ID: nic, Primary: true, SubnetIDs: []string{subnetOf(vms[i].SubscriptionID)}, PrivateIPs: []string{fmt.Sprintf("10.0.0.%d", 4+i)}}}
	}
	vms[3].DataDisks = disks(17, false)
	vms[4].DataDisks = disks(20, true)
	vms[8].SecurityType = "TrustedLaunch"
	vms[9].Tags = map[string]string{"env": "dev", "owner": longOwner, "cost-center": "開発部-1234"}
	vms[6].Tags = map[string]string{"env": "prod", "系统": "财务"}
	vms[11].Tags = nil
	return vms
}

func subnetOf(sub string) string {
	return "/subscriptions/" + sub + "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
}

func (s *stubAPI) Inventory(ctx context.Context, subscriptions []string, progress func(azure.InventoryProgress)) (*azure.Inventory, error) {
	s.mu.Lock()
	s.invCalls++
	s.mu.Unlock()
	if s.invErr != nil {
		return nil, s.invErr
	}
	want := map[string]bool{}
	for _, id := range subscriptions {
		want[id] = true
	}
	inv := &azure.Inventory{NSGs: map[string]*azure.NSG{}, Subnets: map[string]*azure.Subnet{}}
	for _, vm := range stubFleet() {
		if want[vm.SubscriptionID] {
			inv.VMs = append(inv.VMs, vm)
		}
	}
	for id := range want {
		inv.Subnets[strings.ToLower(subnetOf(id))] = &azure.Subnet{ID: subnetOf(id)}
	}
	for _, v := range []azure.Vault{
		{Name: "rsv-weu-prod", SubscriptionID: subProd, ResourceGroup: "rg-backup", Location: "westeurope", ProvisioningState: "Succeeded"},
		{Name: "rsv-eas-finance", SubscriptionID: subCN, ResourceGroup: "rg-backup", Location: "eastasia", ProvisioningState: "Succeeded"},
	} {
		if want[v.SubscriptionID] {
			v.ID = "/subscriptions/" + v.SubscriptionID + "/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/" + v.Name
			inv.Vaults = append(inv.Vaults, v)
		}
	}
	if progress != nil {
		progress(azure.InventoryProgress{VMs: len(inv.VMs), Total: len(inv.VMs)})
	}
	return inv, nil
}

func (s *stubAPI) ReadAgents(ctx context.Context, vms []azure.VM, concurrency int, progress func(done, total int)) error {
	if s.agentsErr != nil {
		return s.agentsErr
	}
	var todo []int
	for i := range vms {
		if vms[i].Running() {
			todo = append(todo, i)
		}
	}
	for n, i := range todo {
		if s.gate != nil {
			select {
			case <-s.gate:
			case <-ctx.Done():
				return azure.Classify("read-agents", ctx.Err())
			}
		}
		ver := "2.7.41491.1120"
		if vms[i].OSType == "Linux" {
			ver = "2.12.0.2"
		}
		if vms[i].Name == "sql-01" {
			ver = "2.6.1198.700"
		}
		vms[i].Agent = &azure.AgentState{Status: "Ready", Code: "ProvisioningState/succeeded", Version: ver, PowerState: "running"}
		if progress != nil {
			progress(n+1, len(todo))
		}
	}
	return nil
}

// ---- driving the program ----

// probeMsg asks the test filter for a snapshot of the screen; the filter runs
// on the program's goroutine, so reading the model there is safe.
type probeMsg struct{}

type snapshot struct {
	view      string // ANSI stripped
	raw       tea.View
	current   int
	status    string
	capturing bool
	complete  bool
}

type harness struct {
	t  *testing.T
	tm *teatest.TestModel
	w  int
	h  int

	mu   sync.Mutex
	snap snapshot
	seen int
}

func translator(t testing.TB, lang string) *ui.Translator {
	t.Helper()
	tr, err := ui.NewTranslator(lang)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func newHarness(t *testing.T, api WizardAPI, opts WizardOptions, w, h int) *harness {
	t.Helper()
	return runShell(t, NewWizard(api, opts), w, h, nil)
}

func (hs *harness) filter(m tea.Model, msg tea.Msg) tea.Msg {
	if _, ok := msg.(probeMsg); ok {
		s := m.(*ui.Shell)
		v := s.View()
		cur := s.Step(s.Current())
		hs.mu.Lock()
		hs.snap = snapshot{view: ansi.Strip(v.Content), raw: v, current: s.Current(), status: s.Status(),
			capturing: cur.Capturing(), complete: cur.Complete()}
		hs.seen++
		hs.mu.Unlock()
		return nil
	}
	return msg
}

// now returns a snapshot taken after every message sent so far.
func (hs *harness) now() snapshot {
	hs.t.Helper()
	hs.mu.Lock()
	before := hs.seen
	hs.mu.Unlock()
	hs.tm.Send(probeMsg{})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		hs.mu.Lock()
		if hs.seen > before {
			s := hs.snap
			hs.mu.Unlock()
			return s
		}
		hs.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	hs.t.Fatal("the program did not answer a probe")
	return snapshot{}
}

// waitFor waits until the screen shows what cond looks for.
func (hs *harness) waitFor(what string, cond func(s snapshot) bool) snapshot {
	hs.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var s snapshot
	for time.Now().Before(deadline) {
		s = hs.now()
		if cond(s) {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	hs.t.Fatalf("waiting for %s; screen:\n%s", what, s.view)
	return s
}

func (hs *harness) waitText(text string) snapshot {
	hs.t.Helper()
	return hs.waitFor(fmt.Sprintf("%q", text), func(s snapshot) bool { return strings.Contains(s.view, text) })
}

func (hs *harness) key(code rune, mods ...tea.KeyMod) {
	k := tea.KeyPressMsg{Code: code}
	for _, m := range mods {
		k.Mod |= m
	}
	if len(mods) == 0 && code < tea.KeyExtended && code >= ' ' {
		k.Text = string(code)
	}
	hs.tm.Send(k)
}

func (hs *harness) typ(s string) { hs.tm.Type(s) }

func (hs *harness) space() { hs.tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}) }
func (hs *harness) down()  { hs.tm.Send(tea.KeyPressMsg{Code: tea.KeyDown}) }
func (hs *harness) enter() { hs.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) }
func (hs *harness) esc()   { hs.tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape}) }
func (hs *harness) next()  { hs.tm.Send(tea.KeyPressMsg{Code: tea.KeyTab}) }
func (hs *harness) back()  { hs.tm.Send(tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}) }
func (hs *harness) resize(w, h int) {
	hs.w, hs.h = w, h
	hs.tm.Send(tea.WindowSizeMsg{Width: w, Height: h})
}

// final quits and returns the last screen, ANSI stripped, checked for size.
func (hs *harness) final() string {
	hs.t.Helper()
	if err := hs.tm.Quit(); err != nil {
		hs.t.Fatal(err)
	}
	m := hs.tm.FinalModel(hs.t, teatest.WithFinalTimeout(5*time.Second))
	v := m.(*ui.Shell).View()
	if !v.AltScreen || v.WindowTitle == "" {
		hs.t.Errorf("view must set AltScreen and a window title: %v %q", v.AltScreen, v.WindowTitle)
	}
	out := ansi.Strip(v.Content)
	checkSize(hs.t, out, hs.w, hs.h)
	return out
}

// checkSize is the line-width check every golden gets: each line exactly the
// terminal's width in cells, exactly its height in lines.
func checkSize(t testing.TB, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, terminal has %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Errorf("line %d is %d cells wide, terminal is %d: %q", i+1, lw, w, l)
		}
	}
}

var goldenSizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// each runs f for every golden size and language, as SIZE/LANG subtests.
func each(t *testing.T, f func(t *testing.T, lang string, w, h int)) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			for _, lang := range ui.Languages {
				t.Run(lang, func(t *testing.T) {
					t.Parallel()
					f(t, lang, sz.w, sz.h)
				})
			}
		})
	}
}

func demoOpts(t testing.TB, lang string) WizardOptions {
	// Today is pinned: OS support lifecycles must not change the goldens.
	return WizardOptions{Translator: translator(t, lang), Cloud: "AzureCloud", Demo: true,
		Rules: RuleConfig{Today: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}}
}

// ---- shell screens ----

func TestShellTooSmall(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{50, 12}, {40, 10}, {59, 30}, {100, 15}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			for _, lang := range ui.Languages {
				t.Run(lang, func(t *testing.T) {
					t.Parallel()
					hs := newHarness(t, &stubAPI{}, demoOpts(t, lang), sz.w, sz.h)
					hs.waitFor("the small screen", func(s snapshot) bool { return strings.Contains(s.view, fmt.Sprintf("%d×%d", sz.w, sz.h)) })
					golden.RequireEqual(t, hs.final())
				})
			}
		})
	}
}

// A window made larger again shows the wizard where the user left it.
func TestShellResizeRecovers(t *testing.T) {
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			tr := translator(t, lang)
			hs := newHarness(t, &stubAPI{}, demoOpts(t, lang), 80, 24)
			hs.waitText("Contoso Production")
			hs.space()
			hs.resize(45, 11)
			s := hs.waitText("45×11")
			checkSize(t, s.view, 45, 11)
			hs.resize(100, 30)
			s = hs.waitText("Contoso Production")
			checkSize(t, s.view, 100, 30)
			if !strings.Contains(s.view, tr.T("scope.selected", "N", 1, "Total", 3)) {
				t.Errorf("selection lost across resize:\n%s", s.view)
			}
			golden.RequireEqual(t, hs.final())
		})
	}
}

// Every size from the minimum up keeps every line inside the window.
func TestShellEverySizeFits(t *testing.T) {
	hs := newHarness(t, &stubAPI{}, demoOpts(t, "ja"), 80, 24)
	hs.waitText("Contoso Production")
	hs.key('a')
	hs.enter()
	hs.waitText("dev-box-01")
	for _, sz := range []struct{ w, h int }{{60, 16}, {61, 17}, {79, 20}, {80, 16}, {99, 30}, {100, 16}, {140, 50}, {200, 60}, {40, 10}, {20, 5}} {
		hs.resize(sz.w, sz.h)
		s := hs.waitFor("resize", func(s snapshot) bool { return len(strings.Split(s.view, "\n")) == sz.h })
		checkSize(t, s.view, sz.w, sz.h)
	}
}

func TestCtrlCAlwaysQuits(t *testing.T) {
	shell := NewWizard(&stubAPI{}, demoOpts(t, "en"))
	shell.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, small := range []bool{false, true} {
		if small {
			shell.Update(tea.WindowSizeMsg{Width: 30, Height: 8})
		}
		_, cmd := shell.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		if cmd == nil {
			t.Fatal("ctrl+c returned no command")
		}
		if _, ok := cmd().(tea.InterruptMsg); !ok {
			t.Fatalf("ctrl+c should interrupt (exit 130), got %T", cmd())
		}
	}
}

func TestQuitKey(t *testing.T) {
	hs := newHarness(t, &stubAPI{}, demoOpts(t, "en"), 80, 24)
	hs.waitText("Contoso Production")
	hs.key('q')
	hs.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestNotBuiltSteps(t *testing.T) {
	tr := translator(t, "en")
	c := ui.NewCommon(tr)
	for _, id := range stepIDs[2:] {
		s := newNotBuiltStep(c, id)
		view := ansi.Strip(s.View(50, 12))
		if !strings.Contains(view, tr.T("notbuilt.heading")) || !s.Complete() || !s.NotBuilt() {
			t.Errorf("%s: should say it is not built and let Next go on:\n%s", id, view)
		}
		if strings.HasPrefix(s.Title(), "step.") || strings.HasPrefix(s.Explain(), "step.") {
			t.Errorf("%s: missing catalog text", id)
		}
	}
}

func TestWizardWalksEveryStep(t *testing.T) {
	opts := demoOpts(t, "en")
	opts.PlanPath = filepath.Join(t.TempDir(), "plan.yaml")
	hs := newHarness(t, &stubAPI{}, opts, 100, 30)
	hs.waitText("Contoso Production")
	hs.space()
	hs.enter()
	hs.waitText("web-01")
	hs.key('a')
	hs.next()
	hs.waitFor("preflight results", func(s snapshot) bool { return s.current == 1 && s.complete })
	for i := 2; i < len(stepIDs); i++ {
		hs.next()
		if i == 3 {
			// On the vault step the first Next opens the region's vaults
			// (an inner page); once a vault is chosen the next goes on.
			hs.waitFor("a vault choice", func(s snapshot) bool { return s.current == 2 && s.complete })
			hs.next()
		}
		s := hs.waitFor("the next step", func(s snapshot) bool { return s.current == i })
		if i == 3 {
			// The redundancy step reads the vault's storage before Next may leave it.
			s = hs.waitFor("the vault's storage read", func(s snapshot) bool { return s.current == 3 && s.complete })
			if strings.Contains(s.view, "Not built yet") {
				t.Errorf("the redundancy step is built:\n%s", s.view)
			}
		}
		if i == 6 {
			// Review refuses Next until the plan is confirmed (saved).
			hs.waitFor("the change list", func(s snapshot) bool { return strings.Contains(s.view, "no change") })
			hs.enter()
			s = hs.waitFor("the plan confirmed", func(s snapshot) bool { return s.current == 6 && s.complete })
			if !strings.Contains(s.view, "the Apply step carries it out") {
				t.Errorf("confirming should say that Apply carries the plan out:\n%s", s.view)
			}
			if _, err := os.Stat(opts.PlanPath); err != nil {
				t.Errorf("confirming should save the plan: %v", err)
			}
			continue
		}
		if i == 7 {
			// Apply runs the confirmed plan (nothing to change against the stub's vault)
			s = hs.waitFor("the apply run", func(s snapshot) bool { return s.current == 7 && s.complete })
		}
		if strings.Contains(s.view, "Not built yet") {
			t.Errorf("step %d: every step is built:\n%s", i, s.view)
		}
	}
	hs.next()
	s := hs.now()
	if s.current != len(stepIDs)-1 || s.status == "" {
		t.Errorf("Next on the last step should stay and say why; step %d, status %q", s.current, s.status)
	}
	for i := len(stepIDs) - 2; i >= 1; i-- {
		// Back leaves a step's inner pages first (the vault step has two).
		for try := 0; try < 4 && hs.now().current != i; try++ {
			hs.back()
			time.Sleep(50 * time.Millisecond)
		}
		hs.waitFor("the previous step", func(s snapshot) bool { return s.current == i })
	}
	// Back on preflight keeps its results: same selection, nothing re-read.
	s = hs.now()
	if !s.complete {
		t.Errorf("preflight should keep its results:\n%s", s.view)
	}
}

// ctxAPI records the context the scope step reads the identity with.
type ctxAPI struct {
	stubAPI
	got chan context.Context
}

func (s *ctxAPI) Identity(ctx context.Context) (azure.Identity, error) {
	s.got <- ctx
	return s.stubAPI.Identity(ctx)
}

// Azure calls run under the program's context, so quitting cancels them.
func TestWizardCallsUseTheProgramContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	api := &ctxAPI{got: make(chan context.Context, 1)}
	opts := demoOpts(t, "en")
	opts.Context = ctx
	var run func(tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		go func() {
			if batch, ok := cmd().(tea.BatchMsg); ok {
				for _, c := range batch {
					run(c)
				}
			}
		}()
	}
	run(NewWizard(api, opts).Init())
	select {
	case got := <-api.got:
		cancel()
		if got.Err() == nil {
			t.Fatal("the identity read does not follow the program's context")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the identity was never read")
	}
}

// ---- the vault step's reads ----

// stubTaken are vault names the stub's subscriptions hold besides the
// inventory's vaults (deleted vaults keep their names for a while).
var stubTaken = []string{"rsv-taken", "rsv-taken-2"}

// vaults are the vaults Inventory reports for a subscription, read without
// counting as an inventory read.
func (s *stubAPI) vaults(ctx context.Context, sub string) []azure.Vault {
	inv, _ := s.Inventory(ctx, []string{sub}, nil)
	s.mu.Lock()
	s.invCalls--
	s.mu.Unlock()
	if inv == nil {
		return nil
	}
	return inv.Vaults
}

func (s *stubAPI) ProviderState(ctx context.Context, subscriptionID, namespace string) (string, error) {
	if strings.EqualFold(subscriptionID, subCN) {
		return "NotRegistered", nil
	}
	return "Registered", nil
}

func (s *stubAPI) ResourceGroupExists(ctx context.Context, subscriptionID, group string) (bool, error) {
	for _, vm := range stubFleet() {
		if strings.EqualFold(vm.SubscriptionID, subscriptionID) && strings.EqualFold(vm.ResourceGroup, group) {
			return true, nil
		}
	}
	for _, v := range s.vaults(ctx, subscriptionID) {
		if strings.EqualFold(v.ResourceGroup, group) {
			return true, nil
		}
	}
	return false, nil
}

// ResourceGroups lists the groups of the subscription's VMs and vaults, by
// name, each in the region of its first VM or vault.
func (s *stubAPI) ResourceGroups(ctx context.Context, subscriptionID string) ([]azure.ResourceGroup, error) {
	return stubGroups(subscriptionID, stubFleet(), s.vaults(ctx, subscriptionID)), nil
}

func stubGroups(sub string, vms []azure.VM, vaults []azure.Vault) []azure.ResourceGroup {
	var out []azure.ResourceGroup
	add := func(name, loc string) {
		if !slices.ContainsFunc(out, func(g azure.ResourceGroup) bool { return strings.EqualFold(g.Name, name) }) {
			out = append(out, azure.ResourceGroup{Name: name, Location: loc})
		}
	}
	for _, vm := range vms {
		if strings.EqualFold(vm.SubscriptionID, sub) {
			add(vm.ResourceGroup, vm.Location)
		}
	}
	for _, v := range vaults {
		add(v.ResourceGroup, v.Location)
	}
	slices.SortFunc(out, func(a, b azure.ResourceGroup) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (s *stubAPI) CheckVaultName(ctx context.Context, subscriptionID, group, location, name string) (bool, string, string, error) {
	taken := slices.Clone(stubTaken)
	for _, v := range s.vaults(ctx, subscriptionID) {
		taken = append(taken, v.Name)
	}
	for _, n := range taken {
		if strings.EqualFold(n, name) {
			return false, "AlreadyExists", "Resource name already exists", nil
		}
	}
	return true, "", "", nil
}

func (s *stubAPI) VaultByName(ctx context.Context, subscriptionID, group, name string) (*azure.Vault, error) {
	for _, v := range s.vaults(ctx, subscriptionID) {
		if strings.EqualFold(v.Name, name) && strings.EqualFold(v.ResourceGroup, group) {
			return &v, nil
		}
	}
	return nil, nil
}

func (s *stubAPI) StorageConfig(ctx context.Context, vaultID string) (azure.StorageConfig, error) {
	if strings.HasSuffix(strings.ToLower(vaultID), "/rsv-weu-prod") {
		return azure.StorageConfig{Type: azure.StorageGeoRedundant, State: azure.StorageLocked}, nil
	}
	return azure.StorageConfig{Type: azure.StorageLocallyRedundant, State: azure.StorageUnlocked}, nil
}

// stubLocations are the regions the stub answers for every subscription,
// with their paired regions; westcentralus has no availability zones.
var stubLocations = []azure.Location{
	{Name: "westeurope", DisplayName: "West Europe", RegionType: "Physical", PairedRegion: "northeurope", HasZones: true},
	{Name: "northeurope", DisplayName: "North Europe", RegionType: "Physical", PairedRegion: "westeurope", HasZones: true},
	{Name: "eastus", DisplayName: "East US", RegionType: "Physical", PairedRegion: "westus", HasZones: true},
	{Name: "westus", DisplayName: "West US", RegionType: "Physical", PairedRegion: "eastus"},
	{Name: "japaneast", DisplayName: "Japan East", RegionType: "Physical", PairedRegion: "japanwest", HasZones: true},
	{Name: "japanwest", DisplayName: "Japan West", RegionType: "Physical", PairedRegion: "japaneast", HasZones: true},
	{Name: "eastasia", DisplayName: "East Asia", RegionType: "Physical", PairedRegion: "southeastasia", HasZones: true},
	{Name: "southeastasia", DisplayName: "Southeast Asia", RegionType: "Physical", PairedRegion: "eastasia", HasZones: true},
	{Name: "westcentralus", DisplayName: "West Central US", RegionType: "Physical", PairedRegion: "westus2"},
	{Name: "westus2", DisplayName: "West US 2", RegionType: "Physical", PairedRegion: "westcentralus", HasZones: true},
}

func (s *stubAPI) Locations(ctx context.Context, subscriptionID string) ([]azure.Location, error) {
	return slices.Clone(stubLocations), nil
}
