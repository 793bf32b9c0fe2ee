package steps

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Every code of AZURE.md §9 (and its aliases), with the step that addresses
// it and its fix.
var jobCodeCases = []struct {
	code, step, fix string
}{
	{"UserErrorGuestAgentStatusUnavailable", "agent", "fix.agent"},
	{"GuestAgentSnapshotTaskStatusError", "agent", "fix.agent"},
	{"ExtensionSnapshotFailedNoNetwork", "network", "fix.network"},
	{"ExtensionSnapshotFailedNoSecureNetwork", "", "fix.tls"},
	{"ExtentionOperationFailed", "agent", "fix.extension"},
	{"ExtensionOperationFailedForManagedDisks", "agent", "fix.extension"},
	{"ExtensionStuckInDeletionState", "agent", "fix.extension"},
	{"BackUpOperationFailed", "agent", "fix.internal"},
	{"BackUpOperationFailedV2", "agent", "fix.internal"},
	{"UserErrorVmProvisioningStateFailed", "agent", "fix.provisioning"},
	{"UserErrorVmNotInDesirableState", "", "fix.vm-state"},
	{"VmNotInDesirableState", "", "fix.vm-state"},
	{"380008 AzureVmOffline", "agent", "fix.vm-offline"},
	{"380008", "agent", "fix.vm-offline"},
	{"AzureVmOffline", "agent", "fix.vm-offline"},
	{"UserErrorRequestDisallowedByPolicy", "", "fix.policy"},
	{"UserErrorRpCollectionLimitReached", "", "fix.rp-limit"},
	{"UserErrorKeyvaultPermissionNotConfigured", "", "fix.keyvault"},
	{"UserErrorKeyvaultPermissionsNotConfigured", "", "fix.keyvault"},
	{"UserErrorBackupOperationInProgress", "protect", "fix.in-progress"},
	{"SystemBackupOperationInProgress", "protect", "fix.in-progress"},
	{"UserErrorUnsupportedDiskSize", "", "fix.disk-size"},
	{"UserErrorFsFreezeFailed", "", "fix.fsfreeze"},
	{"UserErrorUnableToOpenMount", "", "fix.fsfreeze"},
	{"ExtensionFailedVssWriterInBadState", "", "fix.vss"},
	{"ExtensionFailedVssServiceInBadState", "", "fix.vss"},
	{"ExtensionSnapshotFailedCOM", "", "fix.com"},
	{"ExtensionInstallationFailedCOM", "", "fix.com"},
	{"ExtensionInstallationFailedMDTC", "", "fix.com"},
	{"ExtensionVCRedistInstallationFailure", "", "fix.vcredist"},
	{"ExtensionConfigParsingFailure", "", "fix.machinekeys"},
	{"VMRestorePointInternalError", "", "fix.antivirus"},
	{"ExtensionFailedTimeoutVMNetworkUnresponsive", "", "fix.snapshot-slow"},
	{"ExtensionFailedSnapshotLimitReachedError", "", "fix.snapshot-limit"},
	{"UserErrorMigrationFromTrustedLaunchVMToNonTrustedVMNotAllowed", "protect", "fix.trusted-launch"},
	{"320001 ResourceNotFound", "", "fix.vm-gone"},
	{"320001, ResourceNotFound", "", "fix.vm-gone"},
	{"ResourceNotFound", "", "fix.vm-gone"},
	{"400094 BCMV2VMNotFound", "", "fix.vm-gone"},
	{"400094", "", "fix.vm-gone"},
	// A job's error text starts with its code.
	{"UserErrorFsFreezeFailed: Failed to freeze one or more mount-points of the VM.", "", "fix.fsfreeze"},
}

