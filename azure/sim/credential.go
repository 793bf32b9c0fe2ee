package sim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Credential returns a credential whose tokens are unsigned JWT-shaped strings
// (header.payload.signature, base64url) carrying the scenario identity's
// claims (upn, tid, oid, idtyp, …). They are not secrets and Azure would
// reject them.
func (c *Cloud) Credential() azcore.TokenCredential { return simCredential{c} }

type simCredential struct{ c *Cloud }

// GetToken implements azcore.TokenCredential.
func (s simCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if err := ctx.Err(); err != nil {
		return azcore.AccessToken{}, err
	}
	s.c.mu.RLock()
	id := s.c.st.identity
	s.c.mu.RUnlock()
	now := s.c.now()
	exp := now.Add(time.Hour)
	aud := "https://management.core.windows.net/"
	if len(opts.Scopes) > 0 {
		aud = trimDefault(opts.Scopes[0])
	}
	tenant := id.TenantID
	if opts.TenantID != "" {
		tenant = opts.TenantID
	}
	claims := map[string]any{
		"aud":   aud,
		"iss":   "https://sts.windows.net/" + tenant + "/",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   exp.Unix(),
		"tid":   tenant,
		"oid":   id.ObjectID,
		"name":  id.Name,
		"idtyp": id.Type,
		"ver":   "1.0",
		"sim":   true,
	}
	if id.Type == "app" {
		claims["appid"] = id.AppID
		claims["azp"] = id.AppID
	} else {
		claims["upn"] = id.UPN
		claims["unique_name"] = id.UPN
		claims["scp"] = "user_impersonation"
		claims["appid"] = defaultAppID
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	enc := base64.RawURLEncoding
	tok := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "." + enc.EncodeToString([]byte("simulated"))
	return azcore.AccessToken{Token: tok, ExpiresOn: exp, RefreshOn: exp.Add(-10 * time.Minute)}, nil
}

func trimDefault(scope string) string {
	const suffix = "/.default"
	if len(scope) > len(suffix) && scope[len(scope)-len(suffix):] == suffix {
		return scope[:len(scope)-len(suffix)] + "/"
	}
	return scope
}
