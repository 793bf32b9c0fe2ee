package steps

import (
	"strconv"
	"strings"

	"github.com/backupready/backupready/ui"
)

// The Backup service's job error codes (AZURE.md §9) mapped to what fixes
// them: the wizard step that addresses the cause ("" when no step of the
// wizard can: the cause is in the guest, in Azure Policy, or needs waiting),
// the catalog key of the sentence saying what to do, and the troubleshooting
// page. One table serves Explain (a failed backup job, a refused protection),
// the Protect step's view of a failed job and the backup.status rule of
// `check` (a VM whose last backup failed).
//
// The codes are matched case-insensitively, textual or numeric (§9's
// "380008 AzureVmOffline" is either). How the codes reach the API is
// UNCONFIRMED (§9): the job's errorString starts with the textual code, the
// protected item's healthDetails[].title holds it (recorded:
// protected_item_stop_protection_final_200_after_backup.json has title
// IaasVmHealthGreenDefault with code 400239), and the numeric codes are the
// v5 model's int32 ErrorCode / Code.
//
// The docs anchors are those the troubleshooting pages' headings make
// ("Code - Title" becomes "code---title"), read from
// MicrosoftDocs/azure-docs articles/backup/backup-azure-vms-troubleshoot.md
// and backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout.md; the
// headings of today's pages are UNCONFIRMED, and a wrong anchor still opens
// the right page.

// JobFix is what fixes one job error code.
type JobFix struct {
	Step string // wizard step id ("agent", "network", "protect"), "" outside the wizard's reach
	Fix  string // catalog key of the "what to do" sentence (takes {{.Code}})
	Docs string // troubleshooting page, with the code's anchor
}

// Steps a job error can point at (the wizard's step ids).
const (
	jobStepAgent   = "agent"
	jobStepNetwork = "network"
	jobStepProtect = "protect"
)

const (
	docsVMTroubleshoot = "https://learn.microsoft.com/azure/backup/backup-azure-vms-troubleshoot"
	docsAgentTimeout   = "https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout"
	// fixJobGeneric is the fix of a code the table does not know.
	fixJobGeneric = "fix.job.generic"
)

// jobCode is one row of the table: the codes that mean the same failure
// (aliases), and their fix. Generic rows hold codes other Azure services use
// too (ResourceNotFound): Explain maps them only for a backup job's error.
type jobCode struct {
	codes   []string
	fix     JobFix
	generic bool
}

