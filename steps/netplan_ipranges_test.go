package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
)

// iprSet is a Storage.WestEurope list of three IPv4 and two IPv6 prefixes
// at change number 5.
func iprSet() *ServiceTagSet {
	return &ServiceTagSet{Tag: "Storage.WestEurope", ChangeNumber: "5", ListChange: "63",
		IPv4: []string{"198.18.224.0/25", "198.18.225.0/24", "198.51.100.112/28"},
		IPv6: []string{"2001:db8:100:7::/64", "2001:db8:4700::/48"}}
}

// ours is an ipRanges rule as backupready wrote it from a list.
func ours(name string, prio int32, change string, prefixes ...string) azure.SecurityRule {
	fam := "IPv4"
	if strings.HasSuffix(name, "IPv6") {
		fam = "IPv6"
	}
	return IPRangeRule(name, "Storage.WestEurope", fam, change, prefixes, prio)
}

// iprPlan is the planner's plan for web-1 with network mode ipRanges.
func iprPlan(priority string) *Plan {
	return ptPlan(func(p *Plan) {
		p.Vault.Create = false
		p.Network = PlanNetwork{Mode: NetworkIPRanges, NSGRulePriority: priority}
	})
}

// nsgChanges are the network changes of a plan: nsg.rule and network.mode.
func nsgChanges(cs []Change) []Change {
	var out []Change
	for _, c := range cs {
		if c.Action == ActionNSGRule || c.Action == ActionNetworkMode {
			out = append(out, c)
		}
	}
	return out
}

// line sums a network change up: "kind nsg rule to reason".
func iprLine(c Change) string {
	nsg, rule, _ := strings.Cut(c.Target, "/securityRules/")
	return strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %s %s", c.Kind, lastSegment(nsg), rule, c.To, strings.TrimPrefix(c.Reason, "change.reason."))), " ")
}

