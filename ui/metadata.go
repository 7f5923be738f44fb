package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"latch/profile"
)

// Value kinds a metadata row can hold.
const (
	kindText   = "Text"
	kindNumber = "Number"
	kindBool   = "True/False"
	kindJSON   = "JSON"
)

var kinds = []string{kindText, kindNumber, kindBool, kindJSON}

// Metadata is the user_metadata editor: one row per root key, with a typed
// value.
type Metadata struct {
	app *App

	loaded  map[string]any // as last loaded or saved
	started bool
	busy    bool
	rows    []*metaRow

	list     *fyne.Container
	problem  *widget.Label
	status   *widget.Label
	progress *widget.ProgressBarInfinite
	add      *widget.Button
	save     *widget.Button
	reload   *widget.Button
	editor   *fyne.Container
	noAPI    *widget.Label
}

// metaRow is one root key.
type metaRow struct {
	key     *metaEntry
	kind    *widget.Select
	value   *metaEntry
	remove  *widget.Button
	problem *widget.Label
	box     *fyne.Container
}

// metaEntry is an entry that passes Save and Reload shortcuts on, so that
// they work while the cursor is in a field.
type metaEntry struct {
	widget.Entry
	m *Metadata
}

func newMetaEntry(m *Metadata, placeholder string) *metaEntry {
	e := &metaEntry{m: m}
	e.ExtendBaseWidget(e)
	e.PlaceHolder = placeholder
	return e
}

// TypedShortcut handles Ctrl+S and Ctrl+R, and leaves the rest to the entry.
func (e *metaEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && cs.Modifier == fyne.KeyModifierShortcutDefault {
		switch cs.KeyName {
		case fyne.KeyS:
			e.m.onSave()
			return
		case fyne.KeyR:
			e.m.onReload()
			return
		}
	}
	e.Entry.TypedShortcut(s)
}

func newMetadata(a *App) *Metadata { return &Metadata{app: a} }

