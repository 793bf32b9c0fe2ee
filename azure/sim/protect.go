package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
	"github.com/backupready/backupready/azure"
)

// Turning on VM protection (AZURE.md §7) as the Backup service does it:
// backup policies (every vault has its system policies), the container
// refresh, enabling protection (a long-running PUT of the protected item),
// an on-demand backup (a POST whose operation names a job) and the backup
// jobs, whose phases advance with the clock.
//
// These are answered natively (operations.go): the long-running writes
// must take time and survive the process, the SDK poller's final GET of a
// protected item carries no API name, a missing policy is a 404 with a bare
// {} body (error_backup_policy_get_404_empty_body.json), and jobs are
// computed from the time they have been running when they are read.

// Operation kinds of this file.
const (
	opRefresh   = "backup.refresh"
	opProtect   = "backup.protect"
	opTrigger   = "backup.trigger"
	opBackupJob = "backup.job" // the job of an on-demand backup; its id is the job's
)

// Error codes the Backup service answers refused writes with. All are
// UNCONFIRMED (no recording of a refused write exists, see
// testdata/azure-real/README.md "Known gaps"); they follow the service's
// BMSUserError… naming, and the azure package must not depend on them.
const (
	codeBadPolicy           = "BMSUserErrorInvalidPolicyInput"
	codePolicyDowngrade     = "BMSUserErrorEnhancedToStandardPolicyNotAllowed"
	codeBadItemInput        = "BMSUserErrorInvalidInput"
	codeVMNotFound          = "BMSUserErrorVMNotFound"
	codeVMOtherRegion       = "BMSUserErrorVaultAndVMLocationMismatch"
	codeVMOtherSubscription = "BMSUserErrorVaultAndVMSubscriptionMismatch"
	codeProtectedElsewhere  = "BMSUserErrorItemAlreadyProtectedInAnotherVault"
	codePolicyNotFound      = "BMSUserErrorPolicyNotFound"
	codeProtectionStopped   = "BMSUserErrorProtectionStopped"
	codeBadExpiry           = "BMSUserErrorInvalidRecoveryPointExpiryTime"
	codeBackupInProgress    = "UserErrorBackupOperationInProgress" // AZURE.md §9 names it as a job error
)

// Job error codes (AZURE.md §9). The numeric codes of the v5 model are
// UNCONFIRMED except where the demo tenant already uses one (400011).
const (
	jobErrGuestAgent   = "UserErrorGuestAgentStatusUnavailable"
	jobErrNoNetwork    = "ExtensionSnapshotFailedNoNetwork"
	jobErrExtension    = "ExtentionOperationFailed" // sic, as the service spells it
	jobErrVMNotFound   = "BCMV2VMNotFound"
	taskSnapshot       = "Take Snapshot"
	taskTransfer       = "Transfer data to vault"
	policiesType       = "Microsoft.RecoveryServices/vaults/backupPolicies"
	jobsType           = "Microsoft.RecoveryServices/vaults/backupJobs"
	protectedItemsType = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
	neverBackedUp      = "2001-01-01T00:00:00Z" // the service's lastBackupTime before the first backup
)

var jobErrNumbers = map[string]int32{jobErrNoNetwork: 400011, jobErrVMNotFound: 400094}

func init() {
	finishers[opProtect] = finishProtect
	finishers[opBackupJob] = finishBackupJob
}

// backupRoutes are the Backup service's requests answered natively: the
// policies, the container refresh, the protected item (PUT and GET), an
// on-demand backup and the jobs.
func (c *Cloud) backupRoutes() []nativeRoute {
	const vault = `(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.RecoveryServices/vaults/([^/]+)`
	const item = vault + `/backupFabrics/([^/]+)/protectionContainers/([^/]+)/protectedItems/([^/]+)`
	policy := regexp.MustCompile(vault + `/backupPolicies/([^/]+)$`)
	it := regexp.MustCompile(item + `$`)
	job := regexp.MustCompile(vault + `/backupJobs/([^/]+)$`)
	return []nativeRoute{
		{method: http.MethodGet, re: regexp.MustCompile(vault + `/backupPolicies/?$`), serve: c.listPolicies},
		{method: http.MethodGet, re: policy, serve: c.getPolicy},
		{method: http.MethodPut, re: policy, serve: c.putPolicy},
		{method: http.MethodPost, re: regexp.MustCompile(vault + `/backupFabrics/([^/]+)/refreshContainers$`), serve: c.refreshContainers},
		{method: http.MethodPut, re: it, serve: c.putItem},
		{method: http.MethodGet, re: it, serve: c.getItem},
		{method: http.MethodPost, re: regexp.MustCompile(item + `/backup$`), serve: c.triggerBackup},
		{method: http.MethodGet, re: regexp.MustCompile(vault + `/backupJobs/?$`), serve: c.listJobs},
		{method: http.MethodGet, re: job, serve: c.getJob},
	}
}

// emptyResponse is an answer without a body (202, 204).
func emptyResponse(req *http.Request, status int, h http.Header) *http.Response {
	resp := jsonResponse(req, status, nil, h)
	resp.Header.Del("Content-Type")
	return resp
}

func badRequest(code, msg string) *armError {
	return &armError{status: http.StatusBadRequest, code: code, message: msg}
}

// vaultOf finds the vault of a request (404 when it does not exist).
func (c *Cloud) vaultOf(req *http.Request, rg, name string) (*resource, *armError) {
	return c.lookup(req.Context(), rg, "Microsoft.RecoveryServices/vaults", name)
}

// ---- policies ----

// policyTime is a run time as policies store it (the date does not matter).
func policyTime(hhmm string) string { return "2026-01-01T" + hhmm + ":00Z" }

// systemPolicies are the policies every vault has from its creation:
// DefaultPolicy (Standard, daily, 30 days, instant restore 2 days),
// EnhancedPolicy (Enhanced, every 4 hours from 08:00 for 12 hours, 30 days,
// instant restore 7 days) and HourlyLogBackup (SQL in Azure VMs, outside
// the AzureIaasVM filter). The names of the last two are UNCONFIRMED
// (AZURE.md §7.2, §11); the run times are the simulator's choice.
var systemPolicies = []string{"DefaultPolicy", "EnhancedPolicy", "HourlyLogBackup"}