func TestIPRangeChanges(t *testing.T) {
	v4, v6 := iprSet().IPv4, iprSet().IPv6
	denyNet := deny("DenyInternet", 200, "Internet")
	cases := []struct {
		name        string
		nic, subnet []azure.SecurityRule
		set         func(s *ServiceTagSet) *ServiceTagSet
		priority    string
		want        []string
		conflict    string
	}{
		{name: "open path: nothing, tags or not", set: func(*ServiceTagSet) *ServiceTagSet { return nil }},
		{name: "IPv4 and IPv6 apart, each its own priority", nic: []azure.SecurityRule{denyNet},
			want: []string{"create nsg-nic AllowAzureBackupStorageOutboundIPv4 199 ipranges-rule", "create nsg-nic AllowAzureBackupStorageOutboundIPv6 198 ipranges-rule"}},
		{name: "only the families the list has", nic: []azure.SecurityRule{denyNet},
			set:  func(s *ServiceTagSet) *ServiceTagSet { s.IPv6 = nil; return s },
			want: []string{"create nsg-nic AllowAzureBackupStorageOutboundIPv4 199 ipranges-rule"}},
		{name: "both NSGs block: rules in each", nic: []azure.SecurityRule{deny("DenyAll", 4000, "*")}, subnet: []azure.SecurityRule{deny("DenyStorage", 300, "Storage")},
			want: []string{"create nsg-nic AllowAzureBackupStorageOutboundIPv4 3999 ipranges-rule", "create nsg-nic AllowAzureBackupStorageOutboundIPv6 3998 ipranges-rule",
				"create nsg-subnet AllowAzureBackupStorageOutboundIPv4 299 ipranges-rule", "create nsg-subnet AllowAzureBackupStorageOutboundIPv6 298 ipranges-rule"}},
		{name: "the plan's priority, the second rule the next free number", nic: []azure.SecurityRule{deny("DenyInternet", 2000, "Internet"), allow("Ssh", 1501, "*", "22")}, priority: "1500",
			want: []string{"create nsg-nic AllowAzureBackupStorageOutboundIPv4 1500 ipranges-rule", "create nsg-nic AllowAzureBackupStorageOutboundIPv6 1502 ipranges-rule"}},
		{name: "a service-tag rule already opens the path", nic: []azure.SecurityRule{allow(BackupRuleName, 150, "Storage.WestEurope", "443"), denyNet}},
		{name: "re-plan after apply: the rules hold the list and win", nic: []azure.SecurityRule{ours(IPRangesRuleV4, 199, "5", v4...), ours(IPRangesRuleV6, 198, "5", v6...), denyNet},
			want: []string{"noChange nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-current", "noChange nsg-nic AllowAzureBackupStorageOutboundIPv6 ipranges-current"}},
		{name: "the same prefixes in another order and form are current", nic: []azure.SecurityRule{ours(IPRangesRuleV4, 199, "5", "198.51.100.112/28", "198.18.225.0/24", "198.18.224.0/25"), denyNet},
			set:  func(s *ServiceTagSet) *ServiceTagSet { s.IPv6 = nil; return s },
			want: []string{"noChange nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-current"}},
		{name: "a newer list: rewritten in place at its own priority", nic: []azure.SecurityRule{ours(IPRangesRuleV4, 150, "4", v4[:2]...), ours(IPRangesRuleV6, 151, "5", v6...), denyNet},
			want: []string{"modify nsg-nic AllowAzureBackupStorageOutboundIPv4 150 ipranges-refresh", "noChange nsg-nic AllowAzureBackupStorageOutboundIPv6 ipranges-current"}},
		{name: "a rule edited by hand is rewritten", nic: []azure.SecurityRule{func() azure.SecurityRule {
			r := ours(IPRangesRuleV4, 199, "5", v4...)
			r.DestPorts = []string{"80"}
			return r
		}(), denyNet},
			set:  func(s *ServiceTagSet) *ServiceTagSet { s.IPv6 = nil; return s },
			want: []string{"modify nsg-nic AllowAzureBackupStorageOutboundIPv4 199 ipranges-refresh-edited"}},
		{name: "one rule there, the other added", nic: []azure.SecurityRule{ours(IPRangesRuleV4, 199, "5", v4...), denyNet},
			want: []string{"noChange nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-current", "create nsg-nic AllowAzureBackupStorageOutboundIPv6 198 ipranges-rule"}},
		{name: "ours loses to the blocking rule", nic: []azure.SecurityRule{ours(IPRangesRuleV4, 300, "5", v4...), denyNet},
			set:  func(s *ServiceTagSet) *ServiceTagSet { s.IPv6 = nil; return s },
			want: []string{"skip nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-rule-loses"}, conflict: "conflict.ipranges-rule-loses"},
		{name: "IPv6 gone from the list: the old rule is left, said so", nic: []azure.SecurityRule{ours(IPRangesRuleV4, 199, "5", v4...), ours(IPRangesRuleV6, 198, "4", v6...), denyNet},
			set:  func(s *ServiceTagSet) *ServiceTagSet { s.IPv6 = nil; return s },
			want: []string{"noChange nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-current", "skip nsg-nic AllowAzureBackupStorageOutboundIPv6 ipranges-family-gone"}},
		{name: "more prefixes than an NSG holds", nic: []azure.SecurityRule{denyNet},
			set: func(s *ServiceTagSet) *ServiceTagSet {
				s.IPv4 = nil
				for i := range MaxNSGDestinations + 1 - len(s.IPv6) {
					s.IPv4 = append(s.IPv4, fmt.Sprintf("198.%d.%d.0/24", 18+i/256, i%256))
				}
				return s
			},
			want:     []string{"skip nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-too-many-prefixes", "skip nsg-nic AllowAzureBackupStorageOutboundIPv6 ipranges-too-many-prefixes"},
			conflict: "conflict.ipranges-too-many-prefixes"},
		{name: "the NSG's own addresses count towards the limit", nic: []azure.SecurityRule{denyNet, func() azure.SecurityRule {
			r := allow("Partners", 300, "10.0.0.1", "22")
			for i := range MaxNSGDestinations - 5 {
				r.Destinations = append(r.Destinations, fmt.Sprintf("10.%d.%d.0/24", 1+i/256, i%256))
			}
			return r
		}()},
			want:     []string{"skip nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-too-many-prefixes", "skip nsg-nic AllowAzureBackupStorageOutboundIPv6 ipranges-too-many-prefixes"},
			conflict: "conflict.ipranges-too-many-prefixes"},
		{name: "more rules than an NSG holds", nic: func() []azure.SecurityRule {
			rs := []azure.SecurityRule{denyNet}
			for i := range MaxNSGRules - 2 {
				rs = append(rs, azure.SecurityRule{Name: fmt.Sprintf("In%d", i), Priority: int32(100 + i), Direction: "Inbound", Access: "Allow", Protocol: "Tcp",
					Sources: []string{"*"}, Destinations: []string{"*"}, DestPorts: []string{"22"}})
			}
			return rs
		}(),
			want:     []string{"skip nsg-nic AllowAzureBackupStorageOutboundIPv4 ipranges-too-many-rules", "skip nsg-nic AllowAzureBackupStorageOutboundIPv6 ipranges-too-many-rules"},
			conflict: "conflict.ipranges-too-many-rules"},
		{name: "no priority below the blocking rule", nic: []azure.SecurityRule{deny("DenyInternet", 100, "Internet")},
			want:     []string{"skip nsg-nic AllowAzureBackupStorageOutboundIPv4 nsg-no-priority", "skip nsg-nic AllowAzureBackupStorageOutboundIPv6 nsg-no-priority"},
			conflict: "conflict.nsg-no-priority"},
		{name: "tags not read", nic: []azure.SecurityRule{denyNet}, set: func(*ServiceTagSet) *ServiceTagSet { return nil },
			want: []string{"skip ipRanges ipranges-unread"}},
		{name: "tags unreadable", nic: []azure.SecurityRule{denyNet},
			set: func(s *ServiceTagSet) *ServiceTagSet {
				return &ServiceTagSet{Tag: s.Tag, Err: &azure.Error{Kind: azure.KindForbidden, Op: "list-service-tags", Code: "AuthorizationFailed"}}
			},
			want: []string{"skip ipRanges ipranges-no-tags"}},
		{name: "no such tag in the list", nic: []azure.SecurityRule{denyNet},
			set:  func(s *ServiceTagSet) *ServiceTagSet { return &ServiceTagSet{Tag: s.Tag, ListChange: "63"} },
			want: []string{"skip ipRanges ipranges-no-tag"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := netLive(tc.nic, tc.subnet)
			l.ServiceTags = iprSet()
			if tc.set != nil {
				l.ServiceTags = tc.set(iprSet())
			}
			cs, err := Changes(iprPlan(cmpOr(tc.priority, PriorityAuto)), l)
			var conf PlanConflicts
			switch {
			case tc.conflict == "" && err != nil:
				t.Fatal(err)
			case tc.conflict != "" && (!errors.As(err, &conf) || conf[0].Reason != tc.conflict):
				t.Fatalf("want %s, got %v", tc.conflict, err)
			}
			var got []string
			for _, c := range nsgChanges(cs) {
				got = append(got, iprLine(c))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// The rules carry the prefixes of their family, the change number, port
// 443 from VirtualNetwork; the reason warns of the weekly churn; the IPv4
// rule is checked with IP flow verify against one of its own addresses.
func TestIPRangeRuleShape(t *testing.T) {
	l := netLive([]azure.SecurityRule{deny("DenyInternet", 200, "Internet")}, nil)
	l.ServiceTags = iprSet()
	for _, vm := range l.VMs {
		vm.PowerState = "running"
	}
	cs, err := Changes(iprPlan(PriorityAuto), l)
	if err != nil {
		t.Fatal(err)
	}
	rules := nsgChanges(cs)
	if len(rules) != 2 {
		t.Fatalf("changes %+v", rules)
	}
	tr := translator(t, "en")
	for i, fam := range []string{"IPv4", "IPv6"} {
		c := rules[i]
		r := c.Rule
		want := iprSet().IPv4
		if fam == "IPv6" {
			want = iprSet().IPv6
		}
		if r == nil || r.Name != BackupRuleName+fam || !slices.Equal(r.Destinations, want) || !slices.Equal(r.Sources, []string{"VirtualNetwork"}) ||
			!slices.Equal(r.DestPorts, []string{"443"}) || r.Protocol != "Tcp" || r.Access != "Allow" || r.Direction != "Outbound" || c.To != fmt.Sprint(r.Priority) {
			t.Errorf("%s rule %+v", fam, r)
		}
		if reason := azure.ValidateSecurityRule(*r); reason != "" {
			t.Errorf("%s rule refused: %s", fam, reason)
		}
		if !strings.Contains(r.Description, "change number 5") || len(r.Description) > 140 {
			t.Errorf("%s description %q", fam, r.Description)
		}
		text := tr.T(c.Reason, c.Args...)
		for _, w := range []string{"every week", "run apply again", "change number 5", fmt.Sprintf("%d %s prefixes", len(want), fam), "web-1"} {
			if !strings.Contains(text, w) {
				t.Errorf("%s reason should say %q: %s", fam, w, text)
			}
		}
	}
	if p := rules[0].Probe; p == nil || p.RemoteIP != "198.18.224.0" || p.IP != "10.0.1.4" {
		t.Errorf("IPv4 probe %+v", rules[0].Probe)
	}
	if rules[1].Probe != nil {
		t.Errorf("the IPv6 rule cannot be checked from an IPv4 address: %+v", rules[1].Probe)
	}
	// the longest region name still fits the description
	if d := ipRangeDescription("Storage.GermanyWestCentral", "IPv6", "123456"); len(d) > 140 || !madeRe.MatchString(d) {
		t.Errorf("description %q", d)
	}
}

// Two VMs behind one subnet NSG share its rules, named in one change.
func TestIPRangeSharedNSG(t *testing.T) {
	l := netLive(nil, []azure.SecurityRule{deny("DenyInternet", 200, "Internet")})
	web2 := ptVM("web-2", "westeurope", "")
	web2.NICs = []azure.NIC{{ID: "nic-2", SubnetIDs: l.VMs[strings.ToLower(ptVM("web-1", "westeurope", "").ID)].NICs[0].SubnetIDs, PrivateIPs: []string{"10.0.1.5"}}}
	l.VMs[strings.ToLower(web2.ID)] = web2
	l.ServiceTags = iprSet()
	p := iprPlan(PriorityAuto)
	p.VMs = append(p.VMs, web2.ID)
	cs, err := Changes(p, l)
	if err != nil {
		t.Fatal(err)
	}
	rules := nsgChanges(cs)
	if len(rules) != 2 {
		t.Fatalf("one NSG, two rules: %+v", rules)
	}
	for _, c := range rules {
		if !strings.Contains(c.Target, "nsg-subnet") || argString(c.Args, "VMs") != "web-1, web-2" || argString(c.Args, "Count") != "2" {
			t.Errorf("change %s %v", c.Target, c.Args)
		}
	}
	if rules[0].To == rules[1].To {
		t.Errorf("the two rules share priority %s", rules[0].To)
	}
}

// The refresh names both change numbers and what changes.
func TestIPRangeRefreshReason(t *testing.T) {
	set := iprSet()
	l := netLive([]azure.SecurityRule{ours(IPRangesRuleV4, 199, "4", "198.18.224.0/25", "203.0.113.0/24"), deny("DenyInternet", 200, "Internet")}, nil)
	set.IPv6 = nil
	l.ServiceTags = set
	cs, err := Changes(iprPlan(PriorityAuto), l)
	if err != nil {
		t.Fatal(err)
	}
	c := nsgChanges(cs)[0]
	if c.Kind != Modify || c.To != "199" || c.Rule == nil || c.Rule.Priority != 199 || !slices.Equal(c.Rule.Destinations, set.IPv4) {
		t.Fatalf("change %+v", c)
	}
	text := translator(t, "en").T(c.Reason, c.Args...)
	for _, w := range []string{"change number 4", "change number 5", "2 added, 1 removed", "priority 199"} {
		if !strings.Contains(text, w) {
			t.Errorf("reason should say %q: %s", w, text)
		}
	}
}

// tagStub answers the service-tag list.
type tagStub struct {
	calls  int
	change string
	tags   []azure.ServiceTag
	err    error
}

func (s *tagStub) ServiceTags(ctx context.Context, sub, loc string) (string, []azure.ServiceTag, error) {
	s.calls++
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	return s.change, s.tags, s.err
}

func TestReadServiceTags(t *testing.T) {
	ctx := context.Background()
	stub := &tagStub{change: "63", tags: []azure.ServiceTag{
		{Name: "Storage", IPv4: []string{"198.18.0.0/15"}, ChangeNumber: "17"},
		{Name: "Storage.WestEurope", Region: "westeurope", IPv4: []string{"198.18.224.0/25"}, IPv6: []string{"2001:db8:100:7::/64"}, ChangeNumber: "5"},
	}}
	if set, err := ReadServiceTags(ctx, stub, ptPlan(nil)); set != nil || err != nil || stub.calls != 0 {
		t.Fatalf("another mode reads nothing: %+v %v", set, err)
	}
	set, err := ReadServiceTags(ctx, stub, iprPlan(PriorityAuto))
	if err != nil || set.Tag != "Storage.WestEurope" || set.ChangeNumber != "5" || set.ListChange != "63" || len(set.IPv4) != 1 || len(set.IPv6) != 1 || set.Err != nil {
		t.Fatalf("set %+v %v", set, err)
	}
	stub.tags[1].ChangeNumber = ""
	if set, _ := ReadServiceTags(ctx, stub, iprPlan(PriorityAuto)); set.ChangeNumber != "63" {
		t.Errorf("a tag without its own number takes the list's: %q", set.ChangeNumber)
	}
	stub.err = &azure.Error{Kind: azure.KindForbidden, Code: "AuthorizationFailed"}
	set, err = ReadServiceTags(ctx, stub, iprPlan(PriorityAuto))
	if err != nil || set == nil || set.Err == nil || errorWords(set.Err) != "AuthorizationFailed" {
		t.Fatalf("a refused read is kept for the planner: %+v %v", set, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadServiceTags(cctx, stub, iprPlan(PriorityAuto)); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled read is an error: %v", err)
	}
}

// A plan file with network mode ipRanges and a fixed priority decodes,
// encodes and decodes to the same plan; the mode is written as it was.
func TestIPRangesPlanRoundTrip(t *testing.T) {
	src := `version: 1
cloud: AzureCloud
subscription: ` + ptSub + `
vms:
  - ` + ptVM("web-1", "westeurope", "").ID + `
vault: {name: rsv-weu, resourceGroup: rg-backup, location: westeurope, create: false}
network: {mode: ipRanges, nsgRulePriority: 1500}
`
	p, err := DecodePlan([]byte(src), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Network.Mode != NetworkIPRanges || p.Network.NSGRulePriority != "1500" {
		t.Fatalf("network %+v", p.Network)
	}
	out, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "mode: ipRanges") || !strings.Contains(string(out), "nsgRulePriority: 1500") {
		t.Errorf("encoded network:\n%s", out)
	}
	requireRoundTrip(t, p)
	// and the decoded plan plans ipRanges rules at the plan's priority
	l := netLive([]azure.SecurityRule{deny("DenyInternet", 2000, "Internet")}, nil)
	l.ServiceTags = iprSet()
	cs, err := Changes(p, l)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range nsgChanges(cs) {
		got = append(got, iprLine(c))
	}
	if want := "create nsg-nic AllowAzureBackupStorageOutboundIPv4 1500 ipranges-rule|create nsg-nic AllowAzureBackupStorageOutboundIPv6 1501 ipranges-rule"; strings.Join(got, "|") != want {
		t.Errorf("got %q", strings.Join(got, "|"))
	}
}
