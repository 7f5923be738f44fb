package ui

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/profile"
)

// kindNames are the kinds as the type selector lists them.
var kindNames = func() []string {
	names := make([]string, len(profile.Kinds))
	for i, k := range profile.Kinds {
		names[i] = string(k)
	}
	return names
}()

// metadataScreen is the user_metadata editor: one row per root key, with
// a typed value.
type metadataScreen struct {
	ctx        context.Context // ends when the screen is left
	do         func(func())
	background *sync.WaitGroup // see appWindow.background
	client     *profile.MetadataClient
	userID     string
	window     fyne.Window
	// ask asks the window's question (see appWindow.ask): Enter
	// confirms, Escape dismisses, whatever field had the focus.
	ask func(onConfirm func(), build func(answer func(bool)) dialog.Dialog)
	// fit sizes the window to the rows loaded (see appWindow.fitTabs).
	fit func()

	loaded  map[string]any // as last loaded or saved
	started bool
	busy    bool
	rows    []*metaRow

	columns  metaColumns // the header's and every row's
	list     *fyne.Container
	empty    *widget.Label     // said in the list when it has no row
	scroll   *container.Scroll // the list
	problem  *widget.Label
	status   *widget.Label
	progress *busy
	add      *button
	save     *button
	reload   *button
	editor   *fyne.Container
	noAPI    *widget.Label
}

// metaRow is one root key.
type metaRow struct {
	key  *metaEntry
	kind *widget.Select
	// value is the value as text; toggle stands in its place for a
	// true/false value, which it keeps in value's text.
	value   *metaEntry
	toggle  *widget.Check
	remove  *button
	problem *widget.Label
	box     *fyne.Container
	// touched says the person typed in the row: a new row's problems
	// (an empty key) are not said before.
	touched bool
}

// metaEntry is an entry that passes Save and Reload shortcuts on, so that
// they work while the cursor is in a field.
type metaEntry struct {
	widget.Entry
	m *metadataScreen
}

