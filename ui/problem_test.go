package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// problemApp starts the app on a configuration problem in a config file
// of the test's, with reopen answering as the test says.
func problemApp(t *testing.T, reopen func(sandbox bool) error) (*appWindow, *harness, string) {
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(file, []byte("isuer = \"https://id.example.com/\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, problem := latchapp.LoadConfig(latchapp.Settings{}, func(string) string { return "" }, file)
	if problem == nil {
		t.Fatal("a misspelt key loaded")
	}
	ui := h.startWith(func(ui *appWindow) {
		ui.account = nil
		ui.showProblem(problem, file, func(ctx context.Context, sandbox bool) (*latchapp.Account, *latchapp.Accounts, error) {
			if err := reopen(sandbox); err != nil {
				return nil, nil, err
			}
			return h.account(), nil, nil
		})
	})
	return ui, h, file
}

func TestAProblemScreenNamesTheKeyAndTheLine(t *testing.T) {
	ui, _, file := problemApp(t, func(bool) error { return nil })
	var text string
	onUI(func() { text = shownText(ui.window.Content()) })
	for _, want := range []string{"Latch cannot use its configuration", file + ", line 1", `unknown key "isuer": did you mean "issuer"?`, "Open the file", "Use the sandbox instead", "Try again"} {
		if !strings.Contains(text, want) {
			t.Errorf("the problem screen shows %q; want it to have %q", text, want)
		}
	}
	if ui.Screen() != ScreenProblem {
		t.Errorf("the screen is %q; want %q", ui.Screen(), ScreenProblem)
	}
}

func TestTryAgainStaysOnTheProblemUntilItIsFixed(t *testing.T) {
	var mu sync.Mutex
	fixed := false
	ui, _, _ := problemApp(t, func(sandbox bool) error {
		mu.Lock()
		defer mu.Unlock()
		if sandbox || !fixed {
			return &latchapp.ConfigError{Msg: "config file x: still wrong"}
		}
		return nil
	})
	typeKey(ui, fyne.KeyReturn) // Enter tries again
	waitFor(t, "the new problem", func() bool { return strings.Contains(shownText(ui.window.Content()), "still wrong") })
	if ui.Screen() != ScreenProblem {
		t.Fatalf("after a failed try the screen is %q; want the problem still", ui.Screen())
	}
	mu.Lock()
	fixed = true
	mu.Unlock()
	waitFor(t, "the buttons back", func() bool {
		b := findButton(t, ui.window.Content(), "Try again")
		return b != nil && !b.Disabled()
	})
	tapDialogButtonIn(t, ui, "Try again")
	waitFor(t, "the sign-in screen", func() bool { return ui.Screen() == ScreenSignIn })
}

func TestUseTheSandboxInstead(t *testing.T) {
	asked := make(chan bool, 1)
	ui, _, _ := problemApp(t, func(sandbox bool) error {
		asked <- sandbox
		if !sandbox {
			return errors.New("not this way")
		}
		return nil
	})
	tapDialogButtonIn(t, ui, "Use the sandbox instead")
	if !<-asked {
		t.Fatal("Use the sandbox instead reopened the configuration; want the sandbox")
	}
	waitFor(t, "the sign-in screen", func() bool { return ui.Screen() == ScreenSignIn })
}

// tapDialogButtonIn taps the button labelled label in the window's content.
func tapDialogButtonIn(t *testing.T, ui *appWindow, label string) {
	t.Helper()
	var b *widget.Button
	onUI(func() { b = findButton(t, ui.window.Content(), label) })
	if b == nil {
		t.Fatalf("no button %q on the screen", label)
	}
	onUI(func() { test.Tap(b) })
}

func TestOpenTheFileOpensTheConfigFile(t *testing.T) {
	ui, _, file := problemApp(t, func(bool) error { return nil })
	opened := make(chan string, 1)
	onUI(func() { ui.openPath = func(path string) error { opened <- path; return nil } })
	tapDialogButtonIn(t, ui, "Open the file")
	if got := <-opened; got != file {
		t.Fatalf("Open the file opened %q; want the config file %q", got, file)
	}
}
