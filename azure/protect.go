package azure

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
)

// Turning on VM protection (AZURE.md §7): backup policies, the service's
// pre-validation, the container refresh, enabling protection, the protected
// item, an on-demand backup and its operation. Every backup-module call goes
// through a vaultRef, so that the (vault, group) order of that module
// (AZURE.md §0) is spelt out in one place per call.

// Policy types and schedule frequencies, as Policy and PolicySpec use them.
const (
	PolicyStandard = "Standard" // policyType V1 (or absent)
	PolicyEnhanced = "Enhanced" // policyType V2

	FrequencyDaily  = "Daily"
	FrequencyWeekly = "Weekly"
	FrequencyHourly = "Hourly"
)

// Codes of failures this file detects itself (Error.Code).
const (
	// CodeInvalidPolicySpec: a PolicySpec that ValidatePolicySpec refuses;
	// Error.Message is the reason id ("time", "weekdays", …).
	CodeInvalidPolicySpec = "InvalidPolicySpec"
	// CodeNotVMPolicy: the named policy exists but is not an AzureIaasVM one.
	CodeNotVMPolicy = "NotAzureIaasVMPolicy"
)

// fabricAzure is the only backup fabric of Azure VMs.
const fabricAzure = "Azure"

// vmPolicyFilter lists a vault's VM policies only.
const vmPolicyFilter = "backupManagementType eq 'AzureIaasVM'"

// Policy is an AzureIaasVM backup policy of a vault.
type Policy struct {
	ID, Name       string
	Type           string   // "Standard" (policyType V1 or absent) or "Enhanced" (V2)
	Frequency      string   // "Daily", "Weekly", "Hourly"
	Times          []string // "HH:MM" run times in TimeZone (hourly: the window's start)
	Weekdays       []string // weekly: "Sunday", …
	HourlyInterval int      // hourly (Enhanced): every N hours
	TimeZone       string   // e.g. "UTC" (Azure's default, reported when the policy names none)
	// Retention in days, weeks, months and years (0 = none).
	DailyDays, WeeklyWeeks, MonthlyMonths, YearlyYears int
	InstantRestoreDays                                 int
	ProtectedItems                                     int
}

// PolicySpec is a policy to create.
type PolicySpec struct {
	Name               string
	Type               string // Standard or Enhanced
	Frequency          string // Daily or Weekly
	Time               string // "HH:MM", minutes 00 or 30
	Weekdays           []string
	TimeZone           string // a Windows time zone id ("UTC", "W. Europe Standard Time"); "" is UTC
	RetentionDays      int    // daily points; Daily frequency
	RetentionWeeks     int    // weekly points
	InstantRestoreDays int
}

// Retention and instant-restore ranges Azure accepts for VM policies.
const (
	minDailyRetention     = 7
	maxDailyRetention     = 9999
	minWeeklyRetention    = 1
	maxWeeklyRetention    = 5163
	maxStandardInstant    = 5
	maxEnhancedInstant    = 30
	standardWeeklyInstant = 5
	maxPolicyNameLength   = 150
)

var weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// ValidatePolicySpec checks a policy to create against Azure's rules and
// returns "" or the reason it would be refused: "name", "type", "frequency",
// "time", "weekdays", "retention-days", "retention-weeks", "instant-restore"
// or "timezone". Daily retention is 7..9999 days (required for a daily
// schedule, absent for a weekly one), weekly retention 1..5163 weeks
// (required for a weekly schedule), instant restore 1..5 days for Standard
// (exactly 5 for a weekly Standard policy) and 1..30 for Enhanced, and never
// longer than the daily retention.
func ValidatePolicySpec(spec PolicySpec) string {
	if spec.Type != PolicyStandard && spec.Type != PolicyEnhanced {
		return "type"
	}
	if !validPolicyName(spec.Name) {
		return "name"
	}
	if spec.Frequency != FrequencyDaily && spec.Frequency != FrequencyWeekly {
		return "frequency"
	}
	if _, _, ok := parseHHMM(spec.Time); !ok {
		return "time"
	}
	seen := map[string]bool{}
	for _, d := range spec.Weekdays {
		if !slices.Contains(weekdays, d) || seen[d] {
			return "weekdays"
		}
		seen[d] = true
	}
	weekly := spec.Frequency == FrequencyWeekly
	if weekly && len(spec.Weekdays) == 0 {
		return "weekdays"
	}
	if weekly {
		if spec.RetentionDays != 0 {
			return "retention-days"
		}
	} else if spec.RetentionDays < minDailyRetention || spec.RetentionDays > maxDailyRetention {
		return "retention-days"
	}
	if spec.RetentionWeeks != 0 || weekly {
		if spec.RetentionWeeks < minWeeklyRetention || spec.RetentionWeeks > maxWeeklyRetention {
			return "retention-weeks"
		}
	}
	ir := spec.InstantRestoreDays
	switch {
	case spec.Type == PolicyStandard && weekly:
		if ir != standardWeeklyInstant {
			return "instant-restore"
		}
	case spec.Type == PolicyStandard:
		if ir < 1 || ir > maxStandardInstant {
			return "instant-restore"
		}
	default:
		if ir < 1 || ir > maxEnhancedInstant {
			return "instant-restore"
		}
	}
	if !weekly && ir > spec.RetentionDays {
		return "instant-restore"
	}
	if spec.TimeZone != "" && !IsPolicyTimeZone(spec.TimeZone) {
		return "timezone"
	}
	return ""
}

