package access

import (
	"cmp"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

// Options are what an accessible run needs.
type Options struct {
	In  io.Reader
	Out io.Writer
	API steps.WizardAPI
	// Wizard are the settings the screens would start from (translator,
	// cloud, demo, preset scope, rules, plan path, run tuning).
	Wizard steps.WizardOptions
	// Every is how often a long operation says it is still working
	// (default 5 s).
	Every time.Duration
}

// stop ends the run early with an exit code; its text has been said.
type stop struct{ code int }

func (s stop) Error() string { return "exit " + strconv.Itoa(s.code) }

// runner walks the steps in order.
type runner struct {
	ctx  context.Context
	p    *Prompter
	tr   *ui.Translator
	api  steps.WizardAPI
	o    Options
	sess *steps.Session

	changed bool // something may have changed in Azure (a run started)
}

// Run runs the wizard line by line, from sign-in to summary, and returns
// the process exit code: 0 done (or declined at Review), 130 when the input
// ended or the run was interrupted, the Problem's code when something went
// wrong (said in words first).
func Run(ctx context.Context, o Options) int {
	tr := o.Wizard.Translator
	if tr == nil {
		tr, _ = ui.NewTranslator("en")
	}
	r := &runner{ctx: ctx, p: NewPrompter(ctx, o.In, o.Out, tr), tr: tr, api: o.API, o: o}
	r.sess = steps.NewSession(ctx, o.Wizard)
	err := r.run()
	var s stop
	switch {
	case err == nil:
		return steps.ExitOK
	case errors.As(err, &s):
		return s.code
	case errors.Is(err, ErrCancelled) || ctx.Err() != nil:
		if r.changed {
			r.p.Say("", r.T("access.cancelled"))
		} else {
			r.p.Say("", r.T("access.cancelled.nothing"))
		}
		return steps.ExitInterrupted
	}
	return r.problem(steps.Explain(err))
}

func (r *runner) T(key string, args ...any) string { return r.tr.T(key, args...) }

// problem says a Problem in three lines (what, why, next) and returns its
// exit code.
func (r *runner) problem(p steps.Problem) int {
	what, why, next := p.Text(r.tr)
	lines := []string{"", r.T("access.problem", "What", what), why, next}
	if p.Docs != "" {
		lines = append(lines, p.Docs)
	}
	r.p.Say(lines...)
	return cmp.Or(p.Exit, steps.ExitAzure)
}

// fail says a Problem and stops the run with its code.
func (r *runner) fail(p steps.Problem) error { return stop{code: r.problem(p)} }

// step announces step n (1-based) with its title and why.
func (r *runner) step(n int, id string) {
	r.p.Say("", r.T("access.step", "N", n, "Total", 10, "Title", r.T("step."+id+".title")), r.T(steps.StepExplain(id)))
}

func (r *runner) every() time.Duration { return cmp.Or(r.o.Every, 5*time.Second) }

func (r *runner) run() error {
	r.p.Say(r.T("access.start"))
	if r.o.Wizard.Demo {
		r.p.Say(r.T("access.demo"))
	}
	for _, f := range []func() error{r.scope, r.preflight, r.vault, r.redundancy, r.network, r.agent, r.review, r.apply, r.protect, r.summary} {
		if err := f(); err != nil {
			return err
		}
	}
	r.p.Say("", r.T("access.end"))
	return nil
}

// ---- 1. sign-in and scope ----

func (r *runner) scope() error {
	r.step(1, "scope")
	si, err := r.signIn()
	if err != nil {
		return err
	}
	id := si.id
	r.sess.Identity = &id
	who := r.T("scope.signin.user", "Name", id.Name)
	if id.Kind == "app" {
		who = r.T("scope.signin.app", "Name", id.Name)
	}
	r.p.Say(who+".", r.T("access.signin.where", "Cloud", r.T("scope.cloud."+cmp.Or(r.sess.Cloud, steps.CloudPublic)), "Tenant", cmp.Or(si.tenant, id.TenantID)))

	all, err := r.api.Subscriptions(r.ctx)
	if err != nil {
		return err
	}
	enabled, hidden := steps.EnabledSubscriptions(all)
	if len(enabled) == 0 {
		return r.fail(steps.Problem{What: "cli.subscription.none", Why: "cli.subscription.none.why", Next: "cli.subscription.none.next", Exit: steps.ExitUsage})
	}
	if hidden > 0 {
		r.p.Say(r.T("access.subs.hidden", "Count", hidden))
	}
	var chosen []azure.Subscription
	if preset := r.sess.Preset.Subscriptions; len(preset) > 0 {
		ids, missing := steps.PresetSubscriptions(enabled, preset)
		if len(missing) > 0 {
			return r.fail(steps.Problem{What: "cli.subscription.unknown", Why: "cli.subscription.unknown.why", Next: "cli.subscription.unknown.next",
				Args: []any{"Value", strings.Join(missing, ", ")}, Exit: steps.ExitUsage})
		}
		for _, s := range enabled {
			if slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, s.ID) }) {
				chosen = append(chosen, s)
			}
		}
	}
	switch {
	case len(chosen) > 0:
	case len(enabled) == 1:
		chosen = enabled
	default:
		names := make([]string, len(enabled))
		lines := []string{r.T("access.subs.heading", "Count", len(enabled))}
		for i, s := range enabled {
			names[i] = s.Name
			lines = append(lines, r.T("access.subs.item", "N", i+1, "Name", s.Name, "ID", s.ID))
		}
		r.p.Say(lines...)
		var def []int
		if si.has && strings.EqualFold(si.remembered.Tenant, si.tenant) {
			ids, _ := steps.PresetSubscriptions(enabled, si.remembered.Subscriptions)
			for i, s := range enabled {
				if slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, s.ID) }) {
					def = append(def, i)
				}
			}
		}
		idx, err := r.p.PickDefault(r.T("access.subs.question"), names, def)
		if err != nil {
			return err
		}
		for _, i := range idx {
			chosen = append(chosen, enabled[i])
		}
	}
	for _, s := range chosen {
		r.p.Say(r.T("access.subs.chosen", "Name", s.Name, "ID", s.ID))
	}
	r.sess.Subscriptions = chosen
	if o := r.o.Wizard.SignIn; o != nil && o.ConfigPath != "" {
		// A convenience: a failure to write changes nothing else.
		_ = steps.Remember(o.ConfigPath, r.sess.Cloud, steps.CloudChoice{Tenant: si.tenant, Subscriptions: r.sess.SubscriptionIDs()})
	}

	w := r.p.Working(r.T("access.vms.reading"), r.every())
	inv, err := steps.LoadInventory(r.ctx, r.api, r.sess.SubscriptionIDs(), func(sp steps.ScanProgress) { w.SetCount(sp.Done, sp.Total) })
	w.Stop()
	if err != nil {
		return err
	}
	r.sess.Inventory, r.sess.Revision = inv, r.sess.Revision+1
	if len(inv.VMs) == 0 {
		return r.fail(steps.Problem{What: "cli.scope.empty", Why: "cli.scope.empty.why", Next: "cli.scope.empty.next", Exit: steps.ExitBlocking})
	}
	names := make([]string, len(inv.VMs))
	lines := []string{r.T("access.vms.heading", "Count", len(inv.VMs))}
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		names[i] = vm.Name
		lines = append(lines, r.T("access.vms.item", "N", i+1, "Name", vm.Name, "OS", steps.VMOSText(r.tr, vm),
			"Power", steps.VMPowerText(r.tr, vm), "Location", azure.NormalizeLocation(vm.Location), "Group", vm.ResourceGroup))
	}
	r.p.Say(lines...)
	var idx []int
	if preset := steps.PresetVMs(inv.VMs, r.sess.Preset); len(preset) > 0 {
		for i := range inv.VMs {
			if preset[inv.VMs[i].ID] {
				idx = append(idx, i)
			}
		}
	}
	if len(idx) == 0 {
		if idx, err = r.p.Pick(r.T("access.vms.question"), names); err != nil {
			return err
		}
	}
	r.sess.Selected = nil
	for _, i := range idx {
		r.sess.Selected = append(r.sess.Selected, inv.VMs[i].ID)
	}
	r.p.Say(r.T("access.vms.chosen", "Count", len(idx)))
	return nil
}

