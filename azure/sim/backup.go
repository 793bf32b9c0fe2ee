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
		},
		ProtectedItemsServer: backupfake.ProtectedItemsServer{
			Get: func(ctx context.Context, vault, rg, fabric, container, item string, _ *armrecoveryservicesbackup.ProtectedItemsClientGetOptions) (resp azfake.Responder[armrecoveryservicesbackup.ProtectedItemsClientGetResponse], errResp azfake.ErrorResponder) {
				sub := infoOf(ctx).sub
				id := armID(sub, rg, "Microsoft.RecoveryServices/vaults", vault, "backupFabrics", fabric, "protectionContainers", container, "protectedItems", item)
				c.mu.RLock()
				it := c.st.items[strings.ToLower(id)]
				c.mu.RUnlock()
				if it == nil {
					errResp.SetError(notFound("Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems", item, rg))
					return
				}
				var out armrecoveryservicesbackup.ProtectedItemResource
				if err := json.Unmarshal(it.doc, &out); err != nil {
					errResp.SetError(unreadable(it, err))
					return
				}
				resp.SetResponse(http.StatusOK, armrecoveryservicesbackup.ProtectedItemsClientGetResponse{ProtectedItemResource: out}, nil)
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
