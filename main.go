// Command backupready prepares Azure virtual machines for Azure Backup: a
// terminal wizard, and headless `check` and `apply` commands.
//
//	backupready --demo                 the wizard on the built-in simulated tenant
//	backupready check --json           readiness report of every VM in scope
//
// This file is wiring only, and the only place that chooses real Azure or the
// simulator.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"charm.land/fang/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

// version is stamped at release time with -ldflags "-X main.version=…".
var version = ""

func main() {
	os.Exit(run(context.Background(), os.Args[1:], newIO()))
}

// globalFlags are the flags every command takes (DESIGN §1).
type globalFlags struct {
	demo          bool
	scenario      string
	simState      string
	cloud         string
	tenant        string
	subscriptions []string
	lang          string
	auth          string
	noColor       bool
	accessible    bool
	trace         string
	// redact masks subscription and tenant IDs in everything shown and in
	// the report and transcript (ui/redact.go); the plan file and the
	// script keep them, for they are run.
	redact bool
}

// deps are what commands are built from: streams, translator and a way to
// reach Azure (real or simulated).
type deps struct {
	io      *ioStreams
	tr      *ui.Translator
	g       *globalFlags
	connect func(ctx context.Context) (*azure.Client, func(), error)

	// interactive is set by the wizard before it connects: sign-in then
	// happens inside it (signIn), instead of before it.
	interactive bool
	signIn      *steps.SignInOptions

	stylesOnce sync.Once
	styles     ui.Styles
}

// pollEvery is how often long-running operations are asked about: every
// 5 s on Azure (AZURE.md §8.3a), every second in the simulator, whose
// operations take seconds.
func (d *deps) pollEvery() time.Duration {
	if d.g.demo || d.g.scenario != "" || d.g.simState != "" {
		return time.Second
	}
	return 5 * time.Second
}

// run builds the command tree and runs it, returning the process exit code.
func run(ctx context.Context, args []string, ios *ioStreams) int {
	lang := preScanLang(args, ios.getenv)
	tr, err := ui.NewTranslator(lang)
	if err != nil {
		fmt.Fprintln(ios.err, "backupready: message catalog:", err)
		return steps.ExitUsage
	}
	g := &globalFlags{}
	d := &deps{io: ios, tr: tr, g: g}
	d.connect = func(ctx context.Context) (*azure.Client, func(), error) { return connect(ctx, d) }
	root := newRootCmd(d)
	// A command's error is explained here, not handed back to fang: fang's
	// error path asks the terminal for its background colour (escape
	// sequences on stdout after the last line, which the accessible mode
	// must never print). Only cobra's own errors (an unknown flag) still
	// go through fang's handler, which explains them the same way.
	var runErr error
	keepErrors(root, func(err error) error {
		runErr = err
		reportError(colorprofile.NewWriter(ios.err, ios.environ()), d, err)
		return nil
	})
	root.SetArgs(args)
	root.SetIn(ios.in)
	root.SetOut(ios.out)
	root.SetErr(ios.err)
	err = fang.Execute(ctx, root,
		fang.WithVersion(buildVersion()),
		fang.WithNotifySignal(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP),
		fang.WithErrorHandler(func(w io.Writer, _ fang.Styles, err error) { reportError(w, d, err) }),
	)
	if err == nil {
		err = runErr
	}
	return exitCode(err)
}

