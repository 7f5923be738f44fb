package ui

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"rsc.io/qr"
)

// qrQuiet is the white margin around a QR code, in modules, that
// readers need (ISO/IEC 18004).
const qrQuiet = 4

// qrMinSide is the least side a QR code is shown at, in Fyne units.
const qrMinSide = 180

// qrPicture draws a QR code of text with one pixel per module and the
// quiet zone around it, to be enlarged by whole pixels
// (canvas.ImageScalePixels) so that every module stays square and sharp.
// (rsc.io/qr's own Image ignores its Scale and the quiet zone: a reader
// finds nothing in it.)
func qrPicture(text string) (image.Image, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	side := code.Size + 2*qrQuiet
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				img.SetGray(x+qrQuiet, y+qrQuiet, color.Gray{})
			}
		}
	}
	return img, nil
}

// qrSize is the size to show picture at: a whole number of units per
// module, at least qrMinSide.
func qrSize(picture image.Image) fyne.Size {
	side := picture.Bounds().Dx()
	n := max(1, (qrMinSide+side-1)/side)
	return fyne.NewSquareSize(float32(side * n))
}