// validPolicyName: a policy name becomes a path segment of its id.
func validPolicyName(name string) bool {
	if name == "" || len(name) > maxPolicyNameLength || strings.TrimSpace(name) != name {
		return false
	}
	return !strings.ContainsAny(name, "/\\?#%&:;<>*+\"'")
}

// parseHHMM reads "HH:MM" with minutes 00 or 30 (Azure schedules run on the
// half hour).
func parseHHMM(s string) (h, m int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || (m != 0 && m != 30) {
		return 0, 0, false
	}
	return h, m, true
}

// policiesClient and protectionPoliciesClient are the policy clients of the
// vault's subscription.
func (c *Client) policiesClient(v vaultRef) (*armrecoveryservicesbackup.BackupPoliciesClient, error) {
	return armrecoveryservicesbackup.NewBackupPoliciesClient(v.sub, c.cred, c.opts)
}

func (c *Client) protectionPoliciesClient(v vaultRef) (*armrecoveryservicesbackup.ProtectionPoliciesClient, error) {
	return armrecoveryservicesbackup.NewProtectionPoliciesClient(v.sub, c.cred, c.opts)
}

// Policies lists the vault's AzureIaasVM backup policies (every page).
func (c *Client) Policies(ctx context.Context, vaultID string) ([]Policy, error) {
	const op = "list-policies"
	if vaultID == "" {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return nil, err
	}
	cl, err := c.policiesClient(v)
	if err != nil {
		return nil, Classify(op, err)
	}
	out := []Policy{}
	// backup module: (vault, group)
	pager := cl.NewListPager(v.name, v.group, &armrecoveryservicesbackup.BackupPoliciesClientListOptions{Filter: to.Ptr(vmPolicyFilter)})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, Classify(op, err)
		}
		for _, r := range page.Value {
			if r == nil {
				continue
			}
			if p, ok := policyFrom(*r); ok {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// Policy reads one policy of the vault by name; nil, nil when there is none
// (the Backup service answers 404 with a bare {} body). A policy of that
// name for another workload is KindInvalid, CodeNotVMPolicy.
func (c *Client) Policy(ctx context.Context, vaultID, name string) (*Policy, error) {
	const op = "get-policy"
	if vaultID == "" || name == "" {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return nil, err
	}
	cl, err := c.protectionPoliciesClient(v)
	if err != nil {
		return nil, Classify(op, err)
	}
	resp, err := cl.Get(ctx, v.name, v.group, name, nil)
	if err != nil {
		e := Classify(op, err).(*Error)
		if absent(e) {
			return nil, nil
		}
		return nil, e
	}
	p, ok := policyFrom(resp.ProtectionPolicyResource)
	if !ok {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeNotVMPolicy}
	}
	return &p, nil
}

// CreatePolicy creates (PUT, answered synchronously) an AzureIaasVM policy
// from spec, then reads it back and returns it as Azure stored it. The spec
// is checked with ValidatePolicySpec first (KindInvalid,
// CodeInvalidPolicySpec, Message the reason). A PUT on an existing name
// replaces that policy, for every item it protects: callers look the name
// up with Policy first. A policy that cannot be read back is KindOperation,
// CodeWriteNotApplied.
func (c *Client) CreatePolicy(ctx context.Context, vaultID string, spec PolicySpec) (Policy, error) {
	const op = "create-policy"
	if vaultID == "" || spec.Name == "" {
		return Policy{}, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	if reason := ValidatePolicySpec(spec); reason != "" {
		return Policy{}, &Error{Kind: KindInvalid, Op: op, Code: CodeInvalidPolicySpec, Message: reason}
	}
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return Policy{}, err
	}
	cl, err := c.protectionPoliciesClient(v)
	if err != nil {
		return Policy{}, Classify(op, err)
	}
	// backup module: (vault, group)
	if _, err := cl.CreateOrUpdate(ctx, v.name, v.group, spec.Name, policyModel(spec), nil); err != nil {
		return Policy{}, Classify(op, err)
	}
	got, err := cl.Get(ctx, v.name, v.group, spec.Name, nil)
	if err != nil {
		e := Classify(op, err).(*Error)
		if absent(e) {
			return Policy{}, &Error{Kind: KindOperation, Op: op, Code: CodeWriteNotApplied}
		}
		return Policy{}, e
	}
	p, ok := policyFrom(got.ProtectionPolicyResource)
	if !ok {
		return Policy{}, &Error{Kind: KindOperation, Op: op, Code: CodeWriteNotApplied}
	}
	return p, nil
}

// policyModel is the PUT body of a (validated) spec.
func policyModel(spec PolicySpec) armrecoveryservicesbackup.ProtectionPolicyResource {
	h, m, _ := parseHHMM(spec.Time)
	// Azure keeps run times as date-times whose date does not matter; a
	// fixed date keeps request bodies reproducible.
	at := time.Date(2026, 1, 1, h, m, 0, 0, time.UTC)
	times := []*time.Time{to.Ptr(at)}
	var days []*armrecoveryservicesbackup.DayOfWeek
	for _, d := range spec.Weekdays {
		days = append(days, to.Ptr(armrecoveryservicesbackup.DayOfWeek(d)))
	}
	freq := armrecoveryservicesbackup.ScheduleRunType(spec.Frequency)
	ltr := &armrecoveryservicesbackup.LongTermRetentionPolicy{RetentionPolicyType: to.Ptr("LongTermRetentionPolicy")}
	if spec.RetentionDays > 0 {
		ltr.DailySchedule = &armrecoveryservicesbackup.DailyRetentionSchedule{RetentionTimes: times,
			RetentionDuration: &armrecoveryservicesbackup.RetentionDuration{Count: to.Ptr(int32(spec.RetentionDays)),
				DurationType: to.Ptr(armrecoveryservicesbackup.RetentionDurationTypeDays)}}
	}
	if spec.RetentionWeeks > 0 {
		wdays := days
		if len(wdays) == 0 {
			wdays = []*armrecoveryservicesbackup.DayOfWeek{to.Ptr(armrecoveryservicesbackup.DayOfWeekSunday)}
		}
		ltr.WeeklySchedule = &armrecoveryservicesbackup.WeeklyRetentionSchedule{DaysOfTheWeek: wdays, RetentionTimes: times,
			RetentionDuration: &armrecoveryservicesbackup.RetentionDuration{Count: to.Ptr(int32(spec.RetentionWeeks)),
				DurationType: to.Ptr(armrecoveryservicesbackup.RetentionDurationTypeWeeks)}}
	}
	tz := spec.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	props := &armrecoveryservicesbackup.AzureIaaSVMProtectionPolicy{
		BackupManagementType:          to.Ptr("AzureIaasVM"),
		RetentionPolicy:               ltr,
		InstantRpRetentionRangeInDays: to.Ptr(int32(spec.InstantRestoreDays)),
		TimeZone:                      to.Ptr(tz),
	}
	if spec.Type == PolicyEnhanced {
		props.PolicyType = to.Ptr(armrecoveryservicesbackup.IAASVMPolicyTypeV2)
		sp := &armrecoveryservicesbackup.SimpleSchedulePolicyV2{SchedulePolicyType: to.Ptr("SimpleSchedulePolicyV2"), ScheduleRunFrequency: to.Ptr(freq)}
		if freq == armrecoveryservicesbackup.ScheduleRunTypeWeekly {
			sp.WeeklySchedule = &armrecoveryservicesbackup.WeeklySchedule{ScheduleRunDays: days, ScheduleRunTimes: times}
		} else {
			sp.DailySchedule = &armrecoveryservicesbackup.DailySchedule{ScheduleRunTimes: times}
		}
		props.SchedulePolicy = sp
	} else {
		props.PolicyType = to.Ptr(armrecoveryservicesbackup.IAASVMPolicyTypeV1)
		sp := &armrecoveryservicesbackup.SimpleSchedulePolicy{SchedulePolicyType: to.Ptr("SimpleSchedulePolicy"),
			ScheduleRunFrequency: to.Ptr(freq), ScheduleRunTimes: times, ScheduleWeeklyFrequency: to.Ptr(int32(0))}
		if freq == armrecoveryservicesbackup.ScheduleRunTypeWeekly {
			sp.ScheduleRunDays = days
		}
		props.SchedulePolicy = sp
	}
	return armrecoveryservicesbackup.ProtectionPolicyResource{Properties: props}
}

// policyFrom reads an AzureIaasVM policy; false for any other workload.
func policyFrom(r armrecoveryservicesbackup.ProtectionPolicyResource) (Policy, bool) {
	vm, ok := r.Properties.(*armrecoveryservicesbackup.AzureIaaSVMProtectionPolicy)
	if !ok || vm == nil {
		return Policy{}, false
	}
	p := Policy{ID: str(r.ID), Name: str(r.Name), Type: PolicyStandard, TimeZone: str(vm.TimeZone)}
	if vm.PolicyType != nil && *vm.PolicyType == armrecoveryservicesbackup.IAASVMPolicyTypeV2 {
		p.Type = PolicyEnhanced
	}
	if p.TimeZone == "" {
		p.TimeZone = "UTC" // policies from before time zones existed run in UTC
	}
	if vm.InstantRpRetentionRangeInDays != nil {
		p.InstantRestoreDays = int(*vm.InstantRpRetentionRangeInDays)
	}
	if vm.ProtectedItemsCount != nil {
		p.ProtectedItems = int(*vm.ProtectedItemsCount)
	}
	hourly := func(h *armrecoveryservicesbackup.HourlySchedule) {
		if h == nil {
			return
		}
		if h.Interval != nil {
			p.HourlyInterval = int(*h.Interval)
		}
		if h.ScheduleWindowStartTime != nil {
			p.Times = []string{h.ScheduleWindowStartTime.Format("15:04")}
		}
	}
	switch s := vm.SchedulePolicy.(type) {
	case *armrecoveryservicesbackup.SimpleSchedulePolicy:
		if s.ScheduleRunFrequency != nil {
			p.Frequency = string(*s.ScheduleRunFrequency)
		}
		p.Times = hhmm(s.ScheduleRunTimes)
		p.Weekdays = dayNames(s.ScheduleRunDays)
		if p.Frequency == FrequencyHourly {
			hourly(s.HourlySchedule)
		}
	case *armrecoveryservicesbackup.SimpleSchedulePolicyV2:
		if s.ScheduleRunFrequency != nil {
			p.Frequency = string(*s.ScheduleRunFrequency)
		}
		switch p.Frequency {
		case FrequencyDaily:
			if s.DailySchedule != nil {
				p.Times = hhmm(s.DailySchedule.ScheduleRunTimes)
			}
		case FrequencyWeekly:
			if s.WeeklySchedule != nil {
				p.Times = hhmm(s.WeeklySchedule.ScheduleRunTimes)
				p.Weekdays = dayNames(s.WeeklySchedule.ScheduleRunDays)
			}
		case FrequencyHourly:
			hourly(s.HourlySchedule)
		}
	}
	switch rp := vm.RetentionPolicy.(type) {
	case *armrecoveryservicesbackup.LongTermRetentionPolicy:
		if d := rp.DailySchedule; d != nil {
			p.DailyDays = count(d.RetentionDuration)
		}
		if w := rp.WeeklySchedule; w != nil {
			p.WeeklyWeeks = count(w.RetentionDuration)
		}
		if m := rp.MonthlySchedule; m != nil {
			p.MonthlyMonths = count(m.RetentionDuration)
		}
		if y := rp.YearlySchedule; y != nil {
			p.YearlyYears = count(y.RetentionDuration)
		}
	case *armrecoveryservicesbackup.SimpleRetentionPolicy:
		if d := rp.RetentionDuration; d != nil && d.DurationType != nil {
			n := count(d)
			switch *d.DurationType {
			case armrecoveryservicesbackup.RetentionDurationTypeDays:
				p.DailyDays = n
			case armrecoveryservicesbackup.RetentionDurationTypeWeeks:
				p.WeeklyWeeks = n
			case armrecoveryservicesbackup.RetentionDurationTypeMonths:
				p.MonthlyMonths = n
			case armrecoveryservicesbackup.RetentionDurationTypeYears:
				p.YearlyYears = n
			}
		}
	}
	return p, true
}

func hhmm(ts []*time.Time) []string {
	var out []string
	for _, t := range ts {
		if t != nil {
			out = append(out, t.Format("15:04"))
		}
	}
	return out
}

func dayNames(ds []*armrecoveryservicesbackup.DayOfWeek) []string {
	var out []string
	for _, d := range ds {
		if d != nil {
			out = append(out, string(*d))
		}
	}
	return out
}

func count(d *armrecoveryservicesbackup.RetentionDuration) int {
	if d == nil || d.Count == nil {
		return 0
	}
	return int(*d.Count)
}

// vmNames are the resource group and name of a VM id as the Backup service
// spells them in container and item names: lower case.
func vmNames(vmID string) (group, name string, ok bool) {
	rid, err := parseID("", vmID)
	if err != nil || rid.ResourceGroupName == "" || rid.Name == "" {
		return "", "", false
	}
	return strings.ToLower(rid.ResourceGroupName), strings.ToLower(rid.Name), true
}

// ContainerName is the Backup service's protection container of an Azure
// VM: iaasvmcontainer;iaasvmcontainerv2;<rg>;<vm> (lower case; the service
// compares names case-insensitively). "" for a string that is not a resource id.
func ContainerName(vmID string) string {
	g, n, ok := vmNames(vmID)
	if !ok {
		return ""
	}
	return "iaasvmcontainer;iaasvmcontainerv2;" + g + ";" + n
}

// ItemName is the protected item of an Azure VM: vm;iaasvmcontainerv2;<rg>;<vm>.
func ItemName(vmID string) string {
	g, n, ok := vmNames(vmID)
	if !ok {
		return ""
	}
	return "vm;iaasvmcontainerv2;" + g + ";" + n
}

// itemRef names a VM's protected item in a vault.
type itemRef struct {
	vault           vaultRef
	container, item string
}

func itemFor(op, vaultID, vmID string) (itemRef, error) {
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return itemRef{}, err
	}
	cn, in := ContainerName(vmID), ItemName(vmID)
	if cn == "" {
		return itemRef{}, &Error{Kind: KindInvalid, Op: op, Message: "not a virtual machine id"}
	}
	return itemRef{vault: v, container: cn, item: in}, nil
}