func (m *Metadata) build() fyne.CanvasObject {
	m.noAPI = widget.NewLabel("This provider offers no metadata API, so there is no user metadata to edit here. " +
		"With Auth0, configure the Auth0 domain (see the README); other providers keep profile data elsewhere.")
	m.noAPI.Wrapping = fyne.TextWrapWord
	m.list = container.NewVBox()
	m.problem = widget.NewLabel("")
	m.problem.Importance = widget.DangerImportance
	m.problem.Wrapping = fyne.TextWrapWord
	m.status = widget.NewLabel("")
	m.status.Wrapping = fyne.TextWrapWord
	m.progress = widget.NewProgressBarInfinite()
	m.progress.Hide()
	m.add = widget.NewButtonWithIcon("Add key", theme.ContentAddIcon(), m.onAdd)
	m.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), m.onSave)
	m.save.Importance = widget.HighImportance
	m.reload = widget.NewButtonWithIcon("Reload", theme.ViewRefreshIcon(), m.onReload)
	m.save.Disable()
	header := container.NewGridWithColumns(3, widget.NewLabelWithStyle("Key", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Type", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Value", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	m.editor = container.NewBorder(
		header,
		container.NewVBox(m.problem, m.progress, m.status, container.NewHBox(m.add, layout.NewSpacer(), m.reload, m.save)),
		nil, nil,
		container.NewVScroll(m.list),
	)
	if m.app.session.Metadata == nil || m.app.session.Metadata.BaseURL == "" {
		m.editor.Hide()
		return container.NewPadded(m.noAPI)
	}
	m.noAPI.Hide()
	return container.NewPadded(m.editor)
}

// loadOnce loads the metadata the first time the tab is shown.
func (m *Metadata) loadOnce() {
	if m.started || m.app.session.Metadata.BaseURL == "" {
		return
	}
	m.started = true
	m.onReload()
}

func (m *Metadata) setBusy(text string) {
	m.busy = true
	m.progress.Show()
	m.status.Importance = widget.MediumImportance
	m.status.SetText(text)
	m.save.Disable()
	m.reload.Disable()
}

func (m *Metadata) setIdle() {
	m.busy = false
	m.progress.Hide()
	m.reload.Enable()
	m.validate()
}

func (m *Metadata) showStatus(text string, failed bool) {
	m.status.Importance = widget.MediumImportance
	if failed {
		m.status.Importance = widget.DangerImportance
	}
	m.status.SetText(text)
}

// fetch reads the metadata on the server.
func (m *Metadata) fetch(ctx context.Context) (map[string]any, error) {
	creds, err := m.app.session.Manager.Credentials(ctx, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return m.app.session.Metadata.Get(ctx, creds)
}

func (m *Metadata) onReload() {
	if m.busy || m.app.session.Metadata.BaseURL == "" {
		return
	}
	m.started = true
	m.setBusy("Loading…")
	go func() {
		ctx, cancel := context.WithTimeout(m.app.ctx, 30*time.Second)
		defer cancel()
		md, err := m.fetch(ctx)
		m.app.do(func() {
			if err != nil {
				m.setIdle()
				m.showStatus("Could not load the metadata: "+describe(err), true)
				return
			}
			m.show(md)
			m.setIdle()
			m.showStatus(fmt.Sprintf("Loaded at %s.", time.Now().Format(time.TimeOnly)), false)
		})
	}()
}

// show replaces the rows with md, sorted by key.
func (m *Metadata) show(md map[string]any) {
	m.loaded = md
	m.rows = nil
	m.list.RemoveAll()
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind, text := describeValue(md[k])
		m.addRow(k, kind, text)
	}
}

// describeValue picks the kind and text of a value.
func describeValue(v any) (string, string) {
	switch t := v.(type) {
	case string:
		return kindText, t
	case float64:
		return kindNumber, strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return kindBool, strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return kindJSON, string(b)
}

func (m *Metadata) addRow(key, kind, text string) *metaRow {
	r := &metaRow{}
	r.key = newMetaEntry(m, "key")
	r.key.SetText(key)
	r.value = newMetaEntry(m, "value")
	r.value.SetText(text)
	r.kind = widget.NewSelect(kinds, func(string) { m.validate() })
	r.kind.SetSelected(kind)
	r.problem = widget.NewLabel("")
	r.problem.Importance = widget.DangerImportance
	r.problem.Hide()
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { m.onRemove(r) })
	r.key.OnChanged = func(string) { m.validate() }
	r.value.OnChanged = func(string) { m.validate() }
	fields := container.NewGridWithColumns(3, r.key, r.kind, r.value)
	r.box = container.NewVBox(container.NewBorder(nil, nil, nil, r.remove, fields), r.problem)
	m.rows = append(m.rows, r)
	m.list.Add(r.box)
	return r
}

func (m *Metadata) onAdd() {
	r := m.addRow("", kindText, "")
	m.validate()
	m.app.window.Canvas().Focus(r.key)
}

func (m *Metadata) onRemove(r *metaRow) {
	for i, row := range m.rows {
		if row == r {
			m.rows = append(m.rows[:i], m.rows[i+1:]...)
			break
		}
	}
	m.list.Remove(r.box)
	m.validate()
}

// parseValue reads a row's value by its kind.
func parseValue(kind, text string) (any, error) {
	switch kind {
	case kindText:
		return text, nil
	case kindNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return nil, errors.New("not a number")
		}
		return f, nil
	case kindBool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("write true or false")
	case kindJSON:
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, fmt.Errorf("not valid JSON: %v", err)
		}
		switch v.(type) {
		case map[string]any, []any:
		default:
			return nil, errors.New("JSON here is an object {…} or an array […]; use another type for single values")
		}
		return v, nil
	}
	return nil, errors.New("choose a type")
}

