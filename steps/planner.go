package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/backupready/backupready/azure"
)

// ChangeKind is what a change does to a resource, in azd's preview words.
type ChangeKind string

// The change kinds.
const (
	Create   ChangeKind = "create"
	Modify   ChangeKind = "modify"
	NoChange ChangeKind = "noChange"
	Skip     ChangeKind = "skip"
)

// Change actions: stable ids, used in --json output and (later) the journal.
// Later steps add theirs (NSG rules, agent repairs, protection).
const (
	ActionRegisterProvider = "provider.register"
	ActionResourceGroup    = "resourceGroup.create"
	ActionVault            = "vault.create"
	ActionStorageType      = "vault.storageType"
	ActionCrossRegion      = "vault.crossRegionRestore"
	ActionVM               = "vm.include"
)

// Change is one step from the live state towards the plan. Text is carried as
// catalog keys ("change.reason.<id>") and arguments.
type Change struct {
	Kind         ChangeKind
	Action       string
	Target       string // resource id, or a name where the resource does not exist yet
	Region       string
	From, To     string // current and wanted value, where the change sets one
	Reason       string // catalog key saying why
	Args         []any
	Irreversible bool // cannot be undone once carried out (or once protection starts)
	// Probe is a running VM the change is for and one of its private
	// addresses, to check the change worked (network rules: IP flow verify).
	Probe *Probe
	// Rule is the security rule an ActionNSGRule change adds, at the
	// change's priority (Target is the NSG id + "/securityRules/" + name).
	Rule *azure.SecurityRule
}

// Probe names a VM and one of its private addresses, and the flow to check
// for it: by default outbound to Azure Storage in the region on 443; a rule
// of the proxy path sets its own (Direction, RemoteIP, RemotePort).
type Probe struct {
	VMID, IP                        string
	Direction, RemoteIP, RemotePort string
}

// LiveVault is what Azure says about the plan's vault.
type LiveVault struct {
	Vault          azure.Vault
	Storage        *azure.StorageConfig // nil when it could not be read
	ProtectedItems int
}

// LiveState is the part of Azure a plan touches, read before planning.
type LiveState struct {
	Provider            string // Microsoft.RecoveryServices registration state
	ResourceGroupExists bool
	Vault               *LiveVault           // nil: no vault of that name in that group
	VMs                 map[string]*azure.VM // the plan subscription's VMs, by lower-cased id
	// Inventory is the subscription's fleet as read (NSGs and subnets for
	// the network changes); nil in planner tests that need none.
	Inventory *azure.Inventory
	// Policies are the vault's AzureIaasVM backup policies; nil when not
	// read (no vault yet, or the plan does not protect).
	Policies []azure.Policy
	// Journal is what earlier runs of this plan did (nil: none). The planner
	// reads it only for what Azure cannot tell: whether the plan's on-demand
	// backup was already taken.
	Journal *Journal
	// AgentJobs are the backup jobs running for the plan's VMs, by
	// lower-cased VM id (agent.go; nil: not read). AgentFloor overrides the
	// agent version floors (nil: the defaults).
	AgentJobs  map[string][]azure.RunningJob
	AgentFloor map[string]string
	// ServiceTags is the region's Storage service tag with its prefixes,
	// read for network mode ipRanges (netplan_ipranges.go; nil: not read).
	ServiceTags *ServiceTagSet
}

// policy returns the live policy of that name (case-insensitive), or nil.
func (l LiveState) policy(name string) *azure.Policy {
	for i := range l.Policies {
		if strings.EqualFold(l.Policies[i].Name, name) {
			return &l.Policies[i]
		}
	}
	return nil
}

// PlanConflict is a plan that cannot be carried out against live state: the
// user must change the plan (exit 2).
type PlanConflict struct {
	Field  string // dotted plan field, e.g. "vms[2]"
	Reason string // catalog key
	Args   []any
}

// PlanConflicts lists every conflict found, so they are fixed in one go.
type PlanConflicts []PlanConflict

