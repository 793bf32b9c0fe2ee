// Package azure is backupready's thin Azure layer: exactly the operations the
// wizard's steps need, typed, built on the Azure SDK for Go. It knows nothing
// of the UI; every failure is returned as an *Error with a Kind.
package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservices"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
)

// Client reaches Azure Resource Manager through the SDK clients. It is safe for
// concurrent use.
type Client struct {
	cred azcore.TokenCredential
	opts *arm.ClientOptions

	subs    *armsubscriptions.Client
	tenants *armsubscriptions.TenantsClient
	graph   *armresourcegraph.Client

	mu       sync.Mutex
	perSub   map[string]*subClients
	pageSize int32

	// throttling (throttle.go): Resource Graph's quota, Compute's buckets
	graphQuota *graphQuota
	compute    *computeGate
	longWait   *longRetryAfter
}

// subClients are the clients bound to one subscription.
type subClients struct {
	vms       *armcompute.VirtualMachinesClient
	nsgs      *armnetwork.SecurityGroupsClient
	nics      *armnetwork.InterfacesClient
	vaults    *armrecoveryservices.VaultsClient
	providers *armresources.ProvidersClient
}

// New builds the Azure layer on a credential and ARM client options. The
// options carry the cloud, the transport (the simulator plugs in here) and
// extra pipeline policies such as the request trace.
func New(cred azcore.TokenCredential, opts *arm.ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &arm.ClientOptions{}
	}
	c := &Client{cred: cred, perSub: map[string]*subClients{}, pageSize: 1000,
		compute: newComputeGate(DefaultComputePerSubscription), longWait: newLongRetryAfter(opts.Retry)}
	c.graphQuota = newGraphQuota(c.longWait.maxRetryDelay)
	// Every client waits out long Retry-Afters of reads and bounds Compute
	// reads per subscription; the limiters go first among the per-retry
	// policies so that a trace times the request, not the wait before it.
	o := *opts
	o.PerCallPolicies = append(append([]policy.Policy(nil), opts.PerCallPolicies...), c.longWait)
	o.PerRetryPolicies = append([]policy.Policy{c.compute}, opts.PerRetryPolicies...)
	c.opts = &o
	opts = &o
	var err error
	if c.subs, err = armsubscriptions.NewClient(cred, opts); err != nil {
		return nil, Classify("create-clients", err)
	}
	if c.tenants, err = armsubscriptions.NewTenantsClient(cred, opts); err != nil {
		return nil, Classify("create-clients", err)
	}
	graphOpts := *opts
	graphOpts.PerCallPolicies = append(append([]policy.Policy(nil), opts.PerCallPolicies...), takeRows{})
	graphOpts.PerRetryPolicies = append([]policy.Policy{c.graphQuota}, opts.PerRetryPolicies...)
	if c.graph, err = armresourcegraph.NewClient(cred, &graphOpts); err != nil {
		return nil, Classify("create-clients", err)
	}
	return c, nil
}

// Cloud returns the cloud configuration the client talks to.
func (c *Client) Cloud() cloud.Configuration {
	if c.opts.Cloud.ActiveDirectoryAuthorityHost == "" {
		return cloud.AzurePublic
	}
	return c.opts.Cloud
}

func (c *Client) forSub(subID string) (*subClients, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sc, ok := c.perSub[subID]; ok {
		return sc, nil
	}
	sc := &subClients{}
	var err error
	if sc.vms, err = armcompute.NewVirtualMachinesClient(subID, c.cred, c.opts); err != nil {
		return nil, err
	}
	if sc.nsgs, err = armnetwork.NewSecurityGroupsClient(subID, c.cred, c.opts); err != nil {
		return nil, err
	}
	if sc.nics, err = armnetwork.NewInterfacesClient(subID, c.cred, c.opts); err != nil {
		return nil, err
	}
	if sc.vaults, err = armrecoveryservices.NewVaultsClient(subID, c.cred, c.opts); err != nil {
		return nil, err
	}
	if sc.providers, err = armresources.NewProvidersClient(subID, c.cred, c.opts); err != nil {
		return nil, err
	}
	c.perSub[subID] = sc
	return sc, nil
}