// jobCodes is the table, in AZURE.md §9's order (then codes the applier and
// the Protect step meet besides).
var jobCodes = []jobCode{
	{codes: []string{"UserErrorGuestAgentStatusUnavailable"},
		fix: JobFix{jobStepAgent, "fix.agent", docsAgentTimeout + "#usererrorguestagentstatusunavailable---vm-agent-unable-to-communicate-with-azure-backup"}},
	{codes: []string{"GuestAgentSnapshotTaskStatusError"},
		fix: JobFix{jobStepAgent, "fix.agent", docsAgentTimeout + "#guestagentsnapshottaskstatuserror---could-not-communicate-with-the-vm-agent-for-snapshot-status"}},
	{codes: []string{"ExtensionSnapshotFailedNoNetwork"},
		fix: JobFix{jobStepNetwork, "fix.network", docsAgentTimeout + "#extensionsnapshotfailednonetwork---snapshot-operation-failed-due-to-no-network-connectivity-on-the-virtual-machine"}},
	{codes: []string{"ExtensionSnapshotFailedNoSecureNetwork"},
		fix: JobFix{"", "fix.tls", docsVMTroubleshoot + "#extensionsnapshotfailednosecurenetwork---the-snapshot-operation-failed-because-of-failure-to-create-a-secure-network-communication-channel"}},
	// "Extention" (sic) is how the service spells it; the later name for
	// managed disks is the same failure.
	{codes: []string{"ExtentionOperationFailed", "ExtensionOperationFailed", "ExtentionOperationFailedForManagedDisks", "ExtensionOperationFailedForManagedDisks"},
		fix: JobFix{jobStepAgent, "fix.extension", docsAgentTimeout + "#extensionoperationfailedformanageddisks---vmsnapshot-extension-operation-failed"}},
	{codes: []string{"ExtensionStuckInDeletionState"},
		fix: JobFix{jobStepAgent, "fix.extension", docsVMTroubleshoot + "#extensionstuckindeletionstate---extension-state-is-not-supportive-to-backup-operation"}},
	{codes: []string{"BackUpOperationFailed", "BackUpOperationFailedV2"},
		fix: JobFix{jobStepAgent, "fix.internal", docsAgentTimeout + "#backupoperationfailed--backupoperationfailedv2---backup-fails-with-an-internal-error"}},
	{codes: []string{"UserErrorVmProvisioningStateFailed"},
		fix: JobFix{jobStepAgent, "fix.provisioning", docsAgentTimeout + "#usererrorvmprovisioningstatefailed---the-vm-is-in-failed-provisioning-state"}},
	{codes: []string{"UserErrorVmNotInDesirableState", "VmNotInDesirableState"},
		fix: JobFix{"", "fix.vm-state", docsVMTroubleshoot + "#usererrorvmnotindesirablestate---vm-is-not-in-a-state-that-allows-backups"}},
	{codes: []string{"380008", "AzureVmOffline"},
		fix: JobFix{jobStepAgent, "fix.vm-offline", docsVMTroubleshoot + "#380008-azurevmoffline---failed-to-install-microsoft-recovery-services-extension-as-virtual-machine--is-not-running"}},
	{codes: []string{"UserErrorRequestDisallowedByPolicy"},
		fix: JobFix{"", "fix.policy", docsVMTroubleshoot + "#usererrorrequestdisallowedbypolicy---an-invalid-policy-is-configured-on-the-vm-which-is-preventing-snapshot-operation"}},
	{codes: []string{"UserErrorRpCollectionLimitReached"},
		fix: JobFix{"", "fix.rp-limit", docsAgentTimeout + "#usererrorrpcollectionlimitreached---the-restore-point-collection-max-limit-has-reached"}},
	// §9 spells it Permission, the troubleshooting page Permissions.
	{codes: []string{"UserErrorKeyvaultPermissionNotConfigured", "UserErrorKeyvaultPermissionsNotConfigured"},
		fix: JobFix{"", "fix.keyvault", docsAgentTimeout + "#usererrorkeyvaultpermissionsnotconfigured---backup-doesnt-have-sufficient-permissions-to-the-key-vault-for-backup-of-encrypted-vms"}},
	{codes: []string{"UserErrorBackupOperationInProgress", "SystemBackupOperationInProgress"},
		fix: JobFix{jobStepProtect, "fix.in-progress", docsAgentTimeout + "#usererrorbackupoperationinprogress---unable-to-initiate-backup-as-another-backup-operation-is-currently-in-progress"}},
	{codes: []string{"UserErrorUnsupportedDiskSize"},
		fix: JobFix{"", "fix.disk-size", docsAgentTimeout + "#usererrorunsupporteddisksize---the-configured-disk-sizes-is-currently-not-supported-by-azure-backup"}},
	{codes: []string{"UserErrorFsFreezeFailed", "UserErrorUnableToOpenMount"},
		fix: JobFix{"", "fix.fsfreeze", docsVMTroubleshoot + "#usererrorfsfreezefailed---failed-to-freeze-one-or-more-mount-points-of-the-vm-to-take-a-file-system-consistent-snapshot"}},
	{codes: []string{"ExtensionFailedVssWriterInBadState"},
		fix: JobFix{"", "fix.vss", docsVMTroubleshoot + "#extensionfailedvsswriterinbadstate---snapshot-operation-failed-because-vss-writers-were-in-a-bad-state"}},
	{codes: []string{"ExtensionFailedVssServiceInBadState"},
		fix: JobFix{"", "fix.vss", docsVMTroubleshoot + "#extensionfailedvssserviceinbadstate---snapshot-operation-failed-due-to-vss-volume-shadow-copy-service-in-bad-state"}},
	{codes: []string{"ExtensionSnapshotFailedCOM", "ExtensionInstallationFailedCOM", "ExtensionInstallationFailedMDTC"},
		fix: JobFix{"", "fix.com", docsVMTroubleshoot + "#extensionsnapshotfailedcom--extensioninstallationfailedcom--extensioninstallationfailedmdtc---extension-installationoperation-failed-due-to-a-com-error"}},
	{codes: []string{"ExtensionVCRedistInstallationFailure"},
		fix: JobFix{"", "fix.vcredist", docsVMTroubleshoot + "#extensionvcredistinstallationfailure---the-snapshot-operation-failed-because-of-failure-to-install-visual-c-redistributable-for-visual-studio-2012"}},
	{codes: []string{"ExtensionConfigParsingFailure"},
		fix: JobFix{"", "fix.machinekeys", docsVMTroubleshoot + "#extensionconfigparsingfailure---failure-in-parsing-the-config-for-the-backup-extension"}},
	{codes: []string{"VMRestorePointInternalError"},
		fix: JobFix{"", "fix.antivirus", docsVMTroubleshoot + "#vmrestorepointinternalerror---antivirus-configured-in-the-vm-is-restricting-the-execution-of-backup-extension"}},
	{codes: []string{"ExtensionFailedTimeoutVMNetworkUnresponsive"},
		fix: JobFix{"", "fix.snapshot-slow", docsVMTroubleshoot + "#extensionfailedtimeoutvmnetworkunresponsive---snapshot-operation-failed-due-to-inadequate-vm-resources"}},
	{codes: []string{"ExtensionFailedSnapshotLimitReachedError"},
		fix: JobFix{"", "fix.snapshot-limit", docsVMTroubleshoot + "#extensionfailedsnapshotlimitreachederror---snapshot-operation-failed-as-snapshot-limit-is-exceeded-for-some-of-the-disks-attached"}},
	{codes: []string{"UserErrorMigrationFromTrustedLaunchVMToNonTrustedVMNotAllowed"},
		fix: JobFix{jobStepProtect, "fix.trusted-launch", docsVMTroubleshoot + "#usererrormigrationfromtrustedlaunchvm-tonontrustedvmnotallowed"}},
	// ResourceNotFound is any ARM 404's code as well: a job's error only.
	{codes: []string{"320001", "ResourceNotFound", "400094", "BCMV2VMNotFound"}, generic: true,
		fix: JobFix{"", "fix.vm-gone", docsVMTroubleshoot + "#320001-resourcenotfound---could-not-perform-the-operation-as-vm-no-longer-exists--400094-bcmv2vmnotfound---the-virtual-machine-doesnt-exist--an-azure-virtual-machine-wasnt-found"}},
	// Not in §9: what protecting a VM another vault holds answers.
	{codes: []string{"UserErrorVMAlreadyProtected", "BMSUserErrorVMAlreadyProtectedInAnotherVault"},
		fix: JobFix{"", "fix.elsewhere", docsVMTroubleshoot}},
}

