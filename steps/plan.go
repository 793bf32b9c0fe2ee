package steps

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
	"github.com/backupready/backupready/ui"
)

// PlanVersion is the only plan file version this build reads.
const PlanVersion = 1

// Plan is what the wizard decides and `apply --plan` replays (DESIGN §3). It
// is plain data: building or reading one never talks to Azure.
type Plan struct {
	Version      int
	Cloud        string   // AzureCloud (default), AzureChinaCloud, AzureUSGovernment
	Subscription string   // GUID, required
	VMs          []string // ARM ids of Microsoft.Compute/virtualMachines in Subscription, no duplicates
	Vault        PlanVault
	Redundancy   PlanRedundancy
	Network      PlanNetwork
	Agent        PlanAgent
	Protect      PlanProtect
}

// PlanVault is the Recovery Services vault the VMs are protected in.
type PlanVault struct {
	Name          string
	ResourceGroup string
	Location      string // normalised like azure.NormalizeLocation ("westeurope")
	Create        bool
}

// PlanRedundancy is the vault's storage redundancy. Keep is true when the
// plan has no redundancy section: keep the vault's setting, GeoRedundant for a
// new vault. StorageType is empty exactly when Keep is true.
type PlanRedundancy struct {
	StorageType        string // GeoRedundant | LocallyRedundant | ZoneRedundant
	CrossRegionRestore bool   // only with GeoRedundant
	Keep               bool
}

// PlanNetwork says how the VMs reach Azure Backup.
type PlanNetwork struct {
	Mode            string     // serviceTags | ipRanges | proxy | none (default)
	NSGRulePriority string     // "auto" (default) or "100".."4096"
	Proxy           *PlanProxy // set exactly when Mode is proxy
}

// PlanProxy is the HTTP proxy the guest uses when Network.Mode is proxy.
type PlanProxy struct {
	Host    string // IPv4, IPv6 or DNS name, no scheme or port
	Port    int    // 1..65535
	NoProxy []string
}

// PlanAgent says how a missing or outdated VM agent is fixed.
type PlanAgent struct {
	Fix string // runCommand | instructions (default)
}

// PlanProtect is the protection step: policy and first backup.
type PlanProtect struct {
	Enabled   bool
	Policy    string      // required when Enabled
	NewPolicy *PlanPolicy // only when Enabled; nil: use the vault's existing policy named Policy
	BackupNow bool        // only when Enabled
	// RetainDays is how long the on-demand recovery point of BackupNow is
	// kept, MinRetainDays..MaxRetainDays. 0 in memory means DefaultRetainDays;
	// a decoded plan has it filled in when BackupNow and 0 otherwise.
	RetainDays int
}

// PlanPolicy is the backup policy the plan creates under PlanProtect.Policy
// when the vault has no policy of that name. ValidatePlanPolicy says whether
// it is valid; a decoded plan holds it normalised (see Normalized).
type PlanPolicy struct {
	Type      string   // PolicyStandard (default) | PolicyEnhanced
	Frequency string   // FrequencyDaily (default) | FrequencyWeekly
	Time      string   // "HH:MM", 24-hour, minutes 00 or 30; required
	Weekdays  []string // Weekly only (then required): Monday..Sunday, no duplicates
	TimeZone  string   // one of PolicyTimeZones (default UTC)

	RetentionDays      int // Daily: required, 7..9999; 0 otherwise
	RetentionWeeks     int // Weekly: required, 1..5163; 0 otherwise
	InstantRestoreDays int // Standard 1..5 (Weekly Standard: 5), Enhanced 1..30; 0 means the default
}

// Backup policy values.
const (
	PolicyStandard = "Standard"
	PolicyEnhanced = "Enhanced"

	FrequencyDaily  = "Daily"
	FrequencyWeekly = "Weekly"

	// DefaultRetainDays is how long an on-demand recovery point is kept when
	// the plan does not say (Azure's own default for an ad-hoc backup).
	DefaultRetainDays = 30
	MinRetainDays     = 1
	MaxRetainDays     = 99
)

// PolicyTimeZones are the time zones a new policy may schedule in: Windows
// time zone IDs as Azure Backup takes them, in their canonical spelling, UTC
// first and then from west to east (the order of the Protect step's picker).
var PolicyTimeZones = []string{
	"UTC",
	"Hawaiian Standard Time",
	"Alaskan Standard Time",
	"Pacific Standard Time",
	"Mountain Standard Time",
	"US Mountain Standard Time",
	"Central Standard Time",
	"Canada Central Standard Time",
	"Eastern Standard Time",
	"Atlantic Standard Time",
	"E. South America Standard Time",
	"Argentina Standard Time",
	"GMT Standard Time",
	"W. Europe Standard Time",
	"Central Europe Standard Time",
	"Central European Standard Time",
	"Romance Standard Time",
	"E. Europe Standard Time",
	"FLE Standard Time",
	"GTB Standard Time",
	"Egypt Standard Time",
	"South Africa Standard Time",
	"Israel Standard Time",
	"Turkey Standard Time",
	"Russian Standard Time",
	"Arab Standard Time",
	"Arabian Standard Time",
	"Pakistan Standard Time",
	"India Standard Time",
	"Bangladesh Standard Time",
	"SE Asia Standard Time",
	"China Standard Time",
	"Singapore Standard Time",
	"Taipei Standard Time",
	"W. Australia Standard Time",
	"Tokyo Standard Time",
	"Korea Standard Time",
	"Cen. Australia Standard Time",
	"AUS Eastern Standard Time",
	"New Zealand Standard Time",
}

