package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	netfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7/fake"
)

// armnetwork: NSGs, their rules, NICs, virtual networks and subnets
// (api-version 2025-01-01).

func (c *Cloud) networkTransport() policy.Transporter {
	return netfake.NewServerFactoryTransport(&netfake.ServerFactory{
		SecurityGroupsServer: netfake.SecurityGroupsServer{
			Get: func(ctx context.Context, rg, name string, _ *armnetwork.SecurityGroupsClientGetOptions) (resp azfake.Responder[armnetwork.SecurityGroupsClientGetResponse], errResp azfake.ErrorResponder) {
				var out armnetwork.SecurityGroup
				if ae := c.readDoc(ctx, rg, "Microsoft.Network/networkSecurityGroups", &out, name); ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusOK, armnetwork.SecurityGroupsClientGetResponse{SecurityGroup: out}, nil)
				return
			},
		},
		SecurityRulesServer: netfake.SecurityRulesServer{
			Get: func(ctx context.Context, rg, nsg, rule string, _ *armnetwork.SecurityRulesClientGetOptions) (resp azfake.Responder[armnetwork.SecurityRulesClientGetResponse], errResp azfake.ErrorResponder) {
				var out armnetwork.SecurityGroup
				if ae := c.readDoc(ctx, rg, "Microsoft.Network/networkSecurityGroups", &out, nsg); ae != nil {
					errResp.SetError(ae)
					return
				}
				if out.Properties != nil {
					for _, r := range out.Properties.SecurityRules {
						if r != nil && r.Name != nil && strings.EqualFold(*r.Name, rule) {
							resp.SetResponse(http.StatusOK, armnetwork.SecurityRulesClientGetResponse{SecurityRule: *r}, nil)
							return
						}
					}
				}
				errResp.SetError(notFound("Microsoft.Network/networkSecurityGroups/securityRules", nsg+"/"+rule, rg))
				return
			},
		},
		InterfacesServer: netfake.InterfacesServer{
			Get: func(ctx context.Context, rg, name string, _ *armnetwork.InterfacesClientGetOptions) (resp azfake.Responder[armnetwork.InterfacesClientGetResponse], errResp azfake.ErrorResponder) {
				var out armnetwork.Interface
				if ae := c.readDoc(ctx, rg, "Microsoft.Network/networkInterfaces", &out, name); ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusOK, armnetwork.InterfacesClientGetResponse{Interface: out}, nil)
				return
			},
		},
		VirtualNetworksServer: netfake.VirtualNetworksServer{
			Get: func(ctx context.Context, rg, name string, _ *armnetwork.VirtualNetworksClientGetOptions) (resp azfake.Responder[armnetwork.VirtualNetworksClientGetResponse], errResp azfake.ErrorResponder) {
				var out armnetwork.VirtualNetwork
				if ae := c.readDoc(ctx, rg, "Microsoft.Network/virtualNetworks", &out, name); ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusOK, armnetwork.VirtualNetworksClientGetResponse{VirtualNetwork: out}, nil)
				return
			},
		},
		SubnetsServer: netfake.SubnetsServer{
			Get: func(ctx context.Context, rg, vnet, subnet string, _ *armnetwork.SubnetsClientGetOptions) (resp azfake.Responder[armnetwork.SubnetsClientGetResponse], errResp azfake.ErrorResponder) {
				var out armnetwork.VirtualNetwork
				if ae := c.readDoc(ctx, rg, "Microsoft.Network/virtualNetworks", &out, vnet); ae != nil {
					errResp.SetError(ae)
					return
				}
				if out.Properties != nil {
					for _, s := range out.Properties.Subnets {
						if s != nil && s.Name != nil && strings.EqualFold(*s.Name, subnet) {
							resp.SetResponse(http.StatusOK, armnetwork.SubnetsClientGetResponse{Subnet: *s}, nil)
							return
						}
					}
				}
				errResp.SetError(notFound("Microsoft.Network/virtualNetworks/subnets", vnet+"/"+subnet, rg))
				return
			},
		},
	})
}

// readDoc looks a resource up and unmarshals its document into an SDK model.
func (c *Cloud) readDoc(ctx context.Context, rg, typ string, into any, names ...string) *armError {
	r, ae := c.lookup(ctx, rg, typ, names...)
	if ae != nil {
		return ae
	}
	if err := json.Unmarshal(r.doc, into); err != nil {
		return unreadable(r, err)
	}
	return nil
}
