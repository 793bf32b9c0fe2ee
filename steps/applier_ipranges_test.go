package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// splitFamilies parts a service-tag list into IPv4 and IPv6.
func splitFamilies(list []string) (v4, v6 []string) {
	for _, p := range list {
		if strings.Contains(p, ":") {
			v6 = append(v6, p)
		} else {
			v4 = append(v4, p)
		}
	}
	return v4, v6
}

// IP ranges through the simulator: nsg-api-restricted gets an IPv4 and an
// IPv6 rule with Storage.WestEurope's prefixes, read back and checked by
// Network Watcher; a second plan changes nothing and writes nothing. When
// Microsoft publishes a new list, the next plan rewrites the IPv4 rule in
// place, and the one after is quiet again.
func TestApplyIPRangesRules(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	ctx := context.Background()
	p := protectPlan(false)
	p.Network = PlanNetwork{Mode: NetworkIPRanges, NSGRulePriority: PriorityAuto}
	out, cs, _ := env.run(t, ctx, p, nil)
	if out.Failed() {
		t.Fatalf("outcome %v %v", out.States, out.Errs)
	}
	prefixes, change := env.cloud.StoragePrefixes("westeurope")
	v4, v6 := splitFamilies(prefixes)
	if len(v4) < 20 || len(v6) < 5 || change == "" {
		t.Fatalf("the simulated Storage.WestEurope: %d IPv4, %d IPv6, change %q", len(v4), len(v6), change)
	}
	var nsg string
	n := 0
	for i, c := range cs {
		if c.Action != ActionNSGRule {
			continue
		}
		n++
		nsg, _, _ = strings.Cut(c.Target, "/securityRules/")
		if c.Kind != Create || out.States[i] != RunDone || !strings.Contains(out.Details[i], "changeNumber "+change) {
			t.Errorf("%s: %s %s detail %q", c.Target, c.Kind, out.States[i], out.Details[i])
		}
		if strings.HasSuffix(c.Target, IPRangesRuleV4) && !strings.HasSuffix(out.Details[i], "Allow "+IPRangesRuleV4) {
			t.Errorf("Network Watcher should name the IPv4 rule: %q", out.Details[i])
		}
	}
	if n != 2 || !strings.Contains(nsg, "nsg-api-restricted") {
		t.Fatalf("want two rules on nsg-api-restricted, got %d: %v", n, cs)
	}
	if j, err := OpenJournal(env.journal); err == nil {
		last, ok := j.Last(ActionNSGRule, nsg+"/securityRules/"+IPRangesRuleV4)
		if !ok || last.State != JournalDone || !strings.Contains(last.Detail, "changeNumber "+change) {
			t.Errorf("journal: %+v", last)
		}
		j.Close()
	}
	check := func(name string, want []string, change string, prio int32) {
		t.Helper()
		got, err := env.api.SecurityRule(ctx, nsg, name)
		if err != nil || got == nil {
			t.Fatalf("%s in Azure: %v", name, err)
		}
		if got.Priority != prio || !slices.Equal(got.Destinations, want) || !slices.Equal(got.DestPorts, []string{"443"}) ||
			!strings.EqualFold(got.Access, "Allow") || !strings.Contains(got.Description, "change number "+change) {
			t.Errorf("%s in Azure: %+v", name, got)
		}
	}
	check(IPRangesRuleV4, v4, change, 199)
	check(IPRangesRuleV6, v6, change, 198)

	// a second plan: nothing to do, and no write
	writes := env.count.Writes()
	for _, c := range env.plan(t, p, nil) {
		if c.Action == ActionNSGRule && c.Kind != NoChange {
			t.Errorf("second plan: %s %s %s", c.Kind, c.Target, c.Reason)
		}
	}
	out, _, _ = env.run(t, ctx, p, nil)
	if out.Failed() || env.count.Writes() != writes {
		t.Errorf("second run: %d writes, outcome %v %v", env.count.Writes()-writes, out.States, out.Errs)
	}

	// Microsoft's weekly update: one IPv4 prefix goes, another comes
	next := append(slices.Clone(v4[1:]), "198.18.255.0/24")
	env.cloud.PublishServiceTag("Storage.WestEurope", "6", append(slices.Clone(next), v6...))
	cs = env.plan(t, p, nil)
	kinds := map[string]ChangeKind{}
	for _, c := range cs {
		if c.Action == ActionNSGRule {
			kinds[lastSegment(c.Target)] = c.Kind
			if c.Kind == Modify && (c.To != "199" || argString(c.Args, "Old") != change || argString(c.Args, "Change") != "6") {
				t.Errorf("refresh %+v", c)
			}
		}
	}
	if kinds[IPRangesRuleV4] != Modify || kinds[IPRangesRuleV6] != NoChange {
		t.Fatalf("after the update: %v", kinds)
	}
	writes = env.count.Writes()
	out, _, _ = env.run(t, ctx, p, nil)
	if out.Failed() {
		t.Fatalf("refresh run %v %v", out.States, out.Errs)
	}
	if w := env.count.Writes() - writes; w != 2 { // the rule PUT and the IP flow verify
		t.Errorf("refresh: %d writes, want 2", w)
	}
	check(IPRangesRuleV4, next, "6", 199)
	check(IPRangesRuleV6, v6, change, 198)
	for _, c := range env.plan(t, p, nil) {
		if c.Action == ActionNSGRule && c.Kind != NoChange {
			t.Errorf("after the refresh: %s %s", c.Kind, c.Target)
		}
	}
}

// The read-back compares prefixes as sets of canonical forms, and the Azure
// layer's check lets plural and IPv6 destinations through to Azure.
func TestIPRangeRulesValidate(t *testing.T) {
	r := IPRangeRule(IPRangesRuleV4, "Storage.WestEurope", "IPv4", "5", []string{"198.18.224.0/25", "198.18.225.0/24"}, 199)
	if !samePrefixes(r.Destinations, []string{"198.18.225.0/24", "198.18.224.0/25"}) || samePrefixes(r.Destinations, []string{"198.18.224.0/25"}) {
		t.Fatal("samePrefixes")
	}
	if reason := azure.ValidateSecurityRule(r); reason != "" {
		t.Fatalf("plural prefixes refused: %s", reason)
	}
	r6 := IPRangeRule(IPRangesRuleV6, "Storage.WestEurope", "IPv6", "5", []string{"2001:db8:100:7::/64", "2001:db8:4700::/48"}, 198)
	if reason := azure.ValidateSecurityRule(r6); reason != "" {
		t.Fatalf("IPv6 prefixes refused: %s", reason)
	}
}