func newMetaEntry(m *metadataScreen, placeholder string) *metaEntry {
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

func (m *metadataScreen) build() fyne.CanvasObject {
	m.noAPI = widget.NewLabel("This provider offers no metadata API, so there is no user metadata to edit here. " +
		"With Auth0, configure the Auth0 domain (see the README); other providers keep profile data elsewhere.")
	m.noAPI.Wrapping = fyne.TextWrapWord
	m.list = container.NewVBox()
	m.empty = widget.NewLabel("No metadata yet. Add a key to start.")
	m.scroll = container.NewVScroll(m.list)
	m.problem = widget.NewLabel("")
	m.problem.Importance = widget.DangerImportance
	m.problem.Wrapping = fyne.TextWrapWord
	m.status = widget.NewLabel("")
	m.status.Wrapping = fyne.TextWrapWord
	m.progress = newBusy()
	m.add = newButton("Add key", theme.ContentAddIcon(), m.onAdd)
	m.save = newButton("Save", theme.DocumentSaveIcon(), m.onSave)
	m.save.Importance = widget.HighImportance
	m.reload = newButton("Reload", theme.ViewRefreshIcon(), m.onReload)
	m.save.Disable()
	m.columns = newMetaColumns()
	header := container.New(m.columns, widget.NewLabelWithStyle("Key", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Type", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Value", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		layout.NewSpacer())
	m.editor = container.NewBorder(
		header,
		container.NewVBox(m.problem, m.progress.Slot, m.status, container.NewHBox(m.add, layout.NewSpacer(), m.reload, m.save)),
		nil, nil,
		m.scroll,
	)
	if !m.hasAPI() {
		m.editor.Hide()
		return container.NewPadded(m.noAPI)
	}
	m.noAPI.Hide()
	return container.NewPadded(m.editor)
}

// built reports whether the screen's widgets are made (see build).
func (m *metadataScreen) built() bool { return m.save != nil }

// hasAPI reports whether the provider has a metadata API.
func (m *metadataScreen) hasAPI() bool { return m.client != nil && m.client.BaseURL != "" }

// loadOnce loads the metadata the first time the tab is shown.
func (m *metadataScreen) loadOnce() {
	if m.started || !m.hasAPI() {
		return
	}
	m.started = true
	m.onReload()
}

func (m *metadataScreen) setBusy(text string) {
	m.busy = true
	m.progress.show()
	m.status.Importance = widget.MediumImportance
	m.status.SetText(text)
	m.save.Disable()
	m.reload.Disable()
}

func (m *metadataScreen) setIdle() {
	m.busy = false
	m.progress.hide()
	m.reload.Enable()
	m.validate()
}

func (m *metadataScreen) showStatus(text string, failed bool) {
	m.status.Importance = widget.MediumImportance
	if failed {
		m.status.Importance = widget.DangerImportance
	}
	m.status.SetText(text)
}

// work runs f off Fyne's goroutine, bounded by 30 seconds and the
// screen's life, then done with its result on Fyne's goroutine, unless the
// screen was left meanwhile.
func (m *metadataScreen) work(f func(ctx context.Context) (map[string]any, error), done func(map[string]any, error)) {
	screen := m.ctx
	m.background.Go(func() {
		ctx, cancel := context.WithTimeout(screen, 30*time.Second)
		defer cancel()
		md, err := f(ctx)
		m.do(func() {
			if screen.Err() == nil {
				done(md, err)
			}
		})
	})
}

// fetch reads the metadata on the server.
func (m *metadataScreen) fetch(ctx context.Context) (map[string]any, error) {
	return m.client.Get(ctx, m.userID)
}

func (m *metadataScreen) onReload() {
	if m.busy || !m.hasAPI() {
		return
	}
	m.started = true
	m.setBusy("Loading…")
	m.work(m.fetch, func(md map[string]any, err error) {
		if err != nil {
			m.setIdle()
			m.showStatus("Could not load the metadata. "+latchapp.Describe(err), true)
			return
		}
		m.show(md)
		m.setIdle()
		m.showStatus(fmt.Sprintf("Loaded at %s.", time.Now().Format(time.TimeOnly)), false)
	})
}

// show replaces the rows with md: the keys in the order the rows had
// them (a save does not move the row just edited), then the others
// sorted.
func (m *metadataScreen) show(md map[string]any) {
	var order []string
	for _, r := range m.rows {
		if _, ok := md[r.key.Text]; ok && !slices.Contains(order, r.key.Text) {
			order = append(order, r.key.Text)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(md)) {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	m.loaded = md
	m.rows = nil
	m.list.RemoveAll()
	for _, k := range order {
		kind, text := profile.FormatValue(md[k])
		m.addRow(k, kind, text).touched = true
	}
	m.showEmpty()
	m.fit()
}

// showEmpty says so in the list when it has no row.
func (m *metadataScreen) showEmpty() {
	m.list.Remove(m.empty)
	if len(m.rows) == 0 {
		m.list.Add(m.empty)
	}
}

func (m *metadataScreen) addRow(key string, kind profile.Kind, text string) *metaRow {
	r := &metaRow{}
	r.key = newMetaEntry(m, "key")
	r.key.SetText(key)
	r.value = newMetaEntry(m, "value")
	r.value.SetText(text)
	r.toggle = widget.NewCheck("", func(on bool) {
		if r.value.Text != strconv.FormatBool(on) {
			r.value.SetText(strconv.FormatBool(on))
		}
		r.toggle.Text = strconv.FormatBool(on)
		r.toggle.Refresh()
	})
	r.kind = widget.NewSelect(kindNames, func(string) { r.showKind(); m.validate() })
	r.kind.SetSelected(string(kind))
	r.problem = widget.NewLabel("")
	r.problem.Importance = widget.DangerImportance
	r.problem.Hide()
	r.remove = newButton("", theme.DeleteIcon(), func() { m.onRemove(r) })
	r.key.OnChanged = func(string) { r.touched = true; m.validate() }
	r.value.OnChanged = func(string) { r.touched = true; m.validate() }
	r.box = container.NewVBox(container.New(m.columns, r.key, r.kind, container.NewStack(r.value, r.toggle), r.remove), r.problem)
	m.rows = append(m.rows, r)
	m.list.Add(r.box)
	m.showEmpty()
	return r
}

// jsonRows are the most lines a JSON value's field shows before it
// scrolls; a value wraps within its field rather than running past it.
const jsonRows = 8

// showKind shows the value as its kind is edited: a toggle for
// true/false (a value that is not one starts false), a field that wraps
// and grows with the value for JSON, one line of text otherwise.
func (r *metaRow) showKind() {
	if r.value == nil || r.toggle == nil {
		return // the select's first choice, while the row is made
	}
	if profile.Kind(r.kind.Selected) == profile.KindBool {
		on, _ := strconv.ParseBool(strings.TrimSpace(r.value.Text))
		r.toggle.SetChecked(on)
		r.toggle.OnChanged(on) // the text says exactly true or false
		r.value.Hide()
		r.toggle.Show()
		return
	}
	r.toggle.Hide()
	r.value.Show()
	json := profile.Kind(r.kind.Selected) == profile.KindJSON
	if json == r.value.MultiLine {
		return
	}
	r.value.MultiLine = json
	r.value.Wrapping = fyne.TextWrapOff
	if json {
		r.value.Wrapping = fyne.TextWrapBreak
		r.value.SetMinRowsVisible(min(jsonRows, max(2, 1+len(r.value.Text)/48)))
	}
	r.value.Refresh()
}

func (m *metadataScreen) onAdd() {
	r := m.addRow("", profile.KindText, "")
	m.validate()
	m.window.Canvas().Focus(r.key)
}

func (m *metadataScreen) onRemove(r *metaRow) {
	for i, row := range m.rows {
		if row == r {
			m.rows = append(m.rows[:i], m.rows[i+1:]...)
			break
		}
	}
	m.list.Remove(r.box)
	m.showEmpty()
	m.validate()
}

// form reads the rows. It returns nil and the first problem when any row
// is invalid; each row shows its own problem next to it.
func (m *metadataScreen) form() (map[string]any, string) {
	entries := make([]profile.Entry, len(m.rows))
	for i, r := range m.rows {
		entries[i] = profile.Entry{Key: r.key.Text, Kind: profile.Kind(r.kind.Selected), Text: r.value.Text}
	}
	md, problems, first := profile.ReadEntries(entries)
	for i, r := range m.rows {
		if problems[i] != "" && r.touched {
			r.problem.SetText(problems[i])
			r.problem.Show()
		} else {
			r.problem.Hide()
		}
	}
	return md, first
}

// validate checks the form as the person types: Save is enabled only when
// everything is valid and something changed. A row not typed in yet
// holds Save back without a word.
func (m *metadataScreen) validate() {
	md, problem := m.form()
	if problem != "" {
		m.problem.SetText("Cannot save: " + problem)
		m.problem.Hidden = !slices.ContainsFunc(m.rows, func(r *metaRow) bool { return r.touched && !r.problem.Hidden })
		m.problem.Refresh()
		m.save.Disable()
		return
	}
	m.problem.Hide()
	if m.busy || m.loaded == nil || len(profile.Diff(m.loaded, md)) == 0 {
		m.save.Disable()
		return
	}
	m.save.Enable()
}

func (m *metadataScreen) onSave() {
	if m.busy || m.loaded == nil {
		return
	}
	md, problem := m.form()
	if problem != "" {
		for _, r := range m.rows {
			r.touched = true // asked to save: every problem is said
		}
		m.validate()
		return
	}
	if len(profile.Diff(m.loaded, md)) == 0 {
		m.showStatus("Nothing to save.", false)
		return
	}
	m.setBusy("Checking for changes on the server…")
	loaded := m.loaded
	m.work(m.fetch, func(current map[string]any, err error) {
		if err != nil {
			m.setIdle()
			m.showStatus("Not saved, your edits are kept. "+latchapp.Describe(err), true)
			return
		}
		if !profile.Equal(current, loaded) {
			m.setIdle()
			m.confirmOverwrite(md, current)
			return
		}
		m.patch(profile.Diff(loaded, md))
	})
}

// confirmOverwrite warns that the server changed since loading.
func (m *metadataScreen) confirmOverwrite(md, current map[string]any) {
	// The window's question: Enter overwrites, as the default button.
	m.ask(func() { m.patch(profile.Diff(current, md)) }, func(answer func(bool)) dialog.Dialog {
		d := dialog.NewConfirm("Metadata changed elsewhere",
			"Your metadata changed on the server since it was loaded here. Reload to see the new values (your edits are discarded), or overwrite them with yours.",
			func(overwrite bool) {
				answer(overwrite)
				if !overwrite {
					m.onReload()
				}
			}, m.window)
		d.SetConfirmText("Overwrite")
		d.SetDismissText("Reload")
		return d
	})
}

// patch sends the changes and shows the saved state.
func (m *metadataScreen) patch(changes map[string]any) {
	m.setBusy("Saving…")
	m.work(func(ctx context.Context) (map[string]any, error) {
		return m.client.Patch(ctx, m.userID, changes)
	}, func(saved map[string]any, err error) {
		if err != nil {
			m.setIdle()
			m.showStatus("Not saved, your edits are kept. "+latchapp.Describe(err), true)
			return
		}
		m.show(saved)
		m.setIdle()
		m.showStatus(fmt.Sprintf("Saved at %s.", time.Now().Format(time.TimeOnly)), false)
	})
}
