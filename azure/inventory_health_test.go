package azure

import (
	"encoding/json"
	"testing"
)

// packItem makes the QueryVMs pack() of a protected item from its ARM
// document, with the keys (and so the property names) the query projects.
func packItem(t *testing.T, doc json.RawMessage) json.RawMessage {
	t.Helper()
	var item struct {
		ID         string                     `json:"id"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(doc, &item); err != nil {
		t.Fatal(err)
	}
	pack := map[string]any{"id": item.ID}
	for _, k := range []string{"protectionState", "protectionStatus", "policyName", "healthStatus", "lastBackupStatus", "healthDetails"} {
		if v, ok := item.Properties[k]; ok {
			pack[k] = v
		}
	}
	b, err := json.Marshal([]any{pack})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vmRowWith(protection json.RawMessage) json.RawMessage {
	return json.RawMessage(`{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1","name":"vm1",
	"type":"microsoft.compute/virtualmachines","subscriptionId":"s","resourceGroup":"rg","location":"westeurope","properties":{},
	"protection":` + string(protection) + `}`)
}

// The recorded item's only health detail is the green default (code 400239,
// title IaasVmHealthGreenDefault): no error. The same item after a failed
// backup carries the job's code in healthDetails[].title and the int32 code.
func TestDecodeProtectionHealthDetails(t *testing.T) {
	f := loadFixture(t, "protected_item_stop_protection_final_200_after_backup.json")
	vm, err := decodeVM(vmRowWith(packItem(t, f.Response.Body)))
	if err != nil {
		t.Fatal(err)
	}
	p := vm.Protection
	if p == nil || p.LastBackupState != "Completed" || p.HealthStatus != "Passed" {
		t.Fatalf("recorded item: %+v", p)
	}
	if p.ErrorCode != "" || p.ErrorNumber != 0 || p.ErrorMessage != "" {
		t.Errorf("the green default is not an error: %+v", p)
	}

	failed := edited(t, "protected_item_stop_protection_final_200_after_backup.json", func(body map[string]any) {
		props := body["properties"].(map[string]any)
		props["protectionState"], props["lastBackupStatus"], props["healthStatus"] = "ProtectionError", "Failed", "ActionRequired"
		props["healthDetails"] = []any{
			map[string]any{"code": 400239, "title": "IaasVmHealthGreenDefault", "message": "Backup pre-check status of this virtual machine is OK.", "recommendations": []any{}},
			map[string]any{"code": 380008, "title": "AzureVmOffline", "message": "Failed to install Microsoft Recovery Services extension as virtual machine is not running", "recommendations": []any{"Start the VM."}},
		}
	})
	vm, err = decodeVM(vmRowWith(packItem(t, failed.Response.Body)))
	if err != nil {
		t.Fatal(err)
	}
	p = vm.Protection
	if p == nil || p.ErrorCode != "AzureVmOffline" || p.ErrorNumber != 380008 || p.ErrorMessage != "Failed to install Microsoft Recovery Services extension as virtual machine is not running" {
		t.Fatalf("failed item: %+v", p)
	}
	if p.LastBackupState != "Failed" || p.State != "ProtectionError" {
		t.Errorf("failed item state: %+v", p)
	}
}

// Shapes the recordings do not show never make a VM unreadable: a title
// that is a sentence gives no textual code (the number stays), a code that
// is not a number keeps the title, and a detail list that is not a list is
// no detail.
func TestDecodeProtectionHealthDetailsOddShapes(t *testing.T) {
	item := func(details string) json.RawMessage {
		return json.RawMessage(`[{"id":"/subscriptions/s/resourceGroups/b/providers/Microsoft.RecoveryServices/vaults/v/backupFabrics/Azure/protectionContainers/c/protectedItems/i",
		"protectionState":"ProtectionError","lastBackupStatus":"Failed","healthDetails":` + details + `}]`)
	}
	for _, c := range []struct {
		details, code string
		number        int32
	}{
		{`[{"code":320001,"title":"Could not perform the operation as VM no longer exists","message":"m"}]`, "", 320001},
		{`[{"code":"UserErrorFsFreezeFailed","title":"UserErrorFsFreezeFailed","message":"m"}]`, "UserErrorFsFreezeFailed", 0},
		{`"not a list"`, "", 0},
		{`null`, "", 0},
		{`[]`, "", 0},
		{`[{"code":0,"title":""}]`, "", 0},
	} {
		vm, err := decodeVM(vmRowWith(item(c.details)))
		if err != nil || vm.Protection == nil {
			t.Fatalf("%s: %v %+v", c.details, err, vm.Protection)
		}
		if p := vm.Protection; p.ErrorCode != c.code || p.ErrorNumber != c.number {
			t.Errorf("%s: code %q number %d, want %q %d", c.details, p.ErrorCode, p.ErrorNumber, c.code, c.number)
		}
	}
}
