package azure

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The recorded end-to-end run (azure-sdk-for-python test_iaasvm_e2e) names
// this vault and VM.
const (
	recVault = "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/PythonSDKBackupTestRg/providers/Microsoft.RecoveryServices/vaults/PySDKBackupTestRsVault"
	recVM    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/swaggersdktestrg/providers/Microsoft.Compute/virtualMachines/swaggersdktest"
	recItem  = "/protectionContainers/iaasvmcontainer;iaasvmcontainerv2;swaggersdktestrg;swaggersdktest/protectedItems/vm;iaasvmcontainerv2;swaggersdktestrg;swaggersdktest"
)

// recorder answers requests with fixtures in order (the last repeats) and
// keeps what was sent: method, path, query and body.
type recorder struct {
	t    testing.TB
	mu   sync.Mutex
	list []fixture
	sent []sentRequest
}

type sentRequest struct {
	method, path, query string
	body                []byte
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	r.sent = append(r.sent, sentRequest{method: req.Method, path: req.URL.Path, query: req.URL.RawQuery, body: body})
	if len(r.list) == 0 {
		r.t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return nil, io.ErrUnexpectedEOF
	}
	f := r.list[0]
	if len(r.list) > 1 {
		r.list = r.list[1:]
	}
	return f.response(req), nil
}

// recorded is a client answering from the fixtures (possibly edited).
func recorded(t testing.TB, fs ...fixture) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{t: t, list: fs}
	return testClient(t, rec), rec
}

func load(t testing.TB, names ...string) []fixture {
	t.Helper()
	var out []fixture
	for _, n := range names {
		out = append(out, loadFixture(t, n))
	}
	return out
}

// edited is a fixture whose response body went through edit.
func edited(t testing.TB, name string, edit func(body map[string]any)) fixture {
	t.Helper()
	f := loadFixture(t, name)
	var body map[string]any
	if err := json.Unmarshal(f.Response.Body, &body); err != nil {
		t.Fatal(err)
	}
	edit(body)
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	f.Response.Body = b
	return f
}

func TestRecordedPolicyList(t *testing.T) {
	c, rec := recorded(t, load(t, "example_backup_policies_list_iaasvm.json")...)
	ps, err := c.Policies(context.Background(), recVault)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("policies: %+v", ps)
	}
	d, p1 := ps[0], ps[1]
	if d.Name != "DefaultPolicy" || d.Type != PolicyStandard || d.Frequency != "Daily" || !slices.Equal(d.Times, []string{"19:00"}) ||
		d.DailyDays != 30 || d.TimeZone != "UTC" || d.InstantRestoreDays != 0 || !strings.HasSuffix(d.ID, "/backupPolicies/DefaultPolicy") {
		t.Errorf("DefaultPolicy: %+v", d)
	}
	if p1.Name != "testPolicy1" || p1.TimeZone != "Pacific Standard Time" || p1.DailyDays != 1 || !slices.Equal(p1.Times, []string{"02:00"}) {
		t.Errorf("testPolicy1: %+v", p1)
	}
	if len(rec.sent) != 1 || rec.sent[0].method != http.MethodGet ||
		rec.sent[0].path != "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/PythonSDKBackupTestRg/providers/Microsoft.RecoveryServices/vaults/PySDKBackupTestRsVault/backupPolicies" ||
		!strings.Contains(rec.sent[0].query, "%24filter=backupManagementType%20eq%20%27AzureIaasVM%27") {
		t.Fatalf("request: %+v", rec.sent)
	}
}

// A list split over two pages (the recorded one, cut in two with a
// nextLink): Policies reads every page.
func TestPoliciesEveryPage(t *testing.T) {
	first := edited(t, "example_backup_policies_list_iaasvm.json", func(b map[string]any) {
		b["value"] = b["value"].([]any)[:1]
		b["nextLink"] = "https://management.azure.com" + recVault + "/backupPolicies?api-version=2026-07-01&%24skiptoken=page2"
	})
	second := edited(t, "example_backup_policies_list_iaasvm.json", func(b map[string]any) {
		b["value"] = b["value"].([]any)[1:]
	})
	c, rec := recorded(t, first, second)
	ps, err := c.Policies(context.Background(), recVault)
	if err != nil || len(ps) != 2 || ps[0].Name != "DefaultPolicy" || ps[1].Name != "testPolicy1" {
		t.Fatalf("policies %+v %v", ps, err)
	}
	if len(rec.sent) != 2 || !strings.Contains(rec.sent[1].query, "skiptoken=page2") {
		t.Fatalf("requests %+v", rec.sent)
	}
}