// ---- 2. preflight ----

func (r *runner) preflight() error {
	r.step(2, "preflight")
	vms := r.sess.SelectedVMs()
	w := r.p.Working(r.T("access.preflight.reading"), r.every())
	results, err := steps.Assess(r.ctx, r.api, r.sess.Inventory, vms, r.sess.Rules, func(sp steps.ScanProgress) { w.SetCount(sp.Done, sp.Total) })
	w.Stop()
	if err != nil {
		return err
	}
	r.sess.Results = results
	counts := steps.CountVerdicts(results)
	var parts []string
	for i := len(steps.Verdicts) - 1; i >= 0; i-- {
		v := steps.Verdicts[i]
		if counts[v] > 0 {
			parts = append(parts, r.T("access.preflight.count", "Verdict", r.T("verdict."+string(v)), "N", counts[v]))
		}
	}
	r.p.Say(r.T("access.preflight.counts", "Counts", strings.Join(parts, r.T("access.sep"))))
	order := steps.SortResults(results, steps.SortVerdict, "")
	var opts []Option
	for n, i := range order {
		res := results[i]
		line := r.T("access.preflight.vm", "N", n+1, "Name", res.VM.Name, "Verdict", r.T("verdict."+string(res.Verdict)))
		if f, ok := steps.WorstFinding(res); ok && res.Verdict != steps.OK {
			msg, _ := f.Text(r.tr)
			line += " " + msg
		}
		r.p.Say(line)
		opts = append(opts, Option{Label: res.VM.Name})
	}
	if counts[steps.Blocked] > 0 {
		r.p.Say(r.T("access.preflight.blocked"))
	}
	// Details on request, as long as wanted.
	for {
		s, err := r.p.ask(r.T("access.preflight.more", "Max", len(order)))
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > len(order) {
			if i := slices.IndexFunc(opts, func(o Option) bool { return strings.EqualFold(o.Label, s) }); i >= 0 {
				n, err = i+1, nil
			} else {
				r.p.Say(r.T("access.choose.bad", "Value", s, "Max", len(order)))
				continue
			}
		}
		res := results[order[n-1]]
		lines := []string{r.T("access.preflight.detail", "Name", res.VM.Name, "Verdict", r.T("verdict."+string(res.Verdict)))}
		for _, f := range res.Findings {
			msg, fix := f.Text(r.tr)
			lines = append(lines, "  "+r.T("access.finding", "Verdict", r.T("verdict."+string(f.Verdict)), "Rule", f.Rule, "Msg", msg))
			if fix != "" && f.Verdict != steps.OK {
				lines = append(lines, "    "+r.T("access.finding.fix", "Fix", fix))
			}
			if f.Docs != "" && f.Verdict != steps.OK {
				lines = append(lines, "    "+f.Docs)
			}
		}
		r.p.Say(lines...)
	}
}

// ---- 3. vault ----

func (r *runner) vault() error {
	r.step(3, "vault")
	regions, left := steps.GroupVaultRegions(r.sess.Inventory, r.sess.Selected, r.sess.Results)
	for _, l := range left {
		reason := r.T("access.vault.left.blocked")
		if l.Reason == "elsewhere" {
			reason = r.T("access.vault.left.elsewhere", "Vault", l.Vault, "Where", l.Where)
		}
		r.p.Say(r.T("access.vault.left", "Name", l.VM.Name, "Reason", reason))
	}
	if len(regions) == 0 {
		return r.fail(steps.Problem{What: "access.vault.none", Why: "access.vault.none.why", Next: "access.vault.none.next", Exit: steps.ExitBlocking})
	}
	ri := 0
	if len(regions) > 1 {
		opts := make([]Option, len(regions))
		for i, g := range regions {
			var names []string
			for _, vm := range g.VMs {
				names = append(names, vm.Name)
			}
			opts[i] = Option{Label: r.T("access.vault.region", "Region", g.Location, "Sub", r.subName(g.Subscription), "Count", len(g.VMs)),
				Detail: r.T("access.vault.region.vms", "Names", strings.Join(names, r.T("access.sep")))}
		}
		var err error
		if ri, err = r.p.Choose(r.T("access.vault.region.question"), opts, 0); err != nil {
			return err
		}
	}
	g := regions[ri]
	r.p.Say(r.T("access.vault.region.chosen", "Region", g.Location, "Sub", r.subName(g.Subscription), "Count", len(g.VMs)))

	opts := make([]Option, 0, len(g.Vaults)+1)
	for _, v := range g.Vaults {
		opts = append(opts, Option{Label: r.T("access.vault.option.existing", "Name", v.Vault.Name, "Group", v.Vault.ResourceGroup),
			Detail: r.T("access.vault.option.protects", "Count", v.Protected)})
	}
	opts = append(opts, Option{Label: r.T("access.vault.option.new")})
	ci, err := r.p.Choose(r.T("access.vault.question"), opts, steps.DefaultVault(g))
	if err != nil {
		return err
	}
	var pv steps.PlanVault
	if ci < len(g.Vaults) {
		v := g.Vaults[ci].Vault
		pv = steps.PlanVault{Name: v.Name, ResourceGroup: v.ResourceGroup, Location: g.Location}
	} else if pv, err = r.newVault(g); err != nil {
		return err
	}
	r.sess.Plan = steps.WithVault(r.sess.Plan, r.sess.Cloud, g, pv)
	key := "access.vault.chosen.existing"
	if pv.Create {
		key = "access.vault.chosen.new"
	}
	r.p.Say(r.T(key, "Name", pv.Name, "Group", pv.ResourceGroup, "Region", pv.Location))
	r.sess.Log.Add("vault", r.T(key, "Name", pv.Name, "Group", pv.ResourceGroup, "Region", pv.Location))
	return nil
}

