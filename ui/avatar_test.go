package ui

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/latchapp/latch/internal/app/picture"
	"github.com/latchapp/latch/internal/testing/hostile"
)

// TestAvatarRefusesAPictureBomb serves a profile picture whose header says
// 40000 by 40000 pixels: it is refused from its header, nothing is kept,
// and a bomb that an earlier Latch cached is thrown away, not decoded.
func TestAvatarRefusesAPictureBomb(t *testing.T) {
	bomb := hostile.PictureBomb(40000, 40000)
	small := hostile.PictureBomb(1, 1)
	var serve atomic.Pointer[[]byte]
	serve.Store(&bomb)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(*serve.Load())
	}))
	defer srv.Close()
	c := newAvatarCache(t.TempDir())
	if _, err := c.get(t.Context(), srv.URL+"/me.png"); !errors.Is(err, picture.ErrTooLarge) {
		t.Fatalf("a 40000x40000 picture gave %v; want it refused as too large", err)
	}
	if files, _ := os.ReadDir(c.dir); len(files) != 0 {
		t.Fatalf("the cache holds %d files after a refused picture; want none", len(files))
	}

	// A bomb kept by an earlier Latch, fresh in the cache: thrown away,
	// and the picture asked for again.
	file := c.path(srv.URL + "/me.png")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, bomb, 0o600); err != nil {
		t.Fatal(err)
	}
	serve.Store(&small)
	if _, err := c.get(t.Context(), srv.URL+"/me.png"); err != nil {
		t.Fatalf("with a bomb in the cache and a small picture served: %v; want the small one", err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) == string(bomb) {
		t.Fatalf("the cache still holds the bomb (%v); want the small picture in its place", err)
	}
}
