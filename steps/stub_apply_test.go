package steps

import (
	"context"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// The hand-written stub answers only reads; the steps that change Azure are
// tested against the simulator (simClient), which behaves like Azure for
// every write. These keep the stub a WizardAPI.

var errStubWrite = &azure.Error{Kind: azure.KindInvalid, Op: "stub", Code: "NotInStub", Message: "the test stub does not change Azure"}

func (s *stubAPI) Policies(context.Context, string) ([]azure.Policy, error) { return nil, nil }
func (s *stubAPI) CreatePolicy(context.Context, string, azure.PolicySpec) (azure.Policy, error) {
	return azure.Policy{}, errStubWrite
}
func (s *stubAPI) PreValidateProtection(context.Context, string, string, string) (azure.PreValidation, error) {
	return azure.PreValidation{}, errStubWrite
}
func (s *stubAPI) RefreshContainers(context.Context, string) (*azure.Operation, error) {
	return nil, errStubWrite
}
func (s *stubAPI) BeginProtect(context.Context, string, string, string, string) (*azure.Operation, error) {
	return nil, errStubWrite
}
func (s *stubAPI) ProtectedItem(context.Context, string, string) (*azure.ProtectedItem, error) {
	return nil, nil
}
func (s *stubAPI) TriggerBackup(context.Context, string, string, time.Time) (string, error) {
	return "", errStubWrite
}
func (s *stubAPI) BackupOperation(context.Context, string, string, string) (string, string, error) {
	return "", "", errStubWrite
}
func (s *stubAPI) BackupJob(context.Context, string, string) (azure.Job, error) {
	return azure.Job{}, errStubWrite
}
func (s *stubAPI) RegisterProvider(context.Context, string, string) (string, error) {
	return "", errStubWrite
}
func (s *stubAPI) CreateResourceGroup(context.Context, string, string, string) (azure.ResourceGroup, error) {
	return azure.ResourceGroup{}, errStubWrite
}
func (s *stubAPI) BeginCreateVault(context.Context, string, string, string, string, string) (*azure.Operation, error) {
	return nil, errStubWrite
}
func (s *stubAPI) SetStorageConfig(context.Context, string, azure.StorageConfig) (azure.StorageConfig, error) {
	return azure.StorageConfig{}, errStubWrite
}

func (s *stubAPI) NSG(context.Context, string) (azure.NSG, error) { return azure.NSG{}, errStubWrite }
func (s *stubAPI) BeginPutSecurityRule(context.Context, string, azure.SecurityRule, string) (*azure.Operation, error) {
	return nil, errStubWrite
}
func (s *stubAPI) SecurityRule(context.Context, string, string) (*azure.SecurityRule, error) {
	return nil, nil
}
func (s *stubAPI) BeginEffectiveRules(context.Context, string, string) (*azure.Operation, func() []azure.EffectiveNSG, error) {
	return nil, nil, errStubWrite
}

func (s *stubAPI) NetworkWatcher(context.Context, string, string) (string, error) { return "", nil }
func (s *stubAPI) ServiceTags(context.Context, string, string) (string, []azure.ServiceTag, error) {
	return "", nil, errStubWrite
}
func (s *stubAPI) VerifyIPFlow(context.Context, string, azure.FlowCheck) (string, string, error) {
	return "", "", errStubWrite
}

// Demo subscription and vault of the simulator's built-in tenant.
const (
	simProd     = "3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192"
	simVaultWEU = "/subscriptions/" + simProd + "/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-weu-prod"
)

// simClient is the Azure layer over a fresh simulated demo tenant with no
// latency, operations that take opTime on the given clock (nil: real time),
// and the scenario's faults (nil: none).
func simClient(t testing.TB, opTime time.Duration, now func() time.Time, faults []sim.Fault) (*sim.Cloud, *azure.Client) {
	t.Helper()
	sc := sim.Demo()
	sc.Latency, sc.OperationTime, sc.Faults = 0, opTime, faults
	c, err := sim.New(sc, sim.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return c, cl
}