// keepErrors makes every command's RunE and PersistentPreRunE pass its
// error to keep instead of returning it; a command whose PersistentPreRunE
// failed does not run.
func keepErrors(c *cobra.Command, keep func(error) error) {
	failed := false
	var wrap func(c *cobra.Command)
	wrap = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if failed {
					return nil
				}
				if err := run(cmd, args); err != nil {
					return keep(err)
				}
				return nil
			}
		}
		if pre := c.PersistentPreRunE; pre != nil {
			c.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
				if err := pre(cmd, args); err != nil {
					failed = true
					return keep(err)
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			wrap(sub)
		}
	}
	wrap(c)
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries an exit code; its message has already been shown.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitCode(err error) int {
	if err == nil {
		return steps.ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var pe *steps.Problem
	if errors.As(err, &pe) {
		return pe.Exit
	}
	if errors.Is(err, context.Canceled) {
		return steps.ExitInterrupted
	}
	return steps.ExitUsage // cobra's flag and argument errors
}

// reportError shows any error that reached the top in the user's language.
func reportError(w io.Writer, d *deps, err error) {
	var ee *exitError
	if errors.As(err, &ee) {
		return // already explained
	}
	w = d.tr.Redactor().Writer(w) // --redact: an error may quote a resource ID
	var pe *steps.Problem
	if errors.As(err, &pe) {
		steps.RenderProblem(w, *pe, d.tr, cliStyles(d), d.io.width())
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, d.tr.T("cli.interrupted"))
		return
	}
	fmt.Fprintln(w, d.tr.T("cli.usage.error", "Detail", err.Error()))
}

// knownLanguage reports whether --lang names a catalog language ("ja",
// "zh-CN", "en_US.UTF-8"); anything else is refused rather than silently
// shown in English.
func knownLanguage(tag string) bool {
	base := strings.ToLower(tag)
	if i := strings.IndexAny(base, "-_.@"); i >= 0 {
		base = base[:i]
	}
	for _, l := range ui.Languages {
		if base == l {
			return true
		}
	}
	return false
}

// preScanLang finds --lang before flags are parsed, so that help and flag
// descriptions are already translated.
func preScanLang(args []string, getenv func(string) string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--lang="); ok {
			return ui.MatchLanguage(v)
		}
		if a == "--lang" && i+1 < len(args) {
			return ui.MatchLanguage(args[i+1])
		}
	}
	if v := getenv("BACKUPREADY_LANG"); v != "" {
		return ui.MatchLanguage(v)
	}
	return ui.LanguageFromEnv(getenv)
}

func newRootCmd(d *deps) *cobra.Command {
	tr, g := d.tr, d.g
	root := &cobra.Command{
		Use:     "backupready",
		Short:   tr.T("cli.root.short"),
		Long:    tr.T("cli.root.long"),
		Example: "  backupready --demo\n  backupready check --demo --json\n  backupready check --subscription 'Contoso Production' --location westeurope",
		Args:    cobra.NoArgs,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd, d)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWizard(cmd.Context(), d)
		},
	}
	pf := root.PersistentFlags()
	pf.BoolVar(&g.demo, "demo", false, tr.T("cli.flag.demo"))
	pf.StringVar(&g.scenario, "scenario", "", tr.T("cli.flag.scenario"))
	pf.StringVar(&g.simState, "sim-state", "", tr.T("cli.flag.sim-state"))
	pf.StringVar(&g.cloud, "cloud", "AzureCloud", tr.T("cli.flag.cloud"))
	pf.StringVar(&g.tenant, "tenant", "", tr.T("cli.flag.tenant"))
	pf.StringArrayVar(&g.subscriptions, "subscription", nil, tr.T("cli.flag.subscription"))
	pf.StringVar(&g.auth, "auth", "auto", tr.T("signin.flag.auth"))
	pf.StringVar(&g.lang, "lang", tr.Lang(), tr.T("cli.flag.lang"))
	pf.BoolVar(&g.noColor, "no-color", false, tr.T("cli.flag.no-color"))
	pf.BoolVar(&g.accessible, "accessible", false, tr.T("cli.flag.accessible"))
	pf.StringVar(&g.trace, "trace", "", tr.T("cli.flag.trace"))
	pf.BoolVar(&g.redact, "redact", false, tr.T("cli.flag.redact"))
	root.AddCommand(newCheckCmd(d, nil), newApplyCmd(d, nil), newDemoCmd(d), newVersionCmd(d))
	root.AddCommand(newGuestCmd(d))
	return root
}

