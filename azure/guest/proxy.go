// Package guest configures the inside of a virtual machine for Azure Backup
// (DESIGN §5 azure/guest, AZURE.md §5.4): the HTTP proxy of the Azure Linux
// Agent in /etc/waagent.conf, /etc/environment and a systemd drop-in for the
// agent's service, and the equivalent PowerShell for Windows.
//
// The editors change only the lines they manage and keep every other byte
// (comments, order, CRLF line endings, a missing final newline). Writes are
// atomic, each changed file is backed up beside itself first, and running
// the same edit twice changes nothing the second time.
package guest

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Azure's platform addresses, which the agent must reach without a proxy:
// the WireServer (agent, DHCP, DNS, health) and the Instance Metadata Service.
const (
	WireServer = "168.63.129.16"
	MetadataIP = "169.254.169.254"
)

// Proxy is a validated HTTP proxy: a host name or IP address (IPv6 without
// brackets), a port and the extra no-proxy entries the user asked for.
type Proxy struct {
	Host    string
	Port    int
	NoProxy []string
}

// InputError says which input is unusable and why. Field is "host", "port"
// or "no-proxy"; Reason is a short word a caller turns into a sentence:
// missing, empty, space, scheme, port, auth, invalid, range.
type InputError struct {
	Field, Reason, Value string
}

func (e *InputError) Error() string {
	return "guest proxy: " + e.Field + " " + strconv.Quote(e.Value) + ": " + e.Reason
}

var dnsLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// NewProxy validates the user's input and returns the proxy. A port of 0
// means the flag was not given. No-proxy entries are trimmed; empty entries
// (from "a,,b") are dropped; duplicates are removed.
func NewProxy(host string, port int, noProxy []string) (Proxy, error) {
	h, err := checkHost(host)
	if err != nil {
		return Proxy{}, err
	}
	switch {
	case port == 0: // --port not given
		return Proxy{}, &InputError{Field: "port", Reason: "missing", Value: ""}
	case port < 1 || port > 65535:
		return Proxy{}, &InputError{Field: "port", Reason: "range", Value: strconv.Itoa(port)}
	}
	p := Proxy{Host: h, Port: port}
	seen := map[string]bool{}
	for _, raw := range noProxy {
		for _, e := range strings.Split(raw, ",") {
			e = strings.TrimSpace(e)
			if e == "" || seen[e] {
				continue
			}
			if strings.IndexFunc(e, unicode.IsSpace) >= 0 {
				return Proxy{}, &InputError{Field: "no-proxy", Reason: "space", Value: e}
			}
			if !validNoProxy(e) {
				return Proxy{}, &InputError{Field: "no-proxy", Reason: "invalid", Value: e}
			}
			seen[e] = true
			p.NoProxy = append(p.NoProxy, e)
		}
	}
	return p, nil
}

// checkHost accepts a DNS name, an IPv4 address or an IPv6 address (with or
// without brackets) and returns it without brackets.
func checkHost(host string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &InputError{Field: "host", Reason: reason, Value: host}
	}
	h := host
	switch {
	case h == "":
		return bad("missing")
	case strings.TrimSpace(h) == "":
		return bad("empty")
	case strings.Contains(h, "@"):
		// user:pass@host: the agent has no way to send credentials.
		return bad("auth")
	case strings.Contains(h, "://"):
		return bad("scheme")
	case strings.IndexFunc(h, unicode.IsSpace) >= 0:
		return bad("space")
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	} else if strings.HasPrefix(h, "[") {
		if i := strings.LastIndex(h, "]:"); i > 0 {
			return bad("port")
		}
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return bad("invalid")
		}
		return a.String(), nil
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		if _, err := strconv.Atoi(h[i+1:]); err == nil {
			return bad("port")
		}
	}
	if !validDNSName(h) {
		return bad("invalid")
	}
	return h, nil
}

// ValidDNSName reports whether h is a DNS host name (labels of letters,
// digits and hyphens, 253 characters at most; a final dot allowed).
func ValidDNSName(h string) bool { return validDNSName(h) }

// ValidNoProxy reports whether s is an entry a NO_PROXY list may hold.
func ValidNoProxy(s string) bool { return validNoProxy(s) }

func validDNSName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if !dnsLabel.MatchString(l) {
			return false
		}
	}
	return true
}

// validNoProxy accepts what NO_PROXY lists commonly hold (the same as the
// plan file's network.proxy.noProxy): "*", an address, a CIDR range, or a
// DNS name, optionally with a leading "." or "*.".
func validNoProxy(s string) bool {
	if s == "*" || validDNSName(s) {
		return true
	}
	if _, err := netip.ParseAddr(s); err == nil && !strings.Contains(s, "%") {
		return true
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		return validDNSName(rest)
	}
	if rest, ok := strings.CutPrefix(s, "."); ok {
		return validDNSName(rest)
	}
	return false
}

// HostPort is host:port, with brackets around an IPv6 address.
func (p Proxy) HostPort() string {
	h := p.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(p.Port)
}

// URL is the proxy as http_proxy and https_proxy spell it: http://host:port/.
func (p Proxy) URL() string { return "http://" + p.HostPort() + "/" }

// NoProxyList is Azure's two platform addresses, then the user's entries,
// without duplicates.
func (p Proxy) NoProxyList() []string {
	out := []string{WireServer, MetadataIP}
	for _, e := range p.NoProxy {
		if e != WireServer && e != MetadataIP {
			out = append(out, e)
		}
	}
	return out
}

// NoProxyValue is NoProxyList joined with commas, as no_proxy spells it.
func (p Proxy) NoProxyValue() string { return strings.Join(p.NoProxyList(), ",") }
