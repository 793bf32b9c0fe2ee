package steps

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/backupready/backupready/azure"
)

// Network mode ipRanges (AZURE.md §4.4): instead of naming the
// Storage.<Region> service tag, backupready's rules name its address
// prefixes as the service-tag API lists them (ServiceTagsClient.List). The
// list mixes IPv4 and IPv6, which one rule cannot, so every NSG that blocks
// gets up to two rules, AllowAzureBackupStorageOutboundIPv4 and …IPv6 (only
// the families that have prefixes), outbound Allow TCP 443 from
// VirtualNetwork. Same reach as the tag, but Microsoft changes the list
// every week and a rule keeps the prefixes it was written with: the rules
// say the change number they hold (their description), and a later plan
// compares them with the list of the day and rewrites them in place.
// backupready edits only these rules of its own.

// The ipRanges rules' names.
const (
	IPRangesRuleV4 = BackupRuleName + "IPv4"
	IPRangesRuleV6 = BackupRuleName + "IPv6"
)

// NSG limits from Azure's networking limits page (MicrosoftDocs
// azure-docs, includes/azure-virtual-network-limits.md): "NSG rules per NSG:
// 1,000" and "IP addresses and ranges specified for source or destination
// in a security group: 4,000 (the limit applies separately to source and
// destination)"; earlier versions of the page say "in a security rule". The
// planner holds a whole NSG's destinations to the number, which covers one
// rule's too. Both UNCONFIRMED against Azure itself.
const (
	MaxNSGRules        = 1000 // UNCONFIRMED
	MaxNSGDestinations = 4000 // UNCONFIRMED
)

// ServiceTagSet is the region's Azure Storage service tag as the service-tag
// API lists it, read for network mode ipRanges.
type ServiceTagSet struct {
	Tag          string // Storage.WestEurope
	ChangeNumber string // the tag's change number (the list's when the tag has none)
	ListChange   string // the whole list's change number
	IPv4, IPv6   []string
	// Err is why the list could not be read (nil: read; a list without the
	// tag has no prefixes).
	Err error
}

// Prefixes is how many prefixes the tag has.
func (s *ServiceTagSet) Prefixes() int {
	if s == nil {
		return 0
	}
	return len(s.IPv4) + len(s.IPv6)
}

// serviceTagReader reads the service tags (ReadLiveState asks its api for
// it; the Network step's api has it).
type serviceTagReader interface {
	ServiceTags(ctx context.Context, subscriptionID, location string) (changeNumber string, tags []azure.ServiceTag, err error)
}

// ReadServiceTags reads the Storage tag of the plan's region when the
// plan's network mode is ipRanges (nil otherwise). A list that cannot be
// read is kept in Err for the planner to explain; only a context that ended
// is an error.
func ReadServiceTags(ctx context.Context, api serviceTagReader, p *Plan) (*ServiceTagSet, error) {
	if p.Network.Mode != NetworkIPRanges {
		return nil, nil
	}
	region := azure.NormalizeLocation(p.Vault.Location)
	set := &ServiceTagSet{Tag: StorageTag(region)}
	list, tags, err := api.ServiceTags(ctx, p.Subscription, region)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		set.Err = err
		return set, nil
	}
	set.ListChange = list
	for _, t := range tags {
		if strings.EqualFold(t.Name, set.Tag) {
			set.Tag, set.IPv4, set.IPv6 = t.Name, t.IPv4, t.IPv6
			set.ChangeNumber = or(t.ChangeNumber, list)
		}
	}
	return set, nil
}

// madeRe finds the change number in an ipRanges rule's description (the
// inventory reads rules with their descriptions).
var madeRe = regexp.MustCompile(`change number ([^\s;,]+)`)

// ipRangeDescription is the description of an ipRanges rule: what it holds
// and how to refresh it (at most 140 characters; stored in Azure, so in
// one language, like the rule's name).
func ipRangeDescription(tag, family, change string) string {
	d := fmt.Sprintf("backupready ipRanges: %s %s prefixes, change number %s; run backupready apply to refresh", tag, family, change)
	if len(d) > 140 {
		d = fmt.Sprintf("backupready ipRanges: %s %s, change number %s", tag, family, change)
	}
	return d
}

// IPRangeRule is an ipRanges rule for one family's prefixes.
func IPRangeRule(name, tag, family, change string, prefixes []string, priority int32) azure.SecurityRule {
	return azure.SecurityRule{Name: name, Priority: priority, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
		Sources: []string{"VirtualNetwork"}, Destinations: slices.Clone(prefixes), DestPorts: []string{"443"},
		Description: ipRangeDescription(tag, family, change)}
}

// isIPRangeRule reports whether a rule is one of backupready's ipRanges rules.
func isIPRangeRule(name string) bool {
	return strings.EqualFold(name, IPRangesRuleV4) || strings.EqualFold(name, IPRangesRuleV6)
}