// bindEnv gives every flag not set on the command line the value of its
// BACKUPREADY_<NAME> environment variable, and validates the global flags.
func bindEnv(cmd *cobra.Command, d *deps) error {
	var bad error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || bad != nil {
			return
		}
		name := "BACKUPREADY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := d.io.getenv(name)
		if v == "" {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			if err := sv.Replace(strings.Split(v, ",")); err != nil {
				bad = &steps.Problem{What: "cli.env.bad", Why: "cli.env.bad.why", Next: "cli.env.bad.next", Args: []any{"Name", name, "Value", v}, Exit: steps.ExitUsage}
			}
			return
		}
		if err := f.Value.Set(v); err != nil {
			bad = &steps.Problem{What: "cli.env.bad", Why: "cli.env.bad.why", Next: "cli.env.bad.next", Args: []any{"Name", name, "Value", v}, Exit: steps.ExitUsage}
		}
		f.Changed = true
	})
	if bad != nil {
		return bad
	}
	g := d.g
	if g.scenario != "" || g.simState != "" {
		g.demo = true
	}
	if !knownLanguage(g.lang) {
		return &steps.Problem{What: "cli.lang.bad", Why: "cli.lang.bad.why", Next: "cli.lang.bad.next", Args: []any{"Value", g.lang}, Exit: steps.ExitUsage}
	}
	if _, ok := azure.ParseSignInMethod(g.auth); !ok {
		return &steps.Problem{What: "signin.auth.bad", Why: "signin.auth.bad.why", Next: "signin.auth.bad.next", Args: []any{"Value", g.auth}, Exit: steps.ExitUsage}
	}
	if _, ok := clouds[g.cloud]; !ok {
		return &steps.Problem{What: "cli.cloud.bad", Why: "cli.cloud.bad.why", Next: "cli.cloud.bad.next", Args: []any{"Value", g.cloud}, Exit: steps.ExitUsage}
	}
	steps.UseDocsFor(g.cloud)
	if g.redact && d.tr.Redactor() == nil {
		// Every text from here on comes through the translator: with a
		// redactor it masks the IDs it knows, learned as they are read.
		r := ui.NewRedactor()
		r.Add(g.tenant)
		r.Add(g.subscriptions...)
		d.tr = d.tr.WithRedactor(r)
	}
	return nil
}

// clouds are the --cloud values: one configuration for the credential and
// every ARM client.
var clouds = steps.Clouds

