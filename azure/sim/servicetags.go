package sim

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Azure Storage's regional service tag (Storage.<Region>) lists dozens of
// IPv4 prefixes and a dozen IPv6 ones, of mixed lengths, in one list
// (AZURE.md §4.4). The simulator gives each region such a list from address
// space that is not Azure's and never routed on the Internet: the region's
// documentation /28 of 198.51.100.0/24 (RFC 5737), then prefixes of /24 to
// /28 from the region's /19 of 198.18.0.0/15 (RFC 2544); IPv6 the region's
// /64 of 2001:db8:100::/48, then /48 to /64 prefixes of 2001:db8:4000::/36
// (RFC 3849). The lists are fixed for a region, so that plans and screens
// are stable; a test publishes a new list with PublishServiceTag.
const (
	storageBenchV4 = "198.18.0.0/15"
	storageBenchV6 = "2001:db8:4000::/36"
)

// storagePrefixes are the simulated prefixes of Storage.<region>, IPv4 then
// IPv6, each family in address order (as Azure lists them).
func storagePrefixes(region string) []string {
	i := regionIndex(region)
	h := fnv.New32a()
	h.Write([]byte("Storage." + region))
	seed := h.Sum32()

	v4 := []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("198.51.100.%d/28", 16*i))}
	block := uint32(198)<<24 | uint32(18)<<16 | uint32(i)<<13 // the region's /19
	lengths := []int{24, 25, 25, 26, 26, 27, 27, 28}
	n := 30 + int(seed%10)
	off := uint32(0)
	for k := 0; k < n; k++ {
		bits := lengths[(int(seed>>(k%24))+k)%len(lengths)]
		size := uint32(1) << (32 - bits)
		off = (off + size - 1) / size * size
		if off+size > 1<<13 {
			break
		}
		a := block + off
		v4 = append(v4, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), bits))
		off += size
		if k%4 == 3 {
			off += size // a gap now and then, as in Azure's lists
		}
	}

	v6 := []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("2001:db8:100:%x::/64", i))}
	for k := 0; k < 8+int(seed%5); k++ {
		bits := []int{48, 56, 64, 64}[k%4]
		v6 = append(v6, netip.MustParsePrefix(fmt.Sprintf("2001:db8:%x::/%d", 0x4000+i*0x100+k*3+int(seed>>8)%3, bits)))
	}
	var out []string
	for _, list := range [][]netip.Prefix{v4, v6} {
		slices.SortFunc(list, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
		for _, p := range list {
			out = append(out, p.String())
		}
	}
	return out
}

// published holds the service tags tests replaced (PublishServiceTag), per
// simulated cloud: a run's setting, never stored.
var published = struct {
	sync.Mutex
	tags map[*Cloud]map[string]serviceTag // by lower-cased tag name
	list map[*Cloud]int                   // publications so far
}{tags: map[*Cloud]map[string]serviceTag{}, list: map[*Cloud]int{}}

// PublishServiceTag replaces the address prefixes of a service tag
// ("Storage.WestEurope") as Microsoft's weekly update does: from now on the
// service-tag API answers the tag with these prefixes (IPv4 and IPv6 in one
// list) and changeNumber, and the list's own change number goes up by one.
// Rules already written keep their prefixes: that is the churn the ipRanges
// network mode has to refresh.
func (c *Cloud) PublishServiceTag(name, changeNumber string, prefixes []string) {
	published.Lock()
	defer published.Unlock()
	if published.tags[c] == nil {
		published.tags[c] = map[string]serviceTag{}
	}
	published.tags[c][strings.ToLower(name)] = serviceTag{Name: name, Change: changeNumber, Prefixes: slices.Clone(prefixes)}
	published.list[c]++
}

// StoragePrefixes returns the prefixes the service-tag API answers for
// Storage.<region> right now, and the tag's change number.
func (c *Cloud) StoragePrefixes(region string) (prefixes []string, changeNumber string) {
	tags, _ := c.serviceTagsNow(normLocation(region))
	for _, t := range tags {
		if t.System == "AzureStorage" && t.Region != "" {
			return slices.Clone(t.Prefixes), t.Change
		}
	}
	return nil, ""
}

// serviceTagsNow are the service tags the simulator answers for a region,
// with the tags tests published, and the list's change number.
func (c *Cloud) serviceTagsNow(region string) ([]serviceTag, string) {
	tags := serviceTagsOf(region)
	published.Lock()
	defer published.Unlock()
	over := published.tags[c]
	for k, t := range tags {
		if p, ok := over[strings.ToLower(t.Name)]; ok {
			tags[k].Change, tags[k].Prefixes = p.Change, slices.Clone(p.Prefixes)
		}
	}
	n, _ := strconv.Atoi(recordedChangeNumber)
	return tags, strconv.Itoa(n + published.list[c])
}
