package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

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
