package azure

import (
	"context"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservices"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// Vault name check, vault lookup by name, resource group existence and list, and the
// vault's backup storage configuration (AZURE.md §2-3).

// Storage types and lock states of a vault's backup storage configuration.
const (
	StorageGeoRedundant     = "GeoRedundant"
	StorageLocallyRedundant = "LocallyRedundant"
	StorageZoneRedundant    = "ZoneRedundant"

	StorageLocked   = "Locked"
	StorageUnlocked = "Unlocked"
)

// Codes of the failures this package detects itself (Error.Code).
const (
	// CodeWriteNotApplied: Azure accepted a write, but reading back shows the old value.
	CodeWriteNotApplied = "WriteNotApplied"
	// CodeStorageTypeLocked: the vault protects items; its storage type can no longer change.
	CodeStorageTypeLocked = "StorageTypeLocked"
	// CodeCrossRegionRestoreLocked: cross-region restore cannot be turned off once protection started.
	CodeCrossRegionRestoreLocked = "CrossRegionRestoreLocked"
	// CodeCrossRegionRestoreNeedsGeo: cross-region restore exists only for geo-redundant storage.
	CodeCrossRegionRestoreNeedsGeo = "CrossRegionRestoreNeedsGeoRedundant"
	// CodeMissingArgument: a required argument was empty.
	CodeMissingArgument = "MissingArgument"
)

// vaultTypeName is the type CheckNameAvailability is asked about.
const vaultTypeName = "Microsoft.RecoveryServices/Vaults"

// StorageConfig is a vault's backup storage configuration
// (backupstorageconfig/vaultstorageconfig).
type StorageConfig struct {
	Type               string // GeoRedundant, LocallyRedundant, ZoneRedundant, …
	State              string // Locked, Unlocked
	CrossRegionRestore bool
}

// Locked reports whether the storage type can no longer change.
func (s StorageConfig) Locked() bool { return strings.EqualFold(s.State, StorageLocked) }

// vaultRef names one vault. The two Recovery Services modules take its
// resource group and name in opposite orders (AZURE.md §0: the backup module
// (vault, group), the vault module (group, vault)); both are plain strings,
// so every call goes through the small helpers below, which are the only
// places that spell either order out.
type vaultRef struct {
	sub, group, name string
}

// vaultFromID parses a vault resource id for op.
func vaultFromID(op, id string) (vaultRef, error) {
	rid, err := parseID(op, id)
	if err != nil {
		return vaultRef{}, err
	}
	if !strings.EqualFold(rid.ResourceType.String(), "Microsoft.RecoveryServices/vaults") || rid.ResourceGroupName == "" {
		return vaultRef{}, &Error{Kind: KindInvalid, Op: op, Message: "not a Recovery Services vault id"}
	}
	return vaultRef{sub: rid.SubscriptionID, group: rid.ResourceGroupName, name: rid.Name}, nil
}

// getVault reads the vault: armrecoveryservices takes (group, vault).
func getVault(ctx context.Context, cl *armrecoveryservices.VaultsClient, v vaultRef) (armrecoveryservices.VaultsClientGetResponse, error) {
	return cl.Get(ctx, v.group, v.name, nil)
}

// storageClient returns the storage config client of the vault's subscription.
func (c *Client) storageClient(v vaultRef) (*armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClient, error) {
	return armrecoveryservicesbackup.NewBackupResourceStorageConfigsNonCRRClient(v.sub, c.cred, c.opts)
}

// getStorage reads the storage config: the backup module takes (vault, group).
func getStorage(ctx context.Context, cl *armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClient, v vaultRef) (armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientGetResponse, error) {
	return cl.Get(ctx, v.name, v.group, nil)
}

// patchStorage writes the storage config (204, no body): (vault, group).
func patchStorage(ctx context.Context, cl *armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClient, v vaultRef, body armrecoveryservicesbackup.BackupResourceConfigResource) error {
	_, err := cl.Patch(ctx, v.name, v.group, body, nil)
	return err
}

func storageFrom(r armrecoveryservicesbackup.BackupResourceConfigResource) StorageConfig {
	var out StorageConfig
	p := r.Properties
	if p == nil {
		return out
	}
	if p.StorageType != nil {
		out.Type = string(*p.StorageType)
	}
	if out.Type == "" && p.StorageModelType != nil {
		out.Type = string(*p.StorageModelType)
	}
	if p.StorageTypeState != nil {
		out.State = string(*p.StorageTypeState)
	}
	if p.CrossRegionRestoreFlag != nil {
		out.CrossRegionRestore = *p.CrossRegionRestoreFlag
	}
	return out
}

// StorageConfig reads a vault's backup storage configuration.
func (c *Client) StorageConfig(ctx context.Context, vaultID string) (StorageConfig, error) {
	const op = "get-storage-config"
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return StorageConfig{}, err
	}
	return c.readStorage(ctx, op, v)
}

func (c *Client) readStorage(ctx context.Context, op string, v vaultRef) (StorageConfig, error) {
	cl, err := c.storageClient(v)
	if err != nil {
		return StorageConfig{}, Classify(op, err)
	}
	resp, err := getStorage(ctx, cl, v)
	if err != nil {
		return StorageConfig{}, Classify(op, err)
	}
	return storageFrom(resp.BackupResourceConfigResource), nil
}

