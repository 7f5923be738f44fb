package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"github.com/latchapp/latch/base/atomicfile"
	"github.com/latchapp/latch/internal/app/picture"
)

// avatarSize is the avatar's side, in Fyne units.
const avatarSize = 96

// maxAvatarBytes bounds a downloaded picture.
const maxAvatarBytes = 2 << 20

// avatarPixels is the side of the picture kept: twice the avatar's, for
// screens of two pixels to the unit.
const avatarPixels = 2 * avatarSize

// avatarFresh is how long a cached picture is used without asking again.
const avatarFresh = 24 * time.Hour

// avatarCache keeps profile pictures on disk: only a small copy of the
// image (see picture.Thumbnail), named by a hash of its URL, never a
// token.
type avatarCache struct {
	dir  string
	http *http.Client
}

// newAvatarCache keeps pictures in dir; empty means the "latch/avatars"
// folder of the user's cache directory.
func newAvatarCache(dir string) *avatarCache {
	if dir == "" {
		if cache, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(cache, "latch", "avatars")
		}
	}
	return &avatarCache{dir: dir, http: &http.Client{Timeout: 15 * time.Second}}
}

func (c *avatarCache) path(url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:16])+".img")
}

// get returns the picture at url, as a small copy: from the cache when
// fresh, else fetched, made small and cached; a stale cached copy serves
// when fetching fails.
func (c *avatarCache) get(ctx context.Context, url string) (fyne.Resource, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("avatar: not a web address")
	}
	file := ""
	if c.dir != "" {
		file = c.path(url)
		if info, err := os.Stat(file); err == nil && time.Since(info.ModTime()) < avatarFresh {
			if b, ok := c.cached(file); ok {
				return fyne.NewStaticResource(filepath.Base(file), b), nil
			}
		}
	}
	fetched, err := c.fetch(ctx, url)
	var b []byte
	if err == nil {
		b, err = picture.Thumbnail(fetched, avatarPixels)
	}
	if err != nil {
		if file != "" {
			if cached, ok := c.cached(file); ok {
				return fyne.NewStaticResource(filepath.Base(file), cached), nil
			}
		}
		return nil, fmt.Errorf("avatar: %w", err)
	}
	if file != "" {
		if err := atomicfile.Write(file, b, 0o600); err != nil {
			return nil, fmt.Errorf("avatar cache: %w", err)
		}
	}
	return fyne.NewStaticResource(filepath.Base(c.path(url)), b), nil
}

// cached reads the picture kept in file, when it is one this cache made:
// small. A file of another kind (a full picture, as an earlier Latch kept
// them) is removed, and the picture asked for again.
func (c *avatarCache) cached(file string) ([]byte, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width > avatarPixels || cfg.Height > avatarPixels {
		_ = os.Remove(file)
		return nil, false
	}
	return b, true
}

func (c *avatarCache) fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("avatar: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("avatar: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("avatar: %s answered %s", req.URL.Host, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/") {
		return nil, fmt.Errorf("avatar: %s is not an image (%s)", req.URL.Host, ct)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAvatarBytes+1))
	if err != nil {
		return nil, fmt.Errorf("avatar: %w", err)
	}
	if len(b) > maxAvatarBytes {
		return nil, errors.New("avatar: picture too large")
	}
	return b, nil
}

// initialsAvatar is a coloured disc with the person's initials, for when
// there is no picture or it cannot be loaded.
func initialsAvatar(initials string) fyne.CanvasObject {
	sum := sha256.Sum256([]byte(initials))
	disc := canvas.NewCircle(color.NRGBA{R: 60 + sum[0]%120, G: 60 + sum[1]%120, B: 90 + sum[2]%120, A: 255})
	text := canvas.NewText(initials, color.White)
	text.TextSize = 34
	text.TextStyle = fyne.TextStyle{Bold: true}
	text.Alignment = fyne.TextAlignCenter
	box := container.NewStack(disc, container.NewCenter(text))
	return container.NewGridWrap(fyne.NewSize(avatarSize, avatarSize), box)
}