func (c PlanConflicts) Error() string {
	parts := make([]string, len(c))
	for i, x := range c {
		parts[i] = x.Field + ": " + x.Reason
	}
	return "plan conflicts with Azure: " + strings.Join(parts, "; ")
}

// defaultStorageType is what Azure gives a new vault.
const defaultStorageType = "GeoRedundant"

// Changes compares a plan with live state and returns the ordered changes:
// provider registration, resource group, vault, redundancy, then the VMs. It
// is pure; conflicts come back together as PlanConflicts.
func Changes(p *Plan, live LiveState) ([]Change, error) {
	var out []Change
	var conflicts PlanConflicts
	region := azure.NormalizeLocation(p.Vault.Location)
	sub := p.Subscription

	switch live.Provider {
	case "Registered":
		out = append(out, Change{Kind: NoChange, Action: ActionRegisterProvider, Target: "Microsoft.RecoveryServices", Reason: "change.reason.provider-registered"})
	case "Registering":
		out = append(out, Change{Kind: NoChange, Action: ActionRegisterProvider, Target: "Microsoft.RecoveryServices", Reason: "change.reason.provider-registering"})
	default: // NotRegistered, Unregistered, or unknown
		out = append(out, Change{Kind: Modify, Action: ActionRegisterProvider, Target: "Microsoft.RecoveryServices",
			From: live.Provider, To: "Registered", Reason: "change.reason.provider-register"})
	}

	groupID := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", sub, p.Vault.ResourceGroup)
	vaultID := groupID + "/providers/Microsoft.RecoveryServices/vaults/" + p.Vault.Name
	switch {
	case live.ResourceGroupExists || live.Vault != nil:
		out = append(out, Change{Kind: NoChange, Action: ActionResourceGroup, Target: groupID, Region: region, Reason: "change.reason.group-exists"})
	default:
		out = append(out, Change{Kind: Create, Action: ActionResourceGroup, Target: groupID, Region: region, Reason: "change.reason.group-create"})
	}

	var current azure.StorageConfig
	var locked bool
	protected := 0
	switch v := live.Vault; {
	case v != nil:
		vaultID = v.Vault.ID
		if azure.NormalizeLocation(v.Vault.Location) != region {
			conflicts = append(conflicts, PlanConflict{Field: "vault.location", Reason: "conflict.vault-region",
				Args: []any{"Vault", p.Vault.Name, "Have", v.Vault.Location, "Want", region}})
		}
		switch {
		case v.Vault.Ready():
			out = append(out, Change{Kind: NoChange, Action: ActionVault, Target: vaultID, Region: region, Reason: "change.reason.vault-exists", Args: []any{"Vault", v.Vault.Name}})
		case strings.EqualFold(v.Vault.ProvisioningState, "Failed"):
			out = append(out, Change{Kind: Create, Action: ActionVault, Target: vaultID, Region: region, From: "Failed", To: "Succeeded",
				Reason: "change.reason.vault-retry", Args: []any{"Vault", v.Vault.Name}})
		default:
			out = append(out, Change{Kind: Modify, Action: ActionVault, Target: vaultID, Region: region, From: v.Vault.ProvisioningState, To: "Succeeded",
				Reason: "change.reason.vault-provisioning", Args: []any{"Vault", v.Vault.Name, "State", v.Vault.ProvisioningState}})
		}
		protected = v.ProtectedItems
		if v.Storage != nil {
			current = *v.Storage
			locked = strings.EqualFold(current.State, "Locked")
		} else {
			current = azure.StorageConfig{Type: v.Vault.Redundancy}
		}
	case p.Vault.Create:
		out = append(out, Change{Kind: Create, Action: ActionVault, Target: vaultID, Region: region, Reason: "change.reason.vault-create", Args: []any{"Vault", p.Vault.Name}})
		current = azure.StorageConfig{Type: defaultStorageType, State: "Unlocked"}
	default:
		conflicts = append(conflicts, PlanConflict{Field: "vault.name", Reason: "conflict.vault-missing",
			Args: []any{"Vault", p.Vault.Name, "Group", p.Vault.ResourceGroup}})
	}

	want := p.Redundancy
	if want.Keep {
		want.StorageType = current.Type
		if want.StorageType == "" {
			want.StorageType = defaultStorageType
		}
		want.CrossRegionRestore = current.CrossRegionRestore
	}
	willLock := p.Protect.Enabled || protected > 0
	switch {
	case current.Type == "" && live.Vault != nil:
		out = append(out, Change{Kind: Skip, Action: ActionStorageType, Target: vaultID, Region: region, To: want.StorageType, Reason: "change.reason.storage-unread"})
	case strings.EqualFold(current.Type, want.StorageType):
		reason := "change.reason.storage-same"
		if locked {
			reason = "change.reason.storage-locked-same"
		}
		out = append(out, Change{Kind: NoChange, Action: ActionStorageType, Target: vaultID, Region: region, From: current.Type, To: want.StorageType, Reason: reason})
	case locked:
		conflicts = append(conflicts, PlanConflict{Field: "redundancy.storageType", Reason: "conflict.storage-locked",
			Args: []any{"Vault", p.Vault.Name, "Have", current.Type, "Want", want.StorageType}})
	default:
		reason := "change.reason.storage-set"
		if live.Vault != nil {
			reason = "change.reason.storage-change"
		}
		out = append(out, Change{Kind: Modify, Action: ActionStorageType, Target: vaultID, Region: region, From: current.Type, To: want.StorageType,
			Reason: reason, Irreversible: willLock})
	}
	switch {
	case current.CrossRegionRestore == want.CrossRegionRestore:
		if want.CrossRegionRestore {
			out = append(out, Change{Kind: NoChange, Action: ActionCrossRegion, Target: vaultID, Region: region, From: "on", To: "on", Reason: "change.reason.crr-same"})
		}
	case want.CrossRegionRestore:
		out = append(out, Change{Kind: Modify, Action: ActionCrossRegion, Target: vaultID, Region: region, From: "off", To: "on",
			Reason: "change.reason.crr-on", Irreversible: true})
	case protected > 0:
		conflicts = append(conflicts, PlanConflict{Field: "redundancy.crossRegionRestore", Reason: "conflict.crr-off", Args: []any{"Vault", p.Vault.Name}})
	default:
		out = append(out, Change{Kind: Modify, Action: ActionCrossRegion, Target: vaultID, Region: region, From: "on", To: "off", Reason: "change.reason.crr-off"})
	}

	if p.Protect.Enabled {
		out = append(out, policyChange(p, live, vaultID, region, &conflicts))
	}
	type vmChange struct {
		vm *azure.VM
		c  Change
	}
	var planned []vmChange
	ids := append([]string(nil), p.VMs...)
	sort.Slice(ids, func(i, j int) bool { return strings.ToLower(ids[i]) < strings.ToLower(ids[j]) })
	for _, id := range ids {
		vm := live.VMs[strings.ToLower(id)]
		if vm == nil {
			field := "vms"
			for i, x := range p.VMs {
				if x == id {
					field = fmt.Sprintf("vms[%d]", i)
				}
			}
			conflicts = append(conflicts, PlanConflict{Field: field, Reason: "conflict.vm-unknown", Args: []any{"VM", id}})
			continue
		}
		c := Change{Action: ActionVM, Target: vm.ID, Region: vm.Location, Args: []any{"VM", vm.Name, "Region", vm.Location, "Want", region}}
		switch {
		case vm.Protection != nil && !strings.EqualFold(vm.Protection.VaultID, vaultID):
			c.Kind, c.Reason = Skip, "change.reason.vm-elsewhere"
			c.Args = append(c.Args, "Vault", lastSegment(vm.Protection.VaultID))
		case vm.Protection != nil:
			c.Kind, c.Reason = NoChange, "change.reason.vm-protected-here"
		case vm.Location != region:
			c.Kind, c.Reason = Skip, "change.reason.vm-other-region"
		case !strings.EqualFold(vm.SubscriptionID, sub):
			c.Kind, c.Reason = Skip, "change.reason.vm-other-subscription"
		default:
			c.Kind, c.Reason = NoChange, "change.reason.vm-ready"
		}
		planned = append(planned, vmChange{vm, c})
	}
	// the network before the VMs: their backups need the path open
	var included []*azure.VM
	for _, x := range planned {
		if x.c.Kind == NoChange {
			included = append(included, x.vm)
		}
	}
	out = append(out, networkChanges(p, live, included, region, &conflicts)...)
	for _, x := range planned {
		out = append(out, x.c)
		if x.c.Kind == NoChange {
			out = append(out, agentChanges(p, live, x.vm, region)...)
		}
		if p.Protect.Enabled && x.c.Kind == NoChange {
			out = append(out, protectChanges(p, live, x.vm, vaultID, region, &conflicts)...)
		}
	}
	if len(conflicts) > 0 {
		return out, conflicts
	}
	return out, nil
}

