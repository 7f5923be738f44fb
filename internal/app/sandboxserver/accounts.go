package sandboxserver

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"image"
	"image/color"
	"image/png"
	"sort"
)

// Account is a demo account of the sandbox.
type Account struct {
	Username      string
	Password      string
	Name          string
	GivenName     string
	FamilyName    string
	Email         string
	EmailVerified bool
}

// Accounts are the sandbox's demo accounts, by username. Their passwords
// are shown on the sign-in page: this is a local playground, not a vault.
var Accounts = map[string]Account{
	"demo": {Username: "demo", Password: "demo", Name: "Dana Demo", GivenName: "Dana", FamilyName: "Demo",
		Email: "demo@sandbox.latch.invalid", EmailVerified: true},
	"ada": {Username: "ada", Password: "lovelace", Name: "Ada Lovelace", GivenName: "Ada", FamilyName: "Lovelace",
		Email: "ada@sandbox.latch.invalid", EmailVerified: false},
}

// subjectOf is the sub claim of an account, in Auth0's "connection|id" shape.
func subjectOf(username string) string { return "sandbox|" + username }

// accountBySubject finds the account with subject sub.
func accountBySubject(sub string) (Account, bool) {
	for _, a := range Accounts {
		if subjectOf(a.Username) == sub {
			return a, true
		}
	}
	return Account{}, false
}

// checkPassword reports whether password is the account's, in constant time.
func checkPassword(username, password string) (Account, bool) {
	a, ok := Accounts[username]
	if !ok {
		// Compare anyway, so that timing does not tell which names exist.
		subtle.ConstantTimeCompare([]byte(password), []byte("-"))
		return Account{}, false
	}
	return a, subtle.ConstantTimeCompare([]byte(password), []byte(a.Password)) == 1
}

// accountNames lists the usernames, sorted, demo first.
func accountNames() []string {
	var names []string
	for n := range Accounts {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if names[i] == "demo" || names[j] == "demo" {
			return names[i] == "demo"
		}
		return names[i] < names[j]
	})
	return names
}

// avatarPNG draws a symmetric 5×5 identicon for username, 160 px wide,
// so that avatars work offline.
func avatarPNG(username string) []byte {
	sum := sha256.Sum256([]byte(username))
	fg := color.NRGBA{sum[0]/2 + 64, sum[1]/2 + 64, sum[2]/2 + 64, 255}
	bg := color.NRGBA{240, 240, 240, 255}
	const cells, size = 5, 32
	img := image.NewNRGBA(image.Rect(0, 0, cells*size, cells*size))
	for y := range cells {
		for x := range cells {
			col := x
			if x > 2 {
				col = 4 - x
			}
			on := sum[3+y*3+col]%2 == 0
			c := bg
			if on {
				c = fg
			}
			for py := y * size; py < (y+1)*size; py++ {
				for px := x * size; px < (x+1)*size; px++ {
					img.SetNRGBA(px, py, c)
				}
			}
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
