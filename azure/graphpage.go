package azure

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// graphPage receives the rows of one Resource Graph answer.
type graphPage struct {
	Rows         []json.RawMessage `json:"data"`
	SkipToken    *string           `json:"$skipToken,omitempty"`
	TotalRecords *int64            `json:"totalRecords,omitempty"`
	Count        *int64            `json:"count,omitempty"`
	Truncated    *string           `json:"resultTruncated,omitempty"`
}

type graphPageKey struct{}

// takeRows is a per-call policy of the Resource Graph client. On a successful
// answer it hands the rows to the caller (through the request context) and
// gives the SDK the page without them: the SDK would otherwise decode each
// 1,000-row page into a tree of maps, several times the page's size, only for
// us to re-encode it. Errors and unexpected bodies pass through untouched, so
// the SDK reports them as usual.
type takeRows struct{}

func (takeRows) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	into, ok := req.Raw().Context().Value(graphPageKey{}).(*graphPage)
	if err != nil || !ok || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return resp, nil
	}
	var page graphPage
	if json.Unmarshal(body, &page) != nil {
		return resp, nil
	}
	*into = page
	page.Rows = nil
	slim, err := json.Marshal(page)
	if err != nil {
		return resp, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(slim))
	resp.ContentLength = int64(len(slim))
	return resp, nil
}