// jobCodeIndex is the table by lower-cased code.
var jobCodeIndex = func() map[string]*jobCode {
	idx := map[string]*jobCode{}
	for i := range jobCodes {
		for _, c := range jobCodes[i].codes {
			k := strings.ToLower(c)
			if _, dup := idx[k]; dup {
				panic("jobcodes: " + c + " is in the table twice")
			}
			idx[k] = &jobCodes[i]
		}
	}
	return idx
}()

// lookupJobCode finds a code's row. The code may be textual or numeric, or
// both as the docs write them ("380008 AzureVmOffline", "320001,
// ResourceNotFound"), or a job's error text that starts with the code
// ("UserErrorFsFreezeFailed: Failed to freeze…"): the first word that is in
// the table wins.
func lookupJobCode(code string) (*jobCode, bool) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, false
	}
	if r, ok := jobCodeIndex[strings.ToLower(code)]; ok {
		return r, true
	}
	words := strings.FieldsFunc(code, func(r rune) bool { return r == ' ' || r == ',' || r == ':' || r == ';' || r == '/' })
	for i, w := range words {
		if i >= 3 {
			break // a code is at the start; the rest is the message
		}
		if r, ok := jobCodeIndex[strings.ToLower(strings.TrimRight(w, "."))]; ok {
			return r, true
		}
	}
	return nil, false
}

// JobFixFor returns what fixes a job error code; ok is false for a code the
// table does not know, whose fix says to read the job's message.
func JobFixFor(code string) (JobFix, bool) {
	if r, ok := lookupJobCode(code); ok {
		return r.fix, true
	}
	return JobFix{Fix: fixJobGeneric, Docs: docsVMTroubleshoot}, false
}

// JobFixForNumber is JobFixFor for the v5 model's numeric codes (a job's
// errorDetails[].errorCode, an item's healthDetails[].code).
func JobFixForNumber(n int32) (JobFix, bool) {
	if n == 0 {
		return JobFixFor("")
	}
	return JobFixFor(strconv.FormatInt(int64(n), 10))
}

// jobFixOf maps an error's code for Explain: a code the table knows, and
// for a backup job's error (op "backup-job") also the generic codes and,
// for a code it does not know, the generic fix. ok is false when the error
// is not the table's to explain.
func jobFixOf(op, code string) (JobFix, bool) {
	job := op == "backup-job"
	if r, ok := lookupJobCode(code); ok && (job || !r.generic) {
		return r.fix, true
	}
	if job {
		f, _ := JobFixFor("")
		return f, true
	}
	return JobFix{}, false
}

// JobStepKey is the catalog key naming the step a job error's fix is in
// ("step.agent.title"), "" when it is outside the wizard.
func JobStepKey(f JobFix) string {
	if f.Step == "" {
		return ""
	}
	return "step." + f.Step + ".title"
}

// jobStepLine names where a failed job's fix is: "Fix in: Agent & extension
// step", or outside the wizard for a code whose fix is in the guest or in
// Azure. "" for a problem that is not a job error the table knows.
func jobStepLine(tr *ui.Translator, p Problem) string {
	switch {
	case p.Step != "":
		return tr.T("jobcode.fixin", "Step", tr.T("step."+p.Step+".title"))
	case strings.HasPrefix(p.Next, "fix.") && p.Next != fixJobGeneric:
		return tr.T("jobcode.fixin.outside")
	}
	return ""
}

// jobStepLines renders jobStepLine under a problem's lines (indented as
// they are), none when there is nothing to say.
func jobStepLines(c *ui.Common, p Problem, w int) []string {
	line := jobStepLine(c.Tr, p)
	if line == "" {
		return nil
	}
	var out []string
	for _, l := range ui.Wrap(line, max(w-2, 8)) {
		out = append(out, "  "+c.Styles.App.Accent.Render(l))
	}
	return out
}