func systemPolicy(vaultID, name string) (json.RawMessage, bool) {
	daily := func(hhmm string, days int) map[string]any {
		return map[string]any{"retentionPolicyType": "LongTermRetentionPolicy", "dailySchedule": map[string]any{
			"retentionTimes": []string{policyTime(hhmm)}, "retentionDuration": map[string]any{"count": days, "durationType": "Days"}}}
	}
	var canonical string
	var props map[string]any
	switch strings.ToLower(name) {
	case "defaultpolicy":
		canonical = "DefaultPolicy"
		props = map[string]any{
			"backupManagementType": "AzureIaasVM", "policyType": "V1", "instantRPDetails": map[string]any{},
			"schedulePolicy": map[string]any{"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily",
				"scheduleRunTimes": []string{policyTime("22:30")}, "scheduleWeeklyFrequency": 0},
			"retentionPolicy":               daily("22:30", 30),
			"tieringPolicy":                 map[string]any{"ArchivedRP": map[string]any{"tieringMode": "DoNotTier", "duration": 0, "durationType": "Invalid"}},
			"instantRpRetentionRangeInDays": 2, "timeZone": "UTC",
		}
	case "enhancedpolicy":
		canonical = "EnhancedPolicy"
		props = map[string]any{
			"backupManagementType": "AzureIaasVM", "policyType": "V2", "instantRPDetails": map[string]any{},
			"schedulePolicy": map[string]any{"schedulePolicyType": "SimpleSchedulePolicyV2", "scheduleRunFrequency": "Hourly",
				"hourlySchedule": map[string]any{"interval": 4, "scheduleWindowStartTime": policyTime("08:00"), "scheduleWindowDuration": 12}},
			"retentionPolicy":               daily("08:00", 30),
			"instantRpRetentionRangeInDays": 7, "timeZone": "UTC",
		}
	case "hourlylogbackup":
		canonical = "HourlyLogBackup"
		props = map[string]any{
			"backupManagementType": "AzureWorkload", "workLoadType": "SQLDataBase",
			"settings": map[string]any{"timeZone": "UTC", "issqlcompression": false, "isCompression": false},
			"subProtectionPolicy": []any{
				map[string]any{"policyType": "Full",
					"schedulePolicy": map[string]any{"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily",
						"scheduleRunTimes": []string{policyTime("22:30")}, "scheduleWeeklyFrequency": 0},
					"retentionPolicy": daily("22:30", 30)},
				map[string]any{"policyType": "Log",
					"schedulePolicy":  map[string]any{"schedulePolicyType": "LogSchedulePolicy", "scheduleFrequencyInMins": 60},
					"retentionPolicy": map[string]any{"retentionPolicyType": "SimpleRetentionPolicy", "retentionDuration": map[string]any{"count": 30, "durationType": "Days"}}},
			},
		}
	default:
		return nil, false
	}
	doc, _ := json.Marshal(map[string]any{"id": vaultID + "/backupPolicies/" + canonical, "name": canonical, "type": policiesType, "properties": props})
	return doc, true
}

func policyKey(vault *resource, name string) string {
	return vault.key + "/backuppolicies/" + strings.ToLower(name)
}

// policyDoc is a vault's policy by name: one written to the vault, else a
// system policy. Caller holds c.mu.
func (st *state) policyDoc(vault *resource, name string) (json.RawMessage, bool) {
	if r := st.res[policyKey(vault, name)]; r != nil {
		return r.doc, true
	}
	return systemPolicy(vault.ID, name)
}

// withItemCount sets properties.protectedItemsCount: the vault's items
// protected with the policy. Caller holds c.mu.
func (st *state) withItemCount(vault *resource, doc json.RawMessage) json.RawMessage {
	var h struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(doc, &h)
	n := 0
	for k, it := range st.items {
		if strings.HasPrefix(k, vault.key+"/") && strings.EqualFold(itemProp(it.doc, "policyName"), h.Name) {
			n++
		}
	}
	return editDoc(doc, func(_, props map[string]any) { props["protectedItemsCount"] = n })
}

// filterValue reads "field eq 'value'" out of an OData $filter.
func filterValue(filter, field string) (string, bool) {
	re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(field) + `\s+eq\s+'([^']*)'`)
	if m := re.FindStringSubmatch(filter); m != nil {
		return m[1], true
	}
	return "", false
}

func (c *Cloud) listPolicies(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	vault, ae := c.vaultOf(req, m[2], m[3])
	if ae != nil {
		return nil, ae
	}
	want, filtered := filterValue(req.URL.Query().Get("$filter"), "backupManagementType")
	c.mu.RLock()
	var docs []json.RawMessage
	seen := map[string]bool{}
	for _, name := range systemPolicies {
		doc, _ := c.st.policyDoc(vault, name)
		docs = append(docs, doc)
		seen[policyKey(vault, name)] = true
	}
	var keys []string
	prefix := vault.key + "/backuppolicies/"
	for k := range c.st.res {
		if strings.HasPrefix(k, prefix) && !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		docs = append(docs, c.st.res[k].doc)
	}
	out := []json.RawMessage{}
	for _, doc := range docs {
		if filtered && !strings.EqualFold(docProp(doc, "backupManagementType"), want) {
			continue
		}
		out = append(out, c.st.withItemCount(vault, doc))
	}
	c.mu.RUnlock()
	body, _ := json.Marshal(map[string]any{"value": out})
	return jsonResponse(req, http.StatusOK, body, nil), nil
}

func (c *Cloud) getPolicy(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	vault, ae := c.vaultOf(req, m[2], m[3])
	if ae != nil {
		return nil, ae
	}
	c.mu.RLock()
	doc, ok := c.st.policyDoc(vault, m[4])
	if ok {
		doc = c.st.withItemCount(vault, doc)
	}
	c.mu.RUnlock()
	if !ok {
		// The Backup service answers a missing policy with 404 and a bare {}.
		return jsonResponse(req, http.StatusNotFound, []byte("{}"), nil), nil
	}
	return jsonResponse(req, http.StatusOK, doc, nil), nil
}

