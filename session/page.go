package session

import (
	"fmt"
	"html"
	"net/http"
)

// pageTexts words the pages the loopback listener shows in the browser.
// They say how the sign-in ended and send the person back to the
// application, which says why.
type pageTexts struct {
	// app names the application; empty means "the application".
	app string
}

// page is one page: a title and a sentence.
type page struct{ title, text string }

func (p pageTexts) name() string {
	if p.app == "" {
		return "the application"
	}
	return p.app
}

func (p pageTexts) done() page {
	return page{"Signed in", "You are signed in. You can close this window and return to " + p.name() + "."}
}

func (p pageTexts) failed() page {
	return page{"Sign-in failed", "The sign-in did not complete. Return to " + p.name() + " to see why and to try again."}
}

func (p pageTexts) foreign() page {
	return page{"Not this sign-in", "This answer does not belong to the sign-in in progress, so it was ignored. You can close this window."}
}

func (p pageTexts) used() page {
	return page{"Sign-in already handled", "This sign-in link was already used. You can close this window."}
}

func (p pageTexts) otherUser() page {
	return page{"Not your sign-in", "This sign-in was started by another user of this computer, so it was refused and nobody was signed in. You can close this window."}
}

func (p pageTexts) signedOut() page {
	return page{"Signed out", "You are signed out at the provider too. You can close this window and return to " + p.name() + "."}
}

// writePage writes p as a small page that loads nothing else.
func writePage(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	title := html.EscapeString(p.title)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#222}h1{font-weight:500}</style>
</head><body><h1>%s</h1><p>%s</p></body></html>
`, title, title, html.EscapeString(p.text))
}
