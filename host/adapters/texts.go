package adapters

import (
	"encoding/json"

	"github.com/picketsec/picket/sdk"
)

// TextsEvent builds an event whose items are texts of one kind, each New
// and of Origin origin, with a JSON body {"texts": [...]} that their
// Pointers ("/texts/N") name, so that the engine can redact them. It
// returns the event and that body.
func TextsEvent(kind sdk.Kind, origin sdk.Origin, texts []string) (*sdk.Event, []byte) {
	ev := &sdk.Event{Type: sdk.EventPreRequest, Items: make([]sdk.Item, 0, len(texts))}
	for i, t := range texts {
		if t == "" {
			continue
		}
		it := sdk.Item{Index: len(ev.Items), Kind: kind, Text: t, Origin: origin, New: true,
			Untrusted: kind == sdk.KindToolResult}
		if kind == sdk.KindPrompt {
			it.Pointer = "/texts/" + itoa(i)
		}
		ev.Items = append(ev.Items, it)
	}
	body, _ := json.Marshal(struct {
		Texts []string `json:"texts"`
	}{texts})
	return ev, body
}

// RedactedTexts decodes the texts of a body TextsEvent made, after the
// engine rewrote it.
func RedactedTexts(body []byte) ([]string, bool) {
	var b struct {
		Texts []string `json:"texts"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, false
	}
	return b.Texts, true
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