func (r *runner) subName(id string) string {
	for _, s := range r.sess.Subscriptions {
		if strings.EqualFold(s.ID, id) {
			return s.Name
		}
	}
	return id
}

// newVault asks the new vault's name (checked as typed, then with Azure)
// and its resource group.
func (r *runner) newVault(g steps.VaultRegion) (steps.PlanVault, error) {
	vaults := r.sess.Inventory.Vaults
	def := steps.DefaultVaultName(g.Location, vaults)
	anyGroup := g.VMs[0].ResourceGroup
	var existing *azure.Vault
	var checkErr error
	for {
		existing = nil
		name, err := r.p.Text(r.T("access.vault.name.question"), def, func(s string) string {
			verdict, v := steps.ClassifyVaultName(s, g.Subscription, g.Location, vaults)
			switch verdict {
			case steps.NameNeedsCheck:
				return ""
			case steps.NameExistsHere:
				existing = v
				return ""
			case steps.NameExistsElsewere:
				return r.T("vault.name.exists-elsewhere", "Name", v.Name, "Where", azure.NormalizeLocation(v.Location), "Region", g.Location)
			}
			return r.T("vault.name." + verdict)
		})
		if err != nil {
			return steps.PlanVault{}, err
		}
		if existing != nil {
			r.p.Say(r.T("vault.name.exists-here", "Name", existing.Name, "Group", existing.ResourceGroup))
			return steps.PlanVault{Name: existing.Name, ResourceGroup: existing.ResourceGroup, Location: g.Location}, nil
		}
		r.p.Say(r.T("vault.name.checking"))
		free, _, _, err := r.api.CheckVaultName(r.ctx, g.Subscription, anyGroup, g.Location, name)
		if err != nil {
			checkErr = err
			break
		}
		if !free {
			r.p.Say(r.T("vault.name.taken", "Name", name))
			def = ""
			for _, c := range steps.VaultNameCandidates(name, 8) {
				if ok, _, _, err := r.api.CheckVaultName(r.ctx, g.Subscription, anyGroup, g.Location, c); err == nil && ok {
					def = c
					r.p.Say(r.T("access.vault.name.suggest", "Name", c))
					break
				}
			}
			if def == "" {
				r.p.Say(r.T("vault.name.nosuggest"))
			}
			continue
		}
		r.p.Say(r.T("vault.name.free", "Name", name))
		group, err := r.p.Text(r.T("access.vault.group.question"), steps.DefaultResourceGroup(g.Location), func(s string) string {
			if reason := steps.ValidateResourceGroup(s); reason != "" {
				return r.T("vault.group." + reason)
			}
			return ""
		})
		if err != nil {
			return steps.PlanVault{}, err
		}
		exists, err := r.api.ResourceGroupExists(r.ctx, g.Subscription, group)
		if err != nil {
			return steps.PlanVault{}, err
		}
		if exists {
			r.p.Say(r.T("vault.group.exists"))
		} else {
			r.p.Say(r.T("vault.group.create", "Region", g.Location))
		}
		return steps.PlanVault{Name: name, ResourceGroup: group, Location: g.Location, Create: true}, nil
	}
	return steps.PlanVault{}, checkErr
}

// ---- 4. redundancy ----

func (r *runner) redundancy() error {
	r.step(4, "redundancy")
	p := r.sess.Plan
	s := steps.NewVaultStorage()
	if !p.Vault.Create {
		w := r.p.Working(r.T("access.redundancy.reading"), r.every())
		cfg, err := r.api.StorageConfig(r.ctx, steps.PlanVaultID(p))
		w.Stop()
		if err != nil {
			return err
		}
		s = steps.StorageOf(cfg)
	}
	facts := steps.RegionFacts{}
	if locs, err := r.api.Locations(r.ctx, p.Subscription); err == nil {
		facts = steps.RegionFactsOf(locs, p.Vault.Location)
	}
	word := func(t string) string { return r.T("redundancy.word." + t) }
	if s.New {
		r.p.Say(r.T("redundancy.status.new"))
	}
	if s.Locked {
		r.p.Say(r.T("redundancy.locked.status", "Redundancy", word(s.Type)), r.T("redundancy.locked.why"))
		r.sess.Plan = withRedundancy(p, steps.RedundancyPlan(s, s.Type, s.CRR))
		return nil
	}
	if !s.New {
		r.p.Say(r.T("redundancy.status.unlocked", "Redundancy", word(s.Type)))
	}
	if facts.Known {
		if facts.Paired != "" {
			r.p.Say(r.T("redundancy.region.paired", "Paired", facts.Paired))
		}
		key := "redundancy.region.nozones"
		if facts.HasZones {
			key = "redundancy.region.zones"
		}
		r.p.Say(r.T(key, "Region", facts.Name))
	}
	var types []string
	var opts []Option
	def := 0
	for _, o := range steps.RedundancyOptionsIn(s, facts) {
		if o.Disabled {
			continue
		}
		label := r.T("redundancy.name." + o.Type)
		var tags []string
		if o.Default {
			tags = append(tags, r.T("redundancy.tag.default"))
		}
		if o.Current {
			tags = append(tags, r.T("redundancy.tag.current"))
			def = len(opts)
		}
		tags = append(tags, r.T("redundancy.cost."+o.Type))
		label += r.T("access.sep") + strings.Join(tags, r.T("access.sep"))
		types = append(types, o.Type)
		opts = append(opts, Option{Label: label, Detail: r.T("redundancy.about." + o.Type)})
	}
	i, err := r.p.Choose(r.T("access.redundancy.question"), opts, def)
	if err != nil {
		return err
	}
	crr := s.CRR
	if steps.CanToggleCRR(s, types[i]) {
		r.p.Say(r.T("redundancy.about.crr"))
		if crr, err = r.p.YesNo(r.T("access.redundancy.crr.question"), s.CRR); err != nil {
			return err
		}
	}
	pr := steps.RedundancyPlan(s, types[i], crr)
	r.sess.Plan = withRedundancy(r.sess.Plan, pr)
	onOff := r.T("access.off")
	if crr && types[i] == steps.StorageGeo {
		onOff = r.T("access.on")
	}
	r.p.Say(r.T("access.redundancy.chosen", "Redundancy", word(types[i]), "CRR", onOff))
	for _, k := range steps.RedundancyIrreversible(s, pr) {
		r.p.Say(r.T("redundancy.irrev." + k))
	}
	r.sess.Log.Add("redundancy", r.T("access.redundancy.chosen", "Redundancy", word(types[i]), "CRR", onOff))
	return nil
}