// connect builds the Azure layer: on the simulator with --demo, --scenario or
// --sim-state, else on real Azure. The wizard signs in inside its first step
// (d.signIn); the headless commands sign in here, without any prompt, and
// say in words why they could not.
func connect(ctx context.Context, d *deps) (*azure.Client, func(), error) {
	g := d.g
	var policies []policy.Policy
	closer := func() {}
	if g.trace != "" {
		f, err := os.OpenFile(g.trace, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, &steps.Problem{What: "cli.trace.bad", Why: "cli.trace.bad.why", Next: "cli.trace.bad.next", Args: []any{"Path", g.trace}, Exit: steps.ExitUsage, Err: err}
		}
		policies = append(policies, azure.NewTracePolicy(f))
		closer = func() { _ = f.Close() }
	}
	if g.demo {
		sc := sim.Demo()
		if g.scenario != "" {
			data, err := os.ReadFile(g.scenario)
			if err != nil {
				closer()
				return nil, nil, &steps.Problem{What: "cli.scenario.unreadable", Why: "cli.scenario.unreadable.why", Next: "cli.scenario.unreadable.next", Args: []any{"Path", g.scenario}, Exit: steps.ExitUsage, Err: err}
			}
			if sc, err = sim.LoadScenario(data, g.scenario); err != nil {
				closer()
				return nil, nil, scenarioProblem(g.scenario, err)
			}
		}
		c, err := sim.New(sc, sim.Options{StatePath: g.simState})
		if err != nil {
			closer()
			return nil, nil, scenarioProblem(g.simState, err)
		}
		opts := c.ClientOptions()
		opts.PerRetryPolicies = append(opts.PerRetryPolicies, policies...)
		client, err := azure.New(c.Credential(), opts)
		if err != nil {
			closer()
			return nil, nil, err
		}
		if d.interactive {
			// The simulator's credential is the only one: no real sign-in,
			// but its directories are picked as on Azure.
			d.signIn = &steps.SignInOptions{Auth: azure.FixedAuthenticator(client, c.Credential()), Tenant: g.tenant}
		}
		return client, closer, nil
	}
	cfg := clouds[g.cloud]
	method, _ := azure.ParseSignInMethod(g.auth)
	co := azure.CredentialOptions{Cloud: cfg, Tenant: g.tenant, Method: method, Env: azure.SystemEnv()}
	if len(g.subscriptions) == 1 {
		co.Subscription = g.subscriptions[0]
	}
	opts := azure.ClientOptions(cfg, policies...)
	if d.interactive && method == azure.MethodAuto {
		client, err := azure.New(notSignedIn{}, opts)
		if err != nil {
			closer()
			return nil, nil, err
		}
		d.signIn = &steps.SignInOptions{Auth: azure.NewAuthenticator(client, co), Tenant: g.tenant, ConfigPath: steps.DefaultConfigPath()}
		return client, closer, nil
	}
	co.Headless = !d.interactive || !method.Interactive()
	if d.interactive && method.Interactive() {
		// --auth device or browser in the wizard: the sign-in step offers
		// that way only.
		client, err := azure.New(notSignedIn{}, opts)
		if err != nil {
			closer()
			return nil, nil, err
		}
		d.signIn = &steps.SignInOptions{Auth: onlyMethod{azure.NewAuthenticator(client, co), method}, Tenant: g.tenant, ConfigPath: steps.DefaultConfigPath()}
		return client, closer, nil
	}
	cred, err := azure.NewCredential(co)
	if err != nil {
		closer()
		return nil, nil, signInProblem(err, g)
	}
	client, err := azure.New(cred, opts)
	if err != nil {
		closer()
		return nil, nil, err
	}
	// One token up front, so that a sign-in failure is said as such
	// (what, why, next) rather than as the first call's.
	vctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := client.SignInWith(vctx, cred); err != nil {
		closer()
		return nil, nil, signInProblem(err, g)
	}
	return client, closer, nil
}

func signInProblem(err error, g *globalFlags) error {
	p := steps.SignInProblem(err, g.cloud, g.tenant)
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &p
}

// notSignedIn is the wizard's credential until its sign-in step has chosen
// one: any call before that fails as a sign-in failure.
type notSignedIn struct{}

func (notSignedIn) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, &azure.Error{Kind: azure.KindSignIn, Op: "sign-in", Code: azure.ReasonUnknown}
}

// onlyMethod offers one sign-in method (--auth device or browser).
type onlyMethod struct {
	*azure.Authenticator
	m azure.SignInMethod
}

func (o onlyMethod) Methods() []azure.SignInMethod { return []azure.SignInMethod{o.m} }

// scenarioProblem explains a scenario or state file that could not be loaded.
func scenarioProblem(path string, err error) error {
	var se *sim.ScenarioError
	if errors.As(err, &se) {
		return &steps.Problem{What: "cli.scenario.bad", Why: "cli.scenario.bad.why", Next: "cli.scenario.bad.next",
			Args: []any{"Path", se.File, "Line", se.Line, "Column", se.Column, "Detail", se.Msg}, Exit: steps.ExitUsage, Err: err}
	}
	return &steps.Problem{What: "cli.scenario.bad", Why: "cli.scenario.bad.why", Next: "cli.scenario.bad.next",
		Args: []any{"Path", path, "Line", 0, "Column", 0, "Detail", err.Error()}, Exit: steps.ExitUsage, Err: err}
}
