package guest

import (
	"strconv"
	"strings"
)

// The agent's proxy settings in /etc/waagent.conf. They win over the
// http_proxy and https_proxy environment variables (AZURE.md §5.4).
const (
	KeyProxyHost = "HttpProxy.Host"
	KeyProxyPort = "HttpProxy.Port"
)

// waagentSyntax follows the agent's own parser
// (azurelinuxagent/common/conf.py, ConfigurationProvider.load): a line that
// does not start with "#" and holds "=" sets the key before the first "=",
// stripped of white space; the last line setting a key wins.
var waagentSyntax = lineSyntax{
	active: func(text string) (string, string, bool) {
		if strings.HasPrefix(text, "#") {
			return "", "", false
		}
		i := strings.IndexByte(text, '=')
		if i < 0 {
			return "", "", false
		}
		prefix := text[:len(text)-len(strings.TrimLeftFunc(text, pySpace))]
		if len(prefix) > i {
			prefix = text[:i]
		}
		return prefix, pyStrip(text[:i]), true
	},
	commented: func(text string) (string, bool) {
		t := strings.TrimLeftFunc(text, pySpace)
		if !strings.HasPrefix(t, "#") {
			return "", false
		}
		t = strings.TrimLeft(t, "#")
		i := strings.IndexByte(t, '=')
		if i < 0 {
			return "", false
		}
		return pyStrip(t[:i]), true
	},
}

// EditWaagentConf sets HttpProxy.Host and HttpProxy.Port in the content of
// /etc/waagent.conf: active entries are rewritten in place (duplicates
// too), a commented-out entry ("#HttpProxy.Host=None") is taken over when
// the key is set nowhere, and a key found nowhere is appended. Every other
// byte is kept.
func EditWaagentConf(content []byte, host string, port int) []byte {
	return edit(content, []setting{
		{KeyProxyHost, KeyProxyHost + "=" + host},
		{KeyProxyPort, KeyProxyPort + "=" + strconv.Itoa(port)},
	}, waagentSyntax)
}

// ParseWaagentConf reads content as the agent does and returns its values;
// "None" is returned as "None". For tests and for showing what is set.
func ParseWaagentConf(content []byte) map[string]string {
	values := map[string]string{}
	for _, l := range strings.Split(string(content), "\n") {
		if strings.HasPrefix(l, "#") || !strings.Contains(l, "=") {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		v, _, _ = strings.Cut(v, "#")
		values[pyStrip(k)] = pyStrip(strings.Trim(v, "\" "))
	}
	return values
}