// PreValidation is the Backup service's verdict on protecting a VM in a vault.
type PreValidation struct {
	OK                      bool
	Code, Message           string
	Recommendation          string
	ContainerName, ItemName string
}

// PreValidateProtection asks the Backup service whether a VM can be
// protected in a vault (backupPreValidateProtection in the VM's region; a
// POST, so it spends ARM's write budget: once per VM, just before
// protecting it). A refusal is OK false with Azure's code, message and
// recommendation, not an error.
func (c *Client) PreValidateProtection(ctx context.Context, vaultID, vmID, location string) (PreValidation, error) {
	const op = "prevalidate-protection"
	if vaultID == "" || vmID == "" || location == "" {
		return PreValidation{}, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return PreValidation{}, err
	}
	cl, err := armrecoveryservicesbackup.NewProtectionIntentClient(v.sub, c.cred, c.opts)
	if err != nil {
		return PreValidation{}, Classify(op, err)
	}
	resp, err := cl.Validate(ctx, location, armrecoveryservicesbackup.PreValidateEnableBackupRequest{
		ResourceType: to.Ptr(armrecoveryservicesbackup.DataSourceTypeVM),
		ResourceID:   to.Ptr(vmID),
		VaultID:      to.Ptr(vaultID),
	}, nil)
	if err != nil {
		return PreValidation{}, Classify(op, err)
	}
	out := PreValidation{Code: str(resp.ErrorCode), Message: str(resp.ErrorMessage), Recommendation: str(resp.Recommendation),
		ContainerName: str(resp.ContainerName), ItemName: str(resp.ProtectedItemName)}
	if resp.Status == nil {
		return out, &Error{Kind: KindBadResponse, Op: op, Message: "status missing"}
	}
	out.OK = *resp.Status == armrecoveryservicesbackup.ValidationStatusSucceeded
	return out, nil
}

