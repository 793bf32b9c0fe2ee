package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	computefake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
)

// armcompute: virtual machines (api-version 2025-04-01). A VM document may
// carry properties.instanceView (like a GET with $expand=instanceView); the
// simulator completes it with the provisioning and power statuses ARM always
// reports, and drops vmAgent for a VM that is not running.

func (c *Cloud) computeTransport() policy.Transporter {
	return computefake.NewServerFactoryTransport(&computefake.ServerFactory{
		VirtualMachinesServer: computefake.VirtualMachinesServer{
			Get: func(ctx context.Context, rg, name string, opts *armcompute.VirtualMachinesClientGetOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientGetResponse], errResp azfake.ErrorResponder) {
				r, ae := c.lookup(ctx, rg, "Microsoft.Compute/virtualMachines", name)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				var vm armcompute.VirtualMachine
				if err := json.Unmarshal(r.doc, &vm); err != nil {
					errResp.SetError(unreadable(r, err))
					return
				}
				if vm.Properties != nil {
					vm.Properties.InstanceView = nil
				}
				if opts != nil && opts.Expand != nil && strings.EqualFold(string(*opts.Expand), string(armcompute.InstanceViewTypesInstanceView)) {
					iv, err := instanceViewOf(r)
					if err != nil {
						errResp.SetError(unreadable(r, err))
						return
					}
					if vm.Properties == nil {
						vm.Properties = &armcompute.VirtualMachineProperties{}
					}
					vm.Properties.InstanceView = iv
				}
				resp.SetResponse(http.StatusOK, armcompute.VirtualMachinesClientGetResponse{VirtualMachine: vm}, nil)
				return
			},
			InstanceView: func(ctx context.Context, rg, name string, _ *armcompute.VirtualMachinesClientInstanceViewOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientInstanceViewResponse], errResp azfake.ErrorResponder) {
				r, ae := c.lookup(ctx, rg, "Microsoft.Compute/virtualMachines", name)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				iv, err := instanceViewOf(r)
				if err != nil {
					errResp.SetError(unreadable(r, err))
					return
				}
				resp.SetResponse(http.StatusOK, armcompute.VirtualMachinesClientInstanceViewResponse{VirtualMachineInstanceView: *iv}, nil)
				return
			},
		},
	})
}

// lookup finds a resource by the request's subscription, resource group,
// type and name(s), answering ARM's 404 when it does not exist.
func (c *Cloud) lookup(ctx context.Context, rg, typ string, names ...string) (*resource, *armError) {
	sub := infoOf(ctx).sub
	parts := strings.Split(typ, "/")
	var path []string
	path = append(path, parts[0])
	for i, n := range names {
		if i+1 < len(parts) {
			path = append(path, parts[i+1])
		}
		path = append(path, n)
	}
	id := armID(sub, rg, strings.Join(path, "/"))
	c.mu.RLock()
	r := c.get(id)
	c.mu.RUnlock()
	if r == nil {
		return nil, notFound(typ, strings.Join(names, "/"), rg)
	}
	return r, nil
}

// unreadable is the answer for a scenario document the SDK model cannot hold.
func unreadable(r *resource, err error) *armError {
	return &armError{status: http.StatusInternalServerError, code: "SimulatorDocumentInvalid",
		message: "The simulated document of '" + r.ID + "' cannot be read: " + err.Error()}
}

// ivLite is the part of an instance view Resource Graph's extended view uses.
type ivLite struct {
	Statuses []struct {
		Code          string `json:"code"`
		DisplayStatus string `json:"displayStatus"`
	} `json:"statuses"`
	OSName           string `json:"osName"`
	OSVersion        string `json:"osVersion"`
	ComputerName     string `json:"computerName"`
	HyperVGeneration string `json:"hyperVGeneration"`
}

func liteInstanceView(raw json.RawMessage) ivLite {
	var iv ivLite
	if !isNull(raw) {
		_ = json.Unmarshal(raw, &iv)
	}
	return iv
}

// power returns the power state status of the instance view, or "" when the
// document has none (a VM exported without its instance view): its state is
// then unknown, as the readiness rules must say, not assumed running.
func (iv ivLite) power() (code, display string) {
	for _, s := range iv.Statuses {
		if strings.HasPrefix(strings.ToLower(s.Code), "powerstate/") {
			d := s.DisplayStatus
			if d == "" {
				d = powerDisplay(s.Code)
			}
			return s.Code, d
		}
	}
	return "", ""
}

func powerDisplay(code string) string {
	state := strings.ToLower(strings.TrimPrefix(strings.ToLower(code), "powerstate/"))
	if state == "" {
		return "VM running"
	}
	return "VM " + state
}

// instanceViewOf returns a VM's instance view as GET …/instanceView answers it.
func instanceViewOf(r *resource) (*armcompute.VirtualMachineInstanceView, error) {
	var d struct {
		Properties struct {
			ProvisioningState string          `json:"provisioningState"`
			InstanceView      json.RawMessage `json:"instanceView"`
			OSProfile         *struct {
				ComputerName string `json:"computerName"`
			} `json:"osProfile"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(r.doc, &d); err != nil {
		return nil, err
	}
	iv := &armcompute.VirtualMachineInstanceView{}
	if !isNull(d.Properties.InstanceView) {
		if err := json.Unmarshal(d.Properties.InstanceView, iv); err != nil {
			return nil, err
		}
	}
	var hasProv, hasPower bool
	running := true
	for _, s := range iv.Statuses {
		if s == nil || s.Code == nil {
			continue
		}
		code := strings.ToLower(*s.Code)
		switch {
		case strings.HasPrefix(code, "provisioningstate/"):
			hasProv = true
		case strings.HasPrefix(code, "powerstate/"):
			hasPower = true
			running = code == "powerstate/running"
		}
	}
	if !hasProv {
		ps := d.Properties.ProvisioningState
		if ps == "" {
			ps = "Succeeded"
		}
		iv.Statuses = append([]*armcompute.InstanceViewStatus{{
			Code:          to.Ptr("ProvisioningState/" + strings.ToLower(ps)),
			Level:         to.Ptr(armcompute.StatusLevelTypesInfo),
			DisplayStatus: to.Ptr("Provisioning " + strings.ToLower(ps)),
		}}, iv.Statuses...)
	}
	if !hasPower {
		running = false // unknown: the document carries no instance view
	}
	if !running {
		iv.VMAgent = nil // the agent only reports while the VM runs
	}
	if iv.ComputerName == nil && running && d.Properties.OSProfile != nil && d.Properties.OSProfile.ComputerName != "" && iv.VMAgent != nil {
		iv.ComputerName = to.Ptr(d.Properties.OSProfile.ComputerName)
	}
	return iv, nil
}
