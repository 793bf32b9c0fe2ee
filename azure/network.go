package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
)

// The network reads and writes of the Network step (AZURE.md §4): the
// effective security rules of a running VM's NIC, one NSG rule written and
// read back, the service tags of a region, and Network Watcher's IP flow
// verify.

// CodeInvalidSecurityRule: a SecurityRule that ValidateSecurityRule refuses;
// Error.Message is the reason id ("name", "priority", …).
const CodeInvalidSecurityRule = "InvalidSecurityRule"

// CodeInvalidFlowCheck: a FlowCheck whose direction or protocol Azure does
// not know.
const CodeInvalidFlowCheck = "InvalidFlowCheck"

// EffectiveNSG is one NSG applied to a NIC, as the effective security rules
// of the NIC report it (AZURE.md §4.5).
type EffectiveNSG struct {
	NSGID       string
	Association string // "NetworkInterface", "Subnet" (or "NetworkManager" for Virtual Network Manager admin rules)
	Rules       []EffectiveRule
}

// EffectiveRule is one effective security rule, as Azure reports it: Name is
// "securityRules/<name>" or "defaultSecurityRules/<name>" (older answers use
// "DefaultRule_<name>"), Protocol "All", "Tcp" or "Udp", prefixes may be
// "0.0.0.0/0" for "*" and ports ranges such as "0-65535" or "443-443".
// Sources, Destinations and DestPorts merge the singular and plural fields;
// ExpandedDestinations lists the addresses of the service tags among the
// destinations.
type EffectiveRule struct {
	Name, Direction, Access, Protocol string
	Priority                          int32
	Sources, Destinations, DestPorts  []string
	ExpandedDestinations              []string
}

