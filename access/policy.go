package access

import (
	"strconv"
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/steps"
)

// newPolicy asks a new backup policy's settings one at a time, as the
// Protect step's form has them, each with a default and checked as typed
// (PolicyFormIssues, the same checks as the plan file's): name, type,
// daily or weekly, start time on the hour or half hour, weekdays (weekly),
// Windows time zone, retention, snapshot days.
func (r *runner) newPolicy(existing []azure.Policy, needEnhanced bool) (string, steps.PlanPolicy, error) {
	var p steps.PlanPolicy
	retain, instant := "", ""
	// issue is what is wrong with field once the answer so far is p.
	issue := func(name, field string) string {
		is, ok := steps.PolicyFormIssues(name, retain, instant, p, existing)[field]
		if !ok {
			return ""
		}
		return r.T(is.Key, is.Args...)
	}
	name, err := r.p.Text(r.T("access.policy.name"), steps.SuggestPolicyName(existing), func(s string) string { return issue(strings.TrimSpace(s), "name") })
	if err != nil {
		return "", p, err
	}
	name = strings.TrimSpace(name)

	types := steps.PolicyTypes()
	def := 0
	if needEnhanced {
		def = 1
	}
	for {
		opts := make([]Option, len(types))
		for i, t := range types {
			opts[i] = Option{Label: r.T("protect.type." + t)}
		}
		i, err := r.p.Choose(r.T("access.policy.type"), opts, def)
		if err != nil {
			return "", p, err
		}
		if types[i] != azure.PolicyEnhanced && needEnhanced {
			r.p.Say(r.T("protect.note.form-standard"))
			continue
		}
		p.Type = types[i]
		break
	}

	freqs := steps.PolicyFrequencies()
	opts := make([]Option, len(freqs))
	for i, f := range freqs {
		opts[i] = Option{Label: r.T("protect.freq." + f)}
	}
	fi, err := r.p.Choose(r.T("access.policy.frequency"), opts, 0)
	if err != nil {
		return "", p, err
	}
	p.Frequency = freqs[fi]
	weekly := p.Frequency == steps.FrequencyWeekly

	t, err := r.p.Text(r.T("access.policy.time"), "22:30", func(s string) string {
		p.Time = strings.TrimSpace(s)
		return issue(name, "time")
	})
	if err != nil {
		return "", p, err
	}
	p.Time = strings.TrimSpace(t)

	if weekly {
		days := steps.PolicyWeekdays()
		names := make([]string, len(days))
		for i, d := range days {
			names[i] = r.T("protect.day." + d)
		}
		idx, err := r.p.PickDefault(r.T("access.policy.days"), names, []int{len(days) - 1})
		if err != nil {
			return "", p, err
		}
		p.Weekdays = nil
		for _, i := range idx {
			p.Weekdays = append(p.Weekdays, days[i])
		}
	}

	zone, err := r.p.Text(r.T("access.policy.zone"), "UTC", func(s string) string {
		if _, ok := r.zone(s); ok {
			return ""
		}
		if strings.TrimSpace(s) == "?" {
			lines := []string{r.T("access.policy.zones")}
			for i, z := range steps.PolicyTimeZones {
				lines = append(lines, strconv.Itoa(i+1)+") "+z)
			}
			return strings.Join(lines, "\n")
		}
		return r.T("access.policy.zone.bad", "Value", s)
	})
	if err != nil {
		return "", p, err
	}
	p.TimeZone, _ = r.zone(zone)

	retField, retKey, retDef := "retentionDays", "access.policy.retention.days", "30"
	if weekly {
		retField, retKey, retDef = "retentionWeeks", "access.policy.retention.weeks", "12"
	}
	setRetain := func(s string) {
		retain = strings.TrimSpace(s)
		n, _ := strconv.Atoi(retain)
		p.RetentionDays, p.RetentionWeeks = 0, 0
		if weekly {
			p.RetentionWeeks = n
		} else {
			p.RetentionDays = n
		}
	}
	lo, hi := policyRange(p, retField)
	ret, err := r.p.Text(r.T(retKey, "Min", lo, "Max", hi), retDef, func(s string) string {
		setRetain(s)
		return issue(name, retField)
	})
	if err != nil {
		return "", p, err
	}
	setRetain(ret)

	instDef := strconv.Itoa(steps.PlanPolicy{Type: p.Type, Frequency: p.Frequency}.Normalized().InstantRestoreDays)
	lo, hi = policyRange(p, "instantRestoreDays")
	key := "access.policy.instant"
	if lo == hi {
		key = "access.policy.instant.fixed"
	}
	inst, err := r.p.Text(r.T(key, "Min", lo, "Max", hi), instDef, func(s string) string {
		instant = strings.TrimSpace(s)
		p.InstantRestoreDays, _ = strconv.Atoi(instant)
		return issue(name, "instantRestoreDays")
	})
	if err != nil {
		return "", p, err
	}
	instant = strings.TrimSpace(inst)
	p.InstantRestoreDays, _ = strconv.Atoi(instant)
	p = p.Normalized()
	// Whatever the one-at-a-time checks let through, the whole must pass.
	if f, reason := steps.ValidatePlanPolicy(p); reason != "" {
		return "", p, r.fail(steps.Problem{What: reason, Why: "access.policy.bad.why", Next: "access.policy.bad.next",
			Args: steps.PlanPolicyArgs(p, f), Exit: steps.ExitUsage})
	}
	r.p.Say(r.policySummary(name, p))
	return name, p, nil
}

// zone reads a time zone typed: its number in the list, or its name in
// any case.
func (r *runner) zone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(steps.PolicyTimeZones) {
		return steps.PolicyTimeZones[n-1], true
	}
	for _, z := range steps.PolicyTimeZones {
		if strings.EqualFold(z, s) {
			return z, true
		}
	}
	return "", false
}

// policyRange is the range of a numeric field of p (PlanPolicyArgs' Min
// and Max).
func policyRange(p steps.PlanPolicy, field string) (lo, hi int) {
	args := steps.PlanPolicyArgs(p, field)
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "Min":
			lo, _ = args[i+1].(int)
		case "Max":
			hi, _ = args[i+1].(int)
		}
	}
	return lo, hi
}

// policySummary says the new policy in a sentence.
func (r *runner) policySummary(name string, p steps.PlanPolicy) string {
	var days []string
	for _, d := range p.Weekdays {
		days = append(days, r.T("protect.day."+d))
	}
	keep := r.T("access.policy.keep.days", "N", p.RetentionDays)
	if p.Frequency == steps.FrequencyWeekly {
		keep = r.T("access.policy.keep.weeks", "N", p.RetentionWeeks)
	}
	return r.T("access.policy.summary", "Name", name, "Type", r.T("protect.type."+p.Type), "Frequency", r.T("protect.freq."+p.Frequency),
		"Time", p.Time, "Zone", p.TimeZone, "Days", strings.Join(days, r.T("access.sep")), "Keep", keep, "Snapshots", p.InstantRestoreDays)
}
