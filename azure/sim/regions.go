package sim

import (
	"sort"
	"strings"
)

// region is one Azure region as GET /subscriptions/{id}/locations describes it.
type region struct {
	name, display, regional, geography, group, lat, long, place, paired string
	logical                                                             bool
	zones                                                               bool // availability zones
}

// wellKnownRegions are always listed; regions a scenario uses that are not
// here are listed too, with their name as display name.
var wellKnownRegions = []region{
	{"eastus", "East US", "(US) East US", "United States", "US", "37.3719", "-79.8164", "Virginia", "westus", false, true},
	{"eastus2", "East US 2", "(US) East US 2", "United States", "US", "36.6681", "-78.3889", "Virginia", "centralus", false, true},
	{"centralus", "Central US", "(US) Central US", "United States", "US", "41.5908", "-93.6208", "Iowa", "eastus2", false, true},
	{"westus", "West US", "(US) West US", "United States", "US", "37.783", "-122.417", "California", "eastus", false, false},
	{"westus2", "West US 2", "(US) West US 2", "United States", "US", "47.233", "-119.852", "Washington", "westcentralus", false, true},
	{"westcentralus", "West Central US", "(US) West Central US", "United States", "US", "40.89", "-110.234", "Wyoming", "westus2", false, false},
	{"northeurope", "North Europe", "(Europe) North Europe", "Europe", "Europe", "53.3478", "-6.2597", "Ireland", "westeurope", false, true},
	{"westeurope", "West Europe", "(Europe) West Europe", "Europe", "Europe", "52.3667", "4.9", "Netherlands", "northeurope", false, true},
	{"uksouth", "UK South", "(Europe) UK South", "United Kingdom", "Europe", "50.941", "-0.799", "London", "ukwest", false, true},
	{"ukwest", "UK West", "(Europe) UK West", "United Kingdom", "Europe", "53.427", "-3.084", "Cardiff", "uksouth", false, false},
	{"germanywestcentral", "Germany West Central", "(Europe) Germany West Central", "Germany", "Europe", "50.110924", "8.682127", "Frankfurt", "germanynorth", false, true},
	{"japaneast", "Japan East", "(Asia Pacific) Japan East", "Japan", "Asia Pacific", "35.68", "139.77", "Tokyo, Saitama", "japanwest", false, true},
	{"japanwest", "Japan West", "(Asia Pacific) Japan West", "Japan", "Asia Pacific", "34.6939", "135.5022", "Osaka", "japaneast", false, true},
	{"southeastasia", "Southeast Asia", "(Asia Pacific) Southeast Asia", "Asia Pacific", "Asia Pacific", "1.283", "103.833", "Singapore", "eastasia", false, true},
	{"eastasia", "East Asia", "(Asia Pacific) East Asia", "Asia Pacific", "Asia Pacific", "22.267", "114.188", "Hong Kong", "southeastasia", false, true},
	{"australiaeast", "Australia East", "(Asia Pacific) Australia East", "Australia", "Asia Pacific", "-33.86", "151.2094", "New South Wales", "australiasoutheast", false, true},
	{"europe", "Europe", "Europe", "", "", "", "", "", "", true, false},
	{"unitedstates", "United States", "United States", "", "", "", "", "", "", true, false},
	{"asiapacific", "Asia Pacific", "Asia Pacific", "", "", "", "", "", "", true, false},
}

// regionsFor lists the well-known regions plus any other region a resource
// of the state uses. Caller holds c.mu.
func (c *Cloud) regions() []region {
	out := append([]region(nil), wellKnownRegions...)
	known := map[string]bool{}
	for _, r := range out {
		known[r.name] = true
	}
	var extra []string
	for _, r := range c.st.res {
		loc := normLocation(r.Location)
		if loc != "" && !known[loc] {
			known[loc] = true
			extra = append(extra, loc)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		out = append(out, region{name: name, display: name, regional: name})
	}
	return out
}

// regionDisplay returns a region's display name ("West Europe").
func regionDisplay(name string) string {
	n := normLocation(name)
	for _, r := range wellKnownRegions {
		if r.name == n {
			return r.display
		}
	}
	return name
}

func normLocation(l string) string {
	return strings.ToLower(strings.ReplaceAll(l, " ", ""))
}
