package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Scenario is a parsed scenario file (DESIGN §4): subscriptions, resources
// (plain ARM JSON documents, exactly as ARM returns them), latency, faults,
// plus optional tenants, identity, storage configs, protected items and jobs.
//
// A Scenario may also be built in code; New validates it the same way.
type Scenario struct {
	Description   string
	Tenants       []Tenant
	Identity      Identity
	Subscriptions []Subscription
	// Resources are ARM resource documents. VMs may carry
	// properties.instanceView like a GET with $expand=instanceView. Protected
	// items (type .../protectedItems) found here are moved to ProtectedItems.
	Resources []json.RawMessage
	// StorageConfigs are the vaults' backup storage configurations; a vault
	// without one is GeoRedundant, and Locked once it protects an item.
	StorageConfigs []StorageConfig
	// ProtectedItems are backup protected item documents
	// (Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems)
	// whose properties.sourceResourceId names the VM.
	ProtectedItems []json.RawMessage
	// Jobs are backup job documents (.../vaults/backupJobs).
	Jobs []json.RawMessage

	// Latency is added to every request (a setting of the run, never stored).
	Latency time.Duration
	// OperationTime is how long a simulated long-running operation (vault
	// creation, enabling protection, provider registration, a container
	// refresh) takes before it finishes (a setting of the run, never stored).
	// A backup job's phases are measured in it too.
	OperationTime time.Duration
	// Faults are injected errors (a setting of the run, never stored).
	Faults []Fault
	// Limits are throttling limits imposed as Azure does (limits.go; a
	// setting of the run, never stored; nil imposes none).
	Limits *Limits

	parsed []resHeader // headers of Resources when read by LoadScenario
}

// Tenant is a directory of the simulated cloud.
type Tenant struct {
	ID            string `json:"id"`
	Name          string `json:"name,omitempty"`
	DefaultDomain string `json:"defaultDomain,omitempty"`
}

// Identity is who the simulated credential signs in as.
type Identity struct {
	UPN      string `json:"upn,omitempty"`  // user principal name (users)
	Name     string `json:"name,omitempty"` // display name
	TenantID string `json:"tenantId,omitempty"`
	ObjectID string `json:"objectId,omitempty"`
	Type     string `json:"type,omitempty"`  // "user" (default) or "app"
	AppID    string `json:"appId,omitempty"` // application id (apps)
}

// Subscription is a subscription of the simulated tenant. State is one of
// Enabled (default), Warned, PastDue, Disabled, Deleted. Providers holds
// resource provider registration states by namespace; namespaces not listed
// are Registered.
type Subscription struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	TenantID  string            `json:"tenantId,omitempty"`
	State     string            `json:"state,omitempty"`
	Providers map[string]string `json:"providers,omitempty"`
}

// StorageConfig is a vault's backup storage configuration
// (backupstorageconfig/vaultstorageconfig).
type StorageConfig struct {
	Vault              string `json:"vault"`                      // vault resource id
	StorageType        string `json:"storageType"`                // GeoRedundant, LocallyRedundant, ZoneRedundant, ReadAccessGeoZoneRedundant
	StorageTypeState   string `json:"storageTypeState,omitempty"` // Locked or Unlocked
	CrossRegionRestore bool   `json:"crossRegionRestore"`
}

// Fault is an error the simulator answers instead of the real response
// (DESIGN §4a). Match is a Go regular expression searched in
// "<METHOD> <path>?<query>" (escaped path, raw query). With Times, the fault
// fires on the first Times matching requests; with Every, on every Every-th
// matching request; with neither, on every matching request. Retries count.
type Fault struct {
	Match      string
	Status     int
	Code       string
	Message    string
	Times      int
	Every      int
	RetryAfter time.Duration
	// FailOperation makes a matching status request of a long-running
	// operation (…/operationStatus/{id}, …/operationsStatus/{id},
	// …/operationResults/{id}) end that operation as Failed, with Code and
	// Message as its error, instead of answering an HTTP error: the
	// operation Azure accepted fails, as a vault creation or enabling
	// protection can. Status is not needed then.
	FailOperation bool

	re *regexp.Regexp
}

// ScenarioError is a problem in a scenario file, naming where it is.
type ScenarioError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *ScenarioError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	return b.String()
}

// resHeader is what the simulator needs to know of a resource document.
type resHeader struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Location string `json:"location"`
}

