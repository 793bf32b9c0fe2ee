package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
	"github.com/backupready/backupready/azure"
)

const (
	vaultWEU = "/subscriptions/" + demoProd + "/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-weu-prod"
	vaultEUS = "/subscriptions/" + demoProd + "/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-eus-prod" // protects an item
)

func clientOn(t testing.TB, sc *Scenario, opts Options) (*Cloud, *azure.Client) {
	t.Helper()
	sc.Latency = 0
	c, err := New(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return c, cl
}

func TestSimStorageConfigDefaultsAndLock(t *testing.T) {
	sc := Demo()
	sc.StorageConfigs = nil // every vault on its defaults
	_, cl := clientOn(t, sc, Options{})
	ctx := context.Background()
	got, err := cl.StorageConfig(ctx, vaultWEU)
	if err != nil {
		t.Fatal(err)
	}
	if got != (azure.StorageConfig{Type: "GeoRedundant", State: "Unlocked"}) {
		t.Errorf("default config %+v", got)
	}
	got, err = cl.StorageConfig(ctx, vaultEUS)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "GeoRedundant" || !got.Locked() {
		t.Errorf("a vault protecting an item must be Locked: %+v", got)
	}
	_, err = cl.StorageConfig(ctx, "/subscriptions/"+demoProd+"/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/nope")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindNotFound || e.Op != "get-storage-config" {
		t.Errorf("missing vault: %v", err)
	}
}

func TestSimSetStorageConfig(t *testing.T) {
	c, cl := clientOn(t, Demo(), Options{})
	ctx := context.Background()
	got, err := cl.SetStorageConfig(ctx, vaultWEU, azure.StorageConfig{Type: "LocallyRedundant"})
	if err != nil {
		t.Fatal(err)
	}
	if got != (azure.StorageConfig{Type: "LocallyRedundant", State: "Unlocked"}) {
		t.Fatalf("after PATCH %+v", got)
	}
	v, err := cl.Vault(ctx, vaultWEU)
	if err != nil || v.Redundancy != "LocallyRedundant" {
		t.Fatalf("vault redundancySettings should follow: %+v %v", v, err)
	}
	got, err = cl.SetStorageConfig(ctx, vaultWEU, azure.StorageConfig{Type: "GeoRedundant", CrossRegionRestore: true})
	if err != nil || got.Type != "GeoRedundant" || !got.CrossRegionRestore {
		t.Fatalf("GRS with CRR: %+v %v", got, err)
	}

	// the azure layer refuses a type change of a Locked config by itself
	_, err = cl.SetStorageConfig(ctx, vaultEUS, azure.StorageConfig{Type: "LocallyRedundant"})
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindInvalid || e.Code != azure.CodeStorageTypeLocked {
		t.Fatalf("locked: %v", err)
	}

	// and the simulator refuses it too, as Azure does, for PATCH and PUT
	opts, _ := sdkOptions(c)
	sdk, err := armrecoveryservicesbackup.NewBackupResourceStorageConfigsNonCRRClient(demoProd, c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	lrs := armrecoveryservicesbackup.BackupResourceConfigResource{Properties: &armrecoveryservicesbackup.BackupResourceConfig{
		StorageType: to.Ptr(armrecoveryservicesbackup.StorageTypeLocallyRedundant)}}
	_, err = sdk.Patch(ctx, "rsv-eus-prod", "rg-backup-prod", lrs, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.ErrorCode != codeStorageTypeLocked {
		t.Fatalf("simulated PATCH on a locked config: %v", err)
	}
	_, err = sdk.Update(ctx, "rsv-eus-prod", "rg-backup-prod", lrs, nil)
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.ErrorCode != codeStorageTypeLocked {
		t.Fatalf("simulated PUT on a locked config: %v", err)
	}
	if got, _ := cl.StorageConfig(ctx, vaultEUS); got.Type != "GeoRedundant" || !got.Locked() {
		t.Fatalf("a refused write changed the config: %+v", got)
	}
	// a locked config still takes a write that keeps its type
	res, err := sdk.Update(ctx, "rsv-eus-prod", "rg-backup-prod", armrecoveryservicesbackup.BackupResourceConfigResource{
		Properties: &armrecoveryservicesbackup.BackupResourceConfig{StorageType: to.Ptr(armrecoveryservicesbackup.StorageTypeGeoRedundant),
			CrossRegionRestoreFlag: to.Ptr(true)}}, nil)
	if err != nil || !*res.Properties.CrossRegionRestoreFlag || *res.Properties.StorageTypeState != armrecoveryservicesbackup.StorageTypeStateLocked {
		t.Fatalf("PUT keeping the type: %+v %v", res.Properties, err)
	}
	// cross-region restore cannot be turned off once locked, nor go with LRS
	_, err = sdk.Patch(ctx, "rsv-eus-prod", "rg-backup-prod", armrecoveryservicesbackup.BackupResourceConfigResource{
		Properties: &armrecoveryservicesbackup.BackupResourceConfig{CrossRegionRestoreFlag: to.Ptr(false)}}, nil)
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.ErrorCode != codeCRRLocked {
		t.Fatalf("turning CRR off: %v", err)
	}
	_, err = sdk.Patch(ctx, "rsv-weu-prod", "rg-backup-prod", armrecoveryservicesbackup.BackupResourceConfigResource{
		Properties: &armrecoveryservicesbackup.BackupResourceConfig{StorageType: to.Ptr(armrecoveryservicesbackup.StorageTypeLocallyRedundant)}}, nil)
	if !errors.As(err, &re) || re.ErrorCode != codeCRRNeedsGeo {
		t.Fatalf("LRS keeping CRR on: %v", err)
	}
	_, err = sdk.Patch(ctx, "rsv-weu-prod", "rg-backup-prod", armrecoveryservicesbackup.BackupResourceConfigResource{
		Properties: &armrecoveryservicesbackup.BackupResourceConfig{StorageType: to.Ptr(armrecoveryservicesbackup.StorageType("Tape"))}}, nil)
	if !errors.As(err, &re) || re.ErrorCode != codeBadStorageInput {
		t.Fatalf("unknown type: %v", err)
	}
}

func TestSimStorageConfigPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	_, cl := clientOn(t, Demo(), Options{StatePath: path})
	if _, err := cl.SetStorageConfig(context.Background(), vaultWEU, azure.StorageConfig{Type: "ZoneRedundant"}); err != nil {
		t.Fatal(err)
	}
	_, cl2 := clientOn(t, Demo(), Options{StatePath: path})
	got, err := cl2.StorageConfig(context.Background(), vaultWEU)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "ZoneRedundant" || got.Locked() {
		t.Fatalf("after reload %+v", got)
	}
}

func TestSimVaultNameAndLookups(t *testing.T) {
	sc := Demo()
	sc.Resources = append(sc.Resources, json.RawMessage(`{"id":"/subscriptions/`+demoProd+`/resourceGroups/rg-empty","name":"rg-empty","type":"Microsoft.Resources/resourceGroups","location":"westeurope"}`))
	sc.Subscriptions[1].Providers = map[string]string{"Microsoft.RecoveryServices": "NotRegistered"}
	_, cl := clientOn(t, sc, Options{})
	ctx := context.Background()

	ok, reason, msg, err := cl.CheckVaultName(ctx, demoProd, "rg-empty", "westeurope", "RSV-WEU-PROD")
	if err != nil || ok || reason != "AlreadyExists" || msg == "" {
		t.Errorf("taken name (any case, any group): %v %q %q %v", ok, reason, msg, err)
	}
	ok, reason, _, err = cl.CheckVaultName(ctx, demoProd, "rg-backup-prod", "westeurope", "rsv-weu-prod-2")
	if err != nil || !ok || reason != "" {
		t.Errorf("free name: %v %q %v", ok, reason, err)
	}
	ok, _, _, err = cl.CheckVaultName(ctx, demoDev, "rg-backup-dev", "westeurope", "rsv-weu-prod")
	if err != nil || !ok {
		t.Errorf("names are per subscription: %v %v", ok, err)
	}
	_, _, _, err = cl.CheckVaultName(ctx, demoProd, "rg-missing", "westeurope", "x1")
	if e, isErr := azure.AsError(err); !isErr || e.Kind != azure.KindNotFound || e.Code != "ResourceGroupNotFound" {
		t.Errorf("name check in a missing group: %v", err)
	}

	for _, tc := range []struct {
		group string
		want  bool
	}{{"rg-backup-prod", true}, {"RG-BACKUP-PROD", true}, {"rg-empty", true}, {"rg-missing", false}} {
		got, err := cl.ResourceGroupExists(ctx, demoProd, tc.group)
		if err != nil || got != tc.want {
			t.Errorf("group %s: %v %v", tc.group, got, err)
		}
	}
	if _, err := cl.ResourceGroupExists(ctx, "00000000-0000-0000-0000-00000000dead", "rg"); err == nil {
		t.Error("a missing subscription is an error, not a missing group")
	}

	v, err := cl.VaultByName(ctx, demoProd, "rg-backup-prod", "RSV-WEU-PROD")
	if err != nil || v == nil || v.Name != "rsv-weu-prod" || v.Location == "" {
		t.Errorf("vault by name: %+v %v", v, err)
	}
	for _, g := range []string{"rg-backup-prod", "rg-missing"} {
		if v, err := cl.VaultByName(ctx, demoProd, g, "nope"); err != nil || v != nil {
			t.Errorf("missing vault in %s: %+v %v", g, v, err)
		}
	}

	if st, err := cl.ProviderState(ctx, demoProd, "Microsoft.RecoveryServices"); err != nil || st != "Registered" {
		t.Errorf("provider: %q %v", st, err)
	}
	if st, err := cl.ProviderState(ctx, demoDev, "microsoft.recoveryservices"); err != nil || st != "NotRegistered" {
		t.Errorf("provider: %q %v", st, err)
	}
}
