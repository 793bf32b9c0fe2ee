package steps

import (
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
)

func TestParseTag(t *testing.T) {
	cases := []struct {
		in     string
		want   Tag
		reason string
	}{
		{"env=prod", Tag{"env", "prod"}, ""},
		{" env = prod ", Tag{"env", "prod"}, ""},
		{"owner", Tag{"owner", ""}, ""},
		{"cost-center=4711=a", Tag{"cost-center", "4711=a"}, ""},
		{"担当=山田", Tag{"担当", "山田"}, ""},
		{"", Tag{}, "empty"},
		{"   ", Tag{}, "empty"},
		{"=prod", Tag{}, "no-key"},
		{"a/b=c", Tag{}, "bad-char"},
		{"a?b", Tag{}, "bad-char"},
		{strings.Repeat("k", 513) + "=v", Tag{}, "bad-char"},
		{"k=" + strings.Repeat("v", 257), Tag{}, "bad-char"},
	}
	for _, tc := range cases {
		got, err := ParseTag(tc.in)
		if tc.reason == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseTag(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			continue
		}
		te, ok := err.(*TagError)
		if !ok || te.Reason != tc.reason {
			t.Errorf("ParseTag(%q): want %s error, got %v", tc.in, tc.reason, err)
		}
	}
}

func TestScopeMatches(t *testing.T) {
	vm := &azure.VM{ID: "/subscriptions/s/resourceGroups/RG-Web/providers/Microsoft.Compute/virtualMachines/web-1",
		Name: "web-1", ResourceGroup: "RG-Web", Location: "westeurope", Tags: map[string]string{"Env": "Prod"}}
	cases := []struct {
		name  string
		scope Scope
		want  bool
	}{
		{"empty scope matches all", Scope{}, true},
		{"group is case-insensitive", Scope{ResourceGroups: []string{"rg-web"}}, true},
		{"other group", Scope{ResourceGroups: []string{"rg-db"}}, false},
		{"display-name region", Scope{Locations: []string{"West Europe"}}, true},
		{"other region", Scope{Locations: []string{"eastus"}}, false},
		{"vm by name", Scope{VMs: []string{"WEB-1"}}, true},
		{"vm by id with trailing slash", Scope{VMs: []string{vm.ID + "/"}}, true},
		{"other vm", Scope{VMs: []string{"web-2"}}, false},
		{"tag key and value, any case", Scope{Tags: []Tag{{"env", "prod"}}}, true},
		{"tag key only", Scope{Tags: []Tag{{"ENV", ""}}}, true},
		{"tag other value", Scope{Tags: []Tag{{"env", "dev"}}}, false},
		{"missing tag", Scope{Tags: []Tag{{"owner", ""}}}, false},
		{"all filters must hold", Scope{ResourceGroups: []string{"rg-web"}, Locations: []string{"eastus"}}, false},
	}
	for _, tc := range cases {
		if got := tc.scope.Matches(vm); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

// FuzzParseTag: any --tag input either parses into a clean tag that parses
// back to itself, or is refused with a reason; never a panic.
func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"env=prod", "owner", "=x", "a=b=c", " k = v ", "担当=山田", "a/b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tag, err := ParseTag(s)
		if err != nil {
			if _, ok := err.(*TagError); !ok {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if tag.Key == "" || tag.Key != strings.TrimSpace(tag.Key) || strings.ContainsAny(tag.Key, "<>%&\\?/=") {
			t.Fatalf("bad key %q from %q", tag.Key, s)
		}
		in := tag.Key
		if tag.Value != "" {
			in += "=" + tag.Value
		}
		again, err := ParseTag(in)
		if err != nil || again != tag {
			t.Fatalf("%q → %+v does not round-trip: %+v %v", s, tag, again, err)
		}
	})
}