// withoutIPRangeRules is the NSG without backupready's ipRanges rules: the
// path is judged without them (their prefixes are not the Storage tag to
// the judge), and they are compared with the list apart.
func withoutIPRangeRules(n *azure.NSG) *azure.NSG {
	c := *n
	c.Rules = slices.DeleteFunc(slices.Clone(n.Rules), func(r azure.SecurityRule) bool { return isIPRangeRule(r.Name) })
	return &c
}

// ipRangeChanges plans network mode ipRanges: for every NSG that blocks
// the path (judged without backupready's own ipRanges rules), an IPv4 and
// an IPv6 rule holding the Storage tag's current prefixes. A rule that
// already holds them and wins is NoChange; one holding an older list is
// rewritten in place (Modify, its own priority); one that loses, or an NSG
// the rules would take over Azure's limits, is a Skip with a conflict.
func ipRangeChanges(p *Plan, live LiveState, vms []*azure.VM, region string, conflicts *PlanConflicts) []Change {
	if live.Inventory == nil {
		return nil
	}
	blocked := scanBlocking(live.Inventory, vms, func(_ *azure.VM, n *azure.NSG, ips []netip.Addr) nsgVerdict {
		return evalNSG(withoutIPRangeRules(n), region, ips)
	})
	if len(blocked) == 0 {
		return nil
	}
	set := live.ServiceTags
	if set == nil || set.Err != nil || set.Prefixes() == 0 {
		var names []string
		for _, b := range blocked {
			names = append(names, b.nsg.Name)
		}
		c := Change{Kind: Skip, Action: ActionNetworkMode, Target: p.Network.Mode, Region: region,
			Args: []any{"Mode", p.Network.Mode, "Tag", StorageTag(region), "Region", region, "Count", len(blocked), "NSGs", strings.Join(names, ", ")}}
		switch {
		case set == nil:
			c.Reason = "change.reason.ipranges-unread"
		case set.Err != nil:
			c.Reason = "change.reason.ipranges-no-tags"
			c.Args = append(c.Args, "Error", errorWords(set.Err))
		default:
			c.Reason = "change.reason.ipranges-no-tag"
			c.Args = append(c.Args, "Change", or(set.ListChange, "-"))
		}
		return []Change{c}
	}
	var out []Change
	for _, b := range blocked {
		out = append(out, ipRangeNSG(p, b, set, region, conflicts)...)
	}
	return out
}

// errorWords is an error in a few words for a reason's argument: Azure's
// code, else its message.
func errorWords(err error) string {
	if e, ok := azure.AsError(err); ok {
		return or(e.Code, or(e.Message, string(e.Kind)))
	}
	return err.Error()
}

// ipFamily is one family of the tag's prefixes and its rule.
type ipFamily struct {
	name, family string
	prefixes     []string
}