// SetStorageConfig sets a vault's storage type and cross-region restore. It
// reads the configuration first and refuses, before writing anything, a type
// change on a Locked configuration (KindInvalid, CodeStorageTypeLocked);
// a configuration that already matches is not written. After the PATCH
// (answered 204 without a body) it reads the configuration again: a write
// that did not take is KindOperation with CodeWriteNotApplied, returned with
// the configuration as read. State in want is ignored (Azure decides it).
func (c *Client) SetStorageConfig(ctx context.Context, vaultID string, want StorageConfig) (StorageConfig, error) {
	const op = "set-storage-config"
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return StorageConfig{}, err
	}
	if want.Type == "" {
		return StorageConfig{}, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	if want.CrossRegionRestore && !strings.EqualFold(want.Type, StorageGeoRedundant) {
		return StorageConfig{}, &Error{Kind: KindInvalid, Op: op, Code: CodeCrossRegionRestoreNeedsGeo}
	}
	cur, err := c.readStorage(ctx, op, v)
	if err != nil {
		return StorageConfig{}, err
	}
	if matches(cur, want) {
		return cur, nil
	}
	if cur.Locked() {
		if !strings.EqualFold(cur.Type, want.Type) {
			return cur, &Error{Kind: KindInvalid, Op: op, Code: CodeStorageTypeLocked}
		}
		if cur.CrossRegionRestore && !want.CrossRegionRestore {
			return cur, &Error{Kind: KindInvalid, Op: op, Code: CodeCrossRegionRestoreLocked}
		}
	}
	cl, err := c.storageClient(v)
	if err != nil {
		return cur, Classify(op, err)
	}
	st := armrecoveryservicesbackup.StorageType(want.Type)
	body := armrecoveryservicesbackup.BackupResourceConfigResource{Properties: &armrecoveryservicesbackup.BackupResourceConfig{
		StorageModelType:       to.Ptr(st),
		StorageType:            to.Ptr(st),
		CrossRegionRestoreFlag: to.Ptr(want.CrossRegionRestore),
	}}
	if err := patchStorage(ctx, cl, v, body); err != nil {
		return cur, Classify(op, err)
	}
	got, err := c.readStorage(ctx, op, v)
	if err != nil {
		return cur, err
	}
	if !matches(got, want) {
		return got, &Error{Kind: KindOperation, Op: op, Code: CodeWriteNotApplied}
	}
	return got, nil
}

func matches(got, want StorageConfig) bool {
	return strings.EqualFold(got.Type, want.Type) && got.CrossRegionRestore == want.CrossRegionRestore
}

// ResourceGroupExists reports whether a resource group exists in a
// subscription (a 404 for the group is false, nil; a missing subscription is
// an error).
func (c *Client) ResourceGroupExists(ctx context.Context, subscriptionID, group string) (bool, error) {
	const op = "get-resource-group"
	if subscriptionID == "" || group == "" {
		return false, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	cl, err := armresources.NewResourceGroupsClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return false, Classify(op, err)
	}
	if _, err := cl.Get(ctx, group, nil); err != nil {
		e := Classify(op, err).(*Error)
		if absent(e) {
			return false, nil
		}
		return false, e
	}
	return true, nil
}

// ResourceGroup is a resource group of a subscription.
type ResourceGroup struct {
	Name, Location string
}

// ResourceGroups lists the resource groups of a subscription (every page),
// in the order Azure gives them.
func (c *Client) ResourceGroups(ctx context.Context, subscriptionID string) ([]ResourceGroup, error) {
	const op = "list-resource-groups"
	if subscriptionID == "" {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	cl, err := armresources.NewResourceGroupsClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	out := []ResourceGroup{}
	pager := cl.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, Classify(op, err)
		}
		for _, g := range page.Value {
			if g == nil || str(g.Name) == "" {
				continue
			}
			out = append(out, ResourceGroup{Name: str(g.Name), Location: str(g.Location)})
		}
	}
	return out, nil
}

// absent reports whether a 404 says the thing (or its resource group) does
// not exist, as opposed to a missing subscription.
func absent(e *Error) bool {
	return e.Kind == KindNotFound && e.Status == http.StatusNotFound && !strings.EqualFold(e.Code, "SubscriptionNotFound")
}

// CheckVaultName asks Azure whether a vault name is free in the subscription
// (names are case-insensitive; a deleted vault's name stays taken for a
// while). The resource group must exist. A taken name has reason
// "AlreadyExists"; message is Azure's text.
func (c *Client) CheckVaultName(ctx context.Context, subscriptionID, group, location, name string) (available bool, reason, message string, err error) {
	const op = "check-vault-name"
	if subscriptionID == "" || group == "" || location == "" || name == "" {
		return false, "", "", &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	cl, err := armrecoveryservices.NewClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return false, "", "", Classify(op, err)
	}
	// armrecoveryservices.Client takes (group, location, …).
	resp, err := cl.CheckNameAvailability(ctx, group, location, armrecoveryservices.CheckNameAvailabilityParameters{
		Name: to.Ptr(name), Type: to.Ptr(vaultTypeName)}, nil)
	if err != nil {
		return false, "", "", Classify(op, err)
	}
	if resp.NameAvailable == nil {
		return false, "", "", &Error{Kind: KindBadResponse, Op: op, Message: "nameAvailable missing"}
	}
	return *resp.NameAvailable, str(resp.Reason), str(resp.Message), nil
}

// VaultByName reads a vault by subscription, resource group and name; nil,
// nil when there is no such vault (or no such resource group).
func (c *Client) VaultByName(ctx context.Context, subscriptionID, group, name string) (*Vault, error) {
	const op = "get-vault"
	if subscriptionID == "" || group == "" || name == "" {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	sc, err := c.forSub(subscriptionID)
	if err != nil {
		return nil, Classify(op, err)
	}
	resp, err := getVault(ctx, sc.vaults, vaultRef{sub: subscriptionID, group: group, name: name})
	if err != nil {
		e := Classify(op, err).(*Error)
		if absent(e) {
			return nil, nil
		}
		return nil, e
	}
	v, err := vaultOf(op, resp.Vault)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
