package latchapp

import (
	"context"
	"errors"
	"time"

	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// Next is the screen a launch leads to.
type Next int

const (
	// ShowSignIn: nobody is signed in, or the session cannot go on.
	ShowSignIn Next = iota
	// ShowProfile: someone is signed in.
	ShowProfile
)

// launchMinTTL is how long the access token must still be valid to be
// used at launch without renewing it first.
const launchMinTTL = 10 * time.Second

// Launch is the decision taken when Latch starts.
type Launch struct {
	Next Next
	// Creds and Person are who is signed in, for ShowProfile.
	Creds  *session.Credentials
	Person profile.Profile
	// Offline is set with ShowProfile when the renewal failed for a
	// transient reason: the held credentials are shown while the
	// scheduler keeps trying.
	Offline bool
	// Reason is why: for ShowSignIn, why the session cannot go on (nil
	// when nobody was signed in); with Offline, the failed renewal.
	Reason error
}

// Decide takes the launch decision from the keychain: valid credentials
// lead straight to the profile, with no network; renewable ones are
// renewed first (renewing is called just before); otherwise sign-in, with
// the reason. The desktop app and the command line both start here.
func Decide(ctx context.Context, m *session.Manager, renewing func()) Launch {
	held, err := m.Held(ctx)
	now := time.Now()
	switch {
	case err == nil && held.ValidFor(now, launchMinTTL):
		return showProfile(held, nil)
	case err == nil && held.CanRenew(now):
		if renewing != nil {
			renewing()
		}
		creds, err := m.Credentials(ctx, launchMinTTL)
		if err == nil {
			return showProfile(creds, nil)
		}
		if errors.Is(err, session.ErrProviderUnreachable) {
			if held, herr := m.Held(ctx); herr == nil {
				l := showProfile(held, nil)
				if l.Next == ShowProfile {
					l.Offline, l.Reason = true, err
				}
				return l
			}
		}
		return Launch{Next: ShowSignIn, Reason: err}
	case err != nil && !errors.Is(err, session.ErrNoCredentials):
		return Launch{Next: ShowSignIn, Reason: err}
	}
	if st := m.State(); st.State == session.StateEnded {
		return Launch{Next: ShowSignIn, Reason: st.Err}
	}
	return Launch{Next: ShowSignIn}
}

func showProfile(creds *session.Credentials, err error) Launch {
	if err != nil {
		return Launch{Next: ShowSignIn, Reason: err}
	}
	p, err := Person(creds)
	if err != nil {
		return Launch{Next: ShowSignIn, Reason: err}
	}
	return Launch{Next: ShowProfile, Creds: creds, Person: p}
}