func withRedundancy(p *steps.Plan, pr steps.PlanRedundancy) *steps.Plan {
	cp := *p
	cp.Redundancy = pr
	return &cp
}

// ---- 5. network ----

func (r *runner) network() error {
	r.step(5, "network")
	p := r.sess.Plan
	region := azure.NormalizeLocation(p.Vault.Location)
	vms := steps.PlanVMs(r.sess)
	diag := steps.NetworkDiagnosis(vms, r.sess.Inventory, region)
	lines := []string{r.T("network.heading", "Count", len(vms), "Region", region)}
	for _, d := range diag {
		lines = append(lines, r.T("access.item", "Name", d.VM.Name, "Text", steps.NetVerdictText(r.tr, d, region)))
	}
	rec := steps.NetworkRecommend(diag)
	if rec == steps.NetworkServiceTags {
		lines = append(lines, r.T("network.recommend.tags"))
	} else {
		lines = append(lines, r.T("network.recommend.none"))
	}
	r.p.Say(lines...)
	modes := []string{steps.NetworkServiceTags, steps.NetworkProxy, steps.NetworkNone, steps.NetworkIPRanges}
	opts := make([]Option, len(modes))
	def := 0
	for i, m := range modes {
		tag, about := "network.tag."+m, "network.about."+m
		if m == steps.NetworkIPRanges {
			tag, about = "network.ipranges.tag", "network.ipranges.about"
		}
		label := r.T("network.mode."+m) + r.T("access.sep") + r.T(tag)
		if m == rec {
			label += r.T("access.sep") + r.T("network.tag.recommended")
			def = i
		}
		opts[i] = Option{Label: label, Detail: r.T(about)}
	}
	for {
		i, err := r.p.Choose(r.T("access.network.question"), opts, def)
		if err != nil {
			return err
		}
		n := steps.PlanNetwork{Mode: modes[i], NSGRulePriority: cmp.Or(p.Network.NSGRulePriority, steps.PriorityAuto)}
		var set *steps.ServiceTagSet
		switch n.Mode {
		case steps.NetworkProxy:
			px, err := r.proxy()
			if err != nil {
				return err
			}
			n.Proxy = px
		case steps.NetworkIPRanges:
			if set, err = r.serviceTags(n); err != nil {
				return err
			}
			if set == nil {
				continue // not read, or no prefixes: choose again
			}
		}
		cp := *r.sess.Plan
		cp.Network = n
		r.sess.Plan = &cp
		r.p.Say(r.T("access.network.chosen", "Mode", r.T("network.mode."+n.Mode)))
		r.sess.Log.Add("network", r.T("network.log.mode", "Mode", n.Mode))
		switch n.Mode {
		case steps.NetworkServiceTags:
			if err := r.nsgRules(func() []steps.Change {
				var cs []steps.Change
				for _, v := range steps.ServiceTagViews(r.sess.Plan, r.sess.Inventory, vms) {
					cs = append(cs, v.Change)
				}
				return cs
			}, func(cs []steps.Change) []steps.NSGRuleView { return steps.RuleViews(cs, r.sess.Inventory) }); err != nil {
				return err
			}
		case steps.NetworkIPRanges:
			r.p.Say(r.T("network.ipranges.churn", "Change", cmp.Or(set.ChangeNumber, "-")))
			if err := r.nsgRules(func() []steps.Change {
				return steps.IPRangeChanges(r.sess.Plan, r.sess.Inventory, vms, set)
			}, func(cs []steps.Change) []steps.NSGRuleView { return steps.IPRangeRuleViews(cs, r.sess.Inventory) }); err != nil {
				return err
			}
			r.p.Say(r.T("network.ipranges.limits", "MaxRules", steps.MaxNSGRules, "MaxDests", steps.MaxNSGDestinations))
		}
		if n.Mode != steps.NetworkNone {
			r.p.Say(r.T("network.rules.review"))
		}
		return nil
	}
}

// serviceTagReader reads Azure's service tags (the Azure client has it).
type serviceTagReader interface {
	ServiceTags(ctx context.Context, subscriptionID, location string) (changeNumber string, tags []azure.ServiceTag, err error)
}

// serviceTags reads the region's Storage service tag for the IP ranges
// mode and says its prefixes; nil (and no error) when the list could not
// be read or the tag has no prefixes: the mode cannot be planned.
func (r *runner) serviceTags(n steps.PlanNetwork) (*steps.ServiceTagSet, error) {
	region := azure.NormalizeLocation(r.sess.Plan.Vault.Location)
	tag := steps.StorageTag(region)
	api, ok := r.api.(serviceTagReader)
	if !ok {
		r.p.Say(r.T("access.network.tags.failed", "Tag", tag))
		return nil, nil
	}
	q := *r.sess.Plan
	q.Network = n
	w := r.p.Working(r.T("access.network.tags.reading", "Region", region), r.every())
	set, err := steps.ReadServiceTags(r.ctx, api, &q)
	w.Stop()
	if err != nil {
		return nil, err
	}
	if set == nil || set.Err != nil {
		if set != nil {
			what, why, next := steps.Explain(set.Err).Text(r.tr)
			r.p.Say(r.T("access.problem", "What", what), why, next)
			r.sess.Log.Add("network", r.T("network.ipranges.log.failed", "Error", what))
		}
		r.p.Say(r.T("access.network.tags.failed", "Tag", tag))
		return nil, nil
	}
	r.sess.Log.Add("network", r.T("network.ipranges.log", "Tag", set.Tag, "V4", len(set.IPv4), "V6", len(set.IPv6), "Change", cmp.Or(set.ChangeNumber, "-")))
	if set.Prefixes() == 0 {
		r.p.Say(r.T("network.ipranges.notag", "Tag", tag, "List", cmp.Or(set.ListChange, "-")))
		return nil, nil
	}
	r.p.Say(r.T("network.ipranges.counts", "Tag", set.Tag, "V4", len(set.IPv4), "V6", len(set.IPv6),
		"Change", cmp.Or(set.ChangeNumber, "-"), "List", cmp.Or(set.ListChange, "-")))
	return set, nil
}

