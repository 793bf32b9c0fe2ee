package steps

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/backupready/backupready/azure"
)

// A flow is one kind of TCP traffic through an NSG, seen from the resource
// the NSG protects: outbound from local to remote, or inbound from remote to
// local, on one destination port.
type flow struct {
	dir    string       // "Outbound" or "Inbound"
	port   int          // destination port
	local  []netip.Addr // the protected resource's addresses (none: any)
	remote func(prefix string) bool
	// fallback decides when no rule matches (an NSG read without its
	// default rules).
	fallback nsgVerdict
}

// evalFlow walks the NSG's rules of the flow's direction in priority order;
// the first that covers the flow decides.
func evalFlow(n *azure.NSG, f flow) nsgVerdict {
	rules := make([]azure.SecurityRule, 0, len(n.Rules))
	for _, r := range n.Rules {
		if strings.EqualFold(r.Direction, f.dir) {
			rules = append(rules, r)
		}
	}
	slices.SortStableFunc(rules, func(a, b azure.SecurityRule) int { return cmp.Compare(a.Priority, b.Priority) })
	inbound := strings.EqualFold(f.dir, "Inbound")
	for _, r := range rules {
		localSide, remoteSide := r.Sources, r.Destinations
		if inbound {
			localSide, remoteSide = r.Destinations, r.Sources
		}
		if !protocolMatches(r.Protocol) || !anyPortMatches(r.DestPorts, f.port) || !anySourceMatches(localSide, f.local) || !anyRemote(remoteSide, f.remote) {
			continue
		}
		return nsgVerdict{allow: strings.EqualFold(r.Access, "Allow"), rule: r.Name, priority: r.Priority}
	}
	return f.fallback
}

func anyRemote(prefixes []string, match func(string) bool) bool {
	if len(prefixes) == 0 {
		return true // application security groups: assume they hold the remote end
	}
	return slices.ContainsFunc(prefixes, match)
}

// storageFlow is the backup path: outbound TCP 443 to Azure Storage in the
// region.
func storageFlow(region string, ips []netip.Addr) flow {
	return flow{dir: "Outbound", port: 443, local: ips, remote: func(p string) bool { return destMatches(p, region) },
		fallback: nsgVerdict{allow: true, rule: "AllowInternetOutBound", priority: 65001}}
}

// internetFlow is outbound TCP to the Internet on port (a proxy's way out).
func internetFlow(port int, ips []netip.Addr) flow {
	return flow{dir: "Outbound", port: port, local: ips, remote: internetMatches,
		fallback: nsgVerdict{allow: true, rule: "AllowInternetOutBound", priority: 65001}}
}

// toAddrFlow is outbound TCP from local to one address and port (a VM to its
// proxy).
func toAddrFlow(addr netip.Addr, port int, ips []netip.Addr) flow {
	f := flow{dir: "Outbound", port: port, local: ips, remote: func(p string) bool { return addrMatches(p, addr) },
		fallback: nsgVerdict{allow: true, rule: "AllowInternetOutBound", priority: 65001}}
	if addr.IsPrivate() {
		f.fallback = nsgVerdict{allow: true, rule: "AllowVnetOutBound", priority: 65000}
	}
	return f
}

// fromAddrFlow is inbound TCP from one address to local on port (a proxy
// letting a VM in).
func fromAddrFlow(addr netip.Addr, port int, ips []netip.Addr) flow {
	f := flow{dir: "Inbound", port: port, local: ips, remote: func(p string) bool { return addrMatches(p, addr) },
		fallback: nsgVerdict{allow: false, rule: "DenyAllInBound", priority: 65500}}
	if addr.IsPrivate() {
		f.fallback = nsgVerdict{allow: true, rule: "AllowVnetInBound", priority: 65000}
	}
	return f
}

// internetMatches reports whether an NSG prefix covers the whole Internet.
func internetMatches(prefix string) bool {
	p := strings.ToLower(strings.TrimSpace(prefix))
	switch p {
	case "*", "any", "internet":
		return true
	}
	pf, err := netip.ParsePrefix(p)
	return err == nil && pf.Bits() == 0
}

// addrMatches reports whether an NSG prefix covers addr: "*", a prefix or
// address holding it, VirtualNetwork for a private address (the tag holds
// the VNet's and connected on-premises ranges), Internet for a public one.
// Other service tags are not matched.
func addrMatches(prefix string, addr netip.Addr) bool {
	p := strings.ToLower(strings.TrimSpace(prefix))
	switch p {
	case "*", "any":
		return true
	case "virtualnetwork":
		return addr.IsPrivate()
	case "internet":
		return !addr.IsPrivate()
	}
	if a, err := netip.ParseAddr(p); err == nil {
		return a == addr
	}
	if pf, err := netip.ParsePrefix(p); err == nil {
		return pf.Contains(addr)
	}
	return false
}
