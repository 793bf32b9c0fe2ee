package azure

import "strings"

// The types below are the plain, compact facts the steps need. They are built
// from SDK models and Resource Graph rows and hold no SDK pointers, so a fleet
// of thousands of VMs stays small in memory.

// Identity is who is signed in, read from the access token's claims.
type Identity struct {
	Name     string // upn, unique_name, preferred_username or app id
	TenantID string
	ObjectID string
	Kind     string // "user" or "app"
}

// Tenant is a directory the identity can use.
type Tenant struct {
	ID            string
	Name          string
	DefaultDomain string
}

// Subscription is an ARM subscription as the identity sees it.
type Subscription struct {
	ID       string
	Name     string
	TenantID string
	State    string // Enabled, Warned, PastDue, Disabled, Deleted
}

// Enabled reports whether the subscription can be used.
func (s Subscription) Enabled() bool { return strings.EqualFold(s.State, "Enabled") }

// Location is a region of a subscription.
type Location struct {
	Name         string // westeurope
	DisplayName  string // West Europe
	RegionType   string // Physical or Logical
	PairedRegion string // name of the paired region, if any
	HasZones     bool   // the region has availability zones
}

// Disk is one disk of a VM.
type Disk struct {
	Name             string
	Managed          bool   // managed disk (false: unmanaged VHD in a storage account)
	StorageType      string // Premium_LRS, PremiumV2_LRS, UltraSSD_LRS, StandardSSD_ZRS, …; "" unknown
	SizeGB           int32  // 0 unknown
	WriteAccelerator bool
}

// Image is the marketplace image a VM was made from, when known.
type Image struct {
	Publisher, Offer, SKU, Version string
	Custom                         bool // a gallery or managed image id
}

// NIC is a network interface attached to a VM.
type NIC struct {
	ID           string
	Primary      bool
	NSGID        string   // NIC-level NSG, "" when none
	SubnetIDs    []string // one per IP configuration
	PrivateIPs   []string
	PublicIPs    int  // IP configurations with a public IP
	LoadBalanced bool // an IP configuration is in a load balancer backend pool
	Missing      bool // the VM refers to this NIC but it could not be read
}

// Protection is the backup protection state of a VM, from Resource Graph.
type Protection struct {
	ItemID          string // protected item resource id
	VaultID         string
	State           string // Protected, IRPending, ProtectionStopped, ProtectionError, …
	Status          string // Healthy, Unhealthy, …
	PolicyName      string
	HealthStatus    string
	LastBackupState string
	// The item's health detail that is not the green default
	// (properties.healthDetails[]: code, title, message): after a failed
	// backup, the job's error. ErrorCode is the textual code (AZURE.md §9)
	// from the title, ErrorNumber the v5 model's int32 code; "" and 0 when
	// Azure gives none.
	ErrorCode    string
	ErrorNumber  int32
	ErrorMessage string
}

// ExtensionState is one VM extension's state from the instance view.
type ExtensionState struct {
	Name    string
	Type    string
	Version string
	Code    string // ProvisioningState/succeeded, ProvisioningState/failed/…, …
	Level   string // Info, Warning, Error
	Message string
}

// AgentState is what the instance view says about the VM agent and extensions.
type AgentState struct {
	Status     string // Ready, Not Ready, or "" when not reported
	Code       string // ProvisioningState/succeeded, ProvisioningState/Unavailable
	Message    string
	Version    string // "Unknown" when the agent does not report
	OSName     string
	OSVersion  string
	PowerState string // running, stopped, deallocated, … ("" unknown)
	Provision  string // VM provisioning state code tail: succeeded, failed/…, updating
	HyperVGen  string
	Extensions []ExtensionState
}

// VM is one virtual machine with everything the readiness rules look at.
type VM struct {
	ID             string
	Name           string
	SubscriptionID string
	ResourceGroup  string
	Location       string
	Classic        bool // Microsoft.ClassicCompute (retired)
	Tags           map[string]string
	Size           string
	OSType         string // Windows, Linux, "" unknown
	Image          Image
	OSName         string // from Resource Graph's extended instance view, when present
	OSVersion      string
	PowerState     string // running, stopped, deallocated, starting, … ("" unknown)
	Provisioning   string // Succeeded, Failed, Updating, …
	SecurityType   string // TrustedLaunch, ConfidentialVM, "" standard
	OSDisk         Disk
	EphemeralOS    bool
	DataDisks      []Disk
	HasOSProfile   bool
	ProvisionAgent *bool // osProfile.*Configuration.provisionVMAgent
	AllowExtOps    *bool // osProfile.allowExtensionOperations
	NICIDs         []string
	NICs           []NIC // joined from Resource Graph; may lack some of NICIDs
	Protection     *Protection
	Agent          *AgentState // nil: not read (stopped VM, or not yet loaded)
	AgentErr       *Error      // set when the instance view could not be read
}

