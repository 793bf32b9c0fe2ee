package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The simulated tenant's state: what --sim-state persists. Latency and faults
// are settings of a run and never part of it.

// stateVersion is the version of the --sim-state file format.
const stateVersion = 1

// stateKind marks a --sim-state file.
const stateKind = "backupready-sim-state"

// Default identity of the simulated tenant.
const (
	defaultTenantID   = "72f0c8a1-4d3e-4b5a-9c6d-8e7f0a1b2c3d"
	defaultTenantName = "Contoso"
	defaultDomain     = "contoso.example"
	defaultUPN        = "trainer@contoso.example"
	defaultUserName   = "Contoso Trainer"
	defaultObjectID   = "5b7e3c9a-2f41-4d8e-a6b0-9c1d2e3f4a5b"
	defaultAppID      = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
)

// Lower-cased resource types the simulator knows.
const (
	typeVM            = "microsoft.compute/virtualmachines"
	typeClassicVM     = "microsoft.classiccompute/virtualmachines"
	typeNIC           = "microsoft.network/networkinterfaces"
	typeNSG           = "microsoft.network/networksecuritygroups"
	typeVNet          = "microsoft.network/virtualnetworks"
	typeVault         = "microsoft.recoveryservices/vaults"
	typeResourceGroup = "microsoft.resources/resourcegroups"
	typeProtectedItem = "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems"
	typeJob           = "microsoft.recoveryservices/vaults/backupjobs"
)

// resource is one ARM document with the facts the simulator indexes it by.
type resource struct {
	ID       string
	Type     string
	Name     string
	Location string
	key      string // lower-cased id
	typeKey  string // lower-cased type
	sub      string // lower-cased subscription id
	subID    string // subscription id as written in the id
	rg       string // resource group as written in the id ("" for none)
	doc      json.RawMessage
	source   string // protected items: lower-cased source VM id
}

// splitID reads subscription, resource group and last name out of an ARM id.
func splitID(id string) (sub, rg, name string) {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		switch strings.ToLower(parts[i]) {
		case "subscriptions":
			if sub == "" {
				sub = parts[i+1]
			}
		case "resourcegroups":
			if rg == "" {
				rg = parts[i+1]
			}
		}
	}
	if len(parts) > 0 {
		name = parts[len(parts)-1]
	}
	return sub, rg, name
}

func newResource(doc json.RawMessage, h *resHeader) (*resource, error) {
	if h == nil {
		h = &resHeader{}
		if err := json.Unmarshal(doc, h); err != nil {
			return nil, fmt.Errorf("resource document: %w", err)
		}
	}
	if h.ID == "" {
		return nil, errors.New("resource document without id")
	}
	r := &resource{ID: h.ID, Type: h.Type, Name: h.Name, Location: h.Location, doc: doc}
	r.key = strings.ToLower(h.ID)
	r.typeKey = strings.ToLower(h.Type)
	var name string
	r.subID, r.rg, name = splitID(h.ID)
	r.sub = strings.ToLower(r.subID)
	if r.Name == "" {
		r.Name = name
	}
	if r.typeKey == "" {
		r.typeKey = typeFromID(h.ID)
		r.Type = r.typeKey
	}
	return r, nil
}

// typeFromID derives a resource type from an id (…/providers/NS/type/name/sub/name).
func typeFromID(id string) string {
	lower := strings.ToLower(id)
	i := strings.LastIndex(lower, "/providers/")
	if i < 0 {
		if _, rg, _ := splitID(id); rg != "" && strings.Count(strings.Trim(lower, "/"), "/") == 3 {
			return typeResourceGroup
		}
		return ""
	}
	parts := strings.Split(strings.Trim(lower[i+len("/providers/"):], "/"), "/")
	if len(parts) < 3 {
		return ""
	}
	t := parts[0]
	for j := 1; j < len(parts); j += 2 {
		t += "/" + parts[j]
	}
	return t
}

