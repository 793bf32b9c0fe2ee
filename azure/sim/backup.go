package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
	backupfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5/fake"
)

// armrecoveryservicesbackup: everything under a vault's backup* paths
// (api-version 2026-07-01). Note the backup clients take (vaultName,
// resourceGroupName, …), the reverse of the vault module.

func (c *Cloud) backupTransport() policy.Transporter {
	return backupfake.NewServerFactoryTransport(&backupfake.ServerFactory{
		BackupResourceStorageConfigsNonCRRServer: backupfake.BackupResourceStorageConfigsNonCRRServer{
			Get: func(ctx context.Context, vault, rg string, _ *armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientGetOptions) (resp azfake.Responder[armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientGetResponse], errResp azfake.ErrorResponder) {
				r, ae := c.lookup(ctx, rg, "Microsoft.RecoveryServices/vaults", vault)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				c.mu.RLock()
				cfg := c.st.storageConfig(r.key)
				c.mu.RUnlock()
				resp.SetResponse(http.StatusOK, armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientGetResponse{
					BackupResourceConfigResource: storageConfigModel(r.ID, cfg)}, nil)
				return
			},
			Patch: func(ctx context.Context, vault, rg string, in armrecoveryservicesbackup.BackupResourceConfigResource, _ *armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientPatchOptions) (resp azfake.Responder[armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientPatchResponse], errResp azfake.ErrorResponder) {
				if _, ae := c.writeStorageConfig(ctx, vault, rg, in, true); ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusNoContent, armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientPatchResponse{}, nil)
				return
			},
			Update: func(ctx context.Context, vault, rg string, in armrecoveryservicesbackup.BackupResourceConfigResource, _ *armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientUpdateOptions) (resp azfake.Responder[armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientUpdateResponse], errResp azfake.ErrorResponder) {
				out, ae := c.writeStorageConfig(ctx, vault, rg, in, false)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusOK, armrecoveryservicesbackup.BackupResourceStorageConfigsNonCRRClientUpdateResponse{BackupResourceConfigResource: out}, nil)
				return
			},
		},
		// The protected item's GET and PUT, policies, jobs, the container
		// refresh and on-demand backups are answered natively (protect.go).
		ProtectionIntentServer: backupfake.ProtectionIntentServer{
			Validate: func(ctx context.Context, region string, in armrecoveryservicesbackup.PreValidateEnableBackupRequest, _ *armrecoveryservicesbackup.ProtectionIntentClientValidateOptions) (resp azfake.Responder[armrecoveryservicesbackup.ProtectionIntentClientValidateResponse], errResp azfake.ErrorResponder) {
				out, ae := c.preValidate(ctx, region, in)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusOK, armrecoveryservicesbackup.ProtectionIntentClientValidateResponse{PreValidateEnableBackupResponse: out}, nil)
				return
			},
		},
		BackupProtectedItemsServer: backupfake.BackupProtectedItemsServer{
			NewListPager: func(vault, rg string, _ *armrecoveryservicesbackup.BackupProtectedItemsClientListOptions) (resp azfake.PagerResponder[armrecoveryservicesbackup.BackupProtectedItemsClientListResponse]) {
				sub := c.pagerInfo(modBackup).sub
				prefix := strings.ToLower(armID(sub, rg, "Microsoft.RecoveryServices/vaults", vault)) + "/"
				c.mu.RLock()
				var items []*resource
				for k, it := range c.st.items {
					if strings.HasPrefix(k, prefix) {
						items = append(items, it)
					}
				}
				c.mu.RUnlock()
				sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
				page := armrecoveryservicesbackup.BackupProtectedItemsClientListResponse{}
				page.Value = []*armrecoveryservicesbackup.ProtectedItemResource{}
				for _, it := range items {
					var out armrecoveryservicesbackup.ProtectedItemResource
					if json.Unmarshal(it.doc, &out) == nil {
						page.Value = append(page.Value, &out)
					}
				}
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
		},
	})
}

// storageConfigModel is a vault's backupstorageconfig/vaultstorageconfig.
func storageConfigModel(vaultID string, cfg StorageConfig) armrecoveryservicesbackup.BackupResourceConfigResource {
	st := armrecoveryservicesbackup.StorageType(cfg.StorageType)
	state := armrecoveryservicesbackup.StorageTypeState(cfg.StorageTypeState)
	return armrecoveryservicesbackup.BackupResourceConfigResource{
		ID:   to.Ptr(vaultID + "/backupstorageconfig/vaultstorageconfig"),
		Name: to.Ptr("vaultstorageconfig"),
		Type: to.Ptr("Microsoft.RecoveryServices/vaults/backupstorageconfig"),
		Properties: &armrecoveryservicesbackup.BackupResourceConfig{
			StorageModelType:       to.Ptr(st),
			StorageType:            to.Ptr(st),
			StorageTypeState:       to.Ptr(state),
			CrossRegionRestoreFlag: to.Ptr(cfg.CrossRegionRestore),
			DedupState:             to.Ptr(armrecoveryservicesbackup.DedupStateDisabled),
			XcoolState:             to.Ptr(armrecoveryservicesbackup.XcoolStateDisabled),
		},
	}
}

