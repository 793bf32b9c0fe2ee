package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
	"github.com/backupready/backupready/azure"
)

const (
	vaultWEUDev = "/subscriptions/" + demoDev + "/resourceGroups/rg-backup-dev/providers/Microsoft.RecoveryServices/vaults/rsv-weu-dev"
	// a second East US vault, added by protectScenario
	vaultEUS2 = "/subscriptions/" + demoProd + "/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-eus-second"

	vmWeb      = "/subscriptions/" + demoProd + "/resourceGroups/rg-web-prod/providers/Microsoft.Compute/virtualMachines/web-prod-01"
	vmNoAgent  = "/subscriptions/" + demoProd + "/resourceGroups/rg-app-prod/providers/Microsoft.Compute/virtualMachines/app-noagent-01"
	vmTokyo    = "/subscriptions/" + demoProd + "/resourceGroups/rg-apac-prod/providers/Microsoft.Compute/virtualMachines/tokyo-app-01"
	vmCRM      = "/subscriptions/" + demoProd + "/resourceGroups/rg-crm-prod/providers/Microsoft.Compute/virtualMachines/crm-eastus-01"
	vmSnapFail = "/subscriptions/" + demoDev + "/resourceGroups/rg-dev-apps/providers/Microsoft.Compute/virtualMachines/dev-snapfail-01"
	vmBuild    = "/subscriptions/" + demoDev + "/resourceGroups/rg-build-dev/providers/Microsoft.Compute/virtualMachines/build-agent-01"
)

// simClock is a settable clock.
type simClock struct{ t time.Time }

func (k *simClock) now() time.Time          { return k.t }
func (k *simClock) advance(d time.Duration) { k.t = k.t.Add(d) }

func newClock() *simClock { return &simClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} }

// protectScenario is the demo tenant with an operation time of 10 s and a
// second, empty vault in East US.
func protectScenario() *Scenario {
	sc := Demo()
	sc.OperationTime = 10 * time.Second
	sc.Resources = append(sc.Resources, json.RawMessage(`{"id":"`+vaultEUS2+`","name":"rsv-eus-second","type":"Microsoft.RecoveryServices/vaults","location":"eastus","sku":{"name":"RS0","tier":"Standard"},"properties":{"provisioningState":"Succeeded"}}`))
	return sc
}

func policyID(vaultID, name string) string { return vaultID + "/backupPolicies/" + name }

func wantKind(t *testing.T, err error, kind azure.Kind, code string) *azure.Error {
	t.Helper()
	e, ok := azure.AsError(err)
	if !ok {
		t.Fatalf("want *azure.Error %s %s, got %T %v", kind, code, err, err)
	}
	if e.Kind != kind || (code != "" && e.Code != code) {
		t.Fatalf("got %s %q (%v), want %s %q", e.Kind, e.Code, e, kind, code)
	}
	return e
}

func findPolicy(ps []azure.Policy, name string) *azure.Policy {
	for i := range ps {
		if ps[i].Name == name {
			return &ps[i]
		}
	}
	return nil
}

