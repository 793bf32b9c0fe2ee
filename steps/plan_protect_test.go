package steps

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/backupready/backupready/ui"
)

// withPolicy is planHead with protection on and a newPolicy section whose
// lines start on line 9, each indented by four spaces (keys at column 5).
func withPolicy(lines ...string) string {
	var b strings.Builder
	b.WriteString(planHead + "protect:\n  enabled: true\n  policy: DailyPolicy-30d\n  newPolicy:\n")
	for _, l := range lines {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

func TestDecodePlanProtect(t *testing.T) {
	daily := func(mod func(*PlanPolicy)) *PlanPolicy {
		p := &PlanPolicy{Type: "Standard", Frequency: "Daily", Time: "22:30", TimeZone: "UTC", RetentionDays: 30, InstantRestoreDays: 2}
		if mod != nil {
			mod(p)
		}
		return p
	}
	cases := []struct {
		name, src string
		want      PlanProtect
	}{
		{"existing policy", planHead + "protect: {enabled: true, policy: DefaultPolicy}\n",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy"}},
		{"backupNow fills retainDays", planHead + "protect: {enabled: true, policy: DefaultPolicy, backupNow: true}\n",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: 30}},
		{"retainDays", planHead + "protect: {enabled: true, policy: DefaultPolicy, backupNow: true, retainDays: 7}\n",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: 7}},
		{"retainDays bounds", planHead + "protect: {enabled: true, policy: DefaultPolicy, backupNow: true, retainDays: 99}\n",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: 99}},
		{"retainDays null", planHead + "protect: {enabled: true, policy: DefaultPolicy, backupNow: true, retainDays: null}\n",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: 30}},
		{"newPolicy null", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  newPolicy:\n",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy"}},
		{"daily defaults", withPolicy(`time: "22:30"`, "retentionDays: 30"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: daily(nil)}},
		{"time unquoted", withPolicy("time: 22:30", "retentionDays: 30"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: daily(nil)}},
		{"time midnight", withPolicy("time: '00:00'", "retentionDays: 7"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: daily(func(p *PlanPolicy) { p.Time, p.RetentionDays = "00:00", 7 })}},
		{"daily limits", withPolicy("time: '23:30'", "retentionDays: 9999", "instantRestoreDays: 5"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: daily(func(p *PlanPolicy) { p.Time, p.RetentionDays, p.InstantRestoreDays = "23:30", 9999, 5 })}},
		{"enhanced daily", withPolicy("type: Enhanced", "time: '01:00'", "retentionDays: 30", "instantRestoreDays: 30"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: daily(func(p *PlanPolicy) { p.Type, p.Time, p.InstantRestoreDays = "Enhanced", "01:00", 30 })}},
		{"weekly standard", withPolicy("frequency: Weekly", "time: '22:30'", "weekdays: [Sunday]", "retentionWeeks: 12"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: &PlanPolicy{Type: "Standard", Frequency: "Weekly", Time: "22:30",
				Weekdays: []string{"Sunday"}, TimeZone: "UTC", RetentionWeeks: 12, InstantRestoreDays: 5}}},
		{"weekly enhanced", withPolicy("type: Enhanced", "frequency: Weekly", "time: '06:00'", "weekdays: [Monday, Friday]", "retentionWeeks: 5163"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: &PlanPolicy{Type: "Enhanced", Frequency: "Weekly", Time: "06:00",
				Weekdays: []string{"Monday", "Friday"}, TimeZone: "UTC", RetentionWeeks: 5163, InstantRestoreDays: 2}}},
		{"canonical spelling", withPolicy("type: enhanced", "frequency: WEEKLY", "time: '22:30'", "weekdays:", "  - sunday", "  - wednesday",
			"timeZone: w. europe standard TIME", "retentionWeeks: 1", "instantRestoreDays: 1"),
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: &PlanPolicy{Type: "Enhanced", Frequency: "Weekly", Time: "22:30",
				Weekdays: []string{"Sunday", "Wednesday"}, TimeZone: "W. Europe Standard Time", RetentionWeeks: 1, InstantRestoreDays: 1}}},
		{"the documented example", planHead + `protect:
  enabled: true
  policy: DailyPolicy-30d        # required when enabled
  newPolicy:                     # create it when the vault has none of that name
    type: Standard
    frequency: Daily
    time: "22:30"
    timeZone: Tokyo Standard Time
    retentionDays: 30
    instantRestoreDays: 2
  backupNow: true
  retainDays: 45
`, PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: daily(func(p *PlanPolicy) { p.TimeZone = "Tokyo Standard Time" }),
			BackupNow: true, RetainDays: 45}},
		{"flow", planHead + "protect: {enabled: true, policy: Weekly-1, newPolicy: {frequency: weekly, time: '12:00', weekdays: [saturday], retentionWeeks: 4}, backupNow: true}\n",
			PlanProtect{Enabled: true, Policy: "Weekly-1", BackupNow: true, RetainDays: 30, NewPolicy: &PlanPolicy{Type: "Standard", Frequency: "Weekly",
				Time: "12:00", Weekdays: []string{"Saturday"}, TimeZone: "UTC", RetentionWeeks: 4, InstantRestoreDays: 5}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := DecodePlan([]byte(c.src), "plan.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Protect, c.want) {
				t.Fatalf("got  %+v %+v\nwant %+v %+v", p.Protect, p.Protect.NewPolicy, c.want, c.want.NewPolicy)
			}
		})
	}
}

