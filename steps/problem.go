package steps

import (
	"errors"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Problem is a failure explained for a person: what happened, why, and what to
// do next, as catalog keys with arguments. Every error a user can meet is
// turned into one by Explain; the raw error is kept only to be shown dimmed.
type Problem struct {
	What, Why, Next string // catalog keys
	Args            []any  // key/value pairs for the three keys
	Docs            string
	Exit            int // process exit code for headless commands
	Err             error
	// Step is the wizard step that addresses a backup job's failure
	// ("agent", "network", …; jobcodes.go), "" when none does.
	Step string
}

// Exit codes (DESIGN §1).
const (
	ExitOK          = 0
	ExitBlocking    = 1
	ExitUsage       = 2
	ExitSignIn      = 3
	ExitAzure       = 4
	ExitInterrupted = 130
)

// readOps are the operations that only read: Reader is the role they need.
var readOps = map[string]bool{
	"graph-vms": true, "graph-network": true, "graph-vaults": true, "instance-view": true, "read-agents": true,
	"list-subscriptions": true, "list-locations": true, "list-tenants": true, "provider-state": true,
	"get-nic": true, "get-nsg": true, "get-vault": true, "list-vaults": true, "get-job": true,
	"get-storage-config": true, "check-vault-name": true, "get-resource-group": true,
	"list-resource-groups": true, "list-policies": true, "get-policy": true, "get-protected-item": true,
	"get-backup-operation": true, "backup-job": true,
}

// writeRoles names the built-in role each changing operation needs. Vault
// settings need Backup Contributor; creating a vault (or its group) needs
// Contributor on the resource group.
var writeRoles = map[string]string{
	"set-storage-config":     "Backup Contributor",
	"create-vault":           "Contributor (resource group)",
	"create-resource-group":  "Contributor (subscription)",
	"register-provider":      "Contributor (subscription)",
	"create-policy":          "Backup Contributor",
	"prevalidate-protection": "Backup Contributor",
	"refresh-containers":     "Backup Contributor",
	"protect-vm":             "Backup Contributor (vault) and Virtual Machine Contributor (VM)",
	"trigger-backup":         "Backup Operator",
	"backup-now":             "Backup Operator",
}

// roleFor names the built-in role an operation most likely lacks.
func roleFor(op string) string {
	if readOps[op] {
		return "Reader"
	}
	if r, ok := writeRoles[op]; ok {
		return r
	}
	return "Contributor"
}

// Explain maps any error to a Problem. The table is ordered: the first
// matching kind wins.
func Explain(err error) Problem {
	p := Problem{Err: err, Exit: ExitAzure}
	e, ok := azure.AsError(err)
	if !ok {
		var pe *Problem
		if errors.As(err, &pe) {
			return *pe
		}
		p.What, p.Why, p.Next = "err.unknown.what", "err.unknown.why", "err.unknown.next"
		return p
	}
	p.Args = []any{"Op", "op." + e.Op, "Code", e.Code, "Message", e.Message, "Status", e.Status,
		"Seconds", int(e.RetryAfter.Seconds()), "Role", roleFor(e.Op), "Policy", e.Policy}
	k := string(e.Kind)
	p.What, p.Why, p.Next = "err."+k+".what", "err."+k+".why", "err."+k+".next"
	switch e.Kind {
	case azure.KindSignIn:
		p.Exit = ExitSignIn
	case azure.KindCanceled:
		p.Exit = ExitInterrupted
	case azure.KindForbidden:
		p.Docs = "https://learn.microsoft.com/azure/backup/backup-rbac-rs-vault"
	case azure.KindUnregistered:
		p.Docs = "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types"
	case azure.KindPolicy:
		p.Docs = "https://learn.microsoft.com/azure/governance/policy/troubleshoot/general"
	case azure.KindThrottled:
		p.Docs = "https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling"
	}
	// The Backup service's job error codes (AZURE.md §9): the fix, its
	// step and its page come from one table (jobcodes.go).
	if f, ok := jobFixOf(e.Op, e.Code); ok {
		p.Next, p.Docs, p.Step = f.Fix, f.Docs, f.Step
	}
	p.Docs = DocsLink(p.Docs)
	return p
}

// Error lets a Problem travel as an error (for input errors found before any
// Azure call, such as a bad --tag).
func (p *Problem) Error() string { return p.What }

// Text renders the problem's three sentences in the translator's language.
// The "Op" argument is itself a catalog key and is translated first.
func (p Problem) Text(tr *ui.Translator) (what, why, next string) {
	args := make([]any, len(p.Args))
	copy(args, p.Args)
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "Op" {
			if k, ok := args[i+1].(string); ok {
				args[i+1] = tr.T(k)
			}
		}
	}
	return tr.T(p.What, args...), tr.T(p.Why, args...), tr.T(p.Next, args...)
}
