package access

import (
	"os"
	"strings"
	"testing"

	"github.com/backupready/backupready/steps"
)

// A new policy in line mode: each setting asked with its default and
// refused until valid (a taken name, a time off the half hour, an unknown
// time zone, retention and snapshot days out of range), the time zones
// listed on ?, the policy said in a sentence, then created with the VMs'
// protection and kept in the saved plan.
func TestRunProtectNewPolicy(t *testing.T) {
	in := "\n\n\n4\n\n\n\n\n\n\n\n\nyes\n" + // japaneast, a new vault, applied
		"create a new policy\n" + // by its label
		"defaultpolicy\n\n" + // taken (any case), then the suggested name
		"2\n2\n" + // Enhanced, weekly
		"22:15\n23:00\n" +
		"1,3\n" + // Monday and Wednesday
		"Tokio\n?\ntokyo standard time\n" +
		"0\n\n" + // no weeks, then the default
		"40\n\n" + // snapshot days out of range, then the default
		"no\nyes\n\n"
	code, out, _, plan := runDemo(t, "en", in)
	if code != steps.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"Name of the new policy. Press Enter alone for VMPolicy:",
		"The vault already has a policy named DefaultPolicy",
		"is not a start time",
		`"Tokio" is not a time zone Azure Backup schedules in.`,
		"\n1) UTC\n",
		"Type how many weeks each weekly backup is kept: 1 to 5163.",
		"The Enhanced policy type keeps snapshots 1 to 30 days (you typed 40).",
		"New policy VMPolicy: Enhanced, Weekly at 23:00, Tokyo Standard Time, on Monday, Wednesday; backups kept 12 weeks, snapshots 2 days.",
		"create: Backup policy VMPolicy",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"policy: VMPolicy", "frequency: Weekly", "time: \"23:00\"", "weekdays: [Monday, Wednesday]", "timeZone: Tokyo Standard Time", "retentionWeeks: 12"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("saved plan lacks %q:\n%s", want, data)
		}
	}
}