func TestRecordedPolicyGet(t *testing.T) {
	c, _ := recorded(t, load(t, "backup_policy_get_iaasvm_custom.json")...)
	p, err := c.Policy(context.Background(), recVault, "resourcetest")
	if err != nil || p == nil {
		t.Fatal(p, err)
	}
	if p.Name != "resourcetest" || p.Type != PolicyStandard || p.Frequency != "Daily" || !slices.Equal(p.Times, []string{"18:00"}) ||
		p.DailyDays != 180 || p.InstantRestoreDays != 2 || p.TimeZone != "UTC" || p.ProtectedItems != 0 {
		t.Fatalf("policy %+v", p)
	}
	// a 2016 DefaultPolicy: no policyType, time zone or instant restore
	c, _ = recorded(t, load(t, "backup_policy_get_defaultpolicy_legacy.json")...)
	p, err = c.Policy(context.Background(), recVault, "DefaultPolicy")
	if err != nil || p == nil || p.Type != PolicyStandard || p.TimeZone != "UTC" || p.DailyDays != 30 || !slices.Equal(p.Times, []string{"17:00"}) {
		t.Fatalf("legacy DefaultPolicy: %+v %v", p, err)
	}
	// 404 with a bare {} body: no such policy
	c, _ = recorded(t, load(t, "error_backup_policy_get_404_empty_body.json")...)
	p, err = c.Policy(context.Background(), recVault, "psTestEnhancedPolicy")
	if err != nil || p != nil {
		t.Fatalf("missing policy: %+v %v", p, err)
	}
}