// state is the simulated tenant. All access goes through Cloud's lock.
type state struct {
	tenants  []Tenant
	identity Identity
	subs     []*Subscription
	subByKey map[string]*Subscription
	res      map[string]*resource      // by lower-cased id
	storage  map[string]*StorageConfig // by lower-cased vault id
	items    map[string]*resource      // protected items by lower-cased id
	jobs     map[string]*resource      // backup jobs by lower-cased id
	ops      map[string]*simOp         // long-running operations by id
	gen      uint64                    // bumped on every change
}

// stateFile is the JSON form of state (--sim-state).
type stateFile struct {
	Kind           string                     `json:"kind"`
	Version        int                        `json:"version"`
	Tenants        []Tenant                   `json:"tenants"`
	Identity       Identity                   `json:"identity"`
	Subscriptions  []*Subscription            `json:"subscriptions"`
	StorageConfigs map[string]*StorageConfig  `json:"storageConfigs"`
	ProtectedItems map[string]json.RawMessage `json:"protectedItems"`
	Jobs           map[string]json.RawMessage `json:"jobs"`
	Operations     map[string]*simOp          `json:"operations,omitempty"`
	Resources      map[string]json.RawMessage `json:"resources"`
}

func newState() *state {
	return &state{
		subByKey: map[string]*Subscription{},
		res:      map[string]*resource{},
		storage:  map[string]*StorageConfig{},
		items:    map[string]*resource{},
		jobs:     map[string]*resource{},
		ops:      map[string]*simOp{},
	}
}

// stateFromScenario builds the initial state of a scenario, filling defaults.
func stateFromScenario(sc *Scenario) (*state, error) {
	st := newState()
	st.tenants = append([]Tenant(nil), sc.Tenants...)
	st.identity = sc.Identity
	for i := range sc.Subscriptions {
		s := sc.Subscriptions[i]
		if s.ID == "" {
			return nil, fmt.Errorf("subscriptions[%d] has no id", i)
		}
		if s.Providers != nil {
			p := make(map[string]string, len(s.Providers))
			for k, v := range s.Providers {
				p[k] = v
			}
			s.Providers = p
		}
		if err := st.addSubscription(&s); err != nil {
			return nil, err
		}
	}
	st.fillDefaults()
	useParsed := len(sc.parsed) == len(sc.Resources)
	for i, doc := range sc.Resources {
		var h *resHeader
		if useParsed {
			h = &sc.parsed[i]
		}
		r, err := newResource(append(json.RawMessage(nil), doc...), h)
		if err != nil {
			return nil, fmt.Errorf("resources[%d]: %w", i, err)
		}
		if err := st.addResource(r); err != nil {
			return nil, fmt.Errorf("resources[%d]: %w", i, err)
		}
	}
	for i, doc := range sc.ProtectedItems {
		r, err := newResource(append(json.RawMessage(nil), doc...), nil)
		if err != nil {
			return nil, fmt.Errorf("protectedItems[%d]: %w", i, err)
		}
		r.typeKey, r.Type = typeProtectedItem, "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
		if err := st.addResource(r); err != nil {
			return nil, fmt.Errorf("protectedItems[%d]: %w", i, err)
		}
	}
	for i, doc := range sc.Jobs {
		r, err := newResource(append(json.RawMessage(nil), doc...), nil)
		if err != nil {
			return nil, fmt.Errorf("jobs[%d]: %w", i, err)
		}
		r.typeKey = typeJob
		if err := st.addResource(r); err != nil {
			return nil, fmt.Errorf("jobs[%d]: %w", i, err)
		}
	}
	for i := range sc.StorageConfigs {
		c := sc.StorageConfigs[i]
		if c.Vault == "" {
			return nil, fmt.Errorf("storageConfigs[%d] has no vault", i)
		}
		if c.StorageType == "" {
			c.StorageType = "GeoRedundant"
		}
		st.storage[strings.ToLower(c.Vault)] = &c
	}
	return st, nil
}

func (st *state) addSubscription(s *Subscription) error {
	key := strings.ToLower(s.ID)
	if _, dup := st.subByKey[key]; dup {
		return fmt.Errorf("subscription %s is listed twice", s.ID)
	}
	st.subs = append(st.subs, s)
	st.subByKey[key] = s
	return nil
}

