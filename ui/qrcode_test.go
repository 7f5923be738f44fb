package ui

import (
	"image"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/draw"
)

// The device code's QR picture, enlarged as the window shows it, reads
// back as the address it was made of.
func TestQRPictureReadsBack(t *testing.T) {
	const address = "http://127.0.0.1:8642/device?user_code=SZDL-JJLW"
	picture, err := qrPicture(address)
	if err != nil {
		t.Fatal(err)
	}
	size := qrSize(picture)
	if int(size.Width)%picture.Bounds().Dx() != 0 || size.Width < qrMinSide {
		t.Errorf("shown at %v for %d modules and margin; want a whole multiple, at least %d", size, picture.Bounds().Dx(), qrMinSide)
	}
	shown := image.NewGray(image.Rect(0, 0, int(size.Width), int(size.Height)))
	draw.NearestNeighbor.Scale(shown, shown.Bounds(), picture, picture.Bounds(), draw.Src, nil)
	bmp, err := gozxing.NewBinaryBitmapFromImage(shown)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != address {
		t.Fatalf("the QR picture reads %v, %v; want %q", res, err, address)
	}
}
