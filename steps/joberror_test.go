package steps

import (
	"testing"

	"github.com/backupready/backupready/azure"
)

// A failed job's textual code wins; without one, Azure's numeric code is
// kept where the table knows it, so the fix still names the right step.
func TestJobErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		errs []azure.JobError
		want string
	}{
		{"textual", []azure.JobError{{Code: 380008, Text: "UserErrorGuestAgentStatusUnavailable: the agent did not answer"}}, "UserErrorGuestAgentStatusUnavailable"},
		{"numeric only", []azure.JobError{{Code: 380008, Text: "The VM is not running."}}, "380008"},
		{"unknown number", []azure.JobError{{Code: 12345, Text: "the job failed."}}, "BackupJobFailed"},
		{"nothing", nil, "BackupJobFailed"},
	} {
		e, ok := azure.AsError(jobError(azure.Job{Errors: tc.errs}))
		if !ok || e.Code != tc.want {
			t.Errorf("%s: code %v, want %s", tc.name, e, tc.want)
		}
	}
	p := Explain(jobError(azure.Job{Errors: []azure.JobError{{Code: 380008, Text: "The VM is not running."}}}))
	if f, _ := JobFixFor("380008"); p.Next != f.Fix || p.Step != f.Step {
		t.Errorf("Explain of a numeric-only job error: next %q step %q, want %q %q", p.Next, p.Step, f.Fix, f.Step)
	}
}
