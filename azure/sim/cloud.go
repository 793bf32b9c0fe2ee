// Package sim is backupready's simulated Azure (DESIGN §4): a scenario of ARM
// documents kept as in-memory state, answered to the real SDK clients through
// each SDK module's own fake server transport, so that request building,
// paging, long-running operations, retries and error parsing all run as they
// do against Azure. Faults and latency from the scenario are applied in front
// of every request.
//
// Use it through Cloud.ClientOptions and Cloud.Credential:
//
//	cloud, _ := sim.New(sim.Demo(), sim.Options{})
//	client, _ := azure.New(cloud.Credential(), cloud.ClientOptions())
package sim

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/renameio/v2"
)

// Options configure a simulated cloud.
type Options struct {
	// StatePath is the --sim-state file: the tenant is loaded from it when it
	// exists, else created from the scenario and written there. After every
	// change the state is written again, atomically. "" keeps it in memory.
	StatePath string
	// Now is the clock (token expiry, timestamps). nil means time.Now.
	Now func() time.Time
}

// Cloud is a simulated Azure tenant. It is safe for concurrent use.
type Cloud struct {
	opts    Options
	now     func() time.Time
	latency time.Duration
	opTime  time.Duration // how long a long-running operation takes
	faults  []*faultRule
	limits  *limiter // throttling limits (limits.go); nil: none

	mu sync.RWMutex // guards st
	st *state

	cacheMu sync.Mutex
	cache   *derived

	saveMu sync.Mutex
	router *router
}

// New builds a simulated cloud from a scenario (nil means the built-in demo
// tenant). With opts.StatePath set and the file present, the tenant's state
// (resources, subscriptions, storage configs, protected items, jobs) comes
// from the file and only latency and faults from sc; without the file, it is
// created from sc and written.
func New(sc *Scenario, opts Options) (*Cloud, error) {
	if sc == nil {
		sc = Demo()
	}
	c := &Cloud{opts: opts, now: opts.Now, latency: sc.Latency, opTime: sc.OperationTime}
	if c.now == nil {
		c.now = time.Now
	}
	if sc.Latency < 0 || sc.OperationTime < 0 {
		return nil, errors.New("sim: latency and operationTime must not be negative")
	}
	for i, f := range sc.Faults {
		fr := &faultRule{Fault: f}
		if fr.re == nil {
			re, err := regexp.Compile(f.Match)
			if err != nil {
				return nil, fmt.Errorf("sim: faults[%d]: bad match expression: %w", i, err)
			}
			fr.re = re
		}
		if !f.FailOperation && (f.Status < 400 || f.Status > 599 || http.StatusText(f.Status) == "") {
			return nil, fmt.Errorf("sim: faults[%d]: status %d is not an HTTP error status", i, f.Status)
		}
		if f.Times < 0 || f.Every < 0 || f.RetryAfter < 0 {
			return nil, fmt.Errorf("sim: faults[%d]: times, every and retryAfter must not be negative", i)
		}
		c.faults = append(c.faults, fr)
	}
	if err := sc.Limits.validate(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	c.limits = newLimiter(sc.Limits, c.now)
	var err error
	created := true
	if opts.StatePath != "" {
		data, rerr := os.ReadFile(opts.StatePath)
		switch {
		case rerr == nil:
			if c.st, err = unmarshalState(data); err != nil {
				return nil, fmt.Errorf("sim: %s: %w", opts.StatePath, err)
			}
			created = false
		case errors.Is(rerr, fs.ErrNotExist):
		default:
			return nil, fmt.Errorf("sim: %w", rerr)
		}
	}
	if created {
		if c.st, err = stateFromScenario(sc); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	c.st.addSubscriptionTenants()
	c.router = c.newRouter()
	c.warmGraph()
	if created && opts.StatePath != "" {
		if err := c.Save(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Cloud) newRouter() *router {
	r := &router{c: c, modules: map[string]*fakeModule{}}
	for name, tr := range map[string]policy.Transporter{
		modSubscriptions: c.subscriptionsTransport(),
		modResources:     c.resourcesTransport(),
		modGraph:         c.graphTransport(),
		modCompute:       c.computeTransport(),
		modNetwork:       c.networkTransport(),
		modVaults:        c.vaultsTransport(),
		modBackup:        c.backupTransport(),
	} {
		r.modules[name] = &fakeModule{name: name, tr: tr}
	}
	r.natives = append(r.natives, c.tenantRoutes()...)
	r.natives = append(r.natives, c.statusRoutes()...)
	r.natives = append(r.natives, c.vaultRoutes()...)
	r.natives = append(r.natives, c.backupRoutes()...)
	r.natives = append(append(c.networkRoutes(), c.effectiveRoutesRoute()), r.natives...) // first: Network's operationResults answer results
	return r
}

// ClientOptions returns fresh ARM client options whose transport is the
// simulator: public cloud, resource provider auto-registration off, azcore's
// retry defaults except MaxRetryDelay 60 s. Callers may add policies.
func (c *Cloud) ClientOptions() *arm.ClientOptions {
	return &arm.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.AzurePublic,
			Transport: c.router,
			Retry:     policy.RetryOptions{MaxRetryDelay: 60 * time.Second},
		},
		DisableRPRegistration: true,
	}
}

// Transport returns the simulator's transport (the router) for callers that
// build their own client options.
func (c *Cloud) Transport() policy.Transporter { return c.router }

// Save writes the state to Options.StatePath atomically (write to a temporary
// file, then rename), so a killed run leaves the old or the new state, never a
// torn file. Without a StatePath it does nothing.
func (c *Cloud) Save() error {
	if c.opts.StatePath == "" {
		return nil
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	c.mu.RLock()
	data, err := c.st.marshal()
	c.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("sim: state: %w", err)
	}
	if err := renameio.WriteFile(c.opts.StatePath, data, 0o644); err != nil {
		return fmt.Errorf("sim: state: %w", err)
	}
	return nil
}

// mutate changes the state under the write lock and saves it. Write
// operations (vault PUT, storage config PATCH, rule PUT, …) go through here.
func (c *Cloud) mutate(fn func(st *state) error) error {
	c.mu.Lock()
	err := fn(c.st)
	c.st.gen++
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.Save()
}

// Latency returns the per-request latency of this run.
func (c *Cloud) Latency() time.Duration { return c.latency }

// Subscriptions returns the simulated tenant's subscriptions.
func (c *Cloud) Subscriptions() []Subscription {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Subscription, len(c.st.subs))
	for i, s := range c.st.subs {
		out[i] = *s
		out[i].Providers = nil
		if len(s.Providers) > 0 {
			out[i].Providers = make(map[string]string, len(s.Providers))
			for k, v := range s.Providers {
				out[i].Providers[k] = v
			}
		}
	}
	return out
}

// ResourceCount returns the number of resources of a type (case-insensitive;
// "" counts all), for tests and diagnostics.
func (c *Cloud) ResourceCount(typ string) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if typ == "" {
		return len(c.st.res)
	}
	t := strings.ToLower(typ)
	n := 0
	for _, r := range c.st.res {
		if r.typeKey == t {
			n++
		}
	}
	return n
}