func TestSimSystemPolicies(t *testing.T) {
	c, cl := clientOn(t, protectScenario(), Options{})
	ctx := context.Background()
	ps, err := cl.Policies(ctx, vaultWEU)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("want DefaultPolicy and EnhancedPolicy (the filter drops HourlyLogBackup), got %+v", ps)
	}
	d := findPolicy(ps, "DefaultPolicy")
	if d == nil || d.Type != azure.PolicyStandard || d.Frequency != "Daily" || !slices.Equal(d.Times, []string{"22:30"}) ||
		d.TimeZone != "UTC" || d.DailyDays != 30 || d.InstantRestoreDays != 2 || d.ProtectedItems != 0 ||
		d.ID != policyID(vaultWEU, "DefaultPolicy") {
		t.Errorf("DefaultPolicy: %+v", d)
	}
	e := findPolicy(ps, "EnhancedPolicy")
	if e == nil || e.Type != azure.PolicyEnhanced || e.Frequency != "Hourly" || e.HourlyInterval != 4 ||
		!slices.Equal(e.Times, []string{"08:00"}) || e.DailyDays != 30 || e.InstantRestoreDays != 7 {
		t.Errorf("EnhancedPolicy: %+v", e)
	}
	// the vault protecting crm-eastus-01 counts it
	ps, err = cl.Policies(ctx, vaultEUS)
	if err != nil || findPolicy(ps, "DefaultPolicy").ProtectedItems != 1 {
		t.Errorf("protected items of rsv-eus-prod's DefaultPolicy: %+v %v", ps, err)
	}

	// without the filter, the SQL log policy is listed too
	opts, _ := sdkOptions(c)
	sdk, err := armrecoveryservicesbackup.NewBackupPoliciesClient(demoProd, c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	page, err := sdk.NewListPager("rsv-weu-prod", "rg-backup-prod", nil).NextPage(ctx)
	if err != nil || len(page.Value) != 3 {
		t.Fatalf("unfiltered list: %d %v", len(page.Value), err)
	}
	page, err = sdk.NewListPager("rsv-weu-prod", "rg-backup-prod", &armrecoveryservicesbackup.BackupPoliciesClientListOptions{
		Filter: to.Ptr("backupManagementType eq 'AzureWorkload'")}).NextPage(ctx)
	if err != nil || len(page.Value) != 1 || *page.Value[0].Name != "HourlyLogBackup" {
		t.Fatalf("workload list: %+v %v", page.Value, err)
	}

	p, err := cl.Policy(ctx, vaultWEU, "defaultpolicy")
	if err != nil || p == nil || p.Name != "DefaultPolicy" {
		t.Errorf("policy by name, any case: %+v %v", p, err)
	}
	p, err = cl.Policy(ctx, vaultWEU, "NoSuchPolicy")
	if err != nil || p != nil {
		t.Errorf("a missing policy is nil, nil: %+v %v", p, err)
	}
	_, err = cl.Policy(ctx, vaultWEU, "HourlyLogBackup")
	wantKind(t, err, azure.KindInvalid, azure.CodeNotVMPolicy)

	// a missing policy is a 404 with a bare {} body, as recorded
	pol, err := armrecoveryservicesbackup.NewProtectionPoliciesClient(demoProd, c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pol.Get(ctx, "rsv-weu-prod", "rg-backup-prod", "NoSuchPolicy", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.ErrorCode != "" {
		t.Fatalf("missing policy: %v", err)
	}
}

func TestSimCreatePolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	_, cl := clientOn(t, protectScenario(), Options{StatePath: path})
	ctx := context.Background()
	spec := azure.PolicySpec{Name: "weekly-enhanced", Type: azure.PolicyEnhanced, Frequency: "Weekly", Time: "23:30",
		Weekdays: []string{"Saturday", "Sunday"}, TimeZone: "W. Europe Standard Time", RetentionWeeks: 12, InstantRestoreDays: 5}
	got, err := cl.CreatePolicy(ctx, vaultWEU, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := azure.Policy{ID: policyID(vaultWEU, "weekly-enhanced"), Name: "weekly-enhanced", Type: azure.PolicyEnhanced, Frequency: "Weekly",
		Times: []string{"23:30"}, Weekdays: []string{"Saturday", "Sunday"}, TimeZone: "W. Europe Standard Time", WeeklyWeeks: 12, InstantRestoreDays: 5}
	if !samePolicy(got, want) {
		t.Fatalf("created %+v\nwant    %+v", got, want)
	}
	daily := azure.PolicySpec{Name: "daily-std", Type: azure.PolicyStandard, Frequency: "Daily", Time: "01:00",
		RetentionDays: 14, RetentionWeeks: 4, InstantRestoreDays: 3}
	if _, err := cl.CreatePolicy(ctx, vaultWEU, daily); err != nil {
		t.Fatal(err)
	}

	// listed, and still there in another process
	_, cl2 := clientOn(t, protectScenario(), Options{StatePath: path})
	ps, err := cl2.Policies(ctx, vaultWEU)
	if err != nil || len(ps) != 4 {
		t.Fatalf("policies after reload: %+v %v", ps, err)
	}
	if p := findPolicy(ps, "weekly-enhanced"); p == nil || !samePolicy(*p, want) {
		t.Errorf("listed %+v", p)
	}
	if p := findPolicy(ps, "daily-std"); p == nil || p.DailyDays != 14 || p.WeeklyWeeks != 4 || p.TimeZone != "UTC" || p.Type != azure.PolicyStandard {
		t.Errorf("listed %+v", p)
	}
	// other vaults do not see it
	if p, err := cl2.Policy(ctx, vaultEUS, "weekly-enhanced"); err != nil || p != nil {
		t.Errorf("policy leaked into another vault: %+v %v", p, err)
	}
}

func samePolicy(a, b azure.Policy) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Type == b.Type && a.Frequency == b.Frequency && slices.Equal(a.Times, b.Times) &&
		slices.Equal(a.Weekdays, b.Weekdays) && a.TimeZone == b.TimeZone && a.DailyDays == b.DailyDays && a.WeeklyWeeks == b.WeeklyWeeks &&
		a.InstantRestoreDays == b.InstantRestoreDays && a.HourlyInterval == b.HourlyInterval
}

func TestSimPolicyValidation(t *testing.T) {
	c, cl := clientOn(t, protectScenario(), Options{})
	ctx := context.Background()
	// the azure layer refuses a bad spec before sending it
	_, err := cl.CreatePolicy(ctx, vaultWEU, azure.PolicySpec{Name: "p", Type: azure.PolicyStandard, Frequency: "Daily", Time: "22:15",
		RetentionDays: 30, InstantRestoreDays: 2})
	if e := wantKind(t, err, azure.KindInvalid, azure.CodeInvalidPolicySpec); e.Message != "time" {
		t.Errorf("reason %q", e.Message)
	}
	// the simulated service refuses what Azure refuses, whatever the client
	opts, _ := sdkOptions(c)
	sdk, err := armrecoveryservicesbackup.NewProtectionPoliciesClient(demoProd, c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 22, 0, 0, 0, time.UTC)
	mk := func(ir int32, days int32, tz string) armrecoveryservicesbackup.ProtectionPolicyResource {
		return armrecoveryservicesbackup.ProtectionPolicyResource{Properties: &armrecoveryservicesbackup.AzureIaaSVMProtectionPolicy{
			BackupManagementType: to.Ptr("AzureIaasVM"),
			PolicyType:           to.Ptr(armrecoveryservicesbackup.IAASVMPolicyTypeV1),
			SchedulePolicy: &armrecoveryservicesbackup.SimpleSchedulePolicy{SchedulePolicyType: to.Ptr("SimpleSchedulePolicy"),
				ScheduleRunFrequency: to.Ptr(armrecoveryservicesbackup.ScheduleRunTypeDaily), ScheduleRunTimes: []*time.Time{&at}},
			RetentionPolicy: &armrecoveryservicesbackup.LongTermRetentionPolicy{RetentionPolicyType: to.Ptr("LongTermRetentionPolicy"),
				DailySchedule: &armrecoveryservicesbackup.DailyRetentionSchedule{RetentionTimes: []*time.Time{&at},
					RetentionDuration: &armrecoveryservicesbackup.RetentionDuration{Count: to.Ptr(days), DurationType: to.Ptr(armrecoveryservicesbackup.RetentionDurationTypeDays)}}},
			InstantRpRetentionRangeInDays: to.Ptr(ir),
			TimeZone:                      to.Ptr(tz),
		}}
	}
	for _, tc := range []struct {
		name string
		body armrecoveryservicesbackup.ProtectionPolicyResource
	}{
		{"instant restore 9 days on Standard", mk(9, 30, "UTC")},
		{"3 days of daily points", mk(2, 3, "UTC")},
		{"unknown time zone", mk(2, 30, "Mars/Olympus")},
	} {
		_, err := sdk.CreateOrUpdate(ctx, "rsv-weu-prod", "rg-backup-prod", "bad", tc.body, nil)
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.ErrorCode != codeBadPolicy {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if p, err := cl.Policy(ctx, vaultWEU, "bad"); err != nil || p != nil {
		t.Errorf("a refused policy was stored: %+v %v", p, err)
	}
	// and takes a good one
	res, err := sdk.CreateOrUpdate(ctx, "rsv-weu-prod", "rg-backup-prod", "good", mk(2, 30, "Tokyo Standard Time"), nil)
	if err != nil || *res.Name != "good" {
		t.Fatalf("good policy: %v", err)
	}
}

func TestSimPreValidateProtection(t *testing.T) {
	_, cl := clientOn(t, protectScenario(), Options{})
	ctx := context.Background()
	pv, err := cl.PreValidateProtection(ctx, vaultWEU, vmWeb, "westeurope")
	if err != nil || !pv.OK || pv.ContainerName != "iaasvmcontainer;iaasvmcontainerv2;rg-web-prod;web-prod-01" ||
		pv.ItemName != "vm;iaasvmcontainerv2;rg-web-prod;web-prod-01" {
		t.Fatalf("web-prod-01: %+v %v", pv, err)
	}
	if pv.ContainerName != azure.ContainerName(vmWeb) || pv.ItemName != azure.ItemName(vmWeb) {
		t.Errorf("the azure layer builds other names: %q %q", azure.ContainerName(vmWeb), azure.ItemName(vmWeb))
	}
	for _, tc := range []struct {
		name, vault, vm, region, code string
	}{
		{"other region", vaultWEU, vmTokyo, "japaneast", preCodeOtherRegion},
		{"protected by another vault", vaultEUS2, vmCRM, "eastus", preCodeProtectedElsewhere},
		{"no such VM", vaultWEU, strings.Replace(vmWeb, "web-prod-01", "gone-01", 1), "westeurope", preCodeVMNotFound},
		{"other subscription", vaultWEUDev, vmWeb, "westeurope", preCodeOtherSubscription},
	} {
		pv, err := cl.PreValidateProtection(ctx, tc.vault, tc.vm, tc.region)
		if err != nil || pv.OK || pv.Code != tc.code || pv.Message == "" || pv.Recommendation == "" {
			t.Errorf("%s: %+v %v", tc.name, pv, err)
		}
	}
	// the vault protecting it says yes
	if pv, err := cl.PreValidateProtection(ctx, vaultEUS, vmCRM, "eastus"); err != nil || !pv.OK {
		t.Errorf("crm-eastus-01 in its own vault: %+v %v", pv, err)
	}
	_, err = cl.PreValidateProtection(ctx, vaultWEU, vmWeb, "")
	wantKind(t, err, azure.KindInvalid, azure.CodeMissingArgument)
}

// Refresh, then protect a VM; the operation survives the process and is
// resumed with its token; the vault's storage is Locked after.
func TestSimProtectEndToEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := newClock()
	_, cl := clientOn(t, protectScenario(), Options{StatePath: path, Now: clock.now})
	ctx := context.Background()

	ref, err := cl.RefreshContainers(ctx, vaultWEU)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := ref.Poll(ctx); done || err != nil {
		t.Fatalf("refresh at once: %v %v", done, err)
	}
	clock.advance(11 * time.Second)
	if done, err := ref.Poll(ctx); !done || err != nil {
		t.Fatalf("refresh after its time: %v %v", done, err)
	}

	op, err := cl.BeginProtect(ctx, vaultWEU, vmWeb, policyID(vaultWEU, "DefaultPolicy"), "")
	if err != nil {
		t.Fatal(err)
	}
	if op.Op() != "protect-vm" {
		t.Errorf("op id %q", op.Op())
	}
	if done, err := op.Poll(ctx); done || err != nil {
		t.Fatalf("protect at once: %v %v", done, err)
	}
	if it, err := cl.ProtectedItem(ctx, vaultWEU, vmWeb); err != nil || it != nil {
		t.Fatalf("item before the operation finished: %+v %v", it, err)
	}
	if sc, _ := cl.StorageConfig(ctx, vaultWEU); sc.Locked() {
		t.Fatal("storage locked before any item exists")
	}
	token := op.ResumeToken()
	if token == "" {
		t.Fatal("no resume token")
	}
	// a second PUT while the first runs answers the same operation
	again, err := cl.BeginProtect(ctx, vaultWEU, vmWeb, policyID(vaultWEU, "DefaultPolicy"), "")
	if err != nil || again.ResumeToken() == "" {
		t.Fatalf("second PUT: %v", err)
	}

	// another process resumes the operation
	_, cl2 := clientOn(t, protectScenario(), Options{StatePath: path, Now: clock.now})
	op2, err := cl2.BeginProtect(ctx, vaultWEU, "", "", token)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op2.Poll(ctx); done || err != nil {
		t.Fatalf("resumed before its time: %v %v", done, err)
	}
	clock.advance(11 * time.Second)
	if done, err := op2.Poll(ctx); !done || err != nil {
		t.Fatalf("resumed after its time: %v %v", done, err)
	}
	it, err := cl2.ProtectedItem(ctx, vaultWEU, vmWeb)
	if err != nil || it == nil {
		t.Fatalf("item: %+v %v", it, err)
	}
	if it.State != "IRPending" || it.HealthStatus != "Passed" || it.PolicyName != "DefaultPolicy" ||
		!strings.EqualFold(it.PolicyID, policyID(vaultWEU, "DefaultPolicy")) || it.VMID != vmWeb || it.LastBackupStatus != "" ||
		!it.LastBackupTime.IsZero() || !strings.Contains(it.ID, "/protectedItems/VM;iaasvmcontainerv2;rg-web-prod;web-prod-01") {
		t.Fatalf("item %+v", it)
	}
	sc, err := cl2.StorageConfig(ctx, vaultWEU)
	if err != nil || !sc.Locked() {
		t.Fatalf("storage after protection: %+v %v", sc, err)
	}
	// Resource Graph sees the protection
	inv, err := cl2.Inventory(ctx, []string{demoProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vm := vmByName(inv, "web-prod-01"); vm == nil || vm.Protection == nil || vm.Protection.State != "IRPending" {
		t.Fatalf("inventory: %+v", vm)
	}
	// the same PUT again changes nothing and finishes at once
	op3, err := cl2.BeginProtect(ctx, vaultWEU, vmWeb, policyID(vaultWEU, "DefaultPolicy"), "")
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op3.Poll(ctx); !done || err != nil {
		t.Fatalf("repeat: %v %v", done, err)
	}
	// a policy count follows
	if p, _ := cl2.Policy(ctx, vaultWEU, "DefaultPolicy"); p == nil || p.ProtectedItems != 1 {
		t.Errorf("policy count: %+v", p)
	}
}

func TestSimProtectRefusals(t *testing.T) {
	_, cl := clientOn(t, protectScenario(), Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, vault, vm, policy, code string
	}{
		{"other region", vaultWEU, vmTokyo, policyID(vaultWEU, "DefaultPolicy"), codeVMOtherRegion},
		{"protected elsewhere", vaultEUS2, vmCRM, policyID(vaultEUS2, "DefaultPolicy"), codeProtectedElsewhere},
		{"unknown policy", vaultWEU, vmWeb, policyID(vaultWEU, "NoSuchPolicy"), codePolicyNotFound},
		{"policy of another vault", vaultWEU, vmWeb, policyID(vaultEUS, "DefaultPolicy"), codePolicyNotFound},
		{"a SQL policy", vaultWEU, vmWeb, policyID(vaultWEU, "HourlyLogBackup"), codePolicyNotFound},
		{"no such VM", vaultWEU, strings.Replace(vmWeb, "web-prod-01", "gone-01", 1), policyID(vaultWEU, "DefaultPolicy"), codeVMNotFound},
	} {
		_, err := cl.BeginProtect(ctx, vaultWEU, tc.vm, tc.policy, "")
		if tc.vault != vaultWEU {
			_, err = cl.BeginProtect(ctx, tc.vault, tc.vm, tc.policy, "")
		}
		e, ok := azure.AsError(err)
		if !ok || e.Kind != azure.KindInvalid || e.Code != tc.code || e.Op != "protect-vm" {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	_, err := cl.BeginProtect(ctx, vaultWEU, vmWeb, "", "")
	wantKind(t, err, azure.KindInvalid, azure.CodeMissingArgument)
}

func TestSimProtectFaultIsConflict(t *testing.T) {
	sc := protectScenario()
	sc.OperationTime = 0
	sc.Faults = []Fault{{Match: `^PUT .*/protectedItems/`, Status: 409, Times: 1}}
	_, cl := clientOn(t, sc, Options{})
	ctx := context.Background()
	_, err := cl.BeginProtect(ctx, vaultWEU, vmWeb, policyID(vaultWEU, "DefaultPolicy"), "")
	if e := wantKind(t, err, azure.KindConflict, "Conflict"); e.Op != "protect-vm" || e.Status != 409 {
		t.Fatalf("fault: %+v", e)
	}
	op, err := cl.BeginProtect(ctx, vaultWEU, vmWeb, policyID(vaultWEU, "DefaultPolicy"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx, time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	if it, err := cl.ProtectedItem(ctx, vaultWEU, vmWeb); err != nil || it == nil {
		t.Fatalf("item after the retry: %+v %v", it, err)
	}
}

// protectNow protects a VM and waits until the clock has let it finish.
func protectNow(t *testing.T, cl *azure.Client, clock *simClock, vaultID, vmID string) {
	t.Helper()
	ctx := context.Background()
	op, err := cl.BeginProtect(ctx, vaultID, vmID, policyID(vaultID, "DefaultPolicy"), "")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(11 * time.Second)
	if done, err := op.Poll(ctx); !done || err != nil {
		t.Fatalf("protect %s: %v %v", vmID, done, err)
	}
}

func TestSimBackupNowJobPhases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := newClock()
	c, cl := clientOn(t, protectScenario(), Options{StatePath: path, Now: clock.now})
	ctx := context.Background()
	protectNow(t, cl, clock, vaultWEU, vmWeb)

	start := clock.t
	opID, err := cl.TriggerBackup(ctx, vaultWEU, vmWeb, start.Add(30*24*time.Hour))
	if err != nil || opID == "" {
		t.Fatalf("trigger: %q %v", opID, err)
	}
	status, jobID, err := cl.BackupOperation(ctx, vaultWEU, vmWeb, opID)
	if err != nil || status != "InProgress" || jobID == "" {
		t.Fatalf("operation at once: %q %q %v", status, jobID, err)
	}
	// a second backup while the first runs is refused
	_, err = cl.TriggerBackup(ctx, vaultWEU, vmWeb, time.Time{})
	wantKind(t, err, azure.KindInvalid, codeBackupInProgress)

	clock.advance(time.Second) // a tenth of the operation time
	status, jobID2, err := cl.BackupOperation(ctx, vaultWEU, vmWeb, opID)
	if err != nil || status != "Succeeded" || jobID2 != jobID {
		t.Fatalf("operation after a second: %q %q %v", status, jobID2, err)
	}

	job, err := cl.BackupJob(ctx, vaultWEU, jobID)
	if err != nil {
		t.Fatal(err)
	}
	if job.Name != jobID || job.Operation != "Backup" || job.Status != "InProgress" || job.Entity != "web-prod-01" ||
		!job.Start.Equal(start) || job.Duration != time.Second || job.Progress != 2 ||
		!slices.Equal(job.Tasks, []azure.JobTask{{Name: "Take Snapshot", Status: "InProgress"}, {Name: "Transfer data to vault", Status: "NotStarted"}}) {
		t.Fatalf("job in its snapshot phase: %+v", job)
	}
	clock.advance(14 * time.Second)
	job, err = cl.BackupJob(ctx, vaultWEU, jobID)
	if err != nil || job.Status != "InProgress" || job.Progress != 37 ||
		!slices.Equal(job.Tasks, []azure.JobTask{{Name: "Take Snapshot", Status: "Completed"}, {Name: "Transfer data to vault", Status: "InProgress"}}) {
		t.Fatalf("job in its transfer phase: %+v %v", job, err)
	}
	if it, _ := cl.ProtectedItem(ctx, vaultWEU, vmWeb); it.LastBackupStatus != "" {
		t.Errorf("item before the job ended: %+v", it)
	}

	// the jobs list shows it running, newest first
	opts, _ := sdkOptions(c)
	jobs, err := armrecoveryservicesbackup.NewBackupJobsClient(demoProd, c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	page, err := jobs.NewListPager("rsv-weu-prod", "rg-backup-prod", &armrecoveryservicesbackup.BackupJobsClientListOptions{
		Filter: to.Ptr("operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and status eq 'InProgress'")}).NextPage(ctx)
	if err != nil || len(page.Value) != 1 || *page.Value[0].Name != jobID {
		t.Fatalf("running jobs: %+v %v", page.Value, err)
	}

	clock.advance(30 * time.Second)
	job, err = cl.BackupJob(ctx, vaultWEU, jobID)
	if err != nil || job.Status != "Completed" || job.Progress != 100 || job.Duration != 40*time.Second || len(job.Errors) != 0 ||
		!slices.Equal(job.Tasks, []azure.JobTask{{Name: "Take Snapshot", Status: "Completed"}, {Name: "Transfer data to vault", Status: "Completed"}}) {
		t.Fatalf("completed job: %+v %v", job, err)
	}
	it, err := cl.ProtectedItem(ctx, vaultWEU, vmWeb)
	if err != nil || it.LastBackupStatus != "Completed" || it.State != "Protected" || !it.LastBackupTime.Equal(start) {
		t.Fatalf("item after the backup: %+v %v", it, err)
	}
	page, err = jobs.NewListPager("rsv-weu-prod", "rg-backup-prod", &armrecoveryservicesbackup.BackupJobsClientListOptions{
		Filter: to.Ptr("status eq 'InProgress'")}).NextPage(ctx)
	if err != nil || len(page.Value) != 0 {
		t.Fatalf("no job runs any more: %d %v", len(page.Value), err)
	}
	// the finished job is kept in the state file
	_, cl2 := clientOn(t, protectScenario(), Options{StatePath: path, Now: clock.now})
	if job, err := cl2.BackupJob(ctx, vaultWEU, jobID); err != nil || job.Status != "Completed" {
		t.Fatalf("job after reload: %+v %v", job, err)
	}
	if _, err := cl2.BackupJob(ctx, vaultWEU, "00000000-0000-0000-0000-000000000000"); err == nil {
		t.Fatal("a missing job must be an error")
	} else {
		wantKind(t, err, azure.KindNotFound, "")
	}
	// and the next backup may start
	if _, err := cl2.TriggerBackup(ctx, vaultWEU, vmWeb, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// A VM whose snapshot extension failed, and one without a ready agent: the
// job fails at its snapshot phase with the service's error.
func TestSimBackupNowSnapshotFailures(t *testing.T) {
	clock := newClock()
	_, cl := clientOn(t, protectScenario(), Options{Now: clock.now})
	ctx := context.Background()
	protectNow(t, cl, clock, vaultWEU, vmNoAgent)

	for _, tc := range []struct {
		vault, vm, text string
		code            int32
		rec             string
	}{
		{vaultWEUDev, vmSnapFail, "ExtensionSnapshotFailedNoNetwork", 400011, "Storage.WestEurope"},
		{vaultWEU, vmNoAgent, "UserErrorGuestAgentStatusUnavailable", 0, "168.63.129.16"},
	} {
		opID, err := cl.TriggerBackup(ctx, tc.vault, tc.vm, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		_, jobID, err := cl.BackupOperation(ctx, tc.vault, tc.vm, opID)
		if err != nil || jobID == "" {
			t.Fatalf("%s: %q %v", tc.vm, jobID, err)
		}
		clock.advance(5 * time.Second)
		job, err := cl.BackupJob(ctx, tc.vault, jobID)
		if err != nil || job.Status != "InProgress" {
			t.Fatalf("%s: before the snapshot phase ends: %+v %v", tc.vm, job, err)
		}
		clock.advance(5 * time.Second)
		job, err = cl.BackupJob(ctx, tc.vault, jobID)
		if err != nil || job.Status != "Failed" || len(job.Errors) != 1 || job.Message == "" || job.Duration != 10*time.Second {
			t.Fatalf("%s: failed job: %+v %v", tc.vm, job, err)
		}
		e := job.Errors[0]
		if e.Text != tc.text || e.Code != tc.code || e.Title == "" || len(e.Recommendations) != 1 || !strings.Contains(e.Recommendations[0], tc.rec) {
			t.Errorf("%s: error %+v", tc.vm, e)
		}
		if job.Tasks[0] != (azure.JobTask{Name: "Take Snapshot", Status: "Failed"}) {
			t.Errorf("%s: tasks %+v", tc.vm, job.Tasks)
		}
		it, err := cl.ProtectedItem(ctx, tc.vault, tc.vm)
		if err != nil || it.LastBackupStatus != "Failed" || it.HealthStatus != "ActionRequired" || it.State != "ProtectionError" {
			t.Errorf("%s: item %+v %v", tc.vm, it, err)
		}
	}
}

// A stopped VM is backed up without its agent (crash-consistent).
func TestSimBackupNowStoppedVM(t *testing.T) {
	clock := newClock()
	sc := protectScenario()
	sc.OperationTime = 0
	_, cl := clientOn(t, sc, Options{Now: clock.now})
	ctx := context.Background()
	op, err := cl.BeginProtect(ctx, vaultWEUDev, vmBuild, policyID(vaultWEUDev, "EnhancedPolicy"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx, time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	it, err := cl.ProtectedItem(ctx, vaultWEUDev, vmBuild)
	if err != nil || it == nil || it.PolicyName != "EnhancedPolicy" {
		t.Fatalf("item %+v %v", it, err)
	}
	// an Enhanced item cannot move to a Standard policy
	_, err = cl.BeginProtect(ctx, vaultWEUDev, vmBuild, policyID(vaultWEUDev, "DefaultPolicy"), "")
	wantKind(t, err, azure.KindInvalid, codePolicyDowngrade)

	opID, err := cl.TriggerBackup(ctx, vaultWEUDev, vmBuild, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	status, jobID, err := cl.BackupOperation(ctx, vaultWEUDev, vmBuild, opID)
	if err != nil || status != "Succeeded" {
		t.Fatalf("operation: %q %v", status, err)
	}
	job, err := cl.BackupJob(ctx, vaultWEUDev, jobID)
	if err != nil || job.Status != "Completed" {
		t.Fatalf("job: %+v %v", job, err)
	}
}