func TestJobCodeTable(t *testing.T) {
	keys, err := ui.CatalogKeys()
	if err != nil {
		t.Fatal(err)
	}
	trs := rtTranslators(t)
	for _, c := range jobCodeCases {
		for _, code := range []string{c.code, strings.ToLower(c.code), strings.ToUpper(c.code), "  " + c.code + " "} {
			f, ok := JobFixFor(code)
			if !ok || f.Step != c.step || f.Fix != c.fix {
				t.Errorf("%q: %+v %v, want step %q fix %q", code, f, ok, c.step, c.fix)
			}
			if !strings.HasPrefix(f.Docs, docsVMTroubleshoot+"#") && !strings.HasPrefix(f.Docs, docsAgentTimeout+"#") {
				t.Errorf("%q: docs %q should be a troubleshooting page's anchor", code, f.Docs)
			}
		}
	}
	// Unknown codes (and none) get the generic fix: read the job's message.
	for _, code := range []string{"", "BackupJobFailed", "UserErrorSomethingNew", "999999", "Failed to take a snapshot"} {
		f, ok := JobFixFor(code)
		if ok || f.Fix != fixJobGeneric || f.Step != "" || f.Docs != docsVMTroubleshoot {
			t.Errorf("%q: %+v %v, want the generic fix", code, f, ok)
		}
	}
	if f, ok := JobFixForNumber(380008); !ok || f.Fix != "fix.vm-offline" {
		t.Errorf("380008 as a number: %+v %v", f, ok)
	}
	if f, ok := JobFixForNumber(0); ok || f.Fix != fixJobGeneric {
		t.Errorf("no number: %+v %v", f, ok)
	}
	// Every row: a step the wizard has, a fix in every catalog whose text
	// names the code.
	steps := map[string]bool{"": true}
	for _, id := range []string{"scope", "preflight", "vault", "redundancy", "network", "agent", "review", "apply", "protect", "summary"} {
		steps[id] = true
	}
	for _, r := range append(jobCodes, jobCode{codes: []string{"unknown"}, fix: JobFix{Fix: fixJobGeneric}}) {
		if !steps[r.fix.Step] {
			t.Errorf("%v: step %q is not a wizard step", r.codes, r.fix.Step)
		}
		if r.fix.Step != "" && !slices.Contains(keys["en"], JobStepKey(r.fix)) {
			t.Errorf("%v: no %s", r.codes, JobStepKey(r.fix))
		}
		for lang, tr := range trs {
			s := tr.T(r.fix.Fix, "Code", "CodeX")
			if s == r.fix.Fix || !strings.Contains(s, "CodeX") || strings.Contains(s, "<no value>") {
				t.Errorf("%s: %s: %q", lang, r.fix.Fix, s)
			}
		}
	}
}

// Explain maps a failed backup job's code to its fix, step and page; a code
// other services use too (ResourceNotFound) is a job's only for a job.
func TestExplainJobError(t *testing.T) {
	tr := translator(t, "en")
	job := func(code string) error {
		return &azure.Error{Kind: azure.KindOperation, Op: "backup-job", Code: code, Message: "Take Snapshot failed"}
	}
	p := Explain(job("UserErrorGuestAgentStatusUnavailable"))
	if p.Next != "fix.agent" || p.Step != "agent" || !strings.Contains(p.Docs, "#usererrorguestagentstatusunavailable") {
		t.Errorf("agent: %+v", p)
	}
	if _, _, next := p.Text(tr); !strings.Contains(next, "UserErrorGuestAgentStatusUnavailable") {
		t.Errorf("the fix should name the code: %q", next)
	}
	if got := jobStepLine(tr, p); got != "Fix in: Agent & extension step" {
		t.Errorf("step line %q", got)
	}
	if p := Explain(job("extensionsnapshotfailednonetwork")); p.Next != "fix.network" || p.Step != "network" {
		t.Errorf("case-insensitive: %+v", p)
	}
	if p := Explain(job("ResourceNotFound")); p.Next != "fix.vm-gone" || p.Step != "" {
		t.Errorf("a job's ResourceNotFound: %+v", p)
	} else if got := jobStepLine(tr, p); got != tr.T("jobcode.fixin.outside") {
		t.Errorf("outside the wizard: %q", got)
	}
	p = Explain(job("BackupJobFailed"))
	if p.Next != fixJobGeneric || p.Step != "" || jobStepLine(tr, p) != "" {
		t.Errorf("unknown job code: %+v", p)
	}
	// Not a job: a vault that is not there is a 404, not a deleted VM.
	notFound := &azure.Error{Kind: azure.KindNotFound, Op: "get-vault", Status: 404, Code: "ResourceNotFound"}
	if p := Explain(notFound); p.Next != "err.notFound.next" || p.Step != "" || jobStepLine(tr, p) != "" {
		t.Errorf("a vault 404: %+v", p)
	}
	// Protecting a VM another vault holds (not a job, a code the table has).
	held := &azure.Error{Kind: azure.KindConflict, Op: "protect-vm", Code: "BMSUserErrorVMAlreadyProtectedInAnotherVault"}
	if p := Explain(held); p.Next != "fix.elsewhere" {
		t.Errorf("protected elsewhere: %+v", p)
	}
	if p := Explain(&azure.Error{Kind: azure.KindOperation, Op: "create-vault", Code: "InternalError"}); p.Next != "err.operationFailed.next" {
		t.Errorf("another operation's unknown code: %+v", p)
	}
	for _, lang := range ui.Languages {
		what, why, next := Explain(job("380008")).Text(translator(t, lang))
		for _, s := range []string{what, why, next} {
			if s == "" || strings.Contains(s, "<no value>") {
				t.Errorf("%s: %q %q %q", lang, what, why, next)
			}
		}
		if !strings.Contains(next, "380008") {
			t.Errorf("%s: %q", lang, next)
		}
	}
}

