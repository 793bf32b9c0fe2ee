package ui

import "testing"

func TestJoinSentences(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"It runs.", "It stops.", "It runs. It stops."},
		{"確認します。", "エージェントが報告しない", "確認します。エージェントが報告しない"},
		{"恢复。", "代理不报告", "恢复。代理不报告"},
		{"確認します。", "VM は", "確認します。 VM は"},
		{"", "b", "b"},
		{"a", "", "a"},
	} {
		if got := JoinSentences(tc.a, tc.b); got != tc.want {
			t.Errorf("JoinSentences(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}
