package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Run Command (AZURE.md §5.4): POST …/virtualMachines/{vm}/runCommand
// answers 202 with Azure-AsyncOperation …/Microsoft.Compute/locations/{loc}/operations/{id}
// and Location (the same URL with monitor=true), as Compute does; the
// Location URL answers the RunCommandResult once the operation is done.
//
// The script does not run anywhere: its output is simulated. Its `echo`
// lines (and PowerShell's Write-Output / Write-Host) go to stdout, or to
// stderr with `>&2` (and Write-Error); `exit N` ends it, N other than 0
// failing it. Output keeps the last 4,096 bytes, as Azure does.
//
// The result has Azure's two shapes: Linux (RunShellScript) one
// ProvisioningState/succeeded entry whose message is "Enable succeeded:
// \n[stdout]\n…\n[stderr]\n…", Windows (RunPowerShellScript)
// ComponentStatus/StdOut/succeeded and ComponentStatus/StdErr/succeeded
// entries. A failing script is ProvisioningState/failed/<N> with "Enable
// failed: …" on Linux and ComponentStatus/StdErr/failed on Windows (both
// UNCONFIRMED); the operation itself succeeds.
//
// The VM must run and its agent be Ready (else 409; codes UNCONFIRMED), and
// runs one script at a time (409 Conflict). A VM tagged
// backupready-sim: runcommand-timeout never finishes its script: the
// operation stays InProgress for 90 operation times (the simulated 90
// minutes: one operation time stands for the minute or so a script takes)
// and then fails as Azure does after 90 minutes.

const (
	opRunCommand = "compute.runCommand"
	apiCompute   = "2025-04-01"

	simTag            = "backupready-sim"
	simRunCmdTimeout  = "runcommand-timeout"
	runCommandMaxOut  = 4096
	runCommandTimeout = 90 // operation times

	codeOperationNotAllowed = "OperationNotAllowed"             // UNCONFIRMED
	codeAgentNotReady       = "VMAgentStatusCommunicationError" // UNCONFIRMED for Run Command
	codeRunCommandBusy      = "Conflict"                        // UNCONFIRMED
	codeRunCommandTimeout   = "VMExtensionProvisioningTimeout"  // UNCONFIRMED for Run Command
	codeBadCommand          = "InvalidParameter"                // UNCONFIRMED
)

func init() {
	finishers[opRunCommand] = finishRunCommand
}

func (c *Cloud) runCommandRoutes() []nativeRoute {
	return []nativeRoute{
		{method: http.MethodPost, re: regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/virtualMachines/([^/]+)/runCommand$`), serve: c.runCommand},
		{method: http.MethodGet, re: regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/providers/Microsoft\.Compute/locations/([^/]+)/operations/([^/]+)$`), serve: c.computeOp},
		c.extensionRoutes()[0],
	}
}

// runCommandData is what a Run Command operation keeps.
type runCommandData struct {
	Location string          `json:"location"`
	OSType   string          `json:"osType"`
	Timeout  bool            `json:"timeout,omitempty"`
	Repair   bool            `json:"repair,omitempty"` // an agent repair that succeeded: the agent restarts when it ends (agent.go)
	Result   json.RawMessage `json:"result,omitempty"` // the RunCommandResult, set when it starts (nothing in it depends on time)
}

