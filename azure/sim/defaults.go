package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Azure gives every NSG six default rules (copied from the recorded
// nsg_get_default_rules_only.json). A scenario NSG without
// properties.defaultSecurityRules gets them, with ids under the NSG, as ARM
// would return them.
var defaultRules = []struct {
	name, description, source, dest, access, direction string
	priority                                           int
}{
	{"AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow", "Inbound", 65000},
	{"AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "AzureLoadBalancer", "*", "Allow", "Inbound", 65001},
	{"DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", "Inbound", 65500},
	{"AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow", "Outbound", 65000},
	{"AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet", "Allow", "Outbound", 65001},
	{"DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", "Outbound", 65500},
}

// simETag is the etag the simulator puts on documents it writes.
const simETag = `W/"00000000-0000-0000-0000-000000000000"`

func defaultRulesJSON(nsgID string) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, r := range defaultRules {
		if i > 0 {
			buf.WriteByte(',')
		}
		rule := map[string]any{
			"name": r.name,
			"id":   nsgID + "/defaultSecurityRules/" + r.name,
			"etag": simETag,
			"type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
			"properties": map[string]any{
				"provisioningState":          "Succeeded",
				"description":                r.description,
				"protocol":                   "*",
				"sourcePortRange":            "*",
				"destinationPortRange":       "*",
				"sourceAddressPrefix":        r.source,
				"destinationAddressPrefix":   r.dest,
				"access":                     r.access,
				"priority":                   r.priority,
				"direction":                  r.direction,
				"sourcePortRanges":           []string{},
				"destinationPortRanges":      []string{},
				"sourceAddressPrefixes":      []string{},
				"destinationAddressPrefixes": []string{},
			},
		}
		b, _ := json.Marshal(rule)
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// withDefaultRules returns the NSG document with the default rules (and an
// empty securityRules list) when it has none. Documents it cannot read are
// returned unchanged.
func withDefaultRules(doc json.RawMessage, nsgID string) json.RawMessage {
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil || top == nil {
		return doc
	}
	var props map[string]json.RawMessage
	if raw, ok := top["properties"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &props) != nil || props == nil {
			return doc
		}
	} else {
		props = map[string]json.RawMessage{}
	}
	changed := false
	if raw, ok := props["defaultSecurityRules"]; !ok || isNull(raw) {
		props["defaultSecurityRules"] = defaultRulesJSON(nsgID)
		changed = true
	}
	if raw, ok := props["securityRules"]; !ok || isNull(raw) {
		props["securityRules"] = json.RawMessage("[]")
		changed = true
	}
	if _, ok := props["provisioningState"]; !ok {
		props["provisioningState"] = json.RawMessage(`"Succeeded"`)
		changed = true
	}
	if !changed {
		return doc
	}
	pb, err := json.Marshal(props)
	if err != nil {
		return doc
	}
	top["properties"] = pb
	out, err := json.Marshal(top)
	if err != nil {
		return doc
	}
	return out
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// notFoundMessage is ARM's wording for a missing resource.
func notFoundMessage(typ, name, rg string) string {
	return fmt.Sprintf("The Resource '%s/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", typ, name, rg)
}
