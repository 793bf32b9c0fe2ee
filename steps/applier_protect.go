package steps

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backupready/backupready/azure"
)

// Turning protection on (AZURE.md §7): the policy, then per VM the service's
// pre-validation, one container refresh per vault, the protected item (a
// long-running operation), and optionally a first backup followed until its
// snapshot is taken.

// The protection actions.
const (
	ActionPolicy    = "vault.policy"
	ActionProtect   = "vm.protect"
	ActionBackupNow = "vm.backupNow"
)

// protectAPI is what turning protection on calls in Azure.
type protectAPI interface {
	Policies(ctx context.Context, vaultID string) ([]azure.Policy, error)
	CreatePolicy(ctx context.Context, vaultID string, spec azure.PolicySpec) (azure.Policy, error)
	PreValidateProtection(ctx context.Context, vaultID, vmID, location string) (azure.PreValidation, error)
	RefreshContainers(ctx context.Context, vaultID string) (*azure.Operation, error)
	BeginProtect(ctx context.Context, vaultID, vmID, policyID, resumeToken string) (*azure.Operation, error)
	ProtectedItem(ctx context.Context, vaultID, vmID string) (*azure.ProtectedItem, error)
	TriggerBackup(ctx context.Context, vaultID, vmID string, retainUntil time.Time) (string, error)
	BackupOperation(ctx context.Context, vaultID, vmID, opID string) (status, jobID string, err error)
	BackupJob(ctx context.Context, vaultID, jobName string) (azure.Job, error)
}

// PlanVaultID is the resource id of the plan's vault.
func PlanVaultID(p *Plan) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s", p.Subscription, p.Vault.ResourceGroup, p.Vault.Name)
}

// PolicySpec turns the plan's new policy into what Azure is asked to create.
func (p *Plan) PolicySpec() azure.PolicySpec {
	np := p.Protect.NewPolicy
	if np == nil {
		return azure.PolicySpec{Name: p.Protect.Policy}
	}
	return azure.PolicySpec{Name: p.Protect.Policy, Type: np.Type, Frequency: np.Frequency, Time: np.Time, Weekdays: np.Weekdays,
		TimeZone: np.TimeZone, RetentionDays: np.RetentionDays, RetentionWeeks: np.RetentionWeeks, InstantRestoreDays: np.InstantRestoreDays}
}

// retainDays is how long an on-demand recovery point is kept.
func (p *Plan) retainDays() int {
	if p.Protect.RetainDays > 0 {
		return p.Protect.RetainDays
	}
	return DefaultRetainDays
}

// refreshOnce makes one container refresh per vault and run; a failed
// refresh is tried again by the next VM that needs it.
type refreshOnce struct {
	mu   sync.Mutex
	done bool
}

func (a *Applier) executeProtect(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	switch c.Action {
	case ActionPolicy:
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		pol, err := a.API.CreatePolicy(ctx, PlanVaultID(a.Plan), a.Plan.PolicySpec())
		if err != nil {
			return "", err
		}
		return pol.Name, a.recordDone(c, start, pol.ID)
	case ActionProtect:
		return a.protect(ctx, i, c, start)
	case ActionBackupNow:
		return a.backupNow(ctx, i, c, start)
	}
	return "", &azure.Error{Kind: azure.KindInvalid, Op: "apply", Code: "UnknownAction", Message: c.Action}
}