// nsgRules asks the new rules' priority when the plan adds any (auto, or a
// number checked as the Network step checks it), then says each NSG's
// rules as planned. plan is the mode's NSG rule changes for the plan as it
// is; views are the NSGs a typed priority is checked against.
func (r *runner) nsgRules(plan func() []steps.Change, views func([]steps.Change) []steps.NSGRuleView) error {
	cs := plan()
	if v := views(cs); len(v) > 0 {
		prio, err := r.priority(v)
		if err != nil {
			return err
		}
		cp := *r.sess.Plan
		cp.Network.NSGRulePriority = prio
		r.sess.Plan = &cp
		r.sess.Log.Add("network", r.T("network.log.priority", "Priority", prio))
		cs = plan()
	}
	groups := steps.IPRangeGroups(cs, r.sess.Inventory)
	if len(groups) == 0 {
		r.p.Say(r.T("access.network.rules.none"))
		return nil
	}
	for _, g := range groups {
		lines := []string{r.T("access.network.nsg", "NSG", g.NSG.Name, "VMs", g.VMs)}
		for _, c := range g.Changes {
			_, name, _ := strings.Cut(c.Target, "/securityRules/")
			if (c.Kind == steps.Create || c.Kind == steps.Modify) && c.Rule != nil {
				lines = append(lines, "  "+r.T("access.network.rule", "Kind", r.T("change.kind."+string(c.Kind)), "Name", name,
					"Priority", int(c.Rule.Priority), "Text", steps.RuleText(r.tr, *c.Rule), "Blocking", g.Blocking))
				continue
			}
			if c.Reason != "" {
				lines = append(lines, "  "+r.T(c.Reason, c.Args...))
			}
		}
		r.p.Say(lines...)
	}
	return nil
}

// priority asks the new NSG rules' priority: auto (recommended), or a
// number that must win over each blocking rule and be free.
func (r *runner) priority(views []steps.NSGRuleView) (string, error) {
	cur := r.sess.Plan.Network.NSGRulePriority
	opts := []Option{{Label: r.T("access.network.prio.auto")}, {Label: r.T("access.network.prio.typed")}}
	def := 0
	if cur != "" && cur != steps.PriorityAuto {
		def = 1
	}
	i, err := r.p.Choose(r.T("access.network.prio.question"), opts, def)
	if err != nil {
		return "", err
	}
	prio := steps.PriorityAuto
	if i == 1 {
		if cur == steps.PriorityAuto {
			cur = ""
		}
		v, err := r.p.Text(r.T("access.network.prio.number"), cur, func(s string) string {
			if strings.TrimSpace(s) == "" {
				return r.T("network.prio.range")
			}
			if k, args := steps.CheckPriority(views, s); k != "" {
				return r.T(k, args...)
			}
			return ""
		})
		if err != nil {
			return "", err
		}
		if v = strings.TrimSpace(v); !strings.EqualFold(v, steps.PriorityAuto) {
			prio = v
		}
	}
	r.p.Say(r.T("access.network.prio.chosen", "Priority", r.prioWord(prio)))
	return prio, nil
}

func (r *runner) prioWord(p string) string {
	if p == steps.PriorityAuto {
		return r.T("access.network.prio.autoword")
	}
	return p
}

// proxy asks the proxy's host, port and no-proxy list, each checked as the
// Network step checks them.
func (r *runner) proxy() (*steps.PlanProxy, error) {
	var host, port, noProxy string
	check := func(field string) func(string) string {
		return func(s string) string {
			h, pt, np := host, port, noProxy
			switch field {
			case "host":
				h, pt, np = s, "3128", ""
			case "port":
				pt, np = s, ""
			case "noProxy":
				np = s
			}
			if _, key := steps.ProxyInput(h, pt, np); key != "" && strings.HasPrefix(key, "network.proxy.err."+field+".") {
				return r.T(key)
			}
			return ""
		}
	}
	var err error
	if host, err = r.p.Text(r.T("access.proxy.host"), "", check("host")); err != nil {
		return nil, err
	}
	if port, err = r.p.Text(r.T("access.proxy.port"), "3128", check("port")); err != nil {
		return nil, err
	}
	if noProxy, err = r.p.Text(r.T("access.proxy.noproxy"), "-", func(s string) string {
		if s == "-" {
			return ""
		}
		return check("noProxy")(s)
	}); err != nil {
		return nil, err
	}
	if noProxy == "-" {
		noProxy = ""
	}
	px, key := steps.ProxyInput(host, port, noProxy)
	if key != "" {
		return nil, r.fail(steps.Problem{What: key, Why: "access.proxy.bad.why", Next: "access.proxy.bad.next", Exit: steps.ExitUsage})
	}
	return &steps.PlanProxy{Host: px.Host, Port: px.Port, NoProxy: px.NoProxy}, nil
}

// ---- 6. agent ----

// agentReader is what reading the agents and running jobs needs (the Azure
// client has it; a test's stub may not).
type agentReader interface {
	ReadAgents(ctx context.Context, vms []azure.VM, concurrency int, progress func(done, total int)) error
	RunningBackupJobs(ctx context.Context, vaultID string) ([]azure.RunningJob, error)
}

func (r *runner) agent() error {
	r.step(6, "agent")
	p := *r.sess.Plan
	region := azure.NormalizeLocation(p.Vault.Location)
	live := steps.LiveState{VMs: map[string]*azure.VM{}}
	var vms []*azure.VM
	for _, vm := range steps.PlanVMs(r.sess) {
		cp := *vm
		live.VMs[strings.ToLower(vm.ID)] = &cp
		vms = append(vms, &cp)
	}
	if api, ok := r.api.(agentReader); ok && len(vms) > 0 {
		w := r.p.Working(r.T("access.agent.reading"), r.every())
		err := steps.ReadAgentLive(r.ctx, api, &p, &live)
		w.Stop()
		if err != nil {
			if r.ctx.Err() != nil {
				return err
			}
			what, _, _ := steps.Explain(err).Text(r.tr)
			r.p.Say(r.T("agent.read.failed", "Error", what))
		}
	}
	lines := []string{r.T("agent.heading", "Count", len(vms), "Region", region)}
	var diag []steps.AgentVerdict
	for _, vm := range vms {
		if v := live.VMs[strings.ToLower(vm.ID)]; v != nil {
			vm = v
		}
		d := steps.JudgeAgent(vm, live.AgentJobs[strings.ToLower(vm.ID)], r.sess.Rules)
		diag = append(diag, d)
		lines = append(lines, r.T("access.item", "Name", vm.Name, "Text", steps.AgentVerdictText(r.tr, d)))
	}
	needs := slices.ContainsFunc(diag, func(d steps.AgentVerdict) bool { return d.NeedsWork() })
	if !needs {
		lines = append(lines, r.T("agent.plan.nothing"))
	}
	r.p.Say(lines...)
	fixes := []string{steps.AgentFixRunCommand, steps.AgentFixInstructions}
	rec := steps.AgentRecommend(diag)
	opts := make([]Option, len(fixes))
	def := 0
	for i, f := range fixes {
		label := r.T("agent.choice."+f) + r.T("access.sep") + r.T("agent.tag."+f)
		if f == rec {
			label += r.T("access.sep") + r.T("agent.tag.recommended")
			def = i
		}
		opts[i] = Option{Label: label, Detail: r.T("agent.about." + f)}
	}
	i, err := r.p.Choose(r.T("access.agent.question"), opts, def)
	if err != nil {
		return err
	}
	cp := *r.sess.Plan
	cp.Agent.Fix = fixes[i]
	r.sess.Plan = &cp
	r.p.Say(r.T("access.agent.chosen", "Fix", r.T("agent.choice."+fixes[i])))
	r.sess.Log.Add("agent", r.T("agent.log.fix", "Fix", fixes[i]))
	return nil
}

