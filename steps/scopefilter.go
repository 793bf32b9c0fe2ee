package steps

import (
	"fmt"
	"strings"

	"github.com/backupready/backupready/azure"
)

// Scope narrows the fleet to the VMs a run is about. Empty fields match all.
type Scope struct {
	Subscriptions  []string // ids or display names
	ResourceGroups []string
	Locations      []string
	VMs            []string // names or resource ids
	Tags           []Tag
}

// Tag is a key=value filter; an empty Value matches any value of Key.
type Tag struct{ Key, Value string }

// TagError says why a --tag value was refused.
type TagError struct {
	Input  string
	Reason string // "empty", "no-key", "bad-char"
}

func (e *TagError) Error() string { return fmt.Sprintf("tag %q: %s", e.Input, e.Reason) }

// ParseTag reads "key=value" (or "key" for any value). Azure tag names cannot
// contain < > % & \ ? / and are at most 512 characters; values at most 256.
func ParseTag(s string) (Tag, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Tag{}, &TagError{Input: s, Reason: "empty"}
	}
	k, v, _ := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	v = strings.TrimSpace(v)
	if k == "" {
		return Tag{}, &TagError{Input: s, Reason: "no-key"}
	}
	if strings.ContainsAny(k, "<>%&\\?/") || len(k) > 512 || len(v) > 256 {
		return Tag{}, &TagError{Input: s, Reason: "bad-char"}
	}
	return Tag{Key: k, Value: v}, nil
}

// Matches reports whether vm is in the scope (subscriptions are applied when
// reading the inventory, not here).
func (s Scope) Matches(vm *azure.VM) bool {
	if len(s.ResourceGroups) > 0 && !containsFold(s.ResourceGroups, vm.ResourceGroup) {
		return false
	}
	if len(s.Locations) > 0 {
		ok := false
		for _, l := range s.Locations {
			if azure.NormalizeLocation(l) == vm.Location {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(s.VMs) > 0 {
		ok := false
		for _, v := range s.VMs {
			if strings.EqualFold(v, vm.Name) || strings.EqualFold(strings.TrimRight(v, "/"), vm.ID) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, t := range s.Tags {
		val, ok := lookupFold(vm.Tags, t.Key)
		if !ok || (t.Value != "" && !strings.EqualFold(val, t.Value)) {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// lookupFold finds a tag by name; Azure tag names are case-insensitive.
func lookupFold(tags map[string]string, key string) (string, bool) {
	if v, ok := tags[key]; ok {
		return v, true
	}
	for k, v := range tags {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}
