package steps

import (
	"regexp"
	"sync/atomic"
)

// Documentation links follow the cloud (issue 8): the rules, problems and
// the Summary name learn.microsoft.com pages, which serve the global cloud
// and Azure Government (whose differences are on the same site). For Azure
// operated by 21Vianet (AzureChinaCloud) the service pages live at
// docs.azure.cn/zh-cn under the same path. UNCONFIRMED: that every page
// the rules name has a docs.azure.cn counterpart at that path (a missing
// one shows that site's "page not found" with its search).

var docsCloud atomic.Value // string: the cloud whose documentation links are shown

// UseDocsFor sets the cloud whose documentation the links name: one per
// process, like the cloud configuration of every client.
func UseDocsFor(cloud string) { docsCloud.Store(cloud) }

// DocsLink is a documentation link for the cloud in use.
func DocsLink(url string) string {
	c, _ := docsCloud.Load().(string)
	return docsLinkFor(c, url)
}

// docsPage matches a learn.microsoft.com Azure page, with or without a
// locale ("zh-cn"), and captures its path under /azure/.
var docsPage = regexp.MustCompile(`^https://learn\.microsoft\.com/(?:[a-z]{2}-[a-z]{2}/)?azure/(.+)$`)

func docsLinkFor(cloud, url string) string {
	if cloud != CloudChina {
		return url
	}
	m := docsPage.FindStringSubmatch(url)
	if m == nil {
		return url
	}
	return "https://docs.azure.cn/zh-cn/" + m[1]
}
