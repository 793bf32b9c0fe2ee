package steps

import (
	"net/netip"
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Workload backup (SQL Server or SAP HANA databases inside a VM, AZURE.md
// §4.1) needs more than VM backup: besides Azure Storage, the in-guest
// backup extension reaches the AzureBackup and AzureActiveDirectory service
// tags on 443. backupready turns on VM backup only, so it never adds rules
// for them; the Network step says where a VM that looks like a database
// server would be blocked, so that whoever sets up workload backup knows.

// WorkloadVerdict is one database VM's path to the workload backup tags.
type WorkloadVerdict struct {
	VM       *azure.VM
	Kind     string // "SQL Server" or "SAP HANA"
	Tag      string // the first tag blocked, "" when both are allowed
	Rule     string // the rule that blocks it
	Priority int32
	NSG      string
}

// workloadKind says whether a VM's image is a database server that workload
// backup protects ("" when not, or when the image says nothing).
func workloadKind(vm *azure.VM) string {
	pub, offer, sku := strings.ToLower(vm.Image.Publisher), strings.ToLower(vm.Image.Offer), strings.ToLower(vm.Image.SKU)
	switch {
	case pub == "microsoftsqlserver" || strings.Contains(offer, "sql"):
		return "SQL Server"
	case strings.Contains(offer, "hana") || strings.Contains(sku, "hana") || strings.Contains(offer, "sles-sap") || strings.Contains(offer, "rhel-sap"):
		return "SAP HANA"
	}
	return ""
}

// workloadTags are the tags workload backup needs besides Storage.
var workloadTags = []string{"AzureBackup", "AzureActiveDirectory"}

// WorkloadDiagnosis judges the workload backup tags for the VMs whose image
// is a database server, from the same NSGs as the backup path.
func WorkloadDiagnosis(vms []*azure.VM, inv *azure.Inventory, region string) []WorkloadVerdict {
	if inv == nil {
		return nil
	}
	var out []WorkloadVerdict
	for _, vm := range vms {
		kind := workloadKind(vm)
		if kind == "" {
			continue
		}
		v := WorkloadVerdict{VM: vm, Kind: kind}
		for _, tag := range workloadTags {
			if v.Tag != "" {
				break
			}
			for _, nic := range vm.NICs {
				ips := nicAddrs(nic)
				for _, n := range nicNSGs(inv, nic) {
					if d := evalFlow(n, tagFlow(tag, region, ips)); !d.allow && v.Tag == "" {
						v.Tag, v.Rule, v.Priority, v.NSG = tag, d.rule, d.priority, n.Name
					}
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// tagFlow is outbound TCP 443 to a service tag: a rule covers it when its
// destination is the tag (or its regional form), a tag holding it
// (AzureCloud, Internet) or every address.
func tagFlow(tag, region string, ips []netip.Addr) flow {
	t := strings.ToLower(tag)
	return flow{dir: "Outbound", port: 443, local: ips, remote: func(p string) bool {
		p = strings.ToLower(strings.TrimSpace(p))
		if internetMatches(p) || p == "azurecloud" || p == t {
			return true
		}
		for _, prefix := range []string{t + ".", "azurecloud."} {
			if r, ok := strings.CutPrefix(p, prefix); ok {
				return region != "" && azure.NormalizeLocation(r) == azure.NormalizeLocation(region)
			}
		}
		return false
	}, fallback: nsgVerdict{allow: true, rule: "AllowInternetOutBound", priority: 65001}}
}

// workloadLines say, for each database VM, what workload backup would
// need: nothing more when both tags are allowed, else the rule blocking.
func (m networkStep) workloadLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	var out []string
	for _, v := range m.work {
		key, args := "network.workload.allowed", []any{"VM", v.VM.Name, "Kind", v.Kind}
		if v.Tag != "" {
			key, args = "network.workload.blocked", append(args, "Tag", v.Tag, "Rule", v.Rule, "Priority", int(v.Priority), "NSG", v.NSG)
		}
		out = append(out, glyphLines(st.Verdict["info"], ui.VerdictGlyph("info"), tr.T(key, args...), w, st.App.Muted)...)
	}
	return out
}