func (a *Applier) protect(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	vaultID := PlanVaultID(a.Plan)
	policyID := vaultID + "/backupPolicies/" + a.Plan.Protect.Policy
	var op *azure.Operation
	last, tried := a.Journal.Last(c.Action, c.Target)
	if tried && last.State == JournalInProgress && last.ResumeToken != "" {
		if o, err := a.API.BeginProtect(ctx, vaultID, c.Target, policyID, last.ResumeToken); err == nil {
			op = o
		}
	}
	if op == nil && tried {
		// an earlier run sent the PUT: it may have taken effect (the
		// planner read Resource Graph, which lags behind a fresh item)
		item, err := a.API.ProtectedItem(ctx, vaultID, c.Target)
		if err != nil {
			return "", err
		}
		if item != nil && strings.EqualFold(item.PolicyName, a.Plan.Protect.Policy) {
			return item.PolicyName, a.recordDone(c, start, item.PolicyName)
		}
	}
	if op == nil {
		a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.validating", Elapsed: a.now().Sub(start), Percent: -1})
		if err := a.writes.take(ctx); err != nil {
			return "", err
		}
		pv, err := a.API.PreValidateProtection(ctx, vaultID, c.Target, azure.NormalizeLocation(a.Plan.Vault.Location))
		if err != nil {
			return "", err
		}
		if !pv.OK {
			return "", &azure.Error{Kind: azure.KindInvalid, Op: "prevalidate-protection", Code: pv.Code, Message: strings.TrimSpace(pv.Message + " " + pv.Recommendation)}
		}
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		op, err = a.API.BeginProtect(ctx, vaultID, c.Target, policyID, "")
		if err != nil && undiscovered(err) {
			// the vault has not discovered the VM yet: one container
			// refresh per vault and run, then the PUT again (the built-in
			// Azure Policy templates protect without refreshing, so most
			// runs never need it)
			if err := a.refreshContainers(ctx, i, vaultID, start); err != nil {
				return "", err
			}
			if err := a.write(ctx, c, ""); err != nil {
				return "", err
			}
			op, err = a.API.BeginProtect(ctx, vaultID, c.Target, policyID, "")
		}
		if err != nil {
			return "", err
		}
	}
	if err := a.follow(ctx, i, c, start, op, "apply.note.protecting"); err != nil {
		return "", err
	}
	return a.Plan.Protect.Policy, a.recordDone(c, start, a.Plan.Protect.Policy)
}

// undiscovered reports a protect PUT refused because the vault does not know
// the VM's container yet (codes UNCONFIRMED: a 404, or a 400 naming a
// container or item that was not found).
func undiscovered(err error) bool {
	e, ok := azure.AsError(err)
	if !ok {
		return false
	}
	lc := strings.ToLower(e.Code)
	return e.Kind == azure.KindNotFound || (e.Kind == azure.KindInvalid && (strings.Contains(lc, "notfound") || strings.Contains(lc, "nodeoritem")))
}

// refreshContainers asks the vault to discover VMs, once per vault and run.
func (a *Applier) refreshContainers(ctx context.Context, i int, vaultID string, start time.Time) error {
	v, _ := a.refresh.LoadOrStore(strings.ToLower(vaultID), &refreshOnce{})
	r := v.(*refreshOnce)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.discovering", Elapsed: a.now().Sub(start), Percent: -1})
	if err := a.writes.take(ctx); err != nil {
		return err
	}
	op, err := a.API.RefreshContainers(ctx, vaultID)
	if err != nil {
		return err
	}
	if err := a.wait(ctx, i, start, op, "apply.note.discovering"); err != nil {
		return err
	}
	r.done = true
	return nil
}

