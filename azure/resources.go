package azure

import (
	"context"
	"encoding/json"

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
	Operation string
	Status    string // InProgress, Completed, CompletedWithWarnings, Failed, Cancelled, Cancelling
	Entity    string
}

// BackupJob reads one backup job of a vault.
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
	j := Job{ID: str(resp.ID)}
	if p := resp.Properties; p != nil {
		base := p.GetJob()
		j.Operation, j.Status, j.Entity = str(base.Operation), str(base.Status), str(base.EntityFriendlyName)
	}
	return j, nil
}
