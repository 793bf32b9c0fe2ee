package steps

// ChangeScript is the script a change runs inside a VM with Run Command,
// as the wizard shows it before it runs (Review) and the report keeps it:
// the language ("sh" or "powershell") and the text. ok is false for a change
// that runs no script.
func ChangeScript(p *Plan, c Change) (lang, script string, ok bool) {
	if c.Kind != Create && c.Kind != Modify {
		return "", "", false
	}
	switch c.Action {
	case ActionGuestProxy:
		os, _ := argNamed(c.Args, "OS").(string)
		s, err := GuestProxyScript(p, os)
		if err != nil {
			return "", "", false
		}
		return scriptLang(os), s, true
	case ActionProxyFirewall:
		os, _ := argNamed(c.Args, "OS").(string)
		s, err := ProxyFirewallScript(c)
		if err != nil {
			return "", "", false
		}
		return scriptLang(os), s, true
	case ActionAgentUpdate:
		return AgentChangeScript(c)
	}
	return "", "", false
}

// scriptLang is the language of the scripts Run Command runs on an OS.
func scriptLang(osType string) string {
	if guestOS(osType) == "Windows" {
		return "powershell"
	}
	return "sh"
}
