package access

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

// demoSub is the demo tenant's Contoso Production subscription.
const demoSub = "3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192"

func demoClient(t *testing.T) *azure.Client {
	t.Helper()
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, 0
	c, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func runDemo(t *testing.T, lang, input string) (int, string, *azure.Client, string) {
	t.Helper()
	tr, err := ui.NewTranslator(lang)
	if err != nil {
		t.Fatal(err)
	}
	cl := demoClient(t)
	out := &syncBuffer{}
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	code := Run(context.Background(), Options{In: strings.NewReader(input), Out: out, API: cl,
		Wizard: steps.WizardOptions{Translator: tr, Demo: true, PlanPath: plan, Run: steps.RunOptions{PollEvery: 1}}})
	return code, out.String(), cl, plan
}

// The input ends at Review's question: the run stops with 130, says that
// nothing changed, and nothing did (no plan file, no vault).
func TestRunInputEndsBeforeConfirmChangesNothing(t *testing.T) {
	// all subscriptions, all VMs, no details, japaneast, a new vault with
	// the suggested name and group, defaults for the rest, then the end.
	code, out, cl, plan := runDemo(t, "en", "\n\n\n4\n\n\n\n\n\n\n\n\n")
	if code != steps.ExitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, out)
	}
	for _, want := range []string{"Region: japaneast", "rsv-backup-japaneast is free", "create: Recovery Services vault rsv-backup-japaneast",
		"Type yes to confirm", "Stopped. Nothing was changed in Azure."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(plan); !os.IsNotExist(err) {
		t.Errorf("the plan was written before confirming: %v", err)
	}
	v, err := cl.VaultByName(context.Background(), demoSub, "rg-backup-japaneast", "rsv-backup-japaneast")
	if err != nil || v != nil {
		t.Errorf("the vault exists after a cancelled run: %v %v", v, err)
	}
}

// A "no" at Review changes nothing and ends with 0.
func TestRunDeclinedAtReview(t *testing.T) {
	code, out, cl, plan := runDemo(t, "ja", "\n\n\n4\n\n\n\n\n\n\n\n\nいいえ\n")
	if code != steps.ExitOK || !strings.Contains(out, "Azure では何も変更していません。") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(plan); !os.IsNotExist(err) {
		t.Errorf("the plan was written after a no: %v", err)
	}
	if v, _ := cl.VaultByName(context.Background(), demoSub, "rg-backup-japaneast", "rsv-backup-japaneast"); v != nil {
		t.Error("the vault was created after a no")
	}
}

// The whole demo in one go: the vault created and the VM protected, the
// summary said, the report written; no escape sequence anywhere.
func TestRunWholeDemo(t *testing.T) {
	code, out, cl, plan := runDemo(t, "zh", "\n\n\n4\n\n\n\n\n\n\n\n\n是\n\n\n\n是\n1\n4\n")
	if code != steps.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"第 10 步，共 10 步：摘要。", "正常：恢复服务保管库 rsv-backup-japaneast", "已写入：", "完成。backupready 到此结束。"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("the output holds an escape sequence:\n%q", out)
	}
	v, err := cl.VaultByName(context.Background(), demoSub, "rg-backup-japaneast", "rsv-backup-japaneast")
	if err != nil || v == nil {
		t.Fatalf("no vault after the run: %v", err)
	}
	data, err := os.ReadFile(plan)
	if err != nil || !strings.Contains(string(data), "policy: DefaultPolicy") {
		t.Errorf("saved plan: %v\n%s", err, data)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(plan), steps.ReportName)); err != nil {
		t.Errorf("report not written: %v", err)
	}
}
