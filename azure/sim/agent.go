package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The VM agent and the backup extension (AZURE.md §5).
//
// Agent repair: a Run Command script that carries the line
// "# backupready: VM agent repair" (azure/guest's agent scripts do) and
// ends with exit 0 updates the agent. When the script has reported back,
// the agent restarts: the instance view says Not Ready ("the agent is
// restarting") for two operation times, then Ready with the newest version
// the simulator knows for the VM's OS, and without any mention of
// Extensions.Enabled=n in its message. A script that fails changes nothing.
//
// Extension removal: DELETE …/virtualMachines/{vm}/extensions/{name}
// answers 202 and a Compute operation (Azure-AsyncOperation and Location, as
// Compute does); when it finishes the extension is gone from the instance
// view (its entry and its handler under the agent). An extension that is not
// there answers 204 at once, as ARM does.

const (
	opAgentRestart = "compute.agentRestart"
	opExtDelete    = "compute.extensionDelete"

	agentRepairMarker = "backupready: VM agent repair"
	agentRestartTimes = 2 // operation times the restart takes

	// SimLatestLinuxAgent and SimLatestWindowsAgent are the versions a
	// repaired agent reports in the simulator.
	SimLatestLinuxAgent   = "2.13.1.1"
	SimLatestWindowsAgent = "2.7.41491.1176"
)

func init() {
	finishers[opAgentRestart] = finishAgentRestart
	finishers[opExtDelete] = finishExtensionDelete
}

// extensionRoutes answer the extension removal.
func (c *Cloud) extensionRoutes() []nativeRoute {
	return []nativeRoute{
		{method: http.MethodDelete, re: regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/virtualMachines/([^/]+)/extensions/([^/]+)$`), serve: c.deleteExtension},
	}
}

// agentRepairScript reports whether a Run Command script is an agent repair.
func agentRepairScript(script []string) bool {
	for _, l := range script {
		if strings.Contains(l, agentRepairMarker) {
			return true
		}
	}
	return false
}

// agentRestartData is what an agent restart keeps.
type agentRestartData struct {
	Version string `json:"version"`
}

// startAgentRestart runs when an agent repair script has finished: the agent
// goes Not Ready and an operation brings it back Ready, updated. The caller
// holds the write lock.
func (c *Cloud) startAgentRestart(st *state, vmID, osType string) {
	r := st.res[strings.ToLower(vmID)]
	if r == nil {
		return
	}
	version := SimLatestLinuxAgent
	if strings.EqualFold(osType, "Windows") {
		version = SimLatestWindowsAgent
	}
	setAgentStatus(st, r, "ProvisioningState/Unavailable", "Warning", "Not Ready",
		"VM agent is restarting after an update.", "", c.now())
	op := c.startOp(st, opAgentRestart, vmID, agentRestartData{Version: version})
	op.Ready = op.Start.Add(agentRestartTimes * c.opTime)
}

func finishAgentRestart(c *Cloud, st *state, op *simOp) {
	r := st.res[strings.ToLower(op.Target)]
	if r == nil {
		return
	}
	d := opData[agentRestartData](op)
	setAgentStatus(st, r, "ProvisioningState/succeeded", "Info", "Ready", "Guest Agent is running", d.Version, c.now())
}

// setAgentStatus rewrites the agent part of a VM's instance view.
func setAgentStatus(st *state, r *resource, code, level, display, message, version string, now time.Time) {
	doc := editDoc(r.doc, func(_, props map[string]any) {
		iv, _ := props["instanceView"].(map[string]any)
		if iv == nil {
			iv = map[string]any{}
			props["instanceView"] = iv
		}
		agent, _ := iv["vmAgent"].(map[string]any)
		if agent == nil {
			agent = map[string]any{}
			iv["vmAgent"] = agent
		}
		if version != "" {
			agent["vmAgentVersion"] = version
		}
		agent["statuses"] = []any{map[string]any{"code": code, "level": level, "displayStatus": display, "message": message,
			"time": now.UTC().Format(time.RFC3339)}}
	})
	if nr, err := newResource(doc, nil); err == nil {
		st.putResource(nr)
	}
}

// extDeleteData is what an extension removal keeps.
type extDeleteData struct {
	Name string `json:"name"`
}

func (c *Cloud) deleteExtension(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	sub, rg, vmName, name := m[1], m[2], m[3], m[4]
	vm, ae := c.lookup(req.Context(), rg, "Microsoft.Compute/virtualMachines", vmName)
	if ae != nil {
		return nil, ae
	}
	if !hasExtension(vm.doc, name) {
		return emptyResponse(req, http.StatusNoContent, nil), nil
	}
	loc := normLocation(vm.Location)
	var hdr http.Header
	err := c.mutate(func(st *state) error {
		for _, op := range st.ops {
			if op.Kind == opExtDelete && op.Status == opInProgress && strings.EqualFold(op.Target, vm.ID) {
				return &armError{status: http.StatusConflict, code: "OperationNotAllowed",
					message: fmt.Sprintf("An operation on the extensions of VM '%s' is in progress. Retry after it completes.", vm.Name)}
			}
		}
		op := c.startOp(st, opExtDelete, vm.ID, extDeleteData{Name: name})
		hdr = c.computeOpHeaders(sub, loc, op)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return emptyResponse(req, http.StatusAccepted, hdr), nil
}

// ivExtensions is the part of a VM document that names its extensions.
type ivExtensions struct {
	Properties struct {
		InstanceView struct {
			Extensions []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"extensions"`
			VMAgent struct {
				ExtensionHandlers []struct {
					Type string `json:"type"`
				} `json:"extensionHandlers"`
			} `json:"vmAgent"`
		} `json:"instanceView"`
	} `json:"properties"`
}