// derived holds indexes computed from one generation of the state.
type derived struct {
	gen   uint64
	rgs   map[string]*rgInfo // by lower(sub)+"/"+lower(rg)
	graph graphCache
}

type rgInfo struct {
	subID    string
	name     string
	location string
	doc      *resource // a Microsoft.Resources/resourceGroups document, if any
	locFrom  string    // key of the resource the location was taken from
}

// view returns the indexes of the current state. The caller holds c.mu.
func (c *Cloud) view() *derived {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	if c.cache != nil && c.cache.gen == c.st.gen {
		return c.cache
	}
	d := &derived{gen: c.st.gen, rgs: map[string]*rgInfo{}}
	for _, r := range c.st.res {
		if r.rg == "" {
			continue
		}
		key := r.sub + "/" + strings.ToLower(r.rg)
		info := d.rgs[key]
		if info == nil {
			info = &rgInfo{subID: r.subID, name: r.rg}
			d.rgs[key] = info
		}
		if r.typeKey == typeResourceGroup {
			info.doc, info.name, info.location = r, r.Name, r.Location
		} else if info.doc == nil && r.Location != "" && (info.locFrom == "" || r.key < info.locFrom) {
			// no resource group document: take the location of its first
			// resource by id, so that the answer does not depend on map order
			info.location, info.locFrom = normLocation(r.Location), r.key
		}
	}
	c.cache = d
	return d
}

func (d *derived) hasRG(sub, rg string) bool {
	_, ok := d.rgs[strings.ToLower(sub)+"/"+strings.ToLower(rg)]
	return ok
}

// get returns the resource with that id (case-insensitive). Caller holds c.mu.
func (c *Cloud) get(id string) *resource {
	return c.st.res[strings.ToLower(id)]
}

// armID builds a resource id under a resource group.
func armID(sub, rg, provider string, names ...string) string {
	var b strings.Builder
	b.WriteString("/subscriptions/")
	b.WriteString(sub)
	b.WriteString("/resourceGroups/")
	b.WriteString(rg)
	b.WriteString("/providers/")
	b.WriteString(provider)
	for _, n := range names {
		b.WriteByte('/')
		b.WriteString(n)
	}
	return b.String()
}
