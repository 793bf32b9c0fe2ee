package azure

import (
	"encoding/json"
	"testing"
)

func TestDecodeVMPicksTheActiveProtectedItem(t *testing.T) {
	row := `{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1","name":"vm1",
	"type":"microsoft.compute/virtualmachines","subscriptionId":"s","resourceGroup":"rg","location":"westeurope","properties":{},
	"protection":[
	 {"id":"/subscriptions/s/resourceGroups/old/providers/Microsoft.RecoveryServices/vaults/old-vault/backupFabrics/Azure/protectionContainers/c/protectedItems/i","protectionState":"ProtectionStopped"},
	 {"id":"/subscriptions/s/resourceGroups/b/providers/Microsoft.RecoveryServices/vaults/new-vault/backupFabrics/Azure/protectionContainers/c/protectedItems/i","protectionState":"Protected","policyName":"DefaultPolicy"}]}`
	vm, err := decodeVM(json.RawMessage(row))
	if err != nil {
		t.Fatal(err)
	}
	if vm.Protection == nil || vm.Protection.VaultID != "/subscriptions/s/resourceGroups/b/providers/Microsoft.RecoveryServices/vaults/new-vault" || vm.Protection.PolicyName != "DefaultPolicy" {
		t.Fatalf("protection: %+v", vm.Protection)
	}
	// The single-object shape still reads; an empty join ("" or []) means none.
	for _, p := range []string{`""`, `[]`, `null`, `{}`} {
		vm, err := decodeVM(json.RawMessage(`{"id":"x","properties":{},"protection":` + p + `}`))
		if err != nil || vm.Protection != nil {
			t.Fatalf("protection %s: %+v %v", p, vm.Protection, err)
		}
	}
}

func TestOddVMDocumentKeepsItsIdentity(t *testing.T) {
	inv := &Inventory{}
	row := json.RawMessage(`{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/odd","name":"odd",
	"subscriptionId":"s","resourceGroup":"rg","location":"West Europe","properties":{"storageProfile":{"dataDisks":"not a list"}}}`)
	if _, err := decodeVM(row); err == nil {
		t.Fatal("the odd document should not decode fully")
	}
	vm, err := decodeVMIdentity(row)
	if err != nil {
		t.Fatal(err)
	}
	inv.VMs = append(inv.VMs, vm)
	if vm.Name != "odd" || vm.Location != "westeurope" || vm.ResourceGroup != "rg" {
		t.Fatalf("identity: %+v", vm)
	}
	if _, err := decodeVMIdentity(json.RawMessage(`{"name":"no-id"}`)); err == nil {
		t.Fatal("a row without an id must be refused")
	}
}
