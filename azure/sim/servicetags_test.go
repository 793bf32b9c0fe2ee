package sim

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// Storage.<Region> lists dozens of IPv4 and about a dozen IPv6 prefixes in
// one list, valid, distinct, not overlapping, and not Azure's (documentation
// and benchmarking space); every region has its own.
func TestSimStoragePrefixes(t *testing.T) {
	seen := map[string]string{}
	for _, region := range []string{"westeurope", "northeurope", "eastus", "japaneast", "southeastasia"} {
		all := storagePrefixes(region)
		var v4, v6 []netip.Prefix
		for _, s := range all {
			p, err := netip.ParsePrefix(s)
			if err != nil || p.Masked() != p {
				t.Fatalf("%s: bad prefix %q", region, s)
			}
			if other, ok := seen[s]; ok {
				t.Errorf("%s and %s share %s", region, other, s)
			}
			seen[s] = region
			if p.Addr().Is4() {
				if len(v6) > 0 {
					t.Errorf("%s: IPv4 %s after IPv6", region, s)
				}
				v4 = append(v4, p)
			} else {
				v6 = append(v6, p)
			}
		}
		if len(v4) < 24 || len(v4) > 60 || len(v6) < 6 || len(v6) > 20 {
			t.Errorf("%s: %d IPv4 and %d IPv6 prefixes, want dozens and about a dozen", region, len(v4), len(v6))
		}
		doc4 := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix(storageBenchV4)}
		doc6 := []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}
		for _, list := range [][]netip.Prefix{v4, v6} {
			for i, p := range list {
				if !slices.ContainsFunc(append(doc4, doc6...), func(d netip.Prefix) bool { return d.Contains(p.Addr()) }) {
					t.Errorf("%s: %s is outside the documentation ranges", region, p)
				}
				for _, q := range list[i+1:] {
					if p.Overlaps(q) {
						t.Errorf("%s: %s overlaps %s", region, p, q)
					}
				}
			}
		}
	}
}

// A published list replaces the tag's prefixes and change number, and the
// list's change number goes up; other clouds keep theirs.
func TestSimPublishServiceTag(t *testing.T) {
	c, cl, _ := netCloud(t, 0, Options{})
	other, cl2, _ := netCloud(t, 0, Options{})
	ctx := context.Background()
	before, change := c.StoragePrefixes("westeurope")
	if len(before) == 0 || change != "5" {
		t.Fatalf("prefixes %v, change %q", before, change)
	}
	next := append(slices.Clone(before[1:]), "198.18.255.0/24", "2001:db8:4fff::/48")
	c.PublishServiceTag("Storage.WestEurope", "6", next)
	list, tags, err := cl.ServiceTags(ctx, demoProd, "westeurope")
	if err != nil {
		t.Fatal(err)
	}
	if list != "64" {
		t.Errorf("list change number %q, want 64", list)
	}
	for _, tg := range tags {
		if tg.Name != "Storage.WestEurope" {
			continue
		}
		if tg.ChangeNumber != "6" || !slices.Contains(tg.IPv4, "198.18.255.0/24") || !slices.Contains(tg.IPv6, "2001:db8:4fff::/48") ||
			slices.Contains(tg.IPv4, before[0]) || len(tg.IPv4)+len(tg.IPv6) != len(next) {
			t.Errorf("published tag: %+v", tg)
		}
		for _, p := range tg.IPv6 {
			if !strings.Contains(p, ":") {
				t.Errorf("IPv4 %s among IPv6", p)
			}
		}
	}
	if got, _ := other.StoragePrefixes("westeurope"); !slices.Equal(got, before) {
		t.Error("another cloud must keep its list")
	}
	if list, _, _ := cl2.ServiceTags(ctx, demoProd, "westeurope"); list != recordedChangeNumber {
		t.Errorf("another cloud's list change number %q", list)
	}
}