func (c *Cloud) runCommand(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	sub, rg, name := m[1], m[2], m[3]
	vm, ae := c.lookup(req.Context(), rg, "Microsoft.Compute/virtualMachines", name)
	if ae != nil {
		return nil, ae
	}
	var in struct {
		CommandID string   `json:"commandId"`
		Script    []string `json:"script"`
	}
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		return nil, badRequest(codeBadRequestContent, "The request content was invalid and could not be deserialized: "+err.Error())
	}
	var d struct {
		Tags       map[string]string `json:"tags"`
		Properties struct {
			StorageProfile struct {
				OSDisk struct {
					OSType string `json:"osType"`
				} `json:"osDisk"`
			} `json:"storageProfile"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(vm.doc, &d)
	osType := d.Properties.StorageProfile.OSDisk.OSType
	want := "RunShellScript"
	if strings.EqualFold(osType, "Windows") {
		want = "RunPowerShellScript"
	}
	if !strings.EqualFold(in.CommandID, want) {
		return nil, badRequest(codeBadCommand, fmt.Sprintf("The command '%s' is not supported for the virtual machine '%s' (OS type %s); use '%s'.",
			in.CommandID, vm.Name, osType, want))
	}
	running, ready, power := vmPower(vm)
	if !running {
		if power == "" {
			power = "unknown"
		}
		return nil, &armError{status: http.StatusConflict, code: codeOperationNotAllowed,
			message: fmt.Sprintf("Operation 'RunCommand' is not allowed on VM '%s' since the VM is not running (power state: %s).", vm.Name, power)}
	}
	if !ready {
		return nil, &armError{status: http.StatusConflict, code: codeAgentNotReady,
			message: fmt.Sprintf("VM '%s' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, "+
				"the VM has a running VM agent, and that it can establish outbound connections to Azure storage.", vm.Name)}
	}
	timeout := false
	for k, v := range d.Tags {
		if strings.EqualFold(k, simTag) && strings.EqualFold(strings.TrimSpace(v), simRunCmdTimeout) {
			timeout = true
		}
	}
	loc := normLocation(vm.Location)
	var hdr http.Header
	err := c.mutate(func(st *state) error {
		for _, op := range st.ops {
			if op.Kind == opRunCommand && op.Status == opInProgress && strings.EqualFold(op.Target, vm.ID) {
				return &armError{status: http.StatusConflict, code: codeRunCommandBusy,
					message: "Run command extension execution is in progress. Please wait for completion before invoking a run command."}
			}
		}
		op := c.startOp(st, opRunCommand, vm.ID, nil)
		data := runCommandData{Location: loc, OSType: osType, Timeout: timeout}
		if timeout {
			op.Ready = op.Start.Add(runCommandTimeout * c.opTime)
		} else {
			data.Result = runCommandResult(osType, in.Script)
			if _, _, exit := simulateScript(in.Script); exit == 0 && agentRepairScript(in.Script) {
				data.Repair = true
			}
		}
		setOpData(op, data)
		hdr = c.computeOpHeaders(sub, loc, op)
		return nil
	})
	if err != nil {
		return nil, asARMError(err)
	}
	return emptyResponse(req, http.StatusAccepted, hdr), nil
}

func finishRunCommand(c *Cloud, st *state, op *simOp) {
	d := opData[runCommandData](op)
	if d.Repair {
		c.startAgentRestart(st, op.Target, d.OSType)
	}
	if d.Timeout {
		ext := "RunCommandLinux"
		if strings.EqualFold(d.OSType, "Windows") {
			ext = "RunCommandWindows"
		}
		op.Status, op.Code = opFailed, codeRunCommandTimeout
		op.Message = fmt.Sprintf("Provisioning of VM extension %s has timed out. Extension provisioning has taken too long to complete. "+
			"The extension did not report a message. More information on troubleshooting is available at https://aka.ms/VMExtensionCSELinuxTroubleshoot", ext)
	}
}

// computeOpHeaders are the headers of Compute's 202 for operation op:
// Azure-AsyncOperation at …/locations/{loc}/operations/{id}, Location the
// same URL with monitor=true, and Retry-After.
func (c *Cloud) computeOpHeaders(sub, loc string, op *simOp) http.Header {
	base := "/subscriptions/" + sub + "/providers/Microsoft.Compute/locations/" + loc + "/operations/" + op.ID
	h := http.Header{}
	h.Set("Azure-AsyncOperation", absURL(base, "api-version="+apiCompute))
	h.Set("Location", absURL(base, "monitor=true&api-version="+apiCompute))
	h.Set("Retry-After", retryAfterSeconds(c.opTime))
	return h
}

// computeOp answers Compute's operation URL: the status document, or with
// monitor=true the result (202 while running).
func (c *Cloud) computeOp(req *http.Request, info reqInfo, m []string) (*http.Response, *armError) {
	if strings.EqualFold(req.URL.Query().Get("monitor"), "true") {
		return c.opResult(req, m[3])
	}
	op, ok := c.operation(m[3])
	if !ok {
		return nil, &armError{status: http.StatusNotFound, code: "OperationNotFound",
			message: fmt.Sprintf("The operation '%s' could not be found.", m[3])}
	}
	doc := map[string]any{"name": op.ID, "status": op.Status, "startTime": op.Start.Format("2006-01-02T15:04:05.9999999Z07:00")}
	h := http.Header{}
	switch op.Status {
	case opInProgress:
		h.Set("Retry-After", retryAfterSeconds(op.Ready.Sub(c.now())))
	case opFailed:
		doc["endTime"] = op.Ready.Format("2006-01-02T15:04:05.9999999Z07:00")
		doc["error"] = map[string]string{"code": op.Code, "message": op.Message}
	default:
		doc["endTime"] = op.Ready.Format("2006-01-02T15:04:05.9999999Z07:00")
		if d := opData[runCommandData](&op); !isNull(d.Result) {
			doc["properties"] = map[string]json.RawMessage{"output": d.Result}
		}
	}
	body, _ := json.Marshal(doc)
	return jsonResponse(req, http.StatusOK, body, h), nil
}

var (
	reExit  = regexp.MustCompile(`(?i)^exit(?:\s+(-?\d+))?\s*;?$`)
	reEcho  = regexp.MustCompile(`(?i)^(echo|write-output|write-host|write-error)(?:\s+(.*))?$`)
	reToErr = regexp.MustCompile(`\s*1?>&2\s*;?$`)
)

// simulateScript is the simulated output of a script.
func simulateScript(lines []string) (stdout, stderr string, exit int) {
	var out, errOut strings.Builder
	for _, raw := range lines {
		for _, line := range strings.Split(raw, "\n") {
			t := strings.TrimSpace(line)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if m := reExit.FindStringSubmatch(t); m != nil {
				if m[1] != "" {
					exit, _ = strconv.Atoi(m[1])
				}
				return tail(out.String()), tail(errOut.String()), exit
			}
			m := reEcho.FindStringSubmatch(t)
			if m == nil {
				continue
			}
			arg := strings.TrimSpace(m[2])
			toErr := strings.EqualFold(m[1], "write-error")
			if loc := reToErr.FindStringIndex(arg); loc != nil {
				arg, toErr = strings.TrimSpace(arg[:loc[0]]), true
			}
			for _, flag := range []string{"-n ", "-e ", "-ne ", "-en "} {
				arg = strings.TrimPrefix(arg, flag)
			}
			if len(arg) >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[len(arg)-1] == arg[0] {
				arg = arg[1 : len(arg)-1]
			}
			if toErr {
				errOut.WriteString(arg + "\n")
			} else {
				out.WriteString(arg + "\n")
			}
		}
	}
	return tail(out.String()), tail(errOut.String()), 0
}

// tail keeps the last 4,096 bytes of output, as Run Command does.
func tail(s string) string {
	if len(s) > runCommandMaxOut {
		return s[len(s)-runCommandMaxOut:]
	}
	return s
}

// runCommandResult is the RunCommandResult of a script.
func runCommandResult(osType string, script []string) json.RawMessage {
	stdout, stderr, exit := simulateScript(script)
	status := func(code, level, display, msg string) map[string]string {
		return map[string]string{"code": code, "level": level, "displayStatus": display, "message": msg}
	}
	var value []map[string]string
	if strings.EqualFold(osType, "Windows") {
		errState, level := "succeeded", "Info"
		if exit != 0 {
			errState, level = "failed", "Error"
		}
		value = []map[string]string{
			status("ComponentStatus/StdOut/succeeded", "Info", "Provisioning succeeded", stdout),
			status("ComponentStatus/StdErr/"+errState, level, "Provisioning "+errState, stderr),
		}
	} else {
		sections := "\n[stdout]\n" + stdout + "\n[stderr]\n" + stderr
		if exit == 0 {
			value = []map[string]string{status("ProvisioningState/succeeded", "Info", "Provisioning succeeded", "Enable succeeded: "+sections)}
		} else {
			value = []map[string]string{status(fmt.Sprintf("ProvisioningState/failed/%d", exit), "Error", "Provisioning failed",
				fmt.Sprintf("Enable failed: failed to execute command: command terminated with exit status=%d", exit)+sections)}
		}
	}
	b, _ := json.Marshal(map[string]any{"value": value})
	return b
}