// putPolicy creates or replaces a vault's AzureIaasVM policy (200,
// synchronous), refusing what Azure refuses (codeBadPolicy).
func (c *Cloud) putPolicy(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	vault, ae := c.vaultOf(req, m[2], m[3])
	if ae != nil {
		return nil, ae
	}
	name := m[4]
	var in armrecoveryservicesbackup.ProtectionPolicyResource
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		return nil, badRequest(codeBadPolicy, "The policy could not be read: "+err.Error())
	}
	p, ok := in.Properties.(*armrecoveryservicesbackup.AzureIaaSVMProtectionPolicy)
	if !ok || p == nil {
		return nil, badRequest(codeBadPolicy, "The simulated Backup service only creates AzureIaasVM policies.")
	}
	if msg := checkVMPolicy(p); msg != "" {
		return nil, badRequest(codeBadPolicy, msg)
	}
	props, err := json.Marshal(p)
	if err != nil {
		return nil, badRequest(codeBadPolicy, err.Error())
	}
	var out json.RawMessage
	err = c.mutate(func(st *state) error {
		if old, exists := st.policyDoc(vault, name); exists {
			if !strings.EqualFold(docProp(old, "backupManagementType"), "AzureIaasVM") {
				return badRequest(codeBadPolicy, "Policy '"+name+"' exists for another workload.")
			}
			oldName := docString(old, "name")
			if strings.EqualFold(docProp(old, "policyType"), "V2") && *p.PolicyType == armrecoveryservicesbackup.IAASVMPolicyTypeV1 &&
				st.policyInUse(vault, oldName) {
				return badRequest(codePolicyDowngrade, "Policy '"+oldName+"' protects items with the Enhanced policy type; it cannot become a Standard policy.")
			}
			name = oldName // keep the stored spelling
		}
		doc, _ := json.Marshal(map[string]any{"id": vault.ID + "/backupPolicies/" + name, "name": name, "type": policiesType,
			"properties": json.RawMessage(props)})
		r, err := newResource(doc, nil)
		if err != nil {
			return err
		}
		st.putResource(r)
		out = st.withItemCount(vault, doc)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return jsonResponse(req, http.StatusOK, out, nil), nil
}

func (st *state) policyInUse(vault *resource, name string) bool {
	for k, it := range st.items {
		if strings.HasPrefix(k, vault.key+"/") && strings.EqualFold(itemProp(it.doc, "policyName"), name) {
			return true
		}
	}
	return false
}

// checkVMPolicy applies Azure's rules for VM policies (AZURE.md §7.2) and
// fills the defaults Azure fills; "" or why the policy is refused.
func checkVMPolicy(p *armrecoveryservicesbackup.AzureIaaSVMProtectionPolicy) string {
	if p.PolicyType == nil || *p.PolicyType == "" {
		p.PolicyType = ptr(armrecoveryservicesbackup.IAASVMPolicyTypeV1)
	}
	v2 := *p.PolicyType == armrecoveryservicesbackup.IAASVMPolicyTypeV2
	if !v2 && *p.PolicyType != armrecoveryservicesbackup.IAASVMPolicyTypeV1 {
		return "policyType must be V1 or V2."
	}
	onHalfHour := func(ts []*time.Time) bool {
		if len(ts) != 1 || ts[0] == nil {
			return false
		}
		return ts[0].Second() == 0 && (ts[0].Minute() == 0 || ts[0].Minute() == 30)
	}
	var freq armrecoveryservicesbackup.ScheduleRunType
	switch s := p.SchedulePolicy.(type) {
	case *armrecoveryservicesbackup.SimpleSchedulePolicy:
		if v2 {
			return "Enhanced (V2) policies need a SimpleSchedulePolicyV2 schedule."
		}
		if s.ScheduleRunFrequency != nil {
			freq = *s.ScheduleRunFrequency
		}
		if freq != armrecoveryservicesbackup.ScheduleRunTypeDaily && freq != armrecoveryservicesbackup.ScheduleRunTypeWeekly {
			return "Standard policies run daily or weekly."
		}
		if !onHalfHour(s.ScheduleRunTimes) {
			return "A policy runs once a day, at a full or half hour."
		}
		if freq == armrecoveryservicesbackup.ScheduleRunTypeWeekly && len(s.ScheduleRunDays) == 0 {
			return "A weekly schedule needs at least one day of the week."
		}
	case *armrecoveryservicesbackup.SimpleSchedulePolicyV2:
		if !v2 {
			return "A SimpleSchedulePolicyV2 schedule needs policyType V2."
		}
		if s.ScheduleRunFrequency != nil {
			freq = *s.ScheduleRunFrequency
		}
		switch freq {
		case armrecoveryservicesbackup.ScheduleRunTypeDaily:
			if s.DailySchedule == nil || !onHalfHour(s.DailySchedule.ScheduleRunTimes) {
				return "A daily schedule runs once a day, at a full or half hour."
			}
		case armrecoveryservicesbackup.ScheduleRunTypeWeekly:
			if s.WeeklySchedule == nil || !onHalfHour(s.WeeklySchedule.ScheduleRunTimes) {
				return "A weekly schedule runs once a day, at a full or half hour."
			}
			if len(s.WeeklySchedule.ScheduleRunDays) == 0 {
				return "A weekly schedule needs at least one day of the week."
			}
		case armrecoveryservicesbackup.ScheduleRunTypeHourly:
			h := s.HourlySchedule
			if h == nil || h.Interval == nil || h.ScheduleWindowDuration == nil || h.ScheduleWindowStartTime == nil {
				return "An hourly schedule needs an interval and a window."
			}
			switch *h.Interval {
			case 4, 6, 8, 12:
			default:
				return "An hourly schedule runs every 4, 6, 8 or 12 hours."
			}
			if d := *h.ScheduleWindowDuration; d < *h.Interval || d > 24 {
				return "An hourly schedule's window lasts from one interval to 24 hours."
			}
			if !onHalfHour([]*time.Time{h.ScheduleWindowStartTime}) {
				return "An hourly schedule's window starts at a full or half hour."
			}
		default:
			return "Enhanced policies run hourly, daily or weekly."
		}
	default:
		return "schedulePolicy is required."
	}
	ltr, ok := p.RetentionPolicy.(*armrecoveryservicesbackup.LongTermRetentionPolicy)
	if !ok || ltr == nil {
		return "A VM policy needs a LongTermRetentionPolicy."
	}
	count := func(d *armrecoveryservicesbackup.RetentionDuration) int {
		if d == nil || d.Count == nil {
			return 0
		}
		return int(*d.Count)
	}
	weekly := freq == armrecoveryservicesbackup.ScheduleRunTypeWeekly
	days := 0
	if weekly {
		if ltr.DailySchedule != nil {
			return "A weekly schedule keeps no daily recovery points."
		}
		if ltr.WeeklySchedule == nil {
			return "A weekly schedule needs a weekly retention."
		}
	} else {
		if ltr.DailySchedule == nil {
			return "A daily or hourly schedule needs a daily retention."
		}
		days = count(ltr.DailySchedule.RetentionDuration)
		if days < 7 || days > 9999 {
			return "Daily recovery points are kept 7 to 9999 days."
		}
	}
	if w := ltr.WeeklySchedule; w != nil {
		if n := count(w.RetentionDuration); n < 1 || n > 5163 {
			return "Weekly recovery points are kept 1 to 5163 weeks."
		}
		if len(w.DaysOfTheWeek) == 0 {
			return "A weekly retention needs a day of the week."
		}
	}
	if mo := ltr.MonthlySchedule; mo != nil {
		if n := count(mo.RetentionDuration); n < 1 || n > 1188 {
			return "Monthly recovery points are kept 1 to 1188 months."
		}
	}
	if y := ltr.YearlySchedule; y != nil {
		if n := count(y.RetentionDuration); n < 1 || n > 99 {
			return "Yearly recovery points are kept 1 to 99 years."
		}
	}
	if p.InstantRpRetentionRangeInDays == nil {
		ir := int32(2)
		switch {
		case v2:
			ir = 7
		case weekly:
			ir = 5
		}
		p.InstantRpRetentionRangeInDays = &ir
	}
	ir := int(*p.InstantRpRetentionRangeInDays)
	switch {
	case !v2 && weekly && ir != 5:
		return "Weekly Standard policies keep instant restore snapshots 5 days."
	case !v2 && (ir < 1 || ir > 5):
		return "Standard policies keep instant restore snapshots 1 to 5 days."
	case v2 && (ir < 1 || ir > 30):
		return "Enhanced policies keep instant restore snapshots 1 to 30 days."
	case !weekly && ir > days:
		return "Instant restore snapshots cannot be kept longer than daily recovery points."
	}
	if p.TimeZone == nil || *p.TimeZone == "" {
		p.TimeZone = ptr("UTC")
	}
	if !azure.IsPolicyTimeZone(*p.TimeZone) {
		return "Time zone '" + *p.TimeZone + "' is not a valid time zone id."
	}
	p.ProtectedItemsCount = nil
	if p.BackupManagementType == nil {
		p.BackupManagementType = ptr("AzureIaasVM")
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

// policyRef resolves a policy id against a vault: its canonical id and name
// and whether it is Enhanced; false when the vault has no such VM policy.
// Caller holds c.mu.
func (st *state) policyRef(vault *resource, policyID string) (id, name string, v2, ok bool) {
	prefix := vault.key + "/backuppolicies/"
	lower := strings.ToLower(policyID)
	if !strings.HasPrefix(lower, prefix) || strings.Contains(lower[len(prefix):], "/") || len(lower) == len(prefix) {
		return "", "", false, false
	}
	doc, found := st.policyDoc(vault, policyID[len(prefix):])
	if !found || !strings.EqualFold(docProp(doc, "backupManagementType"), "AzureIaasVM") {
		return "", "", false, false
	}
	return docString(doc, "id"), docString(doc, "name"), strings.EqualFold(docProp(doc, "policyType"), "V2"), true
}

// ---- documents ----

// editDoc decodes a document, lets fn change its top level and properties,
// and encodes it again (numbers kept as written).
func editDoc(doc json.RawMessage, fn func(top, props map[string]any)) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if dec.Decode(&top) != nil || top == nil {
		return doc
	}
	props, _ := top["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		top["properties"] = props
	}
	fn(top, props)
	out, err := json.Marshal(top)
	if err != nil {
		return doc
	}
	return out
}

// docString is a top-level string member of a document.
func docString(doc json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(doc, &m) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(m[key], &s)
	return s
}

// docProp is a string member of a document's properties.
func docProp(doc json.RawMessage, key string) string {
	var d struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(d.Properties[key], &s)
	return s
}

func itemProp(doc json.RawMessage, key string) string { return docProp(doc, key) }

// ---- container refresh ----

// refreshContainers starts the vault's discovery of VMs: 202 with a
// Location to …/backupFabrics/Azure/operationResults/{id} (202 until the
// run's operation time is up, then 204), as recorded in
// backup_refresh_containers_202.json. Protecting a VM does not depend on it.
func (c *Cloud) refreshContainers(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	vault, ae := c.vaultOf(req, m[2], m[3])
	if ae != nil {
		return nil, ae
	}
	if !strings.EqualFold(m[4], "Azure") {
		return nil, notFound("Microsoft.RecoveryServices/vaults/backupFabrics", m[4], m[2])
	}
	var op *simOp
	if err := c.mutate(func(st *state) error {
		op = c.startOp(st, opRefresh, vault.ID, nil)
		return nil
	}); err != nil {
		return nil, asARMError(err)
	}
	h := http.Header{}
	h.Set("Location", absURL(vault.ID+"/backupFabrics/Azure/operationResults/"+op.ID, "api-version="+apiBackup))
	h.Set("Retry-After", "0")
	return emptyResponse(req, http.StatusAccepted, h), nil
}

// ---- protected items ----

// vmNames are a VM's container and item names as the service builds them.
func vmNames(vm *resource) (container, item string) {
	rg, name := strings.ToLower(vm.rg), strings.ToLower(vm.Name)
	return "iaasvmcontainer;iaasvmcontainerv2;" + rg + ";" + name, "vm;iaasvmcontainerv2;" + rg + ";" + name
}

// protectData is what a protect operation needs when it finishes.
type protectData struct {
	Vault      string `json:"vault"`
	Item       string `json:"item"`
	VM         string `json:"vm"`
	Policy     string `json:"policy"` // "" stops protection, keeping the data
	PolicyName string `json:"policyName"`
}

func itemKey(m []string) string {
	return strings.ToLower(armID(m[1], m[2], "Microsoft.RecoveryServices/vaults", m[3], "backupFabrics", m[4],
		"protectionContainers", m[5], "protectedItems", m[6]))
}

func (c *Cloud) getItem(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	if _, ae := c.vaultOf(req, m[2], m[3]); ae != nil {
		return nil, ae
	}
	c.mu.RLock()
	it := c.st.items[itemKey(m)]
	c.mu.RUnlock()
	if it == nil {
		return nil, notFound(protectedItemsType, m[6], m[2])
	}
	return jsonResponse(req, http.StatusOK, it.doc, nil), nil
}

// putItem enables protection of a VM (or changes its policy, or stops it
// with an empty policyId): 202 with Azure-AsyncOperation …/operationsStatus
// and Location …/operationResults, as in
// protected_item_put_enable_protection_202.json; the item exists once the
// operation has finished. A PUT that changes nothing answers 200 at once;
// a PUT while an earlier one is still running answers that one's 202.
func (c *Cloud) putItem(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	vault, ae := c.vaultOf(req, m[2], m[3])
	if ae != nil {
		return nil, ae
	}
	if !strings.EqualFold(m[4], "Azure") {
		return nil, notFound("Microsoft.RecoveryServices/vaults/backupFabrics", m[4], m[2])
	}
	var in struct {
		Properties *struct {
			ProtectedItemType string `json:"protectedItemType"`
			SourceResourceID  string `json:"sourceResourceId"`
			PolicyID          string `json:"policyId"`
		} `json:"properties"`
	}
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil || in.Properties == nil {
		return nil, badRequest(codeBadItemInput, "The protected item could not be read.")
	}
	p := in.Properties
	if p.ProtectedItemType != "" && !strings.EqualFold(p.ProtectedItemType, "Microsoft.Compute/virtualMachines") {
		return nil, badRequest(codeBadItemInput, "The simulated Backup service protects Azure VMs (Microsoft.Compute/virtualMachines) only.")
	}
	key := itemKey(m)
	var (
		status = http.StatusAccepted
		hdr    http.Header
		out    json.RawMessage
	)
	err := c.mutate(func(st *state) error {
		for _, op := range st.ops {
			if op.Kind == opProtect && op.Status == opInProgress && strings.EqualFold(op.Target, key) {
				hdr = protectHeaders(req.URL.Path, op)
				return nil
			}
		}
		existing := st.items[key]
		vmID := p.SourceResourceID
		if vmID == "" && existing != nil {
			vmID = existing.source
		}
		if vmID == "" {
			return badRequest(codeBadItemInput, "sourceResourceId is required.")
		}
		vm := st.res[strings.ToLower(vmID)]
		if vm == nil || vm.typeKey != typeVM {
			return badRequest(codeVMNotFound, "The virtual machine '"+vmID+"' was not found.")
		}
		cn, inm := vmNames(vm)
		if !strings.EqualFold(cn, m[5]) || !strings.EqualFold(inm, m[6]) {
			return badRequest(codeBadItemInput, "Container '"+m[5]+"' and item '"+m[6]+"' do not name '"+vm.ID+"': expected '"+cn+"' and '"+inm+"'.")
		}
		if vm.sub != vault.sub {
			return badRequest(codeVMOtherSubscription, "The virtual machine and the vault must be in the same subscription.")
		}
		if normLocation(vm.Location) != normLocation(vault.Location) {
			return badRequest(codeVMOtherRegion, "The virtual machine is in '"+vm.Location+"' and the vault in '"+vault.Location+
				"'. A vault protects virtual machines of its own region only.")
		}
		if other := st.protectingVault(vm.key, vault.key); other != "" {
			return badRequest(codeProtectedElsewhere, "The virtual machine is already protected by vault '"+other+"'. Stop its protection there first.")
		}
		data := protectData{Vault: vault.ID, Item: key, VM: vm.ID}
		if p.PolicyID == "" {
			if existing == nil {
				return badRequest(codeBadItemInput, "policyId is required to protect an item.")
			}
		} else {
			id, name, v2, ok := st.policyRef(vault, p.PolicyID)
			if !ok {
				return badRequest(codePolicyNotFound, "Policy '"+p.PolicyID+"' was not found in the vault.")
			}
			data.Policy, data.PolicyName = id, name
			if existing != nil {
				if strings.EqualFold(itemProp(existing.doc, "policyName"), name) && itemProp(existing.doc, "protectionState") != "ProtectionStopped" {
					status, out = http.StatusOK, existing.doc
					return nil
				}
				if old, _, oldV2, found := st.policyRef(vault, itemProp(existing.doc, "policyId")); found && oldV2 && !v2 {
					return badRequest(codePolicyDowngrade, "The item is protected with the Enhanced policy '"+old+"'; it cannot move to a Standard policy.")
				}
			}
		}
		op := c.startOp(st, opProtect, key, data)
		hdr = protectHeaders(req.URL.Path, op)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	if status == http.StatusOK {
		return jsonResponse(req, status, out, nil), nil
	}
	return emptyResponse(req, status, hdr), nil
}

func protectHeaders(itemPath string, op *simOp) http.Header {
	h := opHeaders(itemPath, "/operationsStatus/", apiBackup, op)
	h.Set("Retry-After", "0") // as recorded: poll at your own pace (AZURE.md §8.3a)
	return h
}

// protectingVault names the other vault protecting (or about to protect)
// a VM; "" when none. Caller holds c.mu.
func (st *state) protectingVault(vmKey, vaultKey string) string {
	for k, it := range st.items {
		if it.source == vmKey && !strings.HasPrefix(k, vaultKey+"/") {
			return vaultName(k)
		}
	}
	for _, op := range st.ops {
		if op.Kind != opProtect || op.Status != opInProgress {
			continue
		}
		var d protectData
		if json.Unmarshal(op.Data, &d) == nil && strings.EqualFold(d.VM, vmKey) && !strings.HasPrefix(strings.ToLower(d.Item), vaultKey+"/") {
			return vaultName(d.Item)
		}
	}
	return ""
}

// vaultName is the vault named in a (lower-cased) id under a vault.
func vaultName(id string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "vaults") {
			return parts[i+1]
		}
	}
	return ""
}

// finishProtect creates the protected item (IRPending until its first
// backup, like protected_item_put_poll_operationresults_200_final.json),
// moves it to another policy, or stops its protection.
func finishProtect(c *Cloud, st *state, op *simOp) {
	var d protectData
	if err := json.Unmarshal(op.Data, &d); err != nil {
		op.Status, op.Code, op.Message = opFailed, "InternalError", "The simulated operation is unreadable."
		return
	}
	vault := st.res[strings.ToLower(d.Vault)]
	vm := st.res[strings.ToLower(d.VM)]
	if vault == nil {
		op.Status, op.Code, op.Message = opFailed, "ResourceNotFound", "The vault was deleted while protection was being enabled."
		return
	}
	existing := st.items[d.Item]
	var doc json.RawMessage
	switch {
	case existing != nil:
		doc = editDoc(existing.doc, func(_, props map[string]any) {
			props["policyId"], props["policyName"] = d.Policy, d.PolicyName
			if d.Policy == "" {
				props["protectionState"] = "ProtectionStopped"
				return
			}
			if props["protectionState"] == "ProtectionStopped" {
				props["protectionState"] = "IRPending"
				if rp, _ := props["lastBackupStatus"].(string); rp == "Completed" {
					props["protectionState"] = "Protected"
				}
			}
		})
	case vm == nil:
		op.Status, op.Code, op.Message = opFailed, codeVMNotFound, "The virtual machine was deleted while protection was being enabled."
		return
	default:
		doc = newItemDoc(vault, vm, d.Policy, d.PolicyName)
	}
	r, err := newResource(doc, nil)
	if err != nil {
		op.Status, op.Code, op.Message = opFailed, "InternalError", err.Error()
		return
	}
	st.putResource(r)
}

func newItemDoc(vault, vm *resource, policyID, policyName string) json.RawMessage {
	rg, name := strings.ToLower(vm.rg), strings.ToLower(vm.Name)
	container := "iaasvmcontainerv2;" + rg + ";" + name
	itemName := "VM;" + container
	id := vault.ID + "/backupFabrics/Azure/protectionContainers/IaasVMContainer;" + container + "/protectedItems/" + itemName
	sum := sha256.Sum256([]byte(strings.ToLower(id)))
	doc, _ := json.Marshal(map[string]any{
		"id": id, "name": itemName, "type": protectedItemsType,
		"properties": map[string]any{
			"friendlyName":                 vm.Name,
			"virtualMachineId":             vm.ID,
			"protectionStatus":             "Healthy",
			"protectionState":              "IRPending",
			"healthStatus":                 "Passed",
			"lastBackupStatus":             "",
			"lastBackupTime":               neverBackedUp,
			"protectedItemDataId":          fmt.Sprint(binary.BigEndian.Uint64(sum[:8]) % 1e15),
			"extendedInfo":                 map[string]any{"recoveryPointCount": 0, "policyInconsistent": false},
			"protectedItemType":            "Microsoft.Compute/virtualMachines",
			"backupManagementType":         "AzureIaasVM",
			"workloadType":                 "VM",
			"containerName":                container,
			"sourceResourceId":             vm.ID,
			"policyId":                     policyID,
			"policyName":                   policyName,
			"vaultId":                      vault.ID,
			"isScheduledForDeferredDelete": false,
			"isRehydrate":                  false,
		},
	})
	return doc
}

// ---- on-demand backup and jobs ----

// jobFailure is why a backup job fails at its snapshot phase.
type jobFailure struct {
	Text           string `json:"text"` // the textual code (AZURE.md §9)
	Title          string `json:"title"`
	Message        string `json:"message"`
	Recommendation string `json:"recommendation"`
}

// jobPlan is how an on-demand backup's job runs: one unit (the run's
// operation time) of snapshot, then three of transfer to the vault; or a
// failure when the snapshot phase ends.
type jobPlan struct {
	Item   string        `json:"item"` // lower-cased protected item id
	Unit   time.Duration `json:"unit"`
	Fail   *jobFailure   `json:"fail,omitempty"`
	Expiry string        `json:"expiry,omitempty"`
}

// triggerBackup starts an on-demand backup: 202 with Azure-AsyncOperation
// …/operationsStatus/{op} and Location …/operationResults/{op}, as in
// backup_trigger_post_202.json. The operation names its job from the start
// and finishes after a tenth of the run's operation time; the job runs on.
func (c *Cloud) triggerBackup(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	vault, ae := c.vaultOf(req, m[2], m[3])
	if ae != nil {
		return nil, ae
	}
	var in struct {
		Properties *struct {
			ObjectType string     `json:"objectType"`
			Expiry     *time.Time `json:"recoveryPointExpiryTimeInUTC"`
		} `json:"properties"`
	}
	body, _ := io.ReadAll(req.Body)
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, badRequest(codeBadItemInput, "The backup request could not be read: "+err.Error())
		}
	}
	now := c.now().UTC()
	key := itemKey(m)
	var hdr http.Header
	err := c.mutate(func(st *state) error {
		it := st.items[key]
		if it == nil {
			return notFound(protectedItemsType, m[6], m[2])
		}
		if itemProp(it.doc, "protectionState") == "ProtectionStopped" {
			return badRequest(codeProtectionStopped, "Protection of the item is stopped; resume it before backing it up.")
		}
		plan := jobPlan{Item: key, Unit: c.opTime}
		if p := in.Properties; p != nil && p.Expiry != nil {
			if !p.Expiry.After(now) {
				return badRequest(codeBadExpiry, "recoveryPointExpiryTimeInUTC must be in the future.")
			}
			plan.Expiry = p.Expiry.UTC().Format(time.RFC3339)
		}
		for _, op := range st.ops {
			if op.Kind != opBackupJob || op.Status != opInProgress {
				continue
			}
			if d, ok := st.jobPlanOf(op); ok && d.Item == key && (d.Fail == nil || now.Before(op.Start.Add(d.Unit))) {
				return badRequest(codeBackupInProgress, "A backup of the item is already in progress (job "+op.ID+").")
			}
		}
		vm := st.res[it.source]
		plan.Fail = snapshotFailure(vm)
		jobOp := c.startOp(st, opBackupJob, key, plan)
		jobOp.JobID = jobOp.ID
		if plan.Fail != nil {
			jobOp.Ready = jobOp.Start.Add(plan.Unit)
		} else {
			jobOp.Ready = jobOp.Start.Add(4 * plan.Unit)
		}
		friendly := itemProp(it.doc, "friendlyName")
		doc, _ := json.Marshal(map[string]any{
			"id": vault.ID + "/backupJobs/" + jobOp.ID, "name": jobOp.ID, "type": jobsType,
			"properties": map[string]any{
				"jobType":               "AzureIaaSVMJob",
				"virtualMachineVersion": "Compute",
				"entityFriendlyName":    friendly,
				"backupManagementType":  "AzureIaasVM",
				"operation":             "Backup",
				"status":                "InProgress",
				"startTime":             jobOp.Start.Format(time.RFC3339Nano),
				"duration":              "PT0S",
				"activityId":            jobOp.ID,
				"containerName":         itemProp(it.doc, "containerName"),
				"isUserTriggered":       true,
				"extendedInfo": map[string]any{"propertyBag": map[string]any{"VM Name": friendly, "Backup Type": "Full"},
					"tasksList": []any{}},
			},
		})
		r, err := newResource(doc, nil)
		if err != nil {
			return err
		}
		st.putResource(r)
		trig := c.startOp(st, opTrigger, key, nil)
		trig.JobID = jobOp.ID
		trig.Ready = trig.Start.Add(c.opTime / 10)
		hdr = opHeaders(strings.TrimSuffix(req.URL.Path, "/backup"), "/operationsStatus/", apiBackup, trig)
		hdr.Set("Retry-After", "0")
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return emptyResponse(req, http.StatusAccepted, hdr), nil
}

// snapshotFailure is why a backup of the VM fails at its snapshot, from its
// instance view: a running VM whose agent is not Ready, or whose snapshot
// extension (VMSnapshot, VMSnapshotLinux) failed; nil when the snapshot
// works (a stopped VM is backed up without its agent, crash-consistent).
func snapshotFailure(vm *resource) *jobFailure {
	if vm == nil {
		return &jobFailure{Text: jobErrVMNotFound, Title: "Virtual machine not found",
			Message:        "The virtual machine of this backup item no longer exists.",
			Recommendation: "Stop protection of the item, or restore the virtual machine."}
	}
	iv, err := instanceViewOf(vm)
	if err != nil || iv == nil {
		return nil
	}
	running := false
	for _, s := range iv.Statuses {
		if s != nil && s.Code != nil && strings.EqualFold(*s.Code, "PowerState/running") {
			running = true
		}
	}
	if !running {
		return nil
	}
	ready := false
	if iv.VMAgent != nil {
		for _, s := range iv.VMAgent.Statuses {
			if s != nil && s.DisplayStatus != nil && strings.EqualFold(*s.DisplayStatus, "Ready") {
				ready = true
			}
		}
	}
	if !ready {
		return &jobFailure{Text: jobErrGuestAgent, Title: "VM agent unable to communicate with Azure Backup",
			Message: "The VM agent of the virtual machine is not ready, so Azure Backup could not take the snapshot.",
			Recommendation: "Make sure the VM agent is installed, running and up to date, and that the guest can reach the Azure host " +
				"(168.63.129.16); then retry the backup."}
	}
	failed := func(code, level, msg *string) (string, bool) {
		bad := (code != nil && strings.Contains(strings.ToLower(*code), "failed")) || (level != nil && strings.EqualFold(*level, "Error"))
		if !bad {
			return "", false
		}
		if msg != nil {
			return *msg, true
		}
		return "", true
	}
	isSnapshot := func(t *string) bool {
		return t != nil && strings.Contains(strings.ToLower(*t), "recoveryservices.vmsnapshot")
	}
	msg, bad := "", false
	for _, e := range iv.Extensions {
		if e == nil || !isSnapshot(e.Type) {
			continue
		}
		for _, s := range e.Statuses {
			if s != nil {
				if m, b := failed(s.Code, (*string)(s.Level), s.Message); b {
					msg, bad = m, true
				}
			}
		}
	}
	for _, h := range iv.VMAgent.ExtensionHandlers {
		if !bad && h != nil && isSnapshot(h.Type) && h.Status != nil {
			msg, bad = failed(h.Status.Code, (*string)(h.Status.Level), h.Status.Message)
		}
	}
	if !bad {
		return nil
	}
	code := jobErrExtension
	if m := jobCodeRe.FindString(msg); m != "" {
		code = m
	}
	f := &jobFailure{Text: code, Title: "Snapshot operation failed", Message: msg,
		Recommendation: "Uninstall the backup extension (VMSnapshot or VMSnapshotLinux) so that Azure Backup reinstalls it, check the VM agent's health, and retry the backup."}
	if f.Message == "" {
		f.Message = "The backup extension of the virtual machine failed."
	}
	if code == jobErrNoNetwork {
		f.Title = "Snapshot operation failed due to no network connectivity on the virtual machine"
		f.Recommendation = "Ensure the VM can reach Azure Storage (Storage." + strings.ReplaceAll(regionDisplay(vm.Location), " ", "") +
			", TCP 443) and retry the backup."
	}
	return f
}

// jobCodeRe finds a textual error code in an extension's message.
var jobCodeRe = regexp.MustCompile(`\b(?:UserError|Extension|Extention|GuestAgent|BackUp)[A-Za-z]+\b`)

// jobView is a job as it reads now: a running on-demand backup's phases
// follow the time it has run. Caller holds c.mu.
func (c *Cloud) jobView(r *resource, now time.Time) json.RawMessage {
	op := c.st.ops[r.Name]
	if op == nil || op.Kind != opBackupJob || op.Status != opInProgress {
		return r.doc
	}
	plan, ok := c.st.jobPlanOf(op)
	if !ok {
		return r.doc
	}
	return renderJob(r.doc, plan, op.Start, now)
}

// jobPlanOf is the plan of a backup job's operation. When the on-demand
// backup's own operation failed (a scenario fault with failOperation), the
// job fails with it, at that time. Caller holds c.mu.
func (st *state) jobPlanOf(op *simOp) (jobPlan, bool) {
	var plan jobPlan
	if json.Unmarshal(op.Data, &plan) != nil {
		return plan, false
	}
	for _, t := range st.ops {
		if t.Kind == opTrigger && t.JobID == op.ID && t.Status == opFailed {
			plan.Unit = max(0, t.Ready.Sub(op.Start))
			plan.Fail = &jobFailure{Text: t.Code, Title: "The backup could not start", Message: t.Message,
				Recommendation: "Retry the backup."}
		}
	}
	return plan, true
}

// renderJob sets a job's status, tasks, progress and errors as of at.
func renderJob(doc json.RawMessage, plan jobPlan, start, at time.Time) json.RawMessage {
	e := at.Sub(start)
	if e < 0 {
		e = 0
	}
	u := plan.Unit
	status, snap, transfer := "InProgress", "InProgress", "NotStarted"
	progress := -1
	end := time.Duration(-1)
	switch {
	case plan.Fail != nil && e >= u:
		status, snap, transfer, end = "Failed", "Failed", "NotStarted", u
	case e >= 4*u:
		status, snap, transfer, end, progress = "Completed", "Completed", "Completed", 4*u, 100
	default:
		if e >= u {
			snap, transfer = "Completed", "InProgress"
		}
		progress = int(e * 100 / (4 * u))
	}
	return editDoc(doc, func(_, props map[string]any) {
		props["status"] = status
		dur := e
		if end >= 0 {
			dur = end
			props["endTime"] = start.Add(end).UTC().Format(time.RFC3339Nano)
			delete(props, "actionsInfo")
		} else {
			props["actionsInfo"] = []string{"Cancellable"}
		}
		props["duration"] = isoDuration(dur)
		info, _ := props["extendedInfo"].(map[string]any)
		if info == nil {
			info = map[string]any{}
			props["extendedInfo"] = info
		}
		info["tasksList"] = []any{
			map[string]any{"taskId": taskSnapshot, "status": snap, "duration": "PT0S"},
			map[string]any{"taskId": taskTransfer, "status": transfer, "duration": "PT0S"},
		}
		if progress >= 0 {
			info["progressPercentage"] = progress
		} else {
			delete(info, "progressPercentage")
		}
		if status == "Failed" {
			f := plan.Fail
			info["dynamicErrorMessage"] = f.Message
			detail := map[string]any{"errorString": f.Text, "errorTitle": f.Title, "recommendations": []string{f.Recommendation}}
			if n := jobErrNumbers[f.Text]; n != 0 {
				detail["errorCode"] = n
			}
			props["errorDetails"] = []any{detail}
		}
	})
}

// isoDuration writes a duration as .NET writes a TimeSpan in ISO 8601.
func isoDuration(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("PT")
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
		d -= m * time.Minute
	}
	if d > 0 {
		s := fmt.Sprintf("%.7f", d.Seconds())
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		b.WriteString(s + "S")
	}
	return b.String()
}

// finishBackupJob ends an on-demand backup's job and updates its protected
// item: lastBackupStatus and lastBackupTime, Protected (or ProtectionError
// with the job's error as a health detail).
func finishBackupJob(c *Cloud, st *state, op *simOp) {
	plan, ok := st.jobPlanOf(op)
	if !ok {
		return
	}
	end := op.Start.Add(4 * plan.Unit)
	if plan.Fail != nil {
		end = op.Start.Add(plan.Unit)
	}
	for _, r := range st.jobs {
		if r.Name != op.ID {
			continue
		}
		doc := renderJob(r.doc, plan, op.Start, end)
		if nr, err := newResource(doc, nil); err == nil {
			st.putResource(nr)
		}
		break
	}
	it := st.items[plan.Item]
	if it == nil {
		return
	}
	backupTime := op.Start.UTC().Format(time.RFC3339Nano)
	doc := editDoc(it.doc, func(_, props map[string]any) {
		props["lastBackupTime"] = backupTime
		if f := plan.Fail; f != nil {
			props["lastBackupStatus"] = "Failed"
			props["protectionState"] = "ProtectionError"
			props["protectionStatus"] = "Unhealthy"
			props["healthStatus"] = "ActionRequired"
			detail := map[string]any{"title": f.Text, "message": f.Message, "recommendations": []string{f.Recommendation}}
			if n := jobErrNumbers[f.Text]; n != 0 {
				detail["code"] = n
			}
			props["healthDetails"] = []any{detail}
			return
		}
		props["lastBackupStatus"] = "Completed"
		props["protectionState"] = "Protected"
		props["protectionStatus"] = "Healthy"
		props["healthStatus"] = "Passed"
		props["lastRecoveryPoint"] = backupTime
		delete(props, "healthDetails")
		info, _ := props["extendedInfo"].(map[string]any)
		if info == nil {
			info = map[string]any{}
			props["extendedInfo"] = info
		}
		n := 0
		if v, ok := info["recoveryPointCount"].(json.Number); ok {
			if i, err := v.Int64(); err == nil {
				n = int(i)
			}
		}
		info["recoveryPointCount"] = n + 1
		if _, ok := info["oldestRecoveryPoint"]; !ok {
			info["oldestRecoveryPoint"] = backupTime
		}
	})
	if nr, err := newResource(doc, nil); err == nil {
		st.putResource(nr)
	}
}

func (c *Cloud) getJob(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	if _, ae := c.vaultOf(req, m[2], m[3]); ae != nil {
		return nil, ae
	}
	key := strings.ToLower(armID(m[1], m[2], "Microsoft.RecoveryServices/vaults", m[3], "backupJobs", m[4]))
	c.mu.RLock()
	var doc json.RawMessage
	if r := c.st.jobs[key]; r != nil {
		doc = c.jobView(r, c.now())
	}
	c.mu.RUnlock()
	if doc == nil {
		return nil, notFound(jobsType, m[4], m[2])
	}
	return jsonResponse(req, http.StatusOK, doc, nil), nil
}

// jobFilterTime is the time format of the jobs list's $filter
// ("2026-01-01 00:00:00 AM", AZURE.md §7.3).
const jobFilterTime = "2006-01-02 03:04:05 PM"

// listJobs lists a vault's jobs, newest first, honouring the $filter's
// operation, status, backupManagementType and startTime/endTime window.
func (c *Cloud) listJobs(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	vault, ae := c.vaultOf(req, m[2], m[3])
	if ae != nil {
		return nil, ae
	}
	filter := req.URL.Query().Get("$filter")
	type row struct {
		start time.Time
		key   string
		doc   json.RawMessage
	}
	var rows []row
	now := c.now()
	c.mu.RLock()
	for k, r := range c.st.jobs {
		if !strings.HasPrefix(k, vault.key+"/") {
			continue
		}
		doc := c.jobView(r, now)
		keep := true
		for _, f := range []string{"operation", "status", "backupManagementType"} {
			if want, ok := filterValue(filter, f); ok && !strings.EqualFold(docProp(doc, f), want) {
				keep = false
			}
		}
		start, _ := time.Parse(time.RFC3339Nano, docProp(doc, "startTime"))
		if v, ok := filterValue(filter, "startTime"); ok {
			if t, err := time.Parse(jobFilterTime, v); err == nil && start.Before(t) {
				keep = false
			}
		}
		if v, ok := filterValue(filter, "endTime"); ok {
			if t, err := time.Parse(jobFilterTime, v); err == nil && start.After(t) {
				keep = false
			}
		}
		if keep {
			rows = append(rows, row{start: start, key: k, doc: doc})
		}
	}
	c.mu.RUnlock()
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].start.Equal(rows[j].start) {
			return rows[i].start.After(rows[j].start)
		}
		return rows[i].key < rows[j].key
	})
	out := make([]json.RawMessage, len(rows))
	for i, r := range rows {
		out[i] = r.doc
	}
	body, _ := json.Marshal(map[string]any{"value": out})
	return jsonResponse(req, http.StatusOK, body, nil), nil
}
