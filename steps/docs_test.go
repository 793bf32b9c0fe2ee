package steps

import "testing"

func TestDocsLinkFollowsTheCloud(t *testing.T) {
	const page = "https://learn.microsoft.com/azure/backup/backup-azure-arm-vms-prepare"
	for _, tc := range []struct{ cloud, in, want string }{
		{CloudPublic, page, page},
		{CloudUSGov, page, page},
		{"", page, page},
		{CloudChina, page, "https://docs.azure.cn/zh-cn/backup/backup-azure-arm-vms-prepare"},
		{CloudChina, "https://learn.microsoft.com/azure/backup/backup-azure-vms-troubleshoot#usererrorguestagentstatusunavailable",
			"https://docs.azure.cn/zh-cn/backup/backup-azure-vms-troubleshoot#usererrorguestagentstatusunavailable"},
		{CloudChina, "https://learn.microsoft.com/zh-cn/azure/backup/backup-support-matrix-iaas", "https://docs.azure.cn/zh-cn/backup/backup-support-matrix-iaas"},
		{CloudChina, "https://portal.azure.cn/#@/resource/x", "https://portal.azure.cn/#@/resource/x"},
		{CloudChina, "https://learn.microsoft.com/cli/azure/backup", "https://learn.microsoft.com/cli/azure/backup"},
	} {
		if got := docsLinkFor(tc.cloud, tc.in); got != tc.want {
			t.Errorf("%s %s = %s, want %s", tc.cloud, tc.in, got, tc.want)
		}
	}
	UseDocsFor(CloudChina)
	defer UseDocsFor(CloudPublic)
	if got := DocsLink(page); got != "https://docs.azure.cn/zh-cn/backup/backup-azure-arm-vms-prepare" {
		t.Errorf("DocsLink with China = %s", got)
	}
}