var (
	topLevelKeys = []string{"description", "tenants", "identity", "subscriptions", "resources", "storageConfigs", "protectedItems", "jobs", "latency", "operationTime", "faults", "limits"}
	// lists of big ARM documents: read shallowly from JSON
	docListKeys = map[string]bool{"resources": true, "protectedItems": true, "jobs": true}
)

// LoadScenario parses a scenario file, JSON or YAML (chosen by content, then
// by the file name's extension). Every problem is a *ScenarioError naming the
// line and column. It never panics.
func LoadScenario(data []byte, filename string) (sc *Scenario, err error) {
	defer func() {
		if r := recover(); r != nil {
			sc, err = nil, &ScenarioError{File: filename, Line: 1, Column: 1, Msg: fmt.Sprintf("cannot read scenario: %v", r)}
		}
	}()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ScenarioError{File: filename, Line: 1, Column: 1, Msg: "the scenario is empty"}
	}
	ext := extOf(filename)
	var root *pnode
	switch {
	case json.Valid(data):
		root = parseJSONDoc(data, docListKeys)
	case ext == ".json" || (ext != ".yaml" && ext != ".yml" && looksLikeJSON(data)):
		off, msg := jsonSyntaxError(data)
		l, c := newLineIndex(data).pos(int(off))
		return nil, &ScenarioError{File: filename, Line: l, Column: c, Msg: "JSON syntax: " + msg}
	default:
		var perr error
		root, perr = parseYAMLDoc(data)
		if perr != nil {
			return nil, toScenarioError(filename, perr)
		}
	}
	d := &decoder{file: filename, budget: aliasBudget}
	sc = d.scenario(root)
	if d.err != nil {
		return nil, d.err
	}
	return sc, nil
}

func toScenarioError(file string, err error) *ScenarioError {
	if pe, ok := err.(*posError); ok {
		l, c := pe.line, pe.col
		if l <= 0 {
			l, c = 1, 1
		}
		return &ScenarioError{File: file, Line: l, Column: c, Msg: pe.msg}
	}
	return &ScenarioError{File: file, Line: 1, Column: 1, Msg: err.Error()}
}

// decoder turns a pnode tree into a Scenario, keeping the first error.
type decoder struct {
	file   string
	err    *ScenarioError
	budget int // YAML nodes that aliases may still expand to
}

// aliasBudget bounds the nodes YAML aliases expand to in a whole file, so
// that a "billion laughs" fails fast instead of eating memory.
const aliasBudget = 1_000_000

