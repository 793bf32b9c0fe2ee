package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// rtKinds is every failure kind of the azure package.
var rtKinds = []azure.Kind{
	azure.KindUnknown, azure.KindSignIn, azure.KindForbidden, azure.KindNotFound, azure.KindConflict,
	azure.KindThrottled, azure.KindUnregistered, azure.KindPolicy, azure.KindInvalid, azure.KindServer,
	azure.KindTimeout, azure.KindCanceled, azure.KindNetwork, azure.KindBadResponse, azure.KindOperation,
}

// rtOps is every operation id the azure package names in its errors.
var rtOps = []string{"sign-in", "list-subscriptions", "list-tenants", "list-locations", "graph-vms", "graph-network",
	"graph-vaults", "instance-view", "read-agents", "provider-state", "create-clients"}

func TestExplainEveryKind(t *testing.T) {
	keys, err := ui.CatalogKeys()
	if err != nil {
		t.Fatal(err)
	}
	trs := rtTranslators(t)
	for _, k := range rtKinds {
		for _, op := range rtOps {
			t.Run(string(k)+"/"+op, func(t *testing.T) {
				e := &azure.Error{Kind: k, Op: op, Status: 409, Code: "MissingSubscriptionRegistration",
					Message: "The subscription is not registered to use namespace 'Microsoft.RecoveryServices'.", RetryAfter: 7 * time.Second}
				p := Explain(fmt.Errorf("wrapped: %w", e))
				want := ExitAzure
				switch k {
				case azure.KindSignIn:
					want = ExitSignIn
				case azure.KindCanceled:
					want = ExitInterrupted
				}
				if p.Exit != want {
					t.Errorf("exit = %d, want %d", p.Exit, want)
				}
				for _, key := range []string{p.What, p.Why, p.Next, "op." + op} {
					if !strings.HasPrefix(key, "err."+string(k)+".") && !strings.HasPrefix(key, "op.") {
						t.Errorf("key %q is not for kind %s", key, k)
					}
					for _, l := range ui.Languages {
						if !slices.Contains(keys[l], key) {
							t.Errorf("%s: missing %s", l, key)
						}
					}
				}
				for lang, tr := range trs {
					what, why, next := p.Text(tr)
					for _, s := range []string{what, why, next} {
						if s == "" || strings.HasPrefix(s, "err.") || strings.Contains(s, "<no value>") || strings.Contains(s, "op."+op) {
							t.Errorf("%s: bad text %q", lang, s)
						}
					}
					if !strings.Contains(what+why+next, tr.T("op."+op)) {
						t.Errorf("%s: the operation is not named: %q", lang, what)
					}
				}
			})
		}
	}
}

// The messages say what the user needs: the sign-in command, the role, the
// wait, the provider and its registration, the policy.
func TestExplainSays(t *testing.T) {
	trs := rtTranslators(t)
	tests := []struct {
		err  *azure.Error
		want []string // in every language
	}{
		{&azure.Error{Kind: azure.KindSignIn, Op: "sign-in"}, []string{"az login", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"}},
		{&azure.Error{Kind: azure.KindForbidden, Op: "graph-vms", Status: 403, Code: "AuthorizationFailed"}, []string{"Reader", "AuthorizationFailed"}},
		{&azure.Error{Kind: azure.KindForbidden, Op: "create-clients", Status: 403}, []string{"Contributor"}},
		{&azure.Error{Kind: azure.KindThrottled, Op: "graph-vms", Status: 429, RetryAfter: 42 * time.Second}, []string{"42"}},
		{&azure.Error{Kind: azure.KindUnregistered, Op: "provider-state", Status: 409, Code: "MissingSubscriptionRegistration",
			Message: "The subscription is not registered to use namespace 'Microsoft.RecoveryServices'."},
			[]string{"Microsoft.RecoveryServices", "az provider register", "MissingSubscriptionRegistration"}},
		{&azure.Error{Kind: azure.KindPolicy, Op: "graph-vaults", Status: 403, Code: "RequestDisallowedByPolicy",
			Message: "Resource 'x' was disallowed by policy. Policy identifiers: 'deny-tags'."}, []string{"Policy", "deny-tags"}},
		{&azure.Error{Kind: azure.KindInvalid, Op: "list-locations", Status: 400, Code: "InvalidParameter"}, []string{"400", "InvalidParameter"}},
		{&azure.Error{Kind: azure.KindServer, Op: "list-tenants", Status: 503}, []string{"503"}},
	}
	for _, tc := range tests {
		p := Explain(tc.err)
		for lang, tr := range trs {
			what, why, next := p.Text(tr)
			all := what + " " + why + " " + next
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("%s %s: %q missing in %q", lang, tc.err.Kind, w, all)
				}
			}
		}
	}
	// Without Retry-After the throttled text does not claim a wait of 0.
	p := Explain(&azure.Error{Kind: azure.KindThrottled, Op: "graph-vms", Status: 429})
	for lang, tr := range trs {
		if _, why, next := p.Text(tr); strings.Contains(why+next, " 0 ") {
			t.Errorf("%s: %q / %q", lang, why, next)
		}
	}
}