// systemPolicies are the policies Azure creates with every new vault
// (AZURE.md §7.2; the enhanced policy's name is UNCONFIRMED).
var systemPolicies = []string{"DefaultPolicy", "EnhancedPolicy"}

// policyChange is the plan's backup policy: used as it is, or created.
func policyChange(p *Plan, live LiveState, vaultID, region string, conflicts *PlanConflicts) Change {
	name := p.Protect.Policy
	c := Change{Action: ActionPolicy, Target: vaultID + "/backupPolicies/" + name, Region: region, Args: []any{"Policy", name}}
	existing := live.policy(name)
	switch {
	case existing != nil:
		c.Kind, c.Reason = NoChange, "change.reason.policy-exists"
		if p.Protect.NewPolicy != nil {
			c.Reason = "change.reason.policy-exists-kept"
		}
	case p.Protect.NewPolicy != nil:
		c.Kind, c.Reason = Create, "change.reason.policy-create"
		c.To = p.Protect.NewPolicy.Type
	case live.Vault == nil && containsFold(systemPolicies, name):
		c.Kind, c.Reason = NoChange, "change.reason.policy-with-vault"
	default:
		c.Kind, c.Reason = Skip, "change.reason.policy-missing"
		*conflicts = append(*conflicts, PlanConflict{Field: "protect.policy", Reason: "conflict.policy-missing", Args: []any{"Policy", name, "Vault", p.Vault.Name}})
	}
	return c
}