// ---- 7. review ----

// changeLines say a change list: kind in words, what, from and to,
// irreversible in words, and why.
func (r *runner) changeLines(cs []steps.Change) []string {
	var out []string
	for _, c := range cs {
		line := r.T("access.change", "Kind", r.T("change.kind."+string(c.Kind)), "Title", steps.ChangeTitle(c, r.tr))
		if c.From != "" || c.To != "" {
			line += r.T("access.sep") + r.T("access.fromto", "From", cmp.Or(c.From, "-"), "To", cmp.Or(c.To, "-"))
		}
		if c.Irreversible {
			line += r.T("access.sep") + r.T("access.irreversible")
		}
		out = append(out, line)
		if c.Reason != "" {
			out = append(out, "   "+r.T(c.Reason, c.Args...))
		}
	}
	return out
}

func (r *runner) review() error {
	r.step(7, "review")
	w := r.p.Working(r.T("access.review.reading"), r.every())
	live, err := steps.ReadLiveState(r.ctx, r.api, r.sess.Plan)
	w.Stop()
	if err != nil {
		return err
	}
	cs, err := steps.Changes(r.sess.Plan, live)
	var conflicts steps.PlanConflicts
	if errors.As(err, &conflicts) {
		for _, c := range conflicts {
			r.p.Say(r.T(c.Reason, c.Args...))
		}
		return r.fail(steps.Problem{What: "access.review.conflicts", Why: "access.review.conflicts.why", Next: "access.review.conflicts.next", Exit: steps.ExitUsage})
	}
	if err != nil {
		return err
	}
	list := steps.GroupChanges(cs)
	r.p.Say(r.T("changes.heading", "Count", len(cs)))
	r.p.Say(r.changeLines(cs)...)
	var counts []string
	for _, k := range []steps.ChangeKind{steps.Create, steps.Modify, steps.NoChange, steps.Skip} {
		counts = append(counts, r.T("access.count", "What", r.T("change.kind."+string(k)), "N", list.Counts[k]))
	}
	r.p.Say(r.T("access.review.counts", "Counts", strings.Join(counts, r.T("access.sep"))))
	if list.Irreversible > 0 {
		r.p.Say(r.T("access.review.irreversible", "Count", list.Irreversible))
	}
	path := cmp.Or(r.o.Wizard.PlanPath, steps.DefaultPlanPath)
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if err := r.reviewMenu(cs, path); err != nil {
		return err
	}
	ok, err := r.p.Confirm(r.T("access.review.question", "Count", list.Counts[steps.Create]+list.Counts[steps.Modify], "Path", path))
	if err != nil {
		return err
	}
	if !ok {
		r.p.Say(r.T("access.review.declined"))
		return stop{code: steps.ExitOK}
	}
	data, err := r.sess.Plan.Encode()
	if err != nil {
		return err
	}
	if ok, err := r.write(path, data); err != nil || !ok {
		if err == nil {
			r.p.Say(r.T("access.review.declined"))
			return stop{code: steps.ExitOK}
		}
		return err
	}
	r.sess.PlanPath = path
	r.sess.Confirmed = append([]steps.Change(nil), cs...)
	r.sess.ConfirmedRev++
	r.sess.Log.Add("review", r.T("log.review.confirmed", "Path", path, "Count", list.Counts[steps.Create]+list.Counts[steps.Modify]))
	r.p.Say(r.T("access.saved", "Path", path))
	return nil
}

// reviewMenu offers, before the confirmation, to read the scripts Run
// Command will run inside VMs and to write the Azure CLI script making the
// same changes (beside the plan), as often as wanted.
func (r *runner) reviewMenu(cs []steps.Change, planPath string) error {
	scripts := steps.PlanScripts(r.sess.Plan, cs)
	if len(scripts) > 0 {
		r.p.Say(r.T("access.review.scripts.note", "Count", len(scripts)))
	}
	scriptPath := filepath.Join(filepath.Dir(planPath), steps.ScriptFileName)
	for {
		opts := []Option{{Label: r.T("access.review.menu.confirm")}, {Label: r.T("access.review.menu.export", "Name", steps.ScriptFileName)}}
		if len(scripts) > 0 {
			opts = append(opts, Option{Label: r.T("access.review.menu.scripts", "Count", len(scripts))})
		}
		i, err := r.p.Choose(r.T("access.review.menu"), opts, 0)
		if err != nil {
			return err
		}
		switch i {
		case 0:
			return nil
		case 1:
			data := steps.PlanScript(r.sess.Plan, cs, filepath.Base(planPath))
			ok, err := r.writeMode(scriptPath, []byte(data), 0o755)
			if err != nil {
				return err
			}
			if ok {
				r.p.Say(r.T("review.exported", "Path", scriptPath))
				r.sess.Log.Add("review", r.T("review.exported", "Path", scriptPath))
			}
		case 2:
			for n, g := range scripts {
				lines := []string{"", r.T("access.review.scripts.heading", "N", n+1, "Total", len(scripts),
					"Heading", r.T("review.scripts.heading", "What", r.T("change.action."+g.Action), "Lang", g.Lang, "Count", len(g.VMs))),
					r.T("review.scripts.vms", "VMs", strings.Join(g.VMs, r.T("access.sep"))), r.T("access.review.scripts.begin")}
				for _, l := range strings.Split(strings.TrimRight(g.Script, "\n"), "\n") {
					lines = append(lines, strings.TrimRight(l, "\r"))
				}
				lines = append(lines, r.T("access.review.scripts.end"))
				r.p.Say(lines...)
			}
			r.p.Say("", r.T("access.review.scripts.foot"))
		}
	}
}