// RefreshContainers starts the vault's discovery of Azure VMs (POST
// refreshContainers, 202) and returns the operation, which polls the
// operationResults URL of the Location header (202 running, 204 done).
// Discovery is not needed before protecting a VM by name, but lets the
// vault see VMs created moments ago.
func (c *Client) RefreshContainers(ctx context.Context, vaultID string) (*Operation, error) {
	const op = "refresh-containers"
	if vaultID == "" {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return nil, err
	}
	cl, err := armrecoveryservicesbackup.NewProtectionContainersClient(v.sub, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	var raw *http.Response
	if _, err := cl.Refresh(policy.WithCaptureResponse(ctx, &raw), v.name, v.group, fabricAzure, nil); err != nil {
		return nil, Classify(op, err)
	}
	opID := ""
	if raw != nil {
		opID = lastSegment(raw.Header.Get("Location"))
	}
	if opID == "" {
		return doneOperation(op), nil // nothing to wait for
	}
	results, err := armrecoveryservicesbackup.NewProtectionContainerRefreshOperationResultsClient(v.sub, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	return resultsOperation(op, func(ctx context.Context) (int, error) {
		var resp *http.Response
		_, err := results.Get(policy.WithCaptureResponse(ctx, &resp), v.name, v.group, fabricAzure, opID, nil)
		if err != nil {
			return 0, err
		}
		if resp == nil {
			return http.StatusNoContent, nil
		}
		return resp.StatusCode, nil
	}), nil
}

// resultsOperation is an operation polled through an operationResults URL:
// get returns its status code (202 running, anything else successful is
// done). A 4xx answer (other than 408 and 429) means the operation failed
// (done, Kind operationFailed); other failures are failed polls.
func resultsOperation(op string, get func(ctx context.Context) (int, error)) *Operation {
	return &Operation{op: op, poll: func(ctx context.Context) (bool, error) {
		status, err := get(ctx)
		if err != nil {
			e := Classify(op, err)
			if ae, ok := AsError(e); ok && ae.Status >= 400 && ae.Status < 500 &&
				ae.Status != http.StatusRequestTimeout && ae.Status != http.StatusTooManyRequests {
				ae.Kind = KindOperation
				return true, ae
			}
			return false, e
		}
		return status != http.StatusAccepted, nil
	}}
}

// lastSegment is the last path segment of a URL (an operation id), without
// its query; "" when there is none.
func lastSegment(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	p := strings.TrimSuffix(u.Path, "/")
	i := strings.LastIndex(p, "/")
	if i < 0 || i == len(p)-1 {
		return ""
	}
	return p[i+1:]
}

// BeginProtect enables protection of a VM in a vault with a policy (the
// policy's full id): PUT of the VM's protected item, a long-running
// operation in v5 (AZURE.md §7.2). With a resume token from an earlier run
// it waits for that operation again instead of sending a new PUT (vmID and
// policyID are then not needed). A PUT for a VM already protected with that
// policy finishes at once; with another policy it moves the VM to it.
func (c *Client) BeginProtect(ctx context.Context, vaultID, vmID, policyID, resumeToken string) (*Operation, error) {
	const op = "protect-vm"
	if vaultID == "" || (resumeToken == "" && (vmID == "" || policyID == "")) {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return nil, err
	}
	ref := itemRef{vault: v}
	if resumeToken == "" {
		if ref, err = itemFor(op, vaultID, vmID); err != nil {
			return nil, err
		}
	}
	cl, err := armrecoveryservicesbackup.NewProtectedItemsClient(v.sub, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	body := armrecoveryservicesbackup.ProtectedItemResource{Properties: &armrecoveryservicesbackup.AzureIaaSComputeVMProtectedItem{
		SourceResourceID: to.Ptr(vmID),
		PolicyID:         to.Ptr(policyID),
	}}
	p, err := cl.BeginCreateOrUpdate(ctx, v.name, v.group, fabricAzure, ref.container, ref.item, body,
		&armrecoveryservicesbackup.ProtectedItemsClientBeginCreateOrUpdateOptions{ResumeToken: resumeToken})
	if err != nil {
		return nil, Classify(op, err)
	}
	return newOperation(op, p, nil), nil
}

// ProtectedItem is a VM's protected item in a vault.
type ProtectedItem struct {
	ID, VMID, PolicyID, PolicyName string
	State                          string    // IRPending, Protected, ProtectionError, ProtectionStopped, …
	HealthStatus                   string    // Passed, ActionRequired, ActionSuggested
	LastBackupStatus               string    // "", Completed, Failed, …
	LastBackupTime                 time.Time // zero: never (Azure's 2001-01-01 placeholder)
}

// noBackupYet is the last backup time Azure reports for an item never backed up.
var noBackupYet = time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC)

// ProtectedItem reads a VM's protected item in a vault; nil, nil when the
// vault does not protect the VM.
func (c *Client) ProtectedItem(ctx context.Context, vaultID, vmID string) (*ProtectedItem, error) {
	const op = "get-protected-item"
	if vaultID == "" || vmID == "" {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	ref, err := itemFor(op, vaultID, vmID)
	if err != nil {
		return nil, err
	}
	cl, err := armrecoveryservicesbackup.NewProtectedItemsClient(ref.vault.sub, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	resp, err := cl.Get(ctx, ref.vault.name, ref.vault.group, fabricAzure, ref.container, ref.item, nil)
	if err != nil {
		e := Classify(op, err).(*Error)
		if absent(e) {
			return nil, nil
		}
		return nil, e
	}
	it := ProtectedItem{ID: str(resp.ID)}
	if resp.Properties == nil {
		return &it, nil
	}
	base := resp.Properties.GetProtectedItem()
	it.PolicyID, it.PolicyName, it.VMID = str(base.PolicyID), str(base.PolicyName), str(base.SourceResourceID)
	var (
		vmID2, last  *string
		state        *armrecoveryservicesbackup.ProtectionState
		healthStatus *armrecoveryservicesbackup.HealthStatus
		lastTime     *time.Time
	)
	switch p := resp.Properties.(type) {
	case *armrecoveryservicesbackup.AzureIaaSComputeVMProtectedItem:
		vmID2, state, healthStatus, last, lastTime = p.VirtualMachineID, p.ProtectionState, p.HealthStatus, p.LastBackupStatus, p.LastBackupTime
	case *armrecoveryservicesbackup.AzureIaaSClassicComputeVMProtectedItem:
		vmID2, state, healthStatus, last, lastTime = p.VirtualMachineID, p.ProtectionState, p.HealthStatus, p.LastBackupStatus, p.LastBackupTime
	case *armrecoveryservicesbackup.AzureIaaSVMProtectedItem:
		vmID2, state, healthStatus, last, lastTime = p.VirtualMachineID, p.ProtectionState, p.HealthStatus, p.LastBackupStatus, p.LastBackupTime
	}
	if it.VMID == "" {
		it.VMID = str(vmID2)
	}
	if state != nil {
		it.State = string(*state)
	}
	if healthStatus != nil {
		it.HealthStatus = string(*healthStatus)
	}
	it.LastBackupStatus = str(last)
	if lastTime != nil && !lastTime.Before(noBackupYet) {
		it.LastBackupTime = *lastTime
	}
	return &it, nil
}

// TriggerBackup starts an on-demand backup of a protected VM (POST …/backup,
// 202 with an empty body) and returns the operation id of its
// Azure-AsyncOperation header, for BackupOperation. retainUntil is when the
// recovery point expires; zero leaves Azure's default (30 days).
func (c *Client) TriggerBackup(ctx context.Context, vaultID, vmID string, retainUntil time.Time) (opID string, err error) {
	const op = "trigger-backup"
	if vaultID == "" || vmID == "" {
		return "", &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	ref, err := itemFor(op, vaultID, vmID)
	if err != nil {
		return "", err
	}
	cl, err := armrecoveryservicesbackup.NewBackupsClient(ref.vault.sub, c.cred, c.opts)
	if err != nil {
		return "", Classify(op, err)
	}
	req := &armrecoveryservicesbackup.IaasVMBackupRequest{ObjectType: to.Ptr("IaasVMBackupRequest")}
	if !retainUntil.IsZero() {
		req.RecoveryPointExpiryTimeInUTC = to.Ptr(retainUntil.UTC())
	}
	var raw *http.Response
	_, err = cl.Trigger(policy.WithCaptureResponse(ctx, &raw), ref.vault.name, ref.vault.group, fabricAzure, ref.container, ref.item,
		armrecoveryservicesbackup.BackupRequestResource{Properties: req}, nil)
	if err != nil {
		return "", Classify(op, err)
	}
	if raw != nil {
		opID = lastSegment(raw.Header.Get("Azure-AsyncOperation"))
		if opID == "" {
			opID = lastSegment(raw.Header.Get("Location"))
		}
	}
	if opID == "" {
		return "", &Error{Kind: KindBadResponse, Op: op, Message: "no operation URL in the answer"}
	}
	return opID, nil
}

// BackupOperation reads an operation on a VM's protected item (an on-demand
// backup from TriggerBackup): its status (InProgress, Succeeded, Failed,
// Canceled) and the id of the backup job it started, which Azure may report
// before the operation finishes. err is only a failed read: a Failed
// operation is status "Failed" (its job, if any, says why).
func (c *Client) BackupOperation(ctx context.Context, vaultID, vmID, opID string) (status, jobID string, err error) {
	const op = "get-backup-operation"
	if vaultID == "" || vmID == "" || opID == "" {
		return "", "", &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	ref, err := itemFor(op, vaultID, vmID)
	if err != nil {
		return "", "", err
	}
	cl, err := armrecoveryservicesbackup.NewProtectedItemOperationStatusesClient(ref.vault.sub, c.cred, c.opts)
	if err != nil {
		return "", "", Classify(op, err)
	}
	resp, err := cl.Get(ctx, ref.vault.name, ref.vault.group, fabricAzure, ref.container, ref.item, opID, nil)
	if err != nil {
		return "", "", Classify(op, err)
	}
	if resp.Status != nil {
		status = string(*resp.Status)
	}
	if info, ok := resp.Properties.(*armrecoveryservicesbackup.OperationStatusJobExtendedInfo); ok && info != nil {
		jobID = str(info.JobID)
	}
	if status == "" {
		return "", jobID, &Error{Kind: KindBadResponse, Op: op, Message: "status missing"}
	}
	return status, jobID, nil
}

// PolicyTimeZones are the time zone ids a policy may name: Windows time
// zone ids (CLDR windowsZones, as Go's time package lists them), the form
// Azure Backup policies use ("UTC", "W. Europe Standard Time"). Whether
// Azure accepts ids missing from CLDR is unconfirmed.
func PolicyTimeZones() []string { return slices.Clone(policyTimeZones) }

// IsPolicyTimeZone reports whether a policy may name the time zone.
func IsPolicyTimeZone(tz string) bool {
	_, ok := slices.BinarySearch(policyTimeZones, tz)
	return ok
}

// policyTimeZones is sorted (byte order) for IsPolicyTimeZone.
var policyTimeZones = func() []string {
	s := slices.Clone(windowsZones)
	slices.Sort(s)
	return s
}()

var windowsZones = []string{
	"AUS Central Standard Time", "AUS Eastern Standard Time", "Afghanistan Standard Time", "Alaskan Standard Time",
	"Aleutian Standard Time", "Altai Standard Time", "Arab Standard Time", "Arabian Standard Time", "Arabic Standard Time",
	"Argentina Standard Time", "Astrakhan Standard Time", "Atlantic Standard Time", "Aus Central W. Standard Time",
	"Azerbaijan Standard Time", "Azores Standard Time", "Bahia Standard Time", "Bangladesh Standard Time",
	"Belarus Standard Time", "Bougainville Standard Time", "Canada Central Standard Time", "Cape Verde Standard Time",
	"Caucasus Standard Time", "Cen. Australia Standard Time", "Central America Standard Time", "Central Asia Standard Time",
	"Central Brazilian Standard Time", "Central Europe Standard Time", "Central European Standard Time",
	"Central Pacific Standard Time", "Central Standard Time (Mexico)", "Central Standard Time", "Chatham Islands Standard Time",
	"China Standard Time", "Cuba Standard Time", "Dateline Standard Time", "E. Africa Standard Time",
	"E. Australia Standard Time", "E. Europe Standard Time", "E. South America Standard Time", "Easter Island Standard Time",
	"Eastern Standard Time (Mexico)", "Eastern Standard Time", "Egypt Standard Time", "Ekaterinburg Standard Time",
	"FLE Standard Time", "Fiji Standard Time", "GMT Standard Time", "GTB Standard Time", "Georgian Standard Time",
	"Greenland Standard Time", "Greenwich Standard Time", "Haiti Standard Time", "Hawaiian Standard Time",
	"India Standard Time", "Iran Standard Time", "Israel Standard Time", "Jordan Standard Time", "Kaliningrad Standard Time",
	"Korea Standard Time", "Libya Standard Time", "Line Islands Standard Time", "Lord Howe Standard Time",
	"Magadan Standard Time", "Magallanes Standard Time", "Marquesas Standard Time", "Mauritius Standard Time",
	"Middle East Standard Time", "Montevideo Standard Time", "Morocco Standard Time", "Mountain Standard Time (Mexico)",
	"Mountain Standard Time", "Myanmar Standard Time", "N. Central Asia Standard Time", "Namibia Standard Time",
	"Nepal Standard Time", "New Zealand Standard Time", "Newfoundland Standard Time", "Norfolk Standard Time",
	"North Asia East Standard Time", "North Asia Standard Time", "North Korea Standard Time", "Omsk Standard Time",
	"Pacific SA Standard Time", "Pacific Standard Time (Mexico)", "Pacific Standard Time", "Pakistan Standard Time",
	"Paraguay Standard Time", "Qyzylorda Standard Time", "Romance Standard Time", "Russia Time Zone 10",
	"Russia Time Zone 11", "Russia Time Zone 3", "Russian Standard Time", "SA Eastern Standard Time",
	"SA Pacific Standard Time", "SA Western Standard Time", "SE Asia Standard Time", "Saint Pierre Standard Time",
	"Sakhalin Standard Time", "Samoa Standard Time", "Sao Tome Standard Time", "Saratov Standard Time",
	"Singapore Standard Time", "South Africa Standard Time", "South Sudan Standard Time", "Sri Lanka Standard Time",
	"Sudan Standard Time", "Syria Standard Time", "Taipei Standard Time", "Tasmania Standard Time",
	"Tocantins Standard Time", "Tokyo Standard Time", "Tomsk Standard Time", "Tonga Standard Time",
	"Transbaikal Standard Time", "Turkey Standard Time", "Turks And Caicos Standard Time", "US Eastern Standard Time",
	"US Mountain Standard Time", "UTC", "UTC+12", "UTC+13", "UTC-02", "UTC-08", "UTC-09", "UTC-11",
	"Ulaanbaatar Standard Time", "Venezuela Standard Time", "Vladivostok Standard Time", "Volgograd Standard Time",
	"W. Australia Standard Time", "W. Central Africa Standard Time", "W. Europe Standard Time",
	"W. Mongolia Standard Time", "West Asia Standard Time", "West Bank Standard Time", "West Pacific Standard Time",
	"Yakutsk Standard Time", "Yukon Standard Time",
}

// parseISODuration reads the ISO 8601 durations jobs report, as .NET writes
// TimeSpans: "PT9.9209966S", "PT35M22.4973538S", "P1DT2H".
func parseISODuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || (s[0] != 'P' && s[0] != 'p') {
		return 0, false
	}
	var total float64
	inTime := false
	num := ""
	for _, r := range strings.ToUpper(s[1:]) {
		switch {
		case r == 'T':
			inTime = true
		case (r >= '0' && r <= '9') || r == '.':
			num += string(r)
		default:
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, false
			}
			num = ""
			switch {
			case r == 'D' && !inTime:
				total += v * 24 * 3600
			case r == 'W' && !inTime:
				total += v * 7 * 24 * 3600
			case r == 'H' && inTime:
				total += v * 3600
			case r == 'M' && inTime:
				total += v * 60
			case r == 'S' && inTime:
				total += v
			default:
				return 0, false // years and months have no fixed length
			}
		}
	}
	if num != "" {
		return 0, false
	}
	return time.Duration(total * float64(time.Second)), true
}