// protectChanges are a VM's protection and first backup.
func protectChanges(p *Plan, live LiveState, vm *azure.VM, vaultID, region string, conflicts *PlanConflicts) []Change {
	args := []any{"VM", vm.Name, "Policy", p.Protect.Policy}
	c := Change{Action: ActionProtect, Target: vm.ID, Region: region, To: p.Protect.Policy, Args: args}
	switch pr := vm.Protection; {
	case pr == nil:
		c.Kind, c.Reason = Create, "change.reason.protect"
	case strings.EqualFold(pr.PolicyName, p.Protect.Policy):
		c.Kind, c.Reason, c.From = NoChange, "change.reason.protect-same", pr.PolicyName
	default:
		c.Kind, c.Reason, c.From = Modify, "change.reason.protect-policy", pr.PolicyName
		c.Args = append(c.Args, "From", pr.PolicyName)
		from, to := live.policy(pr.PolicyName), live.policy(p.Protect.Policy)
		wantEnhanced := p.Protect.NewPolicy != nil && p.Protect.NewPolicy.Type == PolicyEnhanced
		if to != nil {
			wantEnhanced = to.Type == "Enhanced"
		}
		if from != nil && from.Type == "Enhanced" && !wantEnhanced {
			*conflicts = append(*conflicts, PlanConflict{Field: "protect.policy", Reason: "conflict.policy-downgrade", Args: []any{"VM", vm.Name, "Policy", p.Protect.Policy}})
		}
		if from != nil && from.Type != "Enhanced" && wantEnhanced {
			c.Irreversible = true
		}
	}
	out := []Change{c}
	if p.Protect.BackupNow {
		b := Change{Action: ActionBackupNow, Target: vm.ID, Region: region, Args: []any{"VM", vm.Name, "Days", p.retainDays()}}
		if last, ok := live.Journal.Last(ActionBackupNow, vm.ID); ok && last.State == JournalDone {
			b.Kind, b.Reason = NoChange, "change.reason.backup-taken"
			b.Args = append(b.Args, "When", last.Time.Format("2006-01-02 15:04 MST"))
		} else {
			b.Kind, b.Reason = Create, "change.reason.backup-now"
		}
		out = append(out, b)
	}
	return out
}

