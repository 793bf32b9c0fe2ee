package steps

import (
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
)

func TestWorkloadDiagnosis(t *testing.T) {
	nsgID := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-db"
	rule := func(name string, prio int32, access, dest string) azure.SecurityRule {
		return azure.SecurityRule{Name: name, Priority: prio, Direction: "Outbound", Access: access, Protocol: "Tcp",
			Sources: []string{"*"}, Destinations: []string{dest}, DestPorts: []string{"443"}}
	}
	vm := func(name, publisher, offer string) *azure.VM {
		return &azure.VM{ID: "/x/" + name, Name: name, Image: azure.Image{Publisher: publisher, Offer: offer},
			NICs: []azure.NIC{{ID: "/x/nic-" + name, NSGID: nsgID, PrivateIPs: []string{"10.0.0.4"}}}}
	}
	for _, tc := range []struct {
		name  string
		rules []azure.SecurityRule
		want  string // tag blocked, rule
	}{
		{"nothing blocks", nil, ""},
		{"internet denied", []azure.SecurityRule{rule("DenyInternet", 300, "Deny", "Internet")}, "AzureBackup DenyInternet"},
		{"regional tag allowed first", []azure.SecurityRule{rule("AllowBackup", 200, "Allow", "AzureBackup.WestEurope"),
			rule("DenyInternet", 300, "Deny", "Internet")}, "AzureActiveDirectory DenyInternet"},
		{"both allowed", []azure.SecurityRule{rule("AllowBackup", 200, "Allow", "AzureBackup"), rule("AllowAAD", 210, "Allow", "AzureActiveDirectory"),
			rule("DenyInternet", 300, "Deny", "Internet")}, ""},
		{"another region's tag does not count", []azure.SecurityRule{rule("AllowBackup", 200, "Allow", "AzureBackup.EastUS"),
			rule("DenyInternet", 300, "Deny", "*")}, "AzureBackup DenyInternet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := &azure.Inventory{NSGs: map[string]*azure.NSG{strings.ToLower(nsgID): {ID: nsgID, Name: "nsg-db", Rules: tc.rules}}}
			got := WorkloadDiagnosis([]*azure.VM{vm("sql-1", "MicrosoftSQLServer", "sql2022-ws2022"), vm("web-1", "Canonical", "ubuntu-24_04-lts"),
				vm("hana-1", "SUSE", "sles-sap-15-sp5")}, inv, "westeurope")
			if len(got) != 2 || got[0].Kind != "SQL Server" || got[1].Kind != "SAP HANA" {
				t.Fatalf("database VMs: %+v", got)
			}
			for _, v := range got {
				if s := strings.TrimSpace(v.Tag + " " + v.Rule); s != tc.want {
					t.Errorf("%s: %q, want %q", v.VM.Name, s, tc.want)
				}
			}
		})
	}
}