// hasExtension reports whether the VM's instance view shows the extension
// (by name; a handler by the last part of its type).
func hasExtension(doc json.RawMessage, name string) bool {
	var d ivExtensions
	if json.Unmarshal(doc, &d) != nil {
		return false
	}
	for _, e := range d.Properties.InstanceView.Extensions {
		if strings.EqualFold(e.Name, name) {
			return true
		}
	}
	for _, h := range d.Properties.InstanceView.VMAgent.ExtensionHandlers {
		if strings.EqualFold(lastDotted(h.Type), name) {
			return true
		}
	}
	return false
}

func lastDotted(s string) string { return s[strings.LastIndexByte(s, '.')+1:] }

func finishExtensionDelete(_ *Cloud, st *state, op *simOp) {
	r := st.res[strings.ToLower(op.Target)]
	if r == nil {
		return
	}
	name := opData[extDeleteData](op).Name
	typ := ""
	doc := editDoc(r.doc, func(_, props map[string]any) {
		iv, _ := props["instanceView"].(map[string]any)
		if iv == nil {
			return
		}
		if list, ok := iv["extensions"].([]any); ok {
			kept := []any{}
			for _, e := range list {
				em, _ := e.(map[string]any)
				if n, _ := em["name"].(string); strings.EqualFold(n, name) {
					typ, _ = em["type"].(string)
					continue
				}
				kept = append(kept, e)
			}
			iv["extensions"] = kept
		}
		if agent, ok := iv["vmAgent"].(map[string]any); ok {
			if list, ok := agent["extensionHandlers"].([]any); ok {
				kept := []any{}
				for _, h := range list {
					hm, _ := h.(map[string]any)
					t, _ := hm["type"].(string)
					if strings.EqualFold(t, typ) || strings.EqualFold(lastDotted(t), name) {
						continue
					}
					kept = append(kept, h)
				}
				agent["extensionHandlers"] = kept
			}
		}
	})
	if nr, err := newResource(doc, nil); err == nil {
		st.putResource(nr)
	}
	st.deleteResource(op.Target + "/extensions/" + name)
}