// liveAPI is what reading a plan's live state calls in Azure.
type liveAPI interface {
	Policies(ctx context.Context, vaultID string) ([]azure.Policy, error)
	ProviderState(ctx context.Context, subscriptionID, namespace string) (string, error)
	ResourceGroupExists(ctx context.Context, subscriptionID, group string) (bool, error)
	VaultByName(ctx context.Context, subscriptionID, group, name string) (*azure.Vault, error)
	StorageConfig(ctx context.Context, vaultID string) (azure.StorageConfig, error)
	Inventory(ctx context.Context, subscriptions []string, progress func(azure.InventoryProgress)) (*azure.Inventory, error)
}

// ReadLiveState reads what the planner needs for a plan: the provider
// registration, the resource group, the vault and its storage configuration,
// and the subscription's VMs with their protection.
func ReadLiveState(ctx context.Context, api liveAPI, p *Plan) (LiveState, error) {
	var live LiveState
	var err error
	if live.Provider, err = api.ProviderState(ctx, p.Subscription, "Microsoft.RecoveryServices"); err != nil {
		return live, err
	}
	if live.ResourceGroupExists, err = api.ResourceGroupExists(ctx, p.Subscription, p.Vault.ResourceGroup); err != nil {
		return live, err
	}
	if live.ResourceGroupExists {
		v, err := api.VaultByName(ctx, p.Subscription, p.Vault.ResourceGroup, p.Vault.Name)
		if err != nil {
			return live, err
		}
		if v != nil {
			lv := &LiveVault{Vault: *v}
			sc, err := api.StorageConfig(ctx, v.ID)
			if err != nil {
				return live, err
			}
			lv.Storage = &sc
			live.Vault = lv
			if p.Protect.Enabled && v.Ready() {
				if live.Policies, err = api.Policies(ctx, v.ID); err != nil {
					return live, err
				}
			}
		}
	}
	inv, err := api.Inventory(ctx, []string{p.Subscription}, nil)
	if err != nil {
		return live, err
	}
	live.Inventory = inv
	live.VMs = make(map[string]*azure.VM, len(inv.VMs))
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		live.VMs[strings.ToLower(vm.ID)] = vm
		if live.Vault != nil && vm.Protection != nil && strings.EqualFold(vm.Protection.VaultID, live.Vault.Vault.ID) {
			live.Vault.ProtectedItems++
		}
	}
	// Run Command reaches a VM only through its agent: the proxy mode
	// needs each VM's agent state (an instance-view read per running VM)
	if ra, ok := api.(guestAgentReader); ok {
		if err := ReadGuestAgents(ctx, ra, p, live); err != nil {
			return live, err
		}
	}
	if aa, ok := api.(agentLiveAPI); ok {
		if err := ReadAgentLive(ctx, aa, p, &live); err != nil {
			return live, err
		}
	}
	// network mode ipRanges names the Storage tag's prefixes
	if sr, ok := api.(serviceTagReader); ok {
		if live.ServiceTags, err = ReadServiceTags(ctx, sr, p); err != nil {
			return live, err
		}
	}
	return live, nil
}