// fillDefaults completes tenants, identity and subscriptions.
func (st *state) fillDefaults() {
	if len(st.tenants) == 0 {
		tid := st.identity.TenantID
		for _, s := range st.subs {
			if tid == "" && s.TenantID != "" {
				tid = s.TenantID
			}
		}
		if tid == "" {
			tid = defaultTenantID
		}
		st.tenants = []Tenant{{ID: tid, Name: defaultTenantName, DefaultDomain: defaultDomain}}
	}
	for i := range st.tenants {
		if st.tenants[i].Name == "" {
			st.tenants[i].Name = defaultTenantName
		}
		if st.tenants[i].DefaultDomain == "" {
			st.tenants[i].DefaultDomain = defaultDomain
		}
	}
	id := &st.identity
	if id.Type == "" {
		id.Type = "user"
	}
	if id.Type == "user" && id.UPN == "" {
		id.UPN = defaultUPN
	}
	if id.Type == "app" && id.AppID == "" {
		id.AppID = "a3c4e5f6-0718-4293-a4b5-c6d7e8f90a1b"
	}
	if id.Name == "" {
		if id.Type == "user" {
			id.Name = defaultUserName
		} else {
			id.Name = "backupready-automation"
		}
	}
	if id.TenantID == "" {
		id.TenantID = st.tenants[0].ID
	}
	if id.ObjectID == "" {
		id.ObjectID = defaultObjectID
	}
	for _, s := range st.subs {
		if s.TenantID == "" {
			s.TenantID = st.tenants[0].ID
		}
		if s.State == "" {
			s.State = "Enabled"
		}
		if s.Name == "" {
			s.Name = s.ID
		}
	}
}

// addResource files a document under its kind (resource, protected item, job).
func (st *state) addResource(r *resource) error {
	switch r.typeKey {
	case typeProtectedItem:
		var d struct {
			Properties struct {
				SourceResourceID string `json:"sourceResourceId"`
				VirtualMachineID string `json:"virtualMachineId"`
			} `json:"properties"`
		}
		_ = json.Unmarshal(r.doc, &d)
		src := d.Properties.SourceResourceID
		if src == "" {
			src = d.Properties.VirtualMachineID
		}
		r.source = strings.ToLower(src)
		st.items[r.key] = r
		return nil
	case typeJob:
		st.jobs[r.key] = r
		return nil
	case typeNSG:
		r.doc = withDefaultRules(r.doc, r.ID)
	}
	if _, dup := st.res[r.key]; dup {
		return fmt.Errorf("resource %s is listed twice", r.ID)
	}
	st.res[r.key] = r
	return nil
}

// putResource adds or replaces a resource (for the write operations).
func (st *state) putResource(r *resource) {
	if r.typeKey == typeNSG {
		r.doc = withDefaultRules(r.doc, r.ID)
	}
	switch r.typeKey {
	case typeProtectedItem:
		delete(st.items, r.key)
	case typeJob:
		delete(st.jobs, r.key)
	default:
		delete(st.res, r.key)
	}
	_ = st.addResource(r)
	st.gen++
}

// deleteResource removes a resource (for the write operations).
func (st *state) deleteResource(id string) bool {
	key := strings.ToLower(id)
	_, ok := st.res[key]
	delete(st.res, key)
	if _, ok2 := st.items[key]; ok2 {
		delete(st.items, key)
		ok = true
	}
	st.gen++
	return ok
}

// visible reports whether a subscription is one of the tenant's.
func (st *state) visible(sub string) bool {
	_, ok := st.subByKey[strings.ToLower(sub)]
	return ok
}

// providerState returns a namespace's registration state in a subscription.
func (st *state) providerState(sub, namespace string) string {
	s := st.subByKey[strings.ToLower(sub)]
	if s == nil {
		return ""
	}
	for k, v := range s.Providers {
		if strings.EqualFold(k, namespace) && v != "" {
			return v
		}
	}
	return "Registered"
}