func TestExplainOtherErrors(t *testing.T) {
	trs := rtTranslators(t)
	p := Explain(errors.New("boom"))
	if p.What != "err.unknown.what" || p.Exit != ExitAzure {
		t.Fatalf("plain error: %+v", p)
	}
	for lang, tr := range trs {
		what, why, next := p.Text(tr)
		for _, s := range []string{what, why, next} {
			if s == "" || strings.HasPrefix(s, "err.") || strings.Contains(s, "<no value>") {
				t.Errorf("%s: bad text %q", lang, s)
			}
		}
	}
	in := &Problem{What: "err.invalid.what", Exit: ExitUsage}
	if got := Explain(fmt.Errorf("reading flags: %w", in)); got.Exit != ExitUsage || got.What != in.What {
		t.Fatalf("a Problem must pass through: %+v", got)
	}
	// Classified context errors: Ctrl+C is 130, a deadline is an Azure failure.
	if got := Explain(azure.Classify("graph-vms", context.Canceled)); got.Exit != ExitInterrupted {
		t.Errorf("canceled: exit %d", got.Exit)
	}
	if got := Explain(azure.Classify("graph-vms", context.DeadlineExceeded)); got.Exit != ExitAzure || got.What != "err.timeout.what" {
		t.Errorf("deadline: %+v", got)
	}
}

// Every operation id the azure layer names has a phrase in every language,
// so an error message never shows a raw id.
func TestEveryAzureOperationHasAPhrase(t *testing.T) {
	files, err := filepath.Glob("../azure/*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?:Classify\(|const op = |query\(gctx, )"([a-z][a-z-]+)"`)
	ops := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			ops[m[1]] = true
		}
	}
	if len(ops) < 10 {
		t.Fatalf("found only %d operation ids: the pattern no longer matches the code", len(ops))
	}
	for _, lang := range ui.Languages {
		tr, err := ui.NewTranslator(lang)
		if err != nil {
			t.Fatal(err)
		}
		for op := range ops {
			if tr.T("op."+op) == "op."+op {
				t.Errorf("%s: no phrase for operation %q (key op.%s)", lang, op, op)
			}
		}
	}
}

func TestPolicyAndRoleNamedInProblems(t *testing.T) {
	tr, err := ui.NewTranslator("en")
	if err != nil {
		t.Fatal(err)
	}
	p := Explain(&azure.Error{Kind: azure.KindPolicy, Op: "get-vault", Code: "RequestDisallowedByPolicy", Policy: "Allowed locations"})
	if _, why, _ := p.Text(tr); !strings.Contains(why, `"Allowed locations"`) {
		t.Fatalf("policy not named: %q", why)
	}
	p = Explain(&azure.Error{Kind: azure.KindForbidden, Op: "set-storage-config", Code: "AuthorizationFailed"})
	if _, _, next := p.Text(tr); !strings.Contains(next, "Backup Contributor") {
		t.Fatalf("role not named: %q", next)
	}
	p = Explain(&azure.Error{Kind: azure.KindForbidden, Op: "graph-vms", Code: "AuthorizationFailed"})
	if _, _, next := p.Text(tr); !strings.Contains(next, "Reader") {
		t.Fatalf("role not named: %q", next)
	}
}
