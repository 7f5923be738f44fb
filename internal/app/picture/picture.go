// Package picture makes a profile picture safe to keep and to show: the
// picture comes from the provider, or from wherever its picture claim
// points, and a small file can describe a huge image (a 1.5 MB PNG of
// 40000 by 40000 pixels decodes to 6 GB). The image's size is read from
// its header before anything is decoded, and only a small copy is kept.
package picture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the formats profile pictures come in
	_ "image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// MaxSide is the largest width or height of a picture that is decoded.
const MaxSide = 4096

// ErrTooLarge means a picture is wider or taller than MaxSide.
var ErrTooLarge = errors.New("the picture is too large")

// Thumbnail decodes the picture b, when its header says it is at most
// MaxSide wide and tall, and returns it scaled down to fit side by side
// pixels (never up), as PNG: what is kept and shown.
func Thumbnail(b []byte, side int) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("the picture cannot be read: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, fmt.Errorf("%w: %d by %d pixels, more than %d", ErrTooLarge, cfg.Width, cfg.Height, MaxSide)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("the picture cannot be read: %w", err)
	}
	w, h := fit(img.Bounds().Dx(), img.Bounds().Dy(), side)
	small := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(small, small.Bounds(), img, img.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	if err := png.Encode(&out, small); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// fit is a picture of w by h pixels scaled down to fit side by side,
// keeping its shape, and at least one pixel each way.
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, h*side/w)
	}
	return max(1, w*side/h), side
}
