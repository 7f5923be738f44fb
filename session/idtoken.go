package session

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// defaultAlgorithms are the ID token signing algorithms accepted unless
// verifierConfig.Algorithms says otherwise: asymmetric ones only. "none" and
// the HMAC algorithms are never accepted, whatever the configuration.
var defaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// defaultLeeway is the clock skew allowed on exp and iat unless
// verifierConfig.Leeway says otherwise.
const defaultLeeway = 30 * time.Second

// verifierConfig says what a valid ID token looks like.
type verifierConfig struct {
	// Issuer is the expected iss claim.
	Issuer string
	// ClientID is this client's ID: it must be in aud, and equal azp when
	// aud names several parties.
	ClientID string
	// Algorithms is the allowlist of signing algorithms; empty means
	// defaultAlgorithms. "none" and HS* are removed from it.
	Algorithms []string
	// Leeway is the clock skew allowed on exp and iat; 0 means
	// defaultLeeway, a negative value means none.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// idTokenClaims are the claims of a verified ID token that this package
// checks. The profile claims are read with [Credentials.Claims].
type idTokenClaims struct {
	jwt.RegisteredClaims
	Nonce           string `json:"nonce,omitempty"`
	AuthorizedParty string `json:"azp,omitempty"`
	AuthTime        int64  `json:"auth_time,omitempty"`
	SessionID       string `json:"sid,omitempty"`
}

// keySet finds the public keys that may have signed an ID token, as
// go-oidc's KeySet does. remoteKeySet is the provider's JWK Set; tests
// may give keys of their own.
//
// Implementations are safe for concurrent use.
type keySet interface {
	// VerificationKeys returns the candidate keys for a token whose header
	// names key ID kid (empty: none named) and algorithm alg. An error
	// means no key can be found.
	VerificationKeys(ctx context.Context, kid, alg string) ([]crypto.PublicKey, error)
}

// verifier checks ID tokens: signature against the provider's keys, the
// algorithm allowlist, iss, aud, azp, exp, iat and nonce. It is safe for
// concurrent use.
type verifier struct {
	keys   keySet
	config verifierConfig
	parser *jwt.Parser
}

// newVerifier returns a verifier that finds signing keys in keys (see
// remoteKeySet) and checks the claims against config.
func newVerifier(keys keySet, config verifierConfig) *verifier {
	algs := config.Algorithms
	if len(algs) == 0 {
		algs = defaultAlgorithms
	}
	algs = slices.DeleteFunc(slices.Clone(algs), func(a string) bool {
		return a == "none" || a == "HS256" || a == "HS384" || a == "HS512"
	})
	config.Algorithms = algs
	leeway := config.Leeway
	switch {
	case leeway == 0:
		leeway = defaultLeeway
	case leeway < 0:
		leeway = 0
	}
	now := config.Now
	if now == nil {
		now = time.Now
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(algs),
		jwt.WithIssuer(config.Issuer),
		jwt.WithAudience(config.ClientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
	)
	return &verifier{keys: keys, config: config, parser: parser}
}

// verify checks the ID token raw. nonce is the value sent in the
// authorization request; an empty nonce skips that check (renewals carry
// none). Errors wrap [ErrUnverified] and say what failed.
func (v *verifier) verify(ctx context.Context, raw, nonce string) (*idTokenClaims, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var claims idTokenClaims
	_, err := v.parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		keys, err := v.keys.VerificationKeys(ctx, kid, t.Method.Alg())
		if err != nil {
			return nil, err
		}
		set := jwt.VerificationKeySet{}
		for _, k := range keys {
			set.Keys = append(set.Keys, k)
		}
		return set, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrUnverified, describeJWTError(err))
	}
	if claims.Subject == "" {
		return nil, fmt.Errorf("%w: no subject (sub)", ErrUnverified)
	}
	if claims.IssuedAt == nil {
		return nil, fmt.Errorf("%w: no issue time (iat)", ErrUnverified)
	}
	if len(claims.Audience) > 1 && claims.AuthorizedParty == "" {
		return nil, fmt.Errorf("%w: several audiences and no authorized party (azp)", ErrUnverified)
	}
	if claims.AuthorizedParty != "" && claims.AuthorizedParty != v.config.ClientID {
		return nil, fmt.Errorf("%w: issued to another client (azp %q)", ErrUnverified, claims.AuthorizedParty)
	}
	if nonce != "" && claims.Nonce != nonce {
		return nil, fmt.Errorf("%w: nonce does not match this sign-in", ErrUnverified)
	}
	return &claims, nil
}

func describeJWTError(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "signature or algorithm rejected (" + err.Error() + ")"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "no key to verify it (" + err.Error() + ")"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "required claim missing (" + err.Error() + ")"
	}
	return err.Error()
}

// remoteKeySet returns the [keySet] of the JWK Set at jwksURL, fetched with
// client. Keys are refreshed hourly and at once (at most every 30 seconds)
// when a token names an unknown key ID, so a provider's key rotation needs
// no restart. The refresh goroutine ends with ctx.
func remoteKeySet(ctx context.Context, client *http.Client, jwksURL string, log *slog.Logger) (keySet, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{jwksURL}, keyfunc.Override{
		Client:            client,
		HTTPTimeout:       15 * time.Second,
		RateLimitWaitMax:  15 * time.Second,
		RefreshInterval:   time.Hour,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(30*time.Second), 1),
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				log.WarnContext(ctx, "refreshing signing keys failed", "jwks_uri", u, "error", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("signing keys at %s: %w", jwksURL, err)
	}
	return remoteKeys{kf}, nil
}

// remoteKeys is a [keySet] on keyfunc's cached, refreshed JWK Set.
type remoteKeys struct{ kf keyfunc.Keyfunc }

// VerificationKeys implements [keySet].
func (r remoteKeys) VerificationKeys(ctx context.Context, kid, alg string) ([]crypto.PublicKey, error) {
	header := map[string]any{"alg": alg}
	if kid != "" {
		header["kid"] = kid
	}
	key, err := r.kf.KeyfuncCtx(ctx)(&jwt.Token{Header: header})
	if err != nil {
		return nil, err
	}
	if set, ok := key.(jwt.VerificationKeySet); ok {
		keys := make([]crypto.PublicKey, 0, len(set.Keys))
		for _, k := range set.Keys {
			keys = append(keys, k)
		}
		return keys, nil
	}
	return []crypto.PublicKey{key}, nil
}
