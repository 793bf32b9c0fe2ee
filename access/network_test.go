package access

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backupready/backupready/steps"
)

// westeurope with its existing vault, defaults up to the Network step
// (subscriptions, VMs, details, region 1, vault, redundancy, CRR).
const toNetworkWEU = "\n\n\n1\n\n\n\n"

// IP ranges: the service tags are read and said (prefix counts, change
// number, weekly churn), a typed priority is refused until it wins over
// the blocking rule, and the plan has the two rules at that priority.
func TestRunNetworkIPRangesTypedPriority(t *testing.T) {
	code, out, _, plan := runDemo(t, "en", toNetworkWEU+"4\n2\n99\n4000\n150\n2\n\nno\n")
	if code != steps.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"Storage.WestEurope: 34 IPv4 and 12 IPv6 prefixes, change number 5 (list 63).",
		"Microsoft changes these lists every week: the rules keep change number 5",
		"A priority is a number from 100 to 4096, or empty for auto.",
		"It does not win over DenyInternetOutbound (200) in nsg-api-restricted: use a lower number.",
		"Priority of the new rules: 150.",
		"create: rule AllowAzureBackupStorageOutboundIPv4, priority 150, Allow, ",
		"create: rule AllowAzureBackupStorageOutboundIPv6, priority 151, Allow, ",
		"create: Security rule for Azure Backup in nsg-api-restricted, from - to 150",
		"Nothing was changed in Azure.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "How should the VMs reach Azure Backup?") != 1 {
		t.Errorf("the mode was asked more than once:\n%s", out)
	}
	if _, err := os.Stat(plan); !os.IsNotExist(err) {
		t.Errorf("a plan was written after a no: %v", err)
	}
}

// Service tags with the priority left to auto: the rule is planned just
// under the blocking rule, and said so.
func TestRunNetworkServiceTagsAutoPriority(t *testing.T) {
	code, out, _, _ := runDemo(t, "ja", toNetworkWEU+"1\n\n2\n\nいいえ\n")
	if code != steps.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"新しいルールの優先度: 自動。", "ルール AllowAzureBackupStorageOutbound、優先度 199、", "DenyInternetOutbound より先に評価されます"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Review: the scripts Run Command will run are read out whole between
// begin and end lines, and the az script is written beside the plan,
// executable, before the confirmation (declined: nothing else written).
func TestRunReviewScriptsAndExport(t *testing.T) {
	// service tags, auto priority, agents repaired by Run Command; then
	// read the scripts, write the az script, go on, no.
	code, out, _, plan := runDemo(t, "en", toNetworkWEU+"1\n\n1\n3\n2\n1\nno\n")
	if code != steps.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "scripts run inside VMs through Run Command") {
		t.Errorf("the scripts are not announced:\n%s", out)
	}
	begins, ends := strings.Count(out, "The script begins:"), strings.Count(out, "The script ends.")
	if begins == 0 || begins != ends {
		t.Errorf("%d script beginnings, %d ends:\n%s", begins, ends, out)
	}
	if !strings.Contains(out, "Script 1 of ") || !strings.Contains(out, "On: erp-legacy-01") {
		t.Errorf("the script's heading or VMs are missing:\n%s", out)
	}
	script := filepath.Join(filepath.Dir(plan), steps.ScriptFileName)
	fi, err := os.Stat(script)
	if err != nil {
		t.Fatalf("az script not written: %v\n%s", err, out)
	}
	if fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("az script not executable: %v", fi.Mode())
	}
	data, _ := os.ReadFile(script)
	if !strings.Contains(string(data), "set -euo pipefail") || !strings.Contains(string(data), "az network nsg rule create") {
		t.Errorf("az script:\n%s", data)
	}
	if !strings.Contains(out, "Azure CLI script written to "+script) {
		t.Errorf("the export is not said:\n%s", out)
	}
	if _, err := os.Stat(plan); !os.IsNotExist(err) {
		t.Errorf("the plan was written after a no: %v", err)
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("escape byte in the output")
	}
}