// backupNow starts an on-demand backup and follows its job until the
// snapshot is taken (the recovery point exists from then on; the transfer
// to the vault may take hours). An interrupted run resumes following the
// same job.
func (a *Applier) backupNow(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	vaultID := PlanVaultID(a.Plan)
	var opID, jobID string
	if last, ok := a.Journal.Last(c.Action, c.Target); ok && last.State == JournalInProgress {
		opID, jobID = last.Operation, last.Job
	}
	if opID == "" && jobID == "" {
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		until := a.now().UTC().AddDate(0, 0, a.Plan.retainDays())
		id, err := a.API.TriggerBackup(ctx, vaultID, c.Target, until)
		if err != nil {
			return "", err
		}
		opID = id
		if err := a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalInProgress, Operation: opID}); err != nil {
			return "", err
		}
	}
	deadline := a.now().Add(a.maxWait())
	failures := 0
	for jobID == "" {
		status, job, err := a.API.BackupOperation(ctx, vaultID, c.Target, opID)
		if ctx.Err() != nil {
			return "", errLeftRunning
		}
		switch {
		case err != nil:
			if failures++; failures > 3 {
				return "", err
			}
		case strings.EqualFold(status, "Failed") || strings.EqualFold(status, "Canceled"):
			return "", &azure.Error{Kind: azure.KindOperation, Op: "backup-now", Code: "BackupTriggerFailed", Message: status}
		case job != "":
			jobID = job
			if err := a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalInProgress, Operation: opID, Job: jobID}); err != nil {
				return "", err
			}
			continue
		}
		if a.now().After(deadline) {
			return "", &azure.Error{Kind: azure.KindTimeout, Op: "backup-now", Code: "OperationTimedOut"}
		}
		a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.backup-starting", Elapsed: a.now().Sub(start), Percent: -1})
		if azure.Sleep(ctx, a.pollEvery()) != nil {
			return "", errLeftRunning
		}
	}
	failures = 0
	for {
		job, err := a.API.BackupJob(ctx, vaultID, jobID)
		if ctx.Err() != nil {
			return jobID, errLeftRunning
		}
		if err != nil {
			if failures++; failures > 3 {
				return jobID, err
			}
		} else {
			failures = 0
			phase, snapshotDone := jobPhase(job)
			switch {
			case strings.EqualFold(job.Status, "Failed") || strings.EqualFold(job.Status, "Cancelled"):
				return jobID, jobError(job)
			case snapshotDone || strings.HasPrefix(strings.ToLower(job.Status), "completed"):
				return jobID, a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalDone, Operation: opID, Job: jobID,
					Detail: jobID, Seconds: a.now().Sub(start).Seconds()})
			}
			a.emit(ApplyEvent{Index: i, State: RunRunning, Note: "apply.note.job", Args: []any{"Phase", phase, "Status", job.Status},
				Elapsed: a.now().Sub(start), Percent: job.Progress, Detail: jobID})
		}
		if a.now().After(deadline) {
			return jobID, &azure.Error{Kind: azure.KindTimeout, Op: "backup-now", Code: "OperationTimedOut"}
		}
		if azure.Sleep(ctx, a.pollEvery()) != nil {
			return jobID, errLeftRunning
		}
	}
}

// jobPhase names the job's running phase and reports whether its snapshot
// phase has completed (task names are the service's, e.g. "Take Snapshot",
// "Transfer data to vault"; exact strings UNCONFIRMED, AZURE.md §7.3).
func jobPhase(j azure.Job) (phase string, snapshotDone bool) {
	for _, t := range j.Tasks {
		name := strings.ToLower(t.Name)
		if strings.Contains(name, "snapshot") && strings.EqualFold(t.Status, "Completed") {
			snapshotDone = true
		}
		if phase == "" && strings.EqualFold(t.Status, "InProgress") {
			phase = t.Name
		}
	}
	return phase, snapshotDone
}

// jobError is a failed backup job as an Azure error: the first error
// detail's text (the textual code, AZURE.md §9) and title.
func jobError(j azure.Job) error {
	e := &azure.Error{Kind: azure.KindOperation, Op: "backup-job", Code: "BackupJobFailed"}
	for _, d := range j.Errors {
		if d.Text != "" {
			e.Code = firstWord(d.Text)
			parts := append([]string{d.Title}, d.Recommendations...)
			if e.Code == "BackupJobFailed" {
				parts = append([]string{d.Text}, parts...)
			}
			e.Message = sentences(parts)
			break
		}
	}
	if e.Code == "BackupJobFailed" {
		// no textual code: Azure's numeric one, where the table knows it
		// (380008 AzureVmOffline)
		for _, d := range j.Errors {
			if n := strconv.FormatInt(int64(d.Code), 10); d.Code != 0 {
				if _, ok := lookupJobCode(n); ok {
					e.Code = n
					break
				}
			}
		}
	}
	return e
}

// codeLike matches the textual error codes of the Backup service.
var codeLike = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{7,}$`)

// firstWord returns the error code a job's error text starts with
// ("UserErrorGuestAgentStatusUnavailable: …"), or BackupJobFailed.
func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " :,."); i > 0 {
		s = s[:i]
	}
	if codeLike.MatchString(s) {
		return s
	}
	return "BackupJobFailed"
}

// sentences joins texts as sentences ("A. B"), without the final stop,
// which the catalog's templates add.
func sentences(parts []string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimRight(strings.TrimSpace(p), "."); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ". ")
}