// Error codes of rejected storage config writes. The Backup service answers
// 400 with an ARM error body; the exact codes are UNCONFIRMED (no recording
// of a rejected write exists, see testdata/azure-real/README.md "Known
// gaps"): these follow the service's BMSUserError… naming.
const (
	codeStorageTypeLocked = "BMSUserErrorStorageTypeLocked"
	codeCRRLocked         = "BMSUserErrorCrossRegionRestoreCannotBeDisabled"
	codeCRRNeedsGeo       = "BMSUserErrorCrossRegionRestoreNotSupported"
	codeBadStorageInput   = "BMSUserErrorInvalidInput"
)

// writeStorageConfig applies a storage config PATCH (patch: absent fields
// keep their value) or PUT (absent fields take their defaults) to a vault,
// refusing what Azure refuses: a type change once the config is Locked (the
// vault protects an item), cross-region restore turned off once Locked, and
// cross-region restore without geo-redundancy. The state is saved.
func (c *Cloud) writeStorageConfig(ctx context.Context, vault, rg string, in armrecoveryservicesbackup.BackupResourceConfigResource, patch bool) (armrecoveryservicesbackup.BackupResourceConfigResource, *armError) {
	r, ae := c.lookup(ctx, rg, "Microsoft.RecoveryServices/vaults", vault)
	if ae != nil {
		return armrecoveryservicesbackup.BackupResourceConfigResource{}, ae
	}
	bad := func(code, msg string) *armError {
		return &armError{status: http.StatusBadRequest, code: code, message: msg}
	}
	var reqType string
	var reqCRR *bool
	if p := in.Properties; p != nil {
		var st, model string
		if p.StorageType != nil {
			st = string(*p.StorageType)
		}
		if p.StorageModelType != nil {
			model = string(*p.StorageModelType)
		}
		if st != "" && model != "" && !strings.EqualFold(st, model) {
			return armrecoveryservicesbackup.BackupResourceConfigResource{}, bad(codeBadStorageInput,
				"storageType and storageModelType must be the same.")
		}
		reqType = st
		if reqType == "" {
			reqType = model
		}
		reqCRR = p.CrossRegionRestoreFlag
	}
	if reqType != "" {
		// storageTypes (scenario.go) includes ReadAccessGeoZoneRedundant, whose
		// acceptance by the RP is unconfirmed (AZURE.md §3.1).
		known := canonical(storageTypes, reqType)
		if known == "" {
			return armrecoveryservicesbackup.BackupResourceConfigResource{}, bad(codeBadStorageInput,
				"Storage type '"+reqType+"' is not valid for this vault.")
		}
		reqType = known
	} else if !patch {
		return armrecoveryservicesbackup.BackupResourceConfigResource{}, bad(codeBadStorageInput, "Storage type is required.")
	}
	var out StorageConfig
	err := c.mutate(func(st *state) error {
		cur := st.storageConfig(r.key)
		next := cur
		next.Vault = r.ID
		if reqType != "" {
			next.StorageType = reqType
		}
		switch {
		case reqCRR != nil:
			next.CrossRegionRestore = *reqCRR
		case !patch:
			next.CrossRegionRestore = false
		}
		locked := strings.EqualFold(cur.StorageTypeState, "Locked")
		if locked && !strings.EqualFold(next.StorageType, cur.StorageType) {
			return bad(codeStorageTypeLocked, "Storage type of the vault cannot be changed from "+cur.StorageType+
				" to "+next.StorageType+" because the vault has protected items or is locked. Stop protection of all items, or use a new vault.")
		}
		if locked && cur.CrossRegionRestore && !next.CrossRegionRestore {
			return bad(codeCRRLocked, "Cross Region Restore cannot be disabled once protection has started in the vault.")
		}
		if next.CrossRegionRestore && next.StorageType != "GeoRedundant" {
			return bad(codeCRRNeedsGeo, "Cross Region Restore is supported only for GeoRedundant vaults.")
		}
		stored := next
		if old, ok := st.storage[r.key]; ok {
			stored.StorageTypeState = old.StorageTypeState // an explicit state stays; else it is derived
		} else {
			stored.StorageTypeState = ""
		}
		st.storage[r.key] = &stored
		out = st.storageConfig(r.key)
		return nil
	})
	if err != nil {
		var ae *armError
		if errors.As(err, &ae) {
			return armrecoveryservicesbackup.BackupResourceConfigResource{}, ae
		}
		return armrecoveryservicesbackup.BackupResourceConfigResource{}, &armError{status: http.StatusInternalServerError,
			code: "SimulatorStateNotSaved", message: err.Error()}
	}
	return storageConfigModel(r.ID, out), nil
}

