package picture

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/latchapp/latch/internal/testing/hostile"
)

// encode is an image of w by h pixels as PNG.
func encode(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, 0, color.NRGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestThumbnailKeepsPicturesSmall(t *testing.T) {
	for _, c := range []struct {
		w, h, wantW, wantH int
	}{
		{400, 300, 192, 144},
		{300, 400, 144, 192},
		{96, 96, 96, 96},
		{4096, 1, 192, 1},
	} {
		out, err := Thumbnail(encode(t, c.w, c.h), 192)
		if err != nil {
			t.Fatalf("%dx%d: %v", c.w, c.h, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width != c.wantW || cfg.Height != c.wantH {
			t.Errorf("%dx%d gave %dx%d (%v); want %dx%d", c.w, c.h, cfg.Width, cfg.Height, err, c.wantW, c.wantH)
		}
	}
}

func TestThumbnailRefusesHugePicturesBeforeDecoding(t *testing.T) {
	for _, size := range [][2]int{{40000, 40000}, {MaxSide + 1, 10}, {10, MaxSide + 1}} {
		b := hostile.PictureBomb(size[0], size[1])
		if len(b) > 100 {
			t.Fatalf("the bomb is %d bytes; want a header alone", len(b))
		}
		if _, err := Thumbnail(b, 192); !errors.Is(err, ErrTooLarge) {
			t.Errorf("a %dx%d picture gave %v; want ErrTooLarge", size[0], size[1], err)
		}
	}
	if _, err := Thumbnail([]byte("<html>not a picture</html>"), 192); err == nil {
		t.Error("a web page was taken for a picture")
	}
}

func FuzzThumbnail(f *testing.F) {
	f.Add(encode(f, 3, 2))
	f.Add(hostile.PictureBomb(40000, 40000))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Thumbnail(b, 64)
		if err != nil {
			return
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width > 64 || cfg.Height > 64 {
			t.Fatalf("a thumbnail of %dx%d (%v); want at most 64x64", cfg.Width, cfg.Height, err)
		}
	})
}