// backup.status names the last backup's error code, its fix and its step.
func TestBackupStatusFailedCode(t *testing.T) {
	trs := rtTranslators(t)
	for _, c := range []struct {
		name    string
		setup   func(p *azure.Protection)
		msg     string
		fix     string
		code    string
		anchor  string
		inFixEn string
	}{
		{"agent", func(p *azure.Protection) {
			p.State, p.LastBackupState, p.ErrorCode, p.ErrorNumber = "ProtectionError", "Failed", "UserErrorGuestAgentStatusUnavailable", 0
		}, "failed-code.agent", "fix.agent", "UserErrorGuestAgentStatusUnavailable", "#usererrorguestagentstatusunavailable", "168.63.129.16"},
		{"network, health only", func(p *azure.Protection) {
			p.HealthStatus, p.ErrorCode, p.ErrorNumber = "ActionRequired", "ExtensionSnapshotFailedNoNetwork", 400011
		}, "failed-code.network", "fix.network", "ExtensionSnapshotFailedNoNetwork", "#extensionsnapshotfailednonetwork", "Storage"},
		{"number only", func(p *azure.Protection) {
			p.LastBackupState, p.ErrorNumber = "Failed", 380008
		}, "failed-code.agent", "fix.vm-offline", "380008", "#380008-azurevmoffline", "agent"},
		{"outside the wizard", func(p *azure.Protection) {
			p.LastBackupState, p.ErrorCode = "Failed", "usererrorfsfreezefailed"
		}, "failed-code.none", "fix.fsfreeze", "usererrorfsfreezefailed", "#usererrorfsfreezefailed", "fsck"},
		{"unknown code", func(p *azure.Protection) {
			p.LastBackupState, p.ErrorCode, p.ErrorMessage = "Failed", "UserErrorSomethingNew", "The new thing went wrong."
		}, "failed-code.none", "rule.backup.status.failed-code.fix", "UserErrorSomethingNew", "", "The new thing went wrong"},
		{"no code", func(p *azure.Protection) { p.LastBackupState = "Failed" }, "failing", "rule.backup.status.failing.fix", "", "", "Open the backup item"},
		// A green item with a detail is not failing.
		{"healthy", func(p *azure.Protection) { p.ErrorCode = "UserErrorGuestAgentStatusUnavailable" }, "protected", "", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm, inv := rtHealthyVM(), rtHealthyInv()
			rtProtect("Protected", "")(vm, inv)
			c.setup(vm.Protection)
			f := Evaluate(vm, inv, RuleConfig{Today: rtToday})[slices.Index(Rules, RuleBackupStatus)]
			if f.Msg != "rule.backup.status."+c.msg || f.Fix != c.fix {
				t.Fatalf("got %s %s %s (%v)", f.Verdict, f.Msg, f.Fix, f.Args)
			}
			if c.msg == "protected" {
				if f.Verdict != OK {
					t.Errorf("verdict %s", f.Verdict)
				}
				return
			}
			if f.Verdict != Warn {
				t.Errorf("verdict %s", f.Verdict)
			}
			if got := rtArgs(f.Args)["Code"]; c.code != "" && got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
			if !strings.Contains(f.Docs, c.anchor) || !strings.HasPrefix(f.Docs, "https://learn.microsoft.com/") {
				t.Errorf("docs %q", f.Docs)
			}
			rtCheckText(t, f, trs)
			msg, fix := f.Text(trs["en"])
			if c.code != "" && !strings.Contains(msg, c.code) {
				t.Errorf("message %q should name %s", msg, c.code)
			}
			if !strings.Contains(fix, c.inFixEn) {
				t.Errorf("fix %q should say %q", fix, c.inFixEn)
			}
			if strings.HasSuffix(c.msg, ".agent") && !strings.Contains(msg, "Agent & extension step") {
				t.Errorf("message %q should name the step", msg)
			}
		})
	}
}