func TestDecodePlanProtectErrors(t *testing.T) {
	std := []string{`time: "22:30"`, "retentionDays: 30"}
	weekly := func(extra ...string) []string {
		return append([]string{"frequency: Weekly", "time: '22:30'"}, extra...)
	}
	cases := []struct {
		name, src string
		line, col int
		field     string
		reason    string
		args      map[string]any
	}{
		// protect itself
		{"newPolicy not enabled", planHead + "protect:\n  policy: DailyPolicy-30d\n  newPolicy: {time: '22:30', retentionDays: 30}\n",
			7, 3, "protect.newPolicy", "plan.err.protect.new-policy", nil},
		{"newPolicy enabled false", planHead + "protect:\n  enabled: false\n  policy: DailyPolicy-30d\n  newPolicy: {time: '22:30', retentionDays: 30}\n",
			8, 3, "protect.newPolicy", "plan.err.protect.new-policy", nil},
		{"newPolicy without policy", planHead + "protect:\n  enabled: true\n  newPolicy: {time: '22:30', retentionDays: 30}\n",
			5, 1, "protect.policy", "plan.err.protect.policy", nil},
		{"newPolicy scalar", planHead + "protect:\n  enabled: true\n  policy: DailyPolicy-30d\n  newPolicy: DailyPolicy-30d\n",
			8, 14, "protect.newPolicy", "plan.err.type.mapping", nil},
		{"retainDays without backupNow", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  retainDays: 30\n",
			8, 3, "protect.retainDays", "plan.err.protect.retain-days.unused", nil},
		{"retainDays backupNow false", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  backupNow: false\n  retainDays: 30\n",
			9, 3, "protect.retainDays", "plan.err.protect.retain-days.unused", nil},
		{"retainDays protection off", planHead + "protect:\n  retainDays: 30\n", 6, 3, "protect.retainDays", "plan.err.protect.retain-days.unused", nil},
		{"retainDays zero", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  backupNow: true\n  retainDays: 0\n",
			9, 15, "protect.retainDays", "plan.err.protect.retain-days.range", map[string]any{"Got": "0", "Min": 1, "Max": 99}},
		{"retainDays 100", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  backupNow: true\n  retainDays: 100\n",
			9, 15, "protect.retainDays", "plan.err.protect.retain-days.range", map[string]any{"Got": "100"}},
		{"retainDays huge", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  backupNow: true\n  retainDays: 99999999999999999999\n",
			9, 15, "protect.retainDays", "plan.err.protect.retain-days.range", nil},
		{"retainDays text", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  backupNow: true\n  retainDays: \"30\"\n",
			9, 15, "protect.retainDays", "plan.err.type.int", nil},
		{"retainDays misspelt", planHead + "protect:\n  enabled: true\n  policy: DefaultPolicy\n  backupNow: true\n  retainDay: 30\n",
			9, 3, "protect.retainDay", "plan.err.unknown-key.suggest", map[string]any{"Suggest": "retainDays"}},

		// keys and types inside newPolicy
		{"unknown key", withPolicy(append(std, "instantRestore: 2")...), 11, 5, "protect.newPolicy.instantRestore", "plan.err.unknown-key.suggest", map[string]any{"Suggest": "instantRestoreDays"}},
		{"key case", withPolicy(append(std, "timezone: UTC")...), 11, 5, "protect.newPolicy.timezone", "plan.err.unknown-key.suggest", map[string]any{"Suggest": "timeZone"}},
		{"unknown key no hint", withPolicy(append(std, "colour: blue")...), 11, 5, "protect.newPolicy.colour", "plan.err.unknown-key", nil},
		{"duplicate key", withPolicy(append(std, "time: '23:00'")...), 11, 5, "protect.newPolicy.time", "plan.err.duplicate-key", map[string]any{"First": 9}},
		{"alias", planHead + "protect:\n  enabled: true\n  policy: &p DailyPolicy-30d\n  newPolicy: {time: *p}\n", 8, 21, "protect.newPolicy.time", "plan.err.alias", nil},
		{"type list", withPolicy("type: [Standard]", "time: '22:30'", "retentionDays: 30"), 9, 11, "protect.newPolicy.type", "plan.err.type.string", nil},
		{"weekdays scalar", withPolicy(weekly("weekdays: Sunday", "retentionWeeks: 4")...), 11, 15, "protect.newPolicy.weekdays", "plan.err.type.list", nil},
		{"weekday entry list", withPolicy(weekly("weekdays: [[Sunday]]", "retentionWeeks: 4")...), 11, 16, "protect.newPolicy.weekdays[0]", "plan.err.type.string", nil},
		{"retentionDays text", withPolicy(`time: "22:30"`, `retentionDays: "30"`), 10, 20, "protect.newPolicy.retentionDays", "plan.err.type.int", nil},
		{"retentionDays float", withPolicy(`time: "22:30"`, "retentionDays: 30.5"), 10, 20, "protect.newPolicy.retentionDays", "plan.err.type.int", nil},
		{"instantRestoreDays bool", withPolicy(append(std, "instantRestoreDays: true")...), 11, 25, "protect.newPolicy.instantRestoreDays", "plan.err.type.int", nil},

		// type and frequency
		{"type", withPolicy("type: Premium", "time: '22:30'", "retentionDays: 30"), 9, 11, "protect.newPolicy.type", "plan.err.policy.type",
			map[string]any{"Got": "Premium", "Allowed": "Standard, Enhanced"}},
		{"frequency", withPolicy("frequency: Monthly", "time: '22:30'", "retentionDays: 30"), 9, 16, "protect.newPolicy.frequency", "plan.err.policy.frequency",
			map[string]any{"Got": "Monthly", "Allowed": "Daily, Weekly"}},
		{"frequency hourly", withPolicy("frequency: Hourly", "time: '22:30'", "retentionDays: 30"), 9, 16, "protect.newPolicy.frequency", "plan.err.policy.frequency", nil},

		// time
		{"time missing", withPolicy("retentionDays: 30"), 8, 3, "protect.newPolicy.time", "plan.err.policy.time.required", nil},
		{"time null", withPolicy("time:", "retentionDays: 30"), 9, 5, "protect.newPolicy.time", "plan.err.policy.time.required", nil},
		{"time empty", withPolicy(`time: ""`, "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time.required", nil},
		{"time quarter", withPolicy(`time: "22:15"`, "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time", map[string]any{"Got": "22:15"}},
		{"time unquoted quarter", withPolicy("time: 22:15", "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time", map[string]any{"Got": "22:15"}},
		{"time one digit hour", withPolicy("time: 9:30", "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time", map[string]any{"Got": "9:30"}},
		{"time 24:00", withPolicy("time: '24:00'", "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time", nil},
		{"time seconds", withPolicy("time: '22:30:00'", "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time", nil},
		{"time pm", withPolicy("time: 10:30 PM", "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time", nil},
		{"time number", withPolicy("time: 2230", "retentionDays: 30"), 9, 11, "protect.newPolicy.time", "plan.err.policy.time", map[string]any{"Got": "2230"}},
		{"time before type", withPolicy("retentionDays: 30", "type: Basic"), 10, 11, "protect.newPolicy.type", "plan.err.policy.type", nil},

		// weekdays
		{"weekdays missing", withPolicy(weekly("retentionWeeks: 12")...), 9, 16, "protect.newPolicy.weekdays", "plan.err.policy.weekdays.required",
			map[string]any{"Allowed": "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday"}},
		{"weekdays empty list", withPolicy(weekly("weekdays: []", "retentionWeeks: 12")...), 11, 15, "protect.newPolicy.weekdays", "plan.err.policy.weekdays.required", nil},
		{"weekdays null", withPolicy(weekly("weekdays:", "retentionWeeks: 12")...), 11, 5, "protect.newPolicy.weekdays", "plan.err.policy.weekdays.required", nil},
		{"weekdays with daily", withPolicy(`time: "22:30"`, "weekdays: [Sunday]", "retentionDays: 30"), 10, 5, "protect.newPolicy.weekdays", "plan.err.policy.weekdays.daily", nil},
		{"weekdays empty with daily", withPolicy(`time: "22:30"`, "weekdays: []", "retentionDays: 30"), 10, 5, "protect.newPolicy.weekdays", "plan.err.policy.weekdays.daily", nil},
		{"weekdays with explicit daily", withPolicy("frequency: daily", `time: "22:30"`, "weekdays: [Sunday]", "retentionDays: 30"), 11, 5, "protect.newPolicy.weekdays", "plan.err.policy.weekdays.daily", nil},
		{"weekday unknown", withPolicy(weekly("weekdays: [Sunday, Funday]", "retentionWeeks: 12")...), 11, 24, "protect.newPolicy.weekdays[1]", "plan.err.policy.weekdays.day", map[string]any{"Got": "Funday"}},
		{"weekday short", withPolicy(weekly("weekdays: [Sun]", "retentionWeeks: 12")...), 11, 16, "protect.newPolicy.weekdays[0]", "plan.err.policy.weekdays.day", map[string]any{"Got": "Sun"}},
		{"weekday empty", withPolicy(weekly("weekdays: [Sunday, '']", "retentionWeeks: 12")...), 11, 24, "protect.newPolicy.weekdays[1]", "plan.err.policy.weekdays.day", map[string]any{"Got": ""}},
		{"weekday duplicate", withPolicy(weekly("weekdays:", "  - Sunday", "  - Monday", "  - sunday", "retentionWeeks: 12")...), 14, 9, "protect.newPolicy.weekdays[2]", "plan.err.policy.weekdays.duplicate", map[string]any{"Got": "sunday"}},

		// time zone
		{"time zone IANA", withPolicy(append(std, "timeZone: Europe/Berlin")...), 11, 15, "protect.newPolicy.timeZone", "plan.err.policy.time-zone", map[string]any{"Got": "Europe/Berlin"}},
		{"time zone abbreviation", withPolicy(append(std, "timeZone: CET")...), 11, 15, "protect.newPolicy.timeZone", "plan.err.policy.time-zone", map[string]any{"Got": "CET"}},
		{"time zone empty", withPolicy(append(std, "timeZone: ''")...), 11, 15, "protect.newPolicy.timeZone", "plan.err.policy.time-zone", map[string]any{"Got": ""}},
		{"type empty", withPolicy(append(std, "type: ''")...), 11, 11, "protect.newPolicy.type", "plan.err.policy.type", map[string]any{"Got": ""}},
		{"frequency empty", withPolicy(append(std, `frequency: ""`)...), 11, 16, "protect.newPolicy.frequency", "plan.err.policy.frequency", map[string]any{"Got": ""}},

		// retention
		{"retentionDays missing", withPolicy(`time: "22:30"`), 8, 3, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.required", map[string]any{"Min": 7, "Max": 9999}},
		{"retentionDays missing daily", withPolicy("frequency: Daily", `time: "22:30"`), 9, 16, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.required", nil},
		{"retentionDays null", withPolicy(`time: "22:30"`, "retentionDays:"), 10, 5, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.required", nil},
		{"retentionDays 6", withPolicy(`time: "22:30"`, "retentionDays: 6"), 10, 20, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.range",
			map[string]any{"Got": "6", "Min": 7, "Max": 9999}},
		{"retentionDays 10000", withPolicy(`time: "22:30"`, "retentionDays: 10000"), 10, 20, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.range", map[string]any{"Got": "10000"}},
		{"retentionDays 0", withPolicy(`time: "22:30"`, "retentionDays: 0"), 10, 20, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.range", map[string]any{"Got": "0"}},
		{"retentionDays negative", withPolicy(`time: "22:30"`, "retentionDays: -30"), 10, 20, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.range", map[string]any{"Got": "-30"}},
		{"retentionDays huge", withPolicy(`time: "22:30"`, "retentionDays: 99999999999999999999"), 10, 20, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.range",
			map[string]any{"Got": "99999999999999999999"}},
		{"retentionDays with weekly", withPolicy(weekly("weekdays: [Sunday]", "retentionDays: 30", "retentionWeeks: 4")...), 12, 5, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.weekly", nil},
		{"retentionDays 0 with weekly", withPolicy(weekly("weekdays: [Sunday]", "retentionDays: 0", "retentionWeeks: 4")...), 12, 5, "protect.newPolicy.retentionDays", "plan.err.policy.retention-days.weekly", nil},
		{"retentionWeeks with daily", withPolicy(append(std, "retentionWeeks: 4")...), 11, 5, "protect.newPolicy.retentionWeeks", "plan.err.policy.retention-weeks.daily", nil},
		{"retentionWeeks 0 with daily", withPolicy(append(std, "retentionWeeks: 0")...), 11, 5, "protect.newPolicy.retentionWeeks", "plan.err.policy.retention-weeks.daily", nil},
		{"retentionWeeks missing", withPolicy(weekly("weekdays: [Sunday]")...), 9, 16, "protect.newPolicy.retentionWeeks", "plan.err.policy.retention-weeks.required", map[string]any{"Min": 1, "Max": 5163}},
		{"retentionWeeks 0", withPolicy(weekly("weekdays: [Sunday]", "retentionWeeks: 0")...), 12, 21, "protect.newPolicy.retentionWeeks", "plan.err.policy.retention-weeks.range", map[string]any{"Got": "0"}},
		{"retentionWeeks 5164", withPolicy(weekly("weekdays: [Sunday]", "retentionWeeks: 5164")...), 12, 21, "protect.newPolicy.retentionWeeks", "plan.err.policy.retention-weeks.range",
			map[string]any{"Got": "5164", "Min": 1, "Max": 5163}},

		// instant restore
		{"instant standard 6", withPolicy(append(std, "instantRestoreDays: 6")...), 11, 25, "protect.newPolicy.instantRestoreDays", "plan.err.policy.instant-restore.range",
			map[string]any{"Got": "6", "Min": 1, "Max": 5, "Type": "Standard"}},
		{"instant 0", withPolicy(append(std, "instantRestoreDays: 0")...), 11, 25, "protect.newPolicy.instantRestoreDays", "plan.err.policy.instant-restore.range", map[string]any{"Got": "0"}},
		{"instant enhanced 31", withPolicy(append([]string{"type: Enhanced"}, append(std, "instantRestoreDays: 31")...)...), 12, 25, "protect.newPolicy.instantRestoreDays", "plan.err.policy.instant-restore.range",
			map[string]any{"Got": "31", "Min": 1, "Max": 30, "Type": "Enhanced"}},
		{"instant weekly standard", withPolicy(weekly("weekdays: [Sunday]", "retentionWeeks: 4", "instantRestoreDays: 2")...), 13, 25, "protect.newPolicy.instantRestoreDays", "plan.err.policy.instant-restore.weekly-standard",
			map[string]any{"Got": "2", "Max": 5}},

		// flow style
		{"flow weekday duplicate", planHead + "protect: {enabled: true, policy: W-1, newPolicy: {frequency: Weekly, time: '22:30', weekdays: [Monday, Monday], retentionWeeks: 4}}\n",
			5, 104, "protect.newPolicy.weekdays[1]", "plan.err.policy.weekdays.duplicate", map[string]any{"Got": "Monday"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := DecodePlan([]byte(c.src), "plan.yaml")
			if err == nil {
				t.Fatalf("no error, got %+v %+v", p.Protect, p.Protect.NewPolicy)
			}
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *PlanError: %T %v", err, err)
			}
			if pe.File != "plan.yaml" || pe.Reason != c.reason || pe.Field != c.field {
				t.Errorf("got field %q reason %q, want field %q reason %q (%v)", pe.Field, pe.Reason, c.field, c.reason, pe)
			}
			if pe.Line != c.line || pe.Column != c.col {
				t.Errorf("at %d:%d, want %d:%d (%v)", pe.Line, pe.Column, c.line, c.col, pe)
			}
			for k, v := range c.args {
				if got := pe.Arg(k); got != v {
					t.Errorf("arg %s = %#v, want %#v", k, got, v)
				}
			}
			checkErrorText(t, pe)
		})
	}
}

func TestValidatePlanPolicy(t *testing.T) {
	ok := PlanPolicy{Time: "22:30", RetentionDays: 30}
	wk := PlanPolicy{Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Sunday"}, RetentionWeeks: 12}
	with := func(p PlanPolicy, mod func(*PlanPolicy)) PlanPolicy {
		p.Weekdays = append([]string(nil), p.Weekdays...)
		mod(&p)
		return p
	}
	cases := []struct {
		name          string
		in            PlanPolicy
		field, reason string
	}{
		{"defaults", ok, "", ""},
		{"spelled out", PlanPolicy{Type: "Standard", Frequency: "Daily", Time: "00:30", TimeZone: "UTC", RetentionDays: 7, InstantRestoreDays: 5}, "", ""},
		{"any case", PlanPolicy{Type: "ENHANCED", Frequency: "weekly", Time: "12:00", Weekdays: []string{"monday", "SUNDAY"}, TimeZone: "india standard time", RetentionWeeks: 1, InstantRestoreDays: 30}, "", ""},
		{"weekly", wk, "", ""},
		{"weekly standard 5", with(wk, func(p *PlanPolicy) { p.InstantRestoreDays = 5 }), "", ""},
		{"every weekday", with(wk, func(p *PlanPolicy) { p.Weekdays = policyWeekdays }), "", ""},
		{"zero", PlanPolicy{}, "time", "plan.err.policy.time.required"},
		{"type", with(ok, func(p *PlanPolicy) { p.Type = "V2" }), "type", "plan.err.policy.type"},
		{"frequency", with(ok, func(p *PlanPolicy) { p.Frequency = "Hourly" }), "frequency", "plan.err.policy.frequency"},
		{"time 7:00", with(ok, func(p *PlanPolicy) { p.Time = "7:00" }), "time", "plan.err.policy.time"},
		{"time 22:31", with(ok, func(p *PlanPolicy) { p.Time = "22:31" }), "time", "plan.err.policy.time"},
		{"time 25:00", with(ok, func(p *PlanPolicy) { p.Time = "25:00" }), "time", "plan.err.policy.time"},
		{"time 22.30", with(ok, func(p *PlanPolicy) { p.Time = "22.30" }), "time", "plan.err.policy.time"},
		{"time fullwidth", with(ok, func(p *PlanPolicy) { p.Time = "２２:３０" }), "time", "plan.err.policy.time"},
		{"time space", with(ok, func(p *PlanPolicy) { p.Time = " 22:30" }), "time", "plan.err.policy.time"},
		{"weekdays daily", with(ok, func(p *PlanPolicy) { p.Weekdays = []string{"Monday"} }), "weekdays", "plan.err.policy.weekdays.daily"},
		{"weekdays none", with(wk, func(p *PlanPolicy) { p.Weekdays = nil }), "weekdays", "plan.err.policy.weekdays.required"},
		{"weekdays empty", with(wk, func(p *PlanPolicy) { p.Weekdays = []string{} }), "weekdays", "plan.err.policy.weekdays.required"},
		{"weekday bad", with(wk, func(p *PlanPolicy) { p.Weekdays = []string{"Sunday", "Sonntag"} }), "weekdays", "plan.err.policy.weekdays.day"},
		{"weekday dup", with(wk, func(p *PlanPolicy) { p.Weekdays = []string{"Friday", "FRIDAY"} }), "weekdays", "plan.err.policy.weekdays.duplicate"},
		{"time zone", with(ok, func(p *PlanPolicy) { p.TimeZone = "Asia/Tokyo" }), "timeZone", "plan.err.policy.time-zone"},
		{"time zone partial", with(ok, func(p *PlanPolicy) { p.TimeZone = "Tokyo" }), "timeZone", "plan.err.policy.time-zone"},
		{"days missing", with(ok, func(p *PlanPolicy) { p.RetentionDays = 0 }), "retentionDays", "plan.err.policy.retention-days.required"},
		{"days 6", with(ok, func(p *PlanPolicy) { p.RetentionDays = 6 }), "retentionDays", "plan.err.policy.retention-days.range"},
		{"days 9999", with(ok, func(p *PlanPolicy) { p.RetentionDays = 9999 }), "", ""},
		{"days 10000", with(ok, func(p *PlanPolicy) { p.RetentionDays = 10000 }), "retentionDays", "plan.err.policy.retention-days.range"},
		{"days negative", with(ok, func(p *PlanPolicy) { p.RetentionDays = -1 }), "retentionDays", "plan.err.policy.retention-days.range"},
		{"days weekly", with(wk, func(p *PlanPolicy) { p.RetentionDays = 30 }), "retentionDays", "plan.err.policy.retention-days.weekly"},
		{"weeks daily", with(ok, func(p *PlanPolicy) { p.RetentionWeeks = 4 }), "retentionWeeks", "plan.err.policy.retention-weeks.daily"},
		{"weeks missing", with(wk, func(p *PlanPolicy) { p.RetentionWeeks = 0 }), "retentionWeeks", "plan.err.policy.retention-weeks.required"},
		{"weeks 5163", with(wk, func(p *PlanPolicy) { p.RetentionWeeks = 5163 }), "", ""},
		{"weeks 5164", with(wk, func(p *PlanPolicy) { p.RetentionWeeks = 5164 }), "retentionWeeks", "plan.err.policy.retention-weeks.range"},
		{"instant 6", with(ok, func(p *PlanPolicy) { p.InstantRestoreDays = 6 }), "instantRestoreDays", "plan.err.policy.instant-restore.range"},
		{"instant negative", with(ok, func(p *PlanPolicy) { p.InstantRestoreDays = -2 }), "instantRestoreDays", "plan.err.policy.instant-restore.range"},
		{"instant enhanced 30", with(ok, func(p *PlanPolicy) { p.Type, p.InstantRestoreDays = "Enhanced", 30 }), "", ""},
		{"instant enhanced 31", with(ok, func(p *PlanPolicy) { p.Type, p.InstantRestoreDays = "Enhanced", 31 }), "instantRestoreDays", "plan.err.policy.instant-restore.range"},
		{"instant weekly standard 4", with(wk, func(p *PlanPolicy) { p.InstantRestoreDays = 4 }), "instantRestoreDays", "plan.err.policy.instant-restore.weekly-standard"},
		{"instant weekly enhanced 4", with(wk, func(p *PlanPolicy) { p.Type, p.InstantRestoreDays = "Enhanced", 4 }), "", ""},
		// The first problem in key order wins.
		{"order", PlanPolicy{Type: "x", Frequency: "y", Time: "z"}, "type", "plan.err.policy.type"},
		{"order 2", PlanPolicy{Frequency: "Weekly", Time: "22:30", TimeZone: "Mars", RetentionDays: 1}, "weekdays", "plan.err.policy.weekdays.required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			field, reason := ValidatePlanPolicy(c.in)
			if field != c.field || reason != c.reason {
				t.Fatalf("ValidatePlanPolicy(%+v) = %q, %q; want %q, %q", c.in, field, reason, c.field, c.reason)
			}
		})
	}
}

// The Protect step's form shows ValidatePlanPolicy's reason with
// PlanPolicyArgs only (no file, line or field): every message is complete.
func TestPlanPolicyArgsRender(t *testing.T) {
	cases := map[string]PlanPolicy{
		"plan.err.policy.type":                            {Type: "Basic", Time: "22:30", RetentionDays: 30},
		"plan.err.policy.frequency":                       {Frequency: "Monthly", Time: "22:30", RetentionDays: 30},
		"plan.err.policy.time.required":                   {RetentionDays: 30},
		"plan.err.policy.time":                            {Time: "22:15", RetentionDays: 30},
		"plan.err.policy.weekdays.required":               {Frequency: "Weekly", Time: "22:30", RetentionWeeks: 4},
		"plan.err.policy.weekdays.daily":                  {Time: "22:30", Weekdays: []string{"Monday"}, RetentionDays: 30},
		"plan.err.policy.weekdays.day":                    {Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Monday", "Mon"}, RetentionWeeks: 4},
		"plan.err.policy.weekdays.duplicate":              {Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Monday", "monday"}, RetentionWeeks: 4},
		"plan.err.policy.time-zone":                       {Time: "22:30", TimeZone: "CET", RetentionDays: 30},
		"plan.err.policy.retention-days.required":         {Time: "22:30"},
		"plan.err.policy.retention-days.weekly":           {Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Monday"}, RetentionDays: 30, RetentionWeeks: 4},
		"plan.err.policy.retention-days.range":            {Time: "22:30", RetentionDays: 3},
		"plan.err.policy.retention-weeks.required":        {Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Monday"}},
		"plan.err.policy.retention-weeks.daily":           {Time: "22:30", RetentionDays: 30, RetentionWeeks: 4},
		"plan.err.policy.retention-weeks.range":           {Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Monday"}, RetentionWeeks: 6000},
		"plan.err.policy.instant-restore.range":           {Type: "Enhanced", Time: "22:30", RetentionDays: 30, InstantRestoreDays: 45},
		"plan.err.policy.instant-restore.weekly-standard": {Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Monday"}, RetentionWeeks: 4, InstantRestoreDays: 3},
	}
	wantGot := map[string]string{"plan.err.policy.time": "22:15", "plan.err.policy.weekdays.day": "Mon", "plan.err.policy.weekdays.duplicate": "monday",
		"plan.err.policy.time-zone": "CET", "plan.err.policy.retention-days.range": "3", "plan.err.policy.instant-restore.range": "45"}
	for reason, p := range cases {
		field, got := ValidatePlanPolicy(p)
		if got != reason {
			t.Errorf("%+v: reason %q, want %q", p, got, reason)
			continue
		}
		args := PlanPolicyArgs(p, field)
		if w, ok := wantGot[reason]; ok {
			pe := &PlanError{Args: args}
			if pe.Arg("Got") != w {
				t.Errorf("%s: Got = %v, want %q", reason, pe.Arg("Got"), w)
			}
		}
		for _, lang := range ui.Languages {
			tr, err := ui.NewTranslator(lang)
			if err != nil {
				t.Fatal(err)
			}
			s := tr.T(reason, args...)
			if s == reason || strings.Contains(s, "<no value>") || strings.Contains(s, "plan.err") {
				t.Errorf("%s %s: %q", lang, reason, s)
			}
		}
	}
	// The English time message says what to write, as in the brief.
	tr, _ := ui.NewTranslator("en")
	p := PlanPolicy{Time: "22:15", RetentionDays: 30}
	f, r := ValidatePlanPolicy(p)
	if s := tr.T(r, PlanPolicyArgs(p, f)...); !strings.Contains(s, "such as 22:30") || !strings.Contains(s, "22:15") {
		t.Errorf("time message: %q", s)
	}
}

func TestPlanPolicyNormalized(t *testing.T) {
	in := PlanPolicy{Type: "enhanced", Frequency: "WEEKLY", Time: "22:30", Weekdays: []string{"sunday", "Funday"}, TimeZone: "tokyo standard time", RetentionWeeks: 3}
	days := append([]string(nil), in.Weekdays...)
	got := in.Normalized()
	want := PlanPolicy{Type: "Enhanced", Frequency: "Weekly", Time: "22:30", Weekdays: []string{"Sunday", "Funday"}, TimeZone: "Tokyo Standard Time", RetentionWeeks: 3, InstantRestoreDays: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(in.Weekdays, days) {
		t.Errorf("Normalized changed its receiver's weekdays: %v", in.Weekdays)
	}
	for _, c := range []struct {
		typ, freq string
		want      int
	}{{"", "", 2}, {"Standard", "Weekly", 5}, {"Enhanced", "Weekly", 2}, {"Enhanced", "Daily", 2}} {
		if got := (PlanPolicy{Type: c.typ, Frequency: c.freq}).Normalized().InstantRestoreDays; got != c.want {
			t.Errorf("%s %s: instantRestoreDays default %d, want %d", c.typ, c.freq, got, c.want)
		}
	}
	if got := (PlanPolicy{Weekdays: []string{}}).Normalized().Weekdays; got != nil {
		t.Errorf("empty weekdays should normalise to nil, got %#v", got)
	}
}

func TestPolicyTimeZones(t *testing.T) {
	required := []string{"UTC", "GMT Standard Time", "W. Europe Standard Time", "Central Europe Standard Time", "Romance Standard Time",
		"E. Europe Standard Time", "Russian Standard Time", "Arabian Standard Time", "India Standard Time", "SE Asia Standard Time",
		"China Standard Time", "Singapore Standard Time", "Taipei Standard Time", "Tokyo Standard Time", "Korea Standard Time",
		"AUS Eastern Standard Time", "New Zealand Standard Time", "Eastern Standard Time", "Central Standard Time",
		"Mountain Standard Time", "Pacific Standard Time", "Alaskan Standard Time", "Hawaiian Standard Time", "E. South America Standard Time"}
	for _, z := range required {
		if !contains(PolicyTimeZones, z) {
			t.Errorf("PolicyTimeZones lacks %q", z)
		}
	}
	if PolicyTimeZones[0] != "UTC" {
		t.Errorf("UTC should come first, got %q", PolicyTimeZones[0])
	}
	seen := map[string]bool{}
	for _, z := range PolicyTimeZones {
		if seen[strings.ToLower(z)] || strings.TrimSpace(z) != z {
			t.Errorf("duplicate or padded time zone %q", z)
		}
		seen[strings.ToLower(z)] = true
		p := PlanPolicy{Time: "22:30", RetentionDays: 30, TimeZone: strings.ToUpper(z)}
		if f, r := ValidatePlanPolicy(p); r != "" {
			t.Errorf("%q: %s %s", z, f, r)
		}
		if got := p.Normalized().TimeZone; got != z {
			t.Errorf("%q normalises to %q", p.TimeZone, got)
		}
	}
}

func TestPlanProtectRoundTrip(t *testing.T) {
	base := func(pr PlanProtect) *Plan {
		return &Plan{Version: 1, Cloud: CloudPublic, Subscription: testSub, VMs: []string{testVM("web-1")},
			Vault:      PlanVault{Name: "rsv-weu", ResourceGroup: "rg-backup", Location: "westeurope"},
			Redundancy: PlanRedundancy{Keep: true}, Network: PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto},
			Agent: PlanAgent{Fix: AgentFixInstructions}, Protect: pr}
	}
	cases := []struct {
		name     string
		in, want PlanProtect
		has      []string
		hasNot   []string
	}{
		{"weekly policy",
			PlanProtect{Enabled: true, Policy: "Weekly-Sun", BackupNow: true, RetainDays: 14, NewPolicy: &PlanPolicy{Type: "Standard", Frequency: "Weekly",
				Time: "22:30", Weekdays: []string{"Sunday", "Wednesday"}, TimeZone: "W. Europe Standard Time", RetentionWeeks: 12, InstantRestoreDays: 5}},
			PlanProtect{Enabled: true, Policy: "Weekly-Sun", BackupNow: true, RetainDays: 14, NewPolicy: &PlanPolicy{Type: "Standard", Frequency: "Weekly",
				Time: "22:30", Weekdays: []string{"Sunday", "Wednesday"}, TimeZone: "W. Europe Standard Time", RetentionWeeks: 12, InstantRestoreDays: 5}},
			[]string{"protect:\n  enabled: true\n  policy: Weekly-Sun\n  newPolicy:\n    type: Standard\n    frequency: Weekly\n",
				"weekdays: [Sunday, Wednesday]", "timeZone: W. Europe Standard Time", "retentionWeeks: 12", "instantRestoreDays: 5", "retainDays: 14"},
			[]string{"retentionDays"}},
		{"daily policy filled in",
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", NewPolicy: &PlanPolicy{Type: "enhanced", Time: "01:00", TimeZone: "utc", RetentionDays: 30}, BackupNow: true},
			PlanProtect{Enabled: true, Policy: "DailyPolicy-30d", BackupNow: true, RetainDays: 30, NewPolicy: &PlanPolicy{Type: "Enhanced", Frequency: "Daily",
				Time: "01:00", TimeZone: "UTC", RetentionDays: 30, InstantRestoreDays: 2}},
			[]string{"type: Enhanced", "frequency: Daily", "timeZone: UTC", "retentionDays: 30", "instantRestoreDays: 2", "retainDays: 30"},
			[]string{"weekdays", "retentionWeeks"}},
		{"no new policy stays on one line",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true},
			PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true, RetainDays: 30},
			[]string{"protect: {enabled: true, policy: DefaultPolicy, backupNow: true, retainDays: 30}"}, []string{"newPolicy"}},
		{"retainDays only with backupNow",
			PlanProtect{Enabled: true, Policy: "DefaultPolicy", RetainDays: 12},
			PlanProtect{Enabled: true, Policy: "DefaultPolicy"},
			[]string{"protect: {enabled: true, policy: DefaultPolicy, backupNow: false}"}, []string{"retainDays"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base(c.in)
			out, err := p.Encode()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.has {
				if !strings.Contains(string(out), s) {
					t.Errorf("encoded plan lacks %q:\n%s", s, out)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(string(out), s) {
					t.Errorf("encoded plan has %q:\n%s", s, out)
				}
			}
			q, err := DecodePlan(out, "encoded")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			want := base(c.want)
			if !reflect.DeepEqual(q, want) {
				t.Errorf("decoded %+v %+v\nwant    %+v %+v\n%s", q.Protect, q.Protect.NewPolicy, want.Protect, want.Protect.NewPolicy, out)
			}
			again, err := q.Encode()
			if err != nil || string(again) != string(out) {
				t.Errorf("second encoding differs (%v):\n%s\n%s", err, out, again)
			}
		})
	}

	// An invalid policy, or one without protection, is refused as apply would.
	for _, c := range []struct {
		pr     PlanProtect
		reason string
	}{
		{PlanProtect{Enabled: true, Policy: "P-1", NewPolicy: &PlanPolicy{Time: "22:15", RetentionDays: 30}}, "plan.err.policy.time"},
		{PlanProtect{Enabled: true, Policy: "P-1", NewPolicy: &PlanPolicy{Frequency: "Weekly", Time: "22:30", RetentionWeeks: 2}}, "plan.err.policy.weekdays.required"},
		{PlanProtect{Policy: "P-1", NewPolicy: &PlanPolicy{Time: "22:30", RetentionDays: 30}}, "plan.err.protect.new-policy"},
		{PlanProtect{Enabled: true, Policy: "P-1", BackupNow: true, RetainDays: 100}, "plan.err.protect.retain-days.range"},
	} {
		_, err := base(c.pr).Encode()
		var pe *PlanError
		if !errors.As(err, &pe) || pe.Reason != c.reason {
			t.Errorf("Encode(%+v) = %v, want %s", c.pr, err, c.reason)
		}
	}
}

// Every reason the protect section can give has text in every language.
func TestPlanProtectReasonsInCatalog(t *testing.T) {
	reasons := []string{"plan.err.protect.new-policy", "plan.err.protect.retain-days.unused", "plan.err.protect.retain-days.range",
		"plan.err.policy.type", "plan.err.policy.frequency", "plan.err.policy.time.required", "plan.err.policy.time",
		"plan.err.policy.weekdays.required", "plan.err.policy.weekdays.daily", "plan.err.policy.weekdays.day",
		"plan.err.policy.weekdays.duplicate", "plan.err.policy.time-zone", "plan.err.policy.retention-days.required",
		"plan.err.policy.retention-days.weekly", "plan.err.policy.retention-days.range", "plan.err.policy.retention-weeks.required",
		"plan.err.policy.retention-weeks.daily", "plan.err.policy.retention-weeks.range", "plan.err.policy.instant-restore.range",
		"plan.err.policy.instant-restore.weekly-standard"}
	en, err := ui.NewTranslator("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range ui.Languages {
		tr, err := ui.NewTranslator(lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reasons {
			if s := tr.T(r); s == r {
				t.Errorf("%s: no text for %s", lang, r)
			} else if lang != "en" && s == en.T(r) {
				t.Errorf("%s: %s is still the English text", lang, r)
			}
		}
	}
}

// A plan whose protect section is only valid policies and protections.
func fuzzPlan(pr PlanProtect) *Plan {
	return &Plan{Version: 1, Subscription: testSub, VMs: []string{testVM("web-1")},
		Vault: PlanVault{Name: "rsv-weu", ResourceGroup: "rg-backup", Location: "westeurope"}, Protect: pr}
}

func FuzzPlanPolicy(f *testing.F) {
	f.Add("", "", "22:30", "", "", 30, 0, 0)
	f.Add("Enhanced", "Weekly", "06:00", "Sunday,Wednesday", "tokyo standard time", 0, 12, 30)
	f.Add("Standard", "Weekly", "23:30", "Monday,monday", "UTC", 0, 5163, 5)
	f.Add("standard", "daily", "22:15", "", "Europe/Berlin", 6, 1, -1)
	f.Add("V2", "Hourly", "", "Funday", "", -7, -1, 99)
	f.Add("", "", "true", "null,~", "'", 9999, 0, 2)
	tr, err := ui.NewTranslator("en")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, typ, freq, tm, days, tz string, rd, rw, ird int) {
		p := PlanPolicy{Type: typ, Frequency: freq, Time: tm, TimeZone: tz, RetentionDays: rd, RetentionWeeks: rw, InstantRestoreDays: ird}
		if days != "" {
			p.Weekdays = strings.Split(days, ",")
		}
		field, reason := ValidatePlanPolicy(p)
		if (field == "") != (reason == "") || (reason != "" && (!strings.HasPrefix(reason, "plan.err.policy.") || !contains(keysPolicy, field))) {
			t.Fatalf("ValidatePlanPolicy(%+v) = %q, %q", p, field, reason)
		}
		n := p.Normalized()
		if !reflect.DeepEqual(n, n.Normalized()) {
			t.Fatalf("Normalized is not idempotent: %+v", n)
		}
		if f2, r2 := ValidatePlanPolicy(n); f2 != field || r2 != reason {
			t.Fatalf("normalising changed the verdict: %q %q → %q %q", field, reason, f2, r2)
		}
		if reason != "" {
			if s := tr.T(reason, PlanPolicyArgs(p, field)...); s == reason || strings.Contains(s, "<no value>") {
				t.Fatalf("%s renders as %q", reason, s)
			}
		}

		plan := fuzzPlan(PlanProtect{Enabled: true, Policy: "FuzzPolicy", NewPolicy: &p, BackupNow: true})
		out, err := plan.Encode()
		if reason != "" {
			// Encode re-decodes what it writes, so an invalid policy is never written.
			var pe *PlanError
			if !errors.As(err, &pe) || !strings.HasPrefix(pe.Reason, "plan.err.") {
				t.Fatalf("invalid policy (%s) encoded: %v\n%s", reason, err, out)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid policy %+v does not encode: %v", p, err)
		}
		q, err := DecodePlan(out, "encoded")
		if err != nil {
			t.Fatalf("encoded plan does not decode: %v\n%s", err, out)
		}
		if q.Protect.NewPolicy == nil || !reflect.DeepEqual(*q.Protect.NewPolicy, n) {
			t.Fatalf("round trip changed the policy:\n%+v\n%+v\n%s", n, q.Protect.NewPolicy, out)
		}
		if again, err := q.Encode(); err != nil || string(again) != string(out) {
			t.Fatalf("second encoding differs (%v):\n%s\n%s", err, out, again)
		}
	})
}

// FuzzDecodePlanProtect mutates only the protect section of a valid plan:
// every input gives a plan or a *PlanError with a position, and every plan
// it accepts encodes to a file that decodes to the same plan.
func FuzzDecodePlanProtect(f *testing.F) {
	for _, s := range []string{
		"  enabled: true\n  policy: DefaultPolicy\n  backupNow: true\n",
		"  enabled: true\n  policy: DailyPolicy-30d\n  newPolicy:\n    time: \"22:30\"\n    retentionDays: 30\n  backupNow: true\n  retainDays: 45\n",
		"  enabled: true\n  policy: W-1\n  newPolicy: {type: Enhanced, frequency: Weekly, time: '06:00', weekdays: [Sunday, Monday], timeZone: utc, retentionWeeks: 4, instantRestoreDays: 30}\n",
		"  enabled: true\n  policy: W-1\n  newPolicy:\n    frequency: weekly\n    time: 22:30\n    weekdays:\n      - sunday\n    retentionWeeks: 0\n",
		"  newPolicy: {time: '22:30'}\n  retainDays: 3\n",
		"  enabled: true\n  policy: P-1\n  newPolicy: &a {time: *a}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := DecodePlan([]byte(planHead+"protect:\n"+body), "fuzz.yaml")
		if err != nil {
			var pe *PlanError
			if !errors.As(err, &pe) || !strings.HasPrefix(pe.Reason, "plan.err.") {
				t.Fatalf("bad error %T %v", err, err)
			}
			if pe.Reason != "plan.err.syntax" && pe.Line == 0 {
				t.Fatalf("no position: %v", pe)
			}
			return
		}
		if np := p.Protect.NewPolicy; np != nil {
			if f, r := ValidatePlanPolicy(*np); r != "" {
				t.Fatalf("accepted an invalid policy (%s %s): %+v", f, r, np)
			}
			if !reflect.DeepEqual(*np, np.Normalized()) {
				t.Fatalf("decoded policy is not normalised: %+v", np)
			}
		}
		requireRoundTrip(t, p)
	})
}
