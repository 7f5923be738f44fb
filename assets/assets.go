// Package assets holds Latch's images, embedded in the binary.
package assets

import _ "embed"

// Icon is Latch's application icon, a 256×256 PNG.
//
//go:embed icon.png
var Icon []byte