// form reads the rows. It returns nil and the first problem when any row
// is invalid; each row shows its own problem next to it.
func (m *Metadata) form() (map[string]any, string) {
	out := map[string]any{}
	first := ""
	seen := map[string]bool{}
	for _, r := range m.rows {
		msg := ""
		key := r.key.Text
		if err := profile.CheckKey(key); err != nil {
			if key == "" {
				msg = "The key name is empty."
			} else {
				msg = fmt.Sprintf("Key %q: names must not contain '.' or '$'.", key)
			}
		} else if seen[key] {
			msg = fmt.Sprintf("Key %q appears twice.", key)
		}
		seen[key] = true
		if msg == "" {
			v, err := parseValue(r.kind.Selected, r.value.Text)
			if err != nil {
				msg = fmt.Sprintf("Value of %q: %v.", key, err)
			} else {
				out[key] = v
			}
		}
		if msg != "" {
			r.problem.SetText(msg)
			r.problem.Show()
			if first == "" {
				first = msg
			}
		} else {
			r.problem.Hide()
		}
	}
	if first != "" {
		return nil, first
	}
	if b, _ := json.Marshal(out); len(b) > profile.MaxMetadataBytes {
		return nil, fmt.Sprintf("The metadata is %d bytes; the limit is %d.", len(b), profile.MaxMetadataBytes)
	}
	return out, ""
}

// validate checks the form as the person types: Save is enabled only when
// everything is valid and something changed.
func (m *Metadata) validate() {
	md, problem := m.form()
	if problem != "" {
		m.problem.SetText("Cannot save: " + problem)
		m.problem.Show()
		m.save.Disable()
		return
	}
	m.problem.Hide()
	if m.busy || m.loaded == nil || len(diff(m.loaded, md)) == 0 {
		m.save.Disable()
		return
	}
	m.save.Enable()
}

// diff is the smallest PATCH from before to after: changed or new root
// keys with their values, removed ones with nil.
func diff(before, after map[string]any) map[string]any {
	changes := map[string]any{}
	for k, v := range after {
		if old, ok := before[k]; !ok || !sameJSON(old, v) {
			changes[k] = v
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			changes[k] = nil
		}
	}
	return changes
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (m *Metadata) onSave() {
	if m.busy || m.loaded == nil {
		return
	}
	md, problem := m.form()
	if problem != "" {
		m.validate()
		return
	}
	if len(diff(m.loaded, md)) == 0 {
		m.showStatus("Nothing to save.", false)
		return
	}
	m.setBusy("Checking for changes on the server…")
	loaded := m.loaded
	go func() {
		ctx, cancel := context.WithTimeout(m.app.ctx, 30*time.Second)
		defer cancel()
		current, err := m.fetch(ctx)
		m.app.do(func() {
			if err != nil {
				m.setIdle()
				m.showStatus("Not saved: "+describe(err), true)
				return
			}
			if !sameJSON(current, loaded) {
				m.setIdle()
				m.confirmOverwrite(md, current)
				return
			}
			m.patch(diff(loaded, md))
		})
	}()
}

// confirmOverwrite warns that the server changed since loading.
func (m *Metadata) confirmOverwrite(md, current map[string]any) {
	d := dialog.NewCustomConfirm("Metadata changed elsewhere",
		"Overwrite", "Reload",
		widget.NewLabel("Your metadata changed on the server since it was loaded here.\nReload to see the new values (your edits are discarded), or overwrite them with yours."),
		func(overwrite bool) {
			if overwrite {
				m.patch(diff(current, md))
				return
			}
			m.onReload()
		}, m.app.window)
	d.Show()
}

// patch sends the changes and shows the saved state.
func (m *Metadata) patch(changes map[string]any) {
	m.setBusy("Saving…")
	go func() {
		ctx, cancel := context.WithTimeout(m.app.ctx, 30*time.Second)
		defer cancel()
		creds, err := m.app.session.Manager.Credentials(ctx, 10*time.Second)
		var saved map[string]any
		if err == nil {
			saved, err = m.app.session.Metadata.Patch(ctx, creds, changes)
		}
		m.app.do(func() {
			if err != nil {
				m.setIdle()
				m.showStatus("Not saved, your edits are kept: "+describe(err), true)
				return
			}
			m.show(saved)
			m.setIdle()
			m.showStatus(fmt.Sprintf("Saved at %s.", time.Now().Format(time.TimeOnly)), false)
		})
	}()
}