var (
	policyTypes       = []string{PolicyStandard, PolicyEnhanced}
	policyFrequencies = []string{FrequencyDaily, FrequencyWeekly}
	policyWeekdays    = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// Limits of a new policy's settings (AZURE.md §7.2; the portal's own limits).
const (
	minRetentionDays  = 7
	maxRetentionDays  = 9999
	minRetentionWeeks = 1
	maxRetentionWeeks = 5163
	maxInstantStd     = 5
	maxInstantEnh     = 30
	weeklyInstantStd  = 5 // a Weekly Standard policy keeps snapshots exactly 5 days
	defaultInstant    = 2
)

// Plan field values.
const (
	CloudPublic = "AzureCloud"
	CloudChina  = "AzureChinaCloud"
	CloudUSGov  = "AzureUSGovernment"

	StorageGeo   = "GeoRedundant"
	StorageLocal = "LocallyRedundant"
	StorageZone  = "ZoneRedundant"

	NetworkServiceTags = "serviceTags"
	NetworkIPRanges    = "ipRanges"
	NetworkProxy       = "proxy"
	NetworkNone        = "none"

	PriorityAuto = "auto"

	AgentFixRunCommand   = "runCommand"
	AgentFixInstructions = "instructions"
)

var (
	planClouds   = []string{CloudPublic, CloudChina, CloudUSGov}
	planStorage  = []string{StorageGeo, StorageLocal, StorageZone}
	planNetModes = []string{NetworkServiceTags, NetworkIPRanges, NetworkProxy, NetworkNone}
	planFixes    = []string{AgentFixRunCommand, AgentFixInstructions}
)

// PlanError is one input error in a plan file: where it is, which field, and
// a catalog key (Reason) with its arguments (Args, name/value pairs) saying
// what is wrong and how to fix it.
type PlanError struct {
	File         string
	Line, Column int    // 1-based; 0 when unknown
	Field        string // dotted path, e.g. "vault.name", "vms[2]"
	Reason       string // catalog key, e.g. "plan.err.vault-name.chars"
	Args         []any  // name/value pairs for the catalog template
}

// Error is technical text for logs; users see Text.
func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString(e.where())
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	for i := 0; i+1 < len(e.Args); i += 2 {
		fmt.Fprintf(&b, " %v=%q", e.Args[i], fmt.Sprint(e.Args[i+1]))
	}
	return b.String()
}

func (e *PlanError) where() string {
	w := e.File
	if w == "" {
		w = "plan"
	}
	if e.Line > 0 {
		w += ":" + strconv.Itoa(e.Line)
		if e.Column > 0 {
			w += ":" + strconv.Itoa(e.Column)
		}
	}
	return w + ": "
}

// Text is the message for users: "file:line:col: " and the catalog text in
// tr's language. The catalog templates may use Field, File and Line besides
// the error's own Args.
func (e *PlanError) Text(tr *ui.Translator) string {
	args := append([]any{"Field", e.Field, "File", e.File, "Line", e.Line}, e.Args...)
	return e.where() + tr.T(e.Reason, args...)
}

// Arg returns the value of the named argument, or nil.
func (e *PlanError) Arg(name string) any {
	for i := 0; i+1 < len(e.Args); i += 2 {
		if e.Args[i] == name {
			return e.Args[i+1]
		}
	}
	return nil
}

// ValidateVaultName checks a Recovery Services vault name (AZURE.md §2.2):
// 2–50 characters, ASCII letters, digits and hyphens, starting with a letter.
// It returns "" when the name is valid, else a reason: "empty", "too-short",
// "too-long", "first-letter" or "chars".
func ValidateVaultName(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		return "empty"
	case n < 2:
		return "too-short"
	case n > 50:
		return "too-long"
	case !isASCIILetter(name[0]):
		return "first-letter"
	case !allNameChars(name):
		return "chars"
	}
	return ""
}

// ValidatePolicyName checks a backup policy name (AZURE.md §2.2): 3–150
// characters, ASCII letters, digits and hyphens, starting with a letter and
// not ending with a hyphen. Reasons as ValidateVaultName, plus
// "trailing-hyphen".
func ValidatePolicyName(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		return "empty"
	case n < 3:
		return "too-short"
	case n > 150:
		return "too-long"
	case !isASCIILetter(name[0]):
		return "first-letter"
	case !allNameChars(name):
		return "chars"
	case name[len(name)-1] == '-':
		return "trailing-hyphen"
	}
	return ""
}

// Normalized returns p with its defaults filled in (Type Standard,
// Frequency Daily, TimeZone UTC, InstantRestoreDays 2, or 5 for a Weekly
// Standard policy) and its names spelled canonically ("utc" → "UTC",
// "sunday" → "Sunday"). Values it does not know are kept as they are, for
// ValidatePlanPolicy to report. p itself is not changed.
func (p PlanPolicy) Normalized() PlanPolicy {
	p.Type = canonicalOr(policyTypes, p.Type, PolicyStandard)
	p.Frequency = canonicalOr(policyFrequencies, p.Frequency, FrequencyDaily)
	p.TimeZone = canonicalOr(PolicyTimeZones, p.TimeZone, "UTC")
	if len(p.Weekdays) == 0 {
		p.Weekdays = nil
	} else {
		days := make([]string, len(p.Weekdays))
		for i, d := range p.Weekdays {
			days[i] = canonicalOr(policyWeekdays, d, d)
		}
		p.Weekdays = days
	}
	if p.InstantRestoreDays == 0 {
		p.InstantRestoreDays = defaultInstant
		if p.Type == PolicyStandard && p.Frequency == FrequencyWeekly {
			p.InstantRestoreDays = weeklyInstantStd
		}
	}
	return p
}

// canonicalOr returns the entry of list that equals s but for case, def
// when s is empty, and s itself when no entry matches.
func canonicalOr(list []string, s, def string) string {
	if s == "" {
		return def
	}
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return v
		}
	}
	return s
}

