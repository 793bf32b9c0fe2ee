package azure

import (
	"context"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Run Command (AZURE.md §5.4): a script run inside a VM by its agent, as
// root (Linux) or SYSTEM (Windows). The VM must run and its agent be Ready;
// one script at a time per VM; Azure keeps only the last 4,096 bytes of
// output; a script runs at most 90 minutes; it cannot be cancelled.

// CodeUnknownOSType: BeginRunCommand was given an OS type other than
// "Linux" or "Windows".
const CodeUnknownOSType = "UnknownOSType"

// Built-in Run Command ids of the action run command.
const (
	runShellScript      = "RunShellScript"
	runPowerShellScript = "RunPowerShellScript"
)

// RunResult is what a script run with Run Command reported. Succeeded is
// false when Azure reports the script failed (a status code with "/failed",
// or a Linux "Enable failed" message); Code is the status code that decided
// (ProvisioningState/succeeded, ProvisioningState/failed/1,
// ComponentStatus/StdOut/succeeded, …; the format is UNCONFIRMED for every
// agent version, AZURE.md §5.4).
type RunResult struct {
	Stdout, Stderr string
	Succeeded      bool
	Code           string
}

// BeginRunCommand starts a script on a VM (VirtualMachinesClient.BeginRunCommand
// with RunShellScript for osType "Linux" or RunPowerShellScript for
// "Windows"; a long-running operation). The second result returns the
// script's output once the operation is done. A script that fails still ends
// the operation successfully, with Succeeded false; the operation itself
// fails when Azure could not run the script (agent not answering, 90-minute
// limit). With a resume token from an earlier run it waits for that
// operation again (osType and script are then not used).
func (c *Client) BeginRunCommand(ctx context.Context, vmID, osType, script string, resumeToken string) (*Operation, func() RunResult, error) {
	const op = "run-command"
	if vmID == "" || (resumeToken == "" && strings.TrimSpace(script) == "") {
		return nil, nil, &Error{Kind: KindInvalid, Op: op, Code: CodeMissingArgument}
	}
	cmd := ""
	switch {
	case strings.EqualFold(osType, "Linux"):
		cmd = runShellScript
	case strings.EqualFold(osType, "Windows"):
		cmd = runPowerShellScript
	case resumeToken == "":
		return nil, nil, &Error{Kind: KindInvalid, Op: op, Code: CodeUnknownOSType, Message: osType}
	}
	rid, err := parseID(op, vmID)
	if err != nil {
		return nil, nil, err
	}
	sc, err := c.forSub(rid.SubscriptionID)
	if err != nil {
		return nil, nil, Classify(op, err)
	}
	in := armcompute.RunCommandInput{CommandID: to.Ptr(cmd)}
	if resumeToken == "" {
		// one line per element: Azure writes them to the script file joined by line ends
		in.Script = to.SliceOfPtrs(strings.Split(strings.ReplaceAll(script, "\r\n", "\n"), "\n")...)
	}
	p, err := sc.vms.BeginRunCommand(ctx, rid.ResourceGroupName, rid.Name, in,
		&armcompute.VirtualMachinesClientBeginRunCommandOptions{ResumeToken: resumeToken})
	if err != nil {
		return nil, nil, Classify(op, err)
	}
	var (
		mu  sync.Mutex
		out RunResult
	)
	o := newOperation(op, p, func(r armcompute.VirtualMachinesClientRunCommandResponse) {
		res := runResultOf(r.Value)
		mu.Lock()
		out = res
		mu.Unlock()
	})
	return o, func() RunResult {
		mu.Lock()
		defer mu.Unlock()
		return out
	}, nil
}

// runResultOf reads a Run Command result. Windows reports
// ComponentStatus/StdOut/… and ComponentStatus/StdErr/… entries; Linux one
// ProvisioningState/… entry whose message holds "[stdout]" and "[stderr]"
// sections after "Enable succeeded:" (or "Enable failed: …").
func runResultOf(statuses []*armcompute.InstanceViewStatus) RunResult {
	res := RunResult{Succeeded: true}
	var outSeen, errSeen bool
	failedCode := ""
	for _, s := range statuses {
		if s == nil {
			continue
		}
		code, msg := str(s.Code), str(s.Message)
		lc := strings.ToLower(code)
		if res.Code == "" {
			res.Code = code
		}
		if strings.Contains(lc, "/failed") && failedCode == "" {
			failedCode = code
		}
		switch {
		case strings.HasPrefix(lc, "componentstatus/stdout/"):
			res.Stdout, outSeen = msg, true
		case strings.HasPrefix(lc, "componentstatus/stderr/"):
			res.Stderr, errSeen = msg, true
		case strings.HasPrefix(lc, "provisioningstate/"):
			res.Code = code
			if strings.HasPrefix(strings.TrimSpace(msg), "Enable failed") && failedCode == "" {
				failedCode = code
			}
			if !outSeen && !errSeen {
				if o, e, ok := splitStdSections(msg); ok {
					res.Stdout, res.Stderr = o, e
				}
			}
		}
	}
	if failedCode != "" {
		res.Succeeded, res.Code = false, failedCode
	}
	return res
}

// splitStdSections cuts "…\n[stdout]\n<out>\n[stderr]\n<err>" apart.
func splitStdSections(msg string) (stdout, stderr string, ok bool) {
	const outTag, errTag = "[stdout]\n", "[stderr]\n"
	i := strings.Index(msg, outTag)
	if i < 0 {
		return "", "", false
	}
	rest := msg[i+len(outTag):]
	if j := strings.Index(rest, "\n"+errTag); j >= 0 {
		return rest[:j], rest[j+1+len(errTag):], true
	}
	if j := strings.Index(rest, errTag); j == 0 {
		return "", rest[len(errTag):], true
	}
	return rest, "", true
}
