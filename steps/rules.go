package steps

import (
	"cmp"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backupready/backupready/azure"
)

// Rule ids (DESIGN §2a). They are stable: they appear in --json, in the plan
// journal, in docs and in tests, and name the catalog keys of each rule's
// messages ("rule.<id>.<case>" and "rule.<id>.<case>.fix").
const (
	RuleDeploymentModel = "vm.deployment-model"
	RuleOS              = "vm.os"
	RuleDisks           = "vm.disks"
	RulePower           = "vm.power"
	RuleSecurity        = "vm.security"
	RuleRestoreNetwork  = "vm.restore-network"
	RuleAgentStatus     = "agent.status"
	RuleAgentVersion    = "agent.version"
	RuleAgentExtensions = "agent.extensions"
	RuleSnapshotExt     = "extension.snapshot"
	RuleVaultRegion     = "vault.region"
	RuleBackupStatus    = "backup.status"
	RuleNetworkOutbound = "network.outbound"
)

// Default VM agent floors (DESIGN §2a: "default from AZURE.md §5.3"). The
// Windows floor is the one number the backup documentation quotes,
// 2.6.1198.718 (WaAppAgent.exe). The docs name no Linux floor: 2.2.53 is our
// own conservative choice. Both are only defaults: RuleConfig.AgentFloor
// overrides them per OS type.
const (
	DefaultWindowsAgentFloor = "2.6.1198.718"
	DefaultLinuxAgentFloor   = "2.2.53"
)

// Limits from the Azure VM backup support matrix (AZURE.md §6).
const (
	maxManagedDataDisks   = 32
	maxUnmanagedDataDisks = 16
	guideDataDiskLimit    = 16    // the 2016 guide's limit, for all VMs
	maxDiskSizeGB         = 32768 // 32 TiB per disk
)

// Documentation links, one per subject.
const (
	docsClassic     = "https://learn.microsoft.com/azure/virtual-machines/classic-vm-deprecation"
	docsMatrix      = "https://learn.microsoft.com/azure/backup/backup-support-matrix-iaas"
	docsConsistency = "https://learn.microsoft.com/azure/backup/backup-azure-vms-introduction"
	docsEnhanced    = "https://learn.microsoft.com/azure/backup/backup-azure-vms-enhanced-policy"
	docsRestore     = "https://learn.microsoft.com/azure/backup/backup-azure-arm-restore-vms"
	docsAgentHealth = "https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout"
	docsAgentWin    = "https://learn.microsoft.com/azure/virtual-machines/extensions/agent-windows"
	docsAgentLinux  = "https://learn.microsoft.com/azure/virtual-machines/extensions/agent-linux"
	docsExtensions  = "https://learn.microsoft.com/azure/virtual-machines/extensions/overview"
	docsVault       = "https://learn.microsoft.com/azure/backup/backup-create-recovery-services-vault"
	docsBackupFail  = "https://learn.microsoft.com/azure/backup/backup-azure-vms-troubleshoot"
	docsNetwork     = "https://learn.microsoft.com/azure/backup/backup-azure-arm-vms-prepare"
)

// RuleConfig tunes the readiness rules.
type RuleConfig struct {
	// AgentFloor is the lowest acceptable VM agent version per OS type
	// ("Windows", "Linux"); empty entries use the defaults.
	AgentFloor map[string]string
	// Concurrency bounds parallel instance-view reads (0: the azure default).
	Concurrency int
	// Today is the date OS support lifecycles are judged at; zero means the
	// current date. Tests and reports pin it so the verdicts are reproducible.
	Today time.Time
}

func (c RuleConfig) today() time.Time {
	if c.Today.IsZero() {
		return time.Now()
	}
	return c.Today
}

// agentFloor returns the configured floor for an OS type, or the default.
func (c RuleConfig) agentFloor(osType string) string {
	for k, v := range c.AgentFloor {
		if strings.EqualFold(k, osType) && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	switch osType {
	case "Windows":
		return DefaultWindowsAgentFloor
	case "Linux":
		return DefaultLinuxAgentFloor
	}
	return ""
}

// ruleInput is what every rule reads: the VM, the inventory (never nil inside
// the rules; readInv says whether the caller had one) and the configuration.
type ruleInput struct {
	vm      *azure.VM
	inv     *azure.Inventory
	readInv bool
	cfg     RuleConfig
}

type ruleCheck struct {
	id  string
	run func(*ruleInput) Finding
}

// ruleTable is every rule in the DESIGN §2a order.
var ruleTable = [...]ruleCheck{
	{RuleDeploymentModel, checkDeploymentModel},
	{RuleOS, checkOS},
	{RuleDisks, checkDisks},
	{RulePower, checkPower},
	{RuleSecurity, checkSecurity},
	{RuleRestoreNetwork, checkRestoreNetwork},
	{RuleAgentStatus, checkAgentStatus},
	{RuleAgentVersion, checkAgentVersion},
	{RuleAgentExtensions, checkAgentExtensions},
	{RuleSnapshotExt, checkSnapshotExtension},
	{RuleVaultRegion, checkVaultRegion},
	{RuleBackupStatus, checkBackupStatus},
	{RuleNetworkOutbound, checkNetworkOutbound},
}

// Rules lists the rule ids in the order Evaluate reports them.
var Rules = func() []string {
	ids := make([]string, len(ruleTable))
	for i, r := range ruleTable {
		ids[i] = r.id
	}
	return ids
}()

// Evaluate runs every readiness rule on one VM, in the fixed order of Rules,
// and returns exactly one finding per rule. Missing data gives warn findings
// ("could not be read"), never a panic; a nil inventory means the network and
// vault data were not read.
func Evaluate(vm *azure.VM, inv *azure.Inventory, cfg RuleConfig) []Finding {
	in := &ruleInput{vm: vm, inv: inv, readInv: inv != nil, cfg: cfg}
	if in.vm == nil {
		in.vm = &azure.VM{}
	}
	if in.inv == nil {
		in.inv = &azure.Inventory{}
	}
	out := make([]Finding, len(ruleTable))
	for i, r := range ruleTable {
		f := r.run(in)
		f.Rule = r.id
		out[i] = f
	}
	return out
}

// finding builds a finding whose reason is "rule.<id>.<case>" and, unless the
// verdict is ok, whose fix is the same key plus ".fix".
func finding(id string, v Verdict, c, docs string, args ...any) Finding {
	key := "rule." + id + "." + c
	f := Finding{Rule: id, Verdict: v, Msg: key, Args: args, Docs: DocsLink(docs)}
	if v != OK {
		f.Fix = key + ".fix"
	}
	return f
}

// ---- helpers on the VM ----

// osTypeOf returns "Windows", "Linux" or "" from the OS disk, falling back to
// the image and the instance view.
func osTypeOf(vm *azure.VM) string {
	switch strings.ToLower(vm.OSType) {
	case "windows":
		return "Windows"
	case "linux":
		return "Linux"
	}
	pub := strings.ToLower(vm.Image.Publisher)
	name := strings.ToLower(osName(vm))
	switch {
	case strings.HasPrefix(pub, "microsoftwindows"), strings.Contains(name, "windows"):
		return "Windows"
	case pub != "" && distroByPublisher(pub, vm.Image.Offer) != nil:
		return "Linux"
	case name != "" && distroByName(name) != nil:
		return "Linux"
	}
	return ""
}

// powerOf returns the VM's power state, preferring the fresher instance view.
func powerOf(vm *azure.VM) string {
	p := vm.PowerState
	if vm.Agent != nil && vm.Agent.PowerState != "" {
		p = vm.Agent.PowerState
	}
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(p)), "powerstate/")
}

