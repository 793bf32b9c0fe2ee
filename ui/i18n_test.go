package ui

import (
	"strings"
	"testing"
)

// Every key of one language exists in the others, and no message is empty.
func TestCatalogsComplete(t *testing.T) {
	keys, err := CatalogKeys()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]map[string]bool{}
	for _, l := range Languages {
		have[l] = map[string]bool{}
		for _, k := range keys[l] {
			have[l][k] = true
		}
	}
	for _, a := range Languages {
		for _, b := range Languages {
			for k := range have[a] {
				if !have[b][k] {
					t.Errorf("key %q is in %s but missing in %s", k, a, b)
				}
			}
		}
	}
	for _, l := range Languages {
		tr, err := NewTranslator(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys[l] {
			if s := tr.T(k, "Count", 2); s == "" || s == k {
				t.Errorf("%s: %q has no text", l, k)
			}
		}
	}
}

func TestMatchLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"": "en", "C": "en", "POSIX": "en", "en_US.UTF-8": "en", "zh_CN.UTF-8": "zh", "zh-TW": "zh",
		"ja_JP.eucJP": "ja", "ja": "ja", "fr_FR": "en", "de": "en", "garbage!!": "en",
	} {
		if got := MatchLanguage(in); got != want {
			t.Errorf("MatchLanguage(%q) = %q, want %q", in, got, want)
		}
	}
	env := map[string]string{"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}
	if got := LanguageFromEnv(func(k string) string { return env[k] }); got != "zh" {
		t.Errorf("LC_MESSAGES should win over LANG, got %s", got)
	}
	env["LC_ALL"] = "en_GB"
	if got := LanguageFromEnv(func(k string) string { return env[k] }); got != "en" {
		t.Errorf("LC_ALL should win, got %s", got)
	}
}

func TestTranslatorFillsArgs(t *testing.T) {
	tr, err := NewTranslator("en")
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.T("app.name"); got != "backupready" {
		t.Fatalf("app.name = %q", got)
	}
	if got := tr.T("no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key should come back as itself, got %q", got)
	}
	if got := tr.T("test.greeting", "Name", "Ada"); !strings.Contains(got, "Ada") {
		t.Fatalf("args not filled: %q", got)
	}
}

func TestCountOnMessageWithoutPluralForms(t *testing.T) {
	tr, err := NewTranslator("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 2} {
		if got := tr.T("test.greeting", "Name", "Ada", "Count", n); !strings.Contains(got, "Ada") {
			t.Fatalf("Count=%d: %q", n, got)
		}
	}
}
