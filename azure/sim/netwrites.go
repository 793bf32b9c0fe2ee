package sim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The Network RP's writes and diagnostics the Network step uses (AZURE.md §4),
// answered natively so that they take time and survive the process like
// every long-running operation of the simulator (operations.go):
//
//   - PUT …/networkSecurityGroups/{nsg}/securityRules/{rule}: 201 (200 for an
//     existing rule) with provisioningState Updating and an
//     Azure-AsyncOperation URL; the rule is in the NSG document once the
//     operation finishes. Another write on the same NSG meanwhile is 429
//     RetryableErrorDueToAnotherOperation (AZURE.md §8.2).
//   - GET of one rule (also the SDK poller's final GET, which carries no API
//     name and so cannot go through the armnetwork fake).
//   - POST …/networkInterfaces/{nic}/effectiveNetworkSecurityGroups and
//     …/networkWatchers/{w}/ipFlowVerify: 202 with Azure-AsyncOperation and
//     Location; the Location URL answers the result once done.
//   - GET …/locations/{loc}/serviceTags and the subscription's Network
//     Watchers (scenario resources of type Microsoft.Network/networkWatchers,
//     by convention NetworkWatcher_<region> in NetworkWatcherRG).
//
// networkRoutes are put in front of the generic status routes (cloud.go):
// the Network RP's result URL …/locations/{loc}/operationResults/{id}
// answers 200 with a result, where the generic one answers 204.

// Operation kinds of this file.
const (
	opRulePut       = "network.securityRule.put"
	opEffectiveNSGs = "network.effectiveNSGs"
	opIPFlowVerify  = "network.ipFlowVerify"
)

// apiNetwork is the api-version armnetwork v7.2.0 sends.
const apiNetwork = "2025-01-01"

const (
	typeWatcher  = "microsoft.network/networkwatchers"
	typeRuleName = "Microsoft.Network/networkSecurityGroups/securityRules"
	wireServer   = "168.63.129.16"
)

// Error codes. Those marked UNCONFIRMED are the simulator's best guess
// (AZURE.md §11 lists the duplicate-priority code as an open item).
const (
	codeRuleConflict      = "SecurityRuleConflict"                // UNCONFIRMED (AZURE.md §11)
	codeAnotherOperation  = "RetryableErrorDueToAnotherOperation" // AZURE.md §8.2
	codeRuleBadPriority   = "SecurityRuleInvalidPriority"         // UNCONFIRMED
	codeRuleBadPort       = "SecurityRuleInvalidPortRange"        // UNCONFIRMED
	codeRuleBadPrefix     = "SecurityRuleInvalidAddressPrefix"    // UNCONFIRMED
	codeRuleBadProtocol   = "SecurityRuleInvalidProtocol"         // UNCONFIRMED
	codeRuleBadDirection  = "SecurityRuleInvalidDirection"        // UNCONFIRMED
	codeRuleBadAccess     = "SecurityRuleInvalidAccess"           // UNCONFIRMED
	codeRuleBothForms     = "SecurityRuleInvalidParameters"       // UNCONFIRMED: singular and plural field both given
	codeRuleDescription   = "SecurityRuleDescriptionTooLong"      // UNCONFIRMED
	codeBadRequestContent = "InvalidRequestFormat"
	codeBadResourceName   = "InvalidResourceName"
	codeVMNotRunning      = "VirtualMachineNotRunning" // UNCONFIRMED: effective rules and IP flow verify of a VM that does not run
	codeFlowBadInput      = "InvalidIpFlowVerifyInput" // UNCONFIRMED
	codeFlowOtherRegion   = "TargetResourceNotInNetworkWatcherRegion"
	codeBadLocation       = "NoRegisteredProviderFound" // ARM's answer for a location a provider does not serve; UNCONFIRMED here
)

func init() {
	finishers[opRulePut] = finishRulePut
	finishers[opEffectiveNSGs] = finishEffectiveNSGs
	finishers[opIPFlowVerify] = finishIPFlowVerify
}