// osName and osVersion prefer what the agent reported over Resource Graph.
func osName(vm *azure.VM) string {
	if vm.Agent != nil && vm.Agent.OSName != "" {
		return vm.Agent.OSName
	}
	return vm.OSName
}

func osVersion(vm *azure.VM) string {
	if vm.Agent != nil && vm.Agent.OSVersion != "" {
		return vm.Agent.OSVersion
	}
	return vm.OSVersion
}

// lastSegment is the name at the end of an ARM id.
func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[i+1:]
	}
	return id
}

func isFalse(b *bool) bool { return b != nil && !*b }

func date(t time.Time) string { return t.Format("2006-01-02") }

// ---- vm.deployment-model ----

func checkDeploymentModel(in *ruleInput) Finding {
	if in.vm.Classic {
		return finding(RuleDeploymentModel, Blocked, "classic", docsClassic)
	}
	return finding(RuleDeploymentModel, OK, "ok", docsClassic)
}

// ---- vm.os ----

// osRelease is an identified operating system release.
type osRelease struct {
	display      string    // "Windows Server 2012 R2", "Ubuntu 18.04"
	endOfSupport time.Time // zero: unknown or not yet announced
	unsupported  bool      // not in the backup support matrix
}

func checkOS(in *ruleInput) Finding {
	vm := in.vm
	typ := osTypeOf(vm)
	texts := []string{osName(vm), osVersion(vm), vm.Image.Offer, vm.Image.SKU}
	if is32Bit(texts...) {
		name := cmp.Or(osName(vm), vm.Image.SKU, typ)
		return finding(RuleOS, Blocked, "bits32", docsMatrix, "OS", name)
	}
	switch typ {
	case "Windows":
		rel, ok := windowsRelease(vm)
		if !ok {
			return finding(RuleOS, Warn, "windows-unknown", docsMatrix)
		}
		return judgeRelease(rel, in.cfg.today(), "windows")
	case "Linux":
		d, ver := linuxDistro(vm)
		if d == nil {
			name := cmp.Or(osName(vm), strings.Trim(vm.Image.Publisher+" "+vm.Image.Offer, " "), "Linux")
			return finding(RuleOS, Warn, "linux-byo", docsMatrix, "OS", name)
		}
		return judgeRelease(d.release(ver), in.cfg.today(), "linux")
	}
	return finding(RuleOS, Warn, "unknown", docsMatrix)
}

func judgeRelease(rel osRelease, today time.Time, family string) Finding {
	switch {
	case rel.unsupported:
		return finding(RuleOS, Blocked, family+"-unsupported", docsMatrix, "OS", rel.display)
	case !rel.endOfSupport.IsZero() && today.After(rel.endOfSupport):
		return finding(RuleOS, Warn, "past-support", docsMatrix, "OS", rel.display, "Date", date(rel.endOfSupport))
	}
	return finding(RuleOS, OK, family+"-ok", docsMatrix, "OS", rel.display)
}

// is32Bit looks for 32-bit markers ("32-bit", "i686", "x86" not followed by
// "64") in OS names, versions and image names.
func is32Bit(texts ...string) bool {
	for _, t := range texts {
		l := strings.ToLower(t)
		if strings.Contains(l, "32-bit") || strings.Contains(l, "32bit") || strings.Contains(l, "32 bit") {
			return true
		}
		for _, m := range []string{"i386", "i486", "i586", "i686"} {
			if strings.Contains(l, m) {
				return true
			}
		}
		for i := 0; ; {
			j := strings.Index(l[i:], "x86")
			if j < 0 {
				break
			}
			i += j + 3
			if !strings.HasPrefix(strings.TrimLeft(l[i:], "-_ "), "64") {
				return true
			}
		}
	}
	return false
}