func (d *decoder) failAt(line, col int, format string, args ...any) {
	if d.err != nil {
		return
	}
	if line <= 0 {
		line, col = 1, 1
	}
	d.err = &ScenarioError{File: d.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) fail(n *pnode, format string, args ...any) {
	d.failAt(n.line, n.col, format, args...)
}

func (d *decoder) expect(n *pnode, kind nodeKind, what string) bool {
	if n.kind != kind {
		d.fail(n, "%s must be %s, not %s", what, kind, n.kind)
		return false
	}
	return true
}

// fields checks an object's keys against the allowed ones and calls fn for each.
func (d *decoder) fields(n *pnode, what string, allowed []string, fn func(k pkey)) {
	if !d.expect(n, kindObject, what) {
		return
	}
	seen := map[string]int{}
	for _, k := range n.keys {
		if d.err != nil {
			return
		}
		if first, dup := seen[k.name]; dup {
			d.failAt(k.line, k.col, "duplicate key %q in %s (first at line %d)", k.name, what, first)
			return
		}
		seen[k.name] = k.line
		if !contains(allowed, k.name) {
			d.failAt(k.line, k.col, "unknown key %q in %s (known keys: %s)", k.name, what, strings.Join(allowed, ", "))
			return
		}
		fn(k)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *decoder) str(n *pnode, what string) string {
	if n.kind == kindNull {
		return ""
	}
	if !d.expect(n, kindString, what) {
		return ""
	}
	return n.str
}

func (d *decoder) boolean(n *pnode, what string) bool {
	if !d.expect(n, kindBool, what) {
		return false
	}
	return n.b
}

func (d *decoder) integer(n *pnode, what string, lo, hi int) int {
	if !d.expect(n, kindNumber, what) {
		return 0
	}
	v, err := strconv.Atoi(n.str)
	if err != nil {
		d.fail(n, "%s must be a whole number, not %s", what, n.str)
		return 0
	}
	if v < lo || v > hi {
		d.fail(n, "%s must be between %d and %d, not %d", what, lo, hi, v)
		return 0
	}
	return v
}

func (d *decoder) duration(n *pnode, what string) time.Duration {
	if n.kind == kindNumber && n.str == "0" {
		return 0
	}
	if n.kind != kindString {
		d.fail(n, "%s must be a Go duration such as \"50ms\" or \"1s\", not %s", what, n.kind)
		return 0
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.str))
	if err != nil {
		d.fail(n, "%s: bad duration %q (use a Go duration such as \"50ms\" or \"1s\")", what, n.str)
		return 0
	}
	if v < 0 {
		d.fail(n, "%s must not be negative", what)
		return 0
	}
	return v
}

func (d *decoder) list(n *pnode, what string, fn func(i int, item *pnode)) {
	if n.kind == kindNull {
		return
	}
	if !d.expect(n, kindArray, what) {
		return
	}
	for i, it := range n.items {
		if d.err != nil {
			return
		}
		fn(i, it)
	}
}

func (d *decoder) scenario(root *pnode) *Scenario {
	sc := &Scenario{}
	if root.kind != kindObject {
		d.fail(root, "a scenario must be an object with keys such as subscriptions and resources, not %s", root.kind)
		return nil
	}
	d.fields(root, "the scenario", topLevelKeys, func(k pkey) {
		switch k.name {
		case "description":
			sc.Description = d.str(k.val, "description")
		case "tenants":
			d.list(k.val, "tenants", func(i int, it *pnode) { sc.Tenants = append(sc.Tenants, d.tenant(it)) })
		case "identity":
			sc.Identity = d.identity(k.val)
		case "subscriptions":
			d.list(k.val, "subscriptions", func(i int, it *pnode) { sc.Subscriptions = append(sc.Subscriptions, d.subscription(it)) })
		case "resources":
			d.list(k.val, "resources", func(i int, it *pnode) {
				raw, h := d.document(it, fmt.Sprintf("resources[%d]", i), true)
				if d.err == nil {
					sc.Resources = append(sc.Resources, raw)
					sc.parsed = append(sc.parsed, h)
				}
			})
		case "protectedItems":
			d.list(k.val, "protectedItems", func(i int, it *pnode) {
				raw, _ := d.document(it, fmt.Sprintf("protectedItems[%d]", i), false)
				sc.ProtectedItems = append(sc.ProtectedItems, raw)
			})
		case "jobs":
			d.list(k.val, "jobs", func(i int, it *pnode) {
				raw, _ := d.document(it, fmt.Sprintf("jobs[%d]", i), false)
				sc.Jobs = append(sc.Jobs, raw)
			})
		case "storageConfigs":
			d.list(k.val, "storageConfigs", func(i int, it *pnode) { sc.StorageConfigs = append(sc.StorageConfigs, d.storageConfig(it)) })
		case "latency":
			sc.Latency = d.duration(k.val, "latency")
		case "operationTime":
			sc.OperationTime = d.duration(k.val, "operationTime")
		case "faults":
			d.list(k.val, "faults", func(i int, it *pnode) { sc.Faults = append(sc.Faults, d.fault(it, i)) })
		case "limits":
			sc.Limits = d.limits(k.val)
		}
	})
	if d.err != nil {
		return nil
	}
	// cross-checks that need the whole file
	seen := map[string]int{}
	if n := root.get("subscriptions"); n != nil {
		for i, s := range sc.Subscriptions {
			key := strings.ToLower(s.ID)
			if _, dup := seen[key]; dup {
				d.fail(n.items[i], "subscription %s is listed twice", s.ID)
				return nil
			}
			seen[key] = i
		}
	}
	ids := map[string]int{}
	if n := root.get("resources"); n != nil {
		for i, h := range sc.parsed {
			key := strings.ToLower(h.ID)
			if first, dup := ids[key]; dup {
				d.fail(n.items[i], "resource %s is listed twice (first at line %d)", h.ID, n.items[first].line)
				return nil
			}
			ids[key] = i
		}
	}
	return sc
}

func (d *decoder) tenant(n *pnode) Tenant {
	var t Tenant
	d.fields(n, "a tenant", []string{"id", "name", "displayName", "defaultDomain"}, func(k pkey) {
		switch k.name {
		case "id":
			t.ID = d.str(k.val, "tenant id")
		case "name", "displayName":
			t.Name = d.str(k.val, "tenant name")
		case "defaultDomain":
			t.DefaultDomain = d.str(k.val, "defaultDomain")
		}
	})
	if d.err == nil && t.ID == "" {
		d.fail(n, "a tenant needs an id")
	}
	return t
}

func (d *decoder) identity(n *pnode) Identity {
	var id Identity
	d.fields(n, "identity", []string{"upn", "name", "tenantId", "objectId", "type", "appId"}, func(k pkey) {
		switch k.name {
		case "upn":
			id.UPN = d.str(k.val, "identity upn")
		case "name":
			id.Name = d.str(k.val, "identity name")
		case "tenantId":
			id.TenantID = d.str(k.val, "identity tenantId")
		case "objectId":
			id.ObjectID = d.str(k.val, "identity objectId")
		case "appId":
			id.AppID = d.str(k.val, "identity appId")
		case "type":
			id.Type = d.str(k.val, "identity type")
			if d.err == nil && id.Type != "user" && id.Type != "app" {
				d.fail(k.val, "identity type must be user or app, not %q", id.Type)
			}
		}
	})
	return id
}

var subscriptionStates = []string{"Enabled", "Warned", "PastDue", "Disabled", "Deleted"}
var registrationStates = []string{"Registered", "NotRegistered", "Registering", "Unregistering"}

// canonical returns the entry of list equal to s ignoring case, or "".
func canonical(list []string, s string) string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return x
		}
	}
	return ""
}

