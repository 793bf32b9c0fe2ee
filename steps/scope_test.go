package steps

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// ---- decisions ----

func TestEnabledSubscriptions(t *testing.T) {
	subs, _ := (&stubAPI{}).Subscriptions(t.Context())
	enabled, hidden := EnabledSubscriptions(subs)
	if hidden != 1 || len(enabled) != 3 {
		t.Fatalf("got %d enabled, %d hidden", len(enabled), hidden)
	}
	if enabled[0].Name != "Contoso Production" {
		t.Errorf("not sorted by name: %v", enabled)
	}
}

func TestMatchSubscription(t *testing.T) {
	s := azure.Subscription{ID: subCN, Name: "研发测试订阅（上海）"}
	for q, want := range map[string]bool{"": true, "上海": true, "研发 上海": true, "2222": true, "prod": false, "上海 prod": false} {
		if got := MatchSubscription(s, q); got != want {
			t.Errorf("MatchSubscription(%q) = %v", q, got)
		}
	}
}

func TestPresetSubscriptions(t *testing.T) {
	subs, _ := (&stubAPI{}).Subscriptions(t.Context())
	enabled, _ := EnabledSubscriptions(subs)
	ids, missing := PresetSubscriptions(enabled, []string{"contoso production", subJP, "Legacy Classic", "nope"})
	if !slices.Equal(ids, []string{subProd, subJP}) || !slices.Equal(missing, []string{"Legacy Classic", "nope"}) {
		t.Errorf("ids %v missing %v", ids, missing)
	}
}

