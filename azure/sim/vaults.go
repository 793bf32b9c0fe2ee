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
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservices"
	rsfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservices/fake"
)

// armrecoveryservices: vault CRUD and name availability (api-version
// 2023-04-01). A vault's properties.redundancySettings always reflect its
// backup storage config in the state.

func (c *Cloud) vaultsTransport() policy.Transporter {
	return rsfake.NewServerFactoryTransport(&rsfake.ServerFactory{
		VaultsServer: rsfake.VaultsServer{
			Get: func(ctx context.Context, rg, name string, _ *armrecoveryservices.VaultsClientGetOptions) (resp azfake.Responder[armrecoveryservices.VaultsClientGetResponse], errResp azfake.ErrorResponder) {
				r, ae := c.lookup(ctx, rg, "Microsoft.RecoveryServices/vaults", name)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				c.mu.RLock()
				v, err := vaultModel(c.vaultDoc(r))
				c.mu.RUnlock()
				if err != nil {
					errResp.SetError(unreadable(r, err))
					return
				}
				resp.SetResponse(http.StatusOK, armrecoveryservices.VaultsClientGetResponse{Vault: *v}, nil)
				return
			},
			NewListBySubscriptionIDPager: func(_ *armrecoveryservices.VaultsClientListBySubscriptionIDOptions) (resp azfake.PagerResponder[armrecoveryservices.VaultsClientListBySubscriptionIDResponse]) {
				page := armrecoveryservices.VaultsClientListBySubscriptionIDResponse{}
				page.Value = c.listVaults(c.pagerInfo(modVaults).sub, "")
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
			NewListByResourceGroupPager: func(rg string, _ *armrecoveryservices.VaultsClientListByResourceGroupOptions) (resp azfake.PagerResponder[armrecoveryservices.VaultsClientListByResourceGroupResponse]) {
				page := armrecoveryservices.VaultsClientListByResourceGroupResponse{}
				page.Value = c.listVaults(c.pagerInfo(modVaults).sub, rg)
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
		},
		Server: rsfake.Server{
			CheckNameAvailability: func(ctx context.Context, rg, location string, in armrecoveryservices.CheckNameAvailabilityParameters, _ *armrecoveryservices.ClientCheckNameAvailabilityOptions) (resp azfake.Responder[armrecoveryservices.ClientCheckNameAvailabilityResponse], errResp azfake.ErrorResponder) {
				name := ""
				if in.Name != nil {
					name = *in.Name
				}
				sub := strings.ToLower(infoOf(ctx).sub)
				out := armrecoveryservices.CheckNameAvailabilityResult{NameAvailable: to.Ptr(true)}
				c.mu.RLock()
				for _, r := range c.st.res {
					if r.typeKey == typeVault && r.sub == sub && strings.EqualFold(r.Name, name) {
						out = armrecoveryservices.CheckNameAvailabilityResult{NameAvailable: to.Ptr(false),
							Reason: to.Ptr("AlreadyExists"), Message: to.Ptr("Resource already exists with the same name.")}
						break
					}
				}
				c.mu.RUnlock()
				resp.SetResponse(http.StatusOK, armrecoveryservices.ClientCheckNameAvailabilityResponse{CheckNameAvailabilityResult: out}, nil)
				return
			},
		},
	})
}

// listVaults lists the vaults of a subscription (and resource group, if not "").
func (c *Cloud) listVaults(sub, rg string) []*armrecoveryservices.Vault {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sub = strings.ToLower(sub)
	var rs []*resource
	for _, r := range c.st.res {
		if r.typeKey == typeVault && r.sub == sub && (rg == "" || strings.EqualFold(r.rg, rg)) {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].key < rs[j].key })
	out := []*armrecoveryservices.Vault{}
	for _, r := range rs {
		if v, err := vaultModel(c.vaultDoc(r)); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func vaultModel(doc json.RawMessage) (*armrecoveryservices.Vault, error) {
	var v armrecoveryservices.Vault
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// vaultDoc returns a vault document with properties.redundancySettings set
// from the vault's storage config. Caller holds c.mu.
func (c *Cloud) vaultDoc(r *resource) json.RawMessage {
	cfg := c.st.storageConfig(r.key)
	var top map[string]json.RawMessage
	if json.Unmarshal(r.doc, &top) != nil || top == nil {
		return r.doc
	}
	props := map[string]json.RawMessage{}
	if raw, ok := top["properties"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &props) != nil || props == nil {
			return r.doc
		}
	}
	crr := "Disabled"
	if cfg.CrossRegionRestore {
		crr = "Enabled"
	}
	rs, _ := json.Marshal(map[string]string{"standardTierStorageRedundancy": cfg.StorageType, "crossRegionRestore": crr})
	props["redundancySettings"] = rs
	pb, err := json.Marshal(props)
	if err != nil {
		return r.doc
	}
	top["properties"] = pb
	out, err := json.Marshal(top)
	if err != nil {
		return r.doc
	}
	return out
}