// write writes a file, asking first when one is there already; false when
// the user keeps the old one.
func (r *runner) write(path string, data []byte) (bool, error) { return r.writeMode(path, data, 0o644) }

// writeMode is write with the file's permissions.
func (r *runner) writeMode(path string, data []byte, perm os.FileMode) (bool, error) {
	if _, err := os.Stat(path); err == nil {
		replace, err := r.p.YesNo(r.T("access.file.exists", "Path", path), true)
		if err != nil {
			return false, err
		}
		if !replace {
			r.p.Say(r.T("access.file.kept", "Path", path))
			return false, nil
		}
	}
	if err := os.WriteFile(path, data, perm); err != nil {
		r.p.Say(r.T("access.file.failed", "Path", path, "Error", err.Error()))
		return false, nil
	}
	return true, nil
}

// ---- 8. apply, and the runs of 9 ----

func (r *runner) apply() error {
	r.step(8, "apply")
	cs := steps.PreparationChanges(r.sess.Confirmed)
	if steps.PendingCount(cs) == 0 {
		r.p.Say(r.T("log.apply.nothing"))
		o := steps.Outcome{States: make([]steps.RunState, len(cs)), Errs: make([]error, len(cs)), Details: make([]string, len(cs)), Durations: make([]time.Duration, len(cs))}
		for i, c := range cs {
			o.States[i] = steps.RunNoChange
			if c.Kind == steps.Skip {
				o.States[i] = steps.RunSkipped
			}
		}
		steps.RecordRun(r.sess, r.tr, "apply", cs, o, time.Now())
		r.sess.Log.Add("apply", r.T("log.apply.nothing"))
		return nil
	}
	o, err := r.carryOut("apply", cs)
	if err != nil {
		return err
	}
	if o.Failed() || o.Stopped {
		r.p.Say(r.T("access.apply.failed"))
	}
	return nil
}

// carryOut runs the applier over cs, saying each change's progress as a
// line, with "still working" lines between; it records the run.
func (r *runner) carryOut(phase string, cs []steps.Change) (steps.Outcome, error) {
	j, err := steps.OpenJournal(r.sess.PlanPath + steps.JournalSuffix)
	if err != nil {
		return steps.Outcome{}, r.fail(steps.Problem{What: "cli.journal.unusable", Why: "cli.journal.unusable.why", Next: "cli.journal.unusable.next",
			Args: []any{"Path", r.sess.PlanPath + steps.JournalSuffix}, Exit: steps.ExitUsage, Err: err})
	}
	defer j.Close()
	run := r.o.Wizard.Run
	a := &steps.Applier{API: r.api, Plan: r.sess.Plan, Journal: j, PollEvery: run.PollEvery, RetryBase: run.RetryBase, Now: run.Now}
	a.Decide = func(ctx context.Context, index int, c steps.Change, err error) steps.Decision {
		what, why, next := steps.Explain(err).Text(r.tr)
		r.p.Say(what, why, next)
		opts := []Option{{Label: r.T("access.decide.retry")}, {Label: r.T("access.decide.skip")}, {Label: r.T("access.decide.stop")}}
		i, perr := r.p.Choose(r.T("access.decide.question", "Title", steps.ChangeTitle(c, r.tr)), opts, 0)
		if perr != nil {
			return steps.DecideStop
		}
		return []steps.Decision{steps.DecideRetry, steps.DecideSkip, steps.DecideStop}[i]
	}
	pending := steps.PendingCount(cs)
	r.changed = true
	r.p.Say(r.T("access.run.start", "Count", pending, "Path", j.Path()))
	r.sess.Log.Add(phase, r.T("log."+phase+".started", "Count", pending, "Path", j.Path()))
	w := r.p.Working(r.T("access.run.working"), r.every())
	finished := map[int]bool{}
	last := make([]string, len(cs))
	started := time.Now()
	emit := func(e steps.ApplyEvent) {
		c := cs[e.Index]
		if e.State == steps.RunNoChange {
			return
		}
		if e.State.Finished() {
			finished[e.Index] = true
		}
		// The share of changes finished; a backup job's own percent while
		// it runs (it is most of the wait).
		w.Set(len(finished)*100/max(pending, 1), r.T("access.run.working"))
		if e.State == steps.RunRunning && e.Percent >= 0 && c.Action == steps.ActionBackupNow {
			w.Set(e.Percent, steps.ChangeTitle(c, r.tr))
		}
		note := string(e.State) + "\x00" + e.Note
		if e.State == steps.RunRunning && note == last[e.Index] && e.Attempt <= 1 {
			return // one line per phase, not one per poll
		}
		last[e.Index] = note
		r.p.Say(r.T("access.event", "Title", steps.ChangeTitle(c, r.tr), "State", steps.ChangeText(c, e, r.tr, time.Now())))
	}
	o := a.Run(r.ctx, cs, emit)
	w.Stop()
	steps.RecordRun(r.sess, r.tr, phase, cs, o, started)
	r.sess.Log.Add(phase, r.T("log."+phase+".finished", "Counts", steps.OutcomeCounts(o, r.tr)))
	r.p.Say(r.T("access.run.outcome", "Counts", steps.OutcomeCounts(o, r.tr)))
	for i, err := range o.Errs {
		if err != nil && o.States[i] == steps.RunFailed {
			what, why, next := steps.Explain(err).Text(r.tr)
			r.p.Say(r.T("access.run.failure", "Title", steps.ChangeTitle(cs[i], r.tr)), what, why, next)
		}
	}
	if o.Interrupted {
		r.p.Say(r.T("apply.left.wizard", "Path", r.sess.PlanPath))
		return o, stop{code: steps.ExitInterrupted}
	}
	return o, nil
}

// ---- 9. protect ----