// ValidatePlanPolicy checks the settings of a new backup policy as the plan
// file and the Protect step's form take them. Empty Type, Frequency and
// TimeZone and a zero InstantRestoreDays mean their defaults (see
// Normalized); names match without regard to case. It returns "", "" when p
// is valid; otherwise the first problem in the order of the plan file's keys:
// field is the key ("type", "frequency", "time", "weekdays", "timeZone",
// "retentionDays", "retentionWeeks", "instantRestoreDays") and reason a
// catalog key "plan.err.policy.…", whose arguments PlanPolicyArgs gives.
func ValidatePlanPolicy(p PlanPolicy) (field, reason string) {
	p = p.Normalized()
	if !contains(policyTypes, p.Type) {
		return "type", "plan.err.policy.type"
	}
	if !contains(policyFrequencies, p.Frequency) {
		return "frequency", "plan.err.policy.frequency"
	}
	if p.Time == "" {
		return "time", "plan.err.policy.time.required"
	}
	if !validPolicyTime(p.Time) {
		return "time", "plan.err.policy.time"
	}
	weekly := p.Frequency == FrequencyWeekly
	if _, r := checkWeekdays(p.Weekdays, weekly); r != "" {
		return "weekdays", r
	}
	if !contains(PolicyTimeZones, p.TimeZone) {
		return "timeZone", "plan.err.policy.time-zone"
	}
	switch {
	case weekly && p.RetentionDays != 0:
		return "retentionDays", "plan.err.policy.retention-days.weekly"
	case !weekly && p.RetentionDays == 0:
		return "retentionDays", "plan.err.policy.retention-days.required"
	case !weekly && (p.RetentionDays < minRetentionDays || p.RetentionDays > maxRetentionDays):
		return "retentionDays", "plan.err.policy.retention-days.range"
	}
	switch {
	case !weekly && p.RetentionWeeks != 0:
		return "retentionWeeks", "plan.err.policy.retention-weeks.daily"
	case weekly && p.RetentionWeeks == 0:
		return "retentionWeeks", "plan.err.policy.retention-weeks.required"
	case weekly && (p.RetentionWeeks < minRetentionWeeks || p.RetentionWeeks > maxRetentionWeeks):
		return "retentionWeeks", "plan.err.policy.retention-weeks.range"
	}
	lo, hi := instantRestoreRange(p.Type, p.Frequency)
	if p.InstantRestoreDays < lo || p.InstantRestoreDays > hi {
		if lo == hi {
			return "instantRestoreDays", "plan.err.policy.instant-restore.weekly-standard"
		}
		return "instantRestoreDays", "plan.err.policy.instant-restore.range"
	}
	return "", ""
}

// PlanPolicyArgs returns the catalog arguments for a ValidatePlanPolicy
// reason about field of p: Got (the value at fault, as text), Min and Max
// where the field has a range, Allowed where it has a list of values, and
// always Type and Frequency (as Normalized spells them).
func PlanPolicyArgs(p PlanPolicy, field string) []any {
	raw := p
	p = p.Normalized()
	args := []any{"Type", p.Type, "Frequency", p.Frequency}
	switch field {
	case "type":
		args = append(args, "Got", p.Type, "Allowed", strings.Join(policyTypes, ", "))
	case "frequency":
		args = append(args, "Got", p.Frequency, "Allowed", strings.Join(policyFrequencies, ", "))
	case "time":
		args = append(args, "Got", p.Time)
	case "weekdays":
		got := ""
		if i, _ := checkWeekdays(p.Weekdays, p.Frequency == FrequencyWeekly); i >= 0 {
			got = raw.Weekdays[i] // as the user wrote it
		}
		args = append(args, "Got", got, "Allowed", strings.Join(policyWeekdays, ", "))
	case "timeZone":
		args = append(args, "Got", p.TimeZone, "Allowed", strings.Join(PolicyTimeZones, ", "))
	case "retentionDays":
		args = append(args, "Got", strconv.Itoa(p.RetentionDays), "Min", minRetentionDays, "Max", maxRetentionDays)
	case "retentionWeeks":
		args = append(args, "Got", strconv.Itoa(p.RetentionWeeks), "Min", minRetentionWeeks, "Max", maxRetentionWeeks)
	case "instantRestoreDays":
		lo, hi := instantRestoreRange(p.Type, p.Frequency)
		args = append(args, "Got", strconv.Itoa(p.InstantRestoreDays), "Min", lo, "Max", hi)
	}
	return args
}

// instantRestoreRange is how many days a policy may keep its instant-restore
// snapshots.
func instantRestoreRange(typ, freq string) (lo, hi int) {
	switch {
	case typ == PolicyEnhanced:
		return 1, maxInstantEnh
	case freq == FrequencyWeekly:
		return weeklyInstantStd, weeklyInstantStd
	}
	return 1, maxInstantStd
}

// validPolicyTime accepts "HH:MM", 24-hour, on the hour or the half hour:
// Azure Backup starts scheduled backups only then.
func validPolicyTime(t string) bool {
	if len(t) != 5 || t[2] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	h := int(t[0]-'0')*10 + int(t[1]-'0')
	m := t[3:]
	return h <= 23 && (m == "00" || m == "30")
}