func (d *decoder) subscription(n *pnode) Subscription {
	var s Subscription
	d.fields(n, "a subscription", []string{"id", "subscriptionId", "name", "displayName", "tenantId", "state", "providers"}, func(k pkey) {
		switch k.name {
		case "id", "subscriptionId":
			s.ID = strings.TrimPrefix(d.str(k.val, "subscription id"), "/subscriptions/")
		case "name", "displayName":
			s.Name = d.str(k.val, "subscription name")
		case "tenantId":
			s.TenantID = d.str(k.val, "subscription tenantId")
		case "state":
			v := d.str(k.val, "subscription state")
			if s.State = canonical(subscriptionStates, v); s.State == "" && d.err == nil {
				d.fail(k.val, "subscription state must be one of %s, not %q", strings.Join(subscriptionStates, ", "), v)
			}
		case "providers":
			s.Providers = map[string]string{}
			if k.val.kind != kindObject {
				d.fail(k.val, "providers must be an object of namespace: registrationState")
				return
			}
			for _, pk := range k.val.keys {
				v := d.str(pk.val, "registration state of "+pk.name)
				st := canonical(registrationStates, v)
				if st == "" && d.err == nil {
					d.fail(pk.val, "registration state of %s must be one of %s, not %q", pk.name, strings.Join(registrationStates, ", "), v)
				}
				s.Providers[pk.name] = st
			}
		}
	})
	if d.err == nil && s.ID == "" {
		d.fail(n, "a subscription needs an id")
	}
	if d.err == nil && strings.ContainsAny(s.ID, "/?# ") {
		d.fail(n, "subscription id %q is not a subscription id", s.ID)
	}
	return s
}

var storageTypes = []string{"GeoRedundant", "LocallyRedundant", "ZoneRedundant", "ReadAccessGeoZoneRedundant"}

func (d *decoder) storageConfig(n *pnode) StorageConfig {
	var c StorageConfig
	d.fields(n, "a storage config", []string{"vault", "storageType", "storageTypeState", "crossRegionRestore"}, func(k pkey) {
		switch k.name {
		case "vault":
			c.Vault = d.str(k.val, "storage config vault")
		case "storageType":
			v := d.str(k.val, "storageType")
			if c.StorageType = canonical(storageTypes, v); c.StorageType == "" && d.err == nil {
				d.fail(k.val, "storageType must be one of %s, not %q", strings.Join(storageTypes, ", "), v)
			}
		case "storageTypeState":
			v := d.str(k.val, "storageTypeState")
			if c.StorageTypeState = canonical([]string{"Locked", "Unlocked"}, v); c.StorageTypeState == "" && d.err == nil {
				d.fail(k.val, "storageTypeState must be Locked or Unlocked, not %q", v)
			}
		case "crossRegionRestore":
			c.CrossRegionRestore = d.boolean(k.val, "crossRegionRestore")
		}
	})
	if d.err == nil && !strings.Contains(strings.ToLower(c.Vault), "/providers/microsoft.recoveryservices/vaults/") {
		d.fail(n, "a storage config needs vault: the vault's resource id")
	}
	if d.err == nil && c.StorageType == "" {
		c.StorageType = "GeoRedundant"
	}
	return c
}