func (r *runner) protect() error {
	r.step(9, "protect")
	p := r.sess.Plan
	w := r.p.Working(r.T("access.protect.reading"), r.every())
	v, err := r.api.VaultByName(r.ctx, p.Subscription, p.Vault.ResourceGroup, p.Vault.Name)
	var policies []azure.Policy
	var inv *azure.Inventory
	if err == nil && v != nil && v.Ready() {
		if policies, err = r.api.Policies(r.ctx, steps.PlanVaultID(p)); err == nil {
			inv, err = r.api.Inventory(r.ctx, []string{p.Subscription}, nil)
		}
	}
	w.Stop()
	if err != nil {
		return err
	}
	if v == nil || !v.Ready() {
		r.p.Say(r.T("access.protect.notready", "Vault", p.Vault.Name))
		return nil
	}
	slices.SortStableFunc(policies, func(a, b azure.Policy) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	vms := map[string]*azure.VM{}
	for i := range inv.VMs {
		vms[strings.ToLower(inv.VMs[i].ID)] = &inv.VMs[i]
	}
	var needs []string
	for _, pv := range steps.PlanProtectVMs(p, vms, v.ID, "", "", nil) {
		if pv.VM == nil || !pv.Touched() {
			continue
		}
		switch reason, disk, typ := steps.EnhancedNeed(pv.VM); reason {
		case "trusted-launch", "confidential":
			needs = append(needs, r.T("protect.need."+reason, "VM", pv.VM.Name))
		case "disk":
			needs = append(needs, r.T("protect.need.disk", "VM", pv.VM.Name, "Disk", disk, "Type", typ))
		}
	}
	if len(needs) > 0 {
		r.p.Say(r.T("access.protect.needs", "VMs", strings.Join(needs, r.T("access.sep"))))
	}
	opts := make([]Option, 0, len(policies)+1)
	for _, pol := range policies {
		opts = append(opts, Option{Label: r.T("access.protect.policy", "Name", pol.Name, "Type", r.T("protect.type."+pol.Type)),
			Detail: steps.ScheduleText(r.tr, pol) + r.T("access.sep") + steps.RetentionText(r.tr, pol)})
	}
	create := Option{Label: r.T("protect.create.row"), Detail: r.T("protect.create.detail")}
	if len(needs) > 0 {
		create.Detail += " " + r.T("protect.create.enhanced")
	}
	opts = append(opts, create, Option{Label: r.T("access.protect.skip")})
	def := steps.DefaultPolicyChoice(policies, p.Protect.Policy, len(needs) > 0)
	if def < 0 {
		def = len(policies) + 1
	}
	i, err := r.p.Choose(r.T("access.protect.question"), opts, def)
	if err != nil {
		return err
	}
	if i == len(policies)+1 {
		r.p.Say(r.T("access.protect.skipped"))
		return nil
	}
	var pr steps.PlanProtect
	if i == len(policies) {
		name, np, err := r.newPolicy(policies, len(needs) > 0)
		if err != nil {
			return err
		}
		pr = steps.PlanProtect{Enabled: true, Policy: name, NewPolicy: &np}
	} else {
		pol := policies[i]
		if pol.Type != azure.PolicyEnhanced && len(needs) > 0 {
			r.p.Say(r.T("access.protect.needs.enhanced"))
		}
		pr = steps.PlanProtect{Enabled: true, Policy: pol.Name}
	}
	if pr.BackupNow, err = r.p.YesNo(r.T("access.protect.backup.question"), true); err != nil {
		return err
	}
	if pr.BackupNow {
		days, err := r.p.Text(r.T("access.protect.retain.question"), strconv.Itoa(steps.DefaultRetainDays), func(s string) string {
			if k := steps.RetainIssue(s); k != "" {
				return r.T(k, "Min", steps.MinRetainDays, "Max", steps.MaxRetainDays)
			}
			return ""
		})
		if err != nil {
			return err
		}
		pr.RetainDays, _ = strconv.Atoi(strings.TrimSpace(days))
	}
	prev := r.sess.Plan
	cp := *r.sess.Plan
	cp.Protect = pr
	r.sess.Plan = &cp

	w = r.p.Working(r.T("access.review.reading"), r.every())
	j, _ := steps.OpenJournal(r.sess.PlanPath + steps.JournalSuffix)
	live, err := steps.ReadLiveState(r.ctx, r.api, r.sess.Plan)
	if err == nil {
		live.Journal = j
	}
	w.Stop()
	if err != nil {
		j.Close()
		return err
	}
	all, err := steps.Changes(r.sess.Plan, live)
	j.Close()
	var conflicts steps.PlanConflicts
	if errors.As(err, &conflicts) {
		for _, c := range conflicts {
			r.p.Say(r.T(c.Reason, c.Args...))
		}
		r.sess.Plan = prev
		r.p.Say(r.T("access.protect.conflicts"))
		return nil
	}
	if err != nil {
		return err
	}
	if n := steps.PreparationPending(all); n > 0 {
		r.sess.Plan = prev
		r.p.Say(r.T("access.protect.pending", "Count", n))
		return nil
	}
	cs := steps.ProtectionChanges(all)
	r.p.Say(r.T("changes.heading", "Count", len(cs)))
	r.p.Say(r.changeLines(cs)...)
	if steps.PendingCount(cs) == 0 {
		r.p.Say(r.T("access.protect.nothing"))
		return nil
	}
	ok, err := r.p.Confirm(r.T("access.protect.confirm", "Count", steps.PendingCount(cs), "Path", r.sess.PlanPath))
	if err != nil {
		return err
	}
	if !ok {
		r.sess.Plan = prev
		r.p.Say(r.T("access.protect.declined"))
		return nil
	}
	data, err := r.sess.Plan.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(r.sess.PlanPath, data, 0o644); err != nil {
		r.p.Say(r.T("access.file.failed", "Path", r.sess.PlanPath, "Error", err.Error()))
		r.sess.Plan = prev
		return nil
	}
	r.sess.Log.Add("protect", r.T("log.protect.confirmed", "Policy", pr.Policy, "Path", r.sess.PlanPath))
	o, err := r.carryOut("protect", cs)
	if err != nil {
		return err
	}
	backups := 0
	for i, c := range cs {
		if c.Action == steps.ActionBackupNow && o.States[i] == steps.RunDone {
			backups++
		}
	}
	if backups > 0 {
		r.p.Say(r.T("protect.transfer", "Count", backups))
	}
	return nil
}

// ---- 10. summary ----

func (r *runner) summary() error {
	r.step(10, "summary")
	r.p.Say(steps.SummaryLines(r.sess, r.tr)...)
	kinds := []string{"report", "transcript", "plan"}
	for {
		opts := []Option{
			{Label: r.T("access.export.report", "Name", steps.ReportName)},
			{Label: r.T("access.export.transcript", "Name", steps.TranscriptName)},
			{Label: r.T("access.export.plan", "Name", filepath.Base(cmp.Or(r.sess.PlanPath, steps.DefaultPlanPath)))},
			{Label: r.T("access.export.done")},
		}
		i, err := r.p.Choose(r.T("access.export.question"), opts, len(opts)-1)
		if err != nil {
			return err
		}
		if i == len(kinds) {
			return nil
		}
		if kinds[i] == "plan" && r.sess.Plan == nil {
			r.p.Say(r.T("summary.noplan"))
			continue
		}
		path, data, err := steps.SummaryExport(r.sess, r.tr, kinds[i], time.Now())
		if err != nil {
			r.p.Say(r.T("access.file.failed", "Path", path, "Error", err.Error()))
			continue
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if ok, err := r.write(path, data); err != nil {
			return err
		} else if ok {
			r.p.Say(r.T("access.export.written", "Path", path))
		}
	}
}
