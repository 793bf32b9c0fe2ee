package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
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

func init() {
	finishers[opVaultCreate] = func(c *Cloud, st *state, op *simOp) {
		r := st.res[strings.ToLower(op.Target)]
		if r == nil {
			op.Status, op.Code, op.Message = opFailed, "ResourceNotFound", "The vault was deleted while it was being created."
			return
		}
		r.doc = setProvisioningState(r.doc, "Succeeded")
		st.gen++
	}
}

// vaultRoutes answer the vault PUT (api-version 2023-04-01) as Azure does: a
// new vault is 201 Created with provisioningState Provisioning and an
// Azure-AsyncOperation status URL, and becomes Succeeded when the operation
// finishes; a PUT on an existing vault in the same group and region updates
// it (200, synchronous). A vault name is unique in the subscription
// (AZURE.md §2.2): the same name in another group is refused.
//
// The vault GET is answered here too: the SDK poller's final GET after a
// vault PUT carries no API name, so the vault fake could not dispatch it.
func (c *Cloud) vaultRoutes() []nativeRoute {
	re := regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.RecoveryServices/vaults/([^/]+)$`)
	return []nativeRoute{{method: http.MethodPut, re: re, serve: c.putVault}, {method: http.MethodGet, re: re, serve: c.getVault}}
}

func (c *Cloud) getVault(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	r, ae := c.lookup(req.Context(), m[2], "Microsoft.RecoveryServices/vaults", m[3])
	if ae != nil {
		return nil, ae
	}
	c.mu.RLock()
	doc := c.vaultDoc(r)
	c.mu.RUnlock()
	return jsonResponse(req, http.StatusOK, doc, nil), nil
}

// codeVaultNameTaken is Azure's answer to a vault name used elsewhere in the
// subscription. UNCONFIRMED (AZURE.md §2.2 lists no recorded code).
const codeVaultNameTaken = "VaultAlreadyExists"

func (c *Cloud) putVault(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	sub, rg, name := m[1], m[2], m[3]
	var in armrecoveryservices.Vault
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		return nil, &armError{status: http.StatusBadRequest, code: "InvalidRequestContent", message: "The request content was invalid and could not be deserialized: " + err.Error()}
	}
	if in.Location == nil || *in.Location == "" {
		return nil, &armError{status: http.StatusBadRequest, code: "LocationRequired", message: "The location property is required for this definition."}
	}
	if !validVaultName(name) {
		return nil, &armError{status: http.StatusBadRequest, code: "InvalidResourceName",
			message: "Resource name '" + name + "' is invalid. The name can be 2-50 characters long and can contain only alphanumeric characters and hyphens, and must start with a letter."}
	}
	id := armID(sub, rg, "Microsoft.RecoveryServices/vaults", name)
	loc := normLocation(*in.Location)
	var out json.RawMessage
	status := http.StatusOK
	var hdr http.Header
	err := c.mutate(func(st *state) error {
		for _, r := range st.res {
			if r.typeKey != typeVault || r.sub != strings.ToLower(sub) || !strings.EqualFold(r.Name, name) {
				continue
			}
			if !strings.EqualFold(r.rg, rg) {
				return &armError{status: http.StatusConflict, code: codeVaultNameTaken,
					message: "Vault name '" + name + "' is already in use in resource group '" + r.rg + "'. Choose another name."}
			}
			if normLocation(r.Location) != loc {
				return &armError{status: http.StatusBadRequest, code: "LocationNotAvailableForResourceType",
					message: "The vault '" + name + "' already exists in location '" + r.Location + "'; a vault cannot be moved to '" + loc + "'."}
			}
			if !strings.EqualFold(provisioningState(r.doc), "Failed") {
				out = c.vaultDoc(r)
				return nil
			}
			// a vault whose creation failed: a new PUT tries again
			r.doc = setProvisioningState(r.doc, "Provisioning")
			st.gen++
			op := c.startOp(st, opVaultCreate, r.ID, nil)
			out, status, hdr = c.vaultDoc(r), http.StatusCreated, opHeaders(r.ID, "/operationStatus/", apiVaults, op)
			return nil
		}
		doc := map[string]any{
			"id": id, "name": name, "type": "Microsoft.RecoveryServices/vaults", "location": loc,
			"sku":  map[string]string{"name": "Standard"},
			"etag": fmt.Sprintf("W/\"datetime'%s'\"", c.now().UTC().Format("2006-01-02T15:04:05.0000000Z")),
			"properties": map[string]any{
				"provisioningState":                   "Provisioning",
				"privateEndpointStateForBackup":       "None",
				"privateEndpointStateForSiteRecovery": "None",
				"secureScore":                         "None",
				"publicNetworkAccess":                 "Enabled",
				"securitySettings": map[string]any{
					"softDeleteSettings":   map[string]any{"softDeleteState": "Enabled", "softDeleteRetentionPeriodInDays": 14},
					"immutabilitySettings": map[string]any{"state": "Disabled"},
				},
			},
		}
		if len(in.Tags) > 0 {
			doc["tags"] = in.Tags
		}
		raw, _ := json.Marshal(doc)
		r, err := newResource(raw, nil)
		if err != nil {
			return err
		}
		st.putResource(r)
		op := c.startOp(st, opVaultCreate, id, nil)
		out = c.vaultDoc(r)
		status = http.StatusCreated
		hdr = opHeaders(id, "/operationStatus/", apiVaults, op)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return jsonResponse(req, status, out, hdr), nil
}

// validVaultName is Azure's vault name rule (AZURE.md §2.2).
func validVaultName(name string) bool {
	if len(name) < 2 || len(name) > 50 {
		return false
	}
	for i, r := range name {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if i == 0 && !letter {
			return false
		}
		if !letter && !(r >= '0' && r <= '9') && r != '-' {
			return false
		}
	}
	return true
}

// setProvisioningState returns doc with properties.provisioningState set.
func setProvisioningState(doc json.RawMessage, state string) json.RawMessage {
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil || top == nil {
		return doc
	}
	props := map[string]json.RawMessage{}
	if raw, ok := top["properties"]; ok {
		_ = json.Unmarshal(raw, &props)
	}
	props["provisioningState"], _ = json.Marshal(state)
	top["properties"], _ = json.Marshal(props)
	out, err := json.Marshal(top)
	if err != nil {
		return doc
	}
	return out
}

// provisioningState reads properties.provisioningState of a document.
func provisioningState(doc json.RawMessage) string {
	var d struct {
		Properties struct {
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(doc, &d)
	return d.Properties.ProvisioningState
}
