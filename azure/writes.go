package azure

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservices"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// The writes that prepare a subscription for backup (AZURE.md §2): register
// the Recovery Services provider, create the resource group, create the
// vault. Storage redundancy is SetStorageConfig (vaults.go).

// RegisterProvider asks Azure to register a resource provider namespace in a
// subscription and returns the registration state it reports (usually
// Registering; registration finishes minutes later: poll ProviderState).
// Needs */register/action on the subscription (Contributor or Owner).
func (c *Client) RegisterProvider(ctx context.Context, subscriptionID, namespace string) (string, error) {
	const op = "register-provider"
	if subscriptionID == "" || namespace == "" {
		return "", &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	sc, err := c.forSub(subscriptionID)
	if err != nil {
		return "", Classify(op, err)
	}
	resp, err := sc.providers.Register(ctx, namespace, nil)
	if err != nil {
		return "", Classify(op, err)
	}
	return str(resp.RegistrationState), nil
}

// CreateResourceGroup creates a resource group in a location (a PUT: an
// existing group in the same location is left as it is). It returns the
// group Azure reports.
func (c *Client) CreateResourceGroup(ctx context.Context, subscriptionID, group, location string) (ResourceGroup, error) {
	const op = "create-resource-group"
	if subscriptionID == "" || group == "" || location == "" {
		return ResourceGroup{}, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	cl, err := armresources.NewResourceGroupsClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return ResourceGroup{}, Classify(op, err)
	}
	resp, err := cl.CreateOrUpdate(ctx, group, armresources.ResourceGroup{Location: to.Ptr(location),
		Tags: map[string]*string{"createdBy": to.Ptr("backupready")}}, nil)
	if err != nil {
		return ResourceGroup{}, Classify(op, err)
	}
	return ResourceGroup{Name: str(resp.Name), Location: str(resp.Location)}, nil
}

// BeginCreateVault starts creating a Recovery Services vault (Standard SKU,
// public network access, soft delete on, as the portal does) and returns the
// long-running operation. With a resume token from an earlier run it waits
// for that operation again instead of sending a new PUT. A PUT on an
// existing vault of that name updates it, so callers check VaultByName first.
func (c *Client) BeginCreateVault(ctx context.Context, subscriptionID, group, name, location, resumeToken string) (*Operation, error) {
	const op = "create-vault"
	if subscriptionID == "" || group == "" || name == "" || (location == "" && resumeToken == "") {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	sc, err := c.forSub(subscriptionID)
	if err != nil {
		return nil, Classify(op, err)
	}
	body := armrecoveryservices.Vault{
		Location: to.Ptr(location),
		SKU:      &armrecoveryservices.SKU{Name: to.Ptr(armrecoveryservices.SKUNameStandard)},
		Properties: &armrecoveryservices.VaultProperties{
			PublicNetworkAccess: to.Ptr(armrecoveryservices.PublicNetworkAccessEnabled),
		},
		Tags: map[string]*string{"createdBy": to.Ptr("backupready")},
	}
	// armrecoveryservices takes (group, vault).
	p, err := sc.vaults.BeginCreateOrUpdate(ctx, group, name, body, &armrecoveryservices.VaultsClientBeginCreateOrUpdateOptions{ResumeToken: resumeToken})
	if err != nil {
		return nil, Classify(op, err)
	}
	return newOperation(op, p, nil), nil
}

// Ready reports whether a vault has finished provisioning.
func (v Vault) Ready() bool {
	return v.ProvisioningState == "" || strings.EqualFold(v.ProvisioningState, "Succeeded")
}

// vaultOf turns an SDK vault into ours.
func vaultOf(op string, m armrecoveryservices.Vault) (Vault, error) {
	var raw json.RawMessage
	if err := viaJSON(op, m, &raw); err != nil {
		return Vault{}, err
	}
	v, err := decodeVault(raw)
	if err != nil {
		return Vault{}, &Error{Kind: KindBadResponse, Op: op, Message: err.Error(), Err: err}
	}
	return v, nil
}
