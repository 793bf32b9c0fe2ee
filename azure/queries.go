package azure

// The Resource Graph queries the inventory sends. They are exported so that the
// simulator can recognise them: it answers exactly these, not general KQL.
// Every paged query orders by id so that skip tokens neither repeat nor skip rows.

// QueryVMs returns one row per VM with its NICs and its protected items
// joined in (both aggregated per VM, so a VM with an old stopped item in
// another vault is still one row), so a fleet of N VMs costs ⌈N/1000⌉
// requests. A protected item's healthDetails carry the last backup's error
// code (the ARM document has them, recorded in
// protected_item_stop_protection_final_200_after_backup.json; that Resource
// Graph's copy of the item has them too is UNCONFIRMED).
const QueryVMs = `Resources
| where type =~ 'microsoft.compute/virtualmachines' or type =~ 'microsoft.classiccompute/virtualmachines'
| extend vmKey = tolower(id)
| join kind=leftouter (
    Resources
    | where type =~ 'microsoft.network/networkinterfaces' and isnotempty(properties.virtualMachine.id)
    | extend vmKey = tolower(tostring(properties.virtualMachine.id))
    | project vmKey, nic = pack('id', id, 'primary', properties.primary, 'networkSecurityGroup', properties.networkSecurityGroup, 'ipConfigurations', properties.ipConfigurations)
    | summarize nics = make_list(nic) by vmKey
  ) on vmKey
| join kind=leftouter (
    RecoveryServicesResources
    | where type =~ 'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems'
    | extend vmKey = tolower(tostring(properties.sourceResourceId))
    | project vmKey, item = pack('id', id, 'protectionState', properties.protectionState, 'protectionStatus', properties.protectionStatus, 'policyName', properties.policyName, 'healthStatus', properties.healthStatus, 'lastBackupStatus', properties.lastBackupStatus, 'healthDetails', properties.healthDetails)
    | summarize protection = make_list(item) by vmKey
  ) on vmKey
| project id, name, type, subscriptionId, resourceGroup, location, tags, properties, nics, protection
| order by id asc`

// QueryNetwork returns the NSGs (with their rules), the virtual networks
// (with their subnets' NSG, route table, NAT gateway, outbound access and
// service endpoints) and the route tables (with their routes).
const QueryNetwork = `Resources
| where type =~ 'microsoft.network/networksecuritygroups' or type =~ 'microsoft.network/virtualnetworks' or type =~ 'microsoft.network/routetables'
| project id, name, type, subscriptionId, resourceGroup, location, properties
| order by id asc`

// QueryVaults returns the Recovery Services vaults.
const QueryVaults = `Resources
| where type =~ 'microsoft.recoveryservices/vaults'
| project id, name, type, subscriptionId, resourceGroup, location, properties
| order by id asc`
