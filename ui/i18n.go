package ui

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages are the catalog languages, English first (the source).
var Languages = []string{"en", "zh", "ja"}

//go:embed locales/*.yaml
var locales embed.FS

// Translator turns catalog keys into text in one language.
type Translator struct {
	lang      string
	localizer *i18n.Localizer
	cache     sync.Map  // key without args → text
	redact    *Redactor // --redact: T masks subscription and tenant IDs (nil: off)
}

// bundle holds every catalog; it is built once and read-only afterwards.
var bundle = sync.OnceValues(func() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("yaml", func(data []byte, v any) error { return yaml.Unmarshal(data, v) })
	files, err := fs.Glob(locales, "locales/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if _, err := b.LoadMessageFileFS(locales, f); err != nil {
			return nil, fmt.Errorf("loading catalog %s: %w", f, err)
		}
	}
	return b, nil
})

// NewTranslator returns a translator for lang ("en", "zh", "ja"; anything else
// falls back to English).
func NewTranslator(lang string) (*Translator, error) {
	b, err := bundle()
	if err != nil {
		return nil, err
	}
	lang = MatchLanguage(lang)
	return &Translator{lang: lang, localizer: i18n.NewLocalizer(b, lang, "en")}, nil
}

// Lang is the translator's language code.
func (t *Translator) Lang() string { return t.lang }

// WithRedactor returns a translator in the same language whose texts have
// subscription and tenant IDs masked by r (--redact; see redact.go). The
// receiver is left as it is.
func (t *Translator) WithRedactor(r *Redactor) *Translator {
	return &Translator{lang: t.lang, localizer: t.localizer, redact: r}
}

// Redactor is the translator's redactor, nil when --redact is off (a nil
// *Redactor masks nothing, so callers use it without checking).
func (t *Translator) Redactor() *Redactor { return t.redact }

// Redact masks subscription and tenant IDs in s when --redact is on: for
// text shown or exported that does not come from the catalog.
func (t *Translator) Redact(s string) string { return t.redact.Redact(s) }

// T returns the text for key, filling {{.Name}} placeholders from the
// key/value pairs in args. A key missing from the catalog comes back as the key
// itself (a test makes sure none is missing). A "Count" argument selects the
// plural form where the message has one.
func (t *Translator) T(key string, args ...any) string {
	if len(args) == 0 {
		if v, ok := t.cache.Load(key); ok {
			return v.(string)
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: key}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k := fmt.Sprint(args[i])
			data[k] = args[i+1]
			if k == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := t.localizer.Localize(cfg)
	if (err != nil || s == "") && cfg.PluralCount != nil {
		// A message without plural forms: "Count" is just an argument.
		cfg.PluralCount = nil
		s, err = t.localizer.Localize(cfg)
	}
	if err != nil || s == "" {
		s = key
	}
	if len(args) == 0 {
		t.cache.Store(key, s)
	}
	return t.redact.Redact(s)
}

// MatchLanguage picks the catalog language for a tag or a POSIX locale such as
// "zh_CN.UTF-8" or "ja_JP"; unknown or empty input gives "en".
func MatchLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, ".@"); i >= 0 {
		tag = tag[:i]
	}
	tag = strings.ReplaceAll(tag, "_", "-")
	if tag == "" || tag == "C" || tag == "POSIX" {
		return "en"
	}
	parsed, err := language.Parse(tag)
	if err != nil {
		return "en"
	}
	matcher := language.NewMatcher([]language.Tag{language.English, language.Chinese, language.Japanese})
	_, idx, conf := matcher.Match(parsed)
	if conf == language.No {
		return "en"
	}
	return Languages[idx]
}

// LanguageFromEnv reads the language the way POSIX tools do: LC_ALL, then
// LC_MESSAGES, then LANG.
func LanguageFromEnv(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			return MatchLanguage(v)
		}
	}
	return "en"
}

// CatalogKeys returns the message ids each language defines, for tests.
func CatalogKeys() (map[string][]string, error) {
	out := map[string][]string{}
	files, err := fs.Glob(locales, "locales/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := locales.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		parts := strings.Split(f, ".")
		lang := parts[len(parts)-2]
		for k := range m {
			out[lang] = append(out[lang], k)
		}
	}
	for l := range out {
		sort.Strings(out[l])
	}
	return out, nil
}