// CreatePolicy sends what the recorded PUT sent, and reads its answer.
func TestRecordedCreatePolicy(t *testing.T) {
	c, rec := recorded(t, load(t, "backup_policy_put_iaasvm_200.json", "backup_policy_get_iaasvm_custom.json")...)
	p, err := c.CreatePolicy(context.Background(), recVault, PolicySpec{Name: "resourcetest", Type: PolicyStandard, Frequency: "Daily",
		Time: "18:00", RetentionDays: 180, InstantRestoreDays: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "resourcetest" || p.DailyDays != 180 || !slices.Equal(p.Times, []string{"18:00"}) || p.InstantRestoreDays != 2 {
		t.Fatalf("policy %+v", p)
	}
	if got := methodsAndPaths(rec); len(got) != 2 || got[0] != "PUT "+strings.Replace(recVault, "/Subscriptions/", "/subscriptions/", 1)+"/backupPolicies/resourcetest" ||
		got[1] != "GET "+strings.Replace(recVault, "/Subscriptions/", "/subscriptions/", 1)+"/backupPolicies/resourcetest" {
		t.Fatalf("requests %v (want the PUT, then the read-back)", got)
	}
	var sent, want struct {
		Properties struct {
			BackupManagementType string `json:"backupManagementType"`
			PolicyType           string `json:"policyType"`
			SchedulePolicy       struct {
				Type      string   `json:"schedulePolicyType"`
				Frequency string   `json:"scheduleRunFrequency"`
				Times     []string `json:"scheduleRunTimes"`
			} `json:"schedulePolicy"`
			RetentionPolicy struct {
				Type  string `json:"retentionPolicyType"`
				Daily struct {
					Times    []string `json:"retentionTimes"`
					Duration struct {
						Count int    `json:"count"`
						Type  string `json:"durationType"`
					} `json:"retentionDuration"`
				} `json:"dailySchedule"`
			} `json:"retentionPolicy"`
			Instant  int    `json:"instantRpRetentionRangeInDays"`
			TimeZone string `json:"timeZone"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(rec.sent[0].body, &sent); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Request struct {
			Body json.RawMessage `json:"body"`
		} `json:"request"`
	}
	data := loadRaw(t, "backup_policy_put_iaasvm_200.json")
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw.Request.Body, &want); err != nil {
		t.Fatal(err)
	}
	clock := func(ts []string) []string {
		var out []string
		for _, s := range ts {
			tt, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t.Fatalf("time %q: %v", s, err)
			}
			out = append(out, tt.Format("15:04"))
		}
		return out
	}
	sp, wp := sent.Properties, want.Properties
	if sp.BackupManagementType != wp.BackupManagementType || sp.PolicyType != wp.PolicyType || sp.SchedulePolicy.Type != wp.SchedulePolicy.Type ||
		sp.SchedulePolicy.Frequency != wp.SchedulePolicy.Frequency || !slices.Equal(clock(sp.SchedulePolicy.Times), clock(wp.SchedulePolicy.Times)) ||
		sp.RetentionPolicy.Type != wp.RetentionPolicy.Type || sp.RetentionPolicy.Daily.Duration != wp.RetentionPolicy.Daily.Duration ||
		!slices.Equal(clock(sp.RetentionPolicy.Daily.Times), clock(wp.RetentionPolicy.Daily.Times)) || sp.Instant != wp.Instant || sp.TimeZone != wp.TimeZone {
		t.Fatalf("sent %+v\nrecorded %+v", sp, wp)
	}
}

func loadRaw(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The recorded refresh: 202 with a Location, then 202, then 204.
func TestRecordedRefreshContainers(t *testing.T) {
	c, rec := recorded(t, load(t, "backup_refresh_containers_202.json", "backup_refresh_containers_poll_202.json",
		"backup_refresh_containers_poll_204_done.json")...)
	ctx := context.Background()
	op, err := c.RefreshContainers(ctx, recVault)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op.Poll(ctx); done || err != nil {
		t.Fatalf("first poll: %v %v", done, err)
	}
	if done, err := op.Poll(ctx); !done || err != nil {
		t.Fatalf("second poll: %v %v", done, err)
	}
	base := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/PythonSDKBackupTestRg/providers/Microsoft.RecoveryServices/vaults/PySDKBackupTestRsVault/backupFabrics/Azure"
	want := []string{"POST " + base + "/refreshContainers", "GET " + base + "/operationResults/487945d4-3d51-402e-9e29-ba6bfb6e7324",
		"GET " + base + "/operationResults/487945d4-3d51-402e-9e29-ba6bfb6e7324"}
	if got := methodsAndPaths(rec); !slices.Equal(got, want) {
		t.Fatalf("requests %v", got)
	}
}

func methodsAndPaths(rec *recorder) []string {
	var out []string
	for _, s := range rec.sent {
		out = append(out, s.method+" "+s.path)
	}
	return out
}

// The recorded protection: PUT 202, the operation Succeeded, the item.
func TestRecordedProtect(t *testing.T) {
	c, rec := recorded(t, load(t, "protected_item_put_enable_protection_202.json", "protected_item_operationsstatus_succeeded_with_jobid.json",
		"protected_item_put_poll_operationresults_200_final.json")...)
	ctx := context.Background()
	policy := recVault + "/backupPolicies/DefaultPolicy"
	op, err := c.BeginProtect(ctx, recVault, recVM, policy, "")
	if err != nil {
		t.Fatal(err)
	}
	token := op.ResumeToken()
	if token == "" {
		t.Fatal("no resume token")
	}
	if done, err := op.Poll(ctx); !done || err != nil {
		t.Fatalf("poll: %v %v", done, err)
	}
	got := methodsAndPaths(rec)
	vault := strings.Replace(recVault, "/Subscriptions/", "/subscriptions/", 1)
	if len(got) != 3 || got[0] != "PUT "+vault+"/backupFabrics/Azure"+recItem ||
		got[1] != "GET "+recVault+"/backupFabrics/Azure"+recItem+"/operationsStatus/d5791ad1-50c6-42ea-b711-6ecfc7506535" ||
		got[2] != "GET "+vault+"/backupFabrics/Azure"+recItem {
		t.Fatalf("requests %v", got)
	}
	var body struct {
		Properties map[string]string `json:"properties"`
	}
	if err := json.Unmarshal(rec.sent[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Properties["sourceResourceId"] != recVM || body.Properties["policyId"] != policy ||
		body.Properties["protectedItemType"] != "Microsoft.Compute/virtualMachines" {
		t.Fatalf("body %s", rec.sent[0].body)
	}

	// another run resumes the operation from its token
	c2, rec2 := recorded(t, load(t, "protected_item_operationsstatus_succeeded_with_jobid.json", "protected_item_put_poll_operationresults_200_final.json")...)
	op2, err := c2.BeginProtect(ctx, recVault, "", "", token)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op2.Poll(ctx); !done || err != nil {
		t.Fatalf("resumed poll: %v %v", done, err)
	}
	if len(rec2.sent) != 2 || rec2.sent[0].method != http.MethodGet || !strings.Contains(rec2.sent[0].path, "/operationsStatus/") {
		t.Fatalf("resumed requests %v", methodsAndPaths(rec2))
	}
}

func TestRecordedProtectedItem(t *testing.T) {
	c, rec := recorded(t, load(t, "protected_item_put_poll_operationresults_200_final.json")...)
	it, err := c.ProtectedItem(context.Background(), recVault, recVM)
	if err != nil || it == nil {
		t.Fatal(it, err)
	}
	if it.State != "IRPending" || it.HealthStatus != "Passed" || it.PolicyName != "DefaultPolicy" || it.VMID != recVM ||
		it.LastBackupStatus != "" || !it.LastBackupTime.IsZero() || !strings.HasSuffix(it.PolicyID, "/backupPolicies/DefaultPolicy") ||
		!strings.Contains(it.ID, "/protectedItems/VM;iaasvmcontainerv2;swaggersdktestrg;swaggersdktest") {
		t.Fatalf("item %+v", it)
	}
	if len(rec.sent) != 1 || !strings.HasSuffix(rec.sent[0].path, "/backupFabrics/Azure"+recItem) {
		t.Fatalf("request %v", methodsAndPaths(rec))
	}
	// after a backup and stopping protection
	c, _ = recorded(t, load(t, "protected_item_stop_protection_final_200_after_backup.json")...)
	it, err = c.ProtectedItem(context.Background(), recVault, recVM)
	if err != nil || it.State != "ProtectionStopped" || it.LastBackupStatus != "Completed" || it.PolicyID != "" ||
		!it.LastBackupTime.Equal(time.Date(2017, 10, 19, 7, 11, 24, 546165700, time.UTC)) {
		t.Fatalf("stopped item %+v %v", it, err)
	}
	// the Backup service's bare 404: not protected
	c, _ = recorded(t, load(t, "error_backup_policy_get_404_empty_body.json")...)
	it, err = c.ProtectedItem(context.Background(), recVault, recVM)
	if err != nil || it != nil {
		t.Fatalf("missing item %+v %v", it, err)
	}
}

func TestRecordedTriggerBackup(t *testing.T) {
	c, rec := recorded(t, load(t, "backup_trigger_post_202.json")...)
	until := time.Date(2017, 10, 21, 7, 11, 22, 0, time.UTC)
	opID, err := c.TriggerBackup(context.Background(), recVault, recVM, until)
	if err != nil || opID != "58e7eec8-68c2-4398-89b8-7f5d92eb05ce" {
		t.Fatalf("op %q %v", opID, err)
	}
	if len(rec.sent) != 1 || rec.sent[0].method != http.MethodPost || !strings.HasSuffix(rec.sent[0].path, recItem+"/backup") {
		t.Fatalf("request %v", methodsAndPaths(rec))
	}
	var body struct {
		Properties struct {
			ObjectType string    `json:"objectType"`
			Expiry     time.Time `json:"recoveryPointExpiryTimeInUTC"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(rec.sent[0].body, &body); err != nil || body.Properties.ObjectType != "IaasVMBackupRequest" || !body.Properties.Expiry.Equal(until) {
		t.Fatalf("body %s %v", rec.sent[0].body, err)
	}
}

func TestRecordedBackupOperation(t *testing.T) {
	c, rec := recorded(t, load(t, "backup_trigger_operationsstatus_succeeded_with_jobid.json")...)
	status, job, err := c.BackupOperation(context.Background(), recVault, recVM, "58e7eec8-68c2-4398-89b8-7f5d92eb05ce")
	if err != nil || status != "Succeeded" || job != "a8619ff4-b0ad-44b7-adc4-f24fde707a65" {
		t.Fatalf("%q %q %v", status, job, err)
	}
	if !strings.HasSuffix(rec.sent[0].path, recItem+"/operationsStatus/58e7eec8-68c2-4398-89b8-7f5d92eb05ce") {
		t.Fatalf("request %v", methodsAndPaths(rec))
	}
	// the same, while running and without a job yet
	c, _ = recorded(t, edited(t, "backup_trigger_operationsstatus_succeeded_with_jobid.json", func(b map[string]any) {
		b["status"] = "InProgress"
		delete(b, "properties")
	}))
	status, job, err = c.BackupOperation(context.Background(), recVault, recVM, "58e7eec8-68c2-4398-89b8-7f5d92eb05ce")
	if err != nil || status != "InProgress" || job != "" {
		t.Fatalf("running: %q %q %v", status, job, err)
	}
}

// The recorded job bodies (api 2017-07-01) carry actionsInfo as numbers,
// which the v5 model (strings) cannot read: TestRecordedErrorsAreTyped
// shows that is a KindBadResponse. Without that one member, the rest of the
// recording reads as below.
func withoutActions(b map[string]any) {
	delete(b["properties"].(map[string]any), "actionsInfo")
}

func TestRecordedBackupJobTasks(t *testing.T) {
	c, rec := recorded(t, edited(t, "backup_job_get_inprogress.json", withoutActions))
	j, err := c.BackupJob(context.Background(), recVault, "a8619ff4-b0ad-44b7-adc4-f24fde707a65")
	if err != nil {
		t.Fatal(err)
	}
	want := Job{Name: "a8619ff4-b0ad-44b7-adc4-f24fde707a65", Operation: "Backup", Status: "InProgress", Entity: "swaggersdktest",
		Start: time.Date(2017, 10, 19, 7, 11, 24, 546165700, time.UTC), Duration: 9920996600 * time.Nanosecond, Progress: -1,
		Tasks: []JobTask{{"Take Snapshot", "InProgress"}, {"Transfer data to vault", "NotStarted"}}}
	if j.Name != want.Name || j.Operation != want.Operation || j.Status != want.Status || j.Entity != want.Entity || !j.Start.Equal(want.Start) ||
		j.Duration != want.Duration || j.Progress != -1 || !slices.Equal(j.Tasks, want.Tasks) || len(j.Errors) != 0 || j.Message != "" ||
		!strings.HasSuffix(j.ID, "/backupJobs/a8619ff4-b0ad-44b7-adc4-f24fde707a65") {
		t.Fatalf("job %+v", j)
	}
	if !strings.HasSuffix(rec.sent[0].path, "/vaults/PySDKBackupTestRsVault/backupJobs/a8619ff4-b0ad-44b7-adc4-f24fde707a65") {
		t.Fatalf("request %v", methodsAndPaths(rec))
	}

	c, _ = recorded(t, edited(t, "backup_job_get_backup_completed.json", withoutActions))
	j, err = c.BackupJob(context.Background(), recVault, "a8619ff4-b0ad-44b7-adc4-f24fde707a65")
	if err != nil || j.Status != "Completed" || j.Duration != 35*time.Minute+22*time.Second+497353800*time.Nanosecond ||
		!slices.Equal(j.Tasks, []JobTask{{"Take Snapshot", "Completed"}, {"Transfer data to vault", "Completed"}}) {
		t.Fatalf("completed job %+v %v", j, err)
	}
}

// A V2 job with progress and an error: the recorded body with the members
// the v5 model documents added (no recording has them).
func TestBackupJobV2ProgressAndErrors(t *testing.T) {
	c, _ := recorded(t, edited(t, "backup_job_get_inprogress.json", func(b map[string]any) {
		withoutActions(b)
		p := b["properties"].(map[string]any)
		p["jobType"] = "AzureIaaSVMJobV2"
		p["status"] = "Failed"
		info := p["extendedInfo"].(map[string]any)
		info["progressPercentage"] = 42.7
		info["dynamicErrorMessage"] = "Snapshot failed"
		p["errorDetails"] = []any{map[string]any{"errorCode": 400011, "errorString": "ExtensionSnapshotFailedNoNetwork",
			"errorTitle": "No network", "recommendations": []string{"Open TCP 443 to Storage.WestEurope"}}}
	}))
	j, err := c.BackupJob(context.Background(), recVault, "j")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != "Failed" || j.Progress != 42 || j.Message != "Snapshot failed" || len(j.Tasks) != 2 || len(j.Errors) != 1 {
		t.Fatalf("job %+v", j)
	}
	if e := j.Errors[0]; e.Code != 400011 || e.Text != "ExtensionSnapshotFailedNoNetwork" || e.Title != "No network" ||
		!slices.Equal(e.Recommendations, []string{"Open TCP 443 to Storage.WestEurope"}) {
		t.Fatalf("error %+v", e)
	}
}

func TestValidatePolicySpec(t *testing.T) {
	daily := PolicySpec{Name: "daily-30", Type: PolicyStandard, Frequency: "Daily", Time: "22:30", RetentionDays: 30, InstantRestoreDays: 2}
	weekly := PolicySpec{Name: "weekly", Type: PolicyStandard, Frequency: "Weekly", Time: "01:00", Weekdays: []string{"Sunday"},
		RetentionWeeks: 12, InstantRestoreDays: 5, TimeZone: "Tokyo Standard Time"}
	cases := []struct {
		name string
		edit func(*PolicySpec)
		base PolicySpec
		want string
	}{
		{"daily ok", func(*PolicySpec) {}, daily, ""},
		{"weekly ok", func(*PolicySpec) {}, weekly, ""},
		{"enhanced daily 30 days of instant restore", func(s *PolicySpec) { s.Type, s.InstantRestoreDays = PolicyEnhanced, 30 }, daily, ""},
		{"enhanced weekly", func(s *PolicySpec) { s.Type, s.InstantRestoreDays = PolicyEnhanced, 7 }, weekly, ""},
		{"daily with weekly points", func(s *PolicySpec) { s.RetentionWeeks = 5163 }, daily, ""},
		{"type", func(s *PolicySpec) { s.Type = "" }, daily, "type"},
		{"name", func(s *PolicySpec) { s.Name = "a/b" }, daily, "name"},
		{"empty name", func(s *PolicySpec) { s.Name = "" }, daily, "name"},
		{"hourly is not offered", func(s *PolicySpec) { s.Frequency = "Hourly" }, daily, "frequency"},
		{"quarter past", func(s *PolicySpec) { s.Time = "22:15" }, daily, "time"},
		{"24 o'clock", func(s *PolicySpec) { s.Time = "24:00" }, daily, "time"},
		{"short time", func(s *PolicySpec) { s.Time = "9:30" }, daily, "time"},
		{"weekly without days", func(s *PolicySpec) { s.Weekdays = nil }, weekly, "weekdays"},
		{"unknown day", func(s *PolicySpec) { s.Weekdays = []string{"Funday"} }, weekly, "weekdays"},
		{"same day twice", func(s *PolicySpec) { s.Weekdays = []string{"Sunday", "Sunday"} }, weekly, "weekdays"},
		{"6 days", func(s *PolicySpec) { s.RetentionDays = 6 }, daily, "retention-days"},
		{"10000 days", func(s *PolicySpec) { s.RetentionDays = 10000 }, daily, "retention-days"},
		{"weekly with daily points", func(s *PolicySpec) { s.RetentionDays = 30 }, weekly, "retention-days"},
		{"weekly without weeks", func(s *PolicySpec) { s.RetentionWeeks = 0 }, weekly, "retention-weeks"},
		{"5164 weeks", func(s *PolicySpec) { s.RetentionWeeks = 5164 }, daily, "retention-weeks"},
		{"negative weeks", func(s *PolicySpec) { s.RetentionWeeks = -1 }, daily, "retention-weeks"},
		{"standard 6 days instant", func(s *PolicySpec) { s.InstantRestoreDays = 6 }, daily, "instant-restore"},
		{"no instant restore", func(s *PolicySpec) { s.InstantRestoreDays = 0 }, daily, "instant-restore"},
		{"standard weekly must keep 5", func(s *PolicySpec) { s.InstantRestoreDays = 2 }, weekly, "instant-restore"},
		{"enhanced 31 days", func(s *PolicySpec) { s.Type, s.InstantRestoreDays = PolicyEnhanced, 31 }, daily, "instant-restore"},
		{"instant longer than daily points", func(s *PolicySpec) { s.Type, s.InstantRestoreDays, s.RetentionDays = PolicyEnhanced, 20, 10 }, daily, "instant-restore"},
		{"IANA zone", func(s *PolicySpec) { s.TimeZone = "Europe/Berlin" }, daily, "timezone"},
		{"Windows zone", func(s *PolicySpec) { s.TimeZone = "W. Europe Standard Time" }, daily, ""},
	}
	for _, tc := range cases {
		s := tc.base
		s.Weekdays = slices.Clone(tc.base.Weekdays)
		tc.edit(&s)
		if got := ValidatePolicySpec(s); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if !IsPolicyTimeZone("UTC") || IsPolicyTimeZone("utc") || len(PolicyTimeZones()) < 100 {
		t.Error("time zone list")
	}
}

func TestContainerAndItemNames(t *testing.T) {
	id := "/subscriptions/s/resourceGroups/RG-Web/providers/Microsoft.Compute/virtualMachines/Web-01"
	if got := ContainerName(id); got != "iaasvmcontainer;iaasvmcontainerv2;rg-web;web-01" {
		t.Errorf("container %q", got)
	}
	if got := ItemName(id); got != "vm;iaasvmcontainerv2;rg-web;web-01" {
		t.Errorf("item %q", got)
	}
	if ContainerName("web-01") != "" || ItemName("") != "" {
		t.Error("not an id")
	}
}

func TestParseISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT0S": 0, "PT9.9209966S": 9920996600, "PT35M22.4973538S": 35*time.Minute + 22497353800,
		"PT1H": time.Hour, "P1DT2H": 26 * time.Hour, "PT10M6.8493299S": 10*time.Minute + 6849329900,
	} {
		if got, ok := parseISODuration(in); !ok || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "10s", "P1M", "PT5", "PTXS"} {
		if _, ok := parseISODuration(in); ok {
			t.Errorf("%q should not parse", in)
		}
	}
}

// Every call refuses missing arguments before asking Azure.
func TestProtectMissingArguments(t *testing.T) {
	c, rec := recorded(t)
	ctx := context.Background()
	calls := map[string]func() error{
		"list-policies":          func() error { _, err := c.Policies(ctx, ""); return err },
		"get-policy":             func() error { _, err := c.Policy(ctx, recVault, ""); return err },
		"create-policy":          func() error { _, err := c.CreatePolicy(ctx, recVault, PolicySpec{}); return err },
		"prevalidate-protection": func() error { _, err := c.PreValidateProtection(ctx, recVault, recVM, ""); return err },
		"refresh-containers":     func() error { _, err := c.RefreshContainers(ctx, ""); return err },
		"protect-vm":             func() error { _, err := c.BeginProtect(ctx, recVault, recVM, "", ""); return err },
		"get-protected-item":     func() error { _, err := c.ProtectedItem(ctx, "", recVM); return err },
		"trigger-backup":         func() error { _, err := c.TriggerBackup(ctx, recVault, "", time.Time{}); return err },
		"get-backup-operation":   func() error { _, _, err := c.BackupOperation(ctx, recVault, recVM, ""); return err },
	}
	for op, call := range calls {
		e, ok := AsError(call())
		if !ok || e.Kind != KindInvalid || e.Code != CodeMissingArgument || e.Op != op {
			t.Errorf("%s: %v", op, e)
		}
	}
	// a bad spec is refused before any request, with its reason
	_, err := c.CreatePolicy(ctx, recVault, PolicySpec{Name: "p", Type: PolicyStandard, Frequency: "Daily", Time: "22:30", RetentionDays: 3, InstantRestoreDays: 2})
	if e, ok := AsError(err); !ok || e.Code != CodeInvalidPolicySpec || e.Message != "retention-days" {
		t.Errorf("bad spec: %v", err)
	}
	// a VM id that is not one
	_, err = c.ProtectedItem(ctx, recVault, "web-01")
	if e, ok := AsError(err); !ok || e.Kind != KindInvalid {
		t.Errorf("bad VM id: %v", err)
	}
	if len(rec.sent) != 0 {
		t.Fatalf("requests were sent: %v", methodsAndPaths(rec))
	}
}