var (
	reWinServerName  = regexp.MustCompile(`(?i)server\s*(\d{4})(\s*r2)?`)
	reWinServerSKU   = regexp.MustCompile(`(?i)^(\d{4})(-r2)?(?:\b|[-_])`)
	reWinServerOffer = regexp.MustCompile(`(?i)ws(\d{4})(r2)?`)
	reWinClientName  = regexp.MustCompile(`(?i)windows\s*(11|10|8\.1|8|7|vista|xp)\b`)
	reWinClientImg   = regexp.MustCompile(`(?i)win(?:dows)?-?(11|10|81|8|7)(?:\D|$)`)
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// windowsServerEnd is the end of extended support per Windows Server release
// (extended security updates not counted). 2025 is treated as supported: it
// is a current release, though its row in the backup matrix is unconfirmed
// (AZURE.md §6).
var windowsServerEnd = map[string]time.Time{
	"2008":    day(2020, 1, 14),
	"2008 R2": day(2020, 1, 14),
	"2012":    day(2023, 10, 10),
	"2012 R2": day(2023, 10, 10),
	"2016":    day(2027, 1, 12),
	"2019":    day(2029, 1, 9),
	"2022":    day(2031, 10, 14),
	"2025":    day(2034, 10, 10),
}

// windowsRelease identifies the Windows release from the agent's or Resource
// Graph's OS name, then the image.
func windowsRelease(vm *azure.VM) (osRelease, bool) {
	name := osName(vm)
	if m := reWinServerName.FindStringSubmatch(name); m != nil {
		return windowsServer(m[1], m[2] != ""), true
	}
	if m := reWinClientName.FindStringSubmatch(name); m != nil {
		v := strings.ReplaceAll(m[1], ".", "")
		// Windows 11 can report itself as Windows 10 (its product name was
		// never changed in the registry); its build number tells.
		if v == "10" && windowsBuild(osVersion(vm)) >= 22000 {
			v = "11"
		}
		return windowsClient(v), true
	}
	desktop := strings.EqualFold(vm.Image.Publisher, "MicrosoftWindowsDesktop")
	if m := reWinServerSKU.FindStringSubmatch(vm.Image.SKU); m != nil && !desktop {
		return windowsServer(m[1], m[2] != ""), true
	}
	if m := reWinServerOffer.FindStringSubmatch(vm.Image.Offer); m != nil {
		return windowsServer(m[1], m[2] != ""), true
	}
	for _, s := range []string{vm.Image.Offer, vm.Image.SKU} {
		if m := reWinClientImg.FindStringSubmatch(s); m != nil {
			return windowsClient(m[1]), true
		}
	}
	return osRelease{}, false
}

// windowsBuild reads the build number out of "10.0.22631", or 0.
func windowsBuild(v string) int {
	parts := strings.Split(strings.TrimSpace(v), ".")
	if len(parts) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(parts[2])
	return n
}

func windowsServer(year string, r2 bool) osRelease {
	v := year
	if r2 {
		v += " R2"
	}
	rel := osRelease{display: "Windows Server " + v}
	if end, ok := windowsServerEnd[v]; ok {
		rel.endOfSupport = end
		return rel
	}
	if y, _ := strconv.Atoi(year); y < 2008 {
		rel.unsupported = true
	}
	return rel
}

func windowsClient(v string) osRelease {
	switch strings.ToLower(v) {
	case "11":
		return osRelease{display: "Windows 11"}
	case "10":
		return osRelease{display: "Windows 10", endOfSupport: day(2025, 10, 14)}
	case "81":
		v = "8.1"
	}
	// Only Windows 10 and 11 (64-bit) are in the matrix among client releases.
	return osRelease{display: "Windows " + v, unsupported: true}
}

// distro is a Linux distribution Azure endorses (or, for CoreOS, excludes).
type distro struct {
	name        string
	publishers  []string // marketplace image publishers, lower case
	names       []string // lower-case prefixes of the agent's OS name
	ends        map[int]time.Time
	unsupported bool
	twoPart     bool // versions are YY.MM (Ubuntu)
}

// linuxDistros are the endorsed distributions with the end of their
// standard (not extended, paid) support per major version.
var linuxDistros = []distro{
	{name: "Ubuntu", publishers: []string{"canonical"}, names: []string{"ubuntu"}, twoPart: true},
	{name: "Red Hat Enterprise Linux", publishers: []string{"redhat"}, names: []string{"rhel", "redhat", "red hat"},
		ends: map[int]time.Time{5: day(2017, 3, 31), 6: day(2020, 11, 30), 7: day(2024, 6, 30), 8: day(2029, 5, 31), 9: day(2032, 5, 31), 10: day(2035, 5, 31)}},
	{name: "CentOS", publishers: []string{"openlogic"}, names: []string{"centos"},
		ends: map[int]time.Time{6: day(2020, 11, 30), 7: day(2024, 6, 30), 8: day(2021, 12, 31)}},
	{name: "Debian", publishers: []string{"debian", "credativ"}, names: []string{"debian"},
		ends: map[int]time.Time{7: day(2018, 5, 31), 8: day(2020, 6, 30), 9: day(2022, 6, 30), 10: day(2024, 6, 30), 11: day(2026, 8, 31), 12: day(2028, 6, 30), 13: day(2030, 6, 30)}},
	{name: "SUSE Linux Enterprise Server", publishers: []string{"suse"}, names: []string{"sles", "suse", "sle"},
		ends: map[int]time.Time{11: day(2019, 3, 31), 12: day(2024, 10, 31), 15: day(2031, 7, 31)}},
	{name: "openSUSE Leap", names: []string{"opensuse"}},
	{name: "Oracle Linux", publishers: []string{"oracle"}, names: []string{"oracle", "ol"},
		ends: map[int]time.Time{6: day(2021, 3, 1), 7: day(2024, 12, 31), 8: day(2029, 7, 31), 9: day(2032, 6, 30)}},
	{name: "AlmaLinux", publishers: []string{"almalinux"}, names: []string{"almalinux"},
		ends: map[int]time.Time{8: day(2029, 3, 1), 9: day(2032, 5, 31)}},
	{name: "Rocky Linux", publishers: []string{"resf", "erockyenterprisesoftwarefoundationinc1653071250513", "ciq"}, names: []string{"rocky"},
		ends: map[int]time.Time{8: day(2029, 5, 31), 9: day(2032, 5, 31)}},
	{name: "Flatcar Container Linux", publishers: []string{"kinvolk"}, names: []string{"flatcar"}},
	{name: "Azure Linux", publishers: []string{"microsoftcblmariner"}, names: []string{"mariner", "azurelinux", "azure linux", "cbl-mariner"},
		ends: map[int]time.Time{1: day(2023, 7, 31), 2: day(2025, 7, 31)}},
	{name: "CoreOS", publishers: []string{"coreos"}, names: []string{"coreos"}, unsupported: true},
}

func distroByPublisher(pub, offer string) *distro {
	pub = strings.ToLower(pub)
	if pub == "suse" && strings.Contains(strings.ToLower(offer), "opensuse") {
		return distroByName("opensuse")
	}
	for i := range linuxDistros {
		for _, p := range linuxDistros[i].publishers {
			if pub == p {
				return &linuxDistros[i]
			}
		}
	}
	return nil
}

func distroByName(name string) *distro {
	name = strings.ToLower(strings.TrimSpace(name))
	for i := range linuxDistros {
		for _, n := range linuxDistros[i].names {
			if name == n || strings.HasPrefix(name, n+" ") || (len(n) > 2 && strings.HasPrefix(name, n)) {
				return &linuxDistros[i]
			}
		}
	}
	return nil
}

// linuxDistro identifies the distribution and the text to read its version
// from: the agent's OS name and version first, then the image.
func linuxDistro(vm *azure.VM) (*distro, []string) {
	if d := distroByName(osName(vm)); d != nil {
		return d, []string{osVersion(vm), osName(vm), vm.Image.SKU, vm.Image.Offer}
	}
	if d := distroByPublisher(vm.Image.Publisher, vm.Image.Offer); d != nil {
		return d, []string{vm.Image.SKU, vm.Image.Offer, osVersion(vm)}
	}
	return nil, nil
}

var (
	reUbuntuVersion = regexp.MustCompile(`(\d{2})[._](\d{2})`)
	reDigits        = regexp.MustCompile(`\d+`)
	reImageNoise    = regexp.MustCompile(`gen\d|x64|arm64|amd64|v\d\b`) // not versions
	ubuntuCodenames = map[string]string{
		"trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04", "groovy": "20.10",
		"hirsute": "21.04", "impish": "21.10", "jammy": "22.04", "kinetic": "22.10", "lunar": "23.04",
		"mantic": "23.10", "noble": "24.04", "oracular": "24.10", "plucky": "25.04", "questing": "25.10",
	}
)

// release turns version texts into a release with its end of support.
func (d *distro) release(texts []string) osRelease {
	rel := osRelease{display: d.name, unsupported: d.unsupported}
	if d.twoPart {
		for _, t := range texts {
			y, m, ok := ubuntuVersion(t)
			if !ok {
				continue
			}
			rel.display = d.name + " " + strconv.Itoa(y) + "." + twoDigits(m)
			if m == 4 && y%2 == 0 { // LTS: five years of standard support
				rel.endOfSupport = day(2000+y+5, 4, 30)
			} else { // interim release: nine months
				rel.endOfSupport = day(2000+y, time.Month(m)+9, 1).AddDate(0, 1, -1)
			}
			return rel
		}
		return rel
	}
	for _, t := range texts {
		major, ok := majorVersion(reImageNoise.ReplaceAllString(strings.ToLower(t), ""))
		if !ok {
			continue
		}
		rel.display = d.name + " " + strconv.Itoa(major)
		if end, ok := d.ends[major]; ok {
			rel.endOfSupport = end
		}
		return rel
	}
	return rel
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func ubuntuVersion(s string) (year, month int, ok bool) {
	l := strings.ToLower(s)
	for code, v := range ubuntuCodenames {
		if strings.Contains(l, code) {
			l = v
			break
		}
	}
	m := reUbuntuVersion.FindStringSubmatch(l)
	if m == nil {
		return 0, 0, false
	}
	year, _ = strconv.Atoi(m[1])
	month, _ = strconv.Atoi(m[2])
	if month < 1 || month > 12 {
		return 0, 0, false
	}
	return year, month, true
}

// majorVersion reads a major version from texts like "8.6", "8_6", "86-gen2",
// "810-gen2", "ol79", "sles-15-sp5", "debian-12" or "10": the first number,
// except that a run of digits with no separator that does not start with 1
// ("86", "810") is a major and minor written together.
func majorVersion(s string) (int, bool) {
	loc := reDigits.FindStringIndex(s)
	if loc == nil {
		return 0, false
	}
	run := s[loc[0]:loc[1]]
	sep := loc[1] < len(s) && (s[loc[1]] == '.' || s[loc[1]] == '_')
	switch {
	case sep || len(run) == 1:
	case run[0] == '1':
		run = run[:2] // "10", "12", "15", "106" (10.6)
	default:
		run = run[:1] // "86" is 8.6, "810" is 8.10
	}
	n, err := strconv.Atoi(run)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

// ---- vm.disks ----

func checkDisks(in *ruleInput) Finding {
	vm := in.vm
	if vm.OSDisk == (azure.Disk{}) && len(vm.DataDisks) == 0 {
		return finding(RuleDisks, Warn, "unknown", docsMatrix)
	}
	if vm.EphemeralOS {
		return finding(RuleDisks, Blocked, "ephemeral", docsMatrix)
	}
	unmanaged := vm.OSDisk != (azure.Disk{}) && !vm.OSDisk.Managed
	for _, d := range vm.DataDisks {
		if !d.Managed {
			unmanaged = true
		}
	}
	n := len(vm.DataDisks)
	if unmanaged && n > maxUnmanagedDataDisks {
		return finding(RuleDisks, Blocked, "unmanaged-count", docsMatrix, "Count", n, "Max", maxUnmanagedDataDisks)
	}
	if n > maxManagedDataDisks {
		return finding(RuleDisks, Blocked, "managed-count", docsMatrix, "Count", n, "Max", maxManagedDataDisks)
	}
	all := append([]azure.Disk{vm.OSDisk}, vm.DataDisks...)
	for _, d := range all {
		if int64(d.SizeGB) > maxDiskSizeGB {
			return finding(RuleDisks, Blocked, "too-large", docsMatrix, "Disk", d.Name, "SizeGB", int(d.SizeGB))
		}
	}
	for _, d := range all {
		if t := strings.ToLower(d.StorageType); strings.HasPrefix(t, "ultrassd") || strings.HasPrefix(t, "premiumv2") {
			return finding(RuleDisks, Warn, "enhanced-only", docsEnhanced, "Disk", d.Name, "Type", d.StorageType)
		}
	}
	for _, d := range all {
		if d.WriteAccelerator {
			return finding(RuleDisks, Info, "write-accelerator", docsNetwork, "Disk", d.Name)
		}
	}
	if !unmanaged && n > guideDataDiskLimit {
		return finding(RuleDisks, Info, "over-guide-limit", docsMatrix, "Count", n, "Max", maxManagedDataDisks, "Old", guideDataDiskLimit)
	}
	for _, d := range all {
		if strings.HasPrefix(strings.ToLower(d.StorageType), "premium_") {
			return finding(RuleDisks, OK, "premium", docsMatrix, "Count", n)
		}
	}
	return finding(RuleDisks, OK, "ok", docsMatrix, "Count", n)
}

// hasWriteAccelerator reports whether any disk of the VM uses Write Accelerator.
func hasWriteAccelerator(vm *azure.VM) bool {
	if vm.OSDisk.WriteAccelerator {
		return true
	}
	for _, d := range vm.DataDisks {
		if d.WriteAccelerator {
			return true
		}
	}
	return false
}

// ---- vm.power ----

func checkPower(in *ruleInput) Finding {
	vm := in.vm
	if strings.HasPrefix(strings.ToLower(vm.Provisioning), "failed") {
		return finding(RulePower, Warn, "provisioning-failed", docsBackupFail)
	}
	switch p := powerOf(vm); p {
	case "running":
		return finding(RulePower, OK, "running", docsConsistency)
	case "stopped", "deallocated":
		return finding(RulePower, Warn, p, docsConsistency)
	case "":
		return finding(RulePower, Warn, "unknown", docsConsistency)
	default:
		return finding(RulePower, Warn, "transitioning", docsConsistency, "State", p)
	}
}

// ---- vm.security ----

func checkSecurity(in *ruleInput) Finding {
	switch t := in.vm.SecurityType; strings.ToLower(t) {
	case "", "standard":
		return finding(RuleSecurity, OK, "standard", docsEnhanced)
	case "trustedlaunch":
		return finding(RuleSecurity, Info, "trusted-launch", docsEnhanced)
	case "confidentialvm":
		return finding(RuleSecurity, Warn, "confidential", docsMatrix)
	default:
		return finding(RuleSecurity, Warn, "unknown", docsMatrix, "Type", t)
	}
}

// ---- vm.restore-network ----

func checkRestoreNetwork(in *ruleInput) Finding {
	vm := in.vm
	nics := len(vm.NICs)
	if nics == 0 {
		nics = len(vm.NICIDs)
	}
	if nics == 0 {
		return finding(RuleRestoreNetwork, Warn, "unknown", docsRestore)
	}
	if nics > 1 {
		return finding(RuleRestoreNetwork, Info, "multi-nic", docsRestore, "Count", nics)
	}
	pips, missing := 0, false
	for _, n := range vm.NICs {
		if n.Missing {
			missing = true
			continue
		}
		if n.LoadBalanced {
			return finding(RuleRestoreNetwork, Info, "load-balancer", docsRestore)
		}
		pips += n.PublicIPs
	}
	if pips > 1 {
		return finding(RuleRestoreNetwork, Info, "public-ips", docsRestore, "Count", pips)
	}
	if missing || len(vm.NICs) == 0 {
		return finding(RuleRestoreNetwork, Warn, "unknown", docsRestore)
	}
	return finding(RuleRestoreNetwork, OK, "simple", docsRestore)
}

// ---- agent.status ----

func agentDocs(vm *azure.VM) string {
	if osTypeOf(vm) == "Linux" {
		return docsAgentLinux
	}
	return docsAgentWin
}

func checkAgentStatus(in *ruleInput) Finding {
	vm := in.vm
	if a := vm.Agent; a != nil {
		switch strings.ToLower(strings.TrimSpace(a.Status)) {
		case "ready":
			return finding(RuleAgentStatus, OK, "ready", docsAgentHealth, "Version", cmp.Or(a.Version, "?"))
		case "not ready", "notready":
			detail := cmp.Or(strings.TrimSpace(a.Message), a.Code)
			if detail == "" {
				return finding(RuleAgentStatus, Fixable, "not-ready-silent", docsAgentHealth)
			}
			return finding(RuleAgentStatus, Fixable, "not-ready", docsAgentHealth, "Detail", detail)
		case "":
			if isFalse(vm.ProvisionAgent) {
				return finding(RuleAgentStatus, Fixable, "not-provisioned", agentDocs(vm))
			}
			// a VM that does not run reports no agent: that says nothing
			// about its agent
			if p := powerOf(vm); p != "" && p != "running" {
				return finding(RuleAgentStatus, Warn, "not-running", docsAgentHealth)
			}
			return finding(RuleAgentStatus, Fixable, "absent", agentDocs(vm))
		default:
			return finding(RuleAgentStatus, Warn, "unexpected", docsAgentHealth, "Status", a.Status)
		}
	}
	if isFalse(vm.ProvisionAgent) {
		return finding(RuleAgentStatus, Fixable, "not-provisioned", agentDocs(vm))
	}
	if p := powerOf(vm); p != "" && p != "running" {
		return finding(RuleAgentStatus, Warn, "not-running", docsAgentHealth)
	}
	if e := vm.AgentErr; e != nil {
		return finding(RuleAgentStatus, Warn, "unreadable", docsAgentHealth, "Reason", cmp.Or(e.Code, string(e.Kind)))
	}
	return finding(RuleAgentStatus, Warn, "not-read", docsAgentHealth)
}

// ---- agent.version ----

func checkAgentVersion(in *ruleInput) Finding {
	vm := in.vm
	docs := agentDocs(vm)
	var v string
	if vm.Agent != nil {
		v = strings.TrimSpace(vm.Agent.Version)
	}
	if v == "" || strings.EqualFold(v, "unknown") {
		return finding(RuleAgentVersion, Warn, "unknown", docs)
	}
	floor := in.cfg.agentFloor(osTypeOf(vm))
	if floor == "" {
		return finding(RuleAgentVersion, Warn, "no-floor", docs, "Version", v)
	}
	c, ok := compareVersions(v, floor)
	if !ok {
		return finding(RuleAgentVersion, Warn, "unparsable", docs, "Version", v)
	}
	if c < 0 {
		return finding(RuleAgentVersion, Fixable, "old", docs, "Version", v, "Floor", floor)
	}
	return finding(RuleAgentVersion, OK, "current", docs, "Version", v, "Floor", floor)
}

// compareVersions compares dotted numeric versions ("2.7.41491.1102"):
// -1, 0 or 1, with missing trailing parts read as 0 ("2.2" == "2.2.0").
// Text after the numeric part ("2.2.53-beta", "2.2.53 (Goal State Agent)")
// is ignored, and a leading "v" or "WALinuxAgent-" is skipped. ok is false
// when either side has no numeric version. Parts of any length compare
// correctly, with no overflow.
func compareVersions(a, b string) (c int, ok bool) {
	pa, oka := versionParts(a)
	pb, okb := versionParts(b)
	if !oka || !okb {
		return 0, false
	}
	for i := 0; i < max(len(pa), len(pb)); i++ {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c, true
		}
		if c := strings.Compare(x, y); c != 0 {
			return c, true
		}
	}
	return 0, true
}

// versionParts returns the numeric parts of a version with leading zeros
// removed, so that equal numbers are equal strings.
func versionParts(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	start := strings.IndexAny(s, "0123456789")
	if start < 0 {
		return nil, false
	}
	s = s[start:]
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	s = strings.TrimRight(s[:end], ".")
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if p == "" {
			return nil, false
		}
		p = strings.TrimLeft(p, "0")
		if p == "" {
			p = "0"
		}
		parts[i] = p
	}
	return parts, true
}

// ---- agent.extensions ----

func checkAgentExtensions(in *ruleInput) Finding {
	vm := in.vm
	if isFalse(vm.AllowExtOps) {
		return finding(RuleAgentExtensions, Fixable, "disallowed", docsExtensions, "VM", vm.Name, "ResourceGroup", vm.ResourceGroup)
	}
	if a := vm.Agent; a != nil {
		// The Linux agent's Extensions.Enabled=n is invisible to ARM; the
		// agent's status message is the only place it can show (wording not
		// confirmed, so only a clear mention counts).
		m := strings.ToLower(a.Message)
		if strings.Contains(m, "extensions.enabled") || strings.Contains(m, "extension processing is disabled") {
			return finding(RuleAgentExtensions, Fixable, "guest-disabled", docsAgentLinux)
		}
	}
	if !vm.HasOSProfile {
		return finding(RuleAgentExtensions, Info, "specialized", docsExtensions)
	}
	return finding(RuleAgentExtensions, OK, "allowed", docsExtensions)
}

// ---- extension.snapshot ----

// snapshotExtension finds VMSnapshot / VMSnapshotLinux in the instance view.
func snapshotExtension(a *azure.AgentState) *azure.ExtensionState {
	for i := range a.Extensions {
		e := &a.Extensions[i]
		if strings.EqualFold(e.Name, "VMSnapshot") || strings.EqualFold(e.Name, "VMSnapshotLinux") ||
			strings.Contains(strings.ToLower(e.Type), "recoveryservices.vmsnapshot") {
			return e
		}
	}
	return nil
}

func checkSnapshotExtension(in *ruleInput) Finding {
	vm := in.vm
	if vm.Agent == nil {
		return finding(RuleSnapshotExt, Warn, "unknown", docsAgentHealth)
	}
	e := snapshotExtension(vm.Agent)
	if e == nil {
		return finding(RuleSnapshotExt, OK, "absent", docsAgentHealth)
	}
	name := cmp.Or(e.Name, lastSegment(strings.ReplaceAll(e.Type, ".", "/")))
	code := strings.ToLower(e.Code)
	state := strings.TrimPrefix(code, "provisioningstate/")
	switch {
	case strings.Contains(code, "failed") || strings.EqualFold(e.Level, "Error"):
		detail := cmp.Or(strings.TrimSpace(e.Message), e.Code, "Error")
		return finding(RuleSnapshotExt, Fixable, "failed", docsAgentHealth, "Name", name, "Detail", detail, "VM", vm.Name, "ResourceGroup", vm.ResourceGroup)
	case strings.Contains(code, "delet"):
		return finding(RuleSnapshotExt, Fixable, "stuck-deleting", docsAgentHealth, "Name", name, "VM", vm.Name, "ResourceGroup", vm.ResourceGroup)
	case strings.Contains(code, "transitioning") || strings.Contains(code, "creating") || strings.Contains(code, "updating"):
		// The extension's normal state while a backup takes its snapshot:
		// not stuck, so information only.
		return finding(RuleSnapshotExt, Info, "transitioning", docsAgentHealth, "Name", name, "State", state, "VM", vm.Name, "ResourceGroup", vm.ResourceGroup)
	case strings.Contains(code, "succeeded"):
		return finding(RuleSnapshotExt, OK, "healthy", docsAgentHealth, "Name", name, "Version", cmp.Or(e.Version, "?"))
	}
	return finding(RuleSnapshotExt, Warn, "unexpected", docsAgentHealth, "Name", name, "State", cmp.Or(e.Code, "?"))
}

// ---- vault.region ----

func usableVault(v azure.Vault) bool {
	s := strings.ToLower(v.ProvisioningState)
	return s == "" || s == "succeeded"
}

func checkVaultRegion(in *ruleInput) Finding {
	vm := in.vm
	if p := vm.Protection; p != nil && p.VaultID != "" {
		return finding(RuleVaultRegion, OK, "protected", docsVault, "Vault", lastSegment(p.VaultID))
	}
	if !in.readInv || vm.SubscriptionID == "" || vm.Location == "" {
		return finding(RuleVaultRegion, Warn, "unknown", docsVault)
	}
	var names []string
	for _, v := range in.inv.VaultsIn(vm.SubscriptionID, vm.Location) {
		if usableVault(v) {
			names = append(names, v.Name)
		}
	}
	if len(names) == 0 {
		return finding(RuleVaultRegion, Fixable, "none", docsVault, "Location", vm.Location)
	}
	slices.Sort(names)
	return finding(RuleVaultRegion, OK, "found", docsVault, "Vault", names[0], "Count", len(names), "Location", vm.Location)
}

// ---- backup.status ----

func checkBackupStatus(in *ruleInput) Finding {
	vm := in.vm
	p := vm.Protection
	if p == nil {
		return finding(RuleBackupStatus, OK, "not-protected", docsBackupFail)
	}
	vaultID := cmp.Or(p.VaultID, azure.VaultIDOf(p.ItemID))
	vault := cmp.Or(lastSegment(vaultID), "?")
	lower := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	// A failing item that names its error (the last backup's code, from
	// its health details) says what fixes it and which step does.
	failing := func(state string) Finding {
		if f, ok := failedWithCode(p, vault, state); ok {
			return f
		}
		return finding(RuleBackupStatus, Warn, "failing", docsBackupFail, "Vault", vault, "State", state)
	}
	switch {
	case lower(p.State) == "protectionerror" || lower(p.State) == "protectionfailed":
		return failing(p.State)
	case lower(p.HealthStatus) == "actionrequired":
		return failing(p.HealthStatus)
	case lower(p.LastBackupState) == "failed" || lower(p.LastBackupState) == "unhealthy":
		return failing(p.LastBackupState)
	case lower(p.Status) == "unhealthy":
		return failing(p.Status)
	case lower(p.State) == "protectionstopped" || lower(p.State) == "protectionpaused" || lower(p.State) == "backupssuspended":
		return finding(RuleBackupStatus, Info, "stopped", docsBackupFail, "Vault", vault, "State", p.State)
	}
	if where, elsewhere := vaultElsewhere(in, vaultID); elsewhere {
		return finding(RuleBackupStatus, Info, "elsewhere", docsBackupFail, "Vault", vault, "Where", where)
	}
	return finding(RuleBackupStatus, OK, "protected", docsBackupFail, "Vault", vault, "State", cmp.Or(p.State, "Protected"))
}

// failedWithCode is the backup.status finding of a failing item whose
// health details name the error (AZURE.md §9): the message names the code
// and the step that addresses it, the fix and the page come from the job
// code table (jobcodes.go). ok is false when the item names no code. The
// numeric code is used when there is no textual one; a code the table does
// not know gets the generic fix (read the job's message).
func failedWithCode(p *azure.Protection, vault, state string) (Finding, bool) {
	code := p.ErrorCode
	if code == "" && p.ErrorNumber != 0 {
		code = strconv.FormatInt(int64(p.ErrorNumber), 10)
	}
	if code == "" {
		return Finding{}, false
	}
	fix, known := JobFixFor(p.ErrorCode)
	if !known && p.ErrorNumber != 0 {
		fix, _ = JobFixForNumber(p.ErrorNumber)
	}
	key := "rule." + RuleBackupStatus + ".failed-code"
	if fix.Fix == fixJobGeneric {
		// no job message to point at here: the finding quotes the item's
		fix.Fix = key + ".fix"
	}
	msg := key + "." + cmp.Or(fix.Step, "none")
	return Finding{Rule: RuleBackupStatus, Verdict: Warn, Msg: msg, Fix: fix.Fix, Docs: DocsLink(fix.Docs),
		Args: []any{"Vault", vault, "State", state, "Code", code, "Message", p.ErrorMessage}}, true
}

// vaultElsewhere reports whether the protecting vault is in another
// subscription or region than the VM, and names where it is.
func vaultElsewhere(in *ruleInput, vaultID string) (string, bool) {
	vm := in.vm
	for _, v := range in.inv.Vaults {
		if strings.EqualFold(v.ID, vaultID) {
			if !strings.EqualFold(v.SubscriptionID, vm.SubscriptionID) {
				return v.SubscriptionID, true
			}
			if azure.NormalizeLocation(v.Location) != azure.NormalizeLocation(vm.Location) {
				return v.Location, true
			}
			return "", false
		}
	}
	// Not in the inventory: judge by the subscription in its id.
	parts := strings.Split(strings.Trim(vaultID, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") && !strings.EqualFold(parts[1], vm.SubscriptionID) {
		return parts[1], true
	}
	return "", false
}

// ---- network.outbound ----

// nsgVerdict is how one NSG treats outbound TCP 443 to Azure Storage.
type nsgVerdict struct {
	allow    bool
	rule     string
	priority int32
}

// evalNSG walks the NSG's outbound rules in priority order; the first rule
// that covers TCP 443 to Storage in region from one of the VM's addresses
// decides. With no matching rule (an NSG read without its default rules) the
// Azure default AllowInternetOutBound applies.
func evalNSG(n *azure.NSG, region string, ips []netip.Addr) nsgVerdict {
	return evalFlow(n, storageFlow(region, ips))
}

func protocolMatches(p string) bool {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "tcp", "*", "all", "any":
		return true
	}
	return false
}

func anyPortMatches(specs []string, port int) bool {
	for _, s := range specs {
		if portMatches(s, port) {
			return true
		}
	}
	return false
}

// portMatches reports whether an NSG port spec ("*", "443", "80-443", or a
// comma-separated list of those) covers port. Malformed specs match nothing.
func portMatches(spec string, port int) bool {
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.EqualFold(part, "any") {
			return true
		}
		lo, hi, found := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 0 || a > 65535 {
			continue
		}
		b := a
		if found {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a || b > 65535 {
				continue
			}
		}
		if a <= port && port <= b {
			return true
		}
	}
	return false
}

