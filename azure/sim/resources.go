package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"unicode"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	resfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/fake"
)

// armresources: provider registration (api-version 2021-04-01) and resource
// groups.

// knownProviders are the namespaces the simulated subscriptions offer, with
// the resource types each lists (the first of each "located" in every region).
var knownProviders = []struct {
	namespace string
	types     []string
}{
	{"Microsoft.RecoveryServices", []string{"vaults", "operations", "locations", "locations/checkNameAvailability", "locations/backupStatus"}},
	{"Microsoft.Compute", []string{"virtualMachines", "disks", "locations", "operations"}},
	{"Microsoft.Network", []string{"networkSecurityGroups", "networkInterfaces", "virtualNetworks", "publicIPAddresses", "locations", "operations"}},
	{"Microsoft.Storage", []string{"storageAccounts", "locations", "operations"}},
	{"Microsoft.Resources", []string{"resourceGroups", "deployments", "operations"}},
	{"Microsoft.ResourceGraph", []string{"resources", "operations"}},
	{"Microsoft.KeyVault", []string{"vaults", "operations"}},
}

func (c *Cloud) resourcesTransport() policy.Transporter {
	return resfake.NewServerFactoryTransport(&resfake.ServerFactory{
		ProvidersServer: resfake.ProvidersServer{
			Register: func(ctx context.Context, namespace string, _ *armresources.ProvidersClientRegisterOptions) (resp azfake.Responder[armresources.ProvidersClientRegisterResponse], errResp azfake.ErrorResponder) {
				p, ae := c.registerProvider(infoOf(ctx).sub, namespace)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusOK, armresources.ProvidersClientRegisterResponse{Provider: *p}, nil)
				return
			},
			Get: func(ctx context.Context, namespace string, _ *armresources.ProvidersClientGetOptions) (resp azfake.Responder[armresources.ProvidersClientGetResponse], errResp azfake.ErrorResponder) {
				sub := infoOf(ctx).sub
				c.mu.RLock()
				defer c.mu.RUnlock()
				p := c.providerModel(sub, namespace)
				if p == nil {
					errResp.SetError(&armError{status: http.StatusNotFound, code: "InvalidResourceNamespace",
						message: "The resource namespace '" + namespace + "' is invalid."})
					return
				}
				resp.SetResponse(http.StatusOK, armresources.ProvidersClientGetResponse{Provider: *p}, nil)
				return
			},
		},
		ResourceGroupsServer: resfake.ResourceGroupsServer{
			CreateOrUpdate: func(ctx context.Context, name string, in armresources.ResourceGroup, _ *armresources.ResourceGroupsClientCreateOrUpdateOptions) (resp azfake.Responder[armresources.ResourceGroupsClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
				out, created, ae := c.putResourceGroup(infoOf(ctx).sub, name, in)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				status := http.StatusOK
				if created {
					status = http.StatusCreated
				}
				resp.SetResponse(status, armresources.ResourceGroupsClientCreateOrUpdateResponse{ResourceGroup: out}, nil)
				return
			},
			Get: func(ctx context.Context, name string, _ *armresources.ResourceGroupsClientGetOptions) (resp azfake.Responder[armresources.ResourceGroupsClientGetResponse], errResp azfake.ErrorResponder) {
				sub := infoOf(ctx).sub
				c.mu.RLock()
				defer c.mu.RUnlock()
				info := c.view().rgs[strings.ToLower(sub)+"/"+strings.ToLower(name)]
				if info == nil {
					errResp.SetError(&armError{status: http.StatusNotFound, code: "ResourceGroupNotFound", message: "Resource group '" + name + "' could not be found."})
					return
				}
				resp.SetResponse(http.StatusOK, armresources.ResourceGroupsClientGetResponse{ResourceGroup: rgModel(sub, info)}, nil)
				return
			},
			CheckExistence: func(ctx context.Context, name string, _ *armresources.ResourceGroupsClientCheckExistenceOptions) (resp azfake.Responder[armresources.ResourceGroupsClientCheckExistenceResponse], errResp azfake.ErrorResponder) {
				sub := infoOf(ctx).sub
				c.mu.RLock()
				defer c.mu.RUnlock()
				if c.view().hasRG(sub, name) {
					resp.SetResponse(http.StatusNoContent, armresources.ResourceGroupsClientCheckExistenceResponse{Success: true}, nil)
				} else {
					resp.SetResponse(http.StatusNotFound, armresources.ResourceGroupsClientCheckExistenceResponse{}, nil)
				}
				return
			},
			NewListPager: func(_ *armresources.ResourceGroupsClientListOptions) (resp azfake.PagerResponder[armresources.ResourceGroupsClientListResponse]) {
				sub := c.pagerInfo(modResources).sub
				c.mu.RLock()
				defer c.mu.RUnlock()
				page := armresources.ResourceGroupsClientListResponse{}
				page.Value = []*armresources.ResourceGroup{}
				for _, info := range c.sortedRGs(sub) {
					rg := rgModel(sub, info)
					page.Value = append(page.Value, &rg)
				}
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
		},
	})
}

// providerModel describes a namespace in a subscription. Caller holds c.mu.
func (c *Cloud) providerModel(sub, namespace string) *armresources.Provider {
	for _, kp := range knownProviders {
		if !strings.EqualFold(kp.namespace, namespace) {
			continue
		}
		p := &armresources.Provider{
			ID:                 to.Ptr("/subscriptions/" + sub + "/providers/" + kp.namespace),
			Namespace:          to.Ptr(kp.namespace),
			RegistrationState:  to.Ptr(c.st.providerState(sub, kp.namespace)),
			RegistrationPolicy: to.Ptr("RegistrationRequired"),
		}
		var locs []*string
		for _, r := range c.regions() {
			if !r.logical {
				locs = append(locs, to.Ptr(r.display))
			}
		}
		for i, t := range kp.types {
			rt := &armresources.ProviderResourceType{
				ResourceType: to.Ptr(t),
				APIVersions:  []*string{to.Ptr(providerAPIVersion(kp.namespace))},
			}
			if i == 0 || strings.HasPrefix(t, "locations/") {
				rt.Locations = locs
				rt.Capabilities = to.Ptr("CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation")
			} else {
				rt.Locations = []*string{}
			}
			p.ResourceTypes = append(p.ResourceTypes, rt)
		}
		return p
	}
	return nil
}

func providerAPIVersion(ns string) string {
	switch ns {
	case "Microsoft.RecoveryServices":
		return "2026-07-01"
	case "Microsoft.Compute":
		return "2025-04-01"
	case "Microsoft.Network":
		return "2025-01-01"
	case "Microsoft.ResourceGraph":
		return "2024-04-01"
	}
	return "2021-04-01"
}

func rgModel(sub string, info *rgInfo) armresources.ResourceGroup {
	rg := armresources.ResourceGroup{
		ID:         to.Ptr("/subscriptions/" + sub + "/resourceGroups/" + info.name),
		Name:       to.Ptr(info.name),
		Type:       to.Ptr("Microsoft.Resources/resourceGroups"),
		Location:   to.Ptr(info.location),
		Properties: &armresources.ResourceGroupProperties{ProvisioningState: to.Ptr("Succeeded")},
	}
	if info.doc != nil {
		var d armresources.ResourceGroup
		if json.Unmarshal(info.doc.doc, &d) == nil {
			d.ID, d.Name = rg.ID, rg.Name
			if d.Type == nil {
				d.Type = rg.Type
			}
			if d.Properties == nil {
				d.Properties = rg.Properties
			}
			return d
		}
	}
	return rg
}

// sortedRGs lists the resource groups of a subscription by name. Caller holds c.mu.
func (c *Cloud) sortedRGs(sub string) []*rgInfo {
	prefix := strings.ToLower(sub) + "/"
	var out []*rgInfo
	for k, info := range c.view().rgs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].name) < strings.ToLower(out[j].name) })
	return out
}

