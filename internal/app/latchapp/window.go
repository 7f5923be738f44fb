package latchapp

// WindowOptions say how the desktop app opens its window.
type WindowOptions struct {
	// InTray starts the app with its window hidden, in the system tray,
	// as when it starts at login; where the desktop shows no tray icons
	// the window is shown all the same.
	InTray bool
}