// BeginEffectiveRules starts listing the effective security rules of a NIC
// (InterfacesClient.BeginListEffectiveNetworkSecurityGroups, a long-running
// operation; the NIC's VM must be running, else Azure answers 400, code
// UNCONFIRMED). The
// second result returns the rules once the operation is done (nil before).
// With a resume token from an earlier run it waits for that operation again.
func (c *Client) BeginEffectiveRules(ctx context.Context, nicID, resumeToken string) (*Operation, func() []EffectiveNSG, error) {
	const op = "list-effective-rules"
	if nicID == "" {
		return nil, nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	rid, err := parseID(op, nicID)
	if err != nil {
		return nil, nil, err
	}
	sc, err := c.forSub(rid.SubscriptionID)
	if err != nil {
		return nil, nil, Classify(op, err)
	}
	var initial *http.Response // a synchronous answer is the result itself
	p, err := sc.nics.BeginListEffectiveNetworkSecurityGroups(policy.WithCaptureResponse(ctx, &initial), rid.ResourceGroupName, rid.Name,
		&armnetwork.InterfacesClientBeginListEffectiveNetworkSecurityGroupsOptions{ResumeToken: resumeToken})
	return beginLenientRead(op, p, initial, err,
		func(t *armnetwork.InterfacesClientListEffectiveNetworkSecurityGroupsResponse) any {
			return t.EffectiveNetworkSecurityGroupListResult
		}, effectiveListJSON.nsgs)
}

// effectiveListJSON reads an effective NSG list. tagMap is left out on
// purpose: the REST spec (and so armnetwork) types it as a string, other
// SDKs (hashicorp/go-azure-sdk) as an object of lists, which armnetwork
// cannot unmarshal; either way the rules are read (newLenientOperation).
type effectiveListJSON struct {
	Value []struct {
		NetworkSecurityGroup *idRef `json:"networkSecurityGroup"`
		Association          struct {
			NetworkInterface *idRef `json:"networkInterface"`
			Subnet           *idRef `json:"subnet"`
			NetworkManager   *idRef `json:"networkManager"`
		} `json:"association"`
		EffectiveSecurityRules []struct {
			Name                             string   `json:"name"`
			Protocol                         string   `json:"protocol"`
			Access                           string   `json:"access"`
			Direction                        string   `json:"direction"`
			Priority                         int32    `json:"priority"`
			SourceAddressPrefix              string   `json:"sourceAddressPrefix"`
			SourceAddressPrefixes            []string `json:"sourceAddressPrefixes"`
			DestinationAddressPrefix         string   `json:"destinationAddressPrefix"`
			DestinationAddressPrefixes       []string `json:"destinationAddressPrefixes"`
			DestinationPortRange             string   `json:"destinationPortRange"`
			DestinationPortRanges            []string `json:"destinationPortRanges"`
			ExpandedDestinationAddressPrefix []string `json:"expandedDestinationAddressPrefix"`
		} `json:"effectiveSecurityRules"`
	} `json:"value"`
}

func (d effectiveListJSON) nsgs() []EffectiveNSG {
	out := []EffectiveNSG{}
	for _, v := range d.Value {
		e := EffectiveNSG{NSGID: refID(v.NetworkSecurityGroup)}
		switch {
		case v.Association.NetworkInterface != nil:
			e.Association = "NetworkInterface"
		case v.Association.Subnet != nil:
			e.Association = "Subnet"
		case v.Association.NetworkManager != nil:
			e.Association = "NetworkManager"
		}
		for _, r := range v.EffectiveSecurityRules {
			e.Rules = append(e.Rules, EffectiveRule{
				Name: r.Name, Direction: r.Direction, Access: r.Access, Protocol: r.Protocol, Priority: r.Priority,
				Sources:              distinct(plural(r.SourceAddressPrefix, r.SourceAddressPrefixes)),
				Destinations:         distinct(plural(r.DestinationAddressPrefix, r.DestinationAddressPrefixes)),
				DestPorts:            distinct(plural(r.DestinationPortRange, r.DestinationPortRanges)),
				ExpandedDestinations: r.ExpandedDestinationAddressPrefix,
			})
		}
		out = append(out, e)
	}
	return out
}

// distinct drops repeated values, keeping the first of each (effective
// rules repeat the singular value in the plural list).
func distinct(in []string) []string {
	if len(in) < 2 {
		return in
	}
	out := in[:0:0]
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// beginLenientRead ends a Begin… of a long-running read whose answer this
// package decodes itself, into a document D that read turns into the
// result: p and err are what the Begin call returned, initial the answer
// it started with (captured). A 200 answered at once in a shape the SDK
// model cannot hold is read here (the operation is then already done);
// else the operation's typed result (model picks it out of T) or, when the
// SDK cannot hold that either, its raw answer is read once it is done. The
// second result returns what read made, nil-valued before.
func beginLenientRead[T, D, R any](op string, p *runtime.Poller[T], initial *http.Response, err error,
	model func(*T) any, read func(D) R) (*Operation, func() R, error) {
	var (
		mu  sync.Mutex
		out R
	)
	result := func() R {
		mu.Lock()
		defer mu.Unlock()
		return out
	}
	if err != nil {
		e := Classify(op, err)
		// answered at once, in a shape the SDK model cannot hold: read it here
		if ae, _ := AsError(e); ae != nil && ae.Kind == KindBadResponse && initial != nil && initial.StatusCode == http.StatusOK {
			if raw, perr := runtime.Payload(initial); perr == nil {
				var doc D
				if json.Unmarshal(raw, &doc) == nil {
					out = read(doc)
					return doneOperation(op), result, nil
				}
			}
		}
		return nil, nil, e
	}
	o := newLenientOperation(op, p, initial, func(typed *T, raw []byte) error {
		var doc D
		if typed != nil {
			if err := viaJSON(op, model(typed), &doc); err != nil {
				return err
			}
		} else if err := json.Unmarshal(raw, &doc); err != nil {
			return &Error{Kind: KindBadResponse, Op: op, Message: err.Error(), Err: err}
		}
		v := read(doc)
		mu.Lock()
		out = v
		mu.Unlock()
		return nil
	})
	return o, result, nil
}

// newLenientOperation is newOperation for a result this package also knows
// how to read from the raw answer: when the SDK model cannot hold Azure's
// final answer (KindBadResponse), onDone gets the raw body instead of the
// typed result. initial is the answer that started the operation, if known.
func newLenientOperation[T any](op string, p *runtime.Poller[T], initial *http.Response, onDone func(typed *T, raw []byte) error) *Operation {
	o := &Operation{op: op}
	if tok, err := p.ResumeToken(); err == nil {
		o.token = tok
	}
	last := initial
	o.poll = func(ctx context.Context) (bool, error) {
		if !p.Done() {
			resp, err := p.Poll(ctx)
			if err != nil {
				return false, Classify(op, err)
			}
			if resp != nil {
				last = resp
			}
		}
		if !p.Done() {
			if tok, err := p.ResumeToken(); err == nil {
				o.token = tok
			}
			return false, nil
		}
		var final *http.Response
		res, err := p.Result(policy.WithCaptureResponse(ctx, &final))
		if final != nil {
			last = final
		}
		if err != nil {
			e := Classify(op, err)
			ae, _ := AsError(e)
			if ae != nil && ae.Kind == KindBadResponse && last != nil {
				raw, perr := runtime.Payload(last)
				if perr == nil {
					if derr := onDone(nil, raw); derr != nil {
						return true, Classify(op, derr)
					}
					return true, nil
				}
			}
			if ae != nil && ae.Kind != KindCanceled && ae.Kind != KindTimeout && ae.Kind != KindBadResponse {
				ae.Kind = KindOperation
			}
			return true, e
		}
		if derr := onDone(&res, nil); derr != nil {
			return true, Classify(op, derr)
		}
		return true, nil
	}
	return o
}

// Security rule enums and limits (AZURE.md §4.3).
const (
	minRulePriority      = 100
	maxRulePriority      = 4096
	maxRuleNameLength    = 80
	maxRuleDescription   = 140
	ruleProtocolAny      = "*"
	defaultRuleSourcePre = "*"
)

var (
	ruleDirections = []string{"Inbound", "Outbound"}
	ruleAccesses   = []string{"Allow", "Deny"}
	ruleProtocols  = []string{"Tcp", "Udp", "Icmp", "Esp", "Ah", ruleProtocolAny}
)

// ValidRuleName reports whether name is a valid NSG rule name: 1-80
// characters, letters, digits, '_', '.' and '-', starting with a letter or
// digit and ending with a letter, digit or '_'.
func ValidRuleName(name string) bool {
	if name == "" || len(name) > maxRuleNameLength {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		alnum := (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
		switch {
		case i == 0 && !alnum:
			return false
		case i == len(name)-1 && !alnum && ch != '_':
			return false
		case !alnum && ch != '_' && ch != '.' && ch != '-':
			return false
		}
	}
	return true
}

// ValidPortSpec reports whether s is a port spec a rule accepts: "*", a port
// ("443") or a range ("80-443"), ports 0-65535.
func ValidPortSpec(s string) bool {
	if s == "*" {
		return true
	}
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	return err1 == nil && err2 == nil && lo != "" && hi != "" && a >= 0 && b <= 65535 && a <= b &&
		!strings.HasPrefix(lo, "+") && !strings.HasPrefix(hi, "+")
}

// ValidateSecurityRule checks a rule to write against Azure's rules and
// returns "" or the reason it would be refused: "name", "priority" (100-4096),
// "direction", "access", "protocol", "destinations" (none given),
// "ports" (a destination or source port spec that is not "*", "N" or
// "N-M"), "sources" (an empty prefix) or "description" (over 140
// characters). Address prefixes and service tags are Azure's to judge.
// Uniqueness of the priority per direction is Azure's too
// (SecurityRuleConflict).
func ValidateSecurityRule(r SecurityRule) string {
	switch {
	case !ValidRuleName(r.Name):
		return "name"
	case r.Priority < minRulePriority || r.Priority > maxRulePriority:
		return "priority"
	case canonical(r.Direction, ruleDirections) == "":
		return "direction"
	case canonical(r.Access, ruleAccesses) == "":
		return "access"
	case canonical(r.Protocol, ruleProtocols) == "":
		return "protocol"
	case len(r.Destinations) == 0:
		return "destinations"
	case len(r.DestPorts) == 0:
		return "ports"
	case len([]rune(r.Description)) > maxRuleDescription:
		return "description"
	}
	for _, p := range append(append([]string(nil), r.DestPorts...), r.SourcePorts...) {
		if !ValidPortSpec(p) {
			return "ports"
		}
	}
	for _, p := range r.Destinations {
		if strings.TrimSpace(p) == "" {
			return "destinations"
		}
	}
	for _, p := range r.Sources {
		if strings.TrimSpace(p) == "" {
			return "sources"
		}
	}
	return ""
}

// canonical returns the member of set equal to s ignoring case, or "".
func canonical(s string, set []string) string {
	for _, v := range set {
		if strings.EqualFold(s, v) {
			return v
		}
	}
	return ""
}

// ruleModel is the SDK body of a rule PUT: a single value in the singular
// field, several in the plural one (never both, AZURE.md §4.3); no sources or
// source ports mean "*".
func ruleModel(r SecurityRule) armnetwork.SecurityRule {
	p := &armnetwork.SecurityRulePropertiesFormat{
		Access:    to.Ptr(armnetwork.SecurityRuleAccess(canonical(r.Access, ruleAccesses))),
		Direction: to.Ptr(armnetwork.SecurityRuleDirection(canonical(r.Direction, ruleDirections))),
		Priority:  to.Ptr(r.Priority),
		Protocol:  to.Ptr(armnetwork.SecurityRuleProtocol(canonical(r.Protocol, ruleProtocols))),
	}
	if r.Description != "" {
		p.Description = to.Ptr(r.Description)
	}
	one := func(vals []string, def string) (*string, []*string) {
		if len(vals) == 0 {
			return to.Ptr(def), nil
		}
		if len(vals) == 1 {
			return to.Ptr(vals[0]), nil
		}
		return nil, to.SliceOfPtrs(vals...)
	}
	p.SourceAddressPrefix, p.SourceAddressPrefixes = one(r.Sources, defaultRuleSourcePre)
	p.SourcePortRange, p.SourcePortRanges = one(r.SourcePorts, "*")
	p.DestinationAddressPrefix, p.DestinationAddressPrefixes = one(r.Destinations, "")
	p.DestinationPortRange, p.DestinationPortRanges = one(r.DestPorts, "")
	return armnetwork.SecurityRule{Properties: p}
}

// BeginPutSecurityRule creates or updates one rule of an NSG
// (SecurityRulesClient.BeginCreateOrUpdate, a long-running operation that
// ends with the rule as Azure stored it; read it back with SecurityRule). The
// rule is checked with ValidateSecurityRule first (KindInvalid,
// CodeInvalidSecurityRule, Message the reason). Azure refuses a priority
// another rule of the same direction uses (400 SecurityRuleConflict, code
// UNCONFIRMED) and a write while another write on the NSG runs (429
// RetryableErrorDueToAnotherOperation, KindThrottled with RetryAfter):
// callers write one rule per NSG at a time (AZURE.md §8.2). With a resume
// token from an earlier run it waits for that operation again (r is then
// not sent and not checked).
func (c *Client) BeginPutSecurityRule(ctx context.Context, nsgID string, r SecurityRule, resumeToken string) (*Operation, error) {
	const op = "put-security-rule"
	if nsgID == "" || (r.Name == "" && resumeToken == "") {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	if resumeToken == "" {
		if reason := ValidateSecurityRule(r); reason != "" {
			return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeInvalidSecurityRule, Message: reason}
		}
	}
	rid, err := parseID(op, nsgID)
	if err != nil {
		return nil, err
	}
	cl, err := armnetwork.NewSecurityRulesClient(rid.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	p, err := cl.BeginCreateOrUpdate(ctx, rid.ResourceGroupName, rid.Name, r.Name, ruleModel(r),
		&armnetwork.SecurityRulesClientBeginCreateOrUpdateOptions{ResumeToken: resumeToken})
	if err != nil {
		return nil, Classify(op, err)
	}
	return newOperation(op, p, nil), nil
}

// SecurityRule reads one custom rule of an NSG; nil, nil when Azure answers
// 404 (no such rule, or no such NSG or group).
func (c *Client) SecurityRule(ctx context.Context, nsgID, name string) (*SecurityRule, error) {
	const op = "get-security-rule"
	if nsgID == "" || name == "" {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	rid, err := parseID(op, nsgID)
	if err != nil {
		return nil, err
	}
	cl, err := armnetwork.NewSecurityRulesClient(rid.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	resp, err := cl.Get(ctx, rid.ResourceGroupName, rid.Name, name, nil)
	if err != nil {
		e := Classify(op, err).(*Error)
		if absent(e) {
			return nil, nil
		}
		return nil, e
	}
	rule, err := ruleFrom(op, resp.SecurityRule)
	if err != nil {
		return nil, err
	}
	return &rule, nil
}

// ruleFrom reads one rule document with the fields SecurityRule reports
// beyond those of the inventory (description, source ports).
func ruleFrom(op string, model any) (SecurityRule, error) {
	var base ruleJSON
	if err := viaJSON(op, model, &base); err != nil {
		return SecurityRule{}, err
	}
	var extra struct {
		Properties struct {
			Description      string   `json:"description"`
			SourcePortRange  string   `json:"sourcePortRange"`
			SourcePortRanges []string `json:"sourcePortRanges"`
		} `json:"properties"`
	}
	if err := viaJSON(op, model, &extra); err != nil {
		return SecurityRule{}, err
	}
	r := base.rule(false)
	r.Description = extra.Properties.Description
	r.SourcePorts = plural(extra.Properties.SourcePortRange, extra.Properties.SourcePortRanges)
	return r, nil
}

// ServiceTag is one service tag with its address prefixes, IPv4 and IPv6
// apart (AZURE.md §4.4).
type ServiceTag struct {
	Name          string // Storage, Storage.WestEurope, …
	Region        string // "" for a tag that spans every region
	SystemService string
	IPv4, IPv6    []string
	ChangeNumber  string
}

// ServiceTags lists the service tags of a region with their address
// prefixes (ServiceTagsClient.List): the tags of that region
// (Storage.WestEurope) and those that span every region (Storage,
// AzureActiveDirectory). Azure's answer covers every region of the cloud;
// the others are left out. changeNumber is the list's version: record it
// with rules made of the prefixes and refresh when it changes.
func (c *Client) ServiceTags(ctx context.Context, subscriptionID, location string) (changeNumber string, tags []ServiceTag, err error) {
	const op = "list-service-tags"
	if subscriptionID == "" || location == "" {
		return "", nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	cl, err := armnetwork.NewServiceTagsClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return "", nil, Classify(op, err)
	}
	resp, err := cl.List(ctx, location, nil)
	if err != nil {
		return "", nil, Classify(op, err)
	}
	var doc struct {
		ChangeNumber string `json:"changeNumber"`
		Values       []struct {
			Name       string `json:"name"`
			ID         string `json:"id"`
			Properties struct {
				ChangeNumber    string   `json:"changeNumber"`
				Region          string   `json:"region"`
				SystemService   string   `json:"systemService"`
				AddressPrefixes []string `json:"addressPrefixes"`
			} `json:"properties"`
		} `json:"values"`
	}
	if err := viaJSON(op, resp.ServiceTagsListResult, &doc); err != nil {
		return "", nil, err
	}
	want := NormalizeLocation(location)
	tags = []ServiceTag{}
	for _, v := range doc.Values {
		p := v.Properties
		if p.Region != "" && NormalizeLocation(p.Region) != want {
			continue
		}
		t := ServiceTag{Name: v.Name, Region: p.Region, SystemService: p.SystemService, ChangeNumber: p.ChangeNumber}
		if t.Name == "" {
			t.Name = v.ID
		}
		for _, pre := range p.AddressPrefixes {
			if strings.Contains(pre, ":") {
				t.IPv6 = append(t.IPv6, pre)
			} else {
				t.IPv4 = append(t.IPv4, pre)
			}
		}
		tags = append(tags, t)
	}
	return doc.ChangeNumber, tags, nil
}

// NetworkWatcher returns the id of the subscription's Network Watcher in a
// region ("" when there is none). Azure creates one per region in
// NetworkWatcherRG by convention, named NetworkWatcher_<region>; it is
// found here by listing, whatever its name and group.
func (c *Client) NetworkWatcher(ctx context.Context, subscriptionID, location string) (string, error) {
	const op = "find-network-watcher"
	if subscriptionID == "" || location == "" {
		return "", &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	cl, err := armnetwork.NewWatchersClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return "", Classify(op, err)
	}
	want := NormalizeLocation(location)
	found := ""
	pager := cl.NewListAllPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return "", Classify(op, err)
		}
		for _, w := range page.Value {
			if w == nil || w.ID == nil || NormalizeLocation(str(w.Location)) != want {
				continue
			}
			// several in a region should not happen; take the first by id
			if found == "" || strings.ToLower(*w.ID) < strings.ToLower(found) {
				found = *w.ID
			}
		}
	}
	return found, nil
}

// FlowCheck is the packet IP flow verify judges. Direction is "Outbound"
// (default) or "Inbound"; Protocol "TCP" (default) or "UDP"; LocalIP is the
// VM's private address; a port is a number or "*" (LocalPort defaults to
// "*").
type FlowCheck struct {
	VMID, Direction, Protocol, LocalIP, LocalPort, RemoteIP, RemotePort string
}

// flowPollEvery is how often VerifyIPFlow asks how its operation is doing.
var flowPollEvery = 2 * time.Second

// VerifyIPFlow asks a Network Watcher whether a packet would pass the NSGs
// of a VM (WatchersClient.BeginVerifyIPFlow; the VM must run) and returns
// "Allow" or "Deny" and the deciding rule as Azure names it
// ("securityRules/<name>" or "defaultSecurityRules/<name>"; "" when no rule
// decided). It drives the long-running operation to its end itself, asking
// every 2 s, and gives up when ctx ends.
func (c *Client) VerifyIPFlow(ctx context.Context, watcherID string, f FlowCheck) (access, rule string, err error) {
	const op = "verify-ip-flow"
	if watcherID == "" || f.VMID == "" || f.LocalIP == "" || f.RemoteIP == "" || f.RemotePort == "" {
		return "", "", &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	rid, err := parseID(op, watcherID)
	if err != nil {
		return "", "", err
	}
	cl, err := armnetwork.NewWatchersClient(rid.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return "", "", Classify(op, err)
	}
	dir := canonical(f.Direction, ruleDirections)
	if f.Direction == "" {
		dir = "Outbound"
	}
	proto := strings.ToUpper(f.Protocol)
	if proto == "" {
		proto = "TCP"
	}
	if dir == "" || (proto != "TCP" && proto != "UDP") {
		return "", "", &Error{Kind: KindInvalid, Op: op, Code: CodeInvalidFlowCheck}
	}
	local := f.LocalPort
	if local == "" {
		local = "*"
	}
	params := armnetwork.VerificationIPFlowParameters{
		Direction:        to.Ptr(armnetwork.Direction(dir)),
		Protocol:         to.Ptr(armnetwork.IPFlowProtocol(proto)),
		LocalIPAddress:   to.Ptr(f.LocalIP),
		LocalPort:        to.Ptr(local),
		RemoteIPAddress:  to.Ptr(f.RemoteIP),
		RemotePort:       to.Ptr(f.RemotePort),
		TargetResourceID: to.Ptr(f.VMID),
	}
	p, err := cl.BeginVerifyIPFlow(ctx, rid.ResourceGroupName, rid.Name, params, nil)
	if err != nil {
		return "", "", Classify(op, err)
	}
	o := newOperation(op, p, func(r armnetwork.WatchersClientVerifyIPFlowResponse) {
		if r.Access != nil {
			access = string(*r.Access)
		}
		rule = str(r.RuleName)
	})
	if err := o.Wait(ctx, flowPollEvery, nil); err != nil {
		return "", "", err
	}
	return access, rule, nil
}

// EffectiveRoute is one route of a NIC's effective route table, as Azure
// reports it (AZURE.md §4.5): Source is Default (a system route), User (a
// route table's route, Name its name), VirtualNetworkGateway (learned by
// BGP) or Unknown; State Active or Invalid (overridden by a user route of
// the same prefix); AddressPrefixes are CIDRs (a service-tag route may be
// listed with the tag's addresses); NextHopType Internet, VirtualAppliance,
// VirtualNetworkGateway, VnetLocal, VNetPeering, VirtualNetworkServiceEndpoint,
// None, …
type EffectiveRoute struct {
	Name, Source, State string
	AddressPrefixes     []string
	NextHopType         string
	NextHopIPs          []string
}

// BeginEffectiveRoutes starts reading the effective route table of a NIC
// (InterfacesClient.BeginGetEffectiveRouteTable, POST
// …/networkInterfaces/{nic}/effectiveRouteTable, a long-running operation;
// the NIC's VM must be running, else Azure answers 400). The second result
// returns the routes once the operation is done (nil before). With a resume
// token from an earlier run it waits for that operation again.
func (c *Client) BeginEffectiveRoutes(ctx context.Context, nicID, resumeToken string) (*Operation, func() []EffectiveRoute, error) {
	const op = "get-effective-routes"
	if nicID == "" {
		return nil, nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	rid, err := parseID(op, nicID)
	if err != nil {
		return nil, nil, err
	}
	sc, err := c.forSub(rid.SubscriptionID)
	if err != nil {
		return nil, nil, Classify(op, err)
	}
	var initial *http.Response
	p, err := sc.nics.BeginGetEffectiveRouteTable(policy.WithCaptureResponse(ctx, &initial), rid.ResourceGroupName, rid.Name,
		&armnetwork.InterfacesClientBeginGetEffectiveRouteTableOptions{ResumeToken: resumeToken})
	return beginLenientRead(op, p, initial, err,
		func(t *armnetwork.InterfacesClientGetEffectiveRouteTableResponse) any {
			return t.EffectiveRouteListResult
		},
		effectiveRoutesJSON.routes)
}

// effectiveRoutesJSON reads an effective route list. addressPrefix and
// nextHopIpAddress are lists in the REST spec; a single string is read too.
type effectiveRoutesJSON struct {
	Value []struct {
		Name             string          `json:"name"`
		Source           string          `json:"source"`
		State            string          `json:"state"`
		AddressPrefix    json.RawMessage `json:"addressPrefix"`
		NextHopType      string          `json:"nextHopType"`
		NextHopIPAddress json.RawMessage `json:"nextHopIpAddress"`
	} `json:"value"`
}

func (d effectiveRoutesJSON) routes() []EffectiveRoute {
	out := []EffectiveRoute{}
	for _, v := range d.Value {
		out = append(out, EffectiveRoute{Name: v.Name, Source: v.Source, State: v.State, NextHopType: v.NextHopType,
			AddressPrefixes: stringOrList(v.AddressPrefix), NextHopIPs: stringOrList(v.NextHopIPAddress)})
	}
	return out
}

// stringOrList reads a JSON string or list of strings (nil otherwise).
func stringOrList(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}