func init() {
	finishers[opProviderRegister] = func(c *Cloud, st *state, op *simOp) {
		var d struct{ Sub, Namespace string }
		_ = json.Unmarshal(op.Data, &d)
		if s := st.subByKey[strings.ToLower(d.Sub)]; s != nil {
			if s.Providers == nil {
				s.Providers = map[string]string{}
			}
			s.Providers[d.Namespace] = "Registered"
		}
	}
}

// registerProvider starts registering a namespace: Azure answers 200 with
// registrationState Registering at once and finishes minutes later
// (AZURE.md §2.1); here after the run's operation time.
func (c *Cloud) registerProvider(sub, namespace string) (*armresources.Provider, *armError) {
	var p *armresources.Provider
	err := c.mutate(func(st *state) error {
		kp := c.providerModel(sub, namespace)
		if kp == nil {
			return &armError{status: http.StatusNotFound, code: "InvalidResourceNamespace",
				message: "The resource namespace '" + namespace + "' is invalid."}
		}
		ns := *kp.Namespace
		if st.providerState(sub, ns) != "Registered" {
			s := st.subByKey[strings.ToLower(sub)]
			if s.Providers == nil {
				s.Providers = map[string]string{}
			}
			if s.Providers[ns] != "Registering" {
				s.Providers[ns] = "Registering"
				c.startOp(st, opProviderRegister, "/subscriptions/"+sub+"/providers/"+ns, struct{ Sub, Namespace string }{sub, ns})
			}
		}
		p = c.providerModel(sub, ns)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return p, nil
}

// putResourceGroup creates a resource group, or updates its tags; its
// location cannot change.
func (c *Cloud) putResourceGroup(sub, name string, in armresources.ResourceGroup) (armresources.ResourceGroup, bool, *armError) {
	if in.Location == nil || *in.Location == "" {
		return armresources.ResourceGroup{}, false, &armError{status: http.StatusBadRequest, code: "LocationRequired",
			message: "The location property is required for this definition."}
	}
	if !validGroupName(name) {
		return armresources.ResourceGroup{}, false, &armError{status: http.StatusBadRequest, code: "InvalidResourceGroupName",
			message: "Resource group name '" + name + "' is invalid: up to 90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period."}
	}
	var out armresources.ResourceGroup
	created := false
	err := c.mutate(func(st *state) error {
		loc := normLocation(*in.Location)
		if info := c.view().rgs[strings.ToLower(sub)+"/"+strings.ToLower(name)]; info != nil {
			if info.location != "" && normLocation(info.location) != loc {
				return &armError{status: http.StatusConflict, code: "InvalidResourceGroupLocation",
					message: "Invalid resource group location '" + loc + "'. The Resource group already exists in location '" + info.location + "'."}
			}
			if info.doc != nil {
				out = rgModel(sub, info)
				return nil
			}
		} else {
			created = true
		}
		doc := map[string]any{"id": "/subscriptions/" + sub + "/resourceGroups/" + name, "name": name,
			"type": "Microsoft.Resources/resourceGroups", "location": loc,
			"properties": map[string]string{"provisioningState": "Succeeded"}}
		if len(in.Tags) > 0 {
			doc["tags"] = in.Tags
		}
		raw, _ := json.Marshal(doc)
		r, err := newResource(raw, nil)
		if err != nil {
			return err
		}
		st.putResource(r)
		out = rgModel(sub, c.view().rgs[strings.ToLower(sub)+"/"+strings.ToLower(name)])
		return nil
	})
	if err != nil {
		return armresources.ResourceGroup{}, false, asARMError(err)
	}
	return out, created, nil
}

// validGroupName is ARM's resource group name rule.
func validGroupName(name string) bool {
	if name == "" || len(name) > 90 || strings.HasSuffix(name, ".") {
		return false
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.()", r)) {
			return false
		}
	}
	return true
}

// asARMError turns an error from mutate into the answer for the client.
func asARMError(err error) *armError {
	var ae *armError
	if errors.As(err, &ae) {
		return ae
	}
	return &armError{status: http.StatusInternalServerError, code: "SimulatorStateNotSaved", message: err.Error()}
}
