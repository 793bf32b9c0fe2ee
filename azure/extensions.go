package azure

import (
	"context"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/recoveryservices/armrecoveryservicesbackup/v5"
)

// The backup extension and the jobs that use it (AZURE.md §5.2, §5.3): a
// VMSnapshot / VMSnapshotLinux extension that failed or is stuck is fixed
// by uninstalling it (the next backup installs it again), and nothing is
// done to a VM's agent or extension while a backup job runs for it.

// Snapshot extension names (publisher Microsoft.Azure.RecoveryServices).
const (
	SnapshotExtWindows = "VMSnapshot"
	SnapshotExtLinux   = "VMSnapshotLinux"
)

// IsSnapshotExtension reports whether an extension (by name or type) is the
// backup service's snapshot extension.
func IsSnapshotExtension(name, typ string) bool {
	return strings.EqualFold(name, SnapshotExtWindows) || strings.EqualFold(name, SnapshotExtLinux) ||
		strings.Contains(strings.ToLower(typ), "recoveryservices.vmsnapshot")
}

// BeginDeleteExtension uninstalls an extension from a VM
// (VirtualMachineExtensionsClient.BeginDelete, a long-running operation;
// DELETE …/virtualMachines/{vm}/extensions/{name}). An extension that is not
// there is deleted already: Azure answers 204 and the operation is done.
// With a resume token from an earlier run it waits for that operation again.
func (c *Client) BeginDeleteExtension(ctx context.Context, vmID, name, resumeToken string) (*Operation, error) {
	const op = "delete-extension"
	if vmID == "" || (resumeToken == "" && strings.TrimSpace(name) == "") {
		return nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	rid, err := parseID(op, vmID)
	if err != nil {
		return nil, err
	}
	cl, err := armcompute.NewVirtualMachineExtensionsClient(rid.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	p, err := cl.BeginDelete(ctx, rid.ResourceGroupName, rid.Name, name,
		&armcompute.VirtualMachineExtensionsClientBeginDeleteOptions{ResumeToken: resumeToken})
	if err != nil {
		return nil, Classify(op, err)
	}
	return newOperation[armcompute.VirtualMachineExtensionsClientDeleteResponse](op, p, nil), nil
}

// RunningJob is a backup job in progress, as RunningBackupJobs reads it.
type RunningJob struct {
	Name      string // the job id the vault knows it by
	Operation string // Backup, ConfigureBackup, Restore, …
	Status    string // InProgress, Cancelling
	Entity    string // the VM's name
	Container string // iaasvmcontainerv2;<group>;<vm>, "" when not reported
	Start     time.Time
}

// RunningBackupJobs lists a vault's Azure VM backup jobs that are in
// progress (BackupJobsClient.NewListPager with $filter status eq
// 'InProgress'; every operation counts: a backup, a restore or a
// configure-backup all use the VM's agent and extension). Job.Entity is the
// VM's name and Job.Container its container ("iaasvmcontainerv2;rg;vm").
func (c *Client) RunningBackupJobs(ctx context.Context, vaultID string) ([]RunningJob, error) {
	const op = "list-jobs"
	v, err := vaultFromID(op, vaultID)
	if err != nil {
		return nil, err
	}
	cl, err := armrecoveryservicesbackup.NewBackupJobsClient(v.sub, c.cred, c.opts)
	if err != nil {
		return nil, Classify(op, err)
	}
	// Parameter order trap (AZURE.md §0): backup clients take (vault, group).
	pager := cl.NewListPager(v.name, v.group, &armrecoveryservicesbackup.BackupJobsClientListOptions{
		Filter: to.Ptr("backupManagementType eq 'AzureIaasVM' and status eq 'InProgress'"),
	})
	var out []RunningJob
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, Classify(op, err)
		}
		for _, r := range page.Value {
			if r == nil || r.Properties == nil {
				continue
			}
			base := r.Properties.GetJob()
			j := RunningJob{Name: str(r.Name), Operation: str(base.Operation), Status: str(base.Status), Entity: str(base.EntityFriendlyName)}
			if base.StartTime != nil {
				j.Start = *base.StartTime
			}
			switch p := r.Properties.(type) {
			case *armrecoveryservicesbackup.AzureIaaSVMJob:
				j.Container = str(p.ContainerName)
			case *armrecoveryservicesbackup.AzureIaaSVMJobV2:
				j.Container = str(p.ContainerName)
			}
			if !strings.EqualFold(j.Status, "InProgress") && !strings.EqualFold(j.Status, "Cancelling") {
				continue // a service that ignores the filter
			}
			out = append(out, j)
		}
	}
	return out, nil
}

// JobsFor keeps the jobs that run for a VM: its container name when the job
// carries one ("iaasvmcontainerv2;<group>;<vm>"), else its name.
func JobsFor(jobs []RunningJob, vmID string) []RunningJob {
	group, name, ok := vmNames(vmID)
	if !ok {
		return nil
	}
	want := strings.ToLower("iaasvmcontainerv2;" + group + ";" + name)
	var out []RunningJob
	for _, j := range jobs {
		c := strings.ToLower(j.Container)
		switch {
		case c != "":
			if c == want || strings.HasSuffix(c, ";"+strings.ToLower(group)+";"+strings.ToLower(name)) {
				out = append(out, j)
			}
		case strings.EqualFold(j.Entity, name):
			out = append(out, j)
		}
	}
	return out
}
