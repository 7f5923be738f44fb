package ui

import (
	"encoding/json"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/profile"
)

// metadataTab opens the metadata tab and waits for it to load.
func metadataTab(t *testing.T, ui *appWindow) *metadataScreen {
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() { ui.tabs.SelectIndex(1) })
	waitFor(t, "metadata loaded", func() bool { return ui.metadata.loaded != nil && !ui.metadata.busy })
	return ui.metadata
}

// rowOf is m's row for key, which must be there.
func rowOf(t *testing.T, m *metadataScreen, key string) *metaRow {
	t.Helper()
	for _, r := range m.rows {
		if r.key.Text == key {
			return r
		}
	}
	t.Fatalf("no row for %q, want one", key)
	return nil
}

// demoUser is the user ID of the sandbox's demo account.
const demoUser = "sandbox|demo"

func serverMetadata(t *testing.T, h *harness) map[string]any {
	md, err := h.account().Metadata.Get(t.Context(), demoUser)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func setServerMetadata(t *testing.T, h *harness, changes map[string]any) {
	if _, err := h.account().Metadata.Patch(t.Context(), demoUser, changes); err != nil {
		t.Fatal(err)
	}
}

func TestMetadataEditor(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	setServerMetadata(t, h, map[string]any{"theme": "dark", "count": 2, "prefs": map[string]any{"a": 1}, "beta": true, "gone": "x"})
	ui := h.start()
	m := metadataTab(t, ui)
	row := func(key string) *metaRow { return rowOf(t, m, key) }
	onUI(func() {
		if len(m.rows) != 5 || row("count").kind.Selected != string(profile.KindNumber) || row("beta").kind.Selected != string(profile.KindBool) ||
			row("prefs").kind.Selected != string(profile.KindJSON) || row("theme").value.Text != "dark" {
			t.Fatalf("%d rows, want 5 with the kinds of the stored values", len(m.rows))
		}
		if !m.save.Disabled() {
			t.Error("Save is enabled with nothing changed")
		}
		// Invalid input disables Save and says why, next to the field.
		row("theme").key.SetText("theme.x")
		if !m.save.Disabled() || !strings.Contains(row("theme.x").problem.Text, "must not contain") {
			t.Errorf("a dot in a key: problem %q, want Save off and the rule named", row("theme.x").problem.Text)
		}
		row("theme.x").key.SetText("theme")
		row("count").value.SetText("many")
		if !m.save.Disabled() || !strings.Contains(m.problem.Text, "not a number") {
			t.Errorf("a bad number: problem %q, want Save off and 'not a number'", m.problem.Text)
		}
		row("count").value.SetText("3")
		row("prefs").value.SetText("{broken")
		if !m.save.Disabled() || !strings.Contains(m.problem.Text, "not valid JSON") {
			t.Errorf("bad JSON: problem %q, want Save off and 'not valid JSON'", m.problem.Text)
		}
		// A key that Auth0 refuses, inside the JSON: said before Save.
		row("prefs").value.SetText(`{"ui":{"a.b":1}}`)
		if !m.save.Disabled() || !strings.Contains(m.problem.Text, `the key "a.b" inside it must not contain`) {
			t.Errorf("a dot in a nested key: problem %q, want Save off and the key named", m.problem.Text)
		}
		row("prefs").value.SetText(`{"b":2}`)
		test.Tap(m.add)
		r := m.rows[len(m.rows)-1]
		test.Type(r.key, "beta") // the new row has the focus
		if !m.save.Disabled() || !strings.Contains(m.problem.Text, "appears twice") {
			t.Errorf("a key twice: problem %q, want Save off and 'appears twice'", m.problem.Text)
		}
		r.key.SetText("lang")
		r.value.SetText("en")
		test.Tap(row("gone").remove)
		if m.save.Disabled() {
			t.Fatalf("Save is off with valid edits (%q), want it on", m.problem.Text)
		}
		// Ctrl+S in a field saves.
		r.value.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
	})
	waitFor(t, "saved", func() bool { return strings.HasPrefix(m.status.Text, "Saved at") })
	md := serverMetadata(t, h)
	want := `{"beta":true,"count":3,"lang":"en","prefs":{"b":2},"theme":"dark"}`
	if got, _ := json.Marshal(md); string(got) != want {
		t.Fatalf("server has %s, want %s", got, want)
	}
	onUI(func() {
		if !m.save.Disabled() || len(m.rows) != 5 {
			t.Error("the saved state is not shown")
		}
	})
}

func TestMetadataConflict(t *testing.T) {
	// Enter, with the value just typed still focused: Overwrite, the
	// default button.
	for _, choice := range []string{"Reload", "Overwrite", "Enter"} {
		t.Run(choice, func(t *testing.T) {
			h := newHarness(t)
			h.signInDirectly()
			setServerMetadata(t, h, map[string]any{"color": "red"})
			ui := h.start()
			m := metadataTab(t, ui)
			setServerMetadata(t, h, map[string]any{"color": "green", "other": 1}) // someone else
			onUI(func() {
				ui.window.Canvas().Focus(m.rows[0].value)
				m.rows[0].value.SetText("blue")
				test.Tap(m.save)
			})
			dialogShownWhole(t, ui.window, "the conflict dialog")
			if choice == "Enter" {
				pressKey(ui, fyne.KeyReturn)
			} else {
				tapDialogButton(t, ui.window, choice)
			}
			if choice == "Reload" {
				waitFor(t, "reloaded", func() bool { return strings.HasPrefix(m.status.Text, "Loaded at") && len(m.rows) == 2 })
				if md := serverMetadata(t, h); md["color"] != "green" {
					t.Fatalf("after Reload the server holds %v, want color still green", md)
				}
				return
			}
			waitFor(t, "saved", func() bool { return strings.HasPrefix(m.status.Text, "Saved at") })
			if md := serverMetadata(t, h); md["color"] != "blue" || md["other"] != nil {
				t.Fatalf("after Overwrite the server holds %v, want color blue and no other key", md)
			}
		})
	}
}

func TestMetadataSaveFailureKeepsEdits(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	m := metadataTab(t, ui)
	onUI(func() {
		test.Tap(m.add)
		m.rows[0].key.SetText("k")
		m.rows[0].value.SetText("v")
	})
	h.srv.Close() // the provider goes away
	onUI(func() { test.Tap(m.save) })
	waitFor(t, "the error", func() bool { return strings.HasPrefix(m.status.Text, "Not saved") })
	onUI(func() {
		if len(m.rows) != 1 || m.rows[0].value.Text != "v" || m.save.Disabled() {
			t.Error("the edits were lost")
		}
	})
}

func TestNoMetadataAPI(t *testing.T) {
	h := newHarness(t)
	h.noAPI = true
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() {
		ui.tabs.SelectIndex(1)
		if !ui.metadata.noAPI.Visible() || !strings.Contains(ui.metadata.noAPI.Text, "offers no metadata API") {
			t.Error("no message about the missing metadata API")
		}
	})
}