func (d *decoder) fault(n *pnode, i int) Fault {
	var f Fault
	what := fmt.Sprintf("faults[%d]", i)
	d.fields(n, "a fault", []string{"match", "status", "code", "message", "times", "every", "retryAfter", "failOperation"}, func(k pkey) {
		switch k.name {
		case "match":
			f.Match = d.str(k.val, what+" match")
			if d.err == nil {
				re, err := regexp.Compile(f.Match)
				if err != nil {
					d.fail(k.val, "%s match: bad regular expression: %v", what, err)
					return
				}
				f.re = re
			}
		case "status":
			f.Status = d.integer(k.val, what+" status", 400, 599)
			if d.err == nil && http.StatusText(f.Status) == "" {
				d.fail(k.val, "%s status %d is not an HTTP error status", what, f.Status)
			}
		case "code":
			f.Code = d.str(k.val, what+" code")
		case "message":
			f.Message = d.str(k.val, what+" message")
		case "times":
			f.Times = d.integer(k.val, what+" times", 0, 1<<30)
		case "every":
			f.Every = d.integer(k.val, what+" every", 0, 1<<30)
		case "retryAfter":
			f.RetryAfter = d.duration(k.val, what+" retryAfter")
		case "failOperation":
			f.FailOperation = d.boolean(k.val, what+" failOperation")
		}
	})
	if d.err == nil && n.get("match") == nil {
		d.fail(n, "%s needs match: a regular expression over \"<METHOD> <path>?<query>\"", what)
	}
	if d.err == nil && f.Status == 0 && !f.FailOperation {
		d.fail(n, "%s needs status: an HTTP error status such as 429 or 500", what)
	}
	return f
}

// limits reads the run's throttling limits (limits.go).
func (d *decoder) limits(n *pnode) *Limits {
	l := &Limits{}
	d.fields(n, "limits", []string{"graph", "compute"}, func(k pkey) {
		switch k.name {
		case "graph":
			g := &GraphLimit{}
			d.fields(k.val, "limits.graph", []string{"quota", "window"}, func(f pkey) {
				switch f.name {
				case "quota":
					g.Quota = d.integer(f.val, "limits.graph quota", 1, 1<<20)
				case "window":
					g.Window = d.duration(f.val, "limits.graph window")
				}
			})
			if d.err == nil && (g.Quota == 0 || g.Window == 0) {
				d.fail(k.val, "limits.graph needs quota (queries per window) and window (a Go duration such as \"5s\")")
			}
			l.Graph = g
		case "compute":
			c := &ComputeLimit{}
			d.fields(k.val, "limits.compute", []string{"perSubscription", "window"}, func(f pkey) {
				switch f.name {
				case "perSubscription":
					c.PerSubscription = d.integer(f.val, "limits.compute perSubscription", 1, 1<<24)
				case "window":
					c.Window = d.duration(f.val, "limits.compute window")
				}
			})
			if d.err == nil && (c.PerSubscription == 0 || c.Window == 0) {
				d.fail(k.val, "limits.compute needs perSubscription (reads per window) and window (a Go duration such as \"3m\")")
			}
			l.Compute = c
		}
	})
	return l
}

// document reads one ARM document: an object with a string id (and, for
// resources, a type).
func (d *decoder) document(n *pnode, what string, needType bool) (json.RawMessage, resHeader) {
	var h resHeader
	if !d.expect(n, kindObject, what) {
		return nil, h
	}
	strField := func(name string) string {
		v := n.get(name)
		if v == nil || v.kind == kindNull {
			return ""
		}
		if v.kind != kindString {
			d.fail(v, "%s: %s must be a string, not %s", what, name, v.kind)
			return ""
		}
		return v.str
	}
	h.ID, h.Type, h.Name, h.Location = strField("id"), strField("type"), strField("name"), strField("location")
	if d.err != nil {
		return nil, h
	}
	if h.ID == "" {
		d.fail(n, "%s has no id: a resource needs its ARM id", what)
		return nil, h
	}
	if !strings.HasPrefix(strings.ToLower(h.ID), "/subscriptions/") || strings.Count(h.ID, "/") < 2 {
		d.fail(n.get("id"), "%s: id %q is not an ARM resource id (/subscriptions/…)", what, h.ID)
		return nil, h
	}
	if needType && h.Type == "" {
		d.fail(n, "%s (%s) has no type such as Microsoft.Compute/virtualMachines", what, h.ID)
		return nil, h
	}
	raw, err := n.jsonRaw(&d.budget)
	if err != nil {
		d.err = toScenarioError(d.file, err)
		return nil, h
	}
	return raw, h
}