// checkWeekdays checks a policy's weekdays: required for a Weekly policy,
// none for a Daily one, each a day name (any case) and none twice. It returns
// the index of the entry at fault (-1 for the list as a whole) and the
// reason, or -1 and "" when the list is fine.
func checkWeekdays(days []string, weekly bool) (int, string) {
	switch {
	case !weekly && len(days) > 0:
		return -1, "plan.err.policy.weekdays.daily"
	case weekly && len(days) == 0:
		return -1, "plan.err.policy.weekdays.required"
	}
	seen := make(map[string]bool, len(days))
	for i, d := range days {
		c := canonicalOr(policyWeekdays, d, "")
		if !contains(policyWeekdays, c) {
			return i, "plan.err.policy.weekdays.day"
		}
		if seen[c] {
			return i, "plan.err.policy.weekdays.duplicate"
		}
		seen[c] = true
	}
	return -1, ""
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func allNameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && !(c >= '0' && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

// validateResourceGroup follows the ARM rules: 1–90 characters, Unicode
// letters and digits, underscores, parentheses, hyphens and periods, not
// ending with a period.
func validateResourceGroup(name string) string {
	switch {
	case name == "":
		return "empty"
	case utf8.RuneCountInString(name) > 90:
		return "too-long"
	case !rgPattern.MatchString(name):
		return "chars"
	case strings.HasSuffix(name, "."):
		return "trailing-period"
	}
	return ""
}

var (
	rgPattern       = regexp.MustCompile(`^[\p{L}\p{Nd}_().-]+$`)
	guidPattern     = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	locationPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,39}$`)
	vmIDPattern     = regexp.MustCompile(`(?i)^/subscriptions/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/resourceGroups/([^/]+)/providers/Microsoft\.Compute/virtualMachines/([^/]+)$`)
)

// validHost accepts an IPv4 or IPv6 address (without a zone) or a DNS name,
// as the guest proxy configuration does.
func validHost(h string) bool {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Zone() == ""
	}
	return guest.ValidDNSName(h)
}

// validNoProxy accepts what NO_PROXY lists commonly hold: "*", an address,
// a CIDR range, or a DNS name, optionally with a leading "." or "*.".
func validNoProxy(s string) bool { return guest.ValidNoProxy(s) }

// ---- decoding ----

// Known keys per section, in DESIGN §3 order.
var (
	keysTop        = []string{"version", "cloud", "subscription", "vms", "vault", "redundancy", "network", "agent", "protect"}
	keysVault      = []string{"name", "resourceGroup", "location", "create"}
	keysRedundancy = []string{"storageType", "crossRegionRestore"}
	keysNetwork    = []string{"mode", "nsgRulePriority", "proxy"}
	keysProxy      = []string{"host", "port", "noProxy"}
	keysAgent      = []string{"fix"}
	keysProtect    = []string{"enabled", "policy", "newPolicy", "backupNow", "retainDays"}
	keysPolicy     = []string{"type", "frequency", "time", "weekdays", "timeZone", "retentionDays", "retentionWeeks", "instantRestoreDays"}
)

// DecodePlan reads a plan file strictly: unknown keys, wrong types, bad
// values, missing required fields and unsupported versions are each a
// *PlanError naming the line, column and field. filename is only used in
// errors. Missing optional sections take the defaults of DESIGN §4a.
func DecodePlan(data []byte, filename string) (p *Plan, err error) {
	d := &planDecoder{file: filename}
	defer func() {
		// The YAML parser is fuzzed upstream, but a plan file must never
		// crash the program: anything unexpected is a syntax error.
		if r := recover(); r != nil {
			p, err = nil, d.errAt(nil, "", "plan.err.syntax", "Detail", fmt.Sprint(r))
		}
	}()
	plan, perr := d.decode(data)
	if perr != nil {
		return nil, perr
	}
	return plan, nil
}

type planDecoder struct {
	file string
}

// field is one key of a mapping with its position.
type field struct {
	key   ast.Node // the key, for positions
	value ast.Node // nil or *ast.NullNode when empty
	path  string
}

// section is a decoded mapping: its fields by name and where it starts.
type section struct {
	bad    *PlanError // first unknown or duplicate key, reported by check
	fields map[string]*field
	at     ast.Node // the section's key (or the document) for "missing" errors
	path   string
}

func (s *section) get(name string) *field {
	if s == nil {
		return nil
	}
	f := s.fields[name]
	if f == nil || isNull(f.value) {
		return nil
	}
	return f
}

func (d *planDecoder) errAt(n ast.Node, path, reason string, args ...any) *PlanError {
	e := &PlanError{File: d.file, Field: path, Reason: reason, Args: args}
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Column = tk.Position.Line, tk.Position.Column
		}
	}
	return e
}

func (d *planDecoder) errTok(tk *token.Token, path, reason string, args ...any) *PlanError {
	e := &PlanError{File: d.file, Field: path, Reason: reason, Args: args}
	if tk != nil && tk.Position != nil {
		e.Line, e.Column = tk.Position.Line, tk.Position.Column
	}
	return e
}

func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// plain unwraps anchors and refuses aliases, merge keys and tags: a plan is
// plain data.
func (d *planDecoder) plain(n ast.Node, path string) (ast.Node, *PlanError) {
	for depth := 0; n != nil; depth++ {
		if depth > 100 {
			return nil, d.errAt(n, path, "plan.err.alias")
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode, *ast.MergeKeyNode:
			return nil, d.errAt(n, path, "plan.err.alias")
		case *ast.TagNode:
			return nil, d.errAt(n, path, "plan.err.tag", "Got", v.Start.Value)
		case *ast.CommentGroupNode, *ast.CommentNode:
			return nil, nil
		default:
			return n, nil
		}
	}
	return nil, nil
}

// entries decodes f as a list and hands each entry to each, in order, with
// its path: the entry's plain node, or nil for an empty entry (each may
// then point at the list, seq).
func (d *planDecoder) entries(f *field, each func(seq *ast.SequenceNode, n ast.Node, path string) *PlanError) *PlanError {
	seq, ok := f.value.(*ast.SequenceNode)
	if !ok {
		return d.typeErr(f.value, f.path, "list")
	}
	for i, n := range seq.Values {
		path := fmt.Sprintf("%s[%d]", f.path, i)
		n, err := d.plain(n, path)
		if err != nil {
			return err
		}
		if err := each(seq, n, path); err != nil {
			return err
		}
	}
	return nil
}

// mapping decodes n as a mapping whose keys must be in known.
func (d *planDecoder) mapping(at, n ast.Node, path string, known []string) (*section, *PlanError) {
	n, err := d.plain(n, path)
	if err != nil {
		return nil, err
	}
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		return nil, d.typeErr(n, path, "mapping")
	}
	s := &section{fields: map[string]*field{}, at: at, path: path}
	for _, mv := range values {
		k, err := d.plain(mv.Key, path)
		if err != nil {
			return nil, err
		}
		name := ""
		if sk, ok := k.(*ast.StringNode); ok {
			name = sk.Value
		} else if k != nil && k.GetToken() != nil {
			name = k.GetToken().Value
		}
		if s.at == nil {
			s.at = mv.Key // the top level: "missing" errors point at the first key
		}
		if !contains(known, name) {
			if s.bad == nil {
				args := []any{"Key", name, "Known", strings.Join(known, ", ")}
				reason := "plan.err.unknown-key"
				if sg := suggest(name, known); sg != "" {
					reason = "plan.err.unknown-key.suggest"
					args = append(args, "Suggest", sg)
				}
				s.bad = d.errAt(mv.Key, join(path, name), reason, args...)
			}
			continue
		}
		if s.fields[name] != nil {
			if s.bad == nil {
				s.bad = d.errAt(mv.Key, join(path, name), "plan.err.duplicate-key",
					"Key", name, "First", s.fields[name].key.GetToken().Position.Line)
			}
			continue
		}
		val, err := d.plain(mv.Value, join(path, name))
		if err != nil {
			return nil, err
		}
		s.fields[name] = &field{key: mv.Key, value: val, path: join(path, name)}
	}
	return s, nil
}

// section decodes a mapping and reports its first unknown or duplicate key.
func (d *planDecoder) section(at, n ast.Node, path string, known []string) (*section, *PlanError) {
	s, err := d.mapping(at, n, path, known)
	if err != nil {
		return nil, err
	}
	return s, s.bad
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// suggest returns the known key name was probably meant to be: the same but
// for case, a small typo, or one spelled inside the other ("nsgPriority",
// "vaults"); "" when none is close.
func suggest(name string, known []string) string {
	ln := strings.ToLower(name)
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	for _, k := range known {
		lk := strings.ToLower(k)
		if editDistance(ln, lk) <= max(1, len(lk)/4) {
			return k
		}
	}
	for _, k := range known {
		lk := strings.ToLower(k)
		if min(len(ln), len(lk)) >= 4 && (isSubsequence(ln, lk) || isSubsequence(lk, ln)) {
			return k
		}
	}
	return ""
}

// isSubsequence reports whether a's bytes appear in b in order.
func isSubsequence(a, b string) bool {
	i := 0
	for j := 0; i < len(a) && j < len(b); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (d *planDecoder) typeErr(n ast.Node, path, want string) *PlanError {
	got := "empty"
	if n != nil {
		got = strings.ToLower(strings.TrimSuffix(n.Type().String(), "Type"))
	}
	return d.errAt(n, path, "plan.err.type."+want, "Got", got)
}

// str reads a scalar as text. Numbers are taken as written ("0123" stays
// "0123"), so an unquoted resource group "2024" is fine.
func (d *planDecoder) str(f *field) (string, *PlanError) {
	switch v := f.value.(type) {
	case *ast.StringNode:
		return v.Value, nil
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, nil
		}
		return "", nil
	case *ast.IntegerNode, *ast.FloatNode:
		return v.GetToken().Value, nil
	}
	return "", d.typeErr(f.value, f.path, "string")
}

func (d *planDecoder) boolean(f *field) (bool, *PlanError) {
	if b, ok := f.value.(*ast.BoolNode); ok {
		return b.Value, nil
	}
	return false, d.typeErr(f.value, f.path, "bool")
}

// integer reads a whole number; quoted numbers are not numbers.
func (d *planDecoder) integer(f *field) (int, bool, *PlanError) {
	v, ok := f.value.(*ast.IntegerNode)
	if !ok {
		return 0, false, d.typeErr(f.value, f.path, "int")
	}
	switch n := v.Value.(type) {
	case int64:
		if int64(int(n)) == n {
			return int(n), true, nil
		}
	case uint64:
		if n <= uint64(int(^uint(0)>>1)) {
			return int(n), true, nil
		}
	}
	return 0, false, nil // out of range: the caller reports the value
}

// count reads a whole number like integer, but a number too large for an
// int (which the YAML parser leaves as text) is reported as out of range
// (ok false), not as text; quoted numbers are still text.
func (d *planDecoder) count(f *field) (int, bool, *PlanError) {
	if v, isStr := f.value.(*ast.StringNode); isStr && v.Token != nil && v.Token.Type == token.StringType && bigNumber.MatchString(v.Value) {
		return 0, false, nil
	}
	return d.integer(f)
}

var bigNumber = regexp.MustCompile(`^[-+]?[0-9]+$`)

// enum reads a string that must be one of allowed (matched without regard
// to case, returned as spelled in allowed).
func (d *planDecoder) enum(f *field, allowed []string) (string, *PlanError) {
	s, err := d.str(f)
	if err != nil {
		return "", err
	}
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a, nil
		}
	}
	return "", d.errAt(f.value, f.path, "plan.err.enum", "Got", s, "Allowed", strings.Join(allowed, ", "))
}

func (d *planDecoder) required(s *section, name string) (*field, *PlanError) {
	if f := s.get(name); f != nil {
		return f, nil
	}
	var at ast.Node
	if f := s.fields[name]; f != nil {
		at = f.key
	} else {
		at = s.at
	}
	return nil, d.errAt(at, join(s.path, name), "plan.err.required", "Key", name)
}

func (d *planDecoder) decode(data []byte) (*Plan, *PlanError) {
	file, perr := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if perr != nil {
		var ye yaml.Error
		if errors.As(perr, &ye) {
			return nil, d.errTok(ye.GetToken(), "", "plan.err.syntax", "Detail", ye.GetMessage())
		}
		return nil, d.errAt(nil, "", "plan.err.syntax", "Detail", perr.Error())
	}
	var body ast.Node
	for _, doc := range file.Docs {
		b, err := d.plain(doc.Body, "")
		if err != nil {
			return nil, err
		}
		if isNull(b) {
			continue
		}
		if body != nil {
			if doc.Start != nil {
				return nil, d.errTok(doc.Start, "", "plan.err.documents")
			}
			return nil, d.errAt(b, "", "plan.err.documents")
		}
		body = b
	}
	if body == nil {
		return nil, &PlanError{File: d.file, Line: 1, Column: 1, Reason: "plan.err.empty"}
	}
	top, err := d.mapping(nil, body, "", keysTop)
	if err != nil {
		return nil, err
	}
	if top.at == nil {
		top.at = body
	}
	p := &Plan{}

	// The version first: a newer file's other errors are the version's.
	f, err := d.required(top, "version")
	if err != nil {
		if top.bad != nil {
			return nil, top.bad // most likely the version key misspelled
		}
		return nil, err
	}
	v, ok, err := d.integer(f)
	if err != nil {
		if _, isStr := f.value.(*ast.StringNode); !isStr {
			return nil, err
		}
		ok = false
	}
	if !ok || v != PlanVersion {
		return nil, d.errAt(f.value, f.path, "plan.err.version", "Got", f.value.GetToken().Value, "Want", strconv.Itoa(PlanVersion))
	}
	p.Version = v
	if top.bad != nil {
		return nil, top.bad
	}

	p.Cloud = CloudPublic
	if f := top.get("cloud"); f != nil {
		if p.Cloud, err = d.enum(f, planClouds); err != nil {
			return nil, err
		}
	}

	if f, err = d.required(top, "subscription"); err != nil {
		return nil, err
	}
	if p.Subscription, err = d.str(f); err != nil {
		return nil, err
	}
	if !guidPattern.MatchString(p.Subscription) {
		return nil, d.errAt(f.value, f.path, "plan.err.subscription", "Got", p.Subscription)
	}

	if f, err = d.required(top, "vms"); err != nil {
		return nil, err
	}
	if p.VMs, err = d.vms(f, p.Subscription); err != nil {
		return nil, err
	}

	if f, err = d.required(top, "vault"); err != nil {
		return nil, err
	}
	if p.Vault, err = d.vault(f); err != nil {
		return nil, err
	}

	p.Redundancy = PlanRedundancy{Keep: true}
	if f := top.get("redundancy"); f != nil {
		if p.Redundancy, err = d.redundancy(f); err != nil {
			return nil, err
		}
	}

	p.Network = PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto}
	if f := top.get("network"); f != nil {
		if p.Network, err = d.network(f); err != nil {
			return nil, err
		}
	}

	p.Agent = PlanAgent{Fix: AgentFixInstructions}
	if f := top.get("agent"); f != nil {
		s, err := d.section(f.key, f.value, f.path, keysAgent)
		if err != nil {
			return nil, err
		}
		if f := s.get("fix"); f != nil {
			if p.Agent.Fix, err = d.enum(f, planFixes); err != nil {
				return nil, err
			}
		}
	}

	if f := top.get("protect"); f != nil {
		if p.Protect, err = d.protect(f); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (d *planDecoder) vms(f *field, sub string) ([]string, *PlanError) {
	seq, ok := f.value.(*ast.SequenceNode)
	if !ok {
		return nil, d.typeErr(f.value, f.path, "list")
	}
	if len(seq.Values) == 0 {
		return nil, d.errAt(seq, f.path, "plan.err.vms.empty")
	}
	seen := map[string]int{}
	out := make([]string, 0, len(seq.Values))
	for i, n := range seq.Values {
		path := fmt.Sprintf("%s[%d]", f.path, i)
		n, err := d.plain(n, path)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return nil, d.errAt(seq, path, "plan.err.vms.bad-arm", "Got", "")
		}
		item := &field{key: n, value: n, path: path}
		s, err := d.str(item)
		if err != nil {
			return nil, err
		}
		m := vmIDPattern.FindStringSubmatch(s)
		if m == nil {
			return nil, d.errAt(n, path, "plan.err.vms.bad-arm", "Got", s)
		}
		if !strings.EqualFold(m[1], sub) {
			return nil, d.errAt(n, path, "plan.err.vms.subscription", "Got", m[1], "Want", sub)
		}
		if first, dup := seen[strings.ToLower(s)]; dup {
			return nil, d.errAt(n, path, "plan.err.vms.duplicate", "Got", s, "First", first)
		}
		seen[strings.ToLower(s)] = n.GetToken().Position.Line
		out = append(out, s)
	}
	return out, nil
}

func (d *planDecoder) vault(f *field) (PlanVault, *PlanError) {
	var v PlanVault
	s, err := d.section(f.key, f.value, f.path, keysVault)
	if err != nil {
		return v, err
	}
	// Report in the order of the keys, so the first error is the first one
	// the user sees in the file.
	g, err := d.required(s, "name")
	if err != nil {
		return v, err
	}
	if v.Name, err = d.str(g); err != nil {
		return v, err
	}
	if r := ValidateVaultName(v.Name); r != "" {
		return v, d.errAt(g.value, g.path, "plan.err.vault-name."+r, "Got", v.Name)
	}
	if g, err = d.required(s, "resourceGroup"); err != nil {
		return v, err
	}
	if v.ResourceGroup, err = d.str(g); err != nil {
		return v, err
	}
	if r := validateResourceGroup(v.ResourceGroup); r != "" {
		return v, d.errAt(g.value, g.path, "plan.err.resource-group."+r, "Got", v.ResourceGroup)
	}
	if g, err = d.required(s, "location"); err != nil {
		return v, err
	}
	loc, err := d.str(g)
	if err != nil {
		return v, err
	}
	v.Location = azure.NormalizeLocation(loc)
	if !locationPattern.MatchString(v.Location) {
		return v, d.errAt(g.value, g.path, "plan.err.location", "Got", loc)
	}
	if g := s.get("create"); g != nil {
		if v.Create, err = d.boolean(g); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (d *planDecoder) redundancy(f *field) (PlanRedundancy, *PlanError) {
	var r PlanRedundancy
	s, err := d.section(f.key, f.value, f.path, keysRedundancy)
	if err != nil {
		return r, err
	}
	g, err := d.required(s, "storageType")
	if err != nil {
		return r, err
	}
	if r.StorageType, err = d.enum(g, planStorage); err != nil {
		return r, err
	}
	if c := s.get("crossRegionRestore"); c != nil {
		if r.CrossRegionRestore, err = d.boolean(c); err != nil {
			return r, err
		}
		if r.CrossRegionRestore && r.StorageType != StorageGeo {
			return r, d.errAt(c.value, c.path, "plan.err.redundancy.crr", "Got", r.StorageType)
		}
	}
	return r, nil
}

func (d *planDecoder) network(f *field) (PlanNetwork, *PlanError) {
	n := PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto}
	s, err := d.section(f.key, f.value, f.path, keysNetwork)
	if err != nil {
		return n, err
	}
	if g := s.get("mode"); g != nil {
		if n.Mode, err = d.enum(g, planNetModes); err != nil {
			return n, err
		}
	}
	if g := s.get("nsgRulePriority"); g != nil {
		if n.NSGRulePriority, err = d.priority(g); err != nil {
			return n, err
		}
	}
	g := s.get("proxy")
	switch {
	case n.Mode == NetworkProxy && g == nil:
		at := s.at
		if f := s.fields["proxy"]; f != nil {
			at = f.key
		} else if f := s.fields["mode"]; f != nil {
			at = f.value
		}
		return n, d.errAt(at, join(f.path, "proxy"), "plan.err.proxy.required")
	case n.Mode != NetworkProxy && g != nil:
		return n, d.errAt(g.key, g.path, "plan.err.proxy.unused", "Mode", n.Mode)
	case g != nil:
		if n.Proxy, err = d.proxy(g); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (d *planDecoder) priority(g *field) (string, *PlanError) {
	var text string
	switch v := g.value.(type) {
	case *ast.StringNode:
		text = v.Value
		if strings.EqualFold(strings.TrimSpace(text), PriorityAuto) {
			return PriorityAuto, nil
		}
	case *ast.IntegerNode:
		text = v.GetToken().Value
	default:
		if g.value != nil && g.value.GetToken() != nil {
			text = g.value.GetToken().Value
		}
		return "", d.errAt(g.value, g.path, "plan.err.priority", "Got", text)
	}
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < 100 || n > 4096 {
		return "", d.errAt(g.value, g.path, "plan.err.priority", "Got", text)
	}
	return strconv.Itoa(n), nil
}

func (d *planDecoder) proxy(f *field) (*PlanProxy, *PlanError) {
	p := &PlanProxy{}
	s, err := d.section(f.key, f.value, f.path, keysProxy)
	if err != nil {
		return nil, err
	}
	g, err := d.required(s, "host")
	if err != nil {
		return nil, err
	}
	if p.Host, err = d.str(g); err != nil {
		return nil, err
	}
	if !validHost(p.Host) {
		return nil, d.errAt(g.value, g.path, "plan.err.proxy.host", "Got", p.Host)
	}
	if g, err = d.required(s, "port"); err != nil {
		return nil, err
	}
	port, ok, err := d.integer(g)
	if err != nil {
		if _, isStr := g.value.(*ast.StringNode); !isStr {
			return nil, err
		}
	}
	if !ok || port < 1 || port > 65535 {
		return nil, d.errAt(g.value, g.path, "plan.err.proxy.port", "Got", g.value.GetToken().Value)
	}
	p.Port = port
	if g := s.get("noProxy"); g != nil {
		err = d.entries(g, func(seq *ast.SequenceNode, n ast.Node, path string) *PlanError {
			if n == nil {
				return d.errAt(seq, path, "plan.err.proxy.no-proxy", "Got", "")
			}
			v, err := d.str(&field{key: n, value: n, path: path})
			if err != nil {
				return err
			}
			if !validNoProxy(v) {
				return d.errAt(n, path, "plan.err.proxy.no-proxy", "Got", v)
			}
			p.NoProxy = append(p.NoProxy, v)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (d *planDecoder) protect(f *field) (PlanProtect, *PlanError) {
	var p PlanProtect
	s, err := d.section(f.key, f.value, f.path, keysProtect)
	if err != nil {
		return p, err
	}
	if g := s.get("enabled"); g != nil {
		if p.Enabled, err = d.boolean(g); err != nil {
			return p, err
		}
	}
	if g := s.get("policy"); g != nil {
		if p.Policy, err = d.str(g); err != nil {
			return p, err
		}
		if r := ValidatePolicyName(p.Policy); r != "" {
			return p, d.errAt(g.value, g.path, "plan.err.policy-name."+r, "Got", p.Policy)
		}
	} else if p.Enabled {
		at := s.at
		if g := s.fields["policy"]; g != nil {
			at = g.key
		}
		return p, d.errAt(at, join(f.path, "policy"), "plan.err.protect.policy")
	}
	if g := s.get("newPolicy"); g != nil {
		if !p.Enabled {
			return p, d.errAt(g.key, g.path, "plan.err.protect.new-policy")
		}
		if p.NewPolicy, err = d.newPolicy(g); err != nil {
			return p, err
		}
	}
	if g := s.get("backupNow"); g != nil {
		if p.BackupNow, err = d.boolean(g); err != nil {
			return p, err
		}
		if p.BackupNow && !p.Enabled {
			return p, d.errAt(g.value, g.path, "plan.err.protect.backup-now")
		}
	}
	if g := s.get("retainDays"); g != nil {
		if !p.BackupNow {
			return p, d.errAt(g.key, g.path, "plan.err.protect.retain-days.unused")
		}
		n, ok, err := d.count(g)
		if err != nil {
			return p, err
		}
		if !ok || n < MinRetainDays || n > MaxRetainDays {
			return p, d.errAt(g.value, g.path, "plan.err.protect.retain-days.range",
				"Got", nodeText(g.value), "Min", MinRetainDays, "Max", MaxRetainDays)
		}
		p.RetainDays = n
	} else if p.BackupNow {
		p.RetainDays = DefaultRetainDays
	}
	return p, nil
}

// newPolicy decodes protect.newPolicy: first the types of all its values,
// then ValidatePlanPolicy, whose verdict is placed on the key, value or list
// entry it is about. A key that is written counts as given even when its
// value is the zero that means "not set" in memory: "retentionWeeks: 0" with
// a Daily policy is refused as a Weekly-only setting, "instantRestoreDays: 0"
// as out of range.
func (d *planDecoder) newPolicy(f *field) (*PlanPolicy, *PlanError) {
	s, err := d.section(f.key, f.value, f.path, keysPolicy)
	if err != nil {
		return nil, err
	}
	var p PlanPolicy
	for _, v := range []struct {
		name string
		dst  *string
	}{{"type", &p.Type}, {"frequency", &p.Frequency}, {"time", &p.Time}, {"timeZone", &p.TimeZone}} {
		if g := s.get(v.name); g != nil {
			if *v.dst, err = d.str(g); err != nil {
				return nil, err
			}
		}
	}
	var days []ast.Node // the weekdays entries, for positions
	if g := s.get("weekdays"); g != nil {
		err = d.entries(g, func(seq *ast.SequenceNode, n ast.Node, path string) *PlanError {
			day := ""
			if n == nil {
				n = seq // an empty entry: point at the list
			} else {
				v, err := d.str(&field{key: n, value: n, path: path})
				if err != nil {
					return err
				}
				day = v
			}
			days = append(days, n)
			p.Weekdays = append(p.Weekdays, day)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// check is what ValidatePlanPolicy sees: p, but with written keys whose
	// value reads as "not set" made visible (-1 is out of every range).
	check := p
	check.Weekdays = append([]string(nil), p.Weekdays...)
	for _, v := range []struct {
		name string
		chk  *string
	}{{"type", &check.Type}, {"frequency", &check.Frequency}, {"timeZone", &check.TimeZone}} {
		if s.get(v.name) != nil && *v.chk == "" {
			*v.chk = " " // "timeZone: ''" is not the default: no value is " "
		}
	}
	if s.get("weekdays") != nil && len(p.Weekdays) == 0 && p.Normalized().Frequency != FrequencyWeekly {
		check.Weekdays = []string{policyWeekdays[0]} // "weekdays: []" is still weekdays
	}
	for _, v := range []struct {
		name     string
		dst, chk *int
	}{
		{"retentionDays", &p.RetentionDays, &check.RetentionDays},
		{"retentionWeeks", &p.RetentionWeeks, &check.RetentionWeeks},
		{"instantRestoreDays", &p.InstantRestoreDays, &check.InstantRestoreDays},
	} {
		g := s.get(v.name)
		if g == nil {
			continue
		}
		n, ok, err := d.count(g)
		if err != nil {
			return nil, err
		}
		*v.dst, *v.chk = n, n
		if !ok || n == 0 {
			*v.chk = -1
		}
	}

	name, reason := ValidatePlanPolicy(check)
	if reason == "" {
		n := p.Normalized()
		return &n, nil
	}
	args := PlanPolicyArgs(check, name)
	path := join(f.path, name)
	g := s.fields[name] // nil when the key is not written
	var at ast.Node
	switch {
	case (strings.HasSuffix(reason, ".daily") || strings.HasSuffix(reason, ".weekly")) && g != nil:
		at = g.key // a setting the frequency does not have
	case strings.HasSuffix(reason, ".required"):
		switch {
		case g != nil && !isNull(g.value):
			at = g.value // "time: ''", "weekdays: []"
		case g != nil:
			at = g.key
		case name != "time" && s.get("frequency") != nil:
			at = s.fields["frequency"].value // required by this frequency
		default:
			at = s.at
		}
	case name == "weekdays" && len(days) > 0:
		i, _ := checkWeekdays(check.Weekdays, true)
		i = max(0, min(i, len(days)-1))
		at, path = days[i], fmt.Sprintf("%s[%d]", path, i)
	case g != nil:
		at = g.value
		args = setArg(args, "Got", nodeText(g.value))
	default:
		at = s.at
	}
	return nil, d.errAt(at, path, reason, args...)
}

// setArg sets the named argument in a name/value list.
func setArg(args []any, name string, v any) []any {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == name {
			args[i+1] = v
			return args
		}
	}
	return append(args, name, v)
}

// nodeText is a scalar as the user wrote it, without quotes.
func nodeText(n ast.Node) string {
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

// ---- encoding ----

// planFile is the file's shape: the sections before protect, and protect on
// one line ({enabled: …}) unless it holds a new policy (planFileBlock).
type planFile struct {
	planSections `yaml:",inline"`
	Protect      protectFile `yaml:"protect,flow"`
}

type planFileBlock struct {
	planSections `yaml:",inline"`
	Protect      protectFile `yaml:"protect"`
}

type planSections struct {
	Version      int             `yaml:"version"`
	Cloud        string          `yaml:"cloud"`
	Subscription string          `yaml:"subscription"`
	VMs          []string        `yaml:"vms"`
	Vault        vaultFile       `yaml:"vault,flow"`
	Redundancy   *redundancyFile `yaml:"redundancy,omitempty,flow"`
	Network      networkFile     `yaml:"network"`
	Agent        agentFile       `yaml:"agent,flow"`
}

type vaultFile struct {
	Name          string `yaml:"name"`
	ResourceGroup string `yaml:"resourceGroup"`
	Location      string `yaml:"location"`
	Create        bool   `yaml:"create"`
}

type redundancyFile struct {
	StorageType        string `yaml:"storageType"`
	CrossRegionRestore bool   `yaml:"crossRegionRestore"`
}

type networkFile struct {
	Mode            string     `yaml:"mode"`
	NSGRulePriority any        `yaml:"nsgRulePriority"`
	Proxy           *proxyFile `yaml:"proxy,omitempty,flow"`
}

type proxyFile struct {
	Host    string   `yaml:"host"`
	Port    int      `yaml:"port"`
	NoProxy []string `yaml:"noProxy,omitempty,flow"`
}

type agentFile struct {
	Fix string `yaml:"fix"`
}

type protectFile struct {
	Enabled    bool        `yaml:"enabled"`
	Policy     string      `yaml:"policy,omitempty"`
	NewPolicy  *policyFile `yaml:"newPolicy,omitempty"`
	BackupNow  bool        `yaml:"backupNow"`
	RetainDays int         `yaml:"retainDays,omitempty"`
}

type policyFile struct {
	Type               string   `yaml:"type"`
	Frequency          string   `yaml:"frequency"`
	Time               string   `yaml:"time"`
	Weekdays           []string `yaml:"weekdays,omitempty,flow"`
	TimeZone           string   `yaml:"timeZone"`
	RetentionDays      int      `yaml:"retentionDays,omitempty"`
	RetentionWeeks     int      `yaml:"retentionWeeks,omitempty"`
	InstantRestoreDays int      `yaml:"instantRestoreDays"`
}

// Encode writes the plan as YAML in DESIGN §3's shape, version first. Empty
// optional values are written as their defaults; a plan with Redundancy.Keep
// has no redundancy section. A new policy is written with its defaults
// filled in (PlanPolicy.Normalized), and retainDays only with backupNow. The
// result is checked with DecodePlan, so Encode never writes a file that apply
// would refuse: an invalid plan returns the *PlanError DecodePlan gives for it.
func (p *Plan) Encode() ([]byte, error) {
	f := planSections{
		Version:      p.Version,
		Cloud:        or(p.Cloud, CloudPublic),
		Subscription: p.Subscription,
		VMs:          p.VMs,
		Vault:        vaultFile(p.Vault),
		Network:      networkFile{Mode: or(p.Network.Mode, NetworkNone), NSGRulePriority: or(p.Network.NSGRulePriority, PriorityAuto)},
		Agent:        agentFile{Fix: or(p.Agent.Fix, AgentFixInstructions)},
	}
	pr := protectFile{Enabled: p.Protect.Enabled, Policy: p.Protect.Policy, BackupNow: p.Protect.BackupNow}
	if pr.BackupNow {
		pr.RetainDays = p.Protect.RetainDays
		if pr.RetainDays == 0 {
			pr.RetainDays = DefaultRetainDays
		}
	}
	if np := p.Protect.NewPolicy; np != nil {
		n := np.Normalized()
		pr.NewPolicy = &policyFile{Type: n.Type, Frequency: n.Frequency, Time: n.Time, Weekdays: n.Weekdays,
			TimeZone: n.TimeZone, RetentionDays: n.RetentionDays, RetentionWeeks: n.RetentionWeeks, InstantRestoreDays: n.InstantRestoreDays}
	}
	if f.Version == 0 {
		f.Version = PlanVersion
	}
	if !p.Redundancy.Keep && p.Redundancy.StorageType != "" {
		f.Redundancy = &redundancyFile{StorageType: p.Redundancy.StorageType, CrossRegionRestore: p.Redundancy.CrossRegionRestore}
	}
	if n, err := strconv.Atoi(p.Network.NSGRulePriority); err == nil {
		f.Network.NSGRulePriority = n
	}
	if px := p.Network.Proxy; px != nil {
		f.Network.Proxy = &proxyFile{Host: px.Host, Port: px.Port, NoProxy: px.NoProxy}
	}
	var doc any = planFile{planSections: f, Protect: pr}
	if pr.NewPolicy != nil {
		doc = planFileBlock{planSections: f, Protect: pr}
	}
	out, err := yaml.MarshalWithOptions(doc, yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	if _, err := DecodePlan(out, "(plan being saved)"); err != nil {
		return nil, err
	}
	return out, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
