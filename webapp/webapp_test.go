package webapp_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/webapp"
)

func messages(t *testing.T, locale string) map[string]string {
	t.Helper()
	b := webapp.Messages(locale)
	if b == nil {
		t.Fatalf("no i18n/%s.json", locale)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("i18n/%s.json: %v", locale, err)
	}
	return m
}

// TestEveryCodeExplained (issue 15): every code of node's one table has a
// plain-words message in both languages, and the languages have the same
// keys with the same {placeholders}.
func TestEveryCodeExplained(t *testing.T) {
	if got := webapp.Locales(); !slices.Equal(got, []string{"en", "fr"}) {
		t.Fatalf("locales %v, want en and fr", got)
	}
	en, fr := messages(t, "en"), messages(t, "fr")
	for _, c := range node.Codes() {
		for l, m := range map[string]map[string]string{"en": en, "fr": fr} {
			if m["err."+c.Code] == "" {
				t.Errorf("%s: no message for code %s (%s)", l, c.Code, c.Doc)
			}
		}
	}
	ph := regexp.MustCompile(`\{\w+\}`)
	for k, v := range en {
		w, ok := fr[k]
		if !ok {
			t.Errorf("fr lacks %s", k)
			continue
		}
		a, b := ph.FindAllString(v, -1), ph.FindAllString(w, -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: placeholders %v in en, %v in fr", k, a, b)
		}
	}
	for k := range fr {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %s", k)
		}
	}
}

// TestAssetBudget: the whole app's JS and CSS stay within 300 KB
// gzipped (issue 15); prints the figures.
func TestAssetBudget(t *testing.T) {
	s := webapp.Measure()
	t.Logf("web app: %d JS/CSS files, %d bytes, %d bytes gzipped (largest %s); HTML, translations and sound %d bytes gzipped",
		s.Files, s.Bytes, s.GzipBytes, s.LargestFile, s.OtherGzip)
	if s.Files == 0 || s.GzipBytes > 300<<10 {
		t.Fatalf("JS+CSS gzipped %d bytes: budget 300 KB", s.GzipBytes)
	}
}