// ipRangeNSG plans the ipRanges rules of one blocking NSG.
func ipRangeNSG(p *Plan, b *blockedNSG, set *ServiceTagSet, region string, conflicts *PlanConflicts) []Change {
	fams := []ipFamily{{IPRangesRuleV4, "IPv4", set.IPv4}, {IPRangesRuleV6, "IPv6", set.IPv6}}
	change := set.ChangeNumber
	base := func(f ipFamily) Change {
		return Change{Action: ActionNSGRule, Target: b.nsg.ID + "/securityRules/" + f.name, Region: region,
			Args: []any{"NSG", b.nsg.Name, "Rule", b.rule, "Priority", int(b.priority), "Tag", set.Tag,
				"VMs", strings.Join(b.vms, ", "), "Count", len(b.vms), "Name", f.name, "Direction", "Outbound",
				"Family", f.family, "Prefixes", len(f.prefixes), "Change", change}}
	}

	// Azure's limits, for the NSG as it would be (UNCONFIRMED numbers)
	rules, dests := 0, 0
	for _, r := range b.nsg.Rules {
		if r.Default || isIPRangeRule(r.Name) {
			continue
		}
		rules++
		dests += addressCount(r.Destinations)
	}
	for _, f := range fams {
		if len(f.prefixes) > 0 {
			rules++
			dests += len(f.prefixes)
		}
	}
	if rules > MaxNSGRules || dests > MaxNSGDestinations {
		reason, conflict := "change.reason.ipranges-too-many-prefixes", "conflict.ipranges-too-many-prefixes"
		if rules > MaxNSGRules {
			reason, conflict = "change.reason.ipranges-too-many-rules", "conflict.ipranges-too-many-rules"
		}
		var out []Change
		for _, f := range fams {
			if len(f.prefixes) == 0 {
				continue
			}
			c := base(f)
			c.Kind, c.Reason = Skip, reason
			c.Args = append(c.Args, "Rules", rules, "MaxRules", MaxNSGRules, "Dests", dests, "MaxDests", MaxNSGDestinations)
			out = append(out, c)
		}
		*conflicts = append(*conflicts, PlanConflict{Field: "network.mode", Reason: conflict, Args: out[0].Args})
		return out
	}

	var out []Change
	for _, f := range fams {
		existing := ruleNamed(b.nsg, f.name)
		c := base(f)
		if len(f.prefixes) == 0 {
			if existing != nil {
				// the family is gone from the list: the plan deletes nothing
				c.Kind, c.Reason = Skip, "change.reason.ipranges-family-gone"
				out = append(out, c)
			}
			continue
		}
		rule := IPRangeRule(f.name, set.Tag, f.family, change, f.prefixes, 0)
		if f.family == "IPv4" && b.probe != nil {
			// IP flow verify to one of the rule's own addresses
			pr := *b.probe
			if pf, err := netip.ParsePrefix(f.prefixes[0]); err == nil {
				pr.RemoteIP = pf.Addr().String()
			}
			c.Probe = &pr
		}
		switch {
		case existing != nil && existing.Priority >= b.priority:
			// ours exists but loses: the plan does not move it
			c.Kind, c.Reason = Skip, "change.reason.ipranges-rule-loses"
			c.Args = append(c.Args, "Have", int(existing.Priority))
			*conflicts = append(*conflicts, PlanConflict{Field: "network.nsgRulePriority", Reason: "conflict.ipranges-rule-loses", Args: c.Args})
		case existing != nil && sameIPRangeRule(*existing, rule):
			c.Kind, c.Reason = NoChange, "change.reason.ipranges-current"
			c.Args = append(c.Args, "Have", int(existing.Priority))
		case existing != nil:
			// an older list (or a rule edited since): rewritten in place
			rule.Priority = existing.Priority
			added, removed := prefixDiff(existing.Destinations, f.prefixes)
			c.Kind, c.To, c.Rule = Modify, strconv.Itoa(int(existing.Priority)), &rule
			c.Args = append(c.Args, "Have", int(existing.Priority), "New", int(existing.Priority), "Added", added, "Removed", removed)
			if m := madeRe.FindStringSubmatch(existing.Description); m != nil && m[1] != change {
				c.Reason = "change.reason.ipranges-refresh"
				c.Args = append(c.Args, "Old", m[1])
			} else {
				c.Reason = "change.reason.ipranges-refresh-edited"
			}
		default:
			prio, why := pickPriority(b.nsg, "Outbound", b.priority, p.Network.NSGRulePriority, b.picked...)
			if why != "" {
				c.Kind, c.Reason = Skip, "change.reason.nsg-no-priority"
				*conflicts = append(*conflicts, PlanConflict{Field: "network.nsgRulePriority", Reason: why, Args: c.Args})
				break
			}
			b.picked = append(b.picked, prio)
			rule.Priority = prio
			c.Kind, c.Reason, c.To, c.Rule = Create, "change.reason.ipranges-rule", strconv.Itoa(int(prio)), &rule
			c.Args = append(c.Args, "New", int(prio))
		}
		out = append(out, c)
	}
	return out
}

// addressCount is how many of a rule's prefixes are addresses or ranges
// (what Azure's limit counts; service tags are not).
func addressCount(prefixes []string) int {
	n := 0
	for _, p := range prefixes {
		if _, ok := canonPrefix(p); ok {
			n++
		}
	}
	return n
}

// canonPrefix is an address or CIDR prefix in canonical form ("10.0.0.1"
// becomes "10.0.0.1/32").
func canonPrefix(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().String(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()).String(), true
	}
	return "", false
}

// prefixSet is a list of prefixes as a set of canonical forms (anything else
// as written, lower-cased).
func prefixSet(list []string) map[string]bool {
	out := make(map[string]bool, len(list))
	for _, s := range list {
		if c, ok := canonPrefix(s); ok {
			out[c] = true
		} else {
			out[strings.ToLower(strings.TrimSpace(s))] = true
		}
	}
	return out
}

// samePrefixes reports whether two lists hold the same prefixes, in any
// order.
func samePrefixes(a, b []string) bool {
	sa, sb := prefixSet(a), prefixSet(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}

// prefixDiff counts the prefixes want adds to have and those it drops.
func prefixDiff(have, want []string) (added, removed int) {
	sh, sw := prefixSet(have), prefixSet(want)
	for k := range sw {
		if !sh[k] {
			added++
		}
	}
	for k := range sh {
		if !sw[k] {
			removed++
		}
	}
	return added, removed
}

// sameIPRangeRule reports whether a rule in Azure is the rule wanted, its
// priority and description aside.
func sameIPRangeRule(have, want azure.SecurityRule) bool {
	return strings.EqualFold(have.Direction, want.Direction) && strings.EqualFold(have.Access, want.Access) &&
		strings.EqualFold(have.Protocol, want.Protocol) && samePrefixes(have.Sources, want.Sources) &&
		slices.Equal(have.DestPorts, want.DestPorts) && samePrefixes(have.Destinations, want.Destinations)
}
