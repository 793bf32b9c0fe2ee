package sim

import (
	"context"
	"net/http"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
	subfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions/fake"
)

// armsubscriptions: GET /subscriptions, /subscriptions/{id},
// /subscriptions/{id}/locations and /tenants (api-version 2022-12-01).

func (c *Cloud) subscriptionsTransport() policy.Transporter {
	return subfake.NewServerFactoryTransport(&subfake.ServerFactory{
		Server: subfake.Server{
			Get: func(ctx context.Context, subscriptionID string, _ *armsubscriptions.ClientGetOptions) (resp azfake.Responder[armsubscriptions.ClientGetResponse], errResp azfake.ErrorResponder) {
				c.mu.RLock()
				defer c.mu.RUnlock()
				s := c.st.subByKey[strings.ToLower(subscriptionID)]
				if s == nil {
					errResp.SetError(&armError{status: http.StatusNotFound, code: "SubscriptionNotFound", message: "The subscription '" + subscriptionID + "' could not be found."})
					return
				}
				resp.SetResponse(http.StatusOK, armsubscriptions.ClientGetResponse{Subscription: *subscriptionModel(s)}, nil)
				return
			},
			NewListPager: func(_ *armsubscriptions.ClientListOptions) (resp azfake.PagerResponder[armsubscriptions.ClientListResponse]) {
				c.mu.RLock()
				defer c.mu.RUnlock()
				page := armsubscriptions.ClientListResponse{}
				page.Value = []*armsubscriptions.Subscription{}
				for _, s := range c.st.subs {
					page.Value = append(page.Value, subscriptionModel(s))
				}
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
			NewListLocationsPager: func(subscriptionID string, _ *armsubscriptions.ClientListLocationsOptions) (resp azfake.PagerResponder[armsubscriptions.ClientListLocationsResponse]) {
				c.mu.RLock()
				defer c.mu.RUnlock()
				page := armsubscriptions.ClientListLocationsResponse{}
				page.Value = []*armsubscriptions.Location{}
				for _, r := range c.regions() {
					page.Value = append(page.Value, locationModel(subscriptionID, r))
				}
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
		},
		TenantsServer: subfake.TenantsServer{
			NewListPager: func(_ *armsubscriptions.TenantsClientListOptions) (resp azfake.PagerResponder[armsubscriptions.TenantsClientListResponse]) {
				c.mu.RLock()
				defer c.mu.RUnlock()
				page := armsubscriptions.TenantsClientListResponse{}
				page.Value = []*armsubscriptions.TenantIDDescription{}
				for _, t := range c.st.tenants {
					page.Value = append(page.Value, &armsubscriptions.TenantIDDescription{
						ID:             to.Ptr("/tenants/" + t.ID),
						TenantID:       to.Ptr(t.ID),
						TenantCategory: to.Ptr(armsubscriptions.TenantCategoryHome),
						DisplayName:    to.Ptr(t.Name),
						Domains:        []*string{to.Ptr(t.DefaultDomain)},
						DefaultDomain:  to.Ptr(t.DefaultDomain),
						TenantType:     to.Ptr("AAD"),
					})
				}
				resp.AddPage(http.StatusOK, page, nil)
				return
			},
		},
	})
}

func subscriptionModel(s *Subscription) *armsubscriptions.Subscription {
	return &armsubscriptions.Subscription{
		ID:                  to.Ptr("/subscriptions/" + s.ID),
		AuthorizationSource: to.Ptr("RoleBased"),
		ManagedByTenants:    []*armsubscriptions.ManagedByTenant{},
		SubscriptionID:      to.Ptr(s.ID),
		TenantID:            to.Ptr(s.TenantID),
		DisplayName:         to.Ptr(s.Name),
		State:               to.Ptr(armsubscriptions.SubscriptionState(s.State)),
		SubscriptionPolicies: &armsubscriptions.SubscriptionPolicies{
			LocationPlacementID: to.Ptr("Public_2014-09-01"),
			QuotaID:             to.Ptr("PayAsYouGo_2014-09-01"),
			SpendingLimit:       to.Ptr(armsubscriptions.SpendingLimitOff),
		},
	}
}

func locationModel(sub string, r region) *armsubscriptions.Location {
	id := "/subscriptions/" + sub + "/locations/" + r.name
	l := &armsubscriptions.Location{
		ID:                  to.Ptr(id),
		Name:                to.Ptr(r.name),
		DisplayName:         to.Ptr(r.display),
		RegionalDisplayName: to.Ptr(r.regional),
		Type:                to.Ptr(armsubscriptions.LocationTypeRegion),
		Metadata:            &armsubscriptions.LocationMetadata{},
	}
	m := l.Metadata
	if r.logical {
		m.RegionType = to.Ptr(armsubscriptions.RegionTypeLogical)
		m.RegionCategory = to.Ptr(armsubscriptions.RegionCategoryOther)
		return l
	}
	m.RegionType = to.Ptr(armsubscriptions.RegionTypePhysical)
	m.RegionCategory = to.Ptr(armsubscriptions.RegionCategoryRecommended)
	if r.geography != "" {
		m.Geography = to.Ptr(r.geography)
		m.GeographyGroup = to.Ptr(r.group)
		m.Latitude = to.Ptr(r.lat)
		m.Longitude = to.Ptr(r.long)
		m.PhysicalLocation = to.Ptr(r.place)
	}
	if r.paired != "" {
		m.PairedRegion = []*armsubscriptions.PairedRegion{{
			Name: to.Ptr(r.paired),
			ID:   to.Ptr("/subscriptions/" + sub + "/locations/" + r.paired),
		}}
	}
	if r.zones {
		l.AvailabilityZoneMappings = []*armsubscriptions.AvailabilityZoneMappings{
			{LogicalZone: to.Ptr("1"), PhysicalZone: to.Ptr(r.name + "-az1")},
			{LogicalZone: to.Ptr("2"), PhysicalZone: to.Ptr(r.name + "-az2")},
			{LogicalZone: to.Ptr("3"), PhysicalZone: to.Ptr(r.name + "-az3")},
		}
	}
	return l
}