// Pre-validation verdicts (backupPreValidateProtection). The error codes are
// UNCONFIRMED (AZURE.md §9, §11): the service documents the response shape,
// not its codes.
const (
	preCodeVMNotFound          = "UserErrorVmNotFound"
	preCodeVaultNotFound       = "UserErrorVaultNotFound"
	preCodeOtherRegion         = "UserErrorVmAndVaultInDifferentRegions"
	preCodeOtherSubscription   = "UserErrorVmAndVaultInDifferentSubscriptions"
	preCodeProtectedElsewhere  = "UserErrorVmAlreadyProtectedInAnotherVault"
	preCodeUnsupportedResource = "UserErrorUnsupportedResourceType"
)

// preValidate answers whether a VM can be protected in a vault: Failed with
// a code, message and recommendation when the VM does not exist, lives in
// another subscription or region than the vault (or than the region
// asked), or is protected by another vault; else Succeeded with the
// container and item names to use.
func (c *Cloud) preValidate(ctx context.Context, region string, in armrecoveryservicesbackup.PreValidateEnableBackupRequest) (armrecoveryservicesbackup.PreValidateEnableBackupResponse, *armError) {
	fail := func(code, msg, rec string) (armrecoveryservicesbackup.PreValidateEnableBackupResponse, *armError) {
		return armrecoveryservicesbackup.PreValidateEnableBackupResponse{Status: to.Ptr(armrecoveryservicesbackup.ValidationStatusFailed),
			ErrorCode: to.Ptr(code), ErrorMessage: to.Ptr(msg), Recommendation: to.Ptr(rec)}, nil
	}
	if in.ResourceID == nil || *in.ResourceID == "" || in.VaultID == nil || *in.VaultID == "" {
		return armrecoveryservicesbackup.PreValidateEnableBackupResponse{}, &armError{status: http.StatusBadRequest,
			code: codeBadItemInput, message: "resourceId and vaultId are required."}
	}
	if in.ResourceType != nil && *in.ResourceType != armrecoveryservicesbackup.DataSourceTypeVM {
		return fail(preCodeUnsupportedResource, "Only virtual machines are validated here.", "Use resourceType VM.")
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	vm := c.st.res[strings.ToLower(*in.ResourceID)]
	if vm == nil || vm.typeKey != typeVM {
		return fail(preCodeVMNotFound, "The virtual machine '"+*in.ResourceID+"' was not found.",
			"Check the virtual machine's id; a classic VM cannot be protected by a Recovery Services vault.")
	}
	vault := c.st.res[strings.ToLower(*in.VaultID)]
	if vault == nil || vault.typeKey != typeVault {
		return fail(preCodeVaultNotFound, "The vault '"+*in.VaultID+"' was not found.", "Check the vault's id.")
	}
	if vm.sub != vault.sub || !strings.EqualFold(vm.sub, infoOf(ctx).sub) {
		return fail(preCodeOtherSubscription, "The virtual machine and the vault are in different subscriptions.",
			"Use a vault in the virtual machine's subscription.")
	}
	if normLocation(vm.Location) != normLocation(vault.Location) || normLocation(vm.Location) != normLocation(region) {
		return fail(preCodeOtherRegion, "The virtual machine is in '"+vm.Location+"' and the vault in '"+vault.Location+"'.",
			"Use a vault in the virtual machine's region ("+vm.Location+").")
	}
	if other := c.st.protectingVault(vm.key, vault.key); other != "" {
		return fail(preCodeProtectedElsewhere, "The virtual machine is already protected by vault '"+other+"'.",
			"Stop protection in vault '"+other+"' first, or leave the virtual machine in that vault.")
	}
	cn, in2 := vmNames(vm)
	return armrecoveryservicesbackup.PreValidateEnableBackupResponse{Status: to.Ptr(armrecoveryservicesbackup.ValidationStatusSucceeded),
		ContainerName: to.Ptr(cn), ProtectedItemName: to.Ptr(in2)}, nil
}