// TestMetadataColumnsLineUp: in the first window, the header's Key, Type
// and Value stand over their columns in every row, the remove buttons
// line up at the right, and the value, which may be a JSON object, is the
// widest column.
func TestMetadataColumnsLineUp(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	setServerMetadata(t, h, map[string]any{"favourites": map[string]any{"colour": "teal", "number": 7}, "language": "en-GB"})
	ui := h.start()
	m := metadataTab(t, ui)
	onUI(func() {
		d := fyne.CurrentApp().Driver()
		header := map[string]float32{}
		eachObject(ui.window.Content(), true, func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && (l.Text == "Key" || l.Text == "Type" || l.Text == "Value") {
				header[l.Text] = d.AbsolutePositionForObject(l).X
			}
		})
		if len(header) != 3 {
			t.Fatalf("header labels found: %v; want Key, Type and Value", header)
		}
		windowRight := ui.window.Canvas().Size().Width
		for _, r := range m.rows {
			for name, o := range map[string]fyne.CanvasObject{"Key": r.key, "Type": r.kind, "Value": r.value} {
				if x := d.AbsolutePositionForObject(o).X; x < header[name]-0.5 || x > header[name]+0.5 {
					t.Errorf("row %q: its %s column starts at x=%v, the header's at x=%v; want them lined up", r.key.Text, name, x, header[name])
				}
			}
			if right := d.AbsolutePositionForObject(r.remove).X + r.remove.Size().Width; right > windowRight || right < windowRight-3*theme.Padding() {
				t.Errorf("row %q: its remove button ends at x=%v in a window %v wide; want it at the right edge", r.key.Text, right, windowRight)
			}
			if kw, vw := r.key.Size().Width, r.value.Size().Width; vw < 2*kw {
				t.Errorf("row %q: the value is %v wide and the key %v; want the value at least twice the key", r.key.Text, vw, kw)
			}
		}
	})
}