// networkRoutes are the Network RP requests answered natively, and the Run
// Command ones (runcommand.go).
func (c *Cloud) networkRoutes() []nativeRoute {
	const rg = `(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network`
	const loc = `(?i)^/subscriptions/([^/]+)/providers/Microsoft\.Network/locations/([^/]+)`
	rule := regexp.MustCompile(rg + `/networkSecurityGroups/([^/]+)/securityRules/([^/]+)$`)
	routes := []nativeRoute{
		{method: http.MethodPut, re: rule, serve: c.putRule},
		{method: http.MethodGet, re: rule, serve: c.getRule},
		{method: http.MethodPost, re: regexp.MustCompile(rg + `/networkInterfaces/([^/]+)/effectiveNetworkSecurityGroups$`), serve: c.effectiveNSGs},
		{method: http.MethodPost, re: regexp.MustCompile(rg + `/networkWatchers/([^/]+)/ipFlowVerify$`), serve: c.ipFlowVerify},
		{method: http.MethodGet, re: regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/providers/Microsoft\.Network/networkWatchers/?$`), serve: c.listWatchers},
		{method: http.MethodGet, re: regexp.MustCompile(loc + `/serviceTags/?$`), serve: c.serviceTags},
		{method: http.MethodGet, re: regexp.MustCompile(loc + `/operations/([^/]+)$`), serve: c.netOpStatus},
		{method: http.MethodGet, re: regexp.MustCompile(loc + `/operationResults/([^/]+)$`), serve: c.netOpResult},
	}
	return append(routes, c.runCommandRoutes()...)
}

// netOpData is what a network operation keeps until it finishes, and its
// result after.
type netOpData struct {
	Location string          `json:"location"`
	Rule     json.RawMessage `json:"rule,omitempty"` // rule PUT: the rule document
	RuleName string          `json:"ruleName,omitempty"`
	NIC      string          `json:"nic,omitempty"`
	Flow     *flowInput      `json:"flow,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
}

func opData[T any](op *simOp) T {
	var d T
	if len(op.Data) > 0 {
		_ = json.Unmarshal(op.Data, &d)
	}
	return d
}

func setOpData(op *simOp, d any) {
	op.Data, _ = json.Marshal(d)
}

// retryAfterSeconds is a Retry-After value for an operation: what is left of
// it, at least 1 s.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// netOpHeaders are the headers of a Network RP write or action that started
// op: Azure-AsyncOperation …/locations/{loc}/operations/{id} and, for
// actions with a result, Location …/operationResults/{id}.
func (c *Cloud) netOpHeaders(sub, loc string, op *simOp, withResult bool) http.Header {
	base := "/subscriptions/" + sub + "/providers/Microsoft.Network/locations/" + loc
	q := "api-version=" + apiNetwork
	h := http.Header{}
	h.Set("Azure-AsyncOperation", absURL(base+"/operations/"+op.ID, q))
	if withResult {
		h.Set("Location", absURL(base+"/operationResults/"+op.ID, q))
	}
	h.Set("Retry-After", retryAfterSeconds(c.opTime))
	return h
}

func (c *Cloud) netOpStatus(req *http.Request, info reqInfo, m []string) (*http.Response, *armError) {
	return c.serveOpStatus(req, info, []string{m[0], m[3]})
}

// netOpResult answers a Location URL: 202 while the operation runs, then its
// result (204 when it has none), or its failure.
func (c *Cloud) netOpResult(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	return c.opResult(req, m[3])
}

func (c *Cloud) opResult(req *http.Request, id string) (*http.Response, *armError) {
	op, ok := c.operation(id)
	if !ok {
		return nil, &armError{status: http.StatusNotFound, code: "OperationNotFound",
			message: fmt.Sprintf("The operation '%s' could not be found.", id)}
	}
	switch op.Status {
	case opInProgress:
		h := http.Header{}
		h.Set("Location", absURL(req.URL.Path, req.URL.RawQuery))
		h.Set("Retry-After", retryAfterSeconds(op.Ready.Sub(c.now())))
		return emptyResponse(req, http.StatusAccepted, h), nil
	case opFailed:
		return nil, &armError{status: http.StatusBadRequest, code: op.Code, message: op.Message}
	}
	d := opData[struct {
		Result json.RawMessage `json:"result"`
	}](&op)
	if isNull(d.Result) {
		return emptyResponse(req, http.StatusNoContent, nil), nil
	}
	return jsonResponse(req, http.StatusOK, d.Result, nil), nil
}

// ---- security rules ----

// ruleIn is a rule PUT body.
type ruleIn struct {
	Properties *struct {
		Description                *string         `json:"description"`
		Protocol                   string          `json:"protocol"`
		SourcePortRange            string          `json:"sourcePortRange"`
		SourcePortRanges           []string        `json:"sourcePortRanges"`
		DestinationPortRange       string          `json:"destinationPortRange"`
		DestinationPortRanges      []string        `json:"destinationPortRanges"`
		SourceAddressPrefix        string          `json:"sourceAddressPrefix"`
		SourceAddressPrefixes      []string        `json:"sourceAddressPrefixes"`
		DestinationAddressPrefix   string          `json:"destinationAddressPrefix"`
		DestinationAddressPrefixes []string        `json:"destinationAddressPrefixes"`
		SourceASGs                 json.RawMessage `json:"sourceApplicationSecurityGroups"`
		DestinationASGs            json.RawMessage `json:"destinationApplicationSecurityGroups"`
		Access                     string          `json:"access"`
		Priority                   *int64          `json:"priority"`
		Direction                  string          `json:"direction"`
	} `json:"properties"`
}

var (
	simDirections = []string{"Inbound", "Outbound"}
	simAccesses   = []string{"Allow", "Deny"}
	simProtocols  = []string{"Tcp", "Udp", "Icmp", "Esp", "Ah", "*"}
)

func canon(s string, set []string) string {
	for _, v := range set {
		if strings.EqualFold(s, v) {
			return v
		}
	}
	return ""
}

// validRuleName is Azure's rule name rule (AZURE.md §4.3): 1-80 characters,
// letters, digits, '_', '.' and '-', starting with a letter or digit and
// ending with a letter, digit or '_'.
func validRuleName(name string) bool {
	if name == "" || len(name) > 80 {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		alnum := (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
		if (i == 0 && !alnum) || (i == len(name)-1 && !alnum && ch != '_') || (!alnum && ch != '_' && ch != '.' && ch != '-') {
			return false
		}
	}
	return true
}

// validPort is a rule port spec: "*", "443" or "80-443" (0-65535).
func validPort(s string) bool {
	if s == "*" {
		return true
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	return err1 == nil && err2 == nil && !strings.HasPrefix(lo, "+") && !strings.HasPrefix(hi, "+") && a >= 0 && b <= 65535 && a <= b
}

// validPrefix is an address prefix a rule accepts: "*", a CIDR or an
// address (IPv4 or IPv6), or a service tag this simulated cloud knows.
func validPrefix(p string) bool {
	if p == "*" {
		return true
	}
	if _, err := netip.ParsePrefix(p); err == nil {
		return true
	}
	if _, err := netip.ParseAddr(p); err == nil {
		return true
	}
	return knownTag(p)
}

// checkRule validates a rule PUT body as the Network RP does and returns
// the rule's properties as Azure stores them.
func checkRule(name string, in ruleIn) (map[string]any, *armError) {
	if !validRuleName(name) {
		return nil, badRequest(codeBadResourceName, fmt.Sprintf("Resource name %s is invalid. The name can be up to 80 characters long. "+
			"It must begin with a word character, and it must end with a word character or with '_'. "+
			"The name may contain word characters or '.', '-', '_'.", name))
	}
	p := in.Properties
	if p == nil {
		return nil, badRequest(codeBadRequestContent, "Security rule "+name+" has no properties.")
	}
	ruleErr := func(code, what, value string) *armError {
		return badRequest(code, fmt.Sprintf("Security rule %s has invalid %s. Value provided: %s", name, what, value))
	}
	props := map[string]any{}
	if p.Priority == nil || *p.Priority < 100 || *p.Priority > 4096 {
		v := ""
		if p.Priority != nil {
			v = strconv.FormatInt(*p.Priority, 10)
		}
		return nil, badRequest(codeRuleBadPriority, fmt.Sprintf("Security rule %s has invalid Priority. Value provided: %s Allowed range 100-4096.", name, v))
	}
	props["priority"] = *p.Priority
	if props["direction"] = canon(p.Direction, simDirections); props["direction"] == "" {
		return nil, ruleErr(codeRuleBadDirection, "Direction", p.Direction)
	}
	if props["access"] = canon(p.Access, simAccesses); props["access"] == "" {
		return nil, ruleErr(codeRuleBadAccess, "Access", p.Access)
	}
	if props["protocol"] = canon(p.Protocol, simProtocols); props["protocol"] == "" {
		return nil, ruleErr(codeRuleBadProtocol, "Protocol", p.Protocol)
	}
	if p.Description != nil {
		if len([]rune(*p.Description)) > 140 {
			return nil, badRequest(codeRuleDescription, "Security rule "+name+" has a description longer than 140 characters.")
		}
		props["description"] = *p.Description
	}
	type pair struct {
		one, manyKey, oneKey, what, code string
		many                             []string
		ok                               func(string) bool
		asg                              json.RawMessage
	}
	for _, f := range []pair{
		{p.SourceAddressPrefix, "sourceAddressPrefixes", "sourceAddressPrefix", "Address prefix", codeRuleBadPrefix, p.SourceAddressPrefixes, validPrefix, p.SourceASGs},
		{p.DestinationAddressPrefix, "destinationAddressPrefixes", "destinationAddressPrefix", "Address prefix", codeRuleBadPrefix, p.DestinationAddressPrefixes, validPrefix, p.DestinationASGs},
		{p.SourcePortRange, "sourcePortRanges", "sourcePortRange", "Port range", codeRuleBadPort, p.SourcePortRanges, validPort, nil},
		{p.DestinationPortRange, "destinationPortRanges", "destinationPortRange", "Port range", codeRuleBadPort, p.DestinationPortRanges, validPort, nil},
	} {
		if f.one != "" && len(f.many) > 0 {
			return nil, badRequest(codeRuleBothForms, fmt.Sprintf("Security rule %s has both %s and %s; use one of them.", name, f.oneKey, f.manyKey))
		}
		if f.one == "" && len(f.many) == 0 && isNull(f.asg) {
			return nil, ruleErr(f.code, f.what, "")
		}
		for _, v := range both(f.one, f.many) {
			if !f.ok(v) {
				return nil, ruleErr(f.code, f.what, v)
			}
		}
		if f.one != "" {
			props[f.oneKey] = f.one
		}
		props[f.manyKey] = append([]string{}, f.many...)
		if !isNull(f.asg) {
			asgKey := strings.TrimSuffix(f.oneKey, "AddressPrefix") + "ApplicationSecurityGroups"
			props[asgKey] = f.asg
		}
	}
	return props, nil
}

// ruleDocument is a rule as the Network RP returns it.
func ruleDocument(nsgID, name, etag string, props map[string]any, state string) json.RawMessage {
	p := make(map[string]any, len(props)+1)
	for k, v := range props {
		p[k] = v
	}
	p["provisioningState"] = state
	b, _ := json.Marshal(map[string]any{
		"name": name, "id": nsgID + "/securityRules/" + name, "etag": etag, "type": typeRuleName, "properties": p,
	})
	return b
}

// nsgRule is an NSG rule as the simulator evaluates it.
type nsgRule struct {
	Name       string `json:"name"`
	Default    bool   `json:"-"`
	Properties struct {
		Protocol                   string   `json:"protocol"`
		Access                     string   `json:"access"`
		Direction                  string   `json:"direction"`
		Priority                   int64    `json:"priority"`
		SourceAddressPrefix        string   `json:"sourceAddressPrefix"`
		SourceAddressPrefixes      []string `json:"sourceAddressPrefixes"`
		DestinationAddressPrefix   string   `json:"destinationAddressPrefix"`
		DestinationAddressPrefixes []string `json:"destinationAddressPrefixes"`
		SourcePortRange            string   `json:"sourcePortRange"`
		SourcePortRanges           []string `json:"sourcePortRanges"`
		DestinationPortRange       string   `json:"destinationPortRange"`
		DestinationPortRanges      []string `json:"destinationPortRanges"`
	} `json:"properties"`
}

func both(one string, many []string) []string {
	if one != "" {
		return append([]string{one}, many...)
	}
	return many
}

func (r nsgRule) sources() []string {
	return both(r.Properties.SourceAddressPrefix, r.Properties.SourceAddressPrefixes)
}
func (r nsgRule) destinations() []string {
	return both(r.Properties.DestinationAddressPrefix, r.Properties.DestinationAddressPrefixes)
}
func (r nsgRule) sourcePorts() []string {
	return both(r.Properties.SourcePortRange, r.Properties.SourcePortRanges)
}
func (r nsgRule) destPorts() []string {
	return both(r.Properties.DestinationPortRange, r.Properties.DestinationPortRanges)
}

// azureName is the name effective rules and IP flow verify give a rule.
func (r nsgRule) azureName() string {
	if r.Default {
		return "defaultSecurityRules/" + r.Name
	}
	return "securityRules/" + r.Name
}

// nsgDoc reads the parts of an NSG document the simulator works with.
type nsgDoc struct {
	Properties struct {
		SecurityRules        []nsgRule `json:"securityRules"`
		DefaultSecurityRules []nsgRule `json:"defaultSecurityRules"`
	} `json:"properties"`
}

// rulesOf lists an NSG's custom and default rules of a direction ("" for
// both) by priority.
func rulesOf(doc json.RawMessage, direction string) []nsgRule {
	var d nsgDoc
	_ = json.Unmarshal(doc, &d)
	var out []nsgRule
	for i, list := range [][]nsgRule{d.Properties.SecurityRules, d.Properties.DefaultSecurityRules} {
		for _, r := range list {
			r.Default = i == 1
			if direction == "" || strings.EqualFold(r.Properties.Direction, direction) {
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !strings.EqualFold(a.Properties.Direction, b.Properties.Direction) {
			return strings.EqualFold(a.Properties.Direction, "Inbound")
		}
		return a.Properties.Priority < b.Properties.Priority
	})
	return out
}

// withRule returns the NSG document with rule (a rule document) in its
// securityRules, replacing the rule of that name.
func withRule(doc json.RawMessage, name string, rule json.RawMessage, etag string) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, err
	}
	props := map[string]json.RawMessage{}
	if raw, ok := top["properties"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &props); err != nil {
			return nil, err
		}
	}
	var rules []json.RawMessage
	if raw, ok := props["securityRules"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &rules); err != nil {
			return nil, err
		}
	}
	replaced := false
	for i, r := range rules {
		var h struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(r, &h)
		if strings.EqualFold(h.Name, name) {
			rules[i], replaced = rule, true
		}
	}
	if !replaced {
		rules = append(rules, rule)
	}
	var err error
	if props["securityRules"], err = json.Marshal(rules); err != nil {
		return nil, err
	}
	if top["properties"], err = json.Marshal(props); err != nil {
		return nil, err
	}
	top["etag"], _ = json.Marshal(etag)
	return json.Marshal(top)
}

// ruleWriteRunning returns the write in progress on an NSG, if any.
func ruleWriteRunning(st *state, nsgID string) *simOp {
	for _, op := range st.ops {
		if op.Kind == opRulePut && op.Status == opInProgress && strings.EqualFold(op.Target, nsgID) {
			return op
		}
	}
	return nil
}

func simEtag(seed string) string {
	h := fnv.New64a()
	h.Write([]byte(seed))
	s := fmt.Sprintf("%016x%016x", h.Sum64(), h.Sum64()^0x9e3779b97f4a7c15)
	return fmt.Sprintf(`W/"%s-%s-%s-%s-%s"`, s[0:8], s[8:12], s[12:16], s[16:20], s[20:32])
}

func (c *Cloud) putRule(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	sub, rg, nsgName, name := m[1], m[2], m[3], m[4]
	var in ruleIn
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		return nil, badRequest(codeBadRequestContent, "The request content was invalid and could not be deserialized: "+err.Error())
	}
	props, ae := checkRule(name, in)
	if ae != nil {
		return nil, ae
	}
	var (
		out    json.RawMessage
		status = http.StatusCreated
		hdr    http.Header
	)
	err := c.mutate(func(st *state) error {
		nsg := st.res[strings.ToLower(armID(sub, rg, "Microsoft.Network/networkSecurityGroups", nsgName))]
		if nsg == nil {
			return notFound("Microsoft.Network/networkSecurityGroups", nsgName, rg)
		}
		if running := ruleWriteRunning(st, nsg.ID); running != nil {
			return &armError{status: http.StatusTooManyRequests, code: codeAnotherOperation,
				message: fmt.Sprintf("Operation on resource '%s' cannot be performed because another operation (%s) is in progress on the same resource. Retry later.", nsg.ID, running.ID),
				header:  http.Header{"Retry-After": []string{retryAfterSeconds(running.Ready.Sub(c.now()))}}}
		}
		for _, r := range rulesOf(nsg.doc, "") {
			if r.Default {
				continue
			}
			if strings.EqualFold(r.Name, name) {
				status = http.StatusOK
				continue
			}
			if strings.EqualFold(r.Properties.Direction, props["direction"].(string)) && r.Properties.Priority == props["priority"].(int64) {
				return badRequest(codeRuleConflict, fmt.Sprintf("Security rule %s conflicts with rule %s. Rules cannot have the same Priority and Direction. "+
					"To learn more, see aka.ms/nsgrules.", name, r.Name))
			}
		}
		loc := normLocation(nsg.Location)
		if loc == "" {
			loc = "westeurope"
		}
		op := c.startOp(st, opRulePut, nsg.ID, nil)
		out = ruleDocument(nsg.ID, name, simEtag(op.ID), props, "Updating")
		setOpData(op, netOpData{Location: loc, Rule: out, RuleName: name})
		hdr = c.netOpHeaders(sub, loc, op, false)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return jsonResponse(req, status, out, hdr), nil
}

// finishRulePut puts the rule into the NSG document.
func finishRulePut(_ *Cloud, st *state, op *simOp) {
	d := opData[netOpData](op)
	nsg := st.res[strings.ToLower(op.Target)]
	if nsg == nil {
		op.Status, op.Code, op.Message = opFailed, "NotFound", "The network security group was deleted while the rule was being written."
		return
	}
	doc, err := withRule(nsg.doc, d.RuleName, setProvisioningState(d.Rule, "Succeeded"), simEtag(op.ID))
	if err != nil {
		op.Status, op.Code, op.Message = opFailed, "InternalServerError", "The network security group document cannot be updated: "+err.Error()
		return
	}
	nsg.doc = doc
	st.gen++
}

func (c *Cloud) getRule(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	rg, nsgName, name := m[2], m[3], m[4]
	nsg, ae := c.lookup(req.Context(), rg, "Microsoft.Network/networkSecurityGroups", nsgName)
	if ae != nil {
		return nil, ae
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var d struct {
		Properties struct {
			SecurityRules []json.RawMessage `json:"securityRules"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(nsg.doc, &d)
	for _, raw := range d.Properties.SecurityRules {
		var h struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &h) == nil && strings.EqualFold(h.Name, name) {
			return jsonResponse(req, http.StatusOK, raw, nil), nil
		}
	}
	// a rule being written is reported Updating, as Azure does
	if op := ruleWriteRunning(c.st, nsg.ID); op != nil {
		if d := opData[netOpData](op); strings.EqualFold(d.RuleName, name) {
			return jsonResponse(req, http.StatusOK, d.Rule, nil), nil
		}
	}
	return nil, notFound(typeRuleName, nsgName+"/"+name, rg)
}

// ---- VMs and NICs ----

// vmPower reads whether a VM runs and whether its agent is Ready.
func vmPower(vm *resource) (running, agentReady bool, power string) {
	iv, err := instanceViewOf(vm)
	if err != nil || iv == nil {
		return false, false, ""
	}
	for _, s := range iv.Statuses {
		if s != nil && s.Code != nil && strings.HasPrefix(strings.ToLower(*s.Code), "powerstate/") {
			power = strings.ToLower(strings.TrimPrefix(strings.ToLower(*s.Code), "powerstate/"))
		}
	}
	running = power == "running"
	if iv.VMAgent != nil {
		for _, s := range iv.VMAgent.Statuses {
			if s != nil && s.DisplayStatus != nil && strings.EqualFold(*s.DisplayStatus, "Ready") {
				agentReady = true
			}
		}
	}
	return running, agentReady, power
}

// nicDoc is the part of a NIC document the simulator evaluates.
type nicDoc struct {
	Properties struct {
		NetworkSecurityGroup *struct {
			ID string `json:"id"`
		} `json:"networkSecurityGroup"`
		VirtualMachine *struct {
			ID string `json:"id"`
		} `json:"virtualMachine"`
		IPConfigurations []struct {
			Properties struct {
				PrivateIPAddress string `json:"privateIPAddress"`
				Primary          *bool  `json:"primary"`
				Subnet           *struct {
					ID string `json:"id"`
				} `json:"subnet"`
			} `json:"properties"`
		} `json:"ipConfigurations"`
	} `json:"properties"`
}

func readNIC(r *resource) nicDoc {
	var d nicDoc
	_ = json.Unmarshal(r.doc, &d)
	return d
}

func (d nicDoc) nsgID() string {
	if d.Properties.NetworkSecurityGroup == nil {
		return ""
	}
	return d.Properties.NetworkSecurityGroup.ID
}

func (d nicDoc) vmID() string {
	if d.Properties.VirtualMachine == nil {
		return ""
	}
	return d.Properties.VirtualMachine.ID
}

// subnetFor returns the subnet of the IP configuration with that address
// ("" picks the primary, else the first).
func (d nicDoc) subnetFor(ip string) string {
	pick := ""
	for i, c := range d.Properties.IPConfigurations {
		if c.Properties.Subnet == nil {
			continue
		}
		if ip != "" && c.Properties.PrivateIPAddress == ip {
			return c.Properties.Subnet.ID
		}
		if ip == "" && ((c.Properties.Primary != nil && *c.Properties.Primary) || i == 0) && pick == "" {
			pick = c.Properties.Subnet.ID
		}
	}
	return pick
}

func (d nicDoc) hasIP(ip string) bool {
	for _, c := range d.Properties.IPConfigurations {
		if c.Properties.PrivateIPAddress == ip {
			return true
		}
	}
	return false
}

// subnetFacts is what a subnet document says of the subnet's NSG and
// routes, with its VNet's address space.
type subnetFacts struct {
	vnetPrefixes     []string
	nsgID            string
	routeTableID     string
	serviceEndpoints []serviceEndpoint
}

type serviceEndpoint struct {
	Service   string   `json:"service"`
	Locations []string `json:"locations"`
}

// readSubnet reads a subnet's NSG, route table and service endpoints, and
// its VNet's address space (known even when the subnet is not). Caller
// holds the state lock. Like routeTableDoc it decodes separately from the
// client (azure/inventory.go), as Azure would.
func readSubnet(st *state, subnetID string) subnetFacts {
	var out subnetFacts
	i := strings.Index(strings.ToLower(subnetID), "/subnets/")
	if i < 0 {
		return out
	}
	vnet := st.res[strings.ToLower(subnetID[:i])]
	if vnet == nil {
		return out
	}
	type ref struct {
		ID string `json:"id"`
	}
	var d struct {
		Properties struct {
			AddressSpace struct {
				AddressPrefixes []string `json:"addressPrefixes"`
			} `json:"addressSpace"`
			Subnets []struct {
				ID         string `json:"id"`
				Properties struct {
					NetworkSecurityGroup *ref              `json:"networkSecurityGroup"`
					RouteTable           *ref              `json:"routeTable"`
					ServiceEndpoints     []serviceEndpoint `json:"serviceEndpoints"`
				} `json:"properties"`
			} `json:"subnets"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(vnet.doc, &d)
	out.vnetPrefixes = d.Properties.AddressSpace.AddressPrefixes
	for _, s := range d.Properties.Subnets {
		if !strings.EqualFold(s.ID, subnetID) {
			continue
		}
		if s.Properties.NetworkSecurityGroup != nil {
			out.nsgID = s.Properties.NetworkSecurityGroup.ID
		}
		if s.Properties.RouteTable != nil {
			out.routeTableID = s.Properties.RouteTable.ID
		}
		out.serviceEndpoints = s.Properties.ServiceEndpoints
	}
	return out
}

func vmNotRunning(what, vmName, power string) *armError {
	if power == "" {
		power = "unknown"
	}
	return badRequest(codeVMNotRunning, fmt.Sprintf("%s requires the network interface to be attached to a running virtual machine. "+
		"The virtual machine '%s' is not running (power state: %s). Start the virtual machine and try again.", what, vmName, power))
}

// ---- effective security rules ----

func (c *Cloud) effectiveNSGs(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	return c.startNICRead(req, m, opEffectiveNSGs, "Listing effective network security groups")
}

// startNICRead answers a POST that reads something of a NIC as its running
// VM has it (effective security rules, effective route table): 202 with the
// headers of an operation of kind, whose finisher computes the answer. what
// begins Azure's message when the NIC has no VM or the VM is not running.
func (c *Cloud) startNICRead(req *http.Request, m []string, kind, what string) (*http.Response, *armError) {
	sub, rg, name := m[1], m[2], m[3]
	nic, ae := c.lookup(req.Context(), rg, "Microsoft.Network/networkInterfaces", name)
	if ae != nil {
		return nil, ae
	}
	vmID := readNIC(nic).vmID()
	c.mu.RLock()
	vm := c.get(vmID)
	c.mu.RUnlock()
	if vm == nil {
		return nil, badRequest(codeVMNotRunning, fmt.Sprintf("%s requires the network interface to be "+
			"attached to a running virtual machine. The network interface '%s' is not attached to a virtual machine.", what, nic.Name))
	}
	if running, _, power := vmPower(vm); !running {
		return nil, vmNotRunning(what, vm.Name, power)
	}
	loc := normLocation(nic.Location)
	var hdr http.Header
	err := c.mutate(func(st *state) error {
		op := c.startOp(st, kind, nic.ID, nil)
		setOpData(op, netOpData{Location: loc, NIC: nic.ID})
		hdr = c.netOpHeaders(sub, loc, op, true)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return emptyResponse(req, http.StatusAccepted, hdr), nil
}

// finishEffectiveNSGs computes the effective rules as they are when the
// operation finishes.
func finishEffectiveNSGs(_ *Cloud, st *state, op *simOp) {
	d := opData[netOpData](op)
	nic := st.res[strings.ToLower(d.NIC)]
	if nic == nil {
		op.Status, op.Code, op.Message = opFailed, "NotFound", "The network interface was deleted."
		return
	}
	n := readNIC(nic)
	region := normLocation(nic.Location)
	var groups []map[string]any
	seen := map[string]bool{}
	add := func(nsgID, assocKey, assocID string, vnet []string) {
		nsg := st.res[strings.ToLower(nsgID)]
		if nsgID == "" || nsg == nil || seen[assocKey+strings.ToLower(nsgID+assocID)] {
			return
		}
		seen[assocKey+strings.ToLower(nsgID+assocID)] = true
		rules := []map[string]any{}
		for _, r := range rulesOf(nsg.doc, "") {
			rules = append(rules, effectiveRule(r, region, vnet))
		}
		groups = append(groups, map[string]any{
			"networkSecurityGroup":   map[string]string{"id": nsg.ID},
			"association":            map[string]any{assocKey: map[string]string{"id": assocID}},
			"effectiveSecurityRules": rules,
		})
	}
	add(n.nsgID(), "networkInterface", nic.ID, readSubnet(st, n.subnetFor("")).vnetPrefixes)
	for _, ipc := range n.Properties.IPConfigurations {
		if ipc.Properties.Subnet == nil {
			continue
		}
		sn := readSubnet(st, ipc.Properties.Subnet.ID)
		add(sn.nsgID, "subnet", ipc.Properties.Subnet.ID, sn.vnetPrefixes)
	}
	if groups == nil {
		groups = []map[string]any{}
	}
	d.Result, _ = json.Marshal(map[string]any{"value": groups})
	setOpData(op, d)
}

// effectiveRule is a rule as the effective rules show it: "*" prefixes as
// 0.0.0.0/0, ports as ranges ("0-65535", "443-443"), protocol "*" as All,
// service tags with their expansion.
func effectiveRule(r nsgRule, region string, vnet []string) map[string]any {
	prefixes := func(in []string) (list, expanded []string) {
		list, expanded = []string{}, []string{}
		for _, p := range in {
			if p == "*" {
				p = "0.0.0.0/0"
			}
			list = append(list, p)
			expanded = append(expanded, expandTag(p, region, vnet)...)
		}
		return list, expanded
	}
	ports := func(in []string) []string {
		out := []string{}
		for _, p := range in {
			switch {
			case p == "*":
				p = "0-65535"
			case !strings.Contains(p, "-"):
				p = p + "-" + p
			}
			out = append(out, p)
		}
		return out
	}
	src, srcX := prefixes(r.sources())
	dst, dstX := prefixes(r.destinations())
	sp, dp := ports(r.sourcePorts()), ports(r.destPorts())
	proto := r.Properties.Protocol
	if proto == "*" {
		proto = "All"
	}
	out := map[string]any{
		"name": r.azureName(), "protocol": proto, "access": r.Properties.Access, "priority": r.Properties.Priority,
		"direction":             r.Properties.Direction,
		"sourceAddressPrefixes": src, "destinationAddressPrefixes": dst,
		"expandedSourceAddressPrefix": srcX, "expandedDestinationAddressPrefix": dstX,
		"sourcePortRanges": sp, "destinationPortRanges": dp,
	}
	for k, v := range map[string][]string{"sourceAddressPrefix": src, "destinationAddressPrefix": dst, "sourcePortRange": sp, "destinationPortRange": dp} {
		if len(v) == 1 {
			out[k] = v[0]
		}
	}
	return out
}

// ---- service tags ----

// serviceTag is one service tag of the simulated cloud.
type serviceTag struct {
	Name, Region, System, Change string
	Prefixes                     []string
}

// recordedTags and recordedChangeNumber are Microsoft's example answer of
// ServiceTags_List (azure/testdata/azure-real/example_service_tags_list.json,
// recorded for westcentralus): the tags that span every region are answered
// as they are, the regional ones renamed to the region asked for.
var recordedTags = []serviceTag{
	{"ApiManagement", "", "AzureApiManagement", "7", []string{"13.64.39.16/32", "40.74.146.80/31", "40.74.147.32/28"}},
	{"ApiManagement.AustraliaCentral", "australiacentral", "AzureApiManagement", "2", []string{"20.36.106.68/31", "20.36.107.176/28"}},
	{"AppService", "", "AzureAppService", "13", []string{"13.64.73.110/32", "191.235.208.12/32", "191.235.215.184/32"}},
	{"ServiceBus", "", "AzureServiceBus", "10", []string{"23.98.82.96/29", "40.68.127.68/32", "40.70.146.64/29"}},
	{"ServiceBus.EastUS2", "eastus2", "AzureServiceBus", "1", []string{"13.68.110.36/32", "40.70.146.64/29"}},
}

const recordedChangeNumber = "63"

// The tags backup needs (Storage, AzureBackup, AzureActiveDirectory,
// AzureCloud) are not in the recorded example. The simulator gives them
// prefixes from the documentation ranges (RFC 5737, RFC 3849), one /28 (and
// one IPv6 /64) per region (Storage.<Region> dozens more: servicetags.go):
// Storage in 198.51.100.0/24 and 2001:db8:100::/48,
// AzureBackup in 192.0.2.0/24 and 2001:db8:200::/48, AzureActiveDirectory
// 203.0.113.192/26 and 2001:db8:300::/48. They are not Azure's addresses.
const (
	storageV4, storageV6 = "198.51.100.0/24", "2001:db8:100::/48"
	backupV4, backupV6   = "192.0.2.0/24", "2001:db8:200::/48"
	aadV4, aadV6         = "203.0.113.192/26", "2001:db8:300::/48"
)

// regionIndex numbers a region 0-15 for its prefixes.
func regionIndex(region string) int {
	i := 0
	for _, r := range wellKnownRegions {
		if r.logical {
			continue
		}
		if r.name == region {
			return i % 16
		}
		i++
	}
	h := fnv.New32a()
	h.Write([]byte(region))
	return int(h.Sum32() % 16)
}

// tagSuffix is the region part of a regional tag name ("WestEurope").
func tagSuffix(region string) string {
	return strings.ReplaceAll(regionDisplay(region), " ", "")
}

// backupTags are the backup-related tags of a region and the global ones.
func backupTags(region string) []serviceTag {
	i := regionIndex(region)
	sfx := tagSuffix(region)
	st4, st6 := fmt.Sprintf("198.51.100.%d/28", 16*i), fmt.Sprintf("2001:db8:100:%x::/64", i)
	bk4, bk6 := fmt.Sprintf("192.0.2.%d/28", 16*i), fmt.Sprintf("2001:db8:200:%x::/64", i)
	return []serviceTag{
		{"AzureActiveDirectory", "", "AzureAD", "11", []string{aadV4, aadV6}},
		{"AzureBackup", "", "AzureBackup", "9", []string{backupV4, backupV6}},
		{"AzureBackup." + sfx, region, "AzureBackup", "3", []string{bk4, bk6}},
		{"AzureCloud", "", "", "21", []string{storageV4, storageBenchV4, backupV4, aadV4, storageV6, storageBenchV6, backupV6, aadV6}},
		{"AzureCloud." + region, region, "", "12", []string{st4, bk4, st6, bk6}},
		{"Storage", "", "AzureStorage", "17", []string{storageV4, storageBenchV4, storageV6, storageBenchV6}},
		{"Storage." + sfx, region, "AzureStorage", "5", storagePrefixes(region)}, // servicetags.go
	}
}

// serviceTagsOf lists the service tags the simulator answers for a region.
func serviceTagsOf(region string) []serviceTag {
	var out []serviceTag
	for _, t := range recordedTags {
		if t.Region != "" {
			base, _, _ := strings.Cut(t.Name, ".")
			t.Name, t.Region = base+"."+tagSuffix(region), region
		}
		out = append(out, t)
	}
	out = append(out, backupTags(region)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// tagPrefixes returns the prefixes of a service tag ("Storage.EastUS"), or
// false for a tag the simulator does not know.
func tagPrefixes(tag string) ([]string, bool) {
	base, sfx, regional := strings.Cut(tag, ".")
	region := "westeurope"
	if regional {
		region = ""
		for _, r := range wellKnownRegions {
			if !r.logical && (strings.EqualFold(sfx, tagSuffix(r.name)) || strings.EqualFold(sfx, r.name)) {
				region = r.name
			}
		}
		if region == "" {
			return nil, false
		}
	}
	for _, t := range serviceTagsOf(region) {
		if strings.EqualFold(t.Name, tag) || (regional && strings.EqualFold(t.Name, base+"."+region)) {
			return t.Prefixes, true
		}
	}
	return nil, false
}

// knownTag reports whether a rule may name tag.
func knownTag(tag string) bool {
	switch strings.ToLower(tag) {
	case "internet", "virtualnetwork", "azureloadbalancer":
		return true
	}
	_, ok := tagPrefixes(tag)
	return ok
}

// internetV4 is what the simulator expands the Internet tag to: IPv4
// without private, shared, loopback, link-local, multicast and reserved
// space.
var internetV4 = []string{"1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4",
	"32.0.0.0/3", "64.0.0.0/3", "96.0.0.0/6", "100.0.0.0/10", "100.128.0.0/9", "101.0.0.0/8", "102.0.0.0/7", "104.0.0.0/5",
	"112.0.0.0/5", "120.0.0.0/6", "124.0.0.0/7", "126.0.0.0/8", "128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/8", "169.0.0.0/9",
	"169.128.0.0/10", "169.192.0.0/11", "169.224.0.0/12", "169.240.0.0/13", "169.248.0.0/14", "169.252.0.0/15",
	"169.255.0.0/16", "170.0.0.0/7", "172.0.0.0/12", "172.32.0.0/11", "172.64.0.0/10", "172.128.0.0/9", "173.0.0.0/8",
	"174.0.0.0/7", "176.0.0.0/4", "192.0.0.0/9", "192.128.0.0/11", "192.160.0.0/13", "192.169.0.0/16", "192.170.0.0/15",
	"192.172.0.0/14", "192.176.0.0/12", "192.192.0.0/10", "193.0.0.0/8", "194.0.0.0/7", "196.0.0.0/6", "200.0.0.0/5",
	"208.0.0.0/4"}

// expandTag is the expansion of a prefix in effective rules (nil for a CIDR
// or an address).
func expandTag(p, region string, vnet []string) []string {
	switch strings.ToLower(p) {
	case "virtualnetwork":
		return append(append([]string{}, vnet...), wireServer+"/32")
	case "azureloadbalancer":
		return []string{wireServer + "/32"}
	case "internet":
		return internetV4
	}
	if strings.Contains(p, "/") || strings.Contains(p, ":") || strings.Count(p, ".") == 3 {
		if _, err := netip.ParseAddr(p); err == nil {
			return nil
		}
		if _, err := netip.ParsePrefix(p); err == nil {
			return nil
		}
	}
	if pre, ok := tagPrefixes(p); ok {
		return pre
	}
	return nil
}

func (c *Cloud) serviceTags(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	sub, region := m[1], normLocation(m[2])
	known := false
	c.mu.RLock()
	for _, r := range c.regions() {
		if r.name == region && !r.logical {
			known = true
		}
	}
	c.mu.RUnlock()
	if !known {
		return nil, badRequest(codeBadLocation, fmt.Sprintf("No registered resource provider found for location '%s' and API version '%s' for type 'locations/serviceTags'.",
			m[2], req.URL.Query().Get("api-version")))
	}
	values := []map[string]any{}
	tags, change := c.serviceTagsNow(region)
	for _, t := range tags {
		values = append(values, map[string]any{
			"name": t.Name, "id": t.Name,
			"properties": map[string]any{"changeNumber": t.Change, "region": t.Region, "systemService": t.System, "addressPrefixes": t.Prefixes},
		})
	}
	body, _ := json.Marshal(map[string]any{
		"name": "Public", "id": "/subscriptions/" + sub + "/providers/Microsoft.Network/serviceTags/Public",
		"type": "Microsoft.Network/serviceTags", "changeNumber": change, "cloud": "Public", "values": values,
	})
	return jsonResponse(req, http.StatusOK, body, nil), nil
}

// ---- Network Watcher ----

func (c *Cloud) listWatchers(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	sub := strings.ToLower(m[1])
	c.mu.RLock()
	var rs []*resource
	for _, r := range c.st.res {
		if r.typeKey == typeWatcher && r.sub == sub {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].key < rs[j].key })
	docs := make([]json.RawMessage, 0, len(rs))
	for _, r := range rs {
		docs = append(docs, r.doc)
	}
	c.mu.RUnlock()
	body, _ := json.Marshal(map[string]any{"value": docs})
	return jsonResponse(req, http.StatusOK, body, nil), nil
}

// flowInput is an IP flow verify request, as the operation keeps it.
type flowInput struct {
	VM         string `json:"targetResourceId"`
	NIC        string `json:"targetNicResourceId,omitempty"`
	Direction  string `json:"direction"`
	Protocol   string `json:"protocol"`
	LocalIP    string `json:"localIPAddress"`
	LocalPort  string `json:"localPort"`
	RemoteIP   string `json:"remoteIPAddress"`
	RemotePort string `json:"remotePort"`
}

func (c *Cloud) ipFlowVerify(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	sub, rg, name := m[1], m[2], m[3]
	watcher, ae := c.lookup(req.Context(), rg, "Microsoft.Network/networkWatchers", name)
	if ae != nil {
		return nil, ae
	}
	var in flowInput
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		return nil, badRequest(codeBadRequestContent, "The request content was invalid and could not be deserialized: "+err.Error())
	}
	bad := func(field, value string) *armError {
		return badRequest(codeFlowBadInput, fmt.Sprintf("The value '%s' of parameter %s is not valid.", value, field))
	}
	in.Direction, in.Protocol = canon(in.Direction, simDirections), strings.ToUpper(in.Protocol)
	switch {
	case in.Direction == "":
		return nil, bad("direction", in.Direction)
	case in.Protocol != "TCP" && in.Protocol != "UDP":
		return nil, bad("protocol", in.Protocol)
	case !flowPort(in.LocalPort):
		return nil, bad("localPort", in.LocalPort)
	case !flowPort(in.RemotePort):
		return nil, bad("remotePort", in.RemotePort)
	case !ipv4(in.LocalIP):
		return nil, bad("localIPAddress", in.LocalIP)
	case !ipv4(in.RemoteIP):
		return nil, bad("remoteIPAddress", in.RemoteIP)
	}
	c.mu.RLock()
	vm := c.get(in.VM)
	if vm != nil && vm.typeKey != typeVM {
		vm = nil
	}
	var nic *resource
	if vm != nil {
		nic = c.flowNIC(vm, in)
	}
	c.mu.RUnlock()
	if vm == nil {
		_, vrg, vname := splitID(in.VM)
		return nil, notFound("Microsoft.Compute/virtualMachines", vname, vrg)
	}
	if normLocation(vm.Location) != normLocation(watcher.Location) {
		return nil, badRequest(codeFlowOtherRegion, fmt.Sprintf("The target resource '%s' is in region '%s'; the network watcher '%s' serves region '%s'.",
			vm.ID, vm.Location, watcher.Name, watcher.Location))
	}
	if running, _, power := vmPower(vm); !running {
		return nil, vmNotRunning("IP flow verify", vm.Name, power)
	}
	if nic == nil {
		return nil, bad("localIPAddress", in.LocalIP)
	}
	in.VM, in.NIC = vm.ID, nic.ID
	loc := normLocation(watcher.Location)
	var hdr http.Header
	err := c.mutate(func(st *state) error {
		op := c.startOp(st, opIPFlowVerify, vm.ID, nil)
		setOpData(op, netOpData{Location: loc, Flow: &in})
		hdr = c.netOpHeaders(sub, loc, op, true)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return emptyResponse(req, http.StatusAccepted, hdr), nil
}

// flowNIC is the VM's NIC that holds the flow's local address. Caller holds
// the lock.
func (c *Cloud) flowNIC(vm *resource, in flowInput) *resource {
	var d struct {
		Properties struct {
			NetworkProfile struct {
				NetworkInterfaces []struct {
					ID string `json:"id"`
				} `json:"networkInterfaces"`
			} `json:"networkProfile"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(vm.doc, &d)
	for _, ref := range d.Properties.NetworkProfile.NetworkInterfaces {
		if in.NIC != "" && !strings.EqualFold(ref.ID, in.NIC) {
			continue
		}
		if nic := c.get(ref.ID); nic != nil && readNIC(nic).hasIP(in.LocalIP) {
			return nic
		}
	}
	return nil
}

func flowPort(p string) bool {
	if p == "*" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}

func ipv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// finishIPFlowVerify evaluates the flow against the NSGs as they are when
// the operation finishes.
func finishIPFlowVerify(_ *Cloud, st *state, op *simOp) {
	d := opData[netOpData](op)
	vm := st.res[strings.ToLower(op.Target)]
	if d.Flow == nil || vm == nil || st.res[strings.ToLower(d.Flow.NIC)] == nil {
		op.Status, op.Code, op.Message = opFailed, "NotFound", "The virtual machine or its network interface was deleted."
		return
	}
	access, rule := evalFlow(st, st.res[strings.ToLower(d.Flow.NIC)], normLocation(vm.Location), *d.Flow)
	res := map[string]string{"access": access}
	if rule != "" {
		res["ruleName"] = rule
	}
	d.Result, _ = json.Marshal(res)
	setOpData(op, d)
}

// evalFlow judges a packet as the NSGs of a NIC do: outbound the NIC's NSG
// then its subnet's, inbound the other way round; in each, the rules of the
// direction by priority, the first that matches decides. A Deny anywhere
// decides; an allowed packet is reported with the allowing rule of the first
// NSG it met. No NSG at all allows everything (no rule named).
func evalFlow(st *state, nic *resource, region string, f flowInput) (access, rule string) {
	n := readNIC(nic)
	sn := readSubnet(st, n.subnetFor(f.LocalIP))
	subnetNSG, vnet := sn.nsgID, sn.vnetPrefixes
	order := []string{n.nsgID(), subnetNSG}
	if f.Direction == "Inbound" {
		order = []string{subnetNSG, n.nsgID()}
	}
	src, srcPort, dst, dstPort := f.LocalIP, f.LocalPort, f.RemoteIP, f.RemotePort
	if f.Direction == "Inbound" {
		src, srcPort, dst, dstPort = f.RemoteIP, f.RemotePort, f.LocalIP, f.LocalPort
	}
	allowedBy := ""
	for _, id := range order {
		nsg := st.res[strings.ToLower(id)]
		if id == "" || nsg == nil {
			continue
		}
		for _, r := range rulesOf(nsg.doc, f.Direction) {
			p := r.Properties.Protocol
			if p != "*" && !strings.EqualFold(p, f.Protocol) {
				continue
			}
			if !anyPrefix(r.sources(), src, region, vnet) || !anyPrefix(r.destinations(), dst, region, vnet) ||
				!anyPort(r.sourcePorts(), srcPort) || !anyPort(r.destPorts(), dstPort) {
				continue
			}
			if strings.EqualFold(r.Properties.Access, "Deny") {
				return "Deny", r.azureName()
			}
			if allowedBy == "" {
				allowedBy = r.azureName()
			}
			break
		}
	}
	return "Allow", allowedBy
}

func anyPort(specs []string, port string) bool {
	if port == "*" {
		return true
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return false
	}
	for _, s := range specs {
		if s == "*" {
			return true
		}
		lo, hi, isRange := strings.Cut(s, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && n >= a && n <= b {
			return true
		}
	}
	return false
}

func anyPrefix(prefixes []string, ip, region string, vnet []string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range prefixes {
		if prefixMatches(p, addr, region, vnet) {
			return true
		}
	}
	return false
}

func inAny(prefixes []string, addr netip.Addr) bool {
	for _, p := range prefixes {
		if pre, err := netip.ParsePrefix(p); err == nil && pre.Contains(addr) {
			return true
		}
		if a, err := netip.ParseAddr(p); err == nil && a == addr {
			return true
		}
	}
	return false
}

// publicIP reports whether an address is on the Internet (not private,
// shared, loopback, link-local, multicast, reserved, nor the platform's
// 168.63.129.16).
func publicIP(a netip.Addr) bool {
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.String() == wireServer {
		return false
	}
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(a) && !netip.MustParsePrefix("240.0.0.0/4").Contains(a) &&
		!netip.MustParsePrefix("0.0.0.0/8").Contains(a)
}

// prefixMatches: "*", a CIDR or an address, or a service tag. Storage,
// Storage.<the VM's region>, AzureCloud and AzureCloud.<the VM's region>
// (like Internet) match every public address: the simulator has no real
// lists of Azure's addresses. Other tags match their simulated prefixes.
func prefixMatches(p string, a netip.Addr, region string, vnet []string) bool {
	if p == "*" || p == "0.0.0.0/0" {
		return true
	}
	if pre, err := netip.ParsePrefix(p); err == nil {
		return pre.Contains(a)
	}
	if b, err := netip.ParseAddr(p); err == nil {
		return a == b
	}
	lp := strings.ToLower(p)
	sfx := strings.ToLower(tagSuffix(region))
	switch lp {
	case "virtualnetwork":
		return inAny(vnet, a) || a.String() == wireServer
	case "azureloadbalancer":
		return a.String() == wireServer
	case "internet":
		return publicIP(a) && !inAny(vnet, a)
	case "storage", "azurecloud", "storage." + sfx, "azurecloud." + sfx, "storage." + region, "azurecloud." + region:
		return publicIP(a)
	}
	pre, _ := tagPrefixes(p)
	return inAny(pre, a)
}