func anyDestMatches(prefixes []string, region string) bool {
	for _, p := range prefixes {
		if destMatches(p, region) {
			return true
		}
	}
	return false
}

// destMatches reports whether an NSG destination covers Azure Storage in
// region: "*", the Internet, Storage, Storage.<region>, AzureCloud(.<region>)
// or an all-addresses prefix (0.0.0.0/0, ::/0). Narrower prefixes are not
// matched: which Storage addresses they hold is not known here.
func destMatches(prefix, region string) bool {
	p := strings.ToLower(strings.TrimSpace(prefix))
	switch p {
	case "*", "any", "internet", "storage", "azurecloud":
		return true
	}
	for _, tag := range []string{"storage.", "azurecloud."} {
		if r, ok := strings.CutPrefix(p, tag); ok {
			return region != "" && azure.NormalizeLocation(r) == azure.NormalizeLocation(region)
		}
	}
	if pf, err := netip.ParsePrefix(p); err == nil {
		return pf.Bits() == 0
	}
	return false
}

func anySourceMatches(prefixes []string, ips []netip.Addr) bool {
	if len(prefixes) == 0 {
		return true // application security groups: assume they hold the VM
	}
	for _, p := range prefixes {
		if sourceMatches(p, ips) {
			return true
		}
	}
	return false
}

