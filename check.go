package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

// checkOptions are the inputs of `backupready check`.
type checkOptions struct {
	d              *deps
	resourceGroups []string
	locations      []string
	vms            []string
	tags           []string
	json           bool
	floorWindows   string
	floorLinux     string
}

func newCheckCmd(d *deps, runF func(context.Context, *checkOptions) error) *cobra.Command {
	opts := &checkOptions{d: d}
	tr := d.tr
	cmd := &cobra.Command{
		Use:     "check",
		Short:   tr.T("cli.check.short"),
		Long:    tr.T("cli.check.long"),
		Example: "  backupready check --demo\n  backupready check --demo --json --location japaneast\n  backupready check --subscription 0000… --tag env=prod",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCheck(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.resourceGroups, "resource-group", nil, tr.T("cli.flag.resource-group"))
	f.StringArrayVar(&opts.locations, "location", nil, tr.T("cli.flag.location"))
	f.StringArrayVar(&opts.vms, "vm", nil, tr.T("cli.flag.vm"))
	f.StringArrayVar(&opts.tags, "tag", nil, tr.T("cli.flag.tag"))
	f.BoolVar(&opts.json, "json", false, tr.T("cli.flag.json"))
	f.StringVar(&opts.floorWindows, "agent-floor-windows", "", tr.T("cli.flag.agent-floor-windows"))
	f.StringVar(&opts.floorLinux, "agent-floor-linux", "", tr.T("cli.flag.agent-floor-linux"))
	return cmd
}

// scope turns the flags into a Scope, refusing malformed tags.
func (o *checkOptions) scope() (steps.Scope, error) {
	sc := steps.Scope{Subscriptions: o.d.g.subscriptions, ResourceGroups: o.resourceGroups, Locations: o.locations, VMs: o.vms}
	for _, t := range o.tags {
		tag, err := steps.ParseTag(t)
		if err != nil {
			return sc, &steps.Problem{What: "cli.tag.bad", Why: "cli.tag.bad.why", Next: "cli.tag.bad.next", Args: []any{"Value", t}, Exit: steps.ExitUsage, Err: err}
		}
		sc.Tags = append(sc.Tags, tag)
	}
	return sc, nil
}

func (o *checkOptions) ruleConfig() steps.RuleConfig {
	cfg := steps.RuleConfig{AgentFloor: map[string]string{}}
	if o.floorWindows != "" {
		cfg.AgentFloor["Windows"] = o.floorWindows
	}
	if o.floorLinux != "" {
		cfg.AgentFloor["Linux"] = o.floorLinux
	}
	return cfg
}

// runCheck is `backupready check`: a read-only readiness report.
func runCheck(ctx context.Context, o *checkOptions) error {
	d := o.d
	scope, err := o.scope()
	if err != nil {
		return err
	}
	client, closeFn, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	id, err := client.Identity(ctx)
	if err != nil {
		return problemOf(err)
	}
	d.learnIDs(id.TenantID)
	subs, err := chooseSubscriptions(ctx, client, scope.Subscriptions)
	if err != nil {
		return err
	}
	d.learnIDs(subs...)
	prog := newProgressLine(d)
	_, results, err := steps.Scan(ctx, client, subs, scope, o.ruleConfig(), prog.update)
	prog.done()
	if err != nil {
		return problemOf(err)
	}
	if err := checkScopeMatched(scope, o, results); err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(d.redacted(d.io.out))
		enc.SetIndent("", "  ")
		if err := enc.Encode(steps.BuildReport(results, d.tr)); err != nil {
			return err
		}
	} else {
		w := d.redacted(d.io.colorWriter(d.io.out, d.io.stdoutTTY(), d.g.noColor))
		steps.RenderHuman(w, results, d.tr, cliStyles(d), d.io.width())
	}
	if code := steps.ExitCode(results); code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// checkScopeMatched refuses a scope that matched nothing it named: a --vm
// typo, or filters that leave no VM, must not pass as "ready" in a CI gate.
func checkScopeMatched(scope steps.Scope, o *checkOptions, results []steps.VMResult) error {
	for _, want := range scope.VMs {
		found := false
		for _, r := range results {
			if (steps.Scope{VMs: []string{want}}).Matches(r.VM) {
				found = true
				break
			}
		}
		if !found {
			return &steps.Problem{What: "cli.vm.unknown", Why: "cli.vm.unknown.why", Next: "cli.vm.unknown.next", Args: []any{"Value", want}, Exit: steps.ExitUsage}
		}
	}
	if len(results) == 0 && (len(o.resourceGroups) > 0 || len(o.locations) > 0 || len(o.tags) > 0) {
		return &steps.Problem{What: "cli.scope.empty", Why: "cli.scope.empty.why", Next: "cli.scope.empty.next", Exit: steps.ExitUsage}
	}
	return nil
}

// problemOf explains an Azure failure as a Problem for the error handler.
func problemOf(err error) error {
	p := steps.Explain(err)
	return &p
}

// subscriptionLister is what chooseSubscriptions needs.
type subscriptionLister interface {
	Subscriptions(ctx context.Context) ([]azure.Subscription, error)
}

// chooseSubscriptions returns the ids of the enabled subscriptions named by
// --subscription (id or display name), or of all enabled ones.
func chooseSubscriptions(ctx context.Context, api subscriptionLister, wanted []string) ([]string, error) {
	all, err := api.Subscriptions(ctx)
	if err != nil {
		return nil, problemOf(err)
	}
	var ids []string
	if len(wanted) == 0 {
		for _, s := range all {
			if s.Enabled() {
				ids = append(ids, s.ID)
			}
		}
		if len(ids) == 0 {
			return nil, &steps.Problem{What: "cli.subscription.none", Why: "cli.subscription.none.why", Next: "cli.subscription.none.next", Exit: steps.ExitUsage}
		}
		return ids, nil
	}
	for _, w := range wanted {
		var match []azure.Subscription
		for _, s := range all {
			if strings.EqualFold(s.ID, w) {
				match = []azure.Subscription{s}
				break
			}
			if strings.EqualFold(s.Name, w) {
				match = append(match, s)
			}
		}
		switch {
		case len(match) == 0:
			return nil, &steps.Problem{What: "cli.subscription.unknown", Why: "cli.subscription.unknown.why", Next: "cli.subscription.unknown.next", Args: []any{"Value", w}, Exit: steps.ExitUsage}
		case len(match) > 1:
			// Display names repeat ("Pay-As-You-Go"); guessing would scan the wrong one.
			return nil, &steps.Problem{What: "cli.subscription.ambiguous", Why: "cli.subscription.ambiguous.why", Next: "cli.subscription.ambiguous.next", Args: []any{"Value", w, "Count", len(match)}, Exit: steps.ExitUsage}
		case !match[0].Enabled():
			return nil, &steps.Problem{What: "cli.subscription.disabled", Why: "cli.subscription.disabled.why", Next: "cli.subscription.disabled.next", Args: []any{"Value", w, "State", match[0].State}, Exit: steps.ExitUsage}
		}
		ids = append(ids, match[0].ID)
	}
	return ids, nil
}

// cliStyles picks light or dark styles for headless output: the terminal is
// asked for its background only when both ends are terminals (a pipe gets no
// colour anyway, and a query would wait for an answer that never comes).
func cliStyles(d *deps) ui.Styles {
	d.stylesOnce.Do(func() { d.styles = detectStyles(d) })
	return d.styles
}

func detectStyles(d *deps) ui.Styles {
	in, okIn := d.io.in.(term.File)
	out, okOut := d.io.out.(term.File)
	if okIn && okOut && d.io.stdinTTY() && d.io.stdoutTTY() && !d.g.noColor {
		return ui.NewStyles(lipgloss.HasDarkBackground(in, out))
	}
	return ui.NewStyles(true)
}

// progressLine shows a scan's progress on stderr when it is a terminal and
// the scan takes longer than a moment; nothing otherwise.
type progressLine struct {
	d        *deps
	mu       sync.Mutex
	last     steps.ScanProgress
	throttle azure.ThrottleWait // the wait Azure imposes now, if any
	shown    bool
	start    time.Time
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newProgressLine(d *deps) *progressLine {
	p := &progressLine{d: d, start: time.Now(), stop: make(chan struct{})}
	if !d.io.stderrTTY() {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		tick := time.NewTicker(120 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			if time.Since(p.start) < 700*time.Millisecond {
				continue
			}
			p.mu.Lock()
			last, th := p.last, p.throttle
			p.shown = true
			p.mu.Unlock()
			key := "cli.progress.inventory"
			if last.Phase == steps.PhaseAgents {
				key = "cli.progress.agents"
			}
			line := p.d.tr.T(key, "Done", last.Done, "Total", last.Total)
			if th.Wait > 0 && time.Now().Before(th.Until) {
				line += " · " + steps.ThrottleText(p.d.tr, th)
			}
			fmt.Fprintf(p.d.io.err, "\r\x1b[2K%s %s", frames[i%len(frames)], line)
		}
	}()
	return p
}

// update records a scan's progress. A throttle wait is shown beside the
// progress while it lasts on a terminal, and as a line of its own on a
// stderr that is not one (a log), so that a long wait never looks like a
// hang.
func (p *progressLine) update(sp steps.ScanProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sp.Throttle.Wait > 0 {
		p.throttle = sp.Throttle
		if !p.d.io.stderrTTY() {
			fmt.Fprintln(p.d.io.err, steps.ThrottleText(p.d.tr, sp.Throttle))
		}
		return
	}
	p.last, p.throttle = sp, azure.ThrottleWait{}
}

func (p *progressLine) done() {
	close(p.stop)
	p.wg.Wait()
	if p.shown {
		fmt.Fprint(p.d.io.err, "\r\x1b[2K")
	}
}