// armScope is the token scope for Resource Manager in the client's cloud.
func (c *Client) armScope() string {
	aud := "https://management.core.windows.net/"
	if svc, ok := c.Cloud().Services[cloud.ResourceManager]; ok && svc.Audience != "" {
		aud = svc.Audience
	}
	return strings.TrimSuffix(aud, "/") + "/.default"
}

// Identity asks the credential for an ARM token and reads who it belongs to
// from the token's claims. The token itself is never kept or shown.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	const op = "sign-in"
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.armScope()}})
	if err != nil {
		e := Classify(op, err).(*Error)
		if e.Kind == KindUnknown {
			e.Kind = KindSignIn
		}
		// Credential errors can quote cache paths and command lines: keep only the kind.
		e.Err, e.Message = nil, ""
		return Identity{}, e
	}
	return identityFromToken(tok.Token), nil
}

func identityFromToken(token string) Identity {
	parts := strings.Split(token, ".")
	if len(parts) < 2 {
		return Identity{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Identity{}
	}
	var cl struct {
		UPN       string `json:"upn"`
		Unique    string `json:"unique_name"`
		Preferred string `json:"preferred_username"`
		AppID     string `json:"appid"`
		AppIDACR  string `json:"azp"`
		TenantID  string `json:"tid"`
		ObjectID  string `json:"oid"`
		IDType    string `json:"idtyp"`
	}
	if json.Unmarshal(raw, &cl) != nil {
		return Identity{}
	}
	id := Identity{TenantID: cl.TenantID, ObjectID: cl.ObjectID, Kind: "user"}
	for _, n := range []string{cl.UPN, cl.Preferred, cl.Unique} {
		if n != "" {
			id.Name = n
			break
		}
	}
	if id.Name == "" || cl.IDType == "app" {
		id.Kind = "app"
		if id.Name == "" {
			id.Name = cl.AppID
			if id.Name == "" {
				id.Name = cl.AppIDACR
			}
		}
	}
	return id
}

// Tenants lists the directories the identity can use.
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	pager := c.tenants.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, Classify("list-tenants", err)
		}
		for _, t := range page.Value {
			if t == nil {
				continue
			}
			out = append(out, Tenant{ID: str(t.TenantID), Name: str(t.DisplayName), DefaultDomain: str(t.DefaultDomain)})
		}
	}
	return out, nil
}

// Subscriptions lists every subscription the identity sees, in any state.
func (c *Client) Subscriptions(ctx context.Context) ([]Subscription, error) {
	var out []Subscription
	pager := c.subs.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, Classify("list-subscriptions", err)
		}
		for _, s := range page.Value {
			if s == nil {
				continue
			}
			sub := Subscription{ID: str(s.SubscriptionID), Name: str(s.DisplayName), TenantID: str(s.TenantID)}
			if s.State != nil {
				sub.State = string(*s.State)
			}
			out = append(out, sub)
		}
	}
	return out, nil
}

// Locations lists the physical regions of a subscription.
func (c *Client) Locations(ctx context.Context, subscriptionID string) ([]Location, error) {
	var out []Location
	pager := c.subs.NewListLocationsPager(subscriptionID, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, Classify("list-locations", err)
		}
		for _, l := range page.Value {
			if l == nil {
				continue
			}
			loc := Location{Name: str(l.Name), DisplayName: str(l.DisplayName), HasZones: len(l.AvailabilityZoneMappings) > 0}
			if m := l.Metadata; m != nil {
				if m.RegionType != nil {
					loc.RegionType = string(*m.RegionType)
				}
				if len(m.PairedRegion) > 0 && m.PairedRegion[0] != nil {
					loc.PairedRegion = str(m.PairedRegion[0].Name)
				}
			}
			if loc.RegionType != "" && loc.RegionType != "Physical" {
				continue
			}
			out = append(out, loc)
		}
	}
	return out, nil
}

// ProviderState reads a resource provider's registration state in a
// subscription (Registered, NotRegistered, Registering, Unregistering).
func (c *Client) ProviderState(ctx context.Context, subscriptionID, namespace string) (string, error) {
	const op = "provider-state"
	sc, err := c.forSub(subscriptionID)
	if err != nil {
		return "", Classify(op, err)
	}
	resp, err := sc.providers.Get(ctx, namespace, nil)
	if err != nil {
		return "", Classify(op, err)
	}
	return str(resp.RegistrationState), nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
