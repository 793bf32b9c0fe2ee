package azure

import (
	"context"
	"encoding/json"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
)

// parseID parses an ARM id for op, as a typed error when it is not one.
func parseID(op, id string) (*arm.ResourceID, error) {
	rid, err := arm.ParseResourceID(id)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Op: op, Message: "not an Azure resource id", Err: err}
	}
	return rid, nil
}

// viaJSON re-reads an SDK model through the same decoders the Resource Graph
// rows use, so a resource read either way yields the same facts.
func viaJSON(op string, model any, into any) error {
	b, err := json.Marshal(model)
	if err == nil {
		err = json.Unmarshal(b, into)
	}
	if err != nil {
		return &Error{Kind: KindBadResponse, Op: op, Message: err.Error(), Err: err}
	}
	return nil
}

// NSG reads one network security group with its custom and default rules.
func (c *Client) NSG(ctx context.Context, id string) (NSG, error) {
	const op = "get-nsg"
	rid, err := parseID(op, id)
	if err != nil {
		return NSG{}, err
	}
	sc, err := c.forSub(rid.SubscriptionID)
	if err != nil {
		return NSG{}, Classify(op, err)
	}
	resp, err := sc.nsgs.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		return NSG{}, Classify(op, err)
	}
	var row networkRow
	if err := viaJSON(op, resp.SecurityGroup, &row); err != nil {
		return NSG{}, err
	}
	return *nsgFrom(row.ID, row.Name, row.Location, row.Properties.SecurityRules, row.Properties.DefaultSecurityRules), nil
}

// NIC reads one network interface: its NSG, subnets and addresses.
func (c *Client) NIC(ctx context.Context, id string) (NIC, error) {
	const op = "get-nic"
	rid, err := parseID(op, id)
	if err != nil {
		return NIC{}, err
	}
	sc, err := c.forSub(rid.SubscriptionID)
	if err != nil {
		return NIC{}, Classify(op, err)
	}
	resp, err := sc.nics.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		return NIC{}, Classify(op, err)
	}
	var doc struct {
		ID         string  `json:"id"`
		Properties nicJSON `json:"properties"`
	}
	if err := viaJSON(op, resp.Interface, &doc); err != nil {
		return NIC{}, err
	}
	doc.Properties.ID = doc.ID
	return doc.Properties.nic(), nil
}

// Vault reads one Recovery Services vault.
func (c *Client) Vault(ctx context.Context, id string) (Vault, error) {
	const op = "get-vault"
	rid, err := parseID(op, id)
	if err != nil {
		return Vault{}, err
	}
	sc, err := c.forSub(rid.SubscriptionID)
	if err != nil {
		return Vault{}, Classify(op, err)
	}
	resp, err := sc.vaults.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		return Vault{}, Classify(op, err)
	}
	return vaultOf(op, resp.Vault)
}

// Vaults lists the Recovery Services vaults of a subscription.
func (c *Client) Vaults(ctx context.Context, subscriptionID string) ([]Vault, error) {
	const op = "list-vaults"
	sc, err := c.forSub(subscriptionID)
	if err != nil {
		return nil, Classify(op, err)
	}
	var out []Vault
	pager := sc.vaults.NewListBySubscriptionIDPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, Classify(op, err)
		}
		for _, v := range page.Value {
			var raw json.RawMessage
			if err := viaJSON(op, v, &raw); err != nil {
				return nil, err
			}
			vault, err := decodeVault(raw)
			if err != nil {
				return nil, &Error{Kind: KindBadResponse, Op: op, Message: err.Error(), Err: err}
			}
			out = append(out, vault)
		}
	}
	return out, nil
}

// Job is the state of a backup job.
type Job struct {
	ID        string
	Name      string // the job id the vault knows it by (backupJobs/{name})
	Operation string // Backup, ConfigureBackup, Restore, …
	Status    string // InProgress, Completed, CompletedWithWarnings, Failed, Cancelled, Cancelling
	Entity    string
	Start     time.Time
	Duration  time.Duration
	Progress  int // percent; -1 when Azure reports none
	Tasks     []JobTask
	Errors    []JobError
	// Message is the job's non-localised error message
	// (extendedInfo.dynamicErrorMessage), "" when none.
	Message string
}

// JobTask is one phase of a job ("Take Snapshot", "Transfer data to vault"
// for a VM backup; exact names UNCONFIRMED, AZURE.md §7.3).
type JobTask struct {
	Name, Status string // Status: NotStarted, InProgress, Completed, Failed, …
}

// JobError is one error detail of a failed job. Code is Azure's numeric
// code; Text usually starts with the textual one (AZURE.md §9).
type JobError struct {
	Code            int32
	Text, Title     string
	Recommendations []string
}

// BackupJob reads one backup job of a vault. Azure VM jobs (AzureIaaSVMJob
// and AzureIaaSVMJobV2) carry their tasks, progress and errors.
func (c *Client) BackupJob(ctx context.Context, vaultID, jobName string) (Job, error) {
	const op = "get-job"
	rid, err := parseID(op, vaultID)
	if err != nil {
		return Job{}, err
	}
	jobs, err := armrecoveryservicesbackup.NewJobDetailsClient(rid.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return Job{}, Classify(op, err)
	}
	// Parameter order trap (AZURE.md §0): backup clients take (vault, group).
	resp, err := jobs.Get(ctx, rid.Name, rid.ResourceGroupName, jobName, nil)
	if err != nil {
		return Job{}, Classify(op, err)
	}
	j := Job{ID: str(resp.ID), Name: str(resp.Name), Progress: -1}
	if j.Name == "" {
		j.Name = jobName
	}
	if p := resp.Properties; p != nil {
		base := p.GetJob()
		j.Operation, j.Status, j.Entity = str(base.Operation), str(base.Status), str(base.EntityFriendlyName)
		if base.StartTime != nil {
			j.Start = *base.StartTime
		}
		var (
			duration *string
			info     *armrecoveryservicesbackup.AzureIaaSVMJobExtendedInfo
			errs     []*armrecoveryservicesbackup.AzureIaaSVMErrorInfo
		)
		switch v := p.(type) {
		case *armrecoveryservicesbackup.AzureIaaSVMJob:
			duration, info, errs = v.Duration, v.ExtendedInfo, v.ErrorDetails
		case *armrecoveryservicesbackup.AzureIaaSVMJobV2:
			duration, info, errs = v.Duration, v.ExtendedInfo, v.ErrorDetails
		}
		if duration != nil {
			j.Duration, _ = parseISODuration(*duration)
		}
		if info != nil {
			if info.ProgressPercentage != nil {
				j.Progress = max(0, min(100, int(*info.ProgressPercentage)))
			}
			for _, t := range info.TasksList {
				if t != nil {
					j.Tasks = append(j.Tasks, JobTask{Name: str(t.TaskID), Status: str(t.Status)})
				}
			}
			j.Message = str(info.DynamicErrorMessage)
		}
		for _, e := range errs {
			if e == nil {
				continue
			}
			je := JobError{Text: str(e.ErrorString), Title: str(e.ErrorTitle)}
			if e.ErrorCode != nil {
				je.Code = *e.ErrorCode
			}
			for _, r := range e.Recommendations {
				if r != nil {
					je.Recommendations = append(je.Recommendations, *r)
				}
			}
			j.Errors = append(j.Errors, je)
		}
	}
	return j, nil
}