// Through the simulated demo: dev-snapfail-01's item failed with
// ExtensionSnapshotFailedNoNetwork, which the Network step addresses.
func TestBackupStatusFailedCodeFromGraph(t *testing.T) {
	_, api := simClient(t, 0, time.Now, nil)
	inv, err := api.Inventory(t.Context(), []string{simProd, simDevSub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var vm *azure.VM
	for i := range inv.VMs {
		if inv.VMs[i].Name == "dev-snapfail-01" {
			vm = &inv.VMs[i]
		}
	}
	if vm == nil {
		t.Fatal("dev-snapfail-01 is not in the demo")
	}
	f := Evaluate(vm, inv, RuleConfig{Today: rtToday})[slices.Index(Rules, RuleBackupStatus)]
	msg, fix := f.Text(translator(t, "en"))
	if f.Verdict != Warn || f.Msg != "rule.backup.status.failed-code.network" || f.Fix != "fix.network" ||
		!strings.Contains(msg, "ExtensionSnapshotFailedNoNetwork") || !strings.Contains(msg, "Network step") || !strings.Contains(fix, "Storage") {
		t.Errorf("dev-snapfail-01: %s %s %s\n%s\n%s", f.Verdict, f.Msg, f.Fix, msg, fix)
	}
}

// Protect's run: a backup job that failed because the agent does not
// report names the Agent & extension step under the question, and again in
// the finished run, in every language, inside the window.
func TestProtectFailedJobNamesTheStep(t *testing.T) {
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			clock := newProtClock()
			_, api := simClient(t, 0, clock.Now, nil)
			sess := protSession(t, protPlan(t, api, "app-noagent-01"))
			d := newProtModel(t, lang, sess, api, clock)
			d.activate()
			tr := translator(t, lang)
			want := tr.T("jobcode.fixin", "Step", tr.T("step.agent.title"))
			d.key(protEnter)
			d.key(protEnter)
			d.until("the review", func(m protectStep) bool { return m.rstate == stateReady })
			d.msg(protEnter)
			d.until("the question", func(m protectStep) bool { return m.view.Asking() })
			for _, sz := range []struct{ w, h int }{{120, 40}, {80, 24}} {
				v := d.view(sz.w, sz.h)

				lines := strings.Split(v, "\n")
				if len(lines) > sz.h {
					t.Errorf("%dx%d: %d lines", sz.w, sz.h, len(lines))
				}
				for _, l := range lines {
					if ui.Width(l) > sz.w {
						t.Errorf("%dx%d: too wide: %q", sz.w, sz.h, l)
					}
				}
				if !strings.Contains(jcFlat(v), jcFlat(want)) {
					t.Errorf("%dx%d: the question should name the step (%s):\n%s", sz.w, sz.h, want, v)
				}
			}
			d.msg(tea.KeyPressMsg{Code: 's', Text: "s"})
			d.until("the run's end", func(m protectStep) bool { return m.phase == protectFinished })
			v := d.view(100, 80)
			if !strings.Contains(jcFlat(v), jcFlat(want)) {
				t.Errorf("the finished run should name the step (%s):\n%s", want, v)
			}
			p := Explain(&azure.Error{Kind: azure.KindOperation, Op: "backup-job", Code: "UserErrorGuestAgentStatusUnavailable"})
			_, _, next := p.Text(tr)
			if !strings.Contains(jcFlat(v), jcFlat(next)) {
				t.Errorf("the finished run should give the fix (%s):\n%s", next, v)
			}
			if !strings.Contains(jcFlat(v), p.Docs) {
				t.Errorf("the finished run should give the page whole (%s):\n%s", p.Docs, v)
			}
		})
	}
}

// jcFlat joins a screen's words, so that wrapped text can be looked for.
func jcFlat(s string) string { return strings.Join(strings.Fields(s), "") }
