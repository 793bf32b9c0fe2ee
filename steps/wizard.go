package steps

import (
	"context"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// WizardAPI is every Azure operation the wizard's steps call: the union of
// the narrow interfaces each step declares. *azure.Client satisfies it, and so
// does the simulator-backed client; tests pass a small stub.
type WizardAPI interface {
	ApplyAPI
	Identity(ctx context.Context) (azure.Identity, error)
	Subscriptions(ctx context.Context) ([]azure.Subscription, error)
	Inventory(ctx context.Context, subscriptions []string, progress func(azure.InventoryProgress)) (*azure.Inventory, error)
	ReadAgents(ctx context.Context, vms []azure.VM, concurrency int, progress func(done, total int)) error
	ProviderState(ctx context.Context, subscriptionID, namespace string) (string, error)
	ResourceGroupExists(ctx context.Context, subscriptionID, group string) (bool, error)
	ResourceGroups(ctx context.Context, subscriptionID string) ([]azure.ResourceGroup, error)
	CheckVaultName(ctx context.Context, subscriptionID, group, location, name string) (available bool, reason, message string, err error)
	VaultByName(ctx context.Context, subscriptionID, group, name string) (*azure.Vault, error)
	StorageConfig(ctx context.Context, vaultID string) (azure.StorageConfig, error)
	Locations(ctx context.Context, subscriptionID string) ([]azure.Location, error)
	BeginEffectiveRules(ctx context.Context, nicID, resumeToken string) (*azure.Operation, func() []azure.EffectiveNSG, error)
}

var (
	_ WizardAPI     = (*azure.Client)(nil)
	_ scopeAPI      = WizardAPI(nil)
	_ scanAPI       = WizardAPI(nil)
	_ vaultAPI      = WizardAPI(nil)
	_ redundancyAPI = WizardAPI(nil)
	_ reviewAPI     = WizardAPI(nil)
)

// WizardOptions are the settings a wizard run starts from.
type WizardOptions struct {
	Translator *ui.Translator // nil: English
	Cloud      string         // AzureCloud, AzureChinaCloud, AzureUSGovernment
	Demo       bool           // running against the simulated tenant: the header says so
	Preset     Scope          // from --subscription, --resource-group, --location, --vm, --tag
	Rules      RuleConfig
	// Context bounds every Azure call the steps make: when it ends (the
	// program quits or is interrupted), calls in flight are cancelled.
	Context context.Context
	// PlanPath is where Review saves the plan ("" means
	// backupready-plan.yaml); the Azure CLI script goes next to it.
	PlanPath string
	// Run tunes the runs of Apply and Protect (poll interval; tests make
	// it short).
	Run RunOptions
	// SignIn, when set, makes step 0 sign in inside the wizard (how, then
	// which directory); nil uses the API's credential as it is.
	SignIn *SignInOptions
}

// RunOptions tune the applier runs the wizard starts.
type RunOptions struct {
	PollEvery time.Duration // 0: 5 s
	RetryBase time.Duration // 0: 5 s
	Now       func() time.Time
}

// applier builds the applier for a run of the wizard.
func (o RunOptions) applier(api ApplyAPI, p *Plan, j *Journal) *Applier {
	return &Applier{API: api, Plan: p, Journal: j, PollEvery: o.PollEvery, RetryBase: o.RetryBase, Now: o.Now}
}

// stepIDs are the catalog names of the ten steps of DESIGN §2, in order.
var stepIDs = []string{"scope", "preflight", "vault", "redundancy", "network", "agent", "review", "apply", "protect", "summary"}

// NewWizard builds the interactive wizard: the shell with its ten steps.
// Network and Agent & extension are not built in this version and say so.
func NewWizard(api WizardAPI, opts WizardOptions) *ui.Shell {
	shell, _ := NewWizardSession(api, opts)
	return shell
}

// NewWizardSession is NewWizard that also returns the session the steps
// share, so that the program can report after it ends (operations left
// running in Azure).
func NewWizardSession(api WizardAPI, opts WizardOptions) (*ui.Shell, *Session) {
	tr := opts.Translator
	if tr == nil {
		tr, _ = ui.NewTranslator("en")
	}
	c := ui.NewCommon(tr)
	sess := &Session{Cloud: opts.Cloud, Demo: opts.Demo, Preset: opts.Preset, Rules: opts.Rules, ctx: opts.Context, Log: NewTranscript(nil)}
	steps := []ui.Step{newScopeStep(c, sess, api).withSignIn(opts.SignIn), newPreflightStep(c, sess, api), newVaultStep(c, sess, api), newRedundancyStep(c, sess, api),
		newNetworkStep(c, sess, api), newAgentStep(c, sess, api), newReviewStep(c, sess, api, opts.PlanPath),
		newApplyStep(c, sess, api, opts.Run), newProtectStep(c, sess, api, opts.Run), newSummaryStep(c, sess)}
	var shell ui.ShellOptions
	if opts.Demo {
		shell.Badge, shell.BadgeShort = tr.T("shell.demo.badge"), tr.T("shell.demo.short")
	}
	return ui.NewShell(c, steps, shell), sess
}

// LeftRunning says, after the wizard was quit while changes were running in
// Azure, how to pick them up again ("" when nothing was left running).
func LeftRunning(shell *ui.Shell, sess *Session, tr *ui.Translator) string {
	for i := 0; i < shell.Len(); i++ {
		if f, ok := shell.Step(i).(ui.InFlight); ok && f.InFlight() {
			path := sess.PlanPath
			if path == "" {
				path = DefaultPlanPath
			}
			return tr.T("apply.left.wizard", "Path", path)
		}
	}
	return ""
}
