package steps

import (
	"cmp"
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/backupready/backupready/azure"
)

// networkAPI is what adding the backup rule to an NSG calls in Azure.
type networkAPI interface {
	NSG(ctx context.Context, id string) (azure.NSG, error)
	BeginPutSecurityRule(ctx context.Context, nsgID string, r azure.SecurityRule, resumeToken string) (*azure.Operation, error)
	SecurityRule(ctx context.Context, nsgID, name string) (*azure.SecurityRule, error)
	NetworkWatcher(ctx context.Context, subscriptionID, location string) (string, error)
	ServiceTags(ctx context.Context, subscriptionID, location string) (changeNumber string, tags []azure.ServiceTag, err error)
	VerifyIPFlow(ctx context.Context, watcherID string, f azure.FlowCheck) (access, rule string, err error)
}

// addNSGRule adds a change's rule (backupready's own outbound rule, an
// ipRanges rule with the Storage tag's prefixes, or a rule of the proxy
// path) to an NSG, or rewrites backupready's own rule in place (Modify: an
// ipRanges rule refreshed at its own priority): a long-running PUT, resumed
// from the journal after an interruption, then read back. A priority that
// another rule took meanwhile (SecurityRuleConflict) makes a new rule read
// the NSG again, pick another free priority that still wins, and say so in
// the result; a rewrite keeps its priority and fails instead. The result
// (and the journal) names the service tags' change number an ipRanges rule
// holds.
func (a *Applier) addNSGRule(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	region := azure.NormalizeLocation(a.Plan.Vault.Location)
	rule := BackupRule(region, 0)
	if c.Rule != nil {
		rule = *c.Rule
	}
	nsgID := strings.TrimSuffix(c.Target, "/securityRules/"+rule.Name)
	prio, err := strconv.Atoi(c.To)
	if err != nil {
		return "", &azure.Error{Kind: azure.KindInvalid, Op: "apply", Code: "BadPriority", Message: c.To}
	}
	blocking := int32(4097)
	if v, ok := argNamed(c.Args, "Priority").(int); ok {
		blocking = int32(v)
	}
	at := func(p int) azure.SecurityRule {
		r := rule
		r.Priority = int32(p)
		return r
	}
	var op *azure.Operation
	if last, ok := a.Journal.Last(c.Action, c.Target); ok && last.State == JournalInProgress && last.ResumeToken != "" {
		if o, err := a.API.BeginPutSecurityRule(ctx, nsgID, at(prio), last.ResumeToken); err == nil {
			op = o
			if p, err := strconv.Atoi(last.Detail); err == nil {
				prio = p
			}
		}
	}
	for tries := 0; op == nil; tries++ {
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		op, err = a.API.BeginPutSecurityRule(ctx, nsgID, at(prio), "")
		if err == nil {
			break
		}
		if e, ok := azure.AsError(err); !ok || !strings.EqualFold(e.Code, "SecurityRuleConflict") || tries >= 3 || c.Kind == Modify {
			return "", err
		}
		// another rule holds that priority now: read the NSG, pick again
		n, rerr := a.API.NSG(ctx, nsgID)
		if rerr != nil {
			return "", rerr
		}
		next, reason := pickPriority(&n, rule.Direction, blocking, PriorityAuto)
		if reason != "" {
			return "", err
		}
		a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.priority-taken", Args: []any{"Was", prio, "Now", int(next)},
			Elapsed: a.now().Sub(start), Percent: -1})
		prio = int(next)
	}
	if err := a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalInProgress, ResumeToken: op.ResumeToken(), Detail: strconv.Itoa(prio)}); err != nil {
		return "", err
	}
	if err := a.wait(ctx, i, start, op, "apply.note.adding-rule"); err != nil {
		return "", err
	}
	got, err := a.API.SecurityRule(ctx, nsgID, rule.Name)
	if err != nil {
		return "", err
	}
	if got == nil || int(got.Priority) != prio || !strings.EqualFold(got.Access, "Allow") || !samePrefixes(got.Destinations, rule.Destinations) {
		return "", &azure.Error{Kind: azure.KindOperation, Op: "put-security-rule", Code: azure.CodeWriteNotApplied}
	}
	detail := strconv.Itoa(prio)
	if cn, _ := argNamed(c.Args, "Change").(string); cn != "" {
		detail += " · changeNumber " + cn
	}
	if verdict := a.verifyPath(ctx, i, c, start); verdict != "" {
		detail += " · " + verdict
	}
	return detail, a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalDone, Detail: detail, Seconds: a.now().Sub(start).Seconds()})
}

// verifyPath asks the region's Network Watcher, where there is one, whether
// the change's probe VM may now reach Azure Storage on 443 (IP flow verify),
// and returns its answer ("Allow securityRules/…"), or "" when it could
// not be asked. It never fails the change: the rule is in place either way.
func (a *Applier) verifyPath(ctx context.Context, i int, c Change, start time.Time) string {
	if c.Probe == nil {
		return ""
	}
	sub, region := a.Plan.Subscription, azure.NormalizeLocation(a.Plan.Vault.Location)
	watcher, err := a.API.NetworkWatcher(ctx, sub, region)
	if err != nil || watcher == "" {
		return ""
	}
	f := azure.FlowCheck{VMID: c.Probe.VMID, Direction: cmp.Or(c.Probe.Direction, "Outbound"), Protocol: "TCP",
		LocalIP: c.Probe.IP, LocalPort: "*", RemoteIP: c.Probe.RemoteIP, RemotePort: cmp.Or(c.Probe.RemotePort, "443")}
	if strings.EqualFold(f.Direction, "Inbound") {
		// inbound, the port that matters is the VM's own: the remote end
		// connects to it from any port
		f.LocalPort, f.RemotePort = f.RemotePort, "*"
	}
	if f.RemoteIP == "" {
		f.RemoteIP = a.storageAddress(ctx, sub, region)
	}
	a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.verifying", Elapsed: a.now().Sub(start), Percent: -1})
	access, rule, err := a.API.VerifyIPFlow(ctx, watcher, f)
	if err != nil {
		return ""
	}
	return access + " " + lastSegment(rule)
}

// storageAddress is an address of Azure Storage in the region from the
// service-tag API, or a documentation address when it cannot be read (any
// public address tells whether the Internet is reachable).
func (a *Applier) storageAddress(ctx context.Context, sub, region string) string {
	if _, tags, err := a.API.ServiceTags(ctx, sub, region); err == nil {
		for _, t := range tags {
			if strings.EqualFold(t.Name, StorageTag(region)) && len(t.IPv4) > 0 {
				if p, err := netip.ParsePrefix(t.IPv4[0]); err == nil {
					return p.Addr().String()
				}
			}
		}
	}
	return "203.0.113.10"
}

// argNamed returns the value of a name/value argument list's entry.
func argNamed(args []any, name string) any {
	for k := 0; k+1 < len(args); k += 2 {
		if args[k] == name {
			return args[k+1]
		}
	}
	return nil
}