// storageConfig returns a vault's storage config: the stored one, or the
// default (GeoRedundant; Locked once the vault protects an item).
func (st *state) storageConfig(vaultKey string) StorageConfig {
	if c, ok := st.storage[vaultKey]; ok {
		out := *c
		if out.StorageTypeState == "" {
			out.StorageTypeState = "Unlocked"
		}
		if st.vaultHasItems(vaultKey) {
			out.StorageTypeState = "Locked" // as Azure does once an item is protected, whatever was stored
		}
		return out
	}
	c := StorageConfig{StorageType: "GeoRedundant", StorageTypeState: "Unlocked"}
	if v, ok := st.res[vaultKey]; ok {
		c.Vault = v.ID
	}
	if st.vaultHasItems(vaultKey) {
		c.StorageTypeState = "Locked"
	}
	return c
}

func (st *state) vaultHasItems(vaultKey string) bool {
	prefix := vaultKey + "/"
	for k := range st.items {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// marshal writes the state file: one resource per line, keys sorted, so that
// files diff well and identical states give identical bytes.
func (st *state) marshal() ([]byte, error) {
	var buf bytes.Buffer
	head := stateFile{Kind: stateKind, Version: stateVersion, Tenants: st.tenants, Identity: st.identity, Subscriptions: st.subs,
		StorageConfigs: st.storage}
	if head.StorageConfigs == nil {
		head.StorageConfigs = map[string]*StorageConfig{}
	}
	writeKV := func(k string, v any, last bool) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, "  %q: %s", k, b)
		if !last {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		return nil
	}
	writeDocs := func(k string, m map[string]*resource, last bool) {
		keys := make([]string, 0, len(m))
		for key := range m {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		fmt.Fprintf(&buf, "  %q: {", k)
		for i, key := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n    ")
			kb, _ := json.Marshal(key)
			buf.Write(kb)
			buf.WriteString(": ")
			if err := json.Compact(&buf, m[key].doc); err != nil {
				buf.WriteString("null")
			}
		}
		if len(keys) > 0 {
			buf.WriteString("\n  ")
		}
		buf.WriteByte('}')
		if !last {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("{\n")
	for _, kv := range []struct {
		k string
		v any
	}{{"kind", head.Kind}, {"version", head.Version}, {"tenants", head.Tenants}, {"identity", head.Identity},
		{"subscriptions", head.Subscriptions}, {"storageConfigs", head.StorageConfigs}, {"operations", st.ops}} {
		if err := writeKV(kv.k, kv.v, false); err != nil {
			return nil, err
		}
	}
	writeDocs("protectedItems", st.items, false)
	writeDocs("jobs", st.jobs, false)
	writeDocs("resources", st.res, true)
	buf.WriteString("}\n")
	return buf.Bytes(), nil
}

// unmarshalState reads a --sim-state file.
func unmarshalState(data []byte) (*state, error) {
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a simulator state file: %w", err)
	}
	if f.Kind != stateKind {
		return nil, fmt.Errorf("not a simulator state file (kind %q)", f.Kind)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("simulator state file version %d is not supported (want %d)", f.Version, stateVersion)
	}
	st := newState()
	st.tenants, st.identity = f.Tenants, f.Identity
	for _, s := range f.Subscriptions {
		if s == nil || s.ID == "" {
			return nil, errors.New("simulator state: a subscription without id")
		}
		if err := st.addSubscription(s); err != nil {
			return nil, err
		}
	}
	st.fillDefaults()
	for id, op := range f.Operations {
		if op != nil {
			st.ops[id] = op
		}
	}
	for k, c := range f.StorageConfigs {
		if c != nil {
			st.storage[strings.ToLower(k)] = c
		}
	}
	add := func(m map[string]json.RawMessage, typeKey string) error {
		for k, doc := range m {
			r, err := newResource(doc, nil)
			if err != nil {
				return fmt.Errorf("simulator state: %s: %w", k, err)
			}
			if typeKey != "" {
				r.typeKey = typeKey
			}
			if err := st.addResource(r); err != nil {
				return fmt.Errorf("simulator state: %w", err)
			}
		}
		return nil
	}
	if err := add(f.Resources, ""); err != nil {
		return nil, err
	}
	if err := add(f.ProtectedItems, typeProtectedItem); err != nil {
		return nil, err
	}
	if err := add(f.Jobs, typeJob); err != nil {
		return nil, err
	}
	return st, nil
}