// sourceMatches reports whether an NSG source covers the VM: "*", the
// VirtualNetwork tag, or an address or prefix holding one of its private
// addresses (any address or prefix when they are not known).
func sourceMatches(prefix string, ips []netip.Addr) bool {
	p := strings.ToLower(strings.TrimSpace(prefix))
	switch p {
	case "*", "any", "virtualnetwork":
		return true
	}
	var pf netip.Prefix
	if a, err := netip.ParseAddr(p); err == nil {
		pf = netip.PrefixFrom(a, a.BitLen())
	} else if pf, err = netip.ParsePrefix(p); err != nil {
		return false // another service tag
	}
	if len(ips) == 0 {
		return true
	}
	for _, ip := range ips {
		if pf.Contains(ip) {
			return true
		}
	}
	return false
}

// netFinding is one outcome of the network walk, worst kept.
type netFinding struct {
	rank int // 5 denied, 4 dropped by a route, 3 forced tunnelling, 2 unreadable, 1 no egress
	f    Finding
}

func checkNetworkOutbound(in *ruleInput) Finding {
	vm := in.vm
	if !in.readInv || (len(vm.NICs) == 0 && len(vm.NICIDs) == 0) {
		return finding(RuleNetworkOutbound, Warn, "unknown", docsNetwork)
	}
	region := vm.Location
	wa := hasWriteAccelerator(vm)
	worst := netFinding{rank: -1}
	keep := func(rank int, f Finding) {
		if rank > worst.rank {
			worst = netFinding{rank, f}
		}
	}
	var allowedBy []string
	judge := func(n *azure.NSG, ips []netip.Addr) {
		d := evalNSG(n, region, ips)
		if d.allow {
			if !slices.Contains(allowedBy, n.Name) {
				allowedBy = append(allowedBy, n.Name)
			}
			return
		}
		v, c := Warn, "denied"
		if wa {
			v, c = Fixable, "denied-write-accelerator"
		}
		keep(5, finding(RuleNetworkOutbound, v, c, docsNetwork,
			"Rule", d.rule, "Priority", int(d.priority), "NSG", n.Name, "Region", region))
	}
	for _, nic := range vm.NICs {
		if nic.Missing {
			keep(2, finding(RuleNetworkOutbound, Warn, "nic-unreadable", docsNetwork, "Name", lastSegment(nic.ID)))
			continue
		}
		ips := nicAddrs(nic)
		if nic.NSGID != "" {
			if n := in.inv.NSG(nic.NSGID); n != nil {
				judge(n, ips)
			} else {
				keep(2, finding(RuleNetworkOutbound, Warn, "nsg-unreadable", docsNetwork, "Name", lastSegment(nic.NSGID)))
			}
		}
		if len(nic.SubnetIDs) == 0 {
			keep(2, finding(RuleNetworkOutbound, Warn, "nic-unreadable", docsNetwork, "Name", lastSegment(nic.ID)))
		}
		for _, sid := range nic.SubnetIDs {
			s := in.inv.Subnet(sid)
			if s == nil {
				keep(2, finding(RuleNetworkOutbound, Warn, "subnet-unreadable", docsNetwork, "Name", lastSegment(sid)))
				continue
			}
			if s.NSGID != "" {
				if n := in.inv.NSG(s.NSGID); n != nil {
					judge(n, ips)
				} else {
					keep(2, finding(RuleNetworkOutbound, Warn, "nsg-unreadable", docsNetwork, "Name", lastSegment(s.NSGID)))
				}
			}
			// the route of the backup path (BackupRoute, as the Network step)
			p := BackupRoute(in.inv, nic, s, region)
			args := []any{"Name", p.Subnet, "Route", p.Route, "Table", p.Table, "Prefix", p.Prefix, "IP", p.HopIP,
				"Tag", StorageTag(region)}
			switch p.Kind {
			case PathNoEgress:
				if s.RouteTableID != "" {
					keep(1, finding(RuleNetworkOutbound, Warn, "no-egress-routes", docsNetwork, args...))
				} else {
					keep(1, finding(RuleNetworkOutbound, Warn, "no-egress", docsNetwork, "Name", lastSegment(sid)))
				}
			case PathAppliance:
				keep(3, finding(RuleNetworkOutbound, Warn, "forced-tunnel", docsNetwork, args...))
			case PathGateway:
				keep(3, finding(RuleNetworkOutbound, Warn, "forced-tunnel-gateway", docsNetwork, args...))
			case PathDropped:
				keep(4, finding(RuleNetworkOutbound, Warn, "dropped", docsNetwork, args...))
			case PathUnreadable:
				keep(2, finding(RuleNetworkOutbound, Warn, "route-table-unreadable", docsNetwork, "Name", p.Table))
			}
		}
	}
	if worst.rank >= 0 {
		return worst.f
	}
	if len(allowedBy) == 0 {
		return finding(RuleNetworkOutbound, OK, "no-nsg", docsNetwork)
	}
	return finding(RuleNetworkOutbound, OK, "allowed", docsNetwork, "NSGs", strings.Join(allowedBy, ", "), "Region", region)
}