// A new row says nothing wrong before it is typed in; an empty list says
// so; a save keeps the rows where they were.
func TestMetadataEditorIsCalm(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	m := metadataTab(t, ui)
	onUI(func() {
		if len(m.rows) != 0 || !strings.Contains(shownText(m.list), "No metadata yet") {
			t.Errorf("an empty list shows %q; want a sentence saying it is empty", shownText(m.list))
		}
		test.Tap(m.add)
		if r := m.rows[0]; r.problem.Visible() || m.problem.Visible() || !m.save.Disabled() {
			t.Errorf("a row just added shows %q (summary shown %t); want no problem said yet, and Save held back", r.problem.Text, m.problem.Visible())
		}
		if strings.Contains(shownText(m.list), "No metadata yet") {
			t.Error("with a row, the list still says it is empty")
		}
		m.rows[0].value.SetText("x") // typed in, the key still empty
		if !m.rows[0].problem.Visible() {
			t.Error("a row typed in with no key says nothing; want its problem")
		}
		m.rows[0].key.SetText("zeta")
		test.Tap(m.add)
		m.rows[1].key.SetText("alpha")
		m.rows[1].value.SetText("first")
		test.Tap(m.save)
	})
	waitFor(t, "saved", func() bool { return strings.HasPrefix(m.status.Text, "Saved at") })
	onUI(func() {
		if len(m.rows) != 2 || m.rows[0].key.Text != "zeta" || m.rows[1].key.Text != "alpha" {
			t.Errorf("after Save the rows are %v; want zeta then alpha, where they were", []string{m.rows[0].key.Text, m.rows[1].key.Text})
		}
	})
}

// A true/false value is a toggle, whose state is the value saved; a JSON
// value wraps in a field that grows with it, at most jsonRows lines.
func TestMetadataToggleAndJSONField(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	long := map[string]any{}
	for _, k := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"} {
		long[k] = strings.Repeat(k, 4)
	}
	setServerMetadata(t, h, map[string]any{"beta": true, "prefs": long, "name": "x"})
	ui := h.start()
	m := metadataTab(t, ui)
	row := func(key string) *metaRow { return rowOf(t, m, key) }
	onUI(func() {
		beta := row("beta")
		if !beta.toggle.Visible() || beta.value.Visible() || !beta.toggle.Checked {
			t.Errorf("a true value shows toggle %v (checked %v), text field %v; want the toggle alone, checked", beta.toggle.Visible(), beta.toggle.Checked, beta.value.Visible())
		}
		test.Tap(beta.toggle)
		prefs := row("prefs")
		if !prefs.value.MultiLine || prefs.value.Wrapping != fyne.TextWrapBreak {
			t.Errorf("a JSON value's field is multi-line %v, wrapping %v; want it to wrap", prefs.value.MultiLine, prefs.value.Wrapping)
		}
		if one := widget.NewEntry().MinSize().Height; prefs.value.MinSize().Height < 3*one {
			t.Errorf("a long JSON value's field is %v high; want several lines (one is %v)", prefs.value.MinSize().Height, one)
		}
		name := row("name")
		if name.value.MultiLine {
			t.Error("a text value's field is multi-line; want one line")
		}
		// Text turned to true/false: a value that is not one starts false.
		name.kind.SetSelected(string(profile.KindBool))
		if !name.toggle.Visible() || name.toggle.Checked || name.value.Text != "false" {
			t.Errorf("text turned to true/false shows toggle %v checked %v with text %q; want an unchecked toggle and false", name.toggle.Visible(), name.toggle.Checked, name.value.Text)
		}
		test.Tap(name.toggle)
		test.Tap(m.save)
	})
	waitFor(t, "saved", func() bool { return strings.HasPrefix(m.status.Text, "Saved at") })
	md := serverMetadata(t, h)
	if md["beta"] != false || md["name"] != true {
		t.Errorf("after toggling the server has beta=%v name=%v; want false and true", md["beta"], md["name"])
	}
}