func TestParseVMQuery(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    VMQuery
		wantErr string
	}{
		{name: "empty", in: "  ", want: VMQuery{}},
		{name: "words", in: "Web 01", want: VMQuery{Names: []string{"web", "01"}}},
		{name: "qualifiers", in: "rg:Prod region:West Europe", want: VMQuery{Groups: []string{"prod"}, Regions: []string{"west"}, Names: []string{"europe"}}},
		{name: "quoted", in: `region:"West Europe" tag:owner="Ada L"`, want: VMQuery{Regions: []string{"westeurope"}, Tags: []Tag{{Key: "owner", Value: "Ada L"}}}},
		{name: "tag any value", in: "tag:env", want: VMQuery{Tags: []Tag{{Key: "env"}}}},
		{name: "cjk tag", in: "tag:系统=财务", want: VMQuery{Tags: []Tag{{Key: "系统", Value: "财务"}}}},
		{name: "half typed", in: "rg: tag:", want: VMQuery{}},
		{name: "ideographic space", in: "web\u3000rg:prod", want: VMQuery{Names: []string{"web"}, Groups: []string{"prod"}}},
		{name: "no key", in: "tag:=prod", wantErr: "no-key"},
		{name: "bad char", in: "tag:a/b=c", wantErr: "bad-char"},
		{name: "unknown", in: "size:large", wantErr: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVMQuery(tt.in)
			if tt.wantErr != "" {
				qe, ok := err.(*QueryError)
				if !ok || qe.Reason != tt.wantErr {
					t.Fatalf("err = %v, want reason %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Names, tt.want.Names) || !slices.Equal(got.Groups, tt.want.Groups) ||
				!slices.Equal(got.Regions, tt.want.Regions) || !slices.Equal(got.Tags, tt.want.Tags) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseVMQuery(f *testing.F) {
	for _, s := range []string{"web rg:prod", `tag:"a b"=c`, "region:日本 tag:系统=财务", "tag:=", `"`, "a:b:c"} {
		f.Add(s)
	}
	vms := stubFleet()
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseVMQuery(s)
		if err != nil {
			if _, ok := err.(*QueryError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		for _, i := range FilterVMs(vms, q) {
			if !q.Matches(&vms[i]) {
				t.Fatal("FilterVMs kept a VM that does not match")
			}
		}
	})
}

func TestFilterVMs(t *testing.T) {
	vms := stubFleet()
	names := func(q string) []string {
		parsed, err := ParseVMQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range FilterVMs(vms, parsed) {
			out = append(out, vms[i].Name)
		}
		return out
	}
	for q, want := range map[string][]string{
		"web":                       {"web-01", "web-02"},
		"rg:财务":                     {"fin-app-01", "fin-db-01"},
		"region:japan":              {"dev-box-01", "dev-ci-01", "nva-01"},
		"region:japaneast dev":      {"dev-box-01", "dev-ci-01"},
		"tag:ENV=Dev":               {"dev-box-01"},
		"tag:owner":                 {"dev-box-01"},
		"rg:rg-web rg:rg-data":      {"web-01", "web-02", "sql-01"},
		"tag:系统=财务 region:eastasia": {"fin-app-01"},
	} {
		if got := names(q); !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", q, got, want)
		}
	}
}

func TestToggleAll(t *testing.T) {
	sel := map[string]bool{"x": true}
	all := ToggleAll(sel, []string{"a", "b"})
	if !all["a"] || !all["b"] || !all["x"] || len(sel) != 1 {
		t.Fatalf("select all: %v (input changed: %v)", all, sel)
	}
	none := ToggleAll(all, []string{"a", "b"})
	if !slices.Equal(slices.Sorted(maps.Keys(none)), []string{"x"}) {
		t.Fatalf("deselect all: %v", none)
	}
	some := ToggleAll(map[string]bool{"a": true}, []string{"a", "b"})
	if !some["a"] || !some["b"] {
		t.Fatalf("partly selected should select all: %v", some)
	}
}

func TestRegionCounts(t *testing.T) {
	vms := stubFleet()
	sel := map[string]bool{}
	for _, vm := range vms {
		if vm.SubscriptionID == subProd {
			sel[vm.ID] = true
		}
	}
	got := RegionCounts(vms, sel)
	want := []RegionCount{{"westeurope", 4}, {"northeurope", 2}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestPresetVMs(t *testing.T) {
	vms := stubFleet()
	if got := PresetVMs(vms, Scope{Subscriptions: []string{subProd}}); len(got) != 0 {
		t.Errorf("subscriptions alone select no VM: %v", got)
	}
	got := PresetVMs(vms, Scope{Locations: []string{"West Europe"}, Tags: []Tag{{Key: "env", Value: "prod"}}})
	if len(got) != 4 || !got[vmID(subProd, "rg-web-prod", "web-01")] {
		t.Errorf("got %v", got)
	}
}

// ---- screens ----

// TestScopeSubscriptions: the subscription list, two selected (one with a
// CJK name), one disabled subscription hidden.
// TestFilterList: the keys both scope lists share, field focused and not.
func TestFilterList(t *testing.T) {
	k := ui.NewKeyMap(translator(t, "en"))
	const rows = 4
	press := func(code rune, text string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: code, Text: text} }
	l := filterList{shown: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	step := func(msg tea.Msg, wantRefilter bool) {
		t.Helper()
		var refilter bool
		if l, refilter = l.update(k, msg, rows); refilter != wantRefilter {
			t.Fatalf("%v: refilter %v, want %v", msg, refilter, wantRefilter)
		}
	}
	for range 5 {
		step(press(tea.KeyDown, ""), false)
	}
	if l.cursor != 5 || l.offset != ui.ScrollOffset(5, 0, rows, 10) || l.offset == 0 {
		t.Fatalf("down ×5: cursor %d offset %d", l.cursor, l.offset)
	}
	step(press('/', "/"), false)
	if !l.field.Focused() {
		t.Fatal("/ should focus the field")
	}
	step(press('k', "k"), true) // types, does not move; back to the first row
	if l.field.Value() != "k" || l.cursor != 0 || l.offset != 0 {
		t.Fatalf("typing: %q cursor %d offset %d", l.field.Value(), l.cursor, l.offset)
	}
	step(press(tea.KeyDown, ""), false) // arrows still move while typing
	step(tea.PasteMsg{Content: "x"}, true)
	if l.field.Value() != "kx" || l.cursor != 0 {
		t.Fatalf("paste: %q cursor %d", l.field.Value(), l.cursor)
	}
	step(press(tea.KeyDown, ""), false)
	step(press(tea.KeyEnter, ""), false) // Done keeps the text
	if l.field.Focused() || l.field.Value() != "kx" || l.cursor != 1 {
		t.Fatalf("done: focused %v %q cursor %d", l.field.Focused(), l.field.Value(), l.cursor)
	}
	step(tea.PasteMsg{Content: "y"}, false) // a blurred field takes nothing
	step(press(tea.KeyEscape, ""), true)    // Clear empties; the cursor stays
	if l.field.Focused() || l.field.Value() != "" || l.cursor != 1 {
		t.Fatalf("clear: focused %v %q cursor %d", l.field.Focused(), l.field.Value(), l.cursor)
	}
	step(press('/', "/"), false)
	step(press('a', "a"), true)
	step(press(tea.KeyEscape, ""), true) // Clear while typing also leaves the field
	if l.field.Focused() || l.field.Value() != "" {
		t.Fatalf("clear while focused: focused %v %q", l.field.Focused(), l.field.Value())
	}
	step(press(tea.KeyEnd, ""), false)
	l.show([]int{2, 4}, rows)
	if l.cursor != 1 || l.offset != 0 {
		t.Fatalf("show: cursor %d offset %d", l.cursor, l.offset)
	}

	id := func(i int) string { return strconv.Itoa(i) }
	sel, ok := l.choose(k, press(tea.KeySpace, " "), map[string]bool{}, id)
	if !ok || !maps.Equal(sel, map[string]bool{"4": true}) {
		t.Fatalf("toggle: %v %v", ok, sel)
	}
	if sel, ok = l.choose(k, press('a', "a"), sel, id); !ok || !maps.Equal(sel, map[string]bool{"2": true, "4": true}) {
		t.Fatalf("all: %v %v", ok, sel)
	}
	if _, ok = l.choose(k, press('x', "x"), sel, id); ok {
		t.Fatal("x is neither toggle nor all")
	}
	l.show(nil, rows)
	if sel, ok = l.choose(k, press(tea.KeySpace, " "), sel, id); !ok || len(sel) != 2 || l.cursor != 0 {
		t.Fatalf("toggle on an empty list: %v %v cursor %d", ok, sel, l.cursor)
	}
}

func TestScopeSubscriptions(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs := newHarness(t, &stubAPI{}, demoOpts(t, lang), w, h)
		hs.waitText("Contoso Production")
		hs.space()
		hs.down()
		hs.down()
		hs.space()
		golden.RequireEqual(t, hs.final())
	})
}

// TestScopeVMs: the VMs of two subscriptions, all selected, the cursor on
// the VM with the long CJK owner tag.
func TestScopeVMs(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs := newHarness(t, &stubAPI{}, demoOpts(t, lang), w, h)
		hs.waitText("Contoso Production")
		hs.space()
		hs.down()
		hs.down()
		hs.space()
		hs.enter()
		hs.waitText("dev-box-01")
		hs.key('a')
		for range 6 {
			hs.down()
		}
		hs.space() // deselect dev-box-01, the cursor moves on to dev-ci-01
		hs.key('k')
		golden.RequireEqual(t, hs.final())
	})
}

// TestScopeFilter: a filter typed while focused, and an invalid one.
func TestScopeFilter(t *testing.T) {
	tr := translator(t, "en")
	hs := newHarness(t, &stubAPI{}, demoOpts(t, "en"), 100, 30)
	hs.waitText("Contoso Production")
	hs.key('a')
	hs.enter()
	hs.waitText("dev-box-01")
	hs.key('/')
	hs.typ("region:japan tag:env=dev")
	s := hs.waitText(tr.T("scope.vms.shown", "Shown", 1, "Total", 12))
	if !s.capturing || strings.Contains(s.view, "web-01") {
		t.Fatalf("filter not applied:\n%s", s.view)
	}
	hs.typ(" tag:=x")
	hs.waitText(`“tag:=x”: a tag filter needs a tag name`)
	checkSize(t, hs.now().view, 100, 30)
}

func TestScopeBackWhileFilterFocusedAndInvalid(t *testing.T) {
	hs := newHarness(t, &stubAPI{}, demoOpts(t, "en"), 80, 24)
	hs.waitText("Contoso Production")
	hs.space()
	hs.enter()
	hs.waitText("web-01")
	hs.key('/')
	hs.typ("size:big")
	s := hs.waitText(`“size:big” is not a filter`)
	if !s.capturing {
		t.Fatal("the filter should have focus")
	}
	hs.back()
	s = hs.waitText("Subscriptions")
	if s.capturing || strings.Contains(s.view, "web-01") {
		t.Fatalf("Back should leave the VM list while its filter is focused and invalid:\n%s", s.view)
	}
}

func TestScopeQTypesWhileFiltering(t *testing.T) {
	hs := newHarness(t, &stubAPI{}, demoOpts(t, "en"), 80, 24)
	hs.waitText("Contoso Production")
	hs.key('/')
	hs.typ("qq")
	s := hs.waitText("/ qq")
	if !s.capturing {
		t.Fatal("the search field should have focus")
	}
	if !strings.Contains(s.view, "No subscription matches “qq”.") {
		t.Errorf("q should type into the search:\n%s", s.view)
	}
	if !strings.Contains(s.view, "ctrl+c quit") {
		t.Errorf("help should offer ctrl+c while typing:\n%s", s.view)
	}
	hs.esc()
	hs.key('q')
	hs.tm.WaitFinished(t)
}

func TestScopeNextRefusedWithoutSelection(t *testing.T) {
	tr := translator(t, "en")
	hs := newHarness(t, &stubAPI{}, demoOpts(t, "en"), 80, 24)
	hs.waitText("Contoso Production")
	hs.next()
	s := hs.now()
	if s.current != 0 || s.status != tr.T("scope.subs.need") {
		t.Fatalf("Next without a subscription: step %d, status %q", s.current, s.status)
	}
	hs.space()
	hs.next() // Next on the subscriptions reads their VMs
	hs.waitText("web-01")
	hs.next()
	s = hs.now()
	if s.current != 0 || s.status != tr.T("scope.vms.need") || !strings.Contains(s.view, s.status) {
		t.Fatalf("Next without a VM: step %d, status %q\n%s", s.current, s.status, s.view)
	}
	hs.space()
	hs.next()
	hs.waitFor("preflight", func(s snapshot) bool { return s.current == 1 })
}

func TestScopePresetSelects(t *testing.T) {
	tr := translator(t, "en")
	opts := demoOpts(t, "en")
	opts.Preset = Scope{Subscriptions: []string{"contoso production", "Nope"}, ResourceGroups: []string{"rg-web-prod"}}
	hs := newHarness(t, &stubAPI{}, opts, 100, 30)
	s := hs.waitText("Contoso Production")
	if !strings.Contains(s.view, "Not found among the enabled subscriptions: Nope") {
		t.Errorf("an unknown --subscription should be named:\n%s", s.view)
	}
	hs.enter()
	s = hs.waitText(tr.T("scope.selected", "N", 2, "Total", 6))
	if !s.complete {
		t.Error("preset VMs should make the step complete")
	}
}

// --subscription that names every subscription skips the subscription
// picker: the step opens on their VMs.
func TestScopeSubscriptionFlagSkipsPicker(t *testing.T) {
	tr := translator(t, "en")
	opts := demoOpts(t, "en")
	opts.Preset = Scope{Subscriptions: []string{"contoso production"}}
	hs := newHarness(t, &stubAPI{}, opts, 100, 30)
	s := hs.waitText(tr.T("scope.selected", "N", 0, "Total", 6))
	if strings.Contains(s.view, tr.T("scope.subs.heading")) {
		t.Errorf("the subscription picker is still shown:\n%s", s.view)
	}
}

func TestScopeSignInFailure(t *testing.T) {
	api := &stubAPI{identityErr: &azure.Error{Kind: azure.KindSignIn, Op: "sign-in"}}
	tr := translator(t, "en")
	hs := newHarness(t, api, demoOpts(t, "en"), 80, 24)
	what, _, _ := Explain(api.identityErr).Text(tr)
	s := hs.waitText(tr.T("scope.retry"))
	if !strings.Contains(s.view, what) {
		t.Errorf("sign-in failure should show the problem and what to do:\n%s", s.view)
	}
	api.identityErr = nil // the user ran az login
	hs.key('r')
	hs.waitText("Contoso Production")
}

func TestScopeReadFailuresRetry(t *testing.T) {
	tr := translator(t, "en")
	api := &stubAPI{subsErr: &azure.Error{Kind: azure.KindForbidden, Op: "list-subscriptions", Status: 403, Code: "AuthorizationFailed"}}
	hs := newHarness(t, api, demoOpts(t, "en"), 80, 24)
	what, _, _ := Explain(api.subsErr).Text(tr)
	s := hs.waitText(tr.T("scope.retry"))
	if !strings.Contains(s.view, strings.Fields(what)[0]) || !strings.Contains(s.view, "AuthorizationFailed") {
		t.Errorf("the problem and the raw error should be shown:\n%s", s.view)
	}
	hs.next()
	if s := hs.now(); s.status != tr.T("scope.retry") {
		t.Errorf("Next after a failure should say how to retry, got %q", s.status)
	}
	api.subsErr = nil
	api.invErr = &azure.Error{Kind: azure.KindThrottled, Op: "graph-vms", Status: 429}
	hs.key('r')
	hs.waitText("Contoso Production")
	hs.space()
	hs.enter()
	hs.waitText(tr.T("scope.retry"))
	api.invErr = nil
	hs.key('r')
	hs.waitText("web-01")
	api.mu.Lock()
	calls := api.invCalls
	api.mu.Unlock()
	if calls != 2 {
		t.Errorf("%d inventory reads, want 2", calls)
	}
}