// Running reports whether the VM is known to be running.
func (v *VM) Running() bool { return v.PowerState == "running" }

// SecurityRule is one NSG rule, normalised to the plural forms.
type SecurityRule struct {
	Name         string
	Priority     int32
	Direction    string // Inbound, Outbound
	Access       string // Allow, Deny
	Protocol     string // Tcp, Udp, Icmp, *, …
	Sources      []string
	Destinations []string
	DestPorts    []string
	Default      bool // one of Azure's default rules
	// SourcePorts and Description are filled by SecurityRule (network.go)
	// and sent by BeginPutSecurityRule (no source ports means "*"); NSG and
	// the inventory leave them empty.
	SourcePorts []string
	Description string
}

// NSG is a network security group.
type NSG struct {
	ID       string
	Name     string
	Location string
	Rules    []SecurityRule // custom rules then default rules
}

// Subnet is a virtual network subnet with what decides its outbound path.
type Subnet struct {
	ID                    string
	AddressPrefixes       []string // addressPrefix and addressPrefixes merged
	NSGID                 string
	RouteTableID          string
	NATGatewayID          string
	DefaultOutboundAccess *bool
	ServiceEndpoints      []ServiceEndpoint
}

// ServiceEndpoint is a service endpoint of a subnet: traffic to the
// service (in those regions) leaves by the platform, whatever the routes.
type ServiceEndpoint struct {
	Service   string   // Microsoft.Storage, Microsoft.Storage.Global, …
	Locations []string // normalised regions; "*" for every region
}

// Route is one user-defined route of a route table (AZURE.md §4.5).
type Route struct {
	Name          string
	AddressPrefix string // a CIDR or a service tag (Storage.WestEurope)
	NextHopType   string // Internet, VirtualAppliance, VirtualNetworkGateway, VnetLocal, None
	NextHopIP     string // the appliance's address (VirtualAppliance)
}

// RouteTable is a route table with its user-defined routes.
type RouteTable struct {
	ID                         string
	Name                       string
	Location                   string
	Routes                     []Route
	DisableBgpRoutePropagation bool
}

// Vault is a Recovery Services vault.
type Vault struct {
	ID                string
	Name              string
	SubscriptionID    string
	ResourceGroup     string
	Location          string
	ProvisioningState string
	Redundancy        string // standardTierStorageRedundancy when reported
	CrossRegion       string // Enabled/Disabled when reported
	SoftDelete        string // Enabled, Disabled, AlwaysON
	Immutability      string // Disabled, Unlocked, Locked
}

// Inventory is the fleet as read from Resource Graph, joined.
type Inventory struct {
	VMs     []VM
	NSGs    map[string]*NSG    // by lower-cased id
	Subnets map[string]*Subnet // by lower-cased id
	Vaults  []Vault
	// RouteTables are the route tables by lower-cased id.
	RouteTables map[string]*RouteTable
}

// NSG returns the NSG with that id (case-insensitive), or nil.
func (inv *Inventory) NSG(id string) *NSG {
	if id == "" || inv.NSGs == nil {
		return nil
	}
	return inv.NSGs[strings.ToLower(id)]
}

// Subnet returns the subnet with that id (case-insensitive), or nil.
func (inv *Inventory) Subnet(id string) *Subnet {
	if id == "" || inv.Subnets == nil {
		return nil
	}
	return inv.Subnets[strings.ToLower(id)]
}

// RouteTable returns the route table with that id (case-insensitive), or nil.
func (inv *Inventory) RouteTable(id string) *RouteTable {
	if id == "" || inv.RouteTables == nil {
		return nil
	}
	return inv.RouteTables[strings.ToLower(id)]
}

// VaultsIn returns the vaults in a subscription and region.
func (inv *Inventory) VaultsIn(subscriptionID, location string) []Vault {
	var out []Vault
	for _, v := range inv.Vaults {
		if strings.EqualFold(v.SubscriptionID, subscriptionID) && NormalizeLocation(v.Location) == NormalizeLocation(location) {
			out = append(out, v)
		}
	}
	return out
}

// NormalizeLocation turns "West Europe" and "westeurope" into "westeurope".
func NormalizeLocation(l string) string {
	return strings.ToLower(strings.ReplaceAll(l, " ", ""))
}
